/* data.c: datasets (XOR, moons, circles, spirals, sine), train/test split, minibatches and
 * metrics on plain numbers. Uses only the public headers. The CSV loader is csv.c; the
 * generators draw from the seeded generator of rng.c, so a seed gives the same data anywhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

static const double pi = 3.141592653589793; /* the binary64 nearest pi, as WORKLOADS.md */

tg_dataset *tg_dataset_new(size_t n, size_t n_in, size_t n_out)
{
    if (n_in == 0 || n_out == 0 || n > SIZE_MAX / 8 / (n_in + n_out))
        return NULL;
    tg_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->n = n;
    d->n_in = n_in;
    d->n_out = n_out;
    d->x = calloc(n * n_in + 1, sizeof *d->x);
    d->y = calloc(n * n_out + 1, sizeof *d->y);
    if (!d->x || !d->y) {
        tg_dataset_free(d);
        return NULL;
    }
    return d;
}

void tg_dataset_free(tg_dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    free(d);
}

tg_dataset *tg_dataset_xor(void)
{
    static const double x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    tg_dataset *d = tg_dataset_new(4, 2, 1);
    if (d) {
        memcpy(d->x, x, sizeof x);
        memcpy(d->y, y, sizeof y);
    }
    return d;
}

/* The noise of every generator: noise (2u - 1), x's draw first, then y's (WORKLOADS.md W2). */
static void put_point(tg_dataset *d, size_t i, double x, double y, double label, double noise,
                      tg_rng *rng)
{
    const double nx = noise * (2.0 * tg_rng_u01(rng) - 1.0);
    const double ny = noise * (2.0 * tg_rng_u01(rng) - 1.0);
    d->x[2 * i] = x + nx;
    d->x[2 * i + 1] = y + ny;
    d->y[i] = label;
}

tg_dataset *tg_dataset_moons(size_t n, double noise, tg_rng *rng)
{
    if (n < 4 || n % 2 || !rng)
        return NULL;
    tg_dataset *d = tg_dataset_new(n, 2, 1);
    if (!d)
        return NULL;
    const size_t h = n / 2;
    for (size_t i = 0; i < h; i++) {
        const double t = pi * (double)i / (double)(h - 1);
        put_point(d, i, cos(t), sin(t), -1.0, noise, rng);
    }
    for (size_t i = 0; i < h; i++) {
        const double t = pi * (double)i / (double)(h - 1);
        put_point(d, h + i, 1.0 - cos(t), 0.5 - sin(t), 1.0, noise, rng);
    }
    return d;
}

tg_dataset *tg_dataset_circles(size_t n, double noise, double factor, tg_rng *rng)
{
    if (n < 4 || n % 2 || !rng || !(factor > 0.0 && factor < 1.0))
        return NULL;
    tg_dataset *d = tg_dataset_new(n, 2, 1);
    if (!d)
        return NULL;
    const size_t h = n / 2;
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; i < h; i++) {
            const double t = 2.0 * pi * (double)i / (double)h, r = c ? factor : 1.0;
            put_point(d, c * h + i, r * cos(t), r * sin(t), c ? 1.0 : -1.0, noise, rng);
        }
    return d;
}

tg_dataset *tg_dataset_spirals(size_t n, double noise, tg_rng *rng)
{
    if (n < 4 || n % 2 || !rng)
        return NULL;
    tg_dataset *d = tg_dataset_new(n, 2, 1);
    if (!d)
        return NULL;
    const size_t h = n / 2;
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; i < h; i++) {
            const double r = (double)i / (double)h, a = 3.0 * pi * r + (c ? pi : 0.0);
            put_point(d, c * h + i, r * cos(a), r * sin(a), c ? 1.0 : -1.0, noise, rng);
        }
    return d;
}

tg_dataset *tg_dataset_sine(size_t n, double lo, double hi)
{
    if (n < 2 || !(lo < hi))
        return NULL;
    tg_dataset *d = tg_dataset_new(n, 1, 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        d->x[i] = lo + (hi - lo) * (double)i / (double)(n - 1);
        d->y[i] = sin(d->x[i]);
    }
    return d;
}

