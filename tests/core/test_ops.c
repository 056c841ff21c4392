/* test_ops.c: every row of the op table, by a loop over the registry: the engine's gradient
 * against a central finite difference at many points of the op's domain, and against
 * hand-derived values at chosen points (closed forms, not numbers printed by tapegrad). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ops_int.h"
#include "tapegrad.h"

/* splitmix64, so that the points are the same on every machine. */
static uint64_t rng_state = 12345;
static double uniform(double lo, double hi)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

/* Where each op is smooth enough for a central difference. Columns: lo, hi of every input;
 * min_abs keeps points away from a kink at 0 (relu, abs). Every op must have a row. */
typedef struct domain {
    double lo, hi;
    double min_abs;
} domain;
static const domain domains[TG_N_OPS] = {
    [TG_OP_ADD] = {-10, 10, 0},      [TG_OP_SUB] = {-10, 10, 0},   [TG_OP_MUL] = {-10, 10, 0},
    [TG_OP_DIV] = {-10, 10, 0.1},    [TG_OP_POW] = {0.1, 3, 0},    [TG_OP_POWC] = {0.1, 3, 0},
    [TG_OP_NEG] = {-10, 10, 0},      [TG_OP_EXP] = {-5, 5, 0},     [TG_OP_LOG] = {0.05, 20, 0},
    [TG_OP_SQRT] = {0.05, 20, 0},    [TG_OP_SIN] = {-7, 7, 0},     [TG_OP_COS] = {-7, 7, 0},
    [TG_OP_TAN] = {-1.3, 1.3, 0},    [TG_OP_TANH] = {-4, 4, 0},    [TG_OP_SIGMOID] = {-10, 10, 0},
    [TG_OP_RELU] = {-5, 5, 1e-3},    [TG_OP_ABS] = {-5, 5, 1e-3},  [TG_OP_SUM] = {-10, 10, 0},
    [TG_OP_DOT] = {-10, 10, 0},
    [TG_OP_STEP] = {-5, 5, 1e-3},    [TG_OP_SIGN] = {-5, 5, 1e-3},  [TG_OP_GATE] = {-5, 5, 1e-3},
};

enum { N_NARY = 4, MAX_IN = 2 * N_NARY };

static double draw(const domain *d)
{
    for (;;) {
        double x = uniform(d->lo, d->hi);
        if (fabs(x) >= d->min_abs)
            return x;
    }
}

/* Records op over inputs x[0..n_in-1] on a fresh tape: unary, binary (POWC's exponent as a
 * constant), or n-ary (sum over all, dot over halves). */
static tg_var record(tg_tape *t, tg_op op, const double *x, tg_var *in, size_t *n_in)
{
    const int arity = tgi_ops[op].arity;
    if (arity == TGI_NARY) {
        *n_in = op == TG_OP_DOT ? 2 * N_NARY : N_NARY;
        for (size_t k = 0; k < *n_in; k++)
            in[k] = tg_input(t, x[k]);
        return op == TG_OP_DOT ? tg_dot(t, N_NARY, in, in + N_NARY) : tg_sum(t, N_NARY, in);
    }
    *n_in = (size_t)arity;
    in[0] = tg_input(t, x[0]);
    if (arity == 1)
        return tgi_record1(t, op, in[0]);
    in[1] = op == TG_OP_POWC ? tg_const(t, x[1]) : tg_input(t, x[1]);
    return tgi_record2(t, op, in[0], in[1]);
}

static double eval_at(tg_op op, const double *x)
{
    tg_tape *t = tg_tape_new();
    tg_var in[MAX_IN];
    size_t n;
    double y = tg_value(t, record(t, op, x, in, &n));
    tg_tape_free(t);
    return y;
}

