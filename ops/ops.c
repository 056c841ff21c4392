/* ops.c: the op table, the single source of truth about every operation. Each op is one block:
 * the formula and its kink convention, the forward value and local derivative(s) (C expression
 * macros, compiled here and stringified into the row, so the C spelling that code generation
 * reads is the very text the engine computes), the recorded derivative (vjp, for higher order),
 * and its row. The sweeps (core/) read rows and never switch over ops; rows record their
 * derivative through the public constructors at the end of this file. Adding an op is its block,
 * its name in TG_OP_LIST (tg_ops.h), its constructor's declaration, and one shared test row. */
#include <math.h>
#include <string.h>

#include "ops_int.h"
#include "tg_bits.h"
#include "tg_dd.h"
#include "tg_libm.h"

/* ---- How a block is written ---------------------------------------------------------------
 * An op's math is a few expression macros over a, b (the arguments) and y (the value):
 * X_Y the forward, X_DA / X_DB the local derivatives, X_MASK_A / X_MASK_B the where()-masked
 * zeros. UNARY_FNS / BINARY_FNS turn them into the row's functions; UNARY / BINARY put the same
 * macros, stringified, into the row's C spellings. */
#define STR_(x) #x
#define STR(x) STR_(x) /* the text of an expression macro, after expansion */

#define UNARY_FNS(nm, Y, DA)                                                                       \
    static double nm##_fwd(double a)                                                               \
    {                                                                                              \
        return Y;                                                                                  \
    }                                                                                              \
    static double nm##_local(double a, double y)                                                   \
    {                                                                                              \
        (void)a, (void)y;                                                                          \
        return DA;                                                                                 \
    }
#define BINARY_FNS(nm, Y, DA, DB)                                                                  \
    static double nm##_fwd(double a, double b)                                                     \
    {                                                                                              \
        return Y;                                                                                  \
    }                                                                                              \
    static void nm##_local(double a, double b, double y, double *da, double *db)                   \
    {                                                                                              \
        (void)a, (void)b, (void)y;                                                                 \
        *da = DA;                                                                                  \
        *db = DB;                                                                                  \
    }

/* The row columns every unary / binary / n-ary op fills the same way. */
#define UNARY(nm, Y, DA)                                                                           \
    .arity = 1, .forward1 = nm##_fwd, .local1 = nm##_local, .vjp = nm##_vjp, .info.n_args = 1,     \
    .info.c_forward = STR(Y), .info.c_local = {STR(DA)}
#define BINARY(nm, Y, DA, DB)                                                                      \
    .arity = 2, .forward2 = nm##_fwd, .local2 = nm##_local, .vjp = nm##_vjp, .info.n_args = 2,     \
    .info.c_forward = STR(Y), .info.c_local = {STR(DA), STR(DB)}
#define NARY(nm)                                                                                   \
    .arity = TGI_NARY, .forwardn = nm##_fwd, .localn = nm##_local, .backwardn = nm##_backward,     \
    .vjp = nm##_vjp, .info.n_args = TG_NARY
/* A function of the language (name = id), an operator (symbol and binding power), or an op
 * the language has no name for. */
#define FUNC(nm) .info.id = nm, .info.name = nm
#define OPERATOR(nm, sym, prec) .info.id = nm, .info.symbol = sym, .info.precedence = prec
#define INTERNAL(nm) .info.id = nm
/* Rule text (language syntax) and LaTeX, per argument. */
#define RULE1(r, tex) .info.rule = {r}, .info.rule_latex = {tex}
#define RULE2(ra, texa, rb, texb) .info.rule = {ra, rb}, .info.rule_latex = {texa, texb}

/* ---- Recording --------------------------------------------------------------------------- */

/* Out of line and cold: the constructors' hot path is the two bounds tests and the append. */
#if defined(__GNUC__)
__attribute__((cold, noinline))
#endif
static tg_var
bad_input(tg_tape *t, tg_op op, tg_var v)
{
    tgi_fail(t, TG_ERR_BADVAR, "%s: invalid input variable %u (tape has %u nodes)",
             tgi_ops[op].info.id, (unsigned)v.id, (unsigned)t->n_nodes);
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
    /* one test for both ids (the larger one): which is bad is sorted out off the hot path */
    if (TGI_UNLIKELY((a.id > b.id ? a.id : b.id) >= t->n_nodes))
        return bad_input(t, op, tgi_valid(t, a) ? b : a);
    return tgi_append(t, tgi_code(op, a.id, b.id),
                      tgi_ops[op].forward2(t->value[a.id], t->value[b.id]));
}

/* Records an n-ary node over n_slots argument slots copied from parts[0..n_parts-1]. */
static tg_var record_nary(tg_tape *t, tg_op op, size_t n_parts, const size_t *lens,
                          const tg_var *const *parts)
{
    if (!t)
        return tg_var_invalid();
    size_t n_slots = 0;
    for (size_t p = 0; p < n_parts; p++) {
        if (lens[p] && !parts[p]) {
            tgi_fail(t, TG_ERR_ARG, "%s: NULL array of %zu inputs", tgi_ops[op].info.id, lens[p]);
            return tg_var_invalid();
        }
        for (size_t k = 0; k < lens[p]; k++)
            if (!tgi_valid(t, parts[p][k]))
                return bad_input(t, op, parts[p][k]);
        n_slots += lens[p];
    }
    if (n_slots > TG_MAX_NODES) {
        tgi_fail(t, TG_ERR_CAPACITY, "%s: %zu inputs exceed the tape's capacity",
                 tgi_ops[op].info.id, n_slots);
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

/* The comparisons and where: fixed arity, arguments in slots (see their blocks). */
static tg_var record_slots(tg_tape *t, tg_op op, size_t n, const tg_var *args)
{
    return record_nary(t, op, 1, &n, &args);
}
/* ---- Shared by several blocks -------------------------------------------------------------
 * The vjp functions return the node g * dy/dx_k, built with public ops from the same formula
 * and in the same floating-point order as the local derivative, so its value is the number
 * backward computes, and it can be differentiated again (core/higher.c). Where the numeric
 * rule branches on a value (pow's conventions at 0) the branch is taken at recording time, as
 * PyTorch's masked_fill does. */

/* Argument k of node y, without tg_arg's checks (y is a node being swept). */
static inline tg_var arg_k(const tg_tape *t, tg_var y, uint32_t k)
{
    const tg_var a = {tgi_arg(t, y.id, k)};
    return a;
}
#define IN(k) arg_k(t, y, (k))

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
/* As PyTorch's sign backward (zeros_like): the contribution is 0 whatever the upstream. */
#define ALWAYS_MASKED 1
static int always_masked(double a, double b, unsigned k)
{
    (void)a, (void)b, (void)k;
    return ALWAYS_MASKED;
}

/* ==== The operations ======================================================================= */

/* ---- input, const: leaves, nothing to compute or sweep ------------------------------------ */
#define ROW_INPUT [TG_OP_INPUT] = {.flags = TGI_LEAF, INTERNAL("input")}
#define ROW_CONST [TG_OP_CONST] = {.flags = TGI_LEAF, INTERNAL("const")}

/* ---- add:  y = a + b,  dy/da = 1,  dy/db = 1 --------------------------------------------- */
#define ADD_Y (a + b)
#define ADD_DA 1.0
#define ADD_DB 1.0
BINARY_FNS(add, ADD_Y, ADD_DA, ADD_DB)
#define add_vjp one_vjp /* g * 1 = g, both */
#define ROW_ADD                                                                                    \
    [TG_OP_ADD] = {BINARY(add, ADD_Y, ADD_DA, ADD_DB), .flags = TGI_INFIX,                         \
                   OPERATOR("add", "+", TG_PREC_ADD), RULE2("1", "1", "1", "1")}
tg_var tg_add(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_ADD, a, b);
}

/* ---- sub:  y = a - b,  dy/da = 1,  dy/db = -1 -------------------------------------------- */
#define SUB_Y (a - b)
#define SUB_DA 1.0
#define SUB_DB (-1.0)
BINARY_FNS(sub, SUB_Y, SUB_DA, SUB_DB)
/* recorded: g * 1 = g,  g * -1 = -g */
static tg_var sub_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)y;
    return k == 0 ? g : tg_neg(t, g);
}
#define ROW_SUB                                                                                    \
    [TG_OP_SUB] = {BINARY(sub, SUB_Y, SUB_DA, SUB_DB), .flags = TGI_INFIX,                         \
                   OPERATOR("sub", "-", TG_PREC_ADD), RULE2("1", "1", "-1", "-1")}
tg_var tg_sub(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_SUB, a, b);
}

