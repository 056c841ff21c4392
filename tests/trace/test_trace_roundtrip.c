/* test_trace_roundtrip.c: what the trace prints is correct mathematics. On thousands of seeded
 * random programs (precedence traps: nested - and /, ^ chains, unary minus, negative numbers,
 * reassigned names, names that are the rules' placeholders or look like generated names), every
 * expression the shared view prints (each node's operation and each expression label) is parsed
 * back with the public parser, its labels bound to the nodes' values, and must record the same
 * operation on the same values and give the same value, bit for bit; no two nodes share a
 * label; no placeholder is a name of the program; every printed rule that the language can read
 * gives the engine's local derivative. With version 2 of the language (when the parser has it)
 * the programs also use comparisons, where, min, max, atan2, hypot and pi. TG_ROUNDTRIP_COUNT
 * sets how many programs (3,000; 300 under valgrind, TG_VALGRIND). */
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
#include "trace_int.h"

/* ---- Random programs ---------------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng_state >> 33) % n);
}

/* Names chosen to collide: the rules' placeholders (a b c y L), generated-looking names (t1,
 * x1), and a versioned-looking one (c_2). */
static const char *const input_names[] = {"a", "b", "c", "y", "L", "t1", "x1", "w", "c_2", "u"};
enum { N_INPUT_NAMES = sizeof input_names / sizeof input_names[0] };
static const char *const assigned_names[] = {"c", "h", "L", "t2", "z", "a2"};
static const char *const functions[] = {"exp",  "log",     "sqrt", "sin", "cos",
                                        "tanh", "sigmoid", "relu", "abs"};
/* Version 2 of the language, when the parser has it: comparisons, where, min, max, two-argument
 * functions, more one-argument ones, pi. */
static int have_v2;
static const char *const functions_v2[] = {"atan", "asinh", "softplus", "erf", "log1p", "expm1"};
static const char *const binary_v2[] = {"min", "max", "atan2", "hypot", "pow"};
static const char *const compare_v2[] = {" < ", " <= ", " > ", " >= ", " == ", " != "};

typedef struct text {
    char s[4096];
    size_t len;
} text;

static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(t->s + t->len, sizeof t->s - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len = t->len + (size_t)n < sizeof t->s ? t->len + (size_t)n : sizeof t->s - 1;
}

/* An expression over the names in scope, with depth at most `depth`. Parentheses are added
 * only sometimes, so that the parser's precedence decides the tree. */
static void gen_expr(text *t, int depth, const char *const *scope, size_t n_scope)
{
    const uint32_t r = depth <= 0 ? rnd(3) : rnd(have_v2 ? 19 : 14);
    if (r == 0) {
        put(t, "%s", scope[rnd((uint32_t)n_scope)]);
    } else if (r == 1) {
        static const char *const nums[] = {"2", "0.5", "3", "1.25", "0.1", "1e-3", "10", "7"};
        put(t, "%s", nums[rnd(8)]);
    } else if (r == 2) {
        put(t, "%s", scope[rnd((uint32_t)n_scope)]);
    } else if (r <= 8) {
        static const char *const ops[] = {" + ", " - ", "*", "/", "^", " - "};
        const int paren = rnd(3) == 0;
        put(t, paren ? "(" : "");
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, "%s", ops[r - 3]);
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, paren ? ")" : "");
    } else if (r <= 10) {
        put(t, "-");
        gen_expr(t, depth - 1, scope, n_scope);
    } else if (r == 11) {
        put(t, "(-%s)", rnd(2) ? "2" : "0.75");
    } else if (r == 12 || r == 13) {
        put(t, "%s(", functions[rnd(sizeof functions / sizeof functions[0])]);
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ")");
    } else if (r == 14) {
        put(t, "%s(", functions_v2[rnd(sizeof functions_v2 / sizeof functions_v2[0])]);
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ")");
    } else if (r == 15) {
        put(t, "%s(", binary_v2[rnd(sizeof binary_v2 / sizeof binary_v2[0])]);
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ", ");
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ")");
    } else if (r == 16) { /* a comparison: in parentheses, as comparisons do not chain */
        put(t, "(");
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, "%s", compare_v2[rnd(6)]);
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ")");
    } else if (r == 17) {
        put(t, "where(");
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, "%s", compare_v2[rnd(6)]);
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ", ");
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ", ");
        gen_expr(t, depth - 1, scope, n_scope);
        put(t, ")");
    } else {
        put(t, rnd(2) ? "pi" : "2*pi");
    }
}

