/* test_replay.c: tape replay (CppAD's ADFun idea: record once, then tg_set_value +
 * tg_tape_replay + tg_backward at new inputs) against re-recording at those inputs, bit for
 * bit, for graphs with relu and abs; what replay means for a branch taken in C while recording;
 * replay of a recorded gradient graph (gradients and Hessians at new points, no new backward). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tg_test.h"
#include "tapegrad.h"

enum { N = 4 };

/* A function of 4 inputs with kinks (relu, abs) that switch branches across the sampled box,
 * and most other ops. */
static tg_var kinky(tg_tape *t, const tg_var *x)
{
    const tg_var a = tg_relu(t, tg_sub(t, x[0], x[1]));
    const tg_var b = tg_abs(t, tg_mul(t, x[2], tg_tanh(t, x[3])));
    const tg_var c = tg_div(t, tg_sin(t, x[0]), tg_addc(t, tg_abs(t, x[1]), 1.5));
    const tg_var d = tg_log(t, tg_addc(t, tg_mul(t, b, b), 1));
    const tg_var e = tg_sqrt(t, tg_addc(t, tg_exp(t, tg_mulc(t, x[3], 0.5)), 0.25));
    const tg_var w[3] = {a, tg_sigmoid(t, x[2]), c};
    const tg_var v[3] = {x[1], tg_relu(t, x[0]), tg_powc(t, x[3], 2)};
    return TG_SUM(t, tg_dot(t, 3, w, v), d, e, tg_mul(t, a, b), tg_cos(t, tg_mul(t, a, x[2])));
}

static void draw_point(double *x, int point)
{
    for (int k = 0; k < N; k++)
        x[k] = uniform(-3, 3);
    if (point % 10 == 0) /* land exactly on the kinks too */
        x[point % 3] = 0.0, x[1] = point % 20 == 0 ? x[0] : x[1];
}

static void replay_equals_rerecording_bit_for_bit(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x[N];
    for (int k = 0; k < N; k++)
        x[k] = tg_input(t, 0.5 + k);
    const tg_var f = kinky(t, x);
    tg_tape_stats before, after;
    assert_int_equal(tg_backward(t, f), TG_OK); /* the first backward allocates its scratch */
    tg_tape_get_stats(t, &before);
    for (int point = 0; point < 2000; point++) {
        double x0[N];
        draw_point(x0, point);
        for (int k = 0; k < N; k++)
            assert_int_equal(tg_set_value(t, x[k], x0[k]), TG_OK);
        tg_tape_replay(t);
        assert_int_equal(tg_backward(t, f), TG_OK);

        tg_tape *fresh = tg_tape_new();
        tg_var y[N];
        for (int k = 0; k < N; k++)
            y[k] = tg_input(fresh, x0[k]);
        const tg_var g = kinky(fresh, y);
        assert_int_equal(tg_backward(fresh, g), TG_OK);
        assert_int_equal(tg_tape_size(fresh), tg_tape_size(t));
        for (uint32_t i = 0; i < tg_tape_size(t); i++) { /* every node, value and gradient */
            const tg_var v = {i};
            if (!same_bits(tg_value(t, v), tg_value(fresh, v)) ||
                !same_bits(tg_grad(t, v), tg_grad(fresh, v)))
                fail_msg("point %d node %u: replay %.17g (grad %.17g), re-recorded %.17g "
                         "(grad %.17g)",
                         point, (unsigned)i, tg_value(t, v), tg_grad(t, v), tg_value(fresh, v),
                         tg_grad(fresh, v));
        }
        tg_tape_free(fresh);
    }
    tg_tape_get_stats(t, &after);
    assert_int_equal(after.n_grows, before.n_grows); /* replay allocated nothing */
    tg_tape_free(t);
}

/* y = (x > 0 ? x*x : -x), the branch taken in C while recording, and the same function as
 * relu(x)^2 + relu(-x) written with ops. */
static tg_var branch_in_c(tg_tape *t, tg_var x)
{
    return tg_value(t, x) > 0 ? tg_mul(t, x, x) : tg_neg(t, x);
}
static tg_var branch_as_ops(tg_tape *t, tg_var x)
{
    const tg_var r = tg_relu(t, x);
    return tg_add(t, tg_mul(t, r, r), tg_relu(t, tg_neg(t, x)));
}

/* Replay re-evaluates the recorded graph, not the C program: recorded at x = 1.5 the C branch
 * chose x*x, and replay at x = -2 still computes x*x = 4 (gradient -4), where re-recording gives
 * -x = 2 (gradient -1). The relu form carries both branches in the graph and replays exactly. */
