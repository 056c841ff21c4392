/* test_sweep.c: which gradients a backward clears. tg_backward clears only the gradients that
 * may be nonzero (those below the tape's dirty mark): these tests pin that a stale gradient
 * left by an earlier backward, by tg_set_grad or by a rewound graph never survives, whatever
 * order records, rewinds and backwards come in. Expected values are derived by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tapegrad.h"

/* Graph A after the mark: z = x*y + y (dz/dx = y = 3, dz/dy = x + 1 = 3); then rewound and
 * replaced by graph B: w = x + 1 and an unused node u = y*y. Every node of B that w does not
 * depend on (u, y, the constant) must read 0 although A left gradients at those positions. */
static void rewound_graph_leaves_no_stale_gradient(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 2.0), y = tg_input(t, 3.0);
    const tg_mark m = tg_tape_mark(t);
    tg_var z = tg_add(t, tg_mul(t, x, y), y);
    assert_int_equal(tg_backward(t, z), TG_OK);
    assert_true(tg_grad(t, x) == 3.0 && tg_grad(t, y) == 3.0);
    assert_int_equal(tg_tape_rewind(t, m), TG_OK);
    tg_var one = tg_const(t, 1.0); /* takes the position of x*y, which had gradient 1 */
    tg_var w = tg_add(t, x, one);  /* the position of z, which had gradient 1 */
    tg_var u = tg_mul(t, y, y);
    assert_true(tg_grad(t, one) == 0.0 && tg_grad(t, w) == 0.0 && tg_grad(t, u) == 0.0);
    assert_int_equal(tg_backward(t, w), TG_OK);
    assert_true(tg_grad(t, w) == 1.0);
    assert_true(tg_grad(t, x) == 1.0);
    assert_true(tg_grad(t, one) == 1.0);
    assert_true(tg_grad(t, y) == 0.0); /* 3 after graph A */
    assert_true(tg_grad(t, u) == 0.0);
    tg_tape_free(t);
}

/* A gradient set by hand above the output, and one set on a leaf, are cleared by the next
 * backward: d(out)/d(v) is 0 for every v that out does not depend on. */
static void set_grad_anywhere_is_cleared_by_backward(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 5.0), k = tg_input(t, 7.0);
    tg_var out = tg_mul(t, x, x); /* d/dx = 2x = 10 */
    tg_var above = tg_add(t, out, k);
    assert_int_equal(tg_set_grad(t, above, 42.0), TG_OK);
    assert_int_equal(tg_set_grad(t, k, -1.0), TG_OK);
    assert_int_equal(tg_backward(t, out), TG_OK);
    assert_true(tg_grad(t, above) == 0.0);
    assert_true(tg_grad(t, k) == 0.0);
    assert_true(tg_grad(t, x) == 10.0);
    /* tg_zero_grad after a backward and a tg_set_grad clears everything. */
    assert_int_equal(tg_set_grad(t, above, 1.5), TG_OK);
    tg_zero_grad(t);
    assert_true(tg_grad(t, above) == 0.0 && tg_grad(t, x) == 0.0 && tg_grad(t, out) == 0.0);
    tg_tape_free(t);
}

/* A backward from a node below an earlier one's output clears the earlier cone above it:
 * out1 = x*x + x at x = 4 (d/dx = 2x + 1 = 9), then out0 = x*x (d/dx = 8) from the same tape. */
static void backward_from_lower_output_clears_higher_cone(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 4.0);
    tg_var out0 = tg_mul(t, x, x);
    tg_var out1 = tg_add(t, out0, x);
    assert_int_equal(tg_backward(t, out1), TG_OK);
    assert_true(tg_grad(t, x) == 9.0 && tg_grad(t, out1) == 1.0);
    assert_int_equal(tg_backward(t, out0), TG_OK);
    assert_true(tg_grad(t, x) == 8.0);
    assert_true(tg_grad(t, out1) == 0.0);
    tg_tape_free(t);
}

/* tg_backward_accumulate across rewinds (a minibatch): inputs keep their sums, every other
 * node holds this call's gradient. f = x*x*c at x = 3 with c = 2, then c = 5 on the rewound
 * tape: df/dx = 2xc = 12, then 30, accumulated to 42; dc = x*x = 9 each time, not summed
 * (c is a constant leaf). */
