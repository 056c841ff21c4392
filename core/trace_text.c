/* trace_text.c: the chain rule as plain text for a terminal of the view's width: the forward
 * table, every backward step as upstream * local = contribution with the sums at fan-out, and
 * every node's gradient. Lines that do not fit are folded, never cut. Labels, expressions and
 * rules come from the shared view (trace.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"

/* ---- Lines that fit ----------------------------------------------------------------------- */

/* Where the first `room` characters of p are best cut: between two rules (",  "), else after
 * the last space, else after the last operator or comma (a long expression without spaces),
 * else after `room` characters (a single name longer than a line). Returns a byte count; the
 * whole of p if it fits. */
static size_t fold_at(const char *p, size_t room)
{
    size_t chars = 0, at_sep = 0, at_space = 0, at_op = 0;
    const char *q = p;
    for (; *q; q++) {
        const int starts_char = ((unsigned char)*q & 0xC0) != 0x80;
        if (starts_char && chars == room)
            break;
        chars += starts_char;
        if (q[0] == ',' && q[1] == ' ' && q[2] == ' ')
            at_sep = (size_t)(q - p) + 1; /* between two rules: the best place */
        if (*q == ' ' && q > p)
            at_space = (size_t)(q - p);
        else if (strchr("*/^,(+", *q) && q > p)
            at_op = (size_t)(q - p) + 1;
    }
    if (!*q)
        return (size_t)(q - p);
    return at_sep ? at_sep : at_space ? at_space : at_op ? at_op : (size_t)(q - p);
}

/* Writes line to f, folded to the view's width; continuation lines are indented by `indent`
 * spaces. Nothing is cut. */
static void emit(FILE *f, const tgi_view *v, const char *line, size_t indent)
{
    const char *p = line;
    for (int first = 1; *p; first = 0) {
        const size_t room = first ? v->width : v->width - indent;
        if (!first)
            fprintf(f, "%*s", (int)indent, "");
        const size_t cut = fold_at(p, room);
        fwrite(p, 1, cut, f);
        fputc('\n', f);
        p += cut;
        while (*p == ' ')
            p++;
    }
    if (!*line)
        fputc('\n', f);
}

/* A line being built, by characters (for columns) and bytes. */
typedef struct line {
    char *p;
    size_t len, cap, col;
} line;

static int line_add(line *l, const char *s, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 256;
        while (cap < l->len + n + 1)
            cap *= 2;
        char *p = realloc(l->p, cap);
        if (!p)
            return 0;
        l->p = p;
        l->cap = cap;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    l->p[l->len] = '\0';
    for (size_t k = 0; k < n; k++)
        l->col += ((unsigned char)s[k] & 0xC0) != 0x80;
    return 1;
}

static void line_str(line *l, const char *s)
{
    line_add(l, s, strlen(s));
}

static void line_pad(line *l, size_t to)
{
    while (l->col < to)
        line_add(l, " ", 1);
}

/* Ends the current line (written to f) and starts the next at column 0. */
static void line_flush(FILE *f, line *l)
{
    fprintf(f, "%s\n", l->len ? l->p : "");
    l->len = l->col = 0;
    if (l->p)
        l->p[0] = '\0';
}

/* A cell starting at column `at`: if the line is already past it, the row goes on below. */
static void line_cell(FILE *f, line *l, size_t at, const char *s)
{
    if (l->col > at || (l->col == at && at > 0 && l->len && l->p[l->len - 1] != ' '))
        line_flush(f, l);
    line_pad(l, at);
    line_str(l, s);
}

/* ---- Pieces of formulas ------------------------------------------------------------------- */

/* The args' values of node i, "100, 2". */
static const char *arg_values(const tgi_view *v, uint32_t i, char *buf, size_t cap)
{
    const tg_var vi = {i};
    const size_t n_in = tg_n_args(v->t, vi);
    char n[32];
    tgi_buf b = tgi_buf_init(buf, cap);
    for (size_t k = 0; k < n_in && !b.cut; k++) {
        tgi_buf_add(&b, k ? ", " : "");
        tgi_buf_add(&b, tgi_num(n, v->t->value[tg_arg(v->t, vi, k).id]));
    }
    return buf;
}

/* The terms of a sum: all of them when there are few, else the first three and the last two. */
#define SUM_SHOWN 8

