/* trace.c: tg_trace_backward, and the one view of an output's cone that every output format
 * shares (trace_int.h): the cone, a unique label for every node, expressions under the
 * language's precedence, rule placeholders that no name of the program collides with, and the
 * chain-rule steps. Writing the text, Markdown and JSON is left to trace_text.c, trace_md.c and
 * trace_json.c; the DOT export (export.c) uses the same view. The numbers are tg_backward's. */
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

const char *tgi_num_exact(char *buf, double x)
{
    if (x == 0.0)
        x = 0.0;
    if (isnan(x)) {
        snprintf(buf, 32, "nan");
        return buf;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return buf;
}

size_t tgi_n_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++)
        n += (*q & 0xC0) != 0x80;
    return n;
}

void tgi_buf_add(tgi_buf *b, const char *s)
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

/* ---- The language's spelling of each op -------------------------------------------------- */

typedef enum form { FORM_LEAF, FORM_INFIX, FORM_PREFIX, FORM_CALL, FORM_SUM, FORM_DOT } form;

/* How op is written: its form, its symbol or function name, and (infix, prefix) its binding
 * power and associativity. From the op table's row: symbol and flags. */
typedef struct syntax {
    form form;
    const char *spell;
    int prec, right_assoc, non_assoc;
} syntax;

/* From the op's public row (tg_op_info): its symbol and binding power (TG_PREC_* are the
 * TGI_PREC_* below TGI_PREC_ATOM), else its language name, else its identifier. */
static syntax syntax_of(unsigned op)
{
    const tg_op_info *in = tg_op_info_of((tg_op)op);
    syntax s = {FORM_CALL, in->name ? in->name : in->id, TGI_PREC_ATOM, 0, 0};
    if (in->n_args == 0) {
        s.form = FORM_LEAF;
    } else if (op == TG_OP_SUM) {
        s.form = FORM_SUM, s.prec = TGI_PREC_ADD;
    } else if (op == TG_OP_DOT) {
        s.form = FORM_DOT, s.prec = TGI_PREC_ADD;
    } else if (in->symbol && in->n_args == 1) {
        s.form = FORM_PREFIX, s.spell = in->symbol, s.prec = TGI_PREC_UNARY;
    } else if (in->symbol && in->n_args == 2) {
        s.form = FORM_INFIX, s.spell = in->symbol, s.prec = in->precedence;
        s.right_assoc = in->right_assoc;
        s.non_assoc = in->precedence == TGI_PREC_CMP;
    }
    return s;
}

_Static_assert((int)TG_PREC_COMPARE == (int)TGI_PREC_CMP && (int)TG_PREC_ADD == (int)TGI_PREC_ADD &&
                   (int)TG_PREC_MUL == (int)TGI_PREC_MUL &&
                   (int)TG_PREC_UNARY == (int)TGI_PREC_UNARY &&
                   (int)TG_PREC_POW == (int)TGI_PREC_POW,
               "the view's binding powers are the op table's");

/* ---- Writing an operation over its operands ---------------------------------------------- */

/* Operand k of the operation being written: its text and its binding power. */
typedef void (*operand_fn)(const void *ctx, size_t k, const char **text, int *prec);

/* Does an operand of power p need parentheses as operand `side` (0 left, 1 right, 2 the only
 * one of a prefix operator, 3 a term of a sum) of an operator s? */
static int needs_parens(const syntax *s, int p, int side)
{
    if (p == TGI_PREC_UNARY && side != 2 && !(side == 0 && s->prec <= TGI_PREC_MUL))
        return 1; /* "x*(-2)", "(-x)^2", "x - (-1)"; but "-x*y" and "-x + y" read as written */
    if (side == 2)
        return p <= s->prec; /* "-(a*b)", "-(-x)" */
    if (p < s->prec)
        return 1;
    if (p > s->prec)
        return 0;
    if (s->non_assoc)
        return 1;
    return s->right_assoc ? side == 0 : side != 0;
}

static void put_operand(tgi_buf *b, const syntax *s, const char *text, int p, int side, int latex)
{
    if (needs_parens(s, p, side)) {
        tgi_buf_add(b, latex ? "\\left(" : "(");
        tgi_buf_add(b, text);
        tgi_buf_add(b, latex ? "\\right)" : ")");
    } else {
        tgi_buf_add(b, text);
    }
}

/* LaTeX spellings of the infix symbols and of the functions that LaTeX knows by name. */
static const char *latex_infix(const char *sym)
{
    static const char *const map[][2] = {{"+", " + "},     {"-", " - "},     {"*", " \\cdot "},
                                         {"<", " < "},     {"<=", " \\le "}, {">", " > "},
                                         {">=", " \\ge "}, {"==", " = "},    {"!=", " \\ne "}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(sym, map[i][0]) == 0)
            return map[i][1];
    return sym;
}

