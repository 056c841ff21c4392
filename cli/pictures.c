/* pictures.c: what the tapegrad command writes besides its report: --trace (core/trace.c),
 * --dot (core/export.c), --svg, --png and --html (cli/show/). The drawing itself is left to
 * those. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "show.h"
#ifdef TAPEGRAD_HAVE_PLAY
#include "play.h"
#endif

/* Refuses, before any work, the options this build cannot honour. */
int cli_check_available(const options *o)
{
    if ((o->svg || o->png) && !tgi_show_can_render()) {
        cli_error("%s is not available in this build: it was built without Graphviz (libgvc); "
                  "--dot writes the graph for the dot program instead",
                  o->svg ? "--svg" : "--png");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The trace's width: --width, else the terminal's ($COLUMNS, as shells set it), else 80. */
static unsigned trace_width(const options *o)
{
    if (o->width)
        return o->width;
    const char *env = getenv("COLUMNS");
    char *end;
    const long w = env ? strtol(env, &end, 10) : 0;
    return env && *env && !*end && w >= 40 && w <= 10000 ? (unsigned)w : 80;
}

int cli_write_pictures(const options *o, tg_tape *t, tg_var out)
{
    if (o->trace) {
        putchar('\n');
        if (tg_trace_backward_width(t, out, stdout, o->trace_fmt, trace_width(o)) != TG_OK) {
            cli_error("--trace failed: %s", tg_tape_errmsg(t));
            return EXIT_USAGE;
        }
    }
    if (o->dot) {
        FILE *f = strcmp(o->dot, "-") == 0 ? stdout : fopen(o->dot, "w");
        if (!f) {
            cli_error("--dot: cannot write '%s': %s", o->dot, strerror(errno));
            return EXIT_USAGE;
        }
        tg_status s = tg_dot_export(t, out, f);
        if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
            s = TG_ERR_IO;
        if (s != TG_OK) {
            cli_error("--dot: writing '%s' failed", o->dot);
            return EXIT_USAGE;
        }
    }
    const char *formats[2] = {"svg", "png"}, *paths[2] = {o->svg, o->png};
    for (int i = 0; i < 2; i++) {
        char why[256] = "";
        if (paths[i] && tgi_show_render(t, out, formats[i], paths[i], why, sizeof why) != TG_OK) {
            cli_error("--%s: %s", formats[i], why[0] ? why : "rendering failed");
            return EXIT_USAGE;
        }
    }
    if (o->html) {
        FILE *f = cli_to_stdout(o->html) ? stdout : fopen(o->html, "w");
        if (!f) {
            cli_error("--html: cannot write '%s': %s", o->html, strerror(errno));
            return EXIT_USAGE;
        }
#ifdef TAPEGRAD_HAVE_PLAY /* the live page (cli/play), else the stepper (cli/show) */
        const char **args = malloc((o->n_inputs + 1) * sizeof *args);
        for (size_t i = 0; args && i < o->n_inputs; i++)
            args[i] = o->inputs[i].arg;
        tg_status s =
            args && cli_play_write(f, NULL, o->source, o->source_len, o->n_inputs, args) == 0
                ? TG_OK
                : TG_ERR_IO;
        free(args);
#else
        tg_status s = tgi_show_html(t, out, f, NULL);
#endif
        if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
            s = TG_ERR_IO;
        if (s != TG_OK) {
            cli_error("--html: writing '%s' failed", o->html);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}
