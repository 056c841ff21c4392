/* tg_td.h: triple-double arithmetic, hi + mid + lo (about 150 bits), for the slow paths of
 * tapegrad's own math functions (ops/tg_libm_trig.c): when a double-double result is too close to
 * a midpoint between two doubles for its error bound (tg_dd_round_is_ambiguous, a 2^-100 relative
 * margin: a random input goes there with probability ~2^-47; the published hard-to-round cases
 * do), the function is evaluated again in triple-double. Each operation lists its exact partial
 * terms (tg_two_sum, tg_two_prod) and sums them error-free (tg_td_from_terms), so the only
 * roundings are in the smallest part. IEEE + - * / only, like tg_dd.h: the same bits natively and
 * in wasm32 (compile with -ffp-contract=off). Private header: not installed. */
#ifndef TG_TD_H
#define TG_TD_H

#include <stdint.h>
#include <string.h>

#include "tg_dd.h"

typedef struct tg_td {
    double hi, mid, lo;
} tg_td;

/* t[0] + ... + t[n-1] (n <= 12) as a triple-double: passes of two-sums leave the rounded total
 * in the last element and the exact remainder in the others; the remainder is summed the same way
 * into the second part, and what is left, in double, into the third. */
static inline tg_td tg_td_from_terms(double *t, int n)
{
    double part[2];
    for (int k = 0; k < 2; k++, n--) {
        for (int pass = 0; pass < 3; pass++)
            for (int i = 1; i < n; i++) {
                tg_dd s = tg_two_sum(t[i], t[i - 1]);
                t[i] = s.hi;
                t[i - 1] = s.lo;
            }
        part[k] = t[n - 1];
    }
    double rest = 0;
    for (int i = 0; i < n; i++)
        rest += t[i];
    tg_td r = {part[0], part[1], rest};
    return r;
}

static inline tg_td tg_td_from(double x)
{
    tg_td r = {x, 0.0, 0.0};
    return r;
}

static inline tg_td tg_td_neg(tg_td a)
{
    tg_td r = {-a.hi, -a.mid, -a.lo};
    return r;
}

static inline tg_td tg_td_add(tg_td a, tg_td b)
{
    double t[6] = {a.lo, b.lo, a.mid, b.mid, a.hi, b.hi};
    return tg_td_from_terms(t, 6);
}

/* a * b: the products of parts down to 2^-106 relative exact (two_prod), the rest in double */
static inline tg_td tg_td_mul(tg_td a, tg_td b)
{
    tg_dd p0 = tg_two_prod(a.hi, b.hi), p1 = tg_two_prod(a.hi, b.mid),
          p2 = tg_two_prod(a.mid, b.hi);
    double t[9] = {a.hi * b.lo, a.mid * b.mid, a.lo * b.hi, p1.lo, p2.lo,
                   p0.lo,       p1.hi,         p2.hi,       p0.hi};
    return tg_td_from_terms(t, 9);
}

/* a / b: four quotient digits, each from the remainder a - q b, computed in triple-double */
static inline tg_td tg_td_div(tg_td a, tg_td b)
{
    double q[4];
    tg_td rem = a;
    for (int k = 0; k < 4; k++) {
        q[k] = rem.hi / b.hi;
        rem = tg_td_add(rem, tg_td_neg(tg_td_mul(b, tg_td_from(q[k]))));
    }
    double t[4] = {q[3], q[2], q[1], q[0]};
    return tg_td_from_terms(t, 4);
}

/* The double nearest hi + mid + lo (a tg_td from tg_td_from_terms: hi is hi + mid + lo rounded, up
 * to an exact tie between hi and its neighbour, which lo breaks). */
static inline double tg_td_round(tg_td a)
{
    if (a.mid == 0 || a.lo == 0)
        return a.hi + a.mid;
    uint64_t bits; /* the neighbour of hi on mid's side */
    memcpy(&bits, &a.hi, sizeof bits);
    bits += (a.mid > 0) == (a.hi > 0) ? 1 : -1;
    double toward;
    memcpy(&toward, &bits, sizeof toward);
    if (a.mid * 2 != toward - a.hi) /* not a tie */
        return a.hi + a.mid;
    return (a.lo > 0) == (a.mid > 0) ? toward : a.hi;
}

/* Could the exact value of a, a double-double within rel_margin of it relative (0x1p-100: the
 * circular functions' kernels; 0x1p-98: the exponential family's), round either way? The slow
 * paths recompute in triple-double when it could. */
static inline int tg_dd_round_is_ambiguous(tg_dd a, double rel_margin)
{
    double margin = (a.hi < 0 ? -a.hi : a.hi) * rel_margin;
    return a.hi + (a.lo + margin) != a.hi + (a.lo - margin);
}

#endif
