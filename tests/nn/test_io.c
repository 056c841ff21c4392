/* test_io.c: saving and loading models: the round trip is bit-exact (including -0, subnormal
 * and huge values); a file truncated at every offset, with any byte changed, one byte longer,
 * of another version or another shape, or missing, is rejected and leaves the model exactly
 * as it was; tg_mlp_load_new rebuilds a model from a file; CRC-32 matches its check value. */
#define _POSIX_C_SOURCE 200809L /* umask, stat */
#include <math.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn_int.h" /* tgi_crc32 */
#include "tapegrad.h"

static const char *const path = "test_io_model.tgm";
static const char *const bad_path = "test_io_damaged.tgm";

static tg_mlp *make(tg_tape *t, uint64_t seed, size_t hidden, tg_act out_act)
{
    const size_t sizes[] = {hidden, 1};
    const tg_act acts[] = {TG_ACT_TANH, out_act};
    tg_rng rng;
    tg_rng_init(&rng, seed);
    return tg_mlp_new(t, 2, 2, sizes, acts, TG_INIT_HE, &rng);
}

static void snapshot(const tg_mlp *m, double *v)
{
    for (size_t i = 0; i < tg_mlp_n_params(m); i++)
        v[i] = tg_value(tg_mlp_tape(m), tg_mlp_params(m)[i]);
}

static int same_bits(const tg_mlp *m, const double *v)
{
    double now[64];
    snapshot(m, now);
    return memcmp(now, v, tg_mlp_n_params(m) * sizeof *v) == 0;
}

