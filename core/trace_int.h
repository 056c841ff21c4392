/* trace_int.h: the one view of an output's cone that every output format shares (trace_text.c,
 * trace_md.c, trace_json.c, export.c): which nodes out depends on, a unique label for each,
 * every expression written under the language's precedence, the rule placeholders chosen so
 * that they never collide with a name of the program, and every chain-rule step with its
 * numbers. Built by trace_view.c. Never installed. The numbers come from the tape: call after
 * a backward. */
#ifndef TG_TRACE_INT_H
#define TG_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core_int.h"

#define TGI_NO_STEP UINT32_MAX

/* Binding powers of the language's forms, lowest first: an operand whose power is below its
 * operator's (or equal, on the side that associativity does not take) is parenthesised. */
enum {
    TGI_PREC_CMP = 1,   /* < <= > >= == != (not associative) */
    TGI_PREC_ADD = 2,   /* + - (left) */
    TGI_PREC_MUL = 3,   /* * / (left) */
    TGI_PREC_UNARY = 4, /* unary - + and negative numbers */
    TGI_PREC_POW = 5,   /* ^ (right) */
    TGI_PREC_ATOM = 9   /* a name, a non-negative number, a call, anything in parentheses */
};

/* How a node got its label. */
typedef enum tgi_label_kind {
    TGI_LABEL_NAME, /* the program's name (tg_set_name); a reassigned name gets _2, _3, ... */
    TGI_LABEL_EXPR, /* its expression over its args' labels ("(a + b)*(c - d)"), when short */
    TGI_LABEL_TEMP, /* a generated name, t1, t2, ... (x1, x2, ... for unnamed inputs), gap-free */
    TGI_LABEL_CONST /* an unnamed constant: its value, as the shortest text that reads back */
} tgi_label_kind;

/* One chain-rule step:  dL/d(to) += dL/d(at) * d(at)/d(arg k) = upstream * local. */
typedef struct tgi_step {
    uint32_t at;   /* the node whose local rule is applied (the consumer) */
    uint32_t to;   /* its k-th arg, which receives the contribution */
    uint32_t k;    /* which arg of `at` */
    uint32_t next; /* the next step into the same `to`, or TGI_NO_STEP */
    double upstream, local, contribution;
    double acc; /* dL/d(to) accumulated so far, this step included (sweep order) */
} tgi_step;

typedef struct tgi_view {
    const tg_tape *t;
    uint32_t out;
    uint32_t n;          /* nodes 0..out: out + 1 */
    uint8_t *in_cone;    /* in_cone[i]: 1 if out depends on node i (out itself included) */
    uint32_t *label_off; /* node i's label at labels + label_off[i] (in-cone nodes only) */
    uint8_t *label_prec; /* TGI_PREC_* of node i's label used as an operand */
    uint8_t *label_kind; /* tgi_label_kind */
    char *labels;        /* NUL-separated labels */
    size_t n_labels, cap_labels;
    tgi_step *steps; /* in sweep order: nodes from out down, args in order */
    uint32_t n_steps, cap_steps;
    uint32_t *first_into; /* first step into node i, or TGI_NO_STEP */
    uint32_t *n_into;     /* how many steps go into node i */
    /* The placeholders of the rules, none of them a name in the program: the output ("L"),
     * an operation's args ("a", "b", "c") and its result ("y"). */
    char ph_out[16], ph_arg[3][16], ph_y[16];
    unsigned width; /* columns of text output (at least 40) */
} tgi_view;

/* Labels made from an expression are used only up to this many characters at width 80 (a
 * quarter more or less at other widths); longer ones get a generated name. */
#define TGI_LABEL_EXPR_MAX 24

/* Builds the view of out's cone from the tape's current values and gradients, for text of
 * `width` columns (0: 80). Labels are unique among the cone's nodes that are not constants:
 * the node's name, else its expression if short, else a generated name; constants are shown
 * by their value. Steps skip constant args (constants get no gradient). TG_ERR_BADVAR for an
 * invalid out, TG_ERR_NOMEM (view cleared). */
TGI_FUNC tg_status tgi_view_init(tgi_view *v, const tg_tape *t, tg_var out, unsigned width);
TGI_FUNC void tgi_view_clear(tgi_view *v);

/* Node i's unique label (in-cone nodes only). */
static inline const char *tgi_view_label(const tgi_view *v, uint32_t i)
{
    return v->labels + v->label_off[i];
}

/* Node i's label in at most `width` characters (at least 8) for a picture's box: the label if
 * it fits, else its start and "~" and the node's id ("weight_input_to_h~7"), which stays unique
 * among the cone's labels. buf holds at least 4 * width + 1 bytes; returns buf. */
