/* ops.c: the op table, one row per operation (forward value and local derivative side by side),
 * and the public constructors that record a node of each op. Adding an operation is one tg_op
 * value in tg_ops.h, one row here, and its tests; nothing else switches over ops.
 * Conventions at kinks: relu'(0) = 0, abs'(0) = 0 (as PyTorch). Domain errors give IEEE values. */
#include <math.h>
#include <string.h>

#include "ops_int.h"

/* ---- Forward functions and local derivatives --------------------------------------------
 * Each local derivative returns dy/dx for an input x at the recorded values; the sweep
 * multiplies it by the upstream gradient g = dL/dy and adds the product into dL/dx. */

/* y = a + b:  dy/da = 1,  dy/db = 1 */
static double add_fwd(double a, double b) { return a + b; }
static void add_local(double a, double b, double y, double *da, double *db)
{
    (void)a, (void)b, (void)y;
    *da = 1.0;
    *db = 1.0;
}

/* y = a - b:  dy/da = 1,  dy/db = -1 */
static double sub_fwd(double a, double b) { return a - b; }
static void sub_local(double a, double b, double y, double *da, double *db)
{
    (void)a, (void)b, (void)y;
    *da = 1.0;
    *db = -1.0;
}

/* y = a * b:  dy/da = b,  dy/db = a */
static double mul_fwd(double a, double b) { return a * b; }
static void mul_local(double a, double b, double y, double *da, double *db)
{
    (void)y;
    *da = b;
    *db = a;
}

/* y = a / b:  dy/da = 1/b,  dy/db = -a/b^2 = -y/b */
static double div_fwd(double a, double b) { return a / b; }
static void div_local(double a, double b, double y, double *da, double *db)
{
    (void)a;
    *da = 1.0 / b;
    *db = -y / b;
}

/* y = a^b:  dy/da = b * a^(b-1),  dy/db = a^b * ln(a) = y ln(a).
 * As PyTorch: dy/da = 0 where b = 0 (so 0^0 does not give 0 * inf), and dy/db = 0 where
 * a = 0 and b >= 0 (the limit of y ln a). ln(a) is NaN for a < 0: no real derivative in b. */
static double pow_fwd(double a, double b) { return pow(a, b); }
static int pow_masked(double a, double b, unsigned k)
{
    return k == 0 ? b == 0.0 : (a == 0.0 && b >= 0.0);
}
static void pow_local(double a, double b, double y, double *da, double *db)
{
    *da = b == 0.0 ? 0.0 : b * pow(a, b - 1.0);
    *db = (a == 0.0 && b >= 0.0) ? 0.0 : y * log(a);
}

/* y = a^p, p constant:  dy/da = p * a^(p-1);  p gets no gradient. */
static void powc_local(double a, double p, double y, double *da, double *dp)
{
    (void)y;
    *da = p == 0.0 ? 0.0 : p * pow(a, p - 1.0);
    *dp = 0.0;
}

/* y = -a:  dy/da = -1 */
static double neg_fwd(double a) { return -a; }
static double neg_local(double a, double y) { (void)a, (void)y; return -1.0; }

/* y = e^a:  dy/da = e^a = y */
static double exp_local(double a, double y) { (void)a; return y; }

/* y = ln a:  dy/da = 1/a */
static double log_local(double a, double y) { (void)y; return 1.0 / a; }

/* y = sqrt(a):  dy/da = 1 / (2 sqrt(a)) = 0.5 / y  (infinite at a = 0) */
static double sqrt_local(double a, double y) { (void)a; return 0.5 / y; }

/* y = sin a:  dy/da = cos a */
static double sin_local(double a, double y) { (void)y; return cos(a); }

/* y = cos a:  dy/da = -sin a */
static double cos_local(double a, double y) { (void)y; return -sin(a); }

/* y = tan a:  dy/da = 1 / cos^2 a = 1 + tan^2 a = 1 + y^2 */
static double tan_local(double a, double y) { (void)a; return 1.0 + y * y; }

/* y = tanh a:  dy/da = 1 - tanh^2 a = 1 - y^2 */
static double tanh_local(double a, double y) { (void)a; return 1.0 - y * y; }

/* y = 1 / (1 + e^-a), computed without overflow: for a < 0 as e^a / (1 + e^a).
 * dy/da = y (1 - y) */
