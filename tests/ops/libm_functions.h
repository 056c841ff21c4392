/* libm_functions.h: the table of tapegrad's own math functions that tests/ops/test_libm.c and
 * tests/ops/libm_bits.c (the native vs wasm32 comparison) share: one row per function. Adding a
 * function: its row here, its entry in libm_ref.py's FUNCS. Test code only. */
#ifndef LIBM_FUNCTIONS_H
#define LIBM_FUNCTIONS_H

#include <math.h>
#include <stddef.h>

#include "tg_libm.h"
#include "tg_test.h"

/* One row per function: ours and the C library's (arity 1 or 2); libc_ulps, the C library's
 * largest error in ulps as glibc publishes it for x86_64 (sysdeps/x86_64/fpu/libm-test-ulps,
 * "double", round to nearest): ours is within half an ulp of the exact value, so the two may
 * differ by up to that many ulps (2 for sinh: glibc's sinh(0x1.a1587c1da301ap-1) is 2 ulps above
 * the correctly rounded 0x1.d11f3a88dbea6p-1, mpmath says, which is ours); and where the random
 * points of that comparison are drawn: half uniform in [lo, hi], half with a binary exponent
 * uniform in [e_lo, e_hi) (negated half the time when is_signed). A function of two arguments
 * draws y the same way. */
typedef struct libm_fn {
    const char *name;
    double (*ours1)(double);
    double (*libc1)(double);
    double (*ours2)(double, double);
    double (*libc2)(double, double);
    int libc_ulps;
    double lo, hi;
    int e_lo, e_hi, is_signed;
} libm_fn;

static const libm_fn functions[] = {
    {"exp", tg_libm_exp, exp, NULL, NULL, 1, -745.2, 709.8, -60, 10, 1},
    {"expm1", tg_libm_expm1, expm1, NULL, NULL, 1, -40, 709.8, -60, 10, 1},
    {"log", tg_libm_log, log, NULL, NULL, 1, 0, 100, -1074, 1024, 0},
    {"log1p", tg_libm_log1p, log1p, NULL, NULL, 1, -1, 10, -1074, 1024, 0},
    {"log2", tg_libm_log2, log2, NULL, NULL, 2, 0, 100, -1074, 1024, 0},
    {"log10", tg_libm_log10, log10, NULL, NULL, 2, 0, 100, -1074, 1024, 0},
    {"sinh", tg_libm_sinh, sinh, NULL, NULL, 2, -710.4, 710.4, -60, 10, 1},
    {"cosh", tg_libm_cosh, cosh, NULL, NULL, 2, -710.4, 710.4, -60, 10, 1},
    {"tanh", tg_libm_tanh, tanh, NULL, NULL, 2, -20, 20, -60, 6, 1},
    {"asinh", tg_libm_asinh, asinh, NULL, NULL, 2, -10, 10, -1074, 1024, 1},
    {"acosh", tg_libm_acosh, acosh, NULL, NULL, 2, 1, 10, 0, 1024, 0},
    {"atanh", tg_libm_atanh, atanh, NULL, NULL, 2, -1, 1, -1074, 0, 1},
    {"erf", tg_libm_erf, erf, NULL, NULL, 1, -6, 6, -1074, 3, 1},
    {"erfc", tg_libm_erfc, erfc, NULL, NULL, 5, -6, 27.3, -1074, 5, 1},
    {"sin", tg_libm_sin, sin, NULL, NULL, 1, -10, 10, -1074, 1024, 1},
    {"cos", tg_libm_cos, cos, NULL, NULL, 1, -10, 10, -1074, 1024, 1},
    {"tan", tg_libm_tan, tan, NULL, NULL, 1, -10, 10, -1074, 1024, 1},
    {"asin", tg_libm_asin, asin, NULL, NULL, 1, -1, 1, -1074, 0, 1},
    {"acos", tg_libm_acos, acos, NULL, NULL, 1, -1, 1, -1074, 0, 1},
    {"atan", tg_libm_atan, atan, NULL, NULL, 1, -10, 10, -1074, 1024, 1},
    {"atan2", NULL, NULL, tg_libm_atan2, atan2, 1, -2, 2, -1074, 1024, 1},
    {"hypot", NULL, NULL, tg_libm_hypot, hypot, 1, -2, 2, -1074, 1024, 1},
};
enum { N_FUNCTIONS = sizeof functions / sizeof functions[0] };

/* A random argument for f (tg_test.h's generator: the same on every machine; ldexp and floor are
 * exact, so the C library's do not matter). */
static inline double libm_draw(const libm_fn *f)
{
    if (uniform(0, 1) < 0.5)
        return uniform(f->lo, f->hi);
    double e = floor(uniform(f->e_lo, f->e_hi));
    double x = ldexp(uniform(1, 2), (int)e);
    if (isinf(x))
        x = 0x1.fffffffffffffp1023;
    return f->is_signed && uniform(0, 1) < 0.5 ? -x : x;
}

/* f at (x, y): ours (ours != 0) or the C library's. */
static inline double libm_call(const libm_fn *f, int ours, double x, double y)
{
    if (f->ours1)
        return ours ? f->ours1(x) : f->libc1(x);
    return ours ? f->ours2(x, y) : f->libc2(x, y);
}

#endif