static int latex_known_function(const char *name)
{
    static const char *const fn[] = {"exp",  "log",  "sin",  "cos",  "tan",    "tanh",   "sinh",
                                     "cosh", "asin", "acos", "atan", "arcsin", "arccos", "arctan"};
    for (size_t i = 0; i < sizeof fn / sizeof fn[0]; i++)
        if (strcmp(name, fn[i]) == 0)
            return 1;
    return 0;
}

/* Writes op over n operands (given by arg) in the language (latex 0; 2: no spaces around any
 * operator, for the short names of rules such as "d(a+b)/da") or as LaTeX math (latex 1). */
static void write_op(tgi_buf *b, unsigned op, size_t n, operand_fn arg, const void *ctx, int mode)
{
    const int latex = mode == 1;
    const syntax s = syntax_of(op);
    const char *t0, *t1;
    int p0, p1;
    switch (s.form) {
    case FORM_LEAF:
        tgi_buf_add(b, op == TG_OP_INPUT ? "input" : "const");
        return;
    case FORM_INFIX: {
        arg(ctx, 0, &t0, &p0);
        arg(ctx, 1, &t1, &p1);
        const char c = s.spell[0];
        if (latex && c == '/') { /* \frac groups both sides: no parentheses needed */
            tgi_buf_add(b, "\\frac{");
            tgi_buf_add(b, t0);
            tgi_buf_add(b, "}{");
            tgi_buf_add(b, t1);
            tgi_buf_add(b, "}");
            return;
        }
        put_operand(b, &s, t0, p0, 0, latex);
        if (latex && c == '^') {
            tgi_buf_add(b, "^{");
            tgi_buf_add(b, t1);
            tgi_buf_add(b, "}");
            return;
        }
        if (latex)
            tgi_buf_add(b, latex_infix(s.spell));
        else if (c == '*' || c == '/' || c == '^' || mode == 2) /* tight, for rule names */
            tgi_buf_add(b, s.spell);
        else {
            tgi_buf_add(b, " ");
            tgi_buf_add(b, s.spell);
            tgi_buf_add(b, " ");
        }
        put_operand(b, &s, t1, p1, 1, latex);
        return;
    }
    case FORM_PREFIX:
        arg(ctx, 0, &t0, &p0);
        tgi_buf_add(b, s.spell);
        put_operand(b, &s, t0, p0, 2, latex);
        return;
    case FORM_SUM:
    case FORM_DOT: {
        const syntax add = syntax_of(TG_OP_ADD), mul = syntax_of(TG_OP_MUL);
        const size_t m = s.form == FORM_DOT ? n / 2 : n;
        for (size_t j = 0; j < m && !b->cut; j++) {
            if (j)
                tgi_buf_add(b, " + ");
            if (s.form == FORM_SUM) {
                arg(ctx, j, &t0, &p0);
                put_operand(b, &add, t0, p0, j ? 1 : 0, latex);
            } else { /* w_j*x_j: the slots hold the m weights, then the m inputs */
                arg(ctx, j, &t0, &p0);
                arg(ctx, m + j, &t1, &p1);
                put_operand(b, &mul, t0, p0, 0, latex);
                tgi_buf_add(b, latex ? " \\cdot " : "*");
                put_operand(b, &mul, t1, p1, 1, latex);
            }
        }
        if (m == 0)
            tgi_buf_add(b, "0");
        return;
    }
    case FORM_CALL:
        if (latex && strcmp(s.spell, "sqrt") == 0 && n == 1) {
            arg(ctx, 0, &t0, &p0);
            tgi_buf_add(b, "\\sqrt{");
            tgi_buf_add(b, t0);
            tgi_buf_add(b, "}");
            return;
        }
        if (latex && strcmp(s.spell, "abs") == 0 && n == 1) {
            arg(ctx, 0, &t0, &p0);
            tgi_buf_add(b, "\\left\\lvert ");
            tgi_buf_add(b, t0);
            tgi_buf_add(b, " \\right\\rvert");
            return;
        }
        if (latex) {
            tgi_buf_add(b, latex_known_function(s.spell) ? "\\" : "\\operatorname{");
            tgi_buf_add(b, s.spell);
            tgi_buf_add(b, latex_known_function(s.spell) ? "\\left(" : "}\\left(");
        } else {
            tgi_buf_add(b, s.spell);
            tgi_buf_add(b, "(");
        }
        for (size_t k = 0; k < n && !b->cut; k++) {
            arg(ctx, k, &t0, &p0);
            tgi_buf_add(b, k ? ", " : "");
            tgi_buf_add(b, t0);
        }
        tgi_buf_add(b, latex ? "\\right)" : ")");
        return;
    }
}

