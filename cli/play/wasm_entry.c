/* wasm_entry.c: the entry points of tapegrad.wasm, the engine of the live page (cli/play/).
 * Built only for wasm32-wasi (reactor model: the page calls these functions as often as it
 * likes). tgw_command runs the tapegrad command itself (its main, compiled with
 * -Dmain=tapegrad_main) so that the page's numbers, --check/--expect tables and error messages
 * are the command's, byte for byte; tgw_trace writes the trace's JSON for the page's graph and
 * step-through. Output goes to fd 1 and 2, which the page's small WASI shim collects.
 * Uses only the public headers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"
#include "tapegrad.h"

int tapegrad_main(int argc, char **argv);

/* The largest tape whose trace the page draws and steps through (the command's pictures stop
 * at a few hundred nodes too): past it the page keeps the value and gradients only. */
#define TGW_MAX_DRAWN 5000u

/* The page draws its own pictures: the command's --svg, --png and --html (cli/show) are not
 * built in, and say so if asked. */
int tgi_show_can_render(void)
{
    return 0;
}

tg_status tgi_show_render(const tg_tape *t, tg_var out, const char *format, const char *path,
                          char *err, size_t err_cap)
{
    (void)t, (void)out, (void)format, (void)path;
    if (err_cap)
        snprintf(err, err_cap, "not available in the page's engine");
    return TG_ERR_ARG;
}

tg_status tgi_show_html(tg_tape *t, tg_var out, FILE *f, const char *title)
{
    (void)t, (void)out, (void)f, (void)title;
    return TG_ERR_ARG;
}

/* The command's check that the pictures asked for are not too large (cli/show/size.c, issue
 * 13p): in the page none is ever asked for. Declared here too, as show.h has it there, so that
 * this file builds before and after that lands. */
tg_status tgi_show_check(const tg_tape *t, tg_var out, const char *svg, const char *png,
                         const char *html, char *err, size_t err_cap);
tg_status tgi_show_check(const tg_tape *t, tg_var out, const char *svg, const char *png,
                         const char *html, char *err, size_t err_cap)
{
    (void)t, (void)out;
    if (!svg && !png && !html)
        return TG_OK;
    if (err_cap)
        snprintf(err, err_cap, "%s: not available in the page's engine",
                 svg   ? "--svg"
                 : png ? "--png"
                       : "--html");
    return TG_ERR_LIMIT;
}

/* Buffers the page fills with UTF-8 text (owned by the caller, released with tgw_free). */
__attribute__((export_name("tgw_alloc"))) void *tgw_alloc(size_t n)
{
    return malloc(n ? n : 1);
}

__attribute__((export_name("tgw_free"))) void tgw_free(void *p)
{
    free(p);
}

/* The command with argv[0..argc-1] (argv[0] is "tapegrad"); returns its exit code. Standard
 * output and error are flushed before returning, so the shim has all of both. */
/* A large buffer for standard output: the trace of a 300-node program is some 100 KB, which
 * musl's default buffer would hand to the page's shim in a few hundred pieces. */
static void buffer_stdout(void)
{
    static int done;
    if (!done)
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    done = 1;
}

__attribute__((export_name("tgw_command"))) int tgw_command(int argc, char **argv)
{
    buffer_stdout();
    const int rc = tapegrad_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    return rc;
}

/* Records program (NUL-terminated) with the n_inputs inputs "NAME=VALUE" in order on t through
 * p, on a tape limited so that a program too large to draw stops recording early. TG_ERR_ARG
 * for an input without '='. */
static tg_status record_program(tg_tape *t, tg_parser *p, const char *program, int n_inputs,
                                char **inputs, tg_var *out)
{
    tg_status s = p ? tg_tape_set_capacity(t, TGW_MAX_DRAWN + (size_t)n_inputs) : TG_ERR_NOMEM;
    for (int i = 0; s == TG_OK && i < n_inputs; i++) {
        char *eq = strchr(inputs[i], '=');
        if (!eq)
            return TG_ERR_ARG;
        *eq = 0; /* the name, then the value as the command reads it (strtod) */
        s = tg_parser_define(p, inputs[i], tg_input(t, strtod(eq + 1, NULL)));
        *eq = '=';
    }
    return s == TG_OK ? tg_parser_run(p, program, strlen(program), out) : s;
}

/* {"trace": T, "local": {"ID": [d0, d1, ...], ...}} on standard output: T is the trace's JSON
 * (tg_trace_backward, TG_TRACE_JSON) of program (NUL-terminated) with the n_inputs inputs
 * "NAME=VALUE" in order, and "local" has, for every operation the output depends on, the local
 * derivative d(node)/d(arg k) of each arg k (tg_local_grad; null where not finite), which the
 * page's practice mode checks a student's answers against. Call it after tgw_command has
 * accepted the same program and inputs: this function reports failures only by its return
 * value (a tg_status; TG_ERR_ARG for an input without '=', TG_ERR_LIMIT for a tape of
 * TGW_MAX_DRAWN nodes or more), not with the command's messages. */
