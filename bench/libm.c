/* bench/libm.c: ns per call of tapegrad's own math functions (ops/tg_libm.h) next to the C
 * library's, on the same points (tests/ops/libm_functions.h: its table and its random draws, half
 * uniform over a typical range, half log-uniform over the domain), in one run: rounds alternate
 * between the two and the fastest round of each counts (the machines are shared). Not a test:
 * nothing is asserted; test_libm checks the values. Usage: bench_libm [n_points] (default 65536). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libm_functions.h"

enum { N_ROUNDS = 7 };

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile double sink;

/* one timed pass over the points, ours or the C library's: ns per call */
static double time_pass(const libm_fn *f, int ours, const double *x, const double *y, int n)
{
    double sum = 0, t0 = now_ns();
    if (f->ours1) {
        double (*fn)(double) = ours ? f->ours1 : f->libc1;
        for (int i = 0; i < n; i++)
            sum += fn(x[i]);
    } else {
        double (*fn)(double, double) = ours ? f->ours2 : f->libc2;
        for (int i = 0; i < n; i++)
            sum += fn(x[i], y[i]);
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 65536;
    if (n < 1 || n > 100000000) {
        fprintf(stderr, "usage: bench_libm [n_points (1 .. 10^8)]\n");
        return 2;
    }
    double *x = malloc(sizeof *x * (size_t)n), *y = malloc(sizeof *y * (size_t)n);
    if (!x || !y) {
        fprintf(stderr, "bench_libm: out of memory\n");
        free(x);
        free(y);
        return 1;
    }
    printf("%-6s %10s %10s %7s   (%d points, best of %d alternating rounds)\n", "", "tapegrad",
           "C library", "ratio", n, N_ROUNDS);
    for (int k = 0; k < N_FUNCTIONS; k++) {
        const libm_fn *f = &functions[k];
        rng_state = 20261201 + (uint64_t)k;
        for (int i = 0; i < n; i++) {
            x[i] = libm_draw(f);
            y[i] = libm_draw(f);
        }
        double best_ours = 1e300, best_libc = 1e300;
        for (int round = 0; round < N_ROUNDS; round++) {
            double t = time_pass(f, 1, x, y, n);
            best_ours = t < best_ours ? t : best_ours;
            t = time_pass(f, 0, x, y, n);
            best_libc = t < best_libc ? t : best_libc;
        }
        printf("%-6s %7.1f ns %7.1f ns %6.2fx\n", f->name, best_ours, best_libc,
               best_ours / best_libc);
    }
    free(x);
    free(y);
    return 0;
}
