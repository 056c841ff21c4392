/* test_rules.c: the op table writes each derivative four times (the engine's C, its C spelling
 * for code generation, the rule a trace shows in the language's syntax, and its LaTeX). A small
 * evaluator here, which knows nothing of the table, reads the three texts and computes them at
 * many points of every op's domain: the C spellings must give the engine's numbers bit for bit,
 * the rule and its LaTeX the same numbers to rounding, and the masks must hold where they say.
 * The evaluator's functions are C's math library, never tapegrad's. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "op_cases.h"
#include "tapegrad.h"

/* ---- The evaluator ------------------------------------------------------------------------
 * One precedence-climbing parser for the three syntaxes, evaluating as it parses:
 *   C      ?: || && == != < <= > >= + - * / unary - + !, calls of <math.h> functions
 *   TEXT   the language: < <= > >= == != + - * / unary - ^ (right), calls, pi
 *   LATEX  \frac{}{} \sqrt{} ^{} \cdot, juxtaposition as product, \ln a (an operand without
 *          parentheses), \tanh^{2} a, \operatorname{sgn} a, [cond] (Iverson), \le \ge \ne =,
 *          \pi, e^{x}; \, and \left \right are ignored
 * Placeholders a, b, c, y. A syntax error fails the test with the text and the place. */
typedef enum syntax { C, TEXT, LATEX } syntax;
typedef struct ev {
    const char *s, *p;
    syntax mode;
    double a, b, c, y;
} ev;

static double expr(ev *e, int min_prec);

static void fail_at(const ev *e, const char *what)
{
    fail_msg("rule \"%s\": %s at offset %d", e->s, what, (int)(e->p - e->s));
}

static void skip_space(ev *e)
{
    for (;;) {
        while (*e->p == ' ')
            e->p++;
        if (e->mode == LATEX && e->p[0] == '\\' && (e->p[1] == ',' || e->p[1] == ';'))
            e->p += 2;
        else if (e->mode == LATEX && strncmp(e->p, "\\left", 5) == 0)
            e->p += 5;
        else if (e->mode == LATEX && strncmp(e->p, "\\right", 6) == 0)
            e->p += 6;
        else
            return;
    }
}

static int eat(ev *e, const char *tok)
{
    skip_space(e);
    const size_t n = strlen(tok);
    if (strncmp(e->p, tok, n) != 0)
        return 0;
    /* a command or a word must end here: \le is not \left */
    if (((tok[0] == '\\' && n > 1) || (tok[0] >= 'a' && tok[0] <= 'z')) &&
        ((e->p[n] >= 'a' && e->p[n] <= 'z') || (e->p[n] >= 'A' && e->p[n] <= 'Z')))
        return 0;
    e->p += n;
    return 1;
}

static void expect(ev *e, const char *tok)
{
    if (!eat(e, tok))
        fail_at(e, tok);
}

static double sigmoid_of(double x)
{
    return 1.0 / (1.0 + exp(-x));
}
static double sgn_of(double x)
{
    return (x > 0) - (x < 0);
}

/* The one-argument functions, by the name each syntax gives them. */
static const struct {
    const char *name;
    double (*f)(double);
} unary_fns[] = {
    {"exp", exp},          {"log", log},     {"sqrt", sqrt},          {"sin", sin},
    {"cos", cos},          {"tan", tan},     {"tanh", tanh},          {"sinh", sinh},
    {"cosh", cosh},        {"fabs", fabs},   {"asin", asin},          {"acos", acos},
    {"atan", atan},        {"asinh", asinh}, {"acosh", acosh},        {"atanh", atanh},
    {"log1p", log1p},      {"expm1", expm1}, {"log2", log2},          {"log10", log10},
    {"erf", erf},          {"erfc", erfc},   {"sigmoid", sigmoid_of}, {"ln", log},
    {"sigma", sigmoid_of}, {"sgn", sgn_of},
    /* the C spellings name the engine's own functions (ops/tg_libm.h) */
    {"tg_libm_exp", tg_libm_exp},     {"tg_libm_log", tg_libm_log},     {"tg_libm_sin", tg_libm_sin},
    {"tg_libm_cos", tg_libm_cos},     {"tg_libm_tan", tg_libm_tan},     {"tg_libm_tanh", tg_libm_tanh},
    {"tg_libm_sinh", tg_libm_sinh},   {"tg_libm_cosh", tg_libm_cosh},   {"tg_libm_asin", tg_libm_asin},
    {"tg_libm_acos", tg_libm_acos},   {"tg_libm_atan", tg_libm_atan},   {"tg_libm_asinh", tg_libm_asinh},
    {"tg_libm_acosh", tg_libm_acosh}, {"tg_libm_atanh", tg_libm_atanh}, {"tg_libm_log1p", tg_libm_log1p},
    {"tg_libm_expm1", tg_libm_expm1}, {"tg_libm_log2", tg_libm_log2},   {"tg_libm_log10", tg_libm_log10},
    {"tg_libm_erf", tg_libm_erf},     {"tg_libm_erfc", tg_libm_erfc},
};
static const struct {
    const char *name;
    double (*f)(double, double);
} binary_fns[] = {{"pow", pow},
                   {"atan2", atan2},
                   {"hypot", hypot},
                   {"tg_libm_atan2", tg_libm_atan2},
                   {"tg_libm_hypot", tg_libm_hypot}};