/* A program of 1-4 statements over 2-4 inputs; assigned names may repeat (c = c*2). */
static void gen_program(text *t, size_t n_inputs)
{
    const char *scope[16];
    size_t n_scope = 0;
    for (size_t i = 0; i < n_inputs; i++)
        scope[n_scope++] = input_names[i];
    const int n_stmts = 1 + (int)rnd(4);
    for (int s = 0; s < n_stmts; s++) {
        if (s + 1 < n_stmts || rnd(2)) {
            const char *name =
                assigned_names[rnd(sizeof assigned_names / sizeof assigned_names[0])];
            int is_input = 0;
            for (size_t i = 0; i < n_inputs; i++)
                is_input |= strcmp(input_names[i], name) == 0;
            if (is_input)
                name = "g";
            put(t, "%s = ", name);
            gen_expr(t, 1 + (int)rnd(4), scope, n_scope);
            put(t, "; ");
            if (n_scope < 16)
                scope[n_scope++] = name;
        } else {
            gen_expr(t, 1 + (int)rnd(4), scope, n_scope);
        }
    }
}

/* ---- Checking one program ----------------------------------------------------------------- */

static int same_double(double x, double y)
{
    return x == y || (isnan(x) && isnan(y));
}

static int is_identifier(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

typedef struct counts {
    size_t programs, expressions, labels, rules, rules_unreadable, rules_convention;
} counts;

/* Parses `expr` on a fresh tape where every label that is a name is an input holding that
 * node's value. Returns the recorded node (invalid if it does not parse) on *pt. */
static tg_var parse_back(const tgi_view *v, const char *expr, tg_tape **pt)
{
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    assert_non_null(p);
    for (uint32_t i = 0; i < v->n; i++)
        if (v->in_cone[i] && v->label_kind[i] != TGI_LABEL_CONST &&
            is_identifier(tgi_view_label(v, i)))
            assert_int_equal(
                tg_parser_define(p, tgi_view_label(v, i), tg_input(t, tg_value(v->t, (tg_var){i}))),
                TG_OK);
    tg_var out = {UINT32_MAX};
    if (tg_parser_run(p, expr, strlen(expr), &out) != TG_OK)
        out.id = UINT32_MAX;
    tg_parser_free(p);
    *pt = t;
    return out;
}

/* expr, printed for node i, must record node i's operation on node i's args' values. */
static void check_expression(const tgi_view *v, uint32_t i, const char *expr, const char *program)
{
    tg_tape *t;
    const tg_var got = parse_back(v, expr, &t);
    if (got.id == UINT32_MAX)
        fail_msg("'%s' (node %u of '%s') does not parse back", expr, (unsigned)i, program);
    const tg_var want = {i};
    const size_t n = tg_n_args(v->t, want);
    int same = same_double(tg_value(t, got), tg_value(v->t, want)) &&
               tg_op_of(t, got) == tg_op_of(v->t, want) && tg_n_args(t, got) == n;
    for (size_t k = 0; same && k < n; k++)
        same = same_double(tg_value(t, tg_arg(t, got, k)), tg_value(v->t, tg_arg(v->t, want, k)));
    if (!same)
        fail_msg("'%s' (node %u of '%s') reads back as %s = %.17g, not %s = %.17g", expr,
                 (unsigned)i, program, tg_op_name(tg_op_of(t, got)), tg_value(t, got),
                 tg_op_name(tg_op_of(v->t, want)), tg_value(v->t, want));
    tg_tape_free(t);
}

/* The rule of step s, with its placeholders bound to the args' values and y to the node's
 * value, gives the local derivative. Rules the language cannot read are counted. */
static void check_rule(const tgi_view *v, const tgi_step *s, counts *c)
{
    char rule[512];
    tgi_step_rule(v, s, rule, sizeof rule);
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    const tg_var at = {s->at};
    const size_t n = tg_n_args(v->t, at);
    for (size_t k = 0; k < n && k < 3; k++)
        tg_parser_define(p, v->ph_arg[k], tg_input(t, tg_value(v->t, tg_arg(v->t, at, k))));
    tg_parser_define(p, v->ph_y, tg_input(t, tg_value(v->t, at)));
    tg_var r;
    if (tg_parser_run(p, rule, strlen(rule), &r) != TG_OK) {
        c->rules_unreadable++;
    } else {
        const double want = tg_local_grad(v->t, at, s->k), got = tg_value(t, r);
        /* where the rule itself is not finite the engine applies a convention (pow's
         * d/db = 0 at a <= 0): the rule's text does not say so, which is the op table's */
        if (!isfinite(got))
            c->rules_convention++;
        else if (isfinite(want) && !(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want))))
            fail_msg("rule '%s' gives %.17g, the engine's local derivative is %.17g", rule, got,
                     want);
        c->rules++;
    }
    tg_parser_free(p);
    tg_tape_free(t);
}

