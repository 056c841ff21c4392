/* test_second.c: second and third derivatives of every row of the op table, through the
 * gradient graph (tg_grad_graph): against central finite differences of the engine's own
 * first-order gradient and against closed forms; the recorded gradient's value against
 * tg_backward's number, bit for bit; the error paths of tg_grad_graph. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "op_cases.h"
#include "ops_int.h"
#include "tapegrad.h"

enum { N_NARY = 3, MAX_IN = 2 * N_NARY };

/* The engine's first-order gradient at x, by tg_backward on a fresh tape. */
static void engine_grad(tg_op op, size_t n, const double *x, double *g)
{
    tg_tape *t = tg_tape_new();
    tg_var in[MAX_IN];
    tg_var y = op_case_record(t, op, n, x, in);
    assert_int_equal(tg_backward(t, y), TG_OK);
    for (size_t k = 0; k < n; k++)
        g[k] = tg_grad(t, in[k]);
    tg_tape_free(t);
}

static void every_op_second_derivative_matches_fd_and_closed_form(void **state)
{
    (void)state;
    int n_checked = 0;
    OP_CASES_EACH(op) {
        const op_case *c = op_case_of(op);
        const size_t n = op_case_n_args(op, N_NARY);
        for (int point = 0; point < 100; point++) {
            double x[MAX_IN];
            op_case_draw(op, n, x);
            tg_tape *t = tg_tape_new();
            tg_var in[MAX_IN], g[MAX_IN];
            const tg_var y = op_case_record(t, op, n, x, in);
            assert_int_equal(tg_grad_graph(t, y, n, in, g), TG_OK);
            double want[MAX_IN * MAX_IN] = {0}, hess[MAX_IN * MAX_IN];
            c->d2(x, n, want);
            assert_int_equal(tg_hessian(t, y, n, in, TG_MODE_FORWARD, hess), TG_OK);
            for (size_t k = 0; k < n; k++) {
                if (op_case_constant_arg(op, k))
                    continue;                                  /* the constant exponent */
                assert_int_equal(tg_backward(t, g[k]), TG_OK); /* row k of the Hessian */
                for (size_t j = 0; j < n; j++) {
                    if (op_case_constant_arg(op, j))
                        continue;
                    const double h = 1e-5 * fmax(1.0, fabs(x[j]));
                    double xp[MAX_IN], xm[MAX_IN], gp[MAX_IN], gm[MAX_IN];
                    for (size_t i = 0; i < n; i++)
                        xp[i] = xm[i] = x[i];
                    xp[j] += h;
                    xm[j] -= h;
                    engine_grad(op, n, xp, gp);
                    engine_grad(op, n, xm, gm);
                    const double fd = (gp[k] - gm[k]) / (2 * h);
                    const double got = tg_grad(t, in[j]);
                    if (!close_to(got, fd, 1e-5) || !close_to(got, want[k * n + j], 1e-12) ||
                        !close_to(hess[k * n + j], got, 1e-12))
                        fail_msg("%s d2/dx%zu dx%zu at %.17g, %.17g: graph %.17g, finite "
                                 "difference %.17g, closed form %.17g, tg_hessian %.17g",
                                 tg_op_name(op), k, j, x[0], x[1], got, fd, want[k * n + j],
                                 hess[k * n + j]);
                    n_checked++;
                }
            }
            tg_tape_free(t);
        }
    }
    assert_true(n_checked > 10000);
}

/* The recorded gradient is the same number tg_backward computes, at random points and at the
 * conventions' special points (PyTorch's pow at 0, relu'(0), abs'(0), sqrt'(0) = inf). */
