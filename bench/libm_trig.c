/* bench/libm_trig.c: ns per call of tapegrad's own circular functions and hypot (ops/tg_libm_trig.c)
 * next to the C library's, on the same inputs, in one run: rounds alternate between the two and
 * the fastest round of each counts (the machines are shared). Not a test: nothing is asserted.
 * Usage: bench_libm_trig [n_points]   (default 65536 points, 7 rounds) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tg_libm.h"

typedef double (*unary_fn)(double);
typedef double (*binary_fn)(double, double);

/* one row per function: the domain the inputs are drawn from (log_range: |x| log-uniform in
 * [2^lo, 2^hi] with random sign, for the reduction of huge arguments) */
typedef struct bench_row {
    const char *name;
    unary_fn tg1, libc1;
    binary_fn tg2, libc2;
    double lo, hi;
    int log_range;
} bench_row;

static const bench_row rows[] = {
    {"sin", tg_libm_sin, sin, NULL, NULL, -10, 10, 0},
    {"sin |x| to 1e300", tg_libm_sin, sin, NULL, NULL, -10, 996, 1},
    {"cos", tg_libm_cos, cos, NULL, NULL, -10, 10, 0},
    {"tan", tg_libm_tan, tan, NULL, NULL, -10, 10, 0},
    {"asin", tg_libm_asin, asin, NULL, NULL, -1, 1, 0},
    {"acos", tg_libm_acos, acos, NULL, NULL, -1, 1, 0},
    {"atan", tg_libm_atan, atan, NULL, NULL, -10, 10, 0},
    {"atan2", NULL, NULL, tg_libm_atan2, atan2, -2, 2, 0},
    {"hypot", NULL, NULL, tg_libm_hypot, hypot, -2, 2, 0},
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform01(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1p-53;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile double sink;

/* one timed pass over the points: ns per call */
static double time_pass(const bench_row *row, int use_tg, const double *x, const double *y, int n)
{
    double sum = 0, t0 = now_ns();
    if (row->tg1) {
        unary_fn f = use_tg ? row->tg1 : row->libc1;
        for (int i = 0; i < n; i++)
            sum += f(x[i]);
    } else {
        binary_fn f = use_tg ? row->tg2 : row->libc2;
        for (int i = 0; i < n; i++)
            sum += f(y[i], x[i]);
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 65536;
    if (n < 1 || n > 100000000) {
        fprintf(stderr, "usage: bench_libm_trig [n_points (1 .. 10^8)]\n");
        return 2;
    }
    double *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    if (!x || !y) {
        fprintf(stderr, "bench_libm_trig: out of memory\n");
        free(x);
        free(y);
        return 1;
    }
    printf("%-18s %10s %10s %7s   (%d points, best of 7 alternating rounds)\n", "function",
           "tapegrad", "C library", "ratio", n);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const bench_row *row = &rows[r];
        for (int i = 0; i < n; i++) {
            if (row->log_range) {
                double mag = ldexp(1.0 + uniform01(), (int)(row->lo + (row->hi - row->lo) * uniform01()));
                x[i] = uniform01() < 0.5 ? -mag : mag;
            } else {
                x[i] = row->lo + (row->hi - row->lo) * uniform01();
            }
            y[i] = row->lo + (row->hi - row->lo) * uniform01();
        }
        double best_tg = 1e300, best_libc = 1e300;
        for (int round = 0; round < 7; round++) {
            double t = time_pass(row, 1, x, y, n);
            best_tg = t < best_tg ? t : best_tg;
            t = time_pass(row, 0, x, y, n);
            best_libc = t < best_libc ? t : best_libc;
        }
        printf("%-18s %7.1f ns %7.1f ns %6.2fx\n", row->name, best_tg, best_libc, best_tg / best_libc);
    }
    free(x);
    free(y);
    return 0;
}
