/* trace.c: the chain rule written out step by step (tg_trace_backward) as text, Markdown with
 * LaTeX, or JSON for the HTML stepper; and the "view" of an output's cone (labels and steps)
 * that the DOT export (export.c) shares. The numbers are tg_backward's; this file only shows
 * them. Rendering DOT to pictures and the HTML page itself are the tapegrad command's (cli/show).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "trace_int.h"

/* ---- Small helpers ----------------------------------------------------------------------- */

const char *tgi_num(char *buf, double x)
{
    if (x == 0.0)
        x = 0.0; /* -0 reads as a sign error to a student */
    if (isnan(x))
        snprintf(buf, 32, "nan"); /* not "-nan": the sign of a NaN means nothing here */
    else
        snprintf(buf, 32, "%.6g", x);
    return buf;
}

int tgi_is_const(const tg_tape *t, uint32_t i)
{
    return tgi_code_op(t->code[i]) == TG_OP_CONST;
}

size_t tgi_utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n;
    uint32_t min;
    if ((s[0] & 0xE0) == 0xC0)
        n = 2, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        n = 3, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        n = 4, min = 0x10000;
    else
        return 0;
    uint32_t cp = s[0] & (0x3Fu >> (n - 1));
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    /* overlong forms, surrogates and values past U+10FFFF are not valid UTF-8 */
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

const char *tgi_fit(char *buf, const char *s, size_t width)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n_chars = 0, total = 0;
    for (const unsigned char *q = p; *q;) {
        size_t len = tgi_utf8_len(q);
        q += len ? len : 1;
        total++;
    }
    const size_t keep = total <= width ? total : (width > 3 ? width - 3 : 0);
    char *o = buf;
    while (*p && n_chars < keep) {
        size_t len = tgi_utf8_len(p);
        if (len == 0) {
            *o++ = '?';
            p++;
        } else if (len == 1) {
            *o++ = (*p < 0x20 || *p == 0x7F) ? ' ' : (char)*p;
            p++;
        } else {
            memcpy(o, p, len);
            o += len;
            p += len;
        }
        n_chars++;
    }
    if (total > keep)
        for (size_t k = 0; k < 3 && k < width; k++)
            *o++ = '.';
    *o = '\0';
    return buf;
}

/* ---- The view: cone, labels, steps ------------------------------------------------------- */

static int add_label(tgi_view *v, uint32_t i, const char *s)
{
    size_t len = strlen(s) + 1;
    if (v->n_labels + len > v->cap_labels) {
        size_t cap = v->cap_labels ? v->cap_labels : 256;
        while (cap < v->n_labels + len)
            cap *= 2;
        char *p = realloc(v->labels, cap);
        if (!p)
            return 0;
        v->labels = p;
        v->cap_labels = cap;
    }
    if (v->n_labels + len > UINT32_MAX)
        return 0;
    memcpy(v->labels + v->n_labels, s, len);
    v->label_off[i] = (uint32_t)v->n_labels;
    v->n_labels += len;
    return 1;
}

/* A node and its label, sorted so that equal labels are neighbours (then by tape position).
 * The label pointer is stable while sorting: nothing is added to the labels meanwhile. */
typedef struct labelled {
    const char *label;
    uint32_t id;
} labelled;

static int by_label(const void *pa, const void *pb)
{
    const labelled *a = pa, *b = pb;
    int c = strcmp(a->label, b->label);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

/* Gives the second and later nodes that share a label a "#k" suffix, so that a reassigned
 * name (c = c + 1) or a repeated source text stays tellable apart in the trace. */
static int dedup_labels(tgi_view *v)
{
    size_t m = 0;
    labelled *ids = malloc((size_t)v->n * sizeof *ids);
    if (!ids)
        return 0;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->in_cone[i] && !tgi_is_const(v->t, i))
            ids[m++] = (labelled){tgi_view_label(v, i), i};
    qsort(ids, m, sizeof *ids, by_label);
    /* add_label may move the labels: from here on, read them through the offsets only */
    int ok = 1;
    for (size_t j = 0, g; j < m && ok; j = g) {
        g = j + 1;
        while (g < m && strcmp(tgi_view_label(v, ids[g].id), tgi_view_label(v, ids[j].id)) == 0)
            g++;
        if (g - j == 1)
            continue;
        const size_t len = strlen(tgi_view_label(v, ids[j].id));
        char *s = malloc(len + 24);
        if (!s) {
            ok = 0;
            break;
        }
        for (size_t k = j + 1; k < g && ok; k++) {
            memcpy(s, tgi_view_label(v, ids[j].id), len);
            snprintf(s + len, 24, "#%zu", k - j + 1);
            ok = add_label(v, ids[k].id, s);
        }
        free(s);
    }
    free(ids);
    return ok;
}

