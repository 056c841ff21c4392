/* anomaly.c: anomaly detection (tg_tape_set_anomaly), the checked twins of recording, the
 * backward sweep and replay. The fast paths in tape.c and backward.c test t->anomaly once and
 * come here; nothing here runs when it is off. The rules of each op are in ops/ops.c; this
 * file only checks what they produce and says where a NaN or infinity first appeared. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"

void tg_tape_set_anomaly(tg_tape *t, int on)
{
    if (t) {
        t->anomaly = on != 0;
        tgi_sync_limit(t);
    }
}

/* Appends " at LINE:COL "TEXT"" to the message when node id has an origin. */
static void append_origin(tg_tape *t, uint32_t id)
{
    tg_var v = {id};
    tg_origin o;
    if (!tg_get_origin(t, v, &o))
        return;
    size_t len = strlen(t->errmsg);
    snprintf(t->errmsg + len, sizeof t->errmsg - len, " at %u:%u \"%.60s\"", (unsigned)o.line,
             (unsigned)o.column, o.text ? o.text : "");
}

/* Appends "; inputs: node A = x, node B = y" for node i's inputs (the first 4 of an n-ary). */
static void append_inputs(tg_tape *t, uint32_t i)
{
    uint32_t ids[4];
    const uint32_t n_all = tgi_n_args(t, i);
    uint32_t n = 0;
    for (; n < 4 && n < n_all; n++)
        ids[n] = tgi_arg(t, i, n);
    size_t len = strlen(t->errmsg);
    for (uint32_t k = 0; k < n && len < sizeof t->errmsg; k++) {
        snprintf(t->errmsg + len, sizeof t->errmsg - len, "%s node %u = %.10g",
                 k == 0 ? "; inputs:" : ",", (unsigned)ids[k], t->value[ids[k]]);
        len = strlen(t->errmsg);
    }
    if (n < n_all && len < sizeof t->errmsg)
        snprintf(t->errmsg + len, sizeof t->errmsg - len, ", ... (%u inputs)", (unsigned)n_all);
}

/* Records TG_ERR_NONFINITE naming node i (the first error only, like tgi_fail). */
static void fail_value(tg_tape *t, uint32_t i, const char *when)
{
    if (t->status != TG_OK)
        return;
    tgi_fail(t, TG_ERR_NONFINITE, "anomaly %s: node %u (%s) = %.10g", when, (unsigned)i,
             tgi_ops[tgi_code_op(t->code[i])].info.id, t->value[i]);
    t->anomaly_node = i;
    append_inputs(t, i);
    append_origin(t, i);
}

tg_var tgi_anomaly_append(tg_tape *t, uint64_t code, double value)
{
    if (t->status == TG_ERR_NONFINITE)
        return tg_var_invalid(); /* recording stopped at the first anomaly */
    if (t->n_nodes == t->cap_nodes && tg_tape_reserve(t, (size_t)t->n_nodes + 1, 0) != TG_OK)
        return tg_var_invalid();
    uint32_t i = t->n_nodes++;
    t->value[i] = value;
    t->grad[i] = 0.0;
    t->code[i] = code;
    if (!isfinite(value))
        fail_value(t, i, "while recording");
    tg_var v = {i};
    return v;
}

void tgi_anomaly_origin(tg_tape *t, uint32_t id)
{
    if (t->anomaly_node == id && !strstr(t->errmsg, " at "))
        append_origin(t, id);
}

void tgi_anomaly_replay(tg_tape *t)
{
    for (uint32_t i = 0; i < t->n_nodes; i++) {
        if (!(tgi_ops[tgi_code_op(t->code[i])].flags & TGI_LEAF))
            t->value[i] = tgi_eval_node(t, i);
        if (!isfinite(t->value[i])) {
            fail_value(t, i, "in replay");
            return;
        }
    }
}

/* Names node i whose backward step sent the non-finite contribution d = g * local into its
 * k-th input (node `to`). */
