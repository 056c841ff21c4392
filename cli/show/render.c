/* render.c: `tapegrad --svg/--png FILE`: the DOT of tg_dot_export laid out by Graphviz's dot
 * engine and rendered through libgvc, in memory (no `dot` program is run), in a child process
 * that is stopped when it runs too long. Built without Graphviz (meson -Dgraphviz=disabled),
 * tgi_show_render says so and renders nothing. The graph's content (boxes, colours, labels) is
 * export.c's; how big a graph is drawn is size.c's. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* open_memstream, fork, kill, nanosleep, clock_gettime */
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"

#ifdef TG_HAVE_GVC
#include <errno.h>
#include <graphviz/gvc.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif

static tg_status fail(char *err, size_t cap, tg_status code, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}

#ifdef TG_HAVE_GVC

int tgi_show_can_render(void)
{
    return 1;
}

/* What makes dot slow is the size of the graph it lays out after adding virtual nodes
 * (size.c), and two things multiply it:
 * - An edge label is a node to dot: a graph with labelled edges gets twice the columns (a label
 *   sits between two), so twice the virtual nodes on every long edge, and a labelled gradient
 *   edge no longer shares the virtual chain of its forward edge: ~4x the nodes, and the network
 *   simplex that places them grows faster than that. A 30-statement chain
 *   (`y = y*0.9999 + sin(x)`, 117 nodes) takes 15 s with labelled edges and 0.1 s without.
 * - That network simplex iterates until the placement is optimal; with tens of thousands of
 *   virtual nodes that is minutes. nslimit/nslimit1 stop it after a number of iterations
 *   proportional to the nodes, and mclimit shortens the crossing minimisation: a slightly less
 *   tidy picture, in about a second.
 * So the picture is first laid out as drawn best (each gradient edge labelled with its
 * contribution) for at most LABELLED_SECONDS of processor time; if that does not finish, again
 * with the contributions as external labels (xlabel: placed after the layout, dropped where
 * they would overlap a node; every node still shows its gradient), in the time that is left. */
#define LABELLED_MAX_VIRTUAL 600 /* above: not even tried with labelled edges */
#define LABELLED_SECONDS 2.0
#define TIDY_MAX_VIRTUAL 1000 /* above: bounded network simplex and crossing passes */

static void tune_layout(Agraph_t *g, const tgi_show_size *size, int labelled)
{
    if (!labelled) {
        agsafeset(g, "forcelabels", "false", "");
        for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v))
            for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
                char *label = agget(e, "label");
                if (label && label[0]) {
                    agsafeset(e, "xlabel", label, "");
                    agsafeset(e, "label", "", "");
                }
            }
    }
    if (size->n_virtual > TIDY_MAX_VIRTUAL) {
        agsafeset(g, "nslimit", "0.2", "");
        agsafeset(g, "nslimit1", "0.2", "");
        agsafeset(g, "mclimit", "0.2", "");
    }
}

/* A bitmap of a wide graph is large: a 65-statement chain lays out 23,000 x 3,900 points, at
 * Graphviz's 96 dpi a 637 MB image that takes cairo seconds to fill (and cairo stops at 32,767
 * pixels a side). Bitmaps are drawn at a lower resolution so that they have at most
 * MAX_PIXELS pixels and MAX_SIDE a side; SVG is drawn as it is. */
#define MAX_PIXELS 12e6
#define MAX_SIDE 30000.0
#define BITMAP_DPI 96.0

static int is_bitmap(const char *format)
{
    static const char *const bitmaps[] = {"png", "jpg",  "jpeg", "gif", "bmp",
                                          "tif", "tiff", "webp", "ico"};
    for (size_t i = 0; i < sizeof bitmaps / sizeof bitmaps[0]; i++)
        if (strcmp(format, bitmaps[i]) == 0)
            return 1;
    return 0;
}