static int push_step(tgi_view *v, const tgi_step *s)
{
    if (v->n_steps == v->cap_steps) {
        if (v->cap_steps > UINT32_MAX / 2)
            return 0;
        uint32_t cap = v->cap_steps ? 2 * v->cap_steps : 64;
        tgi_step *p = realloc(v->steps, (size_t)cap * sizeof *p);
        if (!p)
            return 0;
        v->steps = p;
        v->cap_steps = cap;
    }
    v->steps[v->n_steps++] = *s;
    return 1;
}

tg_status tgi_view_init(tgi_view *v, const tg_tape *t, tg_var out)
{
    memset(v, 0, sizeof *v);
    if (!t || !tgi_valid(t, out))
        return TG_ERR_BADVAR;
    v->t = t;
    v->out = out.id;
    v->n = out.id + 1;
    v->in_cone = calloc(v->n, 1);
    v->label_off = calloc(v->n, sizeof *v->label_off);
    v->first_into = malloc((size_t)v->n * sizeof *v->first_into);
    v->n_into = calloc(v->n, sizeof *v->n_into);
    uint32_t *last_into = malloc((size_t)v->n * sizeof *last_into);
    if (!v->in_cone || !v->label_off || !v->first_into || !v->n_into || !last_into)
        goto nomem;

    tgi_cone(t, out.id, TG_CONE_ALL, v->in_cone); /* out, and every node it depends on */
    for (uint32_t i = 0; i < v->n; i++)
        v->first_into[i] = last_into[i] = TGI_NO_STEP;

    for (uint32_t i = 0; i < v->n; i++) {
        if (!v->in_cone[i])
            continue;
        const tg_var vi = {i};
        const char *name = tg_name(t, vi);
        tg_origin o;
        char buf[48];
        if (name && name[0])
            ; /* the user's name wins (an empty one says nothing) */
        else if (tgi_is_const(t, i)) {
            char num[32];
            /* "x * (-5)" rather than "x * -5" */
            snprintf(buf, sizeof buf, tgi_num(num, t->value[i])[0] == '-' ? "(%s)" : "%s", num);
            name = buf;
        } else if (tg_get_origin(t, vi, &o) && o.text && o.text[0])
            name = o.text;
        else
            snprintf(buf, sizeof buf, "n%u", (unsigned)i), name = buf;
        if (!add_label(v, i, name))
            goto nomem;
    }
    if (!dedup_labels(v))
        goto nomem;

    /* The steps, in the order the sweep takes them. After tg_backward, grad[i] is final when
     * the sweep reaches i (every consumer of i comes later on the tape), so it is the upstream
     * gradient:  dL/d(x_k) += dL/dy * dy/dx_k. */
    for (uint32_t i = v->n; i-- > 0;) {
        if (!v->in_cone[i])
            continue;
        const tg_var vi = {i};
        const size_t n_in = tg_n_args(t, vi);
        for (size_t k = 0; k < n_in; k++) {
            const uint32_t to = tg_arg(t, vi, k).id;
            if (tgi_is_const(t, to))
                continue;
            tgi_step s = {.at = i, .to = to, .k = (uint32_t)k, .next = TGI_NO_STEP};
            s.upstream = t->grad[i];
            s.local = tg_local_grad(t, vi, k);
            s.contribution = tg_backward_step(t, vi, k, s.upstream);
            s.acc = last_into[to] == TGI_NO_STEP ? s.contribution
                                                 : v->steps[last_into[to]].acc + s.contribution;
            if (!push_step(v, &s))
                goto nomem;
            const uint32_t idx = v->n_steps - 1;
            if (last_into[to] == TGI_NO_STEP)
                v->first_into[to] = idx;
            else
                v->steps[last_into[to]].next = idx;
            last_into[to] = idx;
            v->n_into[to]++;
        }
    }
    free(last_into);
    return TG_OK;
nomem:
    free(last_into);
    tgi_view_clear(v);
    return TG_ERR_NOMEM;
}

void tgi_view_clear(tgi_view *v)
{
    free(v->in_cone);
    free(v->label_off);
    free(v->labels);
    free(v->steps);
    free(v->first_into);
    free(v->n_into);
    memset(v, 0, sizeof *v);
}

/* ---- Expressions and rules --------------------------------------------------------------- */

/* A growing piece of text in caller storage, cut with "..." when it would overflow. */
typedef struct cbuf {
    char *p;
    size_t len, cap;
    int cut;
} cbuf;