static void every_op_grad_matches_finite_difference(void **state)
{
    (void)state;
    int n_checked = 0;
    for (unsigned op = 0; op < TG_N_OPS; op++) {
        if (tgi_ops[op].flags & TGI_LEAF)
            continue;
        const domain *d = &domains[op];
        if (!(d->hi > d->lo))
            fail_msg("op %s has no domain row in test_ops.c", tgi_ops[op].info.id);
        for (int point = 0; point < 300; point++) {
            double x[MAX_IN];
            for (int k = 0; k < MAX_IN; k++)
                x[k] = draw(d);
            if (op == TG_OP_POW || op == TG_OP_POWC)
                x[1] = uniform(-3, 3);
            tg_tape *t = tg_tape_new();
            tg_var in[MAX_IN];
            size_t n_in;
            tg_var y = record(t, (tg_op)op, x, in, &n_in);
            assert_int_equal(tg_backward(t, y), TG_OK);
            for (size_t k = 0; k < n_in; k++) {
                if (op == TG_OP_POWC && k == 1)
                    continue; /* the constant exponent gets no gradient */
                const double h = 1e-6 * fmax(1.0, fabs(x[k]));
                double xp[MAX_IN], xm[MAX_IN];
                for (int j = 0; j < MAX_IN; j++)
                    xp[j] = xm[j] = x[j];
                xp[k] += h;
                xm[k] -= h;
                const double fd = (eval_at((tg_op)op, xp) - eval_at((tg_op)op, xm)) / (2 * h);
                const double g = tg_grad(t, in[k]);
                if (!(fabs(g - fd) <= 1e-6 * fmax(1.0, fabs(fd))))
                    fail_msg("%s input %zu at %.17g, %.17g: engine %.17g, finite difference %.17g",
                             tgi_ops[op].info.id, k, x[0], x[1], g, fd);
                n_checked++;
            }
            tg_tape_free(t);
        }
    }
    assert_true(n_checked > 5000);
}

/* Hand-derived values. Columns: op, a, b, y, dy/da, dy/db. */
typedef struct hand_case {
    tg_op op;
    double a, b;
    double y, da, db;
} hand_case;
static const hand_case hand_cases[] = {
    {TG_OP_ADD, 3, 4, 7, 1, 1},
    {TG_OP_SUB, 3, 4, -1, 1, -1},
    {TG_OP_MUL, 3, 4, 12, 4, 3},
    {TG_OP_DIV, 3, 4, 0.75, 0.25, -0.1875},              /* -a/b^2 = -3/16 */
    {TG_OP_POW, 2, 3, 8, 12, 5.5451774444795623},       /* 3*2^2; 8 ln 2 */
    {TG_OP_POW, 0, 0, 1, 0, 0},                         /* PyTorch's conventions at 0^0 */
    {TG_OP_POW, 0, 2, 0, 0, 0},
    {TG_OP_POWC, 9, 0.5, 3, 1.0 / 6, 0},                 /* 0.5 * 9^-0.5 */
    {TG_OP_POWC, 2, -1, 0.5, -0.25, 0},                 /* -1 * 2^-2 */
    {TG_OP_NEG, 3, 0, -3, -1, 0},
    {TG_OP_EXP, 0, 0, 1, 1, 0},
    {TG_OP_EXP, 1, 0, 2.718281828459045, 2.718281828459045, 0},
    {TG_OP_LOG, 1, 0, 0, 1, 0},
    {TG_OP_LOG, 4, 0, 1.3862943611198906, 0.25, 0},
    {TG_OP_SQRT, 4, 0, 2, 0.25, 0},                     /* 1/(2*2) */
    {TG_OP_SIN, 0, 0, 0, 1, 0},
    {TG_OP_COS, 0, 0, 1, 0, 0},
    {TG_OP_TAN, 0, 0, 0, 1, 0},
    {TG_OP_TAN, 0.78539816339744831, 0, 1, 2, 0},       /* pi/4: sec^2 = 2 */
    {TG_OP_TANH, 0, 0, 0, 1, 0},
    {TG_OP_TANH, 0.69314718055994531, 0, 0.6, 0.64, 0}, /* ln 2: (4-1)/(4+1); 1 - 0.36 */
    {TG_OP_SIGMOID, 0, 0, 0.5, 0.25, 0},
    {TG_OP_SIGMOID, 1.0986122886681098, 0, 0.75, 0.1875, 0},  /* ln 3: 3/4; 3/16 */
    {TG_OP_SIGMOID, -1.0986122886681098, 0, 0.25, 0.1875, 0}, /* -ln 3: 1/4 */
    {TG_OP_SIGMOID, 800, 0, 1, 0, 0},                   /* no overflow either way */
    {TG_OP_SIGMOID, -800, 0, 0, 0, 0},
    {TG_OP_RELU, 2, 0, 2, 1, 0},
    {TG_OP_RELU, -2, 0, 0, 0, 0},
    {TG_OP_RELU, 0, 0, 0, 0, 0},                        /* relu'(0) = 0 */
    {TG_OP_ABS, -3, 0, 3, -1, 0},
    {TG_OP_ABS, 2, 0, 2, 1, 0},
    {TG_OP_ABS, 0, 0, 0, 0, 0},                         /* abs'(0) = 0 */
    {TG_OP_STEP, 2, 0, 1, 0, 0},                        /* step = relu', its derivative 0 */
    {TG_OP_STEP, -2, 0, 0, 0, 0},
    {TG_OP_STEP, 0, 0, 0, 0, 0},                        /* step(0) = relu'(0) = 0 */
    {TG_OP_SIGN, -3, 0, -1, 0, 0},                      /* sign = abs', its derivative 0 */
    {TG_OP_SIGN, 2, 0, 1, 0, 0},
    {TG_OP_SIGN, 0, 0, 0, 0, 0},                        /* sign(0) = abs'(0) = 0 */
    {TG_OP_GATE, 3, 2, 3, 1, 0},                        /* b > 0 ? a : 0 */
    {TG_OP_GATE, 3, -2, 0, 0, 0},
    {TG_OP_GATE, 3, 0, 0, 0, 0},                        /* as relu'(0) = 0 */
};

