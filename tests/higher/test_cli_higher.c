/* test_cli_higher.c: the tapegrad command's --hessian and --jvp options (text and --json),
 * run as a child process; the expected matrices and directional derivatives are derived by
 * hand. The command's other options are tested in tests/cli/. argv[1] is the command. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "tg_test.h"

static const char *exe;

/* Runs `exe ARGS` and returns its exit code; *out gets standard output (stderr is dropped). */
static int run(const char *args, char *out, size_t size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", exe, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    const size_t n = fread(out, 1, size - 1, p);
    out[n] = 0;
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number after the first occurrence of key in s (NaN if key is missing). */
static double number_after(const char *s, const char *key)
{
    const char *at = strstr(s, key);
    return at ? strtod(at + strlen(key), NULL) : NAN;
}

/* Reads n*n numbers of a JSON "hessian": [[...], ...] into h; returns how many it found. */
static size_t json_matrix(const char *s, size_t n, double *h)
{
    const char *p = strstr(s, "\"hessian\": [");
    if (!p)
        return 0;
    p += strlen("\"hessian\": [");
    size_t k = 0;
    while (k < n * n && *p) {
        while (*p == '[' || *p == ']' || *p == ',' || *p == ' ')
            p++;
        char *end;
        const double v = strtod(p, &end);
        if (end == p)
            break;
        h[k++] = v;
        p = end;
    }
    return k;
}

/* Reads the text matrix: after the "hessian" line and the line of column names, n lines
 * "NAME v1 v2 ...". */
static size_t text_matrix(const char *s, size_t n, double *h)
{
    const char *p = strstr(s, "hessian");
    if (!p || !(p = strchr(p, '\n')))
        return 0;
    p = strchr(p + 1, '\n');
    size_t k = 0;
    for (size_t i = 0; p && i < n; i++) {
        p++;
        while (*p && *p != ' ') /* the row's name */
            p++;
        for (size_t j = 0; j < n; j++) {
            char *end;
            const double v = strtod(p, &end);
            if (end == p)
                return k;
            h[k++] = v;
            p = end;
        }
        p = strchr(p, '\n');
    }
    return k;
}

/* f = x^2 y + sin(y):  H = [[2y, 2x], [2x, -sin y]];  grad = (2xy, x^2 + cos y) */
static void hessian_option_prints_hand_derived_matrix(void **state)
{
    (void)state;
    const double x = 1.5, y = 0.5;
    const double want[4] = {2 * y, 2 * x, 2 * x, -sin(y)};
    char out[4096];
    double h[4];
    assert_int_equal(run("--hessian 'x^2*y + sin(y)' x=1.5 y=0.5", out, sizeof out), 0);
    assert_int_equal(text_matrix(out, 2, h), 4);
    for (int k = 0; k < 4; k++)
        if (!close_to(h[k], want[k], 1e-14))
            fail_msg("text H[%d] = %.17g, expected %.17g\n%s", k, h[k], want[k], out);
    assert_true(close_to(number_after(out, "d/dx = "), 2 * x * y, 1e-14)); /* still printed */

    assert_int_equal(run("--json --hessian 'x^2*y + sin(y)' x=1.5 y=0.5", out, sizeof out), 0);
    assert_int_equal(json_matrix(out, 2, h), 4);
    for (int k = 0; k < 4; k++)
        if (!same_bits(h[k], want[k]) && !close_to(h[k], want[k], 1e-16))
            fail_msg("json H[%d] = %.17g, expected %.17g\n%s", k, h[k], want[k], out);
    assert_true(close_to(number_after(out, "\"value\": "), x * x * y + sin(y), 1e-15));
}

/* Kinks: relu(x) y has H = [[0, 1], [1, 0]] for x > 0 and [[0, 0], [0, 0]] for x < 0. */
static void hessian_option_handles_relu_and_abs(void **state)
{
    (void)state;
    static const struct {
        const char *args;
        double want[4];
    } cases[] = {
        {"--json --hessian 'relu(x)*y' x=2 y=3", {0, 1, 1, 0}},
        {"--json --hessian 'relu(x)*y' x=-2 y=3", {0, 0, 0, 0}},
        {"--json --hessian 'abs(x)*y' x=-2 y=3", {0, -1, -1, 0}},
        {"--json --hessian 'abs(x)^3' x=-2 y=3", {12, 0, 0, 0}}, /* 6|x| */
    };
    char out[4096];
    double h[4];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        assert_int_equal(run(cases[c].args, out, sizeof out), 0);
        assert_int_equal(json_matrix(out, 2, h), 4);
        for (int k = 0; k < 4; k++)
            if (!(h[k] == cases[c].want[k]))
                fail_msg("%s: H[%d] = %.17g, expected %g", cases[c].args, k, h[k],
                         cases[c].want[k]);
    }
}

/* The directional derivative along (1, 2) of x^2 y + sin(y) is 2xy + 2 (x^2 + cos y); inputs
 * left out of the direction move by 0. */
static void jvp_option_prints_directional_derivative(void **state)
{
    (void)state;
    const double x = 1.5, y = 0.5;
    char out[4096];
    assert_int_equal(run("--jvp x=1,y=2 'x^2*y + sin(y)' x=1.5 y=0.5", out, sizeof out), 0);
    assert_true(close_to(number_after(out, "jvp = "), 2 * x * y + 2 * (x * x + cos(y)), 1e-14));
    assert_int_equal(run("--json --jvp y=-1 'x^2*y + sin(y)' x=1.5 y=0.5", out, sizeof out), 0);
    assert_true(close_to(number_after(out, "\"jvp\": "), -(x * x + cos(y)), 1e-15));
    assert_int_equal(run("--json --jvp=x=0.5 --hessian 'x*y' x=1.5 y=0.5", out, sizeof out), 0);
    assert_true(number_after(out, "\"jvp\": ") == 0.25); /* 0.5 y */
    assert_int_equal(json_matrix(out, 2, (double[4]){0}), 4);
}

static void jvp_option_rejects_bad_directions(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "--jvp z=1 'x*y' x=1 y=2",       /* not an input */
        "--jvp x=abc 'x*y' x=1 y=2",     /* not a number */
        "--jvp x 'x*y' x=1 y=2",         /* no value */
        "--jvp x=1,x=2 'x*y' x=1 y=2",   /* twice */
        "--jvp x=1, 'x*y' x=1 y=2",      /* empty item */
        "--jvp x=1 --jvp y=1 'x*y' x=1", /* the option twice */
        "'x*y' x=1 y=2 --jvp",           /* no direction */
    };
    char out[4096];
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++)
        if (run(bad[c], out, sizeof out) != 2)
            fail_msg("tapegrad %s: expected exit code 2", bad[c]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_cli_higher PATH-TO-TAPEGRAD\n");
        return 2;
    }
    exe = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hessian_option_prints_hand_derived_matrix),
        cmocka_unit_test(hessian_option_handles_relu_and_abs),
        cmocka_unit_test(jvp_option_prints_directional_derivative),
        cmocka_unit_test(jvp_option_rejects_bad_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
