/* test_libm.c: tapegrad's own math functions (ops/tg_libm.h) against mpmath and the C library.
 * Every row of libm_ref.h (edge and random points, correctly rounded by mpmath, tests/ops/
 * libm_ref.py) must come out bit for bit; on 10^6 random points per function we must be within
 * the C library's published error of its value (it is not correctly rounded). The
 * verbose output prints how often we equal it exactly, and ns per call for both. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <cmocka.h>

#include "tg_bits.h"
#include "tg_libm.h"
#include "tg_test.h"
#include "libm_ref.h"
#include "libm_functions.h"

static const libm_fn *function_named(const char *name)
{
    for (int i = 0; i < N_FUNCTIONS; i++)
        if (strcmp(functions[i].name, name) == 0)
            return &functions[i];
    return NULL;
}

/* Distance in ulps: doubles ordered as integers (negative ones mirrored), so that neighbours
 * differ by one, across zero too (+0 and -0 are 0 apart). NaN is handled by the caller. */
static uint64_t ulp_distance(double a, double b)
{
    int64_t ia = (int64_t)bits_of(a), ib = (int64_t)bits_of(b);
    if (ia < 0)
        ia = INT64_MIN - ia;
    if (ib < 0)
        ib = INT64_MIN - ib;
    return ia > ib ? (uint64_t)ia - (uint64_t)ib : (uint64_t)ib - (uint64_t)ia;
}

/* Every row of every table: the same bits (any NaN for a NaN). */
static void rows_equal_mpmath_correctly_rounded(void **state)
{
    (void)state;
    size_t n_failed_total = 0, n_rows_total = 0;
    for (size_t t = 0; t < sizeof libm_ref_tables / sizeof libm_ref_tables[0]; t++) {
        const struct libm_ref_table *table = &libm_ref_tables[t];
        const libm_fn *f = function_named(table->name);
        if (!f) {
            print_error("libm_ref.h has rows for %s, test_libm.c no implementation\n", table->name);
            n_failed_total++;
            continue;
        }
        size_t n_failed = 0;
        for (size_t i = 0; i < table->n_rows; i++) {
            double x = from_bits(table->rows[i][0]), y = from_bits(table->rows[i][1]);
            double want = from_bits(table->rows[i][2]);
            double got = libm_call(f, 1, x, y);
            if (isnan(want) ? isnan(got) : same_bits(got, want))
                continue;
            if (n_failed++ < 8) {
                if (table->arity == 1)
                    print_error("%s(%a) = %a, want %a (%.17g)\n", f->name, x, got, want, want);
                else
                    print_error("%s(%a, %a) = %a, want %a (%.17g)\n", f->name, x, y, got, want,
                                want);
            }
        }
        printf("%-6s %zu of %zu mpmath rows correctly rounded\n", f->name, table->n_rows - n_failed,
               table->n_rows);
        n_failed_total += n_failed;
        n_rows_total += table->n_rows;
    }
    printf("all    %zu of %zu rows\n", n_rows_total - n_failed_total, n_rows_total);
    assert_int_equal(n_failed_total, 0);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 10^6 random points per function (10^4 under valgrind): within libc_ulps of the C library's
 * value, both NaN or neither. Prints how many are equal, and the time per call of each, measured
 * on the same points, ours and theirs alternating in blocks. */
static void within_one_ulp_of_the_c_library(void **state)
{
    (void)state;
    int n_points = getenv("TG_VALGRIND") ? 10000 : 1000000;
    enum { BLOCK = 4096 };
    double *xs = malloc(sizeof(double) * BLOCK), *ys = malloc(sizeof(double) * BLOCK);
    double *ours = malloc(sizeof(double) * BLOCK), *theirs = malloc(sizeof(double) * BLOCK);
    assert_non_null(xs);
    assert_non_null(ys);
    assert_non_null(ours);
    assert_non_null(theirs);
    size_t n_far_total = 0;
    printf("%-6s %9s %9s %9s %5s %6s %9s %9s\n", "", "points", "equal", "within", "ulps", "beyond",
           "ours ns", "libc ns");
    for (int k = 0; k < N_FUNCTIONS; k++) {
        const libm_fn *f = &functions[k];
        rng_state = 20261201 + (uint64_t)k;
        size_t n_equal = 0, n_near = 0, n_far = 0;
        double t_ours = 0, t_theirs = 0;
        for (int done = 0; done < n_points; done += BLOCK) {
            int n = n_points - done < BLOCK ? n_points - done : BLOCK;
            for (int i = 0; i < n; i++) {
                xs[i] = libm_draw(f);
                ys[i] = libm_draw(f);
            }
            double t0 = seconds();
            for (int i = 0; i < n; i++)
                ours[i] = libm_call(f, 1, xs[i], ys[i]);
            double t1 = seconds();
            for (int i = 0; i < n; i++)
                theirs[i] = libm_call(f, 0, xs[i], ys[i]);
            double t2 = seconds();
            t_ours += t1 - t0;
            t_theirs += t2 - t1;
            for (int i = 0; i < n; i++) {
                uint64_t d = isnan(ours[i]) || isnan(theirs[i])
                                 ? (isnan(ours[i]) && isnan(theirs[i]) ? 0 : 2)
                                 : ulp_distance(ours[i], theirs[i]);
                if (d == 0 && (isnan(ours[i]) || same_bits(ours[i], theirs[i])))
                    n_equal++;
                else if (d <= (uint64_t)f->libc_ulps)
                    n_near++;
                else if (n_far++ < 5)
                    print_error("%s(%a, %a): ours %a, C library %a\n", f->name, xs[i], ys[i],
                                ours[i], theirs[i]);
            }
        }
        printf("%-6s %9d %9zu %9zu %5d %6zu %9.1f %9.1f\n", f->name, n_points, n_equal, n_near,
               f->libc_ulps, n_far, 1e9 * t_ours / n_points, 1e9 * t_theirs / n_points);
        n_far_total += n_far;
    }
    free(xs);
    free(ys);
    free(ours);
    free(theirs);
    assert_int_equal(n_far_total, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_equal_mpmath_correctly_rounded),
        cmocka_unit_test(within_one_ulp_of_the_c_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
