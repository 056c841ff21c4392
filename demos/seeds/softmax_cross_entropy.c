/* softmax_cross_entropy.c: seed 002 ("Deep learning(3) - Back Propagation"): softmax
 * y_k = exp(a_k) / sum_i exp(a_i) followed by the cross entropy L = -sum_k t_k log y_k, built
 * node by node as the document's forward graph f1 = log y, f2 = t f1, f3 = sum f2, L = -f3.
 * Checks its backward graph: dL/dy_k = -t_k / y_k and dL/da_k = y_k - t_k; with the batch mean
 * L = -(1/N) sum_n sum_k t_nk log y_nk, dL/da_nk = (y_nk - t_nk) / N; and its tanh network:
 * sigma3 = y - t, sigma2 = (1 - tanh^2 z1) * sigma3 W2^T, dL/dW2 = a1^T sigma3, dL/db2 = sigma3,
 * dL/dW1 = x^T sigma2, dL/db1 = sigma2. The apple/orange example is ../apple_orange.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "seed_demo.h"

#define K 3 /* classes */

/* Records softmax and cross entropy for one sample: returns f3 = sum_k t_k log y_k (the caller
 * negates and scales it) and the softmax outputs in y. Names the nodes when tag is not NULL. */
static tg_var record_softmax_ce(tg_tape *t, const tg_var *a, const double *target, tg_var *y,
                                const char *tag)
{
    tg_var e[K], f2[K];
    for (int k = 0; k < K; k++)
        e[k] = tg_exp(t, a[k]);
    tg_var S = tg_sum(t, K, e);
    for (int k = 0; k < K; k++) {
        y[k] = tg_div(t, e[k], S);
        tg_var f1 = tg_log(t, y[k]);
        f2[k] = tg_mul(t, tg_const(t, target[k]), f1);
        if (tag) {
            sd_name(t, e[k], "exp_a%d%s", k + 1, tag);
            sd_name(t, y[k], "y%d%s", k + 1, tag);
            sd_name(t, f1, "f1_%d%s", k + 1, tag);
            sd_name(t, f2[k], "f2_%d%s", k + 1, tag);
        }
    }
    tg_var f3 = tg_sum(t, K, f2);
    if (tag) {
        sd_name(t, S, "S%s", tag);
        sd_name(t, f3, "f3%s", tag);
    }
    return f3;
}

/* softmax in plain doubles, with the max subtracted as a careful hand would */
static void softmax(const double *a, double *y)
{
    double m = fmax(a[0], fmax(a[1], a[2])), s = 0;
    for (int k = 0; k < K; k++)
        s += (y[k] = exp(a[k] - m));
    for (int k = 0; k < K; k++)
        y[k] /= s;
}

static void one_sample(void)
{
    const double a0[K] = {0.3, 2.9, 4.0}, target[K] = {0, 0, 1};
    sd_heading("a = (0.3, 2.9, 4.0), t = (0, 0, 1): softmax with loss, step by step");
    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var a[K], y[K];
    for (int k = 0; k < K; k++) {
        a[k] = tg_input(t, a0[k]);
        sd_name(t, a[k], "a%d", k + 1);
    }
    tg_var L = tg_neg(t, record_softmax_ce(t, a, target, y, ""));
    tg_set_name(t, L, "L");
    sd_trace(t, L);

    double yh[K];
    softmax(a0, yh);
    printf("\n");
    sd_table();
    for (int k = 0; k < K; k++) {
        char label[96];
        snprintf(label, sizeof label, "dL/dy%d = -t%d/y%d", k + 1, k + 1, k + 1);
        sd_check(label, tg_grad(t, y[k]), -target[k] / yh[k]);
    }
    for (int k = 0; k < K; k++) {
        char label[96];
        snprintf(label, sizeof label, "dL/da%d = y%d - t%d", k + 1, k + 1, k + 1);
        sd_check(label, tg_grad(t, a[k]), yh[k] - target[k]);
    }
    sd_check("L = -log y3", tg_value(t, L), -log(yh[2]));
    tg_tape_free(t);
}

static void batch(void)
{
    enum { N = 2 };
    const double a0[N][K] = {{0.3, 2.9, 4.0}, {-1.0, 0.5, 0.25}};
    const double target[N][K] = {{0, 1, 0}, {0.2, 0.3, 0.5}}; /* the second is not one-hot */
    sd_heading("batch of N = 2: L = -(1/N) sum_n sum_k t_nk log y_nk, dL/da_nk = (y_nk - t_nk)/N");
    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var a[N][K], y[N][K], f3[N];
    for (int n = 0; n < N; n++) {
        for (int k = 0; k < K; k++) {
            a[n][k] = tg_input(t, a0[n][k]);
            sd_name(t, a[n][k], "a%d_%d", n + 1, k + 1);
        }
        f3[n] = record_softmax_ce(t, a[n], target[n], y[n], NULL);
    }
    tg_var L = tg_mulc(t, tg_sum(t, N, f3), -1.0 / N);
    sd_backward(t, L);
    sd_table();
    for (int n = 0; n < N; n++) {
        double yh[K];
        softmax(a0[n], yh);
        for (int k = 0; k < K; k++) {
            char label[96];
            snprintf(label, sizeof label, "dL/da%d_%d", n + 1, k + 1);
            sd_check(label, tg_grad(t, a[n][k]), (yh[k] - target[n][k]) / N);
        }
    }
    tg_tape_free(t);
}

