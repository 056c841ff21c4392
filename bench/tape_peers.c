/* tape_peers.c: the workloads written with tapegrad's public API, as a user would: W1 and W3
 * (one fresh graph per repetition on a reused tape), W2 as defined (binary add/mul nodes in
 * WORKLOADS.md's order, so 65,077 op nodes a step) and the same at W2-big's size, W2-native
 * (the nn layer: tg_mlp, one dot node per neuron, tg_loss_hinge, tg_loss_l2, SGD) and W2-dot
 * (tg_dot neurons written directly). Parameters are leaves before the mark; a step records after it and rewinds.
 * Timing and checking are bench.c's. */
#include <stdlib.h>

#include "bench.h"
#include "tapegrad.h"
#include "tg_nn.h"

/* ---- W1 chain and W3 fanout ------------------------------------------------------------- */

typedef struct scalar_ctx {
    tg_tape *t;
    size_t n;
    tg_var leaf[3]; /* W1: x, a, b;  W3: x, k */
    tg_var two, half;
    tg_var out;
} scalar_ctx;

static void *scalar_make(size_t n)
{
    scalar_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->t = tg_tape_new();
    c->n = n;
    if (!c->t) {
        free(c);
        return NULL;
    }
    return c;
}

static void scalar_destroy(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_tape_free(c->t);
    free(c);
}

static void scalar_backward(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_backward(c->t, c->out);
}

static double scalar_bytes(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_tape_stats s;
    tg_tape_get_stats(c->t, &s);
    return (double)s.bytes_used;
}

static void w1_reset(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_tape_clear(c->t);
    c->leaf[0] = tg_input(c->t, 0.375);
    c->leaf[1] = tg_input(c->t, -1.0);
    c->leaf[2] = tg_input(c->t, 1.0);
    /* The exponents are constant leaves made once, so each ** is one powc node. */
    c->two = tg_const(c->t, 2.0);
    c->half = tg_const(c->t, 0.5);
}

static void w1_record(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_tape *t = c->t;
    const tg_var a = c->leaf[1], b = c->leaf[2], two = c->two, half = c->half;
    tg_var y = c->leaf[0];
    for (size_t blk = 0; blk < c->n / 8; blk++) {
        tg_var t1 = tg_mul(t, y, a);
        tg_var t2 = tg_add(t, t1, b);
        tg_var t3 = tg_relu(t, t2);
        tg_var t4 = tg_pow(t, t3, two);
        tg_var t5 = tg_pow(t, t4, half);
        tg_var t6 = tg_mul(t, t5, a);
        tg_var t7 = tg_add(t, t6, b);
        y = tg_relu(t, t7);
    }
    c->out = y;
}

static void scalar_check(void *ctx, double out[4])
{
    scalar_ctx *c = ctx;
    out[0] = tg_value(c->t, c->out);
    for (int i = 0; i < 3; i++)
        out[i + 1] = tg_var_ok(c->leaf[i]) ? tg_grad(c->t, c->leaf[i]) : 0.0;
}

static void w3_reset(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_tape_clear(c->t);
    c->leaf[0] = tg_input(c->t, 0.5);
    c->leaf[1] = tg_input(c->t, 1.5);
    c->leaf[2] = tg_var_invalid();
}

static void w3_record(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_tape *t = c->t;
    const tg_var x = c->leaf[0], k = c->leaf[1];
    tg_var s = tg_mul(t, x, k);
    for (size_t i = 1; i < c->n; i++)
        s = tg_add(t, s, tg_mul(t, x, k));
    c->out = s;
}

/* Replay: the graph recorded once is kept; the leaves get their values again (as a user who
 * evaluates at new inputs would set them) and tg_tape_replay re-evaluates every node. */
static void w1_replay(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_set_value(c->t, c->leaf[0], 0.375);
    tg_set_value(c->t, c->leaf[1], -1.0);
    tg_set_value(c->t, c->leaf[2], 1.0);
    tg_tape_replay(c->t);
}

