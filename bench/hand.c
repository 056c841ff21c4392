/* hand.c: the hand-written C peers: each workload's forward over plain arrays, storing only
 * what its hand-derived backward needs, then that backward; no graph. The arithmetic is the
 * one WORKLOADS.md defines, in the order a reverse sweep would do it, so the results are the
 * same bits as tapegrad's. Timing and checking are bench.c's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Leaves are read through a volatile so that the compiler cannot fold the workload away. */
static double opaque(double v)
{
    volatile double x = v;
    return x;
}

static double relu(double v)
{
    return v > 0.0 ? v : 0.0;
}
static double step01(double v)
{
    return v > 0.0 ? 1.0 : 0.0;
} /* relu'(v), relu'(0) = 0 */

/* ---- W1 chain: per 8-node block, the forward keeps y, t2, t3, t4, t5 and t7 ------------- */

typedef struct w1_ctx {
    size_t n_blocks;
    double *y, *t2, *t3, *t4, *t5, *t7;
    double x, a, b, L, gx, ga, gb;
} w1_ctx;

static void *w1_make(size_t n)
{
    w1_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n_blocks = n / 8;
    double *mem = malloc(6 * (c->n_blocks ? c->n_blocks : 1) * sizeof *mem);
    if (!mem) {
        free(c);
        return NULL;
    }
    double **arr[6] = {&c->y, &c->t2, &c->t3, &c->t4, &c->t5, &c->t7};
    for (int k = 0; k < 6; k++)
        *arr[k] = mem + (size_t)k * c->n_blocks;
    return c;
}

static void w1_destroy(void *ctx)
{
    w1_ctx *c = ctx;
    free(c->y);
    free(c);
}

static void w1_reset(void *ctx)
{
    w1_ctx *c = ctx;
    c->x = opaque(0.375);
    c->a = opaque(-1.0);
    c->b = opaque(1.0);
    c->gx = c->ga = c->gb = 0.0;
}

static void w1_record(void *ctx)
{
    w1_ctx *c = ctx;
    const double a = c->a, b = c->b;
    double y = c->x;
    for (size_t j = 0; j < c->n_blocks; j++) {
        c->y[j] = y;
        const double t2 = y * a + b;
        const double t3 = relu(t2);
        const double t4 = pow(t3, 2.0);
        const double t5 = pow(t4, 0.5);
        const double t7 = t5 * a + b;
        c->t2[j] = t2, c->t3[j] = t3, c->t4[j] = t4, c->t5[j] = t5, c->t7[j] = t7;
        y = relu(t7);
    }
    c->L = y;
}

/* Per block, from g = dL/dy_out:  t7 = t6 + b, y = relu(t7): dt7 = g relu'(t7); db += dt7;
 * t6 = t5 a: da += dt6 t5, dt5 = dt6 a;  t5 = t4^0.5: dt4 = (0.5 t4^-0.5) dt5;
 * t4 = t3^2: dt3 = (2 t3^1) dt4;  t3 = relu(t2): dt2 = dt3 relu'(t2);  t2 = t1 + b: db += dt2;
 * t1 = y a: da += dt1 y, dy = dt1 a. */
static void w1_backward(void *ctx)
{
    w1_ctx *c = ctx;
    const double a = c->a;
    double g = 1.0, ga = 0.0, gb = 0.0;
    for (size_t j = c->n_blocks; j-- > 0;) {
        const double g7 = g * step01(c->t7[j]);
        gb += g7;
        ga += g7 * c->t5[j];
        const double g5 = g7 * a;
        const double g4 = g5 * (0.5 * pow(c->t4[j], 0.5 - 1.0));
        const double g3 = g4 * (2.0 * pow(c->t3[j], 2.0 - 1.0));
        const double g2 = g3 * step01(c->t2[j]);
        gb += g2;
        ga += g2 * c->y[j];
        g = g2 * a;
    }
    c->gx = g, c->ga = ga, c->gb = gb;
}

static void w1_check(void *ctx, double out[4])
{
    w1_ctx *c = ctx;
    out[0] = c->L, out[1] = c->gx, out[2] = c->ga, out[3] = c->gb;
}

static double w1_bytes(void *ctx)
{
    return 6.0 * sizeof(double) * ((w1_ctx *)ctx)->n_blocks;
}

/* Replay mode: hand-written code keeps no graph; its forward is its replay. */
const bench_peer hand_w1_peer = {"hand-C",    "W1",     w1_make,  w1_reset,  w1_record,
                                 w1_backward, w1_check, w1_bytes, w1_destroy, w1_record};

