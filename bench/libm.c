/* libm.c: ns per call of tapegrad's own math functions (ops/tg_libm.h) next to the C library's,
 * on the same 4096 random points per function (tests/ops/libm_functions.h's table and draws).
 * Paired: ours and theirs alternate for ROUNDS rounds and each keeps its fastest round, so load
 * from other processes hurts both alike. Not a test: no timing is asserted.
 *   bench_libm            the table, all functions
 *   bench_libm list       the functions' names
 *   bench_libm NAME ours|libc|none CALLS   just those calls (for valgrind --tool=callgrind,
 *       whose instruction counts the load does not change; "none" draws the points only, to
 *       subtract: bench/libm_icount.sh does) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libm_functions.h"

enum { N_POINTS = 4096, ROUNDS = 15, REPEAT = 8 };

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

static double time_calls(const libm_fn *f, int ours, const double *xs, const double *ys)
{
    double t0 = seconds(), acc = 0;
    for (int r = 0; r < REPEAT; r++)
        for (int i = 0; i < N_POINTS; i++)
            acc += libm_call(f, ours, xs[i], ys[i]);
    sink = acc;
    return (seconds() - t0) / (REPEAT * N_POINTS);
}

int main(int argc, char **argv)
{
    static double xs[N_POINTS], ys[N_POINTS];
    size_t n_functions = sizeof functions / sizeof functions[0];
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t k = 0; k < n_functions; k++)
            printf("%s\n", functions[k].name);
        return 0;
    }
    if (argc == 4) {
        for (size_t k = 0; k < n_functions; k++) {
            const libm_fn *f = &functions[k];
            if (strcmp(f->name, argv[1]) != 0)
                continue;
            int ours = strcmp(argv[2], "libc") != 0, none = strcmp(argv[2], "none") == 0;
            long calls = strtol(argv[3], NULL, 10);
            double acc = 0;
            for (long i = 0; i < calls; i++) {
                double x = libm_draw(f), y = libm_draw(f);
                acc += none ? x + y : libm_call(f, ours, x, y);
            }
            sink = acc;
            return 0;
        }
        fprintf(stderr, "bench_libm: no function %s\n", argv[1]);
        return 2;
    }
    printf("%-6s %9s %9s %7s\n", "", "ours ns", "libc ns", "ratio");
    for (size_t k = 0; k < n_functions; k++) {
        const libm_fn *f = &functions[k];
        rng_state = 1 + k;
        for (int i = 0; i < N_POINTS; i++) {
            xs[i] = libm_draw(f);
            ys[i] = libm_draw(f);
        }
        double best_ours = 1e9, best_libc = 1e9;
        for (int r = 0; r < ROUNDS; r++) {
            double a = time_calls(f, 1, xs, ys), b = time_calls(f, 0, xs, ys);
            best_ours = a < best_ours ? a : best_ours;
            best_libc = b < best_libc ? b : best_libc;
        }
        printf("%-6s %9.1f %9.1f %7.1f\n", f->name, 1e9 * best_ours, 1e9 * best_libc,
               best_ours / best_libc);
    }
    return 0;
}
