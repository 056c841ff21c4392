/* test_parse.c: the expression language through its C API (lang/parse.c): precedence and
 * associativity, unary minus against '^', constants, assignment, comments and newlines, the
 * function allowlist, errors with their codes and positions, nesting limits and long chains.
 * Expected values and gradients are hand-derived formulas evaluated by C's math library. */
#define _POSIX_C_SOURCE 200809L /* tests/tg_test_run.h */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tg_test_run.h"

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
        /* v2: comparisons are 1 or 0, pass no gradient, and bind loosest */
        {"(x < y) + 2*(x > y) + 4*(x == x) + 8*(x != y) + 16*(x <= y) + 32*(x >= y)", 46, 0, 0, 0},
        {"x + 1 < y*2", 0, 0, 0, 0},
        {"(x > y)*x*z", X * Z, Z, 0, X},
        /* v2: where(c, a, b) takes a where c != 0; the gradient flows into that branch only */
        {"where(x > y, x*y, z)", X * Y, Y, X, 0},
        {"where(z - 0.5, x, y)", Y, 0, 1, 0},
        {"where(x < 0, log(-x), sqrt(x))", sqrt(X), 0.5 / sqrt(X), 0, 0},
        /* v2: the new functions, by hand */
        {"min(x, y) + max(y, z)", Y + Y, 0, 2, 0},
        {"max(x, x)", X, 1, 0, 0},
        {"atan2(y, x)", atan2(Y, X), -Y / (X * X + Y * Y), X / (X * X + Y * Y), 0},
        {"hypot(x, y)", sqrt(X * X + Y * Y), X / sqrt(X * X + Y * Y), Y / sqrt(X * X + Y * Y), 0},
        {"softplus(z) + log1p(z) + expm1(z)", log(1 + exp(Z)) + log1p(Z) + expm1(Z), 0, 0,
         sig(Z) + 1 / (1 + Z) + exp(Z)},
        {"asin(z) + acos(z) + atan(z)", asin(Z) + acos(Z) + atan(Z), 0, 0, 1 / (1 + Z * Z)},
        {"x^pi", pow(X, 3.141592653589793), 3.141592653589793 * pow(X, 3.141592653589793 - 1), 0,
         0},
        /* v2: pi is a constant (no gradient) */
        {"pi", 3.141592653589793, 0, 0, 0},
        {"-pi*x", -3.141592653589793 * X, -3.141592653589793, 0, 0},
        {"sin(pi/2)*x", X, 1, 0, 0},
        /* v2: definitions, inlined at each call; parameters shadow nothing outside */
        {"f(a) = a*a; f(x)", X * X, 2 * X, 0, 0},
        {"f(a, b) = a*b + a; f(x, y) + f(y, z)", X * Y + X + Y * Z + Y, Y + 1, X + Z + 1, Y},
        {"sq(x) = x*x; sq(y)", Y * Y, 0, 2 * Y, 0}, /* a parameter may be named like an input */
        {"t = 5; f(t) = t + 1; f(x)*t", (X + 1) * 5, 5, 0, 0},
        {"f(a) = a + 1\ng(a) = f(a)*f(a)\ng(x)", (X + 1) * (X + 1), 2 * (X + 1), 0, 0},
        {"f(a) = a; f(f(f(x)))", X, 1, 0, 0},
        {"h(a) = pi*a; h(z)", 3.141592653589793 * Z, 0, 0, 3.141592653589793},
        {"f(a) = 2; f(x)", 2, 0, 0, 0},
        {"f(a,\n  b) = (a -\n  b); f(x, y)", X - Y, 1, -1, 0},
        {"out = x; f(a) = a*3", X, 1, 0, 0}, /* a definition is not the output */
        {"sm(a, b, c) = exp(a)/(exp(a) + exp(b) + exp(c)); -log(sm(x, y, z))",
         -log(exp(X) / (exp(X) + exp(Y) + exp(Z))), -1 + exp(X) / (exp(X) + exp(Y) + exp(Z)),
         exp(Y) / (exp(X) + exp(Y) + exp(Z)), exp(Z) / (exp(X) + exp(Y) + exp(Z))},
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
        {"(x + y", TG_ERR_SYNTAX, 1, 1, "'(' is never closed"},
        {"(x y)", TG_ERR_SYNTAX, 1, 4, "to close the '(' at 1:1, found 'y'"},
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
        {"exp = 1", TG_ERR_NAME, 1, 1, "it is a built-in function"},
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
        {"x; y; (z", TG_ERR_SYNTAX, 1, 7, "'(' is never closed"},
        {"x\n(y +\n z\n\n", TG_ERR_SYNTAX, 2, 1, "'(' is never closed"},
        {"x + 1 = y", TG_ERR_SYNTAX, 1, 7, "only a name can be assigned"},
        {"x.", TG_ERR_SYNTAX, 1, 2, "unexpected character '.'"},
        {"inf", TG_ERR_NAME, 1, 1, "unknown name 'inf'"},
        {"0x10", TG_ERR_SYNTAX, 1, 1, "malformed number"},
        /* v2: reserved names, non-ASCII characters, suggestions */
        {"pi = 3", TG_ERR_NAME, 1, 1, "cannot assign to 'pi': it is the constant pi"},
        {"where = 1", TG_ERR_NAME, 1, 1, "it is a built-in function"},
        {"pi(x)", TG_ERR_SYNTAX, 1, 1, "'pi' is a constant, not a function"},
        {"x * \xc3\xa9", TG_ERR_SYNTAX, 1, 5, "'\xc3\xa9': names are ASCII"},
        {"caf\xc3\xa9 = 1", TG_ERR_SYNTAX, 1, 4, "'\xc3\xa9': names are ASCII"},
        {"x # caf\xc3\xa9 is fine here\n\xe2\x88\x9a", TG_ERR_SYNTAX, 2, 1,
         "'\xe2\x88\x9a': names"},
        {"x \xff", TG_ERR_SYNTAX, 1, 3, "\\xff (not ASCII, nor UTF-8)"},
        {"sigmod(x)", TG_ERR_NAME, 1, 1, "unknown function 'sigmod' (did you mean 'sigmoid'?)"},
        {"sqr(x)", TG_ERR_NAME, 1, 1, "(did you mean 'sqrt'?)"},
        {"tahn(x)", TG_ERR_NAME, 1, 1, "(did you mean 'tanh'?)"},
        {"xx + 1", TG_ERR_NAME, 1, 1, "unknown name 'xx'"},
        {"price = 1; prcie", TG_ERR_NAME, 1, 12, "(did you mean 'price'?)"},
        {"square(a) = a*a; sqare(x)", TG_ERR_NAME, 1, 18, "(did you mean 'square'?)"},
        {"x ! y", TG_ERR_SYNTAX, 1, 3, "no 'not'"},
        /* v2: definitions */
        {"f(a) = a*y", TG_ERR_NAME, 1, 10, "the body of 'f' cannot read 'y'"},
        {"t = 2; f(a) = a*t", TG_ERR_NAME, 1, 17, "the body of 'f' cannot read 't'"},
        {"f(a) = f(a)", TG_ERR_NAME, 1, 8, "'f' cannot call itself"},
        {"f(a) = g(a); g(b) = f(b); f(x)", TG_ERR_NAME, 1, 8,
         "'g' is called before its definition (at 1:14): a body may call only"},
        {"f(x); f(a) = a", TG_ERR_NAME, 1, 1, "'f' is called before its definition (at 1:7)"},
        {"f(x); f(a) == a", TG_ERR_NAME, 1, 1, "unknown function 'f'"},
        {"f(a) = a; f(a) = 2*a", TG_ERR_NAME, 1, 11,
         "cannot define 'f': it is a function (defined at 1:1)"},
        {"f(a) = a; f(x, y)", TG_ERR_SYNTAX, 1, 14, "f() takes 1 argument (defined at 1:1)"},
        {"f(a, b) = a; f(x)", TG_ERR_SYNTAX, 1, 17, "f() takes 2 arguments"},
        {"x(a) = a", TG_ERR_NAME, 1, 1, "cannot define 'x': it is an input"},
        {"t = 1; t(a) = a", TG_ERR_NAME, 1, 8, "cannot define 't': it is an assigned name"},
        {"sin(a) = a", TG_ERR_NAME, 1, 1, "cannot define 'sin': it is a built-in function"},
        {"pi(a) = a", TG_ERR_NAME, 1, 1, "cannot define 'pi': it is the constant pi"},
        {"f(a, a) = a", TG_ERR_NAME, 1, 6, "parameter 'a' is given twice"},
        {"f(pi) = 1", TG_ERR_NAME, 1, 3, "'pi' cannot be a parameter"},
        {"f(exp) = 1", TG_ERR_NAME, 1, 3, "'exp' cannot be a parameter"},
        {"g(a) = a; f(g) = g", TG_ERR_NAME, 1, 13, "'g' cannot be a parameter: it is a function"},
        {"f() = 1", TG_ERR_SYNTAX, 1, 3, "has no parameters"},
        {"f(a) = a; f = 2", TG_ERR_NAME, 1, 11, "cannot assign to 'f': it is a function"},
        {"f(a) = a; f + 1", TG_ERR_SYNTAX, 1, 11, "'f' is a function: write f(...)"},
        {"f(a) = a", TG_ERR_SYNTAX, 1, 9, "empty program"},
        {"f(a) = ", TG_ERR_SYNTAX, 1, 8, "expected an expression"},
        {"f(a) = a +\nf(x)", TG_ERR_SYNTAX, 1, 11, "end of line"},
        {"f(2) = 1", TG_ERR_NAME, 1, 1, "unknown function 'f'"},
        {"f(a) = a; f(2) = 1", TG_ERR_SYNTAX, 1, 16, "only a name can be assigned"},
        {"x(1)", TG_ERR_NAME, 1, 1, "'x' is an input, not a function"},
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
        {"x^2", TG_OP_POWC},
        {"x**2", TG_OP_POWC},
        {"x^-1", TG_OP_POWC},
        {"x^(-1)", TG_OP_POWC},
        {"pow(x, 3)", TG_OP_POWC},
        {"x^y", TG_OP_POW},
        {"pow(x, y)", TG_OP_POW},
        {"-x", TG_OP_NEG},
        {"-2", TG_OP_CONST},
        {"x^pi", TG_OP_POWC},
        {"x < y", TG_OP_LT},
        {"x != y", TG_OP_NE},
        {"where(x, y, z)", TG_OP_WHERE},
        {"min(x, y)", TG_OP_MIN},
        {"-pi", TG_OP_CONST},
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
    const tg_var lg = tg_arg(r.t, a, 0);
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
    /* exactly the contract's list (version 2), written out here, not read from the op table */
    const char *functions[] = {"exp",     "log",   "sqrt",  "sin",      "cos",   "tan",   "tanh",
                               "sigmoid", "relu",  "abs",   "asin",     "acos",  "atan",  "sinh",
                               "cosh",    "asinh", "acosh", "atanh",    "log1p", "expm1", "log2",
                               "log10",   "erf",   "erfc",  "softplus", "pow",   "atan2", "hypot",
                               "min",     "max",   "where"};
    const char *not_functions[] = {"add",   "sub",   "mul", "div", "neg",  "powc", "sum",  "dot",
                                   "input", "const", "EXP", "ex",  "step", "sign", "gate", "lt",
                                   "le",    "gt",    "ge",  "eq",  "ne",   "pi"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_true(tg_parse_is_name(names[i]));
    for (size_t i = 0; i < sizeof not_names / sizeof *not_names; i++)
        assert_false(tg_parse_is_name(not_names[i]));
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        assert_true(tg_parse_is_function(functions[i]));
    for (size_t i = 0; i < sizeof not_functions / sizeof *not_functions; i++)
        assert_false(tg_parse_is_function(not_functions[i]));
    /* reserved: the functions and pi, nothing else */
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        assert_true(tg_parse_is_reserved(functions[i]));
    assert_true(tg_parse_is_reserved("pi"));
    assert_false(tg_parse_is_reserved("Pi"));
    assert_false(tg_parse_is_reserved("add"));
    assert_false(tg_parse_is_reserved(NULL));
    /* and the op table names no other language function */
    size_t n_named = 0;
    for (int op = 0; op < TG_N_OPS; op++)
        n_named += tg_op_info_of((tg_op)op)->name != NULL;
    assert_int_equal(n_named, sizeof functions / sizeof *functions);
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

/* f0(a) = a + 1, f_i(a) = f_{i-1}(a) + 1, ..., and a call of the last: n levels of calls. */
static char *definition_chain(size_t n, const char *last_call)
{
    char *src = malloc(n * 48 + 64), *q = src;
    if (!src)
        abort();
    q += sprintf(q, "f0(a) = a + 1\n");
    for (size_t i = 1; i < n; i++)
        q += sprintf(q, "f%zu(a) = f%zu(a) + 1\n", i, i - 1);
    sprintf(q, last_call, n - 1);
    return src;
}

static void nesting_through_defined_functions_is_bounded(void **state)
{
    (void)state;
    /* 1,000 levels of calls work: each adds 1 */
    char *src = definition_chain(1000, "f%zu(x)");
    run r = run_program(src, strlen(src));
    assert_int_equal(r.s, TG_OK);
    expect_close("f999(x)", "value", tg_value(r.t, r.out), X + 1000);
    expect_close("f999(x)", "d/dx", tg_grad(r.t, r.in[0]), 1);
    run_free(&r);
    free(src);
    /* far deeper: a clear error, not a stack overflow */
    src = definition_chain(20000, "f%zu(x)");
    r = run_program(src, strlen(src));
    assert_int_equal(r.s, TG_ERR_LIMIT);
    assert_non_null(strstr(tg_parser_error(r.p)->message, "deeper than"));
    run_free(&r);
    free(src);
    /* calls nested in arguments count too */
    src = nest(100000, "f(", "x", ")");
    const size_t n = strlen(src) + 32;
    char *prog = malloc(n);
    if (!prog) {
        fail();
        return;
    }
    snprintf(prog, n, "f(a) = a\n%s", src);
    r = run_program(prog, strlen(prog));
    assert_int_equal(r.s, TG_ERR_LIMIT);
    run_free(&r);
    free(prog);
    free(src);
}

static void doubling_definitions_stop_at_the_tape_capacity(void **state)
{
    (void)state;
    /* f_i calls f_{i-1} twice: 2^40 nodes if it were let run */
    char src[4096], *q = src;
    q += sprintf(q, "f0(a) = a + a\n");
    for (int i = 1; i < 40; i++)
        q += sprintf(q, "f%d(a) = f%d(f%d(a))\n", i, i - 1, i - 1);
    sprintf(q, "f39(x)");
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    const tg_var x = tg_input(t, 1.0);
    assert_int_equal(tg_parser_define(p, "x", x), TG_OK);
    assert_int_equal(tg_tape_set_capacity(t, 100000), TG_OK);
    tg_var out;
    assert_int_equal(tg_parser_run(p, src, strlen(src), &out), TG_ERR_LIMIT);
    assert_non_null(strstr(tg_parser_error(p)->message, "more nodes than the tape may hold"));
    assert_true(tg_tape_size(t) < 100); /* refused before recording the call's nodes */
    /* definitions cost nothing until called: f_i(a) = 2^(2^i) a, so f3 is 255 additions */
    tg_parser_free(p);
    tg_tape_clear(t);
    p = tg_parser_new(t);
    const tg_var y = tg_input(t, 1.5);
    assert_int_equal(tg_parser_define(p, "x", y), TG_OK);
    sprintf(q, "f3(x)");
    assert_int_equal(tg_parser_run(p, src, strlen(src), &out), TG_OK);
    assert_int_equal(tg_backward(t, out), TG_OK);
    expect_close("f3(x)", "value", tg_value(t, out), 256 * 1.5);
    expect_close("f3(x)", "d/dx", tg_grad(t, y), 256);
    tg_parser_free(p);
    tg_tape_free(t);
}

static void a_copy_reads_final_bindings_and_functions_and_keeps_its_own(void **state)
{
    (void)state;
    const char *src = "yhat = sigmoid(x*y); sq(a) = a*a; yhat = yhat*1; L = sq(z - yhat)";
    run r = run_program(src, strlen(src));
    assert_int_equal(r.s, TG_OK);
    assert_true(tg_parser_is_defined(r.p, "sq"));
    assert_false(tg_parser_is_defined(r.p, "yhat"));
    assert_false(tg_var_ok(tg_parser_lookup(r.p, "sq")));
    tg_parser *c = tg_parser_copy(r.p);
    assert_non_null(c);
    tg_parser_free(r.p); /* the copy owns what it copied */
    r.p = NULL;
    tg_var f;
    const char *formula = "-2*(z - yhat)*yhat*(1 - yhat)*y + 0*sq(L)";
    assert_int_equal(tg_parser_run(c, formula, strlen(formula), &f), TG_OK);
    const double s = sig(X * Y);
    expect_close(formula, "value", tg_value(r.t, f), -2 * (Z - s) * s * (1 - s) * Y);
    /* the copy's own assignments stay in it; inputs stay read-only */
    assert_int_equal(tg_parser_run(c, "q = 1; q", 8, &f), TG_OK);
    assert_int_equal(tg_parser_run(c, "x = 1", 5, &f), TG_ERR_NAME);
    tg_parser_free(c);
    assert_null(tg_parser_copy(NULL));
    run_free(&r);
}

/* ---- The stack bound of TG_PARSE_MAX_DEPTH (lang/tg_lang.h): 2.5 MB, ASan included ---------- */

#define SMALL_STACK (2560u * 1024u)

typedef struct deep_case {
    char *src;
    tg_status got;
} deep_case;

/* Runs every case's program on a fresh tape: the body of a thread with a small stack. */
static void *run_deep_cases(void *arg)
{
    for (deep_case *c = arg; c->src; c++) {
        run r = run_program(c->src, strlen(c->src));
        c->got = r.s;
        run_free(&r);
    }
    return NULL;
}

static void deepest_programs_fit_in_a_small_stack(void **state)
{
    (void)state;
    char *chain = definition_chain(1500, "f%zu(x)");
    char *deeper = definition_chain(20000, "f%zu(x)");
    deep_case cases[] = {
        {nest(TG_PARSE_MAX_DEPTH - 1, "(", "x", ")"), TG_OK},
        {nest(TG_PARSE_MAX_DEPTH / 2 - 1, "-(", "x", ")"), TG_OK},
        {nest(TG_PARSE_MAX_DEPTH / 2 - 1, "sin(", "x", ")"), TG_OK},
        {nest(TG_PARSE_MAX_DEPTH / 3, "max(x, ", "x", ")"), TG_OK},
        {nest(TG_PARSE_MAX_DEPTH - 1, "x^", "1", ""), TG_OK},
        {nest(100000, "where(x, ", "x", ", y)"), TG_OK},
        {chain, TG_OK},
        {deeper, TG_OK},
        {NULL, TG_OK},
    };
    const tg_status want[] = {TG_OK, TG_OK, TG_OK, TG_OK, TG_OK, TG_ERR_LIMIT, TG_OK, TG_ERR_LIMIT};
    pthread_attr_t attr;
    pthread_t th;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    assert_int_equal(pthread_create(&th, &attr, run_deep_cases, cases), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    for (size_t i = 0; cases[i].src; i++) {
        if (cases[i].got != want[i]) {
            print_error("deep case %zu: status %d, expected %d\n", i, (int)cases[i].got,
                        (int)want[i]);
            fail();
        }
        free(cases[i].src);
    }
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
        cmocka_unit_test(nesting_through_defined_functions_is_bounded),
        cmocka_unit_test(doubling_definitions_stop_at_the_tape_capacity),
        cmocka_unit_test(a_copy_reads_final_bindings_and_functions_and_keeps_its_own),
        cmocka_unit_test(deepest_programs_fit_in_a_small_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