/* ---- W3 fanout: nothing stored; every t_i = x k, and every add passes g through --------- */

typedef struct w3_ctx {
    size_t n;
    double x, k, L, gx, gk;
} w3_ctx;

static void *w3_make(size_t n)
{
    w3_ctx *c = calloc(1, sizeof *c);
    if (c)
        c->n = n;
    return c;
}

static void w3_destroy(void *ctx)
{
    free(ctx);
}

static void w3_reset(void *ctx)
{
    w3_ctx *c = ctx;
    c->x = opaque(0.5);
    c->k = opaque(1.5);
}

static void w3_record(void *ctx)
{
    w3_ctx *c = ctx;
    double s = c->x * c->k;
    for (size_t i = 1; i < c->n; i++)
        s = s + c->x * c->k;
    c->L = s;
}

/* s_i = s_{i-1} + t_i: ds_{i-1} = dt_i = ds_i = 1;  t_i = x k: dx += dt_i k, dk += dt_i x */
static void w3_backward(void *ctx)
{
    w3_ctx *c = ctx;
    const double x = c->x, k = c->k, g = 1.0;
    double gx = 0.0, gk = 0.0;
    for (size_t i = c->n; i-- > 0;) {
        gx += g * k;
        gk += g * x;
    }
    c->gx = gx, c->gk = gk;
}

static void w3_check(void *ctx, double out[4])
{
    w3_ctx *c = ctx;
    out[0] = c->L, out[1] = c->gx, out[2] = c->gk, out[3] = 0.0;
}

static double w3_bytes(void *ctx)
{
    (void)ctx;
    return 0.0;
}

const bench_peer hand_w3_peer = {"hand-C",    "W3",     w3_make,  w3_reset,  w3_record,
                                 w3_backward, w3_check, w3_bytes, w3_destroy, w3_record};

/* ---- W2 mlp-step (and W2-big, the same at w2_big_shape): the forward keeps each point's
 * hidden activations and hinge input ------------------------------------------------------- */

typedef struct w2_ctx {
    const mlp_shape *shape;
    double (*x)[2], *y;        /* [n_points] */
    double *init, *p, *g;      /* [n_params] */
    double *h1, *h2, *pre;     /* [n_points][nout[0]], [n_points][nout[1]], [n_points] */
} w2_ctx;

static void w2_destroy(void *ctx)
{
    w2_ctx *c = ctx;
    free(c->x), free(c->y), free(c->init), free(c->p), free(c->g);
    free(c->h1), free(c->h2), free(c->pre);
    free(c);
}

static void *w2_make_shape(const mlp_shape *shape)
{
    w2_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const size_t n = (size_t)shape->n_points, np = (size_t)shape->n_params;
    c->shape = shape;
    c->x = malloc(n * sizeof *c->x);
    c->y = malloc(n * sizeof *c->y);
    c->init = malloc(np * sizeof *c->init);
    c->p = malloc(np * sizeof *c->p);
    c->g = malloc(np * sizeof *c->g);
    c->h1 = malloc(n * (size_t)shape->nout[0] * sizeof *c->h1);
    c->h2 = malloc(n * (size_t)shape->nout[1] * sizeof *c->h2);
    c->pre = malloc(n * sizeof *c->pre);
    if (!c->x || !c->y || !c->init || !c->p || !c->g || !c->h1 || !c->h2 || !c->pre) {
        w2_destroy(c);
        return NULL;
    }
    moons_points(shape, c->x, c->y);
    mlp_params(shape, c->init);
    return c;
}
static void *w2_make(void)
{
    return w2_make_shape(&w2_shape);
}
static void *w2_big_make(void)
{
    return w2_make_shape(&w2_big_shape);
}

static void w2_init(void *ctx)
{
    w2_ctx *c = ctx;
    memcpy(c->p, c->init, (size_t)c->shape->n_params * sizeof *c->p);
}

/* act = b; act = act + w[0]*in[0]; ... (the defined order) */
static double neuron(const double *w, int nin, const double *in)
{
    double act = w[nin];
    for (int k = 0; k < nin; k++)
        act = act + w[k] * in[k];
    return act;
}

/* act = b + sum_k w_k in_k:  dw_k += dact in_k,  din_k += dact w_k,  db += dact.
 * k runs downwards, as the reverse sweep meets the adds. */
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

