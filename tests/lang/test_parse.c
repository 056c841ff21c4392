/* test_parse.c: the expression language through its C API (lang/parse.c): precedence and
 * associativity, unary minus against '^', constants, assignment, comments and newlines, the
 * function allowlist, errors with their codes and positions, nesting limits and long chains.
 * Expected values and gradients are hand-derived formulas evaluated by C's math library. */
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

#define X 3.0
#define Y 2.0
#define Z 0.5

static double sig(double a)
{
    return 1.0 / (1.0 + exp(-a));
}

/* A program over x = X, y = Y, z = Z and what it must give. Columns: source, value, dx, dy, dz. */
typedef struct value_case {
    const char *src;
    double value, dx, dy, dz;
} value_case;

/* Records src on a fresh tape with inputs x, y, z; runs backward; returns the status. */
typedef struct run {
    tg_tape *t;
    tg_parser *p;
    tg_var in[3], out;
    tg_status s;
} run;

static run run_program(const char *src, size_t len)
{
    run r;
    r.t = tg_tape_new();
    r.p = tg_parser_new(r.t);
    assert_non_null(r.p);
    const char *names[3] = {"x", "y", "z"};
    const double values[3] = {X, Y, Z};
    for (int k = 0; k < 3; k++) {
        r.in[k] = tg_input(r.t, values[k]);
        assert_int_equal(tg_parser_define(r.p, names[k], r.in[k]), TG_OK);
    }
    r.s = tg_parser_run(r.p, src, len, &r.out);
    if (r.s == TG_OK)
        assert_int_equal(tg_backward(r.t, r.out), TG_OK);
    return r;
}

static void run_free(run *r)
{
    tg_parser_free(r->p);
    tg_tape_free(r->t);
}

static void expect_close(const char *src, const char *what, double got, double want)
{
    const double tol = 1e-12 * fmax(1.0, fabs(want));
    if (!(fabs(got - want) <= tol)) {
        print_error("%s: %s = %.17g, expected %.17g\n", src, what, got, want);
        fail();
    }
}

