/* sigmoid_neuron.c: seed 000 ("Deep Learning - Backpropagation"): one sigmoid neuron
 * z = w^T x + b, y_hat = phi(z), with the mean squared error J = (1/N) sum (y - y_hat)^2.
 * Checks the document's gradients
 *     dJ/dw_k = -(2/N) sum_i (y_i - y_hat_i) y_hat_i (1 - y_hat_i) x_ik,
 *     dJ/db   = -(2/N) sum_i (y_i - y_hat_i) y_hat_i (1 - y_hat_i) * 1
 * and two steps of its numpy update with momentum 0.5,
 *     update = 0.5 update - (2/n_data) eta delta_w,  w += update,
 * where delta_w = sum_i (y_hat_i - y_i) y_hat_i (1 - y_hat_i) x_i = (N/2) dJ/dw, so the
 * update is 0.5 update - eta dJ/dw. The document gives formulas but no numbers; the data here
 * is the AND function. The hand side is plain C doubles, never the tape. */
#include <math.h>
#include <stdio.h>

#include "seed_demo.h"

#define K 2 /* inputs */
#define N 4 /* samples */

static const double xs[N][K] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const double ys[N] = {0, 0, 0, 1};
static const double eta = 0.01; /* the document's default learning rate */

/* The network on a tape: J over samples first .. first+n-1. w, b are the parameters. */
static tg_var record_loss(tg_tape *t, const tg_var *w, tg_var b, int first, int n)
{
    tg_var sq[N];
    for (int j = 0; j < n; j++) {
        int i = first + j;
        tg_var x[K];
        for (int k = 0; k < K; k++) {
            x[k] = tg_const(t, xs[i][k]);
            sd_name(t, x[k], n == 1 ? "x%d" : "x%d_%d", n == 1 ? k + 1 : i + 1, k + 1);
        }
        tg_var wx = tg_dot(t, K, w, x);
        tg_var z = tg_add(t, wx, b);
        tg_var y_hat = tg_sigmoid(t, z);
        tg_var err = tg_rsubc(t, ys[i], y_hat); /* y - y_hat */
        sq[j] = tg_powc(t, err, 2.0);
        if (n == 1) {
            sd_name(t, wx, "wTx");
            sd_name(t, z, "z");
            sd_name(t, y_hat, "y_hat");
            sd_name(t, err, "err");
            sd_name(t, sq[j], "sq");
        } else {
            sd_name(t, wx, "wTx%d", i + 1);
            sd_name(t, z, "z%d", i + 1);
            sd_name(t, y_hat, "y_hat%d", i + 1);
            sd_name(t, err, "err%d", i + 1);
            sd_name(t, sq[j], "sq%d", i + 1);
        }
    }
    tg_var sum_sq = tg_sum(t, (size_t)n, sq);
    tg_set_name(t, sum_sq, "sum_sq");
    tg_var J = tg_mulc(t, sum_sq, 1.0 / n);
    tg_set_name(t, J, "J");
    return J;
}

/* The numpy code's delta for the output layer, delta_w = delta . prev_output with
 * delta = dloss(y, output) * dactivation(output) = (y_hat - y) y_hat (1 - y_hat), summed over
 * the samples; index K is delta_b. */
static void numpy_delta(const double *w, double b, double *delta)
{
    for (int k = 0; k <= K; k++)
        delta[k] = 0;
    for (int i = 0; i < N; i++) {
        double z = b;
        for (int k = 0; k < K; k++)
            z += w[k] * xs[i][k];
        double y_hat = 1.0 / (1.0 + exp(-z));
        double d = (y_hat - ys[i]) * y_hat * (1.0 - y_hat);
        for (int k = 0; k < K; k++)
            delta[k] += d * xs[i][k];
        delta[K] += d;
    }
}

/* The document's formula [2], in plain doubles: dJ/dw (k < K) and dJ/db (k == K). */
static void hand_gradient(const double *w, double b, int first, int n, double *grad)
{
    for (int k = 0; k <= K; k++)
        grad[k] = 0;
    for (int i = first; i < first + n; i++) {
        double z = b;
        for (int k = 0; k < K; k++)
            z += w[k] * xs[i][k];
        double y_hat = 1.0 / (1.0 + exp(-z));
        double common = (ys[i] - y_hat) * y_hat * (1.0 - y_hat);
        for (int k = 0; k < K; k++)
            grad[k] += common * xs[i][k];
        grad[K] += common * 1.0;
    }
    for (int k = 0; k <= K; k++)
        grad[k] *= -2.0 / n;
}

