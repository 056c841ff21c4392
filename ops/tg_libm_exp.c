/* tg_libm_exp.c: exp expm1 log log1p log2 log10 sinh cosh tanh asinh acosh atanh erf erfc,
 * correctly rounded (ops/tg_libm.h), from IEEE + - * / only, so that native and wasm32 builds give
 * the same bits. Everything is evaluated in double-double (ops/tg_dd.h) to a relative error below
 * about 2^-100 and rounded once; the tables come from ops/tg_libm_exp_tables.py (mpmath). Trig
 * functions are ops/tg_libm_trig.c's.
 *
 * Two kernels do the work: exp_kernel (e^x = 2^m * 2^(j/64) * e^r) and log_kernel (log m' =
 * -log r_j + log(1 + z)); the rest are identities on them written so that nothing cancels.
 *
 * Where the double-double result is too close to a rounding midpoint for its error
 * (rounding_in_doubt, a 2^-98 relative margin), the function is evaluated again in triple-double
 * (ops/tg_td.h, about 2^-150) by out-of-line slow paths: log_slow, exp_slow, atanh_slow,
 * erf_small_slow, erfc_large_slow. CORE-MATH's hard-to-round cases need them (1,123 of 736,799
 * were one ulp off without); random arguments reach them with probability about 2^-45. */
#include <math.h> /* INFINITY only: no libm function is called */
#include <stdint.h>
#include <string.h>

#include "tg_bits.h"
#include "tg_dd.h"
#include "tg_libm.h"
#include "tg_libm_erf_tables.h"
#include "tg_libm_exp_tables.h"
#include "tg_td.h"

/* ------------------------------------------------------------------ bits and scaling */

static tg_dd dd_const(const double c[2])
{
    return tg_dd_make(c[0], c[1]);
}

/* RN((y.hi + y.lo) * 2^k): the one final rounding, also where the result is subnormal or
 * overflows. y is normalized (|lo| <= ulp(hi)/2), y.hi normal and != 0.
 * In the normal range RN(y) = y.hi + y.lo and the scaling is exact. Below 2^-1022 the grid is
 * coarser: h = RN(y.hi 2^k) rounds y.hi alone, and d = y.hi - h 2^-k (exact) tells where y.hi sat;
 * y.lo can only change the result when y.hi was exactly half-way (|d| = half the grid step g),
 * then y.lo's sign decides against the tie-to-even the hardware chose. */
static double round_scaled(tg_dd y, int k)
{
    int e = exponent_of(y.hi);
    y = tg_dd_scale(y, pow2(-e)); /* y.hi in [1, 2) */
    k += e;
    if (k >= -1022 && k <= 1023)
        return tg_dd_round(y) * pow2(k);
    if (k > 1023) /* |y 2^k| >= 2^1024 */
        return copysign_of(INFINITY, y.hi);
    if (k < -1075) /* |y 2^k| < 2^-1075: rounds to zero */
        return copysign_of(0.0, y.hi);
    double h = (y.hi * pow2(k + 600)) * pow2(-600);
    double d = y.hi - (h * pow2(600)) * pow2(-k - 600);
    double half_step = pow2(-1075 - k); /* g/2, g = 2^(-1074-k) in units of y */
    if (abs_of(d) == half_step && y.lo != 0 && (y.lo > 0) == (d > 0))
        h += d > 0 ? from_bits(1) : -from_bits(1);
    return h;
}

/* a + b + c = r + t.lo exactly (r = two_sum(s.hi, t.hi)): the two-sums of round_sum3 (below). */
static tg_dd sum3_parts(double a, double b, double c, tg_dd *t)
{
    tg_dd s = tg_two_sum(a, b);
    *t = tg_two_sum(s.lo, c);
    return tg_two_sum(s.hi, t->hi);
}

/* round_sum3's decision, given sum3_parts' r and t (tg_libm_log2 tests r first). */
static double round_sum3_parts(tg_dd r, tg_dd t)
{
    if (r.lo != 0 && t.lo != 0 && (r.lo > 0) == (t.lo > 0)) {
        /* beyond r + r_err on r_err's side: r + 2 r_err is the neighbour there, when r_err was
         * a tie; otherwise r + r_err + t_lo still rounds to r */
        double other = r.hi + 2.0 * r.lo;
        if (other - r.hi == 2.0 * r.lo)
            return other;
    }
    return r.hi;
}

/* RN(a + b + c) for doubles with |c| <= ulp(b) (a double plus a double-double b + c), with one
 * rounding: two_sum twice gives a + b + c = r + r_err + t_lo exactly, r = RN(a + b + ...); r is
 * the answer unless a + b + ... was exactly half-way (|r_err| = ulp/2, and the tie went to even),
 * where t_lo's sign decides. Unlike tg_dd_round(tg_dd_add_d(...)), which would round the tie to
 * even having lost t_lo in the low part: erfc(0x1.c5bf891b4ef6bp-55) = 1 - 2^-54 (1 + 2^-54.4)
 * needs it. (r_err is a multiple of ulp(t_hi), so nothing but an exact tie can be crossed.) */
static double round_sum3(double a, double b, double c)
{
    tg_dd t, r = sum3_parts(a, b, c, &t);
    return round_sum3_parts(r, t);
}

/* The rounding test of the slow paths (triple-double, ops/tg_td.h: tg_dd_round_is_ambiguous):
 * could the exact value of y, a double-double within 2^-100 of it (a kernel's ~2^-104 and a few
 * operations' ~2^-104 each, a cancellation of at most a bit and a half), round either way? A
 * margin of 2^-98 relative: random arguments take the slow path with probability ~2^-45,
 * CORE-MATH's hard-to-round ones (within 2^-96 of a midpoint by construction) often. */