static double sigmoid_fwd(double a)
{
    if (a >= 0.0)
        return 1.0 / (1.0 + exp(-a));
    double e = exp(a);
    return e / (1.0 + e);
}
static double sigmoid_local(double a, double y) { (void)a; return y * (1.0 - y); }

/* y = max(a, 0) (NaN stays NaN):  dy/da = 1 if a > 0, else 0 (relu'(0) = 0) */
static double relu_fwd(double a) { return a > 0.0 ? a : (a != a ? a : 0.0); }
static double relu_local(double a, double y) { (void)y; return a > 0.0 ? 1.0 : 0.0; }
/* PyTorch's threshold_backward: where(a <= 0, 0, g), so relu passes no NaN from above. */
static int relu_masked(double a, double b, unsigned k)
{
    (void)b, (void)k;
    return a <= 0.0;
}

/* y = |a|:  dy/da = sign(a), with abs'(0) = 0 */
static double abs_local(double a, double y)
{
    (void)y;
    return a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0);
}

/* y = x_0 + x_1 + ... + x_{n-1}, left to right:  dy/dx_k = 1 */
static double sum_fwd(const double *value, const uint32_t *arg, uint32_t n)
{
    double s = 0.0;
    for (uint32_t k = 0; k < n; k++)
        s += value[arg[k]];
    return s;
}
static double sum_local(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    (void)value, (void)arg, (void)n, (void)k;
    return 1.0;
}
static void sum_backward(double *grad, const double *value, const uint32_t *arg, uint32_t n,
                         double g)
{
    (void)value;
    for (uint32_t k = 0; k < n; k++)
        grad[arg[k]] += g;
}

/* y = w_0 x_0 + ... + w_{m-1} x_{m-1}, left to right. The 2m argument slots hold w_0..w_{m-1}
 * then x_0..x_{m-1}:  dy/dw_j = x_j,  dy/dx_j = w_j */
static double dot_fwd(const double *value, const uint32_t *arg, uint32_t n)
{
    const uint32_t m = n / 2;
    double s = 0.0;
    for (uint32_t j = 0; j < m; j++)
        s += value[arg[j]] * value[arg[m + j]];
    return s;
}
static double dot_local(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    const uint32_t m = n / 2;
    return k < m ? value[arg[m + k]] : value[arg[k - m]];
}
static void dot_backward(double *grad, const double *value, const uint32_t *arg, uint32_t n,
                         double g)
{
    const uint32_t m = n / 2;
    for (uint32_t j = 0; j < m; j++) {
        const uint32_t w = arg[j], x = arg[m + j];
        grad[w] += g * value[x];
        grad[x] += g * value[w];
    }
}

/* y = step(a) = (a > 0 ? 1 : 0), exactly relu_local (NaN gives 0):  dy/da = 0, at the jump too
 * (the convention that makes relu'' = 0, as PyTorch). */
static double step_fwd(double a) { return a > 0.0 ? 1.0 : 0.0; }
/* y = sign(a), exactly abs_local (NaN gives 0):  dy/da = 0 (abs'' = 0) */
static double sign_fwd(double a) { return a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0); }
static double zero_local(double a, double y) { (void)a, (void)y; return 0.0; }
/* As PyTorch's sign backward (zeros_like): the contribution is 0 whatever the upstream. */
static int zero_masked(double a, double b, unsigned k)
{
    (void)a, (void)b, (void)k;
    return 1;
}

/* y = gate(a, b) = (b > 0 ? a : 0), PyTorch's threshold_backward where(b <= 0, 0, a): relu's
 * recorded derivative g * relu'(b) as one node that stays 0 for b <= 0 even when a is
 * infinite.  dy/da = (b > 0 ? 1 : 0) [where()-masked],  dy/db = 0 [masked]. */
static double gate_fwd(double a, double b) { return b > 0.0 ? a : 0.0; }
static void gate_local(double a, double b, double y, double *da, double *db)
{
    (void)a, (void)y;
    *da = b > 0.0 ? 1.0 : 0.0;
    *db = 0.0;
}
static int gate_masked(double a, double b, unsigned k)
{
    (void)a;
    return k == 1 || !(b > 0.0);
}

