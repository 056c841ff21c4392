/* ops_int.h: the op table's row type, for the files that walk the table (backward, trace,
 * export, replay). Never installed. The rows themselves are in ops/ops.c. */
#ifndef TG_OPS_INT_H
#define TG_OPS_INT_H

#include "core_int.h"

#define TGI_NARY (-1)

/* Flags of a row. */
#define TGI_INFIX 1u    /* shown as "a <symbol> b" rather than "symbol(a)" */
#define TGI_PREFIX 2u   /* unary shown as "<symbol>a" (negation) */
#define TGI_LEAF 4u     /* no inputs, nothing to sweep */

/* One operation. Columns:
 *   name       the function name in the expression language and in traces ("mul", "tanh")
 *   symbol     what a trace or graph draws ("*", "tanh")
 *   arity      0 (leaf), 1, 2, or TGI_NARY
 *   flags      TGI_INFIX, TGI_PREFIX, TGI_LEAF
 *   forward1/2 y = f(a) or f(a, b)
 *   local1     dy/da given a and y (y lets exp, tanh, sigmoid reuse the forward value)
 *   local2     dy/da and dy/db given a, b and y
 *   forwardn   y over inputs value[arg[0..n-1]]
 *   localn     dy/d(input k) of an n-ary node
 *   backwardn  grad[arg[k]] += g * dy/d(input k) for every k, as one loop
 *   rule       the local derivative of each input, written out for a trace ("b", "1 - y^2"),
 *              in terms of a, b (inputs) and y (output)
 *   masked     NULL, or says whether input k's local derivative at (a, b) is a convention-zero
 *              that PyTorch applies with where(): the contribution is then exactly 0 even when
 *              the upstream gradient is infinite or NaN (relu at a <= 0; pow at b = 0) */
typedef struct tgi_op_row {
    const char *name;
    const char *symbol;
    int arity;
    unsigned flags;
    double (*forward1)(double a);
    double (*forward2)(double a, double b);
    double (*local1)(double a, double y);
    void (*local2)(double a, double b, double y, double *da, double *db);
    double (*forwardn)(const double *value, const uint32_t *arg, uint32_t n);
    double (*localn)(const double *value, const uint32_t *arg, uint32_t n, uint32_t k);
    void (*backwardn)(double *grad, const double *value, const uint32_t *arg, uint32_t n,
                      double g);
    const char *rule[2];
    int (*masked)(double a, double b, unsigned k);
} tgi_op_row;

extern TGI_FUNC const tgi_op_row tgi_ops[TG_N_OPS];

/* What the sweep adds into input k of a node of this row: dL/dx_k += g * dy/dx_k, except that
 * a masked zero (see the masked column) stays 0 when g is infinite or NaN, as in PyTorch. Only a
 * NaN product can differ, so the mask is consulted only then. */
static inline double tgi_contribution(const tgi_op_row *row, double g, double local, double a,
                                      double b, unsigned k)
{
    const double c = g * local;
    if (TGI_UNLIKELY(c != c) && row->masked && row->masked(a, b, k))
        return 0.0;
    return c;
}

/* Records a unary or binary node of op, computing its value by the row's forward. */
TGI_FUNC tg_var tgi_record1(tg_tape *t, tg_op op, tg_var a);
TGI_FUNC tg_var tgi_record2(tg_tape *t, tg_op op, tg_var a, tg_var b);

/* Recomputes node i's value from its inputs' current values (replay). */
TGI_FUNC double tgi_eval_node(const tg_tape *t, uint32_t i);

#endif /* TG_OPS_INT_H */