void tg_dataset_relabel(tg_dataset *d, double from, double to)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n * d->n_out; i++)
        if (d->y[i] == from)
            d->y[i] = to;
}

static void copy_rows(tg_dataset *dst, const tg_dataset *src, const size_t *rows)
{
    for (size_t i = 0; i < dst->n; i++) {
        memcpy(dst->x + i * src->n_in, src->x + rows[i] * src->n_in, src->n_in * sizeof *src->x);
        memcpy(dst->y + i * src->n_out, src->y + rows[i] * src->n_out, src->n_out * sizeof *src->y);
    }
}

tg_status tg_dataset_split(const tg_dataset *d, double test_frac, tg_rng *rng, tg_dataset **train,
                           tg_dataset **test)
{
    if (!d || !rng || !train || !test || !(test_frac >= 0.0 && test_frac <= 1.0))
        return TG_ERR_ARG;
    *train = *test = NULL;
    const size_t n_test = (size_t)floor((double)d->n * test_frac + 0.5);
    size_t *order = malloc((d->n + 1) * sizeof *order);
    tg_dataset *a = tg_dataset_new(d->n - n_test, d->n_in, d->n_out);
    tg_dataset *b = tg_dataset_new(n_test, d->n_in, d->n_out);
    if (!order || !a || !b) {
        free(order);
        tg_dataset_free(a);
        tg_dataset_free(b);
        return TG_ERR_NOMEM;
    }
    for (size_t i = 0; i < d->n; i++)
        order[i] = i;
    tg_rng_shuffle(rng, d->n, order);
    copy_rows(a, d, order);
    copy_rows(b, d, order + a->n);
    free(order);
    *train = a;
    *test = b;
    return TG_OK;
}

/* ---- Minibatches ------------------------------------------------------------------------- */

tg_status tg_batches_init(tg_batches *b, size_t n, size_t batch, tg_rng *rng)
{
    if (!b || batch == 0 || !rng)
        return TG_ERR_ARG;
    b->order = malloc((n + 1) * sizeof *b->order);
    if (!b->order)
        return TG_ERR_NOMEM;
    b->n = n;
    b->batch = batch;
    b->rng = rng;
    for (size_t i = 0; i < n; i++)
        b->order[i] = i;
    tg_batches_reset(b);
    return TG_OK;
}

void tg_batches_reset(tg_batches *b)
{
    if (!b || !b->order)
        return;
    tg_rng_shuffle(b->rng, b->n, b->order);
    b->pos = 0;
}

size_t tg_batches_next(tg_batches *b, const size_t **rows)
{
    if (!b || !b->order || b->pos >= b->n)
        return 0;
    const size_t k = b->n - b->pos < b->batch ? b->n - b->pos : b->batch;
    *rows = b->order + b->pos;
    b->pos += k;
    return k;
}

void tg_batches_clear(tg_batches *b)
{
    if (!b)
        return;
    free(b->order);
    b->order = NULL;
    b->n = b->pos = 0;
}

/* ---- Metrics ------------------------------------------------------------------------------- */

double tg_metric_accuracy_binary(size_t n, const double *score, const double *y, double threshold)
{
    if (n == 0)
        return NAN;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += (score[i] > threshold) == (y[i] > threshold);
    return (double)ok / (double)n;
}

double tg_metric_accuracy_argmax(size_t n, size_t k, const double *score, const double *label)
{
    if (n == 0 || k == 0)
        return NAN;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (score[i * k + c] > score[i * k + best])
                best = c;
        ok += (double)best == label[i];
    }
    return (double)ok / (double)n;
}

double tg_metric_mse(size_t n, const double *pred, const double *y)
{
    if (n == 0)
        return NAN;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (pred[i] - y[i]) * (pred[i] - y[i]);
    return s / (double)n;
}

void tg_confusion(size_t n, size_t k, const size_t *truth, const size_t *pred, size_t *counts)
{
    if (!counts)
        return;
    memset(counts, 0, k * k * sizeof *counts);
    for (size_t i = 0; truth && pred && i < n; i++)
        if (truth[i] < k && pred[i] < k)
            counts[truth[i] * k + pred[i]]++;
}

