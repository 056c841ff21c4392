/* test_property.c: property tests over thousands of seeded random graphs (graphgen.h): every
 * input's gradient against a central finite difference with a tolerance estimated per case,
 * backward against backward_accumulate, anomaly mode against the plain sweep, and replay
 * against recording. A failure prints the seed and the graph as a program. Random programs of
 * the expression language are the cli's tests. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "graphgen.h"

#define N_GRAPHS 3000

static void report(const gg_graph *g, uint64_t seed, const char *what)
{
    fprintf(stderr, "property failed: %s\nseed %llu, graph:\n", what, (unsigned long long)seed);
    gg_print(g, stderr);
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Largest |value| on the tape, for the rounding part of the tolerance. */
static double max_abs_value(const tg_tape *t)
{
    double m = 0.0;
    for (size_t i = 0; i < tg_tape_size(t); i++)
        m = fmax(m, fabs(tg_value(t, (tg_var){(uint32_t)i})));
    return m;
}

/* Replays out at input x = xv; *kink is set if an op node's branch signature (graphgen.h's
 * gg_branches: its operands' signs) changed from sig0. */
static double replay(tg_tape *t, const gg_graph *g, const tg_var *node, tg_var x, double xv,
                     const unsigned *sig0, int *kink)
{
    unsigned sig[GG_MAX_NODES];
    tg_set_value(t, x, xv);
    tg_tape_replay(t);
    gg_branches(t, g, node, sig);
    for (int k = 0; k < g->n_steps; k++)
        if (sig[k] != sig0[k])
            *kink = 1;
    return tg_value(t, node[g->out]);
}

typedef struct counts {
    long checked, skipped_kink, skipped_unresolved;
} counts;

/* d out / d x for every input x against (f(x+h) - f(x-h)) / 2h. The step h is the first of
 * 1e-3, 1e-4, ... 1e-7 (times 1 + |x|) at which the differences at h and h/2 agree to 1e-4;
 * an input where none does (out varies faster than any h resolves) is skipped and counted.
 * Tolerance: the truncation error, estimated from the differences at h and h/2 (Richardson),
 * plus the rounding error of f's evaluation magnified by 1/h, plus 1e-7 relative. Inputs
 * within h of a kink (an op's operand changes sign at x +- h) are skipped and counted. */
static int check_gradients(tg_tape *t, const gg_graph *g, const tg_var *node, uint64_t seed,
                           counts *c)
{
    unsigned s0[GG_MAX_NODES];
    gg_branches(t, g, node, s0);
    const double m = max_abs_value(t);
    for (int i = 0; i < g->n_inputs; i++) {
        const tg_var x = node[i];
        const double x0 = tg_value(t, x), grad = tg_grad(t, x);
        int kink = 0, resolved = 0;
        double h = 0.0, fd = 0.0, fd2 = 0.0;
        for (int e = 3; e <= 7 && !resolved && !kink; e++) {
            h = pow(10.0, -e) * (1.0 + fabs(x0));
            const double fp = replay(t, g, node, x, x0 + h, s0, &kink);
            const double fm = replay(t, g, node, x, x0 - h, s0, &kink);
            const double fp2 = replay(t, g, node, x, x0 + h / 2, s0, &kink);
            const double fm2 = replay(t, g, node, x, x0 - h / 2, s0, &kink);
            fd = (fp - fm) / ((x0 + h) - (x0 - h));
            fd2 = (fp2 - fm2) / ((x0 + h / 2) - (x0 - h / 2));
            resolved = fabs(fd - fd2) <= 1e-4 * (1.0 + fabs(fd));
        }
        int ignored = 0;
        replay(t, g, node, x, x0, s0, &ignored);
        if (kink) {
            c->skipped_kink++;
            continue;
        }
        if (!resolved) {
            c->skipped_unresolved++;
            continue;
        }
        const double tol =
            2.0 * fabs(fd - fd2) + 256 * DBL_EPSILON * (1.0 + m) / h + 1e-7 * (1.0 + fabs(grad));
        c->checked++;
        if (!(fabs(fd - grad) <= tol)) {
            char what[200];
            snprintf(what, sizeof what,
                     "d out / d n%d = %.17g but the central difference is %.17g (h/2: %.17g), "
                     "tolerance %.3g, at n%d = %.17g",
                     i, grad, fd, fd2, tol, i, x0);
            report(g, seed, what);
            return 0;
        }
    }
    return 1;
}

/* The other properties on one graph: anomaly-checked sweep = plain sweep (bit for bit),
 * accumulate after zero_grad = backward (bit for bit), accumulate over two outputs = backward
 * of their sum, replay at new inputs = recording at them (bit for bit). */
