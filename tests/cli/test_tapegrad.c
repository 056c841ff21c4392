/* test_tapegrad.c: runs the built `tapegrad` command (path in $TAPEGRAD) as a user would: the
 * seed example's value and every gradient, JSON that reads back to the same doubles, every
 * error path with its exit code and first stderr line, --check and --expect exit codes, -f FILE
 * and stdin, long chains and deep nesting. Expected numbers are hand-derived (C arithmetic in
 * the same order as the formula), never taken from tapegrad's own output. */
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


/* ---- Reading the JSON object: {"value": V, "grad": {"NAME": G, ...}} ------------------- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\n')
        s++;
    return s;
}

static const char *expect_text(const char *s, const char *lit)
{
    s = skip_ws(s);
    if (strncmp(s, lit, strlen(lit)) != 0) {
        print_error("JSON: expected %s at: %.40s\n", lit, s);
        fail();
    }
    return s + strlen(lit);
}

static const char *read_number(const char *s, double *v)
{
    char *end;
    s = skip_ws(s);
    *v = strtod(s, &end);
    assert_true(end != s);
    return end;
}

/* Parses the value and the gradients (names in order) and checks that nothing else follows
 * the object, apart from the keys named in `extra` (which are skipped). */
static void parse_json(const char *s, double *value, size_t n, const char *const *names,
                       double *grads, int allow_extra)
{
    s = expect_text(s, "{");
    s = expect_text(s, "\"value\":");
    s = read_number(s, value);
    s = expect_text(s, ",");
    s = expect_text(s, "\"grad\":");
    s = expect_text(s, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            s = expect_text(s, ",");
        char key[80];
        snprintf(key, sizeof key, "\"%s\":", names[i]);
        s = expect_text(s, key);
        s = read_number(s, &grads[i]);
    }
    s = expect_text(s, "}");
    if (allow_extra) {
        assert_non_null(strrchr(s, '}'));
        return;
    }
    s = expect_text(s, "}");
    assert_string_equal(s, "\n");
}

/* ---- The seed example ---------------------------------------------------------------------- */

static const char *const apple_args[] = {"price = (apple*apple_num + orange*orange_num)*tax",
                                         "apple=100",
                                         "apple_num=2",
                                         "orange=150",
                                         "orange_num=3",
                                         "tax=1.1",
                                         NULL};

static void apple_orange_text_shows_value_and_six_gradients(void **state)
{
    (void)state;
    result r = run_cmd(NULL, apple_args);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.err, "");
    /* 650 * 1.1 is 715.0000000000001 in binary; the text shows 15 digits */
    assert_string_equal(r.out, "value = 715\n"
                               "d/dapple = 2.2\n"
                               "d/dapple_num = 110\n"
                               "d/dorange = 3.3\n"
                               "d/dorange_num = 165\n"
                               "d/dtax = 650\n");
    result_free(&r);
}

static void apple_orange_json_reads_back_to_the_same_doubles(void **state)
{
    (void)state;
    const char *args[16] = {"--json"};
    for (size_t i = 0; apple_args[i]; i++)
        args[i + 1] = apple_args[i];
    result r = run_cmd(NULL, args);
    assert_int_equal(r.code, 0);
    const char *names[5] = {"apple", "apple_num", "orange", "orange_num", "tax"};
    double value, g[5];
    parse_json(r.out, &value, 5, names, g, 0);
    /* the chain rule by hand, in the order the sweep multiplies:
     * price = s * tax, s = apple*apple_num + orange*orange_num */
    const double apple = 100, apple_num = 2, orange = 150, orange_num = 3, tax = 1.1;
    const double s = apple * apple_num + orange * orange_num;
    const double want[5] = {tax * apple_num, tax * apple, tax * orange_num, tax * orange, s};
    const double want_value = s * tax;
    assert_memory_equal(&value, &want_value, sizeof value);
    for (int i = 0; i < 5; i++)
        if (memcmp(&g[i], &want[i], sizeof g[i]) != 0) {
            print_error("%s: %.17g, expected %.17g\n", names[i], g[i], want[i]);
            fail();
        }
    result_free(&r);
}

/* ---- Programs and their numbers ---------------------------------------------------------- */

/* Columns: arguments, value, gradients in input order (up to 3), number of inputs. */
typedef struct json_case {
    const char *const *args;
    double value;
    double grad[3];
    size_t n;
    const char *names[3];
} json_case;

