/* test_ops.c: every row of the op table, by a loop over the registry: the engine's gradient
 * against the hand-derived first derivatives of tests/op_cases.h and a central finite
 * difference at many points of the op's domain, and against hand-derived values at chosen
 * points (closed forms, not numbers printed by tapegrad): the conventions at kinks, the tails
 * and tiny arguments where an op must stay accurate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "op_cases.h"
#include "ops_int.h"
#include "tapegrad.h"

enum { N_NARY = 4, MAX_IN = 2 * N_NARY };

static double eval_at(tg_op op, size_t n, const double *x)
{
    tg_tape *t = tg_tape_new();
    tg_var in[MAX_IN];
    double y = tg_value(t, op_case_record(t, op, n, x, in));
    tg_tape_free(t);
    return y;
}

/* Every op's gradient at 300 points of its domain (tests/op_cases.h) against its hand-derived
 * first derivatives and a central finite difference. */
static void every_op_grad_matches_closed_form_and_finite_difference(void **state)
{
    (void)state;
    int n_checked = 0;
    OP_CASES_EACH(op) {
        const op_case *c = op_case_of(op);
        const size_t n = op_case_n_args(op, N_NARY);
        for (int point = 0; point < 300; point++) {
            double x[MAX_IN], want[MAX_IN];
            op_case_draw(op, n, x);
            c->d1(x, n, want);
            tg_tape *t = tg_tape_new();
            tg_var in[MAX_IN];
            tg_var y = op_case_record(t, op, n, x, in);
            assert_int_equal(tg_backward(t, y), TG_OK);
            for (size_t k = 0; k < n; k++) {
                if (op_case_constant_arg(op, k))
                    continue; /* the constant exponent gets no gradient */
                const double h = 1e-6 * fmax(1.0, fabs(x[k]));
                double xp[MAX_IN], xm[MAX_IN];
                for (size_t j = 0; j < n; j++)
                    xp[j] = xm[j] = x[j];
                xp[k] += h;
                xm[k] -= h;
                const double fd = (eval_at(op, n, xp) - eval_at(op, n, xm)) / (2 * h);
                const double g = tg_grad(t, in[k]);
                if (!(fabs(g - fd) <= 1e-6 * fmax(1.0, fabs(fd))) || !close_to(g, want[k], 1e-13))
                    fail_msg("%s input %zu at %.17g, %.17g: engine %.17g, finite difference %.17g, "
                             "closed form %.17g",
                             tg_op_name(op), k, x[0], x[1], g, fd, want[k]);
                n_checked++;
            }
            tg_tape_free(t);
        }
    }
    assert_true(n_checked > 15000);
}