static void graph_gradient_equals_backward_bit_for_bit(void **state)
{
    (void)state;
    static const struct {
        tg_op op;
        double a, b;
    } special[] = {
        {TG_OP_POW, 0, 0},       {TG_OP_POW, 0, 2},         {TG_OP_POW, 0, -1},
        {TG_OP_POW, -2, 3},      {TG_OP_POW, -2, 0.5},      {TG_OP_POWC, 0, 0},
        {TG_OP_POWC, 3, 0},      {TG_OP_POWC, 0, 0.5},      {TG_OP_RELU, 0, 0},
        {TG_OP_ABS, 0, 0},       {TG_OP_STEP, 0, 0},        {TG_OP_SIGN, 0, 0},
        {TG_OP_SQRT, 0, 0},      {TG_OP_LOG, 0, 0},         {TG_OP_DIV, 1, 0},
        {TG_OP_SIGMOID, 800, 0}, {TG_OP_GATE, 2, 0},        {TG_OP_GATE, 2, -1},
        {TG_OP_HYPOT, 0, 0},     {TG_OP_MIN, 2, 2},         {TG_OP_MAX, 2, 2},
        {TG_OP_ATAN2, 0, 0},     {TG_OP_ASIN, 1, 0},        {TG_OP_ACOSH, 1, 0},
        {TG_OP_ATANH, 1, 0},     {TG_OP_SOFTPLUS, -700, 0}, {TG_OP_SOFTPLUS, 700, 0},
        {TG_OP_LT, 1, NAN},      {TG_OP_WHERE, 0, NAN},     {TG_OP_WHERE, 1, 2},
    };
    const size_t n_special = sizeof special / sizeof special[0];
    int n_checked = 0;
    for (unsigned op = 0; op < TG_N_OPS; op++) {
        if (tgi_ops[op].flags & TGI_LEAF)
            continue;
        const size_t n = op_case_n_args((tg_op)op, N_NARY);
        for (size_t point = 0; point < 50 + n_special; point++) {
            double x[MAX_IN] = {0};
            op_case_draw((tg_op)op, n, x);
            if (point >= 50) {
                if (special[point - 50].op != op)
                    continue;
                x[0] = special[point - 50].a;
                x[1] = special[point - 50].b;
            }
            tg_tape *t = tg_tape_new();
            tg_var in[MAX_IN], g[MAX_IN];
            const tg_var y = op_case_record(t, (tg_op)op, n, x, in);
            assert_int_equal(tg_grad_graph(t, y, n, in, g), TG_OK);
            assert_int_equal(tg_backward(t, y), TG_OK);
            for (size_t k = 0; k < n; k++) {
                if (!same_bits(tg_value(t, g[k]), tg_grad(t, in[k])))
                    fail_msg("%s input %zu at %g, %g: graph %.17g, backward %.17g",
                             tgi_ops[op].info.id, k, x[0], x[1], tg_value(t, g[k]),
                             tg_grad(t, in[k]));
                n_checked++;
            }
            tg_tape_free(t);
        }
    }
    assert_true(n_checked > 1000);
}

/* PyTorch's where()-masked zeros (relu at a <= 0, pow at b = 0 and a = 0, step, sign, gate)
 * stay 0 in the recorded gradient when the upstream gradient is infinite, as in backward;
 * an unmasked zero (abs at 0: grad * sgn) gives inf * 0 = NaN in both. */
