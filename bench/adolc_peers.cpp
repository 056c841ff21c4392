/* adolc_peers.cpp: the workloads written with ADOL-C (Debian's libadolc-dev), the peer that
 * keeps a stored tape: W1, W3 and W2 op for op as WORKLOADS.md defines them, relu as
 * condassign, pow by a constant as pow(adouble, double). Two modes, as bench.h's peers have:
 * re-tape (trace_on/trace_off keeping the values, then fos_reverse) and replay (zos_forward
 * with keep = 1, then fos_reverse, on the tape recorded once). Built only when ADOL-C is found
 * (bench/meson.build); timing and checking are bench.c's. The tape's buffers are sized from
 * tapestats of two small probe tapes, so that no tape goes to disk (checked after recording). */
#include <adolc/adolc.h>

#include <cmath>
#include <cstdlib>
#include <new>

#include "bench.h"

namespace {

/* Each peer context records on its own tape. */
short next_tag = 1;

/* The four buffer sizes of trace_on, in elements. */
struct tape_buffers {
    unsigned ops, locs, vals, tays;
};

/* Operations, locations, values and Taylor entries of tape tag, from tapestats. */
void tape_counts(short tag, double c[4])
{
    size_t st[STAT_SIZE];
    tapestats(tag, st);
    c[0] = (double)st[NUM_OPERATIONS];
    c[1] = (double)st[NUM_LOCATIONS];
    c[2] = (double)st[NUM_VALUES];
    c[3] = (double)st[TAY_STACK_SIZE];
}

/* Buffers for a tape of size n, extrapolated linearly from tapes of sizes n1 < n2 (what a tape
 * holds grows linearly with the workload's size), with a margin. */
tape_buffers buffers_for(const double c1[4], const double c2[4], double n1, double n2, double n)
{
    unsigned b[4];
    for (int k = 0; k < 4; k++) {
        const double per = (c2[k] - c1[k]) / (n2 - n1);
        const double want = c1[k] + per * (n - n1);
        b[k] = (unsigned)(want * 1.01 + 1024.0);
    }
    return tape_buffers{b[0], b[1], b[2], b[3]};
}

/* 1 if tape tag is held in core: no operations, locations or values were written to a file. */
int tape_in_core(short tag)
{
    size_t st[STAT_SIZE];
    tapestats(tag, st);
    return !st[OP_FILE_ACCESS] && !st[LOC_FILE_ACCESS] && !st[VAL_FILE_ACCESS];
}

/* Bytes the tape holds: one byte an operation, a locint a location, a double a value and a
 * Taylor entry (the values kept for the reverse sweep). */
double tape_bytes(short tag)
{
    size_t st[STAT_SIZE];
    tapestats(tag, st);
    return (double)st[NUM_OPERATIONS] + (double)st[NUM_LOCATIONS] * sizeof(locint) +
           8.0 * ((double)st[NUM_VALUES] + (double)st[TAY_STACK_SIZE]);
}

/* r = relu(v) = 0 if v < 0 else v, re-evaluated on replay: r = v > 0 ? v : 0 (one
 * condassign; zero is an adouble 0). Its derivative is 1 where v > 0 and 0 elsewhere,
 * WORKLOADS.md's relu'. */
void relu(adouble &r, const adouble &v, const adouble &zero)
{
    condassign(r, v, v, zero);
}

/* ---- W1 chain and W3 fanout ------------------------------------------------------------ */

struct scalar_ctx {
    size_t n;
    int w3;
    short tag;
    tape_buffers buf;
    double leaf[3], L, grad[3];
    int in_core;
};

void record_scalar(scalar_ctx *c, size_t n, const tape_buffers *buf)
{
    if (buf)
        trace_on(c->tag, 1, buf->ops, buf->locs, buf->vals, buf->tays);
    else
        trace_on(c->tag, 1);
    {
        adouble zero = 0.0;
        double out;
        if (!c->w3) {
            adouble x, a, b;
            x <<= c->leaf[0];
            a <<= c->leaf[1];
            b <<= c->leaf[2];
            adouble y = x, t1, t2, t3, t4, t5, t6, t7;
            for (size_t blk = 0; blk < n / 8; blk++) {
                t1 = y * a;
                t2 = t1 + b;
                relu(t3, t2, zero);
                t4 = pow(t3, 2.0);
                t5 = pow(t4, 0.5);
                t6 = t5 * a;
                t7 = t6 + b;
                relu(y, t7, zero);
            }
            y >>= out;
        } else {
            adouble x, k;
            x <<= c->leaf[0];
            k <<= c->leaf[1];
            adouble s = x * k, t;
            for (size_t i = 1; i < n; i++) {
                t = x * k;
                s = s + t;
            }
            s >>= out;
        }
        c->L = out;
    }
    trace_off();
}

void *scalar_make(size_t n, int w3)
{
    scalar_ctx *c = new (std::nothrow) scalar_ctx();
    if (!c)
        return nullptr;
    c->n = n;
    c->w3 = w3;
    c->tag = next_tag++;
    c->leaf[0] = w3 ? 0.5 : 0.375;
    c->leaf[1] = w3 ? 1.5 : -1.0;
    c->leaf[2] = w3 ? 0.0 : 1.0;
    const double n1 = w3 ? 1000 : 1000, n2 = 2 * n1;
    double c1[4], c2[4];
    record_scalar(c, (size_t)n1, nullptr);
    tape_counts(c->tag, c1);
    record_scalar(c, (size_t)n2, nullptr);
    tape_counts(c->tag, c2);
    c->buf = buffers_for(c1, c2, n1, n2, (double)n);
    return c;
}
void *w1_make(size_t n) { return scalar_make(n, 0); }
void *w3_make(size_t n) { return scalar_make(n, 1); }

void scalar_destroy(void *ctx)
{
    scalar_ctx *c = static_cast<scalar_ctx *>(ctx);
    removeTape(c->tag, ADOLC_REMOVE_COMPLETELY);
    delete c;
}

void scalar_reset(void *ctx)
{
    scalar_ctx *c = static_cast<scalar_ctx *>(ctx);
    c->grad[0] = c->grad[1] = c->grad[2] = 0.0;
}

/* Re-tape: record with the values kept (keep = 1), so that fos_reverse can follow. */
void scalar_record(void *ctx)
{
    scalar_ctx *c = static_cast<scalar_ctx *>(ctx);
    record_scalar(c, c->n, &c->buf);
}

void scalar_backward(void *ctx)
{
    scalar_ctx *c = static_cast<scalar_ctx *>(ctx);
    double u = 1.0;
    fos_reverse(c->tag, 1, c->w3 ? 2 : 3, &u, c->grad);
}

/* Replay: the stored tape evaluated at the leaves again, keeping the values for the reverse. */
void scalar_replay(void *ctx)
{
    scalar_ctx *c = static_cast<scalar_ctx *>(ctx);
    zos_forward(c->tag, 1, c->w3 ? 2 : 3, 1, c->leaf, &c->L);
}

void scalar_check(void *ctx, double out[4])
{
    scalar_ctx *c = static_cast<scalar_ctx *>(ctx);
    /* A tape that went to disk is not the measurement asked for: say so by a NaN result. */
    const int core = tape_in_core(c->tag);
    out[0] = core ? c->L : NAN;
    out[1] = c->grad[0];
    out[2] = c->grad[1];
    out[3] = c->w3 ? 0.0 : c->grad[2];
}

double scalar_bytes(void *ctx)
{
    return tape_bytes(static_cast<scalar_ctx *>(ctx)->tag);
}

/* ---- W2 mlp-step -------------------------------------------------------------------------- */

struct w2_ctx {
    short tag;
    tape_buffers buf;
    moons data;
    double init[MLP_N_PARAMS], p[MLP_N_PARAMS], g[MLP_N_PARAMS];
    double bytes;
};

/* act = b; act = act + w[0]*in[0]; ... (WORKLOADS.md's order; the first add reads b itself,
 * not a copy); in: the data (doubles, constants on the tape) or the layer below. */
template <typename In> void neuron(adouble &act, const adouble *w, int nin, const In *in)
{
    act = w[nin] + w[0] * in[0];
    for (int k = 1; k < nin; k++)
        act = act + w[k] * in[k];
}

/* Records one step's graph at the parameters p, keeping the values for fos_reverse; returns
 * the loss. The data are constants on the tape, the parameters its independents. */
double record_w2(w2_ctx *c, const tape_buffers *buf)
{
    if (buf)
        trace_on(c->tag, 1, buf->ops, buf->locs, buf->vals, buf->tays);
    else
        trace_on(c->tag, 1);
    double loss;
    {
        adouble *P = new adouble[MLP_N_PARAMS];
        for (int i = 0; i < MLP_N_PARAMS; i++)
            P[i] <<= c->p[i];
        adouble zero = 0.0;
        adouble *l = new adouble[MOONS_N];
        adouble act, h1[16], h2[16], score, hinge;
        for (int i = 0; i < MOONS_N; i++) {
            const adouble *w = P;
            for (int n = 0; n < 16; n++, w += 3) {
                neuron(act, w, 2, c->data.x[i]);
                relu(h1[n], act, zero);
            }
            for (int n = 0; n < 16; n++, w += 17) {
                neuron(act, w, 16, h1);
                relu(h2[n], act, zero);
            }
            neuron(score, w, 16, h2);
            hinge = 1.0 + (-c->data.y[i]) * score;
            relu(l[i], hinge, zero);
        }
        adouble data = 0.0;
        for (int i = 0; i < MOONS_N; i++)
            data = data + l[i];
        data = data * (1.0 / MOONS_N);
        adouble reg = 0.0;
        for (int i = 0; i < MLP_N_PARAMS; i++)
            reg = reg + P[i] * P[i];
        reg = 1e-4 * reg;
        adouble L = data + reg;
        L >>= loss;
        delete[] l;
        delete[] P;
    }
    trace_off();
    return loss;
}

void *w2_make()
{
    w2_ctx *c = new (std::nothrow) w2_ctx();
    if (!c)
        return nullptr;
    c->tag = next_tag++;
    moons_make(&c->data);
    mlp_init_params(c->init);
    for (int i = 0; i < MLP_N_PARAMS; i++)
        c->p[i] = c->init[i];
    /* One probe tape of the step gives the buffer sizes exactly (the graph's size does not
     * depend on the values). */
    record_w2(c, nullptr);
    double cnt[4];
    tape_counts(c->tag, cnt);
    c->buf = tape_buffers{(unsigned)cnt[0] + 1024, (unsigned)cnt[1] + 1024,
                          (unsigned)cnt[2] + 1024, (unsigned)cnt[3] + 1024};
    return c;
}

void w2_destroy(void *ctx)
{
    w2_ctx *c = static_cast<w2_ctx *>(ctx);
    removeTape(c->tag, ADOLC_REMOVE_COMPLETELY);
    delete c;
}

void w2_init(void *ctx)
{
    w2_ctx *c = static_cast<w2_ctx *>(ctx);
    for (int i = 0; i < MLP_N_PARAMS; i++)
        c->p[i] = c->init[i];
}

/* fos_reverse for dL/dp (it sets every gradient: the zero_grad of the step), then SGD. */
double w2_backward_update(w2_ctx *c, double loss, int k, double *grads)
{
    double u = 1.0;
    fos_reverse(c->tag, 1, MLP_N_PARAMS, &u, c->g);
    if (grads)
        for (int i = 0; i < MLP_N_PARAMS; i++)
            grads[i] = c->g[i];
    const double lr = w2_learning_rate(k);
    for (int i = 0; i < MLP_N_PARAMS; i++)
        c->p[i] = c->p[i] - lr * c->g[i];
    /* A tape that went to disk is not the measurement asked for: a NaN loss fails the check. */
    return tape_in_core(c->tag) ? loss : NAN;
}

double w2_step(void *ctx, int k, double *grads)
{
    w2_ctx *c = static_cast<w2_ctx *>(ctx);
    const double loss = record_w2(c, &c->buf);
    c->bytes = tape_bytes(c->tag);
    return w2_backward_update(c, loss, k, grads);
}

void w2_init_reuse(void *ctx)
{
    w2_ctx *c = static_cast<w2_ctx *>(ctx);
    w2_init(c);
    record_w2(c, &c->buf);
    c->bytes = tape_bytes(c->tag);
}

double w2_step_reuse(void *ctx, int k, double *grads)
{
    w2_ctx *c = static_cast<w2_ctx *>(ctx);
    double loss;
    zos_forward(c->tag, 1, MLP_N_PARAMS, 1, c->p, &loss);
    return w2_backward_update(c, loss, k, grads);
}

size_t w2_op_nodes(void *) { return W2_OP_NODES; }
double w2_bytes(void *ctx) { return static_cast<w2_ctx *>(ctx)->bytes; }
size_t w2_args(void *) { return 0; }

} // namespace

extern "C" {
const bench_peer adolc_w1_peer = {"ADOL-C",     "W1",         w1_make,       scalar_reset,
                                  scalar_record, scalar_backward, scalar_check, scalar_bytes,
                                  scalar_destroy, scalar_replay};
const bench_peer adolc_w3_peer = {"ADOL-C",     "W3",         w3_make,       scalar_reset,
                                  scalar_record, scalar_backward, scalar_check, scalar_bytes,
                                  scalar_destroy, scalar_replay};
const w2_peer adolc_w2_peer = {"ADOL-C", "W2",       w2_make,    w2_init,       w2_step,
                               w2_op_nodes, w2_bytes, w2_args,   w2_destroy,    w2_init_reuse,
                               w2_step_reuse};
}
