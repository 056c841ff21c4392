/* backward.c: the reverse sweep (the chain rule over the whole tape) and the forward replay.
 * The sweep runs from out down to node 0, once, with no recursion: the tape is already in
 * topological order because every node was appended after its inputs. Only nodes in out's cone
 * (those out depends on) propagate, so an unused node with an infinite local derivative
 * (sqrt at 0, say) cannot pour 0 * inf = NaN into an input that out does use. What each op
 * contributes is its row in ops/ops.c: the hot ops' derivatives as data (their shape), the
 * others through the row's functions. */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"

/* Clears the reached-bits of nodes 0..out, growing the scratch if needed. */
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

/* The sweep proper: grad[out] already holds the seed. For node i with upstream gradient
 * g = dL/dy_i and inputs x_k:  dL/dx_k += g * dy_i/dx_k.
 * Which nodes are in out's cone, without a bit per edge: every gradient below out starts at 0
 * and only a node of the cone adds into its inputs, so a nonzero gradient means "reached".
 * A reached node whose gradient is exactly 0 (relu'(x) = 0, or contributions that cancel) is
 * told apart by its bit, set whenever a contribution leaves a gradient at 0. So the bitset is
 * written rarely and read only for zero gradients, instead of once per edge and per node. */
/* An n-ary node's step, out of line: rare in the hot loop, and a call there with six
 * arguments would cost the loop registers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void sweep_nary(const tgi_op_row *row, double *grad, uint8_t *reached,
                       const double *value, const uint32_t *arg, uint32_t n, double g)
{
    row->backwardn(grad, reached, value, arg, n, g); /* notes what it reaches */
}

static void sweep(tg_tape *t, uint32_t out)
{
    double *restrict grad = t->grad;
    const double *restrict value = t->value;
    const uint64_t *restrict code = t->code;
    const uint32_t *restrict args = t->args;
    uint8_t *restrict reached = t->reached;

    tgi_mark_reached(reached, out);
    for (uint32_t i = out + 1; i-- > 0;) {
        const double g = grad[i];
        if (g == 0.0 && !tgi_is_reached(reached, i))
            continue;
        const uint64_t c = code[i];
        const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
        const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
        if (TGI_LIKELY(row->arity == 2)) {
            const double va = value[a], vb = value[b];
            double da, db;
            tgi_local2(row, va, vb, value[i], &da, &db);
            grad[a] += tgi_contribution(row, g, da, va, vb, 0);
            grad[b] += tgi_contribution(row, g, db, va, vb, 1);
            tgi_note_zero(reached, grad, a);
            tgi_note_zero(reached, grad, b);
        } else if (row->arity == 1) {
            const double va = value[a];
            grad[a] += tgi_contribution(row, g, tgi_local1(row, va, value[i]), va, 0.0, 0);
            tgi_note_zero(reached, grad, a);
        } else if (row->arity == TGI_NARY) { /* a = first argument slot, b = number of slots */
            sweep_nary(row, grad, reached, value, args + a, b, g);
        }
    }
}

static tg_status check_out(tg_tape *t, tg_var out, const char *who)
{
    if (!t)
        return TG_ERR_ARG;
    if (!tgi_valid(t, out))
        return tgi_fail(t, TG_ERR_BADVAR, "%s: invalid output variable %u (tape has %u nodes)", who,
                        (unsigned)out.id, (unsigned)t->n_nodes);
    return reset_reached(t, out.id);
}

tg_status tg_backward(tg_tape *t, tg_var out)
{
    tg_status s = check_out(t, out, "tg_backward");
    if (s != TG_OK)
        return s;
    memset(t->grad, 0, (size_t)t->n_nodes * sizeof *t->grad);
    t->grad[out.id] = 1.0; /* dL/dL = 1 */
    if (TGI_UNLIKELY(t->anomaly))
        return tgi_anomaly_sweep(t, out.id);
    sweep(t, out.id);
    return TG_OK;
}

tg_status tg_backward_accumulate(tg_tape *t, tg_var out)
{
    tg_status s = check_out(t, out, "tg_backward_accumulate");
    if (s != TG_OK)
        return s;
    for (uint32_t i = 0; i < t->n_nodes; i++)
        if (tgi_code_op(t->code[i]) != TG_OP_INPUT)
            t->grad[i] = 0.0;
    t->grad[out.id] += 1.0;
    if (TGI_UNLIKELY(t->anomaly))
        return tgi_anomaly_sweep(t, out.id);
    sweep(t, out.id);
    return TG_OK;
}

void tg_zero_grad(tg_tape *t)
{
    if (t && t->n_nodes)
        memset(t->grad, 0, (size_t)t->n_nodes * sizeof *t->grad);
}

void tg_tape_replay(tg_tape *t)
{
    if (!t)
        return;
    if (TGI_UNLIKELY(t->anomaly)) {
        tgi_anomaly_replay(t);
        return;
    }
    for (uint32_t i = 0; i < t->n_nodes; i++)
        if (!(tgi_ops[tgi_code_op(t->code[i])].flags & TGI_LEAF))
            t->value[i] = tgi_eval_node(t, i);
}
