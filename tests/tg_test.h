/* tg_test.h: what the tests share, so that no helper is copied between them: a reproducible
 * random number generator and the comparisons that print both numbers. Header-only, test code
 * only; tests/op_cases.h adds the per-op rows on top. */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <math.h>
#include <stdint.h>

/* splitmix64, so that the points are the same on every machine. A test may reseed. */
static uint64_t rng_state = 20261123;
static inline double uniform(double lo, double hi)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

/* |got - want| <= tol * max(1, |want|) */
static inline int close_to(double got, double want, double tol)
{
    return fabs(got - want) <= tol * fmax(1.0, fabs(want));
}

/* The same double, bit for bit (NaN equals NaN, and 0 equals -0 is not enough). */
static inline int same_bits(double a, double b)
{
    union {
        double d;
        uint64_t u;
    } x = {a}, y = {b};
    return x.u == y.u;
}

#endif