/* ---- mul:  y = a * b,  dy/da = b,  dy/db = a --------------------------------------------- */
#define MUL_Y (a * b)
#define MUL_DA b
#define MUL_DB a
BINARY_FNS(mul, MUL_Y, MUL_DA, MUL_DB)
/* recorded: g b,  g a */
static tg_var mul_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, IN(1 - k));
}
#define ROW_MUL                                                                                    \
    [TG_OP_MUL] = {BINARY(mul, MUL_Y, MUL_DA, MUL_DB), .flags = TGI_INFIX,                         \
                   OPERATOR("mul", "*", TG_PREC_MUL), RULE2("b", "b", "a", "a")}
tg_var tg_mul(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_MUL, a, b);
}

/* ---- div:  y = a / b,  dy/da = 1/b,  dy/db = -a/b^2 = -y/b -------------------------------- */
#define DIV_Y (a / b)
#define DIV_DA (1.0 / b)
#define DIV_DB (-y / b)
BINARY_FNS(div, DIV_Y, DIV_DA, DIV_DB)
/* recorded: g (1/b),  g (-y/b) */
static tg_var div_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    if (k == 0)
        return tg_mul(t, g, tg_rdivc(t, 1.0, IN(1)));
    return tg_mul(t, g, tg_div(t, tg_neg(t, y), IN(1)));
}
#define ROW_DIV                                                                                    \
    [TG_OP_DIV] = {BINARY(div, DIV_Y, DIV_DA, DIV_DB), .flags = TGI_INFIX,                         \
                   OPERATOR("div", "/", TG_PREC_MUL),                                              \
                   RULE2("1/b", "\\frac{1}{b}", "-a/b^2", "-\\frac{a}{b^{2}}")}
tg_var tg_div(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_DIV, a, b);
}

/* ---- pow:  y = a^b,  dy/da = b a^(b-1),  dy/db = a^b ln a = y ln a ------------------------
 * As PyTorch: dy/da = 0 where b = 0 (so 0^0 does not give 0 * inf), and dy/db = 0 where
 * a = 0 and b >= 0 (the limit of y ln a); both are where()-masks. ln a is NaN for a < 0: no
 * real derivative in b. */
#define POW_Y pow(a, b)
#define POW_MASK_A (b == 0.0)
#define POW_MASK_B (a == 0.0 && b >= 0.0)
#define POW_DA (POW_MASK_A ? 0.0 : b * pow(a, b - 1.0))
#define POW_DB (POW_MASK_B ? 0.0 : y * tg_libm_log(a))
BINARY_FNS(pow, POW_Y, POW_DA, POW_DB)
static int pow_masked(double a, double b, unsigned k)
{
    return k == 0 ? POW_MASK_A : POW_MASK_B;
}
/* recorded: g (b * a^(b + -1)) [0 where b = 0],  g (y ln a) [0 where a = 0, b >= 0]. The
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
#define ROW_POW                                                                                    \
    [TG_OP_POW] = {BINARY(pow, POW_Y, POW_DA, POW_DB),                                             \
                   .flags = TGI_INFIX,                                                             \
                   .masked = pow_masked,                                                           \
                   .construct = pow_construct,                                                     \
                   .info.c_masked = {STR(POW_MASK_A), STR(POW_MASK_B)},                            \
                   FUNC("pow"),                                                                    \
                   .info.symbol = "^",                                                             \
                   .info.precedence = TG_PREC_POW,                                                 \
                   .info.right_assoc = 1,                                                          \
                   RULE2("b*a^(b-1)", "b\\,a^{b-1}", "a^b*log(a)", "a^{b}\\ln a")}
tg_var tg_pow(tg_tape *t, tg_var a, tg_var b)
{
    if (t && tgi_valid(t, b) && tgi_code_op(t->code[b.id]) == TG_OP_CONST)
        return record2(t, TG_OP_POWC, a, b);
    return record2(t, TG_OP_POW, a, b);
}
static tg_var pow_construct(tg_tape *t, const tg_var *args)
{
    return tg_pow(t, args[0], args[1]);
}

/* ---- powc:  y = a^p, p a constant node,  dy/da = p a^(p-1) (0 where p = 0),  p: none -------
 * What tg_pow records when its exponent is a constant; the language writes it a^p. */
#define POWC_Y pow(a, b)
#define POWC_DA (POW_MASK_A ? 0.0 : b * pow(a, b - 1.0))
#define POWC_DB 0.0
/* The engine computes both powers with powc_pow(x, q): C's pow(x, q) bit for bit, without the
 * call where the exact x^q is itself a double. Then pow returns exactly that double (glibc's and
 * musl's pow, the same ARM code, approximate x^q to ~0.02 ulp and round once, 0.52 ulp in all:
 * no other double is that close), and so does the exact IEEE operation here. So W1's blocks
 * (0.625^2, 0.390625^0.5, 2 * 0.625^1, and 0.390625^-0.5 below) call pow not at all, where
 * they called it three times and hand-written C calls it twice. The tests are
 * sufficient, not necessary (a rare exact power still calls pow); tests/core/test_powc_exact.c
 * checks the identity on 3e7 doubles. The row's C text (what --emit c writes, and what
 * test_rules checks against the engine) stays POWC_Y / POWC_DA, the same numbers.
 *   x^2 = x * x      x has <= 26 significant bits (tg_split leaves no low part: two 26-bit
 *                    significands make an exact product) and 2^-511 <= |x| < 2^512 (no
 *                    underflow to a subnormal, no overflow; also no overflow in the split)
 *   x^1 = x          for every double (pow(x, 1) is within 1 ulp of x, so x)
 *   x^(1/2) = s      s = sqrt(x) has <= 26 bits and s * s == x (exact, so s is the root), for
 *                    x >= 2^-1022 (normal; pow(-0, 0.5) is +0 where sqrt(-0) is -0)
 *   x^(-1/2) = r     r = RN(1/s), s = sqrt(x) exact as above, when the exact 1/s lies within
 *                    0.42 ulp of r (always when 1/s is a double: x a power of 4). This one rests
 *                    on pow's error bound rather than on exactness (W1's 0.390625^-0.5 = 1.6 is
 *                    0.4 ulp from its double): every other double is >= 0.58 ulp from 1/s,
 *                    beyond pow's bound (ARM's code in glibc and musl: 0.52 ulp with fma, 0.54
 *                    without, as in wasm32), so pow returns r too. 1/s - r = e/s with e = 1 - r s,
 *                    which two_prod gives exactly (1 - p is exact by Sterbenz, p ~ 1); the test
 *                    |e| < 0.42 ulp(r) s has slack far above its own rounding. */
static inline int fits_26_bits(double x)
{
    return tg_split(x).lo == 0.0;
}
/* The spacing of the doubles at x, for 2^-970 <= |x| < 2^1024: 2^(exponent of x - 52). */
static inline double ulp_of(double x)
{
    return pow2(exponent_of(x) - 52);
}
static inline double powc_pow(double x, double q)
{
    if (q == 2.0) {
        if (fabs(x) >= 0x1p-511 && fabs(x) < 0x1p512 && fits_26_bits(x))
            return x * x;
    } else if (q == 1.0) {
        return x;
    } else if ((q == 0.5 || q == -0.5) && x >= 0x1p-1022 && x < INFINITY) {
        const double s = sqrt(x);
        if (fits_26_bits(s) && s * s == x) {
            if (q == 0.5)
                return s;
            const double r = 1.0 / s;
            const tg_dd rs = tg_two_prod(r, s);
            const double e = (1.0 - rs.hi) - rs.lo;
            if (fabs(e) < 0.42 * ulp_of(r) * s)
                return r;
        }
    }
    return pow(x, q);
}
BINARY_FNS(powc, powc_pow(a, b), (POW_MASK_A ? 0.0 : b * powc_pow(a, b - 1.0)), POWC_DB)
/* recorded: g (p * a^(p-1)) [0 where p = 0], p - 1 a new constant;
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
static const char *powc_bad_args(const tg_tape *t, size_t n, const tg_var *args)
{
    (void)n;
    return tg_op_of(t, args[1]) == TG_OP_CONST ? NULL : "the exponent must be a constant node";
}
#define ROW_POWC                                                                                   \
    [TG_OP_POWC] = {BINARY(powc, POWC_Y, POWC_DA, POWC_DB),                                        \
                    .flags = TGI_INFIX,                                                            \
                    .masked = pow_masked,                                                          \
                    .bad_args = powc_bad_args,                                                     \
                    .info.c_masked = {STR(POW_MASK_A), STR(POW_MASK_B)},                           \
                    OPERATOR("powc", "^", TG_PREC_POW),                                            \
                    .info.right_assoc = 1,                                                         \
                    RULE2("b*a^(b-1)", "b\\,a^{b-1}", "0", "0")}

/* ---- neg:  y = -a,  dy/da = -1 ----------------------------------------------------------- */
#define NEG_Y (-a)
#define NEG_DA (-1.0)
UNARY_FNS(neg, NEG_Y, NEG_DA)
/* recorded: g * -1 = -g */
static tg_var neg_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)y, (void)k;
    return tg_neg(t, g);
}
#define ROW_NEG                                                                                    \
    [TG_OP_NEG] = {UNARY(neg, NEG_Y, NEG_DA), .flags = TGI_PREFIX,                                 \
                   OPERATOR("neg", "-", TG_PREC_UNARY), RULE1("-1", "-1")}