static void masked_zeros_stay_zero_under_infinite_upstream(void **state)
{
    (void)state;
    static const struct {
        tg_op op;
        double a, b;
        double want; /* d(inf * y)/da, by hand */
    } cases[] = {
        {TG_OP_RELU, -1, 0, 0}, {TG_OP_RELU, 0, 0, 0},  {TG_OP_POW, 2, 0, 0},
        {TG_OP_POWC, 2, 0, 0},  {TG_OP_STEP, 1, 0, 0},  {TG_OP_SIGN, 1, 0, 0},
        {TG_OP_GATE, 1, -1, 0}, {TG_OP_ABS, 0, 0, NAN}, {TG_OP_RELU, 1, 0, INFINITY},
        {TG_OP_MAX, 1, 2, 0},   {TG_OP_MIN, 2, 1, 0},   {TG_OP_HYPOT, 0, 0, 0},
        {TG_OP_LT, 1, 2, 0},    {TG_OP_EQ, 2, 2, 0},    {TG_OP_WHERE, 0, 5, 0},
        {TG_OP_WHERE, 1, 5, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tg_tape *t = tg_tape_new();
        const double x[MAX_IN] = {cases[c].a, cases[c].b};
        tg_var in[MAX_IN], g;
        const tg_var y = op_case_record(t, cases[c].op, op_case_n_args(cases[c].op, 1), x, in);
        const tg_var out = tg_mul(t, tg_const(t, INFINITY), y);
        assert_int_equal(tg_grad_graph(t, out, 1, in, &g), TG_OK);
        assert_int_equal(tg_backward(t, out), TG_OK);
        const double want = cases[c].want;
        if (!same_bits(tg_grad(t, in[0]) + 0.0, want + 0.0) &&
            !(isnan(want) && isnan(tg_grad(t, in[0]))))
            fail_msg("%s at %g, %g: backward %g, expected %g", tgi_ops[cases[c].op].info.id,
                     cases[c].a, cases[c].b, tg_grad(t, in[0]), want);
        if (!(tg_value(t, g) == want) && !(isnan(want) && isnan(tg_value(t, g))))
            fail_msg("%s at %g, %g: graph %g, expected %g", tgi_ops[cases[c].op].info.id,
                     cases[c].a, cases[c].b, tg_value(t, g), want);
        tg_tape_free(t);
    }
}

/* Third derivatives by three gradient graphs. Columns: what, x, closed-form d3/dx3. */
typedef tg_var (*unary_fn)(tg_tape *t, tg_var x);
static tg_var cube_powc(tg_tape *t, tg_var x)
{
    return tg_powc(t, x, 3.0);
}
static tg_var cube_mul(tg_tape *t, tg_var x)
{
    return tg_mul(t, tg_mul(t, x, x), x);
}
static tg_var cube_pow(tg_tape *t, tg_var x)
{
    return tg_pow(t, x, tg_input(t, 3.0));
}
static tg_var tanh_of_sin(tg_tape *t, tg_var x)
{
    return tg_tanh(t, tg_sin(t, x));
}

static double tanh3(double x) /* tanh''' = -2 sech^2 (1 - 3 tanh^2) */
{
    const double y = tanh(x);
    return -2.0 * (1 - y * y) * (1 - 3 * y * y);
}
static double sigmoid3(double x) /* s''' = s(1-s)(1 - 6s + 6s^2) */
{
    const double s = 1.0 / (1.0 + exp(-x));
    return s * (1 - s) * (1 - 6 * s + 6 * s * s);
}
static double tanh_of_sin3(double x) /* u = sin x, T = tanh u: d/dx thrice, by hand */
{
    const double u = sin(x), c = cos(x), T = tanh(u);
    const double T1 = 1 - T * T, T2 = -2 * T * T1, T3 = -2 * T1 * (1 - 3 * T * T);
    /* (T(u))''' = T3 u'^3 + 3 T2 u' u'' + T1 u''', u' = c, u'' = -u, u''' = -c */
    return T3 * c * c * c + 3 * T2 * c * (-u) + T1 * (-c);
}

static void third_derivatives_match_closed_forms(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        unary_fn f;
        double (*d3)(double x);
        double lo, hi;
    } cases[] = {
        {"exp", tg_exp, exp, -3, 3},
        {"tanh", tg_tanh, tanh3, -3, 3},
        {"sigmoid", tg_sigmoid, sigmoid3, -6, 6},
        {"log", tg_log, NULL, 0.2, 5},
        {"x^3 (powc)", cube_powc, NULL, -3, 3},
        {"x^3 (mul)", cube_mul, NULL, -3, 3},
        {"x^3 (pow)", cube_pow, NULL, 0.2, 3},
        {"tanh(sin x)", tanh_of_sin, tanh_of_sin3, -3, 3},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int point = 0; point < 40; point++) {
            const double x0 = uniform(cases[c].lo, cases[c].hi);
            double want;
            if (cases[c].d3)
                want = cases[c].d3(x0);
            else if (cases[c].f == tg_log)
                want = 2.0 / (x0 * x0 * x0); /* (1/x)'' = 2/x^3 */
            else
                want = 6.0; /* (x^3)''' */
            tg_tape *t = tg_tape_new();
            const tg_var x = tg_input(t, x0);
            tg_var d1, d2, d3;
            assert_int_equal(tg_grad_graph(t, cases[c].f(t, x), 1, &x, &d1), TG_OK);
            assert_int_equal(tg_grad_graph(t, d1, 1, &x, &d2), TG_OK);
            assert_int_equal(tg_grad_graph(t, d2, 1, &x, &d3), TG_OK);
            assert_int_equal(tg_backward(t, d2), TG_OK);
            if (!close_to(tg_value(t, d3), want, 1e-12) || !close_to(tg_grad(t, x), want, 1e-12))
                fail_msg("%s''' at %.17g: graph %.17g, backward of f'' %.17g, closed form %.17g",
                         cases[c].what, x0, tg_value(t, d3), tg_grad(t, x), want);
            tg_tape_free(t);
        }
    }
}

/* Every operation can be differentiated again: its row has a recorded derivative, and step and
 * sign (the recorded relu' and abs') are public ops with derivative 0. */
