/* fit.c: trains an MLP on the user's CSV file and saves it with what it needs to be used
 * (task, loss, names, standardization); --predict loads such a model and writes predictions as
 * CSV. The training loop is the tape's: record a minibatch's loss after a mark, backward,
 * optimizer step, rewind. The table reader, standardization, splits and metrics are nn/'s;
 * this file decides what the columns mean and how to report. `fit --help` is the manual. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "tapegrad.h"

typedef enum { L_AUTO, L_MSE, L_BCE, L_HINGE, L_SOFTMAX } loss_kind;
static const char *const loss_names[] = {"auto", "mse", "bce", "hinge", "softmax"};
enum { MAX_CLASSES = 1000, MAX_HIDDEN = 16 };

typedef struct options {
    const char *data, *target, *model, *act, *init, *optim, *plot, *out;
    loss_kind loss;
    tg_csv_header header;
    size_t hidden[MAX_HIDDEN], n_hidden;
    double lr, test, min_acc, max_loss;
    size_t epochs, batch, patience;
    unsigned long long seed;
    int predict, verify, quiet, standardize, info;
} options;

static void help(FILE *f)
{
    fprintf(f,
"usage: fit DATA.csv [options]                 train a network, save it to --model\n"
"       fit --predict DATA.csv --model FILE    predict with a saved network, CSV to stdout\n"
"       fit --info --model FILE                what a saved model is and expects\n"
"\n"
"DATA.csv: comma-separated, one row per sample, the label in the last column (or --target).\n"
"  The first line may be a header of column names, scikit-learn's count line\n"
"  \"n_rows,n_features,class names...\" (as in sklearn/datasets/data/iris.csv), or data;\n"
"  it is detected (--header). Features must be numbers; labels may be numbers or text\n"
"  (setosa, versicolor). Spaces around fields and empty lines are ignored.\n"
"\n"
"The task follows from the labels (or --loss): text labels, classes named by a count line,\n"
"or at most 10 distinct integers make a classification (2 classes: bce, more: softmax);\n"
"other numbers a regression (mse). Features are standardized with the training split's mean\n"
"and standard deviation (a constant column is left at 0), stored in the model file and\n"
"applied again by --predict.\n"
"\n"
"training options (default in brackets):\n"
"  --target COL          the label column's name (or 1-based number) [the last column]\n"
"  --header KIND         auto, none, names or sklearn: what the first line is [auto]\n"
"  --loss KIND           auto, mse, bce (binary, logits), hinge (binary, -1/+1 margin),\n"
"                        softmax (classes) [auto]\n"
"  --layers N,N,...      hidden layer sizes, up to 16 layers [16]\n"
"  --act NAME            hidden activation: relu, tanh, sigmoid, identity [relu]\n"
"  --init NAME           weight initialization: he, xavier, uniform [he]\n"
"  --optim NAME          adam, sgd or momentum [adam]\n"
"  --lr X                learning rate [0.01]\n"
"  --epochs N            passes over the training rows [100]\n"
"  --batch N             rows per minibatch [32]\n"
"  --test FRAC           fraction of rows held out for the test metrics, split class by class\n"
"                        for a classification (0 keeps every row for training) [0.2]\n"
"  --seed N              seeds the split, the initial weights and the minibatches [1]\n"
"  --no-standardize      use the features as they are\n"
"  --patience N          stop when the test loss has not improved for N epochs and keep the\n"
"                        best epoch's weights (0: never; note it tunes on the test rows) [0]\n"
"  --model FILE          where to save the model [model.tgm]\n"
"  --plot FILE.svg       loss and accuracy per epoch, train and test; and, with two\n"
"                        features, the decision boundary\n"
"  --min-accuracy A      exit 1 if the test accuracy (0..1) is below A\n"
"  --max-loss L          exit 1 if the test loss is above L\n"
"  --verify              reload the saved file and check it predicts the same, bit for bit\n"
"  --quiet               print nothing but the summary and errors\n"
"\n"
"prediction options:\n"
"  --model FILE          the saved model [model.tgm]\n"
"  --out FILE            write the CSV there instead of stdout\n"
"  --header KIND         as above [auto]\n"
"  --loss KIND           only for models saved by an older fit, which did not record it\n"
"  The file has the model's feature columns, with or without the label column. The output\n"
"  repeats the input columns and adds \"prediction\" and, for a classification, one\n"
"  probability column per class (p_<class>). With labels, the metrics go to stderr.\n"
"\n"
"output: a line per tenth of training (or a progress bar on a terminal), then\n"
"  train: loss L, accuracy A%%   test: loss L, accuracy A%%\n"
"  then the test confusion matrix and per-class precision and recall (classification) or\n"
"  the test MSE, MAE and R^2 (regression). Exit status: 0 done, 1 a goal missed or a file\n"
"  problem, 2 bad usage.\n"
"\n"
"example:\n"
"  fit /usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv --epochs 200 \\\n"
"      --model iris.tgm --plot iris.svg\n"
"  fit --predict new_flowers.csv --model iris.tgm --out predicted.csv\n");
}

static int bad(const char *fmt, const char *what)
{
    fprintf(stderr, "fit: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n(fit --help describes every option)\n");
    return 2;
}

static int parse_layers(const char *s, options *o)
{
    o->n_hidden = 0;
    while (*s) {
        char *end;
        const unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0 || v > 4096 || o->n_hidden == MAX_HIDDEN)
            return 0;
        o->hidden[o->n_hidden++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 0;
    }
    return o->n_hidden > 0;
}

static int parse_count(const char *s, size_t *v, int allow_zero)
{
    char *end;
    if (!s || *s == '-' || *s == '\0')
        return 0;
    const unsigned long long x = strtoull(s, &end, 10);
    if (*end || (!allow_zero && x == 0) || x > 100000000ULL)
        return 0;
    *v = (size_t)x;
    return 1;
}

static int parse_real(const char *s, double *v)
{
    return tg_field_number(s, v);
}

/* Returns 0 to go on, 1 if --help was shown, 2 on a usage error (reported). */
static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.model = "model.tgm",
                   .act = "relu",
                   .init = "he",
                   .optim = "adam",
                   .hidden = {16},
                   .n_hidden = 1,
                   .lr = 0.01,
                   .test = 0.2,
                   .min_acc = -1,
                   .max_loss = INFINITY,
                   .epochs = 100,
                   .batch = 32,
                   .seed = 1,
                   .standardize = 1};
    static const char *const headers[] = {"auto", "none", "names", "sklearn"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(stdout);
            return 1;
        } else if (!strcmp(a, "--predict"))
            o->predict = 1;
        else if (!strcmp(a, "--info"))
            o->info = 1;
        else if (!strcmp(a, "--verify"))
            o->verify = 1;
        else if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (!strcmp(a, "--no-standardize"))
            o->standardize = 0;
        else if (a[0] == '-' && a[1] == '-' && !v)
            return bad("%s needs a value", a);
        else if (!strcmp(a, "--target"))
            o->target = argv[++i];
        else if (!strcmp(a, "--model"))
            o->model = argv[++i];
        else if (!strcmp(a, "--out"))
            o->out = argv[++i];
        else if (!strcmp(a, "--plot"))
            o->plot = argv[++i];
        else if (!strcmp(a, "--act")) {
            o->act = argv[++i];
            if (tg_act_find(o->act) == TG_N_ACTS)
                return bad("unknown --act %s (relu, tanh, sigmoid, identity)", o->act);
        } else if (!strcmp(a, "--init")) {
            o->init = argv[++i];
            if (tg_init_find(o->init) == TG_N_INITS)
                return bad("unknown --init %s (he, xavier, uniform)", o->init);
        } else if (!strcmp(a, "--optim")) {
            o->optim = argv[++i];
            if (strcmp(o->optim, "adam") && strcmp(o->optim, "sgd") && strcmp(o->optim, "momentum"))
                return bad("unknown --optim %s (adam, sgd, momentum)", o->optim);
        } else if (!strcmp(a, "--loss")) {
            size_t k = 0;
            while (k < 5 && strcmp(v, loss_names[k]))
                k++;
            if (k == 5)
                return bad("unknown --loss %s (auto, mse, bce, hinge, softmax)", v);
            o->loss = (loss_kind)k;
            i++;
        } else if (!strcmp(a, "--header")) {
            size_t k = 0;
            while (k < 4 && strcmp(v, headers[k]))
                k++;
            if (k == 4)
                return bad("unknown --header %s (auto, none, names, sklearn)", v);
            o->header = (tg_csv_header)k;
            i++;
        } else if (!strcmp(a, "--layers")) {
            if (!parse_layers(argv[++i], o))
                return bad("--layers %s: sizes 1..4096 separated by commas, at most 16", v);
        } else if (!strcmp(a, "--lr")) {
            if (!parse_real(argv[++i], &o->lr) || !(o->lr > 0))
                return bad("--lr %s: a positive number", v);
        } else if (!strcmp(a, "--test")) {
            if (!parse_real(argv[++i], &o->test) || !(o->test >= 0 && o->test < 1))
                return bad("--test %s: a fraction in [0, 1)", v);
        } else if (!strcmp(a, "--min-accuracy")) {
            if (!parse_real(argv[++i], &o->min_acc))
                return bad("--min-accuracy %s: a number", v);
        } else if (!strcmp(a, "--max-loss")) {
            if (!parse_real(argv[++i], &o->max_loss))
                return bad("--max-loss %s: a number", v);
        } else if (!strcmp(a, "--epochs")) {
            if (!parse_count(argv[++i], &o->epochs, 0))
                return bad("--epochs %s: a whole number >= 1", v);
        } else if (!strcmp(a, "--batch")) {
            if (!parse_count(argv[++i], &o->batch, 0))
                return bad("--batch %s: a whole number >= 1", v);
        } else if (!strcmp(a, "--patience")) {
            if (!parse_count(argv[++i], &o->patience, 1))
                return bad("--patience %s: a whole number", v);
        } else if (!strcmp(a, "--seed")) {
            size_t s;
            if (!parse_count(argv[++i], &s, 1))
                return bad("--seed %s: a whole number", v);
            o->seed = s;
        } else if (a[0] == '-')
            return bad("unknown option %s", a);
        else if (o->data)
            return bad("one data file only (%s)", a);
        else
            o->data = a;
    }
    if (!o->data && !o->info)
        return bad("%s", "no data file given");
    return 0;
}