tg_var tg_lt(tg_tape *t, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_LT, 2, (tg_var[]){a, b});
}
tg_var tg_le(tg_tape *t, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_LE, 2, (tg_var[]){a, b});
}
tg_var tg_gt(tg_tape *t, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_GT, 2, (tg_var[]){a, b});
}
tg_var tg_ge(tg_tape *t, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_GE, 2, (tg_var[]){a, b});
}
tg_var tg_eq(tg_tape *t, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_EQ, 2, (tg_var[]){a, b});
}
tg_var tg_ne(tg_tape *t, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_NE, 2, (tg_var[]){a, b});
}
tg_var tg_neg(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_NEG, a);
}

/* ---- exp:  y = e^a,  dy/da = e^a = y ------------------------------------------------------ */
#define EXP_Y tg_libm_exp(a)
#define EXP_DA y
UNARY_FNS(exp, EXP_Y, EXP_DA)
/* recorded: g y */
static tg_var exp_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, y);
}
#define ROW_EXP [TG_OP_EXP] = {UNARY(exp, EXP_Y, EXP_DA), FUNC("exp"), RULE1("exp(a)", "e^{a}")}
tg_var tg_exp(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_EXP, a);
}

/* ---- log:  y = ln a,  dy/da = 1/a --------------------------------------------------------- */
#define LOG_Y tg_libm_log(a)
#define LOG_DA (1.0 / a)
UNARY_FNS(log, LOG_Y, LOG_DA)
/* recorded: g (1/a) */
static tg_var log_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_rdivc(t, 1.0, IN(k)));
}
#define ROW_LOG [TG_OP_LOG] = {UNARY(log, LOG_Y, LOG_DA), FUNC("log"), RULE1("1/a", "\\frac{1}{a}")}
tg_var tg_log(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_LOG, a);
}

/* ---- sqrt:  y = sqrt(a),  dy/da = 1 / (2 sqrt(a)) = 0.5 / y (infinite at a = 0) ------------ */
#define SQRT_Y sqrt(a)
#define SQRT_DA (0.5 / y)
UNARY_FNS(sqrt, SQRT_Y, SQRT_DA)
/* recorded: g (0.5 / y) */
static tg_var sqrt_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_rdivc(t, 0.5, y));
}
#define ROW_SQRT                                                                                   \
    [TG_OP_SQRT] = {UNARY(sqrt, SQRT_Y, SQRT_DA), FUNC("sqrt"),                                    \
                    RULE1("1/(2*sqrt(a))", "\\frac{1}{2\\sqrt{a}}")}
tg_var tg_sqrt(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_SQRT, a);
}

/* ---- sin:  y = sin a,  dy/da = cos a ------------------------------------------------------ */
#define SIN_Y tg_libm_sin(a)
#define SIN_DA tg_libm_cos(a)
UNARY_FNS(sin, SIN_Y, SIN_DA)
/* recorded: g cos a */
static tg_var sin_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_cos(t, IN(k)));
}
#define ROW_SIN [TG_OP_SIN] = {UNARY(sin, SIN_Y, SIN_DA), FUNC("sin"), RULE1("cos(a)", "\\cos a")}
tg_var tg_sin(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_SIN, a);
}

/* ---- cos:  y = cos a,  dy/da = -sin a ----------------------------------------------------- */
#define COS_Y tg_libm_cos(a)
#define COS_DA (-tg_libm_sin(a))
UNARY_FNS(cos, COS_Y, COS_DA)
/* recorded: g (-sin a) */
static tg_var cos_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_neg(t, tg_sin(t, IN(k))));
}
#define ROW_COS [TG_OP_COS] = {UNARY(cos, COS_Y, COS_DA), FUNC("cos"), RULE1("-sin(a)", "-\\sin a")}
tg_var tg_cos(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_COS, a);
}

/* ---- tan:  y = tan a,  dy/da = 1 / cos^2 a = 1 + tan^2 a = 1 + y^2 ------------------------- */
#define TAN_Y tg_libm_tan(a)
#define TAN_DA (1.0 + y * y)
UNARY_FNS(tan, TAN_Y, TAN_DA)
/* recorded: g (y*y + 1) */
static tg_var tan_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_addc(t, tg_mul(t, y, y), 1.0));
}
#define ROW_TAN                                                                                    \
    [TG_OP_TAN] = {UNARY(tan, TAN_Y, TAN_DA), FUNC("tan"), RULE1("1 + tan(a)^2", "1 + \\tan^{2} a")}
tg_var tg_tan(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_TAN, a);
}

/* ---- tanh:  y = tanh a,  dy/da = 1 - tanh^2 a = 1 - y^2 ----------------------------------- */
#define TANH_Y tg_libm_tanh(a)
#define TANH_DA (1.0 - y * y)
UNARY_FNS(tanh, TANH_Y, TANH_DA)
/* recorded: g (1 - y*y) */
static tg_var tanh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_rsubc(t, 1.0, tg_mul(t, y, y)));
}
#define ROW_TANH                                                                                   \
    [TG_OP_TANH] = {UNARY(tanh, TANH_Y, TANH_DA), FUNC("tanh"),                                    \
                    RULE1("1 - tanh(a)^2", "1 - \\tanh^{2} a")}
tg_var tg_tanh(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_TANH, a);
}

/* ---- sigmoid:  y = 1 / (1 + e^-a),  dy/da = y (1 - y) --------------------------------------
 * Without overflow: for a < 0 as e^a / (1 + e^a). */
#define SIGMOID_OF(x)                                                                              \
    ((x) >= 0.0 ? 1.0 / (1.0 + tg_libm_exp(-(x))) : tg_libm_exp(x) / (1.0 + tg_libm_exp(x)))
#define SIGMOID_Y SIGMOID_OF(a)
#define SIGMOID_DA (y * (1.0 - y))
UNARY_FNS(sigmoid, SIGMOID_Y, SIGMOID_DA)
/* recorded: g (y (1 - y)) */
static tg_var sigmoid_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_mul(t, y, tg_rsubc(t, 1.0, y)));
}
#define ROW_SIGMOID                                                                                \
    [TG_OP_SIGMOID] = {UNARY(sigmoid, SIGMOID_Y, SIGMOID_DA), FUNC("sigmoid"),                     \
                       RULE1("y*(1 - y)", "y\\,(1 - y)")}
tg_var tg_sigmoid(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_SIGMOID, a);
}

/* ---- Pieces: which side of its kink a piecewise op is on (the row's piece column) ---------- */
#define PIECE_OF(x) ((x) > 0.0 ? 1 : ((x) < 0.0 ? -1 : 0))
static int piece_sign_a(double a, double b, double y) /* relu, abs, step, sign: a's sign */
{
    (void)b, (void)y;
    return PIECE_OF(a);
}
static int piece_sign_b(double a, double b, double y) /* gate: b's sign */
{
    (void)a, (void)y;
    return PIECE_OF(b);
}
static int piece_order(double a, double b, double y) /* min, max: a > b, a = b or a < b */
{
    (void)y;
    return (a > b) - (a < b);
}
static int piece_outcome(double a, double b, double y) /* a comparison: true or false */
{
    (void)a, (void)b;
    return y != 0.0;
}

/* ---- relu:  y = max(a, 0) (NaN stays NaN),  dy/da = 1 if a > 0, else 0 (relu'(0) = 0) ------
 * The zero is PyTorch's threshold_backward where(a <= 0, 0, g): relu passes no NaN from above. */
#define RELU_Y (a > 0.0 ? a : (a != a ? a : 0.0))
#define RELU_DA (a > 0.0 ? 1.0 : 0.0)
#define RELU_MASK_A (a <= 0.0)
UNARY_FNS(relu, RELU_Y, RELU_DA)
static int relu_masked(double a, double b, unsigned k)
{
    (void)b, (void)k;
    return RELU_MASK_A;
}
/* recorded: gate(g, a) = (a > 0 ? g : 0) */
static tg_var relu_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tgi_record2(t, TG_OP_GATE, g, IN(k));
}
#define ROW_RELU                                                                                   \
    [TG_OP_RELU] = {                                                                               \
        UNARY(relu, RELU_Y, RELU_DA),        .masked = relu_masked, .piece = piece_sign_a,         \
        .info.c_masked = {STR(RELU_MASK_A)}, FUNC("relu"),          RULE1("a > 0", "[a > 0]")}
