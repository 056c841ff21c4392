/* big.c: W2-big, W2's recipe at a scale where the tape leaves the caches: MLP(2, [64, 64, 1])
 * on 1,000 moons points (500 a moon, t = pi i / 499, the same generators, seeds and order as
 * WORKLOADS.md's W2), hinge loss, L2 regularisation, SGD; about 8.7 million op nodes a step.
 * Not a WORKLOADS.md workload: its results are checked by agreement, tapegrad against this
 * file's hand-written C, bit for bit (same operations in the same order). Both peers are here
 * because they share the shape; timing is bench.c's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tapegrad.h"

#define BIG_POINTS 1000
#define BIG_LAYERS 3
static const int big_nin[BIG_LAYERS] = {2, 64, 64}, big_nout[BIG_LAYERS] = {64, 64, 1};
#define BIG_HIDDEN 64
#define BIG_PARAMS (64 * 3 + 64 * 65 + 65)

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
static double u01(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1p-53;
}

/* What both peers start from. */
typedef struct big_data {
    double x[BIG_POINTS][2], y[BIG_POINTS];
    double init[BIG_PARAMS];
} big_data;

static void big_data_make(big_data *d)
{
    const double pi = 3.141592653589793;
    const int half = BIG_POINTS / 2;
    uint64_t state = 42;
    for (int moon = 0; moon < 2; moon++)
        for (int i = 0; i < half; i++) {
            const double t = pi * i / (half - 1);
            const double nx = 0.1 * (2.0 * u01(&state) - 1.0);
            const double ny = 0.1 * (2.0 * u01(&state) - 1.0);
            const int p = moon * half + i;
            d->x[p][0] = moon ? 1.0 - cos(t) + nx : cos(t) + nx;
            d->x[p][1] = moon ? 0.5 - sin(t) + ny : sin(t) + ny;
            d->y[p] = moon ? 1.0 : -1.0;
        }
    state = 1337;
    int k = 0;
    for (int layer = 0; layer < BIG_LAYERS; layer++)
        for (int n = 0; n < big_nout[layer]; n++) {
            for (int i = 0; i < big_nin[layer]; i++)
                d->init[k++] = 2.0 * u01(&state) - 1.0;
            d->init[k++] = 0.0;
        }
}

/* Op nodes a step: per point each neuron nin muls, nin adds (+ relu in the hidden layers),
 * then the hinge's 3; the data-loss sum and scale; the regularisation; the final add. */
static size_t big_op_nodes(void)
{
    size_t per_point = 3;
    for (int l = 0; l < BIG_LAYERS; l++)
        per_point += (size_t)big_nout[l] * (2 * (size_t)big_nin[l] + (l < BIG_LAYERS - 1));
    return per_point * BIG_POINTS + (BIG_POINTS + 1) + (2 * BIG_PARAMS + 1) + 1;
}

static double big_lr(int k)
{
    return 1.0 - (0.9 * k) / 100;
}

/* ---- tapegrad ---------------------------------------------------------------------------- */

typedef struct tg_big {
    tg_tape *t;
    big_data d;
    tg_var p[BIG_PARAMS], x[BIG_POINTS][2], neg_y[BIG_POINTS];
    tg_var zero, one, scale, alpha;
    tg_var loss[BIG_POINTS];
    tg_mark mark;
    double mark_bytes, bytes;
    size_t op_nodes;
    tg_var L; /* replay mode */
} tg_big;

static void *tg_big_make(void)
{
    tg_big *c = calloc(1, sizeof *c);
    if (!c || !(c->t = tg_tape_new())) {
        free(c);
        return NULL;
    }
    big_data_make(&c->d);
    for (int i = 0; i < BIG_PARAMS; i++)
        c->p[i] = tg_input(c->t, c->d.init[i]);
    for (int i = 0; i < BIG_POINTS; i++) {
        c->x[i][0] = tg_const(c->t, c->d.x[i][0]);
        c->x[i][1] = tg_const(c->t, c->d.x[i][1]);
        c->neg_y[i] = tg_const(c->t, -c->d.y[i]);
    }
    c->zero = tg_const(c->t, 0.0);
    c->one = tg_const(c->t, 1.0);
    c->scale = tg_const(c->t, 1.0 / BIG_POINTS);
    c->alpha = tg_const(c->t, 1e-4);
    c->mark = tg_tape_mark(c->t);
    tg_tape_stats s;
    tg_tape_get_stats(c->t, &s);
    c->mark_bytes = (double)s.bytes_used;
    return c;
}

