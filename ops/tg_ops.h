/* tg_ops.h: the operations that record nodes on a tape, and what can be asked of the op table.
 * Each operation computes its value at once (eager forward) and appends one node; its local
 * derivative rule lives in the same row of ops/ops.c. The tape itself is in core/tg_core.h. */
#ifndef TG_OPS_H
#define TG_OPS_H

#include "tg_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every operation, once: the enum below is generated from this list, and ops/ops.c builds its
 * table from the same list, so an op without a row (ROW_X in ops/ops.c) does not compile.
 * Order is not part of the ABI. */
#define TG_OP_LIST(X)                                                                              \
    X(INPUT) /* leaf: an input or parameter */                                                     \
    X(CONST) /* leaf: a constant */                                                                \
    X(ADD)   /* a + b */                                                                           \
    X(SUB)   /* a - b */                                                                           \
    X(MUL)   /* a * b */                                                                           \
    X(DIV)   /* a / b */                                                                           \
    X(POW)   /* a ^ b, both differentiable */                                                      \
    X(POWC)  /* a ^ p, p a constant node (no gradient for p) */                                    \
    X(NEG)   /* -a */                                                                              \
    X(EXP)   /* e^a */                                                                             \
    X(LOG)   /* natural log */                                                                     \
    X(SQRT)                                                                                        \
    X(SIN)                                                                                         \
    X(COS)                                                                                         \
    X(TAN)                                                                                         \
    X(TANH)                                                                                        \
    X(SIGMOID) /* 1 / (1 + e^-a), stable for large |a| */                                          \
    X(RELU)    /* max(a, 0); relu'(0) = 0 */                                                       \
    X(ABS)     /* |a|; abs'(0) = 0 */                                                              \
    X(SUM)     /* x0 + x1 + ... (n-ary, one node) */                                               \
    X(DOT)     /* w0*x0 + w1*x1 + ... (n-ary, one node) */                                         \
    X(STEP)    /* a > 0 ? 1 : 0: relu'(a) as a node (higher-order derivatives of relu) */          \
    X(SIGN)    /* a > 0 ? 1 : a < 0 ? -1 : 0: abs'(a) as a node */                                 \
    X(GATE)    /* b > 0 ? a : 0: relu's recorded derivative (PyTorch's threshold_backward) */      \
    X(ASIN)                                                                                        \
    X(ACOS)                                                                                        \
    X(ATAN)                                                                                        \
    X(SINH)                                                                                        \
    X(COSH)                                                                                        \
    X(ASINH)                                                                                       \
    X(ACOSH)                                                                                       \
    X(ATANH)                                                                                       \
    X(LOG1P) /* ln(1 + a), accurate for tiny a */                                                  \
    X(EXPM1) /* e^a - 1, accurate for tiny a */                                                    \
    X(LOG2)                                                                                        \
    X(LOG10)                                                                                       \
    X(ERF)                                                                                         \
    X(ERFC)                                                                                        \
    X(SOFTPLUS) /* ln(1 + e^a), without overflow or cancellation */                                \
    X(ATAN2)    /* atan2(a, b): the angle of the point (b, a) */                                   \
    X(HYPOT)    /* sqrt(a^2 + b^2) without overflow */                                             \
    X(MIN)      /* ties send half the gradient to each side */                                     \
    X(MAX)                                                                                         \
    X(LT) /* a < b: 1 or 0, no gradient (so are le gt ge eq ne) */                                 \
    X(LE)                                                                                          \
    X(GT)                                                                                          \
    X(GE)                                                                                          \
    X(EQ)                                                                                          \
    X(NE)                                                                                          \
    X(WHERE) /* where(c, a, b) = c != 0 ? a : b, gradient into the branch taken only */

