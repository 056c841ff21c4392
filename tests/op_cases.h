/* op_cases.h: the tests' own row for every operation, shared by every loop over the op table
 * (tests/core/test_ops.c, tests/higher/test_second.c, test_replay.c): where the op is smooth
 * enough for a central difference, and its first and second derivatives written out by hand.
 * Nothing here is read from the op table it checks (only its arity, to know how many arguments
 * to draw): a row that disagrees with ops/ops.c fails those tests. Test code only. */
#ifndef OP_CASES_H
#define OP_CASES_H

#include <math.h>
#include <stddef.h>

#include "tapegrad.h"
#include "tg_test.h"

#define OP_PI 3.14159265358979323846
#define OP_LN2 0.69314718055994530942
#define OP_LN10 2.30258509299404568402

/* dy/dx_k (g[0..n-1]) and d2y/dx_k dx_j (h[k*n + j]) at x[0..n-1], by hand. h starts at 0. */
typedef void (*op_d1_fn)(const double *x, size_t n, double *g);
typedef void (*op_d2_fn)(const double *x, size_t n, double *h);

/* Columns: lo, hi: every argument is drawn from [lo, hi] (b_lo, b_hi: the second argument's,
 * when b_hi > b_lo); min_abs: and |x| >= min_abs, away from a kink or pole at 0; min_gap:
 * |a - b| >= min_gap for the ops with a kink at a = b (min, max, comparisons); d1, d2: the
 * derivatives. Every op that is not a leaf has a row (op_case_of fails the test otherwise). */
typedef struct op_case {
    double lo, hi, b_lo, b_hi, min_abs, min_gap;
    op_d1_fn d1;
    op_d2_fn d2;
} op_case;

/* ---- The closed forms, one or two per op ------------------------------------------------- */
static void d_ones(const double *x, size_t n, double *g) /* add, sum: every dy/dx_k = 1 */
{
    (void)x;
    for (size_t k = 0; k < n; k++)
        g[k] = 1.0;
}
static void d_zeros(const double *x, size_t n, double *g) /* piecewise constant */
{
    (void)x;
    for (size_t k = 0; k < n; k++)
        g[k] = 0.0;
}
static void d2_zero(const double *x, size_t n, double *h) /* linear or piecewise linear */
{
    (void)x, (void)n, (void)h;
}
#define D1(nm) static void nm##_d1(const double *x, size_t n, double *g)
#define D2(nm) static void nm##_d2(const double *x, size_t n, double *h)
#define A (x[0])
#define B (x[1])
/* unary: g[0] = e, h[0] = e2 */
#define UNARY_D(nm, e, e2)                                                                         \
    D1(nm)                                                                                         \
    {                                                                                              \
        (void)x, (void)n;                                                                          \
        g[0] = (e);                                                                                \
    }                                                                                              \
    D2(nm)                                                                                         \
    {                                                                                              \
        (void)x, (void)n;                                                                          \
        h[0] = (e2);                                                                               \
    }