static void cb_add(cbuf *b, const char *s)
{
    if (b->cut || b->cap < 4)
        return;
    const size_t n = strlen(s);
    if (b->len + n < b->cap) {
        memcpy(b->p + b->len, s, n + 1);
        b->len += n;
        return;
    }
    /* It does not fit: keep what leaves room for "..." and the NUL, ending before a UTF-8
     * continuation byte so that no character is cut in half. */
    const size_t room = b->cap - 4;
    size_t take = room > b->len ? room - b->len : 0;
    if (take > n)
        take = n;
    while (take > 0 && ((unsigned char)s[take] & 0xC0) == 0x80)
        take--;
    memcpy(b->p + b->len, s, take);
    b->len += take;
    if (b->len > room)
        b->len = room;
    memcpy(b->p + b->len, "...", 4);
    b->len += 3;
    b->cut = 1;
}

/* An operand of an infix operator: a label that is itself an expression (source text such as
 * "a*b") goes in parentheses, so that "(a*b) * 6" reads right. */
static void operand(cbuf *b, const char *label)
{
    if (label[0] != '(' && strpbrk(label, "+-*/^ ,")) {
        cb_add(b, "(");
        cb_add(b, label);
        cb_add(b, ")");
    } else {
        cb_add(b, label);
    }
}

const char *tgi_view_expr(const tgi_view *v, uint32_t i, char *buf, size_t cap)
{
    const tg_tape *t = v->t;
    const tgi_op_row *row = &tgi_ops[tgi_code_op(t->code[i])];
    cbuf b = {buf, 0, cap, 0};
    buf[0] = '\0';
    const tg_var vi = {i};
    const size_t n_in = tg_n_args(t, vi);
#define IN(k) tgi_view_label(v, tg_arg(t, vi, (k)).id)
#define IN_P(k) operand(&b, IN(k))
    if (row->flags & TGI_LEAF) {
        cb_add(&b, tgi_code_op(t->code[i]) == TG_OP_INPUT ? "input" : "const");
    } else if (row->arity == 2 && (row->flags & TGI_INFIX)) {
        IN_P(0);
        cb_add(&b, " ");
        cb_add(&b, tgi_op_symbol(row));
        cb_add(&b, " ");
        IN_P(1);
    } else if (row->arity == 1 && (row->flags & TGI_PREFIX)) {
        cb_add(&b, tgi_op_symbol(row));
        IN_P(0);
    } else if (row->arity == 1 || row->arity == 2) {
        cb_add(&b, tgi_op_symbol(row));
        cb_add(&b, "(");
        for (size_t k = 0; k < n_in; k++) {
            cb_add(&b, k ? ", " : "");
            cb_add(&b, IN(k));
        }
        cb_add(&b, ")");
    } else if (tgi_code_op(t->code[i]) == TG_OP_DOT) {
        /* w_0*x_0 + w_1*x_1 + ...: the slots hold the m weights, then the m inputs */
        const size_t m = n_in / 2;
        for (size_t j = 0; j < m; j++) {
            cb_add(&b, j ? " + " : "");
            IN_P(j);
            cb_add(&b, "*");
            IN_P(m + j);
        }
        if (m == 0)
            cb_add(&b, "0");
    } else { /* sum */
        for (size_t k = 0; k < n_in; k++) {
            cb_add(&b, k ? " + " : "");
            cb_add(&b, IN(k));
        }
        if (n_in == 0)
            cb_add(&b, "0");
    }
#undef IN
#undef IN_P
    return buf;
}

const char *tgi_step_rule_name(const tgi_view *v, const tgi_step *s, char *buf, size_t cap)
{
    const uint64_t c = v->t->code[s->at];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    if (row->arity == 2 && (row->flags & TGI_INFIX))
        snprintf(buf, cap, "d(a%sb)/d%s", tgi_op_symbol(row), s->k ? "b" : "a");
    else if (row->arity == 1 && (row->flags & TGI_PREFIX))
        snprintf(buf, cap, "d(%sa)/da", tgi_op_symbol(row));
    else if (row->arity == 1)
        snprintf(buf, cap, "d(%s(a))/da", tgi_op_symbol(row));
    else if (tgi_code_op(c) == TG_OP_DOT) {
        const uint32_t m = tgi_code_b(c) / 2;
        snprintf(buf, cap, "d(dot)/d%s_%u", s->k < m ? "w" : "x",
                 (unsigned)(s->k < m ? s->k : s->k - m));
    } else
        snprintf(buf, cap, "d(%s)/dx_%u", tgi_op_symbol(row), (unsigned)s->k);
    return buf;
}

/* Which of the row's rules step s applies: its argument's, or for sum and dot (any number of
 * arguments) the general one, dot's second for its inputs x_j. */
static unsigned rule_index(const tgi_view *v, const tgi_step *s)
{
    const uint64_t c = v->t->code[s->at];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    if (row->info.n_args != TG_NARY)
        return s->k < 3 ? s->k : 0;
    return tgi_code_op(c) == TG_OP_DOT && s->k >= tgi_code_b(c) / 2;
}

const char *tgi_step_rule(const tgi_view *v, const tgi_step *s)
{
    const char *r = tgi_ops[tgi_code_op(v->t->code[s->at])].info.rule[rule_index(v, s)];
    return r ? r : "?";
}

