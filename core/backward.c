/* backward.c: the reverse sweep (the chain rule over the whole tape) and the forward replay.
 * The sweep runs from out down to node 0, once, with no recursion: the tape is already in
 * topological order because every node was appended after its inputs. Only nodes in out's cone
 * (those out depends on) propagate, so an unused node with an infinite local derivative
 * (sqrt at 0, say) cannot pour 0 * inf = NaN into an input that out does use. What each op
 * contributes is its row in ops/ops.c. */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"

static inline void mark_reached(uint8_t *reached, uint32_t i) { reached[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline int is_reached(const uint8_t *reached, uint32_t i) { return (reached[i >> 3] >> (i & 7)) & 1; }

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
 * g = dL/dy_i and inputs x_k:  dL/dx_k += g * dy_i/dx_k. */
static void sweep(tg_tape *t, uint32_t out)
{
    double *restrict grad = t->grad;
    const double *restrict value = t->value;
    const uint64_t *restrict code = t->code;
    const uint32_t *restrict args = t->args;
    uint8_t *restrict reached = t->reached;

    mark_reached(reached, out);
    for (uint32_t i = out + 1; i-- > 0;) {
        if (!is_reached(reached, i))
            continue;
        const uint64_t c = code[i];
        const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
        const double g = grad[i];
        const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
        switch (row->arity) {
        case 0:
            break;
        case 1:
            grad[a] += tgi_contribution(row, g, row->local1(value[a], value[i]), value[a], 0.0, 0);
            mark_reached(reached, a);
            break;
        case 2: {
            double da, db;
            row->local2(value[a], value[b], value[i], &da, &db);
            grad[a] += tgi_contribution(row, g, da, value[a], value[b], 0);
            grad[b] += tgi_contribution(row, g, db, value[a], value[b], 1);
            mark_reached(reached, a);
            mark_reached(reached, b);
            break;
        }
        default: /* TGI_NARY: a = first argument slot, b = number of slots */
            row->backwardn(grad, value, args + a, b, g);
            for (uint32_t k = 0; k < b; k++)
                mark_reached(reached, args[a + k]);
            break;
        }
    }
}

static tg_status check_out(tg_tape *t, tg_var out, const char *who)
{
    if (!t)
        return TG_ERR_ARG;
    if (!tgi_valid(t, out))
        return tgi_fail(t, TG_ERR_BADVAR, "%s: invalid output variable %u (tape has %u nodes)",
                        who, (unsigned)out.id, (unsigned)t->n_nodes);
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

void tg_tape_forward(tg_tape *t)
{
    if (!t)
        return;
    if (TGI_UNLIKELY(t->anomaly)) {
        tgi_anomaly_forward(t);
        return;
    }
    for (uint32_t i = 0; i < t->n_nodes; i++)
        if (!(tgi_ops[tgi_code_op(t->code[i])].flags & TGI_LEAF))
            t->value[i] = tgi_eval_node(t, i);
}