/* Hand-derived values. Columns: op, a, b, y, dy/da, dy/db. */
typedef struct hand_case {
    tg_op op;
    double a, b;
    double y, da, db;
} hand_case;
static const hand_case hand_cases[] = {
    {TG_OP_ADD, 3, 4, 7, 1, 1},
    {TG_OP_SUB, 3, 4, -1, 1, -1},
    {TG_OP_MUL, 3, 4, 12, 4, 3},
    {TG_OP_DIV, 3, 4, 0.75, 0.25, -0.1875},       /* -a/b^2 = -3/16 */
    {TG_OP_POW, 2, 3, 8, 12, 5.5451774444795623}, /* 3*2^2; 8 ln 2 */
    {TG_OP_POW, 0, 0, 1, 0, 0},                   /* PyTorch's conventions at 0^0 */
    {TG_OP_POW, 0, 2, 0, 0, 0},
    {TG_OP_POWC, 9, 0.5, 3, 1.0 / 6, 0}, /* 0.5 * 9^-0.5 */
    {TG_OP_POWC, 2, -1, 0.5, -0.25, 0},  /* -1 * 2^-2 */
    {TG_OP_NEG, 3, 0, -3, -1, 0},
    {TG_OP_EXP, 0, 0, 1, 1, 0},
    {TG_OP_EXP, 1, 0, 2.718281828459045, 2.718281828459045, 0},
    {TG_OP_LOG, 1, 0, 0, 1, 0},
    {TG_OP_LOG, 4, 0, 1.3862943611198906, 0.25, 0},
    {TG_OP_SQRT, 4, 0, 2, 0.25, 0}, /* 1/(2*2) */
    {TG_OP_SIN, 0, 0, 0, 1, 0},
    {TG_OP_COS, 0, 0, 1, 0, 0},
    {TG_OP_TAN, 0, 0, 0, 1, 0},
    {TG_OP_TAN, 0.78539816339744831, 0, 1, 2, 0}, /* pi/4: sec^2 = 2 */
    {TG_OP_TANH, 0, 0, 0, 1, 0},
    {TG_OP_TANH, 0.69314718055994531, 0, 0.6, 0.64, 0}, /* ln 2: (4-1)/(4+1); 1 - 0.36 */
    {TG_OP_SIGMOID, 0, 0, 0.5, 0.25, 0},
    {TG_OP_SIGMOID, 1.0986122886681098, 0, 0.75, 0.1875, 0},  /* ln 3: 3/4; 3/16 */
    {TG_OP_SIGMOID, -1.0986122886681098, 0, 0.25, 0.1875, 0}, /* -ln 3: 1/4 */
    {TG_OP_SIGMOID, 800, 0, 1, 0, 0},                         /* no overflow either way */
    {TG_OP_SIGMOID, -800, 0, 0, 0, 0},
    {TG_OP_RELU, 2, 0, 2, 1, 0},
    {TG_OP_RELU, -2, 0, 0, 0, 0},
    {TG_OP_RELU, 0, 0, 0, 0, 0}, /* relu'(0) = 0 */
    {TG_OP_ABS, -3, 0, 3, -1, 0},
    {TG_OP_ABS, 2, 0, 2, 1, 0},
    {TG_OP_ABS, 0, 0, 0, 0, 0},  /* abs'(0) = 0 */
    {TG_OP_STEP, 2, 0, 1, 0, 0}, /* step = relu', its derivative 0 */
    {TG_OP_STEP, -2, 0, 0, 0, 0},
    {TG_OP_STEP, 0, 0, 0, 0, 0},   /* step(0) = relu'(0) = 0 */
    {TG_OP_SIGN, -3, 0, -1, 0, 0}, /* sign = abs', its derivative 0 */
    {TG_OP_SIGN, 2, 0, 1, 0, 0},
    {TG_OP_SIGN, 0, 0, 0, 0, 0}, /* sign(0) = abs'(0) = 0 */
    {TG_OP_GATE, 3, 2, 3, 1, 0}, /* b > 0 ? a : 0 */
    {TG_OP_GATE, 3, -2, 0, 0, 0},
    {TG_OP_GATE, 3, 0, 0, 0, 0},                                      /* as relu'(0) = 0 */
    {TG_OP_ASIN, 0.5, 0, 0.52359877559829882, 1.1547005383792517, 0}, /* pi/6; 2/sqrt(3) */
    {TG_OP_ACOS, 0.5, 0, 1.0471975511965976, -1.1547005383792517, 0}, /* pi/3 */
    {TG_OP_ATAN, 1, 0, 0.78539816339744831, 0.5, 0},                  /* pi/4; 1/(1+1) */
    {TG_OP_SINH, 0.69314718055994531, 0, 0.75, 1.25, 0},              /* (2 - 1/2)/2 */
    {TG_OP_COSH, 0.69314718055994531, 0, 1.25, 0.75, 0},              /* (2 + 1/2)/2 */
    {TG_OP_ASINH, 0.75, 0, 0.69314718055994531, 0.8, 0},     /* ln(3/4 + 5/4); 1/sqrt(25/16) */
    {TG_OP_ACOSH, 1.25, 0, 0.69314718055994531, 4.0 / 3, 0}, /* ln(5/4 + 3/4); 1/sqrt(9/16) */
    {TG_OP_ATANH, 0.6, 0, 0.69314718055994531, 1.5625, 0},   /* ln(1.6/0.4)/2; 1/(1-0.36) */
    {TG_OP_LOG1P, 0, 0, 0, 1, 0},
    {TG_OP_EXPM1, 0, 0, 0, 1, 0},
    {TG_OP_LOG2, 8, 0, 3, 0.18033688011112042, 0},        /* 1/(8 ln 2) */
    {TG_OP_LOG10, 1000, 0, 3, 0.00043429448190325184, 0}, /* 1/(1000 ln 10) */
    {TG_OP_ERF, 0, 0, 0, 1.1283791670955126, 0},          /* 2/sqrt(pi) */
    {TG_OP_ERFC, 0, 0, 1, -1.1283791670955126, 0},
    {TG_OP_SOFTPLUS, 0, 0, 0.69314718055994531, 0.5, 0}, /* ln 2; sigmoid(0) */
    {TG_OP_SOFTPLUS, 700, 0, 700, 1, 0},                 /* no overflow */
    {TG_OP_ATAN2, 1, 1, 0.78539816339744831, 0.5, -0.5}, /* b/(a^2+b^2), -a/(a^2+b^2) */
    {TG_OP_ATAN2, 0, -1, 3.1415926535897931, -1, 0},
    {TG_OP_HYPOT, 3, 4, 5, 0.6, 0.8},
    {TG_OP_HYPOT, 0, 0, 0, 0, 0}, /* 0 at (0, 0), not NaN */
    {TG_OP_MIN, 2, 3, 2, 1, 0},
    {TG_OP_MIN, 3, 3, 3, 0.5, 0.5}, /* a tie: half each */
    {TG_OP_MAX, 2, 3, 3, 0, 1},
    {TG_OP_MAX, 3, 3, 3, 0.5, 0.5},
    {TG_OP_LT, 1, 2, 1, 0, 0},
    {TG_OP_LT, 2, 2, 0, 0, 0},
    {TG_OP_LE, 2, 2, 1, 0, 0},
    {TG_OP_GT, 2, 1, 1, 0, 0},
    {TG_OP_GE, 1, 2, 0, 0, 0},
    {TG_OP_EQ, 2, 2, 1, 0, 0},
    {TG_OP_NE, 2, 2, 0, 0, 0},
    {TG_OP_NE, NAN, NAN, 1, 0, 0}, /* IEEE: NaN != NaN */
    {TG_OP_EQ, NAN, NAN, 0, 0, 0},
};