typedef enum tg_op {
#define TG_OP_ENUM_(x) TG_OP_##x,
    TG_OP_LIST(TG_OP_ENUM_)
#undef TG_OP_ENUM_
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

/* One argument: asin acos atan sinh cosh asinh acosh atanh log1p expm1 log2 log10 erf erfc,
 * with C's functions of the same names (log1p and expm1 accurate at |a| ~ 1e-12, erfc in the
 * right tail), and softplus(a) = ln(1 + e^a), computed without overflow or cancellation
 * (softplus(700) = 700, softplus(-700) = e^-700), whose derivative is sigmoid(a). Outside a
 * function's domain (asin(2), acosh(0)) the value is NaN, as in C. */
TG_API tg_var tg_asin(tg_tape *t, tg_var a);
TG_API tg_var tg_acos(tg_tape *t, tg_var a);
TG_API tg_var tg_atan(tg_tape *t, tg_var a);
TG_API tg_var tg_sinh(tg_tape *t, tg_var a);
TG_API tg_var tg_cosh(tg_tape *t, tg_var a);
TG_API tg_var tg_asinh(tg_tape *t, tg_var a);
TG_API tg_var tg_acosh(tg_tape *t, tg_var a);
TG_API tg_var tg_atanh(tg_tape *t, tg_var a);
TG_API tg_var tg_log1p(tg_tape *t, tg_var a);
TG_API tg_var tg_expm1(tg_tape *t, tg_var a);
TG_API tg_var tg_log2(tg_tape *t, tg_var a);
TG_API tg_var tg_log10(tg_tape *t, tg_var a);
TG_API tg_var tg_erf(tg_tape *t, tg_var a);
TG_API tg_var tg_erfc(tg_tape *t, tg_var a);
TG_API tg_var tg_softplus(tg_tape *t, tg_var a);
/* atan2(y, x), the angle of the point (x, y), as C's (atan2(0, 0) = 0, where its derivative is
 * not finite); hypot(a, b) = sqrt(a^2 + b^2) without overflow, derivative 0 at (0, 0) (PyTorch
 * gives NaN); min and max, NaN if either argument is NaN, and at a tie (a == b) half of the
 * upstream gradient to each argument (PyTorch's convention: max(x, x) has derivative 1). */
TG_API tg_var tg_atan2(tg_tape *t, tg_var y, tg_var x);
TG_API tg_var tg_hypot(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_min(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_max(tg_tape *t, tg_var a, tg_var b);
/* Comparisons a < b, a <= b, a > b, a >= b, a == b, a != b: 1 when it holds, else 0 (a NaN
 * makes all false but !=). They pass no gradient: nothing flows back into a or b through them,
 * not even 0 * inf. Each records one node with its two operands in argument slots (8 bytes
 * more than a binary op). */
TG_API tg_var tg_lt(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_le(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_gt(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_ge(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_eq(tg_tape *t, tg_var a, tg_var b);
TG_API tg_var tg_ne(tg_tape *t, tg_var a, tg_var b);
/* where(c, a, b): a's value where c != 0 (a NaN c too), else b's. The gradient flows into the
 * branch taken only; the branch not taken gets nothing and passes nothing on, even where its
 * values or local derivatives are infinite or NaN (where(x > 0, sqrt(x), 0) at x = 0 has
 * derivative 0); c gets no gradient. The branch is the one taken when the node was recorded or
 * last replayed; a gradient graph (tg_grad_graph) keeps the one taken when it was recorded. */
TG_API tg_var tg_where(tg_tape *t, tg_var c, tg_var a, tg_var b);

/* ---- With a plain number on one side (the number becomes a constant node) ---------------- */
TG_API tg_var tg_addc(tg_tape *t, tg_var a, double c);  /* a + c */
TG_API tg_var tg_mulc(tg_tape *t, tg_var a, double c);  /* a * c */
TG_API tg_var tg_powc(tg_tape *t, tg_var a, double p);  /* a ^ p */
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
#define TG_SUM(t, ...)                                                                             \
    tg_sum((t), sizeof((tg_var[]){__VA_ARGS__}) / sizeof(tg_var), (tg_var[]){__VA_ARGS__})
TG_API tg_var tg_var_identity(tg_tape *t, tg_var v); /* returns v; lets TG_V select it */
#define TG_V(t, e) _Generic((e), tg_var : tg_var_identity, default : tg_const)((t), (e))

/* ---- The op table: what every other part (the language, traces, pictures, code generation,
 * tests) knows about an operation, read from its row in ops/ops.c ---------------------------- */

#define TG_NARY (-1) /* n_args of sum and dot: any number of arguments */

/* Binding powers of the language's operators (higher binds tighter): comparisons < + - < * /
 * < unary - < ^ (right-associative). 0 for an op without a symbol. */
enum { TG_PREC_NONE = 0, TG_PREC_COMPARE, TG_PREC_ADD, TG_PREC_MUL, TG_PREC_UNARY, TG_PREC_POW };

/* One operation, as the outside sees it. Every string is static (owned by the library).
 * Placeholders: a, b, c are the arguments in order, y the node's own value.
 *   id          never NULL: the op's identifier for messages and JSON ("add", "powc", "gate")
 *   name        the function name in the language ("atan2", "sigmoid", "pow"), or NULL when the
 *               language has no function of that name (operators such as +, the n-ary sum and
 *               dot, and the internal ops step, sign, gate, powc)
 *   n_args      0 (leaf), 1, 2, 3, or TG_NARY
 *   symbol      the infix operator ("+", "^") or, for a unary op, the prefix one ("-"), or NULL
 *   precedence  the symbol's binding power (TG_PREC_*), TG_PREC_NONE without a symbol
 *   right_assoc 1 for ^
 *   rule[k]     dy/d(arg k) in the language's syntax ("1/(1 + a^2)", "a > 0"); for dot, rule[0]
 *               is dy/dw_j and rule[1] dy/dx_j over x_j and w_j; NULL past n_args
 *   rule_latex  the same as LaTeX ("\\frac{1}{1 + a^{2}}")
 *   c_forward   C99 expression of y over a, b, c ("tg_libm_atan2(a, b)": the transcendental
 *               functions are the engine's own, tg_libm.h, the C library's pow, sqrt and fabs
 *               keep their names); NULL for sum and dot (a loop)
 *   c_local[k]  C99 expression of dy/d(arg k) over a, b, c, y: the very text the engine
 *               compiles (ops/ops.c stringifies the macro it computes with), so emitted code
 *               gives the tape's numbers bit for bit
 *   c_masked[k] C99 condition under which arg k's contribution is exactly 0 whatever the
 *               upstream gradient (PyTorch's where-masks: relu at a <= 0), or NULL if never */
typedef struct tg_op_info {
    const char *id;
    const char *name;
    int n_args;
    const char *symbol;
    int precedence;
    int right_assoc;
    const char *rule[3];
    const char *rule_latex[3];
    const char *c_forward;
    const char *c_local[3];
    const char *c_masked[3];
} tg_op_info;

/* The row of op, or NULL if op is out of range. */
TG_API const tg_op_info *tg_op_info_of(tg_op op);
/* The op whose language name (tg_op_info.name) is `name` ("exp", "atan2"), or TG_N_OPS: so
 * "add", "sum" and "gate" are not found. name may be NULL (TG_N_OPS). */
TG_API tg_op tg_op_find(const char *name);
/* Records op over args[0..n-1] (read, not kept), as its constructor would: tg_apply(t,
 * TG_OP_TANH, 1, &x) is tg_tanh(t, x); sum takes any n, dot 2m (m weights, then m inputs).
 * TG_ERR_ARG (on the tape, invalid result) for a leaf op, an op out of range, the wrong number
 * of arguments, args NULL with n > 0, or POWC without a constant exponent; TG_ERR_BADVAR for an
 * invalid argument. */
TG_API tg_var tg_apply(tg_tape *t, tg_op op, size_t n, const tg_var *args);

/* ---- Walking a graph: a node's arguments and an output's cone (every tool shares these) -- */

/* The operation that produced v (TG_OP_INPUT or TG_OP_CONST for leaves); TG_N_OPS if invalid. */
TG_API tg_op tg_op_of(const tg_tape *t, tg_var v);
/* Number of arguments (operands) of v's node, 0 for a leaf or an invalid v, and its k-th
 * argument (invalid tg_var when k is out of range). An input is a leaf; a node's operands are
 * its args. */
TG_API size_t tg_n_args(const tg_tape *t, tg_var v);
TG_API tg_var tg_arg(const tg_tape *t, tg_var v, size_t k);

/* Which piece of its definition a piecewise op's recorded arguments select: -1, 0 or 1 for the
 * side of a kink (relu, abs, step, sign: the sign of a; min, max: a > b, a = b, a < b; gate: the
 * sign of b), 1 or 0 for a comparison's outcome and for where's branch (b or c). 0 for every
 * smooth op, a leaf or an invalid v. Two points where every node of a cone has the same piece
 * lie on one smooth piece of the cone's function (what `--check` and `--expect` compare). */
TG_API int tg_piece(const tg_tape *t, tg_var v);

/* How tg_cone follows arguments: through all of them, or (TG_CONE_TAKEN) not into the branch
 * that a where did not take at the recorded values (its value does not reach out). */
enum { TG_CONE_ALL = 0, TG_CONE_TAKEN = 1 };
/* The nodes out depends on: cone[i] = 1 for out and every node reachable from it through
 * arguments, 0 for the other nodes 0..out.id. cone (the caller's) holds out.id + 1 bytes.
 * TG_ERR_ARG for NULL, TG_ERR_BADVAR for an invalid out (cone untouched). */
TG_API tg_status tg_cone(const tg_tape *t, tg_var out, unsigned flags, unsigned char *cone);
/* The op's identifier (tg_op_info.id: "mul", "tanh", "powc"); NULL if out of range. */
TG_API const char *tg_op_name(tg_op op);
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