const char *tgi_step_rule_latex(const tgi_view *v, const tgi_step *s)
{
    const char *r = tgi_ops[tgi_code_op(v->t->code[s->at])].info.rule_latex[rule_index(v, s)];
    return r ? r : "?";
}

/* ---- Text -------------------------------------------------------------------------------- */

#define LABEL_W 20 /* a label's width inside formulas: two of them and a rule fit 80 columns */
#define LINE_W 80

/* "dL/dx" for a one-character label, "dL/d(apple)" otherwise. */
static const char *dl_d(char *buf, const char *label)
{
    char fit[4 * LABEL_W + 1];
    tgi_fit(fit, label, LABEL_W);
    if (strlen(fit) == 1)
        snprintf(buf, 8 * LABEL_W, "dL/d%s", fit);
    else
        snprintf(buf, 8 * LABEL_W, "dL/d(%s)", fit);
    return buf;
}

/* A factor inside a product: negative numbers in parentheses, "1.1 * (-1)". */
static const char *factor(char *buf, double x)
{
    char n[32];
    tgi_num(n, x);
    if (n[0] == '-')
        snprintf(buf, 40, "(%s)", n);
    else
        snprintf(buf, 40, "%s", n);
    return buf;
}

/* How many spaces end s. */
static size_t strspn_end(const char *s)
{
    size_t n = strlen(s), k = 0;
    while (k < n && s[n - 1 - k] == ' ')
        k++;
    return k;
}

/* Writes "head = rest" on one line, or on two (rest indented) when it would not fit. */
static void put_wrapped(FILE *f, const char *indent, const char *head, const char *rest)
{
    if (strlen(indent) + strlen(head) + strlen(rest) <= LINE_W)
        fprintf(f, "%s%s%s\n", indent, head, rest);
    else
        fprintf(f, "%s%.*s\n%s    %s\n", indent, (int)(strlen(head) - strspn_end(head)), head,
                indent, rest[0] == ' ' ? rest + 1 : rest);
}

/* The terms of a sum: all of them when there are few, else the first three and the last two. */
#define SUM_SHOWN 8

/* Appends piece to a line being written, starting a continuation line when it would pass
 * the 80th column. */
static void put_piece(FILE *f, size_t *col, const char *piece)
{
    const size_t len = strlen(piece);
    if (*col + len > LINE_W) {
        fputs("\n   ", f);
        *col = 3;
    }
    fputs(piece, f);
    *col += len;
}

/* "dL/dx = 2.2 + 1.1 = 3.3", wrapped at 80 columns. */
static void text_sum(FILE *f, const tgi_view *v, uint32_t i)
{
    char d[8 * LABEL_W], n[40], piece[64];
    size_t col = 0;
    snprintf(piece, sizeof piece, "%s =", dl_d(d, tgi_view_label(v, i)));
    put_piece(f, &col, piece);
    uint32_t j = 0;
    const uint32_t m = v->n_into[i];
    for (uint32_t s = v->first_into[i]; s != TGI_NO_STEP; s = v->steps[s].next, j++) {
        if (m > SUM_SHOWN && j >= 3 && j < m - 2) {
            if (j == 3)
                put_piece(f, &col, " + ...");
            continue;
        }
        const double c = v->steps[s].contribution;
        tgi_num(n, j == 0 ? c : fabs(c));
        snprintf(piece, sizeof piece, "%s%s", j == 0 ? " " : (c < 0 ? " - " : " + "), n);
        put_piece(f, &col, piece);
    }
    if (m > SUM_SHOWN) {
        snprintf(piece, sizeof piece, " (%u terms)", (unsigned)m);
        put_piece(f, &col, piece);
    }
    snprintf(piece, sizeof piece, " = %s", tgi_num(n, v->t->grad[i]));
    put_piece(f, &col, piece);
    fputc('\n', f);
}

/* Writes s fitted to `width` characters and padded with spaces to exactly that width (by
 * characters, not bytes, so that UTF-8 names keep the columns straight); right-aligned if
 * right is set. */
static void put_cell(FILE *f, const char *s, size_t width, int right)
{
    char buf[4 * 80 + 1];
    tgi_fit(buf, s, width < 80 ? width : 80);
    size_t n_chars = 0;
    for (const unsigned char *q = (const unsigned char *)buf; *q; q++)
        n_chars += (*q & 0xC0) != 0x80;
    if (right)
        fprintf(f, "%*s%s", (int)(width - n_chars), "", buf);
    else
        fprintf(f, "%s%*s", buf, (int)(width - n_chars), "");
}

