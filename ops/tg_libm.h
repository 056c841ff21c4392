/* tg_libm.h: tapegrad's own math functions, correctly rounded (round to nearest even) and made of
 * IEEE-754 + - * / and sqrt only, so the engine gives the same bits on every machine and in the
 * browser (wasm32): the C libraries' sin, tanh, atan2, ... round a few percent of results
 * differently (musl's vs glibc's, and glibc's own FMA variants on CPUs that have FMA).
 *
 * Each evaluates in double-double (ops/tg_dd.h) to a relative error far below 2^-53 and rounds
 * once. Special values follow C99 Annex F (NaN, infinities, signed zeros); errno is not set.
 * pow stays the C library's (the benches compare it bit for bit with hand-written C and ADOL-C);
 * sqrt is correctly rounded by IEEE-754 already.
 *
 * Public: code that must agree with the engine bit for bit calls these (`--emit c`'s functions
 * do when compiled with -DTAPEGRAD_LIBM and linked with -ltapegrad). */
#ifndef TG_LIBM_H
#define TG_LIBM_H

#include "tg_core.h" /* TG_API */

/* exponentials and logarithms (ops/tg_libm_exp.c) */
TG_API double tg_libm_exp(double x);
TG_API double tg_libm_expm1(double x);
TG_API double tg_libm_log(double x);
TG_API double tg_libm_log1p(double x);
TG_API double tg_libm_log2(double x);
TG_API double tg_libm_log10(double x);
TG_API double tg_libm_sinh(double x);
TG_API double tg_libm_cosh(double x);
TG_API double tg_libm_tanh(double x);
TG_API double tg_libm_asinh(double x);
TG_API double tg_libm_acosh(double x);
TG_API double tg_libm_atanh(double x);
TG_API double tg_libm_erf(double x);
TG_API double tg_libm_erfc(double x);

/* circular functions and hypot (ops/tg_libm_trig.c) */
TG_API double tg_libm_sin(double x);
TG_API double tg_libm_cos(double x);
TG_API double tg_libm_tan(double x);
TG_API double tg_libm_asin(double x);
TG_API double tg_libm_acos(double x);
TG_API double tg_libm_atan(double x);
TG_API double tg_libm_atan2(double y, double x);
TG_API double tg_libm_hypot(double x, double y);

#endif
