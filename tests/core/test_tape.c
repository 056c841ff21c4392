/* test_tape.c: the tape and the sweep: published examples (the apple/orange seed, micrograd's
 * engine tests with their PyTorch numbers), fan-out accumulation, what the two backward calls
 * mean, zero_grad, mark/rewind reuse, errors, and a 10-million-node chain. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

#define assert_close(actual, expected, tol)                                                   \
    assert_true(fabs((double)(actual) - (double)(expected)) <=                                \
                (tol) * (1.0 + fabs((double)(expected))))

/* Seed 002: apple 100 x 2, orange 150 x 3, tax 1.1 (MulLayer/AddLayer). */
static void apple_orange_matches_seed_document(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var apple = tg_input(t, 100), apple_num = tg_input(t, 2);
    tg_var orange = tg_input(t, 150), orange_num = tg_input(t, 3), tax = tg_input(t, 1.1);
    tg_var apple_price = tg_mul(t, apple, apple_num);
    tg_var orange_price = tg_mul(t, orange, orange_num);
    tg_var all_price = tg_add(t, apple_price, orange_price);
    tg_var price = tg_mul(t, all_price, tax);
    assert_int_equal(tg_backward(t, price), TG_OK);
    /* The seed prints 715.0000000000001, 2.2, 110.00000000000001, 3.3000000000000003, 165, 650, 1.1
     * (Python doubles, the same operations in the same order). */
    assert_true(tg_value(t, price) == 715.0000000000001);
    assert_true(tg_grad(t, apple) == 2.2);
    assert_true(tg_grad(t, apple_num) == 110.00000000000001);
    assert_true(tg_grad(t, orange) == 3.3000000000000003);
    assert_true(tg_grad(t, orange_num) == 165.0);
    assert_true(tg_grad(t, tax) == 650.0);
    assert_true(tg_grad(t, all_price) == 1.1);
    tg_tape_free(t);
}

/* micrograd test_engine.py test_sanity_check: y = -20, dy/dx = 46 (checked against PyTorch). */
static void micrograd_sanity_check(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, -4.0);
    tg_var z = tg_add(t, tg_add(t, tg_mulc(t, x, 2), tg_const(t, 2)), x);
    tg_var q = tg_add(t, tg_relu(t, z), tg_mul(t, z, x));
    tg_var h = tg_relu(t, tg_mul(t, z, z));
    tg_var y = tg_add(t, tg_add(t, h, q), tg_mul(t, q, x));
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_value(t, y) == -20.0);
    assert_true(tg_grad(t, x) == 46.0);
    tg_tape_free(t);
}

/* micrograd test_engine.py test_more_ops, numbers from PyTorch (tolerance 1e-6 there). */
static void micrograd_more_ops(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var a = tg_input(t, -4.0), b = tg_input(t, 2.0);
    tg_var c = tg_add(t, a, b);
    tg_var d = tg_add(t, tg_mul(t, a, b), tg_powc(t, b, 3));
    c = tg_add(t, c, tg_addc(t, c, 1));                                 /* c += c + 1 */
    c = tg_add(t, c, tg_add(t, tg_add(t, tg_const(t, 1), c), tg_neg(t, a))); /* c += 1 + c + (-a) */
    d = tg_add(t, d, tg_add(t, tg_mulc(t, d, 2), tg_relu(t, tg_add(t, b, a))));
    d = tg_add(t, d, tg_add(t, tg_mulc(t, d, 3), tg_relu(t, tg_sub(t, b, a))));
    tg_var e = tg_sub(t, c, d);
    tg_var f = tg_powc(t, e, 2);
    tg_var g = tg_div(t, f, tg_const(t, 2.0));
    g = tg_add(t, g, tg_rdivc(t, 10.0, f));
    assert_int_equal(tg_backward(t, g), TG_OK);
    assert_close(tg_value(t, g), 24.70408163265306, 1e-12);
    assert_close(tg_grad(t, a), 138.83381924198252, 1e-12);
    assert_close(tg_grad(t, b), 645.5772594752187, 1e-12);
    tg_tape_free(t);
}

