/* svg.h: the little SVG writing that the training demos share (axes, polylines, points, a
 * shaded decision region). SVG is text, so this is fprintf; plotting stays out of the
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

/* Opens path and writes the header and a frame with the title; NULL if the file cannot be
 * created (the demo reports it). */
static inline FILE *svg_open(const char *path, svg_plot *p, double x0, double x1, double y0,
                             double y1, const char *title)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    *p = (svg_plot){f, x0, x1, y0, y1, 60, 40, 480, 360};
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"580\" height=\"440\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"580\" height=\"440\" fill=\"white\"/>\n"
            "<text x=\"290\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
            title);
    return f;
}

/* Frame and five ticks on each axis. */
static inline void svg_axes(const svg_plot *p, const char *xlabel, const char *ylabel)
{
    fprintf(p->f,
            "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
            "stroke=\"#444\"/>\n",
            p->left, p->top, p->w, p->h);
    for (int i = 0; i <= 4; i++) {
        const double x = p->x0 + (p->x1 - p->x0) * i / 4, y = p->y0 + (p->y1 - p->y0) * i / 4;
        fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.3g</text>\n",
                svg_px(p, x), p->top + p->h + 16, x);
        fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", p->left - 6,
                svg_py(p, y) + 4, y);
    }
    fprintf(p->f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n", p->left + p->w / 2,
            p->top + p->h + 34, xlabel);
    fprintf(p->f,
            "<text x=\"14\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 14 %g)\">"
            "%s</text>\n",
            p->top + p->h / 2, p->top + p->h / 2, ylabel);
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
