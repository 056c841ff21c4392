/* trace_int.h: what the step trace (trace.c) and the DOT export (export.c) share: a "view" of
 * the cone of one output (which nodes out depends on, a printable label for each, and every
 * chain-rule step of the backward sweep with its numbers), and number formatting.
 * Never installed. The numbers come from the tape: call after a backward. */
#ifndef TG_TRACE_INT_H
#define TG_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core_int.h"

#define TGI_NO_STEP UINT32_MAX

/* One chain-rule step:  dL/d(to) += dL/d(at) * d(at)/d(input k) = upstream * local. */
typedef struct tgi_step {
    uint32_t at;   /* the node whose local rule is applied (the consumer) */
    uint32_t to;   /* its k-th input, which receives the contribution */
    uint32_t k;    /* which input of `at` */
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
    char *labels;        /* NUL-separated labels */
    size_t n_labels, cap_labels;
    tgi_step *steps; /* in sweep order: nodes from out down, inputs in order */
    uint32_t n_steps, cap_steps;
    uint32_t *first_into; /* first step into node i, or TGI_NO_STEP */
    uint32_t *n_into;     /* how many steps go into node i */
} tgi_view;

/* Builds the view of out's cone from the tape's current values and gradients. Labels: the
 * node's name, else its source text (tg_get_origin), else "n<id>"; a constant is shown by its
 * value; repeated labels get "#2", "#3" in tape order. Steps skip constant inputs (constants
 * get no gradient). TG_ERR_BADVAR for an invalid out, TG_ERR_NOMEM (view cleared). */
TGI_FUNC tg_status tgi_view_init(tgi_view *v, const tg_tape *t, tg_var out);
TGI_FUNC void tgi_view_clear(tgi_view *v);

static inline const char *tgi_view_label(const tgi_view *v, uint32_t i)
{
    return v->labels + v->label_off[i];
}

/* Is node i a constant (no gradient shown), or a leaf? */
TGI_FUNC int tgi_is_const(const tg_tape *t, uint32_t i);

/* A number as a student reads it: %.6g, with -0 shown as 0. buf holds at least 32 bytes. */
TGI_FUNC const char *tgi_num(char *buf, double x);

/* The operation of node i written with its inputs' labels ("apple * apple_num", "tanh(z)",
 * "x + y + z"), or "input"/"const" for leaves. Writes at most cap bytes (NUL included) into
 * buf, truncating with "..."; returns buf. */
TGI_FUNC const char *tgi_view_expr(const tgi_view *v, uint32_t i, char *buf, size_t cap);

/* The name of the local derivative that step s applies, e.g. "d(a*b)/da", "d(tanh(a))/da",
 * "d(sum)/dx_2", and the op table's rule for it, as text ("b", "1 - tanh(a)^2") and as LaTeX
 * ("1 - \\tanh^{2} a"), both from the row. */
TGI_FUNC const char *tgi_step_rule_name(const tgi_view *v, const tgi_step *s, char *buf,
                                        size_t cap);
TGI_FUNC const char *tgi_step_rule(const tgi_view *v, const tgi_step *s);
TGI_FUNC const char *tgi_step_rule_latex(const tgi_view *v, const tgi_step *s);

/* Copies s to buf as valid UTF-8 (each invalid byte becomes '?') with control characters
 * replaced by ' ', cut to at most `width` characters with "..." at the end. Returns buf,
 * which holds at least 4 * width + 1 bytes. */
TGI_FUNC const char *tgi_fit(char *buf, const char *s, size_t width);

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 if s starts an invalid one. */
TGI_FUNC size_t tgi_utf8_len(const unsigned char *s);

#endif /* TG_TRACE_INT_H */
