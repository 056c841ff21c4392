/* tg_ops.h: the operations that record nodes on a tape, and what can be asked of the op table.
 * Each operation computes its value at once (eager forward) and appends one node; its local
 * derivative rule lives in the same row of ops/ops.c. The tape itself is in core/tg_core.h. */
#ifndef TG_OPS_H
#define TG_OPS_H

#include "tg_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One value per row of the op table (ops/ops.c). Order is not part of the ABI. */
typedef enum tg_op {
    TG_OP_INPUT,   /* leaf: an input or parameter */
    TG_OP_CONST,   /* leaf: a constant */
    TG_OP_ADD,     /* a + b */
    TG_OP_SUB,     /* a - b */
    TG_OP_MUL,     /* a * b */
    TG_OP_DIV,     /* a / b */
    TG_OP_POW,     /* a ^ b, both differentiable */
    TG_OP_POWC,    /* a ^ p, p a constant node (no gradient for p) */
    TG_OP_NEG,     /* -a */
    TG_OP_EXP,     /* e^a */
    TG_OP_LOG,     /* natural log */
    TG_OP_SQRT,
    TG_OP_SIN,
    TG_OP_COS,
    TG_OP_TAN,
    TG_OP_TANH,
    TG_OP_SIGMOID, /* 1 / (1 + e^-a), stable for large |a| */
    TG_OP_RELU,    /* max(a, 0); relu'(0) = 0 */
    TG_OP_ABS,     /* |a|; abs'(0) = 0 */
    TG_OP_SUM,     /* x0 + x1 + ... (n-ary, one node) */
    TG_OP_DOT,     /* w0*x0 + w1*x1 + ... (n-ary, one node) */
    TG_OP_STEP,    /* a > 0 ? 1 : 0: relu'(a) as a node (higher-order derivatives of relu) */
    TG_OP_SIGN,    /* a > 0 ? 1 : a < 0 ? -1 : 0: abs'(a) as a node */
    TG_OP_GATE,    /* b > 0 ? a : 0: relu's recorded derivative (PyTorch's threshold_backward) */
    TG_N_OPS
} tg_op;

/* ---- Binary and unary operations ---------------------------------------------------------
 * All take the tape first and return the new node, or an invalid tg_var (with the error kept
 * on the tape) if an argument is invalid or memory runs out. Domain errors (log(-1), 1/0) are
 * not errors here: they give the IEEE result (NaN, inf), as C's math library does. */
TG_API tg_var tg_add(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_sub(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_mul(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_div(tg_tape *t, tg_var a, tg_var b);
/* a^b. When b is a constant node (tg_const) this records TG_OP_POWC: no gradient for b. */
TG_API tg_var tg_pow(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_neg(tg_tape *t, tg_var a);
TG_API tg_var tg_exp(tg_tape *t, tg_var a);
TG_API tg_var tg_log(tg_tape *t, tg_var a);
TG_API tg_var tg_sqrt(tg_tape *t, tg_var a);
TG_API tg_var tg_sin(tg_tape *t, tg_var a);
TG_API tg_var tg_cos(tg_tape *t, tg_var a);
TG_API tg_var tg_tan(tg_tape *t, tg_var a);
TG_API tg_var tg_tanh(tg_tape *t, tg_var a);
TG_API tg_var tg_sigmoid(tg_tape *t, tg_var a);
TG_API tg_var tg_relu(tg_tape *t, tg_var a);
TG_API tg_var tg_abs(tg_tape *t, tg_var a);
/* step(a) = (a > 0 ? 1 : 0) and sign(a) = (a > 0 ? 1 : a < 0 ? -1 : 0), exactly relu'(a) and
 * abs'(a) (NaN gives 0 for both, as those derivatives do). Their own derivative is 0 everywhere
 * (at the jump too). A gradient graph (core/tg_higher.h) records abs' as sign and relu's
 * g * relu'(a) as TG_OP_GATE; none of the three is a function of the expression language. */
TG_API tg_var tg_step(tg_tape *t, tg_var a);
TG_API tg_var tg_sign(tg_tape *t, tg_var a);

/* ---- With a plain number on one side (the number becomes a constant node) ---------------- */
TG_API tg_var tg_addc(tg_tape *t, tg_var a, double c); /* a + c */
TG_API tg_var tg_mulc(tg_tape *t, tg_var a, double c); /* a * c */
TG_API tg_var tg_powc(tg_tape *t, tg_var a, double p); /* a ^ p */
TG_API tg_var tg_rsubc(tg_tape *t, double c, tg_var a); /* c - a */
TG_API tg_var tg_rdivc(tg_tape *t, double c, tg_var a); /* c / a */

/* ---- N-ary operations: one node however many inputs; backward is one loop ---------------
 * xs, w and x are read, not kept. n may be 0 (the sum is then 0). */
TG_API tg_var tg_sum(tg_tape *t, size_t n, const tg_var *xs);
TG_API tg_var tg_dot(tg_tape *t, size_t n, const tg_var *w, const tg_var *x);

/* Writing expressions in C without naming every constant:
 *   tg_var y = TG_SUM(t, a, b, c);                       a + b + c, one node
 *   tg_var z = tg_mul(t, TG_V(t, 2.0), TG_V(t, x));      2.0 becomes a constant, x stays
 * TG_V(t, e) is e itself when e is a tg_var and tg_const(t, e) when e is a number. */
#define TG_SUM(t, ...)                                                                        \
    tg_sum((t), sizeof((tg_var[]){__VA_ARGS__}) / sizeof(tg_var), (tg_var[]){__VA_ARGS__})
TG_API tg_var tg_var_identity(tg_tape *t, tg_var v); /* returns v; lets TG_V select it */
#define TG_V(t, e) _Generic((e), tg_var: tg_var_identity, default: tg_const)((t), (e))

/* ---- The op table, for tools that show or walk a graph ----------------------------------- */

/* The operation that produced v (TG_OP_INPUT or TG_OP_CONST for leaves); TG_N_OPS if invalid. */
TG_API tg_op tg_op_of(const tg_tape *t, tg_var v);
/* Number of inputs of v's node, and its k-th input (invalid tg_var when k is out of range). */
TG_API size_t tg_n_inputs(const tg_tape *t, tg_var v);
TG_API tg_var tg_input_of(const tg_tape *t, tg_var v, size_t k);
/* The op's name as the expression language spells it ("mul", "tanh"); NULL if out of range. */
TG_API const char *tg_op_name(tg_op op);
/* The op whose function name is `name` ("exp", "sigmoid", "pow"), or TG_N_OPS. */
TG_API tg_op tg_op_find(const char *name);
/* Local derivative d(v)/d(input k) at the recorded values: what backward multiplies the
 * upstream gradient by. NaN if v or k is invalid. */
TG_API double tg_local_grad(const tg_tape *t, tg_var v, size_t k);


/* What backward adds into v's input k when v's gradient is `upstream`: upstream times the local
 * derivative, except where the op's zero derivative is a convention that PyTorch applies as a
 * mask (relu at a <= 0; pow's base when b = 0, its exponent when a = 0 and b >= 0): there it is
 * exactly 0 even for an infinite or NaN upstream. NaN if v or k is invalid. */
TG_API double tg_backward_step(const tg_tape *t, tg_var v, size_t k, double upstream);

#ifdef __cplusplus
}
#endif

#endif /* TG_OPS_H */