static void w3_replay(void *ctx)
{
    scalar_ctx *c = ctx;
    tg_set_value(c->t, c->leaf[0], 0.5);
    tg_set_value(c->t, c->leaf[1], 1.5);
    tg_tape_replay(c->t);
}

const bench_peer tg_w1_peer = {"tapegrad",   "W1",         scalar_make,    w1_reset,
                               w1_record,    scalar_backward, scalar_check, scalar_bytes,
                               scalar_destroy, w1_replay};
const bench_peer tg_w3_peer = {"tapegrad",   "W3",         scalar_make,    w3_reset,
                               w3_record,    scalar_backward, scalar_check, scalar_bytes,
                               scalar_destroy, w3_replay};

/* ---- W2 mlp-step ------------------------------------------------------------------------ */

typedef struct w2_ctx {
    tg_tape *t;
    const mlp_shape *shape;
    int native;
    double *init;      /* [n_params] */
    tg_var *p;         /* [n_params] */
    tg_var (*x)[2];    /* [n_points] */
    tg_var *neg_y;     /* [n_points] */
    tg_var *hinge;     /* [n_points]: the step's per-point losses */
    tg_var zero, one, scale, alpha; /* 0, 1, 1/n_points and 1e-4 as constant leaves */
    tg_mark mark;
    double mark_bytes; /* bytes used at the mark: parameters and data, not the step's graph */
    size_t op_nodes, n_args;
    double bytes;
    tg_var loss; /* replay mode: the output of the graph recorded once */
} w2_ctx;

static void w2_destroy(void *ctx)
{
    w2_ctx *c = ctx;
    tg_tape_free(c->t);
    free(c->init);
    free(c->p);
    free(c->x);
    free(c->neg_y);
    free(c->hinge);
    free(c);
}

static void *w2_make_common(const mlp_shape *shape, int native)
{
    w2_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const size_t np = (size_t)shape->n_params, n = (size_t)shape->n_points;
    c->shape = shape;
    c->native = native;
    c->t = tg_tape_new();
    c->init = malloc(np * sizeof *c->init);
    c->p = malloc(np * sizeof *c->p);
    c->x = malloc(n * sizeof *c->x);
    c->neg_y = malloc(n * sizeof *c->neg_y);
    c->hinge = malloc(n * sizeof *c->hinge);
    double(*x)[2] = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!c->t || !c->init || !c->p || !c->x || !c->neg_y || !c->hinge || !x || !y) {
        free(x), free(y);
        w2_destroy(c);
        return NULL;
    }
    moons_points(shape, x, y);
    mlp_params(shape, c->init);
    /* Leaves that live across steps go before the mark: parameters, data and constants. */
    for (size_t i = 0; i < np; i++)
        c->p[i] = tg_input(c->t, c->init[i]);
    for (size_t i = 0; i < n; i++) {
        c->x[i][0] = tg_const(c->t, x[i][0]);
        c->x[i][1] = tg_const(c->t, x[i][1]);
        c->neg_y[i] = tg_const(c->t, -y[i]);
    }
    free(x), free(y);
    c->zero = tg_const(c->t, 0.0);
    c->one = tg_const(c->t, 1.0);
    c->scale = tg_const(c->t, 1.0 / shape->n_points);
    c->alpha = tg_const(c->t, 1e-4);
    c->mark = tg_tape_mark(c->t);
    tg_tape_stats s;
    tg_tape_get_stats(c->t, &s);
    c->mark_bytes = (double)s.bytes_used;
    return c;
}
static void *w2_make(void)
{
    return w2_make_common(&w2_shape, 0);
}
static void *w2_native_make(void)
{
    return w2_make_common(&w2_shape, 1);
}
static void *w2_big_make(void)
{
    return w2_make_common(&w2_big_shape, 0);
}