tg_var tg_relu(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_RELU, a);
}

/* ---- abs:  y = |a|,  dy/da = sign(a), with abs'(0) = 0 ------------------------------------- */
#define SIGN_OF(x) ((x) > 0.0 ? 1.0 : ((x) < 0.0 ? -1.0 : 0.0))
#define ABS_Y fabs(a)
#define ABS_DA SIGN_OF(a)
UNARY_FNS(abs, ABS_Y, ABS_DA)
/* recorded: g sign(a) */
static tg_var abs_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_sign(t, IN(k)));
}
#define ROW_ABS                                                                                    \
    [TG_OP_ABS] = {UNARY(abs, ABS_Y, ABS_DA), .piece = piece_sign_a, FUNC("abs"),                  \
                   RULE1("(a > 0) - (a < 0)", "\\operatorname{sgn} a")}
tg_var tg_abs(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ABS, a);
}

/* ---- sum:  y = x_0 + x_1 + ... + x_{n-1}, left to right,  dy/dx_k = 1 ----------------------- */
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
static void sum_backward(double *grad, int mark, const double *value, const uint32_t *arg,
                         uint32_t n, double g)
{
    (void)value;
    for (uint32_t k = 0; k < n; k++)
        tgi_add_grad(grad, arg[k], g, mark);
}
#define sum_vjp one_vjp /* g * 1 = g */
#define ROW_SUM [TG_OP_SUM] = {NARY(sum), INTERNAL("sum"), .info.c_local = {"1.0"}, RULE1("1", "1")}
tg_var tg_sum(tg_tape *t, size_t n, const tg_var *xs)
{
    const tg_var *parts[1] = {xs};
    return record_nary(t, TG_OP_SUM, 1, &n, parts);
}

/* ---- dot:  y = w_0 x_0 + ... + w_{m-1} x_{m-1}, left to right,  dy/dw_j = x_j, dy/dx_j = w_j
 * Its 2m arguments are w_0..w_{m-1} then x_0..x_{m-1}, stored in one of two ways:
 *   2m slots      [w_0, ..., w_{m-1}, x_0, ..., x_{m-1}]
 *   m + 1 slots   [DOT_RUN | w_0, x_0, ..., x_{m-1}] when w_j = w_0 + j, a run of consecutive
 *                 nodes (a neuron's bias and weights, nn/mlp.c): no id stored, checked or
 *                 loaded per weight, and w is read as one contiguous array.
 * Both add in the same order (w_j's then x_j's contribution, pair by pair), so they give the
 * same bits. Readers outside this block see 2m arguments either way (tgi_n_args, tgi_arg). */
#define DOT_RUN 0x80000000u /* above every id: TG_MAX_NODES < 2^29 */
static inline int dot_is_run(const uint32_t *arg, uint32_t n)
{
    return n > 0 && (arg[0] & DOT_RUN);
}
static uint32_t dot_n_args(const uint32_t *arg, uint32_t n)
{
    return dot_is_run(arg, n) ? 2 * (n - 1) : n;
}
static uint32_t dot_arg(const uint32_t *arg, uint32_t n, uint32_t k)
{
    if (!dot_is_run(arg, n))
        return arg[k];
    const uint32_t m = n - 1;
    return k < m ? (arg[0] & ~DOT_RUN) + k : arg[1 + (k - m)];
}
static double dot_fwd(const double *value, const uint32_t *arg, uint32_t n)
{
    double s = 0.0;
    if (dot_is_run(arg, n)) {
        const double *w = value + (arg[0] & ~DOT_RUN);
        const uint32_t *x = arg + 1, m = n - 1;
        for (uint32_t j = 0; j < m; j++)
            s += w[j] * value[x[j]];
        return s;
    }
    const uint32_t m = n / 2;
    for (uint32_t j = 0; j < m; j++)
        s += value[arg[j]] * value[arg[m + j]];
    return s;
}
static double dot_local(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    const uint32_t m = dot_n_args(arg, n) / 2;
    return value[dot_arg(arg, n, k < m ? m + k : k - m)];
}
/* dL/dw_j += g x_j,  dL/dx_j += g w_j, with mark each sum noted as it is stored (tgi_add_grad:
 * an x_j may be a w_k, and a mark survives later sums). */
TGI_INLINE void dot_backward_marked(double *grad, int mark, const double *value,
                                    const uint32_t *arg, uint32_t n, double g)
{
    if (dot_is_run(arg, n)) {
        const uint32_t w0 = arg[0] & ~DOT_RUN, *x = arg + 1, m = n - 1;
        const double *w = value + w0;
        for (uint32_t j = 0; j < m; j++) {
            tgi_add_grad(grad, w0 + j, g * value[x[j]], mark);
            tgi_add_grad(grad, x[j], g * w[j], mark);
        }
        return;
    }
    const uint32_t m = n / 2;
    for (uint32_t j = 0; j < m; j++) {
        const uint32_t w = arg[j], x = arg[m + j];
        tgi_add_grad(grad, w, g * value[x], mark);
        tgi_add_grad(grad, x, g * value[w], mark);
    }
}
/* One loop for each value of mark, so that neither tests it per pair. */
static void dot_backward(double *grad, int mark, const double *value, const uint32_t *arg,
                         uint32_t n, double g)
{
    if (mark)
        dot_backward_marked(grad, 1, value, arg, n, g);
    else
        dot_backward_marked(grad, 0, value, arg, n, g);
}
/* recorded: g x_j for w_j,  g w_j for x_j */
static tg_var dot_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const uint32_t m = tgi_n_args(t, y.id) / 2;
    return tg_mul(t, g, IN(k < m ? m + k : k - m));
}
static const char *dot_bad_args(const tg_tape *t, size_t n, const tg_var *args)
{
    (void)t, (void)args;
    return n % 2 ? "dot takes an even number of arguments (the weights, then the inputs)" : NULL;
}
#define ROW_DOT                                                                                    \
    [TG_OP_DOT] = {NARY(dot),       .n_argsn = dot_n_args,                                         \
                   .argn = dot_arg, .bad_args = dot_bad_args,                                      \
                   INTERNAL("dot"), RULE2("x_j", "x_j", "w_j", "w_j")}
/* Records the dot as a run when w[0..m-1] are the consecutive nodes w0, w0 + 1, ...: one loop
 * checks the run and each input's id, copies the ids and sums the products (in dot_fwd's order).
 * Anything else (not a run, an invalid id) takes back the slots and records through
 * record_nary, which stores the dot slot by slot or reports the error as for any dot. */
static tg_var record_dot(tg_tape *t, size_t m, const tg_var *w, const tg_var *x)
{
    const size_t lens[2] = {m, m};
    const tg_var *parts[2] = {w, x};
    const uint32_t w0 = w[0].id, n_nodes = t->n_nodes;
    if (m >= TG_MAX_NODES || w0 >= n_nodes || m - 1 >= n_nodes - w0) /* not a run of nodes */
        return record_nary(t, TG_OP_DOT, 2, lens, parts);
    const uint32_t before = t->n_args;
    const uint32_t first = tgi_args_alloc(t, m + 1);
    if (first == UINT32_MAX)
        return tg_var_invalid();
    uint32_t *slot = t->args + first;
    const double *value = t->value, *wv = t->value + w0;
    double s = 0.0;
    slot[0] = DOT_RUN | w0;
    for (size_t j = 0; j < m; j++) {
        const uint32_t xj = x[j].id;
        if (TGI_UNLIKELY(w[j].id != w0 + j || xj >= n_nodes)) {
            t->n_args = before;
            return record_nary(t, TG_OP_DOT, 2, lens, parts);
        }
        slot[1 + j] = xj;
        s += wv[j] * value[xj];
    }
    tg_var v = tgi_append(t, tgi_code(TG_OP_DOT, first, (uint32_t)(m + 1)), s);
    if (!tg_var_ok(v))
        t->n_args = before;
    return v;
}
tg_var tg_dot(tg_tape *t, size_t n, const tg_var *w, const tg_var *x)
{
    if (t && n > 0 && w && x)
        return record_dot(t, n, w, x);
    const size_t lens[2] = {n, n};
    const tg_var *parts[2] = {w, x};
    return record_nary(t, TG_OP_DOT, 2, lens, parts);
}

/* ---- step:  y = (a > 0 ? 1 : 0), exactly relu's local derivative (NaN gives 0) -------------
 * dy/da = 0, at the jump too (the convention that makes relu'' = 0, as PyTorch), masked. */
