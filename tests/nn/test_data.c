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

/* a and b agree to 1e-15 (they differ only by the rounding of a sqrt and a division) */
#define assert_close(a, b) assert_true(fabs((a) - (b)) <= 1e-15)

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


static tg_table *read_text(const char *text, tg_csv_header h, tg_status want, char *err)
{
    FILE *f = fopen(csv_path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    tg_table *t = NULL;
    assert_int_equal(tg_table_read(csv_path, h, &t, err, 200), want);
    return t;
}

static void table_detects_names_counts_and_bare_data(void **state)
{
    (void)state;
    char err[200];
    /* scikit-learn's count line: 2 rows, 2 features, then class names */
    tg_table *t = read_text("2,2,setosa,virginica\n5.1,3.5,0\n4.9,3.0,1\n", TG_CSV_AUTO, TG_OK, err);
    assert_int_equal(t->header, TG_CSV_SKLEARN);
    assert_true(t->n_rows == 2 && t->n_cols == 3 && t->n_classes == 2);
    assert_string_equal(t->class_names[1], "virginica");
    assert_string_equal(t->names[0], "x1");
    assert_string_equal(t->names[2], "y");
    assert_string_equal(t->cells[1 * 3 + 1], "3.0");
    assert_int_equal(t->line[1], 3);
    tg_table_free(t);
    /* names above numbers, string labels below a text header */
    t = read_text("len, width,species\n1,2,setosa\n\n3,4,versicolor\n", TG_CSV_AUTO, TG_OK, err);
    assert_int_equal(t->header, TG_CSV_NAMES);
    assert_true(t->n_rows == 2 && t->n_classes == 0);
    assert_string_equal(t->names[1], "width");
    assert_string_equal(t->cells[5], "versicolor");
    assert_int_equal(t->line[1], 4);
    assert_int_equal(tg_table_column(t, "species"), 2);
    assert_int_equal(tg_table_column(t, "nope"), 3);
    tg_table_free(t);
    /* no header: string labels in the first line are data, not names */
    t = read_text("1.5,2,setosa\n3,4,versicolor\n", TG_CSV_AUTO, TG_OK, err);
    assert_int_equal(t->header, TG_CSV_NONE);
    assert_int_equal(t->n_rows, 2);
    tg_table_free(t);
    /* a count line whose count is wrong is data when detected, an error when demanded */
    t = read_text("3,2,a,b\n1,2,0\n", TG_CSV_AUTO, TG_ERR_FORMAT, err);
    assert_null(t);
    assert_non_null(strstr(err, ":1: 4 fields, expected 3"));
    t = read_text("3,1\n1,0\n", TG_CSV_SKLEARN, TG_ERR_FORMAT, err);
    assert_non_null(strstr(err, "not a scikit-learn count line"));
    /* forced: the first line is data */
    t = read_text("a,b\n1,2\n", TG_CSV_NONE, TG_OK, err);
    assert_int_equal(t->n_rows, 2);
    assert_string_equal(t->cells[0], "a");
    tg_table_free(t);
    t = read_text("1,2\n3,4,5\n6,7,8\n", TG_CSV_NONE, TG_ERR_FORMAT, err);
    assert_non_null(strstr(err, ":1: 2 fields, expected 3"));
    double v;
    assert_true(tg_field_number("2.5x", &v) == 0 && tg_field_number("2.5", &v) == 1 && v == 2.5);
    assert_false(tg_field_number("inf", &v) || tg_field_number("", &v) || tg_field_number("1x", &v));
    remove(csv_path);
}

static void standardization_matches_hand_computed_table(void **state)
{
    (void)state;
    /* columns [1 2 3 4], [5 5 5 5] (constant), [0 0 0 8]:
     *   means 2.5, 5, 2; population variances 5/4, 0, (4+4+4+36)/4 = 12
     *   so scales sqrt(5/4), 1 (constant column kept), sqrt(12); and 8 -> 6 / sqrt(12) = sqrt 3 */
    tg_dataset *d = tg_dataset_new(4, 3, 1);
    const double x[12] = {1, 5, 0, 2, 5, 0, 3, 5, 0, 4, 5, 8};
    memcpy(d->x, x, sizeof x);
    double mean[3], scale[3];
    assert_int_equal(tg_standardize_fit(d, mean, scale), TG_OK);
    assert_true(mean[0] == 2.5 && mean[1] == 5 && mean[2] == 2);
    assert_close(scale[0], sqrt(1.25));
    assert_true(scale[1] == 1.0);
    assert_close(scale[2], sqrt(12.0));
    tg_standardize_apply(d, mean, scale);
    assert_close(d->x[0], -1.5 / sqrt(1.25));
    assert_true(d->x[1] == 0 && d->x[4] == 0 && d->x[10] == 0);
    assert_close(d->x[11], sqrt(3.0));
    assert_close(d->x[2], -2 / sqrt(12.0));
    tg_dataset *empty = tg_dataset_new(0, 3, 1);
    assert_int_equal(tg_standardize_fit(empty, mean, scale), TG_ERR_ARG);
    tg_dataset_free(empty);
    tg_dataset_free(d);
}

static void stratified_split_keeps_class_proportions(void **state)
{
    (void)state;
    /* 50 rows of class 0, 30 of class 1, 20 of class 2; test 0.2 -> 10, 6, 4 exactly */
    tg_dataset *d = tg_dataset_new(100, 1, 1);
    for (size_t i = 0; i < 100; i++) {
        d->x[i] = (double)i;
        d->y[i] = i < 50 ? 0 : i < 80 ? 1 : 2;
    }
    tg_rng rng;
    tg_rng_init(&rng, 7);
    tg_dataset *a, *b;
    assert_int_equal(tg_dataset_split_stratified(d, 3, 0.2, &rng, &a, &b), TG_OK);
    assert_int_equal(a->n, 80);
    assert_int_equal(b->n, 20);
    size_t count[2][3] = {{0}}, seen[100] = {0};
    for (size_t i = 0; i < a->n; i++) {
        count[0][(size_t)a->y[i]]++;
        seen[(size_t)a->x[i]]++;
        assert_true(a->y[i] == (a->x[i] < 50 ? 0 : a->x[i] < 80 ? 1 : 2)); /* rows stay whole */
    }
    for (size_t i = 0; i < b->n; i++) {
        count[1][(size_t)b->y[i]]++;
        seen[(size_t)b->x[i]]++;
    }
    assert_true(count[1][0] == 10 && count[1][1] == 6 && count[1][2] == 4);
    assert_true(count[0][0] == 40 && count[0][1] == 24 && count[0][2] == 16);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(seen[i], 1);
    /* the same seed gives the same split; a label out of range is refused */
    tg_dataset *a2, *b2;
    tg_rng_init(&rng, 7);
    assert_int_equal(tg_dataset_split_stratified(d, 3, 0.2, &rng, &a2, &b2), TG_OK);
    assert_memory_equal(a->x, a2->x, 80 * sizeof(double));
    tg_dataset_free(a2);
    tg_dataset_free(b2);
    assert_int_equal(tg_dataset_split_stratified(d, 2, 0.2, &rng, &a2, &b2), TG_ERR_ARG);
    tg_dataset_free(a);
    tg_dataset_free(b);
    tg_dataset_free(d);
    tg_dataset_free(tg_dataset_new(0, 1, 1));
    tg_dataset_free(NULL);
}

static void confusion_and_regression_metrics_match_hand_counts(void **state)
{
    (void)state;
    const size_t truth[6] = {0, 0, 1, 1, 2, 2}, pred[6] = {0, 1, 1, 1, 0, 2};
    size_t c[9];
    tg_confusion(6, 3, truth, pred, c);
    const size_t want[9] = {1, 1, 0, 0, 2, 0, 1, 0, 1};
    assert_memory_equal(c, want, sizeof want);
    /* pred 1 2 3, y 1 3 2: squared errors 0 1 1, absolute 0 1 1, mean y 2, sum (y - 2)^2 = 2 */
    const double p[3] = {1, 2, 3}, y[3] = {1, 3, 2};
    double mse, mae, r2;
    tg_regression_metrics(3, p, y, &mse, &mae, &r2);
    assert_true(mse == 2.0 / 3.0 && mae == 2.0 / 3.0 && r2 == 0.0);
    const double q[2] = {1, 2}, flat[2] = {3, 3};
    tg_regression_metrics(2, q, flat, &mse, &mae, &r2);
    assert_true(mse == 2.5 && mae == 1.5 && isnan(r2));
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
        cmocka_unit_test(table_detects_names_counts_and_bare_data),
        cmocka_unit_test(standardization_matches_hand_computed_table),
        cmocka_unit_test(stratified_split_keeps_class_proportions),
        cmocka_unit_test(confusion_and_regression_metrics_match_hand_counts),
        cmocka_unit_test(progress_is_quiet_off_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