static void w2_init(void *ctx)
{
    w2_ctx *c = ctx;
    tg_tape_rewind(c->t, c->mark);
    for (int i = 0; i < c->shape->n_params; i++)
        tg_set_value(c->t, c->p[i], c->init[i]);
}

/* One neuron over nin inputs; w holds its nin weights then its bias. As defined:
 * act = b; act = act + w[0]*in[0]; ...  Native: act = dot(w, in) + b, one n-ary node. */
static tg_var neuron(w2_ctx *c, const tg_var *w, int nin, const tg_var *in, int relu)
{
    tg_tape *t = c->t;
    tg_var act;
    if (c->native) {
        act = tg_add(t, tg_dot(t, (size_t)nin, w, in), w[nin]);
    } else {
        act = w[nin];
        for (int k = 0; k < nin; k++)
            act = tg_add(t, act, tg_mul(t, w[k], in[k]));
    }
    return relu ? tg_relu(t, act) : act;
}

static tg_var w2_loss(w2_ctx *c)
{
    tg_tape *t = c->t;
    const mlp_shape *sh = c->shape;
    tg_var *loss = c->hinge;
    for (int i = 0; i < sh->n_points; i++) {
        tg_var buf[2][MLP_MAX_WIDTH];
        const tg_var *in = c->x[i];
        const tg_var *w = c->p;
        tg_var *out = buf[0];
        for (int layer = 0; layer < 3; layer++) {
            const int nin = sh->nin[layer];
            for (int n = 0; n < sh->nout[layer]; n++, w += nin + 1)
                out[n] = neuron(c, w, nin, in, layer < 2);
            in = out;
            out = out == buf[0] ? buf[1] : buf[0];
        }
        /* hinge: relu(1 + (-y_i) * score_i) */
        loss[i] = tg_relu(t, tg_add(t, c->one, tg_mul(t, c->neg_y[i], in[0])));
    }
    tg_var data, reg;
    if (c->native) {
        /* tg_sum and tg_dot start from 0 and add left to right, as Python's sum does. */
        data = tg_mul(t, tg_sum(t, (size_t)sh->n_points, loss), c->scale);
        reg = tg_mul(t, c->alpha, tg_dot(t, (size_t)sh->n_params, c->p, c->p));
    } else {
        data = c->zero;
        for (int i = 0; i < sh->n_points; i++)
            data = tg_add(t, data, loss[i]);
        data = tg_mul(t, data, c->scale);
        reg = c->zero;
        for (int i = 0; i < sh->n_params; i++)
            reg = tg_add(t, reg, tg_mul(t, c->p[i], c->p[i]));
        reg = tg_mul(t, c->alpha, reg);
    }
    return tg_add(t, data, reg);
}

/* The graph's size after recording it (nodes, argument slots, bytes after the mark). */
static void w2_count(w2_ctx *c)
{
    tg_tape_stats s;
    tg_tape_get_stats(c->t, &s);
    c->op_nodes = s.n_nodes - c->mark.n_nodes;
    c->n_args = s.n_args - c->mark.n_args;
    c->bytes = (double)s.bytes_used - c->mark_bytes;
}

/* Backward from L, then SGD: p = p - lr_k dL/dp. tg_backward clears every gradient before the
 * sweep: that is the zero_grad of the step. Returns the loss. */
static double w2_backward_update(w2_ctx *c, tg_var L, int k, double *grads)
{
    tg_tape *t = c->t;
    tg_backward(t, L);
    const double loss = tg_value(t, L);
    const double lr = w2_learning_rate(k);
    for (int i = 0; i < c->shape->n_params; i++) {
        const double g = tg_grad(t, c->p[i]);
        if (grads && i < MLP_N_PARAMS)
            grads[i] = g;
        tg_set_value(t, c->p[i], tg_value(t, c->p[i]) - lr * g);
    }
    return loss;
}