/* A value used by several nodes collects the sum of their contributions. y = x*x + x*3 + x:
 * dy/dx = 2x + 3 + 1. */
static void fanout_accumulates_every_use(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 1.75);
    tg_var y = TG_SUM(t, tg_mul(t, x, x), tg_mulc(t, x, 3), x);
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_grad(t, x) == 2 * 1.75 + 3 + 1);
    tg_tape_free(t);
}

/* W3 "fanout" shape at a small size: exact results from WORKLOADS.md. */
static void fanout_workload_exact(void **state)
{
    (void)state;
    const int n = 1000;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 0.5), k = tg_input(t, 1.5);
    tg_var s = tg_mul(t, x, k);
    for (int i = 1; i < n; i++)
        s = tg_add(t, s, tg_mul(t, x, k));
    assert_int_equal(tg_backward(t, s), TG_OK);
    assert_true(tg_value(t, s) == 0.75 * n);
    assert_true(tg_grad(t, x) == 1.5 * n);
    assert_true(tg_grad(t, k) == 0.5 * n);
    tg_tape_free(t);
}

static void backward_twice_gives_same_gradients(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var a = tg_input(t, 3), b = tg_input(t, -2);
    tg_var y = tg_mul(t, tg_add(t, a, b), a); /* (a+b)a: dy/da = 2a + b = 4, dy/db = a = 3 */
    tg_backward(t, y);
    tg_backward(t, y);
    assert_true(tg_grad(t, a) == 4.0);
    assert_true(tg_grad(t, b) == 3.0);
    tg_tape_free(t);
}

/* Several outputs on one tape: accumulate sums the inputs' gradients, plain backward does not. */
static void backward_accumulate_sums_outputs(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var a = tg_input(t, 3), b = tg_input(t, -2);
    tg_var y1 = tg_mul(t, a, b); /* dy1/da = b = -2, dy1/db = a = 3 */
    tg_var y2 = tg_add(t, a, a); /* dy2/da = 2 */
    tg_var mid = tg_mulc(t, y1, 1.0);
    tg_zero_grad(t);
    assert_int_equal(tg_backward_accumulate(t, mid), TG_OK);
    assert_int_equal(tg_backward_accumulate(t, y2), TG_OK);
    assert_true(tg_grad(t, a) == -2.0 + 2.0);
    assert_true(tg_grad(t, b) == 3.0);
    /* y1 is not an input: it holds this call's gradient only (y2 does not depend on it). */
    assert_true(tg_grad(t, y1) == 0.0);
    assert_int_equal(tg_backward_accumulate(t, y2), TG_OK);
    assert_true(tg_grad(t, a) == 2.0);
    /* Plain backward replaces everything. */
    assert_int_equal(tg_backward(t, y1), TG_OK);
    assert_true(tg_grad(t, a) == -2.0);
    assert_true(tg_grad(t, b) == 3.0);
    tg_zero_grad(t);
    assert_true(tg_grad(t, a) == 0.0 && tg_grad(t, b) == 0.0);
    tg_tape_free(t);
}

/* Nodes out does not depend on get 0, and an unused sqrt(0) (infinite local derivative) does
 * not turn the used input's gradient into NaN. */
static void unused_nodes_do_not_propagate(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 0.0), w = tg_input(t, 5.0);
    tg_var unused = tg_sqrt(t, x);
    tg_var y = tg_mulc(t, x, 2);
    tg_var later = tg_mul(t, w, x); /* recorded after y: not in y's cone either */
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_grad(t, x) == 2.0);
    assert_true(tg_grad(t, w) == 0.0);
    assert_true(tg_grad(t, unused) == 0.0);
    assert_true(tg_grad(t, later) == 0.0);
    tg_tape_free(t);
}

/* But in the cone, 0 * inf is NaN, as in PyTorch: sqrt(x) * 0 at x = 0. */
static void in_cone_zero_times_infinity_is_nan(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 0.0);
    tg_var y = tg_mulc(t, tg_sqrt(t, x), 0.0);
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(isnan(tg_grad(t, x)));
    tg_tape_free(t);
}

