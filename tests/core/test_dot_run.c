/* test_dot_run.c: a dot whose weights are consecutive nodes (a neuron's bias and weights) is
 * stored as a run, one slot for all the weights (ops/ops.c, dot block); any other dot keeps one
 * slot per weight. Both must mean the same thing to every reader of a node's arguments: the
 * value, tg_n_args/tg_arg, local derivatives, backward, forward mode, Hessians (the recorded
 * derivative), replay, anomaly mode, gradcheck, the trace, the DOT export and --emit c. Each
 * test builds the same graph twice on two tapes, once through tg_dot (a run) and once through
 * tg_apply (argument by argument, never a run), and checks both against numbers derived by
 * hand, and the texts against each other. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
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

/* w = (0.5, -1.25, 2, 3) as four consecutive leaves, then x0 = 1.5, x1 (unused), x2 = -4,
 * x3 (unused); the dot's inputs are (x0, w1, x2, x0): one input repeated, one that is also a
 * weight. By hand:
 *   y = 0.5*1.5 + (-1.25)(-1.25) + 2(-4) + 3*1.5 = 0.75 + 1.5625 - 8 + 4.5 = -1.1875
 *   dy/dw0 = 1.5, dy/dw1 = x_1 + w_1 = -2.5 (w1 is both), dy/dw2 = -4, dy/dw3 = 1.5,
 *   dy/dx0 = w0 + w3 = 3.5, dy/dx2 = w2 = 2, dy/dx1 = dy/dx3 = 0. */
enum { M = 4 };
typedef struct graph {
    tg_tape *t;
    tg_var w[M], x[M], in[M], y;
} graph;

static graph build(int as_run)
{
    static const double wv[M] = {0.5, -1.25, 2.0, 3.0}, xv[M] = {1.5, 7.0, -4.0, 9.0};
    graph g;
    g.t = tg_tape_new();
    for (int j = 0; j < M; j++)
        g.w[j] = tg_input(g.t, wv[j]);
    for (int j = 0; j < M; j++)
        g.x[j] = tg_input(g.t, xv[j]);
    g.in[0] = g.x[0], g.in[1] = g.w[1], g.in[2] = g.x[2], g.in[3] = g.x[0];
    if (as_run) {
        g.y = tg_dot(g.t, M, g.w, g.in);
    } else {
        tg_var args[2 * M];
        for (int j = 0; j < M; j++)
            args[j] = g.w[j], args[M + j] = g.in[j];
        g.y = tg_apply(g.t, TG_OP_DOT, 2 * M, args);
    }
    assert_true(tg_var_ok(g.y));
    return g;
}

/* The n-ary storage is visible to introspection only as bytes: a run takes M + 1 slots. */
static size_t slots_of(const tg_tape *t)
{
    tg_tape_stats s;
    tg_tape_get_stats(t, &s);
    return s.n_args;
}

static void run_and_slots_read_the_same(void **state)
{
    (void)state;
    for (int as_run = 0; as_run < 2; as_run++) {
        graph g = build(as_run);
        assert_int_equal(slots_of(g.t), as_run ? M + 1 : 2 * M);
        assert_true(tg_value(g.t, g.y) == -1.1875);
        assert_int_equal(tg_op_of(g.t, g.y), TG_OP_DOT);
        assert_int_equal(tg_n_args(g.t, g.y), 2 * M);
        for (int k = 0; k < 2 * M; k++) {
            const tg_var want = k < M ? g.w[k] : g.in[k - M];
            assert_int_equal(tg_arg(g.t, g.y, (size_t)k).id, want.id);
            /* dy/dw_j = x_j, dy/dx_j = w_j */
            const double local = tg_local_grad(g.t, g.y, (size_t)k);
            const tg_var partner = k < M ? g.in[k] : g.w[k - M];
            assert_true(local == tg_value(g.t, partner));
        }
        assert_false(tg_var_ok(tg_arg(g.t, g.y, 2 * M)));
        assert_true(isnan(tg_local_grad(g.t, g.y, 2 * M)));

        assert_int_equal(tg_backward(g.t, g.y), TG_OK);
        const double want_w[M] = {1.5, -2.5, -4.0, 1.5}, want_x[M] = {3.5, 0.0, 2.0, 0.0};
        for (int j = 0; j < M; j++) {
            assert_true(tg_grad(g.t, g.w[j]) == want_w[j]);
            assert_true(tg_grad(g.t, g.x[j]) == want_x[j]);
        }

        /* forward mode: the directional derivative along (1, 1, 1, 1) on w, 0.5 on x0, is
         * 1.5 - 2.5 - 4 + 1.5 + 0.5 * 3.5 = -1.75 */
        tg_var dir_vars[M + 1];
        double dir[M + 1] = {1, 1, 1, 1, 0.5}, jvp = 0.0;
        for (int j = 0; j < M; j++)
            dir_vars[j] = g.w[j];
        dir_vars[M] = g.x[0];
        assert_int_equal(tg_jvp(g.t, 1, &g.y, M + 1, dir_vars, dir, &jvp), TG_OK);
        assert_true(jvp == -1.75);

        /* replay at w2 = 1: y = 0.75 + 1.5625 - 4 + 4.5 = 2.8125; dy/dx2 = 1 */
        assert_int_equal(tg_set_value(g.t, g.w[2], 1.0), TG_OK);
        tg_tape_replay(g.t);
        assert_true(tg_value(g.t, g.y) == 2.8125);
        assert_int_equal(tg_backward(g.t, g.y), TG_OK);
        assert_true(tg_grad(g.t, g.x[2]) == 1.0);

        /* a finite difference agrees with dy/dx0 = w0 + w3 = 3.5 */
        tg_gradcheck_result r;
        assert_int_equal(tg_gradcheck(g.t, g.y, g.x[0], 3.5, 1e-9, &r), TG_OK);
        assert_true(r.ok);
        tg_tape_free(g.t);
    }
}

