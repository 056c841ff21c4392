/* export.c: the graph of one output as Graphviz DOT (tg_dot_export): one box per node with its
 * label, operation, value and gradient; forward edges green, gradient flow red and dashed,
 * labelled with each contribution. Labels and contributions come from the shared view
 * (trace.c). Rendering the DOT to SVG or PNG is the tapegrad command's job (cli/show). */
#include <string.h>

#include "ops_int.h"
#include "trace_int.h"

#define FORWARD_COLOR "#2e7d32"  /* green, as the seed pictures draw the forward pass */
#define BACKWARD_COLOR "#c62828" /* red, the gradient flowing back */

/* Text inside a Graphviz HTML-like label: &, <, >, " as entities (the only characters with a
 * meaning there); tgi_fit has already made it valid UTF-8 without control characters. */
static void html_text(FILE *f, const char *s, size_t width)
{
    char buf[4 * 60 + 1];
    tgi_fit(buf, s, width);
    if (!buf[0])
        fputs("&#160;", f); /* Graphviz rejects an empty <b></b> */
    tg_html_escape(f, buf);
}

void tg_html_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, f);
        }
    }
}

tg_status tg_dot_export(const tg_tape *t, tg_var out, FILE *f)
{
    if (!t || !f)
        return TG_ERR_ARG;
    tgi_view v;
    tg_status st = tgi_view_init(&v, t, out, 0);
    if (st != TG_OK)
        return st;
    char e[256], n[32];

    fputs("digraph tapegrad {\n"
          "  rankdir=LR;\n  fontname=\"Helvetica\";\n  fontsize=11;\n"
          "  node [shape=plaintext, fontname=\"Helvetica\", fontsize=11];\n"
          "  edge [fontname=\"Helvetica\", fontsize=10];\n",
          f);
    fputs("  labelloc=b;\n  label=<<font color=\"" FORWARD_COLOR "\">green: forward "
          "(values)</font>     <font color=\"" BACKWARD_COLOR "\">red, dashed: backward "
          "(dL/d node, each edge labelled with its contribution)</font>>;\n",
          f);
    for (uint32_t i = 0; i < v.n; i++) {
        if (!v.in_cone[i])
            continue;
        const unsigned op = tgi_code_op(t->code[i]);
        if (op == TG_OP_CONST) {
            fprintf(f,
                    "  n%u [shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", "
                    "color=\"#9e9e9e\", label=<",
                    (unsigned)i);
            html_text(f, tgi_view_label(&v, i), 30);
            fputs(">];\n", f);
            continue;
        }
        const char *fill = op == TG_OP_INPUT ? "#e3f2fd" : (i == v.out ? "#fff3e0" : "#f5f5f5");
        fprintf(f,
                "  n%u [label=<<table border=\"%d\" cellborder=\"1\" cellspacing=\"0\" "
                "cellpadding=\"4\"><tr><td bgcolor=\"%s\"><b>",
                (unsigned)i, i == v.out ? 2 : 0, fill);
        char fit[4 * 40 + 1];
        html_text(f, tgi_view_label_fit(&v, i, fit, 40), 40); /* cut, it stays unique */
        fputs("</b></td></tr><tr><td>", f);
        html_text(f, tgi_view_expr(&v, i, e, sizeof e), 40);
        fprintf(f, "</td></tr><tr><td>value %s</td></tr>", tgi_num(n, t->value[i]));
        fprintf(f,
                "<tr><td><font color=\"" BACKWARD_COLOR "\">grad %s</font></td></tr>"
                "</table>>];\n",
                tgi_num(n, t->grad[i]));
    }
    /* Forward edges: input -> consumer. */
    for (uint32_t i = 0; i < v.n; i++) {
        if (!v.in_cone[i])
            continue;
        const tg_var vi = {i};
        const size_t n_in = tg_n_args(t, vi);
        for (size_t k = 0; k < n_in; k++)
            fprintf(f, "  n%u -> n%u [color=\"" FORWARD_COLOR "\"];\n",
                    (unsigned)tg_arg(t, vi, k).id, (unsigned)i);
    }
    /* Gradient flow: drawn from consumer back to input (dir=back keeps the layout of the
     * forward edge), labelled with the contribution dL/d(at) * d(at)/d(to). */
    for (uint32_t s = 0; s < v.n_steps; s++) {
        const tgi_step *sp = &v.steps[s];
        fprintf(f,
                "  n%u -> n%u [dir=back, color=\"" BACKWARD_COLOR "\", style=dashed, "
                "fontcolor=\"" BACKWARD_COLOR "\", label=\"%s\"];\n",
                (unsigned)sp->to, (unsigned)sp->at, tgi_num(n, sp->contribution));
    }
    fputs("}\n", f);
    tgi_view_clear(&v);
    if (fflush(f) != 0 || ferror(f))
        return TG_ERR_IO;
    return TG_OK;
}