static void every_op_row_has_a_recorded_derivative(void **state)
{
    (void)state;
    for (unsigned op = 0; op < TG_N_OPS; op++)
        if (!(tgi_ops[op].flags & TGI_LEAF) && !tgi_ops[op].vjp)
            fail_msg("op %s has no vjp column in ops/ops.c", tgi_ops[op].info.id);
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, -0.5);
    const tg_var s[2] = {tg_step(t, x), tg_sign(t, x)};
    assert_int_equal(tg_op_of(t, s[0]), TG_OP_STEP);
    assert_int_equal(tg_op_of(t, s[1]), TG_OP_SIGN);
    assert_true(tg_value(t, s[0]) == 0.0 && tg_value(t, s[1]) == -1.0);
    assert_int_equal(tg_backward(t, tg_add(t, s[0], s[1])), TG_OK);
    assert_true(tg_grad(t, x) == 0.0);
    tg_tape_free(t);
}

/* A gradient w.r.t. a node out does not depend on is a constant 0; n = 0 is allowed. */
static void unreached_nodes_get_constant_zero(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 2), z = tg_input(t, 5);
    const tg_var y = tg_mul(t, x, x);
    const tg_var later = tg_input(t, 1);
    const tg_var wrt[3] = {x, z, later};
    tg_var g[3];
    assert_int_equal(tg_grad_graph(t, y, 3, wrt, g), TG_OK);
    assert_true(tg_value(t, g[0]) == 4.0); /* 2x */
    assert_int_equal(tg_op_of(t, g[1]), TG_OP_CONST);
    assert_true(tg_value(t, g[1]) == 0.0 && tg_value(t, g[2]) == 0.0);
    assert_int_equal(tg_grad_graph(t, y, 0, NULL, NULL), TG_OK);
    tg_tape_free(t);
}

/* Bad arguments are reported and leave the tape as it was. */
static void grad_graph_errors_leave_tape_unchanged(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 2);
    const tg_var y = tg_exp(t, x);
    const size_t before = tg_tape_size(t);
    tg_var g;
    const tg_var bad = {999};
    assert_int_equal(tg_grad_graph(NULL, y, 1, &x, &g), TG_ERR_ARG);
    assert_int_equal(tg_grad_graph(t, bad, 1, &x, &g), TG_ERR_BADVAR);
    assert_int_equal(tg_grad_graph(t, y, 1, &bad, &g), TG_ERR_BADVAR);
    assert_int_equal(tg_grad_graph(t, y, 1, NULL, &g), TG_ERR_ARG);
    assert_int_equal(tg_grad_graph(t, y, 1, &x, NULL), TG_ERR_ARG);
    assert_int_equal(tg_tape_size(t), before);
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR); /* the first error is kept */
    tg_tape_free(t);
}

/* No recursion: a chain of 200000 sin nodes differentiates twice; the second derivative (about
 * -12 at x = 0.01) against a central difference of two first-order gradients. */
static void long_chain_second_derivative_without_recursion(void **state)
{
    (void)state;
    enum { N = 200000 };
    double d1[2];
    const double x0 = 0.01, h = 1e-6;
    for (int side = 0; side < 2; side++) {
        tg_tape *t = tg_tape_new();
        const tg_var x = tg_input(t, x0 + (side ? h : -h));
        tg_var y = x;
        for (int i = 0; i < N; i++)
            y = tg_sin(t, y);
        assert_int_equal(tg_backward(t, y), TG_OK);
        d1[side] = tg_grad(t, x);
        tg_tape_free(t);
    }
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, x0);
    tg_var y = x;
    for (int i = 0; i < N; i++)
        y = tg_sin(t, y);
    tg_var g;
    assert_int_equal(tg_grad_graph(t, y, 1, &x, &g), TG_OK);
    assert_int_equal(tg_backward(t, g), TG_OK);
    const double fd = (d1[1] - d1[0]) / (2 * h);
    if (!close_to(tg_grad(t, x), fd, 1e-4))
        fail_msg("(sin^N)'' at %g: graph %.17g, difference of gradients %.17g", x0, tg_grad(t, x),
                 fd);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_second_derivative_matches_fd_and_closed_form),
        cmocka_unit_test(graph_gradient_equals_backward_bit_for_bit),
        cmocka_unit_test(masked_zeros_stay_zero_under_infinite_upstream),
        cmocka_unit_test(third_derivatives_match_closed_forms),
        cmocka_unit_test(every_op_row_has_a_recorded_derivative),
        cmocka_unit_test(unreached_nodes_get_constant_zero),
        cmocka_unit_test(grad_graph_errors_leave_tape_unchanged),
        cmocka_unit_test(long_chain_second_derivative_without_recursion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