/* ---- Recorded derivatives (the vjp column) -----------------------------------------------
 * For a backward that builds a graph (core/higher.c): each returns the node g * dy/dx_k, built
 * with public ops from the same formula and in the same floating-point order as the numeric
 * local derivative above, so its value is the number backward computes, and it can be
 * differentiated again. Where the numeric rule branches on a value (pow's conventions at 0)
 * the branch is taken at recording time, as PyTorch's masked_fill does. */

/* Input k of node y, decoded without tg_input_of's checks (y is a node being swept). */
static inline tg_var input_k(const tg_tape *t, tg_var y, uint32_t k)
{
    const uint64_t c = t->code[y.id];
    tg_var in;
    if (tgi_ops[tgi_code_op(c)].arity == TGI_NARY)
        in.id = t->args[tgi_code_a(c) + k];
    else
        in.id = k == 0 ? tgi_code_a(c) : tgi_code_b(c);
    return in;
}
#define IN(k) input_k(t, y, (k))

/* dy/dx = 1 (add, sum): g * 1 is g exactly, no node. */
static tg_var one_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)t, (void)y, (void)k;
    return g;
}
/* A where()-masked zero (step, sign, gate's b, pow at its conventions): a constant 0, which
 * backward's contribution is too, whatever g is. */
static tg_var zero_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)y, (void)g, (void)k;
    return tg_const(t, 0.0);
}
/* y = a - b:  g * 1 = g,  g * -1 = -g */
static tg_var sub_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)y;
    return k == 0 ? g : tg_neg(t, g);
}
/* y = a * b:  g b,  g a */
static tg_var mul_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, IN(1 - k));
}
/* y = a / b:  g (1/b),  g (-y/b) */
static tg_var div_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    if (k == 0)
        return tg_mul(t, g, tg_rdivc(t, 1.0, IN(1)));
    return tg_mul(t, g, tg_div(t, tg_neg(t, y), IN(1)));
}
/* y = a^b:  g (b * a^(b + -1)) [0 where b = 0],  g (y ln a) [0 where a = 0, b >= 0]. The
 * exponent b - 1 is a node computed from b, so a^(b-1) is a pow node, differentiable in b. */
static tg_var pow_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(0), b = IN(1);
    const double va = tg_value(t, a), vb = tg_value(t, b);
    if (k == 0) {
        if (vb == 0.0)
            return zero_vjp(t, y, g, k);
        return tg_mul(t, g, tg_mul(t, b, tg_pow(t, a, tg_addc(t, b, -1.0))));
    }
    if (va == 0.0 && vb >= 0.0)
        return zero_vjp(t, y, g, k);
    return tg_mul(t, g, tg_mul(t, y, tg_log(t, a)));
}
/* y = a^p, p constant:  g (p * a^(p-1)) [0 where p = 0], p - 1 a new constant;
 * p: g * 0 [0 where a = 0, p >= 0] */
static tg_var powc_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(0), p = IN(1);
    const double va = tg_value(t, a), vp = tg_value(t, p);
    if (k == 1 && !(va == 0.0 && vp >= 0.0))
        return tg_mul(t, g, tg_const(t, 0.0)); /* the constant's unmasked 0: g * 0 */
    if (k == 1 || vp == 0.0)
        return zero_vjp(t, y, g, k);
    return tg_mul(t, g, tg_mul(t, p, tg_pow(t, a, tg_const(t, vp - 1.0))));
}
/* y = -a:  g * -1 = -g */
static tg_var neg_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)y, (void)k;
    return tg_neg(t, g);
}
/* y = e^a:  g y */
static tg_var exp_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, y);
}
/* y = ln a:  g (1/a) */
static tg_var log_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_rdivc(t, 1.0, IN(k)));
}
/* y = sqrt(a):  g (0.5 / y) */
static tg_var sqrt_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_rdivc(t, 0.5, y));
}
/* y = sin a:  g cos a */
static tg_var sin_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_cos(t, IN(k)));
}
/* y = cos a:  g (-sin a) */
static tg_var cos_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_neg(t, tg_sin(t, IN(k))));
}
/* y = tan a:  g (y*y + 1) */
static tg_var tan_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_addc(t, tg_mul(t, y, y), 1.0));
}
/* y = tanh a:  g (1 - y*y) */
static tg_var tanh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_rsubc(t, 1.0, tg_mul(t, y, y)));
}
/* y = sigmoid a:  g (y (1 - y)) */
static tg_var sigmoid_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_mul(t, y, tg_rsubc(t, 1.0, y)));
}
/* y = relu a:  gate(g, a) = (a > 0 ? g : 0) */
static tg_var relu_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tgi_record2(t, TG_OP_GATE, g, IN(k));
}
/* y = gate(a, b):  gate(g, b) for a;  0 for b */
static tg_var gate_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return k == 0 ? tgi_record2(t, TG_OP_GATE, g, IN(1)) : zero_vjp(t, y, g, k);
}/* y = |a|:  g sign(a) */
static tg_var abs_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_sign(t, IN(k)));
}
/* y = sum_j w_j x_j over slots w_0..w_{m-1}, x_0..x_{m-1}:  g x_j for w_j,  g w_j for x_j */
static tg_var dot_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const uint32_t m = tgi_code_b(t->code[y.id]) / 2;
    return tg_mul(t, g, IN(k < m ? m + k : k - m));
}