static void tg_big_destroy(void *ctx)
{
    tg_big *c = ctx;
    tg_tape_free(c->t);
    free(c);
}

static void tg_big_init(void *ctx)
{
    tg_big *c = ctx;
    tg_tape_rewind(c->t, c->mark);
    for (int i = 0; i < BIG_PARAMS; i++)
        tg_set_value(c->t, c->p[i], c->d.init[i]);
}

/* W2's loss, in W2's order, at this size. */
static tg_var tg_big_loss(tg_big *c)
{
    tg_tape *t = c->t;
    for (int i = 0; i < BIG_POINTS; i++) {
        tg_var buf[2][BIG_HIDDEN];
        const tg_var *in = c->x[i], *w = c->p;
        tg_var *out = buf[0];
        for (int layer = 0; layer < BIG_LAYERS; layer++) {
            const int nin = big_nin[layer];
            for (int n = 0; n < big_nout[layer]; n++, w += nin + 1) {
                tg_var act = w[nin];
                for (int k = 0; k < nin; k++)
                    act = tg_add(t, act, tg_mul(t, w[k], in[k]));
                out[n] = layer < BIG_LAYERS - 1 ? tg_relu(t, act) : act;
            }
            in = out;
            out = out == buf[0] ? buf[1] : buf[0];
        }
        c->loss[i] = tg_relu(t, tg_add(t, c->one, tg_mul(t, c->neg_y[i], in[0])));
    }
    tg_var data = c->zero, reg = c->zero;
    for (int i = 0; i < BIG_POINTS; i++)
        data = tg_add(t, data, c->loss[i]);
    data = tg_mul(t, data, c->scale);
    for (int i = 0; i < BIG_PARAMS; i++)
        reg = tg_add(t, reg, tg_mul(t, c->p[i], c->p[i]));
    reg = tg_mul(t, c->alpha, reg);
    return tg_add(t, data, reg);
}

static void tg_big_count(tg_big *c)
{
    tg_tape_stats s;
    tg_tape_get_stats(c->t, &s);
    c->op_nodes = s.n_nodes - c->mark.n_nodes;
    c->bytes = (double)s.bytes_used - c->mark_bytes;
}

static double tg_big_update(tg_big *c, tg_var L, int k, double *grads)
{
    tg_tape *t = c->t;
    tg_backward(t, L);
    const double loss = tg_value(t, L), lr = big_lr(k);
    for (int i = 0; i < BIG_PARAMS; i++) {
        const double g = tg_grad(t, c->p[i]);
        if (grads && i < MLP_N_PARAMS)
            grads[i] = g;
        tg_set_value(t, c->p[i], tg_value(t, c->p[i]) - lr * g);
    }
    return loss;
}

static double tg_big_step(void *ctx, int k, double *grads)
{
    tg_big *c = ctx;
    const tg_var L = tg_big_loss(c);
    tg_big_count(c);
    const double loss = tg_big_update(c, L, k, grads);
    tg_tape_rewind(c->t, c->mark);
    return loss;
}

static void tg_big_init_reuse(void *ctx)
{
    tg_big *c = ctx;
    tg_big_init(c);
    c->L = tg_big_loss(c);
    tg_big_count(c);
}

static double tg_big_step_reuse(void *ctx, int k, double *grads)
{
    tg_big *c = ctx;
    tg_tape_forward(c->t);
    return tg_big_update(c, c->L, k, grads);
}

static size_t tg_big_op_nodes(void *ctx)
{
    return ((tg_big *)ctx)->op_nodes;
}
static double tg_big_bytes(void *ctx)
{
    return ((tg_big *)ctx)->bytes;
}
static size_t no_args(void *ctx)
{
    (void)ctx;
    return 0;
}

const w2_peer tg_w2_big_peer = {"tapegrad",      "W2-big",     tg_big_make,  tg_big_init,
                                tg_big_step,     tg_big_op_nodes, tg_big_bytes, no_args,
                                tg_big_destroy,  tg_big_init_reuse, tg_big_step_reuse};

/* ---- hand-written C ---------------------------------------------------------------------- */

typedef struct hand_big {
    big_data d;
    double p[BIG_PARAMS], g[BIG_PARAMS];
    double h1[BIG_POINTS][BIG_HIDDEN], h2[BIG_POINTS][BIG_HIDDEN], pre[BIG_POINTS];
} hand_big;

