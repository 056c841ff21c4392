/* test_powc_exact.c: powc's value and local derivative are C's pow(a, p) and p * pow(a, p - 1)
 * bit for bit (its row's C text), although ops/ops.c skips the pow call where the exact power
 * is a double (x * x, sqrt(x), 1 / sqrt(x), x itself). Why that must hold: pow is accurate to
 * 0.52 ulp (glibc 2.36 and musl share ARM's implementation), so when the exact x^p is a double,
 * pow returns that double, and so does an exact IEEE operation; and x^-0.5 for an exact root s is
 * RN(1/s) when 1/s lies within 0.42 ulp of it (no other double within 0.54 ulp: W1's 1.6, the
 * derivative of p = 0.5, comes this way, as do most of the exact roots below). Here the claim meets
 * the data: 3e7 doubles, 1e7 at each of W1's exponents 2 and 0.5 (random bit patterns, numbers of
 * few significant bits whose powers are exact, squares of those, powers of 4, signed zeros,
 * subnormals, huge values, inf, nan, negatives), with pow itself as the reference, and a count, by
 * an independent test of exactness (C's fma, exact by IEEE 754), showing that many of them take the
 * fast path. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ops_int.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t next_u64(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static int same_double(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y));
}

/* A double of `bits` significant bits (1..53) and a random exponent in [lo, hi], random sign. */
static double short_double(int bits, int lo, int hi)
{
    const uint64_t r = next_u64();
    double m = (double)((r >> (64 - bits)) | (1ull << (bits - 1))); /* bits-bit odd or even int */
    const int e = lo + (int)(next_u64() % (uint64_t)(hi - lo + 1));
    m = ldexp(m, e - (bits - 1));
    return (r & 1) ? -m : m;
}

/* The k-th test input: a mix of kinds, all deterministic. */
static double input(uint64_t k)
{
    switch (k % 8) {
    case 0: /* any bit pattern: subnormals, inf, nan, negatives included */
        return from_bits(next_u64());
    case 1: /* few bits, any exponent: squares exact unless they under- or overflow */
        return short_double(1 + (int)(next_u64() % 30), -1074, 1023);
    case 2: /* few bits, moderate exponent */
        return short_double(1 + (int)(next_u64() % 28), -60, 60);
    case 3: { /* a square of a short number: its square root is exact */
        const double s = short_double(1 + (int)(next_u64() % 27), -530, 510);
        return s * s;
    }
    case 4: /* powers of 4 (and of 2): 1/sqrt is exact, and their neighbours */
        return ldexp(1.0, -1074 + (int)(next_u64() % 2098)) * ((next_u64() & 1) ? 1.0 : -1.0);
    case 5: { /* near the ends of the fast paths' ranges */
        static const double edges[] = {0x1p-511, 0x1p512, 0x1p-1022, 0x1p996, 0x1p-537, 0x1p-1074};
        const double e = edges[next_u64() % 6];
        return nextafter(e, (next_u64() & 1) ? INFINITY : 0.0) * ((next_u64() & 1) ? 1.0 : -1.0);
    }
    case 6: { /* special values */
        static const double sp[] = {0.0,  -0.0,    INFINITY, -INFINITY,    NAN,
                                    -NAN, DBL_MIN, DBL_MAX,  DBL_TRUE_MIN, 1.0,
                                    -1.0, 0.25,    0.625,    0.390625};
        return sp[next_u64() % (sizeof sp / sizeof sp[0])];
    }
    default: /* W1's kind of value: a few bits near 1 */
        return short_double(1 + (int)(next_u64() % 8), -4, 4);
    }
}

/* Is x^p a double, by fma (exact: fma(x, x, -t) is the rounding error of t = x * x)? The
 * conditions the engine tests are different code (a split, ops/ops.c's powc_pow). Counts only: the
 * assertion is the comparison with pow. */
