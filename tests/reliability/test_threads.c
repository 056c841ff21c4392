/* test_threads.c: separate tapes in separate threads do not interfere. Several pthreads each
 * record and differentiate the same random graphs (graphgen.h) on their own tape, at the same
 * time, and must reproduce a single-threaded run bit for bit; names and origins are set too,
 * since they use a hash table. That the library has no mutable globals at all is checked on
 * the object code by no_global_state.sh. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "graphgen.h"

#define N_THREADS 4
#define N_GRAPHS 300
#define N_ROUNDS 3 /* each thread goes over every graph this many times */
/* per graph: values and gradients of every step's node, and a checksum of the names */
#define N_RESULTS (2 * GG_MAX_NODES + 1)

static gg_graph graphs[N_GRAPHS]; /* written before the threads start, then only read */

/* Runs every graph on tape t (which the caller owns) and writes the results. With anomaly
 * detection on for odd rounds, so that both sweeps run concurrently. */
static int run_graphs(tg_tape *t, double *results, int anomaly)
{
    tg_var node[GG_MAX_NODES];
    char name[32];
    tg_tape_set_anomaly(t, anomaly);
    for (int k = 0; k < N_GRAPHS; k++) {
        const gg_graph *g = &graphs[k];
        double *r = results + (size_t)k * N_RESULTS;
        memset(r, 0, N_RESULTS * sizeof *r);
        tg_tape_clear(t);
        tg_var out = gg_build(t, g, node);
        for (int s = 0; s < g->n_steps; s++) {
            snprintf(name, sizeof name, "n%d", s);
            if (tg_set_name(t, node[s], name) != TG_OK ||
                tg_set_origin(t, node[s], 1, (uint32_t)s + 1, name) != TG_OK)
                return 0;
        }
        if (tg_backward(t, out) != TG_OK)
            return 0;
        for (int s = 0; s < g->n_steps; s++) {
            r[2 * s] = tg_value(t, node[s]);
            r[2 * s + 1] = tg_grad(t, node[s]);
            const char *nm = tg_name(t, node[s]);
            r[N_RESULTS - 1] += nm ? (double)(strlen(nm) + (unsigned char)nm[1]) : -1e9;
        }
    }
    return 1;
}

typedef struct worker {
    pthread_t thread;
    double *results;
    int ok;
    int mismatches;
    const double *expected;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    tg_tape *t = tg_tape_new();
    w->ok = t != NULL;
    for (int round = 0; w->ok && round < N_ROUNDS; round++) {
        w->ok = run_graphs(t, w->results, round & 1);
        if (memcmp(w->results, w->expected, sizeof(double) * N_GRAPHS * N_RESULTS) != 0)
            w->mismatches++;
    }
    tg_tape_free(t);
    return NULL;
}

static void threads_reproduce_single_threaded_results_bit_for_bit(void **state)
{
    (void)state;
    tg_tape *scratch = tg_tape_new();
    for (int k = 0; k < N_GRAPHS; k++)
        gg_generate(&graphs[k], 1000 + (uint64_t)k, 10 + k % 60, scratch);
    tg_tape_free(scratch);

    const size_t n = (size_t)N_GRAPHS * N_RESULTS;
    double *expected = calloc(n, sizeof *expected);
    assert_non_null(expected);
    tg_tape *t = tg_tape_new();
    assert_true(run_graphs(t, expected, 0));
    tg_tape_free(t);

    worker w[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i].results = calloc(n, sizeof(double));
        assert_non_null(w[i].results);
        w[i].expected = expected;
        w[i].mismatches = 0;
        assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
        assert_true(w[i].ok);
        assert_int_equal(w[i].mismatches, 0);
        free(w[i].results);
    }
    free(expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_reproduce_single_threaded_results_bit_for_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