static void *hand_big_make(void)
{
    hand_big *c = calloc(1, sizeof *c);
    if (c)
        big_data_make(&c->d);
    return c;
}
static void hand_big_destroy(void *ctx)
{
    free(ctx);
}
static void hand_big_init(void *ctx)
{
    hand_big *c = ctx;
    memcpy(c->p, c->d.init, sizeof c->p);
}

static double relu(double v)
{
    return v > 0.0 ? v : 0.0;
}
static double step01(double v)
{
    return v > 0.0 ? 1.0 : 0.0;
}

/* act = b; act = act + w[0]*in[0]; ... */
static double neuron(const double *w, int nin, const double *in)
{
    double act = w[nin];
    for (int k = 0; k < nin; k++)
        act = act + w[k] * in[k];
    return act;
}
/* act = b + sum_k w_k in_k:  dw_k += dact in_k,  din_k += dact w_k,  db += dact; k downwards,
 * as the reverse sweep meets the adds. */
static void neuron_back(const double *w, double *gw, int nin, const double *in, double *gin,
                        double gact)
{
    for (int k = nin; k-- > 0;) {
        gw[k] += gact * in[k];
        if (gin)
            gin[k] += gact * w[k];
    }
    gw[nin] += gact;
}

#define L2_OFF (BIG_HIDDEN * 3)
#define L3_OFF (L2_OFF + BIG_HIDDEN * (BIG_HIDDEN + 1))

static double hand_big_step(void *ctx, int step, double *grads)
{
    hand_big *c = ctx;
    double *p = c->p, *g = c->g;
    memset(g, 0, sizeof c->g);
    for (int i = 0; i < BIG_POINTS; i++) {
        for (int n = 0; n < BIG_HIDDEN; n++)
            c->h1[i][n] = relu(neuron(p + 3 * n, 2, c->d.x[i]));
        for (int n = 0; n < BIG_HIDDEN; n++)
            c->h2[i][n] = relu(neuron(p + L2_OFF + (BIG_HIDDEN + 1) * n, BIG_HIDDEN, c->h1[i]));
        c->pre[i] = 1.0 + (-c->d.y[i]) * neuron(p + L3_OFF, BIG_HIDDEN, c->h2[i]);
    }
    double data = 0.0, reg = 0.0;
    for (int i = 0; i < BIG_POINTS; i++)
        data = data + relu(c->pre[i]);
    const double scale = 1.0 / BIG_POINTS, alpha = 1e-4;
    data = data * scale;
    for (int k = 0; k < BIG_PARAMS; k++)
        reg = reg + p[k] * p[k];
    reg = alpha * reg;
    const double L = data + reg;
    /* backward, as hand.c's W2 */
    const double gr = 1.0 * alpha;
    for (int k = BIG_PARAMS; k-- > 0;) {
        g[k] += gr * p[k];
        g[k] += gr * p[k];
    }
    const double gs = 1.0 * scale;
    for (int i = BIG_POINTS; i-- > 0;) {
        const double gscore = gs * step01(c->pre[i]) * (-c->d.y[i]);
        double gh2[BIG_HIDDEN] = {0}, gh1[BIG_HIDDEN] = {0};
        neuron_back(p + L3_OFF, g + L3_OFF, BIG_HIDDEN, c->h2[i], gh2, gscore);
        for (int n = BIG_HIDDEN; n-- > 0;)
            neuron_back(p + L2_OFF + (BIG_HIDDEN + 1) * n, g + L2_OFF + (BIG_HIDDEN + 1) * n,
                        BIG_HIDDEN, c->h1[i], gh1, gh2[n] * step01(c->h2[i][n]));
        for (int n = BIG_HIDDEN; n-- > 0;)
            neuron_back(p + 3 * n, g + 3 * n, 2, c->d.x[i], NULL, gh1[n] * step01(c->h1[i][n]));
    }
    if (grads)
        memcpy(grads, g, MLP_N_PARAMS * sizeof *g);
    const double lr = big_lr(step);
    for (int k = 0; k < BIG_PARAMS; k++)
        p[k] = p[k] - lr * g[k];
    return L;
}

static size_t hand_big_op_nodes(void *ctx)
{
    (void)ctx;
    return big_op_nodes();
}
static double hand_big_bytes(void *ctx)
{
    hand_big *c = ctx;
    return (double)(sizeof c->h1 + sizeof c->h2 + sizeof c->pre);
}

const w2_peer hand_w2_big_peer = {"hand-C",         "W2-big",          hand_big_make,
                                  hand_big_init,    hand_big_step,     hand_big_op_nodes,
                                  hand_big_bytes,   no_args,           hand_big_destroy,
                                  hand_big_init,    hand_big_step};