#undef IN

/* ---- The table ------------------------------------------------------------------------- */

#define LEAF(nm) {.name = nm, .symbol = nm, .arity = 0, .flags = TGI_LEAF}
#define BINARY_COLS(nm, sym, fl, fwd, loc, vj, ra, rb, mask)                                  \
    .name = nm, .symbol = sym, .arity = 2, .flags = fl, .forward2 = fwd, .local2 = loc,       \
    .vjp = vj, .rule = {ra, rb}, .masked = mask
#define UNARY_COLS(nm, sym, fl, fwd, loc, vj, ra, mask)                                       \
    .name = nm, .symbol = sym, .arity = 1, .flags = fl, .forward1 = fwd, .local1 = loc,       \
    .vjp = vj, .rule = {ra, NULL}, .masked = mask
#define BINARY(nm, sym, fl, fwd, loc, vj, ra, rb, mask)                                       \
    {BINARY_COLS(nm, sym, fl, fwd, loc, vj, ra, rb, mask)}
#define UNARY(nm, sym, fl, fwd, loc, vj, ra, mask) {UNARY_COLS(nm, sym, fl, fwd, loc, vj, ra, mask)}
/* The same rows with the derivative also as data: shape, and the constants of TGI_D_CONST
 * (ops_int.h). The function in loc stays the reference, and must agree (test_ops). */
#define BINARY_D(nm, sym, fl, fwd, loc, vj, ra, rb, mask, shp, da, db)                        \
    {BINARY_COLS(nm, sym, fl, fwd, loc, vj, ra, rb, mask), .shape = shp, .dconst = {da, db}}
#define UNARY_D(nm, sym, fl, fwd, loc, vj, ra, mask, shp, da)                                 \
    {UNARY_COLS(nm, sym, fl, fwd, loc, vj, ra, mask), .shape = shp, .dconst = {da, 0.0}}
#define NARY(nm, sym, fwd, loc, bwd, vj, ra, rb)                                              \
    {.name = nm, .symbol = sym, .arity = TGI_NARY, .forwardn = fwd, .localn = loc,           \
     .backwardn = bwd, .vjp = vj, .rule = {ra, rb}}

/* name, symbol, flags, forward, local derivative, recorded derivative (vjp), rule for each
 * input (a, b inputs; y output), where()-masked zeros; the _D rows add the derivative's shape
 * and constants (ops_int.h) */
