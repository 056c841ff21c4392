/* bench_higher.c: Griewank's cheap gradient principle, measured. For a few functions
 * (Rosenbrock n = 100, log-sum-exp n = 100, an MLP's loss), the cost of a gradient, a replayed
 * gradient, a JVP and a Hessian-vector product (both modes, and replayed) as multiples of one
 * function evaluation, recorded on the tape and in plain C. One JSON line per measurement.
 * Not run by meson test; the shared workloads are bench/bench.c's. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tapegrad.h"

enum { MAXN = 400 };

/* ---- The functions, on the tape and in plain C ------------------------------------------- */

typedef struct fn {
    const char *name;
    size_t n;
    tg_var (*record)(tg_tape *t, size_t n, const tg_var *x);
    double (*plain)(size_t n, const double *x);
} fn;

/* sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 */
static tg_var rosen_tape(tg_tape *t, size_t n, const tg_var *x)
{
    tg_var f = tg_const(t, 0.0);
    for (size_t i = 0; i + 1 < n; i++) {
        const tg_var d = tg_sub(t, x[i + 1], tg_mul(t, x[i], x[i]));
        const tg_var e = tg_rsubc(t, 1.0, x[i]);
        f = tg_add(t, f, tg_add(t, tg_mulc(t, tg_mul(t, d, d), 100.0), tg_mul(t, e, e)));
    }
    return f;
}
static double rosen_plain(size_t n, const double *x)
{
    double f = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        const double d = x[i + 1] - x[i] * x[i], e = 1.0 - x[i];
        f += d * d * 100.0 + e * e;
    }
    return f;
}

/* log sum_i e^{x_i} */
static tg_var lse_tape(tg_tape *t, size_t n, const tg_var *x)
{
    tg_var e[MAXN];
    for (size_t i = 0; i < n; i++)
        e[i] = tg_exp(t, x[i]);
    return tg_log(t, tg_sum(t, n, e));
}
static double lse_plain(size_t n, const double *x)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += exp(x[i]);
    return log(s);
}

/* MLP 2-8-8-1 (tanh, tanh, linear) on 16 fixed points, mean squared error: 105 parameters,
 * laid out layer by layer, neuron by neuron, weights then bias. */
enum { NPTS = 16, H1 = 8, H2 = 8, MLP_N = H1 * 3 + H2 * (H1 + 1) + H2 + 1 };
static double mlp_x[NPTS][2], mlp_y[NPTS];

static tg_var mlp_tape(tg_tape *t, size_t n, const tg_var *p)
{
    (void)n;
    tg_var err[NPTS];
    for (int s = 0; s < NPTS; s++) {
        tg_var in[2] = {tg_const(t, mlp_x[s][0]), tg_const(t, mlp_x[s][1])}, h1[H1], h2[H2];
        const tg_var *q = p;
        for (int j = 0; j < H1; j++, q += 3)
            h1[j] = tg_tanh(t, tg_add(t, tg_dot(t, 2, q, in), q[2]));
        for (int j = 0; j < H2; j++, q += H1 + 1)
            h2[j] = tg_tanh(t, tg_add(t, tg_dot(t, H1, q, h1), q[H1]));
        const tg_var r = tg_addc(t, tg_add(t, tg_dot(t, H2, q, h2), q[H2]), -mlp_y[s]);
        err[s] = tg_mul(t, r, r);
    }
    return tg_mulc(t, tg_sum(t, NPTS, err), 1.0 / NPTS);
}
static double mlp_plain(size_t n, const double *p)
{
    (void)n;
    double loss = 0.0;
    for (int s = 0; s < NPTS; s++) {
        double h1[H1], h2[H2];
        const double *q = p;
        for (int j = 0; j < H1; j++, q += 3)
            h1[j] = tanh(q[0] * mlp_x[s][0] + q[1] * mlp_x[s][1] + q[2]);
        for (int j = 0; j < H2; j++, q += H1 + 1) {
            double z = 0.0;
            for (int i = 0; i < H1; i++)
                z += q[i] * h1[i];
            h2[j] = tanh(z + q[H1]);
        }
        double o = 0.0;
        for (int i = 0; i < H2; i++)
            o += q[i] * h2[i];
        const double r = o + q[H2] - mlp_y[s];
        loss += r * r;
    }
    return loss * (1.0 / NPTS);
}

/* ---- Timing ------------------------------------------------------------------------------ */

/* CPU time of this thread: on a shared machine, time spent descheduled is not ours. */
static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The state every measured operation works on. */
typedef struct ctx {
    const fn *f;
    tg_tape *t;
    tg_var x[MAXN], g[MAXN];
    tg_var out;
    tg_mark mark;
    double x0[MAXN], v[MAXN], hv[MAXN];
    volatile double sink;
} ctx;

typedef void (*op_fn)(ctx *c);

/* The time of one call: the fastest of 15 batches, each long enough (>= 2 ms). The minimum, not
 * the median, because the machine is shared and interference only ever adds time. */
static double time_op(ctx *c, op_fn op)
{
    size_t reps = 1;
    for (;;) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++)
            op(c);
        if (now_ns() - t0 >= 2e6 || reps >= (1u << 24))
            break;
        reps *= 2;
    }
    double best = INFINITY;
    for (int b = 0; b < 15; b++) {
        const double t0 = now_ns();
        for (size_t r = 0; r < reps; r++)
            op(c);
        best = fmin(best, (now_ns() - t0) / (double)reps);
    }
    return best;
}