static void ops_match_hand_derived_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hand_cases / sizeof hand_cases[0]; i++) {
        const hand_case *c = &hand_cases[i];
        tg_tape *t = tg_tape_new();
        double x[MAX_IN] = {c->a, c->b};
        tg_var in[MAX_IN];
        size_t n_in;
        tg_var y = record(t, c->op, x, in, &n_in);
        assert_int_equal(tg_backward(t, y), TG_OK);
        const double got[3] = {tg_value(t, y), tg_grad(t, in[0]), n_in > 1 ? tg_grad(t, in[1]) : 0};
        const double want[3] = {c->y, c->da, c->db};
        for (int j = 0; j < 3; j++) {
            if (c->op == TG_OP_POWC && j == 2)
                continue;
            if (!(fabs(got[j] - want[j]) <= 1e-15 * (1 + fabs(want[j]))))
                fail_msg("case %zu (%s at %g, %g): column %d is %.17g, expected %.17g", i,
                         tgi_ops[c->op].info.id, c->a, c->b, j, got[j], want[j]);
        }
        tg_tape_free(t);
    }
}

static void nary_ops_match_hand_derived_values(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var w[3] = {tg_input(t, 1), tg_input(t, 2), tg_input(t, -3)};
    tg_var x[3] = {tg_input(t, 4), tg_input(t, 5), tg_input(t, 6)};
    tg_var d = tg_dot(t, 3, w, x); /* 4 + 10 - 18 = -4 */
    tg_var s = tg_sum(t, 3, x);    /* 15 */
    tg_var y = tg_mul(t, d, s);    /* dy/dw_j = s x_j; dy/dx_j = s w_j + d */
    assert_int_equal(tg_backward(t, y), TG_OK);
    assert_true(tg_value(t, d) == -4 && tg_value(t, s) == 15);
    for (int j = 0; j < 3; j++) {
        assert_true(tg_grad(t, w[j]) == 15 * tg_value(t, x[j]));
        assert_true(tg_grad(t, x[j]) == 15 * tg_value(t, w[j]) - 4);
    }
    assert_true(tg_value(t, tg_sum(t, 0, NULL)) == 0.0);
    assert_int_equal(tg_n_inputs(t, d), 6);
    assert_int_equal(tg_input_of(t, d, 4).id, x[1].id);
    assert_true(tg_local_grad(t, d, 1) == 5.0); /* dd/dw_1 = x_1 */
    tg_tape_free(t);
}

