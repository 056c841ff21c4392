/* ops_int.h: the op table's row type, for the files that walk the table (the sweeps, replay,
 * anomaly, trace, export). Never installed. The rows themselves are in ops/ops.c, one block per
 * op; the public face of a row is tg_op_info (tg_ops.h). */
#ifndef TG_OPS_INT_H
#define TG_OPS_INT_H

#include "core_int.h"

#define TGI_NARY (-1)

/* Flags of a row. */
#define TGI_INFIX 1u  /* shown as "a <symbol> b" rather than "symbol(a)" */
#define TGI_PREFIX 2u /* unary shown as "<symbol>a" (negation) */
#define TGI_LEAF 4u   /* no inputs, nothing to sweep */

/* One operation: what the sweeps need (first, so the hot columns share cache lines), then
 * what everything else needs (info, the public face: tg_op_info_of). Columns:
 *   arity      how the node stores its arguments: 0 (leaf), 1 or 2 (packed in the code), or
 *              TGI_NARY (argument slots in args[]; info.n_args says how many the op takes)
 *   flags      TGI_INFIX, TGI_PREFIX, TGI_LEAF
 *   forward1/2 y = f(a) or f(a, b)
 *   local1     dy/da given a and y (y lets exp, tanh, sigmoid reuse the forward value)
 *   local2     dy/da and dy/db given a, b and y
 *   forwardn   y over inputs value[arg[0..n-1]]
 *   localn     dy/d(input k) of an n-ary node
 *   backwardn  grad[arg[k]] += g * dy/d(input k) for every k it reaches, as one loop, with
 *              mark set noting each input it adds into (tgi_add_grad): an input it leaves
 *              alone (where's untaken branch, a comparison's operands) is then outside the
 *              cone; with mark 0 (the unmarked sweep) the plain sums
 *   maskedn    NULL, or the n-ary masked column: 1 when input k gets exactly nothing (forward
 *              mode then skips it even for an infinite tangent)
 *   unusedn    NULL, or 1 when input k's value does not reach y at these values (where's
 *              untaken branch): tg_cone(TG_CONE_TAKEN) does not follow it
 *   n_argsn    NULL when an n-ary node's n slots are its n arguments' ids; else the number of
 *              arguments those slots stand for (dot's run of weights, one slot for m ids)
 *   argn       with n_argsn: the id of argument k of those slots
 * The n-ary columns all take (arg, n) = the node's slots and their number, and k an argument
 * index (< tgi_n_args); tgi_n_args and tgi_arg decode any row's slots.
 *   vjp        records g * dy/d(input k) with public ops and returns that node (invalid on
 *              failure): the same number backward computes, as a graph that can be
 *              differentiated again (core/higher.c); y is the node, g the node of dL/dy;
 *              tgi_no_flow() where backward adds nothing at all (see backwardn)
 *   masked     NULL, or says whether input k's local derivative at (a, b) is a convention-zero
 *              that PyTorch applies with where(): the contribution is then exactly 0 even when
 *              the upstream gradient is infinite or NaN (relu at a <= 0; pow at b = 0); the
 *              same condition as info.c_masked[k]
 *   bad_args   NULL, or the reason tg_apply refuses these arguments (dot's odd count, powc's
 *              exponent that is not a constant), NULL when they are fine
 *   construct  NULL, or what tg_apply calls instead of recording this op as it is (pow: a
 *              constant exponent records powc, as tg_pow does)
 *   piece      NULL for an op that is smooth wherever it is defined, else which piece of its
 *              definition the arguments a, b (the first two) and the value y select: -1, 0 or
 *              1 (the side of relu's, abs's or min's kink, a comparison's outcome, where's
 *              branch); tg_piece reads it
 *   info       name, symbol, precedence, rules as text and LaTeX, C spellings (tg_ops.h) */
typedef struct tgi_op_row {
    int arity;
    unsigned flags;
    double (*forward1)(double a);
    double (*forward2)(double a, double b);
    double (*local1)(double a, double y);
    void (*local2)(double a, double b, double y, double *da, double *db);
    int (*masked)(double a, double b, unsigned k);
    double (*forwardn)(const double *value, const uint32_t *arg, uint32_t n);
    double (*localn)(const double *value, const uint32_t *arg, uint32_t n, uint32_t k);
    void (*backwardn)(double *grad, int mark, const double *value, const uint32_t *arg,
                      uint32_t n, double g);
    int (*maskedn)(const double *value, const uint32_t *arg, uint32_t n, uint32_t k);
    int (*unusedn)(const double *value, const uint32_t *arg, uint32_t n, uint32_t k);
    uint32_t (*n_argsn)(const uint32_t *arg, uint32_t n);
    uint32_t (*argn)(const uint32_t *arg, uint32_t n, uint32_t k);
    tg_var (*vjp)(tg_tape *t, tg_var y, tg_var g, uint32_t k);
    const char *(*bad_args)(const tg_tape *t, size_t n, const tg_var *args);
    tg_var (*construct)(tg_tape *t, const tg_var *args);
    int (*piece)(double a, double b, double y);
    tg_op_info info;
} tgi_op_row;

extern TGI_FUNC const tgi_op_row tgi_ops[TG_N_OPS];

/* A node's arguments, decoded in one place for every caller that walks the graph (the hot
 * sweeps decode inline, once per node, for speed): how many, and the id of the k-th. */
static inline uint32_t tgi_n_args(const tg_tape *t, uint32_t i)
{
    const uint64_t c = t->code[i];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    if (row->arity != TGI_NARY)
        return (uint32_t)row->arity;
    return row->n_argsn ? row->n_argsn(t->args + tgi_code_a(c), tgi_code_b(c)) : tgi_code_b(c);
}
static inline uint32_t tgi_arg(const tg_tape *t, uint32_t i, uint32_t k)
{
    const uint64_t c = t->code[i];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    if (row->arity != TGI_NARY)
        return k == 0 ? tgi_code_a(c) : tgi_code_b(c);
    const uint32_t *arg = t->args + tgi_code_a(c);
    return row->argn ? row->argn(arg, tgi_code_b(c), k) : arg[k];
}

/* The cone of node out (core/cone.c): cone[i] = 1 for out and every node it depends on,
 * through every argument, or with TG_CONE_TAKEN not through arguments whose value the node
 * ignores at the recorded values (where's untaken branch; the row's unusedn column). */
TGI_FUNC void tgi_cone(const tg_tape *t, uint32_t out, unsigned flags, unsigned char *cone);

/* What a vjp returns for an input that backward leaves alone (not a node: above every id). */
#define TGI_NO_FLOW_ID (TG_INVALID_ID - 1u)
static inline tg_var tgi_no_flow(void)
{
    tg_var v = {TGI_NO_FLOW_ID};
    return v;
}

/* What a trace or graph draws for the op: its symbol ("*"), else its language name ("tanh"),
 * else its identifier ("gate"). */
static inline const char *tgi_op_symbol(const tgi_op_row *row)
{
    return row->info.symbol ? row->info.symbol : row->info.name ? row->info.name : row->info.id;
}

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