/* Operands that are the args of a node of the view, by their labels. */
typedef struct node_ctx {
    const tgi_view *v;
    uint32_t i;
} node_ctx;

static uint32_t arg_id(const tg_tape *t, uint32_t i, size_t k)
{
    return tg_arg(t, (tg_var){i}, k).id;
}

static size_t n_args(const tg_tape *t, uint32_t i)
{
    return tg_n_args(t, (tg_var){i});
}

static void label_operand(const void *ctx, size_t k, const char **text, int *prec)
{
    const node_ctx *c = ctx;
    const uint32_t a = arg_id(c->v->t, c->i, k);
    *text = tgi_view_label(c->v, a);
    *prec = c->v->label_prec[a];
}

const char *tgi_view_expr(const tgi_view *v, uint32_t i, char *buf, size_t cap)
{
    tgi_buf b = tgi_buf_init(buf, cap);
    const node_ctx c = {v, i};
    write_op(&b, tgi_code_op(v->t->code[i]), n_args(v->t, i), label_operand, &c, 0);
    return buf;
}

/* A label in LaTeX text mode: \text{apple\_price}. Characters that text mode cannot take
 * plainly are escaped, and the few that have no safe spelling in both MathJax and KaTeX (and
 * "|", which would end a Markdown cell) become '?'. */
static void tex_text(tgi_buf *b, const char *s)
{
    char one[2] = {0, 0};
    char *fit = malloc(4 * strlen(s) + 4);
    if (!fit)
        return;
    tgi_fit(fit, s, strlen(s)); /* valid UTF-8, no control characters */
    tgi_buf_add(b, "\\text{");
    for (const char *p = fit; *p; p++) {
        if (strchr("_#$%&{}", *p)) {
            one[0] = *p;
            tgi_buf_add(b, "\\");
            tgi_buf_add(b, one);
        } else if (strchr("\\^~|<>`", *p)) {
            tgi_buf_add(b, "?");
        } else {
            one[0] = *p;
            tgi_buf_add(b, one);
        }
    }
    tgi_buf_add(b, "}");
    free(fit);
}

/* LaTeX of args' labels, computed on demand (an expression label's LaTeX is its expression's,
 * whose args' labels are short, so the recursion is shallow). */
typedef struct latex_ctx {
    const tgi_view *v;
    uint32_t i;
    char text[3][512]; /* operands of at most three args are kept at once */
    char *more;        /* n-ary ops: one buffer reused (their operands are written in turn) */
} latex_ctx;

static void latex_operand(const void *ctx, size_t k, const char **text, int *prec)
{
    latex_ctx *c = (latex_ctx *)ctx; /* the buffers are scratch: written, then read at once */
    const uint32_t a = arg_id(c->v->t, c->i, k);
    char *dst = k < 3 ? c->text[k] : c->text[(k % 2) + 1];
    tgi_view_label_latex(c->v, a, dst, 512);
    *text = dst;
    *prec = c->v->label_prec[a];
}

const char *tgi_view_expr_latex(const tgi_view *v, uint32_t i, char *buf, size_t cap)
{
    tgi_buf b = tgi_buf_init(buf, cap);
    latex_ctx *c = malloc(sizeof *c);
    if (!c)
        return buf;
    c->v = v;
    c->i = i;
    write_op(&b, tgi_code_op(v->t->code[i]), n_args(v->t, i), latex_operand, c, 1);
    free(c);
    return buf;
}

const char *tgi_view_label_latex(const tgi_view *v, uint32_t i, char *buf, size_t cap)
{
    tgi_buf b = tgi_buf_init(buf, cap);
    if (v->label_kind[i] == TGI_LABEL_EXPR)
        return tgi_view_expr_latex(v, i, buf, cap);
    if (v->label_kind[i] == TGI_LABEL_CONST)
        tgi_buf_add(&b, tgi_view_label(v, i));
    else
        tex_text(&b, tgi_view_label(v, i));
    return buf;
}

/* ---- Sets of names (the labels in use, the names of the program) ------------------------ */

typedef struct name_set {
    char *arena; /* NUL-separated strings */
    size_t n_arena, cap_arena;
    uint32_t *slot; /* offset + 1 into arena, 0 for empty */
    size_t n, cap;  /* cap: a power of two */
} name_set;

