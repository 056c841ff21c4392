/* gradcheck.c: checks a derivative against central finite differences, by replaying the tape
 * (tg_set_value + tg_tape_replay) rather than recording anything again. Uses only the public
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
    unsigned char *cone = malloc((size_t)out.id + 1);
    double m = fabs(tg_value(t, out));
    if (!cone || tg_cone(t, out, TG_CONE_ALL, cone) != TG_OK) {
        free(cone);
        return m;
    }
    for (uint32_t i = 0; i <= out.id; i++) {
        const tg_var v = {i};
        if (cone[i] && isfinite(tg_value(t, v)) && fabs(tg_value(t, v)) > m)
            m = fabs(tg_value(t, v));
    }
    free(cone);
    return m;
}

/* out's value with x set to xv (everything recomputed). */
static double eval_at(tg_tape *t, tg_var out, tg_var x, double xv)
{
    tg_set_value(t, x, xv);
    tg_tape_replay(t);
    return tg_value(t, out);
}

/* Central difference over [x0 - h, x0 + h]; the divisor is the distance between the two points
 * as doubles (x0 + h is rounded). *fmax grows to the largest |f| seen (for the noise bound). */
static double central(tg_tape *t, tg_var out, tg_var x, double x0, double h, double *fmax)
{
    const double xp = x0 + h, xm = x0 - h;
    const double fp = eval_at(t, out, x, xp), fm = eval_at(t, out, x, xm);
    if (!isfinite(fp) || !isfinite(fm))
        return NAN; /* outside the domain (log near 0): no estimate from this step */
    if (fabs(fp) > *fmax)
        *fmax = fabs(fp);
    if (fabs(fm) > *fmax)
        *fmax = fabs(fm);
    return (fp - fm) / (xp - xm);
}

tg_status tg_gradcheck(tg_tape *t, tg_var out, tg_var x, double expected, double tol,
                       tg_gradcheck_result *r)
{
    if (!t || !r || !(tol > 0.0))
        return TG_ERR_ARG;
    if (!tg_var_ok(out) || out.id >= tg_tape_size(t) || !tg_var_ok(x) || x.id >= tg_tape_size(t))
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
    r->at_kink = 0;
    r->left = r->right = NAN;
    const double magnitude = cone_magnitude(t, out);
    double best_err = INFINITY; /* estimated error of r->numeric */

    /* Steps from 1e-1 to 1e-7 of max(|x|, 1), and of |x| when it is below 1. Each gives a
     * central difference D(h/2) and the Richardson extrapolation R = (4 D(h/2) - D(h)) / 3,
     * whose truncation error is O(h^4). R's error is estimated as |R - D(h/2)| plus rounding
     * noise (each f is off by about e = eps * the largest value out depends on, so R by about
     * 3 e / h; twice that is counted), and, as in Ridders' method, at least its distance to the
     * R of the neighbouring steps: a large step whose four points all land on a flat side of a
     * relu looks exact by itself but disagrees with the smaller steps. The estimate with the
     * smallest error is kept, chosen without looking at expected, so a wrong derivative cannot
     * pick a step that suits it. */
    enum { N_STEPS = 7 };
    const double scales[2] = {fmax(fabs(x0), 1.0), fabs(x0)};
    for (int si = 0; si < 2; si++) {
        if (si == 1 && !(scales[1] > 0.0 && scales[1] < 1.0))
            break;
        double rich[N_STEPS], err[N_STEPS], h[N_STEPS];
        double rel = 1e-1;
        for (int i = 0; i < N_STEPS; i++, rel /= 10) {
            h[i] = rel * scales[si];
            double fmax_seen = magnitude;
            const double d1 = central(t, out, x, x0, h[i], &fmax_seen);
            const double d2 = central(t, out, x, x0, h[i] / 2, &fmax_seen);
            rich[i] = (4.0 * d2 - d1) / 3.0;
            err[i] = fabs(rich[i] - d2) + 6.0 * DBL_EPSILON * fmax_seen / h[i];
        }
        for (int i = 0; i < N_STEPS; i++) {
            double e = err[i];
            if (i > 0 && isfinite(rich[i - 1]))
                e = fmax(e, fabs(rich[i] - rich[i - 1]));
            if (i + 1 < N_STEPS && isfinite(rich[i + 1]))
                e = fmax(e, fabs(rich[i] - rich[i + 1]));
            if (isfinite(rich[i]) && e < best_err) {
                best_err = e;
                r->numeric = rich[i];
                r->step = h[i];
            }
        }
    }
    r->ok = isfinite(r->numeric) &&
            fabs(expected - r->numeric) <= tol * fmax(1.0, fabs(r->numeric)) + best_err;

    /* The one-sided slopes over a tiny step tell a kink: they differ by much more than
     * curvature explains. expected lying between them (relu'(0) = 0 is such a subgradient)
     * sets kink when the central difference disagrees, as the contract says it must. */
    {
        const double h = x0 != 0.0 ? fmin(1e-8 * fmax(fabs(x0), 1.0), 1e-4 * fabs(x0)) : 1e-8;
        const double f0 = eval_at(t, out, x, x0);
        const double fp = eval_at(t, out, x, x0 + h), fm = eval_at(t, out, x, x0 - h);
        const double right = (fp - f0) / ((x0 + h) - x0), left = (f0 - fm) / (x0 - (x0 - h));
        r->left = left;
        r->right = right;
        if (isfinite(left) && isfinite(right)) {
            const double lo = fmin(left, right), hi = fmax(left, right);
            const double allowed = tol * fmax(1.0, fmax(fabs(lo), fabs(hi))) +
                                   16.0 * DBL_EPSILON * fmax(magnitude, 1.0) / h;
            r->at_kink = hi - lo > 1e-3 * fmax(1.0, fmax(fabs(lo), fabs(hi)));
            r->kink = !r->ok && r->at_kink && expected >= lo - allowed && expected <= hi + allowed;
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
