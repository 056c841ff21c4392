/* jacobian.c: seed 004 ("Neural Network IV"): a layer z = W y_prev + b, y = f(z), and its
 * Jacobian J_y(z) (dy = J_y(z) dz): diagonal, diag(f'(z)), when f acts on each element
 * (sigmoid), a full matrix when f is a vector function (softmax: J_ij = y_i (delta_ij - y_j)).
 * The engine's Jacobian is read one row per output, one tg_backward from each y_i. Then the
 * document's vector backward, grad_z = grad_y J_y(z), grad_W = y_prev grad_z (outer product),
 * grad_b = grad_z, grad_{y_prev} = grad_z W, with the loss averaged over T samples by
 * accumulating per-sample gradients (tg_backward_accumulate), as in its training loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "seed_demo.h"

#define N 3 /* width of every layer here */

static double sigmoid(double a)
{
    return 1.0 / (1.0 + exp(-a));
}

/* f on the tape: elementwise sigmoid, or softmax (exp, sum, divide). */
static void record_f(tg_tape *t, int softmax, const tg_var *z, tg_var *y)
{
    if (!softmax) {
        for (int i = 0; i < N; i++)
            y[i] = tg_sigmoid(t, z[i]);
        return;
    }
    tg_var e[N];
    for (int i = 0; i < N; i++)
        e[i] = tg_exp(t, z[i]);
    tg_var S = tg_sum(t, N, e);
    for (int i = 0; i < N; i++)
        y[i] = tg_div(t, e[i], S);
}

/* f in plain doubles */
static void hand_f(int softmax, const double *z, double *y)
{
    if (!softmax) {
        for (int i = 0; i < N; i++)
            y[i] = sigmoid(z[i]);
        return;
    }
    double m = fmax(z[0], fmax(z[1], z[2])), s = 0;
    for (int i = 0; i < N; i++)
        s += (y[i] = exp(z[i] - m));
    for (int i = 0; i < N; i++)
        y[i] /= s;
}

/* The document's Jacobian J_y(z): diag(y (1 - y)) for sigmoid, y_i (delta_ij - y_j) for
 * softmax. */
static void hand_jacobian(int softmax, const double *y, double J[N][N])
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            J[i][j] = softmax ? y[i] * ((i == j) - y[j]) : (i == j) * y[i] * (1.0 - y[i]);
}

static void one_layer(int softmax, const double W[N][N], const double *b, const double *y_prev)
{
    sd_heading(softmax ? "f = softmax: J_y(z)_ij = y_i (delta_ij - y_j), a full matrix"
                       : "f = sigmoid elementwise: J_y(z) = diag(y (1 - y))");
    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var vW[N][N], vb[N], vprev[N], z[N], y[N];
    for (int j = 0; j < N; j++) {
        vprev[j] = tg_input(t, y_prev[j]);
        sd_name(t, vprev[j], "y_prev%d", j + 1);
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            vW[i][j] = tg_input(t, W[i][j]);
        vb[i] = tg_input(t, b[i]);
        z[i] = tg_add(t, tg_dot(t, N, vW[i], vprev), vb[i]);
        sd_name(t, z[i], "z%d", i + 1);
    }
    record_f(t, softmax, z, y);

    double hz[N], hy[N], J[N][N], JW[N][N];
    for (int i = 0; i < N; i++) {
        hz[i] = b[i];
        for (int j = 0; j < N; j++)
            hz[i] += W[i][j] * y_prev[j];
    }
    hand_f(softmax, hz, hy);
    hand_jacobian(softmax, hy, J);
    for (int i = 0; i < N; i++) /* dy/dy_prev = J_y(z) W: the chain rule through z */
        for (int j = 0; j < N; j++) {
            JW[i][j] = 0;
            for (int m = 0; m < N; m++)
                JW[i][j] += J[i][m] * W[m][j];
        }

    sd_table();
    for (int i = 0; i < N; i++) {
        sd_backward(t, y[i]); /* row i of the Jacobian: d y_i / d everything */
        for (int j = 0; j < N; j++) {
            char label[96];
            snprintf(label, sizeof label, "dy%d/dz%d", i + 1, j + 1);
            sd_check(label, tg_grad(t, z[j]), J[i][j]);
        }
    }
    printf("and through the affine map, dy/dy_prev = J_y(z) W:\n");
    for (int i = 0; i < N; i++) {
        sd_backward(t, y[i]);
        for (int j = 0; j < N; j++) {
            char label[96];
            snprintf(label, sizeof label, "dy%d/dy_prev%d", i + 1, j + 1);
            sd_check(label, tg_grad(t, vprev[j]), JW[i][j]);
        }
    }
    sd_require_ok(t);
    tg_tape_free(t);
}

/* The training loop's backward for a two-layer network (layer 1 sigmoid, layer 2 softmax,
 * Div = 1/2 |Y - d|^2) over T samples: Loss = (1/T) sum_t Div_t. */