static int rounding_in_doubt(tg_dd y)
{
    return tg_dd_round_is_ambiguous(y, 0x1p-98);
}

static tg_td td_const(const double c[3])
{
    tg_td r = {c[0], c[1], c[2]};
    return r;
}

/* ------------------------------------------------------------------ exp kernel */

/* The nearest integer to x (ties to even), |x| < 2^51: adding 1.5 * 2^52 drops the fraction. */
static double round_to_int(double x)
{
    const double shifter = 0x1.8p52;
    return (x + shifter) - shifter;
}

/* acc * z + c, one Horner step in double-double: cheaper than tg_dd_mul then tg_dd_add, and as
 * accurate (about 2^-104 relative) where it is used: Horner on a series whose terms decrease, so
 * that |acc z| is well below |c| or the two have one sign; no cancellation to amplify the
 * rounding of the low parts. */
static tg_dd dd_mul_add(tg_dd acc, tg_dd z, tg_dd c)
{
    tg_dd p = tg_two_prod(acc.hi, z.hi);
    p.lo += acc.hi * z.lo + acc.lo * z.hi;
    tg_dd s = tg_two_sum(c.hi, p.hi);
    s.lo += p.lo + c.lo;
    return tg_fast_two_sum(s.hi, s.lo);
}

/* acc * t + c for a double t (the same step, one product fewer). */
static tg_dd dd_mul_d_add(tg_dd acc, double t, tg_dd c)
{
    tg_dd p = tg_two_prod(acc.hi, t);
    p.lo += acc.lo * t;
    tg_dd s = tg_two_sum(c.hi, p.hi);
    s.lo += p.lo + c.lo;
    return tg_fast_two_sum(s.hi, s.lo);
}

/* Mixed Horner: sum_{i=1}^{n_dd + n_d} c_i z^i, the first n_dd coefficients double-double, the
 * rest doubles evaluated in plain double on z.hi (the caller chooses n_dd so that those terms
 * are below 2^-53 of the first: their rounding errors stay under 2^-106). */
static tg_dd poly_dd(tg_dd z, const double (*c_dd)[2], int n_dd, const double *c_d, int n_d)
{
    double t = 0.0;
    for (int i = n_d - 1; i >= 0; i--)
        t = t * z.hi + c_d[i];
    tg_dd acc = tg_dd_from(t);
    for (int i = n_dd - 1; i >= 0; i--)
        acc = dd_mul_add(acc, z, dd_const(c_dd[i]));
    return tg_dd_mul(acc, z);
}

typedef struct exp_parts {
    int m, j; /* e^x = 2^m 2^(j/64) (1 + p), j in [-32, 32) */
    tg_dd p;  /* e^r - 1 */
} exp_parts;

/* For a double-double x with |x.hi| < 750: k = round(64 x / ln2), m = floor((k + 32) / 64),
 * j = k - 64 m, r = x - k ln2/64 with |r| <= ln2/128 + 2^-40 < 2^-7.5, computed with ln2/64 in
 * three parts (k * part exact for the first two, |k| < 2^17), so r is good to ~2^-120 absolute.
 * e^r - 1 = sum_{i=1}^{11} r^i/i!: the truncation is below r^12/12! < 2^-111 |r|. */
static exp_parts exp_kernel(tg_dd x)
{
    double kd = round_to_int(x.hi * INV_LN2_64);
    int k = (int)kd;
    exp_parts e;
    e.m = (k + 32 + 64 * 4096) / 64 - 4096;
    e.j = k - 64 * e.m;
    tg_dd r = tg_two_sum(x.hi, -kd * LN2_64_1);
    r = tg_dd_add_d(r, -kd * LN2_64_2);
    r = tg_dd_add_d(r, -kd * LN2_64_3);
    r = tg_dd_add_d(r, x.lo);
    e.p = poly_dd(r, EXPM1_POLY_DD, 6, EXPM1_POLY_D, 5);
    return e;
}

/* 2^(j/64) (1 + p) = T + T p, as a double-double in [2^-0.51, 2^0.51]. */
static tg_dd exp_mantissa(exp_parts e)
{
    tg_dd t = dd_const(EXP2_J[e.j + 32]);
    return tg_dd_add(t, tg_dd_mul(t, e.p));
}

/* e^x - 1 for a double |x| <= 80, as a double-double with relative error ~2^-102.
 * When m = 0 (|x| < ln2/2 + ln2/128): (T - 1) + T p with T - 1 from its own table, so nothing
 * cancels (T - 1 and T p have opposite signs only when |T p| < |T - 1| / 2). Otherwise
 * |e^x - 1| >= 1 - e^-0.35 > 0.29 and e^x 2^m - 1 loses at most 2 bits. */
static tg_dd expm1_dd(double x)
{
    exp_parts e = exp_kernel(tg_dd_from(x));
    if (e.m == 0) {
        tg_dd t = dd_const(EXP2_J[e.j + 32]);
        return tg_dd_add(dd_const(EXP2_J_M1[e.j + 32]), tg_dd_mul(t, e.p));
    }
    return tg_dd_add_d(tg_dd_scale(exp_mantissa(e), pow2(e.m)), -1.0);
}

/* e^x = 2^m * mantissa, no overflow (|x| < 750). */
static tg_dd exp_dd_unscaled(double x, int *m)
{
    exp_parts e = exp_kernel(tg_dd_from(x));
    *m = e.m;
    return exp_mantissa(e);
}