static void programs_give_hand_derived_json(void **state)
{
    (void)state;
    const json_case cases[] = {
        {ARGS("a = x*2; a^2", "x=3"), 36, {24}, 1, {"x"}},
        {ARGS("--", "-x^2", "x=3"), -9, {-6}, 1, {"x"}},
        {ARGS("2^-1"), 0.5, {0}, 0, {NULL}},
        {ARGS("x*2", "x=1", "y=5"), 2, {2, 0}, 2, {"x", "y"}}, /* y unused: 0 */
        {ARGS("y*x", "y=2", "x=-0.5"), -1, {-0.5, 2}, 2, {"y", "x"}},
        {ARGS("x^2", "x=1e+20"), 1e40, {2e20}, 1, {"x"}},
        {ARGS("x*3", "x=.25"), 0.75, {3}, 1, {"x"}},
        {ARGS("x*3", "x=3."), 9, {3}, 1, {"x"}},
        {ARGS("x + 0", "x=1e-400"), 0, {1}, 1, {"x"}}, /* underflows to 0: still finite */
        {ARGS("c = x; c = c + 1; c = c*c; c", "x=2"), 9, {6}, 1, {"x"}},
        {ARGS("relu(x) + abs(y)", "x=0", "y=0"), 0, {0, 0}, 2, {"x", "y"}},
        {ARGS("sigmoid(w*x+b)", "w=0.5", "x=2", "b=0.1"),
         1 / (1 + exp(-1.1)),
         {2 * exp(-1.1) / ((1 + exp(-1.1)) * (1 + exp(-1.1))),
          0.5 * exp(-1.1) / ((1 + exp(-1.1)) * (1 + exp(-1.1))),
          exp(-1.1) / ((1 + exp(-1.1)) * (1 + exp(-1.1)))},
         3,
         {"w", "x", "b"}},
        {ARGS("x^2", "--json", "x=3"), 9, {6}, 1, {"x"}}, /* options after the program */
        {ARGS("X = x; X*x", "x=3"), 9, {6}, 1, {"x"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[16] = {"--json"};
        size_t n = 1;
        for (size_t k = 0; cases[i].args[k]; k++)
            args[n++] = cases[i].args[k];
        args[n] = NULL;
        result r = run_cmd(NULL, args);
        if (r.code != 0) {
            print_error("case %zu: exit %d: %s\n", i, r.code, r.err);
            fail();
        }
        double value, g[3];
        parse_json(r.out, &value, cases[i].n, cases[i].names, g, 0);
        const double tol = 1e-14;
        if (fabs(value - cases[i].value) > tol * fmax(1, fabs(cases[i].value))) {
            print_error("case %zu: value %.17g, expected %.17g\n", i, value, cases[i].value);
            fail();
        }
        for (size_t k = 0; k < cases[i].n; k++)
            if (fabs(g[k] - cases[i].grad[k]) > tol * fmax(1, fabs(cases[i].grad[k]))) {
                print_error("case %zu: d/d%s %.17g, expected %.17g\n", i, cases[i].names[k], g[k],
                            cases[i].grad[k]);
                fail();
            }
        result_free(&r);
    }
}

static void json_without_inputs_has_empty_grad(void **state)
{
    (void)state;
    result r = run_cmd(NULL, ARGS("--json", "2*3"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 6, \"grad\": {}}\n");
    result_free(&r);
}

/* ---- Errors ---------------------------------------------------------------------------- */

/* Columns: arguments, standard input, exit code, a piece of the first stderr line. */
typedef struct error_case {
    const char *const *args;
    const char *input;
    int code;
    const char *first_line_part;
} error_case;

static void every_error_exits_2_with_a_first_line_that_says_why(void **state)
{
    (void)state;
    const error_case cases[] = {
        /* usage */
        {ARGS("--json"), NULL, 2, "no PROGRAM"},
        {ARGS("--bogus", "x"), NULL, 2, "unknown option '--bogus'"},
        {ARGS("-x^2", "x=3"), NULL, 2, "unknown option '-x^2'"},
        {ARGS("--tol", "abc", "x"), NULL, 2, "--tol 'abc'"},
        {ARGS("--tol=-1", "x"), NULL, 2, "--tol '-1'"},
        {ARGS("x", "--tol"), NULL, 2, "--tol needs a value"},
        {ARGS("x", "--expect"), NULL, 2, "--expect needs"},
        {ARGS("x", "x=1", "--expect", "x"), NULL, 2, "NAME=FORMULA"},
        {ARGS("x", "x=1", "--expect", "y=1"), NULL, 2, "'y' is not one of the inputs"},
        {ARGS("x", "x=1", "--expect", "x=1 +"), NULL, 2, "--expect x: 1:4"},
        {ARGS("x", "x=1", "--expect", "x=q"), NULL, 2, "unknown name 'q'"},
        {ARGS("-f"), NULL, 2, "-f needs a FILE"},
        {ARGS("-f", "/nonexistent/prog.tg"), NULL, 2, "cannot read '/nonexistent/prog.tg'"},
        {ARGS("-f", "/"), NULL, 2, "cannot read '/'"},
        {ARGS("-f", "-", "-f", "-"), NULL, 2, "-f given twice"},
        {ARGS("--json", "--trace", "x", "x=1"), NULL, 2, "--trace"},
        /* inputs */
        {ARGS("x", "x"), NULL, 2, "expected an input NAME=VALUE, got 'x'"},
        {ARGS("x", "x=inf"), NULL, 2, "'x=inf'"},
        {ARGS("x", "x=nan"), NULL, 2, "'x=nan'"},
        {ARGS("x", "x=0x10"), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x="), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x=1e309"), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x=-1e309"), NULL, 2, "not a finite decimal number"},
        /* A literal past the largest double is inf: an error only where the output reads it. */
        {ARGS("x*1e999", "x=1"), NULL, 2, "1e999 at 1:3 gives inf"},
        {ARGS("x*-1e999", "x=1"), NULL, 2, "-1e999 at 1:3 gives -inf"},
        {ARGS("x", "x=1x"), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x= 1"), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x=1 "), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x=."), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x=1e"), NULL, 2, "not a finite decimal number"},
        {ARGS("x", "x=1", "x=2"), NULL, 2, "input 'x' is given twice"},
        {ARGS("x", "1x=2"), NULL, 2, "the name is not valid"},
        {ARGS("x", "=2"), NULL, 2, "the name is not valid"},
        {ARGS("x", "exp=2"), NULL, 2, "function's name"},
        /* programs */
        {ARGS("x + y", "x=1"), NULL, 2, "1:5: unknown name 'y'"},
        {ARGS("x +", "x=1"), NULL, 2, "1:4: expected an expression"},
        {ARGS(""), NULL, 2, "empty program"},
        {ARGS("  # nothing\n;"), NULL, 2, "empty program"},
        {ARGS("x = 2", "x=1"), NULL, 2, "cannot assign to 'x': it is an input"},
        {ARGS("foo(x)", "x=1"), NULL, 2, "unknown function 'foo'"},
        {ARGS("x $", "x=1"), NULL, 2, "1:3: unexpected character '$'"},
        {ARGS("-f", "-", "x=1"), "x +\n", 2, "<stdin>:1:4:"},
        /* values and gradients that are not finite */
        {ARGS("log(x)", "x=-1"), NULL, 2, "log(x) at 1:1 gives nan"},
        {ARGS("y = 2*x; 1/y", "x=0"), NULL, 2, "1/y at 1:11 gives inf"},
        {ARGS("1/0"), NULL, 2, "1/0 at 1:2 gives inf"},
        {ARGS("exp(x)", "x=1000"), NULL, 2, "exp(x) at 1:1 gives inf"},
        {ARGS("exp(-1/0) + x", "x=1"), NULL, 2, "-1/0 at 1:7 gives -inf"}, /* output finite */
        {ARGS("sqrt(x)", "x=0"), NULL, 2, "gradient with respect to x is inf"},
        {ARGS("x*2 + sqrt(x)", "x=0"), NULL, 2, "backward step of sqrt(x) at 1:7"},
        {ARGS("pow(x, y)", "x=-1", "y=2"), NULL, 2, "gradient with respect to y is nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = run_cmd(cases[i].input, cases[i].args);
        const char *nl = strchr(r.err, '\n');
        const size_t len = nl ? (size_t)(nl - r.err) : strlen(r.err);
        char first[512];
        snprintf(first, sizeof first, "%.*s", (int)(len < 500 ? len : 500), r.err);
        if (r.code != cases[i].code || strncmp(first, "tapegrad: error: ", 17) != 0 ||
            !strstr(first, cases[i].first_line_part)) {
            print_error("case %zu (%s): exit %d, first line \"%s\"; expected exit %d and \"%s\"\n",
                        i, cases[i].args[0], r.code, first, cases[i].code,
                        cases[i].first_line_part);
            fail();
        }
        result_free(&r);
    }
}

static void syntax_errors_show_the_line_and_a_caret(void **state)
{
    (void)state;
    result r = run_cmd(NULL, ARGS("a = x\nb = a +* 2", "x=1"));
    assert_int_equal(r.code, 2);
    assert_string_equal(r.err, "tapegrad: error: 2:8: expected an expression, found '*'\n"
                               "  b = a +* 2\n"
                               "         ^\n");
    result_free(&r);
    r = run_cmd(NULL, ARGS("\tq", "x=1")); /* a tab before the caret stays a tab */
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "\n  \tq\n  \t^\n"));
    result_free(&r);
}

