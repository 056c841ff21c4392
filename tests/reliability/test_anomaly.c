/* test_anomaly.c: anomaly detection (tg_tape_set_anomaly) and the tape's capacity limit
 * (tg_tape_set_capacity, TG_MAX_NODES): where a NaN or infinity is caught, what the message
 * says, that the checked sweep gives the unchecked one's gradients, and that recording past the
 * capacity fails cleanly. Random graphs are in test_property.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        if (!strstr((haystack), (needle)))                                                         \
            fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));                      \
    } while (0)

/* log(0) = -inf is refused while recording: the node is named, with its input's value; the
 * origin given afterwards (as the expression language does) joins the message. */
static void anomaly_stops_recording_at_first_nonfinite_value(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_tape_set_anomaly(t, 1);
    tg_var x = tg_input(t, 0.0);
    tg_var y = tg_log(t, x);
    assert_true(tg_var_ok(y)); /* kept, so that it can be given an origin */
    assert_true(tg_value(t, y) == -INFINITY);
    assert_int_equal(tg_tape_status(t), TG_ERR_NONFINITE);
    assert_int_equal(tg_set_origin(t, y, 3, 7, "log(x)"), TG_OK);
    const char *msg = tg_tape_errmsg(t);
    assert_contains(msg, "node 1 (log) = -inf");
    assert_contains(msg, "node 0 = 0");
    assert_contains(msg, "at 3:7 \"log(x)\"");
    /* recording has stopped */
    assert_false(tg_var_ok(tg_exp(t, x)));
    assert_false(tg_var_ok(tg_input(t, 1.0)));
    assert_int_equal(tg_tape_size(t), 2);
    /* until the error is cleared */
    tg_tape_clear_error(t);
    assert_true(tg_var_ok(tg_exp(t, x)));
    assert_int_equal(tg_tape_status(t), TG_OK);
    tg_tape_free(t);
}

/* A NaN leaf, an overflow (exp(710) > DBL_MAX) and 0/0 are each caught where they appear. */
static void anomaly_catches_nan_leaf_overflow_and_zero_over_zero(void **state)
{
    (void)state;
    static const struct {
        double x;
        int op; /* 0 leaf, 1 exp, 2 x/x */
        const char *expect;
    } cases[] = {
        {NAN, 0, "node 0 (input) = nan"},
        {710.0, 1, "node 1 (exp) = inf; inputs: node 0 = 710"},
        /* printf writes 0/0 as "nan" or "-nan", by the sign bit the FPU gives it */
        {0.0, 2, "nan; inputs: node 0 = 0, node 0 = 0"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tg_tape *t = tg_tape_new();
        tg_tape_set_anomaly(t, 1);
        tg_var x = tg_input(t, cases[c].x);
        if (cases[c].op == 1)
            tg_exp(t, x);
        else if (cases[c].op == 2)
            tg_div(t, x, x);
        assert_int_equal(tg_tape_status(t), TG_ERR_NONFINITE);
        const char *msg = tg_tape_errmsg(t);
        assert_contains(msg, cases[c].expect);
        tg_tape_free(t);
    }
}

/* sqrt(x) at x = 0 is finite (0), but its derivative 1/(2 sqrt x) is infinite: backward stops
 * there, and names the node, its origin and the input it sent inf to. Off, the same tape gives
 * dy/dx = inf without complaint. */
static void anomaly_backward_names_node_with_infinite_derivative(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 0.0);
    tg_var s = tg_sqrt(t, x);
    tg_var y = tg_mulc(t, s, 3.0);
    assert_int_equal(tg_set_origin(t, s, 1, 5, "sqrt(x)"), TG_OK);
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_grad(t, x) == INFINITY);
    tg_tape_set_anomaly(t, 1);
    assert_int_equal(tg_backward(t, y), TG_ERR_NONFINITE);
    const char *msg = tg_tape_errmsg(t);
    assert_contains(msg, "anomaly in backward: node 1 (sqrt) = 0 sent gradient inf");
    assert_contains(msg, "upstream 3 x local inf");
    assert_contains(msg, "to its input 0, node 0");
    assert_contains(msg, "at 1:5 \"sqrt(x)\"");
    tg_tape_free(t);
}

/* backward_accumulate: an input already holding a huge gradient overflows when the next
 * sample's gradient is added; caught at the addition. */