static void ops_match_hand_derived_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hand_cases / sizeof hand_cases[0]; i++) {
        const hand_case *c = &hand_cases[i];
        tg_tape *t = tg_tape_new();
        double x[MAX_IN] = {c->a, c->b};
        tg_var in[MAX_IN];
        const size_t n_in = op_case_n_args(c->op, 1);
        tg_var y = op_case_record(t, c->op, n_in, x, in);
        assert_int_equal(tg_backward(t, y), TG_OK);
        const double got[3] = {tg_value(t, y), tg_grad(t, in[0]), n_in > 1 ? tg_grad(t, in[1]) : 0};
        const double want[3] = {c->y, c->da, c->db};
        for (int j = 0; j < 3; j++) {
            if (c->op == TG_OP_POWC && j == 2)
                continue;
            if (!(fabs(got[j] - want[j]) <= 1e-15 * (1 + fabs(want[j]))))
                fail_msg("case %zu (%s at %g, %g): column %d is %.17g, expected %.17g", i,
                         tgi_ops[c->op].info.id, c->a, c->b, j, got[j], want[j]);
        }
        tg_tape_free(t);
    }
}

/* Where the naive formula loses every digit, the op keeps them: relative error below 1e-15
 * at tiny arguments (log1p, expm1: ln(1 + x) = x - x^2/2 + ..., e^x - 1 = x + x^2/2 + ...), in
 * the tails (erfc(10), by the asymptotic series to 17 digits), and without overflow
 * (softplus(+-700) = 700 + ln(1 + e^-700) = 700, e^-700 + ...). */