/* ---- Checks ------------------------------------------------------------------------------ */

/* Columns: arguments, exit code, a piece of standard output. */
typedef struct check_case {
    const char *const *args;
    int code;
    const char *out_part;
} check_case;

static void check_and_expect_exit_codes(void **state)
{
    (void)state;
    const check_case cases[] = {
        {ARGS("--check", "x^2*y + sin(x)/y", "x=3", "y=-2"), 0, "ok"},
        {ARGS("--check", "abs(y)", "y=0"), 0, "ok"}, /* central difference 0 = abs'(0) */
        {ARGS("--check", "relu(x)", "x=0"), 1, "MISMATCH (kink)"}, /* 0.5 against relu'(0) = 0 */
        {ARGS("--check", "log(x)", "x=1e-5"), 0, "ok"},
        {ARGS("--check", "2*3"), 0, "check"},
        /* d(0^y)/dy at y = 0 is 0 by convention; no finite difference exists (0^-h = inf) */
        {ARGS("--check", "pow(x, y)", "x=0", "y=0"), 1, "MISMATCH"},
        {ARGS("sigmoid(w*x+b)", "w=0.5", "x=2", "b=0.1", "--expect",
              "w=sigmoid(w*x+b)*(1-sigmoid(w*x+b))*x"),
         0, "ok"},
        {ARGS("sigmoid(w*x+b)", "w=0.5", "x=2", "b=0.1", "--expect", "w=sigmoid(w*x+b)*x"), 1,
         "MISMATCH"},
        {ARGS("x^3", "x=2", "--expect", "x = 3*x^2", "--expect=x=3*x*x"), 0, "ok"},
        {ARGS("x^3", "x=2", "--expect", "x=3*x^2", "--expect", "x=2*x^2"), 1, "MISMATCH"},
        {ARGS("x^3", "x=2", "--expect", "x=log(-x)"), 1, "MISMATCH"},
        {ARGS("x*y", "x=2", "y=3", "--expect", "y=x", "--check", "--tol", "1e-9"), 0, "ok"},
        /* right at the given point only: 3x = 3x^2 at x = 1, not at the nearby points */
        {ARGS("x^3", "x=1", "--expect", "x=3*x"), 1,
         "it agrees at the given point, but not at every point near it"},
        {ARGS("x^3", "x=1", "--expect", "x=3*x^2"), 0,
         "ok: the formula agrees with the engine "
         "at 4 of 4 points"},
        /* by how much it is off: d/dw sigmoid(w*x+b) = s(1-s)x, here with the sign and a factor */
        {ARGS("sigmoid(w*x+b)", "w=0.5", "x=2", "b=0.1", "--expect",
              "w=-sigmoid(w*x+b)*(1-sigmoid(w*x+b))*x"),
         1, "the formula has the wrong sign"},
        {ARGS("sigmoid(w*x+b)", "w=0.5", "x=2", "b=0.1", "--expect",
              "w=2*sigmoid(w*x+b)*(1-sigmoid(w*x+b))*x"),
         1, "off by a constant factor: 2 times"},
        {ARGS("x^2", "x=3", "--expect", "x=2*x+1"), 1, "off by a constant: engine + (1)"},
        /* kinks: the same one-sided report under --check and --expect */
        {ARGS("--check", "relu(x)", "x=0"), 1, "the engine's 0 is the left one"},
        {ARGS("--check", "abs(x)", "x=0"), 0, "the engine's 0 is their mean"},
        /* relu'(0) = 0, the convention, is accepted at the kink; the nearby points across the
         * kink are skipped (the convention holds at the kink only) */
        {ARGS("relu(x)", "x=0", "--expect", "x=0"), 0,
         "the formula's and the engine's 0 is the left one"},
        {ARGS("relu(x)", "x=0", "--expect", "x=0"), 0, "skipped: across a kink"},
        {ARGS("abs(x)", "x=0", "--expect", "x=1"), 1, "the formula's 1 is the right one"},
        {ARGS("relu(x)", "x=-1", "--expect", "x=0"), 0, "ok"},
        /* 17-digit numbers keep their columns */
        {ARGS("--check", "x*1e-300", "x=1.2345678901234567"), 0, "1e-300"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = run_cmd(NULL, cases[i].args);
        if (r.code != cases[i].code || !strstr(r.out, cases[i].out_part)) {
            print_error("case %zu: exit %d (expected %d)\n%s%s\n", i, r.code, cases[i].code, r.out,
                        r.err);
            fail();
        }
        result_free(&r);
    }
}

/* The tables' columns are as wide as their widest number: with 17-digit and tiny numbers, every
 * row's verdict starts where the header line ends (plus the two spaces between columns). */
static void check_columns_fit_their_numbers(void **state)
{
    (void)state;
    result r = run_cmd(NULL, ARGS("--check", "x*1e-300 + y*3", "x=1.2345678901234567",
                                  "y=-2.2250738585072014e-300"));
    assert_int_equal(r.code, 0);
    const char *header = strstr(r.out, "\ninput ");
    assert_non_null(header);
    header++;
    const size_t width = strcspn(header, "\n");
    int rows = 0;
    for (const char *line = header + width + 1; *line && *line != '\n';
         line += strcspn(line, "\n") + 1, rows++) {
        const char *verdict = strstr(line, "  ok");
        assert_non_null(verdict);
        assert_int_equal(verdict - line, (long)width);
    }
    assert_int_equal(rows, 2);
    result_free(&r);
}

static void check_and_expect_keep_json_one_object(void **state)
{
    (void)state;
    result r = run_cmd(NULL, ARGS("--json", "--check", "--expect", "x=2*x", "x^2", "x=3"));
    assert_int_equal(r.code, 0);
    double value, g;
    const char *names[1] = {"x"};
    parse_json(r.out, &value, 1, names, &g, 1);
    assert_true(value == 9 && g == 6);
    assert_non_null(strstr(r.out, "\"check\": {\"ok\": true"));
    assert_non_null(strstr(r.out, "\"expect\": [{\"name\": \"x\", \"formula\": \"2*x\""));
    assert_int_equal(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out)); /* one line */
    result_free(&r);
}