/* The document's two-layer picture: x (1 x 2) -> z1 = x W1 + b1 (1 x 3) -> a1 = tanh(z1)
 * -> z2 = a1 W2 + b2 (1 x 3) -> softmax -> cross entropy. Row vectors, as in the document. */
static void tanh_network(void)
{
    enum { I = 2, H = 3 };
    sd_heading(
        "x -> tanh(x W1 + b1) -> softmax(a1 W2 + b2) -> CE, weights from splitmix64(seed 2)");
    double W1[I][H], b1[H], W2[H][K], b2[K];
    sd_rng rng = {2};
    for (int i = 0; i < I; i++)
        for (int j = 0; j < H; j++)
            W1[i][j] = sd_rng_uniform(&rng, -1, 1);
    for (int j = 0; j < H; j++)
        b1[j] = sd_rng_uniform(&rng, -1, 1);
    for (int j = 0; j < H; j++)
        for (int k = 0; k < K; k++)
            W2[j][k] = sd_rng_uniform(&rng, -1, 1);
    for (int k = 0; k < K; k++)
        b2[k] = sd_rng_uniform(&rng, -1, 1);
    const double x[I] = {0.6, -0.4}, target[K] = {0, 1, 0};

    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var vW1[I][H], vb1[H], vW2[H][K], vb2[K], vx[I], z1[H], a1[H], z2[K], y[K];
    for (int i = 0; i < I; i++)
        vx[i] = tg_const(t, x[i]);
    for (int j = 0; j < H; j++) {
        tg_var col[I];
        for (int i = 0; i < I; i++)
            col[i] = vW1[i][j] = tg_input(t, W1[i][j]);
        vb1[j] = tg_input(t, b1[j]);
        z1[j] = tg_add(t, tg_dot(t, I, vx, col), vb1[j]);
        a1[j] = tg_tanh(t, z1[j]);
    }
    for (int k = 0; k < K; k++) {
        tg_var col[H];
        for (int j = 0; j < H; j++)
            col[j] = vW2[j][k] = tg_input(t, W2[j][k]);
        vb2[k] = tg_input(t, b2[k]);
        z2[k] = tg_add(t, tg_dot(t, H, a1, col), vb2[k]);
    }
    tg_var L = tg_neg(t, record_softmax_ce(t, z2, target, y, NULL));
    sd_backward(t, L);

    /* hand side, the document's formulas */
    double hz1[H], ha1[H], hz2[K], hy[K], sigma3[K], sigma2[H];
    for (int j = 0; j < H; j++) {
        hz1[j] = b1[j];
        for (int i = 0; i < I; i++)
            hz1[j] += x[i] * W1[i][j];
        ha1[j] = tanh(hz1[j]);
    }
    for (int k = 0; k < K; k++) {
        hz2[k] = b2[k];
        for (int j = 0; j < H; j++)
            hz2[k] += ha1[j] * W2[j][k];
    }
    softmax(hz2, hy);
    for (int k = 0; k < K; k++)
        sigma3[k] = hy[k] - target[k];
    for (int j = 0; j < H; j++) {
        double s = 0; /* (sigma3 W2^T)_j */
        for (int k = 0; k < K; k++)
            s += sigma3[k] * W2[j][k];
        sigma2[j] = (1.0 - ha1[j] * ha1[j]) * s;
    }
    printf("L = %.15g\n", tg_value(t, L));
    sd_table();
    char label[96];
    for (int k = 0; k < K; k++) {
        snprintf(label, sizeof label, "sigma3[%d] = dL/dz2[%d]", k + 1, k + 1);
        sd_check(label, tg_grad(t, z2[k]), sigma3[k]);
    }
    for (int j = 0; j < H; j++) {
        snprintf(label, sizeof label, "sigma2[%d] = dL/dz1[%d]", j + 1, j + 1);
        sd_check(label, tg_grad(t, z1[j]), sigma2[j]);
    }
    for (int j = 0; j < H; j++)
        for (int k = 0; k < K; k++) {
            snprintf(label, sizeof label, "dL/dW2[%d][%d] = a1 sigma3", j + 1, k + 1);
            sd_check(label, tg_grad(t, vW2[j][k]), ha1[j] * sigma3[k]);
        }
    for (int k = 0; k < K; k++) {
        snprintf(label, sizeof label, "dL/db2[%d] = sigma3", k + 1);
        sd_check(label, tg_grad(t, vb2[k]), sigma3[k]);
    }
    for (int i = 0; i < I; i++)
        for (int j = 0; j < H; j++) {
            snprintf(label, sizeof label, "dL/dW1[%d][%d] = x sigma2", i + 1, j + 1);
            sd_check(label, tg_grad(t, vW1[i][j]), x[i] * sigma2[j]);
        }
    for (int j = 0; j < H; j++) {
        snprintf(label, sizeof label, "dL/db1[%d] = sigma2", j + 1);
        sd_check(label, tg_grad(t, vb1[j]), sigma2[j]);
    }
    sd_require_ok(t);
    tg_tape_free(t);
}

int main(void)
{
    one_sample();
    batch();
    tanh_network();
    return sd_finish("softmax_cross_entropy");
}