static int square_is_exact(double x)
{
    const double t = x * x;
    return isfinite(t) && t >= DBL_MIN && fma(x, x, -t) == 0.0;
}
static int root_is_exact(double x)
{
    const double s = sqrt(x);
    return x >= DBL_MIN && isfinite(x) && fma(s, s, -x) == 0.0;
}

static void check_exponent(double p, uint64_t n, uint64_t *n_exact)
{
    const tgi_op_row *row = &tgi_ops[TG_OP_POWC];
    for (uint64_t k = 0; k < n; k++) {
        const double x = input(k);
        const double y = row->forward2(x, p), want = pow(x, p);
        if (!same_double(y, want))
            fail_msg("pow(%a, %g): engine %a, C's pow %a", x, p, y, want);
        double da, db;
        row->local2(x, p, y, &da, &db);
        const double want_da = p == 0.0 ? 0.0 : p * pow(x, p - 1.0); /* masked at p = 0 */
        if (!same_double(da, want_da))
            fail_msg("d/dx x^%g at %a: engine %a, p * pow(x, p - 1) %a", p, x, da, want_da);
        if ((p == 2.0 && square_is_exact(x)) || (p != 2.0 && root_is_exact(x)))
            (*n_exact)++;
    }
}

/* p = 2 and 0.5 (W1's), 3 and 1.5 (whose derivatives are a square and a root), -0.5 (the
 * reciprocal root), 1 and 0 (x itself, and the masked derivative). */
static void powc_equals_pow_bit_for_bit(void **state)
{
    (void)state;
    const int small = getenv("TG_VALGRIND") != NULL;
    static const double ps[] = {2.0, 0.5, 3.0, 1.5, -0.5, 1.0, 0.0};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        /* 1e7 doubles for each of W1's exponents, 2e6 for each other one: 3e7 in all */
        const uint64_t n = small ? 20000 : i < 2 ? 10000000 : 2000000;
        uint64_t n_exact = 0;
        rng_state = 0x2545F4914F6CDD1Dull + i;
        check_exponent(ps[i], n, &n_exact);
        /* the fast paths are exercised: ~35 % of the inputs have an exact square (kinds 1, 2,
         * 4, 7), ~15 % an exact root (kinds 3, 4, some of 6) */
        if (ps[i] == 2.0 || ps[i] == 0.5)
            assert_true(n_exact > n / 10);
    }
}

/* The cases whose answer is known by hand. */
static void powc_known_values(void **state)
{
    (void)state;
    const tgi_op_row *row = &tgi_ops[TG_OP_POWC];
    static const struct {
        double x, p, y, dy;
    } cases[] = {
        {0.625, 2.0, 0.390625, 1.25}, /* W1: 5/8 squared, d = 2 * 5/8 */
        {0.390625, 0.5, 0.625, 0.8},  /* W1: sqrt(25/64) = 5/8, d = 0.5 / (5/8) = 0.8 */
        {0.25, -0.5, 2.0, -4.0},      /* 0.25^-0.5 = 2, d = -0.5 * 0.25^-1.5 = -4 */
        {4.0, 1.5, 8.0, 3.0},         /* 4^1.5 = 8, d = 1.5 * sqrt(4) = 3 */
        {-3.0, 2.0, 9.0, -6.0},       /* a negative base squared */
        {-0.0, 0.5, 0.0, INFINITY},   /* pow(-0, 0.5) = +0 (sqrt(-0) is -0); 0.5 * (+inf) */
        {-4.0, 0.5, NAN, NAN},        /* no real root */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double y = row->forward2(cases[i].x, cases[i].p);
        double da, db;
        row->local2(cases[i].x, cases[i].p, y, &da, &db);
        if (!same_double(y, cases[i].y) || !same_double(da, cases[i].dy))
            fail_msg("%g^%g: %a, d %a; want %a, d %a", cases[i].x, cases[i].p, y, da, cases[i].y,
                     cases[i].dy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(powc_known_values),
        cmocka_unit_test(powc_equals_pow_bit_for_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