/* The exp kernel in triple-double, for the slow paths: e^x = 2^m (T + T p), T = 2^(j/64) with the
 * table's third part, p = e^r - 1; k, m, j as in exp_kernel; r = x - k ln2/64 from exact terms
 * (k * LN2_64_1 and k * LN2_64_2 exact, k * LN2_64_3 a two-product, k * LN2_64_4 below 2^-178
 * rounded), e^r - 1 = sum_{i=1}^{15} r^i/i! (truncation below 2^-164 |r|). */
static tg_td exp_kernel_td(tg_td x, int *m, int *j)
{
    double kd = round_to_int(x.hi * INV_LN2_64);
    int k = (int)kd;
    *m = (k + 32 + 64 * 4096) / 64 - 4096;
    *j = k - 64 * *m;
    tg_dd c3 = tg_two_prod(-kd, LN2_64_3);
    double t[8] = {-kd * LN2_64_4, c3.lo, x.lo, c3.hi, x.mid, -kd * LN2_64_2, -kd * LN2_64_1, x.hi};
    tg_td r = tg_td_from_terms(t, 8);
    tg_td acc = td_const(EXPM1_SERIES_TD[12]);
    for (int i = 11; i >= 0; i--) /* 1/(i + 3)! */
        acc = tg_td_add(td_const(EXPM1_SERIES_TD[i]), tg_td_mul(r, acc));
    acc = tg_td_add(tg_td_from(0.5), tg_td_mul(r, acc));
    acc = tg_td_add(tg_td_from(1.0), tg_td_mul(r, acc));
    return tg_td_mul(r, acc);
}

static tg_td exp2_j_td(int j)
{
    tg_td t = {EXP2_J[j + 32][0], EXP2_J[j + 32][1], EXP2_J_LO2[j + 32]};
    return t;
}

/* e^x = 2^m * (the result), in [2^-0.51, 2^0.51] */
static tg_td exp_td_unscaled(tg_td x, int *m)
{
    int j;
    tg_td p = exp_kernel_td(x, m, &j);
    tg_td t = exp2_j_td(j);
    return tg_td_add(t, tg_td_mul(t, p));
}

static tg_td td_scale(tg_td a, double power_of_two)
{
    tg_td r = {a.hi * power_of_two, a.mid * power_of_two, a.lo * power_of_two};
    return r;
}

/* RN(y 2^k) where that is normal or overflows (rounded first, then scaled exactly). */
static double td_round_scaled(tg_td y, int k)
{
    return tg_td_round(y) * pow2(k / 2) * pow2(k - k / 2);
}

/* e^x - 1 for a triple-double x, |x.hi| <= 80: as expm1_dd (T - 1 from its table when m = 0). */
static tg_td expm1_td(tg_td x)
{
    int m, j;
    tg_td p = exp_kernel_td(x, &m, &j);
    tg_td t = exp2_j_td(j);
    if (m == 0) {
        tg_td t_m1 = {EXP2_J_M1[j + 32][0], EXP2_J_M1[j + 32][1], EXP2_J_M1_LO2[j + 32]};
        return tg_td_add(t_m1, tg_td_mul(t, p));
    }
    return tg_td_add(td_scale(tg_td_add(t, tg_td_mul(t, p)), pow2(m)), tg_td_from(-1.0));
}

enum exp_fn { FN_EXPM1, FN_EXP_HALF, FN_SINH, FN_COSH, FN_TANH };

/* The exponential family's slow path, for a = x (expm1) or |x| (the others, rounded with x's sign
 * by the caller): expm1(a); e^a / 2 (sinh and cosh above 40); (E + E/(E + 1))/2 with
 * E = expm1(a); (e^a + e^-a)/2; E/(E + 2) with E = expm1(2a). Out of line, like log_slow. */
static __attribute__((noinline, cold)) double exp_slow(double a, enum exp_fn fn)
{
    int m = 0;
    switch (fn) {
    case FN_EXPM1:
        if (a > 80.0) {
            tg_td y = exp_td_unscaled(tg_td_from(a), &m);
            return td_round_scaled(y, m);
        }
        return tg_td_round(expm1_td(tg_td_from(a)));
    case FN_EXP_HALF: {
        tg_td y = exp_td_unscaled(tg_td_from(a), &m);
        return td_round_scaled(y, m - 1);
    }
    case FN_SINH: {
        tg_td e = expm1_td(tg_td_from(a));
        tg_td s = tg_td_add(e, tg_td_div(e, tg_td_add(e, tg_td_from(1.0))));
        return tg_td_round(td_scale(s, 0.5));
    }
    case FN_COSH: {
        tg_td y = exp_td_unscaled(tg_td_from(a), &m);
        y = td_scale(y, pow2(m));
        tg_td c = tg_td_add(y, tg_td_div(tg_td_from(1.0), y));
        return tg_td_round(td_scale(c, 0.5));
    }
    case FN_TANH:
    default: {
        tg_td e = expm1_td(tg_td_from(2.0 * a));
        return tg_td_round(tg_td_div(e, tg_td_add(e, tg_td_from(2.0))));
    }
    }
}

/* exp(x): overflow to inf above ln(DBL_MAX) ~ 709.78, subnormals from -708.40 down to
 * -745.13 (rounded by round_scaled), +0 below. */
double tg_libm_exp(double x)
{
    if (is_nan(x))
        return x + x;
    if (x > 710.0)
        return 0x1p1023 * 2.0;
    if (x < -746.0)
        return 0.0;
    if (abs_of(x) < 0x1p-60) /* e^x = 1 + x + ...: 1 within half an ulp */
        return 1.0 + x;
    exp_parts e = exp_kernel(tg_dd_from(x));
    return round_scaled(exp_mantissa(e), e.m);
}

