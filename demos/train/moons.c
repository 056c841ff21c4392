/* moons.c: micrograd's demo (demo.ipynb) on tapegrad: MLP 2-16-16-1 with relu, max-margin loss
 * plus 1e-4 L2, the 100 moons points of bench/WORKLOADS.md W2, 100 steps of full-batch SGD with
 * lr 1 - 0.9 k / 100. Prints every step, writes the decision boundary and the loss curve as SVG,
 * and exits 1 unless training accuracy reaches 100% as micrograd's does.
 * usage: moons [--boundary FILE.svg] [--loss FILE.svg] [--steps N] [--quiet] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "tapegrad.h"

enum { N = 100 };

static int write_boundary(const char *path, tg_mlp *m, const tg_dataset *d)
{
    svg_plot p;
    if (!svg_open(path, &p, -2.0, 3.0, -1.5, 2.0, "moons: decision boundary (score > 0 is +1)"))
        return 0;
    const int g = 100;
    const double dx = (p.x1 - p.x0) / g, dy = (p.y1 - p.y0) / g;
    for (int i = 0; i < g; i++)
        for (int j = 0; j < g; j++) {
            const double x[2] = {p.x0 + (i + 0.5) * dx, p.y0 + (j + 0.5) * dy};
            double s;
            tg_mlp_predict(m, x, &s);
            svg_cell(&p, p.x0 + i * dx, p.y0 + j * dy, dx, dy, s > 0 ? "#f6c9a7" : "#b9d3ee");
        }
    for (size_t i = 0; i < d->n; i++)
        svg_point(&p, d->x[2 * i], d->x[2 * i + 1], d->y[i] > 0 ? "#e4572e" : "#1f5fa8");
    svg_axes(&p, "x0", "x1");
    svg_legend(&p, 0, "#1f5fa8", "label -1 (outer moon)");
    svg_legend(&p, 1, "#e4572e", "label +1 (inner moon)");
    return svg_close(&p);
}

/* Loss and accuracy per step, each on its own axis (they have different units), one panel
 * above the other with the same step axis. */
static int write_loss(const char *path, size_t n, const double *loss, const double *acc)
{
    double k[1000], pct[1000], top = 0, bottom = loss[0];
    for (size_t i = 0; i < n; i++) {
        k[i] = (double)i;
        pct[i] = 100.0 * acc[i];
        top = loss[i] > top ? loss[i] : top;
        bottom = loss[i] < bottom ? loss[i] : bottom;
    }
    double x0 = 0, x1 = (double)(n > 1 ? n - 1 : 1), lo = 0, hi = top;
    svg_nice_range(&x0, &x1, 7);
    svg_nice_range(&lo, &hi, 6);
    FILE *f = svg_begin(path, 580, 640, "moons: training loss and accuracy per step");
    if (!f)
        return 0;
    svg_plot p = svg_panel(f, 70, 60, 480, 220, x0, x1, lo, hi, "loss (hinge + 1e-4 L2)");
    svg_axes(&p, "step", "loss");
    svg_line(&p, n, k, loss, "#1f5fa8");
    svg_legend(&p, 0, "#1f5fa8", "training loss");
    double alo = 100.0 * acc[0], ahi = 100.0;
    for (size_t i = 0; i < n; i++)
        alo = pct[i] < alo ? pct[i] : alo;
    svg_nice_range(&alo, &ahi, 6);
    svg_plot q = svg_panel(f, 70, 360, 480, 220, x0, x1, alo, ahi > 100 ? 100 : ahi,
                           "training accuracy (%)");
    svg_axes(&q, "step", "accuracy (%)");
    svg_line(&q, n, k, pct, "#e4572e");
    svg_legend(&q, 3, "#e4572e", "training accuracy");
    (void)bottom;
    return svg_close(&p);
}

int main(int argc, char **argv)
{
    const char *boundary = "moons_boundary.svg", *loss_path = "moons_loss.svg";
    size_t steps = 100;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--boundary") && i + 1 < argc)
            boundary = argv[++i];
        else if (!strcmp(argv[i], "--loss") && i + 1 < argc)
            loss_path = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else {
            fprintf(stderr,
                    "usage: %s [--boundary FILE.svg] [--loss FILE.svg] [--steps N] "
                    "[--quiet]\n",
                    argv[0]);
            return 2;
        }
    }
    if (steps == 0 || steps > 1000) {
        fprintf(stderr, "moons: --steps must be 1..1000\n");
        return 2;
    }

    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 42); /* W2's data generator */
    tg_dataset *d = tg_dataset_moons(N, 0.1, &rng);
    tg_rng_init(&rng, 1337); /* W2's weight generator */
    const size_t sizes[] = {16, 16, 1};
    const tg_act acts[] = {TG_ACT_RELU, TG_ACT_RELU, TG_ACT_IDENTITY};
    tg_mlp *m = tg_mlp_new(t, 2, 3, sizes, acts, TG_INIT_UNIFORM, &rng);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_SGD, 1.0);
    cfg.schedule = TG_LR_LINEAR; /* lr_k = 1.0 - 0.9 k / 100 */
    cfg.decay = 0.9;
    cfg.n_decay = 100;
    tg_optim *o = m ? tg_optim_new(&cfg, tg_mlp_n_params(m)) : NULL;
    if (!t || !d || !m || !o) {
        fprintf(stderr, "moons: out of memory\n");
        return 1;
    }
    printf("MLP 2-16-16-1 (relu), %zu parameters, %d points\n", tg_mlp_n_params(m), N);
    const tg_mark mark = tg_tape_mark(t);
    double losses[1000], accs[1000];
    tg_var score[N];
    double s[N];
    for (size_t k = 0; k < steps; k++) {
        for (size_t i = 0; i < N; i++)
            tg_mlp_forward_values(m, d->x + 2 * i, &score[i]);
        tg_var data = tg_loss_hinge(t, N, score, d->y);
        tg_var reg = tg_loss_l2(t, tg_mlp_n_params(m), tg_mlp_params(m), 1e-4);
        tg_var L = tg_add(t, data, reg);
        if (tg_backward(t, L) != TG_OK) {
            fprintf(stderr, "moons: %s\n", tg_tape_errmsg(t));
            return 1;
        }
        for (size_t i = 0; i < N; i++)
            s[i] = tg_value(t, score[i]);
        losses[k] = tg_value(t, L);
        accs[k] = tg_metric_accuracy_binary(N, s, d->y, 0.0);
        if (!quiet)
            printf("step %zu loss %.17g, accuracy %g%%\n", k, losses[k], 100 * accs[k]);
        tg_optim_step(o, t, tg_mlp_n_params(m), tg_mlp_params(m));
        tg_tape_rewind(t, mark);
    }
    int ok = 1;
    if (!write_boundary(boundary, m, d) || !write_loss(loss_path, steps, losses, accs)) {
        fprintf(stderr, "moons: cannot write %s or %s\n", boundary, loss_path);
        ok = 0;
    }
    const double final_acc = accs[steps - 1];
    printf("final: loss %.6g, training accuracy %g%% (goal 100%%); wrote %s, %s\n",
           losses[steps - 1], 100 * final_acc, boundary, loss_path);
    tg_optim_free(o);
    tg_mlp_free(m);
    tg_dataset_free(d);
    tg_tape_free(t);
    return ok && final_acc == 1.0 ? 0 : 1;
}