void tg_regression_metrics(size_t n, const double *pred, const double *y, double *mse,
                           double *mae, double *r2)
{
    double se = 0.0, ae = 0.0, mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        se += (pred[i] - y[i]) * (pred[i] - y[i]);
        ae += fabs(pred[i] - y[i]);
        mean += y[i];
    }
    mean = n ? mean / (double)n : NAN;
    for (size_t i = 0; i < n; i++)
        ss += (y[i] - mean) * (y[i] - mean);
    if (mse)
        *mse = n ? se / (double)n : NAN;
    if (mae)
        *mae = n ? ae / (double)n : NAN;
    if (r2)
        *r2 = n && ss > 0.0 ? 1.0 - se / ss : NAN;
}

/* ---- Standardization and the stratified split ---------------------------------------------- */

tg_status tg_standardize_fit(const tg_dataset *d, double *mean, double *scale)
{
    if (!d || !mean || !scale || d->n == 0)
        return TG_ERR_ARG;
    for (size_t j = 0; j < d->n_in; j++) {
        double s = 0.0, ss = 0.0;
        for (size_t i = 0; i < d->n; i++)
            s += d->x[i * d->n_in + j];
        const double m = s / (double)d->n;
        for (size_t i = 0; i < d->n; i++) {
            const double e = d->x[i * d->n_in + j] - m;
            ss += e * e;
        }
        const double sd = sqrt(ss / (double)d->n);
        mean[j] = m;
        /* a constant column (or one whose spread is lost in rounding) keeps its scale */
        scale[j] = sd > 0.0 && isfinite(sd) ? sd : 1.0;
    }
    return TG_OK;
}

void tg_standardize_apply(tg_dataset *d, const double *mean, const double *scale)
{
    if (!d || !mean || !scale)
        return;
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < d->n_in; j++)
            d->x[i * d->n_in + j] = (d->x[i * d->n_in + j] - mean[j]) / scale[j];
}

tg_status tg_dataset_split_stratified(const tg_dataset *d, size_t n_classes, double test_frac,
                                      tg_rng *rng, tg_dataset **train, tg_dataset **test)
{
    if (!d || !rng || !train || !test || n_classes == 0 || !(test_frac >= 0.0 && test_frac <= 1.0))
        return TG_ERR_ARG;
    *train = *test = NULL;
    for (size_t i = 0; i < d->n; i++) {
        const double c = d->y[i * d->n_out];
        if (!(c >= 0 && c < (double)n_classes && c == floor(c)))
            return TG_ERR_ARG;
    }
    size_t *order = malloc((d->n + 1) * sizeof *order), *rows = malloc((d->n + 1) * sizeof *rows);
    size_t n_test = 0, n_train = 0;
    if (!order || !rows) {
        free(order);
        free(rows);
        return TG_ERR_NOMEM;
    }
    /* rows[0 .. n_test) test, rows[n_train_start ..) train, filled class by class */
    size_t *test_rows = rows, *train_rows = order;
    for (size_t c = 0; c < n_classes; c++) {
        size_t n_c = 0;
        size_t *mine = train_rows + n_train; /* this class's rows, gathered at the train end */
        for (size_t i = 0; i < d->n; i++)
            if ((size_t)d->y[i * d->n_out] == c)
                mine[n_c++] = i;
        tg_rng_shuffle(rng, n_c, mine);
        const size_t k = (size_t)floor((double)n_c * test_frac + 0.5);
        for (size_t i = 0; i < k; i++)
            test_rows[n_test++] = mine[i];
        memmove(mine, mine + k, (n_c - k) * sizeof *mine);
        n_train += n_c - k;
    }
    tg_rng_shuffle(rng, n_train, train_rows);
    tg_rng_shuffle(rng, n_test, test_rows);
    tg_dataset *a = tg_dataset_new(n_train, d->n_in, d->n_out);
    tg_dataset *b = tg_dataset_new(n_test, d->n_in, d->n_out);
    if (!a || !b) {
        free(order);
        free(rows);
        tg_dataset_free(a);
        tg_dataset_free(b);
        return TG_ERR_NOMEM;
    }
    copy_rows(a, d, train_rows);
    copy_rows(b, d, test_rows);
    free(order);
    free(rows);
    *train = a;
    *test = b;
    return TG_OK;
}