static void tiny_arguments_and_tails_keep_full_precision(void **state)
{
    (void)state;
    static const struct {
        tg_op op;
        double a, y, da;
    } cases[] = {
        {TG_OP_LOG1P, 1e-12, 9.999999999995e-13, 0.999999999999}, /* 1/(1 + x) */
        {TG_OP_LOG1P, -1e-12, -1.0000000000005e-12, 1.000000000001},
        {TG_OP_EXPM1, 1e-12, 1.0000000000005e-12, 1.000000000001}, /* e^x */
        {TG_OP_EXPM1, -1e-12, -9.999999999995e-13, 0.999999999999},
        {TG_OP_ERFC, 10, 2.088487583762545e-45, -4.197656231354417e-44}, /* -2/sqrt(pi) e^-100 */
        {TG_OP_SOFTPLUS, -700, 9.85967654375977e-305, 9.85967654375977e-305},
        {TG_OP_SOFTPLUS, 700, 700, 1},
        {TG_OP_SOFTPLUS, 1e-300, 0.69314718055994531, 0.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tg_tape *t = tg_tape_new();
        const tg_var x = tg_input(t, cases[i].a);
        const tg_var y = tg_apply(t, cases[i].op, 1, &x);
        assert_int_equal(tg_backward(t, y), TG_OK);
        const double got[2] = {tg_value(t, y), tg_grad(t, x)}, want[2] = {cases[i].y, cases[i].da};
        for (int j = 0; j < 2; j++)
            if (!(fabs(got[j] - want[j]) <= 2e-15 * fabs(want[j])))
                fail_msg("%s(%g): %s %.17g, expected %.17g", tg_op_name(cases[i].op), cases[i].a,
                         j ? "derivative" : "value", got[j], want[j]);
        tg_tape_free(t);
    }
}

/* min and max of a NaN are NaN (PyTorch's minimum/maximum), either side. */
static void min_max_of_nan_is_nan(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var n = tg_input(t, NAN), one = tg_input(t, 1);
    assert_true(isnan(tg_value(t, tg_min(t, n, one))) && isnan(tg_value(t, tg_min(t, one, n))));
    assert_true(isnan(tg_value(t, tg_max(t, n, one))) && isnan(tg_value(t, tg_max(t, one, n))));
    tg_tape_free(t);
}

/* where(c, a, b): the value and the gradient of the branch taken; the other branch gets
 * nothing, and nothing flows through it even where it is infinite: where(x > 0, sqrt(x), 0)
 * at x = 0 is 0 with derivative 0, in backward, anomaly mode, forward mode and the gradient
 * graph; a comparison passes nothing into its operands ((sqrt(x) > 0) * 3 at 0: 0). */
static void where_and_comparisons_pass_nothing_through_what_is_not_taken(void **state)
{
    (void)state;
    static const struct {
        double c, a, b, y, dc, da, db;
    } cases[] = {
        {1, 2, 3, 2, 0, 1, 0},    {0, 2, 3, 3, 0, 0, 1},
        {-0.0, 2, 3, 3, 0, 0, 1}, {NAN, 2, 3, 2, 0, 1, 0}, /* a NaN condition picks a */
        {-5, 2, 3, 2, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tg_tape *t = tg_tape_new();
        const tg_var c = tg_input(t, cases[i].c), a = tg_input(t, cases[i].a),
                     b = tg_input(t, cases[i].b);
        const tg_var y = tg_where(t, c, a, b);
        assert_int_equal(tg_backward(t, y), TG_OK);
        assert_true(tg_value(t, y) == cases[i].y);
        assert_true(tg_grad(t, c) == cases[i].dc && tg_grad(t, a) == cases[i].da &&
                    tg_grad(t, b) == cases[i].db);
        tg_tape_free(t);
    }
    for (int anomaly = 0; anomaly < 2; anomaly++) {
        tg_tape *t = tg_tape_new();
        tg_tape_set_anomaly(t, anomaly);
        const tg_var x = tg_input(t, 0), zero = tg_const(t, 0);
        const tg_var y = tg_where(t, tg_gt(t, x, zero), tg_sqrt(t, x), zero);
        const tg_var z = tg_mulc(t, tg_gt(t, tg_sqrt(t, x), zero), 3.0);
        const tg_var out = tg_add(t, y, z);
        assert_int_equal(tg_backward(t, out), TG_OK);
        assert_true(tg_value(t, out) == 0.0 && tg_grad(t, x) == 0.0);
        double dir = 1.0, jvp = -1.0;
        assert_int_equal(tg_jvp(t, 1, &out, 1, &x, &dir, &jvp), TG_OK);
        assert_true(jvp == 0.0);
        tg_var g;
        assert_int_equal(tg_grad_graph(t, out, 1, &x, &g), TG_OK);
        assert_true(tg_value(t, g) == 0.0);
        double hess = -1.0;
        assert_int_equal(tg_hessian(t, out, 1, &x, TG_MODE_REVERSE, &hess), TG_OK);
        assert_true(hess == 0.0);
        /* replayed at x = 4: where takes sqrt(x) now, d/dx = 1/(2*2) */
        assert_int_equal(tg_set_value(t, x, 4.0), TG_OK);
        tg_tape_replay(t);
        assert_int_equal(tg_backward(t, out), TG_OK);
        assert_true(tg_value(t, out) == 5.0 && tg_grad(t, x) == 0.25);
        assert_int_equal(tg_tape_status(t), TG_OK);
        tg_tape_free(t);
    }
}

/* The cone of an output: every node it depends on through arguments; TG_CONE_TAKEN leaves
 * out the branch a where did not take. The args of a node, by tg_n_args and tg_arg. */
static void cone_follows_args_and_where_takes_one_branch(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, -1), unused = tg_input(t, 5);
    const tg_var lg = tg_log(t, x), zero = tg_const(t, 0);
    const tg_var c = tg_gt(t, x, zero);
    const tg_var y = tg_where(t, c, lg, zero); /* x = -1: takes 0, log(x) is not taken */
    assert_int_equal(tg_n_args(t, y), 3);
    assert_int_equal(tg_arg(t, y, 0).id, c.id);
    assert_int_equal(tg_arg(t, y, 2).id, zero.id);
    assert_false(tg_var_ok(tg_arg(t, y, 3)));
    assert_int_equal(tg_n_args(t, x), 0);
    unsigned char all[8], taken[8];
    assert_int_equal(tg_cone(t, y, TG_CONE_ALL, all), TG_OK);
    assert_int_equal(tg_cone(t, y, TG_CONE_TAKEN, taken), TG_OK);
    /* nodes: x, unused, lg, zero, c, y */
    const unsigned char want_all[6] = {1, 0, 1, 1, 1, 1}, want_taken[6] = {1, 0, 0, 1, 1, 1};
    assert_memory_equal(all, want_all, 6);
    assert_memory_equal(taken, want_taken, 6);
    const tg_var bad = {99};
    assert_int_equal(tg_cone(t, bad, TG_CONE_ALL, all), TG_ERR_BADVAR);
    assert_int_equal(tg_cone(t, y, TG_CONE_ALL, NULL), TG_ERR_ARG);
    (void)unused;
    tg_tape_free(t);
}

/* tg_piece against the definitions (hand-read: relu(a) = a for a > 0, 0 below; min's branch
 * is a < b; where takes b when a != 0 or a is NaN): the side of each kink, and 0 for smooth ops,
 * leaves and invalid variables. */
static void pieces_are_the_sides_of_each_kink(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var neg = tg_input(t, -2), zero = tg_input(t, 0), pos = tg_input(t, 3);
    const tg_var nan = tg_input(t, NAN);
    assert_int_equal(tg_piece(t, tg_relu(t, neg)), -1);
    assert_int_equal(tg_piece(t, tg_relu(t, zero)), 0);
    assert_int_equal(tg_piece(t, tg_relu(t, pos)), 1);
    assert_int_equal(tg_piece(t, tg_abs(t, neg)), -1);
    assert_int_equal(tg_piece(t, tg_abs(t, zero)), 0);
    assert_int_equal(tg_piece(t, tg_min(t, neg, pos)), -1); /* a < b: the branch y = a */
    assert_int_equal(tg_piece(t, tg_max(t, pos, pos)), 0);  /* a = b: the kink itself */
    assert_int_equal(tg_piece(t, tg_max(t, pos, neg)), 1);
    assert_int_equal(tg_piece(t, tg_lt(t, neg, pos)), 1);
    assert_int_equal(tg_piece(t, tg_ge(t, neg, pos)), 0);
    assert_int_equal(tg_piece(t, tg_where(t, zero, neg, pos)), 0); /* takes c */
    assert_int_equal(tg_piece(t, tg_where(t, neg, neg, pos)), 1);  /* takes b */
    assert_int_equal(tg_piece(t, tg_where(t, nan, neg, pos)), 1);  /* a NaN condition takes b */
    assert_int_equal(tg_piece(t, tg_sin(t, neg)), 0);
    assert_int_equal(tg_piece(t, tg_mul(t, neg, pos)), 0);
    assert_int_equal(tg_piece(t, neg), 0);
    assert_int_equal(tg_piece(t, (tg_var){9999}), 0);
    assert_int_equal(tg_piece(NULL, neg), 0);
    tg_tape_free(t);
}

static void nary_ops_match_hand_derived_values(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var w[3] = {tg_input(t, 1), tg_input(t, 2), tg_input(t, -3)};
    tg_var x[3] = {tg_input(t, 4), tg_input(t, 5), tg_input(t, 6)};
    tg_var d = tg_dot(t, 3, w, x); /* 4 + 10 - 18 = -4 */
    tg_var s = tg_sum(t, 3, x);    /* 15 */
    tg_var y = tg_mul(t, d, s);    /* dy/dw_j = s x_j; dy/dx_j = s w_j + d */
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_value(t, d) == -4 && tg_value(t, s) == 15);
    for (int j = 0; j < 3; j++) {
        assert_true(tg_grad(t, w[j]) == 15 * tg_value(t, x[j]));
        assert_true(tg_grad(t, x[j]) == 15 * tg_value(t, w[j]) - 4);
    }
    assert_true(tg_value(t, tg_sum(t, 0, NULL)) == 0.0);
    assert_int_equal(tg_n_args(t, d), 6);
    assert_int_equal(tg_arg(t, d, 4).id, x[1].id);
    assert_true(tg_local_grad(t, d, 1) == 5.0); /* dd/dw_1 = x_1 */
    tg_tape_free(t);
}

