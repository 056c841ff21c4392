/* higher.c: the backward that records itself (PyTorch's create_graph), and what is built on
 * it: Hessian-vector products (forward-over-reverse and reverse-over-reverse) and Hessians.
 * What each op records as g * dy/dx is its row's vjp column (ops/ops.c); tangent sweeps and
 * Jacobians are in forward.c. */
#include <stdlib.h>

#include "core_int.h"
#include "ops_int.h"
#include "tg_higher.h"

/* The sweep of tg_backward, with nodes instead of numbers. acc[i] is the node holding
 * dL/dy_i so far (TG_INVALID_ID while no path from out has reached node i). For node i with
 * gradient node g and inputs x_k:  acc[x_k] = acc[x_k] + vjp_k(g), a tg_add where x_k already
 * had a contribution (fan-out), so the recorded sums come in the order backward adds. Nodes
 * appended during the sweep lie above out and are never visited: no recursion, one pass. */
static tg_status record_sweep(tg_tape *t, uint32_t out, uint32_t *acc)
{
    for (uint32_t i = 0; i <= out; i++)
        acc[i] = TG_INVALID_ID;
    const tg_var one = tg_const(t, 1.0); /* dL/dL = 1 */
    if (!tg_var_ok(one))
        return TG_ERR_NOMEM;
    acc[out] = one.id;
    for (uint32_t i = out + 1; i-- > 0;) {
        if (acc[i] == TG_INVALID_ID)
            continue;
        const tgi_op_row *row = &tgi_ops[tgi_code_op(t->code[i])];
        if (row->flags & TGI_LEAF)
            continue;
        if (!row->vjp)
            return tgi_fail(t, TG_ERR_ARG, "tg_grad_graph: op %s has no recorded derivative",
                            row->info.id);
        const tg_var y = {i}, g = {acc[i]};
        const uint32_t n_in = tgi_n_args(t, i);
        for (uint32_t k = 0; k < n_in; k++) {
            const uint32_t x = tgi_arg(t, i, k); /* t->args read afresh: recording may move it */
            tg_var c = row->vjp(t, y, g, k);
            if (c.id == TGI_NO_FLOW_ID)
                continue; /* where's untaken branch, a comparison's operands */
            if (tg_var_ok(c) && acc[x] != TG_INVALID_ID) {
                const tg_var sofar = {acc[x]};
                c = tg_add(t, sofar, c);
            }
            if (!tg_var_ok(c))
                return TG_ERR_NOMEM;
            acc[x] = c.id;
        }
    }
    return TG_OK;
}

tg_status tg_grad_graph(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, tg_var *grads_out)
{
    if (!t)
        return TG_ERR_ARG;
    if (!tgi_valid(t, out))
        return tgi_fail(t, TG_ERR_BADVAR, "tg_grad_graph: invalid output variable %u",
                        (unsigned)out.id);
    if (n && (!wrt || !grads_out))
        return tgi_fail(t, TG_ERR_ARG, "tg_grad_graph: NULL array with n = %zu", n);
    for (size_t j = 0; j < n; j++)
        if (!tgi_valid(t, wrt[j]))
            return tgi_fail(t, TG_ERR_BADVAR, "tg_grad_graph: invalid variable %u",
                            (unsigned)wrt[j].id);
    const tg_mark start = tg_tape_mark(t);
    uint32_t *acc = malloc(((size_t)out.id + 1) * sizeof *acc);
    if (!acc)
        return tgi_fail(t, TG_ERR_NOMEM, "tg_grad_graph: out of memory for %u nodes",
                        (unsigned)out.id + 1);
    tg_status s = record_sweep(t, out.id, acc);
    tg_var zero = tg_var_invalid();
    for (size_t j = 0; s == TG_OK && j < n; j++) {
        const uint32_t w = wrt[j].id;
        if (w <= out.id && acc[w] != TG_INVALID_ID) {
            grads_out[j].id = acc[w];
            continue;
        }
        if (!tg_var_ok(zero) && !tg_var_ok(zero = tg_const(t, 0.0)))
            s = TG_ERR_NOMEM;
        grads_out[j] = zero;
    }
    free(acc);
    if (s == TG_ERR_NOMEM) {
        /* the node that failed has kept its reason (NOMEM or CAPACITY) unless an older error
         * was already on the tape */
        s = t->status == TG_ERR_CAPACITY ? TG_ERR_CAPACITY : TG_ERR_NOMEM;
        tgi_fail(t, s, "tg_grad_graph: the tape could not hold the gradient graph");
    }
    if (s != TG_OK)
        tg_tape_rewind(t, start);
    return s;
}

