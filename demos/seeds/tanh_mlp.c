/* tanh_mlp.c: seed 003 (homework "Back Propagation"): tanh MLPs with an identity output layer,
 * J = 1/2 (y_hat - y)^2 per sample, and the document's layer-wise backward
 *     error = diff * activation'(.),  dw = outer(error, x),  diff = W^T error,
 * starting from diff = y_hat - y, written out for one sample of each network and compared with the
 * engine layer by layer (error = dJ/dz, dw, db = error, and the diff handed down = dJ/dx). Then the
 * document's per-sample SGD (alpha 0.001, W -= alpha dw) runs on the tape (replayed with
 * tg_set_value + tg_tape_replay) and by hand side by side, for the 1-4-8-4-2-1 regression (501
 * epochs) and the 1-5-5-5-1 sine fit (2000 epochs). The homework's regression data set is not in
 * the document: a smooth stand-in is used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "seed_demo.h"

#define MAXL 5  /* weight layers */
#define MAXW 8  /* widest layer */
#define MAXS 64 /* samples */

typedef struct net {
    const char *name, *shape;
    int n_layers;
    int size[MAXL + 1]; /* size[0] inputs, size[n_layers] outputs */
    int epochs;
    /* the hand-written network (plain doubles) */
    double W[MAXL + 1][MAXW][MAXW], b[MAXL + 1][MAXW];
    double y[MAXL + 1][MAXW]; /* activations; y[0] is the input x */
    /* the same network on a tape */
    tg_tape *t;
    tg_var vW[MAXL + 1][MAXW][MAXW], vb[MAXL + 1][MAXW];
    tg_var vz[MAXL + 1][MAXW], vy[MAXL + 1][MAXW], target, J;
} net;

static const double alpha = 0.001; /* the document's learning rate */

static int is_output(const net *n, int l)
{
    return l == n->n_layers;
}

/* Weights and biases uniform in [-1, 1) from splitmix64, then the graph recorded once. */
static void net_init(net *n, uint64_t seed)
{
    sd_rng rng = {seed};
    n->t = tg_tape_new();
    if (!n->t)
        exit(2);
    tg_tape *t = n->t;
    n->vy[0][0] = tg_const(t, 0.0);
    tg_set_name(t, n->vy[0][0], "x");
    for (int l = 1; l <= n->n_layers; l++)
        for (int i = 0; i < n->size[l]; i++) {
            for (int j = 0; j < n->size[l - 1]; j++) {
                n->W[l][i][j] = sd_rng_uniform(&rng, -1, 1);
                n->vW[l][i][j] = tg_input(t, n->W[l][i][j]);
                sd_name(t, n->vW[l][i][j], "W%d[%d][%d]", l, i + 1, j + 1);
            }
            n->b[l][i] = sd_rng_uniform(&rng, -1, 1);
            n->vb[l][i] = tg_input(t, n->b[l][i]);
            sd_name(t, n->vb[l][i], "b%d[%d]", l, i + 1);
            /* z = W x + b; y = tanh(z), or y = z for the identity output */
            n->vz[l][i] = tg_add(t, tg_dot(t, (size_t)n->size[l - 1], n->vW[l][i], n->vy[l - 1]),
                                 n->vb[l][i]);
            n->vy[l][i] = is_output(n, l) ? n->vz[l][i] : tg_tanh(t, n->vz[l][i]);
            sd_name(t, n->vz[l][i], "z%d[%d]", l, i + 1);
            if (!is_output(n, l))
                sd_name(t, n->vy[l][i], "y%d[%d]", l, i + 1);
        }
    n->target = tg_const(t, 0.0);
    tg_set_name(t, n->target, "y");
    tg_var d = tg_sub(t, n->vy[n->n_layers][0], n->target);
    n->J = tg_mulc(t, tg_powc(t, d, 2.0), 0.5);
    tg_set_name(t, n->J, "J");
    sd_require_ok(t);
}

/* The hand side's feed_forward: returns y_hat. */
static double hand_forward(net *n, double x)
{
    n->y[0][0] = x;
    for (int l = 1; l <= n->n_layers; l++)
        for (int i = 0; i < n->size[l]; i++) {
            double z = 0;
            for (int j = 0; j < n->size[l - 1]; j++)
                z += n->W[l][i][j] * n->y[l - 1][j];
            z += n->b[l][i];
            n->y[l][i] = is_output(n, l) ? z : tanh(z);
        }
    return n->y[n->n_layers][0];
}

/* The document's Layer.backward for layer l: error = diff * act', dw = outer(error, x),
 * diff_out = W^T error. Biases, which the document's graph draws as bias nodes, get db = error. */