static void op_table_is_complete_and_findable(void **state)
{
    (void)state;
    for (unsigned op = 0; op < TG_N_OPS; op++) {
        const tgi_op_row *r = &tgi_ops[op];
        const tg_op_info *info = tg_op_info_of((tg_op)op);
        assert_ptr_equal(info, &r->info);
        assert_non_null(info->id);
        assert_string_equal(tg_op_name((tg_op)op), info->id);
        if (r->arity == 1)
            assert_true(r->forward1 && r->local1 && info->rule[0] && info->n_args == 1);
        else if (r->arity == 2)
            assert_true(r->forward2 && r->local2 && info->rule[0] && info->rule[1]);
        else if (r->arity == TGI_NARY)
            assert_true(r->forwardn && r->localn && r->backwardn && info->rule[0]);
        else
            assert_true((r->flags & TGI_LEAF) && info->n_args == 0);
        if (info->name)
            assert_int_equal(tg_op_find(info->name), op);
        if (info->symbol)
            assert_true(info->precedence > TG_PREC_NONE);
        for (int k = 0; k < 3 && k < info->n_args; k++)
            assert_true(info->c_local[k] && info->rule_latex[k]);
    }
    assert_null(tg_op_info_of(TG_N_OPS));
    assert_int_equal(tg_op_find("nosuch"), TG_N_OPS);
    assert_int_equal(tg_op_find("input"), TG_N_OPS);
    assert_int_equal(tg_op_find("add"), TG_N_OPS);  /* an operator, not a function */
    assert_int_equal(tg_op_find("gate"), TG_N_OPS); /* internal */
    assert_int_equal(tg_op_find("pow"), TG_OP_POW);
    assert_int_equal(tg_op_find(NULL), TG_N_OPS);
}