#define STEP_Y RELU_DA
#define STEP_DA 0.0
UNARY_FNS(step, STEP_Y, STEP_DA)
#define step_vjp zero_vjp
#define ROW_STEP                                                                                   \
    [TG_OP_STEP] = {                                                                               \
        UNARY(step, STEP_Y, STEP_DA),          .masked = always_masked, .piece = piece_sign_a,     \
        .info.c_masked = {STR(ALWAYS_MASKED)}, INTERNAL("step"),        RULE1("0", "0")}
tg_var tg_step(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_STEP, a);
}

/* ---- sign:  y = sign(a), exactly abs's local derivative (NaN gives 0),  dy/da = 0, masked --- */
#define SIGN_Y SIGN_OF(a)
#define SIGN_DA 0.0
UNARY_FNS(sign, SIGN_Y, SIGN_DA)
#define sign_vjp zero_vjp
#define ROW_SIGN                                                                                   \
    [TG_OP_SIGN] = {                                                                               \
        UNARY(sign, SIGN_Y, SIGN_DA),          .masked = always_masked, .piece = piece_sign_a,     \
        .info.c_masked = {STR(ALWAYS_MASKED)}, INTERNAL("sign"),        RULE1("0", "0")}
tg_var tg_sign(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_SIGN, a);
}

/* ---- gate:  y = (b > 0 ? a : 0), PyTorch's threshold_backward where(b <= 0, 0, a) -----------
 * relu's recorded derivative g * relu'(b) as one node that stays 0 for b <= 0 even when a is
 * infinite.  dy/da = (b > 0 ? 1 : 0) [masked where b <= 0],  dy/db = 0 [masked]. */
#define GATE_Y (b > 0.0 ? a : 0.0)
#define GATE_DA (b > 0.0 ? 1.0 : 0.0)
#define GATE_DB 0.0
#define GATE_MASK_A (!(b > 0.0))
BINARY_FNS(gate, GATE_Y, GATE_DA, GATE_DB)
static int gate_masked(double a, double b, unsigned k)
{
    (void)a;
    return k == 1 || GATE_MASK_A;
}
/* recorded: gate(g, b) for a;  0 for b */
static tg_var gate_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return k == 0 ? tgi_record2(t, TG_OP_GATE, g, IN(1)) : zero_vjp(t, y, g, k);
}
#define ROW_GATE                                                                                   \
    [TG_OP_GATE] = {BINARY(gate, GATE_Y, GATE_DA, GATE_DB),                                        \
                    .masked = gate_masked,                                                         \
                    .piece = piece_sign_b,                                                         \
                    .info.c_masked = {STR(GATE_MASK_A), STR(ALWAYS_MASKED)},                       \
                    INTERNAL("gate"),                                                              \
                    RULE2("b > 0", "[b > 0]", "0", "0")}

/* ---- asin:  y = asin a,  dy/da = 1 / sqrt(1 - a^2) (infinite at |a| = 1) ------------------- */
#define ASIN_Y tg_libm_asin(a)
#define ASIN_DA (1.0 / sqrt(1.0 - a * a))
UNARY_FNS(asin, ASIN_Y, ASIN_DA)
/* recorded: g (1 / sqrt(1 - a*a)) */
static tg_var asin_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_sqrt(t, tg_rsubc(t, 1.0, tg_mul(t, a, a)))));
}
#define ROW_ASIN                                                                                   \
    [TG_OP_ASIN] = {UNARY(asin, ASIN_Y, ASIN_DA), FUNC("asin"),                                    \
                    RULE1("1/sqrt(1 - a^2)", "\\frac{1}{\\sqrt{1 - a^{2}}}")}
tg_var tg_asin(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ASIN, a);
}

/* ---- acos:  y = acos a,  dy/da = -1 / sqrt(1 - a^2) --------------------------------------- */
#define ACOS_Y tg_libm_acos(a)
#define ACOS_DA (-1.0 / sqrt(1.0 - a * a))
UNARY_FNS(acos, ACOS_Y, ACOS_DA)
/* recorded: g (-1 / sqrt(1 - a*a)) */
static tg_var acos_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_rdivc(t, -1.0, tg_sqrt(t, tg_rsubc(t, 1.0, tg_mul(t, a, a)))));
}
#define ROW_ACOS                                                                                   \
    [TG_OP_ACOS] = {UNARY(acos, ACOS_Y, ACOS_DA), FUNC("acos"),                                    \
                    RULE1("-1/sqrt(1 - a^2)", "-\\frac{1}{\\sqrt{1 - a^{2}}}")}
tg_var tg_acos(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ACOS, a);
}

/* ---- atan:  y = atan a,  dy/da = 1 / (1 + a^2) -------------------------------------------- */
#define ATAN_Y tg_libm_atan(a)
#define ATAN_DA (1.0 / (1.0 + a * a))
UNARY_FNS(atan, ATAN_Y, ATAN_DA)
/* recorded: g (1 / (a*a + 1)), the same sum (addition commutes exactly) */
static tg_var atan_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_addc(t, tg_mul(t, a, a), 1.0)));
}
#define ROW_ATAN                                                                                   \
    [TG_OP_ATAN] = {UNARY(atan, ATAN_Y, ATAN_DA), FUNC("atan"),                                    \
                    RULE1("1/(1 + a^2)", "\\frac{1}{1 + a^{2}}")}
tg_var tg_atan(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ATAN, a);
}

/* ---- sinh:  y = sinh a,  dy/da = cosh a --------------------------------------------------- */
#define SINH_Y tg_libm_sinh(a)
#define SINH_DA tg_libm_cosh(a)
UNARY_FNS(sinh, SINH_Y, SINH_DA)
/* recorded: g cosh a */
static tg_var sinh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_cosh(t, IN(k)));
}
#define ROW_SINH                                                                                   \
    [TG_OP_SINH] = {UNARY(sinh, SINH_Y, SINH_DA), FUNC("sinh"), RULE1("cosh(a)", "\\cosh a")}
tg_var tg_sinh(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_SINH, a);
}

/* ---- cosh:  y = cosh a,  dy/da = sinh a --------------------------------------------------- */
#define COSH_Y tg_libm_cosh(a)
#define COSH_DA tg_libm_sinh(a)
UNARY_FNS(cosh, COSH_Y, COSH_DA)
/* recorded: g sinh a */
static tg_var cosh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_sinh(t, IN(k)));
}
#define ROW_COSH                                                                                   \
    [TG_OP_COSH] = {UNARY(cosh, COSH_Y, COSH_DA), FUNC("cosh"), RULE1("sinh(a)", "\\sinh a")}
tg_var tg_cosh(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_COSH, a);
}

/* ---- asinh:  y = asinh a,  dy/da = 1 / sqrt(a^2 + 1) --------------------------------------- */
#define ASINH_Y tg_libm_asinh(a)
#define ASINH_DA (1.0 / sqrt(a * a + 1.0))
UNARY_FNS(asinh, ASINH_Y, ASINH_DA)
/* recorded: g (1 / sqrt(a*a + 1)) */
static tg_var asinh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_sqrt(t, tg_addc(t, tg_mul(t, a, a), 1.0))));
}
#define ROW_ASINH                                                                                  \
    [TG_OP_ASINH] = {UNARY(asinh, ASINH_Y, ASINH_DA), FUNC("asinh"),                               \
                     RULE1("1/sqrt(a^2 + 1)", "\\frac{1}{\\sqrt{a^{2} + 1}}")}
tg_var tg_asinh(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ASINH, a);
}

/* ---- acosh:  y = acosh a (a >= 1),  dy/da = 1 / sqrt(a^2 - 1) (infinite at a = 1) ----------- */
#define ACOSH_Y tg_libm_acosh(a)
#define ACOSH_DA (1.0 / sqrt(a * a - 1.0))
UNARY_FNS(acosh, ACOSH_Y, ACOSH_DA)
/* recorded: g (1 / sqrt(a*a + -1)): x + (-1) is x - 1 exactly */
static tg_var acosh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_sqrt(t, tg_addc(t, tg_mul(t, a, a), -1.0))));
}
#define ROW_ACOSH                                                                                  \
    [TG_OP_ACOSH] = {UNARY(acosh, ACOSH_Y, ACOSH_DA), FUNC("acosh"),                               \
                     RULE1("1/sqrt(a^2 - 1)", "\\frac{1}{\\sqrt{a^{2} - 1}}")}
tg_var tg_acosh(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ACOSH, a);
}

/* ---- atanh:  y = atanh a (|a| < 1),  dy/da = 1 / (1 - a^2) -------------------------------- */
#define ATANH_Y tg_libm_atanh(a)
#define ATANH_DA (1.0 / (1.0 - a * a))
UNARY_FNS(atanh, ATANH_Y, ATANH_DA)
/* recorded: g (1 / (1 - a*a)) */
static tg_var atanh_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_rsubc(t, 1.0, tg_mul(t, a, a))));
}
#define ROW_ATANH                                                                                  \
    [TG_OP_ATANH] = {UNARY(atanh, ATANH_Y, ATANH_DA), FUNC("atanh"),                               \
                     RULE1("1/(1 - a^2)", "\\frac{1}{1 - a^{2}}")}