/* ---- From a table of text to a dataset ------------------------------------------------------ */

/* What the columns mean: which one is the label, the classes, and the numbers. */
typedef struct prepared {
    tg_table *table;
    size_t target;     /* label column, or n_cols when the file has none (prediction) */
    size_t *features;  /* the n_in feature columns */
    size_t n_in;
    tg_dataset *data;  /* raw features; y = class index, or the value for a regression */
    tg_task task;
    size_t n_classes;
    char **class_names; /* owned */
} prepared;

static void prepared_clear(prepared *p)
{
    tg_table_free(p->table);
    free(p->features);
    tg_dataset_free(p->data);
    for (size_t c = 0; p->class_names && c < p->n_classes; c++)
        free(p->class_names[c]);
    free(p->class_names);
    memset(p, 0, sizeof *p);
}

static char *copy_string(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    return c ? strcpy(c, s) : NULL;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static int cmp_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The label column: --target by name or 1-based number, else the last. */
static int find_target(const tg_table *t, const char *target, size_t *col)
{
    if (!target) {
        *col = t->n_cols - 1;
        return 1;
    }
    *col = tg_table_column(t, target);
    size_t k;
    if (*col == t->n_cols && parse_count(target, &k, 0) && k <= t->n_cols)
        *col = k - 1;
    return *col < t->n_cols;
}

/* Reads the feature columns into d->x; 0 (reported) if a field is not a number. */
static int read_features(const char *path, const prepared *p, tg_dataset *d)
{
    const tg_table *t = p->table;
    for (size_t i = 0; i < t->n_rows; i++)
        for (size_t j = 0; j < p->n_in; j++) {
            const size_t c = p->features[j];
            const char *cell = t->cells[i * t->n_cols + c];
            if (!tg_field_number(cell, &d->x[i * p->n_in + j])) {
                fprintf(stderr, "fit: %s:%zu: column %zu (%s): \"%s\" is not a finite number%s\n",
                        path, t->line[i], c + 1, t->names[c], cell,
                        p->target == t->n_cols
                            ? ""
                            : " (features must be numbers; only the label may be text)");
                return 0;
            }
        }
    return 1;
}

/* Decides the task and classes from the labels (and --loss), and fills y. Classes are
 * sorted as scikit-learn sorts classes_: numerically for numbers, by bytes for text; a count
 * line's class names number the integer labels 0..k-1. */
static int read_labels(const char *path, prepared *p, loss_kind *loss)
{
    const tg_table *t = p->table;
    const size_t n = t->n_rows, col = p->target;
    double *num = malloc((n + 1) * sizeof *num);
    const char **text = malloc((n + 1) * sizeof *text);
    int ok = 0, numeric = 1, integers = 1;
    if (!num || !text)
        goto done;
    for (size_t i = 0; i < n; i++) {
        text[i] = t->cells[i * t->n_cols + col];
        if (!tg_field_number(text[i], &num[i]))
            numeric = 0;
        else if (num[i] != floor(num[i]))
            integers = 0;
    }
    if (!numeric && *loss == L_MSE) {
        fprintf(stderr, "fit: --loss mse needs numeric labels, and column %s holds text\n",
                t->names[col]);
        goto done;
    }
    /* distinct values, sorted */
    size_t k = 0;
    if (numeric) {
        double *sorted = malloc((n + 1) * sizeof *sorted);
        if (!sorted)
            goto done;
        memcpy(sorted, num, n * sizeof *num);
        qsort(sorted, n, sizeof *sorted, cmp_double);
        for (size_t i = 0; i < n; i++)
            if (i == 0 || sorted[i] != sorted[k - 1])
                sorted[k++] = sorted[i];
        const int named = t->n_classes > 0 && integers && sorted[0] >= 0 &&
                          sorted[k - 1] < (double)t->n_classes;
        if (*loss == L_AUTO)
            *loss = named || (integers && k <= 10) ? (k <= 2 && (!named || t->n_classes <= 2)
                                                          ? L_BCE
                                                          : L_SOFTMAX)
                                                   : L_MSE;
        if (*loss != L_MSE) {
            if (named) {
                /* every class of the count line, even one absent from these rows */
                k = t->n_classes;
                for (size_t c = 0; c < k; c++)
                    sorted[c] = (double)c;
            }
            if (k > MAX_CLASSES || !(p->class_names = calloc(k, sizeof *p->class_names))) {
                fprintf(stderr, "fit: %zu classes is too many (at most %d)\n", k, MAX_CLASSES);
                free(sorted);
                goto done;
            }
            p->n_classes = k;
            for (size_t c = 0; c < k; c++) {
                char buf[40];
                snprintf(buf, sizeof buf, "%.17g", sorted[c]);
                p->class_names[c] = copy_string(named ? t->class_names[c] : buf);
            }
            for (size_t i = 0; i < n; i++) {
                size_t c = 0;
                while (sorted[c] != num[i])
                    c++;
                p->data->y[i] = (double)c;
            }
        } else {
            memcpy(p->data->y, num, n * sizeof *num);
        }
        free(sorted);
    } else {
        const char **sorted = malloc((n + 1) * sizeof *sorted);
        if (!sorted)
            goto done;
        memcpy(sorted, text, n * sizeof *text);
        qsort(sorted, n, sizeof *sorted, cmp_string);
        for (size_t i = 0; i < n; i++)
            if (i == 0 || strcmp(sorted[i], sorted[k - 1]))
                sorted[k++] = sorted[i];
        if (k > MAX_CLASSES || !(p->class_names = calloc(k, sizeof *p->class_names))) {
            fprintf(stderr, "fit: %zu classes is too many (at most %d)\n", k, MAX_CLASSES);
            free(sorted);
            goto done;
        }
        p->n_classes = k;
        for (size_t c = 0; c < k; c++)
            p->class_names[c] = copy_string(sorted[c]);
        for (size_t i = 0; i < n; i++) {
            const char **hit = bsearch(&text[i], sorted, k, sizeof *sorted, cmp_string);
            p->data->y[i] = (double)(hit - sorted);
        }
        free(sorted);
        if (*loss == L_AUTO)
            *loss = k <= 2 ? L_BCE : L_SOFTMAX;
    }
    for (size_t c = 0; c < p->n_classes; c++)
        if (!p->class_names[c])
            goto done;
    if ((*loss == L_BCE || *loss == L_HINGE) && p->n_classes > 2) {
        fprintf(stderr, "fit: --loss %s is for two classes; %s has %zu in column %s (use softmax)\n",
                loss_names[*loss], path, p->n_classes, t->names[col]);
        goto done;
    }
    if (*loss != L_MSE && p->n_classes < 2) {
        fprintf(stderr, "fit: %s has one class only (%s) in column %s: nothing to learn\n", path,
                p->class_names[0], t->names[col]);
        goto done;
    }
    p->task = *loss == L_MSE       ? TG_TASK_REGRESSION
              : *loss == L_SOFTMAX ? TG_TASK_MULTICLASS
                                   : TG_TASK_BINARY;
    ok = 1;
done:
    if (!ok && (!num || !text))
        fprintf(stderr, "fit: out of memory\n");
    free(num);
    free(text);
    return ok;
}

/* Reads the training file: every column but the label is a feature. */
static int prepare_training(const options *o, prepared *p, loss_kind *loss)
{
    char err[400];
    memset(p, 0, sizeof *p);
    if (tg_table_read(o->data, o->header, &p->table, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", err);
        return 0;
    }
    const tg_table *t = p->table;
    if (t->n_cols < 2 || t->n_rows == 0) {
        fprintf(stderr, "fit: %s: need at least one feature column, a label column and a row\n",
                o->data);
        return 0;
    }
    if (!find_target(t, o->target, &p->target)) {
        fprintf(stderr, "fit: %s: no column \"%s\" (columns:", o->data, o->target);
        for (size_t c = 0; c < t->n_cols; c++)
            fprintf(stderr, " %s", t->names[c]);
        fprintf(stderr, ")\n");
        return 0;
    }
    p->n_in = t->n_cols - 1;
    p->features = malloc(p->n_in * sizeof *p->features);
    p->data = tg_dataset_new(t->n_rows, p->n_in, 1);
    if (!p->features || !p->data) {
        fprintf(stderr, "fit: out of memory\n");
        return 0;
    }
    for (size_t c = 0, j = 0; c < t->n_cols; c++)
        if (c != p->target)
            p->features[j++] = c;
    return read_features(o->data, p, p->data) && read_labels(o->data, p, loss);
}

/* ---- Training and evaluation ----------------------------------------------------------------- */

/* Records the loss of rows[0..n-1] of d; out and target (n * n_out slots) are the caller's
 * scratch, allocated once. Targets follow the loss: bce 0/1, hinge -1/+1, softmax one-hot. */
static tg_var batch_loss(tg_mlp *m, loss_kind kind, const tg_dataset *d, const size_t *rows,
                         size_t n, tg_var *out, double *target)
{
    tg_tape *t = tg_mlp_tape(m);
    const size_t k = tg_mlp_n_out(m);
    for (size_t i = 0; i < n; i++) {
        tg_mlp_forward_values(m, d->x + rows[i] * d->n_in, out + i * k);
        const double y = d->y[rows[i]];
        if (kind == L_SOFTMAX)
            for (size_t c = 0; c < k; c++)
                target[i * k + c] = (double)c == y;
        else
            target[i] = kind == L_HINGE ? 2.0 * y - 1.0 : y;
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

/* The network's outputs y (k of them) read as the loss reads them: the class (and, when
 * prob is not NULL, each class's probability) or, for a regression, the value in *value.
 * Returns the sample's loss. lab is the label as in batch_loss (NaN when unknown). */
static double read_outputs(loss_kind kind, size_t k, const double *y, double lab, size_t *cls,
                           double *prob)
{
    if (kind == L_MSE) {
        *cls = 0;
        return (y[0] - lab) * (y[0] - lab);
    }
    if (kind == L_BCE || kind == L_HINGE) {
        const double z = y[0];
        *cls = z > 0;
        if (prob && kind == L_BCE) {
            /* sigmoid without overflow: 1 / (1 + e^-z) for z >= 0, e^z / (1 + e^z) below */
            const double p1 = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            prob[0] = 1.0 - p1;
            prob[1] = p1;
        }
        if (kind == L_BCE)
            return fmax(z, 0) - z * lab + log1p(exp(-fabs(z)));
        return fmax(0.0, 1.0 - (2.0 * lab - 1.0) * z);
    }
    double mx = y[0], se = 0.0;
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (y[c] > mx)
            mx = y[best = c];
    for (size_t c = 0; c < k; c++)
        se += exp(y[c] - mx);
    for (size_t c = 0; prob && c < k; c++)
        prob[c] = exp(y[c] - mx) / se;
    *cls = best;
    return isnan(lab) ? NAN : log(se) - (y[(size_t)lab] - mx);
}

/* Loss and accuracy (NaN for a regression) of the network over all of d. */
static void evaluate(tg_mlp *m, loss_kind kind, const tg_dataset *d, double *loss, double *acc)
{
    const size_t k = tg_mlp_n_out(m);
    double s = 0.0, right = 0.0, y[MAX_CLASSES];
    for (size_t i = 0; i < d->n; i++) {
        size_t cls;
        tg_mlp_predict(m, d->x + i * d->n_in, y);
        s += read_outputs(kind, k, y, d->y[i], &cls, NULL);
        right += (double)cls == d->y[i];
    }
    *loss = d->n ? s / (double)d->n : NAN;
    *acc = kind == L_MSE || !d->n ? NAN : right / (double)d->n;
}

/* Prints the confusion matrix and per-class precision and recall, or MSE, MAE and R^2, of
 * the network over d, to f. */
static void report_metrics(FILE *f, tg_mlp *m, loss_kind kind, const tg_dataset *d,
                           char *const *class_names, size_t n_classes, const char *what)
{
    if (!d->n)
        return;
    const size_t k = tg_mlp_n_out(m);
    double y[MAX_CLASSES];
    if (kind == L_MSE) {
        double *pred = malloc(d->n * sizeof *pred), mse, mae, r2;
        if (!pred)
            return;
        for (size_t i = 0; i < d->n; i++) {
            tg_mlp_predict(m, d->x + i * d->n_in, y);
            pred[i] = y[0];
        }
        tg_regression_metrics(d->n, pred, d->y, &mse, &mae, &r2);
        fprintf(f, "%s: MSE %.6g, MAE %.6g, R^2 %.4f (%zu rows)\n", what, mse, mae, r2, d->n);
        free(pred);
        return;
    }
    size_t *truth = malloc(d->n * sizeof *truth), *pred = malloc(d->n * sizeof *pred);
    size_t *counts = calloc(n_classes * n_classes, sizeof *counts);
    if (truth && pred && counts) {
        for (size_t i = 0; i < d->n; i++) {
            tg_mlp_predict(m, d->x + i * d->n_in, y);
            read_outputs(kind, k, y, d->y[i], &pred[i], NULL);
            truth[i] = (size_t)d->y[i];
        }
        tg_confusion(d->n, n_classes, truth, pred, counts);
        int w = 9;
        for (size_t c = 0; c < n_classes; c++)
            w = (int)strlen(class_names[c]) > w ? (int)strlen(class_names[c]) : w;
        w = w > 24 ? 24 : w;
        fprintf(f, "%s confusion matrix (rows: true class, columns: predicted):\n", what);
        fprintf(f, "  %-*s", w, "");
        for (size_t c = 0; c < n_classes; c++)
            fprintf(f, " %*.*s", w, w, class_names[c]);
        fprintf(f, "\n");
        for (size_t a = 0; a < n_classes; a++) {
            fprintf(f, "  %-*.*s", w, w, class_names[a]);
            for (size_t b = 0; b < n_classes; b++)
                fprintf(f, " %*zu", w, counts[a * n_classes + b]);
            fprintf(f, "\n");
        }
        fprintf(f, "  %-*s %9s %9s %9s\n", w, "class", "precision", "recall", "rows");
        for (size_t c = 0; c < n_classes; c++) {
            size_t tp = counts[c * n_classes + c], col = 0, row = 0;
            for (size_t j = 0; j < n_classes; j++) {
                col += counts[j * n_classes + c];
                row += counts[c * n_classes + j];
            }
            /* precision tp / predicted-as-c, recall tp / truly-c; "-" when there is none */
            char pr[16] = "-", rc[16] = "-";
            if (col)
                snprintf(pr, sizeof pr, "%.1f%%", 100.0 * (double)tp / (double)col);
            if (row)
                snprintf(rc, sizeof rc, "%.1f%%", 100.0 * (double)tp / (double)row);
            fprintf(f, "  %-*.*s %9s %9s %9zu\n", w, w, class_names[c], pr, rc, row);
        }
    }
    free(truth);
    free(pred);
    free(counts);
}

/* ---- The plot ------------------------------------------------------------------------------ */

typedef struct history {
    size_t n;
    double *epoch, *train_loss, *test_loss, *train_acc, *test_acc; /* accuracies in % */
} history;

static void range_of(size_t n, const double *a, const double *b, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            const double v = (k ? b : a)[i];
            if (isfinite(v)) {
                *lo = v < *lo ? v : *lo;
                *hi = v > *hi ? v : *hi;
            }
        }
    if (!(*lo <= *hi))
        *lo = 0, *hi = 1;
}

/* Panels: loss per epoch; accuracy per epoch (classification); the decision regions over
 * the two raw features with the rows (two-feature classification). Each has its own axis. */
static int write_plot(const char *path, const char *data, const history *h, tg_mlp *m,
                      loss_kind kind, const prepared *p, const tg_dataset *raw,
                      const tg_model_info *info)
{
    const int classify = kind != L_MSE, boundary = classify && p->n_in == 2;
    const double panel_h = 220, gap = 80;
    const int n_panels = 1 + classify + boundary;
    char title[300];
    const char *base = strrchr(data, '/');
    snprintf(title, sizeof title, "fit %s", base ? base + 1 : data);
    FILE *f = svg_begin(path, 620, 50 + n_panels * (panel_h + gap) + (boundary ? 160 : 0), title);
    if (!f)
        return 0;
    double x0 = 1, x1 = (double)(h->n > 1 ? h->n : 2), lo, hi;
    svg_nice_range(&x0, &x1, 7);
    x0 = x0 < 0 ? 0 : x0;
    range_of(h->n, h->train_loss, h->test_loss, &lo, &hi);
    lo = lo > 0 && lo < hi / 3 ? 0 : lo; /* start at 0 unless the curves would be flat */
    svg_nice_range(&lo, &hi, 6);
    char sub[80];
    snprintf(sub, sizeof sub, "loss (%s) per epoch", loss_names[kind]);
    svg_plot a = svg_panel(f, 80, 70, 500, panel_h, x0, x1, lo, hi, sub);
    svg_axes(&a, "epoch", "loss");
    svg_line(&a, h->n, h->epoch, h->train_loss, "#1f5fa8");
    svg_line(&a, h->n, h->epoch, h->test_loss, "#e4572e");
    svg_legend(&a, 0, "#1f5fa8", "train");
    svg_legend(&a, 1, "#e4572e", "test");
    if (classify) {
        range_of(h->n, h->train_acc, h->test_acc, &lo, &hi);
        hi = 100;
        svg_nice_range(&lo, &hi, 6);
        hi = hi > 100 ? 100 : hi;
        svg_plot b = svg_panel(f, 80, 70 + panel_h + gap, 500, panel_h, x0, x1, lo, hi,
                               "accuracy (%) per epoch");
        svg_axes(&b, "epoch", "accuracy (%)");
        svg_line(&b, h->n, h->epoch, h->train_acc, "#1f5fa8");
        svg_line(&b, h->n, h->epoch, h->test_acc, "#e4572e");
        svg_legend(&b, 2, "#1f5fa8", "train");
        svg_legend(&b, 3, "#e4572e", "test");
    }
    if (boundary) {
        static const char *const fill[] = {"#b9d3ee", "#f6c9a7", "#c6e5b3", "#e2c6ea", "#f3e2a0"};
        static const char *const dot[] = {"#1f5fa8", "#e4572e", "#3a923a", "#8e44ad", "#b8860b"};
        double bx0, bx1, by0, by1;
        bx0 = by0 = INFINITY;
        bx1 = by1 = -INFINITY;
        for (size_t i = 0; i < raw->n; i++) {
            const double u = raw->x[2 * i], v = raw->x[2 * i + 1];
            bx0 = u < bx0 ? u : bx0;
            bx1 = u > bx1 ? u : bx1;
            by0 = v < by0 ? v : by0;
            by1 = v > by1 ? v : by1;
        }
        svg_nice_range(&bx0, &bx1, 7);
        svg_nice_range(&by0, &by1, 6);
        const double top = 70 + 2 * (panel_h + gap);
        svg_plot c = svg_panel(f, 80, top, 500, panel_h + 160, bx0, bx1, by0, by1,
                               "decision regions (all rows; shade = predicted class)");
        const int g = 120;
        const double dx = (bx1 - bx0) / g, dy = (by1 - by0) / g;
        double y[MAX_CLASSES];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < g; j++) {
                double x[2] = {bx0 + (i + 0.5) * dx, by0 + (j + 0.5) * dy};
                for (int q = 0; info->mean && q < 2; q++)
                    x[q] = (x[q] - info->mean[q]) / info->scale[q];
                size_t cls;
                tg_mlp_predict(m, x, y);
                read_outputs(kind, tg_mlp_n_out(m), y, NAN, &cls, NULL);
                svg_cell(&c, bx0 + i * dx, by0 + j * dy, dx, dy, fill[cls % 5]);
            }
        for (size_t i = 0; i < raw->n; i++)
            svg_point(&c, raw->x[2 * i], raw->x[2 * i + 1], dot[(size_t)raw->y[i] % 5]);
        svg_axes(&c, p->table->names[p->features[0]], p->table->names[p->features[1]]);
        for (size_t k = 0; k < p->n_classes && k < 5; k++)
            svg_legend(&c, (int)k, dot[k], p->class_names[k]);
    }
    return svg_close(&a);
}

/* ---- Training ------------------------------------------------------------------------------ */

static int train(const options *o)
{
    loss_kind kind = o->loss;
    prepared p;
    int rc = 1;
    tg_dataset *train = NULL, *test = NULL;
    tg_tape *t = NULL;
    tg_mlp *m = NULL;
    tg_optim *opt = NULL;
    tg_var *out = NULL;
    double *target = NULL, *best = NULL, *mean = NULL, *scale = NULL;
    tg_batches batches = {0};
    history h = {0};
    tg_model_info info = {0};
    if (!prepare_training(o, &p, &kind))
        goto done;
    const size_t n_out = kind == L_SOFTMAX ? p.n_classes : 1;
    tg_rng rng;
    tg_rng_init(&rng, o->seed);
    const tg_status split =
        kind == L_MSE ? tg_dataset_split(p.data, o->test, &rng, &train, &test)
                      : tg_dataset_split_stratified(p.data, p.n_classes, o->test, &rng, &train,
                                                    &test);
    if (split != TG_OK || !train->n) {
        fprintf(stderr, "fit: no rows left to train on (%zu rows, --test %g)\n", p.data->n,
                o->test);
        goto done;
    }
    /* the statistics of the training rows only, applied to both parts (no test leakage) */
    if (o->standardize) {
        mean = malloc(p.n_in * sizeof *mean);
        scale = malloc(p.n_in * sizeof *scale);
        if (!mean || !scale || tg_standardize_fit(train, mean, scale) != TG_OK)
            goto nomem;
        tg_standardize_apply(train, mean, scale);
        tg_standardize_apply(test, mean, scale);
    }
    size_t sizes[MAX_HIDDEN + 1];
    tg_act acts[MAX_HIDDEN + 1];
    for (size_t l = 0; l < o->n_hidden; l++) {
        sizes[l] = o->hidden[l];
        acts[l] = tg_act_find(o->act);
    }
    sizes[o->n_hidden] = n_out;
    acts[o->n_hidden] = TG_ACT_IDENTITY; /* losses take raw scores / logits */
    tg_optim_kind okind = !strcmp(o->optim, "sgd")        ? TG_OPTIM_SGD
                          : !strcmp(o->optim, "momentum") ? TG_OPTIM_MOMENTUM
                                                          : TG_OPTIM_ADAM;
    t = tg_tape_new();
    m = t ? tg_mlp_new(t, p.n_in, o->n_hidden + 1, sizes, acts, tg_init_find(o->init), &rng)
          : NULL;
    tg_optim_config cfg = tg_optim_defaults(okind, o->lr);
    opt = m ? tg_optim_new(&cfg, tg_mlp_n_params(m)) : NULL;
    out = malloc(o->batch * n_out * sizeof *out);
    target = malloc(o->batch * n_out * sizeof *target);
    best = m ? malloc(tg_mlp_n_params(m) * sizeof *best) : NULL;
    h.epoch = malloc(5 * o->epochs * sizeof *h.epoch);
    if (!m || !opt || !out || !target || !best || !h.epoch ||
        tg_batches_init(&batches, train->n, o->batch, &rng) != TG_OK)
        goto nomem;
    h.train_loss = h.epoch + o->epochs;
    h.test_loss = h.train_loss + o->epochs;
    h.train_acc = h.test_loss + o->epochs;
    h.test_acc = h.train_acc + o->epochs;
    if (!o->quiet) {
        printf("%s: %zu rows (%zu train, %zu test), %zu features", o->data, p.data->n, train->n,
               test->n, p.n_in);
        if (kind != L_MSE)
            printf(", %zu classes", p.n_classes);
        printf("; %zu parameters, loss %s%s\n", tg_mlp_n_params(m), loss_names[kind],
               o->standardize ? ", standardized" : "");
    }
    tg_progress prog;
    tg_progress_init(&prog, o->epochs, o->quiet);
    const tg_mark mark = tg_tape_mark(t);
    double loss = NAN, acc = NAN, best_loss = INFINITY;
    size_t best_epoch = 0, since_best = 0;
    const size_t n_params = tg_mlp_n_params(m);
    for (size_t e = 0; e < o->epochs; e++) {
        const size_t *rows;
        size_t n;
        /* the epoch's loss and accuracy as the batches saw them (scikit-learn's loss_curve_);
         * a full pass over both parts only when a plot or early stopping needs it */
        double sum = 0.0, right = 0.0;
        while ((n = tg_batches_next(&batches, &rows)) > 0) {
            tg_var L = batch_loss(m, kind, train, rows, n, out, target);
            if (tg_backward(t, L) != TG_OK) {
                fprintf(stderr, "fit: %s\n", tg_tape_errmsg(t));
                goto done;
            }
            sum += tg_value(t, L) * (double)n;
            for (size_t i = 0; kind != L_MSE && i < n; i++) {
                double y[MAX_CLASSES];
                size_t cls;
                for (size_t c = 0; c < n_out; c++)
                    y[c] = tg_value(t, out[i * n_out + c]);
                read_outputs(kind, n_out, y, train->y[rows[i]], &cls, NULL);
                right += (double)cls == train->y[rows[i]];
            }
            tg_optim_step(opt, t, n_params, tg_mlp_params(m));
            tg_tape_rewind(t, mark);
        }
        tg_batches_reset(&batches);
        loss = sum / (double)train->n;
        acc = kind == L_MSE ? NAN : right / (double)train->n;
        double tl = NAN, ta = NAN;
        if (o->plot)
            evaluate(m, kind, train, &loss, &acc);
        if (o->plot || o->patience)
            evaluate(m, kind, test, &tl, &ta);
        h.epoch[h.n] = (double)(e + 1);
        h.train_loss[h.n] = loss;
        h.test_loss[h.n] = tl;
        h.train_acc[h.n] = 100 * acc;
        h.test_acc[h.n] = 100 * ta;
        h.n++;
        tg_progress_update(&prog, e + 1, loss, isnan(acc) ? -1.0 : acc);
        if (!o->quiet && !prog.enabled && (e % (o->epochs / 10 + 1) == 0 || e + 1 == o->epochs)) {
            printf("epoch %zu: train loss %.6g", e + 1, loss);
            if (!isnan(acc))
                printf(", accuracy %.2f%%", 100 * acc);
            printf("\n");
        }
        if (o->patience && test->n) {
            if (tl < best_loss) {
                best_loss = tl;
                best_epoch = e + 1;
                since_best = 0;
                for (size_t i = 0; i < n_params; i++)
                    best[i] = tg_value(t, tg_mlp_params(m)[i]);
            } else if (++since_best >= o->patience) {
                break;
            }
        }
    }
    tg_progress_done(&prog);
    if (o->patience && test->n && best_epoch) {
        for (size_t i = 0; i < n_params; i++)
            tg_set_value(t, tg_mlp_params(m)[i], best[i]);
    }
    evaluate(m, kind, train, &loss, &acc); /* the summary's train numbers: the final weights */
    if (o->patience && test->n && best_epoch) {
        if (!o->quiet)
            printf("early stop: kept epoch %zu of %zu (test loss did not improve for %zu)\n",
                   best_epoch, h.n, o->patience);
    }
    double test_loss = NAN, test_acc = NAN;
    evaluate(m, kind, test, &test_loss, &test_acc);
    /* the summary line: programs outside this repository read it, keep it exactly */
    printf("train: loss %.6g", loss);
    if (!isnan(acc))
        printf(", accuracy %.2f%%", 100 * acc);
    printf("   test: loss %.6g", test_loss);
    if (!isnan(test_acc))
        printf(", accuracy %.2f%%", 100 * test_acc);
    printf("\n");
    if (!o->quiet)
        report_metrics(stdout, m, kind, test->n ? test : train, p.class_names, p.n_classes,
                       test->n ? "test" : "train");

    info.task = p.task;
    info.loss = (char *)loss_names[kind];
    info.target = p.table->names[p.target];
    info.n_features = p.n_in;
    info.feature_names = malloc(p.n_in * sizeof *info.feature_names);
    if (!info.feature_names)
        goto nomem;
    for (size_t j = 0; j < p.n_in; j++)
        info.feature_names[j] = p.table->names[p.features[j]];
    info.n_classes = kind == L_MSE ? 0 : p.n_classes;
    info.class_names = p.class_names;
    info.mean = mean;
    info.scale = scale;
    rc = 0;
    if (tg_mlp_save_info(m, &info, o->model) != TG_OK) {
        fprintf(stderr, "fit: %s\n", tg_mlp_errmsg(m));
        rc = 1;
    } else if (!o->quiet) {
        printf("saved the model to %s\n", o->model);
    }
    if (o->plot) {
        if (!write_plot(o->plot, o->data, &h, m, kind, &p, p.data, &info)) {
            fprintf(stderr, "fit: cannot write %s\n", o->plot);
            rc = 1;
        } else if (!o->quiet) {
            printf("wrote %s\n", o->plot);
        }
    }
    if (o->verify && !rc) {
        /* the saved file must rebuild the same network and standardization: identical
         * predictions, bit for bit, on every row */
        tg_tape *t2 = tg_tape_new();
        tg_mlp *m2 = NULL;
        tg_model_info back;
        char err[300];
        if (tg_mlp_load_info(t2, o->model, &m2, &back, err, sizeof err) != TG_OK) {
            fprintf(stderr, "fit: --verify: %s\n", err);
            rc = 1;
        }
        double *x = malloc((p.n_in + 1) * sizeof *x);
        for (size_t i = 0; !rc && x && i < p.data->n; i++) {
            double y1[MAX_CLASSES], y2[MAX_CLASSES];
            for (size_t j = 0; j < p.n_in; j++) {
                x[j] = p.data->x[i * p.n_in + j];
                if (back.mean)
                    x[j] = (x[j] - back.mean[j]) / back.scale[j];
            }
            tg_mlp_predict(m2, x, y2);
            for (size_t j = 0; j < p.n_in; j++) {
                x[j] = p.data->x[i * p.n_in + j];
                if (mean)
                    x[j] = (x[j] - mean[j]) / scale[j];
            }
            tg_mlp_predict(m, x, y1);
            if (memcmp(y1, y2, n_out * sizeof *y1) != 0) {
                fprintf(stderr, "fit: --verify: row %zu predicts differently\n", i + 1);
                rc = 1;
            }
        }
        free(x);
        tg_model_info_clear(&back);
        tg_mlp_free(m2);
        tg_tape_free(t2);
    }
    const double goal_acc = test->n ? test_acc : acc, goal_loss = test->n ? test_loss : loss;
    if (o->min_acc >= 0 && !(goal_acc >= o->min_acc)) {
        fprintf(stderr, "fit: accuracy %.4f below the goal %.4f\n", goal_acc, o->min_acc);
        rc = 1;
    }
    if (!(goal_loss <= o->max_loss)) {
        fprintf(stderr, "fit: loss %.6g above the goal %.6g\n", goal_loss, o->max_loss);
        rc = 1;
    }
    goto done;
nomem:
    fprintf(stderr, "fit: cannot build the network (out of memory)\n");
    rc = 1;
done:
    free(info.feature_names); /* the rest of info is borrowed */
    free(out);
    free(target);
    free(best);
    free(mean);
    free(scale);
    free(h.epoch);
    tg_batches_clear(&batches);
    tg_optim_free(opt);
    tg_mlp_free(m);
    tg_tape_free(t);
    tg_dataset_free(train);
    tg_dataset_free(test);
    prepared_clear(&p);
    return rc;
}

/* ---- Prediction ------------------------------------------------------------------------------ */

/* The class of a label as the prediction file writes it: by name; through the file's own
 * count line (iris.csv's 0 is "setosa"); or numerically (the model's names "0", "1"). */
static int class_of_label(const tg_model_info *info, const tg_table *t, const char *cell,
                          size_t *cls)
{
    double v, w;
    const char *name = cell;
    if (t->n_classes && tg_field_number(cell, &v) && v >= 0 && v == floor(v) &&
        v < (double)t->n_classes)
        name = t->class_names[(size_t)v];
    for (size_t c = 0; c < info->n_classes; c++)
        if (info->class_names[c] && !strcmp(info->class_names[c], name)) {
            *cls = c;
            return 1;
        }
    for (size_t c = 0; tg_field_number(name, &v) && c < info->n_classes; c++)
        if (info->class_names[c] && tg_field_number(info->class_names[c], &w) && v == w) {
            *cls = c;
            return 1;
        }
    return 0;
}

/* Writes a CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void put_field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int predict(const options *o)
{
    char err[400];
    tg_tape *t = tg_tape_new();
    tg_mlp *m = NULL;
    tg_model_info info;
    tg_table *tab = NULL;
    FILE *out = stdout;
    int rc = 1;
    size_t *features = NULL, *truth = NULL, *pred = NULL;
    double *x = NULL, *labels = NULL, *values = NULL;
    if (!t || tg_mlp_load_info(t, o->model, &m, &info, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", t ? err : "out of memory");
        tg_tape_free(t);
        return 1;
    }
    const size_t n_in = tg_mlp_n_in(m), k = tg_mlp_n_out(m);
    loss_kind kind = L_AUTO;
    for (size_t i = 1; i < 5; i++)
        if (info.loss && !strcmp(info.loss, loss_names[i]))
            kind = (loss_kind)i;
    if (kind == L_AUTO) {
        /* a version-1 file records no loss: the caller must say it, as the old fit needed */
        if (o->loss == L_AUTO) {
            fprintf(stderr,
                    "fit: %s is a model file of an older fit that does not record its loss; "
                    "give --loss mse|bce|hinge|softmax, or train it again to store it\n",
                    o->model);
            goto done;
        }
        kind = o->loss;
    }
    if ((kind == L_SOFTMAX) != (k > 1)) {
        fprintf(stderr, "fit: %s has %zu outputs, which --loss %s cannot read\n", o->model, k,
                loss_names[kind]);
        goto done;
    }
    if (kind != L_MSE && !info.n_classes) {
        /* old file: classes are numbered */
        info.n_classes = kind == L_SOFTMAX ? k : 2;
        info.class_names = calloc(info.n_classes, sizeof *info.class_names);
        for (size_t c = 0; info.class_names && c < info.n_classes; c++) {
            char buf[24]; /* the labels the old fit took: 0/1, -1/+1, 0..k-1 */
            snprintf(buf, sizeof buf, "%d", kind == L_HINGE && c == 0 ? -1 : (int)c);
            info.class_names[c] = copy_string(buf);
        }
        if (!info.class_names)
            goto done;
    }
    if (tg_table_read(o->data, o->header, &tab, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", err);
        goto done;
    }
    /* which columns are the features: by the model's names when the file names its columns,
     * else by position; the label column is the one left over, if any */
    features = malloc((n_in + 1) * sizeof *features);
    if (!features)
        goto done;
    size_t label_col = tab->n_cols;
    int by_name = tab->header == TG_CSV_NAMES && info.n_features == n_in;
    for (size_t j = 0; by_name && j < n_in; j++)
        by_name = info.feature_names[j] &&
                  tg_table_column(tab, info.feature_names[j]) < tab->n_cols;
    if (by_name) {
        for (size_t j = 0; j < n_in; j++)
            features[j] = tg_table_column(tab, info.feature_names[j]);
        if (info.target && tg_table_column(tab, info.target) < tab->n_cols)
            label_col = tg_table_column(tab, info.target);
    } else if (tab->n_cols == n_in || tab->n_cols == n_in + 1) {
        size_t lc = tab->n_cols == n_in + 1 ? tab->n_cols - 1 : tab->n_cols;
        if (tab->n_cols == n_in + 1 && info.target && tab->header == TG_CSV_NAMES &&
            tg_table_column(tab, info.target) < tab->n_cols)
            lc = tg_table_column(tab, info.target);
        label_col = lc;
        for (size_t c = 0, j = 0; c < tab->n_cols; c++)
            if (c != label_col)
                features[j++] = c;
    } else {
        fprintf(stderr,
                "fit: %s has %zu columns; the model takes %zu features (the file may add the "
                "label column%s%s)\n",
                o->data, tab->n_cols, n_in, info.target ? " " : "", info.target ? info.target : "");
        goto done;
    }
    const size_t n = tab->n_rows;
    x = malloc((n_in + 1) * sizeof *x);
    truth = malloc((n + 1) * sizeof *truth);
    pred = malloc((n + 1) * sizeof *pred);
    labels = malloc((n + 1) * sizeof *labels);
    values = malloc((n + 1) * sizeof *values);
    if (!x || !truth || !pred || !labels || !values)
        goto done;
    if (o->out && !(out = fopen(o->out, "w"))) {
        fprintf(stderr, "fit: cannot write %s\n", o->out);
        out = stdout;
        goto done;
    }
    /* header: the input columns, then the prediction and the probabilities */
    for (size_t c = 0; c < tab->n_cols; c++) {
        put_field(out, tab->names[c]);
        fputc(',', out);
    }
    fputs(kind == L_HINGE ? "prediction,score" : "prediction", out);
    for (size_t c = 0; kind != L_MSE && kind != L_HINGE && c < info.n_classes; c++) {
        fputs(",p_", out);
        put_field(out, info.class_names[c]);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n_in; j++) {
            const size_t c = features[j];
            const char *cell = tab->cells[i * tab->n_cols + c];
            if (!tg_field_number(cell, &x[j])) {
                fprintf(stderr, "fit: %s:%zu: column %zu (%s): \"%s\" is not a finite number\n",
                        o->data, tab->line[i], c + 1, tab->names[c], cell);
                goto done;
            }
            if (info.mean)
                x[j] = (x[j] - info.mean[j]) / info.scale[j];
        }
        double y[MAX_CLASSES], prob[MAX_CLASSES];
        size_t cls;
        if (tg_mlp_predict(m, x, y) != TG_OK) {
            fprintf(stderr, "fit: %s\n", tg_tape_errmsg(t));
            goto done;
        }
        read_outputs(kind, k, y, 0.0, &cls, prob);
        pred[i] = cls;
        values[i] = y[0];
        for (size_t c = 0; c < tab->n_cols; c++) {
            put_field(out, tab->cells[i * tab->n_cols + c]);
            fputc(',', out);
        }
        if (kind == L_MSE) {
            fprintf(out, "%.17g", y[0]);
        } else {
            put_field(out, info.class_names[cls]);
            if (kind == L_HINGE)
                fprintf(out, ",%.17g", y[0]);
            for (size_t c = 0; kind != L_HINGE && c < info.n_classes; c++)
                fprintf(out, ",%.6g", prob[c]);
        }
        fputc('\n', out);
        if (label_col < tab->n_cols) {
            const char *cell = tab->cells[i * tab->n_cols + label_col];
            if (kind == L_MSE ? !tg_field_number(cell, &labels[i])
                              : !class_of_label(&info, tab, cell, &truth[i])) {
                fprintf(stderr, "fit: %s:%zu: label \"%s\" is not %s\n", o->data, tab->line[i],
                        cell, kind == L_MSE ? "a number" : "one of the model's classes");
                goto done;
            }
        }
    }
    if (label_col < tab->n_cols && n) {
        if (kind == L_MSE) {
            double mse, mae, r2;
            tg_regression_metrics(n, values, labels, &mse, &mae, &r2);
            fprintf(stderr, "%s: MSE %.6g, MAE %.6g, R^2 %.4f (%zu rows)\n", o->data, mse, mae, r2,
                    n);
        } else {
            /* the metrics of report_metrics, from the labels of this file */
            tg_dataset *d = tg_dataset_new(n, n_in, 1);
            if (!d)
                goto done;
            size_t right = 0;
            for (size_t i = 0; i < n; i++)
                right += truth[i] == pred[i];
            fprintf(stderr, "%s: accuracy %.2f%% (%zu of %zu rows)\n", o->data,
                    100.0 * (double)right / (double)n, right, n);
            for (size_t i = 0; i < n; i++) {
                d->y[i] = (double)truth[i];
                for (size_t j = 0; j < n_in; j++) {
                    double v;
                    tg_field_number(tab->cells[i * tab->n_cols + features[j]], &v);
                    d->x[i * n_in + j] = info.mean ? (v - info.mean[j]) / info.scale[j] : v;
                }
            }
            report_metrics(stderr, m, kind, d, info.class_names, info.n_classes, o->data);
            tg_dataset_free(d);
        }
    }
    rc = 0;
done:
    if (out != stdout && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "fit: cannot write %s\n", o->out);
        rc = 1;
    }
    free(features);
    free(x);
    free(truth);
    free(pred);
    free(labels);
    free(values);
    tg_table_free(tab);
    tg_model_info_clear(&info);
    tg_mlp_free(m);
    tg_tape_free(t);
    return rc;
}