/* expm1(x) = e^x - 1: x itself below 2^-54 (x^2/2 is under half an ulp of x), -1 below -40
 * (e^x < 2^-57, under half the ulp above -1, 2^-54), e^x rounded alone above 80 (the -1 is
 * below 2^-115 of it; the result may overflow). */
double tg_libm_expm1(double x)
{
    if (is_nan(x))
        return x + x;
    if (abs_of(x) < 0x1p-54)
        return x;
    if (x < -40.0)
        return -1.0;
    if (x > 710.0)
        return 0x1p1023 * 2.0;
    if (x > 80.0) {
        exp_parts e = exp_kernel(tg_dd_from(x));
        tg_dd y = exp_mantissa(e);
        if (rounding_in_doubt(y))
            return exp_slow(x, FN_EXPM1);
        return round_scaled(y, e.m);
    }
    exp_parts e = exp_kernel(tg_dd_from(x));
    if (e.m == 0) {
        tg_dd t = dd_const(EXP2_J[e.j + 32]);
        tg_dd y = tg_dd_add(dd_const(EXP2_J_M1[e.j + 32]), tg_dd_mul(t, e.p));
        if (rounding_in_doubt(y))
            return exp_slow(x, FN_EXPM1);
        return tg_dd_round(y);
    }
    tg_dd y = tg_dd_scale(exp_mantissa(e), pow2(e.m));
    tg_dd t, r = sum3_parts(-1.0, y.hi, y.lo, &t);
    if (rounding_in_doubt(r))
        return exp_slow(x, FN_EXPM1);
    return round_sum3_parts(r, t);
}

/* ------------------------------------------------------------------ log kernel */

/* log(m) for a double-double m in [sqrt(1/2), sqrt(2)]: j = round(128 m.hi), r = RN(128/j) from
 * the table, z = m r - 1 (|z| <= 1/256 / sqrt(1/2) + 2^-52 < 2^-7.49), computed exactly as
 * two_prod(m.hi, r) - 1 + m.lo r; then log m = -log r + log(1 + z) with
 * log(1 + z) = sum_{i=1}^{14} (-1)^(i+1) z^i/i (truncation below z^15/15 < 2^-116 |z|). */
static tg_dd log_reduced(tg_dd m)
{
    int j = (int)(m.hi * 128.0 + 0.5);
    double r = LOG_R[j - 90];
    tg_dd p = tg_two_prod(m.hi, r);
    tg_dd z = tg_two_sum(p.hi - 1.0, p.lo);
    z = tg_dd_add(z, tg_two_prod(m.lo, r));
    return tg_dd_add(dd_const(LOG_MINUS_LOG_R[j - 90]),
                     poly_dd(z, LOG1P_POLY_DD, 8, LOG1P_POLY_D, 6));
}

/* x = 2^e m with m in [sqrt(1/2), sqrt(2)), for a double-double x > 0 (x.hi normal). */
static tg_dd split_exponent(tg_dd x, int *e)
{
    int k = exponent_of(x.hi);
    /* 2^-k in two halves: 2^-1023 is not a normal double */
    tg_dd m = tg_dd_scale(tg_dd_scale(x, pow2(-k / 2)), pow2(-(k - k / 2)));
    if (m.hi > 0x1.6a09e667f3bcdp0) { /* sqrt(2) rounded down */
        m = tg_dd_scale(m, 0.5);
        k++;
    }
    *e = k;
    return m;
}

/* log(x) = e ln2 + log m: when e != 0, |e ln2| >= 0.69 > 2 |log m|, so the sum does not cancel. */
static tg_dd log_dd(tg_dd x, int *e)
{
    tg_dd m = split_exponent(x, e);
    return log_reduced(m);
}

/* log(1 + u) for a double-double u > -1. Where 1 + u is in [sqrt(1/2), sqrt(2)), z = (1 + u) r - 1
 * is formed from u directly as (r - 1) + u r (r - 1 exact by Sterbenz), so a tiny u is not lost
 * in 1 + u; otherwise |log(1 + u)| > 0.34 and 1 + u in double-double is accurate enough. */
static tg_dd log1p_dd(tg_dd u)
{
    double m_hi = 1.0 + u.hi;
    if (m_hi >= 0x1.6a09e667f3bcdp-1 && m_hi <= 0x1.6a09e667f3bcdp0) {
        int j = (int)(m_hi * 128.0 + 0.5);
        double r = LOG_R[j - 90];
        tg_dd ur = tg_two_prod(u.hi, r);
        tg_dd z = tg_two_sum(r - 1.0, ur.hi);
        z = tg_dd_add(z, tg_dd_add(tg_dd_from(ur.lo), tg_two_prod(u.lo, r)));
        return tg_dd_add(dd_const(LOG_MINUS_LOG_R[j - 90]),
                         poly_dd(z, LOG1P_POLY_DD, 8, LOG1P_POLY_D, 6));
    }
    int e;
    tg_dd l = log_dd(tg_dd_add_d(u, 1.0), &e);
    return tg_dd_add(tg_dd_mul_d(dd_const(LN2), (double)e), l);
}

/* The special values shared by log, log2, log10: NaN for x < 0 and NaN, -inf at +-0, +inf at
 * +inf. Returns 1 and sets *out for those; scales a subnormal x to normal (*e_add = -64). */
static int log_special(double x, double *out, double *scaled, int *e_add)
{
    *e_add = 0;
    if (is_nan(x) || x < 0.0) {
        *out = is_nan(x) ? x + x : (x - x) / (x - x);
        return 1;
    }
    if (x == 0.0) {
        *out = -INFINITY;
        return 1;
    }
    if (x > 0x1.fffffffffffffp1023) {
        *out = x;
        return 1;
    }
    if (x < 0x1p-1022) {
        x *= 0x1p64;
        *e_add = -64;
    }
    *scaled = x;
    return 0;
}

