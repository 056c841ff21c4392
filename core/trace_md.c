/* trace_md.c: the chain rule as Markdown tables with LaTeX math (MathJax and KaTeX), to paste
 * into lecture notes: the forward table, every backward step, every node's gradient. Labels,
 * expressions, rules and their LaTeX come from the shared view (trace.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"

/* Plain text in a Markdown table cell: the punctuation that could open emphasis, code, a link,
 * HTML or math, or end the cell, is backslash-escaped (CommonMark allows it for all of them). */
static void md_text(FILE *f, const char *s)
{
    char *buf = malloc(4 * strlen(s) + 4);
    if (!buf)
        return;
    tgi_fit(buf, s, strlen(s)); /* valid UTF-8, no control characters; nothing is cut */
    for (const char *p = buf; *p; p++) {
        if (strchr("\\`*_[]<>|~$&#", *p))
            fputc('\\', f);
        fputc(*p, f);
    }
    free(buf);
}

/* \frac{\partial L}{\partial x}; an expression label goes in parentheses. */
static void tex_dl_d(tgi_buf *b, const tgi_view *v, uint32_t i)
{
    char lab[2048];
    tgi_view_label_latex(v, i, lab, sizeof lab);
    tgi_buf_add(b, "\\frac{\\partial ");
    tgi_buf_add(b, v->ph_out);
    tgi_buf_add(b, "}{\\partial ");
    const int paren = v->label_kind[i] == TGI_LABEL_EXPR;
    tgi_buf_add(b, paren ? "\\left(" : "");
    tgi_buf_add(b, lab);
    tgi_buf_add(b, paren ? "\\right)" : "");
    tgi_buf_add(b, "}");
}

static void tex_factor(tgi_buf *b, double x)
{
    char n[40];
    tgi_num(n, x);
    tgi_buf_add(b, n[0] == '-' ? "(" : "");
    tgi_buf_add(b, n);
    tgi_buf_add(b, n[0] == '-' ? ")" : "");
}

/* The args' values of node i, "100, 2". */
static void arg_values(FILE *f, const tgi_view *v, uint32_t i)
{
    const tg_var vi = {i};
    const size_t n_in = tg_n_args(v->t, vi);
    char n[32];
    for (size_t k = 0; k < n_in; k++) {
        if (k == 12 && n_in > 14) { /* a long sum: the first and the last few */
            fprintf(f, ", ... (%zu values)", n_in);
            k = n_in - 2;
        }
        fprintf(f, "%s%s", k ? ", " : "", tgi_num(n, v->t->value[tg_arg(v->t, vi, k).id]));
    }
}

#define SUM_SHOWN 8

void tgi_trace_markdown(FILE *f, const tgi_view *v)
{
    const tg_tape *t = v->t;
    char n[32];
    enum { CAP = 8192 };
    char *big = malloc(CAP), *e = malloc(CAP), *name = malloc(CAP);
    if (!big || !e || !name) {
        free(big);
        free(e);
        free(name);
        fputs("(out of memory)\n", f);
        return;
    }

    fprintf(f, "#### Forward pass: $%s$", v->ph_out);
    if (strcmp(tgi_view_label(v, v->out), v->ph_out) != 0) {
        fputs(" = ", f);
        md_text(f, tgi_view_label(v, v->out));
    }
    fputs("\n\n| node | operation | inputs | value |\n|:--|:--|:--|--:|\n", f);
    for (uint32_t i = 0; i < v->n; i++) {
        if (!tgi_in_table(v, i))
            continue;
        fputs("| ", f);
        md_text(f, tgi_view_label(v, i));
        fputs(" | ", f);
        md_text(f, tgi_view_expr(v, i, e, CAP));
        fputs(" | ", f);
        arg_values(f, v, i);
        fprintf(f, " | %s |\n", tgi_num(n, t->value[i]));
    }

    fprintf(f,
            "\n#### Backward pass, in reverse tape order\n\n"
            "$%s, %s$ are an operation's inputs, $%s$ its output.\n\n"
            "| at node | local rule | chain rule | numbers | result |\n|:--|:--|:--|:--|--:|\n",
            v->ph_arg[0], v->ph_arg[1], v->ph_y);
    tgi_buf b = tgi_buf_init(big, CAP);
    tex_dl_d(&b, v, v->out);
    fprintf(f, "| | | $%s = 1$ | | 1 |\n", big);
    uint32_t sp = 0;
    for (uint32_t i = v->n; i-- > 0;) {
        if (!v->in_cone[i] || tgi_is_const(t, i))
            continue;
        if (v->n_into[i] > 1) {
            b = tgi_buf_init(big, CAP);
            tex_dl_d(&b, v, i);
            tgi_buf_add(&b, " = ");
            uint32_t j = 0, m = v->n_into[i];
            for (uint32_t s = v->first_into[i]; s != TGI_NO_STEP; s = v->steps[s].next, j++) {
                if (m > SUM_SHOWN && j >= 3 && j < m - 2) {
                    if (j == 3)
                        tgi_buf_add(&b, " + \\dots");
                    continue;
                }
                const double c = v->steps[s].contribution;
                tgi_buf_add(&b, j == 0 ? "" : (c < 0 ? " - " : " + "));
                tgi_buf_add(&b, tgi_num(n, j == 0 ? c : fabs(c)));
            }
            fprintf(f, "| | | $%s$ | | %s |\n", big, tgi_num(n, t->grad[i]));
        }
        for (int first = 1; sp < v->n_steps && v->steps[sp].at == i; sp++, first = 0) {
            const tgi_step *s = &v->steps[sp];
            fputs("| ", f);
            if (first) {
                md_text(f, tgi_view_label(v, i));
                if (v->label_kind[i] != TGI_LABEL_EXPR) {
                    fputs(" = ", f);
                    md_text(f, tgi_view_expr(v, i, e, CAP));
                }
            }
            tgi_step_rule_name_latex(v, s, name, CAP);
            fprintf(f, " | $%s = %s$ | ", name, tgi_step_rule_latex(v, s, e, CAP));
            b = tgi_buf_init(big, CAP);
            tex_dl_d(&b, v, s->to);
            tgi_buf_add(&b, " \\mathrel{+}= ");
            tex_dl_d(&b, v, i);
            tgi_buf_add(&b, " \\cdot ");
            tgi_buf_add(&b, name);
            fprintf(f, "$%s$ | ", big);
            b = tgi_buf_init(big, CAP);
            tex_factor(&b, s->upstream);
            tgi_buf_add(&b, " \\times ");
            tex_factor(&b, s->local);
            fprintf(f, "$%s$ | %s |\n", big, tgi_num(n, s->contribution));
        }
    }

    fprintf(f,
            "\n#### Gradients\n\n| node | $\\partial %s / \\partial \\text{node}$ |\n|:--|--:|\n",
            v->ph_out);
    for (uint32_t i = 0; i < v->n; i++) {
        if (!tgi_in_table(v, i) || tgi_is_const(t, i))
            continue;
        fputs("| ", f);
        md_text(f, tgi_view_label(v, i));
        fprintf(f, " | %s |\n", tgi_num(n, t->grad[i]));
    }
    free(big);
    free(e);
    free(name);
}