static void limit_bitmap(Agraph_t *g)
{
    const double w = (GD_bb(g).UR.x - GD_bb(g).LL.x) / 72.0 * BITMAP_DPI,
                 h = (GD_bb(g).UR.y - GD_bb(g).LL.y) / 72.0 * BITMAP_DPI;
    double scale = 1;
    if (w * h > MAX_PIXELS)
        scale = sqrt(MAX_PIXELS / (w * h));
    if (w * scale > MAX_SIDE)
        scale = MAX_SIDE / w;
    if (h * scale > MAX_SIDE)
        scale = MAX_SIDE / h;
    if (scale < 1)
        GD_drawing(g)->dpi = BITMAP_DPI * scale;
}

/* The child: lays out and renders, reports a failure as text on fd, never returns. */
static void render_child(const char *dot, const tgi_show_size *size, int labelled,
                         const char *format, const char *path, int fd)
{
    const char *why = NULL;
    int code = 0;
    agseterr(AGERR); /* warnings (e.g. xlabels left out where they would overlap) are noise */
    GVC_t *gvc = gvContext();
    Agraph_t *g = gvc ? agmemread(dot) : NULL;
    if (!gvc) {
        why = "render: cannot start Graphviz", code = TG_ERR_NOMEM;
    } else if (!g) {
        why = "render: Graphviz rejected the graph", code = TG_ERR_FORMAT;
    } else {
        tune_layout(g, size, labelled);
        if (gvLayout(gvc, g, "dot") != 0) {
            why = "render: Graphviz could not lay out the graph", code = TG_ERR_FORMAT;
        } else {
            if (is_bitmap(format))
                limit_bitmap(g);
            if (gvRenderFilename(gvc, g, format, path) != 0)
                why = "render: Graphviz cannot render this format", code = TG_ERR_FORMAT;
        }
    }
    if (why && write(fd, why, strlen(why)) < 0)
        code = TG_ERR_IO;
    /* _exit: the process ends here; Graphviz's caches go with it, and the parent's atexit
     * handlers (and leak checkers) run once, in the parent. */
    _exit(code);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* How one layout in a child process ended. */
typedef enum { LAYOUT_DONE, LAYOUT_FAILED, LAYOUT_TIMED_OUT, LAYOUT_CRASHED } layout_end;

#define WALL_FACTOR 3 /* a layout that waits this long for the processor is stopped too */

/* Runs render_child for at most `seconds` of processor time; why gets the child's reason of a
 * failure, *code its status (or the signal that ended it). */
static layout_end layout_in_child(const char *dot, const tgi_show_size *size, int labelled,
                                  const char *format, const char *path, double seconds, char *why,
                                  size_t why_cap, int *code)
{
    int fds[2];
    why[0] = '\0';
    *code = TG_ERR_NOMEM;
    if (pipe(fds) != 0) {
        snprintf(why, why_cap, "render: cannot start the layout: %s", strerror(errno));
        return LAYOUT_FAILED;
    }
    fflush(NULL); /* nothing buffered is written twice */
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        /* The bound is on the work: the kernel stops the child after `seconds` of processor
         * time (SIGXCPU), so that a machine shared with other jobs does not turn a layout that
         * takes 2 s into a refusal; the parent's clock stops it at WALL_FACTOR x that. */
        const rlim_t cpu = (rlim_t)ceil(seconds);
        setrlimit(RLIMIT_CPU, &(struct rlimit){cpu, cpu + 1});
        render_child(dot, size, labelled, format, path, fds[1]);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(why, why_cap, "render: cannot start the layout: %s", strerror(errno));
        return LAYOUT_FAILED;
    }
    const double deadline = seconds_now() + seconds * WALL_FACTOR;
    int status = 0, timed_out = 0;
    for (;;) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        if (seconds_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            timed_out = 1;
            break;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    const ssize_t got = read(fds[0], why, why_cap - 1);
    why[got > 0 ? got : 0] = '\0';
    close(fds[0]);
    if (timed_out ||
        (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL)))
        return LAYOUT_TIMED_OUT;
    if (WIFSIGNALED(status)) {
        *code = WTERMSIG(status);
        return LAYOUT_CRASHED;
    }
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : TG_ERR_FORMAT;
    return *code == 0 ? LAYOUT_DONE : LAYOUT_FAILED;
}