static double (*find_unary(const char *name, size_t n))(double)
{
    for (size_t i = 0; i < sizeof unary_fns / sizeof unary_fns[0]; i++)
        if (strlen(unary_fns[i].name) == n && strncmp(unary_fns[i].name, name, n) == 0)
            return unary_fns[i].f;
    return NULL;
}

/* A LaTeX group {...} */
static double group(ev *e)
{
    expect(e, "{");
    const double v = expr(e, 0);
    expect(e, "}");
    return v;
}

static double power_term(ev *e);

static double primary(ev *e)
{
    skip_space(e);
    const char *p = e->p;
    if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
        char *end;
        const double v = strtod(p, &end);
        e->p = end;
        return v;
    }
    if (eat(e, "(")) {
        const double v = expr(e, 0);
        expect(e, ")");
        return v;
    }
    if (e->mode == LATEX) {
        if (*p == '{')
            return group(e);
        if (eat(e, "[")) { /* Iverson bracket: 1 if the condition holds */
            const double v = expr(e, 0);
            expect(e, "]");
            return v != 0.0 ? 1.0 : 0.0;
        }
        if (eat(e, "\\frac") || eat(e, "\\tfrac")) {
            const double num = group(e);
            return num / group(e);
        }
        if (eat(e, "\\sqrt"))
            return sqrt(group(e));
        if (eat(e, "\\pi"))
            return 3.14159265358979323846;
        if (*p == '\\' || strncmp(p, "\\operatorname", 13) == 0) {
            const char *name = p + 1;
            size_t n = 0;
            if (eat(e, "\\operatorname")) {
                skip_space(e);
                expect(e, "{");
                name = e->p;
                while (name[n] && name[n] != '}')
                    n++;
                e->p += n;
                expect(e, "}");
            } else {
                while ((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= 'A' && name[n] <= 'Z'))
                    n++;
                e->p = name + n;
            }
            double (*f)(double) = find_unary(name, n);
            if (!f)
                fail_at(e, "unknown LaTeX function");
            double exponent = 1.0; /* \tanh^{2} a = (tanh a)^2 */
            if (eat(e, "^"))
                exponent = group(e);
            const double v = f(power_term(e));
            return exponent == 1.0 ? v : pow(v, exponent);
        }
    }
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
        size_t n = 0;
        while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
               (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
            n++;
        /* in LaTeX a letter is a name by itself: "ab" is a times b */
        if (e->mode == LATEX)
            n = 1;
        e->p = p + n;
        skip_space(e);
        if (*e->p == '(' && e->mode != LATEX) {
            e->p++;
            const double x = expr(e, 0);
            if (eat(e, ",")) {
                const double x2 = expr(e, 0);
                expect(e, ")");
                for (size_t i = 0; i < sizeof binary_fns / sizeof binary_fns[0]; i++)
                    if (strlen(binary_fns[i].name) == n && strncmp(binary_fns[i].name, p, n) == 0)
                        return binary_fns[i].f(x, x2);
                fail_at(e, "unknown two-argument function");
            }
            expect(e, ")");
            double (*f)(double) = find_unary(p, n);
            if (!f)
                fail_at(e, "unknown function");
            return f(x);
        }
        if (n == 1 && *p == 'a')
            return e->a;
        if (n == 1 && *p == 'b')
            return e->b;
        if (n == 1 && *p == 'c')
            return e->c;
        if (n == 1 && *p == 'y')
            return e->y;
        if (n == 1 && *p == 'e' && e->mode == LATEX)
            return exp(1.0);
        if (n == 2 && strncmp(p, "pi", 2) == 0 && e->mode == TEXT)
            return 3.14159265358979323846;
        fail_at(e, "unknown name");
    }
    fail_at(e, "expected an operand");
    return NAN;
}