tg_var tg_atanh(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ATANH, a);
}

/* ---- log1p:  y = ln(1 + a), accurate for tiny a,  dy/da = 1 / (1 + a) ---------------------- */
#define LOG1P_Y tg_libm_log1p(a)
#define LOG1P_DA (1.0 / (1.0 + a))
UNARY_FNS(log1p, LOG1P_Y, LOG1P_DA)
/* recorded: g (1 / (a + 1)) */
static tg_var log1p_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_addc(t, IN(k), 1.0)));
}
#define ROW_LOG1P                                                                                  \
    [TG_OP_LOG1P] = {UNARY(log1p, LOG1P_Y, LOG1P_DA), FUNC("log1p"),                               \
                     RULE1("1/(1 + a)", "\\frac{1}{1 + a}")}
tg_var tg_log1p(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_LOG1P, a);
}

/* ---- expm1:  y = e^a - 1, accurate for tiny a,  dy/da = e^a = y + 1 ------------------------- */
#define EXPM1_Y tg_libm_expm1(a)
#define EXPM1_DA (y + 1.0)
UNARY_FNS(expm1, EXPM1_Y, EXPM1_DA)
/* recorded: g (y + 1) */
static tg_var expm1_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)k;
    return tg_mul(t, g, tg_addc(t, y, 1.0));
}
#define ROW_EXPM1                                                                                  \
    [TG_OP_EXPM1] = {UNARY(expm1, EXPM1_Y, EXPM1_DA), FUNC("expm1"), RULE1("y + 1", "y + 1")}
tg_var tg_expm1(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_EXPM1, a);
}

/* ---- log2:  y = log2 a,  dy/da = 1 / (a ln 2) --------------------------------------------- */
#define LN2 0.693147180559945309417232121458176568
#define LOG2_Y tg_libm_log2(a)
#define LOG2_DA (1.0 / (a * LN2))
UNARY_FNS(log2, LOG2_Y, LOG2_DA)
/* recorded: g (1 / (a ln 2)) */
static tg_var log2_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_mulc(t, IN(k), LN2)));
}
#define ROW_LOG2                                                                                   \
    [TG_OP_LOG2] = {UNARY(log2, LOG2_Y, LOG2_DA), FUNC("log2"),                                    \
                    RULE1("1/(a*log(2))", "\\frac{1}{a \\ln 2}")}
tg_var tg_log2(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_LOG2, a);
}

/* ---- log10:  y = log10 a,  dy/da = 1 / (a ln 10) ------------------------------------------ */
#define LN10 2.302585092994045684017991454684364208
#define LOG10_Y tg_libm_log10(a)
#define LOG10_DA (1.0 / (a * LN10))
UNARY_FNS(log10, LOG10_Y, LOG10_DA)
/* recorded: g (1 / (a ln 10)) */
static tg_var log10_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_rdivc(t, 1.0, tg_mulc(t, IN(k), LN10)));
}
#define ROW_LOG10                                                                                  \
    [TG_OP_LOG10] = {UNARY(log10, LOG10_Y, LOG10_DA), FUNC("log10"),                               \
                     RULE1("1/(a*log(10))", "\\frac{1}{a \\ln 10}")}
tg_var tg_log10(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_LOG10, a);
}

/* ---- erf:  y = erf a,  dy/da = (2 / sqrt(pi)) e^(-a^2) ------------------------------------- */
#define TWO_OVER_SQRT_PI 1.128379167095512573896158903121545172
#define ERF_Y tg_libm_erf(a)
#define ERF_DA (TWO_OVER_SQRT_PI * tg_libm_exp(-(a * a)))
UNARY_FNS(erf, ERF_Y, ERF_DA)
/* recorded: g (e^(-(a*a)) * 2/sqrt(pi)), the same product (multiplication commutes exactly) */
static tg_var erf_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_mulc(t, tg_exp(t, tg_neg(t, tg_mul(t, a, a))), TWO_OVER_SQRT_PI));
}
#define ROW_ERF                                                                                    \
    [TG_OP_ERF] = {UNARY(erf, ERF_Y, ERF_DA), FUNC("erf"),                                         \
                   RULE1("2/sqrt(pi)*exp(-a^2)", "\\frac{2}{\\sqrt{\\pi}} e^{-a^{2}}")}
tg_var tg_erf(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ERF, a);
}

/* ---- erfc:  y = 1 - erf a, accurate in the right tail,  dy/da = -(2 / sqrt(pi)) e^(-a^2) ---- */
#define ERFC_Y tg_libm_erfc(a)
#define ERFC_DA (-TWO_OVER_SQRT_PI * tg_libm_exp(-(a * a)))
UNARY_FNS(erfc, ERFC_Y, ERFC_DA)
/* recorded: g (e^(-(a*a)) * -2/sqrt(pi)) */
static tg_var erfc_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(k);
    return tg_mul(t, g, tg_mulc(t, tg_exp(t, tg_neg(t, tg_mul(t, a, a))), -TWO_OVER_SQRT_PI));
}
#define ROW_ERFC                                                                                   \
    [TG_OP_ERFC] = {UNARY(erfc, ERFC_Y, ERFC_DA), FUNC("erfc"),                                    \
                    RULE1("-2/sqrt(pi)*exp(-a^2)", "-\\frac{2}{\\sqrt{\\pi}} e^{-a^{2}}")}
tg_var tg_erfc(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_ERFC, a);
}

/* ---- softplus:  y = ln(1 + e^a),  dy/da = sigmoid(a) ----------------------------------------
 * Without overflow or cancellation: a + ln(1 + e^-a) for a > 0 (e^-a <= 1), else ln(1 + e^a),
 * both through log1p so that softplus(-700) = e^-700 and softplus(700) = 700 exactly. */
#define SOFTPLUS_Y (a > 0.0 ? a + tg_libm_log1p(tg_libm_exp(-a)) : tg_libm_log1p(tg_libm_exp(a)))
#define SOFTPLUS_DA SIGMOID_OF(a)
UNARY_FNS(softplus, SOFTPLUS_Y, SOFTPLUS_DA)
/* recorded: g sigmoid(a) */
static tg_var softplus_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    return tg_mul(t, g, tg_sigmoid(t, IN(k)));
}
#define ROW_SOFTPLUS                                                                               \
    [TG_OP_SOFTPLUS] = {UNARY(softplus, SOFTPLUS_Y, SOFTPLUS_DA), FUNC("softplus"),                \
                        RULE1("sigmoid(a)", "\\sigma(a)")}
tg_var tg_softplus(tg_tape *t, tg_var a)
{
    return record1(t, TG_OP_SOFTPLUS, a);
}

/* ---- atan2:  y = atan2(a, b), the angle of the point (b, a) ---------------------------------
 * dy/da = b / (a^2 + b^2),  dy/db = -a / (a^2 + b^2); at (0, 0) both are 0/0 = NaN (atan2 has
 * no derivative there; its value is 0, as C's). */
#define ATAN2_Y tg_libm_atan2(a, b)
#define ATAN2_DA (b / (a * a + b * b))
#define ATAN2_DB (-a / (a * a + b * b))
BINARY_FNS(atan2, ATAN2_Y, ATAN2_DA, ATAN2_DB)
/* recorded: g (b / (a*a + b*b)),  g (-a / (a*a + b*b)) */
static tg_var atan2_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tg_var a = IN(0), b = IN(1);
    const tg_var r2 = tg_add(t, tg_mul(t, a, a), tg_mul(t, b, b));
    return tg_mul(t, g, tg_div(t, k == 0 ? b : tg_neg(t, a), r2));
}
#define ROW_ATAN2                                                                                  \
    [TG_OP_ATAN2] = {BINARY(atan2, ATAN2_Y, ATAN2_DA, ATAN2_DB), FUNC("atan2"),                    \
                     RULE2("b/(a^2 + b^2)", "\\frac{b}{a^{2} + b^{2}}", "-a/(a^2 + b^2)",          \
                           "-\\frac{a}{a^{2} + b^{2}}")}
tg_var tg_atan2(tg_tape *t, tg_var y, tg_var x)
{
    return record2(t, TG_OP_ATAN2, y, x);
}

/* ---- hypot:  y = sqrt(a^2 + b^2) without overflow,  dy/da = a / y,  dy/db = b / y ------------
 * At (0, 0), where a / y is 0/0, both are 0 (a subgradient; PyTorch gives NaN), as a mask. */