static uint64_t hash_str(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static int set_has_n(const name_set *s, const char *str, size_t len)
{
    if (!s->cap)
        return 0;
    for (size_t j = hash_str(str, len) & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        if (!s->slot[j])
            return 0;
        const char *e = s->arena + s->slot[j] - 1;
        if (strncmp(e, str, len) == 0 && e[len] == '\0')
            return 1;
    }
}

static int set_has(const name_set *s, const char *str)
{
    return set_has_n(s, str, strlen(str));
}

/* Adds str[0..len); 0 when out of memory. */
static int set_add_n(name_set *s, const char *str, size_t len)
{
    if (set_has_n(s, str, len))
        return 1;
    if (2 * (s->n + 1) > s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 64;
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return 0;
        for (size_t j = 0; j < s->cap; j++) {
            if (!s->slot[j])
                continue;
            const char *e = s->arena + s->slot[j] - 1;
            size_t h = hash_str(e, strlen(e)) & (cap - 1);
            while (slot[h])
                h = (h + 1) & (cap - 1);
            slot[h] = s->slot[j];
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    if (s->n_arena + len + 1 > s->cap_arena) {
        size_t cap = s->cap_arena ? s->cap_arena : 1024;
        while (cap < s->n_arena + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX - 1)
            return 0;
        char *a = realloc(s->arena, cap);
        if (!a)
            return 0;
        s->arena = a;
        s->cap_arena = cap;
    }
    memcpy(s->arena + s->n_arena, str, len);
    s->arena[s->n_arena + len] = '\0';
    size_t h = hash_str(str, len) & (s->cap - 1);
    while (s->slot[h])
        h = (h + 1) & (s->cap - 1);
    s->slot[h] = (uint32_t)(s->n_arena + 1);
    s->n_arena += len + 1;
    s->n++;
    return 1;
}

static int set_add(name_set *s, const char *str)
{
    return set_add_n(s, str, strlen(str));
}

static void set_free(name_set *s)
{
    free(s->arena);
    free(s->slot);
}

/* Adds every identifier ([A-Za-z_][A-Za-z0-9_]*) that occurs in s. */
static int set_add_identifiers(name_set *set, const char *s)
{
    for (const char *p = s; *p;) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_') {
            const char *q = p;
            while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || *q == '_' ||
                   (*q >= '0' && *q <= '9'))
                q++;
            if (!set_add_n(set, p, (size_t)(q - p)))
                return 0;
            p = q;
        } else if (*p >= '0' && *p <= '9') { /* a number: 1e5 is not the name e5 */
            while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
                   ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
                p++;
        } else {
            p++;
        }
    }
    return 1;
}

/* ---- The view: cone, labels, placeholders, steps ---------------------------------------- */

static int add_label(tgi_view *v, uint32_t i, const char *s, tgi_label_kind kind, int prec)
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
    v->label_kind[i] = (uint8_t)kind;
    v->label_prec[i] = (uint8_t)prec;
    v->n_labels += len;
    return 1;
}

/* The first of prefix1, prefix2, ... (or base_2, base_3, ... when base is set) that is
 * neither a name of the program nor a label in use. *counter carries on from the last one. */
static void fresh_name(char *buf, size_t cap, const char *prefix, unsigned *counter,
                       const name_set *taken, const name_set *used)
{
    for (;;) {
        ++*counter;
        snprintf(buf, cap, "%s%u", prefix, *counter);
        if (!set_has(taken, buf) && !set_has(used, buf))
            return;
    }
}

/* Is some name in s `prefix` followed by digits only (t1, t12)? */
static int set_has_numbered(const name_set *s, const char *prefix)
{
    const size_t n = strlen(prefix);
    for (size_t off = 0; off < s->n_arena; off += strlen(s->arena + off) + 1) {
        const char *e = s->arena + off;
        if (strncmp(e, prefix, n) != 0 || !e[n])
            continue;
        size_t k = n;
        while (e[k] >= '0' && e[k] <= '9')
            k++;
        if (!e[k])
            return 1;
    }
    return 0;
}

/* The prefix of generated names: the first of candidates that no name of the program uses with
 * a number (a program with targets t1, t2, t3 gets v1, v2, ... rather than t4, t5). */
static const char *name_prefix(const name_set *taken, const char *const *candidates, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!set_has_numbered(taken, candidates[k]))
            return candidates[k];
    return candidates[0]; /* fresh_name still skips every name in use */
}

/* Gives every in-cone node its label, in tape order (an expression label is made of its args'
 * labels, which come earlier). */
