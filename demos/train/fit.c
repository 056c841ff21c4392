/* fit.c: trains an MLP on the user's CSV file and saves it; --predict loads a saved model and
 * predicts. The whole training loop is the tape's: record a minibatch's loss after a mark,
 * backward, optimizer step, rewind. Exits 1 if a goal given by --min-accuracy or --max-loss is
 * missed (or the saved model does not reload to the same predictions, with --verify).
 *   fit DATA.csv [--target COL] [--layers 16,16] [--act relu] [--init he]
 *       [--loss mse|bce|hinge|softmax] [--optim sgd|momentum|adam] [--lr 0.01] [--epochs 100]
 *       [--batch 32] [--test 0.2] [--seed 1] [--model model.tgm] [--min-accuracy A]
 *       [--max-loss L] [--verify] [--quiet]
 *   fit --predict DATA.csv --model model.tgm [--target COL] [--loss ...]
 * DATA.csv: a header row, then numbers; the target column (default: the last) holds the value
 * (mse), 0/1 or -1/+1 labels (bce, hinge), or class numbers 0..k-1 (softmax). For --predict
 * the file has the same columns (the target column's values are then only used for the
 * metrics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

typedef enum { L_MSE, L_BCE, L_HINGE, L_SOFTMAX } loss_kind;
static const char *const loss_names[] = {"mse", "bce", "hinge", "softmax"};

typedef struct options {
    const char *data, *target, *model, *act, *init, *loss, *optim;
    size_t hidden[16], n_hidden;
    double lr, test, min_acc, max_loss;
    size_t epochs, batch;
    unsigned long long seed;
    int predict, verify, quiet;
} options;

static int usage(void)
{
    fprintf(stderr,
            "usage: fit DATA.csv [--target COL] [--layers 16,16] [--act relu|tanh|sigmoid]\n"
            "           [--init uniform|xavier|he] [--loss mse|bce|hinge|softmax]\n"
            "           [--optim sgd|momentum|adam] [--lr X] [--epochs N] [--batch N]\n"
            "           [--test FRAC] [--seed N] [--model FILE] [--min-accuracy A]\n"
            "           [--max-loss L] [--verify] [--quiet]\n"
            "       fit --predict DATA.csv --model FILE [--target COL] [--loss KIND]\n");
    return 2;
}

static int parse_layers(const char *s, options *o)
{
    o->n_hidden = 0;
    while (*s) {
        char *end;
        const unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0 || v > 4096 || o->n_hidden == 16)
            return 0;
        o->hidden[o->n_hidden++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 0;
    }
    return 1;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.model = "model.tgm",
                   .act = "relu",
                   .init = "he",
                   .loss = "mse",
                   .optim = "adam",
                   .hidden = {16},
                   .n_hidden = 1,
                   .lr = 0.01,
                   .test = 0.2,
                   .min_acc = -1,
                   .max_loss = INFINITY,
                   .epochs = 100,
                   .batch = 32,
                   .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--predict"))
            o->predict = 1;
        else if (!strcmp(a, "--verify"))
            o->verify = 1;
        else if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (a[0] == '-' && a[1] == '-' && !v)
            return 0;
        else if (!strcmp(a, "--target"))
            o->target = argv[++i];
        else if (!strcmp(a, "--model"))
            o->model = argv[++i];
        else if (!strcmp(a, "--act"))
            o->act = argv[++i];
        else if (!strcmp(a, "--init"))
            o->init = argv[++i];
        else if (!strcmp(a, "--loss"))
            o->loss = argv[++i];
        else if (!strcmp(a, "--optim"))
            o->optim = argv[++i];
        else if (!strcmp(a, "--layers")) {
            if (!parse_layers(argv[++i], o))
                return 0;
        } else if (!strcmp(a, "--lr"))
            o->lr = atof(argv[++i]);
        else if (!strcmp(a, "--test"))
            o->test = atof(argv[++i]);
        else if (!strcmp(a, "--min-accuracy"))
            o->min_acc = atof(argv[++i]);
        else if (!strcmp(a, "--max-loss"))
            o->max_loss = atof(argv[++i]);
        else if (!strcmp(a, "--epochs"))
            o->epochs = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--batch"))
            o->batch = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(argv[++i], NULL, 10);
        else if (a[0] == '-' || o->data)
            return 0;
        else
            o->data = a;
    }
    return o->data != NULL && o->batch > 0 && o->epochs > 0;
}

static int find_loss(const char *name, loss_kind *k)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, loss_names[i])) {
            *k = (loss_kind)i;
            return 1;
        }
    return 0;
}

/* Checks and adapts the labels to the loss: bce wants 0/1, hinge -1/+1, softmax 0..k-1.
 * Returns the number of outputs the network needs, or 0 (with a message) if labels don't fit. */