#define HYPOT_Y tg_libm_hypot(a, b)
#define HYPOT_MASK (a == 0.0 && b == 0.0)
#define HYPOT_DA (HYPOT_MASK ? 0.0 : a / y)
#define HYPOT_DB (HYPOT_MASK ? 0.0 : b / y)
BINARY_FNS(hypot, HYPOT_Y, HYPOT_DA, HYPOT_DB)
static int hypot_masked(double a, double b, unsigned k)
{
    (void)k;
    return HYPOT_MASK;
}
/* recorded: g (a / y),  g (b / y);  0 at (0, 0) */
static tg_var hypot_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const double a = tg_value(t, IN(0)), b = tg_value(t, IN(1));
    if (HYPOT_MASK)
        return zero_vjp(t, y, g, k);
    return tg_mul(t, g, tg_div(t, IN(k), y));
}
#define ROW_HYPOT                                                                                  \
    [TG_OP_HYPOT] = {BINARY(hypot, HYPOT_Y, HYPOT_DA, HYPOT_DB), .masked = hypot_masked,           \
                     .info.c_masked = {STR(HYPOT_MASK), STR(HYPOT_MASK)}, FUNC("hypot"),           \
                     RULE2("a/y", "\\frac{a}{y}", "b/y", "\\frac{b}{y}")}
tg_var tg_hypot(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_HYPOT, a, b);
}

/* ---- min, max:  at a tie each argument gets half the upstream gradient (PyTorch) ------------
 * min(a, b): dy/da = 1 if a < b, 1/2 if a = b, else 0 (masked where a > b); dy/db likewise.
 * A NaN argument gives NaN (as PyTorch's minimum), and no gradient. */
#define MIN_Y ((a < b || a != a) ? a : b)
#define MIN_DA (a < b ? 1.0 : (a == b ? 0.5 : 0.0))
#define MIN_DB (b < a ? 1.0 : (a == b ? 0.5 : 0.0))
#define MIN_MASK_A (a > b)
#define MIN_MASK_B (b > a)
BINARY_FNS(min, MIN_Y, MIN_DA, MIN_DB)
static int min_masked(double a, double b, unsigned k)
{
    return k == 0 ? MIN_MASK_A : MIN_MASK_B;
}
/* The recorded derivative of min and max: the local derivative is piecewise constant, so
 * g * (1, 1/2 or 0) with the constant as a node; 0 where masked. */
static tg_var select_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const tgi_op_row *row = &tgi_ops[tgi_code_op(t->code[y.id])];
    const double a = tg_value(t, IN(0)), b = tg_value(t, IN(1));
    if (row->masked(a, b, k))
        return zero_vjp(t, y, g, k);
    double da, db;
    row->local2(a, b, tg_value(t, y), &da, &db);
    return tg_mul(t, g, tg_const(t, k == 0 ? da : db));
}
#define min_vjp select_vjp
#define ROW_MIN                                                                                    \
    [TG_OP_MIN] = {BINARY(min, MIN_Y, MIN_DA, MIN_DB),                                             \
                   .masked = min_masked,                                                           \
                   .piece = piece_order,                                                           \
                   .info.c_masked = {STR(MIN_MASK_A), STR(MIN_MASK_B)},                            \
                   FUNC("min"),                                                                    \
                   RULE2("(a < b) + (a == b)/2", "[a < b] + \\frac{1}{2}[a = b]",                  \
                         "(b < a) + (a == b)/2", "[b < a] + \\frac{1}{2}[a = b]")}
tg_var tg_min(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_MIN, a, b);
}

/* max(a, b): dy/da = 1 if a > b, 1/2 if a = b, else 0 (masked where a < b); dy/db likewise. */
#define MAX_Y ((a > b || a != a) ? a : b)
#define MAX_DA (a > b ? 1.0 : (a == b ? 0.5 : 0.0))
#define MAX_DB (b > a ? 1.0 : (a == b ? 0.5 : 0.0))
#define MAX_MASK_A (a < b)
#define MAX_MASK_B (b < a)
BINARY_FNS(max, MAX_Y, MAX_DA, MAX_DB)
static int max_masked(double a, double b, unsigned k)
{
    return k == 0 ? MAX_MASK_A : MAX_MASK_B;
}
#define max_vjp select_vjp
#define ROW_MAX                                                                                    \
    [TG_OP_MAX] = {BINARY(max, MAX_Y, MAX_DA, MAX_DB),                                             \
                   .masked = max_masked,                                                           \
                   .piece = piece_order,                                                           \
                   .info.c_masked = {STR(MAX_MASK_A), STR(MAX_MASK_B)},                            \
                   FUNC("max"),                                                                    \
                   RULE2("(a > b) + (a == b)/2", "[a > b] + \\frac{1}{2}[a = b]",                  \
                         "(b > a) + (a == b)/2", "[b > a] + \\frac{1}{2}[a = b]")}
tg_var tg_max(tg_tape *t, tg_var a, tg_var b)
{
    return record2(t, TG_OP_MAX, a, b);
}

/* ---- Comparisons lt le gt ge eq ne:  y = 1 if it holds, else 0 (IEEE: false with a NaN,
 * except !=). They pass no gradient at all: their operands get nothing and are not reached
 * through them, so (sqrt(x) > 0)*3 at x = 0 has derivative 0 rather than 0 * inf. Recorded
 * with their two operands in argument slots, like the n-ary ops, so the sweep's n-ary branch
 * runs their (empty) backward and never notes the operands. */
#define COMPARISON_FNS(nm, Y)                                                                      \
    static double nm##_fwd(const double *value, const uint32_t *arg, uint32_t n)                   \
    {                                                                                              \
        (void)n;                                                                                   \
        const double a = value[arg[0]], b = value[arg[1]];                                         \
        return Y;                                                                                  \
    }
#define COMPARISON(nm, sym, Y)                                                                     \
    .arity = TGI_NARY, .forwardn = nm##_fwd, .localn = zero_localn, .backwardn = no_backwardn,     \
    .maskedn = always_maskedn, .vjp = no_flow_vjp, .bad_args = NULL, .piece = piece_outcome,       \
    OPERATOR(#nm, sym, TG_PREC_COMPARE), .info.n_args = 2, .info.c_forward = STR(Y),               \
    .info.c_local = {"0.0", "0.0"}, .info.c_masked = {STR(ALWAYS_MASKED), STR(ALWAYS_MASKED)},     \
    RULE2("0", "0", "0", "0")
static double zero_localn(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    (void)value, (void)arg, (void)n, (void)k;
    return 0.0;
}
static void no_backwardn(double *grad, int mark, const double *value, const uint32_t *arg,
                         uint32_t n, double g)
{
    (void)grad, (void)mark, (void)value, (void)arg, (void)n, (void)g;
}
static int always_maskedn(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    (void)value, (void)arg, (void)n, (void)k;
    return ALWAYS_MASKED;
}
static tg_var no_flow_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    (void)t, (void)y, (void)g, (void)k;
    return tgi_no_flow();
}
#define LT_Y (a < b ? 1.0 : 0.0)
#define LE_Y (a <= b ? 1.0 : 0.0)
#define GT_Y (a > b ? 1.0 : 0.0)
#define GE_Y (a >= b ? 1.0 : 0.0)
#define EQ_Y (a == b ? 1.0 : 0.0)
#define NE_Y (a != b ? 1.0 : 0.0)
COMPARISON_FNS(lt, LT_Y)
COMPARISON_FNS(le, LE_Y)
COMPARISON_FNS(gt, GT_Y)
COMPARISON_FNS(ge, GE_Y)
COMPARISON_FNS(eq, EQ_Y)
COMPARISON_FNS(ne, NE_Y)
#define ROW_LT [TG_OP_LT] = {COMPARISON(lt, "<", LT_Y)}
#define ROW_LE [TG_OP_LE] = {COMPARISON(le, "<=", LE_Y)}
#define ROW_GT [TG_OP_GT] = {COMPARISON(gt, ">", GT_Y)}
#define ROW_GE [TG_OP_GE] = {COMPARISON(ge, ">=", GE_Y)}
#define ROW_EQ [TG_OP_EQ] = {COMPARISON(eq, "==", EQ_Y)}
#define ROW_NE [TG_OP_NE] = {COMPARISON(ne, "!=", NE_Y)}

/* ---- where:  y = where(a, b, c) = (a != 0 ? b : c); a NaN condition picks b ------------------
 * The gradient goes to the branch taken only: dy/db = [a != 0], dy/dc = [a = 0], the condition
 * gets none. The branch not taken is not reached at all (nothing flows through it, even where
 * its own values or derivatives are infinite or NaN): where(x > 0, sqrt(x), 0) at x = 0 has
 * derivative 0 (PyTorch gives NaN). Its three arguments live in argument slots. */