/* "dL/dx = 2.2 + 1.1 = 3.3". */
static void text_sum(FILE *f, const tgi_view *v, uint32_t i, tgi_buf *b)
{
    char d[512], n[40];
    *b = tgi_buf_init(b->p, b->cap);
    tgi_buf_add(b, tgi_dl_d(d, sizeof d, v, tgi_view_label(v, i)));
    tgi_buf_add(b, " =");
    uint32_t j = 0;
    const uint32_t m = v->n_into[i];
    for (uint32_t s = v->first_into[i]; s != TGI_NO_STEP; s = v->steps[s].next, j++) {
        if (m > SUM_SHOWN && j >= 3 && j < m - 2) {
            if (j == 3)
                tgi_buf_add(b, " + ...");
            continue;
        }
        const double c = v->steps[s].contribution;
        tgi_buf_add(b, j == 0 ? " " : (c < 0 ? " - " : " + "));
        tgi_buf_add(b, tgi_num(n, j == 0 ? c : fabs(c)));
    }
    if (m > SUM_SHOWN) {
        snprintf(n, sizeof n, " (%u terms)", (unsigned)m);
        tgi_buf_add(b, n);
    }
    tgi_buf_add(b, " = ");
    tgi_buf_add(b, tgi_num(n, v->t->grad[i]));
    emit(f, v, b->p, 3);
}

/* The local rules of node i, each kind once: "d(a*b)/da = b,  d(a*b)/db = a", or for the n-ary
 * ops the general slot, "d(sum)/dx_k = 1". */
static void rules_of(const tgi_view *v, uint32_t i, tgi_buf *b)
{
    const tg_tape *t = v->t;
    const unsigned op = tgi_code_op(t->code[i]);
    const size_t n_in = tg_n_args(t, (tg_var){i});
    const int nary = op == TG_OP_SUM || op == TG_OP_DOT;
    size_t n_kinds = n_in < 3 ? n_in : 3;
    if (nary)
        n_kinds = n_in == 0 ? 0 : (op == TG_OP_DOT ? 2 : 1);
    for (size_t s = 0; s < n_kinds; s++) {
        tgi_step st = {.at = i, .k = (uint32_t)s};
        if (nary && s == 1)
            st.k = (uint32_t)(n_in / 2);
        if (!nary && tgi_is_const(t, tg_arg(t, (tg_var){i}, s).id))
            continue; /* x^2, x*3: a constant gets no gradient, its rule is not needed */
        char name[256], rule[256];
        tgi_step_rule_name(v, &st, name, sizeof name);
        char *us = strrchr(name, '_');
        if (us && nary)
            strcpy(us + 1, op == TG_OP_DOT ? "j" : "k");
        tgi_buf_add(b, b->len ? ",  " : "");
        tgi_buf_add(b, name);
        tgi_buf_add(b, " = ");
        tgi_buf_add(b, tgi_step_rule(v, &st, rule, sizeof rule));
    }
}

/* ---- The trace ---------------------------------------------------------------------------- */

static void forward_table(FILE *f, const tgi_view *v, char *e, size_t e_cap)
{
    const tg_tape *t = v->t;
    char ins[128], n[32];
    /* Column widths from what they hold; the inputs column (each arg's value is also on its
     * own row) is the one that gives way, then the node and operation columns share the rest,
     * and a cell longer than its column pushes the rest of its row onto the next line. */
    size_t w_node = 4, w_op = 9, w_in = 6, w_val = 5;
    for (uint32_t i = 0; i < v->n; i++) {
        if (!tgi_in_table(v, i))
            continue;
        size_t k = tgi_n_chars(tgi_view_label(v, i));
        w_node = k > w_node ? k : w_node;
        k = tgi_n_chars(tgi_view_expr(v, i, e, e_cap));
        w_op = k > w_op ? k : w_op;
        k = tgi_n_chars(arg_values(v, i, ins, sizeof ins));
        w_in = k > w_in ? k : w_in;
        k = strlen(tgi_num(n, t->value[i]));
        w_val = k > w_val ? k : w_val;
    }
    const size_t W = v->width;
    if (w_node + w_op + w_in + w_val + 3 > W && w_in > 16)
        w_in = 16;
    if (w_node + w_op + w_in + w_val + 3 > W) {
        const size_t rest = W > w_in + w_val + 3 + 20 ? W - w_in - w_val - 3 : 20;
        if (w_node > rest / 3 && w_node + w_op > rest)
            w_node = rest / 3 > 8 ? rest / 3 : 8;
        if (w_node + w_op > rest)
            w_op = rest > w_node + 10 ? rest - w_node : 10;
    }
    const size_t c_op = w_node + 1, c_in = c_op + w_op + 1, c_val = c_in + w_in + 1;
    line l = {0};
    char *dash = malloc(W + 1);
    if (!dash)
        return;
    memset(dash, '-', W);
    dash[W] = '\0';
    line_cell(f, &l, 0, "node");
    line_cell(f, &l, c_op, "operation");
    line_cell(f, &l, c_in, "inputs");
    line_pad(&l, c_val + w_val - 5);
    line_str(&l, "value");
    line_flush(f, &l);
    fprintf(f, "%.*s %.*s %.*s %.*s\n", (int)w_node, dash, (int)w_op, dash, (int)w_in, dash,
            (int)w_val, dash);
    free(dash);
    for (uint32_t i = 0; i < v->n; i++) {
        if (!tgi_in_table(v, i))
            continue;
        char fit[4 * 80 + 1];
        line_cell(f, &l, 0, tgi_view_label(v, i));
        /* the operation, folded within the room right of its column */
        const char *op = tgi_view_expr(v, i, e, e_cap);
        const size_t room = W > c_op + 20 ? W - c_op : 20;
        for (int first = 1; *op; first = 0) {
            const size_t cut = fold_at(op, room);
            if (!first)
                line_flush(f, &l);
            line_cell(f, &l, c_op, "");
            line_add(&l, op, cut);
            op += cut;
            while (*op == ' ')
                op++;
        }
        arg_values(v, i, ins, sizeof ins);
        if (ins[0])
            line_cell(f, &l, c_in, tgi_fit(fit, ins, w_in));
        tgi_num(n, t->value[i]);
        const size_t at = c_val + w_val - strlen(n);
        if (l.col >= at)
            line_flush(f, &l);
        line_pad(&l, at);
        line_str(&l, n);
        line_flush(f, &l);
    }
    free(l.p);
}

