/* test_gradcheck.c: core/gradcheck.c. Right derivatives (hand-derived, at points of every
 * magnitude, with rounding-heavy intermediates) pass; wrong ones fail; kinks fail and are
 * flagged when the value is a subgradient; values are restored; bad arguments give their codes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

/* Records src over one input x = x0, checks `expected` against finite differences. */
static tg_gradcheck_result check(const char *src, double x0, double expected, double tol)
{
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    const tg_var x = tg_input(t, x0);
    assert_int_equal(tg_parser_define(p, "x", x), TG_OK);
    tg_var out;
    assert_int_equal(tg_parser_run(p, src, strlen(src), &out), TG_OK);
    const double before = tg_value(t, out);
    tg_gradcheck_result r;
    assert_int_equal(tg_gradcheck(t, out, x, expected, tol, &r), TG_OK);
    /* every value back as it was, bit for bit */
    assert_memory_equal(&before, &(double){tg_value(t, out)}, sizeof before);
    assert_memory_equal(&x0, &(double){tg_value(t, x)}, sizeof x0);
    tg_parser_free(p);
    tg_tape_free(t);
    return r;
}

/* Columns: program in x, point, the derivative by hand at that point. */
typedef struct deriv_case {
    const char *src;
    double x;
    double d;
} deriv_case;

static const deriv_case right[] = {
    {"x^2", 3, 6},
    {"x^10", 10, 10 * 1e9},
    {"log(x)", 1e-5, 1e5},
    {"log(x)", 1e6, 1e-6},
    {"sqrt(x)", 1e-8, 0.5e4},
    {"1e6*cos(x)", 1e-10, -1e6 * 1e-10}, /* 1e-4 beside values of 1e6: below the noise */
    {"(x + 1e10) - 1e10", 0.5, 1},
    {"exp(x)", 20, 485165195.4097903}, /* e^20 */
    {"sin(x)", 0, 1},
    {"cos(x)", 0, 0},
    {"tanh(x)", 0.3, 0.9151369618266292},     /* 1 - tanh(0.3)^2 */
    {"sigmoid(x)", -30, 9.3576229688392e-14}, /* s(1-s) at -30 */
    {"1/x", -4, -1.0 / 16},
    {"x*x*x - 2*x", -1e3, 3e6 - 2},
    {"relu(x)", 2, 1},
    {"abs(x)", -2, -1},
    {"x", 1e300, 1},
    /* Flat (0) at x0 +- 0.1 and +- 0.05: a large step alone looks exact, with slope 0; the
     * smaller steps disagree with it, so it is not chosen. d/dx = -2 x0. */
    {"relu(0.0001 - x^2)", 0.001, -0.002},
    {"relu(0.0001 - x^2) + sin(x)", 0.001, -0.002 + 0.99999950000004167}, /* + cos(0.001) */
};

static void right_derivatives_pass(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof right / sizeof right[0]; i++) {
        const tg_gradcheck_result r = check(right[i].src, right[i].x, right[i].d, 1e-6);
        if (!r.ok || r.kink) {
            print_error("%s at %g: expected %.17g, numeric %.17g, ok %d kink %d\n", right[i].src,
                        right[i].x, right[i].d, r.numeric, r.ok, r.kink);
            fail();
        }
        assert_true(r.abs_err == fabs(r.expected - r.numeric));
    }
}

static void wrong_derivatives_fail(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof right / sizeof right[0]; i++) {
        /* off by 5% (and by 0.05 where the derivative is 0) */
        const double wrong = right[i].d == 0 ? 0.05 : right[i].d * 1.05;
        if (strstr(right[i].src, "1e6*cos"))
            continue; /* 5% of 1e-4 is within the noise of differences of values near 1e6 */
        const tg_gradcheck_result r = check(right[i].src, right[i].x, wrong, 1e-6);
        if (r.ok && fabs(wrong - right[i].d) > 1e-6 * fmax(1, fabs(right[i].d))) {
            print_error("%s at %g: wrong %.17g accepted (numeric %.17g)\n", right[i].src,
                        right[i].x, wrong, r.numeric);
            fail();
        }
    }
    const tg_gradcheck_result r = check("x^2", 3, 5, 1e-6);
    assert_false(r.ok);
    assert_true(fabs(r.numeric - 6) < 1e-9);
    assert_true(fabs(r.abs_err - 1) < 1e-9);
    assert_true(fabs(r.rel_err - 1.0 / 6) < 1e-9);
}

static void kinks_fail_and_are_flagged(void **state)
{
    (void)state;
    /* Columns: program at x = 0, expected, ok, kink. One-sided slopes: relu 0 and 1, abs -1
     * and 1, abs(x)*3 + x -2 and 4; central differences 0.5, 0, 1. */
    const struct {
        const char *src;
        double expected;
        int ok, kink;
    } cases[] = {
        {"relu(x)", 0, 0, 1},      {"relu(x)", 1, 0, 1},      {"relu(x)", 0.5, 1, 0},
        {"relu(x)", -0.5, 0, 0},   {"relu(x)", 2, 0, 0},      {"abs(x)", 0, 1, 0},
        {"abs(x)", -1, 0, 1},      {"abs(x)", 1.5, 0, 0},     {"abs(x)*3 + x", 1, 1, 0},
        {"abs(x)*3 + x", 3, 0, 1}, {"abs(x)*3 + x", 5, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tg_gradcheck_result r = check(cases[i].src, 0, cases[i].expected, 1e-6);
        if (r.ok != cases[i].ok || r.kink != cases[i].kink) {
            print_error("%s at 0 with %g: ok %d kink %d\n", cases[i].src, cases[i].expected, r.ok,
                        r.kink);
            fail();
        }
    }
}

static void no_finite_estimate_is_not_ok(void **state)
{
    (void)state;
    /* sqrt at 0: the left side is NaN, the right side gives ever larger slopes */
    const tg_gradcheck_result r = check("log(x - 1)", 1, INFINITY, 1e-6);
    assert_false(r.ok);
    const tg_gradcheck_result s = check("x^2", 3, NAN, 1e-6);
    assert_false(s.ok);
}

static void bad_arguments_give_their_codes(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 2), y = tg_mul(t, x, x);
    tg_gradcheck_result r;
    assert_int_equal(tg_gradcheck(t, y, y, 4, 1e-6, &r), TG_ERR_NOTLEAF);
    assert_int_equal(tg_gradcheck(t, y, x, 4, 0, &r), TG_ERR_ARG);
    assert_int_equal(tg_gradcheck(t, y, x, 4, NAN, &r), TG_ERR_ARG);
    assert_int_equal(tg_gradcheck(t, y, x, 4, 1e-6, NULL), TG_ERR_ARG);
    assert_int_equal(tg_gradcheck(NULL, y, x, 4, 1e-6, &r), TG_ERR_ARG);
    assert_int_equal(tg_gradcheck(t, tg_var_invalid(), x, 4, 1e-6, &r), TG_ERR_BADVAR);
    assert_int_equal(tg_gradcheck(t, y, tg_var_invalid(), 4, 1e-6, &r), TG_ERR_BADVAR);
    assert_int_equal(tg_gradcheck(t, y, x, 4, 1e-6, &r), TG_OK);
    assert_true(r.ok);
    tg_tape_clear_error(t);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(right_derivatives_pass),
        cmocka_unit_test(wrong_derivatives_fail),
        cmocka_unit_test(kinks_fail_and_are_flagged),
        cmocka_unit_test(no_finite_estimate_is_not_ok),
        cmocka_unit_test(bad_arguments_give_their_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