/* PyTorch applies some zero derivatives with where(), not a product: an infinite upstream
 * gradient through relu at x <= 0, or through pow's base where the exponent is 0, or its
 * exponent where the base is 0, gives exactly 0 there (not inf * 0 = NaN). abs(0) multiplies. */
static void masked_zero_derivatives_stop_infinite_upstream(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, -1.0), z = tg_input(t, 0.0), e = tg_input(t, 0.0);
    tg_var through_relu = tg_sqrt(t, tg_relu(t, x)); /* d sqrt/d relu = inf at 0 */
    assert_int_equal(tg_backward(t, through_relu), TG_OK);
    assert_true(tg_grad(t, x) == 0.0);
    tg_var y = tg_sqrt(t, tg_pow(t, z, tg_input(t, 2.0))); /* sqrt(0^2): upstream inf */
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(isnan(tg_grad(t, z))); /* base: 2 * 0^1 = 0 is a product, not a mask: NaN */
    tg_var w = tg_sqrt(t, tg_mul(t, tg_pow(t, z, e), z)); /* 0^0 * 0 = 0, upstream inf */
    assert_int_equal(tg_backward(t, w), TG_OK);
    assert_true(tg_grad(t, e) == 0.0); /* exponent at base 0, e >= 0: masked */
    tg_var v = tg_sqrt(t, tg_abs(t, z));
    assert_int_equal(tg_backward(t, v), TG_OK);
    assert_true(isnan(tg_grad(t, z))); /* abs'(0) = 0 multiplies inf, as torch's sgn does */
    assert_true(tg_backward_step(t, tg_arg(t, through_relu, 0), 0, INFINITY) == 0.0);
    tg_tape_free(t);
}

/* A training-loop shape: parameters before the mark, a step's graph after it, rewind. After
 * the first step the tape never grows again. Gradient of (w*x - y)^2 is 2(w x - y) x. */
static void mark_rewind_reuses_memory(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var w = tg_input(t, 0.5);
    tg_set_name(t, w, "w");
    tg_mark m = tg_tape_mark(t);
    size_t grows_after_first = 0;
    double wv = 0.5;
    for (int step = 0; step < 50; step++) {
        double xv = 1.0 + step % 3, yv = 2.0 * xv;
        tg_var loss = tg_powc(t, tg_sub(t, tg_mul(t, w, tg_const(t, xv)), tg_const(t, yv)), 2);
        tg_set_name(t, loss, "loss");
        assert_int_equal(tg_backward(t, loss), TG_OK);
        assert_close(tg_grad(t, w), 2 * (wv * xv - yv) * xv, 1e-15);
        wv -= 0.01 * tg_grad(t, w);
        tg_set_value(t, w, wv);
        assert_int_equal(tg_tape_rewind(t, m), TG_OK);
        assert_int_equal(tg_tape_size(t), 1);
        tg_tape_stats st;
        tg_tape_get_stats(t, &st);
        if (step == 0)
            grows_after_first = st.n_grows;
        assert_int_equal(st.n_grows, grows_after_first);
    }
    assert_string_equal(tg_name(t, w), "w");
    assert_true(fabs(wv - 2.0) < 0.1); /* w converges toward 2 */
    tg_tape_free(t);
}

static void errors_are_reported_not_crashed(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 1.0);
    tg_var bad = {12345};
    tg_var y = tg_add(t, x, bad);
    assert_false(tg_var_ok(y));
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR);
    assert_non_null(strstr(tg_tape_errmsg(t), "add"));
    /* The first error is kept; an invalid handle propagates through later calls. */
    tg_var z = tg_exp(t, y);
    assert_false(tg_var_ok(z));
    assert_int_equal(tg_backward(t, z), TG_ERR_BADVAR);
    assert_true(isnan(tg_value(t, z)));
    assert_int_equal(tg_set_value(t, tg_exp(t, x), 3.0), TG_ERR_NOTLEAF);
    tg_tape_clear_error(t);
    assert_int_equal(tg_tape_status(t), TG_OK);
    tg_mark beyond = {100, 0};
    assert_int_equal(tg_tape_rewind(t, beyond), TG_ERR_ARG);
    assert_string_equal(tg_strerror(TG_ERR_NOMEM), "out of memory");
    assert_string_equal(tg_strerror((tg_status)999), "unknown error");
    tg_tape_free(NULL);
    assert_int_equal(tg_backward(NULL, x), TG_ERR_ARG);
    tg_tape_free(t);
}

