/* sine.c: seed 003's homework network, 1-5-5-5-1 with tanh and an identity output, fitting
 * sin(x) on [-pi, pi] as the seed does: cost J = (1/2)(y_hat - y)^2, one sample at a time
 * (per-sample SGD, alpha 0.001), 2000 epochs, 100 points with 30% held out for testing.
 * Writes the fit as SVG and exits 1 unless the test MSE is below 0.02. Measured: train MSE
 * 0.0046, test MSE 0.0091 (the seed reports train MSE 0.0048 for its 1-4-8-4-2-1 network).
 * usage: sine [--svg FILE.svg] [--epochs N] [--quiet] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "tapegrad.h"

static const double PI = 3.141592653589793;

/* MSE of the network over d, by prediction (nothing stays on the tape). */
static double mse_of(tg_mlp *m, const tg_dataset *d)
{
    double s = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        double y;
        tg_mlp_predict(m, d->x + i, &y);
        s += (y - d->y[i]) * (y - d->y[i]);
    }
    return s / (double)d->n;
}

static int write_fit(const char *path, tg_mlp *m, const tg_dataset *train, double test_mse)
{
    svg_plot p;
    char title[128];
    snprintf(title, sizeof title, "sine: 1-5-5-5-1 tanh fit (test MSE %.2g)", test_mse);
    if (!svg_open(path, &p, -PI, PI, -1.2, 1.2, title))
        return 0;
    enum { G = 200 };
    double x[G], ys[G], yn[G];
    for (int i = 0; i < G; i++) {
        x[i] = -PI + 2 * PI * i / (G - 1);
        ys[i] = sin(x[i]);
        tg_mlp_predict(m, &x[i], &yn[i]);
    }
    svg_line(&p, G, x, ys, "#999999");
    svg_line(&p, G, x, yn, "#e4572e");
    for (size_t i = 0; i < train->n; i++)
        svg_point(&p, train->x[i], train->y[i], "#1f5fa8");
    svg_axes(&p, "x", "y");
    svg_legend(&p, 0, "#999999", "sin(x)");
    svg_legend(&p, 1, "#e4572e", "network");
    svg_legend(&p, 2, "#1f5fa8", "training points");
    return svg_close(&p);
}

int main(int argc, char **argv)
{
    const char *svg = "sine_fit.svg";
    size_t epochs = 2000;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            svg = argv[++i];
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else {
            fprintf(stderr, "usage: %s [--svg FILE.svg] [--epochs N] [--quiet]\n", argv[0]);
            return 2;
        }
    }
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 2022);
    tg_dataset *all = tg_dataset_sine(100, -PI, PI), *train = NULL, *test = NULL;
    const size_t sizes[] = {5, 5, 5, 1};
    const tg_act acts[] = {TG_ACT_TANH, TG_ACT_TANH, TG_ACT_TANH, TG_ACT_IDENTITY};
    tg_mlp *m = tg_mlp_new(t, 1, 4, sizes, acts, TG_INIT_XAVIER, &rng);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_SGD, 0.001);
    tg_optim *o = m ? tg_optim_new(&cfg, tg_mlp_n_params(m)) : NULL;
    if (!t || !all || !m || !o || tg_dataset_split(all, 0.3, &rng, &train, &test) != TG_OK) {
        fprintf(stderr, "sine: out of memory\n");
        return 1;
    }
    tg_progress prog;
    tg_progress_init(&prog, epochs, quiet);
    const tg_mark mark = tg_tape_mark(t);
    for (size_t e = 0; e < epochs; e++) {
        double sum = 0.0;
        for (size_t i = 0; i < train->n; i++) {
            tg_var y;
            tg_mlp_forward_values(m, train->x + i, &y);
            tg_var J = tg_mulc(t, tg_loss_mse(t, 1, &y, train->y + i), 0.5); /* (1/2)(y - t)^2 */
            sum += tg_value(t, J);
            tg_backward(t, J);
            tg_optim_step(o, t, tg_mlp_n_params(m), tg_mlp_params(m));
            tg_tape_rewind(t, mark);
        }
        const double train_mse = 2.0 * sum / (double)train->n;
        tg_progress_update(&prog, e + 1, train_mse, -1.0);
        if (!quiet && !prog.enabled && (e % 200 == 0 || e + 1 == epochs))
            printf("epoch %4zu  train MSE %.6f\n", e, train_mse);
    }
    tg_progress_done(&prog);
    const double train_mse = mse_of(m, train), test_mse = mse_of(m, test);
    int ok = write_fit(svg, m, train, test_mse);
    if (!ok)
        fprintf(stderr, "sine: cannot write %s\n", svg);
    printf("train MSE %.6f, test MSE %.6f (goal < 0.02); wrote %s\n", train_mse, test_mse, svg);
    tg_optim_free(o);
    tg_mlp_free(m);
    tg_dataset_free(all);
    tg_dataset_free(train);
    tg_dataset_free(test);
    tg_tape_free(t);
    return ok && test_mse < 0.02 ? 0 : 1;
}
