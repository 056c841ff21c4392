/* forward.c: forward mode. A tangent sweep runs over the tape in recording order and carries,
 * for every node, its derivative along one input direction (the JVP); Jacobians use it (one
 * sweep per input) or tg_backward (one per output). The numbers are the op table's local
 * derivatives (ops/ops.c); the gradient graph and Hessians are in higher.c. */
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"
#include "tg_higher.h"

/* Chain rule forward, for nodes lo..hi:  y = f(x_0, .., x_{k-1})  =>
 *   dy/dh = (seed of y) + sum_k dy/dx_k * dx_k/dh.
 * tan[] holds the seeds on entry and the tangents on return; nodes below lo must have tangent
 * 0 there. A term whose input tangent is exactly 0 is skipped (an inactive input), so that an
 * infinite or NaN local derivative off the direction's path (sqrt at 0, pow's ln(a) for a < 0
 * with a constant exponent) does not give 0 * inf = NaN. */
static void tangent_sweep(const tg_tape *t, double *tan, uint32_t lo, uint32_t hi)
{
    const double *value = t->value;
    for (uint32_t i = lo; i <= hi; i++) {
        const uint64_t c = t->code[i];
        const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
        const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
        double s = tan[i];
        switch (row->arity) {
        case 0:
            break;
        case 1:
            if (tan[a] != 0.0)
                s += row->local1(value[a], value[i]) * tan[a];
            break;
        case 2:
            if (tan[a] != 0.0 || tan[b] != 0.0) {
                double da, db;
                row->local2(value[a], value[b], value[i], &da, &db);
                if (tan[a] != 0.0)
                    s += da * tan[a];
                if (tan[b] != 0.0)
                    s += db * tan[b];
            }
            break;
        default: { /* TGI_NARY: a = first argument slot, b = number of slots */
            const uint32_t n = tgi_n_args(t, i);
            for (uint32_t k = 0; k < n; k++) {
                const uint32_t x = tgi_arg(t, i, k);
                if (tan[x] != 0.0 && !(row->maskedn && row->maskedn(value, t->args + a, b, k)))
                    s += row->localn(value, t->args + a, b, k) * tan[x];
            }
            break;
        }
        }
        tan[i] = s;
    }
}

static tg_status check_vars(tg_tape *t, size_t n, const tg_var *v, const char *who,
                            const char *what)
{
    if (n && !v)
        return tgi_fail(t, TG_ERR_ARG, "%s: NULL array of %zu %s", who, n, what);
    for (size_t k = 0; k < n; k++)
        if (!tgi_valid(t, v[k]))
            return tgi_fail(t, TG_ERR_BADVAR, "%s: invalid %s variable %u (tape has %u nodes)", who,
                            what, (unsigned)v[k].id, (unsigned)t->n_nodes);
    return TG_OK;
}

/* The largest id among v[0..n-1] (0 if n is 0). */
static uint32_t max_id(size_t n, const tg_var *v)
{
    uint32_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (v[k].id > m)
            m = v[k].id;
    return m;
}

tg_status tg_jvp(tg_tape *t, size_t n_out, const tg_var *outs, size_t n_in, const tg_var *in,
                 const double *dir, double *jvp_out)
{
    if (!t)
        return TG_ERR_ARG;
    tg_status s;
    if ((s = check_vars(t, n_out, outs, "tg_jvp", "output")) != TG_OK ||
        (s = check_vars(t, n_in, in, "tg_jvp", "input")) != TG_OK)
        return s;
    if ((n_in && !dir) || (n_out && !jvp_out))
        return tgi_fail(t, TG_ERR_ARG, "tg_jvp: NULL direction or result array");
    if (!n_out)
        return TG_OK;
    const uint32_t hi = max_id(n_out, outs);
    double *tan = calloc((size_t)hi + 1, sizeof *tan);
    if (!tan)
        return tgi_fail(t, TG_ERR_NOMEM, "tg_jvp: out of memory for %u tangents", (unsigned)hi + 1);
    uint32_t lo = hi + 1;
    for (size_t k = 0; k < n_in; k++)
        if (in[k].id <= hi) {
            tan[in[k].id] += dir[k];
            if (in[k].id < lo)
                lo = in[k].id;
        }
    if (lo <= hi)
        tangent_sweep(t, tan, lo, hi);
    for (size_t i = 0; i < n_out; i++)
        jvp_out[i] = tan[outs[i].id];
    free(tan);
    return TG_OK;
}

/* Column j of the Jacobian: one tangent sweep seeded with 1 on wrt[j]. */
static tg_status jacobian_forward(tg_tape *t, size_t m, const tg_var *outs, size_t n,
                                  const tg_var *wrt, double *jac)
{
    const uint32_t hi = max_id(m, outs);
    double *tan = malloc(((size_t)hi + 1) * sizeof *tan);
    if (!tan)
        return tgi_fail(t, TG_ERR_NOMEM, "tg_jacobian: out of memory for %u tangents",
                        (unsigned)hi + 1);
    for (size_t j = 0; j < n; j++) {
        const uint32_t lo = wrt[j].id;
        if (lo > hi) { /* no output depends on a node recorded after all of them */
            for (size_t i = 0; i < m; i++)
                jac[i * n + j] = 0.0;
            continue;
        }
        memset(tan, 0, ((size_t)hi + 1) * sizeof *tan);
        tan[lo] = 1.0;
        tangent_sweep(t, tan, lo, hi);
        for (size_t i = 0; i < m; i++)
            jac[i * n + j] = tan[outs[i].id];
    }
    free(tan);
    return TG_OK;
}

/* Row i of the Jacobian: one backward sweep from outs[i]. */
static tg_status jacobian_reverse(tg_tape *t, size_t m, const tg_var *outs, size_t n,
                                  const tg_var *wrt, double *jac)
{
    for (size_t i = 0; i < m; i++) {
        tg_status s = tg_backward(t, outs[i]);
        if (s != TG_OK)
            return s;
        for (size_t j = 0; j < n; j++)
            jac[i * n + j] = t->grad[wrt[j].id];
    }
    return TG_OK;
}

tg_status tg_jacobian(tg_tape *t, size_t m, const tg_var *outs, size_t n, const tg_var *wrt,
                      tg_mode mode, double *jac)
{
    if (!t)
        return TG_ERR_ARG;
    tg_status s;
    if ((s = check_vars(t, m, outs, "tg_jacobian", "output")) != TG_OK ||
        (s = check_vars(t, n, wrt, "tg_jacobian", "input")) != TG_OK)
        return s;
    if (m && n && !jac)
        return tgi_fail(t, TG_ERR_ARG, "tg_jacobian: NULL result array");
    if ((unsigned)mode > TG_MODE_REVERSE)
        return tgi_fail(t, TG_ERR_ARG, "tg_jacobian: unknown mode %d", (int)mode);
    if (!m || !n)
        return TG_OK;
    if (mode == TG_MODE_AUTO)
        mode = n <= m ? TG_MODE_FORWARD : TG_MODE_REVERSE;
    return mode == TG_MODE_FORWARD ? jacobian_forward(t, m, outs, n, wrt, jac)
                                   : jacobian_reverse(t, m, outs, n, wrt, jac);
}
