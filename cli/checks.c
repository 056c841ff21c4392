/* checks.c: the tapegrad command's --check (every gradient against a central finite difference,
 * core/gradcheck.c) and --expect (a hand-derived formula against the engine and a finite
 * difference): evaluating, comparing and printing their tables. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_print_check(FILE *f, const options *o, const tg_gradcheck_result *res)
{
    int w = 5;
    for (size_t i = 0; i < o->n_inputs; i++)
        if ((int)strlen(o->inputs[i].name) > w)
            w = (int)strlen(o->inputs[i].name);
    fprintf(f, "\ncheck: central finite differences, tol %g\n", o->tol);
    fprintf(f, "%-*s  %20s  %20s  %8s  %8s\n", w, "input", "engine", "finite diff", "abs err",
            "rel err");
    int kinks = 0;
    for (size_t i = 0; i < o->n_inputs; i++) {
        char b1[32], b2[32];
        fprintf(f, "%-*s  %20s  %20s  %8.1e  %8.1e  %s\n", w, o->inputs[i].name,
                cli_fmt_short(res[i].expected, b1, sizeof b1),
                cli_fmt_short(res[i].numeric, b2, sizeof b2), res[i].abs_err, res[i].rel_err,
                res[i].ok     ? "ok"
                : res[i].kink ? "MISMATCH (kink)"
                              : "MISMATCH");
        kinks |= !res[i].ok && res[i].kink;
    }
    if (kinks)
        fprintf(f, "kink: the output is not differentiable there; the engine's value lies between "
                   "the\none-sided slopes, but no central difference confirms it\n");
}

void cli_print_expects(FILE *f, const options *o)
{
    for (size_t i = 0; i < o->n_expects; i++) {
        const expect_arg *e = &o->expects[i];
        char b1[32], b2[32], b3[32];
        fprintf(f, "\nexpect d/d%s = %s\n", e->name, e->formula);
        fprintf(f, "  engine %s   formula %s   finite diff %s   %s\n",
                cli_fmt_short(e->check.expected, b1, sizeof b1),
                cli_fmt_short(e->value, b2, sizeof b2), cli_fmt_short(e->numeric, b3, sizeof b3),
                e->ok ? "ok" : "MISMATCH");
    }
}

/* Do a and b agree within tol (relative to the larger, absolute below 1)? */
static int close_enough(double a, double b, double tol)
{
    return isfinite(a) && isfinite(b) && fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Records each --expect formula on the tape (a parser that knows only the inputs) and reads
 * its value. Exit code 2 for a bad NAME or a formula that does not parse. */
int cli_eval_expects(options *o, tg_tape *t)
{
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        size_t k = 0;
        while (k < o->n_inputs && strcmp(o->inputs[k].name, e->name) != 0)
            k++;
        if (k == o->n_inputs) {
            cli_error("--expect '%s': '%s' is not one of the inputs", e->arg, e->name);
            return EXIT_USAGE;
        }
        e->index = k;
        tg_parser *p = tg_parser_new(t);
        if (!p) {
            cli_error("out of memory");
            return EXIT_USAGE;
        }
        for (size_t j = 0; j < o->n_inputs; j++)
            tg_parser_define(p, o->inputs[j].name, o->inputs[j].v);
        tg_var f;
        const tg_status s = tg_parser_run(p, e->formula, strlen(e->formula), &f);
        if (s != TG_OK) {
            const tg_parse_error *pe = tg_parser_error(p);
            cli_error("--expect %s: %u:%u: %s", e->name, (unsigned)pe->line, (unsigned)pe->column,
                      pe->message);
            cli_show_source(e->formula, strlen(e->formula), pe->line, pe->column);
            tg_parser_free(p);
            return EXIT_USAGE;
        }
        tg_parser_free(p);
        e->value = tg_value(t, f);
    }
    return EXIT_OK;
}
/* Finite differences replay the tape; gradients and (after restoring) values stay. */
int cli_run_checks(options *o, tg_tape *t, tg_var out, tg_gradcheck_result *res)
{
    int all_ok = 1;
    if (o->check)
        for (size_t i = 0; i < o->n_inputs; i++) {
            tg_gradcheck(t, out, o->inputs[i].v, tg_grad(t, o->inputs[i].v), o->tol, &res[i]);
            all_ok &= res[i].ok;
        }
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        const double engine = tg_grad(t, o->inputs[e->index].v);
        tg_gradcheck(t, out, o->inputs[e->index].v, e->value, o->tol, &e->check);
        e->check.expected = engine;
        e->numeric = e->check.numeric;
        e->ok = close_enough(engine, e->value, o->tol) && e->check.ok;
        all_ok &= e->ok;
    }
    return all_ok;
}