/* ---- Reading programs, long and deep ------------------------------------------------------ */

static void program_from_file_and_stdin(void **state)
{
    (void)state;
    char path[] = "/tmp/tapegrad_test_XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char prog[] = "# the seed example\nsum = apple*2\nsum * tax\n";
    assert_int_equal(write(fd, prog, sizeof prog - 1), (ssize_t)(sizeof prog - 1));
    close(fd);
    result r = run_cmd(NULL, ARGS("--json", "-f", path, "apple=100", "tax=2"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 400, \"grad\": {\"apple\": 4, \"tax\": 200}}\n");
    result_free(&r);
    /* -f after what would have been the program: all positionals are inputs */
    r = run_cmd(NULL, ARGS("apple=100", "--json", "tax=2", "-f", path));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 400, \"grad\": {\"apple\": 4, \"tax\": 200}}\n");
    result_free(&r);
    unlink(path);
    r = run_cmd(prog, ARGS("--json", "-f", "-", "apple=100", "tax=2"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 400, \"grad\": {\"apple\": 4, \"tax\": 200}}\n");
    result_free(&r);
}


static void flat_chain_of_100000_terms_works(void **state)
{
    (void)state;
    char *prog = nest(99999, "x+", "x", "");
    result r = run_cmd(prog, ARGS("--json", "-f", "-", "x=0.5"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 50000, \"grad\": {\"x\": 100000}}\n");
    result_free(&r);
    free(prog);
}

static void nesting_is_limited_with_a_clear_error(void **state)
{
    (void)state;
    char *prog = nest(100000, "(", "x", ")");
    result r = run_cmd(prog, ARGS("-f", "-", "x=1"));
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "tapegrad: error: <stdin>:1:5001: expression nested deeper "
                                  "than 5000 levels"));
    result_free(&r);
    free(prog);
    prog = nest(1000, "(", "x", ")");
    r = run_cmd(prog, ARGS("--json", "-f", "-", "x=1"));
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "{\"value\": 1, \"grad\": {\"x\": 1}}\n");
    result_free(&r);
    free(prog);
}

