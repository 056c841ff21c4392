/* test_loss.c: every loss's gradient against a central finite difference and against its
 * hand-derived formula (MSE 2(y_hat - y)/N, sigmoid + BCE (p - y)/N, softmax + CE (p - t)/N,
 * hinge -y/N inside the margin, L2 2 alpha p), its value against the textbook formula
 * computed here in plain C, and the stable losses at logits where the naive formulas overflow. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

enum { N = 5, K = 4, MAXV = N * K };

typedef enum { MSE, BCE, SOFTMAX, HINGE, L2, N_LOSSES } loss_kind;
static const char *const loss_names[N_LOSSES] = {"mse", "bce", "softmax", "hinge", "l2"};

/* Records loss kind over n_var inputs with values v (targets tgt) on t; writes the inputs. */
static tg_var record(tg_tape *t, loss_kind kind, const double *v, const double *tgt, tg_var *in,
                     size_t *n_var)
{
    *n_var = kind == SOFTMAX ? N * K : N;
    for (size_t i = 0; i < *n_var; i++)
        in[i] = tg_input(t, v[i]);
    switch (kind) {
    case MSE:
        return tg_loss_mse(t, N, in, tgt);
    case BCE:
        return tg_loss_bce_logits(t, N, in, tgt);
    case SOFTMAX:
        return tg_loss_softmax_ce(t, N, K, in, tgt);
    case HINGE:
        return tg_loss_hinge(t, N, in, tgt);
    default:
        return tg_loss_l2(t, N, in, 0.3);
    }
}

static double eval(loss_kind kind, const double *v, const double *tgt)
{
    tg_tape *t = tg_tape_new();
    tg_var in[MAXV];
    size_t n;
    const double y = tg_value(t, record(t, kind, v, tgt, in, &n));
    tg_tape_free(t);
    return y;
}

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* The value and every dL/dinput by the closed forms, computed in plain C. */
static double by_formula(loss_kind kind, const double *v, const double *tgt, double *g)
{
    double L = 0.0;
    switch (kind) {
    case MSE:
        for (size_t i = 0; i < N; i++) {
            L += (v[i] - tgt[i]) * (v[i] - tgt[i]) / N;
            g[i] = 2.0 * (v[i] - tgt[i]) / N;
        }
        break;
    case BCE:
        for (size_t i = 0; i < N; i++) {
            const double p = sigmoid(v[i]);
            L += -(tgt[i] * log(p) + (1 - tgt[i]) * log(1 - p)) / N;
            g[i] = (p - tgt[i]) / N;
        }
        break;
    case SOFTMAX:
        for (size_t i = 0; i < N; i++) {
            double s = 0.0;
            for (size_t c = 0; c < K; c++)
                s += exp(v[i * K + c]);
            for (size_t c = 0; c < K; c++) {
                const double p = exp(v[i * K + c]) / s;
                L += -tgt[i * K + c] * log(p) / N;
                g[i * K + c] = (p - tgt[i * K + c]) / N;
            }
        }
        break;
    case HINGE:
        for (size_t i = 0; i < N; i++) {
            const double m = 1.0 - tgt[i] * v[i];
            L += (m > 0 ? m : 0.0) / N;
            g[i] = m > 0 ? -tgt[i] / N : 0.0;
        }
        break;
    default:
        for (size_t i = 0; i < N; i++) {
            L += 0.3 * v[i] * v[i];
            g[i] = 2.0 * 0.3 * v[i];
        }
        break;
    }
    return L;
}

static uint64_t seed = 99;
static double uniform(double lo, double hi)
{
    tg_rng r = {seed};
    const double u = tg_rng_uniform(&r, lo, hi);
    seed = r.state;
    return u;
}

/* Random points: values in [-3, 3], targets as each loss wants them (MSE any, BCE in [0, 1],
 * softmax a distribution or one-hot, hinge -1/+1 with margins away from the kink). */
static void draw(loss_kind kind, double *v, double *tgt, int one_hot)
{
    for (size_t i = 0; i < MAXV; i++)
        v[i] = uniform(-3, 3);
    for (size_t i = 0; i < N; i++) {
        switch (kind) {
        case MSE:
            tgt[i] = uniform(-2, 2);
            break;
        case BCE:
            tgt[i] = one_hot ? (double)(i % 2) : uniform(0, 1);
            break;
        case SOFTMAX: {
            double s = 0.0;
            for (size_t c = 0; c < K; c++)
                s += tgt[i * K + c] = one_hot ? (c == i % K) : uniform(0, 1);
            for (size_t c = 0; c < K; c++)
                tgt[i * K + c] /= s;
            break;
        }
        case HINGE:
            tgt[i] = i % 2 ? 1.0 : -1.0;
            while (fabs(1.0 - tgt[i] * v[i]) < 1e-3)
                v[i] = uniform(-3, 3);
            break;
        default:
            break;
        }
    }
}