static size_t prepare_labels(tg_dataset *d, loss_kind kind)
{
    if (kind == L_MSE)
        return 1;
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        const double y = d->y[i];
        if (kind == L_SOFTMAX) {
            if (!(y >= 0 && y < 1000 && y == floor(y))) {
                fprintf(stderr, "fit: row %zu: class %g is not an integer in 0..999\n", i + 1, y);
                return 0;
            }
            k = (size_t)y + 1 > k ? (size_t)y + 1 : k;
        } else if (y != 0 && y != 1 && y != -1) {
            fprintf(stderr, "fit: row %zu: label %g is not 0, 1 or -1\n", i + 1, y);
            return 0;
        }
    }
    if (kind == L_BCE)
        tg_dataset_relabel(d, -1.0, 0.0);
    if (kind == L_HINGE)
        tg_dataset_relabel(d, 0.0, -1.0);
    return kind == L_SOFTMAX ? (k < 2 ? 2 : k) : 1;
}

/* Records the loss of rows[0..n-1] of d; out (n * n_out slots) and onehot (n * n_out) are the
 * caller's scratch, allocated once. */
static tg_var batch_loss(tg_mlp *m, loss_kind kind, const tg_dataset *d, const size_t *rows,
                         size_t n, tg_var *out, double *target)
{
    tg_tape *t = tg_mlp_tape(m);
    const size_t k = tg_mlp_n_out(m);
    for (size_t i = 0; i < n; i++) {
        tg_mlp_forward_values(m, d->x + rows[i] * d->n_in, out + i * k);
        if (kind == L_SOFTMAX)
            for (size_t c = 0; c < k; c++)
                target[i * k + c] = (double)c == d->y[rows[i]];
        else
            target[i] = d->y[rows[i]];
    }
    switch (kind) {
    case L_BCE:
        return tg_loss_bce_logits(t, n, out, target);
    case L_HINGE:
        return tg_loss_hinge(t, n, out, target);
    case L_SOFTMAX:
        return tg_loss_softmax_ce(t, n, k, out, target);
    default:
        return tg_loss_mse(t, n, out, target);
    }
}

/* Loss and accuracy (NaN for mse) of the network over all of d, by prediction. */
static void evaluate(tg_mlp *m, loss_kind kind, const tg_dataset *d, double *loss, double *acc)
{
    const size_t k = tg_mlp_n_out(m);
    double s = 0.0, right = 0.0, y[1024];
    for (size_t i = 0; i < d->n; i++) {
        tg_mlp_predict(m, d->x + i * d->n_in, y);
        const double lab = d->y[i];
        if (kind == L_MSE) {
            s += (y[0] - lab) * (y[0] - lab);
        } else if (kind == L_BCE) {
            const double z = y[0];
            s += fmax(z, 0) - z * lab + log1p(exp(-fabs(z)));
            right += (z > 0) == (lab > 0.5);
        } else if (kind == L_HINGE) {
            s += fmax(0.0, 1.0 - lab * y[0]);
            right += (y[0] > 0) == (lab > 0);
        } else {
            double mx = y[0], se = 0.0;
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (y[c] > mx)
                    mx = y[best = c];
            for (size_t c = 0; c < k; c++)
                se += exp(y[c] - mx);
            s += log(se) - (y[(size_t)lab] - mx);
            right += (double)best == lab;
        }
    }
    *loss = d->n ? s / (double)d->n : NAN;
    *acc = kind == L_MSE || !d->n ? NAN : right / (double)d->n;
}