static double w2_step(void *ctx, int step, double *grads)
{
    w2_ctx *c = ctx;
    const mlp_shape *sh = c->shape;
    const int n1 = sh->nout[0], n2 = sh->nout[1], np = sh->n_params;
    /* Each neuron's weights then bias, layer by layer: layer 2 starts after n1 x (2 + 1). */
    double *p = c->p, *g = c->g;
    const int l2_off = n1 * 3, l3_off = l2_off + n2 * (n1 + 1);
    memset(g, 0, (size_t)np * sizeof *g); /* zero grad */

    /* forward */
    double data = 0.0;
    for (int i = 0; i < sh->n_points; i++) {
        const double *x = c->x[i];
        double *h1 = c->h1 + (size_t)i * n1, *h2 = c->h2 + (size_t)i * n2;
        for (int n = 0; n < n1; n++)
            h1[n] = relu(neuron(p + 3 * n, 2, x));
        for (int n = 0; n < n2; n++)
            h2[n] = relu(neuron(p + l2_off + (n1 + 1) * n, n1, h1));
        const double score = neuron(p + l3_off, n2, h2);
        c->pre[i] = 1.0 + (-c->y[i]) * score;
    }
    for (int i = 0; i < sh->n_points; i++)
        data = data + relu(c->pre[i]);
    const double scale = 1.0 / sh->n_points, alpha = 1e-4;
    data = data * scale;
    double reg = 0.0;
    for (int k = 0; k < np; k++)
        reg = reg + p[k] * p[k];
    reg = alpha * reg;
    const double L = data + reg;

    /* backward: L = data + reg: both get 1.  reg = alpha r: dr = alpha;  r = sum p_k p_k:
     * dp_k += dr p_k twice (the mul's two inputs are both p_k).  data = s / n: ds = 1/n;
     * s = sum l_i: dl_i = ds;  l_i = relu(pre_i): dpre_i = dl_i relu'(pre_i);
     * pre_i = 1 + (-y_i) score_i: dscore_i = dpre_i (-y_i). Then the layers, last first. */
    const double gr = 1.0 * alpha;
    for (int k = np; k-- > 0;) {
        g[k] += gr * p[k];
        g[k] += gr * p[k];
    }
    const double gs = 1.0 * scale;
    for (int i = sh->n_points; i-- > 0;) {
        const double gpre = gs * step01(c->pre[i]);
        const double gscore = gpre * (-c->y[i]);
        const double *h1 = c->h1 + (size_t)i * n1, *h2 = c->h2 + (size_t)i * n2;
        double gh2[MLP_MAX_WIDTH] = {0}, gh1[MLP_MAX_WIDTH] = {0};
        neuron_back(p + l3_off, g + l3_off, n2, h2, gh2, gscore);
        for (int n = n2; n-- > 0;)
            neuron_back(p + l2_off + (n1 + 1) * n, g + l2_off + (n1 + 1) * n, n1, h1, gh1,
                        gh2[n] * step01(h2[n]));
        for (int n = n1; n-- > 0;)
            neuron_back(p + 3 * n, g + 3 * n, 2, c->x[i], NULL, gh1[n] * step01(h1[n]));
    }

    /* SGD */
    if (grads)
        memcpy(grads, g, MLP_N_PARAMS * sizeof *g);
    const double lr = w2_learning_rate(step);
    for (int k = 0; k < np; k++)
        p[k] = p[k] - lr * g[k];
    return L;
}

static size_t w2_op_nodes(void *ctx)
{
    return mlp_op_nodes(((w2_ctx *)ctx)->shape);
}
/* What the forward keeps for the backward: both hidden layers' outputs and the hinge inputs. */
static double w2_bytes(void *ctx)
{
    const mlp_shape *sh = ((w2_ctx *)ctx)->shape;
    return (double)sh->n_points * (sh->nout[0] + sh->nout[1] + 1) * sizeof(double);
}
static size_t w2_args(void *ctx)
{
    (void)ctx;
    return 0;
}

const w2_peer hand_w2_peer = {"hand-C",    "W2",     w2_make, w2_init,    w2_step,
                              w2_op_nodes, w2_bytes, w2_args, w2_destroy, w2_init, w2_step};
const w2_peer hand_w2_big_peer = {"hand-C",    "W2-big", w2_big_make, w2_init,    w2_step,
                                  w2_op_nodes, w2_bytes, w2_args,     w2_destroy, w2_init,
                                  w2_step};