/* ------------------------------------------------------------------ log's slow path */

/* log(1 + z) for |z| < 2^-7.4 in triple-double (about 2^-150 relative): 2 atanh(w) =
 * 2 w sum_n w^(2n)/(2n + 1) with w = z/(2 + z), |w| < 2^-8.4, the terms to n = 9 (truncation
 * below w^20/21 < 2^-172 |w|). */
static tg_td log1p_series_td(tg_td z)
{
    tg_td w = tg_td_div(z, tg_td_add(tg_td_from(2.0), z));
    tg_td w2 = tg_td_mul(w, w);
    tg_td sum = td_const(ATANH_SERIES_TD[8]);
    for (int n = 7; n >= 0; n--)
        sum = tg_td_add(td_const(ATANH_SERIES_TD[n]), tg_td_mul(w2, sum));
    sum = tg_td_add(tg_td_from(1.0), tg_td_mul(w2, sum));
    return tg_td_mul(tg_td_add(w, w), sum);
}

/* -log(r_j) with the table's third part */
static tg_td minus_log_r_td(int j)
{
    tg_td c = {LOG_MINUS_LOG_R[j - 90][0], LOG_MINUS_LOG_R[j - 90][1], LOG_MINUS_LOG_R_LO2[j - 90]};
    return c;
}

/* log(m) in triple-double for m = m.hi + m.lo exactly, in [sqrt(1/2), sqrt(2)]: log_reduced's j
 * and r, z = m r - 1 from its four exact partial products (p.hi - 1 exact by Sterbenz). */
static tg_td log_reduced_td(tg_dd m)
{
    int j = (int)(m.hi * 128.0 + 0.5);
    double r = LOG_R[j - 90];
    tg_dd p = tg_two_prod(m.hi, r), q = tg_two_prod(m.lo, r);
    double t[4] = {q.lo, q.hi, p.lo, p.hi - 1.0};
    return tg_td_add(minus_log_r_td(j), log1p_series_td(tg_td_from_terms(t, 4)));
}

/* log(1 + u) for a triple-double u > -1, as log1p_dd: z = (r - 1) + u r where 1 + u is in
 * [sqrt(1/2), sqrt(2)] (a tiny u keeps its digits); otherwise 1 + u = 2^k v and z = v r - 1
 * (|log(1 + u)| > 0.34: z's absolute error of 2^-150 is harmless). */
static tg_td log1p_td(tg_td u)
{
    double m_hi = 1.0 + u.hi;
    if (m_hi >= 0x1.6a09e667f3bcdp-1 && m_hi <= 0x1.6a09e667f3bcdp0) {
        int j = (int)(m_hi * 128.0 + 0.5);
        double r = LOG_R[j - 90];
        tg_td z = tg_td_add(tg_td_from(r - 1.0), tg_td_mul(u, tg_td_from(r)));
        return tg_td_add(minus_log_r_td(j), log1p_series_td(z));
    }
    tg_td v = tg_td_add(tg_td_from(1.0), u);
    int k = exponent_of(v.hi);
    v = td_scale(td_scale(v, pow2(-k / 2)), pow2(-(k - k / 2)));
    if (v.hi > 0x1.6a09e667f3bcdp0) {
        v = td_scale(v, 0.5);
        k++;
    }
    int j = (int)(v.hi * 128.0 + 0.5);
    double r = LOG_R[j - 90];
    tg_td z = tg_td_add(tg_td_mul(v, tg_td_from(r)), tg_td_from(-1.0));
    tg_td l = tg_td_add(minus_log_r_td(j), log1p_series_td(z));
    return tg_td_add(tg_td_mul(td_const(LN2_TD), tg_td_from((double)k)), l);
}

/* atanh(a) = log1p(2a / (1 - a)) / 2 in triple-double (1 - a exact as a two-sum), rounded. */
static __attribute__((noinline, cold)) double atanh_slow(double a)
{
    tg_dd d = tg_two_sum(1.0, -a);
    tg_td den = {d.hi, d.lo, 0.0};
    tg_td u = tg_td_div(tg_td_from(2.0 * a), den);
    return tg_td_round(td_scale(log1p_td(u), 0.5));
}

/* log(x) = e ln2 + log m in triple-double, for a double-double x > 0 that is exact (x.hi normal),
 * the exponent e_add added (a scaled subnormal); with *e, m's exponent, for log2. */
enum log_base { BASE_E, BASE_2, BASE_10 };

/* log(x) in base e, 2 or 10, rounded from triple-double: for a double-double x > 0 that is exact
 * (x.hi normal), times 2^e_add (a subnormal argument was scaled up). log2 keeps its integer part
 * e exact. Out of line: the fast paths only test and call. */
static __attribute__((noinline, cold)) double log_slow(tg_dd x, int e_add, enum log_base base)
{
    int e;
    tg_dd m = split_exponent(x, &e);
    tg_td log_m = log_reduced_td(m);
    tg_td k = tg_td_from((double)(e + e_add));
    if (base == BASE_2)
        return tg_td_round(tg_td_add(k, tg_td_mul(log_m, td_const(INV_LN2_TD))));
    tg_td l = tg_td_add(tg_td_mul(td_const(LN2_TD), k), log_m);
    return tg_td_round(base == BASE_10 ? tg_td_mul(l, td_const(INV_LN10_TD)) : l);
}