int main(void)
{
    const double w0[K] = {0.5, -0.3}, b0 = 0.1;
    tg_tape *t = tg_tape_new();
    if (!t)
        return 2;
    tg_var w[K], b;
    for (int k = 0; k < K; k++) {
        w[k] = tg_input(t, w0[k]);
        sd_name(t, w[k], "w%d", k + 1);
    }
    b = tg_input(t, b0);
    tg_set_name(t, b, "b");

    /* 1. One sample, every step of the chain rule J(phi(h(x))). */
    sd_heading("one sample (x = (1, 1), y = 1): the chain rule step by step");
    tg_mark before = tg_tape_mark(t);
    tg_var J = record_loss(t, w, b, 3, 1);
    sd_trace(t, J);
    double hand[K + 1];
    hand_gradient(w0, b0, 3, 1, hand);
    printf("\ndJ/dw = -(2/N) (y - y_hat) y_hat (1 - y_hat) x, N = 1:\n");
    sd_table();
    sd_check("dJ/dw1", tg_grad(t, w[0]), hand[0]);
    sd_check("dJ/dw2", tg_grad(t, w[1]), hand[1]);
    sd_check("dJ/db", tg_grad(t, b), hand[K]);
    tg_tape_rewind(t, before);

    /* 2. All N samples: the sum over i in the document's formula. */
    sd_heading("N = 4 samples (AND): dJ/dw = -(2/N) sum (y - y_hat) y_hat (1 - y_hat) x");
    J = record_loss(t, w, b, 0, N);
    sd_backward(t, J);
    hand_gradient(w0, b0, 0, N, hand);
    printf("J = %.15g\n", tg_value(t, J));
    sd_table();
    sd_check("dJ/dw1", tg_grad(t, w[0]), hand[0]);
    sd_check("dJ/dw2", tg_grad(t, w[1]), hand[1]);
    sd_check("dJ/db", tg_grad(t, b), hand[K]);

    /* 3. Two updates with momentum 0.5. The tape is replayed (tg_set_value on the parameters,
     * tg_tape_replay) instead of being recorded again. The hand side repeats the numpy code:
     * delta_w = sum (y_hat - y) y_hat (1 - y_hat) x, update = 0.5 update - 2/n_data eta delta_w. */
    sd_heading("SGD with momentum 0.5 (the document's numpy update), eta = 0.01");
    double hw[K + 1] = {w0[0], w0[1], b0}, hupdate[K + 1] = {0, 0, 0};
    double eupdate[K + 1] = {0, 0, 0};
    tg_var params[K + 1] = {w[0], w[1], b};
    const char *labels[K + 1] = {"w1", "w2", "b"};
    for (int step = 1; step <= 2; step++) {
        double delta[K + 1];
        numpy_delta(hw, hw[K], delta);
        for (int k = 0; k <= K; k++) {
            hupdate[k] = 0.5 * hupdate[k] + -2.0 / N * eta * delta[k];
            hw[k] += hupdate[k];
        }
        /* engine: the gradient from the tape, the update written as 0.5 update - eta dJ/dw */
        for (int k = 0; k <= K; k++) {
            eupdate[k] = 0.5 * eupdate[k] - eta * tg_grad(t, params[k]);
            tg_set_value(t, params[k], tg_value(t, params[k]) + eupdate[k]);
        }
        tg_tape_replay(t);
        sd_backward(t, J);
        printf("after update %d: J = %.15g\n", step, tg_value(t, J));
        sd_table();
        for (int k = 0; k <= K; k++) {
            char label[96];
            snprintf(label, sizeof label, "%s (update %+.3e)", labels[k], eupdate[k]);
            sd_check(label, tg_value(t, params[k]), hw[k]);
        }
    }
    sd_require_ok(t);
    tg_tape_free(t);
    return sd_finish("sigmoid_neuron");
}