static void training_loop(const double W[3][N][N], const double b[3][N])
{
    enum { T = 4 };
    sd_heading("two layers (sigmoid, softmax), Div = 1/2 |Y - d|^2, Loss = (1/T) sum Div, T = 4");
    double X[T][N], D[T][N];
    sd_rng rng = {4};
    for (int s = 0; s < T; s++) {
        for (int j = 0; j < N; j++)
            X[s][j] = sd_rng_uniform(&rng, -1, 1);
        for (int j = 0; j < N; j++)
            D[s][j] = j == s % N; /* one-hot desired outputs */
    }
    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var vW[3][N][N], vb[3][N];
    for (int k = 1; k <= 2; k++)
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                vW[k][i][j] = tg_input(t, W[k][i][j]);
                sd_name(t, vW[k][i][j], "W%d[%d][%d]", k, i + 1, j + 1);
            }
            vb[k][i] = tg_input(t, b[k][i]);
            sd_name(t, vb[k][i], "b%d[%d]", k, i + 1);
        }

    /* hand accumulators, the document's grad_{W_k} Loss and grad_{b_k} Loss */
    double gW[3][N][N] = {{{0}}}, gb[3][N] = {{0}}, loss = 0, eloss = 0;
    tg_zero_grad(t);
    for (int s = 0; s < T; s++) {
        tg_mark mark = tg_tape_mark(t);
        tg_var y[3][N], z[3][N];
        for (int j = 0; j < N; j++)
            y[0][j] = tg_const(t, X[s][j]);
        for (int k = 1; k <= 2; k++) {
            for (int i = 0; i < N; i++)
                z[k][i] = tg_add(t, tg_dot(t, N, vW[k][i], y[k - 1]), vb[k][i]);
            record_f(t, k == 2, z[k], y[k]);
        }
        tg_var sq[N];
        for (int i = 0; i < N; i++)
            sq[i] = tg_powc(t, tg_addc(t, y[2][i], -D[s][i]), 2.0);
        /* Div_t / T: the 1/T of the mean, so that the accumulated gradient is the mean's */
        tg_var div = tg_mulc(t, tg_sum(t, N, sq), 0.5 / T);
        sd_require_ok(t);
        if (tg_backward_accumulate(t, div) != TG_OK)
            exit(2);
        eloss += tg_value(t, div);

        /* hand: forward, then grad_Y Div = Y - d, grad_z2 = grad_Y J_Y(z2), grad_y1 = grad_z2 W2,
         * grad_z1 = grad_y1 J_y1(z1) */
        double hy[3][N], hz[3][N], gz[3][N], gy[3][N], J[N][N];
        for (int j = 0; j < N; j++)
            hy[0][j] = X[s][j];
        for (int k = 1; k <= 2; k++) {
            for (int i = 0; i < N; i++) {
                hz[k][i] = b[k][i];
                for (int j = 0; j < N; j++)
                    hz[k][i] += W[k][i][j] * hy[k - 1][j];
            }
            hand_f(k == 2, hz[k], hy[k]);
        }
        double div_hand = 0;
        for (int i = 0; i < N; i++) {
            gy[2][i] = hy[2][i] - D[s][i];
            div_hand += 0.5 * gy[2][i] * gy[2][i];
        }
        loss += div_hand;
        for (int k = 2; k >= 1; k--) {
            hand_jacobian(k == 2, hy[k], J);
            for (int j = 0; j < N; j++) { /* grad_z = grad_y J (row vector times matrix) */
                gz[k][j] = 0;
                for (int i = 0; i < N; i++)
                    gz[k][j] += gy[k][i] * J[i][j];
            }
            for (int j = 0; j < N; j++) { /* grad_{y_prev} = grad_z W */
                gy[k - 1][j] = 0;
                for (int i = 0; i < N; i++)
                    gy[k - 1][j] += gz[k][i] * W[k][i][j];
            }
            for (int i = 0; i < N; i++) { /* grad_W += y_prev grad_z, grad_b += grad_z */
                for (int j = 0; j < N; j++)
                    gW[k][i][j] += hy[k - 1][j] * gz[k][i];
                gb[k][i] += gz[k][i];
            }
        }
        /* the per-sample deltas: the engine's d(Div_t/T)/dz times T */
        double worst = 0;
        int ok = 1;
        for (int k = 1; k <= 2; k++)
            for (int i = 0; i < N; i++) {
                double e = tg_grad(t, z[k][i]) * T;
                ok &= sd_agree(e, gz[k][i]);
                worst = fmax(worst, fabs(e - gz[k][i]));
            }
        printf("sample %d: Div = %.6f, grad_z1 and grad_z2 (6 values) largest difference %.1e %s\n",
               s + 1, div_hand, worst, ok ? "ok" : "MISMATCH");
        tg_tape_rewind(t, mark);
    }
    loss /= T;
    printf("\n");
    sd_table();
    sd_check("Loss = (1/T) sum Div", eloss, loss);
    for (int k = 2; k >= 1; k--) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                char label[96];
                snprintf(label, sizeof label, "dLoss/dW%d[%d][%d]", k, i + 1, j + 1);
                sd_check(label, tg_grad(t, vW[k][i][j]), gW[k][i][j] / T);
            }
        for (int i = 0; i < N; i++) {
            char label[96];
            snprintf(label, sizeof label, "dLoss/db%d[%d]", k, i + 1);
            sd_check(label, tg_grad(t, vb[k][i]), gb[k][i] / T);
        }
    }
    sd_require_ok(t);
    tg_tape_free(t);
}

int main(void)
{
    double W[3][N][N], b[3][N];
    sd_rng rng = {3};
    for (int k = 1; k <= 2; k++)
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++)
                W[k][i][j] = sd_rng_uniform(&rng, -1, 1);
            b[k][i] = sd_rng_uniform(&rng, -0.5, 0.5);
        }
    const double y_prev[N] = {0.2, -0.7, 0.9};
    printf("weights from splitmix64(seed 3) in [-1, 1), biases in [-0.5, 0.5)\n");
    one_layer(0, W[1], b[1], y_prev);
    one_layer(1, W[2], b[2], y_prev);
    training_loop((const double(*)[N][N])W, (const double(*)[N])b);
    return sd_finish("jacobian");
}