double tg_libm_log(double x)
{
    double out, s;
    int e, e_add;
    if (log_special(x, &out, &s, &e_add))
        return out;
    tg_dd l = log_dd(tg_dd_from(s), &e);
    tg_dd y = tg_dd_add(tg_dd_mul_d(dd_const(LN2), (double)(e + e_add)), l);
    if (rounding_in_doubt(y))
        return log_slow(tg_dd_from(s), e_add, BASE_E);
    return tg_dd_round(y);
}

/* log2(x) = e + log(m)/ln2: the integer part is exact, so log2 of a power of two is exact. The
 * rounding test is on round_sum3's own two-sums. */
double tg_libm_log2(double x)
{
    double out, s;
    int e, e_add;
    if (log_special(x, &out, &s, &e_add))
        return out;
    tg_dd l = log_dd(tg_dd_from(s), &e);
    tg_dd f = tg_dd_mul(l, dd_const(INV_LN2));
    tg_dd t, r = sum3_parts((double)(e + e_add), f.hi, f.lo, &t);
    if (rounding_in_doubt(r))
        return log_slow(tg_dd_from(s), e_add, BASE_2);
    return round_sum3_parts(r, t);
}

/* log10(x) = (e ln2 + log m) / ln10; exact powers of ten come out exact because the error is far
 * below half an ulp of an integer. */
double tg_libm_log10(double x)
{
    double out, s;
    int e, e_add;
    if (log_special(x, &out, &s, &e_add))
        return out;
    tg_dd l = log_dd(tg_dd_from(s), &e);
    l = tg_dd_add(tg_dd_mul_d(dd_const(LN2), (double)(e + e_add)), l);
    tg_dd y = tg_dd_mul(l, dd_const(INV_LN10));
    if (rounding_in_doubt(y))
        return log_slow(tg_dd_from(s), e_add, BASE_10);
    return tg_dd_round(y);
}

/* log1p(x): x itself below 2^-54 (log1p x = x - x^2/2 + ...: under half an ulp), -inf at -1,
 * NaN below. */
double tg_libm_log1p(double x)
{
    if (is_nan(x))
        return x + x;
    if (x < -1.0)
        return (x - x) / (x - x);
    if (x == -1.0)
        return -INFINITY;
    if (x > 0x1.fffffffffffffp1023)
        return x;
    if (abs_of(x) < 0x1p-54)
        return x;
    if (x > 0x1p1000) { /* 1 + x = x within 2^-1000 relative */
        int e;
        tg_dd l = log_dd(tg_dd_from(x), &e);
        tg_dd y = tg_dd_add(tg_dd_mul_d(dd_const(LN2), (double)e), l);
        if (rounding_in_doubt(y))
            return log_slow(tg_dd_from(x), 0, BASE_E);
        return tg_dd_round(y);
    }
    tg_dd y = log1p_dd(tg_dd_from(x));
    if (rounding_in_doubt(y)) /* 1 + x is exact as two_sum(1, x) */
        return log_slow(tg_two_sum(1.0, x), 0, BASE_E);
    return tg_dd_round(y);
}

/* ------------------------------------------------------------------ hyperbolic functions */

/* sinh(x) = (E + E/(E + 1)) / 2 with E = expm1(|x|) > 0 (no cancellation, unlike
 * (e^x - e^-x)/2 near 0); x itself below 2^-26 (sinh x = x + x^3/6: under half an ulp);
 * e^|x|/2 above 40 (e^-|x| is below 2^-115 of it), which may overflow. */
double tg_libm_sinh(double x)
{
    double a = abs_of(x);
    if (is_nan(x))
        return x + x;
    if (a < 0x1p-26)
        return x;
    if (a > 711.0)
        return copysign_of(0x1p1023 * 2.0, x);
    if (a > 40.0) {
        int m;
        tg_dd y = exp_dd_unscaled(a, &m);
        if (rounding_in_doubt(y))
            return copysign_of(exp_slow(a, FN_EXP_HALF), x);
        return copysign_of(round_scaled(y, m - 1), x);
    }
    tg_dd em1 = expm1_dd(a);
    tg_dd s = tg_dd_add(em1, tg_dd_div(em1, tg_dd_add_d(em1, 1.0)));
    if (rounding_in_doubt(s))
        return copysign_of(exp_slow(a, FN_SINH), x);
    return copysign_of(tg_dd_round(tg_dd_scale(s, 0.5)), x);
}

/* cosh(x) = (e^|x| + e^-|x|) / 2: a sum of positives. 1 below 2^-27 (x^2/2 < 2^-55, under half
 * the ulp above 1), e^|x|/2 above 40. */
double tg_libm_cosh(double x)
{
    double a = abs_of(x);
    if (is_nan(x))
        return x + x;
    if (a < 0x1p-27)
        return 1.0;
    if (a > 711.0)
        return 0x1p1023 * 2.0;
    int m;
    tg_dd y = exp_dd_unscaled(a, &m);
    if (a > 40.0) {
        if (rounding_in_doubt(y))
            return exp_slow(a, FN_EXP_HALF);
        return round_scaled(y, m - 1);
    }
    y = tg_dd_scale(y, pow2(m));
    tg_dd c = tg_dd_add(y, tg_dd_div(tg_dd_from(1.0), y));
    if (rounding_in_doubt(c))
        return exp_slow(a, FN_COSH);
    return tg_dd_round(tg_dd_scale(c, 0.5));
}

/* tanh(x) = E / (E + 2), E = expm1(2|x|); x below 2^-27 (x^3/3 under half an ulp), +-1 above 22
 * (1 - tanh = 2 e^-2|x| < 2^-62, under half the gap below 1). */