static int file_starts_with(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[64] = "";
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strncmp(buf, prefix, strlen(prefix)) == 0;
}

static void trace_shows_the_chain_rule_steps(void **state)
{
    (void)state;
    const char *args[16] = {"--trace"};
    for (size_t i = 0; apple_args[i]; i++)
        args[i + 1] = apple_args[i];
    result r = run_cmd(NULL, args);
    assert_int_equal(r.code, 0);
    assert_int_equal(strncmp(r.out, "value = 715\n", 12), 0); /* the report, then the trace */
    assert_non_null(strstr(r.out, "dL/d(tax) += dL/d(price) * d(a*b)/db = 1 * 650 = 650"));
    assert_non_null(
        strstr(r.out, "dL/d(apple) += dL/d(apple*apple_num) * d(a*b)/da = 1.1 * 2 = 2.2"));
    result_free(&r);
    args[0] = "--trace=markdown";
    r = run_cmd(NULL, args);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "| "));
    /* the report before it is a code block, not a run-on paragraph */
    assert_int_equal(strncmp(r.out, "```text\nvalue = 715\n", 20), 0);
    assert_non_null(strstr(r.out, "d/dtax = 650\n```\n\n#### Forward pass"));
    result_free(&r);
    /* --width folds the trace, and so does $COLUMNS when --width is not given */
    args[0] = "--trace";
    args[sizeof apple_args / sizeof apple_args[0]] = "--width=40";
    r = run_cmd(NULL, args);
    assert_int_equal(r.code, 0);
    for (const char *line = r.out; *line; line = strchr(line, '\n') + 1)
        assert_true(strcspn(line, "\n") <= 40);
    assert_non_null(strstr(r.out, "orange_num"));
    result_free(&r);
    r = run_cmd(NULL, ARGS("--trace", "--width", "20", "x", "x=1"));
    assert_int_equal(r.code, 2);
    result_free(&r);
    r = run_cmd(NULL, ARGS("--trace=latex", "x", "x=1"));
    assert_int_equal(r.code, 2);
    result_free(&r);
}

