/* html.c: `tapegrad --html FILE`: one self-contained page that steps through the backward pass.
 * The page (page.html, embedded as page_html.h) lays the graph out and animates the steps in
 * its own script; this file only fills in the title and the JSON of tg_trace_backward. The
 * numbers are the library's. Uses only the public headers. */
#include <string.h>

#include "page_html.h"
#include "show.h"

tg_status tgi_show_html(tg_tape *t, tg_var out, FILE *f, const char *title)
{
    if (!t || !f)
        return TG_ERR_ARG;
    tgi_show_size size;
    tg_status measured = tgi_show_measure(t, out, &size);
    if (measured != TG_OK)
        return measured;
    if (!tgi_show_fits(&size, "--html", NULL, 0))
        return TG_ERR_LIMIT;
    /* The output's name, else its expression as the program wrote it ("x*y + sin(x)", cut to
     * a tab's width), else plain words: never an internal node id. */
    char fallback[72];
    tg_origin origin;
    if (!title)
        title = tg_name(t, out);
    if (!title && tg_get_origin(t, out, &origin) && origin.text && origin.text[0]) {
        const size_t n = strlen(origin.text), keep = sizeof fallback - 4;
        if (n < sizeof fallback)
            snprintf(fallback, sizeof fallback, "%s", origin.text);
        else /* the language's text is ASCII outside comments: any cut is a character's */
            snprintf(fallback, sizeof fallback, "%.*s\xe2\x80\xa6", (int)keep, origin.text);
        title = fallback;
    }
    if (!title)
        title = "the output";
    for (size_t i = 0; page_html[i]; i++) {
        const char *line = page_html[i];
        if (strcmp(line, "@DATA@\n") == 0) {
            /* The JSON escapes <, > and &, so it cannot end the <script> element early. */
            tg_status s = tg_trace_backward(t, out, f, TG_TRACE_JSON);
            if (s != TG_OK)
                return s;
            continue;
        }
        for (const char *m; (m = strstr(line, "@TITLE@")) != NULL; line = m + 7) {
            fwrite(line, 1, (size_t)(m - line), f);
            tg_html_escape(f, title);
        }
        fputs(line, f);
    }
    if (fflush(f) != 0 || ferror(f))
        return TG_ERR_IO;
    return TG_OK;
}