static tg_status fail_grad(tg_tape *t, uint32_t i, uint32_t k, uint32_t to, double g, double local)
{
    if (t->status != TG_OK)
        return TG_ERR_NONFINITE;
    tgi_fail(t, TG_ERR_NONFINITE,
             "anomaly in backward: node %u (%s) = %.10g sent gradient %.10g (upstream %.10g x "
             "local %.10g) to its input %u, node %u, which then holds %.10g",
             (unsigned)i, tgi_ops[tgi_code_op(t->code[i])].info.id, t->value[i], g * local, g,
             local, (unsigned)k, (unsigned)to, t->grad[to]);
    t->anomaly_node = i;
    append_inputs(t, i);
    append_origin(t, i);
    return TG_ERR_NONFINITE;
}

/* Adds the contribution of node i to its input k (node to), g * local except for PyTorch's
 * masked zeros (tgi_contribution, the same call as in backward.c, so the results are identical
 * bit for bit to the unchecked sweep's), and checks the contribution and the sum. a and b are
 * the node's input values, for the mask. */
static int add_checked(tg_tape *t, uint32_t i, uint32_t k, uint32_t to, double g, double local,
                       double a, double b)
{
    const tgi_op_row *row = &tgi_ops[tgi_code_op(t->code[i])];
    const double d = tgi_contribution(row, g, local, a, b, k);
    t->grad[to] += d;
    if (isfinite(d) && isfinite(t->grad[to]))
        return 0;
    fail_grad(t, i, k, to, g, local);
    return 1;
}

/* The sweep of backward.c with every contribution checked: the same products and sums in the
 * same order, so that the gradients are identical bit for bit when nothing is wrong. */
tg_status tgi_anomaly_sweep(tg_tape *t, uint32_t out)
{
    if (!isfinite(t->grad[out])) {
        tgi_fail(t, TG_ERR_NONFINITE, "anomaly in backward: seed gradient of node %u is %.10g",
                 (unsigned)out, t->grad[out]);
        return TG_ERR_NONFINITE;
    }
    uint8_t *reached = t->reached;
    tgi_mark_reached(reached, out);
    for (uint32_t i = out + 1; i-- > 0;) {
        if (tgi_unreached(t->grad[i]) && !tgi_is_reached(reached, i))
            continue; /* not in the cone: the fast sweep's test, and this sweep's own bits */
        if (t->grad[i] == 0.0) /* -0, tgi_noted's mark (an n-ary row's input) */
            t->grad[i] = 0.0;
        const uint64_t c = t->code[i];
        const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
        const double g = t->grad[i];
        const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
        if (row->arity == 1) {
            tgi_mark_reached(reached, a);
            if (add_checked(t, i, 0, a, g, row->local1(t->value[a], t->value[i]), t->value[a], 0.0))
                return TG_ERR_NONFINITE;
        } else if (row->arity == 2) {
            double da, db;
            row->local2(t->value[a], t->value[b], t->value[i], &da, &db);
            tgi_mark_reached(reached, a);
            tgi_mark_reached(reached, b);
            if (add_checked(t, i, 0, a, g, da, t->value[a], t->value[b]) ||
                add_checked(t, i, 1, b, g, db, t->value[a], t->value[b]))
                return TG_ERR_NONFINITE;
        } else if (row->arity == TGI_NARY) {
            /* The row's own loop, so that the additions happen in the same order as in the
             * fast sweep; then the first input left non-finite is the one to name. A
             * non-finite contribution always leaves a non-finite sum (inf + x, NaN + x). */
            const uint32_t *arg = t->args + a, n = tgi_n_args(t, i);
            row->backwardn(t->grad, 1, t->value, arg, b, g);
            for (uint32_t k = 0; k < n; k++) {
                const uint32_t x = tgi_arg(t, i, k);
                if (!isfinite(t->grad[x]))
                    return fail_grad(t, i, k, x, g, row->localn(t->value, arg, b, k));
            }
        }
    }
    return TG_OK;
}