/* The usual slips get messages that say what happened: the shell split an input at its
 * spaces; the inputs came first, so the first was taken as the program; and a non-finite
 * result's caret stands under the operator that produced it. */
static void usual_slips_are_explained(void **state)
{
    (void)state;
    const struct {
        const char *const *args;
        const char *err_part;
    } cases[] = {
        {ARGS("x^2", "x", "=", "3"), "write it without spaces, x=3"},
        {ARGS("x^2", "x", "=3"), "write it without spaces, x=3"},
        {ARGS("x^2", "x=", "3"), "write it without spaces, x=3"},
        {ARGS("x=1", "x^2"), "the first argument is the PROGRAM: 'x=1' was taken as the program"},
        {ARGS("1/x", "x=0"), "1/x at 1:2 gives inf (not a finite number), where x = 0\n"
                             "  1/x\n   ^\n"},
        {ARGS("y = a*b/x; y", "a=1", "b=2", "x=0"), "  y = a*b/x; y\n         ^\n"},
        {ARGS("(a*b)/x", "a=1", "b=2", "x=0"), "  (a*b)/x\n       ^\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r = run_cmd(NULL, cases[i].args);
        if (r.code != 2 || !strstr(r.err, cases[i].err_part)) {
            print_error("case %zu: exit %d\n%s", i, r.code, r.err);
            fail();
        }
        result_free(&r);
    }
}

static void pictures_go_to_files_or_standard_output(void **state)
{
    (void)state;
    char dir[] = "/tmp/tapegrad_pics_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char dot[64], html[64], svg[64], png[64];
    snprintf(dot, sizeof dot, "%s/g.dot", dir);
    snprintf(html, sizeof html, "%s/g.html", dir);
    snprintf(svg, sizeof svg, "%s/g.svg", dir);
    snprintf(png, sizeof png, "%s/g.png", dir);
    result r = run_cmd(NULL, ARGS("--dot", dot, "--html", html, "a = x*y; log(a)", "x=2", "y=3"));
    assert_int_equal(r.code, 0);
    assert_int_equal(strncmp(r.out, "value = ", 8), 0);
    assert_true(file_starts_with(dot, "digraph"));
    assert_true(file_starts_with(html, "<!DOCTYPE html>"));
    result_free(&r);
    /* --dot -: the graph alone on stdout, the report on stderr */
    r = run_cmd(NULL, ARGS("--dot", "-", "x*y", "x=2", "y=3"));
    assert_int_equal(r.code, 0);
    assert_int_equal(strncmp(r.out, "digraph", 7), 0);
    assert_int_equal(strncmp(r.err, "value = 6\n", 10), 0);
    result_free(&r);
    /* --svg/--png work when built with Graphviz, and say so clearly when not */
    const char *gvc = getenv("TAPEGRAD_GVC");
    r = run_cmd(NULL, ARGS("--svg", svg, "--png", png, "x*y", "x=2", "y=3"));
    if (gvc && strcmp(gvc, "1") == 0) {
        assert_int_equal(r.code, 0);
        assert_true(file_starts_with(png, "\x89PNG"));
        FILE *f = fopen(svg, "r");
        assert_non_null(f);
        fclose(f);
    } else {
        assert_int_equal(r.code, 2);
        assert_non_null(strstr(r.err, "built without Graphviz"));
    }
    result_free(&r);
    r = run_cmd(NULL, ARGS("--dot", "/nonexistent/dir/g.dot", "x", "x=1"));
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "tapegrad: error: --dot: cannot write"));
    result_free(&r);
    const char *const *conflicts[] = {ARGS("--json", "--dot", "-", "x", "x=1"),
                                      ARGS("--trace", "--html", "-", "x", "x=1"),
                                      ARGS("--svg", "-", "x", "x=1")};
    for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++) {
        r = run_cmd(NULL, conflicts[i]);
        assert_int_equal(r.code, 2);
        assert_int_equal(strncmp(r.err, "tapegrad: error: ", 17), 0);
        result_free(&r);
    }
    unlink(dot);
    unlink(html);
    unlink(svg);
    unlink(png);
    rmdir(dir);
}