static void op_plain(ctx *c)
{
    c->sink = c->f->plain(c->f->n, c->x0);
}
static void op_record(ctx *c)
{
    c->sink = tg_value(c->t, c->f->record(c->t, c->f->n, c->x));
    tg_tape_rewind(c->t, c->mark);
}
static void op_grad(ctx *c)
{
    const tg_var y = c->f->record(c->t, c->f->n, c->x);
    tg_backward(c->t, y);
    c->sink = tg_grad(c->t, c->x[0]);
    tg_tape_rewind(c->t, c->mark);
}
static void op_jvp(ctx *c)
{
    const tg_var y = c->f->record(c->t, c->f->n, c->x);
    double d;
    tg_jvp(c->t, 1, &y, c->f->n, c->x, c->v, &d);
    c->sink = d;
    tg_tape_rewind(c->t, c->mark);
}
static void hvp_mode(ctx *c, tg_mode mode)
{
    const tg_var y = c->f->record(c->t, c->f->n, c->x);
    tg_hvp(c->t, y, c->f->n, c->x, c->v, mode, c->hv);
    c->sink = c->hv[0];
    tg_tape_rewind(c->t, c->mark);
}
static void op_hvp_fwd(ctx *c)
{
    hvp_mode(c, TG_MODE_FORWARD);
}
static void op_hvp_rev(ctx *c)
{
    hvp_mode(c, TG_MODE_REVERSE);
}
/* The replayed ones work on a tape already holding f (and its gradient graph). */
static void set_inputs(ctx *c)
{
    for (size_t i = 0; i < c->f->n; i++)
        tg_set_value(c->t, c->x[i], c->x0[i]);
}
static void op_replay(ctx *c)
{
    set_inputs(c);
    tg_tape_replay(c->t);
    c->sink = tg_value(c->t, c->out);
}
static void op_grad_replay(ctx *c)
{
    set_inputs(c);
    tg_tape_replay(c->t);
    tg_backward(c->t, c->out);
    c->sink = tg_grad(c->t, c->x[0]);
}
static void op_hvp_replay(ctx *c)
{
    set_inputs(c);
    tg_tape_replay(c->t); /* f and its gradient graph */
    tg_jvp(c->t, c->f->n, c->g, c->f->n, c->x, c->v, c->hv);
    c->sink = c->hv[0];
}

int main(void)
{
    for (int s = 0; s < NPTS; s++) {
        mlp_x[s][0] = cos(0.7 * s) * (1 + 0.05 * s);
        mlp_x[s][1] = sin(1.3 * s);
        mlp_y[s] = s % 2 ? 1.0 : -1.0;
    }
    static const fn fns[] = {
        {"rosenbrock", 100, rosen_tape, rosen_plain},
        {"log_sum_exp", 100, lse_tape, lse_plain},
        {"mlp_2_8_8_1_mse16", MLP_N, mlp_tape, mlp_plain},
    };
    static const struct {
        const char *what;
        op_fn op;
        int replay; /* 0: records each time; 1: replays f; 2: replays f and its gradient graph */
    } ops[] = {
        {"eval_plain_c", op_plain, 0},
        {"eval_record", op_record, 0},
        {"eval_replay", op_replay, 1},
        {"gradient", op_grad, 0},
        {"gradient_replay", op_grad_replay, 1},
        {"jvp", op_jvp, 0},
        {"hvp_forward_over_reverse", op_hvp_fwd, 0},
        {"hvp_reverse_over_reverse", op_hvp_rev, 0},
        {"hvp_replay", op_hvp_replay, 2},
    };
    static ctx c;
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
        c.f = &fns[k];
        c.t = tg_tape_new();
        for (size_t i = 0; i < c.f->n; i++) {
            c.x0[i] = 0.5 * sin(1.0 + (double)i);
            c.v[i] = cos((double)i);
            c.x[i] = tg_input(c.t, c.x0[i]);
        }
        c.mark = tg_tape_mark(c.t);
        c.out = c.f->record(c.t, c.f->n, c.x);
        const size_t f_nodes = tg_tape_size(c.t) - c.mark.n_nodes;
        tg_tape_rewind(c.t, c.mark);
        double plain_ns = 0, record_ns = 0;
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            tg_tape_rewind(c.t, c.mark);
            if (ops[o].replay)
                c.out = c.f->record(c.t, c.f->n, c.x);
            if (ops[o].replay == 2 && tg_grad_graph(c.t, c.out, c.f->n, c.x, c.g) != TG_OK) {
                fprintf(stderr, "bench_higher: %s\n", tg_tape_errmsg(c.t));
                return 1;
            }
            const size_t nodes = tg_tape_size(c.t) - c.mark.n_nodes;
            const double ns = time_op(&c, ops[o].op);
            if (o == 0)
                plain_ns = ns;
            if (o == 1)
                record_ns = ns;
            printf("{\"function\": \"%s\", \"n\": %zu, \"f_nodes\": %zu, \"what\": \"%s\", "
                   "\"tape_nodes\": %zu, \"ns\": %.1f, \"x_eval_record\": %.2f, "
                   "\"x_eval_plain_c\": %.2f}\n",
                   c.f->name, c.f->n, f_nodes, ops[o].what, ops[o].replay ? nodes : 0, ns,
                   record_ns > 0 ? ns / record_ns : 1.0, ns / plain_ns);
            fflush(stdout);
        }
        tg_tape_free(c.t);
    }
    return 0;
}