static int assign_labels(tgi_view *v, name_set *taken, name_set *used)
{
    const tg_tape *t = v->t;
    const size_t expr_max = (size_t)TGI_LABEL_EXPR_MAX * v->width / 80;
    unsigned n_temp = 0, n_input = 0;
    char buf[512], e[256];
    for (uint32_t i = 0; i < v->n; i++) {
        const char *name = v->in_cone[i] ? tg_name(t, (tg_var){i}) : NULL;
        if (name && name[0] && !set_add(taken, name))
            return 0;
    }
    static const char *const temps[] = {"t", "v", "n", "tmp"}, *const inputs[] = {"x", "in"};
    const char *temp_prefix = name_prefix(taken, temps, sizeof temps / sizeof temps[0]);
    const char *input_prefix = name_prefix(taken, inputs, sizeof inputs / sizeof inputs[0]);
    for (uint32_t i = 0; i < v->n; i++) {
        if (!v->in_cone[i])
            continue;
        const tg_var vi = {i};
        const char *name = tg_name(t, vi);
        const unsigned op = tgi_code_op(t->code[i]);
        int ok;
        if (name && name[0]) {
            /* the program's name; a name given again (c = c + 1) is told apart as c_2, c_3 */
            if (!set_has(used, name)) {
                ok = add_label(v, i, name, TGI_LABEL_NAME, TGI_PREC_ATOM);
            } else {
                char *prefix = malloc(strlen(name) + 2);
                char *fresh = malloc(strlen(name) + 24);
                unsigned k = 1;
                ok = prefix && fresh;
                if (ok) {
                    snprintf(prefix, strlen(name) + 2, "%s_", name);
                    fresh_name(fresh, strlen(name) + 24, prefix, &k, taken, used);
                    ok = add_label(v, i, fresh, TGI_LABEL_NAME, TGI_PREC_ATOM);
                }
                free(prefix);
                free(fresh);
            }
        } else if (op == TG_OP_CONST) {
            if (t->value[i] == 3.141592653589793) /* the language's pi: the same double */
                snprintf(buf, sizeof buf, "pi");
            else
                tgi_num_exact(buf, t->value[i]);
            ok = add_label(v, i, buf, TGI_LABEL_CONST,
                           buf[0] == '-' ? TGI_PREC_UNARY : TGI_PREC_ATOM);
            continue; /* constants are shown by value wherever they are: not in `used` */
        } else if (op == TG_OP_INPUT) {
            fresh_name(buf, sizeof buf, input_prefix, &n_input, taken, used);
            ok = add_label(v, i, buf, TGI_LABEL_TEMP, TGI_PREC_ATOM);
        } else {
            tgi_view_expr(v, i, e, sizeof e);
            if (strlen(e) + 4 < sizeof e && tgi_n_chars(e) <= expr_max && !set_has(used, e)) {
                ok = add_label(v, i, e, TGI_LABEL_EXPR, syntax_of(op).prec);
            } else {
                fresh_name(buf, sizeof buf, temp_prefix, &n_temp, taken, used);
                ok = add_label(v, i, buf, TGI_LABEL_TEMP, TGI_PREC_ATOM);
            }
        }
        if (!ok || !set_add(used, tgi_view_label(v, i)))
            return 0;
    }
    return 1;
}

/* Chooses placeholders that are no name of the program and no label: the output is its own
 * name when that is L, J, E, F or Q, else "L" unless another node is called L (then J, ...);
 * an operation's args are "a, b, c" (else "u, v, w", ...), its result "y" (else "f", ...). */