static void program_values_and_gradients_match_hand_derivation(void **state)
{
    (void)state;
    const double xyz = pow(Y, Z); /* y^z, the exponent of x^y^z */
    const value_case cases[] = {
        /* precedence and associativity */
        {"x+y*z", X + Y * Z, 1, Z, Y},
        {"x*y+z", X * Y + Z, Y, X, 1},
        {"x-y-z", X - Y - Z, 1, -1, -1},
        {"x-(y-z)", X - (Y - Z), 1, -1, 1},
        {"x/y/z", X / Y / Z, 1 / (Y * Z), -X / (Y * Y * Z), -X / (Y * Z * Z)},
        {"x/y*z", X / Y * Z, Z / Y, -X * Z / (Y * Y), X / Y},
        {"x^y^z", pow(X, xyz), xyz * pow(X, xyz - 1), pow(X, xyz) * log(X) * Z * pow(Y, Z - 1),
         pow(X, xyz) * log(X) * xyz * log(Y)},
        {"(x^y)^z", pow(pow(X, Y), Z), Y * Z * pow(X, Y * Z - 1), pow(X, Y * Z) * Z * log(X),
         pow(X, Y * Z) * Y * log(X)},
        {"x**y", pow(X, Y), Y * pow(X, Y - 1), pow(X, Y) * log(X), 0},
        {"x ** 2 ** 2", pow(X, 4), 4 * pow(X, 3), 0, 0},
        {"(x+y)*z", (X + Y) * Z, Z, Z, X + Y},
        /* unary minus and '^' */
        {"-x^2", -(X * X), -2 * X, 0, 0},
        {"-x**2", -(X * X), -2 * X, 0, 0},
        {"(-x)^2", X * X, 2 * X, 0, 0},
        {"x^-1", 1 / X, -1 / (X * X), 0, 0},
        {"x^-y", pow(X, -Y), -Y * pow(X, -Y - 1), -pow(X, -Y) * log(X), 0},
        {"2^-1", 0.5, 0, 0, 0},
        {"-2^2", -4, 0, 0, 0},
        {"-x*y", -X * Y, -Y, -X, 0},
        {"x - -y", X + Y, 1, 1, 0},
        {"--x", X, 1, 0, 0},
        {"+x", X, 1, 0, 0},
        {"-+-x", X, 1, 0, 0},
        {"y*-x", -X * Y, -Y, -X, 0},
        {"2^-x^2", pow(2, -X * X), pow(2, -X * X) * log(2) * -2 * X, 0, 0},
        /* constants: numbers in every spelling, no gradient */
        {"1e-3 + .5 + 5. + 6.02E23 + 1e+3 + 2.5", 1e-3 + .5 + 5. + 6.02E23 + 1e+3 + 2.5, 0, 0, 0},
        {"3*x", 3 * X, 3, 0, 0},
        {"x^2", X * X, 2 * X, 0, 0},
        /* statements, assignment, reassignment, comments, newlines */
        {"a = x*2; a^2", 4 * X * X, 8 * X, 0, 0},
        {"a = x*2\na^2\n", 4 * X * X, 8 * X, 0, 0},
        {"c = x; c = c + 1; c*c", (X + 1) * (X + 1), 2 * (X + 1), 0, 0},
        {"c = x\nc = c * y\nc = c * y", X * Y * Y, Y * Y, 2 * X * Y, 0},
        {"price = x*y", X * Y, Y, X, 0},
        {"# comment\n\n x ;; \n", X, 1, 0, 0},
        {"x*2 # trailing comment", 2 * X, 2, 0, 0},
        {"x + y\r\n", X + Y, 1, 1, 0},
        {"(x\n+\ny)", X + Y, 1, 1, 0},
        {"pow(x,\n y)", pow(X, Y), Y * pow(X, Y - 1), pow(X, Y) * log(X), 0},
        {"\tx\t*\ty", X * Y, Y, X, 0},
        {"y; x", X, 1, 0, 0},
        {"x", X, 1, 0, 0},
        {"7", 7, 0, 0, 0},
        /* functions */
        {"exp(x)*log(y)+sqrt(z)", exp(X) * log(Y) + sqrt(Z), exp(X) * log(Y), exp(X) / Y,
         0.5 / sqrt(Z)},
        {"sin(x)*cos(y)/tan(z)", sin(X) * cos(Y) / tan(Z), cos(X) * cos(Y) / tan(Z),
         -sin(X) * sin(Y) / tan(Z), -sin(X) * cos(Y) / (sin(Z) * sin(Z))},
        {"tanh(z) + sigmoid(z)", tanh(Z) + sig(Z), 0, 0,
         1 - tanh(Z) * tanh(Z) + sig(Z) * (1 - sig(Z))},
        {"relu(x) + relu(-y) + abs(-z)", X + Z, 1, 0, 1},
        {"relu(x-3) + abs(x-3)", 0, 0, 0, 0}, /* relu'(0) = abs'(0) = 0 */
        {"pow(x, y)", pow(X, Y), Y * pow(X, Y - 1), pow(X, Y) * log(X), 0},
        {"pow(x, 2)", X * X, 2 * X, 0, 0},
        {"exp(exp(z))", exp(exp(Z)), 0, 0, exp(exp(Z)) * exp(Z)},
        /* op-table words that are not functions are ordinary names */
        {"sum = x*2; add = y; mul = sum*add; neg = mul; neg", 2 * X * Y, 2 * Y, 2 * X, 0},
        {"powc = 1; dot = 2; x*powc*dot", 2 * X, 2, 0, 0},
        /* names are case-sensitive and may contain digits and underscores */
        {"X = x*2; _a1 = X + x; _a1", 3 * X, 3, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const value_case *c = &cases[i];
        run r = run_program(c->src, strlen(c->src));
        if (r.s != TG_OK) {
            print_error("%s: %s\n", c->src, tg_parser_error(r.p)->message);
            fail();
        }
        expect_close(c->src, "value", tg_value(r.t, r.out), c->value);
        expect_close(c->src, "d/dx", tg_grad(r.t, r.in[0]), c->dx);
        expect_close(c->src, "d/dy", tg_grad(r.t, r.in[1]), c->dy);
        expect_close(c->src, "d/dz", tg_grad(r.t, r.in[2]), c->dz);
        run_free(&r);
    }
}

/* An error and where it must be reported. Columns: source, code, line, column, a piece of the
 * message. */
typedef struct error_case {
    const char *src;
    tg_status code;
    uint32_t line, column;
    const char *message_part;
} error_case;

static void errors_have_code_position_and_message(void **state)
{
    (void)state;
    const error_case cases[] = {
        {"x +", TG_ERR_SYNTAX, 1, 4, "expected an expression"},
        {"x + y)", TG_ERR_SYNTAX, 1, 6, "unmatched ')'"},
        {"(x + y", TG_ERR_SYNTAX, 1, 7, "expected ')'"},
        {"x y", TG_ERR_SYNTAX, 1, 3, "unexpected 'y'"},
        {"w", TG_ERR_NAME, 1, 1, "unknown name 'w'"},
        {"(x +\n  w)", TG_ERR_NAME, 2, 3, "unknown name 'w'"},
        {"a = a + 1", TG_ERR_NAME, 1, 5, "unknown name 'a'"},
        {"b + 1; b = 2", TG_ERR_NAME, 1, 1, "unknown name 'b'"},
        {"foo(x)", TG_ERR_NAME, 1, 1, "unknown function 'foo'"},
        {"sum(x, y)", TG_ERR_NAME, 1, 1, "unknown function 'sum'"},
        {"neg(x)", TG_ERR_NAME, 1, 1, "unknown function 'neg'"},
        {"exp", TG_ERR_SYNTAX, 1, 1, "is a function"},
        {"x + log * 2", TG_ERR_SYNTAX, 1, 5, "is a function"},
        {"exp(x, y)", TG_ERR_SYNTAX, 1, 6, "takes 1 argument"},
        {"pow(x)", TG_ERR_SYNTAX, 1, 6, "takes 2 arguments"},
        {"pow(x, y, z)", TG_ERR_SYNTAX, 1, 9, "takes 2 arguments"},
        {"exp()", TG_ERR_SYNTAX, 1, 5, "expected an expression"},
        {"x = 1", TG_ERR_NAME, 1, 1, "it is an input"},
        {"y = y + 1", TG_ERR_NAME, 1, 1, "it is an input"},
        {"exp = 1", TG_ERR_NAME, 1, 1, "it is a function"},
        {"", TG_ERR_SYNTAX, 1, 1, "empty program"},
        {"  # only a comment\n;;\n", TG_ERR_SYNTAX, 3, 1, "empty program"},
        {"2x", TG_ERR_SYNTAX, 1, 1, "malformed number '2x'"},
        {"1.2.3", TG_ERR_SYNTAX, 1, 1, "malformed number"},
        {"1e", TG_ERR_SYNTAX, 1, 1, "malformed number"},
        {"x $ y", TG_ERR_SYNTAX, 1, 3, "unexpected character '$'"},
        {"x\n\ty @", TG_ERR_SYNTAX, 2, 4, "unexpected character '@'"},
        {"2 = x", TG_ERR_SYNTAX, 1, 3, "only a name can be assigned"},
        {"x +\n1", TG_ERR_SYNTAX, 1, 4, "end of line"},
        {"x ** * y", TG_ERR_SYNTAX, 1, 6, "expected an expression"},
        {"a = ", TG_ERR_SYNTAX, 1, 5, "expected an expression"},
        {"x; y; (z", TG_ERR_SYNTAX, 1, 9, "to close the '(' at 1:7"},
        {"x == y", TG_ERR_SYNTAX, 1, 3, "'==' is not an operator"},
        {"x + 1 == y", TG_ERR_SYNTAX, 1, 7, "only a name can be assigned"},
        {"x.", TG_ERR_SYNTAX, 1, 2, "unexpected character '.'"},
        {"inf", TG_ERR_NAME, 1, 1, "unknown name 'inf'"},
        {"0x10", TG_ERR_SYNTAX, 1, 1, "malformed number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const error_case *c = &cases[i];
        run r = run_program(c->src, strlen(c->src));
        const tg_parse_error *e = tg_parser_error(r.p);
        if (r.s != c->code || e->code != c->code || e->line != c->line || e->column != c->column ||
            !strstr(e->message, c->message_part) || tg_var_ok(r.out)) {
            print_error("%s: got code %d at %u:%u \"%s\"; expected code %d at %u:%u \"%s\"\n",
                        c->src, (int)r.s, (unsigned)e->line, (unsigned)e->column, e->message,
                        (int)c->code, (unsigned)c->line, (unsigned)c->column, c->message_part);
            fail();
        }
        run_free(&r);
    }
}

static void nul_byte_is_a_syntax_error_at_its_column(void **state)
{
    (void)state;
    run r = run_program("x\0y", 3);
    assert_int_equal(r.s, TG_ERR_SYNTAX);
    assert_int_equal(tg_parser_error(r.p)->column, 2);
    assert_non_null(strstr(tg_parser_error(r.p)->message, "\\x00"));
    run_free(&r);
}

static void literal_exponent_records_powc_and_variable_exponent_pow(void **state)
{
    (void)state;
    const struct {
        const char *src;
        tg_op op;
    } cases[] = {
        {"x^2", TG_OP_POWC},      {"x**2", TG_OP_POWC},      {"x^-1", TG_OP_POWC},
        {"x^(-1)", TG_OP_POWC},   {"pow(x, 3)", TG_OP_POWC}, {"x^y", TG_OP_POW},
        {"pow(x, y)", TG_OP_POW}, {"-x", TG_OP_NEG},         {"-2", TG_OP_CONST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run r = run_program(cases[i].src, strlen(cases[i].src));
        assert_int_equal(r.s, TG_OK);
        if (tg_op_of(r.t, r.out) != cases[i].op) {
            print_error("%s: op %s\n", cases[i].src, tg_op_name(tg_op_of(r.t, r.out)));
            fail();
        }
        run_free(&r);
    }
}

static void nodes_carry_names_and_origins(void **state)
{
    (void)state;
    const char *src = "a = log(x) + 1\nb = x\nc = (a *\n  y)\nc";
    run r = run_program(src, strlen(src));
    assert_int_equal(r.s, TG_OK);
    assert_string_equal(tg_name(r.t, r.out), "c");
    assert_string_equal(tg_name(r.t, r.in[0]), "x"); /* b = x does not rename the input */
    tg_origin o;
    assert_true(tg_get_origin(r.t, r.out, &o));
    assert_int_equal(o.line, 3);
    assert_int_equal(o.column, 6); /* the operation a*y, without its parentheses */
    assert_string_equal(o.text, "a * y");
    const tg_var a = tg_parser_lookup(r.p, "a");
    assert_true(tg_get_origin(r.t, a, &o));
    assert_string_equal(o.text, "log(x) + 1");
    const tg_var lg = tg_input_of(r.t, a, 0);
    assert_true(tg_get_origin(r.t, lg, &o));
    assert_int_equal(o.line, 1);
    assert_int_equal(o.column, 5);
    assert_string_equal(o.text, "log(x)");
    assert_int_equal(tg_parser_lookup(r.p, "b").id, r.in[0].id);
    assert_false(tg_var_ok(tg_parser_lookup(r.p, "nope")));
    run_free(&r);
}

static void define_rejects_bad_duplicate_and_function_names(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    const tg_var v = tg_input(t, 1);
    assert_int_equal(tg_parser_define(p, "v", v), TG_OK);
    assert_int_equal(tg_parser_define(p, "v", v), TG_ERR_NAME);
    assert_non_null(strstr(tg_parser_error(p)->message, "twice"));
    assert_int_equal(tg_parser_define(p, "1v", v), TG_ERR_NAME);
    assert_int_equal(tg_parser_define(p, "", v), TG_ERR_NAME);
    assert_int_equal(tg_parser_define(p, "a-b", v), TG_ERR_NAME);
    assert_int_equal(tg_parser_define(p, NULL, v), TG_ERR_NAME);
    assert_int_equal(tg_parser_define(p, "sigmoid", v), TG_ERR_NAME);
    assert_int_equal(tg_parser_define(p, "w", tg_var_invalid()), TG_ERR_BADVAR);
    assert_int_equal(tg_parser_define(p, "V", v), TG_OK); /* case-sensitive */
    tg_parser_free(p);
    tg_tape_free(t);
    assert_null(tg_parser_new(NULL));
    tg_parser_free(NULL);
}

static void names_and_functions_are_classified(void **state)
{
    (void)state;
    const char *names[] = {"x", "_", "a1", "A_b_9", "price", "sum", "neg", "powc", "Exp"};
    const char *not_names[] = {"", "1a", "a-b", "a b", "é", "a.b"};
    const char *functions[] = {"exp",  "log",     "sqrt", "sin", "cos", "tan",
                               "tanh", "sigmoid", "relu", "abs", "pow"};
    const char *not_functions[] = {"add", "sub", "mul",   "div",   "neg", "powc",
                                   "sum", "dot", "input", "const", "EXP", "ex"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_true(tg_parse_is_name(names[i]));
    for (size_t i = 0; i < sizeof not_names / sizeof *not_names; i++)
        assert_false(tg_parse_is_name(not_names[i]));
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        assert_true(tg_parse_is_function(functions[i]));
    for (size_t i = 0; i < sizeof not_functions / sizeof *not_functions; i++)
        assert_false(tg_parse_is_function(not_functions[i]));
}

/* Builds `n` copies of `open`, then `middle`, then n copies of `close`. */
static char *nest(size_t n, const char *open, const char *middle, const char *close)
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

static void nesting_to_1000_levels_works_and_beyond_the_limit_is_an_error(void **state)
{
    (void)state;
    const struct {
        size_t n;
        const char *open, *middle, *close;
        tg_status want;
        double dx; /* gradient when it parses */
    } cases[] = {
        {1000, "(", "x", ")", TG_OK, 1},
        {1000, "-(", "x", ")", TG_OK, 1}, /* an even number of minus signs */
        {1000, "sin(", "x-x", ")", TG_OK, 0},
        {1000, "1^", "x", "", TG_OK, 0}, /* 1^(1^(...^x)) = 1 */
        {4000, "-", "x", "", TG_OK, 1},
        {1000, "-(+(", "x", "))", TG_OK, 1}, /* 4 levels each: 4000 in all */
        {TG_PARSE_MAX_DEPTH + 1, "(", "x", ")", TG_ERR_LIMIT, 0},
        {100000, "(", "x", ")", TG_ERR_LIMIT, 0},
        {100000, "-", "x", "", TG_ERR_LIMIT, 0},
        {100000, "x^", "1", "", TG_ERR_LIMIT, 0},
        {100000, "sqrt(", "x", ")", TG_ERR_LIMIT, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *src = nest(cases[i].n, cases[i].open, cases[i].middle, cases[i].close);
        run r = run_program(src, strlen(src));
        if (r.s != cases[i].want) {
            print_error("case %zu: status %d (%s)\n", i, (int)r.s, tg_parser_error(r.p)->message);
            fail();
        }
        if (r.s == TG_OK) {
            expect_close(cases[i].open, "d/dx", tg_grad(r.t, r.in[0]), cases[i].dx);
        } else {
            assert_non_null(strstr(tg_parser_error(r.p)->message, "deeper than"));
            assert_int_equal(tg_parser_error(r.p)->line, 1);
        }
        free(src);
        run_free(&r);
    }
}

static void flat_chain_of_100000_terms_is_not_nesting(void **state)
{
    (void)state;
    const size_t n = 100000;
    char *src = malloc(2 * n);
    assert_non_null(src);
    for (size_t i = 0; i < n; i++) {
        src[2 * i] = 'x';
        src[2 * i + 1] = '+';
    }
    src[2 * n - 1] = 0;
    run r = run_program(src, strlen(src));
    assert_int_equal(r.s, TG_OK);
    expect_close("x+x+...", "value", tg_value(r.t, r.out), n * X);
    expect_close("x+x+...", "d/dx", tg_grad(r.t, r.in[0]), (double)n);
    tg_origin o;
    assert_true(tg_get_origin(r.t, r.out, &o));
    assert_true(strlen(o.text) <= 64); /* origins are cut, not the whole chain */
    run_free(&r);
    /* the same with '*' and alternating signs */
    for (size_t i = 0; i < n; i++)
        src[2 * i + 1] = i % 2 ? '-' : '*';
    src[2 * n - 1] = 0;
    r = run_program(src, strlen(src));
    assert_int_equal(r.s, TG_OK);
    run_free(&r);
    free(src);
}

static void assignments_persist_across_runs(void **state)
{
    (void)state;
    run r = run_program("a = x*y", 7);
    assert_int_equal(r.s, TG_OK);
    tg_var out;
    assert_int_equal(tg_parser_run(r.p, "a + z", 5, &out), TG_OK);
    expect_close("a + z", "value", tg_value(r.t, out), X * Y + Z);
    assert_int_equal(tg_parser_run(NULL, "x", 1, &out), TG_ERR_ARG);
    assert_int_equal(tg_parser_run(r.p, NULL, 3, &out), TG_ERR_ARG);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(program_values_and_gradients_match_hand_derivation),
        cmocka_unit_test(errors_have_code_position_and_message),
        cmocka_unit_test(nul_byte_is_a_syntax_error_at_its_column),
        cmocka_unit_test(literal_exponent_records_powc_and_variable_exponent_pow),
        cmocka_unit_test(nodes_carry_names_and_origins),
        cmocka_unit_test(define_rejects_bad_duplicate_and_function_names),
        cmocka_unit_test(names_and_functions_are_classified),
        cmocka_unit_test(nesting_to_1000_levels_works_and_beyond_the_limit_is_an_error),
        cmocka_unit_test(flat_chain_of_100000_terms_is_not_nesting),
        cmocka_unit_test(assignments_persist_across_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