/* The inputs' values of node i, "100, 2". */
static const char *input_values(const tgi_view *v, uint32_t i, char *buf, size_t cap)
{
    const tg_var vi = {i};
    const size_t n_in = tg_n_args(v->t, vi);
    char n[32];
    cbuf b = {buf, 0, cap, 0};
    buf[0] = '\0';
    for (size_t k = 0; k < n_in && !b.cut; k++) {
        cb_add(&b, k ? ", " : "");
        cb_add(&b, tgi_num(n, v->t->value[tg_arg(v->t, vi, k).id]));
    }
    return buf;
}

/* Which nodes get a row of the forward table: the cone, but constants only when named (an
 * unnamed constant is already shown by its value wherever it is used) or when it is out. */
static int in_table(const tgi_view *v, uint32_t i)
{
    return v->in_cone[i] && (!tgi_is_const(v->t, i) || tg_name(v->t, (tg_var){i}) || i == v->out);
}

/* The local rules of node i, each kind once: "d(a*b)/da = b,  d(a*b)/db = a", or for the
 * n-ary ops the general slot, "d(sum)/dx_k = 1". latex set: each rule through to_latex. */
static void rules_of(const tgi_view *v, uint32_t i, cbuf *rb, int latex);

static void latex_rule(cbuf *b, const char *name, const char *rule_tex);

static void rules_of(const tgi_view *v, uint32_t i, cbuf *rb, int latex)
{
    const tg_tape *t = v->t;
    const tg_var vi = {i};
    const unsigned op = tgi_code_op(t->code[i]);
    const size_t n_in = tg_n_args(t, vi);
    size_t n_kinds = n_in < 2 ? n_in : 2;
    if (tgi_ops[op].arity == TGI_NARY)
        n_kinds = n_in == 0 ? 0 : (op == TG_OP_DOT ? 2 : 1);
    for (size_t s = 0; s < n_kinds; s++) {
        tgi_step st = {.at = i, .k = (uint32_t)s};
        if (tgi_ops[op].arity == TGI_NARY && s == 1)
            st.k = (uint32_t)(n_in / 2);
        char name[64];
        tgi_step_rule_name(v, &st, name, sizeof name);
        char *us = strrchr(name, '_');
        if (us && tgi_ops[op].arity == TGI_NARY)
            strcpy(us + 1, op == TG_OP_DOT ? "j" : "k");
        cb_add(rb, s ? (latex ? ",\\quad " : ",  ") : "");
        if (latex) {
            latex_rule(rb, name, tgi_step_rule_latex(v, &st));
        } else {
            cb_add(rb, name);
            cb_add(rb, " = ");
            cb_add(rb, tgi_step_rule(v, &st));
        }
    }
}

static void text_trace(FILE *f, const tgi_view *v)
{
    const tg_tape *t = v->t;
    char lab[4 * 60 + 1], e[256], ins[128], n[32], rule[64], rules[200];
    char d1[8 * LABEL_W], d2[8 * LABEL_W], f1[40], f2[40], head[512], rest[160], ex[4 * 40 + 1];

    fprintf(f, "Forward pass (L = %s)\n", tgi_fit(lab, tgi_view_label(v, v->out), 60));
    fprintf(f, "%-16s %-26s %-22s %11s\n", "node", "operation", "inputs", "value");
    fprintf(f, "%.16s %.26s %.22s %.11s\n", "--------------------------",
            "--------------------------", "--------------------------",
            "--------------------------");
    for (uint32_t i = 0; i < v->n; i++) {
        if (!in_table(v, i))
            continue;
        put_cell(f, tgi_view_label(v, i), 16, 0);
        fputc(' ', f);
        put_cell(f, tgi_view_expr(v, i, e, sizeof e), 26, 0);
        fputc(' ', f);
        put_cell(f, input_values(v, i, ins, sizeof ins), 22, 0);
        fputc(' ', f);
        put_cell(f, tgi_num(n, t->value[i]), 11, 1);
        fputc('\n', f);
    }

    fprintf(f,
            "\nBackward pass (reverse tape order; a, b: an operation's inputs, y: its output)\n");
    fprintf(f, "%s = 1\n", dl_d(d1, tgi_view_label(v, v->out)));
    uint32_t sp = 0; /* steps are grouped by consumer, in the same order as this loop */
    for (uint32_t i = v->n; i-- > 0;) {
        if (!v->in_cone[i] || tgi_is_const(t, i))
            continue;
        if (v->n_into[i] > 1)
            text_sum(f, v, i);
        if (sp >= v->n_steps || v->steps[sp].at != i)
            continue;
        cbuf rb = {rules, 0, sizeof rules, 0};
        rules[0] = '\0';
        rules_of(v, i, &rb, 0);
        snprintf(head, sizeof head, "at %s = %s:  ", tgi_fit(lab, tgi_view_label(v, i), LABEL_W),
                 tgi_fit(ex, tgi_view_expr(v, i, e, sizeof e), 40));
        put_wrapped(f, "", head, rules);
        for (; sp < v->n_steps && v->steps[sp].at == i; sp++) {
            const tgi_step *s = &v->steps[sp];
            snprintf(head, sizeof head, "%s += %s * %s", dl_d(d1, tgi_view_label(v, s->to)),
                     dl_d(d2, tgi_view_label(v, i)), tgi_step_rule_name(v, s, rule, sizeof rule));
            snprintf(rest, sizeof rest, " = %s * %s = %s", factor(f1, s->upstream),
                     factor(f2, s->local), tgi_num(n, s->contribution));
            put_wrapped(f, "  ", head, rest);
        }
    }

    fprintf(f, "\nGradients\n");
    for (uint32_t i = 0; i < v->n; i++) {
        if (!in_table(v, i) || tgi_is_const(t, i))
            continue;
        snprintf(head, sizeof head, "%s =", dl_d(d1, tgi_view_label(v, i)));
        put_cell(f, head, 30, 0);
        fprintf(f, " %s\n", tgi_num(n, t->grad[i]));
    }
}

