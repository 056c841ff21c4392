/* kernels.h: the inner loops of the reverse sweep and of replay, generated from the op table:
 * one switch case per name of TG_OP_LIST, whose body is the row's own functions (forward, local
 * derivatives, where()-mask) read from tgi_ops at compile time. Included once, at the end of
 * ops/ops.c, because only there are the rows and their static functions visible: each case
 * then inlines its op's arithmetic, so the sweep makes no indirect call and never names an op.
 * What a sweep means (the cone, seeding, clearing) is core/backward.c's. */
#ifndef TG_OPS_KERNELS_H
#define TG_OPS_KERNELS_H

#include "ops_int.h"

/* TG_OP_LIST generates tg_op too, so every op has its case; op codes are < TG_N_OPS. */

/* Node i of row (a constant in every case of the switch below), upstream gradient g:
 *   dL/dx_k += g * dy/dx_k  for each argument x_k,
 * with dy/dx_k from the row's local1/local2 (inlined: row is known at compile time) and the
 * where()-mask of tgi_contribution; with mark, each sum noted (tgi_add_grad). */
TGI_INLINE void backward_node(const tgi_op_row *row, double *restrict grad,
                              const double *restrict value, const uint32_t *restrict args,
                              uint32_t i, uint64_t c, double g, const int mark)
{
    const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
    if (row->arity == 2) {
        const double va = value[a], vb = value[b];
        double da, db;
        row->local2(va, vb, value[i], &da, &db);
        tgi_add_grad(grad, a, tgi_contribution(row, g, da, va, vb, 0), mark);
        tgi_add_grad(grad, b, tgi_contribution(row, g, db, va, vb, 1), mark); /* b may be a */
    } else if (row->arity == 1) {
        const double va = value[a];
        tgi_add_grad(grad, a, tgi_contribution(row, g, row->local1(va, value[i]), va, 0.0, 0),
                     mark);
    } else if (row->arity == TGI_NARY) { /* a = first argument slot, b = number of slots */
        row->backwardn(grad, mark, value, args + a, b, g);
    }
}

/* The dispatch on node i's op: one case per row, each inlining backward_node for that row. */
#define BACKWARD_CASES_                                                                           \
    switch (tgi_code_op(c)) {                                                                     \
        TG_OP_LIST(BACKWARD_CASE_)                                                                \
    default: /* op codes are < TG_N_OPS by construction (tgi_code, _Static_assert above) */     \
        TGI_UNREACHABLE();                                                                        \
    }
#define BACKWARD_CASE_(x)                                                                         \
    case TG_OP_##x:                                                                               \
        backward_node(&tgi_ops[TG_OP_##x], grad, value, args, i, c, g, MARK_);                    \
        break;

uint32_t tgi_sweep_nodes(tg_tape *t, uint32_t out, int *saw_nan)
{
    double *restrict grad = t->grad;
    const double *restrict value = t->value;
    const uint64_t *restrict code = t->code;
    const uint32_t *restrict args = t->args;
    uint32_t outside = 0;
    double probe = 0.0; /* NaN if a gradient met was (as in tgi_sweep_nodes_unmarked) */

    for (uint32_t i = out + 1; i-- > 0;) {
        const double g = grad[i];
        uint64_t g_bits;
        memcpy(&g_bits, &g, sizeof g_bits);
        if (TGI_UNLIKELY((g_bits << 1) == 0)) { /* g is +0 or -0 (core_int.h) */
            if (g_bits == 0) { /* +0: outside out's cone, and so may be the nodes below */
                const uint32_t top = i;
                while (i > 0 && tgi_unreached(grad[i - 1]))
                    i--;
                outside += top - i + 1; /* once a run: the count stays off the skip's path */
                continue;
            }
            grad[i] = 0.0; /* -0, the mark of a reached zero: its gradient is +0 */
        }
        probe += g;
        const uint64_t c = code[i];
#define MARK_ 1
        BACKWARD_CASES_
#undef MARK_
    }
    *saw_nan = probe != probe;
    return outside;
}

/* Every node from out down to 0, in or out of the cone, as one straight sweep. A node outside
 * the cone has gradient +0 and adds g * dy/dx_k = 0 * (finite) = +-0 to its inputs, which
 * changes no sum (x + -0 = x, and +0 + -0 = +0), so the gradients are the cone's bit for bit,
 * unless some local derivative is infinite or NaN, where 0 * inf = NaN would be wrong. A NaN
 * contribution leaves its input's gradient NaN for good (NaN + x = NaN), and every gradient
 * is read here before its node propagates: so probe, the sum of the gradients read, is NaN
 * if any contribution was (or when the sum overflows both ways, a false alarm that costs
 * only time). probe is one add a node, off the gradients' dependency chains. */
int tgi_sweep_nodes_unmarked(tg_tape *t, uint32_t out)
{
    double *restrict grad = t->grad;
    const double *restrict value = t->value;
    const uint64_t *restrict code = t->code;
    const uint32_t *restrict args = t->args;
    double probe = 0.0;

    for (uint32_t i = out + 1; i-- > 0;) {
        const double g = grad[i];
        probe += g;
        const uint64_t c = code[i];
#define MARK_ 0
        BACKWARD_CASES_
#undef MARK_
    }
    return probe == probe;
}
#undef BACKWARD_CASE_
#undef BACKWARD_CASES_

/* Node i's value from its arguments' current values, by the row's forward (inlined). Leaves
 * keep theirs. */
TGI_INLINE double forward_node(const tgi_op_row *row, const double *restrict value,
                               const uint32_t *restrict args, uint32_t i, uint64_t c)
{
    const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
    if (row->arity == 2)
        return row->forward2(value[a], value[b]);
    if (row->arity == 1)
        return row->forward1(value[a]);
    if (row->arity == TGI_NARY)
        return row->forwardn(value, args + a, b);
    return value[i];
}

void tgi_replay_nodes(tg_tape *t, uint32_t from)
{
    double *restrict value = t->value;
    const uint64_t *restrict code = t->code;
    const uint32_t *restrict args = t->args;
    for (uint32_t i = from; i < t->n_nodes; i++) {
        const uint64_t c = code[i];
        switch (tgi_code_op(c)) {
#define FORWARD_CASE_(x)                                                                      \
    case TG_OP_##x:                                                                           \
        value[i] = forward_node(&tgi_ops[TG_OP_##x], value, args, i, c);                      \
        break;
            TG_OP_LIST(FORWARD_CASE_)
#undef FORWARD_CASE_
        default:
            TGI_UNREACHABLE();
        }
    }
}

#endif /* TG_OPS_KERNELS_H */