static void layer_backward(const net *n, int l, const double *diff, double *error,
                           double dw[MAXW][MAXW], double *diff_out)
{
    for (int i = 0; i < n->size[l]; i++) {
        double act_grad = is_output(n, l) ? 1.0 : 1.0 - n->y[l][i] * n->y[l][i]; /* tanh' */
        error[i] = diff[i] * act_grad;
        for (int j = 0; j < n->size[l - 1]; j++)
            dw[i][j] = error[i] * n->y[l - 1][j];
    }
    for (int j = 0; j < n->size[l - 1]; j++) {
        diff_out[j] = 0;
        for (int i = 0; i < n->size[l]; i++)
            diff_out[j] += n->W[l][i][j] * error[i];
    }
}

/* The engine's step: set x and y, replay the forward, backward from J. */
static double engine_step(net *n, double x, double y)
{
    tg_set_value(n->t, n->vy[0][0], x);
    tg_set_value(n->t, n->target, y);
    tg_tape_replay(n->t);
    sd_backward(n->t, n->J);
    return tg_value(n->t, n->J);
}

static void one_sample(net *n, double x, double y)
{
    char heading[120];
    snprintf(heading, sizeof heading,
             "one sample, %s network: the layer-wise backward against the engine", n->shape);
    sd_heading(heading);
    double y_hat = hand_forward(n, x);
    engine_step(n, x, y);
    printf("x = %g, y = %g, y_hat = %.15g (engine %.15g), J = 1/2 (y_hat - y)^2\n", x, y, y_hat,
           tg_value(n->t, n->vy[n->n_layers][0]));
    double diff[MAXW] = {y_hat - y}, error[MAXW], dw[MAXW][MAXW], diff_out[MAXW];
    sd_table();
    sd_check("diff = y_hat - y = dJ/dy_hat", tg_grad(n->t, n->vy[n->n_layers][0]), diff[0]);
    for (int l = n->n_layers; l >= 1; l--) {
        layer_backward(n, l, diff, error, dw, diff_out);
        printf("layer %d (%d -> %d, %s): error = diff * %s\n", l, n->size[l - 1], n->size[l],
               is_output(n, l) ? "identity" : "tanh", is_output(n, l) ? "1" : "(1 - y^2)");
        for (int i = 0; i < n->size[l]; i++) {
            char label[96];
            snprintf(label, sizeof label, "  error[%d] = dJ/dz%d[%d]", i + 1, l, i + 1);
            sd_check(label, tg_grad(n->t, n->vz[l][i]), error[i]);
        }
        double worst = 0;
        int ok = 1;
        for (int i = 0; i < n->size[l]; i++) {
            for (int j = 0; j < n->size[l - 1]; j++) {
                double e = tg_grad(n->t, n->vW[l][i][j]);
                ok &= sd_agree(e, dw[i][j]);
                worst = fmax(worst, fabs(e - dw[i][j]));
            }
            double e = tg_grad(n->t, n->vb[l][i]);
            ok &= sd_agree(e, error[i]);
            worst = fmax(worst, fabs(e - error[i]));
        }
        printf("  dw = outer(error, x) (%d x %d) and db = error: largest difference %.1e %s\n",
               n->size[l], n->size[l - 1], worst, ok ? "ok" : "MISMATCH");
        if (l > 1) { /* the diff handed down is dJ/d(this layer's input) */
            for (int j = 0; j < n->size[l - 1]; j++) {
                char label[96];
                snprintf(label, sizeof label, "  diff[%d] = W^T error = dJ/dy%d[%d]", j + 1, l - 1,
                         j + 1);
                sd_check(label, tg_grad(n->t, n->vy[l - 1][j]), diff_out[j]);
            }
        }
        for (int j = 0; j < n->size[l - 1]; j++)
            diff[j] = diff_out[j];
    }
}

/* Per-sample SGD, the document's fit(): for each (x, y) in order, forward, backward, then
 * W -= alpha dw for every layer. Hand and engine run side by side from the same weights. */