tg_status tgi_show_render(const tg_tape *t, tg_var out, const char *format, const char *path,
                          char *err, size_t err_cap)
{
    if (!t || !format || !path)
        return fail(err, err_cap, TG_ERR_ARG, "render: NULL argument");
    tgi_show_size size;
    tg_status s = tgi_show_measure(t, out, &size);
    if (s != TG_OK)
        return fail(err, err_cap, s, "render: %s", tg_strerror(s));
    char option[32];
    snprintf(option, sizeof option, "--%s", format);
    if (!tgi_show_fits(&size, option, err, err_cap))
        return TG_ERR_LIMIT;

    char *dot = NULL;
    size_t dot_len = 0;
    FILE *mem = open_memstream(&dot, &dot_len);
    if (!mem)
        return fail(err, err_cap, TG_ERR_NOMEM, "render: out of memory");
    s = tg_dot_export(t, out, mem);
    if (fclose(mem) != 0 && s == TG_OK)
        s = TG_ERR_NOMEM;
    if (s != TG_OK) {
        free(dot);
        return fail(err, err_cap, s, "render: cannot write the graph: %s", tg_strerror(s));
    }
    /* gvRenderFilename fails alike for an unknown format and for a file it cannot write: tell
     * the two apart here, where the reason can be said. */
    FILE *probe = fopen(path, "wb");
    if (!probe) {
        free(dot);
        return fail(err, err_cap, TG_ERR_IO, "render: cannot write %s", path);
    }
    fclose(probe);

    char why[200];
    int code = 0;
    layout_end end = LAYOUT_TIMED_OUT;
    if (size.n_virtual <= LABELLED_MAX_VIRTUAL)
        end =
            layout_in_child(dot, &size, 1, format, path, LABELLED_SECONDS, why, sizeof why, &code);
    if (end == LAYOUT_TIMED_OUT)
        end = layout_in_child(dot, &size, 0, format, path,
                              TGI_SHOW_LAYOUT_SECONDS -
                                  (size.n_virtual <= LABELLED_MAX_VIRTUAL ? LABELLED_SECONDS : 0),
                              why, sizeof why, &code);
    free(dot);
    if (end == LAYOUT_DONE)
        return TG_OK;
    remove(path);
    switch (end) {
    case LAYOUT_TIMED_OUT:
        return fail(err, err_cap, TG_ERR_LIMIT,
                    "the graph is too large to draw: its layout did not finish in %d s "
                    "(%zu nodes); write the graph with --dot FILE, read the steps with "
                    "--trace, or draw a smaller program",
                    TGI_SHOW_LAYOUT_SECONDS, size.n_nodes);
    case LAYOUT_CRASHED:
        return fail(err, err_cap, TG_ERR_FORMAT,
                    "render: Graphviz crashed laying out the graph (signal %d); --dot FILE "
                    "writes the graph for the dot program instead",
                    code);
    default:
        if (strcmp(why, "render: Graphviz cannot render this format") == 0)
            return fail(err, err_cap, TG_ERR_FORMAT,
                        "render: Graphviz cannot render format '%s' to %s", format, path);
        return fail(err, err_cap, code > 0 && code < 64 ? (tg_status)code : TG_ERR_FORMAT, "%s",
                    why[0] ? why : "render: failed");
    }
}

#else /* built without Graphviz */

int tgi_show_can_render(void)
{
    return 0;
}

tg_status tgi_show_render(const tg_tape *t, tg_var out, const char *format, const char *path,
                          char *err, size_t err_cap)
{
    (void)t, (void)out, (void)format, (void)path;
    return fail(err, err_cap, TG_ERR_ARG,
                "built without Graphviz: --svg and --png need libgvc (install libgraphviz-dev "
                "and configure with meson -Dgraphviz=enabled); --dot FILE works without it");
}

#endif
