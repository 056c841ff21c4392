/* two_layer_sigmoid.c: seed 001 ("NeuralNetwork (4) Backpropagation1"): the cost
 * C = 1/2 (y - y')^2 of a sigmoid network without biases, h = g(W1 x), y = g(W2 h), and the
 * document's delta recursion:
 *     dC/dW2 = (y - y') y (1 - y) h = delta_y h,
 *     dC/dW1 = (y - y') y (1 - y) W2 h (1 - h) x = delta_h x,  delta_h = delta_y g'(.) W2,
 * then the figure with three hidden layers, delta3 = delta_y g'(.) W4, delta2 = delta3 g'(.) W3,
 * delta1 = delta2 g'(.) W2 (with vectors: delta_l = (W_{l+1}^T delta_{l+1}) * h_l (1 - h_l)).
 * A delta is dC/d(pre-activation), which the engine holds as the gradient of that node. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "seed_demo.h"

static double g(double a)
{
    return 1.0 / (1.0 + exp(-a));
}

/* 1. The document's first figure: one neuron per layer, every step shown. */
static void single_path(void)
{
    const double x0 = 1.0, w1 = 0.5, w2 = -0.8, target = 1.0;
    sd_heading("x -> h = g(W1 x) -> y = g(W2 h), C = 1/2 (y - y')^2, x = 1, W1 = 0.5, W2 = -0.8, "
               "y' = 1");
    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var x = tg_const(t, x0), W1 = tg_input(t, w1), W2 = tg_input(t, w2);
    tg_var W1x = tg_mul(t, W1, x);
    tg_var h = tg_sigmoid(t, W1x);
    tg_var W2h = tg_mul(t, W2, h);
    tg_var y = tg_sigmoid(t, W2h);
    tg_var diff = tg_addc(t, y, -target); /* err = y - y' */
    tg_var C = tg_mulc(t, tg_powc(t, diff, 2.0), 0.5);
    const struct {
        tg_var v;
        const char *name;
    } names[] = {{x, "x"},     {W1, "W1"}, {W2, "W2"},    {W1x, "W1x"}, {h, "h"},
                 {W2h, "W2h"}, {y, "y"},   {diff, "err"}, {C, "C"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        tg_set_name(t, names[i].v, names[i].name);
    sd_trace(t, C);

    /* the document's formulas, in plain doubles */
    double hh = g(w1 * x0), yy = g(w2 * hh);
    double delta_y = (yy - target) * yy * (1.0 - yy);
    double delta_h = delta_y * w2 * hh * (1.0 - hh); /* delta_y g'(W1 x) W2 */
    printf("\n");
    sd_table();
    sd_check("delta_y = dC/d(W2h)", tg_grad(t, W2h), delta_y);
    sd_check("dC/dW2 = delta_y h", tg_grad(t, W2), delta_y * hh);
    sd_check("delta_h = dC/d(W1x)", tg_grad(t, W1x), delta_h);
    sd_check("dC/dW1 = delta_h x", tg_grad(t, W1), delta_h * x0);
    tg_tape_free(t);
}

/* 2. The second figure: three hidden layers. Widths 2 (x), 3, 3, 3, 1 (y). */
#define L 4 /* weight layers W1..W4 */
static const int width[L + 1] = {2, 3, 3, 3, 1};
#define MAXW 3

static void three_hidden(void)
{
    sd_heading("three hidden layers: x(2) -> h1(3) -> h2(3) -> h3(3) -> y(1), weights from "
               "splitmix64(seed 1) in [-1, 1)");
    double W[L + 1][MAXW][MAXW]; /* W[l][i][j]: layer l (1..4), output i, input j */
    sd_rng rng = {1};
    for (int l = 1; l <= L; l++)
        for (int i = 0; i < width[l]; i++)
            for (int j = 0; j < width[l - 1]; j++)
                W[l][i][j] = sd_rng_uniform(&rng, -1.0, 1.0);
    const double x0[2] = {0.5, -1.0}, target = 1.0;

    tg_tape *t = tg_tape_new();
    if (!t)
        exit(2);
    tg_var Wv[L + 1][MAXW][MAXW], a[L + 1][MAXW], h[L + 1][MAXW];
    for (int j = 0; j < width[0]; j++) {
        h[0][j] = tg_const(t, x0[j]);
        sd_name(t, h[0][j], "x%d", j + 1);
    }
    for (int l = 1; l <= L; l++) {
        for (int i = 0; i < width[l]; i++) {
            for (int j = 0; j < width[l - 1]; j++) {
                Wv[l][i][j] = tg_input(t, W[l][i][j]);
                sd_name(t, Wv[l][i][j], "W%d[%d][%d]", l, i + 1, j + 1);
            }
            a[l][i] = tg_dot(t, (size_t)width[l - 1], Wv[l][i], h[l - 1]);
            h[l][i] = tg_sigmoid(t, a[l][i]);
            sd_name(t, a[l][i], "a%d[%d]", l, i + 1);
            sd_name(t, h[l][i], l == L ? "y" : "h%d[%d]", l, i + 1);
        }
    }
    tg_var C = tg_mulc(t, tg_powc(t, tg_addc(t, h[L][0], -target), 2.0), 0.5);
    tg_set_name(t, C, "C");
    sd_backward(t, C);

    /* the hand side: forward in doubles, then delta_y and the recursion */
    double hv[L + 1][MAXW], delta[L + 1][MAXW];
    for (int j = 0; j < width[0]; j++)
        hv[0][j] = x0[j];
    for (int l = 1; l <= L; l++)
        for (int i = 0; i < width[l]; i++) {
            double s = 0;
            for (int j = 0; j < width[l - 1]; j++)
                s += W[l][i][j] * hv[l - 1][j];
            hv[l][i] = g(s);
        }
    double y = hv[L][0];
    delta[L][0] = (y - target) * y * (1.0 - y);
    for (int l = L - 1; l >= 1; l--)
        for (int j = 0; j < width[l]; j++) {
            double back = 0; /* (W_{l+1}^T delta_{l+1})_j */
            for (int i = 0; i < width[l + 1]; i++)
                back += W[l + 1][i][j] * delta[l + 1][i];
            delta[l][j] = back * hv[l][j] * (1.0 - hv[l][j]);
        }

    printf("y = %.15g, C = %.15g\n\nthe deltas, last layer first:\n", tg_value(t, h[L][0]),
           tg_value(t, C));
    sd_table();
    for (int l = L; l >= 1; l--)
        for (int i = 0; i < width[l]; i++) {
            char label[96];
            if (l == L)
                snprintf(label, sizeof label, "delta_y = dC/da4");
            else
                snprintf(label, sizeof label, "delta%d[%d] = dC/da%d[%d]", l, i + 1, l, i + 1);
            sd_check(label, tg_grad(t, a[l][i]), delta[l][i]);
        }
    printf("\nper layer: dC/dW_l[i][j] = delta_l[i] h_{l-1}[j]\n");
    sd_table();
    for (int l = L; l >= 1; l--) {
        double worst = 0, norm = 0;
        for (int i = 0; i < width[l]; i++)
            for (int j = 0; j < width[l - 1]; j++) {
                char label[96];
                snprintf(label, sizeof label, "dC/dW%d[%d][%d]", l, i + 1, j + 1);
                double e = tg_grad(t, Wv[l][i][j]), hand = delta[l][i] * hv[l - 1][j];
                sd_check(label, e, hand);
                worst = fmax(worst, fabs(e - hand));
                norm += hand * hand;
            }
        printf("  layer W%d: %d x %d, |dC/dW%d| = %.6g, largest difference %.1e\n", l, width[l],
               width[l - 1], l, sqrt(norm), worst);
    }
    sd_require_ok(t);
    tg_tape_free(t);
}

int main(void)
{
    single_path();
    three_hidden();
    return sd_finish("two_layer_sigmoid");
}