static void check_program(const char *program, size_t n_inputs, counts *c)
{
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    for (size_t i = 0; i < n_inputs; i++)
        tg_parser_define(p, input_names[i], tg_input(t, 0.3 + 0.7 * (double)rnd(9) - 2.0));
    tg_var out;
    if (tg_parser_run(p, program, strlen(program), &out) != TG_OK)
        fail_msg("generated program '%s' does not parse: %s", program, tg_parser_error(p)->message);
    tg_parser_free(p);
    assert_int_equal(tg_backward(t, out), TG_OK);
    tgi_view v;
    assert_int_equal(tgi_view_init(&v, t, out, 80), TG_OK);

    /* unique labels */
    for (uint32_t i = 0; i < v.n; i++)
        for (uint32_t j = i + 1; j < v.n && v.in_cone[i]; j++)
            if (v.in_cone[j] && v.label_kind[i] != TGI_LABEL_CONST &&
                v.label_kind[j] != TGI_LABEL_CONST &&
                strcmp(tgi_view_label(&v, i), tgi_view_label(&v, j)) == 0)
                fail_msg("nodes %u and %u of '%s' are both '%s'", (unsigned)i, (unsigned)j, program,
                         tgi_view_label(&v, i));
    /* placeholders are no names of the program */
    const char *ph[] = {v.ph_out, v.ph_arg[0], v.ph_arg[1], v.ph_arg[2], v.ph_y};
    for (uint32_t i = 0; i < v.n; i++) {
        if (!v.in_cone[i] || v.label_kind[i] == TGI_LABEL_CONST)
            continue;
        for (size_t k = 0; k < 5; k++) {
            const char *name = tgi_view_label(&v, i);
            if (strcmp(name, ph[k]) == 0 && !(k == 0 && i == v.out))
                fail_msg("placeholder '%s' is also node %u of '%s'", ph[k], (unsigned)i, program);
            const char *hit = strstr(name, ph[k]);
            const size_t len = strlen(ph[k]);
            for (; hit; hit = strstr(hit + 1, ph[k])) {
                const int before = hit > name && (is_identifier((char[]){hit[-1], 0}) ||
                                                  (hit[-1] >= '0' && hit[-1] <= '9'));
                const char after = hit[len];
                const int after_id = (after >= 'a' && after <= 'z') ||
                                     (after >= 'A' && after <= 'Z') || after == '_' ||
                                     (after >= '0' && after <= '9');
                if (!before && !after_id && v.label_kind[i] == TGI_LABEL_EXPR)
                    fail_msg("placeholder '%s' occurs in label '%s' of '%s'", ph[k], name, program);
            }
        }
    }
    /* expressions and expression labels read back as the node */
    char e[4096];
    for (uint32_t i = 0; i < v.n; i++) {
        if (!v.in_cone[i] || tg_n_args(t, (tg_var){i}) == 0)
            continue;
        check_expression(&v, i, tgi_view_expr(&v, i, e, sizeof e), program);
        c->expressions++;
        if (v.label_kind[i] == TGI_LABEL_EXPR) {
            check_expression(&v, i, tgi_view_label(&v, i), program);
            c->labels++;
        }
    }
    for (uint32_t s = 0; s < v.n_steps; s++)
        check_rule(&v, &v.steps[s], c);
    tgi_view_clear(&v);
    tg_tape_free(t);
    c->programs++;
}