static void op_table_is_complete_and_findable(void **state)
{
    (void)state;
    for (unsigned op = 0; op < TG_N_OPS; op++) {
        const tgi_op_row *r = &tgi_ops[op];
        const tg_op_info *info = tg_op_info_of((tg_op)op);
        assert_ptr_equal(info, &r->info);
        assert_non_null(info->id);
        assert_string_equal(tg_op_name((tg_op)op), info->id);
        if (r->arity == 1)
            assert_true(r->forward1 && r->local1 && info->rule[0] && info->n_args == 1);
        else if (r->arity == 2)
            assert_true(r->forward2 && r->local2 && info->rule[0] && info->rule[1]);
        else if (r->arity == TGI_NARY)
            assert_true(r->forwardn && r->localn && r->backwardn && info->rule[0]);
        else
            assert_true((r->flags & TGI_LEAF) && info->n_args == 0);
        if (info->name)
            assert_int_equal(tg_op_find(info->name), op);
        if (info->symbol)
            assert_true(info->precedence > TG_PREC_NONE);
        for (int k = 0; k < 3 && k < info->n_args; k++)
            assert_true(info->c_local[k] && info->rule_latex[k]);
    }
    assert_null(tg_op_info_of(TG_N_OPS));
    assert_int_equal(tg_op_find("nosuch"), TG_N_OPS);
    assert_int_equal(tg_op_find("input"), TG_N_OPS);
    assert_int_equal(tg_op_find("add"), TG_N_OPS); /* an operator, not a function */
    assert_int_equal(tg_op_find("gate"), TG_N_OPS); /* internal */
    assert_int_equal(tg_op_find("pow"), TG_OP_POW);
    assert_int_equal(tg_op_find(NULL), TG_N_OPS);
}

/* tg_apply records the node the named constructor records, and refuses what it cannot. */
static void apply_records_like_the_constructors(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 0.5), w = tg_input(t, 3), p = tg_const(t, 2);
    const tg_var xw[2] = {x, w}, xp[2] = {x, p};
    const tg_var th = tg_apply(t, TG_OP_TANH, 1, &x);
    assert_int_equal(tg_op_of(t, th), TG_OP_TANH);
    assert_true(tg_value(t, th) == tanh(0.5));
    const tg_var q = tg_apply(t, TG_OP_DIV, 2, xw);
    assert_true(tg_value(t, q) == 0.5 / 3);
    const tg_var sq = tg_apply(t, TG_OP_POWC, 2, xp);
    assert_true(tg_value(t, sq) == 0.25 && tg_op_of(t, sq) == TG_OP_POWC);
    const tg_var d = tg_apply(t, TG_OP_DOT, 2, xw); /* w_0 = x, x_0 = w */
    assert_true(tg_value(t, d) == 1.5 && tg_n_inputs(t, d) == 2);
    assert_int_equal(tg_tape_status(t), TG_OK);

    const size_t before = tg_tape_size(t);
    assert_false(tg_var_ok(tg_apply(t, TG_OP_TANH, 2, xw)));     /* wrong count */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_POWC, 2, xw)));     /* exponent not a constant */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_DOT, 1, xw)));      /* odd count */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_INPUT, 0, NULL)));  /* a leaf */
    assert_false(tg_var_ok(tg_apply(t, TG_N_OPS, 1, &x)));       /* no such op */
    assert_false(tg_var_ok(tg_apply(t, TG_OP_ADD, 2, NULL)));    /* NULL args */
    assert_int_equal(tg_tape_size(t), before);
    assert_int_equal(tg_tape_status(t), TG_ERR_ARG);
    tg_tape_free(t);

    t = tg_tape_new();
    const tg_var bad = {12345};
    assert_false(tg_var_ok(tg_apply(t, TG_OP_EXP, 1, &bad)));
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR);
    tg_tape_free(t);
    assert_false(tg_var_ok(tg_apply(NULL, TG_OP_EXP, 1, &bad)));
}