D1(sub)
{
    (void)x, (void)n, g[0] = 1, g[1] = -1;
}
D1(mul)
{
    (void)n, g[0] = B, g[1] = A;
}
D2(mul)
{
    (void)x, (void)n, h[1] = h[2] = 1;
} /* d2(ab)/da db = 1 */
D1(div)
{
    (void)n, g[0] = 1 / B, g[1] = -A / (B * B);
}
D2(div) /* a/b: 0, -1/b^2; -1/b^2, 2a/b^3 */
{
    (void)n;
    h[1] = h[2] = -1.0 / (B * B);
    h[3] = 2.0 * A / (B * B * B);
}
D1(pow)
{
    (void)n, g[0] = B * pow(A, B - 1), g[1] = pow(A, B) * log(A);
}
D2(pow) /* a^b: b(b-1)a^(b-2); a^(b-1)(1 + b ln a); a^b ln^2 a */
{
    (void)n;
    h[0] = B * (B - 1) * pow(A, B - 2);
    h[1] = h[2] = pow(A, B - 1) * (1 + B * log(A));
    h[3] = pow(A, B) * log(A) * log(A);
}
D1(powc)
{
    (void)n, g[0] = B * pow(A, B - 1), g[1] = 0;
} /* the constant gets nothing */
D2(powc)
{
    (void)n, h[0] = B * (B - 1) * pow(A, B - 2);
}
UNARY_D(neg, -1, 0)
UNARY_D(exp, exp(A), exp(A))
UNARY_D(log, 1 / A, -1 / (A * A))
UNARY_D(sqrt, 0.5 / sqrt(A), -0.25 / (A * sqrt(A))) /* -(1/4) a^(-3/2) */
UNARY_D(sin, cos(A), -sin(A))
UNARY_D(cos, -sin(A), -cos(A))
UNARY_D(tan, 1 / (cos(A) * cos(A)), 2 * tan(A) / (cos(A) * cos(A))) /* (sec^2)' = 2 sec^2 tan */
UNARY_D(tanh, 1 / (cosh(A) * cosh(A)), -2 * tanh(A) / (cosh(A) * cosh(A)))
#define SIG(x) (1.0 / (1.0 + exp(-(x))))
UNARY_D(sigmoid, SIG(A) * (1 - SIG(A)), SIG(A) * (1 - SIG(A)) * (1 - 2 * SIG(A)))
UNARY_D(relu, A > 0 ? 1 : 0, 0)
UNARY_D(abs, A > 0 ? 1 : -1, 0)
D1(dot) /* dy/dw_j = x_j, dy/dx_j = w_j */
{
    for (size_t j = 0; j < n / 2; j++)
        g[j] = x[n / 2 + j], g[n / 2 + j] = x[j];
}
D2(dot) /* d2(sum w_j x_j)/dw_j dx_j = 1 */
{
    (void)x;
    for (size_t j = 0; j < n / 2; j++)
        h[j * n + n / 2 + j] = h[(n / 2 + j) * n + j] = 1.0;
}
D1(gate)
{
    (void)n, g[0] = B > 0 ? 1 : 0, g[1] = 0;
}
UNARY_D(asin, 1 / sqrt(1 - A * A), A / pow(1 - A * A, 1.5))
UNARY_D(acos, -1 / sqrt(1 - A * A), -A / pow(1 - A * A, 1.5))
UNARY_D(atan, 1 / (1 + A * A), -2 * A / ((1 + A * A) * (1 + A * A)))
UNARY_D(sinh, cosh(A), sinh(A))
UNARY_D(cosh, sinh(A), cosh(A))
UNARY_D(asinh, 1 / sqrt(A * A + 1), -A / pow(A * A + 1, 1.5))
UNARY_D(acosh, 1 / sqrt(A * A - 1), -A / pow(A * A - 1, 1.5))
UNARY_D(atanh, 1 / (1 - A * A), 2 * A / ((1 - A * A) * (1 - A * A)))
UNARY_D(log1p, 1 / (1 + A), -1 / ((1 + A) * (1 + A)))
UNARY_D(expm1, exp(A), exp(A))
UNARY_D(log2, 1 / (A * OP_LN2), -1 / (A * A * OP_LN2))
UNARY_D(log10, 1 / (A * OP_LN10), -1 / (A * A * OP_LN10))
UNARY_D(erf, 2 / sqrt(OP_PI) * exp(-A * A), -4 * A / sqrt(OP_PI) * exp(-A * A))
UNARY_D(erfc, -2 / sqrt(OP_PI) * exp(-A * A), 4 * A / sqrt(OP_PI) * exp(-A * A))
UNARY_D(softplus, SIG(A), SIG(A) * (1 - SIG(A)))
D1(atan2) /* d/da atan2(a, b) = b / r^2,  d/db = -a / r^2,  r^2 = a^2 + b^2 */
{
    (void)n;
    const double r2 = A * A + B * B;
    g[0] = B / r2, g[1] = -A / r2;
}
D2(atan2) /* [-2ab, a^2 - b^2; a^2 - b^2, 2ab] / r^4 */
{
    (void)n;
    const double r4 = (A * A + B * B) * (A * A + B * B);
    h[0] = -2 * A * B / r4;
    h[1] = h[2] = (A * A - B * B) / r4;
    h[3] = 2 * A * B / r4;
}
D1(hypot) /* a / r, b / r */
{
    (void)n;
    const double r = sqrt(A * A + B * B);
    g[0] = A / r, g[1] = B / r;
}
D2(hypot) /* [b^2, -ab; -ab, a^2] / r^3 */
{
    (void)n;
    const double r3 = pow(A * A + B * B, 1.5);
    h[0] = B * B / r3;
    h[1] = h[2] = -A * B / r3;
    h[3] = A * A / r3;
}
D1(min)
{
    (void)n, g[0] = A < B ? 1 : 0, g[1] = A < B ? 0 : 1;
} /* no ties in the domain */
D1(max)
{
    (void)n, g[0] = A > B ? 1 : 0, g[1] = A > B ? 0 : 1;
}
D1(where)
{
    (void)n, g[0] = 0, g[1] = A != 0 ? 1 : 0, g[2] = A != 0 ? 0 : 1;
}
#undef A
#undef B
#undef D1
#undef D2
#undef UNARY_D