static void help_and_version(void **state)
{
    (void)state;
    result r = run_cmd(NULL, ARGS("x", "--help"));
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "SYNOPSIS"));
    assert_non_null(strstr(r.out, "EXIT STATUS"));
    result_free(&r);
    r = run_cmd(NULL, ARGS("--version"));
    assert_int_equal(r.code, 0);
    assert_int_equal(strncmp(r.out, "tapegrad ", 9), 0);
    result_free(&r);
    r = run_cmd(NULL, ARGS("--", "--help"));
    assert_int_equal(r.code, 2); /* after --, --help is a program (and not a valid one) */
    result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apple_orange_text_shows_value_and_six_gradients),
        cmocka_unit_test(apple_orange_json_reads_back_to_the_same_doubles),
        cmocka_unit_test(programs_give_hand_derived_json),
        cmocka_unit_test(json_without_inputs_has_empty_grad),
        cmocka_unit_test(every_error_exits_2_with_a_first_line_that_says_why),
        cmocka_unit_test(syntax_errors_show_the_line_and_a_caret),
        cmocka_unit_test(check_and_expect_exit_codes),
        cmocka_unit_test(check_columns_fit_their_numbers),
        cmocka_unit_test(check_and_expect_keep_json_one_object),
        cmocka_unit_test(program_from_file_and_stdin),
        cmocka_unit_test(flat_chain_of_100000_terms_works),
        cmocka_unit_test(nesting_is_limited_with_a_clear_error),
        cmocka_unit_test(trace_shows_the_chain_rule_steps),
        cmocka_unit_test(usual_slips_are_explained),
        cmocka_unit_test(pictures_go_to_files_or_standard_output),
        cmocka_unit_test(help_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