/* An operand with its exponent (^ binds tighter than unary minus in TEXT and LATEX). */
static double power_term(ev *e)
{
    const double base = primary(e);
    if (e->mode != C && eat(e, "^")) {
        skip_space(e);
        double ex;
        if (e->mode == LATEX && *e->p == '{')
            ex = group(e);
        else if (e->mode == LATEX)
            ex = primary(e);
        else if (eat(e, "-")) /* 2^-1 */
            ex = -power_term(e);
        else
            ex = power_term(e); /* right-associative */
        return pow(base, ex);
    }
    return base;
}

static double unary(ev *e)
{
    if (eat(e, "-"))
        return -unary(e);
    if (eat(e, "+"))
        return unary(e);
    if (e->mode == C && eat(e, "!"))
        return !unary(e);
    return power_term(e);
}

/* Can a LaTeX operand start here (juxtaposition means a product)? */
static int starts_operand(ev *e)
{
    skip_space(e);
    const char c = *e->p;
    if (c == '\\')
        return !(strncmp(e->p, "\\cdot", 5) == 0 || strncmp(e->p, "\\le", 3) == 0 ||
                 strncmp(e->p, "\\ge", 3) == 0 || strncmp(e->p, "\\ne", 3) == 0);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '(' || c == '{' || c == '[';
}

/* Binary operators, lowest first; 0 ends an expression. */
static int binary_op(ev *e, int *prec, char *op)
{
    static const struct {
        const char *tok;
        int prec;
        char op;
        unsigned modes; /* 1 C, 2 TEXT, 4 LATEX */
    } ops[] = {
        {"||", 2, '|', 1},     {"&&", 3, '&', 1},   {"==", 4, '=', 7},   {"!=", 4, '!', 7},
        {"<=", 5, 'l', 7},     {">=", 5, 'g', 7},   {"<", 5, '<', 7},    {">", 5, '>', 7},
        {"\\le", 5, 'l', 4},   {"\\ge", 5, 'g', 4}, {"\\ne", 5, '!', 4}, {"=", 4, '=', 4},
        {"+", 6, '+', 7},      {"-", 6, '-', 7},    {"*", 7, '*', 3},    {"/", 7, '/', 7},
        {"\\cdot", 7, '*', 4},
    };
    skip_space(e);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (!(ops[i].modes & (1u << e->mode)))
            continue;
        const size_t n = strlen(ops[i].tok);
        if (strncmp(e->p, ops[i].tok, n) == 0) {
            *prec = ops[i].prec;
            *op = ops[i].op;
            e->p += n;
            return 1;
        }
    }
    if (e->mode == LATEX && starts_operand(e)) {
        *prec = 7;
        *op = '*';
        return 1;
    }
    return 0;
}

static double apply(char op, double x, double y)
{
    switch (op) {
    case '|':
        return x != 0 || y != 0;
    case '&':
        return x != 0 && y != 0;
    case '=':
        return x == y;
    case '!':
        return x != y;
    case 'l':
        return x <= y;
    case 'g':
        return x >= y;
    case '<':
        return x < y;
    case '>':
        return x > y;
    case '+':
        return x + y;
    case '-':
        return x - y;
    case '*':
        return x * y;
    default:
        return x / y;
    }
}

static double expr(ev *e, int min_prec)
{
    double x = unary(e);
    for (;;) {
        const char *before = e->p;
        int prec;
        char op;
        if (!binary_op(e, &prec, &op))
            break;
        if (prec < min_prec) {
            e->p = before;
            break;
        }
        const double y = expr(e, prec + 1); /* left-associative */
        x = apply(op, x, y);
    }
    if (min_prec == 0 && e->mode == C && eat(e, "?")) {
        const double t = expr(e, 0);
        expect(e, ":");
        const double f = expr(e, 0);
        return x != 0 ? t : f;
    }
    return x;
}

/* Evaluates text in its syntax at (a, b, c, y); the whole text must be read. */
static double eval_rule(const char *text, syntax mode, const double *args, double y)
{
    ev e = {text, text, mode, args[0], args[1], args[2], y};
    const double v = expr(&e, 0);
    skip_space(&e);
    if (*e.p)
        fail_at(&e, "unexpected text");
    return v;
}

/* ---- The tests ---------------------------------------------------------------------------- */

/* Agreement of a rule with the engine: to rounding (the text and the engine may order the
 * arithmetic differently, 1 + tan^2 against 1/cos^2), NaN with NaN. */
static int agrees(double got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    return fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want));
}