static void c_branch_is_not_retaken_on_replay(void **state)
{
    (void)state;
    static const struct {
        tg_var (*f)(tg_tape *t, tg_var x);
        double replay_y, replay_dy; /* at x = -2 after recording at 1.5, by hand */
    } cases[] = {
        {branch_in_c, 4.0, -4.0},   /* the recorded x*x */
        {branch_as_ops, 2.0, -1.0}, /* -x, as re-recording gives */
    };
    for (size_t c = 0; c < 2; c++) {
        tg_tape *t = tg_tape_new();
        const tg_var x = tg_input(t, 1.5);
        const tg_var y = cases[c].f(t, x);
        assert_true(tg_value(t, y) == 2.25);
        assert_int_equal(tg_set_value(t, x, -2.0), TG_OK);
        tg_tape_replay(t);
        assert_int_equal(tg_backward(t, y), TG_OK);
        assert_true(tg_value(t, y) == cases[c].replay_y);
        assert_true(tg_grad(t, x) == cases[c].replay_dy);

        tg_tape *fresh = tg_tape_new();
        const tg_var x2 = tg_input(fresh, -2.0);
        const tg_var y2 = cases[c].f(fresh, x2);
        assert_int_equal(tg_backward(fresh, y2), TG_OK);
        assert_true(tg_value(fresh, y2) == 2.0 && tg_grad(fresh, x2) == -1.0);
        tg_tape_free(fresh);
        tg_tape_free(t);
    }
}

/* Equal as numbers (0 == -0; NaN matches NaN): the recorded first contribution into a node is
 * c itself where backward computes 0 + c, which differs only in the sign of a zero. */
static int same_number(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* A gradient graph recorded once is replayed with the function: at new inputs its nodes hold
 * the new gradient (no backward runs), and a tangent sweep over it the new Hessian. */
static void replayed_gradient_graph_gives_new_gradient_and_hessian(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x[N], g[N];
    for (int k = 0; k < N; k++)
        x[k] = tg_input(t, 1.0 - 0.6 * k);
    const tg_var f = kinky(t, x);
    assert_int_equal(tg_grad_graph(t, f, N, x, g), TG_OK);
    for (int point = 0; point < 500; point++) {
        double x0[N], h_replay[N * N], h_fresh[N * N];
        draw_point(x0, point);
        for (int k = 0; k < N; k++)
            assert_int_equal(tg_set_value(t, x[k], x0[k]), TG_OK);
        tg_tape_replay(t);
        assert_int_equal(tg_jacobian(t, N, g, N, x, TG_MODE_FORWARD, h_replay), TG_OK);

        tg_tape *fresh = tg_tape_new();
        tg_var y[N];
        for (int k = 0; k < N; k++)
            y[k] = tg_input(fresh, x0[k]);
        const tg_var f2 = kinky(fresh, y);
        assert_int_equal(tg_hessian(fresh, f2, N, y, TG_MODE_FORWARD, h_fresh), TG_OK);
        assert_int_equal(tg_backward(fresh, f2), TG_OK);
        for (int k = 0; k < N; k++)
            if (!same_number(tg_value(t, g[k]), tg_grad(fresh, y[k])))
                fail_msg("point %d: replayed gradient node %d = %.17g, backward %.17g", point, k,
                         tg_value(t, g[k]), tg_grad(fresh, y[k]));
        for (int k = 0; k < N * N; k++)
            if (!same_number(h_replay[k], h_fresh[k]))
                fail_msg("point %d: replayed H[%d] = %.17g, re-recorded %.17g", point, k,
                         h_replay[k], h_fresh[k]);
        tg_tape_free(fresh);
    }
    tg_tape_free(t);
}

/* pow's convention d(a^b)/da = 0 where b = 0 is a branch taken when the gradient graph is
 * recorded (as PyTorch's masked_fill): recorded at b = 0, the gradient node is g * 0 and stays 0
 * when replay moves b to 2, where backward (which re-decides at every sweep) gives 2a. Recorded
 * at b != 0 the node is b a^(b-1), which replays to the right value for any b != 0. */
static void pow_convention_is_decided_when_the_graph_is_recorded(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var a = tg_input(t, 3.0), b = tg_input(t, 0.0);
    const tg_var y = tg_pow(t, a, b);
    tg_var g;
    assert_int_equal(tg_grad_graph(t, y, 1, &a, &g), TG_OK);
    assert_true(tg_value(t, g) == 0.0);
    assert_int_equal(tg_set_value(t, b, 2.0), TG_OK);
    tg_tape_replay(t);
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_value(t, y) == 9.0 && tg_grad(t, a) == 6.0); /* 2 * 3 */
    assert_true(tg_value(t, g) == 0.0);                         /* the branch recorded at b = 0 */

    tg_var g2;
    assert_int_equal(tg_grad_graph(t, y, 1, &a, &g2), TG_OK); /* recorded at b = 2 */
    assert_int_equal(tg_set_value(t, b, 0.5), TG_OK);
    tg_tape_replay(t);
    assert_true(close_to(tg_value(t, g2), 0.5 / sqrt(3.0), 1e-15)); /* b a^(b-1) = 0.5 / sqrt 3 */
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_equals_rerecording_bit_for_bit),
        cmocka_unit_test(c_branch_is_not_retaken_on_replay),
        cmocka_unit_test(replayed_gradient_graph_gives_new_gradient_and_hessian),
        cmocka_unit_test(pow_convention_is_decided_when_the_graph_is_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
