/* backward.c: the reverse sweep (the chain rule over the whole tape) and the forward replay.
 * The sweep runs from out down to node 0, once, with no recursion: the tape is already in
 * topological order because every node was appended after its inputs. The gradients are those
 * of out's cone (the nodes out depends on): an unused node with an infinite local derivative
 * (sqrt at 0, say) never pours 0 * inf = NaN into an input that out does use. Two sweeps give
 * them bit for bit, the cone's and the one over every node (see sweep below). What each op
 * contributes is its row in ops/ops.c, inlined into the sweeps' generated cases
 * (ops/kernels.h). */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"

/* Clears the reached-bits of nodes 0..out, growing the scratch if needed: the anomaly sweep's
 * (the fast sweep marks reached zeros in the gradients themselves, core_int.h). */
static tg_status reset_reached(tg_tape *t, uint32_t out)
{
    size_t bytes = (size_t)out / 8 + 1;
    if (bytes > t->cap_reached_bytes) {
        size_t cap = (size_t)t->cap_nodes / 8 + 1;
        if (cap < bytes)
            cap = bytes;
        uint8_t *r = realloc(t->reached, cap);
        if (!r)
            return tgi_fail(t, TG_ERR_NOMEM, "out of memory for backward scratch (%zu bytes)", cap);
        t->reached = r;
        t->cap_reached_bytes = cap;
        t->n_grows++;
    }
    memset(t->reached, 0, bytes);
    return TG_OK;
}

/* The cone's sweep is tgi_sweep_nodes (ops/kernels.h: one case per op, generated from the op
 * table): grad[out] already holds the seed. For node i with upstream gradient g = dL/dy_i and
 * inputs x_k:  dL/dx_k += g * dy_i/dx_k.
 * Which nodes are in out's cone, without a bit per edge: every gradient below out starts at +0
 * and only a node of the cone adds into its inputs, so a nonzero gradient means "reached"; a
 * reached node whose gradient is exactly 0 (relu'(x) = 0, or contributions that cancel) holds
 * -0 until the sweep reaches it (tgi_noted, core_int.h). So the sweep skips exactly the
 * gradients that are +0, and no bitset is cleared, written or read. */

/* Sets every gradient to 0 by clearing only those that may not be 0 (t->grad_dirty): in a
 * training step the graph after the mark was appended with zero gradients, so this clears the
 * parameters' and not the whole tape. */
static void clear_dirty_grads(tg_tape *t)
{
    const uint32_t dirty = t->grad_dirty < t->n_nodes ? t->grad_dirty : t->n_nodes;
    if (dirty)
        memset(t->grad, 0, (size_t)dirty * sizeof *t->grad);
    t->grad_dirty = 0;
}

/* The chain rule from out, grad[out] seeded and every other gradient 0, by one of two sweeps
 * that give the same bits (ops/kernels.h): over every node below out, with no mark and no
 * test, or over out's cone only. The first is the faster when the cone is most of the tape
 * (a training step, whose nodes are all in the loss's cone) and far the slower when it is a
 * small part of it (a Jacobian's rows, one output among many); it cannot tell 0 * inf outside
 * the cone from 0 * inf inside it, so when it meets a NaN the gradients are computed again
 * over the cone, from the same start.
 * Which sweep: only the cone's can count the nodes outside the cone (a gradient of exactly 0
 * may be a reached one: a hinge loss's satisfied margins zero most of a step's gradients). So
 * it takes a tape's first backward, and every one while the cone it finds leaves over a
 * quarter of the nodes below out outside, or a NaN gradient (which the sweep of every node
 * would meet too, and then sweep twice); after a cone that does neither, the sweep of every
 * node takes the next 1, then 2, 4, ... up to CONE_CHECK_MAX backwards between two of the
 * cone's: a training loop pays the cone's marks once in 65 backwards, a Jacobian's rows from
 * the third. */
#define CONE_CHECK_MAX 64u
static void sweep_cone(tg_tape *t, uint32_t out)
{
    int saw_nan;
    const uint32_t outside = tgi_sweep_nodes(t, out, &saw_nan);
    if (outside > (out + 1) / 4 || saw_nan) {
        t->cone_interval = t->until_cone = 0;
        return;
    }
    if (t->cone_interval == 0)
        t->cone_interval = 1;
    else if (t->cone_interval < CONE_CHECK_MAX)
        t->cone_interval *= 2;
    t->until_cone = t->cone_interval;
}

static void sweep(tg_tape *t, uint32_t out)
{
    if (t->until_cone == 0) {
        sweep_cone(t, out);
        return;
    }
    t->until_cone--;
    if (TGI_LIKELY(tgi_sweep_nodes_unmarked(t, out)))
        return;
    memset(t->grad, 0, ((size_t)out + 1) * sizeof *t->grad);
    t->grad[out] = 1.0;
    sweep_cone(t, out);
}

static tg_status check_out(tg_tape *t, tg_var out, const char *who)
{
    if (!t)
        return TG_ERR_ARG;
    if (!tgi_valid(t, out))
        return tgi_fail(t, TG_ERR_BADVAR, "%s: invalid output variable %u (tape has %u nodes)",
                        who, (unsigned)out.id, (unsigned)t->n_nodes);
    return TG_OK;
}

/* The anomaly sweep, with its reached-bits cleared first. */
static tg_status anomaly_sweep(tg_tape *t, uint32_t out)
{
    tg_status s = reset_reached(t, out);
    return s != TG_OK ? s : tgi_anomaly_sweep(t, out);
}

tg_status tg_backward(tg_tape *t, tg_var out)
{
    tg_status s = check_out(t, out, "tg_backward");
    if (s != TG_OK)
        return s;
    clear_dirty_grads(t);
    t->grad_dirty = out.id + 1; /* the sweep writes grad[0 .. out] only */
    t->grad[out.id] = 1.0;      /* dL/dL = 1 */
    if (TGI_UNLIKELY(t->anomaly))
        return anomaly_sweep(t, out.id);
    sweep(t, out.id);
    return TG_OK;
}

tg_status tg_backward_accumulate(tg_tape *t, tg_var out)
{
    tg_status s = check_out(t, out, "tg_backward_accumulate");
    if (s != TG_OK)
        return s;
    const uint32_t dirty = t->grad_dirty < t->n_nodes ? t->grad_dirty : t->n_nodes;
    for (uint32_t i = 0; i < dirty; i++) /* above dirty every gradient is 0 already */
        if (tgi_code_op(t->code[i]) != TG_OP_INPUT)
            t->grad[i] = 0.0;
    if (t->grad_dirty < out.id + 1)
        t->grad_dirty = out.id + 1;
    t->grad[out.id] += 1.0;
    if (TGI_UNLIKELY(t->anomaly))
        return anomaly_sweep(t, out.id);
    int saw_nan; /* the inputs keep their sums: always the cone's sweep, which starts from them */
    tgi_sweep_nodes(t, out.id, &saw_nan);
    return TG_OK;
}

void tg_zero_grad(tg_tape *t)
{
    if (t)
        clear_dirty_grads(t);
}

void tg_tape_replay(tg_tape *t)
{
    if (!t)
        return;
    if (TGI_UNLIKELY(t->anomaly)) {
        tgi_anomaly_replay(t);
        return;
    }
    tgi_replay_nodes(t, 0);
}