/* y is bilinear except for w1 * w1: with wrt = (w0, w1, w2, w3, x0, x2), the nonzero second
 * derivatives are d2y/dw1^2 = 2, d2y/dw0 dx0 = d2y/dw3 dx0 = d2y/dw2 dx2 = 1. */
static void run_hessian_both_modes(void **state)
{
    (void)state;
    for (int as_run = 0; as_run < 2; as_run++) {
        for (int mode = 0; mode < 2; mode++) {
            graph g = build(as_run);
            const tg_var wrt[6] = {g.w[0], g.w[1], g.w[2], g.w[3], g.x[0], g.x[2]};
            double h[36], want[36] = {0};
            want[1 * 6 + 1] = 2.0;
            want[0 * 6 + 4] = want[4 * 6 + 0] = 1.0;
            want[3 * 6 + 4] = want[4 * 6 + 3] = 1.0;
            want[2 * 6 + 5] = want[5 * 6 + 2] = 1.0;
            assert_int_equal(
                tg_hessian(g.t, g.y, 6, wrt, mode ? TG_MODE_REVERSE : TG_MODE_FORWARD, h), TG_OK);
            for (int i = 0; i < 36; i++)
                if (h[i] != want[i])
                    fail_msg("run %d mode %d: H[%d][%d] = %g, want %g", as_run, mode, i / 6, i % 6,
                             h[i], want[i]);
            tg_tape_free(g.t);
        }
    }
}

/* Anomaly mode names the same input, with the same message, for both storages: out = y * 1e308,
 * so the dot's upstream gradient is 1e308 and w1's sum 1e308 * (-1.25) twice overflows. */
static void run_anomaly_names_the_same_input(void **state)
{
    (void)state;
    char msg[2][256];
    for (int as_run = 0; as_run < 2; as_run++) {
        graph g = build(as_run);
        const tg_var out = tg_mul(g.t, g.y, tg_const(g.t, 1e308));
        tg_tape_set_anomaly(g.t, 1);
        assert_int_equal(tg_backward(g.t, out), TG_ERR_NONFINITE);
        snprintf(msg[as_run], sizeof msg[as_run], "%s", tg_tape_errmsg(g.t));
        tg_tape_free(g.t);
    }
    assert_string_equal(msg[0], msg[1]);
    assert_non_null(strstr(msg[0], "node 1"));
}

/* What a person reads (trace, DOT export) and what --emit c writes are the same text. */
static char *text_of(int as_run, int what)
{
    graph g = build(as_run);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    tg_status s;
    if (what == 0) {
        s = tg_trace_backward(g.t, g.y, f, TG_TRACE_TEXT);
    } else if (what == 1) {
        assert_int_equal(tg_backward(g.t, g.y), TG_OK);
        s = tg_dot_export(g.t, g.y, f);
    } else if (what == 2) {
        s = tg_trace_backward(g.t, g.y, f, TG_TRACE_JSON);
    } else {
        const tg_var wrt[3] = {g.w[1], g.w[2], g.x[0]};
        s = tg_emit_c(g.t, g.y, 3, wrt, "dot_fn", f);
    }
    assert_int_equal(s, TG_OK);
    fclose(f);
    tg_tape_free(g.t);
    return buf;
}

static void run_texts_match_slots(void **state)
{
    (void)state;
    for (int what = 0; what < 4; what++) {
        char *a = text_of(0, what), *b = text_of(1, what);
        assert_true(strlen(a) > 50);
        size_t at = 0;
        while (a[at] && a[at] == b[at])
            at++;
        if (a[at] != b[at])
            fail_msg("text %d differs at byte %zu: \"%.60s\" vs \"%.60s\"", what, at, a + at,
                     b + at);
        free(a);
        free(b);
    }
}

/* Weights that are not consecutive, or a run that would pass the end of the tape, are not
 * stored as a run; an invalid weight is refused as before. */
static void non_runs_and_bad_weights(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var v[4];
    for (int j = 0; j < 4; j++)
        v[j] = tg_input(t, (double)(j + 1));
    const tg_var rev[2] = {v[1], v[0]}, xs[2] = {v[2], v[3]};
    const size_t before = slots_of(t);
    const tg_var y = tg_dot(t, 2, rev, xs); /* 2*3 + 1*4 = 10 */
    assert_true(tg_value(t, y) == 10.0);
    assert_int_equal(slots_of(t) - before, 4);
    const tg_var bad[2] = {y, {y.id + 1}}; /* consecutive, but the second is no node */
    const tg_var z = tg_dot(t, 2, bad, xs);
    assert_false(tg_var_ok(z));
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR);
    tg_tape_free(t);

    /* a run of weights with an invalid input: refused, and no slot is left taken */
    t = tg_tape_new();
    for (int j = 0; j < 4; j++)
        v[j] = tg_input(t, (double)(j + 1));
    const size_t slots = slots_of(t);
    const tg_var run[2] = {v[0], v[1]}, bad_x[2] = {v[2], {v[3].id + 7}};
    assert_false(tg_var_ok(tg_dot(t, 2, run, bad_x)));
    assert_int_equal(tg_tape_status(t), TG_ERR_BADVAR);
    assert_int_equal(slots_of(t), slots);
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_and_slots_read_the_same),
        cmocka_unit_test(run_hessian_both_modes),
        cmocka_unit_test(run_anomaly_names_the_same_input),
        cmocka_unit_test(run_texts_match_slots),
        cmocka_unit_test(non_runs_and_bad_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
