/* test_mlp.c: the MLP against WORKLOADS.md W2 (micrograd's moons demo: data, initial values,
 * the step-0 loss and gradients published there), a small MLP's every parameter gradient
 * against central finite differences, parameter names, steady-state steps that allocate
 * nothing, and XOR and moons trained to their goals from fixed seeds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

static double rel_diff(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-300);
}

/* W2's model: 2-16-16-1, relu, relu, identity, weights 2u - 1 from a generator seeded 1337. */
static tg_mlp *w2_model(tg_tape *t)
{
    static const size_t sizes[] = {16, 16, 1};
    static const tg_act acts[] = {TG_ACT_RELU, TG_ACT_RELU, TG_ACT_IDENTITY};
    tg_rng rng;
    tg_rng_init(&rng, 1337);
    return tg_mlp_new(t, 2, 3, sizes, acts, TG_INIT_UNIFORM, &rng);
}

static tg_dataset *w2_data(void)
{
    tg_rng rng;
    tg_rng_init(&rng, 42);
    return tg_dataset_moons(100, 0.1, &rng);
}

/* L = hinge + 1e-4 L2 over the whole of d, recorded on t (score: n slots). */
static tg_var w2_loss(tg_mlp *m, const tg_dataset *d, tg_var *score)
{
    tg_tape *t = tg_mlp_tape(m);
    for (size_t i = 0; i < d->n; i++)
        assert_int_equal(tg_mlp_forward_values(m, d->x + 2 * i, &score[i]), TG_OK);
    tg_var data = tg_loss_hinge(t, d->n, score, d->y);
    tg_var reg = tg_loss_l2(t, tg_mlp_n_params(m), tg_mlp_params(m), 1e-4);
    return tg_add(t, data, reg);
}

static void w2_moons_data_matches_workloads_checksum(void **state)
{
    (void)state;
    tg_dataset *d = w2_data();
    assert_non_null(d);
    double s = 0.0;
    for (size_t i = 0; i < 200; i++)
        s += d->x[i];
    for (size_t i = 0; i < 100; i++)
        s += d->y[i];
    assert_true(s == 75.223832127615566);
    assert_true(d->y[0] == -1.0 && d->y[49] == -1.0 && d->y[50] == 1.0 && d->y[99] == 1.0);
    tg_dataset_free(d);
}

static void w2_init_matches_workloads_checksum(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *m = w2_model(t);
    assert_non_null(m);
    assert_int_equal(tg_mlp_n_params(m), 337);
    double s = 0.0;
    for (size_t i = 0; i < 337; i++)
        s += tg_value(t, tg_mlp_params(m)[i]);
    assert_true(s == -0.0083693713006702808);
    /* biases are 0 and took no draw: parameter 2 is neuron 0's bias */
    assert_true(tg_value(t, tg_mlp_params(m)[2]) == 0.0);
    tg_mlp_free(m);
    tg_tape_free(t);
}

/* The step-0 loss is bit-exact with micrograd's (the dot sums b + w0 x0 + w1 x1 ... in its
 * order), and the gradients match WORKLOADS.md's published sums within the stated 1e-12. */
static void w2_step0_loss_and_gradients_match_workloads(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *m = w2_model(t);
    tg_dataset *d = w2_data();
    tg_var score[100];
    tg_var L = w2_loss(m, d, score);
    assert_int_equal(tg_backward(t, L), TG_OK);
    assert_true(rel_diff(tg_value(t, L), 1.1123622922763847) <= 1e-12);
    assert_true(tg_value(t, L) == 1.1123622922763847);
    double s = 0.0, sa = 0.0, si = 0.0;
    for (size_t i = 0; i < 337; i++) {
        const double g = tg_grad(t, tg_mlp_params(m)[i]);
        s += g;
        sa += fabs(g);
        si += (double)(i + 1) * g;
    }
    /* published with 14 significant digits */
    assert_true(rel_diff(s, 0.46895944180030) <= 1e-11);
    assert_true(rel_diff(sa, 18.723354726639) <= 1e-11);
    assert_true(rel_diff(si, -301.90140071906) <= 1e-11);
    tg_dataset_free(d);
    tg_mlp_free(m);
    tg_tape_free(t);
}