static void train(net *n, const double *xs, const double *ys, int n_samples)
{
    sd_heading(n->name);
    printf("mean of J over an epoch, each sample measured just before its own update:\n");
    printf("epoch   mean J (engine)   mean J (hand)\n");
    double first = 0, last = 0;
    for (int epoch = 0; epoch <= n->epochs; epoch++) {
        double sum_e = 0, sum_h = 0;
        for (int s = 0; s < n_samples; s++) {
            double y_hat = hand_forward(n, xs[s]);
            sum_h += 0.5 * (y_hat - ys[s]) * (y_hat - ys[s]);
            sum_e += engine_step(n, xs[s], ys[s]);
            if (epoch == n->epochs)
                continue; /* the last pass only measures */
            /* hand: the network-wise back_propagation, updates after the whole backward */
            double diff[MAXW] = {y_hat - ys[s]}, error[MAXL + 1][MAXW];
            double dw[MAXL + 1][MAXW][MAXW], diff_out[MAXW];
            for (int l = n->n_layers; l >= 1; l--) {
                layer_backward(n, l, diff, error[l], dw[l], diff_out);
                for (int j = 0; j < n->size[l - 1]; j++)
                    diff[j] = diff_out[j];
            }
            for (int l = 1; l <= n->n_layers; l++)
                for (int i = 0; i < n->size[l]; i++) {
                    for (int j = 0; j < n->size[l - 1]; j++) {
                        n->W[l][i][j] -= alpha * dw[l][i][j];
                        tg_var w = n->vW[l][i][j];
                        tg_set_value(n->t, w, tg_value(n->t, w) - alpha * tg_grad(n->t, w));
                    }
                    n->b[l][i] -= alpha * error[l][i];
                    tg_var b = n->vb[l][i];
                    tg_set_value(n->t, b, tg_value(n->t, b) - alpha * tg_grad(n->t, b));
                }
        }
        sum_e /= n_samples;
        sum_h /= n_samples;
        if (epoch == 0)
            first = sum_e;
        last = sum_e;
        if (epoch == 0 || epoch == 1 || epoch % (n->epochs / 5) == 0 || epoch == n->epochs)
            printf("%5d   %.12f    %.12f\n", epoch, sum_e, sum_h);
    }
    char what[160];
    snprintf(what, sizeof what, "mean J fell from %.6f to %.6f (below half)", first, last);
    sd_expect(last < 0.5 * first, what);
    /* Same formulas, but the engine sums W^T error in the reverse order: a few roundings
     * per step, so after tens of thousands of steps the weights agree to ~1e-12, not bits. */
    double worst = 0;
    int ok = 1;
    int count = 0;
    for (int l = 1; l <= n->n_layers; l++)
        for (int i = 0; i < n->size[l]; i++) {
            for (int j = 0; j < n->size[l - 1]; j++) {
                double e = tg_value(n->t, n->vW[l][i][j]), h = n->W[l][i][j];
                ok &= sd_agree(e, h);
                worst = fmax(worst, fabs(e - h));
                count++;
            }
            double e = tg_value(n->t, n->vb[l][i]), h = n->b[l][i];
            ok &= sd_agree(e, h);
            worst = fmax(worst, fabs(e - h));
            count++;
        }
    printf("trained parameters, engine vs hand (%d values): largest difference %.1e %s\n", count,
           worst, ok ? "ok" : "MISMATCH");
    sd_require_ok(n->t);
}

int main(void)
{
    static net reg = {.name = "1-4-8-4-2-1 regression, per-sample SGD, alpha 0.001, 501 epochs",
                      .shape = "1-4-8-4-2-1",
                      .n_layers = 5,
                      .size = {1, 4, 8, 4, 2, 1},
                      .epochs = 501};
    static net sine = {.name = "1-5-5-5-1 sine fit, per-sample SGD, alpha 0.001, 2000 epochs",
                       .shape = "1-5-5-5-1",
                       .n_layers = 4,
                       .size = {1, 5, 5, 5, 1},
                       .epochs = 2000};
    enum { NS = 40 };
    double xs[NS], ys[NS], sx[NS], sy[NS];
    const double pi = 3.141592653589793;
    for (int s = 0; s < NS; s++) {
        xs[s] = -2.0 + 4.0 * s / (NS - 1); /* stand-in data: a smooth bump with a slope */
        ys[s] = 2.0 * exp(-xs[s] * xs[s]) + 0.5 * xs[s];
        sx[s] = -pi + 2.0 * pi * s / (NS - 1);
        sy[s] = sin(sx[s]);
    }
    printf("weights and biases from splitmix64 (seeds 5 and 6) in [-1, 1)\n");
    net_init(&reg, 5);
    one_sample(&reg, xs[30], ys[30]);
    train(&reg, xs, ys, NS);
    net_init(&sine, 6);
    one_sample(&sine, sx[5], sy[5]);
    train(&sine, sx, sy, NS);
    tg_tape_free(reg.t);
    tg_tape_free(sine.t);
    return sd_finish("tanh_mlp");
}