double tg_libm_tanh(double x)
{
    double a = abs_of(x);
    if (is_nan(x))
        return x + x;
    if (a < 0x1p-27)
        return x;
    if (a > 22.0)
        return copysign_of(1.0, x);
    tg_dd em1 = expm1_dd(2.0 * a);
    tg_dd t = tg_dd_div(em1, tg_dd_add_d(em1, 2.0));
    if (rounding_in_doubt(t))
        return copysign_of(exp_slow(a, FN_TANH), x);
    return copysign_of(tg_dd_round(t), x);
}

/* ------------------------------------------------------------------ inverse hyperbolic */

/* asinh(x) = log1p(a + a^2 / (1 + sqrt(1 + a^2))), a = |x| (the usual log(a + sqrt(a^2 + 1))
 * with the 1 taken out, so small a keeps its digits); x below 2^-27; log(a) + ln2 above 2^60
 * (sqrt(a^2 + 1) = a within 2^-121). */
double tg_libm_asinh(double x)
{
    double a = abs_of(x);
    if (is_nan(x))
        return x + x;
    if (a < 0x1p-27)
        return x;
    if (a > 0x1.fffffffffffffp1023)
        return x;
    if (a > 0x1p60) {
        int e;
        tg_dd l = log_dd(tg_dd_from(a), &e);
        tg_dd r = tg_dd_add(tg_dd_mul_d(dd_const(LN2), (double)(e + 1)), l);
        return copysign_of(tg_dd_round(r), x);
    }
    tg_dd a2 = tg_two_prod(a, a);
    tg_dd s = tg_dd_sqrt(tg_dd_add_d(a2, 1.0));
    tg_dd u = tg_dd_add_d(tg_dd_div(a2, tg_dd_add_d(s, 1.0)), a);
    return copysign_of(tg_dd_round(log1p_dd(u)), x);
}

/* acosh(x) = log1p(t + sqrt(t (t + 2))), t = x - 1 (exact as a double-double), for x >= 1;
 * log(x) + ln2 above 2^60. NaN below 1. */
double tg_libm_acosh(double x)
{
    if (is_nan(x))
        return x + x;
    if (x < 1.0)
        return (x - x) / (x - x);
    if (x > 0x1.fffffffffffffp1023)
        return x;
    if (x > 0x1p60) {
        int e;
        tg_dd l = log_dd(tg_dd_from(x), &e);
        return tg_dd_round(tg_dd_add(tg_dd_mul_d(dd_const(LN2), (double)(e + 1)), l));
    }
    if (x == 1.0)
        return 0.0;
    tg_dd t = tg_two_sum(x, -1.0);
    tg_dd u = tg_dd_add(t, tg_dd_sqrt(tg_dd_mul(t, tg_dd_add_d(t, 2.0))));
    return tg_dd_round(log1p_dd(u));
}

/* atanh(x) = log1p(2a / (1 - a)) / 2, a = |x| < 1 (1 - a exact as a double-double); x below 2^-27
 * (x^3/3 under half an ulp), +-inf at +-1, NaN beyond. */
double tg_libm_atanh(double x)
{
    double a = abs_of(x);
    if (is_nan(x))
        return x + x;
    if (a < 0x1p-27)
        return x;
    if (a > 1.0)
        return (x - x) / (x - x);
    if (a == 1.0)
        return copysign_of(INFINITY, x);
    tg_dd u = tg_dd_div(tg_dd_from(2.0 * a), tg_two_sum(1.0, -a));
    tg_dd y = log1p_dd(u);
    if (rounding_in_doubt(y))
        return copysign_of(atanh_slow(a), x);
    return copysign_of(tg_dd_round(tg_dd_scale(y, 0.5)), x);
}

/* ------------------------------------------------------------------ error functions */

/* G(x) = e^(x^2) erfc(x) for 0.5 <= x < 28, from the Taylor expansion of its interval
 * (ops/tg_libm_erf_tables.py: intervals 1/16 of an octave wide, each expansion checked against
 * mpmath to 2^-105 relative). t = x - c is exact (Sterbenz: x and c are within a factor 2). The
 * tail of the expansion is summed in double, the first n_dd terms in double-double. */
static tg_dd erfcx_dd(double x)
{
    int s = exponent_of(x);
    int i = (int)((x * pow2(-s) - 1.0) * ERFCX_PIECES);
    const struct erfcx_piece *piece = &ERFCX_PIECE[(s - ERFCX_FIRST_OCTAVE) * ERFCX_PIECES + i];
    const double(*g)[2] = ERFCX_COEFFS + piece->offset;
    double t = x - piece->center;
    double tail = 0.0;
    for (int k = piece->n - 1; k >= piece->n_dd; k--)
        tail = tail * t + g[k][0];
    tg_dd acc = tg_dd_from(tail);
    for (int k = piece->n_dd - 1; k >= 0; k--)
        acc = dd_mul_d_add(acc, t, dd_const(g[k]));
    return acc;
}

/* erfc(x) = e^(-x^2) G(x) for 0.5 <= x < 28, as 2^m * (a double-double): x^2 is exact as
 * two_prod(x, x), e^-(x^2) comes from exp_kernel unscaled, so the product rounds once (and
 * correctly when it is subnormal, x > 26.55). */
static tg_dd erfc_scaled(double x, int *m)
{
    tg_dd x2 = tg_two_prod(x, x);
    exp_parts e = exp_kernel(tg_dd_neg(x2));
    *m = e.m;
    return tg_dd_mul(exp_mantissa(e), erfcx_dd(x));
}

/* erf(x) / x = sum_n a_n x^(2n) for |x| < 0.5 (the terms fall by x^2/n at least: 22 of them
 * reach 2^-110). */