/* micrograd's demo: 100 steps of SGD with lr 1 - 0.9 k / 100 reach 100% training accuracy;
 * WORKLOADS.md gives the step-9 loss 0.42018907949282... (last digits depend on the order
 * gradients are accumulated in). After the first step no step grows the tape. */
static void w2_moons_training_reaches_full_accuracy_without_allocating(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *m = w2_model(t);
    tg_dataset *d = w2_data();
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_SGD, 1.0);
    cfg.schedule = TG_LR_LINEAR;
    cfg.decay = 0.9;
    cfg.n_decay = 100;
    tg_optim *o = tg_optim_new(&cfg, tg_mlp_n_params(m));
    const tg_mark mark = tg_tape_mark(t);
    tg_var score[100];
    size_t grows_after_first = 0;
    double loss = 0, acc = 0;
    for (size_t k = 0; k < 100; k++) {
        tg_var L = w2_loss(m, d, score);
        loss = tg_value(t, L);
        double sc[100];
        for (size_t i = 0; i < 100; i++)
            sc[i] = tg_value(t, score[i]);
        acc = tg_metric_accuracy_binary(100, sc, d->y, 0.0);
        if (k == 9)
            assert_true(rel_diff(loss, 0.42018907949282) <= 1e-12);
        assert_int_equal(tg_backward(t, L), TG_OK);
        assert_int_equal(tg_optim_step(o, t, tg_mlp_n_params(m), tg_mlp_params(m)), TG_OK);
        assert_int_equal(tg_tape_rewind(t, mark), TG_OK);
        tg_tape_stats st;
        tg_tape_get_stats(t, &st);
        if (k == 0)
            grows_after_first = st.n_grows;
        assert_int_equal(st.n_grows, grows_after_first);
    }
    assert_true(acc == 1.0);
    assert_true(loss < 0.02);
    tg_optim_free(o);
    tg_dataset_free(d);
    tg_mlp_free(m);
    tg_tape_free(t);
}

/* A 3-4-3-2 network with every activation, loss = sum of outputs squared weighted: each of
 * its parameters' gradient against a central difference of the recorded loss. */
static double small_loss(tg_mlp *m, const double *x, tg_var *L)
{
    tg_tape *t = tg_mlp_tape(m);
    tg_var y[2];
    assert_int_equal(tg_mlp_forward_values(m, x, y), TG_OK);
    *L = tg_add(t, tg_mul(t, y[0], y[0]), tg_mulc(t, y[1], 0.7));
    return tg_value(t, *L);
}

static void mlp_parameter_gradients_match_finite_differences(void **state)
{
    (void)state;
    static const size_t sizes[] = {4, 3, 2};
    static const tg_act acts[][3] = {{TG_ACT_TANH, TG_ACT_SIGMOID, TG_ACT_IDENTITY},
                                     {TG_ACT_RELU, TG_ACT_TANH, TG_ACT_SIGMOID}};
    const double x[3] = {0.3, -0.8, 1.1};
    for (size_t a = 0; a < 2; a++) {
        for (tg_init init = 0; init < TG_N_INITS; init++) {
            tg_tape *t = tg_tape_new();
            tg_rng rng;
            tg_rng_init(&rng, 7 + a);
            tg_mlp *m = tg_mlp_new(t, 3, 3, sizes, acts[a], init, &rng);
            assert_non_null(m);
            assert_int_equal(tg_mlp_n_params(m), 4 * 4 + 3 * 5 + 2 * 4);
            const tg_var *p = tg_mlp_params(m);
            /* nonzero biases so that their gradients are tested away from 0 too */
            for (size_t i = 0; i < tg_mlp_n_params(m); i++)
                if (strchr(tg_mlp_param_name(m, i), 'b'))
                    tg_set_value(t, p[i], 0.1 * (double)(i % 5) - 0.2);
            const tg_mark mark = tg_tape_mark(t);
            tg_var L;
            small_loss(m, x, &L);
            assert_int_equal(tg_backward(t, L), TG_OK);
            double g[64];
            for (size_t i = 0; i < tg_mlp_n_params(m); i++)
                g[i] = tg_grad(t, p[i]);
            tg_tape_rewind(t, mark);
            for (size_t i = 0; i < tg_mlp_n_params(m); i++) {
                const double v = tg_value(t, p[i]), h = 1e-6;
                tg_set_value(t, p[i], v + h);
                const double up = small_loss(m, x, &L);
                tg_tape_rewind(t, mark);
                tg_set_value(t, p[i], v - h);
                const double down = small_loss(m, x, &L);
                tg_tape_rewind(t, mark);
                tg_set_value(t, p[i], v);
                const double fd = (up - down) / (2 * h);
                if (fabs(fd - g[i]) > 1e-7 * (1 + fabs(fd)))
                    fail_msg("act set %zu init %d param %s: fd %.12g tape %.12g", a, init,
                             tg_mlp_param_name(m, i), fd, g[i]);
            }
            tg_mlp_free(m);
            tg_tape_free(t);
        }
    }
}

