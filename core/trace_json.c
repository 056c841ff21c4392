/* trace_json.c: the chain rule as one JSON object {output, nodes, steps}, the data of the HTML
 * stepper (cli/show) and of other programs: every node with its unique label, expression,
 * value and gradient, every step with its rule and numbers. Everything it shows comes from the
 * shared view (trace.c); every number is also there exactly (17 digits, null if not finite). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "trace_int.h"

/* A JSON string that is also safe inside an HTML <script>: <, > and & as \u escapes, so no
 * name can close the script element; invalid UTF-8 bytes become '?'. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = tgi_utf8_len(p);
        if (len == 0) {
            fputc('?', f);
            p++;
        } else if (len > 1) {
            fwrite(p, 1, len, f);
            p += len;
        } else {
            if (*p == '"' || *p == '\\')
                fprintf(f, "\\%c", *p);
            else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' || *p == 0x7F)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
            p++;
        }
    }
    fputc('"', f);
}

/* A number that reads back exactly; JSON has no inf or NaN, so those are null (the _s string
 * beside every number says what it was). */
static void json_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs("null", f);
}

void tgi_trace_json(FILE *f, const tgi_view *v)
{
    const tg_tape *t = v->t;
    enum { CAP = 8192 };
    char n[32], name[512], rule[512], short_label[4 * 26 + 1];
    char *e = malloc(CAP), *txt = malloc(CAP);
    if (!e || !txt) {
        free(e);
        free(txt);
        fputs("{}\n", f);
        return;
    }
    fprintf(f, "{\"output\":%u,\"nodes\":[", (unsigned)v->out);
    int first = 1;
    for (uint32_t i = 0; i < v->n; i++) {
        if (!v->in_cone[i])
            continue;
        const tg_var vi = {i};
        const unsigned op = tgi_code_op(t->code[i]);
        fprintf(f, "%s\n{\"id\":%u,\"label\":", first ? "" : ",", (unsigned)i);
        first = 0;
        json_str(f, tgi_view_label(v, i));
        fputs(",\"kind\":", f);
        json_str(f, op == TG_OP_INPUT ? "input" : op == TG_OP_CONST ? "const" : "op");
        fputs(",\"op\":", f);
        json_str(f, tgi_ops[op].info.id);
        fputs(",\"expr\":", f);
        json_str(f, tgi_view_expr(v, i, e, CAP));
        fputs(",\"value\":", f);
        json_num(f, t->value[i]);
        fprintf(f, ",\"value_s\":\"%s\",\"grad\":", tgi_num(n, t->value[i]));
        json_num(f, t->grad[i]);
        fprintf(f, ",\"grad_s\":\"%s\",\"inputs\":[", tgi_num(n, t->grad[i]));
        const size_t n_in = tg_n_args(t, vi);
        for (size_t k = 0; k < n_in; k++)
            fprintf(f, "%s%u", k ? "," : "", (unsigned)tg_arg(t, vi, k).id);
        fputs("],\"label_short\":", f); /* at most 26 characters, still unique */
        json_str(f, tgi_view_label_fit(v, i, short_label, 26));
        fputs("}", f);
    }
    fputs("],\n\"steps\":[", f);
    for (uint32_t sp = 0; sp < v->n_steps; sp++) {
        const tgi_step *s = &v->steps[sp];
        tgi_step_rule_name(v, s, name, sizeof name);
        fprintf(f, "%s\n{\"at\":%u,\"to\":%u,\"k\":%u,\"rule\":", sp ? "," : "", (unsigned)s->at,
                (unsigned)s->to, (unsigned)s->k);
        json_str(f, name);
        fputs(",\"formula\":", f);
        json_str(f, tgi_step_rule(v, s, rule, sizeof rule));
        fputs(",\"text\":", f);
        json_str(f, tgi_step_text(v, s, txt, CAP));
        fputs(",\"contribution\":", f);
        json_num(f, s->contribution);
        fprintf(f, ",\"contribution_s\":\"%s\"", tgi_num(n, s->contribution));
        fprintf(f, ",\"acc_s\":\"%s\",\"last\":%s}", tgi_num(n, s->acc),
                s->next == TGI_NO_STEP ? "true" : "false");
    }
    fputs("]}\n", f);
    free(e);
    free(txt);
}
