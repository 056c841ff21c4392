/* test_optim.c: each optimizer's update against steps computed by hand from its formula
 * (SGD, momentum, Adam with bias correction), the learning-rate schedules (step, linear, and
 * micrograd's 1 - 0.9 k / 100 bit for bit), and the errors (bad configuration, wrong count,
 * a parameter that is not a leaf, which leaves every parameter unchanged). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tapegrad.h"

/* Two parameters p = (0.5, -1.5); each step sets their gradients to g[k] and steps. */
static void run(const tg_optim_config *cfg, size_t n_steps, const double (*g)[2], double *out)
{
    tg_tape *t = tg_tape_new();
    tg_var p[2] = {tg_input(t, 0.5), tg_input(t, -1.5)};
    tg_optim *o = tg_optim_new(cfg, 2);
    assert_non_null(o);
    for (size_t k = 0; k < n_steps; k++) {
        tg_set_grad(t, p[0], g[k][0]);
        tg_set_grad(t, p[1], g[k][1]);
        assert_int_equal(tg_optim_step(o, t, 2, p), TG_OK);
    }
    assert_int_equal(tg_optim_steps(o), n_steps);
    out[0] = tg_value(t, p[0]);
    out[1] = tg_value(t, p[1]);
    tg_optim_free(o);
    tg_tape_free(t);
}

static const double grads[3][2] = {{2.0, -0.5}, {2.0, 1.0}, {-1.0, 0.25}};

static void sgd_step_is_p_minus_lr_g(void **state)
{
    (void)state;
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_SGD, 0.1);
    double p[2];
    run(&c, 1, grads, p);
    assert_true(p[0] == 0.5 - 0.1 * 2.0);   /* 0.3 */
    assert_true(p[1] == -1.5 - 0.1 * -0.5); /* -1.45 */
    run(&c, 3, grads, p);
    assert_true(fabs(p[0] - (0.5 - 0.1 * (2 + 2 - 1))) < 1e-15);
    assert_true(fabs(p[1] - (-1.5 - 0.1 * (-0.5 + 1 + 0.25))) < 1e-15);
}

/* v1 = g1 = 2, p = 0.5 - 0.1 * 2 = 0.3; v2 = 0.9 * 2 + 2 = 3.8, p = 0.3 - 0.38 = -0.08;
 * v3 = 0.9 * 3.8 - 1 = 2.42, p = -0.08 - 0.242 = -0.322 */
static void momentum_steps_match_hand_computation(void **state)
{
    (void)state;
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_MOMENTUM, 0.1);
    double p[2];
    run(&c, 2, grads, p);
    assert_true(fabs(p[0] - -0.08) < 1e-15);
    run(&c, 3, grads, p);
    assert_true(fabs(p[0] - -0.322) < 1e-15);
    /* second parameter: v = -0.5, 0.55, 0.745; p = -1.5 + 0.05 - 0.055 - 0.0745 */
    assert_true(fabs(p[1] - -1.5795) < 1e-15);
}

/* Adam, lr 0.1, b1 0.9, b2 0.999, eps 1e-8, first parameter:
 * step 1, g = 2:  m = 0.2, v = 0.004; m^ = 0.2/0.1 = 2, v^ = 0.004/0.001 = 4;
 *                 p = 0.5 - 0.1 * 2 / (2 + 1e-8)  (the famous first step of size ~lr)
 * step 2, g = 2:  m = 0.38, v = 0.007996; m^ = 0.38/0.19 = 2, v^ = 0.007996/0.001999 = 4;
 *                 p -= 0.1 * 2 / (2 + 1e-8) again. */