/* ---- Markdown with LaTeX ----------------------------------------------------------------- */

/* Plain text in a Markdown table cell: the punctuation that could open emphasis, code, a link,
 * HTML or math, or end the cell, is backslash-escaped (CommonMark allows it for all of them). */
static void md_text(FILE *f, const char *s, size_t width)
{
    char buf[4 * 80 + 1];
    tgi_fit(buf, s, width);
    for (const char *p = buf; *p; p++) {
        if (strchr("\\`*_[]<>|~$&", *p))
            fputc('\\', f);
        fputc(*p, f);
    }
}

/* A label inside LaTeX math: \text{apple\_price}. Characters that text mode cannot take
 * plainly are escaped, and the few that have no safe spelling in both MathJax and KaTeX
 * (and "|", which would end a Markdown cell) become '?'. */
static void tex_label(cbuf *b, const char *s)
{
    char buf[4 * LABEL_W + 1], one[2] = {0, 0};
    tgi_fit(buf, s, LABEL_W);
    cb_add(b, "\\text{");
    for (const char *p = buf; *p; p++) {
        if (strchr("_#$%&{}", *p)) {
            one[0] = *p;
            cb_add(b, "\\");
            cb_add(b, one);
        } else if (strchr("\\^~|<>`", *p)) {
            cb_add(b, "?");
        } else {
            one[0] = *p;
            cb_add(b, one);
        }
    }
    cb_add(b, "}");
}

static void tex_dl_d(cbuf *b, const char *label)
{
    cb_add(b, "\\frac{\\partial L}{\\partial ");
    tex_label(b, label);
    cb_add(b, "}");
}

/* A rule of the op table ("b*a^(b-1)", "1/(2*sqrt(a))") in LaTeX: * becomes \cdot, ^(...) and
 * sqrt(...) take braces, function names a backslash. The rules are our own short strings. */
static void tex_expr(cbuf *b, const char *r, size_t n)
{
    static const char *const fn[] = {"exp", "log", "sin", "cos", "tanh", "tan"};
    char one[2] = {0, 0};
    for (size_t i = 0; i < n;) {
        if (r[i] == '*') {
            cb_add(b, " \\cdot ");
            i++;
            continue;
        }
        if (r[i] == '^' && i + 1 < n && r[i + 1] == '(') {
            size_t depth = 0, j = i + 1;
            for (; j < n; j++) {
                depth += r[j] == '(';
                depth -= r[j] == ')';
                if (depth == 0)
                    break;
            }
            cb_add(b, "^{");
            tex_expr(b, r + i + 2, j - i - 2);
            cb_add(b, "}");
            i = j + 1;
            continue;
        }
        if (strncmp(r + i, "sqrt(", 5) == 0 && i + 5 <= n) {
            size_t depth = 0, j = i + 4;
            for (; j < n; j++) {
                depth += r[j] == '(';
                depth -= r[j] == ')';
                if (depth == 0)
                    break;
            }
            cb_add(b, "\\sqrt{");
            tex_expr(b, r + i + 5, j - i - 5);
            cb_add(b, "}");
            i = j + 1;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof fn / sizeof fn[0] && !matched; k++) {
            size_t len = strlen(fn[k]);
            if (i + len <= n && strncmp(r + i, fn[k], len) == 0 && r[i + len] == '(') {
                cb_add(b, "\\");
                cb_add(b, fn[k]);
                i += len;
                matched = 1;
            }
        }
        if (matched)
            continue;
        /* another function (sigmoid, relu, sign): a word of two or more letters before "(" */
        size_t w = 0;
        while (i + w < n &&
               ((r[i + w] >= 'a' && r[i + w] <= 'z') || (r[i + w] >= 'A' && r[i + w] <= 'Z')))
            w++;
        if (w >= 2 && i + w < n && r[i + w] == '(') {
            cb_add(b, "\\operatorname{");
            for (size_t k = 0; k < w; k++) {
                one[0] = r[i + k];
                cb_add(b, one);
            }
            cb_add(b, "}");
            i += w;
            continue;
        }
        if (r[i] == '?') {
            cb_add(b, " \\mathrel{?} ");
            i++;
            continue;
        }
        if (r[i] == '|') { /* never in the table today; would end a Markdown cell */
            cb_add(b, "\\vert ");
            i++;
            continue;
        }
        one[0] = r[i++];
        cb_add(b, one);
    }
}