static tg_dd erf_series(double x)
{
    tg_dd x2 = tg_two_prod(x, x);
    double tail = 0.0;
    for (int n = 9; n >= 0; n--)
        tail = tail * x2.hi + ERF_SERIES_D[n];
    tg_dd acc = tg_dd_from(tail);
    for (int n = 11; n >= 0; n--)
        acc = dd_mul_add(acc, x2, dd_const(ERF_SERIES_DD[n]));
    return acc;
}

/* The slow path of erf (complement 0) and of erfc (1) for 2^-900 <= |x| < 0.5: x erf(x)/x from
 * the series in triple-double (its 28 terms), 1 minus that for erfc. */
static __attribute__((noinline, cold)) double erf_small_slow(double x, int complement)
{
    tg_dd x2d = tg_two_prod(x, x);
    tg_td x2 = {x2d.hi, x2d.lo, 0.0};
    tg_td acc = td_const(ERF_SERIES_TD[27]);
    for (int n = 26; n >= 0; n--)
        acc = tg_td_add(td_const(ERF_SERIES_TD[n]), tg_td_mul(x2, acc));
    tg_td y = tg_td_mul(acc, tg_td_from(x));
    return tg_td_round(complement ? tg_td_add(tg_td_from(1.0), tg_td_neg(y)) : y);
}

/* erfc(x) for 16 <= x < 26.5 (a normal result) in triple-double: e^(-x^2) / (x sqrt(pi)) S with
 * the asymptotic series S = sum_{n=0}^{40} (-1)^n (2n - 1)!! / (2x^2)^n, by Horner as
 * 1 - u (1 - 3u (1 - 5u (...))), u = 1/(2x^2): alternating, so the error is below the first
 * omitted term, 81!! u^41 < 2^-160. */
static __attribute__((noinline, cold)) double erfc_large_slow(double x)
{
    tg_dd x2d = tg_two_prod(x, x);
    tg_td x2 = {x2d.hi, x2d.lo, 0.0};
    tg_td u = tg_td_div(tg_td_from(0.5), x2);
    tg_td s = tg_td_from(1.0);
    for (int n = 40; n >= 1; n--)
        s = tg_td_add(tg_td_from(1.0),
                      tg_td_neg(tg_td_mul(tg_td_mul(u, tg_td_from(2.0 * n - 1.0)), s)));
    int m;
    tg_td e = exp_td_unscaled(tg_td_neg(x2), &m);
    tg_td y = tg_td_mul(e, tg_td_div(tg_td_mul(s, td_const(INV_SQRT_PI_TD)), tg_td_from(x)));
    return td_round_scaled(y, m);
}

/* erf(x) = x * erf_series(x) for |x| < 0.5; where the result is near the subnormals
 * (|x| < 2^-900) the product is formed at x 2^200 and rounded with the scale, so that the one
 * rounding is to the subnormal grid (no slow path there: erf(x)/x is 2/sqrt(pi) within 2^-1800). */
static double erf_small(double x)
{
    tg_dd series = erf_series(x);
    if (abs_of(x) < 0x1p-900)
        return round_scaled(tg_dd_mul_d(series, x * 0x1p200), -200);
    tg_dd y = tg_dd_mul_d(series, x);
    if (rounding_in_doubt(y))
        return erf_small_slow(x, 0);
    return tg_dd_round(y);
}

/* erf(x): the series below 0.5; 1 - erfc(x) from 0.5 to 6 (erfc(0.5) < 0.48: no cancellation
 * beyond a bit); +-1 above 6 (1 - erf(6) = 2.2e-17, under half the gap below 1, 5.5e-17). */
double tg_libm_erf(double x)
{
    double a = abs_of(x);
    if (is_nan(x))
        return x + x;
    if (x == 0.0)
        return x;
    if (a < 0.5)
        return erf_small(x);
    if (a >= 6.0)
        return copysign_of(1.0, x);
    int m;
    tg_dd c = erfc_scaled(a, &m);
    c = tg_dd_scale(c, pow2(m));
    return copysign_of(round_sum3(1.0, -c.hi, -c.lo), x);
}

/* erfc(x): 1 - erf(x) for |x| < 0.5 (erf(x) < 0.53 there); e^(-x^2) G(x) from 0.5 to 28,
 * underflowing to subnormals from 26.55 and to +0 at 27.23; 2 - erfc(-x) below -0.5, which is 2
 * below -6 (erfc(6) < 2^-55, under half the gap below 2). erfc(-inf) = 2, erfc(+inf) = +0. */
double tg_libm_erfc(double x)
{
    if (is_nan(x))
        return x + x;
    double a = abs_of(x);
    if (a < 0.5) {
        if (a < 0x1p-56) /* erfc = 1 - 2x/sqrt(pi): the x is under half an ulp of 1 */
            return 1.0 - x;
        tg_dd y = tg_dd_mul_d(erf_series(x), x);
        tg_dd t, r = sum3_parts(1.0, -y.hi, -y.lo, &t);
        if (rounding_in_doubt(r))
            return erf_small_slow(x, 1);
        return round_sum3_parts(r, t);
    }
    if (x >= 28.0)
        return 0.0;
    if (x <= -6.0)
        return 2.0;
    int m;
    tg_dd c = erfc_scaled(a, &m);
    if (x > 0.0) {
        if (x >= 16.0 && x < 26.5 && rounding_in_doubt(c))
            return erfc_large_slow(x);
        return round_scaled(c, m);
    }
    c = tg_dd_scale(c, pow2(m));
    return round_sum3(2.0, -c.hi, -c.lo);
}
