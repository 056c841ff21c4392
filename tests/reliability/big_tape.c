/* big_tape.c: the limits test by hand (too big for the test suite): records a W1 chain
 * (bench/WORKLOADS.md) of N op nodes, 100 million by default, backpropagates it, checks the
 * exact W1 results, and prints the time and the bytes per node (the tape's own accounting and
 * the process's peak resident size). Built, never run by meson test.
 * Usage: big_tape [n_op_nodes] */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "tapegrad.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 100000000L;
    tg_tape *t = tg_tape_new();
    if (!t)
        return 1;
    const double t0 = now();
    tg_var x = tg_input(t, 0.375), a = tg_input(t, -1.0), b = tg_input(t, 1.0);
    tg_var two = tg_const(t, 2.0), half = tg_const(t, 0.5);
    tg_var y = x;
    for (long k = 0; k < n / 8; k++) {
        tg_var t1 = tg_mul(t, y, a), t2 = tg_add(t, t1, b), t3 = tg_relu(t, t2);
        tg_var t4 = tg_pow(t, t3, two), t5 = tg_pow(t, t4, half);
        tg_var t6 = tg_mul(t, t5, a), t7 = tg_add(t, t6, b);
        y = tg_relu(t, t7);
    }
    const double t1 = now();
    if (tg_tape_status(t) != TG_OK) {
        fprintf(stderr, "recording failed: %s\n", tg_tape_errmsg(t));
        return 1;
    }
    const tg_status s = tg_backward(t, y);
    const double t2 = now();
    tg_tape_stats st;
    tg_tape_get_stats(t, &st);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const int ok = s == TG_OK && tg_value(t, y) == 0.375 && tg_grad(t, x) == 1.0 &&
                   tg_grad(t, a) == (double)(n / 8 * 8) / 32 && tg_grad(t, b) == 0.0;
    printf("{\"nodes\": %zu, \"record_s\": %.2f, \"backward_s\": %.2f, "
           "\"record_ns_per_node\": %.2f, \"backward_ns_per_node\": %.2f, "
           "\"bytes_per_node_used\": %.2f, \"bytes_per_node_reserved\": %.2f, "
           "\"peak_rss_bytes_per_node\": %.2f, \"exact\": %s}\n",
           st.n_nodes, t1 - t0, t2 - t1, 1e9 * (t1 - t0) / (double)st.n_nodes,
           1e9 * (t2 - t1) / (double)st.n_nodes, (double)st.bytes_used / (double)st.n_nodes,
           (double)st.bytes_reserved / (double)st.n_nodes,
           1024.0 * (double)ru.ru_maxrss / (double)st.n_nodes, ok ? "true" : "false");
    tg_tape_free(t);
    return ok ? 0 : 1;
}
