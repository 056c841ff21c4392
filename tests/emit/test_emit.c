/* test_emit.c: tg_emit_c on tapes built in C. An MLP's loss (dot, tanh, relu, the softmax
 * cross-entropy's exp and log) and a tape with every unary and binary op are emitted,
 * compiled with the system compiler (CC, or cc; -O2 -ffp-contract=off -std=c99 -pedantic
 * -Wall -Wextra -Werror -DTAPEGRAD_LIBM, with ops/tg_libm_*.c: TG_LIBM_C) and run: the
 * value and every gradient must be tg_backward's bits,
 * and the Hessian of tg_emit_c_opts must be tg_hessian(TG_MODE_REVERSE)'s. Hand-derived
 * values check the interpreter (tg_emit_check) on a small tape, and the argument errors are
 * pinned. Skipped (77 for the compile parts) when no compiler runs. */
#define _POSIX_C_SOURCE 200809L /* popen */
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

static const char *cc(void)
{
    const char *c = getenv("CC");
    return c && *c ? c : "cc";
}

static int same(double a, double b)
{
    if (a != a || b != b)
        return a != a && b != b;
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Emits (t, out, wrt), compiles it with a main that prints value, grad and hess at each of
 * the n_points points xs[p*n ..] as hex floats, runs it and reads the numbers back into got
 * (per point 1 + n, + n*n with hessian). Returns 0 if no compiler. */
static int compile_and_run_at(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, int hessian,
                              size_t n_points, const double *xs, double *got)
{
    static int have_cc = -1;
    char cmd[1024];
    if (have_cc < 0) {
        snprintf(cmd, sizeof cmd, "%s --version >/dev/null 2>&1", cc());
        have_cc = system(cmd) == 0;
    }
    if (!have_cc)
        return 0;
    FILE *f = fopen("test_emit_fn.c", "w");
    assert_non_null(f);
    const tg_emit_options opt = {.name = "fn", .hessian = hessian};
    assert_int_equal(tg_emit_c_opts(t, out, n, wrt, &opt, f), TG_OK);
    fclose(f);
    f = fopen("test_emit_main.c", "w");
    assert_non_null(f);
    fprintf(f, "#include <stdio.h>\ndouble fn(const double *x, double *grad%s);\n",
            hessian ? ", double *hess" : "");
    /* the inputs are read at run time, so that no library call is evaluated at compile time */
    fprintf(f, "static volatile const double xv[] = {");
    for (size_t i = 0; i < n * n_points; i++)
        fprintf(f, "%s%a", i ? ", " : "", xs[i]);
    fprintf(f, "%s};\nint main(void)\n{\n    double x[%zu], g[%zu];\n", n ? "" : "0.0", n + 1,
            n + 1);
    if (hessian)
        fprintf(f, "    double h[%zu];\n", n * n + 1);
    fprintf(f, "    for (int p = 0; p < %zu; p++) {\n", n_points);
    fprintf(f, "        for (int i = 0; i < %zu; i++) x[i] = xv[p * %zu + i];\n", n, n);
    fprintf(f, "        printf(\"%%a\\n\", fn(x, g%s));\n", hessian ? ", h" : "");
    fprintf(f, "        for (int i = 0; i < %zu; i++) printf(\"%%a\\n\", g[i]);\n", n);
    if (hessian)
        fprintf(f, "        for (int i = 0; i < %zu; i++) printf(\"%%a\\n\", h[i]);\n", n * n);
    fprintf(f, "    }\n    return 0;\n}\n");
    fclose(f);
    /* -DTAPEGRAD_LIBM and the engine's math functions' sources: the emitted calls of sin, exp,
     * ... are the engine's own correctly rounded functions, so the bits must be the tape's */
    const char *lib = getenv("TG_LIBM_C");
    assert_non_null(lib); /* set by tests/emit/meson.build: -I... ops/tg_libm_*.c */
    snprintf(cmd, sizeof cmd,
             "%s -O2 -ffp-contract=off -std=c99 -pedantic -Wall -Wextra -Werror -DTAPEGRAD_LIBM "
             "test_emit_fn.c test_emit_main.c -o test_emit_prog %s -lm",
             cc(), lib);
    if (system(cmd) != 0)
        fail_msg("the emitted code does not compile cleanly: %s", cmd);
    FILE *p = popen("./test_emit_prog", "r");
    assert_non_null(p);
    const size_t want = n_points * (1 + n + (hessian ? n * n : 0));
    for (size_t k = 0; k < want; k++) {
        char line[64];
        assert_non_null(fgets(line, sizeof line, p));
        got[k] = strtod(line, NULL);
    }
    pclose(p);
    remove("test_emit_fn.c");
    remove("test_emit_main.c");
    remove("test_emit_prog");
    return 1;
}

static int compile_and_run(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, int hessian,
                           const double *x, double *got)
{
    return compile_and_run_at(t, out, n, wrt, hessian, 1, x, got);
}

static void mlp_loss_emits_the_tapes_bits(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 5);
    const size_t sizes[] = {6, 5, 3};
    const tg_act acts[] = {TG_ACT_TANH, TG_ACT_RELU, TG_ACT_IDENTITY};
    tg_mlp *m = tg_mlp_new(t, 2, 3, sizes, acts, TG_INIT_XAVIER, &rng);
    assert_non_null(m);
    /* a frozen network's loss over 4 points, differentiated in its parameters */
    const double xs[8] = {0.5, -1.0, 1.5, 0.25, -0.75, 2.0, 0.0, -0.5};
    double p[12] = {0};
    tg_var logits[12];
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(tg_mlp_forward_values(m, xs + 2 * i, logits + 3 * i), TG_OK);
        p[3 * i + i % 3] = 1.0;
    }
    const tg_var loss = tg_loss_softmax_ce(t, 4, 3, logits, p);
    assert_int_equal(tg_backward(t, loss), TG_OK);
    const size_t n = tg_mlp_n_params(m);
    double *x = calloc(n + 1, sizeof *x), *got = calloc(n + 1, sizeof *got);
    assert_non_null(x);
    assert_non_null(got);
    for (size_t i = 0; i < n; i++)
        x[i] = tg_value(t, tg_mlp_params(m)[i]);
    if (!compile_and_run(t, loss, n, tg_mlp_params(m), 0, x, got)) {
        free(x), free(got), tg_mlp_free(m), tg_tape_free(t);
        skip();
        return;
    }
    assert_true(same(got[0], tg_value(t, loss)));
    for (size_t i = 0; i < n; i++)
        if (!same(got[1 + i], tg_grad(t, tg_mlp_params(m)[i])))
            fail_msg("%s: emitted %a, tape %a", tg_mlp_param_name(m, i), got[1 + i],
                     tg_grad(t, tg_mlp_params(m)[i]));
    free(x);
    free(got);
    tg_mlp_free(m);
    tg_tape_free(t);
}

