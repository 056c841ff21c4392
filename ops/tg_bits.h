/* tg_bits.h: a double's bits, for tapegrad's own math functions (ops/tg_libm_*.c), which call no
 * libm function: fabs, isnan, isinf, copysign, ldexp and the exponent of a double written out
 * with integer operations on the IEEE-754 binary64 encoding (sign bit 63, biased exponent
 * 52..62). Private header: not installed. */
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

static inline int is_inf(double x)
{
    return abs_of(x) == from_bits(0x7ff0000000000000ull);
}

/* The quiet NaN with no payload. */
static inline double nan_value(void)
{
    return from_bits(0x7ff8000000000000ull);
}

/* 1 if x's sign bit is set (-0 and -NaN included), else 0. */
static inline int sign_bit(double x)
{
    return (int)(bits_of(x) >> 63);
}

/* |x|, negated if negative: C's copysign(x, negative ? -1 : 1). */
static inline double with_sign(double x, int negative)
{
    return from_bits((bits_of(x) & 0x7fffffffffffffffull) | ((uint64_t)(negative != 0) << 63));
}

/* |x| with the sign of sign: C's copysign(x, sign). */
static inline double copysign_of(double x, double sign)
{
    return with_sign(x, sign_bit(sign));
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