static void anomaly_accumulate_catches_overflowing_sum(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 2.0);
    tg_var y = tg_mulc(t, x, 1e308); /* dy/dx = 1e308 */
    tg_tape_set_anomaly(t, 1);
    assert_int_equal(tg_backward_accumulate(t, y), TG_OK);
    assert_true(tg_grad(t, x) == 1e308);
    assert_int_equal(tg_backward_accumulate(t, y), TG_ERR_NONFINITE); /* 2e308 > DBL_MAX */
    assert_contains(tg_tape_errmsg(t), "node 2 (mul)");
    assert_contains(tg_tape_errmsg(t), "which then holds inf");
    tg_tape_free(t);
}

/* n-ary nodes: the input left non-finite is named (dot's weight w1 gets g * x1 = inf). */
static void anomaly_backward_checks_nary_inputs(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var w[2] = {tg_input(t, 1.0), tg_input(t, 2.0)};
    tg_var x[2] = {tg_input(t, 3.0), tg_input(t, 1e300)};
    tg_var d = tg_dot(t, 2, w, x);  /* 3 + 2e300 */
    tg_var y = tg_mulc(t, d, 1e10); /* dy/dw1 = 1e10 * 1e300 = inf */
    tg_tape_set_anomaly(t, 1);
    assert_int_equal(tg_backward(t, y), TG_ERR_NONFINITE);
    assert_contains(tg_tape_errmsg(t), "node 4 (dot)");
    assert_contains(tg_tape_errmsg(t), "to its input 1, node 1");
    assert_contains(tg_tape_errmsg(t),
                    "inputs: node 0 = 1, node 1 = 2, node 2 = 3, node 3 = 1e+300");
    tg_tape_free(t);
}

/* Replay with anomaly on stops at log(-1). */
static void anomaly_replay_stops_at_first_nan(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_tape_set_anomaly(t, 1);
    tg_var x = tg_input(t, 1.0);
    tg_var y = tg_log(t, x);
    tg_var z = tg_exp(t, y);
    assert_int_equal(tg_tape_status(t), TG_OK);
    assert_int_equal(tg_set_value(t, x, -1.0), TG_OK);
    tg_tape_replay(t);
    assert_int_equal(tg_tape_status(t), TG_ERR_NONFINITE);
    assert_contains(tg_tape_errmsg(t), "anomaly in replay: node 1 (log)");
    assert_true(isnan(tg_value(t, y)));
    assert_true(tg_value(t, z) == 1.0); /* not reached: replay stopped before it */
    tg_tape_free(t);
}

/* With every value finite, the checked sweep gives the unchecked one's gradients exactly:
 * y = sum(x_i * x_{i+1}) + dot(x, x) + tanh(x0) x3, a fan-out-rich graph. */
static void anomaly_on_gives_identical_gradients(void **state)
{
    (void)state;
    double grads[2][6];
    for (int on = 0; on < 2; on++) {
        tg_tape *t = tg_tape_new();
        tg_tape_set_anomaly(t, on);
        tg_var x[6], p[5];
        for (int i = 0; i < 6; i++)
            x[i] = tg_input(t, 0.1 * (i + 1) - 0.25);
        for (int i = 0; i < 5; i++)
            p[i] = tg_mul(t, x[i], x[i + 1]);
        tg_var y =
            TG_SUM(t, tg_sum(t, 5, p), tg_dot(t, 6, x, x), tg_mul(t, tg_tanh(t, x[0]), x[3]));
        assert_int_equal(tg_backward(t, y), TG_OK);
        for (int i = 0; i < 6; i++)
            grads[on][i] = tg_grad(t, x[i]);
        tg_tape_free(t);
    }
    assert_memory_equal(grads[0], grads[1], sizeof grads[0]);
    /* and they are right: dy/dx1 = x0 + x2 + 2 x1 (x = -0.15, -0.05, 0.05, ...) */
    assert_true(fabs(grads[0][1] - (-0.15 + 0.05 + 2 * -0.05)) < 1e-15);
}

/* ---- Capacity --------------------------------------------------------------------------- */

