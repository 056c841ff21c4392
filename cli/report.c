/* report.c: the tapegrad command's report of the value and every input's gradient, as text or as
 * one JSON object (with --hessian, --jvp, --check and --expect's results). Computing them is
 * left to tapegrad.c, higher.c and checks.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Shortest "%.Ng" (N = 15..17) that reads back to v: 2.2, not 2.2000000000000002. */
const char *cli_fmt_short(double v, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || prec == 17)
            break;
    }
    return buf;
}

/* Text output: 15 significant digits, so that 650 * 1.1 shows as 715 (--json has all 17). */
const char *cli_fmt_text(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else
        snprintf(buf, size, "%.15g", v);
    return buf;
}

/* JSON: 17 significant digits (reads back to the same double); non-finite as null. */
void cli_json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Text: the Hessian as a matrix with the inputs' names on its rows and columns, and the
 * directional derivative. */
static void print_higher_text(FILE *f, const options *o)
{
    char b[40];
    const size_t n = o->n_inputs;
    if (o->hess) {
        int w = 1, wv = 1;
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(o->inputs[i].name) > w)
                w = (int)strlen(o->inputs[i].name);
        for (size_t k = 0; k < n * n; k++)
            if ((int)strlen(cli_fmt_text(o->hess[k], b, sizeof b)) > wv)
                wv = (int)strlen(b);
        if (wv < w)
            wv = w;
        fprintf(f, "hessian d2/d(row)d(column):\n%*s", w, "");
        for (size_t j = 0; j < n; j++)
            fprintf(f, "  %*s", wv, o->inputs[j].name);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%-*s", w, o->inputs[i].name);
            for (size_t j = 0; j < n; j++)
                fprintf(f, "  %*s", wv, cli_fmt_text(o->hess[i * n + j], b, sizeof b));
            fputc('\n', f);
        }
    }
    if (o->jvp_arg)
        fprintf(f, "jvp = %s\n", cli_fmt_text(o->jvp, b, sizeof b));
}

/* JSON: , "hessian": [[...], ...] and , "jvp": V (17 digits; non-finite as null). */
static void print_higher_json(const options *o)
{
    const size_t n = o->n_inputs;
    if (o->hess) {
        printf(", \"hessian\": [");
        for (size_t i = 0; i < n; i++) {
            printf("%s[", i ? ", " : "");
            for (size_t j = 0; j < n; j++) {
                printf("%s", j ? ", " : "");
                cli_json_number(stdout, o->hess[i * n + j]);
            }
            printf("]");
        }
        printf("]");
    }
    if (o->jvp_arg) {
        printf(", \"jvp\": ");
        cli_json_number(stdout, o->jvp);
    }
}

void cli_print_json(const options *o, const tg_tape *t, tg_var out, const tg_gradcheck_result *res,
                    int check_ok)
{
    printf("{\"value\": ");
    cli_json_number(stdout, tg_value(t, out));
    printf(", \"grad\": {");
    for (size_t i = 0; i < o->n_inputs; i++) {
        printf("%s\"%s\": ", i ? ", " : "", o->inputs[i].name);
        cli_json_number(stdout, tg_grad(t, o->inputs[i].v));
    }
    printf("}");
    if (o->check) {
        check_ok = 1; /* the check's own verdict, whatever --expect says */
        for (size_t i = 0; i < o->n_inputs; i++)
            check_ok &= res[i].ok;
        printf(", \"check\": {\"ok\": %s, \"tol\": ", check_ok ? "true" : "false");
        cli_json_number(stdout, o->tol);
        printf(", \"inputs\": [");
        for (size_t i = 0; i < o->n_inputs; i++) {
            printf("%s{\"name\": \"%s\", \"engine\": ", i ? ", " : "", o->inputs[i].name);
            cli_json_number(stdout, res[i].expected);
            printf(", \"finite_diff\": ");
            cli_json_number(stdout, res[i].numeric);
            printf(", \"abs_err\": ");
            cli_json_number(stdout, res[i].abs_err);
            printf(", \"rel_err\": ");
            cli_json_number(stdout, res[i].rel_err);
            printf(", \"ok\": %s", res[i].ok ? "true" : "false");
            if (res[i].at_kink) { /* the one-sided differences there */
                printf(", \"kink\": {\"left\": ");
                cli_json_number(stdout, res[i].left);
                printf(", \"right\": ");
                cli_json_number(stdout, res[i].right);
                printf("}");
            }
            printf("}");
        }
        printf("]}");
    }
    if (o->n_expects) {
        printf(", \"expect\": [");
        for (size_t i = 0; i < o->n_expects; i++) {
            const expect_arg *e = &o->expects[i];
            printf("%s{\"name\": \"%s\", \"formula\": ", i ? ", " : "", e->name);
            json_string(stdout, e->formula);
            printf(", \"engine\": ");
            cli_json_number(stdout, tg_grad(t, o->inputs[e->index].v));
            printf(", \"formula_value\": ");
            cli_json_number(stdout, e->value);
            printf(", \"finite_diff\": ");
            cli_json_number(stdout, e->numeric);
            printf(", \"ok\": %s, \"points\": [", e->ok ? "true" : "false");
            for (int p = 0; p < CLI_N_POINTS; p++) {
                const expect_point *q = &e->pt[p];
                printf("%s{\"at\": {\"%s\": ", p ? ", " : "", o->inputs[e->index].name);
                cli_json_number(stdout, o->points ? o->points[(size_t)p * o->n_inputs + e->index]
                                                  : o->inputs[e->index].value);
                if (!q->checked) {
                    printf("}, \"skipped\": true}");
                    continue;
                }
                printf("}, \"engine\": ");
                cli_json_number(stdout, q->engine);
                printf(", \"formula_value\": ");
                cli_json_number(stdout, q->formula);
                printf(", \"finite_diff\": ");
                cli_json_number(stdout, q->fd.numeric);
                printf(", \"ok\": %s}", q->ok ? "true" : "false");
            }
            printf("]}");
        }
        printf("]");
    }
    print_higher_json(o);
    printf("}\n");
}

void cli_print_text(FILE *f, const options *o, const tg_tape *t, tg_var out,
                    const tg_gradcheck_result *res, int all_ok)
{
    char b[40];
    /* Before a Markdown trace the report is a code block, not a run-on paragraph. */
    const int markdown = o->trace && o->trace_fmt == TG_TRACE_MARKDOWN;
    if (markdown)
        fputs("```text\n", f);
    fprintf(f, "value = %s\n", cli_fmt_text(tg_value(t, out), b, sizeof b));
    for (size_t i = 0; i < o->n_inputs; i++)
        fprintf(f, "d/d%s = %s\n", o->inputs[i].name,
                cli_fmt_text(tg_grad(t, o->inputs[i].v), b, sizeof b));
    print_higher_text(f, o);
    if (o->check)
        cli_print_check(f, o, res);
    cli_print_expects(f, o);
    if (!all_ok)
        fprintf(f, "\nMISMATCH: see the lines marked above (tol %g)\n", o->tol);
    if (markdown)
        fputs("```\n", f);
}