static size_t read_file(const char *p, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void write_file(const char *p, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void crc32_matches_check_value(void **state)
{
    (void)state;
    assert_int_equal(tgi_crc32("123456789", 9), 0xCBF43926u);
    assert_int_equal(tgi_crc32("", 0), 0u);
}

static void save_load_round_trip_is_bit_exact(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *a = make(t, 1, 2, TG_ACT_IDENTITY), *b = make(t, 2, 2, TG_ACT_IDENTITY);
    const double special[] = {-0.0, 4.9406564584124654e-324, 1.7976931348623157e308, 0.1,
                              -1.0 / 3.0};
    for (size_t i = 0; i < 5; i++)
        tg_set_value(t, tg_mlp_params(a)[i], special[i]);
    double va[64];
    snapshot(a, va);
    assert_false(same_bits(b, va));
    assert_int_equal(tg_mlp_save(a, path), TG_OK);
    assert_int_equal(tg_mlp_load(b, path), TG_OK);
    assert_true(same_bits(b, va));
    assert_true(signbit(tg_value(t, tg_mlp_params(b)[0])));
    /* saving over an existing file replaces it */
    tg_set_value(t, tg_mlp_params(a)[0], 42.0);
    assert_int_equal(tg_mlp_save(a, path), TG_OK);
    assert_int_equal(tg_mlp_load(b, path), TG_OK);
    assert_true(tg_value(t, tg_mlp_params(b)[0]) == 42.0);
    /* the file is the documented size: 20 + 8 L + 8 + 8 n_params, then the information with
     * nothing known (task, flags, two empty strings, two zero counts: 6 x 4 bytes), then 4 */
    unsigned char buf[4096];
    assert_int_equal(read_file(path, buf, sizeof buf), 20 + 16 + 8 + 8 * 9 + 24 + 4);
    assert_memory_equal(buf, "TGMLP\r\n\x1a\x02\0\0\0\x02\0\0\0\x02\0\0\0", 20);
    tg_mlp_free(a);
    tg_mlp_free(b);
    tg_tape_free(t);
}

/* Loads bad_path into m and checks that it fails with want and leaves m as it was. */
static void rejects(tg_mlp *m, const double *before, tg_status want, const char *what, size_t at)
{
    const tg_status s = tg_mlp_load(m, bad_path);
    if (s != want || !same_bits(m, before))
        fail_msg("%s at %zu: status %d (want %d), model %s", what, at, s, want,
                 same_bits(m, before) ? "unchanged" : "CHANGED");
    assert_true(strlen(tg_mlp_errmsg(m)) > 0);
}

static void damaged_files_are_rejected_and_model_unchanged(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *a = make(t, 3, 2, TG_ACT_IDENTITY), *b = make(t, 4, 2, TG_ACT_IDENTITY);
    assert_int_equal(tg_mlp_save(a, path), TG_OK);
    double vb[64];
    snapshot(b, vb);
    unsigned char good[4096], bad[4097];
    const size_t n = read_file(path, good, sizeof good);
    for (size_t cut = 0; cut < n; cut++) {
        write_file(bad_path, good, cut);
        rejects(b, vb, TG_ERR_FORMAT, "truncated", cut);
    }
    static const unsigned char flips[] = {0x01, 0x80, 0xFF, 0x10};
    for (size_t at = 0; at < n; at++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(bad, good, n);
            bad[at] ^= flips[f];
            write_file(bad_path, bad, n);
            rejects(b, vb, TG_ERR_FORMAT, "flipped byte", at);
        }
    memcpy(bad, good, n);
    bad[n] = 0;
    write_file(bad_path, bad, n + 1);
    rejects(b, vb, TG_ERR_FORMAT, "one byte longer", n);
    /* a correct checksum does not make a wrong version, count, task (9) or flag (2) acceptable,
     * nor a version-1 header on a file that carries information */
    const struct {
        size_t at;
        unsigned char value;
    } edits[] = {{8, 3}, {20 + 16, 10}, {12, 3}, {8, 1}, {n - 4 - 24, 9}, {n - 4 - 20, 2}};
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        memcpy(bad, good, n);
        bad[edits[e].at] = edits[e].value;
        const uint32_t crc = tgi_crc32(bad, n - 4);
        for (int k = 0; k < 4; k++)
            bad[n - 4 + k] = (unsigned char)(crc >> (8 * k));
        write_file(bad_path, bad, n);
        rejects(b, vb, TG_ERR_FORMAT, "re-checksummed edit", edits[e].at);
    }
    remove(bad_path);
    assert_int_equal(tg_mlp_load(b, bad_path), TG_ERR_IO);
    assert_true(same_bits(b, vb));
    tg_mlp_free(a);
    tg_mlp_free(b);
    tg_tape_free(t);
}

static void file_of_another_shape_is_rejected(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *a = make(t, 5, 2, TG_ACT_IDENTITY);
    tg_mlp *wider = make(t, 6, 3, TG_ACT_IDENTITY), *other_act = make(t, 7, 2, TG_ACT_SIGMOID);
    assert_int_equal(tg_mlp_save(a, path), TG_OK);
    double v[64];
    snapshot(wider, v);
    assert_int_equal(tg_mlp_load(wider, path), TG_ERR_ARG);
    assert_true(same_bits(wider, v));
    snapshot(other_act, v);
    assert_int_equal(tg_mlp_load(other_act, path), TG_ERR_ARG);
    assert_true(same_bits(other_act, v));
    assert_int_equal(tg_mlp_save(a, "no_such_directory/model.tgm"), TG_ERR_IO);
    tg_mlp_free(a);
    tg_mlp_free(wider);
    tg_mlp_free(other_act);
    tg_tape_free(t);
}

static void load_new_rebuilds_the_saved_model(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *a = make(t, 8, 3, TG_ACT_SIGMOID);
    assert_int_equal(tg_mlp_save(a, path), TG_OK);
    tg_tape *t2 = tg_tape_new();
    tg_mlp *b = NULL;
    char err[200];
    assert_int_equal(tg_mlp_load_new(t2, path, &b, err, sizeof err), TG_OK);
    assert_non_null(b);
    assert_int_equal(tg_mlp_n_layers(b), 2);
    assert_int_equal(tg_mlp_layer_size(b, 0), 3);
    assert_int_equal(tg_mlp_layer_act(b, 1), TG_ACT_SIGMOID);
    double va[64];
    snapshot(a, va);
    assert_true(same_bits(b, va));
    const double x[2] = {0.3, -0.7};
    double ya, yb;
    tg_mlp_predict(a, x, &ya);
    tg_mlp_predict(b, x, &yb);
    assert_true(ya == yb);
    tg_mlp_free(b);
    assert_int_equal(tg_mlp_load_new(t2, "missing.tgm", &b, err, sizeof err), TG_ERR_IO);
    assert_null(b);
    assert_non_null(strstr(err, "missing.tgm"));
    remove(path);
    tg_mlp_free(a);
    tg_tape_free(t);
    tg_tape_free(t2);
}


static char *dup(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    return strcpy(c, s);
}

static void information_round_trips_and_version_1_still_loads(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *a = make(t, 9, 3, TG_ACT_IDENTITY);
    tg_model_info info = {0};
    info.task = TG_TASK_MULTICLASS;
    info.loss = dup("softmax");
    info.target = dup("species");
    info.n_features = 2;
    info.feature_names = malloc(2 * sizeof(char *));
    info.feature_names[0] = dup("sepal length");
    info.feature_names[1] = dup("");
    info.n_classes = 3;
    info.class_names = malloc(3 * sizeof(char *));
    info.class_names[0] = dup("setosa");
    info.class_names[1] = dup("versicolor");
    info.class_names[2] = dup("virginica");
    info.mean = malloc(2 * sizeof(double));
    info.scale = malloc(2 * sizeof(double));
    info.mean[0] = -0.1;
    info.mean[1] = 1e300;
    info.scale[0] = 1.0 / 3.0;
    info.scale[1] = 4.9406564584124654e-324;
    assert_int_equal(tg_mlp_save_info(a, &info, path), TG_OK);
    tg_tape *t2 = tg_tape_new();
    tg_mlp *b = NULL;
    tg_model_info got;
    char err[200];
    assert_int_equal(tg_mlp_load_info(t2, path, &b, &got, err, sizeof err), TG_OK);
    assert_int_equal(got.task, TG_TASK_MULTICLASS);
    assert_string_equal(got.loss, "softmax");
    assert_string_equal(got.target, "species");
    assert_int_equal(got.n_features, 2);
    assert_string_equal(got.feature_names[0], "sepal length");
    assert_null(got.feature_names[1]); /* an empty name reads back as none */
    assert_int_equal(got.n_classes, 3);
    assert_string_equal(got.class_names[2], "virginica");
    assert_memory_equal(got.mean, info.mean, 2 * sizeof(double));
    assert_memory_equal(got.scale, info.scale, 2 * sizeof(double));
    tg_model_info_clear(&got);
    tg_model_info_clear(&got); /* twice is harmless */
    tg_mlp_free(b);

    /* information that does not fit the model is refused before anything is written */
    info.scale[1] = 0.0;
    assert_int_equal(tg_mlp_save_info(a, &info, "never.tgm"), TG_ERR_ARG);
    info.scale[1] = 1.0;
    info.n_features = 3;
    assert_int_equal(tg_mlp_save_info(a, &info, "never.tgm"), TG_ERR_ARG);
    FILE *never = fopen("never.tgm", "rb");
    assert_null(never);
    info.n_features = 2;

    /* a version-1 file (the values, then the checksum) loads, with nothing known */
    assert_int_equal(tg_mlp_save(a, path), TG_OK);
    unsigned char buf[4096];
    size_t n = read_file(path, buf, sizeof buf);
    n -= 24 + 4; /* drop the empty information and the checksum */
    buf[8] = 1;
    const uint32_t crc = tgi_crc32(buf, n);
    for (int k = 0; k < 4; k++)
        buf[n + k] = (unsigned char)(crc >> (8 * k));
    write_file(bad_path, buf, n + 4);
    assert_int_equal(tg_mlp_load_info(t2, bad_path, &b, &got, err, sizeof err), TG_OK);
    assert_int_equal(got.task, TG_TASK_UNKNOWN);
    assert_null(got.loss);
    assert_null(got.mean);
    tg_mlp_free(b);
    /* and a future version is refused with a message that says so */
    buf[8] = 7;
    const uint32_t crc7 = tgi_crc32(buf, n);
    for (int k = 0; k < 4; k++)
        buf[n + k] = (unsigned char)(crc7 >> (8 * k));
    write_file(bad_path, buf, n + 4);
    assert_int_equal(tg_mlp_load_info(t2, bad_path, &b, &got, err, sizeof err), TG_ERR_FORMAT);
    assert_non_null(strstr(err, "version 7"));
    remove(bad_path);
    remove(path);
    tg_model_info_clear(&info);
    tg_mlp_free(a);
    tg_tape_free(t);
    tg_tape_free(t2);
}

static void saved_file_has_the_umask_mode(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_mlp *a = make(t, 10, 2, TG_ACT_IDENTITY);
    static const struct {
        mode_t mask, want;
    } cases[] = {{022, 0644}, {077, 0600}, {002, 0664}};
    for (size_t c = 0; c < 3; c++) {
        const mode_t old = umask(cases[c].mask);
        remove(path);
        assert_int_equal(tg_mlp_save(a, path), TG_OK);
        umask(old);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, cases[c].want);
    }
    remove(path);
    tg_mlp_free(a);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_matches_check_value),
        cmocka_unit_test(save_load_round_trip_is_bit_exact),
        cmocka_unit_test(damaged_files_are_rejected_and_model_unchanged),
        cmocka_unit_test(file_of_another_shape_is_rejected),
        cmocka_unit_test(load_new_rebuilds_the_saved_model),
        cmocka_unit_test(information_round_trips_and_version_1_still_loads),
        cmocka_unit_test(saved_file_has_the_umask_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