static void capacity_limit_refuses_the_next_node(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    assert_int_equal(tg_tape_set_capacity(t, 10), TG_OK);
    tg_var x = tg_input(t, 1.5);
    for (int i = 1; i < 10; i++)
        x = tg_mul(t, x, x);
    assert_int_equal(tg_tape_size(t), 10);
    assert_int_equal(tg_tape_status(t), TG_OK);
    tg_var y = tg_exp(t, x);
    assert_false(tg_var_ok(y));
    assert_int_equal(tg_tape_status(t), TG_ERR_CAPACITY);
    assert_contains(tg_tape_errmsg(t), "capacity of 10 nodes");
    assert_int_equal(tg_tape_size(t), 10);
    /* an n-ary node at capacity leaves the argument list as it was */
    tg_var xs[3] = {x, x, x};
    assert_false(tg_var_ok(tg_sum(t, 3, xs)));
    tg_tape_stats st;
    tg_tape_get_stats(t, &st);
    assert_int_equal(st.n_args, 0);
    /* the tape still works: backward over what it holds (x = 1.5^(2^9)) */
    assert_int_equal(tg_backward(t, x), TG_OK);
    assert_true(tg_grad(t, x) == 1.0);
    tg_tape_free(t);
}

static void capacity_shrinks_storage_and_can_be_raised_again(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    assert_int_equal(tg_tape_reserve(t, 100000, 0), TG_OK);
    tg_var x = tg_input(t, 2.0);
    tg_var y = tg_mulc(t, x, 3.0); /* 3 nodes */
    assert_int_equal(tg_tape_set_capacity(t, 5), TG_OK);
    tg_tape_stats st;
    tg_tape_get_stats(t, &st);
    assert_true(st.bytes_reserved < 100000);     /* 5 nodes' storage, not 100000 */
    assert_true(tg_var_ok(tg_addc(t, y, 1.0)));  /* nodes 4 and 5 */
    assert_false(tg_var_ok(tg_addc(t, y, 1.0))); /* a 6th */
    assert_int_equal(tg_tape_reserve(t, 6, 0), TG_ERR_CAPACITY);
    tg_tape_clear_error(t);
    assert_int_equal(tg_tape_set_capacity(t, TG_MAX_NODES), TG_OK);
    tg_var z = tg_addc(t, y, 1.0);
    assert_true(tg_var_ok(z));
    assert_int_equal(tg_backward(t, z), TG_OK);
    assert_true(tg_grad(t, x) == 3.0);
    tg_tape_free(t);
}

static void capacity_rejects_bad_limits(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_input(t, 1.0);
    tg_input(t, 2.0);
    const size_t bad[] = {0, 1, (size_t)TG_MAX_NODES + 1};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(tg_tape_set_capacity(t, bad[k]), TG_ERR_ARG);
        tg_tape_clear_error(t);
    }
    assert_int_equal(tg_tape_set_capacity(NULL, 10), TG_ERR_ARG);
    assert_int_equal(tg_tape_set_capacity(t, 2), TG_OK); /* exactly what it holds */
    assert_false(tg_var_ok(tg_input(t, 3.0)));
    tg_tape_free(t);
}

/* The documented limit itself, without the 13 GB a full tape would take: asking for one node
 * more than TG_MAX_NODES fails before allocating anything. */
static void reserve_past_max_nodes_is_capacity_error(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    assert_int_equal(tg_tape_reserve(t, (size_t)TG_MAX_NODES + 1, 0), TG_ERR_CAPACITY);
    tg_tape_clear_error(t);
    assert_int_equal(tg_tape_reserve(t, 0, (size_t)TG_MAX_NODES + 1), TG_ERR_CAPACITY);
    tg_tape_stats st;
    tg_tape_get_stats(t, &st);
    assert_int_equal(st.bytes_reserved, 0);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anomaly_stops_recording_at_first_nonfinite_value),
        cmocka_unit_test(anomaly_catches_nan_leaf_overflow_and_zero_over_zero),
        cmocka_unit_test(anomaly_backward_names_node_with_infinite_derivative),
        cmocka_unit_test(anomaly_accumulate_catches_overflowing_sum),
        cmocka_unit_test(anomaly_backward_checks_nary_inputs),
        cmocka_unit_test(anomaly_replay_stops_at_first_nan),
        cmocka_unit_test(anomaly_on_gives_identical_gradients),
        cmocka_unit_test(capacity_limit_refuses_the_next_node),
        cmocka_unit_test(capacity_shrinks_storage_and_can_be_raised_again),
        cmocka_unit_test(capacity_rejects_bad_limits),
        cmocka_unit_test(reserve_past_max_nodes_is_capacity_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