static void backward_accumulate_keeps_inputs_across_rewinds(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 3.0);
    const tg_mark m = tg_tape_mark(t);
    const double cs[2] = {2.0, 5.0}, want_x[2] = {12.0, 42.0};
    for (int i = 0; i < 2; i++) {
        tg_var c = tg_const(t, cs[i]);
        tg_var f = tg_mul(t, tg_mul(t, x, x), c);
        assert_int_equal(tg_backward_accumulate(t, f), TG_OK);
        assert_true(tg_grad(t, x) == want_x[i]);
        assert_true(tg_grad(t, c) == 9.0);
        assert_int_equal(tg_tape_rewind(t, m), TG_OK);
    }
    tg_tape_free(t);
}

/* d/da a^2 = 2a: the sweep's derivative of a square is 2 * a bit for bit (what p * a^(p-1)
 * gives, since pow(a, 1) = a), signed zeros, subnormals, huge values and infinities included,
 * and the forward stays C's pow(a, 2). */
static void square_derivative_is_two_a_exactly(void **state)
{
    (void)state;
    const double as[] = {0.625, -3.0, 0.0, -0.0, 4.9406564584124654e-324, -1e-310, 1e154,
                         1e300, -1e300, 1.0000000000000002, INFINITY, -INFINITY, 7.25e-3};
    for (size_t i = 0; i < sizeof as / sizeof as[0]; i++) {
        tg_tape *t = tg_tape_new();
        tg_var x = tg_input(t, as[i]);
        tg_var y = tg_powc(t, x, 2.0);
        assert_int_equal(tg_backward(t, y), TG_OK);
        /* The local derivative bit for bit (-0 stays -0); the gradient 0 + 1 * local equals it
         * (+0 for -0, as every accumulated gradient). */
        const double want = 2.0 * as[i], local = tg_local_grad(t, y, 0);
        assert_memory_equal(&local, &want, sizeof local);
        assert_true(tg_grad(t, x) == want);
        const double fwd = tg_value(t, y), want_fwd = pow(as[i], 2.0);
        assert_memory_equal(&fwd, &want_fwd, sizeof fwd);
        tg_tape_free(t);
    }
}

/* tg_backward has two sweeps that must give the same bits (core/backward.c, ops/kernels.h):
 * the cone's, which takes a tape's first backward (and every sixteenth, and every one while
 * the cone is a small part of the tape), and the sweep of every node below the output, in the
 * cone or not, which takes the others. So the second backward of each test below is the
 * sweep of every node: there a node outside the cone has gradient +0 and adds 0 * (local)
 * into its inputs, which must change no gradient, not even a zero's sign. w is used only by the
 * unused u = w * -1, whose contribution 0 * -1 is -0, and +0 + -0 = +0 (IEEE 754, round to
 * nearest), as the cone leaves it; where the unused node's local derivative is infinite (sqrt
 * at 0: 0 * inf = NaN) the gradients are the cone's all the same. By hand: y = 2x + 3v at
 * x = 0, v = 1, plus 10 (4 of its 31 nodes outside the cone: under a quarter). */
static void nodes_outside_the_cone_change_no_gradient(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 0.0), w = tg_input(t, 4.0), v = tg_input(t, 1.0);
    tg_var u = tg_mulc(t, w, -1.0); /* unused: 0 * -1 = -0 into w */
    tg_var r = tg_sqrt(t, x);       /* unused: d sqrt/dx = inf at 0 */
    tg_var y = tg_add(t, tg_mulc(t, x, 2.0), tg_mulc(t, v, 3.0));
    for (int k = 0; k < 10; k++) /* y + 10, in the cone: dy/dy = 1 */
        y = tg_addc(t, y, 1.0);
    for (int pass = 0; pass < 3; pass++) {
        assert_int_equal(tg_backward(t, y), TG_OK);
        const double gw = tg_grad(t, w), gu = tg_grad(t, u), gr = tg_grad(t, r);
        assert_true(gw == 0.0 && !signbit(gw));
        assert_true(gu == 0.0 && !signbit(gu) && gr == 0.0 && !signbit(gr));
        assert_true(tg_grad(t, x) == 2.0); /* not 2 + 0 * inf = NaN */
        assert_true(tg_grad(t, v) == 3.0);
    }
    tg_tape_free(t);
}