/* d(output)/d(input) through tg_mlp_forward on tg_input nodes: what a saliency map or a
 * network inside a larger graph needs. */
static void mlp_input_gradients_match_finite_differences(void **state)
{
    (void)state;
    static const size_t sizes[] = {5, 1};
    static const tg_act acts[] = {TG_ACT_TANH, TG_ACT_SIGMOID};
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 11);
    tg_mlp *m = tg_mlp_new(t, 3, 2, sizes, acts, TG_INIT_UNIFORM, &rng);
    const double x0[3] = {0.4, -1.2, 0.9};
    tg_var x[3], y;
    for (int k = 0; k < 3; k++)
        x[k] = tg_input(t, x0[k]);
    assert_int_equal(tg_mlp_forward(m, x, &y), TG_OK);
    assert_int_equal(tg_backward(t, y), TG_OK);
    for (int k = 0; k < 3; k++) {
        double xp[3] = {x0[0], x0[1], x0[2]}, xm[3] = {x0[0], x0[1], x0[2]}, up, down;
        xp[k] += 1e-6;
        xm[k] -= 1e-6;
        assert_int_equal(tg_mlp_predict(m, xp, &up), TG_OK);
        assert_int_equal(tg_mlp_predict(m, xm, &down), TG_OK);
        const double fd = (up - down) / 2e-6;
        assert_true(fabs(tg_grad(t, x[k]) - fd) <= 1e-8 * (1 + fabs(fd)));
        assert_true(fabs(fd) > 1e-4); /* the check is not vacuous */
    }
    tg_mlp_free(m);
    tg_tape_free(t);
}

static void mlp_parameters_have_names_that_find_them(void **state)
{
    (void)state;
    static const size_t sizes[] = {3, 1};
    static const tg_act acts[] = {TG_ACT_TANH, TG_ACT_IDENTITY};
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 1);
    tg_mlp *m = tg_mlp_new(t, 2, 2, sizes, acts, TG_INIT_XAVIER, &rng);
    /* micrograd order: layer0.neuron0.w0, .w1, .b, layer0.neuron1.w0, ... */
    static const struct {
        size_t index;
        const char *name;
    } cases[] = {{0, "layer0.neuron0.w0"}, {1, "layer0.neuron0.w1"}, {2, "layer0.neuron0.b"},
                 {3, "layer0.neuron1.w0"}, {8, "layer0.neuron2.b"},  {9, "layer1.neuron0.w0"},
                 {12, "layer1.neuron0.b"}};
    assert_int_equal(tg_mlp_n_params(m), 13);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t idx = 999;
        assert_string_equal(tg_mlp_param_name(m, cases[c].index), cases[c].name);
        assert_int_equal(tg_mlp_param_find(m, cases[c].name, &idx), TG_OK);
        assert_int_equal(idx, cases[c].index);
        assert_string_equal(tg_name(t, tg_mlp_params(m)[idx]), cases[c].name);
    }
    size_t idx = 999;
    assert_int_equal(tg_mlp_param_find(m, "layer2.neuron0.b", &idx), TG_ERR_NAME);
    assert_int_equal(idx, 999);
    assert_null(tg_mlp_param_name(m, 13));
    /* Xavier: |w| <= sqrt(6 / (2 + 3)) in layer 0, sqrt(6 / (3 + 1)) in layer 1 */
    for (size_t i = 0; i < 13; i++) {
        const double v = fabs(tg_value(t, tg_mlp_params(m)[i]));
        assert_true(v <= (i < 9 ? sqrt(6.0 / 5.0) : sqrt(6.0 / 4.0)));
    }
    tg_mlp_free(m);
    tg_tape_free(t);
}