/* --info: the model's shapes and information, every number with 17 digits (exact). */
static int describe(const options *o)
{
    char err[400];
    tg_tape *t = tg_tape_new();
    tg_mlp *m = NULL;
    tg_model_info info;
    if (!t || tg_mlp_load_info(t, o->model, &m, &info, err, sizeof err) != TG_OK) {
        fprintf(stderr, "fit: %s\n", t ? err : "out of memory");
        tg_tape_free(t);
        return 1;
    }
    static const char *const tasks[] = {"unknown (a file of an older fit)", "regression",
                                        "binary classification", "multi-class classification"};
    printf("%s: %zu inputs", o->model, tg_mlp_n_in(m));
    for (size_t l = 0; l < tg_mlp_n_layers(m); l++)
        printf(" -> %zu %s", tg_mlp_layer_size(m, l), tg_act_name(tg_mlp_layer_act(m, l)));
    printf(", %zu parameters\n", tg_mlp_n_params(m));
    printf("task: %s, loss %s, label column %s\n", tasks[info.task],
           info.loss ? info.loss : "unknown", info.target ? info.target : "unknown");
    if (info.n_classes) {
        printf("classes:");
        for (size_t c = 0; c < info.n_classes; c++)
            printf(" %s", info.class_names[c] ? info.class_names[c] : "\"\"");
        printf("\n");
    }
    printf("features%s:\n", info.mean ? " (standardized: input = (x - mean) / scale)" : "");
    for (size_t j = 0; j < tg_mlp_n_in(m); j++) {
        printf("  %s", j < info.n_features && info.feature_names[j] ? info.feature_names[j] : "?");
        if (info.mean)
            printf(" mean %.17g scale %.17g", info.mean[j], info.scale[j]);
        printf("\n");
    }
    tg_model_info_clear(&info);
    tg_mlp_free(m);
    tg_tape_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    const int r = parse_args(argc, argv, &o);
    if (r)
        return r == 1 ? 0 : 2;
    return o.info ? describe(&o) : o.predict ? predict(&o) : train(&o);
}
