/* tg_bits.h: a double's bits, for tapegrad's own math functions (ops/tg_libm_*.c), which call no
 * libm function: fabs, isnan, ldexp and the exponent of a double written out with integer
 * operations on the IEEE-754 binary64 encoding (sign bit 63, biased exponent 52..62). Private
 * header: not installed. */
#ifndef TG_BITS_H
#define TG_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static inline double abs_of(double x)
{
    return from_bits(bits_of(x) & 0x7fffffffffffffffull);
}

static inline int is_nan(double x)
{
    return x != x;
}

/* 2^k for -1022 <= k <= 1023, exactly. */
static inline double pow2(int k)
{
    return from_bits((uint64_t)(k + 1023) << 52);
}

/* floor(log2 |x|) for finite x != 0, subnormals included. */
static inline int exponent_of(double x)
{
    const int biased = (int)(bits_of(x) >> 52) & 0x7ff;
    if (biased == 0)
        return ((int)(bits_of(x * 0x1p54) >> 52) & 0x7ff) - 1023 - 54;
    return biased - 1023;
}

#endif