static void mlp_rejects_bad_shapes(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 1);
    const size_t zero[] = {0}, one[] = {1};
    const tg_act bad[] = {TG_N_ACTS}, id[] = {TG_ACT_IDENTITY};
    assert_null(tg_mlp_new(t, 0, 1, one, id, TG_INIT_HE, &rng));
    assert_null(tg_mlp_new(t, 2, 0, one, id, TG_INIT_HE, &rng));
    assert_null(tg_mlp_new(t, 2, 1, zero, id, TG_INIT_HE, &rng));
    assert_null(tg_mlp_new(t, 2, 1, one, bad, TG_INIT_HE, &rng));
    assert_null(tg_mlp_new(t, 2, 1, one, id, TG_N_INITS, &rng));
    assert_null(tg_mlp_new(NULL, 2, 1, one, id, TG_INIT_HE, &rng));
    tg_mlp *m = tg_mlp_new(t, 2, 1, one, id, TG_INIT_HE, &rng);
    tg_var x[2] = {tg_input(t, 1), tg_var_invalid()}, y;
    assert_int_equal(tg_mlp_forward(m, x, &y), TG_ERR_BADVAR);
    tg_mlp_free(m);
    tg_mlp_free(NULL);
    tg_tape_free(t);
}

/* XOR with a 2-4-1 tanh/sigmoid network, BCE on logits would do too; here MSE on sigmoid
 * outputs, Adam, full batch, from seed 3: loss < 0.01, all four right. */
static void xor_trains_below_001_from_fixed_seed(void **state)
{
    (void)state;
    static const size_t sizes[] = {4, 1};
    static const tg_act acts[] = {TG_ACT_TANH, TG_ACT_SIGMOID};
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 3);
    tg_mlp *m = tg_mlp_new(t, 2, 2, sizes, acts, TG_INIT_XAVIER, &rng);
    tg_dataset *d = tg_dataset_xor();
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM, 0.05);
    tg_optim *o = tg_optim_new(&cfg, tg_mlp_n_params(m));
    const tg_mark mark = tg_tape_mark(t);
    double loss = 1;
    size_t k;
    for (k = 0; k < 2000 && loss >= 0.01; k++) {
        tg_var y[4];
        for (size_t i = 0; i < 4; i++)
            tg_mlp_forward_values(m, d->x + 2 * i, &y[i]);
        tg_var L = tg_loss_mse(t, 4, y, d->y);
        loss = tg_value(t, L);
        tg_backward(t, L);
        tg_optim_step(o, t, tg_mlp_n_params(m), tg_mlp_params(m));
        tg_tape_rewind(t, mark);
    }
    assert_true(loss < 0.01);
    for (size_t i = 0; i < 4; i++) {
        double y;
        assert_int_equal(tg_mlp_predict(m, d->x + 2 * i, &y), TG_OK);
        assert_true((y > 0.5) == (d->y[i] > 0.5));
    }
    assert_int_equal(tg_tape_size(t), mark.n_nodes);
    tg_optim_free(o);
    tg_dataset_free(d);
    tg_mlp_free(m);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(w2_moons_data_matches_workloads_checksum),
        cmocka_unit_test(w2_init_matches_workloads_checksum),
        cmocka_unit_test(w2_step0_loss_and_gradients_match_workloads),
        cmocka_unit_test(w2_moons_training_reaches_full_accuracy_without_allocating),
        cmocka_unit_test(mlp_parameter_gradients_match_finite_differences),
        cmocka_unit_test(mlp_input_gradients_match_finite_differences),
        cmocka_unit_test(mlp_parameters_have_names_that_find_them),
        cmocka_unit_test(mlp_rejects_bad_shapes),
        cmocka_unit_test(xor_trains_below_001_from_fixed_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