void tgi_trace_text(FILE *f, const tgi_view *v)
{
    const tg_tape *t = v->t;
    enum { CAP = 8192 };
    char *e = malloc(CAP), *big = malloc(CAP), *rules = malloc(CAP);
    if (!e || !big || !rules) {
        free(e);
        free(big);
        free(rules);
        fputs("(out of memory)\n", f);
        return;
    }
    char n[32], d1[512];
    tgi_buf b = tgi_buf_init(big, CAP);

    const char *out_label = tgi_view_label(v, v->out);
    if (strcmp(out_label, v->ph_out) == 0)
        snprintf(big, CAP, "Forward pass (output %s)", out_label);
    else
        snprintf(big, CAP, "Forward pass (%s = %s)", v->ph_out, out_label);
    emit(f, v, big, 4);
    forward_table(f, v, e, CAP);

    snprintf(big, CAP,
             "\nBackward pass (reverse tape order; %s, %s: an operation's inputs, %s: its output)",
             v->ph_arg[0], v->ph_arg[1], v->ph_y);
    emit(f, v, big, 4);
    snprintf(big, CAP, "%s = 1", tgi_dl_d(d1, sizeof d1, v, out_label));
    emit(f, v, big, 4);
    uint32_t sp = 0; /* steps are grouped by consumer, in the same order as this loop */
    for (uint32_t i = v->n; i-- > 0;) {
        if (!v->in_cone[i] || tgi_is_const(t, i))
            continue;
        if (v->n_into[i] > 1)
            text_sum(f, v, i, &b);
        if (sp >= v->n_steps || v->steps[sp].at != i)
            continue;
        tgi_buf rb = tgi_buf_init(rules, CAP);
        rules_of(v, i, &rb);
        b = tgi_buf_init(big, CAP);
        tgi_buf_add(&b, "at ");
        tgi_buf_add(&b, tgi_view_label(v, i));
        if (v->label_kind[i] != TGI_LABEL_EXPR) { /* an expression label is its operation */
            tgi_buf_add(&b, " = ");
            tgi_buf_add(&b, tgi_view_expr(v, i, e, CAP));
        }
        tgi_buf_add(&b, ":  ");
        tgi_buf_add(&b, rules);
        emit(f, v, big, 4);
        for (; sp < v->n_steps && v->steps[sp].at == i; sp++) {
            const tgi_step *s = &v->steps[sp];
            big[0] = big[1] = ' ';
            tgi_step_text(v, s, big + 2, CAP - 2);
            emit(f, v, big, 6);
        }
    }

    fprintf(f, "\nGradients\n");
    size_t w = 0;
    for (uint32_t i = 0; i < v->n; i++)
        if (tgi_in_table(v, i) && !tgi_is_const(t, i)) {
            const size_t k = tgi_n_chars(tgi_dl_d(d1, sizeof d1, v, tgi_view_label(v, i))) + 2;
            w = k > w ? k : w;
        }
    if (w > v->width / 2)
        w = v->width / 2;
    for (uint32_t i = 0; i < v->n; i++) {
        if (!tgi_in_table(v, i) || tgi_is_const(t, i))
            continue;
        snprintf(big, CAP, "%s =", tgi_dl_d(d1, sizeof d1, v, tgi_view_label(v, i)));
        const size_t k = tgi_n_chars(big);
        snprintf(big + strlen(big), CAP - strlen(big), "%*s %s", (int)(k < w ? w - k : 0), "",
                 tgi_num(n, t->grad[i]));
        fprintf(f, "%s\n", big); /* one line each, as the contract says, even if long */
    }
    free(e);
    free(big);
    free(rules);
}