static void evaluator_reads_what_it_should(void **state)
{
    (void)state;
    const double x[3] = {2, 3, 0};
    assert_true(eval_rule("b*a^(b-1)", TEXT, x, 0) == 12.0);
    assert_true(eval_rule("-a^2", TEXT, x, 0) == -4.0);
    assert_true(eval_rule("2^-1", TEXT, x, 0) == 0.5);
    assert_true(eval_rule("(a < b) + (a == b)/2", TEXT, x, 0) == 1.0);
    assert_true(eval_rule("a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : 0.0)", C, x, 0) == 1.0);
    assert_true(eval_rule("\\frac{1}{2\\sqrt{a}}", LATEX, x, 0) == 1 / (2 * sqrt(2)));
    assert_true(eval_rule("b\\,a^{b-1}", LATEX, x, 0) == 12.0);
    assert_true(eval_rule("a^{b}\\ln a", LATEX, x, 0) == 8 * log(2));
    assert_true(eval_rule("1 - \\tanh^{2} a", LATEX, x, 0) == 1 - tanh(2) * tanh(2));
    assert_true(eval_rule("[a < b] + \\frac{1}{2}[a = b]", LATEX, x, 0) == 1.0);
}

/* Every op's C spellings, rule text and rule LaTeX against the engine at 200 points of its
 * domain and at the special points of its conventions. */
static void rule_texts_agree_with_the_engine(void **state)
{
    (void)state;
    static const double special[][3] = {{0, 0, 0}, {0, 1, 2},      {1, 1, 0}, {-1, 2, 3},
                                        {2, 2, 1}, {0.5, -0.5, 0}, {3, 0, 1}};
    enum { N_SPECIAL = sizeof special / sizeof special[0], N_POINTS = 200 };
    int n_checked = 0, n_masked = 0;
    for (unsigned o = 0; o < TG_N_OPS; o++) {
        const tg_op op = (tg_op)o;
        const tg_op_info *info = tg_op_info_of(op);
        if (info->n_args <= 0) /* leaves; sum and dot have no fixed arity (rules over x_j) */
            continue;
        const size_t n = (size_t)info->n_args;
        for (int point = 0; point < N_POINTS + N_SPECIAL; point++) {
            double x[3] = {0, 0, 0};
            if (point < N_POINTS)
                op_case_draw(op, n, x);
            else
                memcpy(x, special[point - N_POINTS], sizeof x);
            tg_tape *t = tg_tape_new();
            tg_var in[3];
            const tg_var v = op_case_record(t, op, n, x, in);
            const double y = tg_value(t, v);
            const double fy = eval_rule(info->c_forward, C, x, y);
            if (!same_bits(fy, y) && !(isnan(fy) && isnan(y)))
                fail_msg("%s at (%g, %g, %g): c_forward \"%s\" gives %.17g, the engine %.17g",
                         info->id, x[0], x[1], x[2], info->c_forward, fy, y);
            for (size_t k = 0; k < n; k++) {
                const double local = tg_local_grad(t, v, k);
                const double cl = eval_rule(info->c_local[k], C, x, y);
                if (!same_bits(cl, local) && !(isnan(cl) && isnan(local)))
                    fail_msg("%s at (%g, %g, %g): c_local[%zu] \"%s\" gives %.17g, the engine "
                             "%.17g",
                             info->id, x[0], x[1], x[2], k, info->c_local[k], cl, local);
                if (info->c_masked[k] && eval_rule(info->c_masked[k], C, x, y) != 0.0) {
                    if (tg_backward_step(t, v, k, INFINITY) != 0.0)
                        fail_msg("%s at (%g, %g, %g): masked (%s) but inf * %g gives %g", info->id,
                                 x[0], x[1], x[2], info->c_masked[k], local,
                                 tg_backward_step(t, v, k, INFINITY));
                    n_masked++;
                }
                if (point >= N_POINTS)
                    continue; /* the texts are the math, not the conventions at kinks */
                const double text = eval_rule(info->rule[k], TEXT, x, y);
                const double tex = eval_rule(info->rule_latex[k], LATEX, x, y);
                if (!agrees(text, local) || !agrees(tex, local))
                    fail_msg("%s at (%.17g, %.17g, %.17g): the engine's d/d%c is %.17g, the rule "
                             "\"%s\" gives %.17g, its LaTeX \"%s\" %.17g",
                             info->id, x[0], x[1], x[2], "abc"[k], local, info -> rule[k], text,
                             info -> rule_latex[k], tex);
                n_checked++;
            }
            tg_tape_free(t);
        }
    }
    assert_true(n_checked > 10000);
    assert_true(n_masked > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evaluator_reads_what_it_should),
        cmocka_unit_test(rule_texts_agree_with_the_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