const tgi_op_row tgi_ops[TG_N_OPS] = {
    [TG_OP_INPUT] = LEAF("input"),
    [TG_OP_CONST] = LEAF("const"),
    [TG_OP_ADD] = BINARY_D("add", "+", TGI_INFIX, add_fwd, add_local, one_vjp, "1", "1", NULL,
                           TGI_D_CONST, 1.0, 1.0),
    [TG_OP_SUB] = BINARY_D("sub", "-", TGI_INFIX, sub_fwd, sub_local, sub_vjp, "1", "-1", NULL,
                           TGI_D_CONST, 1.0, -1.0),
    [TG_OP_MUL] = BINARY_D("mul", "*", TGI_INFIX, mul_fwd, mul_local, mul_vjp, "b", "a", NULL,
                           TGI_D_SWAP, 0.0, 0.0),
    [TG_OP_DIV] = BINARY("div", "/", TGI_INFIX, div_fwd, div_local, div_vjp, "1/b", "-a/b^2",
                         NULL),
    [TG_OP_POW] = BINARY("pow", "^", TGI_INFIX, pow_fwd, pow_local, pow_vjp, "b*a^(b-1)",
                         "a^b*log(a)", pow_masked),
    [TG_OP_POWC] = BINARY("powc", "^", TGI_INFIX, pow_fwd, powc_local, powc_vjp, "b*a^(b-1)", "0",
                          pow_masked),
    [TG_OP_NEG] = UNARY_D("neg", "-", TGI_PREFIX, neg_fwd, neg_local, neg_vjp, "-1", NULL,
                          TGI_D_CONST, -1.0),
    [TG_OP_EXP] = UNARY("exp", "exp", 0, exp, exp_local, exp_vjp, "exp(a)", NULL),
    [TG_OP_LOG] = UNARY("log", "log", 0, log, log_local, log_vjp, "1/a", NULL),
    [TG_OP_SQRT] = UNARY("sqrt", "sqrt", 0, sqrt, sqrt_local, sqrt_vjp, "1/(2*sqrt(a))", NULL),
    [TG_OP_SIN] = UNARY("sin", "sin", 0, sin, sin_local, sin_vjp, "cos(a)", NULL),
    [TG_OP_COS] = UNARY("cos", "cos", 0, cos, cos_local, cos_vjp, "-sin(a)", NULL),
    [TG_OP_TAN] = UNARY("tan", "tan", 0, tan, tan_local, tan_vjp, "1+tan(a)^2", NULL),
    [TG_OP_TANH] = UNARY("tanh", "tanh", 0, tanh, tanh_local, tanh_vjp, "1-tanh(a)^2", NULL),
    [TG_OP_SIGMOID] = UNARY("sigmoid", "sigmoid", 0, sigmoid_fwd, sigmoid_local, sigmoid_vjp,
                            "y*(1-y)", NULL),
    [TG_OP_RELU] = UNARY_D("relu", "relu", 0, relu_fwd, relu_local, relu_vjp, "(a>0 ? 1 : 0)",
                           relu_masked, TGI_D_STEP, 0.0),
    [TG_OP_ABS] = UNARY("abs", "abs", 0, fabs, abs_local, abs_vjp, "sign(a)", NULL),
    [TG_OP_SUM] = NARY("sum", "sum", sum_fwd, sum_local, sum_backward, one_vjp, "1", "1"),
    [TG_OP_DOT] = NARY("dot", "dot", dot_fwd, dot_local, dot_backward, dot_vjp, "x_j", "w_j"),
    [TG_OP_STEP] = UNARY("step", "step", 0, step_fwd, zero_local, zero_vjp, "0", zero_masked),
    [TG_OP_SIGN] = UNARY("sign", "sign", 0, sign_fwd, zero_local, zero_vjp, "0", zero_masked),
    [TG_OP_GATE] = BINARY("gate", "gate", 0, gate_fwd, gate_local, gate_vjp, "(b>0 ? 1 : 0)", "0",
                          gate_masked),
};

/* ---- Recording --------------------------------------------------------------------------- */

static tg_var bad_input(tg_tape *t, tg_op op, tg_var v)
{
    tgi_fail(t, TG_ERR_BADVAR, "%s: invalid input variable %u (tape has %u nodes)",
             tgi_ops[op].name, (unsigned)v.id, (unsigned)t->n_nodes);
    return tg_var_invalid();
}

/* record1/record2 are inlined into each constructor below, where op is a constant: the
 * compiler then reads the row's forward from the const table at compile time and inlines it,
 * so tg_add costs an add and an append rather than two calls through pointers. */
TGI_INLINE tg_var record1(tg_tape *t, tg_op op, tg_var a)
{
    if (TGI_UNLIKELY(!t))
        return tg_var_invalid();
    if (TGI_UNLIKELY(!tgi_valid(t, a)))
        return bad_input(t, op, a);
    return tgi_append(t, tgi_code(op, a.id, 0), tgi_ops[op].forward1(t->value[a.id]));
}

TGI_INLINE tg_var record2(tg_tape *t, tg_op op, tg_var a, tg_var b)
{
    if (TGI_UNLIKELY(!t))
        return tg_var_invalid();
    if (TGI_UNLIKELY(!tgi_valid(t, a)))
        return bad_input(t, op, a);
    if (TGI_UNLIKELY(!tgi_valid(t, b)))
        return bad_input(t, op, b);
    return tgi_append(t, tgi_code(op, a.id, b.id),
                      tgi_ops[op].forward2(t->value[a.id], t->value[b.id]));
}