static void every_loss_gradient_matches_finite_difference_and_formula(void **state)
{
    (void)state;
    for (loss_kind kind = 0; kind < N_LOSSES; kind++)
        for (int trial = 0; trial < 40; trial++) {
            double v[MAXV], tgt[MAXV], g[MAXV];
            draw(kind, v, tgt, trial % 2);
            tg_tape *t = tg_tape_new();
            tg_var in[MAXV];
            size_t n;
            tg_var L = record(t, kind, v, tgt, in, &n);
            assert_int_equal(tg_backward(t, L), TG_OK);
            const double want = by_formula(kind, v, tgt, g);
            if (fabs(tg_value(t, L) - want) > 1e-12 * (1 + fabs(want)))
                fail_msg("%s: value %.17g, formula %.17g", loss_names[kind], tg_value(t, L), want);
            for (size_t i = 0; i < n; i++) {
                double vp[MAXV], vm[MAXV];
                memcpy(vp, v, sizeof vp);
                memcpy(vm, v, sizeof vm);
                const double h = 1e-6;
                vp[i] += h;
                vm[i] -= h;
                const double fd = (eval(kind, vp, tgt) - eval(kind, vm, tgt)) / (2 * h);
                const double tape = tg_grad(t, in[i]);
                if (fabs(tape - g[i]) > 1e-13 * (1 + fabs(g[i])) ||
                    fabs(tape - fd) > 1e-7 * (1 + fabs(fd)))
                    fail_msg("%s input %zu: tape %.17g formula %.17g fd %.17g", loss_names[kind], i,
                             tape, g[i], fd);
            }
            tg_tape_free(t);
        }
}

/* At z = 0 exactly the gradient is s(0) - y = 1/2 - y: a relu/abs form would give -y there. */
static void bce_gradient_at_zero_logit_is_half_minus_y(void **state)
{
    (void)state;
    const double ys[] = {0.0, 1.0, 0.25};
    for (size_t c = 0; c < 3; c++) {
        tg_tape *t = tg_tape_new();
        tg_var z = tg_input(t, 0.0);
        tg_var L = tg_loss_bce_logits(t, 1, &z, &ys[c]);
        tg_backward(t, L);
        assert_true(tg_value(t, L) == log(2.0));
        assert_true(tg_grad(t, z) == 0.5 - ys[c]);
        tg_tape_free(t);
    }
}

/* Logits far beyond where e^z overflows (e^710 = inf): the loss is |z| or 0 as the formula
 * max(z, 0) - z y + log(1 + e^-|z|) says, and the gradient is s(z) - y, never NaN. */
static void stable_losses_at_huge_logits(void **state)
{
    (void)state;
    /* e^-40 and -e^-40 / (1 + e^-40), to 17 digits (a static initializer must be constant:
     * exp() there is a gcc extension that clang rejects) */
    static const struct {
        double z, y, loss, grad;
    } bce[] = {{800, 1, 0, 0},
               {800, 0, 800, 1},
               {-800, 0, 0, 0},
               {-800, 1, 800, -1},
               {40, 1, 4.2483542552915889e-18, -4.2483542552915889e-18}};
    for (size_t c = 0; c < sizeof bce / sizeof bce[0]; c++) {
        tg_tape *t = tg_tape_new();
        tg_var z = tg_input(t, bce[c].z);
        tg_var L = tg_loss_bce_logits(t, 1, &z, &bce[c].y);
        tg_backward(t, L);
        /* log(1 + e^-40) loses e^-40 below 1's last bit: the loss is 0 or e^-40, both "0" */
        assert_true(fabs(tg_value(t, L) - bce[c].loss) <= 1e-15 * (1 + bce[c].loss));
        assert_true(fabs(tg_grad(t, z) - bce[c].grad) <= 1e-15);
        tg_tape_free(t);
    }
    /* softmax of [1000, 0, -1000] with target class 0: loss ~ e^-1000 = 0, grads p - t */
    tg_tape *t = tg_tape_new();
    const double zv[3] = {1000, 0, -1000}, tgt[3] = {1, 0, 0}, tgt2[3] = {0, 0, 1};
    tg_var z[3];
    for (int i = 0; i < 3; i++)
        z[i] = tg_input(t, zv[i]);
    tg_var L = tg_loss_softmax_ce(t, 1, 3, z, tgt);
    tg_backward(t, L);
    assert_true(tg_value(t, L) == 0.0);
    assert_true(tg_grad(t, z[0]) == 0.0 && tg_grad(t, z[1]) == 0.0 && tg_grad(t, z[2]) == 0.0);
    L = tg_loss_softmax_ce(t, 1, 3, z, tgt2);
    tg_backward(t, L);
    assert_true(tg_value(t, L) == 2000.0);
    assert_true(tg_grad(t, z[0]) == 1.0 && tg_grad(t, z[2]) == -1.0);
    tg_tape_free(t);
}

static void losses_reject_bad_arguments(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 1.0);
    const double y = 1.0;
    assert_false(tg_var_ok(tg_loss_mse(t, 0, &x, &y)));
    assert_false(tg_var_ok(tg_loss_mse(t, 1, NULL, &y)));
    assert_false(tg_var_ok(tg_loss_bce_logits(t, 1, &x, NULL)));
    assert_false(tg_var_ok(tg_loss_softmax_ce(t, 1, 0, &x, &y)));
    assert_false(tg_var_ok(tg_loss_hinge(NULL, 1, &x, &y)));
    tg_var bad = tg_var_invalid();
    assert_false(tg_var_ok(tg_loss_hinge(t, 1, &bad, &y)));
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR);
    /* L2 of no parameters is 0 */
    assert_true(tg_value(t, tg_loss_l2(t, 0, NULL, 1.0)) == 0.0);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_loss_gradient_matches_finite_difference_and_formula),
        cmocka_unit_test(bce_gradient_at_zero_logit_is_half_minus_y),
        cmocka_unit_test(stable_losses_at_huge_logits),
        cmocka_unit_test(losses_reject_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
