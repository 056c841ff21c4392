/* tg_test_run.h: what the tests that run programs or read files share, so that no helper is
 * copied between them: reading a FILE whole, running the tapegrad command ($TAPEGRAD) as a
 * child with its standard streams captured, and building deeply nested inputs. Test code only;
 * the including file defines _POSIX_C_SOURCE and includes <cmocka.h> first. */
#ifndef TG_TEST_RUN_H
#define TG_TEST_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What one run of the command gave. */
typedef struct result {
    int code;  /* exit status, or -1 if it did not exit normally (a crash) */
    char *out; /* standard output (owned) */
    char *err; /* standard error (owned) */
} result;

/* The whole of f from its start, NUL-terminated (owned by the caller). */
static inline char *slurp(FILE *f)
{
    fflush(f);
    rewind(f);
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            buf = realloc(buf, (cap *= 2) + 1);
            assert_non_null(buf);
        }
    }
    buf[n] = 0;
    return buf;
}

/* Runs $TAPEGRAD with args (NULL-terminated, at most 62) and `input` on standard input. */
static inline result run_cmd(const char *input, const char *const *args)
{
    const char *exe = getenv("TAPEGRAD");
    assert_non_null(exe);
    FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
    assert_true(in && out && err);
    if (input)
        fputs(input, in);
    fflush(in);
    rewind(in);
    char *argv[64];
    size_t n = 0;
    argv[n++] = (char *)exe;
    for (size_t i = 0; args[i]; i++) {
        assert_true(n < 63);
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fileno(in), 0);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execv(exe, argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    fclose(in);
    fclose(out);
    fclose(err);
    return r;
}

static inline void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* n copies of `open`, then `middle`, then n copies of `close` (owned by the caller). */
static inline char *nest(size_t n, const char *open, const char *middle, const char *close)
{
    const size_t lo = strlen(open), lm = strlen(middle), lc = strlen(close);
    char *s = malloc(n * (lo + lc) + lm + 1), *q = s;
    assert_non_null(s);
    for (size_t i = 0; i < n; i++, q += lo)
        memcpy(q, open, lo);
    memcpy(q, middle, lm);
    q += lm;
    for (size_t i = 0; i < n; i++, q += lc)
        memcpy(q, close, lc);
    *q = 0;
    return s;
}

#endif