static int choose_placeholders(tgi_view *v, const name_set *taken, const name_set *used)
{
    name_set ids = {0};
    int ok = 1;
    for (uint32_t i = 0; i < v->n && ok; i++)
        if (v->in_cone[i] && v->label_kind[i] != TGI_LABEL_CONST)
            ok = set_add_identifiers(&ids, tgi_view_label(v, i));
    if (!ok) {
        set_free(&ids);
        return 0;
    }
#define FREE(s) (!set_has(&ids, (s)) && !set_has(taken, (s)) && !set_has(used, (s)))
    static const char *const outs[] = {"L", "J", "E", "F", "Q"};
    const char *out_label = tgi_view_label(v, v->out);
    const char *ph_out = NULL;
    for (size_t k = 0; k < sizeof outs / sizeof outs[0] && !ph_out; k++)
        if (strcmp(out_label, outs[k]) == 0) /* a loss called J is written dJ/dw */
            ph_out = outs[k];
    for (size_t k = 0; k < sizeof outs / sizeof outs[0] && !ph_out; k++)
        if (FREE(outs[k]))
            ph_out = outs[k];
    snprintf(v->ph_out, sizeof v->ph_out, "%s", ph_out ? ph_out : "L");
    for (unsigned k = 0; !ph_out; k++) { /* every short one is taken: L_1, L_2, ... */
        snprintf(v->ph_out, sizeof v->ph_out, "L_%u", k + 1);
        if (FREE(v->ph_out))
            break;
    }
    static const char *const args[][3] = {
        {"a", "b", "c"}, {"u", "v", "w"}, {"p", "q", "r"}, {"A", "B", "C"}, {"U", "V", "W"}};
    /* only the placeholders the trace's rules use must be free: c only for where(c, a, b) */
    int need = 2;
    for (uint32_t i = 0; i < v->n; i++) {
        const unsigned op = tgi_code_op(v->t->code[i]);
        const size_t n = n_args(v->t, i);
        if (v->in_cone[i] && op != TG_OP_SUM && op != TG_OP_DOT && n > (size_t)need)
            need = n > 3 ? 3 : (int)n;
    }
    int found = 0;
    for (size_t k = 0; k < sizeof args / sizeof args[0] && !found; k++) {
        found = 1;
        for (int j = 0; j < need; j++)
            found &= FREE(args[k][j]) && strcmp(args[k][j], v->ph_out) != 0;
        for (int j = 0; j < 3 && found; j++)
            snprintf(v->ph_arg[j], sizeof v->ph_arg[j], "%s", args[k][j]);
    }
    for (size_t k = 0; found && k < sizeof args / sizeof args[0]; k++) { /* an unused third */
        if (FREE(v->ph_arg[2]) && strcmp(v->ph_arg[2], v->ph_out) != 0)
            break;
        snprintf(v->ph_arg[2], sizeof v->ph_arg[2], "%s", args[k][2]);
    }
    for (unsigned k = 0; !found; k++) {
        found = 1;
        for (int j = 0; j < 3; j++) {
            snprintf(v->ph_arg[j], sizeof v->ph_arg[j], "%c_%u", 'a' + j, k + 1);
            found &= FREE(v->ph_arg[j]);
        }
    }
    static const char *const ys[] = {"y", "f", "g", "h", "z", "Y"};
    found = 0;
    for (size_t k = 0; k < sizeof ys / sizeof ys[0] && !found; k++) {
        found = FREE(ys[k]) && strcmp(ys[k], v->ph_out) != 0;
        for (int j = 0; j < 3; j++)
            found &= strcmp(ys[k], v->ph_arg[j]) != 0;
        if (found)
            snprintf(v->ph_y, sizeof v->ph_y, "%s", ys[k]);
    }
    for (unsigned k = 0; !found; k++) {
        snprintf(v->ph_y, sizeof v->ph_y, "y_%u", k + 1);
        found = FREE(v->ph_y);
    }
#undef FREE
    set_free(&ids);
    return 1;
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

tg_status tgi_view_init(tgi_view *v, const tg_tape *t, tg_var out, unsigned width)
{
    memset(v, 0, sizeof *v);
    if (!t || !tgi_valid(t, out))
        return TG_ERR_BADVAR;
    v->t = t;
    v->out = out.id;
    v->n = out.id + 1;
    v->width = width == 0 ? 80 : width < 40 ? 40 : width;
    v->in_cone = calloc(v->n, 1);
    v->label_off = calloc(v->n, sizeof *v->label_off);
    v->label_prec = calloc(v->n, 1);
    v->label_kind = calloc(v->n, 1);
    v->first_into = malloc((size_t)v->n * sizeof *v->first_into);
    v->n_into = calloc(v->n, sizeof *v->n_into);
    uint32_t *last_into = malloc((size_t)v->n * sizeof *last_into);
    name_set taken = {0}, used = {0};
    if (!v->in_cone || !v->label_off || !v->label_prec || !v->label_kind || !v->first_into ||
        !v->n_into || !last_into)
        goto nomem;

    /* The cone: out, and every arg of a node in the cone (args come earlier on the tape). */
    v->in_cone[out.id] = 1;
    for (uint32_t i = v->n; i-- > 0;) {
        v->first_into[i] = last_into[i] = TGI_NO_STEP;
        if (!v->in_cone[i])
            continue;
        const size_t n_in = n_args(t, i);
        for (size_t k = 0; k < n_in; k++)
            v->in_cone[arg_id(t, i, k)] = 1;
    }
    if (!assign_labels(v, &taken, &used) || !choose_placeholders(v, &taken, &used))
        goto nomem;

    /* The steps, in the order the sweep takes them. After tg_backward, grad[i] is final when
     * the sweep reaches i (every consumer of i comes later on the tape), so it is the upstream
     * gradient:  dL/d(x_k) += dL/dy * dy/dx_k. */
    for (uint32_t i = v->n; i-- > 0;) {
        if (!v->in_cone[i])
            continue;
        const tg_var vi = {i};
        const size_t n_in = n_args(t, i);
        for (size_t k = 0; k < n_in; k++) {
            const uint32_t to = arg_id(t, i, k);
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
    set_free(&taken);
    set_free(&used);
    return TG_OK;
nomem:
    free(last_into);
    set_free(&taken);
    set_free(&used);
    tgi_view_clear(v);
    return TG_ERR_NOMEM;
}

void tgi_view_clear(tgi_view *v)
{
    free(v->in_cone);
    free(v->label_off);
    free(v->label_prec);
    free(v->label_kind);
    free(v->labels);
    free(v->steps);
    free(v->first_into);
    free(v->n_into);
    memset(v, 0, sizeof *v);
}

const char *tgi_view_label_fit(const tgi_view *v, uint32_t i, char *buf, size_t width)
{
    const char *label = tgi_view_label(v, i);
    if (width < 8)
        width = 8;
    if (tgi_n_chars(label) <= width)
        return tgi_fit(buf, label, width);
    char id[16];
    const int n_id = snprintf(id, sizeof id, "~%u", (unsigned)i);
    tgi_fit(buf, label, width - (size_t)n_id + 3); /* ends in "...": replaced by ~id */
    const size_t len = strlen(buf);
    memcpy(buf + len - 3, id, (size_t)n_id + 1);
    return buf;
}

const char *tgi_dl_d(char *buf, size_t cap, const tgi_view *v, const char *label)
{
    snprintf(buf, cap, tgi_n_chars(label) == 1 ? "d%s/d%s" : "d%s/d(%s)", v->ph_out, label);
    return buf;
}

const char *tgi_factor(char *buf, double x)
{
    char n[32];
    tgi_num(n, x);
    snprintf(buf, 40, n[0] == '-' ? "(%s)" : "%s", n);
    return buf;
}

const char *tgi_step_text(const tgi_view *v, const tgi_step *s, char *buf, size_t cap)
{
    char d1[1024], d2[1024], name[512], f1[40], f2[40], n[32];
    snprintf(buf, cap, "%s += %s * %s = %s * %s = %s",
             tgi_dl_d(d1, sizeof d1, v, tgi_view_label(v, s->to)),
             tgi_dl_d(d2, sizeof d2, v, tgi_view_label(v, s->at)),
             tgi_step_rule_name(v, s, name, sizeof name), tgi_factor(f1, s->upstream),
             tgi_factor(f2, s->local), tgi_num(n, s->contribution));
    return buf;
}

int tgi_in_table(const tgi_view *v, uint32_t i)
{
    return v->in_cone[i] && (v->label_kind[i] != TGI_LABEL_CONST || i == v->out);
}

/* ---- Rules ------------------------------------------------------------------------------- */

static void placeholder_operand(const void *ctx, size_t k, const char **text, int *prec)
{
    const tgi_view *v = ctx;
    *text = v->ph_arg[k < 3 ? k : 2];
    *prec = TGI_PREC_ATOM;
}

/* Which rule of the row step s applies: rule[k] for arg k; for the n-ary ops the general
 * slot (sum: rule[0]; dot: rule[0] for the weights w_j, rule[1] for the inputs x_j). */
static int rule_index(const tgi_view *v, const tgi_step *s)
{
    const uint64_t c = v->t->code[s->at];
    const unsigned op = tgi_code_op(c);
    if (op == TG_OP_SUM)
        return 0;
    if (op == TG_OP_DOT)
        return s->k >= n_args(v->t, s->at) / 2;
    return s->k < 3 ? (int)s->k : 2;
}

static void rule_name(const tgi_view *v, const tgi_step *s, tgi_buf *b, int latex)
{
    const uint64_t c = v->t->code[s->at];
    const unsigned op = tgi_code_op(c);
    const syntax sy = syntax_of(op);
    char slot[32];
    if (sy.form == FORM_SUM || sy.form == FORM_DOT) {
        const uint32_t m = (uint32_t)n_args(v->t, s->at) / 2;
        if (sy.form == FORM_DOT)
            snprintf(slot, sizeof slot, "%s_%u", s->k < m ? "w" : "x",
                     (unsigned)(s->k < m ? s->k : s->k - m));
        else
            snprintf(slot, sizeof slot, "x_%u", (unsigned)s->k);
        tgi_buf_add(b, latex ? "\\frac{\\partial\\, \\operatorname{" : "d(");
        tgi_buf_add(b, sy.spell);
        tgi_buf_add(b, latex ? "}}{\\partial " : ")/d");
        if (latex) {
            char *us = strchr(slot, '_');
            *us = '\0';
            tgi_buf_add(b, slot);
            tgi_buf_add(b, "_{");
            tgi_buf_add(b, us + 1);
            tgi_buf_add(b, "}}");
        } else {
            tgi_buf_add(b, slot);
        }
        return;
    }
    tgi_buf_add(b, latex ? "\\frac{\\partial " : "d(");
    if (latex)
        tgi_buf_add(b, "\\left(");
    write_op(b, op, n_args(v->t, s->at), placeholder_operand, v, latex ? 1 : 2);
    tgi_buf_add(b, latex ? "\\right)}{\\partial " : ")/d");
    tgi_buf_add(b, v->ph_arg[s->k < 3 ? s->k : 2]);
    if (latex)
        tgi_buf_add(b, "}");
}

const char *tgi_step_rule_name(const tgi_view *v, const tgi_step *s, char *buf, size_t cap)
{
    tgi_buf b = tgi_buf_init(buf, cap);
    rule_name(v, s, &b, 0);
    return buf;
}

/* Copies rule r with the placeholders a, b, c, y replaced by the view's; a name followed by
 * "(" is a function and stays, and so does a LaTeX command (after a backslash). */
static void substitute(const tgi_view *v, tgi_buf *b, const char *r)
{
    char one[2] = {0, 0};
    for (const char *p = r; *p;) {
        const int starts = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_';
        if (!starts) {
            one[0] = *p++;
            tgi_buf_add(b, one);
            continue;
        }
        const char *q = p;
        while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || *q == '_' ||
               (*q >= '0' && *q <= '9'))
            q++;
        const int command = p > r && p[-1] == '\\';
        const char *repl = NULL;
        if (!command && q - p == 1 && *q != '(') {
            if (*p == 'a' || *p == 'b' || *p == 'c')
                repl = v->ph_arg[*p - 'a'];
            else if (*p == 'y')
                repl = v->ph_y;
        }
        if (repl) {
            tgi_buf_add(b, repl);
        } else {
            for (const char *k = p; k < q; k++) {
                one[0] = *k;
                tgi_buf_add(b, one);
            }
        }
        p = q;
    }
}

const char *tgi_step_rule(const tgi_view *v, const tgi_step *s, char *buf, size_t cap)
{
    tgi_buf b = tgi_buf_init(buf, cap);
    const char *r = tg_op_info_of((tg_op)tgi_code_op(v->t->code[s->at]))->rule[rule_index(v, s)];
    substitute(v, &b, r ? r : "?");
    return buf;
}

const char *tgi_step_rule_name_latex(const tgi_view *v, const tgi_step *s, char *buf, size_t cap)
{
    tgi_buf b = tgi_buf_init(buf, cap);
    rule_name(v, s, &b, 1);
    return buf;
}

const char *tgi_step_rule_latex(const tgi_view *v, const tgi_step *s, char *buf, size_t cap)
{
    const tg_op_info *in = tg_op_info_of((tg_op)tgi_code_op(v->t->code[s->at]));
    const char *r = in->rule_latex[rule_index(v, s)];
    tgi_buf b = tgi_buf_init(buf, cap);
    if (r) {
        substitute(v, &b, r);
    } else { /* every row has its LaTeX (tests/core/test_rules.c); else the text, as text */
        char text[256];
        tgi_step_rule(v, s, text, sizeof text);
        tgi_buf_add(&b, "\\text{");
        tgi_buf_add(&b, text);
        tgi_buf_add(&b, "}");
    }
    return buf;
}

/* ---- The public entry point -------------------------------------------------------------- */

tg_status tg_trace_backward_width(tg_tape *t, tg_var out, FILE *f, tg_trace_format fmt,
                                  unsigned width)
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
    if (tgi_view_init(&v, t, out, width) != TG_OK)
        return tgi_fail(t, TG_ERR_NOMEM, "tg_trace_backward: out of memory");
    if (fmt == TG_TRACE_TEXT)
        tgi_trace_text(f, &v);
    else if (fmt == TG_TRACE_MARKDOWN)
        tgi_trace_markdown(f, &v);
    else
        tgi_trace_json(f, &v);
    tgi_view_clear(&v);
    if (fflush(f) != 0 || ferror(f))
        return tgi_fail(t, TG_ERR_IO, "tg_trace_backward: writing the trace failed");
    return TG_OK;
}

tg_status tg_trace_backward(tg_tape *t, tg_var out, FILE *f, tg_trace_format fmt)
{
    return tg_trace_backward_width(t, out, f, fmt, 80);
}
