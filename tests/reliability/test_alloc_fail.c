/* test_alloc_fail.c: every allocation the library makes can fail. Linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, so that the library's calls (from the static
 * library) come here; a scenario touching every allocating path (growth of nodes and argument
 * slots, names, origins and their hash table, backward scratch, capacity shrink) is run once
 * per allocation k with the k-th one failing. Each run must report TG_ERR_NOMEM or give exact
 * results, leave a tape that works once memory is back, and leak nothing (ASan and valgrind
 * check that in CI). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static long n_allocs;     /* allocations seen since the counter was armed */
static long fail_at = -1; /* which one fails; -1: none */
static int armed;

static int should_fail(void)
{
    return armed && n_allocs++ == fail_at;
}

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

#define N_PRODUCTS 1000 /* enough to grow the node arrays from 256 a few times */
#define N_NAMED 400     /* enough for uthash to expand its buckets */

/* What a scenario saw: whether any call reported running out of memory, and the tape. */
typedef struct outcome {
    int nomem;   /* a call returned TG_ERR_NOMEM or tg_tape_new returned NULL */
    int correct; /* every value and gradient checked was exact */
    tg_tape *t;
} outcome;

static void note(outcome *o, tg_status s)
{
    if (s == TG_ERR_NOMEM)
        o->nomem = 1;
}

/* L = sum_i (x*y) + dot([x]*300, [y]*300) + log(x) y:  dL/dx = 1300 y + y/x,
 * dL/dy = 1300 x + log x. With x = 0.5, y = -1.25 every partial sum is exact in binary64,
 * except those of dL/dy, which add log x first and then 0.5 1300 times. */
static void scenario(outcome *o, int anomaly)
{
    o->nomem = 0;
    o->correct = 0;
    o->t = tg_tape_new();
    tg_tape *t = o->t;
    if (!t) {
        o->nomem = 1;
        return;
    }
    tg_tape_set_anomaly(t, anomaly); /* its checked paths grow the tape their own way */
    tg_var x = tg_input(t, 0.5), y = tg_input(t, -1.25);
    static tg_var p[N_PRODUCTS], w[300], v[300];
    for (int i = 0; i < N_PRODUCTS; i++)
        p[i] = tg_mul(t, x, y);
    for (int i = 0; i < 300; i++)
        w[i] = x, v[i] = y;
    tg_var s = tg_sum(t, N_PRODUCTS, p);
    tg_var d = tg_dot(t, 300, w, v);
    tg_var L = TG_SUM(t, s, d, tg_mul(t, tg_log(t, x), y));
    char name[32];
    for (int i = 0; i < N_NAMED; i++) {
        snprintf(name, sizeof name, "p%d", i);
        note(o, tg_set_name(t, p[i], name));
        note(o, tg_set_origin(t, p[i], 1, (uint32_t)(4 * i + 1), "x*y"));
    }
    tg_mark m = tg_tape_mark(t);
    tg_var extra = tg_exp(t, L); /* recorded then rewound, with its name */
    note(o, tg_set_name(t, extra, "extra"));
    note(o, tg_tape_rewind(t, m));
    note(o, tg_backward(t, L));
    note(o, tg_tape_set_capacity(t, tg_tape_size(t) + 10)); /* shrinks by realloc */
    note(o, tg_tape_status(t));
    if (!tg_var_ok(L))
        return;
    const double lx = log(0.5);
    o->correct = tg_value(t, L) == 1300 * 0.5 * -1.25 + lx * -1.25 &&
                 tg_grad(t, x) == 1300 * -1.25 + -1.25 / 0.5 &&
                 fabs(tg_grad(t, y) - (1300 * 0.5 + lx)) < 1e-12 &&
                 strcmp(tg_name(t, p[N_NAMED - 1]) ? tg_name(t, p[N_NAMED - 1]) : "", "p399") == 0;
}

/* After a failure, with memory back, the same tape records and differentiates correctly. */
static int tape_recovers(tg_tape *t)
{
    tg_tape_clear_error(t);
    tg_tape_clear(t);
    tg_var a = tg_input(t, 3.0), b = tg_input(t, 4.0);
    tg_var c = tg_mul(t, a, b);
    return tg_set_name(t, c, "c") == TG_OK && tg_backward(t, c) == TG_OK && tg_grad(t, a) == 4.0 &&
           tg_grad(t, b) == 3.0 && tg_tape_status(t) == TG_OK;
}

static void every_failed_allocation_is_reported_or_harmless(void **state)
{
    const int anomaly = *(int *)*state;
    outcome o;
    /* count the scenario's allocations */
    n_allocs = 0;
    fail_at = -1;
    armed = 1;
    scenario(&o, anomaly);
    armed = 0;
    const long total = n_allocs;
    assert_true(o.correct);
    assert_false(o.nomem);
    tg_tape_free(o.t);
    assert_true(total > N_NAMED); /* names and origins allocate, so the wrap is in place */

    long n_reported = 0;
    for (long k = 0; k < total; k++) {
        n_allocs = 0;
        fail_at = k;
        armed = 1;
        scenario(&o, anomaly);
        armed = 0;
        if (n_allocs <= k)
            fail_msg("allocation %ld of %ld never happened: the scenario is not deterministic", k,
                     total);
        if (o.nomem) {
            n_reported++;
            if (o.t) {
                assert_int_equal(tg_tape_status(o.t), TG_ERR_NOMEM);
                assert_non_null(strstr(tg_tape_errmsg(o.t), "out of memory"));
            }
        } else if (!o.correct) {
            fail_msg("allocation %ld failed silently: wrong results and no TG_ERR_NOMEM", k);
        }
        if (o.t && !tape_recovers(o.t))
            fail_msg("after allocation %ld failed the tape does not recover", k);
        tg_tape_free(o.t);
    }
    /* only the capacity shrink's three reallocs fail without an error: the tape keeps the
     * larger block */
    print_message("anomaly %s: %ld allocations, %ld failures reported\n", anomaly ? "on" : "off",
                  total, n_reported);
    assert_true(n_reported == total - 3);
}

int main(void)
{
    static int off = 0, on = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(every_failed_allocation_is_reported_or_harmless, &off),
        cmocka_unit_test_prestate(every_failed_allocation_is_reported_or_harmless, &on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