/* "d(a*b)/da" and the row's LaTeX rule "b" as \frac{\partial (a \cdot b)}{\partial a} = b */
static void latex_rule(cbuf *b, const char *name, const char *rule_tex)
{
    /* name is "d(F)/dV": F is the function, V the variable */
    const char *open = name + 2, *close = strrchr(name, '/');
    cb_add(b, "\\frac{\\partial (");
    if (close && close > open)
        tex_expr(b, open, (size_t)(close - open - 1));
    cb_add(b, ")}{\\partial ");
    if (close)
        tex_expr(b, close + 2, strlen(close + 2));
    cb_add(b, "} = ");
    cb_add(b, rule_tex);
}

static void tex_factor(cbuf *b, double x)
{
    char n[40];
    tgi_num(n, x);
    if (n[0] == '-') {
        cb_add(b, "(");
        cb_add(b, n);
        cb_add(b, ")");
    } else {
        cb_add(b, n);
    }
}

static void md_trace(FILE *f, const tgi_view *v)
{
    const tg_tape *t = v->t;
    char e[256], ins[128], n[32], name[64];
    enum { CAP = 2048 };
    char *big = malloc(CAP);
    if (!big) {
        fputs("(out of memory)\n", f);
        return;
    }

    fputs("#### Forward pass: $L$ = ", f);
    md_text(f, tgi_view_label(v, v->out), 60);
    fputs("\n\n| node | operation | inputs | value |\n|:--|:--|:--|--:|\n", f);
    for (uint32_t i = 0; i < v->n; i++) {
        if (!in_table(v, i))
            continue;
        fputs("| ", f);
        md_text(f, tgi_view_label(v, i), 40);
        fputs(" | ", f);
        md_text(f, tgi_view_expr(v, i, e, sizeof e), 60);
        fputs(" | ", f);
        md_text(f, input_values(v, i, ins, sizeof ins), 60);
        fprintf(f, " | %s |\n", tgi_num(n, t->value[i]));
    }

    fputs("\n#### Backward pass, in reverse tape order\n\n"
          "$a, b$ are an operation's inputs, $y$ its output.\n\n"
          "| at node | local rule | chain rule | numbers | result |\n|:--|:--|:--|:--|--:|\n",
          f);
    cbuf b = {big, 0, CAP, 0};
    big[0] = '\0';
    tex_dl_d(&b, tgi_view_label(v, v->out));
    fprintf(f, "| | | $%s = 1$ | | 1 |\n", big);
    uint32_t sp = 0;
    for (uint32_t i = v->n; i-- > 0;) {
        if (!v->in_cone[i] || tgi_is_const(t, i))
            continue;
        if (v->n_into[i] > 1) {
            b = (cbuf){big, 0, CAP, 0};
            big[0] = '\0';
            tex_dl_d(&b, tgi_view_label(v, i));
            cb_add(&b, " = ");
            uint32_t j = 0, m = v->n_into[i];
            for (uint32_t s = v->first_into[i]; s != TGI_NO_STEP; s = v->steps[s].next, j++) {
                if (m > SUM_SHOWN && j >= 3 && j < m - 2) {
                    if (j == 3)
                        cb_add(&b, " + \\dots");
                    continue;
                }
                const double c = v->steps[s].contribution;
                cb_add(&b, j == 0 ? "" : (c < 0 ? " - " : " + "));
                cb_add(&b, tgi_num(n, j == 0 ? c : fabs(c)));
            }
            fprintf(f, "| | | $%s$ | | %s |\n", big, tgi_num(n, t->grad[i]));
        }
        if (sp >= v->n_steps || v->steps[sp].at != i)
            continue;
        for (int first = 1; sp < v->n_steps && v->steps[sp].at == i; sp++, first = 0) {
            const tgi_step *s = &v->steps[sp];
            fputs("| ", f);
            if (first) {
                md_text(f, tgi_view_label(v, i), 40);
                fputs(" = ", f);
                md_text(f, tgi_view_expr(v, i, e, sizeof e), 60);
            }
            fputs(" | ", f);
            b = (cbuf){big, 0, CAP, 0};
            big[0] = '\0';
            latex_rule(&b, tgi_step_rule_name(v, s, name, sizeof name), tgi_step_rule_latex(v, s));
            fprintf(f, "$%s$ | ", big);
            b = (cbuf){big, 0, CAP, 0};
            big[0] = '\0';
            tex_dl_d(&b, tgi_view_label(v, s->to));
            cb_add(&b, " \\mathrel{+}= ");
            tex_dl_d(&b, tgi_view_label(v, i));
            cb_add(&b, " \\cdot ");
            latex_rule(&b, name, "");
            b.len -= 3; /* drop the " = " of the empty rule */
            big[b.len] = '\0';
            fprintf(f, "$%s$ | ", big);
            b = (cbuf){big, 0, CAP, 0};
            big[0] = '\0';
            tex_factor(&b, s->upstream);
            cb_add(&b, " \\times ");
            tex_factor(&b, s->local);
            fprintf(f, "$%s$ | %s |\n", big, tgi_num(n, s->contribution));
        }
    }

    fputs("\n#### Gradients\n\n| node | $\\partial L / \\partial \\text{node}$ |\n|:--|--:|\n", f);
    for (uint32_t i = 0; i < v->n; i++) {
        if (!in_table(v, i) || tgi_is_const(t, i))
            continue;
        fputs("| ", f);
        md_text(f, tgi_view_label(v, i), 40);
        fprintf(f, " | %s |\n", tgi_num(n, t->grad[i]));
    }
    free(big);
}