/* lo, hi, then the second argument's range when it differs */
#define R(lo, hi) lo, hi, 0, 0
#define RB(lo, hi, blo, bhi) lo, hi, blo, bhi
static const op_case op_cases[TG_N_OPS] = {
    [TG_OP_ADD] = {R(-10, 10), 0, 0, d_ones, d2_zero},
    [TG_OP_SUB] = {R(-10, 10), 0, 0, sub_d1, d2_zero},
    [TG_OP_MUL] = {R(-10, 10), 0, 0, mul_d1, mul_d2},
    [TG_OP_DIV] = {R(-10, 10), 0.3, 0, div_d1, div_d2},
    [TG_OP_POW] = {RB(0.2, 3, -3, 3), 0, 0, pow_d1, pow_d2},
    [TG_OP_POWC] = {RB(0.2, 3, -3, 3), 0, 0, powc_d1, powc_d2},
    [TG_OP_NEG] = {R(-10, 10), 0, 0, neg_d1, neg_d2},
    [TG_OP_EXP] = {R(-5, 5), 0, 0, exp_d1, exp_d2},
    [TG_OP_LOG] = {R(0.1, 20), 0, 0, log_d1, log_d2},
    [TG_OP_SQRT] = {R(0.1, 20), 0, 0, sqrt_d1, sqrt_d2},
    [TG_OP_SIN] = {R(-7, 7), 0, 0, sin_d1, sin_d2},
    [TG_OP_COS] = {R(-7, 7), 0, 0, cos_d1, cos_d2},
    [TG_OP_TAN] = {R(-1.2, 1.2), 0, 0, tan_d1, tan_d2},
    [TG_OP_TANH] = {R(-4, 4), 0, 0, tanh_d1, tanh_d2},
    [TG_OP_SIGMOID] = {R(-10, 10), 0, 0, sigmoid_d1, sigmoid_d2},
    [TG_OP_RELU] = {R(-5, 5), 0.01, 0, relu_d1, relu_d2},
    [TG_OP_ABS] = {R(-5, 5), 0.01, 0, abs_d1, abs_d2},
    [TG_OP_SUM] = {R(-10, 10), 0, 0, d_ones, d2_zero},
    [TG_OP_DOT] = {R(-10, 10), 0, 0, dot_d1, dot_d2},
    [TG_OP_STEP] = {R(-5, 5), 0.01, 0, d_zeros, d2_zero},
    [TG_OP_SIGN] = {R(-5, 5), 0.01, 0, d_zeros, d2_zero},
    [TG_OP_GATE] = {R(-5, 5), 0.01, 0, gate_d1, d2_zero},
    [TG_OP_ASIN] = {R(-0.9, 0.9), 0, 0, asin_d1, asin_d2},
    [TG_OP_ACOS] = {R(-0.9, 0.9), 0, 0, acos_d1, acos_d2},
    [TG_OP_ATAN] = {R(-5, 5), 0, 0, atan_d1, atan_d2},
    [TG_OP_SINH] = {R(-4, 4), 0, 0, sinh_d1, sinh_d2},
    [TG_OP_COSH] = {R(-4, 4), 0, 0, cosh_d1, cosh_d2},
    [TG_OP_ASINH] = {R(-5, 5), 0, 0, asinh_d1, asinh_d2},
    [TG_OP_ACOSH] = {R(1.1, 6), 0, 0, acosh_d1, acosh_d2},
    [TG_OP_ATANH] = {R(-0.9, 0.9), 0, 0, atanh_d1, atanh_d2},
    [TG_OP_LOG1P] = {R(-0.9, 10), 0, 0, log1p_d1, log1p_d2},
    [TG_OP_EXPM1] = {R(-5, 5), 0, 0, expm1_d1, expm1_d2},
    [TG_OP_LOG2] = {R(0.1, 20), 0, 0, log2_d1, log2_d2},
    [TG_OP_LOG10] = {R(0.1, 20), 0, 0, log10_d1, log10_d2},
    [TG_OP_ERF] = {R(-3, 3), 0, 0, erf_d1, erf_d2},
    [TG_OP_ERFC] = {R(-3, 3), 0, 0, erfc_d1, erfc_d2},
    [TG_OP_SOFTPLUS] = {R(-10, 10), 0, 0, softplus_d1, softplus_d2},
    [TG_OP_ATAN2] = {R(-5, 5), 0.3, 0, atan2_d1, atan2_d2},
    [TG_OP_HYPOT] = {R(-5, 5), 0.3, 0, hypot_d1, hypot_d2},
    [TG_OP_MIN] = {R(-5, 5), 0, 0.01, min_d1, d2_zero},
    [TG_OP_MAX] = {R(-5, 5), 0, 0.01, max_d1, d2_zero},
    [TG_OP_LT] = {R(-5, 5), 0, 0.01, d_zeros, d2_zero},
    [TG_OP_LE] = {R(-5, 5), 0, 0.01, d_zeros, d2_zero},
    [TG_OP_GT] = {R(-5, 5), 0, 0.01, d_zeros, d2_zero},
    [TG_OP_GE] = {R(-5, 5), 0, 0.01, d_zeros, d2_zero},
    [TG_OP_EQ] = {R(-5, 5), 0, 0.01, d_zeros, d2_zero},
    [TG_OP_NE] = {R(-5, 5), 0, 0.01, d_zeros, d2_zero},
    [TG_OP_WHERE] = {R(-2, 2), 0.1, 0, where_d1, d2_zero},
};
#undef R
#undef RB