static void replay_recomputes_values(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 2.0);
    tg_var y = tg_add(t, tg_mul(t, x, x), tg_sin(t, x));
    tg_set_value(t, x, 0.5);
    tg_tape_replay(t);
    assert_true(tg_value(t, y) == 0.5 * 0.5 + sin(0.5));
    tg_backward(t, y);
    assert_true(tg_grad(t, x) == 2 * 0.5 + cos(0.5));
    tg_tape_free(t);
}

/* 10 million nodes: y = ((x*a + b) ...), no recursion anywhere. With a = 1, b = 0 exact:
 * dy/dx = 1, dy/da = N/2 * x... keep it simple: alternating mul by 1 and add 0. */
static void ten_million_node_chain(void **state)
{
    (void)state;
    const uint32_t n = 10000000;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 0.375), one = tg_input(t, 1.0), zero = tg_input(t, 0.0);
    tg_var y = x;
    for (uint32_t i = 0; i < n / 2; i++)
        y = tg_add(t, tg_mul(t, y, one), zero);
    assert_true(tg_var_ok(y));
    assert_int_equal(tg_tape_size(t), n + 3);
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_value(t, y) == 0.375);
    assert_true(tg_grad(t, x) == 1.0);
    assert_true(tg_grad(t, one) == 0.375 * (n / 2)); /* each mul contributes y = 0.375 */
    assert_true(tg_grad(t, zero) == (double)(n / 2));
    tg_tape_stats st;
    tg_tape_get_stats(t, &st);
    assert_true(st.bytes_used <= 24 * st.n_nodes);
    tg_tape_free(t);
}

static void names_and_origins_are_kept_until_rewound(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 2);
    tg_mark m = tg_tape_mark(t);
    tg_var y = tg_log(t, x);
    char buf[8] = "x";
    assert_int_equal(tg_set_name(t, x, buf), TG_OK);
    buf[0] = 'z'; /* the tape keeps its own copy */
    assert_int_equal(tg_set_origin(t, y, 3, 7, "log(x)"), TG_OK);
    assert_int_equal(tg_set_name(t, y, "y"), TG_OK);
    tg_origin o;
    assert_int_equal(tg_get_origin(t, y, &o), 1);
    assert_true(o.line == 3 && o.column == 7);
    assert_string_equal(o.text, "log(x)");
    assert_int_equal(tg_get_origin(t, x, &o), 0);
    assert_string_equal(tg_name(t, x), "x");
    assert_int_equal(tg_set_name(t, y, NULL), TG_OK);
    assert_null(tg_name(t, y));
    assert_int_equal(tg_get_origin(t, y, &o), 1); /* removing the name keeps the origin */
    tg_tape_rewind(t, m);
    y = tg_exp(t, x); /* same id as the rewound node: no stale note */
    assert_null(tg_name(t, y));
    assert_int_equal(tg_get_origin(t, y, &o), 0);
    assert_string_equal(tg_name(t, x), "x");
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apple_orange_matches_seed_document),
        cmocka_unit_test(micrograd_sanity_check),
        cmocka_unit_test(micrograd_more_ops),
        cmocka_unit_test(fanout_accumulates_every_use),
        cmocka_unit_test(fanout_workload_exact),
        cmocka_unit_test(backward_twice_gives_same_gradients),
        cmocka_unit_test(backward_accumulate_sums_outputs),
        cmocka_unit_test(unused_nodes_do_not_propagate),
        cmocka_unit_test(in_cone_zero_times_infinity_is_nan),
        cmocka_unit_test(masked_zero_derivatives_stop_infinite_upstream),
        cmocka_unit_test(mark_rewind_reuses_memory),
        cmocka_unit_test(errors_are_reported_not_crashed),
        cmocka_unit_test(replay_recomputes_values),
        cmocka_unit_test(names_and_origins_are_kept_until_rewound),
        cmocka_unit_test(ten_million_node_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