static double w2_step(void *ctx, int k, double *grads)
{
    w2_ctx *c = ctx;
    const tg_var L = w2_loss(c);
    w2_count(c);
    const double loss = w2_backward_update(c, L, k, grads);
    tg_tape_rewind(c->t, c->mark);
    return loss;
}

/* Replay mode: the step's graph is recorded once at the initial parameters; each step replays
 * it at the parameters SGD left (tg_set_value), then backward and SGD as above. */
static void w2_init_reuse(void *ctx)
{
    w2_ctx *c = ctx;
    w2_init(c);
    c->loss = w2_loss(c);
    w2_count(c);
}

static double w2_step_reuse(void *ctx, int k, double *grads)
{
    w2_ctx *c = ctx;
    tg_tape_replay(c->t);
    return w2_backward_update(c, c->loss, k, grads);
}

static size_t w2_op_nodes(void *ctx)
{
    return ((w2_ctx *)ctx)->op_nodes;
}
static double w2_bytes(void *ctx)
{
    return ((w2_ctx *)ctx)->bytes;
}
static size_t w2_args(void *ctx)
{
    return ((w2_ctx *)ctx)->n_args;
}

const w2_peer tg_w2_peer = {"tapegrad", "W2",     w2_make,    w2_init,       w2_step,
                            w2_op_nodes, w2_bytes, w2_args, w2_destroy, w2_init_reuse,
                            w2_step_reuse};
const w2_peer tg_w2_big_peer = {"tapegrad", "W2-big",   w2_big_make, w2_init,
                                w2_step,    w2_op_nodes, w2_bytes,   w2_args,
                                w2_destroy, w2_init_reuse, w2_step_reuse};
const w2_peer tg_w2_dot_peer = {"tapegrad", "W2-dot",   w2_native_make, w2_init,
                                w2_step,    w2_op_nodes, w2_bytes,      w2_args,
                                w2_destroy, w2_init_reuse, w2_step_reuse};

/* ---- W2-native: the same training with nn/ ------------------------------------------------ */

typedef struct nn_ctx {
    tg_tape *t;
    tg_mlp *m;
    tg_dataset *d;
    tg_optim *opt;
    tg_optim_config cfg;
    double init[MLP_N_PARAMS];
    tg_var score[MOONS_N];
    tg_mark mark;
    double mark_bytes;
    size_t op_nodes, n_args;
    double bytes;
    tg_var loss; /* replay mode: the output of the graph recorded once */
} nn_ctx;

static void nn_destroy(void *ctx)
{
    nn_ctx *c = ctx;
    tg_optim_free(c->opt);
    tg_dataset_free(c->d);
    tg_mlp_free(c->m);
    tg_tape_free(c->t);
    free(c);
}

static void *nn_make(void)
{
    nn_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const size_t sizes[3] = {16, 16, 1};
    const tg_act acts[3] = {TG_ACT_RELU, TG_ACT_RELU, TG_ACT_IDENTITY};
    tg_rng data_rng, init_rng;
    tg_rng_init(&data_rng, 42);
    tg_rng_init(&init_rng, 1337);
    c->t = tg_tape_new();
    c->d = tg_dataset_moons(MOONS_N, 0.1, &data_rng);
    c->m = c->t ? tg_mlp_new(c->t, 2, 3, sizes, acts, TG_INIT_UNIFORM, &init_rng) : NULL;
    if (!c->d || !c->m || tg_mlp_n_params(c->m) != MLP_N_PARAMS) {
        nn_destroy(c);
        return NULL;
    }
    /* micrograd's schedule: lr_k = 1.0 - 0.9 k / 100 */
    c->cfg = tg_optim_defaults(TG_OPTIM_SGD, 1.0);
    c->cfg.schedule = TG_LR_LINEAR;
    c->cfg.decay = 0.9;
    c->cfg.n_decay = 100;
    const tg_var *p = tg_mlp_params(c->m);
    for (int i = 0; i < MLP_N_PARAMS; i++)
        c->init[i] = tg_value(c->t, p[i]);
    c->mark = tg_tape_mark(c->t);
    tg_tape_stats s;
    tg_tape_get_stats(c->t, &s);
    c->mark_bytes = (double)s.bytes_used;
    return c;
}