/* The row of op; fails the running test if the op has none (a new op without its test row). */
static inline const op_case *op_case_of(tg_op op)
{
    const op_case *c = &op_cases[op];
    if (!(c->hi > c->lo) || !c->d1 || !c->d2)
        fail_msg("op %s has no row in tests/op_cases.h", tg_op_name(op));
    return c;
}

/* Every op of the table that is not a leaf, for the tests' loops: OP_CASES_EACH(op) { ... } */
#define OP_CASES_EACH(op)                                                                          \
    for (tg_op op = (tg_op)0; op < TG_N_OPS; op = (tg_op)(op + 1))                                 \
        if (tg_op_info_of(op)->n_args != 0)

/* How many arguments op gets in these tests: its arity, or n_nary (sum) and 2 n_nary (dot). */
static inline size_t op_case_n_args(tg_op op, size_t n_nary)
{
    const int n = tg_op_info_of(op)->n_args;
    if (n != TG_NARY)
        return (size_t)n;
    return op == TG_OP_DOT ? 2 * n_nary : n_nary;
}

/* Draws a point x[0..n-1] of op's domain. */
static inline void op_case_draw(tg_op op, size_t n, double *x)
{
    const op_case *c = op_case_of(op);
    for (;;) {
        int ok = 1;
        for (size_t k = 0; k < n; k++) {
            const int second = k == 1 && c->b_hi > c->b_lo;
            x[k] = second ? uniform(c->b_lo, c->b_hi) : uniform(c->lo, c->hi);
            if (!second && fabs(x[k]) < c->min_abs)
                ok = 0;
        }
        if (n >= 2 && fabs(x[0] - x[1]) < c->min_gap)
            ok = 0;
        if (ok)
            return;
    }
}

/* Records op over fresh inputs x[0..n-1] (powc's exponent as a constant) through tg_apply;
 * in[] receives the argument nodes. */
static inline tg_var op_case_record(tg_tape *t, tg_op op, size_t n, const double *x, tg_var *in)
{
    for (size_t k = 0; k < n; k++)
        in[k] = op == TG_OP_POWC && k == 1 ? tg_const(t, x[k]) : tg_input(t, x[k]);
    return tg_apply(t, op, n, in);
}

/* 1 if op takes no gradient into argument k by construction (powc's constant exponent). */
static inline int op_case_constant_arg(tg_op op, size_t k)
{
    return op == TG_OP_POWC && k == 1;
}

#endif /* OP_CASES_H */