#define WHERE_TAKES_B (a != 0.0)
#define WHERE_Y (WHERE_TAKES_B ? b : c)
#define WHERE_DA 0.0
#define WHERE_DB (WHERE_TAKES_B ? 1.0 : 0.0)
#define WHERE_DC (WHERE_TAKES_B ? 0.0 : 1.0)
static double where_fwd(const double *value, const uint32_t *arg, uint32_t n)
{
    (void)n;
    const double a = value[arg[0]], b = value[arg[1]], c = value[arg[2]];
    return WHERE_Y;
}
static double where_local(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    (void)n;
    const double a = value[arg[0]];
    return k == 0 ? WHERE_DA : k == 1 ? WHERE_DB : WHERE_DC;
}
static int where_maskedn(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    (void)n;
    const double a = value[arg[0]];
    return k == 0 || (k == 1) != WHERE_TAKES_B;
}
/* The branch not taken does not reach y (tg_cone's TG_CONE_TAKEN). */
static int where_unusedn(const double *value, const uint32_t *arg, uint32_t n, uint32_t k)
{
    (void)n;
    const double a = value[arg[0]];
    return k != 0 && (k == 1) != WHERE_TAKES_B;
}
/* dL/d(branch taken) += g, noted; the other two arguments are left alone. */
static void where_backward(double *grad, int mark, const double *value, const uint32_t *arg,
                           uint32_t n, double g)
{
    (void)n;
    const double a = value[arg[0]];
    tgi_add_grad(grad, WHERE_TAKES_B ? arg[1] : arg[2], g, mark);
}
/* The piece: the branch taken (1 for b, 0 for c), from the condition a. */
static int where_piece(double a, double b, double y)
{
    (void)b, (void)y;
    return WHERE_TAKES_B;
}
/* recorded: g for the branch taken at recording time, nothing for the others */
static tg_var where_vjp(tg_tape *t, tg_var y, tg_var g, uint32_t k)
{
    const double a = tg_value(t, IN(0));
    return k != 0 && (k == 1) == WHERE_TAKES_B ? g : tgi_no_flow();
}
#define ROW_WHERE                                                                                  \
    [TG_OP_WHERE] = {                                                                              \
        .arity = TGI_NARY,                                                                         \
        .forwardn = where_fwd,                                                                     \
        .localn = where_local,                                                                     \
        .backwardn = where_backward,                                                               \
        .maskedn = where_maskedn,                                                                  \
        .unusedn = where_unusedn,                                                                  \
        .vjp = where_vjp,                                                                          \
        .piece = where_piece,                                                                      \
        FUNC("where"),                                                                             \
        .info.n_args = 3,                                                                          \
        .info.c_forward = STR(WHERE_Y),                                                            \
        .info.c_local = {STR(WHERE_DA), STR(WHERE_DB), STR(WHERE_DC)},                             \
        .info.c_masked = {STR(ALWAYS_MASKED), "!" STR(WHERE_TAKES_B), STR(WHERE_TAKES_B)},         \
        .info.rule = {"0", "a != 0", "a == 0"},                                                    \
        .info.rule_latex = {"0", "[a \\ne 0]", "[a = 0]"}}
tg_var tg_where(tg_tape *t, tg_var c, tg_var a, tg_var b)
{
    return record_slots(t, TG_OP_WHERE, 3, (tg_var[]){c, a, b});
}

#undef IN

/* ==== The table ============================================================================
 * One row per name of TG_OP_LIST, in its order; a name without a ROW_ block above does not
 * compile ("ROW_X undeclared"). Columns: ops_int.h (engine) and tg_ops.h (tg_op_info). */
#define ROW_OF_(x) ROW_##x,
const tgi_op_row tgi_ops[TG_N_OPS] = {TG_OP_LIST(ROW_OF_)};
#undef ROW_OF_

/* ---- What every op shares: generic recording, replay, introspection ---------------------- */

tg_var tgi_record1(tg_tape *t, tg_op op, tg_var a)
{
    return record1(t, op, a);
}
tg_var tgi_record2(tg_tape *t, tg_op op, tg_var a, tg_var b)
{
    return record2(t, op, a, b);
}

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

tg_var tg_addc(tg_tape *t, tg_var a, double c)
{
    return tg_add(t, a, tg_const(t, c));
}
tg_var tg_mulc(tg_tape *t, tg_var a, double c)
{
    return tg_mul(t, a, tg_const(t, c));
}
tg_var tg_powc(tg_tape *t, tg_var a, double p)
{
    return tg_pow(t, a, tg_const(t, p));
}
tg_var tg_rsubc(tg_tape *t, double c, tg_var a)
{
    return tg_sub(t, tg_const(t, c), a);
}
tg_var tg_rdivc(tg_tape *t, double c, tg_var a)
{
    return tg_div(t, tg_const(t, c), a);
}
tg_var tg_var_identity(tg_tape *t, tg_var v)
{
    (void)t;
    return v;
}

tg_var tg_apply(tg_tape *t, tg_op op, size_t n, const tg_var *args)
{
    if (!t)
        return tg_var_invalid();
    if ((unsigned)op >= TG_N_OPS) {
        tgi_fail(t, TG_ERR_ARG, "tg_apply: no operation %d", (int)op);
        return tg_var_invalid();
    }
    const tgi_op_row *row = &tgi_ops[op];
    if (row->flags & TGI_LEAF) {
        tgi_fail(t, TG_ERR_ARG, "tg_apply: %s is a leaf (tg_input, tg_const)", row->info.id);
        return tg_var_invalid();
    }
    if (row->info.n_args != TG_NARY && n != (size_t)row->info.n_args) {
        tgi_fail(t, TG_ERR_ARG, "tg_apply: %s takes %d argument%s, not %zu", row->info.id,
                 row->info.n_args, row->info.n_args == 1 ? "" : "s", n);
        return tg_var_invalid();
    }
    if (n && !args) {
        tgi_fail(t, TG_ERR_ARG, "tg_apply: %s: NULL array of %zu arguments", row->info.id, n);
        return tg_var_invalid();
    }
    for (size_t k = 0; k < n; k++)
        if (!tgi_valid(t, args[k]))
            return bad_input(t, op, args[k]);
    const char *why = row->bad_args ? row->bad_args(t, n, args) : NULL;
    if (why) {
        tgi_fail(t, TG_ERR_ARG, "tg_apply: %s: %s", row->info.id, why);
        return tg_var_invalid();
    }
    if (row->construct)
        return row->construct(t, args);
    if (row->arity == 1)
        return record1(t, op, args[0]);
    if (row->arity == 2)
        return record2(t, op, args[0], args[1]);
    return record_slots(t, op, n, args);
}

/* ---- Introspection ----------------------------------------------------------------------- */

const tg_op_info *tg_op_info_of(tg_op op)
{
    return (unsigned)op < TG_N_OPS ? &tgi_ops[op].info : NULL;
}

tg_op tg_op_of(const tg_tape *t, tg_var v)
{
    return (t && tgi_valid(t, v)) ? (tg_op)tgi_code_op(t->code[v.id]) : TG_N_OPS;
}

int tg_piece(const tg_tape *t, tg_var v)
{
    const size_t n = tg_n_args(t, v);
    if (n == 0)
        return 0;
    const tgi_op_row *row = &tgi_ops[tgi_code_op(t->code[v.id])];
    if (!row->piece)
        return 0;
    const double a = t->value[tgi_arg(t, v.id, 0)];
    const double b = n > 1 ? t->value[tgi_arg(t, v.id, 1)] : 0.0;
    return row->piece(a, b, t->value[v.id]);
}

size_t tg_n_args(const tg_tape *t, tg_var v)
{
    return t && tgi_valid(t, v) ? tgi_n_args(t, v.id) : 0;
}

tg_var tg_arg(const tg_tape *t, tg_var v, size_t k)
{
    if (k >= tg_n_args(t, v))
        return tg_var_invalid();
    const tg_var a = {tgi_arg(t, v.id, (uint32_t)k)};
    return a;
}

const char *tg_op_name(tg_op op)
{
    return (unsigned)op < TG_N_OPS ? tgi_ops[op].info.id : NULL;
}

tg_op tg_op_find(const char *name)
{
    if (!name)
        return TG_N_OPS;
    for (unsigned op = 0; op < TG_N_OPS; op++)
        if (tgi_ops[op].info.name && strcmp(tgi_ops[op].info.name, name) == 0)
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
        return row->maskedn && row->maskedn(t->value, t->args + a, b, (uint32_t)k)
                   ? 0.0
                   : upstream * local;
    return tgi_contribution(row, upstream, local, t->value[a], row->arity == 2 ? t->value[b] : 0.0,
                            (unsigned)k);
}

double tg_local_grad(const tg_tape *t, tg_var v, size_t k)
{
    if (k >= tg_n_args(t, v))
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