static void nn_init(void *ctx)
{
    nn_ctx *c = ctx;
    tg_tape_rewind(c->t, c->mark);
    const tg_var *p = tg_mlp_params(c->m);
    for (int i = 0; i < MLP_N_PARAMS; i++)
        tg_set_value(c->t, p[i], c->init[i]);
    tg_optim_free(c->opt); /* a fresh optimizer restarts the schedule at step 0 */
    c->opt = tg_optim_new(&c->cfg, MLP_N_PARAMS);
}

/* Records the step's graph with nn/ and returns its loss node. */
static tg_var nn_loss(nn_ctx *c)
{
    tg_tape *t = c->t;
    for (int i = 0; i < MOONS_N; i++)
        tg_mlp_forward_values(c->m, c->d->x + 2 * i, &c->score[i]);
    return tg_add(t, tg_loss_hinge(t, MOONS_N, c->score, c->d->y),
                  tg_loss_l2(t, MLP_N_PARAMS, tg_mlp_params(c->m), 1e-4));
}

/* Counts the graph after the mark (untimed: only the first step, or the recording of replay
 * mode, calls it). */
static void nn_count(nn_ctx *c)
{
    tg_tape *t = c->t;
    tg_tape_stats s;
    tg_tape_get_stats(t, &s);
    c->op_nodes = 0;
    for (uint32_t i = c->mark.n_nodes; i < s.n_nodes; i++) {
        const tg_var v = {i};
        const tg_op op = tg_op_of(t, v);
        c->op_nodes += op != TG_OP_INPUT && op != TG_OP_CONST; /* leaves are not op nodes */
    }
    c->n_args = s.n_args - c->mark.n_args;
    c->bytes = (double)s.bytes_used - c->mark_bytes;
}

/* Backward from L and the optimizer's step; returns the loss. */
static double nn_backward_update(nn_ctx *c, tg_var L, double *grads)
{
    tg_tape *t = c->t;
    const tg_var *p = tg_mlp_params(c->m);
    tg_backward(t, L);
    const double loss = tg_value(t, L);
    if (grads)
        for (int i = 0; i < MLP_N_PARAMS; i++)
            grads[i] = tg_grad(t, p[i]);
    tg_optim_step(c->opt, t, MLP_N_PARAMS, p);
    return loss;
}

static double nn_step(void *ctx, int k, double *grads)
{
    nn_ctx *c = ctx;
    (void)k; /* the optimizer counts its steps */
    const tg_var L = nn_loss(c);
    if (grads) /* the first step */
        nn_count(c);
    const double loss = nn_backward_update(c, L, grads);
    tg_tape_rewind(c->t, c->mark);
    return loss;
}

static void nn_init_reuse(void *ctx)
{
    nn_ctx *c = ctx;
    nn_init(c);
    c->loss = nn_loss(c);
    nn_count(c);
}

static double nn_step_reuse(void *ctx, int k, double *grads)
{
    nn_ctx *c = ctx;
    (void)k;
    tg_tape_replay(c->t);
    return nn_backward_update(c, c->loss, grads);
}

static size_t nn_op_nodes(void *ctx)
{
    return ((nn_ctx *)ctx)->op_nodes;
}
static double nn_bytes(void *ctx)
{
    return ((nn_ctx *)ctx)->bytes;
}
static size_t nn_args(void *ctx)
{
    return ((nn_ctx *)ctx)->n_args;
}

const w2_peer tg_w2_native_peer = {"tapegrad", "W2-native", nn_make,    nn_init,
                                   nn_step,    nn_op_nodes, nn_bytes,   nn_args,
                                   nn_destroy, nn_init_reuse, nn_step_reuse};