/* Every unary and binary op of the table, on two inputs, in one expression. */
static tg_var every_op(tg_tape *t, tg_var a, tg_var b)
{
    tg_var s = tg_const(t, 0.0);
    for (int op = 0; op < TG_N_OPS; op++) {
        const tg_op_info *info = tg_op_info_of((tg_op)op);
        if (info->n_args == 1) {
            /* inside every domain: in (1.1, 1.9) (log, acosh), else in (-0.5, 0.5) (asin) */
            tg_var arg = tg_addc(t, tg_mulc(t, tg_tanh(t, a), 0.4), 1.5);
            tg_var y = tg_apply(t, (tg_op)op, 1, &arg);
            if (!isfinite(tg_value(t, y))) {
                arg = tg_mulc(t, tg_tanh(t, a), 0.5);
                y = tg_apply(t, (tg_op)op, 1, &arg);
            }
            s = tg_add(t, s, y);
        } else if (info->n_args == 2 && op != TG_OP_POWC && op != TG_OP_GATE) {
            const tg_var args[2] = {op == TG_OP_POW ? tg_exp(t, a) : a, b};
            s = tg_add(t, s, tg_apply(t, (tg_op)op, 2, args));
        }
    }
    const tg_var w[3] = {a, b, tg_powc(t, a, 3.0)}, v[3] = {b, s, a};
    return tg_add(t, tg_dot(t, 3, w, v), tg_sum(t, 3, v));
}