static void adam_steps_match_hand_computation(void **state)
{
    (void)state;
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM, 0.1);
    double p[2];
    run(&c, 1, grads, p);
    assert_true(fabs(p[0] - (0.5 - 0.2 / (2 + 1e-8))) < 1e-15);
    /* second parameter, g = -0.5: m^ = -0.5, v^ = 0.25, p = -1.5 + 0.1 * 0.5 / (0.5 + 1e-8) */
    assert_true(fabs(p[1] - (-1.5 + 0.05 / (0.5 + 1e-8))) < 1e-15);
    run(&c, 2, grads, p);
    assert_true(fabs(p[0] - (0.5 - 0.4 / (2 + 1e-8))) < 1e-14);
    /* second parameter, g = -0.5 then 1: m = -0.05, then 0.9*-0.05 + 0.1 = 0.055, m^ = 0.055/0.19;
     * v = 0.00025, then 0.999*0.00025 + 0.001 = 0.00124975, v^ = 0.00124975/0.001999 */
    const double mh = 0.055 / 0.19, vh = 0.00124975 / 0.001999;
    const double want = -1.5 + 0.05 / (0.5 + 1e-8) - 0.1 * mh / (sqrt(vh) + 1e-8);
    assert_true(fabs(p[1] - want) < 1e-14);
}

static void schedules_give_documented_rates(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var p = tg_input(t, 0.0);
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_SGD, 1.0);
    c.schedule = TG_LR_STEP;
    c.gamma = 0.5;
    c.step_size = 2;
    tg_optim *o = tg_optim_new(&c, 1);
    const double step_rates[] = {1, 1, 0.5, 0.5, 0.25, 0.25, 0.125};
    for (size_t k = 0; k < 7; k++) {
        assert_true(tg_optim_lr(o) == step_rates[k]);
        tg_optim_step(o, t, 1, &p);
    }
    tg_optim_free(o);
    c.schedule = TG_LR_LINEAR;
    c.decay = 0.9;
    c.n_decay = 100;
    o = tg_optim_new(&c, 1);
    for (size_t k = 0; k < 150; k++) {
        /* micrograd's demo: learning_rate = 1.0 - 0.9*k/100, then held at 0.1 */
        const double want = 1.0 - 0.9 * (double)(k < 100 ? k : 100) / 100;
        assert_true(tg_optim_lr(o) == want);
        tg_optim_step(o, t, 1, &p);
    }
    tg_optim_free(o);
    tg_tape_free(t);
}

static void optimizer_errors_leave_parameters_unchanged(void **state)
{
    (void)state;
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM, 0.1);
    c.eps = 0.0;
    assert_null(tg_optim_new(&c, 1));
    c = tg_optim_defaults(TG_OPTIM_SGD, NAN);
    assert_null(tg_optim_new(&c, 1));
    c = tg_optim_defaults(TG_OPTIM_SGD, 0.1);
    c.schedule = TG_LR_STEP;
    c.step_size = 0;
    assert_null(tg_optim_new(&c, 1));
    assert_null(tg_optim_new(NULL, 1));

    tg_tape *t = tg_tape_new();
    tg_var a = tg_input(t, 1.0), b = tg_input(t, 2.0);
    tg_var p[2] = {a, tg_add(t, a, b)};
    tg_set_grad(t, a, 1.0);
    c = tg_optim_defaults(TG_OPTIM_MOMENTUM, 0.1);
    tg_optim *o = tg_optim_new(&c, 2);
    assert_int_equal(tg_optim_step(o, t, 1, p), TG_ERR_ARG);
    assert_int_equal(tg_optim_step(o, t, 2, p), TG_ERR_NOTLEAF);
    assert_true(tg_value(t, a) == 1.0);
    assert_int_equal(tg_optim_steps(o), 0);
    tg_optim_free(o);
    tg_optim_free(NULL);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sgd_step_is_p_minus_lr_g),
        cmocka_unit_test(momentum_steps_match_hand_computation),
        cmocka_unit_test(adam_steps_match_hand_computation),
        cmocka_unit_test(schedules_give_documented_rates),
        cmocka_unit_test(optimizer_errors_leave_parameters_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
