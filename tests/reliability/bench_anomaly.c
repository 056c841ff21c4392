/* bench_anomaly.c: what anomaly detection costs. Records and backpropagates a W1-like chain of
 * 10^6 op nodes (bench/WORKLOADS.md) with anomaly detection off and on and prints the median
 * time per node of each. Built but not run by meson test; the shared benchmarks live in bench/.
 * Usage: bench_anomaly [n_nodes] [repeats] */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tapegrad.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One W1 run on t (cleared first); returns 0 if L and dL/da are the exact W1 results. */
static int run_chain(tg_tape *t, long n, double *rec_s, double *bwd_s)
{
    tg_tape_clear(t);
    double t0 = now();
    tg_var x = tg_input(t, 0.375), a = tg_input(t, -1.0), b = tg_input(t, 1.0);
    tg_var y = x;
    for (long k = 0; k < n / 8; k++) {
        tg_var t1 = tg_mul(t, y, a), t2 = tg_add(t, t1, b), t3 = tg_relu(t, t2);
        tg_var t4 = tg_powc(t, t3, 2.0), t5 = tg_powc(t, t4, 0.5);
        tg_var t6 = tg_mul(t, t5, a), t7 = tg_add(t, t6, b);
        y = tg_relu(t, t7);
    }
    double t1 = now();
    tg_status s = tg_backward(t, y);
    double t2 = now();
    *rec_s = t1 - t0;
    *bwd_s = t2 - t1;
    return !(s == TG_OK && tg_value(t, y) == 0.375 && tg_grad(t, a) == (double)n / 32 &&
             tg_grad(t, x) == 1.0);
}

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 1000000;
    const int reps = argc > 2 ? atoi(argv[2]) : 11;
    double *rec = malloc(sizeof *rec * (size_t)reps), *bwd = malloc(sizeof *bwd * (size_t)reps);
    tg_tape *t = tg_tape_new();
    if (!t || !rec || !bwd)
        return 1;
    for (int on = 0; on <= ANOMALY_MAX; on++) {
#if ANOMALY_MAX
        tg_tape_set_anomaly(t, on);
#endif
        double r, w;
        if (run_chain(t, n, &r, &w)) { /* warm-up: grows the tape once */
            fprintf(stderr, "wrong W1 result with anomaly %d\n", on);
            return 1;
        }
        for (int i = 0; i < reps; i++)
            run_chain(t, n, &rec[i], &bwd[i]);
        qsort(rec, (size_t)reps, sizeof *rec, cmp_double);
        qsort(bwd, (size_t)reps, sizeof *bwd, cmp_double);
        const double nodes = (double)tg_tape_size(t);
        printf("anomaly %s: %zu nodes, record %.2f ns/node, backward %.2f ns/node (median of %d)\n",
               on ? "on " : "off", tg_tape_size(t), 1e9 * rec[reps / 2] / nodes,
               1e9 * bwd[reps / 2] / nodes, reps);
    }
    tg_tape_free(t);
    free(rec);
    free(bwd);
    return 0;
}