static void every_op_value_gradient_and_hessian_match(void **state)
{
    (void)state;
    static const double points[][2] = {{0.7, -1.3}, {-0.4, 0.9}, {0.0, 2.0}, {1.5, 0.0}};
    for (size_t k = 0; k < 4; k++) {
        tg_tape *t = tg_tape_new();
        const tg_var wrt[2] = {tg_input(t, points[k][0]), tg_input(t, points[k][1])};
        const tg_var out = every_op(t, wrt[0], wrt[1]);
        assert_int_equal(tg_backward(t, out), TG_OK);
        double hess[4], got[7];
        const double x[2] = {points[k][0], points[k][1]};
        /* the interpreter first: the same plan on doubles */
        double value, grad[2], hplan[4];
        assert_int_equal(tg_emit_check(t, out, 2, wrt, 1, x, &value, grad, hplan), TG_OK);
        assert_true(same(value, tg_value(t, out)));
        const double tape_grad[2] = {tg_grad(t, wrt[0]), tg_grad(t, wrt[1])};
        assert_true(same(grad[0], tape_grad[0]) && same(grad[1], tape_grad[1]));
        /* (reverse over reverse overwrites the tape's gradients: read them first) */
        assert_int_equal(tg_hessian(t, out, 2, wrt, TG_MODE_REVERSE, hess), TG_OK);
        for (int i = 0; i < 4; i++)
            assert_true(same(hplan[i], hess[i]));
        if (!compile_and_run(t, out, 2, wrt, 1, x, got)) {
            tg_tape_free(t);
            skip();
            return; /* skip() is not noreturn to the compiler */
        }
        assert_true(same(got[0], tg_value(t, out)));
        assert_true(same(got[1], tape_grad[0]) && same(got[2], tape_grad[1]));
        for (int i = 0; i < 4; i++)
            if (!same(got[3 + i], hess[i]))
                fail_msg("point %zu: hess[%d] emitted %a, tape %a", k, i, got[3 + i], hess[i]);
        tg_tape_free(t);
    }
}

/* where(x > 0, sqrt(x), y), min, max with ties, and a comparison over sqrt: the branch not
 * taken and a comparison's operands are not reached, so sqrt's infinite slope at 0 never
 * multiplies anything. */
static tg_var selections(tg_tape *t, tg_var x, tg_var y)
{
    const tg_var w = tg_where(t, tg_gt(t, x, tg_const(t, 0.0)), tg_sqrt(t, x), tg_mul(t, y, y));
    const tg_var m = tg_mul(t, tg_min(t, x, y), tg_max(t, x, y));
    const tg_var k = tg_mulc(t, tg_gt(t, tg_sqrt(t, x), tg_const(t, 0.0)), 3.0);
    return tg_add(t, tg_add(t, w, m), k);
}

static void where_min_max_and_comparisons_follow_the_sweep(void **state)
{
    (void)state;
    /* points: the branch taken, not taken, x at 0 (sqrt' infinite, not taken), ties x = y */
    static const double xs[] = {0.5, 2.0, -0.5, 1.0, 0.0, 1.0, 0.75, 0.75, 2.0, 2.0};
    const size_t n_points = sizeof xs / sizeof xs[0] / 2;
    for (size_t rec = 0; rec < n_points; rec++) {
        /* recorded at one point, run at all: each compared with a tape recorded there */
        tg_tape *t = tg_tape_new();
        const tg_var wrt[2] = {tg_input(t, xs[2 * rec]), tg_input(t, xs[2 * rec + 1])};
        const tg_var out = selections(t, wrt[0], wrt[1]);
        double got[5 * 3];
        if (!compile_and_run_at(t, out, 2, wrt, 0, n_points, xs, got)) {
            tg_tape_free(t);
            skip();
            return; /* skip() is not noreturn to the compiler */
        }
        for (size_t p = 0; p < n_points; p++) {
            tg_tape *u = tg_tape_new();
            const tg_var in[2] = {tg_input(u, xs[2 * p]), tg_input(u, xs[2 * p + 1])};
            const tg_var o = selections(u, in[0], in[1]);
            assert_int_equal(tg_backward(u, o), TG_OK);
            const double want[3] = {tg_value(u, o), tg_grad(u, in[0]), tg_grad(u, in[1])};
            for (int k = 0; k < 3; k++)
                if (!same(got[3 * p + (size_t)k], want[k]))
                    fail_msg("recorded at %zu, run at %zu: item %d is %a, the tape %a", rec, p, k,
                             got[3 * p + (size_t)k], want[k]);
            assert_true(isfinite(want[1])); /* sqrt' at 0 never got in */
            tg_tape_free(u);
        }
        tg_tape_free(t);
    }
}