/* ---- JSON (the HTML stepper's data) ------------------------------------------------------ */

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

static void json_trace(FILE *f, const tgi_view *v)
{
    const tg_tape *t = v->t;
    char e[256], n[32], name[64], d1[8 * LABEL_W], d2[8 * LABEL_W], f1[40], f2[40], txt[512];
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
        json_str(f, tgi_view_expr(v, i, e, sizeof e));
        fputs(",\"value\":", f);
        json_num(f, t->value[i]);
        fprintf(f, ",\"value_s\":\"%s\",\"grad\":", tgi_num(n, t->value[i]));
        json_num(f, t->grad[i]);
        fprintf(f, ",\"grad_s\":\"%s\",\"inputs\":[", tgi_num(n, t->grad[i]));
        const size_t n_in = tg_n_args(t, vi);
        for (size_t k = 0; k < n_in; k++)
            fprintf(f, "%s%u", k ? "," : "", (unsigned)tg_arg(t, vi, k).id);
        fputs("]}", f);
    }
    fputs("],\n\"steps\":[", f);
    for (uint32_t sp = 0; sp < v->n_steps; sp++) {
        const tgi_step *s = &v->steps[sp];
        tgi_step_rule_name(v, s, name, sizeof name);
        fprintf(f, "%s\n{\"at\":%u,\"to\":%u,\"k\":%u,\"rule\":", sp ? "," : "", (unsigned)s->at,
                (unsigned)s->to, (unsigned)s->k);
        json_str(f, name);
        fputs(",\"formula\":", f);
        json_str(f, tgi_step_rule(v, s));
        snprintf(txt, sizeof txt, "%s += %s * %s = %s * %s = %s",
                 dl_d(d1, tgi_view_label(v, s->to)), dl_d(d2, tgi_view_label(v, s->at)), name,
                 factor(f1, s->upstream), factor(f2, s->local), tgi_num(n, s->contribution));
        fputs(",\"text\":", f);
        json_str(f, txt);
        fputs(",\"contribution\":", f);
        json_num(f, s->contribution);
        fprintf(f, ",\"contribution_s\":\"%s\"", tgi_num(n, s->contribution));
        fprintf(f, ",\"acc_s\":\"%s\",\"last\":%s}", tgi_num(n, s->acc),
                s->next == TGI_NO_STEP ? "true" : "false");
    }
    fputs("]}\n", f);
}

/* ---- The public entry point -------------------------------------------------------------- */

tg_status tg_trace_backward(tg_tape *t, tg_var out, FILE *f, tg_trace_format fmt)
{
    if (!t)
        return TG_ERR_ARG;
    if (!f || (unsigned)fmt > TG_TRACE_JSON)
        return tgi_fail(t, TG_ERR_ARG, "tg_trace_backward: %s",
                        f ? "unknown trace format" : "NULL output file");
    tg_status s = tg_backward(t, out);
    if (s != TG_OK)
        return s;
    tgi_view v;
    if (tgi_view_init(&v, t, out) != TG_OK)
        return tgi_fail(t, TG_ERR_NOMEM, "tg_trace_backward: out of memory");
    if (fmt == TG_TRACE_TEXT)
        text_trace(f, &v);
    else if (fmt == TG_TRACE_MARKDOWN)
        md_trace(f, &v);
    else
        json_trace(f, &v);
    tgi_view_clear(&v);
    if (fflush(f) != 0 || ferror(f))
        return tgi_fail(t, TG_ERR_IO, "tg_trace_backward: writing the trace failed");
    return TG_OK;
}