static int predict(const options *o, loss_kind kind)
{
    tg_dataset *d = NULL;
    char err[300];
    if (tg_csv_load(o->data, o->target, &d, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", err);
        return 1;
    }
    tg_tape *t = tg_tape_new();
    tg_mlp *m = NULL;
    if (tg_mlp_load_new(t, o->model, &m, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", err);
        tg_tape_free(t);
        tg_dataset_free(d);
        return 1;
    }
    int rc = 0;
    if (tg_mlp_n_in(m) != d->n_in) {
        fprintf(stderr, "fit: the model takes %zu features, %s has %zu\n", tg_mlp_n_in(m), o->data,
                d->n_in);
        rc = 1;
    }
    const size_t k = tg_mlp_n_out(m);
    for (size_t i = 0; !rc && i < d->n; i++) {
        double y[1024];
        tg_mlp_predict(m, d->x + i * d->n_in, y);
        for (size_t c = 0; c < k && c < 1024; c++)
            printf("%s%.10g", c ? "," : "", y[c]);
        if (k > 1) {
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                best = y[c] > y[best] ? c : best;
            printf(" class %zu", best);
        } else if (kind == L_BCE) {
            printf(" p %.6f class %d", 1.0 / (1.0 + exp(-y[0])), y[0] > 0);
        } else if (kind == L_HINGE) {
            printf(" class %d", y[0] > 0 ? 1 : -1);
        }
        printf("\n");
    }
    tg_mlp_free(m);
    tg_tape_free(t);
    tg_dataset_free(d);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    loss_kind kind;
    if (!parse_args(argc, argv, &o) || !find_loss(o.loss, &kind))
        return usage();
    if (o.predict)
        return predict(&o, kind);
    const tg_act act = tg_act_find(o.act);
    const tg_init init = tg_init_find(o.init);
    tg_optim_kind okind = TG_OPTIM_ADAM;
    if (!strcmp(o.optim, "sgd"))
        okind = TG_OPTIM_SGD;
    else if (!strcmp(o.optim, "momentum"))
        okind = TG_OPTIM_MOMENTUM;
    else if (strcmp(o.optim, "adam"))
        return usage();
    if (act == TG_N_ACTS || init == TG_N_INITS)
        return usage();

    char err[300];
    tg_dataset *all = NULL, *train = NULL, *test = NULL;
    if (tg_csv_load(o.data, o.target, &all, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", err);
        return 1;
    }
    const size_t n_out = prepare_labels(all, kind);
    tg_rng rng;
    tg_rng_init(&rng, o.seed);
    if (!n_out || tg_dataset_split(all, o.test, &rng, &train, &test) != TG_OK || !train->n) {
        fprintf(stderr, "fit: no data to train on (check --test)\n");
        return 1;
    }
    size_t sizes[17];
    tg_act acts[17];
    for (size_t l = 0; l < o.n_hidden; l++) {
        sizes[l] = o.hidden[l];
        acts[l] = act;
    }
    sizes[o.n_hidden] = n_out;
    acts[o.n_hidden] = TG_ACT_IDENTITY; /* losses take raw scores / logits */
    tg_tape *t = tg_tape_new();
    tg_mlp *m = tg_mlp_new(t, all->n_in, o.n_hidden + 1, sizes, acts, init, &rng);
    tg_optim_config cfg = tg_optim_defaults(okind, o.lr);
    tg_optim *opt = m ? tg_optim_new(&cfg, tg_mlp_n_params(m)) : NULL;
    tg_batches batches = {0};
    tg_var *out = malloc(o.batch * n_out * sizeof *out);
    double *target = malloc(o.batch * n_out * sizeof *target);
    if (!m || !opt || !out || !target ||
        tg_batches_init(&batches, train->n, o.batch, &rng) != TG_OK) {
        fprintf(stderr, "fit: cannot build the network (out of memory or bad --lr)\n");
        return 1;
    }
    if (!o.quiet)
        printf("%s: %zu rows (%zu train, %zu test), %zu features; %zu parameters, loss %s\n",
               o.data, all->n, train->n, test->n, all->n_in, tg_mlp_n_params(m), o.loss);
    tg_progress prog;
    tg_progress_init(&prog, o.epochs, o.quiet);
    const tg_mark mark = tg_tape_mark(t);
    double loss = NAN, acc = NAN;
    for (size_t e = 0; e < o.epochs; e++) {
        const size_t *rows;
        size_t n;
        while ((n = tg_batches_next(&batches, &rows)) > 0) {
            tg_var L = batch_loss(m, kind, train, rows, n, out, target);
            if (tg_backward(t, L) != TG_OK) {
                fprintf(stderr, "fit: %s\n", tg_tape_errmsg(t));
                return 1;
            }
            tg_optim_step(opt, t, tg_mlp_n_params(m), tg_mlp_params(m));
            tg_tape_rewind(t, mark);
        }
        tg_batches_reset(&batches);
        evaluate(m, kind, train, &loss, &acc);
        tg_progress_update(&prog, e + 1, loss, isnan(acc) ? -1.0 : acc);
        if (!o.quiet && !prog.enabled && (e % (o.epochs / 10 + 1) == 0 || e + 1 == o.epochs)) {
            printf("epoch %zu: train loss %.6g", e + 1, loss);
            if (!isnan(acc))
                printf(", accuracy %.2f%%", 100 * acc);
            printf("\n");
        }
    }
    tg_progress_done(&prog);
    double test_loss = NAN, test_acc = NAN;
    evaluate(m, kind, test, &test_loss, &test_acc);
    printf("train: loss %.6g", loss);
    if (!isnan(acc))
        printf(", accuracy %.2f%%", 100 * acc);
    printf("   test: loss %.6g", test_loss);
    if (!isnan(test_acc))
        printf(", accuracy %.2f%%", 100 * test_acc);
    printf("\n");

    int rc = 0;
    if (tg_mlp_save(m, o.model) != TG_OK) {
        fprintf(stderr, "fit: %s\n", tg_mlp_errmsg(m));
        rc = 1;
    } else if (!o.quiet) {
        printf("saved the model to %s\n", o.model);
    }
    if (o.verify && !rc) {
        /* the saved file must rebuild the same network: identical predictions, bit for bit */
        tg_tape *t2 = tg_tape_new();
        tg_mlp *m2 = NULL;
        if (tg_mlp_load_new(t2, o.model, &m2, err, sizeof err) != TG_OK) {
            fprintf(stderr, "fit: --verify: %s\n", err);
            rc = 1;
        }
        for (size_t i = 0; !rc && i < all->n; i++) {
            double y1[1024], y2[1024];
            tg_mlp_predict(m, all->x + i * all->n_in, y1);
            tg_mlp_predict(m2, all->x + i * all->n_in, y2);
            if (memcmp(y1, y2, n_out * sizeof *y1) != 0) {
                fprintf(stderr, "fit: --verify: row %zu predicts differently\n", i + 1);
                rc = 1;
            }
        }
        tg_mlp_free(m2);
        tg_tape_free(t2);
    }
    const double goal_acc = test->n ? test_acc : acc, goal_loss = test->n ? test_loss : loss;
    if (o.min_acc >= 0 && !(goal_acc >= o.min_acc)) {
        fprintf(stderr, "fit: accuracy %.4f below the goal %.4f\n", goal_acc, o.min_acc);
        rc = 1;
    }
    if (!(goal_loss <= o.max_loss)) {
        fprintf(stderr, "fit: loss %.6g above the goal %.6g\n", goal_loss, o.max_loss);
        rc = 1;
    }
    free(out);
    free(target);
    tg_batches_clear(&batches);
    tg_optim_free(opt);
    tg_mlp_free(m);
    tg_tape_free(t);
    tg_dataset_free(all);
    tg_dataset_free(train);
    tg_dataset_free(test);
    return rc;
}