tg_var tgi_record1(tg_tape *t, tg_op op, tg_var a) { return record1(t, op, a); }
tg_var tgi_record2(tg_tape *t, tg_op op, tg_var a, tg_var b) { return record2(t, op, a, b); }

double tgi_eval_node(const tg_tape *t, uint32_t i)
{
    const uint64_t c = t->code[i];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
    if (row->arity == 1)
        return row->forward1(t->value[a]);
    if (row->arity == 2)
        return row->forward2(t->value[a], t->value[b]);
    if (row->arity == TGI_NARY)
        return row->forwardn(t->value, t->args + a, b);
    return t->value[i];
}

tg_var tg_add(tg_tape *t, tg_var a, tg_var b) { return record2(t, TG_OP_ADD, a, b); }
tg_var tg_sub(tg_tape *t, tg_var a, tg_var b) { return record2(t, TG_OP_SUB, a, b); }
tg_var tg_mul(tg_tape *t, tg_var a, tg_var b) { return record2(t, TG_OP_MUL, a, b); }
tg_var tg_div(tg_tape *t, tg_var a, tg_var b) { return record2(t, TG_OP_DIV, a, b); }
tg_var tg_pow(tg_tape *t, tg_var a, tg_var b)
{
    if (t && tgi_valid(t, b) && tgi_code_op(t->code[b.id]) == TG_OP_CONST)
        return record2(t, TG_OP_POWC, a, b);
    return record2(t, TG_OP_POW, a, b);
}
tg_var tg_neg(tg_tape *t, tg_var a) { return record1(t, TG_OP_NEG, a); }
tg_var tg_exp(tg_tape *t, tg_var a) { return record1(t, TG_OP_EXP, a); }
tg_var tg_log(tg_tape *t, tg_var a) { return record1(t, TG_OP_LOG, a); }
tg_var tg_sqrt(tg_tape *t, tg_var a) { return record1(t, TG_OP_SQRT, a); }
tg_var tg_sin(tg_tape *t, tg_var a) { return record1(t, TG_OP_SIN, a); }
tg_var tg_cos(tg_tape *t, tg_var a) { return record1(t, TG_OP_COS, a); }
tg_var tg_tan(tg_tape *t, tg_var a) { return record1(t, TG_OP_TAN, a); }
tg_var tg_tanh(tg_tape *t, tg_var a) { return record1(t, TG_OP_TANH, a); }
tg_var tg_sigmoid(tg_tape *t, tg_var a) { return record1(t, TG_OP_SIGMOID, a); }
tg_var tg_relu(tg_tape *t, tg_var a) { return record1(t, TG_OP_RELU, a); }
tg_var tg_abs(tg_tape *t, tg_var a) { return record1(t, TG_OP_ABS, a); }
tg_var tg_step(tg_tape *t, tg_var a) { return record1(t, TG_OP_STEP, a); }
tg_var tg_sign(tg_tape *t, tg_var a) { return record1(t, TG_OP_SIGN, a); }

tg_var tg_addc(tg_tape *t, tg_var a, double c) { return tg_add(t, a, tg_const(t, c)); }
tg_var tg_mulc(tg_tape *t, tg_var a, double c) { return tg_mul(t, a, tg_const(t, c)); }
tg_var tg_powc(tg_tape *t, tg_var a, double p) { return tg_pow(t, a, tg_const(t, p)); }
tg_var tg_rsubc(tg_tape *t, double c, tg_var a) { return tg_sub(t, tg_const(t, c), a); }
tg_var tg_rdivc(tg_tape *t, double c, tg_var a) { return tg_div(t, tg_const(t, c), a); }
tg_var tg_var_identity(tg_tape *t, tg_var v) { (void)t; return v; }