/* tg_apply records the node the named constructor records, and refuses what it cannot. */
static void apply_records_like_the_constructors(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 0.5), w = tg_input(t, 3), p = tg_const(t, 2);
    const tg_var xw[2] = {x, w}, xp[2] = {x, p};
    const tg_var th = tg_apply(t, TG_OP_TANH, 1, &x);
    assert_int_equal(tg_op_of(t, th), TG_OP_TANH);
    assert_true(tg_value(t, th) == tanh(0.5));
    const tg_var q = tg_apply(t, TG_OP_DIV, 2, xw);
    assert_true(tg_value(t, q) == 0.5 / 3);
    const tg_var sq = tg_apply(t, TG_OP_POWC, 2, xp);
    assert_true(tg_value(t, sq) == 0.25 && tg_op_of(t, sq) == TG_OP_POWC);
    const tg_var d = tg_apply(t, TG_OP_DOT, 2, xw); /* w_0 = x, x_0 = w */
    assert_true(tg_value(t, d) == 1.5 && tg_n_args(t, d) == 2);
    assert_int_equal(tg_tape_status(t), TG_OK);

    const size_t before = tg_tape_size(t);
    assert_false(tg_var_ok(tg_apply(t, TG_OP_TANH, 2, xw)));    /* wrong count */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_POWC, 2, xw)));    /* exponent not a constant */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_DOT, 1, xw)));     /* odd count */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_INPUT, 0, NULL))); /* a leaf */
    assert_false(tg_var_ok(tg_apply(t, TG_N_OPS, 1, &x)));      /* no such op */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_ADD, 2, NULL)));   /* NULL args */
    assert_int_equal(tg_tape_size(t), before);
    assert_int_equal(tg_tape_status(t), TG_ERR_ARG);
    tg_tape_free(t);

    t = tg_tape_new();
    const tg_var bad = {12345};
    assert_false(tg_var_ok(tg_apply(t, TG_OP_EXP, 1, &bad)));
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR);
    tg_tape_free(t);
    assert_false(tg_var_ok(tg_apply(NULL, TG_OP_EXP, 1, &bad)));
}

