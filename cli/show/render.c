/* render.c: `tapegrad --svg/--png FILE`: the DOT of tg_dot_export laid out by Graphviz's dot
 * engine and rendered through libgvc, in memory (no `dot` program is run). Built without
 * Graphviz (meson -Dgraphviz=disabled), tgi_show_render says so and renders nothing.
 * The graph's content (boxes, colours, labels) is export.c's. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#endif
#include <stdarg.h>
#include <stdlib.h>

#include "show.h"

#ifdef TG_HAVE_GVC
#include <graphviz/gvc.h>
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

tg_status tgi_show_render(const tg_tape *t, tg_var out, const char *format, const char *path,
                          char *err, size_t err_cap)
{
    if (!t || !format || !path)
        return fail(err, err_cap, TG_ERR_ARG, "render: NULL argument");
    char *dot = NULL;
    size_t dot_len = 0;
    FILE *mem = open_memstream(&dot, &dot_len);
    if (!mem)
        return fail(err, err_cap, TG_ERR_NOMEM, "render: out of memory");
    tg_status s = tg_dot_export(t, out, mem);
    if (fclose(mem) != 0 && s == TG_OK)
        s = TG_ERR_NOMEM;
    if (s != TG_OK) {
        free(dot);
        return fail(err, err_cap, s, "render: cannot write the graph: %s", tg_strerror(s));
    }
    /* One Graphviz context for the whole process, never freed: with Graphviz 2.43 (Debian 12)
     * a second context renders after the first was freed reads a font name that the pango
     * plugin cached and gvFreeContext freed (AddressSanitizer: heap-use-after-free in
     * textspan_size). Graphviz reports its own errors on stderr too. */
    static GVC_t *gvc;
    if (!gvc)
        gvc = gvContext();
    if (!gvc) {
        free(dot);
        return fail(err, err_cap, TG_ERR_NOMEM, "render: cannot start Graphviz");
    }
    Agraph_t *g = agmemread(dot);
    free(dot);
    if (!g)
        return fail(err, err_cap, TG_ERR_FORMAT, "render: Graphviz rejected the graph");
    s = TG_OK;
    if (gvLayout(gvc, g, "dot") != 0) {
        s = fail(err, err_cap, TG_ERR_FORMAT, "render: Graphviz could not lay out the graph");
    } else {
        /* gvRenderFilename fails for an unknown format and for a file it cannot write: tell
         * the two apart by whether the format exists. */
        FILE *probe = fopen(path, "wb");
        if (!probe)
            s = fail(err, err_cap, TG_ERR_IO, "render: cannot write %s", path);
        else
            fclose(probe);
        if (s == TG_OK && gvRenderFilename(gvc, g, format, path) != 0)
            s = fail(err, err_cap, TG_ERR_FORMAT,
                     "render: Graphviz cannot render format '%s' to %s", format, path);
        gvFreeLayout(gvc, g);
    }
    agclose(g);
    return s;
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