/* Reverse-over-reverse: d/dx_i of sum_j g_j(x) v_j is (H v)_i, H being symmetric. */
static tg_status hvp_reverse(tg_tape *t, size_t n, const tg_var *wrt, const tg_var *g,
                             const double *v, double *hv)
{
    tg_var *vc = malloc((n ? n : 1) * sizeof *vc);
    if (!vc)
        return tgi_fail(t, TG_ERR_NOMEM, "tg_hvp: out of memory");
    for (size_t j = 0; j < n; j++)
        vc[j] = tg_const(t, v[j]);
    const tg_var s = tg_dot(t, n, g, vc);
    free(vc);
    if (!tg_var_ok(s))
        return t->status != TG_OK ? t->status : TG_ERR_NOMEM;
    tg_status st = tg_backward(t, s);
    for (size_t i = 0; st == TG_OK && i < n; i++)
        hv[i] = t->grad[wrt[i].id];
    return st;
}

/* What tg_hvp and tg_hessian do with the gradient nodes g[0..n) of out: H v, or H itself. */
typedef struct second_order {
    const double *v; /* tg_hvp's direction; NULL for the Hessian */
    tg_mode mode;
    double *result;
} second_order;

/* Records the gradient graph of out, applies job to it, and rewinds the tape to where it was,
 * so a Hessian-vector product or a Hessian leaves no trace on the tape. */
static tg_status with_grad_graph(tg_tape *t, tg_var out, size_t n, const tg_var *wrt,
                                 const char *who, const second_order *job)
{
    const tg_mark start = tg_tape_mark(t);
    tg_var *g = malloc((n ? n : 1) * sizeof *g);
    if (!g)
        return tgi_fail(t, TG_ERR_NOMEM, "%s: out of memory", who);
    tg_status s = tg_grad_graph(t, out, n, wrt, g);
    if (s == TG_OK && job->v) /* H v: reverse-over-reverse, or forward-over-reverse */
        s = job->mode == TG_MODE_REVERSE ? hvp_reverse(t, n, wrt, g, job->v, job->result)
                                         : tg_jvp(t, n, g, n, wrt, job->v, job->result);
    else if (s == TG_OK) /* H is the Jacobian of the gradient nodes; square, so AUTO goes forward */
        s = tg_jacobian(t, n, g, n, wrt, job->mode == TG_MODE_REVERSE ? job->mode : TG_MODE_FORWARD,
                        job->result);
    free(g);
    tg_tape_rewind(t, start);
    return s;
}

tg_status tg_hvp(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, const double *v, tg_mode mode,
                 double *hv)
{
    if (!t)
        return TG_ERR_ARG;
    if (n && (!v || !hv))
        return tgi_fail(t, TG_ERR_ARG, "tg_hvp: NULL vector with n = %zu", n);
    if ((unsigned)mode > TG_MODE_REVERSE)
        return tgi_fail(t, TG_ERR_ARG, "tg_hvp: unknown mode %d", (int)mode);
    static const double no_direction[1] = {0.0}; /* n = 0: an empty direction, not "Hessian" */
    const second_order job = {v ? v : no_direction, mode, hv};
    return with_grad_graph(t, out, n, wrt, "tg_hvp", &job);
}

tg_status tg_hessian(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, tg_mode mode,
                     double *hess)
{
    if (!t)
        return TG_ERR_ARG;
    if (n && !hess)
        return tgi_fail(t, TG_ERR_ARG, "tg_hessian: NULL result with n = %zu", n);
    if ((unsigned)mode > TG_MODE_REVERSE)
        return tgi_fail(t, TG_ERR_ARG, "tg_hessian: unknown mode %d", (int)mode);
    const second_order job = {NULL, mode, hess};
    return with_grad_graph(t, out, n, wrt, "tg_hessian", &job);
}