/* The convenience macros select a constant for numbers and pass tg_vars through. */
static void convenience_macros_build_expected_graph(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 3);
    tg_var y = tg_mul(t, TG_V(t, 2.0), TG_V(t, x));
    tg_var z = TG_SUM(t, y, x, TG_V(t, 1));
    assert_int_equal(tg_op_of(t, tg_arg(t, y, 0)), TG_OP_CONST);
    assert_int_equal(tg_backward(t, z), TG_OK);
    assert_true(tg_value(t, z) == 10 && tg_grad(t, x) == 3);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_grad_matches_closed_form_and_finite_difference),
        cmocka_unit_test(ops_match_hand_derived_values),
        cmocka_unit_test(nary_ops_match_hand_derived_values),
        cmocka_unit_test(cone_follows_args_and_where_takes_one_branch),
        cmocka_unit_test(pieces_are_the_sides_of_each_kink),
        cmocka_unit_test(tiny_arguments_and_tails_keep_full_precision),
        cmocka_unit_test(min_max_of_nan_is_nan),
        cmocka_unit_test(where_and_comparisons_pass_nothing_through_what_is_not_taken),
        cmocka_unit_test(op_table_is_complete_and_findable),
        cmocka_unit_test(apply_records_like_the_constructors),
        cmocka_unit_test(convenience_macros_build_expected_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
