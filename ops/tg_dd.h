/* tg_dd.h: double-double arithmetic for tapegrad's own math functions (ops/tg_libm*.c).
 *
 * A double-double is an unevaluated sum hi + lo of two binary64 numbers with |lo| <= ulp(hi)/2,
 * about 106 bits of precision. Every operation here is made of IEEE-754 + - * / and sqrt only
 * (no fma, no long double, no libm), so the same source gives the same bits with gcc on x86-64
 * and clang on wasm32: that is the point of the file. The including file must be compiled with
 * floating-point contraction off (`-ffp-contract=off`; gcc ignores the STDC FP_CONTRACT pragma), or
 * a compiler that fuses a*b+c into an fma would change the error terms below.
 *
 * The error-free transformations (Knuth's two-sum, Dekker's fast two-sum and Veltkamp/Dekker
 * two-product) are exact barring overflow; two-product's split also needs |a|, |b| < 2^996.
 * Private header: not installed, not part of the public API. */
#ifndef TG_DD_H
#define TG_DD_H

typedef struct tg_dd {
    double hi, lo;
} tg_dd;

static inline tg_dd tg_dd_make(double hi, double lo)
{
    tg_dd r = {hi, lo};
    return r;
}

static inline tg_dd tg_dd_from(double x)
{
    return tg_dd_make(x, 0.0);
}

/* a + b = s + e exactly, any order of magnitude (Knuth). */
static inline tg_dd tg_two_sum(double a, double b)
{
    double s = a + b;
    double bb = s - a;
    double e = (a - (s - bb)) + (b - bb);
    return tg_dd_make(s, e);
}

/* a + b = s + e exactly, when |a| >= |b| or a == 0 (Dekker). */
static inline tg_dd tg_fast_two_sum(double a, double b)
{
    double s = a + b;
    double e = b - (s - a);
    return tg_dd_make(s, e);
}

/* a = hi + lo with hi holding the top 26 bits (Veltkamp's split, 2^27 + 1). */
static inline tg_dd tg_split(double a)
{
    const double splitter = 134217729.0;
    double c = splitter * a;
    double hi = c - (c - a);
    return tg_dd_make(hi, a - hi);
}

/* a * b = p + e exactly (Dekker), for |a|, |b| < 2^996 and no underflow of e. */
static inline tg_dd tg_two_prod(double a, double b)
{
    double p = a * b;
    tg_dd as = tg_split(a), bs = tg_split(b);
    double e = ((as.hi * bs.hi - p) + as.hi * bs.lo + as.lo * bs.hi) + as.lo * bs.lo;
    return tg_dd_make(p, e);
}

/* x + y, relative error about 2^-104 (the accurate "sloppy-free" addition: both error terms kept).
 */
static inline tg_dd tg_dd_add(tg_dd x, tg_dd y)
{
    tg_dd s = tg_two_sum(x.hi, y.hi);
    tg_dd t = tg_two_sum(x.lo, y.lo);
    s.lo += t.hi;
    s = tg_fast_two_sum(s.hi, s.lo);
    s.lo += t.lo;
    return tg_fast_two_sum(s.hi, s.lo);
}

static inline tg_dd tg_dd_neg(tg_dd x)
{
    return tg_dd_make(-x.hi, -x.lo);
}

static inline tg_dd tg_dd_sub(tg_dd x, tg_dd y)
{
    return tg_dd_add(x, tg_dd_neg(y));
}

static inline tg_dd tg_dd_add_d(tg_dd x, double y)
{
    tg_dd s = tg_two_sum(x.hi, y);
    s.lo += x.lo;
    return tg_fast_two_sum(s.hi, s.lo);
}

/* x * y, relative error about 2^-102. */
static inline tg_dd tg_dd_mul(tg_dd x, tg_dd y)
{
    tg_dd p = tg_two_prod(x.hi, y.hi);
    p.lo += x.hi * y.lo + x.lo * y.hi;
    return tg_fast_two_sum(p.hi, p.lo);
}

static inline tg_dd tg_dd_mul_d(tg_dd x, double y)
{
    tg_dd p = tg_two_prod(x.hi, y);
    p.lo += x.lo * y;
    return tg_fast_two_sum(p.hi, p.lo);
}

/* x * 2^k for a power of two m = 2^k: exact (no rounding) unless it under- or overflows. */
static inline tg_dd tg_dd_scale(tg_dd x, double power_of_two)
{
    return tg_dd_make(x.hi * power_of_two, x.lo * power_of_two);
}

/* x / y: q1 = x.hi / y.hi, then one correction from the exact remainder x - q1 y, and a second
 * quotient of what is left; relative error about 2^-102. */
static inline tg_dd tg_dd_div(tg_dd x, tg_dd y)
{
    double q1 = x.hi / y.hi;
    tg_dd r = tg_dd_sub(x, tg_dd_mul_d(y, q1));
    double q2 = r.hi / y.hi;
    r = tg_dd_sub(r, tg_dd_mul_d(y, q2));
    double q3 = r.hi / y.hi;
    tg_dd q = tg_fast_two_sum(q1, q2);
    return tg_dd_add_d(q, q3);
}

/* sqrt(x) for x > 0: s = sqrt(x.hi) (correctly rounded), then one Newton step in double-double,
 * sqrt(x) ~ s + (x - s^2) / (2 s); relative error about 2^-102. */
static inline tg_dd tg_dd_sqrt(tg_dd x)
{
    double s = __builtin_sqrt(x.hi);
    tg_dd r = tg_dd_sub(x, tg_two_prod(s, s));
    return tg_fast_two_sum(s, r.hi / (2.0 * s));
}

/* The one final rounding: hi + lo to the nearest double. After tg_fast_two_sum, hi is already
 * that (|lo| <= ulp(hi)/2, ties to even by the hardware's addition). */
static inline double tg_dd_round(tg_dd x)
{
    return x.hi + x.lo;
}

#endif