/* A small generator (splitmix64) for the random graphs below. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* The two sweeps of one graph, the same bits, on 20,000 random graphs over every op, whose
 * inputs include zeros of both signs, infinities, NaN and values outside the ops' domains.
 * The output sums all but a few of the nodes (so that under a quarter of them are outside its
 * cone, and the second backward sweeps every node); the first backward is the cone's. Where
 * either has a NaN gradient both must (the sweep of every node then hands over to the cone's:
 * NaN payloads are not the point). */
static void sweep_of_every_node_equals_sweep_of_cone(void **state)
{
    (void)state;
    static const double values[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 3.0, 1e300, -1e-310,
                                    INFINITY, -INFINITY, NAN, 0.75, -0.125};
    const size_t n_values = sizeof values / sizeof values[0];
    uint64_t rng = 20261201;
    size_t nan_gradients = 0, zero_gradients = 0, compared = 0;
    for (int round = 0; round < 20000; round++) {
        tg_tape *t = tg_tape_new();
        const int n_inputs = 2 + (int)(next_random(&rng) % 3);
        for (int k = 0; k < n_inputs; k++)
            tg_input(t, values[next_random(&rng) % n_values]);
        const int n_ops = 1 + (int)(next_random(&rng) % 12);
        for (int k = 0; k < n_ops; k++) {
            const tg_op op = (tg_op)(next_random(&rng) % TG_N_OPS);
            const tg_op_info *info = tg_op_info_of(op);
            if (info->n_args == 0)
                continue;
            const size_t n =
                info->n_args == TG_NARY ? 2 * (1 + next_random(&rng) % 3) : (size_t)info->n_args;
            tg_var args[6];
            const uint32_t size = (uint32_t)tg_tape_size(t);
            for (size_t j = 0; j < n; j++)
                args[j].id = (uint32_t)(next_random(&rng) % size);
            if (op == TG_OP_POWC) /* its exponent must be a constant */
                args[1] = tg_const(t, values[next_random(&rng) % n_values]);
            tg_apply(t, op, n, args); /* an op refusing its arguments records nothing */
            tg_tape_clear_error(t);
        }
        /* out = the sum of every node but one in eight (left outside the cone, unless another
         * summed node uses it) */
        tg_var parts[64];
        size_t n_parts = 0;
        const size_t size = tg_tape_size(t);
        assert_true(size < 64);
        for (size_t i = 0; i < size; i++)
            if (next_random(&rng) % 8 != 0)
                parts[n_parts++].id = (uint32_t)i;
        if (n_parts == 0)
            parts[n_parts++].id = 0;
        const tg_var out = tg_sum(t, n_parts, parts);
        double first[64];
        assert_int_equal(tg_backward(t, out), TG_OK);
        for (size_t i = 0; i <= out.id; i++)
            first[i] = tg_grad(t, (tg_var){(uint32_t)i});
        assert_int_equal(tg_backward(t, out), TG_OK);
        for (size_t i = 0; i <= out.id; i++) {
            const double second = tg_grad(t, (tg_var){(uint32_t)i});
            if (isnan(first[i]) || isnan(second)) {
                assert_true(isnan(first[i]) && isnan(second));
                nan_gradients++;
            } else {
                assert_memory_equal(&first[i], &second, sizeof second);
                zero_gradients += second == 0.0;
            }
            compared++;
        }
        tg_tape_free(t);
    }
    /* NaN gradients (the hand-over) and zero gradients (nodes outside the cone, reached
     * zeros) were both among them */
    assert_true(nan_gradients > 1000 && zero_gradients > 1000 && compared > 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rewound_graph_leaves_no_stale_gradient),
        cmocka_unit_test(set_grad_anywhere_is_cleared_by_backward),
        cmocka_unit_test(backward_from_lower_output_clears_higher_cone),
        cmocka_unit_test(backward_accumulate_keeps_inputs_across_rewinds),
        cmocka_unit_test(square_derivative_is_two_a_exactly),
        cmocka_unit_test(nodes_outside_the_cone_change_no_gradient),
        cmocka_unit_test(sweep_of_every_node_equals_sweep_of_cone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
