/* rng.c: the seeded generator (splitmix64, as bench/WORKLOADS.md defines it) and what is drawn
 * from it: uniform, normal, integers below n, shuffles. Uses only the public headers.
 * Initialization schemes and datasets draw from here; nothing here knows about tapes. */
#include <math.h>

#include "tapegrad.h"

void tg_rng_init(tg_rng *r, uint64_t seed)
{
    if (r)
        r->state = seed;
}

uint64_t tg_rng_next(tg_rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The top 53 bits, so every value is a multiple of 2^-53 in [0, 1) and exact in a double. */
double tg_rng_u01(tg_rng *r)
{
    return (double)(tg_rng_next(r) >> 11) * 0x1.0p-53;
}

double tg_rng_uniform(tg_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * tg_rng_u01(r);
}

/* Box-Muller: sqrt(-2 ln u1) cos(2 pi u2), with u1 in (0, 1] so the log is finite. */
double tg_rng_normal(tg_rng *r)
{
    const double u1 = 1.0 - tg_rng_u01(r);
    const double u2 = tg_rng_u01(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Rejects draws from the incomplete last block of 2^64 so each of 0..n-1 is equally likely. */
uint64_t tg_rng_below(tg_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = tg_rng_next(r);
    while (x >= limit);
    return x % n;
}

void tg_rng_shuffle(tg_rng *r, size_t n, size_t *idx)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)tg_rng_below(r, i);
        const size_t tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}
