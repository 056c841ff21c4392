/* tapegrad.c: the `tapegrad` command. Reads a program of the expression language and its
 * inputs (NAME=VALUE), records it on a tape (lang/parse.c), runs backward, and hands the report,
 * the checks and the pictures to the other files of cli/ (cli.h says which does what). The
 * contract is the interface spec (README.md, --help). */
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

/* Reads all of f into a malloc'ed buffer. NULL (errno set) on failure. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            const int e = errno ? errno : EIO;
            free(buf);
            errno = e;
            return NULL;
        }
        if (n < cap)
            break;
        char *grown = cap < SIZE_MAX / 2 ? realloc(buf, cap *= 2) : NULL;
        if (!grown) {
            free(buf);
            errno = ENOMEM;
            return NULL;
        }
        buf = grown;
    }
    if (buf)
        buf[n] = '\0'; /* n < cap here: the text is also a C string (tg_emit's source lines) */
    *len = n;
    return buf;
}

/* Records the program, refuses non-finite results (diagnose.c), then hands over to the report,
 * the checks and the pictures. */
static int run(options *o, tg_tape *t, tg_parser *p, const char *src, size_t len, const char *label)
{
    o->source = src;
    o->source_len = len;
    /* --max-nodes counts every node, the inputs too (but never refuses the inputs themselves) */
    tg_tape_set_capacity(t, o->max_nodes > o->n_inputs ? o->max_nodes : o->n_inputs + 1);
    for (size_t i = 0; i < o->n_inputs; i++) {
        o->inputs[i].v = tg_input(t, o->inputs[i].value);
        if (tg_parser_define(p, o->inputs[i].name, o->inputs[i].v) != TG_OK) {
            cli_error("input '%s': %s", o->inputs[i].arg, tg_parser_error(p)->message);
            return EXIT_USAGE;
        }
    }
    tg_var out;
    if (tg_parser_run(p, src, len, &out) != TG_OK) {
        const tg_parse_error *pe = tg_parser_error(p);
        cli_error("%s%s%u:%u: %s", label ? label : "", label ? ":" : "", (unsigned)pe->line,
                  (unsigned)pe->column, pe->message);
        cli_show_source(src, len, pe->line, pe->column);
        if (tg_tape_status(t) == TG_ERR_CAPACITY)
            fprintf(stderr, "(--max-nodes N changes the limit, %zu nodes by default)\n",
                    (size_t)DEFAULT_MAX_NODES);
        return EXIT_USAGE;
    }

    unsigned char *cone = calloc((size_t)out.id + 1, 1);
    if (!cone) {
        cli_error("out of memory");
        return EXIT_USAGE;
    }
    /* what out's value depends on: not a branch a where did not take (cli spec, Errors) */
    tg_cone(t, out, TG_CONE_TAKEN, cone);
    if (cli_report_nonfinite_value(t, out, cone, src, len)) {
        free(cone);
        return EXIT_USAGE;
    }
    if (tg_backward(t, out) != TG_OK) {
        free(cone);
        cli_error("backward failed: %s", tg_tape_errmsg(t));
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < o->n_inputs; i++)
        if (!isfinite(tg_grad(t, o->inputs[i].v))) {
            cli_report_nonfinite_grad(t, out, cone, o, src, len);
            free(cone);
            return EXIT_USAGE;
        }
    free(cone);
    if (o->emit)
        return cli_emit(o, t, out, src);
    /* A picture too large to draw is refused before anything is printed or written. */
    char too_large[512];
    if (tgi_show_check(t, out, o->svg, o->png, o->html, too_large, sizeof too_large) != TG_OK) {
        cli_error("%s", too_large);
        return EXIT_USAGE;
    }

    int rc = cli_eval_expects(o, t, p);
    if (rc == EXIT_OK)
        rc = cli_compute_higher(o, t, out);
    if (rc != EXIT_OK)
        return rc;

    tg_gradcheck_result *res = calloc(o->n_inputs + 1, sizeof *res);
    if (!res) {
        cli_error("out of memory");
        return EXIT_USAGE;
    }
    const int all_ok = cli_run_checks(o, t, out, res);

    if (o->json) {
        cli_print_json(o, t, out, res, all_ok);
    } else {
        /* A picture written to standard output keeps it to itself: the report goes to stderr. */
        cli_print_text(cli_to_stdout(o->dot) || cli_to_stdout(o->html) ? stderr : stdout, o, t, out,
                       res, all_ok);
    }
    free(res);
    if (fflush(stdout) != 0) {
        cli_error("writing standard output failed: %s", strerror(errno));
        return EXIT_USAGE;
    }

    rc = cli_write_pictures(o, t, out);
    if (rc != EXIT_OK)
        return rc;
    return all_ok ? EXIT_OK : EXIT_MISMATCH;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "--playground", 12) == 0 && (!argv[i][12] || argv[i][12] == '=')) {
#ifdef TAPEGRAD_HAVE_PLAY
            return cli_play_main(argc, argv); /* the live page with an example (cli/play) */
#else
            cli_error("--playground is not available in this build (built without the "
                      "WebAssembly toolchain: clang, lld, wasi-libc)");
            return EXIT_USAGE;
#endif
        }
    options o = {0};
    int rc = cli_parse_args(argc, argv, &o);
    if (rc == EXIT_OK)
        rc = cli_check_available(&o);
    if (rc != EXIT_OK) {
        cli_options_free(&o);
        return rc < 0 ? EXIT_OK : rc;
    }

    char *text = NULL;
    size_t len = 0;
    const char *label = NULL;
    if (o.file) {
        FILE *f = strcmp(o.file, "-") == 0 ? stdin : fopen(o.file, "rb");
        if (f)
            text = read_all(f, &len);
        if (!f || !text) {
            cli_error("cannot read '%s': %s", o.file, strerror(errno));
            if (f && f != stdin)
                fclose(f);
            cli_options_free(&o);
            return EXIT_USAGE;
        }
        if (f != stdin)
            fclose(f);
        label = strcmp(o.file, "-") == 0 ? "<stdin>" : o.file;
    }
    tg_tape *t = tg_tape_new();
    tg_parser *p = t ? tg_parser_new(t) : NULL;
    if (!p) {
        cli_error("out of memory");
        rc = EXIT_USAGE;
    } else {
        rc = run(&o, t, p, text ? text : o.program, text ? len : strlen(o.program), label);
    }
    tg_parser_free(p);
    tg_tape_free(t);
    free(text);
    cli_options_free(&o);
    return rc;
}