static void interpreter_matches_hand_derivatives_elsewhere(void **state)
{
    (void)state;
    /* f = x y + sin(x), recorded at (1, 2), run by the plan at (0.5, -3):
     * f = -1.5 + sin 0.5, df/dx = y + cos x = -3 + cos 0.5, df/dy = x = 0.5;
     * d2f/dx2 = -sin x, d2f/dxdy = 1, d2f/dy2 = 0 */
    tg_tape *t = tg_tape_new();
    const tg_var wrt[2] = {tg_input(t, 1.0), tg_input(t, 2.0)};
    const tg_var out = tg_add(t, tg_mul(t, wrt[0], wrt[1]), tg_sin(t, wrt[0]));
    const double x[2] = {0.5, -3.0};
    double v, g[2], h[4];
    assert_int_equal(tg_emit_check(t, out, 2, wrt, 1, x, &v, g, h), TG_OK);
    assert_true(v == 0.5 * -3.0 + sin(0.5));
    assert_true(g[0] == 0.0 + (-3.0 + cos(0.5)) || g[0] == cos(0.5) + -3.0);
    assert_true(g[1] == 0.5);
    assert_true(fabs(h[0] + sin(0.5)) < 1e-15 && h[1] == 1.0 && h[2] == 1.0 && h[3] == 0.0);
    tg_tape_free(t);
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    const tg_var x = tg_input(t, 1.0), y = tg_exp(t, x);
    FILE *f = tmpfile();
    assert_int_equal(tg_emit_c(t, y, 1, &y, NULL, f), TG_ERR_ARG); /* not an input */
    assert_int_equal(tg_emit_c(t, y, 1, &x, "2bad", f), TG_ERR_ARG);
    assert_int_equal(tg_emit_c(t, y, 1, &x, "has space", f), TG_ERR_ARG);
    assert_int_equal(tg_emit_c(t, (tg_var){999}, 1, &x, NULL, f), TG_ERR_BADVAR);
    assert_int_equal(tg_emit_c(t, y, 1, NULL, NULL, f), TG_ERR_ARG);
    assert_int_equal(tg_emit_c(NULL, y, 1, &x, NULL, f), TG_ERR_ARG);
    assert_int_equal(tg_emit_c(t, y, 1, &x, NULL, NULL), TG_ERR_ARG);
    assert_int_equal(ftell(f), 0); /* nothing was written */
    /* a good call names the function and writes it */
    assert_int_equal(tg_emit_c(t, y, 1, &x, "my_fn", f), TG_OK);
    rewind(f);
    char buf[4096];
    const size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = '\0';
    assert_non_null(strstr(buf, "double my_fn(const double *x, double *grad)"));
    assert_non_null(strstr(buf, "-ffp-contract=off"));
    assert_non_null(strstr(buf, "exp(x[0])"));
    assert_int_equal(tg_tape_size(t), 2); /* the tape is as it was */
    fclose(f);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(interpreter_matches_hand_derivatives_elsewhere),
        cmocka_unit_test(every_op_value_gradient_and_hessian_match),
        cmocka_unit_test(where_min_max_and_comparisons_follow_the_sweep),
        cmocka_unit_test(mlp_loss_emits_the_tapes_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
