/* svg.h: the little SVG writing that the training demos share (axes, polylines, points, a
 * shaded decision region, panels with round-number ticks). SVG is text, so this is fprintf; plotting stays out of the
 * library. Each demo includes this header once (the functions are static inline, so unused ones
 * draw no warning). */
#ifndef TG_DEMO_SVG_H
#define TG_DEMO_SVG_H

#include <math.h>
#include <stdio.h>

/* A plot area: data rectangle [x0, x1] x [y0, y1] drawn at pixel box (left, top, w, h). */
typedef struct svg_plot {
    FILE *f;
    double x0, x1, y0, y1;
    double left, top, w, h;
} svg_plot;

static inline double svg_px(const svg_plot *p, double x)
{
    return p->left + (x - p->x0) / (p->x1 - p->x0) * p->w;
}
static inline double svg_py(const svg_plot *p, double y)
{
    return p->top + (p->y1 - y) / (p->y1 - p->y0) * p->h;
}

/* Round-number ticks (Heckbert, "Nice numbers for graph labels", Graphics Gems 1990): a step
 * of 1, 2 or 5 times a power of ten giving about want ticks over [lo, hi]. svg_nice_range
 * widens [*lo, *hi] to multiples of that step, so that the axis starts and ends on a tick. */
static inline double svg_nice_step(double lo, double hi, int want)
{
    const double span = hi > lo ? hi - lo : fabs(lo) > 0 ? fabs(lo) : 1.0;
    const double raw = span / (want > 1 ? want - 1 : 1), p = pow(10.0, floor(log10(raw)));
    const double f = raw / p;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * p;
}

static inline void svg_nice_range(double *lo, double *hi, int want)
{
    if (!(*hi > *lo)) { /* a flat curve still gets an axis around its value */
        const double d = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1.0;
        *lo -= d;
        *hi += d;
    }
    const double step = svg_nice_step(*lo, *hi, want);
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
}

/* Starts an SVG of width x height with a title; NULL if path cannot be created. Panels are
 * then placed with svg_panel. */
static inline FILE *svg_begin(const char *path, double width, double height, const char *title)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"%g\" height=\"%g\" fill=\"white\"/>\n"
            "<text x=\"%g\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
            width, height, width, height, width / 2, title);
    return f;
}

/* A plot area of f: data [x0, x1] x [y0, y1] at pixel box (left, top, w, h), with a subtitle. */
static inline svg_plot svg_panel(FILE *f, double left, double top, double w, double h, double x0,
                                 double x1, double y0, double y1, const char *subtitle)
{
    const svg_plot p = {f, x0, x1, y0, y1, left, top, w, h};
    if (subtitle)
        fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
                left + w / 2, top - 8, subtitle);
    return p;
}

/* Opens path and writes the header and a frame with the title; NULL if the file cannot be
 * created (the demo reports it). */
static inline FILE *svg_open(const char *path, svg_plot *p, double x0, double x1, double y0,
                             double y1, const char *title)
{
    FILE *f = svg_begin(path, 580, 440, title);
    if (f)
        *p = (svg_plot){f, x0, x1, y0, y1, 60, 40, 480, 360};
    return f;
}

/* Frame, and ticks at round numbers (svg_nice_step) inside the data range on each axis, with
 * light grid lines. Give the range by svg_nice_range to have ticks at both ends. */
static inline void svg_axes(const svg_plot *p, const char *xlabel, const char *ylabel)
{
    fprintf(p->f,
            "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
            "stroke=\"#444\"/>\n",
            p->left, p->top, p->w, p->h);
    for (int axis = 0; axis < 2; axis++) {
        const double lo = axis ? p->y0 : p->x0, hi = axis ? p->y1 : p->x1;
        const double step = svg_nice_step(lo, hi, axis ? 6 : 7);
        for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
            const double shown = fabs(v) < step * 1e-9 ? 0.0 : v; /* no "-0" or "1e-17" */
            if (axis == 0) {
                const double x = svg_px(p, v);
                fprintf(p->f,
                        "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                        x, p->top, x, p->top + p->h, x, p->top + p->h + 16, shown);
            } else {
                const double y = svg_py(p, v);
                fprintf(p->f,
                        "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                        p->left, y, p->left + p->w, y, p->left - 6, y + 4, shown);
            }
        }
    }
    fprintf(p->f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n", p->left + p->w / 2,
            p->top + p->h + 34, xlabel);
    fprintf(p->f,
            "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 %g %g)\">"
            "%s</text>\n",
            p->left - 46, p->top + p->h / 2, p->left - 46, p->top + p->h / 2, ylabel);
}

/* A polyline through (x[i], y[i]); non-finite points are skipped. */
static inline void svg_line(const svg_plot *p, size_t n, const double *x, const double *y,
                            const char *color)
{
    fprintf(p->f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            fprintf(p->f, "%.2f,%.2f ", svg_px(p, x[i]), svg_py(p, y[i]));
    fprintf(p->f, "\"/>\n");
}

static inline void svg_point(const svg_plot *p, double x, double y, const char *color)
{
    fprintf(p->f,
            "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\" stroke=\"black\" "
            "stroke-width=\"0.5\"/>\n",
            svg_px(p, x), svg_py(p, y), color);
}

/* One cell of a shaded region: [x, x + dx] x [y, y + dy] in data units. */
static inline void svg_cell(const svg_plot *p, double x, double y, double dx, double dy,
                            const char *color)
{
    fprintf(p->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
            svg_px(p, x), svg_py(p, y + dy), dx / (p->x1 - p->x0) * p->w + 0.5,
            dy / (p->y1 - p->y0) * p->h + 0.5, color);
}

static inline void svg_legend(const svg_plot *p, int row, const char *color, const char *text)
{
    /* top right, on a white band so that curves under it do not hide the text */
    const double x = p->left + p->w - 160, y = p->top + 16 + 18 * row;
    fprintf(p->f,
            "<rect x=\"%g\" y=\"%g\" width=\"156\" height=\"18\" fill=\"white\" "
            "fill-opacity=\"0.85\"/>"
            "<rect x=\"%g\" y=\"%g\" width=\"12\" height=\"12\" fill=\"%s\"/>"
            "<text x=\"%g\" y=\"%g\">%s</text>\n",
            x - 4, y - 13, x, y - 10, color, x + 18, y, text);
}

/* Writes the closing tag and closes the file; 0 if anything failed on the way. */
static inline int svg_close(svg_plot *p)
{
    fprintf(p->f, "</svg>\n");
    const int ok = !ferror(p->f);
    return fclose(p->f) == 0 && ok;
}

#endif