static int check_consistency(tg_tape *t, gg_graph *g, tg_var *node, uint64_t seed)
{
    const size_t n = tg_tape_size(t);
    const tg_var out = node[g->out];
    static double grad[4 * GG_MAX_NODES], value[4 * GG_MAX_NODES];
    if (n > 4 * GG_MAX_NODES)
        return report(g, seed, "tape larger than expected"), 0;
    for (size_t i = 0; i < n; i++)
        grad[i] = tg_grad(t, (tg_var){(uint32_t)i});

    tg_tape_set_anomaly(t, 1);
    if (tg_backward(t, out) != TG_OK)
        return report(g, seed, tg_tape_errmsg(t)), 0;
    tg_tape_set_anomaly(t, 0);
    for (size_t i = 0; i < n; i++)
        if (!same_bits(grad[i], tg_grad(t, (tg_var){(uint32_t)i})))
            return report(g, seed, "anomaly mode changed a gradient"), 0;

    tg_zero_grad(t);
    if (tg_backward_accumulate(t, out) != TG_OK)
        return report(g, seed, tg_tape_errmsg(t)), 0;
    for (size_t i = 0; i < n; i++)
        if (!same_bits(grad[i], tg_grad(t, (tg_var){(uint32_t)i})))
            return report(g, seed, "backward_accumulate after zero_grad differs from backward"), 0;

    /* two outputs: out and the first op node after the inputs */
    const tg_var other = node[g->n_inputs];
    tg_zero_grad(t);
    tg_backward_accumulate(t, out);
    tg_backward_accumulate(t, other);
    double acc[4];
    for (int i = 0; i < g->n_inputs; i++)
        acc[i] = tg_grad(t, node[i]);
    const tg_mark m = tg_tape_mark(t);
    tg_backward(t, tg_add(t, out, other));
    for (int i = 0; i < g->n_inputs; i++) {
        const double both = tg_grad(t, node[i]);
        if (!(fabs(acc[i] - both) <= 1e-12 * (1.0 + fabs(both))))
            return report(g, seed, "accumulating two outputs differs from backward of the sum"), 0;
    }
    tg_tape_rewind(t, m);

    /* replay at shifted inputs = recording at them */
    gg_graph moved = *g;
    for (int i = 0; i < g->n_inputs; i++) {
        moved.step[i].c = g->step[i].c + 0.125 * (i + 1);
        tg_set_value(t, node[i], moved.step[i].c);
    }
    tg_tape_replay(t);
    for (size_t i = 0; i < n; i++)
        value[i] = tg_value(t, (tg_var){(uint32_t)i});
    tg_tape *fresh = tg_tape_new();
    tg_var fresh_node[GG_MAX_NODES];
    gg_build(fresh, &moved, fresh_node);
    int ok = tg_tape_size(fresh) == n;
    for (size_t i = 0; ok && i < n; i++) {
        const double r = tg_value(fresh, (tg_var){(uint32_t)i});
        ok = same_bits(value[i], r) || (isnan(value[i]) && isnan(r));
    }
    tg_tape_free(fresh);
    for (int i = 0; i < g->n_inputs; i++)
        tg_set_value(t, node[i], g->step[i].c);
    tg_tape_replay(t);
    if (!ok)
        return report(g, seed, "replay at new inputs differs from recording at them"), 0;
    return 1;
}

static void random_graphs_gradients_match_finite_differences(void **state)
{
    (void)state;
    tg_tape *scratch = tg_tape_new(), *t = tg_tape_new();
    counts c = {0, 0, 0};
    gg_graph g;
    tg_var node[GG_MAX_NODES];
    for (uint64_t seed = 1; seed <= N_GRAPHS; seed++) {
        gg_generate(&g, seed, 1 + (int)(seed % 40), scratch);
        tg_tape_clear(t);
        tg_var out = gg_build(t, &g, node);
        if (tg_tape_status(t) != TG_OK || tg_backward(t, out) != TG_OK) {
            report(&g, seed, tg_tape_errmsg(t));
            fail();
        }
        if (!check_consistency(t, &g, node, seed))
            fail();
        tg_backward(t, out); /* check_consistency left other gradients */
        if (!check_gradients(t, &g, node, seed, &c))
            fail();
    }
    print_message("%d graphs: %ld input gradients checked, %ld skipped at a kink, %ld where no "
                  "step resolved the difference\n",
                  N_GRAPHS, c.checked, c.skipped_kink, c.skipped_unresolved);
    assert_true(c.checked > 5000);
    assert_true(c.skipped_kink + c.skipped_unresolved < c.checked / 20);
    tg_tape_free(scratch);
    tg_tape_free(t);
}

/* The generator covers every op of the table (so every op is checked). */
static void random_graphs_use_every_op(void **state)
{
    (void)state;
    tg_tape *scratch = tg_tape_new();
    long seen[TG_N_OPS] = {0};
    gg_graph g;
    for (uint64_t seed = 1; seed <= N_GRAPHS; seed++) {
        gg_generate(&g, seed, 1 + (int)(seed % 40), scratch);
        for (int k = 0; k < g.n_steps; k++)
            seen[g.step[k].op]++;
    }
    for (int op = 0; op < TG_N_OPS; op++) {
        if (seen[op] < 100)
            fail_msg("op %s appears only %ld times", tg_op_name((tg_op)op), seen[op]);
    }
    tg_tape_free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_graphs_gradients_match_finite_differences),
        cmocka_unit_test(random_graphs_use_every_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
