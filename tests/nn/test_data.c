/* test_data.c: the generator (splitmix64's published first output), shuffles, the datasets'
 * geometry (points on their curves when noise is 0), split, minibatches, metrics, the CSV
 * loader and its error messages, and the progress line staying quiet off a terminal. */
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

static const double PI = 3.141592653589793;

static void splitmix64_matches_reference_output(void **state)
{
    (void)state;
    tg_rng r;
    tg_rng_init(&r, 0);
    /* Vigna's splitmix64.c from state 0: the first output is 0xE220A8397B1DCDAF */
    assert_true(tg_rng_next(&r) == UINT64_C(0xE220A8397B1DCDAF));
    tg_rng_init(&r, 0);
    const double u = tg_rng_u01(&r);
    assert_true(u == (double)(UINT64_C(0xE220A8397B1DCDAF) >> 11) * 0x1.0p-53);
    for (int i = 0; i < 10000; i++) {
        const double v = tg_rng_u01(&r), w = tg_rng_uniform(&r, -2, 3);
        assert_true(v >= 0.0 && v < 1.0 && ldexp(v, 53) == floor(ldexp(v, 53)));
        assert_true(w >= -2.0 && w < 3.0);
        assert_true(tg_rng_below(&r, 7) < 7);
    }
    /* normal draws: mean ~ 0, variance ~ 1 over 20000 */
    double s = 0, s2 = 0;
    for (int i = 0; i < 20000; i++) {
        const double z = tg_rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    assert_true(fabs(s / 20000) < 0.03 && fabs(s2 / 20000 - 1) < 0.05);
    assert_int_equal(tg_rng_below(&r, 0), 0);
}

static void shuffle_is_a_seeded_permutation(void **state)
{
    (void)state;
    size_t a[50], b[50];
    for (size_t i = 0; i < 50; i++)
        a[i] = b[i] = i;
    tg_rng r1, r2;
    tg_rng_init(&r1, 5);
    tg_rng_init(&r2, 5);
    tg_rng_shuffle(&r1, 50, a);
    tg_rng_shuffle(&r2, 50, b);
    assert_memory_equal(a, b, sizeof a);
    int seen[50] = {0}, moved = 0;
    for (size_t i = 0; i < 50; i++) {
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (size_t i = 0; i < 50; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > 40);
}

/* With noise 0 every point lies on its curve; labels are -1 then +1. */
static void datasets_lie_on_their_curves(void **state)
{
    (void)state;
    tg_rng r;
    tg_rng_init(&r, 1);
    tg_dataset *d = tg_dataset_moons(40, 0.0, &r);
    for (size_t i = 0; i < 40; i++) {
        const double x = d->x[2 * i], y = d->x[2 * i + 1];
        const double rad = i < 20 ? hypot(x, y) : hypot(1 - x, 0.5 - y);
        assert_true(fabs(rad - 1) < 1e-15);
        assert_true(d->y[i] == (i < 20 ? -1.0 : 1.0));
    }
    assert_true(d->x[0] == 1.0 && d->x[1] == 0.0); /* t = 0 */
    tg_dataset_free(d);
    d = tg_dataset_circles(40, 0.0, 0.5, &r);
    for (size_t i = 0; i < 40; i++)
        assert_true(fabs(hypot(d->x[2 * i], d->x[2 * i + 1]) - (i < 20 ? 1.0 : 0.5)) < 1e-15);
    tg_dataset_free(d);
    d = tg_dataset_spirals(40, 0.0, &r);
    for (size_t i = 0; i < 40; i++)
        assert_true(fabs(hypot(d->x[2 * i], d->x[2 * i + 1]) - (double)(i % 20) / 20) < 1e-15);
    tg_dataset_free(d);
    d = tg_dataset_sine(9, -PI, PI);
    assert_true(d->x[0] == -PI && d->x[8] == PI && d->x[4] == 0.0);
    for (size_t i = 0; i < 9; i++)
        assert_true(d->y[i] == sin(d->x[i]));
    tg_dataset_free(d);
    d = tg_dataset_xor();
    assert_true(d->n == 4 && d->y[0] == 0 && d->y[1] == 1 && d->y[2] == 1 && d->y[3] == 0);
    tg_dataset_relabel(d, 0.0, -1.0);
    assert_true(d->y[0] == -1 && d->y[3] == -1 && d->y[1] == 1);
    tg_dataset_free(d);
    /* noise moves points by at most noise in each coordinate */
    d = tg_dataset_moons(100, 0.1, &r);
    for (size_t i = 0; i < 50; i++)
        assert_true(fabs(hypot(d->x[2 * i], d->x[2 * i + 1]) - 1) <= 0.1 * sqrt(2.0) + 1e-15);
    tg_dataset_free(d);
    assert_null(tg_dataset_moons(3, 0.1, &r));
    assert_null(tg_dataset_circles(10, 0.1, 1.5, &r));
    assert_null(tg_dataset_sine(1, 0, 1));
}

static void split_and_batches_cover_every_row_once(void **state)
{
    (void)state;
    tg_dataset *d = tg_dataset_sine(23, 0, 22);
    for (size_t i = 0; i < 23; i++)
        d->x[i] = (double)i;
    tg_rng r;
    tg_rng_init(&r, 9);
    tg_dataset *train, *test;
    assert_int_equal(tg_dataset_split(d, 0.3, &r, &train, &test), TG_OK);
    assert_int_equal(test->n, 7); /* round(23 * 0.3) = round(6.9) */
    assert_int_equal(train->n, 16);
    int seen[23] = {0};
    for (size_t i = 0; i < train->n; i++) {
        seen[(int)train->x[i]]++;
        assert_true(train->y[i] == sin(train->x[i])); /* rows keep their targets */
    }
    for (size_t i = 0; i < test->n; i++)
        seen[(int)test->x[i]]++;
    for (size_t i = 0; i < 23; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(tg_dataset_split(d, 1.5, &r, &train, &test), TG_ERR_ARG);
    tg_dataset_free(train);
    tg_dataset_free(test);

    tg_batches b;
    assert_int_equal(tg_batches_init(&b, 23, 5, &r), TG_OK);
    for (int epoch = 0; epoch < 2; epoch++) {
        int hit[23] = {0};
        const size_t *rows;
        size_t k, n_batches = 0, last = 0;
        while ((k = tg_batches_next(&b, &rows)) > 0) {
            for (size_t i = 0; i < k; i++)
                hit[rows[i]]++;
            n_batches++;
            last = k;
        }
        assert_int_equal(n_batches, 5);
        assert_int_equal(last, 3);
        for (size_t i = 0; i < 23; i++)
            assert_int_equal(hit[i], 1);
        tg_batches_reset(&b);
    }
    tg_batches_clear(&b);
    tg_dataset_free(d);
}

static void metrics_match_hand_counts(void **state)
{
    (void)state;
    const double score[4] = {0.3, -2, 0.0, 5}, y[4] = {1, -1, 1, -1};
    assert_true(tg_metric_accuracy_binary(4, score, y, 0.0) == 0.5); /* rows 0, 1 right */
    const double s3[6] = {0.1, 0.7, 0.2, 0.5, 0.4, 0.1}, lab[2] = {1, 2};
    assert_true(tg_metric_accuracy_argmax(2, 3, s3, lab) == 0.5);
    const double p[3] = {1, 2, 3}, t[3] = {1, 0, 4};
    assert_true(tg_metric_mse(3, p, t) == 5.0 / 3.0);
}

static const char *const csv_path = "test_data.csv";

static tg_status load_text(const char *text, const char *target, tg_dataset **d, char *err)
{
    FILE *f = fopen(csv_path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return tg_csv_load(csv_path, target, d, err, 200);
}

static void csv_loads_numbers_and_names_the_target(void **state)
{
    (void)state;
    tg_dataset *d;
    char err[200];
    assert_int_equal(load_text("a, b ,label\r\n1,2,0\r\n\r\n-3.5, 4e2 ,1\r\n", NULL, &d, err),
                     TG_OK);
    assert_true(d->n == 2 && d->n_in == 2 && d->n_out == 1);
    assert_true(d->x[0] == 1 && d->x[1] == 2 && d->x[2] == -3.5 && d->x[3] == 400);
    assert_true(d->y[0] == 0 && d->y[1] == 1);
    tg_dataset_free(d);
    assert_int_equal(load_text("a,b,c\n1,2,3\n4,5,6", "a", &d, err), TG_OK);
    assert_true(d->y[0] == 1 && d->y[1] == 4 && d->x[0] == 2 && d->x[1] == 3 && d->x[3] == 6);
    tg_dataset_free(d);
}

static void csv_errors_name_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *target;
        tg_status status;
        const char *in_message;
    } cases[] = {
        {"x,y\n1,2\n3,abc\n", NULL, TG_ERR_FORMAT, ":3: column 2: \"abc\""},
        {"x,y\n1,2\n\n3\n", NULL, TG_ERR_FORMAT, ":4: 1 fields, the header has 2"},
        {"x,y\n1,2,3\n", NULL, TG_ERR_FORMAT, ":2: 3 fields"},
        {"x,y\n1,nan\n", NULL, TG_ERR_FORMAT, ":2: column 2"},
        {"x,y\n1,\n", NULL, TG_ERR_FORMAT, ":2: column 2: \"\""},
        {"x,y\n1,2\n", "z", TG_ERR_NAME, "no column named \"z\""},
        {"", NULL, TG_ERR_FORMAT, "empty file"},
        {"onlyone\n1\n", NULL, TG_ERR_FORMAT, ":1: the header has 1 column"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tg_dataset *d = (tg_dataset *)&d;
        char err[200] = "";
        assert_int_equal(load_text(cases[c].text, cases[c].target, &d, err), cases[c].status);
        assert_null(d);
        if (!strstr(err, cases[c].in_message))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", c, err, cases[c].in_message);
    }
    tg_dataset *d;
    char err[200];
    assert_int_equal(tg_csv_load("no_such_file.csv", NULL, &d, err, sizeof err), TG_ERR_IO);
    remove(csv_path);
}

static void progress_is_quiet_off_a_terminal(void **state)
{
    (void)state;
    tg_progress p;
    tg_progress_init(&p, 10, 1);
    assert_false(p.enabled);
    /* under meson test stderr is a pipe or a file, never a terminal */
    tg_progress_init(&p, 10, 0);
    assert_false(p.enabled);
    tg_progress_update(&p, 5, 0.5, 0.9);
    tg_progress_done(&p);
    assert_int_equal(p.last_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splitmix64_matches_reference_output),
        cmocka_unit_test(shuffle_is_a_seeded_permutation),
        cmocka_unit_test(datasets_lie_on_their_curves),
        cmocka_unit_test(split_and_batches_cover_every_row_once),
        cmocka_unit_test(metrics_match_hand_counts),
        cmocka_unit_test(csv_loads_numbers_and_names_the_target),
        cmocka_unit_test(csv_errors_name_the_line),
        cmocka_unit_test(progress_is_quiet_off_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