static void printed_expressions_parse_back_to_the_nodes(void **state)
{
    (void)state;
    const char *env = getenv("TG_ROUNDTRIP_COUNT");
    const size_t n = env ? (size_t)strtoul(env, NULL, 10) : getenv("TG_VALGRIND") ? 300 : 3000;
    counts c = {0};
    rng_state = 20261201;
    {
        tg_tape *t = tg_tape_new();
        tg_parser *p = tg_parser_new(t);
        tg_var out;
        const char *probe = "where(1 < 2, min(pi, 1), atan2(1, 2))";
        have_v2 = tg_parser_run(p, probe, strlen(probe), &out) == TG_OK;
        tg_parser_free(p);
        tg_tape_free(t);
    }
    for (size_t k = 0; k < n; k++) {
        text prog = {.len = 0};
        prog.s[0] = '\0';
        const size_t n_inputs = 2 + rnd(N_INPUT_NAMES - 1);
        gen_program(&prog, n_inputs);
        check_program(prog.s, n_inputs, &c);
    }
    printf("# %zu programs%s: %zu printed operations and %zu expression labels read back as their "
           "nodes; %zu rules give the local derivative (%zu rules not in the language, %zu not "
           "finite where the engine applies a convention)\n",
           c.programs, have_v2 ? " (language v2)" : "", c.expressions, c.labels, c.rules,
           c.rules_unreadable, c.rules_convention);
    assert_true(c.programs == n && c.expressions > n && c.labels > 0 && c.rules > 0);
}

/* Hand-picked traps of the issue: the printed expressions, exactly. */
static void precedence_traps_print_as_they_compute(void **state)
{
    (void)state;
    static const struct {
        const char *program, *expect;
    } cases[] = {
        {"((a+b)*(c-d))^2", "((a + b)*(c - d))^2"},
        {"((y1-yhat1)^2 + (y2-yhat2)^2) / 2", "t1/2"},
        {"a - (b - c)", "a - (b - c)"},
        {"(a - b) - c", "a - b - c"},
        {"a / (b * c)", "a/(b*c)"},
        {"(a^b)^c", "(a^b)^c"},
        {"a^b^c", "a^b^c"},
        {"(-a)^2", "(-a)^2"},
        {"-a^2", "-a^2"},
        {"-(a*b)", "-(a*b)"},
        {"a*(-2)", "a*(-2)"},
        {"2^-a", "2^(-a)"},
        {"-(-a)", "-(-a)"},
    };
    const char *names[] = {"a", "b", "c", "d", "y1", "yhat1", "y2", "yhat2"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tg_tape *t = tg_tape_new();
        tg_parser *p = tg_parser_new(t);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            tg_parser_define(p, names[i], tg_input(t, 1.5 + (double)i));
        tg_var out;
        assert_int_equal(tg_parser_run(p, cases[k].program, strlen(cases[k].program), &out), TG_OK);
        tg_parser_free(p);
        assert_int_equal(tg_backward(t, out), TG_OK);
        tgi_view v;
        assert_int_equal(tgi_view_init(&v, t, out, 80), TG_OK);
        char e[512];
        tgi_view_expr(&v, out.id, e, sizeof e);
        if (strcmp(e, cases[k].expect) != 0)
            fail_msg("'%s' prints as '%s', want '%s'", cases[k].program, e, cases[k].expect);
        tgi_view_clear(&v);
        tg_tape_free(t);
    }
}

/* Labels cut for a picture's box stay unique: two long names that start alike. */
static void fitted_labels_stay_unique(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var w1 = tg_input(t, 1), w2 = tg_input(t, 2);
    tg_set_name(t, w1, "weight_input_to_hidden_1");
    tg_set_name(t, w2, "weight_input_to_hidden_2");
    tg_var p = tg_mul(t, w1, w2);
    tg_set_name(t, p, "weight_input_to_hidden_product");
    assert_int_equal(tg_backward(t, p), TG_OK);
    tgi_view v;
    assert_int_equal(tgi_view_init(&v, t, p, 80), TG_OK);
    char a[4 * 16 + 1], b[4 * 16 + 1];
    for (uint32_t i = 0; i < 3; i++)
        for (uint32_t j = i + 1; j < 3; j++) {
            tgi_view_label_fit(&v, i, a, 16);
            tgi_view_label_fit(&v, j, b, 16);
            assert_true(tgi_n_chars(a) <= 16 && tgi_n_chars(b) <= 16);
            if (strcmp(a, b) == 0)
                fail_msg("nodes %u and %u are both '%s' in 16 characters", (unsigned)i, (unsigned)j,
                         a);
        }
    tgi_view_label_fit(&v, 0, a, 16);
    assert_string_equal(a, "weight_input_t~0");
    tgi_view_clear(&v);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(precedence_traps_print_as_they_compute),
        cmocka_unit_test(printed_expressions_parse_back_to_the_nodes),
        cmocka_unit_test(fitted_labels_stay_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
