/* loss.c: losses recorded with tape ops (so backward differentiates them like any graph):
 * mean squared error, binary cross-entropy on logits, softmax cross-entropy, micrograd's
 * max-margin loss, and L2 regularization. Uses only the public headers (tapegrad.h).
 * Sums are chains of binary adds, left to right, so a loss allocates nothing but nodes. */
#include <math.h>

#include "tapegrad.h"

/* Records the left-to-right sum acc + term, or term when acc is not yet started. */
static tg_var chain_add(tg_tape *t, tg_var acc, tg_var term)
{
    return tg_var_ok(acc) ? tg_add(t, acc, term) : term;
}

static int bad_args(tg_tape *t, size_t n, const void *a, const void *b)
{
    /* The public API has no way to set a tape error message, so an invalid tg_var is the
     * answer; callers see TG_ERR_BADVAR from the next op that uses it. */
    return !t || n == 0 || !a || !b;
}

/* L = (1/n) sum (p_i - y_i)^2
 * dL/dp_i = (1/n) 2 (p_i - y_i): the sub's 1, the square's 2 d, the mean's 1/n. */
tg_var tg_loss_mse(tg_tape *t, size_t n, const tg_var *pred, const double *y)
{
    if (bad_args(t, n, pred, y))
        return tg_var_invalid();
    tg_var acc = tg_var_invalid();
    for (size_t i = 0; i < n; i++) {
        tg_var d = tg_sub(t, pred[i], tg_const(t, y[i]));
        acc = chain_add(t, acc, tg_mul(t, d, d));
    }
    return tg_mulc(t, acc, 1.0 / (double)n);
}

/* l(z, y) = max(z, 0) - z y + log(1 + e^-|z|), the stable form of
 * -[y log s(z) + (1 - y) log(1 - s(z))], s the sigmoid.
 *   z >= 0:  l = z - z y + log(1 + e^-z),  dl/dz = 1 - y - e^-z / (1 + e^-z) = s(z) - y
 *   z <  0:  l = -z y + log(1 + e^z),      dl/dz = -y + e^z / (1 + e^z)     = s(z) - y
 * Branching on the value (rather than relu and abs, whose kinks at 0 would give -y instead of
 * s(0) - y = 1/2 - y there) keeps each side smooth; e^-|z| <= 1 never overflows. */
tg_var tg_loss_bce_logits(tg_tape *t, size_t n, const tg_var *z, const double *y)
{
    if (bad_args(t, n, z, y))
        return tg_var_invalid();
    tg_var acc = tg_var_invalid();
    for (size_t i = 0; i < n; i++) {
        const tg_var zi = z[i];
        const tg_var zy = tg_mulc(t, zi, y[i]);
        tg_var li;
        if (tg_value(t, zi) >= 0.0) {
            tg_var sp = tg_log(t, tg_addc(t, tg_exp(t, tg_neg(t, zi)), 1.0));
            li = tg_add(t, tg_sub(t, zi, zy), sp);
        } else {
            tg_var sp = tg_log(t, tg_addc(t, tg_exp(t, zi), 1.0));
            li = tg_sub(t, sp, zy);
        }
        acc = chain_add(t, acc, li);
    }
    return tg_mulc(t, acc, 1.0 / (double)n);
}

/* Per sample, S = sum_c p_c and m = max_c z_c (a constant: it cancels exactly in the math,
 * and only keeps exp from overflowing):
 *   L_i = S log(sum_c e^(z_c - m)) - sum_c p_c (z_c - m)
 *   dL_i/dz_c = S e^(z_c - m) / sum e^(. - m) - p_c = S softmax(z)_c - p_c */
tg_var tg_loss_softmax_ce(tg_tape *t, size_t n, size_t k, const tg_var *z, const double *p)
{
    if (bad_args(t, n, z, p) || k == 0)
        return tg_var_invalid();
    tg_var acc = tg_var_invalid();
    for (size_t i = 0; i < n; i++) {
        const tg_var *zi = z + i * k;
        const double *pi = p + i * k;
        double m = tg_value(t, zi[0]), s_p = 0.0;
        for (size_t c = 1; c < k; c++)
            if (tg_value(t, zi[c]) > m)
                m = tg_value(t, zi[c]);
        if (!isfinite(m))
            m = 0.0; /* an infinite or NaN logit: let the IEEE values through unshifted */
        const tg_var mc = tg_const(t, m);
        tg_var sum_e = tg_var_invalid(), cross = tg_var_invalid();
        for (size_t c = 0; c < k; c++) {
            tg_var d = tg_sub(t, zi[c], mc);
            sum_e = chain_add(t, sum_e, tg_exp(t, d));
            if (pi[c] != 0.0)
                cross = chain_add(t, cross, tg_mulc(t, d, pi[c]));
            s_p += pi[c];
        }
        tg_var li = tg_mulc(t, tg_log(t, sum_e), s_p);
        if (tg_var_ok(cross))
            li = tg_sub(t, li, cross);
        acc = chain_add(t, acc, li);
    }
    return tg_mulc(t, acc, 1.0 / (double)n);
}

/* l_i = relu(1 + (-y_i) s_i), micrograd's demo (its nodes: mul, add, relu, in that order).
 * dl_i/ds_i = -y_i where 1 - y_i s_i > 0, else 0. */
tg_var tg_loss_hinge(tg_tape *t, size_t n, const tg_var *score, const double *y)
{
    if (bad_args(t, n, score, y))
        return tg_var_invalid();
    tg_var acc = tg_var_invalid();
    for (size_t i = 0; i < n; i++) {
        tg_var li = tg_relu(t, tg_addc(t, tg_mulc(t, score[i], -y[i]), 1.0));
        acc = chain_add(t, acc, li);
    }
    return tg_mulc(t, acc, 1.0 / (double)n);
}

/* R = alpha sum_j p_j p_j (one dot node of the parameters with themselves).
 * dR/dp_j = alpha (p_j + p_j) = 2 alpha p_j: the dot adds g p_j for each of p_j's two slots. */
tg_var tg_loss_l2(tg_tape *t, size_t n, const tg_var *params, double alpha)
{
    if (!t || (n && !params))
        return tg_var_invalid();
    return tg_mulc(t, tg_dot(t, n, params, params), alpha);
}