/* Records an n-ary node over n_slots argument slots copied from parts[0..n_parts-1]. */
static tg_var record_nary(tg_tape *t, tg_op op, size_t n_parts, const size_t *lens,
                          const tg_var *const *parts)
{
    if (!t)
        return tg_var_invalid();
    size_t n_slots = 0;
    for (size_t p = 0; p < n_parts; p++) {
        if (lens[p] && !parts[p]) {
            tgi_fail(t, TG_ERR_ARG, "%s: NULL array of %zu inputs", tgi_ops[op].name, lens[p]);
            return tg_var_invalid();
        }
        for (size_t k = 0; k < lens[p]; k++)
            if (!tgi_valid(t, parts[p][k]))
                return bad_input(t, op, parts[p][k]);
        n_slots += lens[p];
    }
    if (n_slots > TG_MAX_NODES) {
        tgi_fail(t, TG_ERR_CAPACITY, "%s: %zu inputs exceed the tape's capacity",
                 tgi_ops[op].name, n_slots);
        return tg_var_invalid();
    }
    const tg_mark before = tg_tape_mark(t);
    uint32_t first = tgi_args_alloc(t, n_slots);
    if (first == UINT32_MAX)
        return tg_var_invalid();
    uint32_t *slot = t->args + first;
    for (size_t p = 0; p < n_parts; p++)
        for (size_t k = 0; k < lens[p]; k++)
            *slot++ = parts[p][k].id;
    const double y = tgi_ops[op].forwardn(t->value, t->args + first, (uint32_t)n_slots);
    tg_var v = tgi_append(t, tgi_code(op, first, (uint32_t)n_slots), y);
    if (!tg_var_ok(v))
        t->n_args = before.n_args;
    return v;
}

tg_var tg_sum(tg_tape *t, size_t n, const tg_var *xs)
{
    const tg_var *parts[1] = {xs};
    return record_nary(t, TG_OP_SUM, 1, &n, parts);
}

tg_var tg_dot(tg_tape *t, size_t n, const tg_var *w, const tg_var *x)
{
    const size_t lens[2] = {n, n};
    const tg_var *parts[2] = {w, x};
    return record_nary(t, TG_OP_DOT, 2, lens, parts);
}

/* ---- Introspection ----------------------------------------------------------------------- */

tg_op tg_op_of(const tg_tape *t, tg_var v)
{
    return (t && tgi_valid(t, v)) ? (tg_op)tgi_code_op(t->code[v.id]) : TG_N_OPS;
}

size_t tg_n_inputs(const tg_tape *t, tg_var v)
{
    if (!t || !tgi_valid(t, v))
        return 0;
    const uint64_t c = t->code[v.id];
    const int arity = tgi_ops[tgi_code_op(c)].arity;
    return arity == TGI_NARY ? tgi_code_b(c) : (size_t)arity;
}

tg_var tg_input_of(const tg_tape *t, tg_var v, size_t k)
{
    if (k >= tg_n_inputs(t, v))
        return tg_var_invalid();
    return input_k(t, v, (uint32_t)k);
}

const char *tg_op_name(tg_op op) { return (unsigned)op < TG_N_OPS ? tgi_ops[op].name : NULL; }

tg_op tg_op_find(const char *name)
{
    if (!name)
        return TG_N_OPS;
    for (unsigned op = 0; op < TG_N_OPS; op++)
        if (!(tgi_ops[op].flags & TGI_LEAF) && strcmp(tgi_ops[op].name, name) == 0)
            return (tg_op)op;
    return TG_N_OPS;
}

double tg_backward_step(const tg_tape *t, tg_var v, size_t k, double upstream)
{
    const double local = tg_local_grad(t, v, k);
    if (local != local)
        return local;
    const uint64_t c = t->code[v.id];
    const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    if (row->arity == TGI_NARY)
        return upstream * local;
    return tgi_contribution(row, upstream, local, t->value[a], row->arity == 2 ? t->value[b] : 0.0,
                            (unsigned)k);
}

double tg_local_grad(const tg_tape *t, tg_var v, size_t k)
{
    if (k >= tg_n_inputs(t, v))
        return NAN;
    const uint64_t c = t->code[v.id];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
    if (row->arity == 1)
        return row->local1(t->value[a], t->value[v.id]);
    if (row->arity == 2) {
        double da, db;
        row->local2(t->value[a], t->value[b], t->value[v.id], &da, &db);
        return k == 0 ? da : db;
    }
    return row->localn(t->value, t->args + a, b, (uint32_t)k);
}

/* The sweeps' inner loops, generated from the rows above (ops/kernels.h). */
#include "kernels.h"
