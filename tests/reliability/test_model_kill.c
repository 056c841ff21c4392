/* test_model_kill.c: saving a model is atomic. A child process saves two different models
 * over the same file in a loop and is killed (SIGKILL) at a random moment, many times; after
 * each kill the file must load and hold exactly one of the two models, never a mix or a torn
 * write. The file format and the save itself are nn/io.c's. POSIX (fork, kill). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tapegrad.h"

#define N_PARAMS_MAX 20000

/* An MLP 2-64-64-1 (4,417 parameters, about 35 kB on disk) drawn from seed. */
static tg_mlp *make_model(tg_tape *t, uint64_t seed)
{
    const size_t sizes[3] = {64, 64, 1};
    const tg_act acts[3] = {TG_ACT_TANH, TG_ACT_TANH, TG_ACT_IDENTITY};
    tg_rng rng;
    tg_rng_init(&rng, seed);
    return tg_mlp_new(t, 2, 3, sizes, acts, TG_INIT_XAVIER, &rng);
}

static void params_of(const tg_tape *t, const tg_mlp *m, double *out)
{
    for (size_t i = 0; i < tg_mlp_n_params(m); i++)
        out[i] = tg_value(t, tg_mlp_params(m)[i]);
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void save_killed_at_random_moments_leaves_old_or_new_file(void **state)
{
    (void)state;
    const int rounds = getenv("TG_VALGRIND") ? 20 : 200;
    char dir[] = "/tmp/tg_kill_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/model.tgm", dir);

    tg_tape *t = tg_tape_new();
    tg_mlp *old_m = make_model(t, 1), *new_m = make_model(t, 2);
    assert_non_null(old_m);
    assert_non_null(new_m);
    const size_t n = tg_mlp_n_params(old_m);
    assert_true(n <= N_PARAMS_MAX);
    static double p_old[N_PARAMS_MAX], p_new[N_PARAMS_MAX], p_read[N_PARAMS_MAX];
    params_of(t, old_m, p_old);
    params_of(t, new_m, p_new);
    assert_memory_not_equal(p_old, p_new, n * sizeof(double));

    /* How long a save takes here (valgrind makes it much slower): the kills are spread over
     * three saves' time, so that they land in every phase of a save. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < 5; k++)
        assert_int_equal(tg_mlp_save(k & 1 ? new_m : old_m, path), TG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const long save_us =
        ((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000) / 5;

    srand(12345);
    int n_old = 0, n_new = 0;
    for (int r = 0; r < rounds; r++) {
        assert_int_equal(tg_mlp_save(old_m, path), TG_OK);
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) { /* save new, old, new, ... until killed; say when the first is done */
            close(ready[0]);
            for (unsigned k = 0;; k++) {
                tg_mlp_save(k & 1 ? old_m : new_m, path);
                if (k == 0 && write(ready[1], "s", 1) != 1)
                    _exit(1);
            }
        }
        close(ready[1]);
        char c;
        assert_int_equal(read(ready[0], &c, 1), 1); /* the child is in its loop */
        close(ready[0]);
        const long us = rand() % (3 * save_us + 1);
        const struct timespec delay = {us / 1000000L, (us % 1000000L) * 1000L};
        nanosleep(&delay, NULL);
        kill(child, SIGKILL);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);

        /* the file is whole, and it is one of the two models */
        tg_tape *t2 = tg_tape_new();
        tg_mlp *read = make_model(t2, 3);
        tg_status s = tg_mlp_load(read, path);
        if (s != TG_OK)
            fail_msg("round %d: the file does not load after a kill: %s", r, tg_mlp_errmsg(read));
        params_of(t2, read, p_read);
        const int is_old = memcmp(p_read, p_old, n * sizeof(double)) == 0;
        const int is_new = memcmp(p_read, p_new, n * sizeof(double)) == 0;
        assert_true(is_old || is_new);
        n_old += is_old;
        n_new += is_new;
        tg_mlp_free(read);
        tg_tape_free(t2);
    }
    print_message("%d kills (a save takes %ld us): %d left the old model, %d the new one; %d "
                  "temporary files left behind\n",
                  rounds, save_us, n_old, n_new, count_files(dir) - 1);
    /* the kills did land at different moments */
    assert_true(n_old > 0 && n_new > 0);

    /* clean up the directory, including temporary files a kill left behind */
    DIR *d = opendir(dir);
    assert_non_null(d);
    char file[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        unlink(file);
    }
    closedir(d);
    rmdir(dir);
    tg_mlp_free(old_m);
    tg_mlp_free(new_m);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_killed_at_random_moments_leaves_old_or_new_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
