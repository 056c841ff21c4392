/* gradcheck.c: checks a derivative against central finite differences, by replaying the tape
 * (tg_set_value + tg_tape_forward) rather than recording anything again. Uses only the public
 * API. Choosing what to check (every input, a hand-derived formula) and printing the table are
 * left to the caller (cli/tapegrad.c, tests). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "tg_core.h"
#include "tg_ops.h"

/* The largest |value| among the nodes out depends on: rounding in any of them (x + 1e10 - 1e10)
 * shows up in out, so it sets the noise floor of a difference quotient. */
static double cone_magnitude(const tg_tape *t, tg_var out)
{
    unsigned char *cone = calloc((size_t)out.id + 1, 1);
    double m = fabs(tg_value(t, out));
    if (!cone)
        return m;
    cone[out.id] = 1;
    for (uint32_t i = out.id + 1; i-- > 0;) {
        const tg_var v = {i};
        if (!cone[i])
            continue;
        if (isfinite(tg_value(t, v)) && fabs(tg_value(t, v)) > m)
            m = fabs(tg_value(t, v));
        for (size_t k = 0; k < tg_n_inputs(t, v); k++)
            cone[tg_input_of(t, v, k).id] = 1;
    }
    free(cone);
    return m;
}

/* out's value with x set to xv (everything recomputed). */
static double eval_at(tg_tape *t, tg_var out, tg_var x, double xv)
{
    tg_set_value(t, x, xv);
    tg_tape_forward(t);
    return tg_value(t, out);
}

/* Central difference over [x0 - h, x0 + h]; the divisor is the distance between the two points
 * as doubles (x0 + h is rounded). *fmax grows to the largest |f| seen (for the noise bound). */
static double central(tg_tape *t, tg_var out, tg_var x, double x0, double h, double *fmax)
{
    const double xp = x0 + h, xm = x0 - h;
    const double fp = eval_at(t, out, x, xp), fm = eval_at(t, out, x, xm);
    if (fabs(fp) > *fmax)
        *fmax = fabs(fp);
    if (fabs(fm) > *fmax)
        *fmax = fabs(fm);
    return (fp - fm) / (xp - xm);
}

/* Keeps the estimate if it agrees with expected better (relative to what is allowed) than
 * the best so far. */
static void consider(tg_gradcheck_result *r, double *best_ratio, double estimate, double noise,
                     double h, double tol)
{
    if (!isfinite(estimate))
        return;
    const double err = fabs(r->expected - estimate);
    const double allowed = tol * fmax(1.0, fabs(estimate)) + noise;
    const double ratio = err / allowed;
    if (ratio < *best_ratio || !isfinite(*best_ratio)) {
        *best_ratio = ratio;
        r->numeric = estimate;
        r->step = h;
    }
}

tg_status tg_gradcheck(tg_tape *t, tg_var out, tg_var x, double expected, double tol,
                       tg_gradcheck_result *r)
{
    if (!t || !r || !(tol > 0.0))
        return TG_ERR_ARG;
    if (!tg_var_ok(out) || out.id >= tg_tape_size(t) || !tg_var_ok(x) ||
        x.id >= tg_tape_size(t))
        return TG_ERR_BADVAR;
    const double x0 = tg_value(t, x);
    tg_status s = tg_set_value(t, x, x0); /* TG_ERR_NOTLEAF for a computed node */
    if (s != TG_OK)
        return s;

    r->expected = expected;
    r->numeric = NAN;
    r->step = 0.0;
    r->ok = 0;
    r->kink = 0;
    double best_ratio = INFINITY;
    const double magnitude = cone_magnitude(t, out);

    /* Steps: absolute (for |x| <= 1) and relative to x; each central difference D(h) and its
     * Richardson extrapolation (4 D(h/2) - D(h)) / 3, whose error is O(h^4). Rounding noise of
     * a difference is about eps * |f| / h; the extrapolation adds a few such terms. */
    const double scales[2] = {fmax(fabs(x0), 1.0), fabs(x0)};
    const double rel_steps[3] = {1e-3, 1e-5, 1e-7};
    for (int si = 0; si < 2; si++) {
        if (si == 1 && !(scales[1] > 0.0 && scales[1] < 1.0))
            break;
        for (int k = 0; k < 3; k++) {
            const double h = rel_steps[k] * scales[si];
            double fmax_seen = magnitude;
            const double d1 = central(t, out, x, x0, h, &fmax_seen);
            const double d2 = central(t, out, x, x0, h / 2, &fmax_seen);
            const double rich = (4.0 * d2 - d1) / 3.0;
            const double noise = 16.0 * DBL_EPSILON * fmax_seen / h;
            consider(r, &best_ratio, d2, noise, h / 2, tol);
            consider(r, &best_ratio, rich, noise, h, tol);
            if (best_ratio <= 1.0)
                break;
        }
        if (best_ratio <= 1.0)
            break;
    }
    r->ok = best_ratio <= 1.0;

    /* A kink: one-sided slopes over a tiny step differ by much more than curvature explains;
     * any value between them is a valid (sub)gradient, e.g. relu'(0) = 0, abs'(0) = 0. The
     * central difference is still what is reported, with kink set. */
    if (!r->ok) {
        const double h = 1e-8 * scales[0];
        const double f0 = eval_at(t, out, x, x0);
        const double fp = eval_at(t, out, x, x0 + h), fm = eval_at(t, out, x, x0 - h);
        const double right = (fp - f0) / ((x0 + h) - x0), left = (f0 - fm) / (x0 - (x0 - h));
        if (isfinite(left) && isfinite(right)) {
            const double lo = fmin(left, right), hi = fmax(left, right);
            const double allowed = tol * fmax(1.0, fmax(fabs(lo), fabs(hi))) +
                                   16.0 * DBL_EPSILON * fmax(magnitude, 1.0) / h;
            if (hi - lo > 1e-3 * fmax(1.0, fmax(fabs(lo), fabs(hi))) &&
                expected >= lo - allowed && expected <= hi + allowed) {
                r->ok = 1;
                r->kink = 1;
                r->numeric = (fp - fm) / ((x0 + h) - (x0 - h)); /* shown beside the note */
                r->step = h;
            }
        }
    }

    if (isfinite(r->numeric)) {
        r->abs_err = fabs(expected - r->numeric);
        const double scale = fmax(fabs(expected), fabs(r->numeric));
        r->rel_err = scale > 0.0 ? r->abs_err / scale : 0.0;
    } else {
        r->abs_err = r->rel_err = NAN;
        r->ok = 0;
    }
    if (!isfinite(expected))
        r->ok = 0;
    eval_at(t, out, x, x0); /* restore every value */
    return TG_OK;
}