__attribute__((export_name("tgw_trace"))) int tgw_trace(const char *program, int n_inputs,
                                                        char **inputs)
{
    buffer_stdout();
    tg_tape *t = tg_tape_new();
    tg_parser *p = t ? tg_parser_new(t) : NULL;
    tg_var out;
    tg_status s = record_program(t, p, program, n_inputs, inputs, &out);
    if (s == TG_OK && out.id >= TGW_MAX_DRAWN)
        s = TG_ERR_LIMIT; /* the page shows the value and gradients, not a picture */
    if (s == TG_OK) {
        fputs("{\"trace\": ", stdout);
        s = tg_trace_backward(t, out, stdout, TG_TRACE_JSON);
    }
    if (s == TG_OK) {
        fputs(", \"local\": {", stdout);
        for (uint32_t i = 0, first = 1; i <= out.id; i++) {
            const tg_var v = {i};
            const size_t n = tg_n_args(t, v);
            if (n == 0)
                continue;
            printf("%s\"%u\": [", first ? "" : ", ", (unsigned)i);
            first = 0;
            for (size_t k = 0; k < n; k++) {
                const double d = tg_local_grad(t, v, k);
                fputs(k ? ", " : "", stdout);
                if (isfinite(d))
                    printf("%.17g", d);
                else
                    fputs("null", stdout);
            }
            putchar(']');
        }
        fputs("}}\n", stdout);
    }
    fflush(stdout);
    tg_parser_free(p);
    tg_tape_free(t);
    return (int)s;
}

/* A number as the trace shows it: 6 significant digits, -0 as 0, NaN as "nan". */
static void put_short(double x)
{
    if (isnan(x))
        fputs("\"nan\"", stdout);
    else
        printf("\"%.6g\"", x == 0.0 ? 0.0 : x);
}

static void put_exact(double x)
{
    if (isfinite(x))
        printf("%.17g", x);
    else
        fputs("null", stdout);
}

/* The numbers of the trace without the trace, for a program whose graph the page already has
 * (an input moved): {"v": [value, value_s], "g": [grad, grad_s]} per node 0..output, and per
 * operation "s": [[contribution, contribution_s, acc_s, local] per arg] for the backward sweep
 * taken in the trace's order (reverse tape order, args in order), acc_s being the arg's
 * gradient summed so far and local its local derivative. Arguments and failures as tgw_trace. */
__attribute__((export_name("tgw_numbers"))) int tgw_numbers(const char *program, int n_inputs,
                                                            char **inputs)
{
    buffer_stdout();
    tg_tape *t = tg_tape_new();
    tg_parser *p = t ? tg_parser_new(t) : NULL;
    tg_var out;
    tg_status s = record_program(t, p, program, n_inputs, inputs, &out);
    if (s == TG_OK)
        s = tg_backward(t, out);
    double *acc = s == TG_OK ? calloc((size_t)out.id + 1, sizeof *acc) : NULL;
    if (s == TG_OK && !acc)
        s = TG_ERR_NOMEM;
    if (s == TG_OK) {
        acc[out.id] = 1.0;
        fputs("{\"n\": [", stdout);
        for (uint32_t i = 0; i <= out.id; i++) {
            const tg_var v = {i};
            fputs(i ? ", [" : "[", stdout);
            put_exact(tg_value(t, v));
            fputs(", ", stdout);
            put_short(tg_value(t, v));
            fputs(", ", stdout);
            put_exact(tg_grad(t, v));
            fputs(", ", stdout);
            put_short(tg_grad(t, v));
            putchar(']');
        }
        fputs("], \"s\": {", stdout);
        for (uint32_t i = out.id + 1, first = 1; i-- > 0;) {
            const tg_var v = {i};
            const size_t n = tg_n_args(t, v);
            if (n == 0)
                continue;
            printf("%s\"%u\": [", first ? "" : ", ", (unsigned)i);
            first = 0;
            for (size_t k = 0; k < n; k++) {
                const double c = tg_backward_step(t, v, k, tg_grad(t, v));
                const uint32_t to = tg_arg(t, v, k).id;
                acc[to] += c;
                fputs(k ? ", [" : "[", stdout);
                put_exact(c);
                fputs(", ", stdout);
                put_short(c);
                fputs(", ", stdout);
                put_short(acc[to]);
                fputs(", ", stdout);
                put_exact(tg_local_grad(t, v, k));
                putchar(']');
            }
            putchar(']');
        }
        fputs("}}\n", stdout);
    }
    fflush(stdout);
    free(acc);
    tg_parser_free(p);
    tg_tape_free(t);
    return (int)s;
}