/* The rows whose derivative is also data (a shape other than TGI_D_CALL, read by the sweep)
 * give bit for bit what their local1/local2 give (the reference used by trace and
 * tg_local_grad), so the two can never drift apart: at many random points and at the special
 * values (signed zeros, infinities, NaN, subnormals) in every combination. */
static void derivative_shapes_match_row_functions(void **state)
{
    (void)state;
    static const double special[] = {0.0, -0.0, 1.0, -1.0, 0x1p-1074, -0x1p-1074, 1e308,
                                      -1e308, INFINITY, -INFINITY, NAN, -NAN};
    enum { N_SPECIAL = sizeof special / sizeof special[0], N_RANDOM = 2000 };
    int n_shaped = 0;
    for (unsigned op = 0; op < TG_N_OPS; op++) {
        const tgi_op_row *r = &tgi_ops[op];
        if (r->shape == TGI_D_CALL)
            continue;
        n_shaped++;
        /* SWAP is binary only, STEP unary only; CONST either. */
        assert_true(r->arity == 1 || r->arity == 2);
        assert_true(r->shape != TGI_D_SWAP || r->arity == 2);
        assert_true(r->shape != TGI_D_STEP || r->arity == 1);
        for (int k = 0; k < N_SPECIAL * N_SPECIAL + N_RANDOM; k++) {
            const double a = k < N_SPECIAL * N_SPECIAL ? special[k / N_SPECIAL] : uniform(-10, 10);
            const double b = k < N_SPECIAL * N_SPECIAL ? special[k % N_SPECIAL] : uniform(-10, 10);
            if (r->arity == 1) {
                const double y = r->forward1(a);
                const double want = r->local1(a, y), got = tgi_local1(r, a, y);
                if (memcmp(&want, &got, sizeof want) != 0)
                    fail_msg("%s at a = %g: shape gives %g, local1 %g", r->info.id, a, got, want);
            } else {
                const double y = r->forward2(a, b);
                double want[2], got[2];
                r->local2(a, b, y, &want[0], &want[1]);
                tgi_local2(r, a, b, y, &got[0], &got[1]);
                if (memcmp(want, got, sizeof want) != 0)
                    fail_msg("%s at (%g, %g): shape gives (%g, %g), local2 (%g, %g)", r->info.id,
                             a, b, got[0], got[1], want[0], want[1]);
            }
        }
    }
    assert_true(n_shaped >= 1); /* the hot ops (add, mul, relu, ...) are shaped */
}

/* The convenience macros select a constant for numbers and pass tg_vars through. */
static void convenience_macros_build_expected_graph(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 3);
    tg_var y = tg_mul(t, TG_V(t, 2.0), TG_V(t, x));
    tg_var z = TG_SUM(t, y, x, TG_V(t, 1));
    assert_int_equal(tg_op_of(t, tg_input_of(t, y, 0)), TG_OP_CONST);
    assert_int_equal(tg_backward(t, z), TG_OK);
    assert_true(tg_value(t, z) == 10 && tg_grad(t, x) == 3);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_grad_matches_finite_difference),
        cmocka_unit_test(ops_match_hand_derived_values),
        cmocka_unit_test(nary_ops_match_hand_derived_values),
        cmocka_unit_test(op_table_is_complete_and_findable),
        cmocka_unit_test(apply_records_like_the_constructors),
        cmocka_unit_test(derivative_shapes_match_row_functions),
        cmocka_unit_test(convenience_macros_build_expected_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
