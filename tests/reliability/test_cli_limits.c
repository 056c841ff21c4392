/* test_cli_limits.c: the tapegrad command (path in $TAPEGRAD) at the limits the issue names:
 * a program of 100,000 statements, names of 10,000 characters (assigned and as inputs), and
 * the inputs -0 (a number, kept negative), 1e309 and nan (not finite: exit 2). The everyday
 * behaviour, flat chains and deep nesting are tests/cli's. Expected numbers are hand-derived. */
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
#include <unistd.h>
#include <cmocka.h>

#include "tg_test_run.h"


/* "s = x" then "s = s + x" 99,999 times, one statement a line: s = 100000 x, ds/dx = 100000. */
static void program_of_100000_statements_works(void **state)
{
    (void)state;
    const size_t n = 100000;
    char *prog = malloc(n * 12 + 16);
    assert_non_null(prog);
    size_t len = (size_t)sprintf(prog, "s = x\n");
    for (size_t i = 1; i < n; i++)
        len += (size_t)sprintf(prog + len, "s = s + x\n");
    result r = run_cmd(prog, ARGS("--json", "-f", "-", "x=0.5"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 50000, \"grad\": {\"x\": 100000}}\n");
    free(prog);
    free(r.out);
    free(r.err);
}

/* A 10,000-character input name and a 10,000-character assigned name: v = n * 3 + 1 at n = 2
 * gives 7, dv/dn = 3; the JSON names the input in full. */
static void names_of_10000_characters_work(void **state)
{
    (void)state;
    const size_t n = 10000;
    char *in_name = malloc(n + 1), *var = malloc(n + 1), *arg = malloc(n + 8);
    char *prog = malloc(3 * n + 64), *expect = malloc(n + 64);
    assert_true(in_name && var && arg && prog && expect);
    memset(in_name, 'i', n);
    in_name[n] = '\0';
    memset(var, 'v', n);
    var[0] = '_';
    var[n] = '\0';
    sprintf(arg, "%s=2", in_name);
    sprintf(prog, "%s = %s * 3\n%s + 1\n", var, in_name, var);
    result r = run_cmd(prog, ARGS("--json", "-f", "-", arg));
    assert_int_equal(r.code, 0);
    sprintf(expect, "{\"value\": 7, \"grad\": {\"%s\": 3}}\n", in_name);
    assert_string_equal(r.out, expect);
    free(r.out);
    free(r.err);
    free(in_name);
    free(var);
    free(arg);
    free(prog);
    free(expect);
}

/* -0 is a finite decimal number: x * 2 at x = -0 is -0 (sign kept, reads back negative) with
 * gradient 2; 1/x at -0 is -inf, which the command refuses (exit 2) naming the division. */
static void minus_zero_input_is_a_signed_zero(void **state)
{
    (void)state;
    result r = run_cmd(NULL, ARGS("--json", "x * 2", "x=-0"));
    assert_int_equal(r.code, 0);
    const char *v = strstr(r.out, "\"value\": ");
    assert_non_null(v);
    const double value = strtod(v + 9, NULL);
    assert_true(value == 0.0 && signbit(value));
    assert_non_null(strstr(r.out, "\"grad\": {\"x\": 2}"));
    free(r.out);
    free(r.err);

    r = run_cmd(NULL, ARGS("1/x", "x=-0"));
    assert_int_equal(r.code, 2);
    assert_true(strncmp(r.err, "tapegrad: error: ", 17) == 0);
    assert_non_null(strstr(r.err, "-inf"));
    free(r.out);
    free(r.err);
}

/* 1e309 overflows a double and nan is not a number: both are refused before anything runs,
 * with exit 2 and the usual first line; so are inf and -1e309. */
static void nonfinite_inputs_are_refused(void **state)
{
    (void)state;
    const char *const bad[] = {"x=1e309", "x=-1e309", "x=nan", "x=NaN", "x=inf", "x=-inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        result r = run_cmd(NULL, ARGS("x + 1", bad[i]));
        if (r.code != 2)
            fail_msg("%s: exit %d, expected 2", bad[i], r.code);
        assert_true(strncmp(r.err, "tapegrad: error: ", 17) == 0);
        assert_string_equal(r.out, "");
        free(r.out);
        free(r.err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(program_of_100000_statements_works),
        cmocka_unit_test(names_of_10000_characters_work),
        cmocka_unit_test(minus_zero_input_is_a_signed_zero),
        cmocka_unit_test(nonfinite_inputs_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