TGI_FUNC const char *tgi_view_label_fit(const tgi_view *v, uint32_t i, char *buf, size_t width);

/* "dL/dx" for a one-character label, "dL/d(apple)" otherwise (L: the view's placeholder). */
TGI_FUNC const char *tgi_dl_d(char *buf, size_t cap, const tgi_view *v, const char *label);

/* Step s written out: "dL/d(tax) += dL/d(price) * d(a*b)/db = 1 * 650 = 650". */
TGI_FUNC const char *tgi_step_text(const tgi_view *v, const tgi_step *s, char *buf, size_t cap);

/* A factor inside a product: negative numbers in parentheses, "1.1 * (-1)". 40 bytes. */
TGI_FUNC const char *tgi_factor(char *buf, double x);

/* Does node i get a row of the tables: the cone, constants only when named (an unnamed one is
 * already shown by its value wherever it is used) or when it is the output. */
TGI_FUNC int tgi_in_table(const tgi_view *v, uint32_t i);

/* Is node i a constant (no gradient shown)? */
TGI_FUNC int tgi_is_const(const tg_tape *t, uint32_t i);

/* A number as a student reads it: %.6g, with -0 shown as 0. buf holds at least 32 bytes. */
TGI_FUNC const char *tgi_num(char *buf, double x);

/* The shortest decimal text that reads back to x (%.15g to %.17g), -0 as 0. 32 bytes. */
TGI_FUNC const char *tgi_num_exact(char *buf, double x);

/* The operation of node i written with its args' labels under the language's precedence
 * ("apple*apple_num", "tanh(z)", "((a + b)*(c - d))^2"), or "input"/"const" for leaves. Writes
 * at most cap bytes (NUL included) into buf, cutting with "..." only past cap; returns buf. */
TGI_FUNC const char *tgi_view_expr(const tgi_view *v, uint32_t i, char *buf, size_t cap);

/* The same as LaTeX math (labels as \text{...}, * as \cdot, / as \frac, ^ as ^{...}). */
TGI_FUNC const char *tgi_view_expr_latex(const tgi_view *v, uint32_t i, char *buf, size_t cap);

/* Node i's label as LaTeX math: \text{name}, or its expression's LaTeX for a TGI_LABEL_EXPR. */
TGI_FUNC const char *tgi_view_label_latex(const tgi_view *v, uint32_t i, char *buf, size_t cap);

/* The name of the local derivative that step s applies, over the view's placeholders, e.g.
 * "d(a*b)/da", "d(tanh(a))/da", "d(sum)/dx_2"; and its rule ("b", "1 - tanh(a)^2") with the
 * placeholders substituted. The _latex ones: the same as LaTeX math
 * ("\frac{\partial \left(a \cdot b\right)}{\partial a}" and "b"). */
TGI_FUNC const char *tgi_step_rule_name(const tgi_view *v, const tgi_step *s, char *buf,
                                        size_t cap);
TGI_FUNC const char *tgi_step_rule(const tgi_view *v, const tgi_step *s, char *buf, size_t cap);
TGI_FUNC const char *tgi_step_rule_name_latex(const tgi_view *v, const tgi_step *s, char *buf,
                                              size_t cap);
TGI_FUNC const char *tgi_step_rule_latex(const tgi_view *v, const tgi_step *s, char *buf,
                                         size_t cap);

/* Copies s to buf as valid UTF-8 (each invalid byte becomes '?') with control characters
 * replaced by ' ', cut to at most `width` characters with "..." at the end. Returns buf,
 * which holds at least 4 * width + 1 bytes. */
TGI_FUNC const char *tgi_fit(char *buf, const char *s, size_t width);

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 if s starts an invalid one. */
TGI_FUNC size_t tgi_utf8_len(const unsigned char *s);

/* Characters (not bytes) in the UTF-8 text s. */
TGI_FUNC size_t tgi_n_chars(const char *s);

/* The three formats (trace_text.c, trace_md.c, trace_json.c). */
TGI_FUNC void tgi_trace_text(FILE *f, const tgi_view *v);
TGI_FUNC void tgi_trace_markdown(FILE *f, const tgi_view *v);
TGI_FUNC void tgi_trace_json(FILE *f, const tgi_view *v);

/* A growing piece of text in caller storage, cut with "..." when it would overflow. */
typedef struct tgi_buf {
    char *p;
    size_t len, cap;
    int cut;
} tgi_buf;

static inline tgi_buf tgi_buf_init(char *p, size_t cap)
{
    if (cap)
        p[0] = '\0';
    tgi_buf b = {p, 0, cap, 0};
    return b;
}
TGI_FUNC void tgi_buf_add(tgi_buf *b, const char *s);

#endif /* TG_TRACE_INT_H */
