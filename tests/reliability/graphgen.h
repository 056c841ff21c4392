/* graphgen.h: a seeded generator of random scalar graphs for the property and thread tests.
 * A graph is a small program (leaves, then ops over earlier nodes, every op of the op table,
 * read from the table itself, shared subexpressions, fan-out, n-ary sum and dot) whose
 * operands are chosen so that every value stays finite and moderate; it can be recorded on any
 * tape and printed to reproduce a failure by hand. Header-only (static functions) so each test
 * links it privately. */
#ifndef GRAPHGEN_H
#define GRAPHGEN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tapegrad.h"

#define GG_MAX_NODES 96
#define GG_MAX_ARGS 8

/* A step is an op of the table (TG_OP_INPUT and TG_OP_CONST for leaves, with value c) over
 * earlier steps; the generator knows no op by name: it reads the table (tg_op_info_of), records
 * through tg_apply, and keeps a step only if tg_apply accepts it and it stays in range. */
typedef struct gg_step {
    tg_op op;
    int n_args;           /* operands (sum: n, dot: 2n, w then x) */
    int arg[GG_MAX_ARGS]; /* indices of earlier steps */
    double c;             /* a leaf's value */
} gg_step;

typedef struct gg_graph {
    int n_steps;
    int n_inputs; /* steps 0 .. n_inputs-1 are the inputs */
    int out;      /* the step differentiated */
    gg_step step[GG_MAX_NODES];
} gg_graph;

/* splitmix64 (as bench/WORKLOADS.md): all arithmetic modulo 2^64. */
static inline uint64_t gg_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static inline double gg_unit(uint64_t *s)
{
    return (double)(gg_next(s) >> 11) * 0x1.0p-53;
}
static inline int gg_below(uint64_t *s, int n)
{
    return (int)(gg_next(s) % (uint64_t)n);
}

/* Records step st on t, given the nodes of the earlier steps. */
static inline tg_var gg_record(tg_tape *t, const gg_step *st, const tg_var *node)
{
    if (st->op == TG_OP_INPUT)
        return tg_input(t, st->c);
    if (st->op == TG_OP_CONST)
        return tg_const(t, st->c);
    tg_var xs[GG_MAX_ARGS];
    for (int k = 0; k < st->n_args; k++)
        xs[k] = node[st->arg[k]];
    return tg_apply(t, st->op, (size_t)st->n_args, xs);
}

/* Records the whole graph; node[k] receives step k's node. Returns the output node. */
static inline tg_var gg_build(tg_tape *t, const gg_graph *g, tg_var *node)
{
    for (int k = 0; k < g->n_steps; k++)
        node[k] = gg_record(t, &g->step[k], node);
    return node[g->out];
}

/* Is node y (recorded from a step) inside the range the generator keeps to: a moderate
 * finite value, and finite, moderate local derivatives, which keeps steps away from poles
 * (1/x near 0), branch points (sqrt, asin near 1) and overflow, for every op alike? Kinks
 * (relu, abs, min, a comparison) are allowed: the finite-difference checks detect them. */
static inline int gg_in_range(const tg_tape *t, tg_var y)
{
    if (!isfinite(tg_value(t, y)) || fabs(tg_value(t, y)) > 1e4)
        return 0;
    for (size_t k = 0; k < tg_n_args(t, y); k++) {
        const double d = tg_local_grad(t, y, k);
        if (!isfinite(d) || fabs(d) > 20.0)
            return 0;
    }
    return 1;
}

/* Which ops a graph may use (NULL: all but the leaves). */
typedef int (*gg_filter)(tg_op op);

/* A random graph: 1-4 inputs, then n_ops steps of ops drawn from the table. Operands are
 * mostly recent nodes (deep chains), sometimes any earlier node (shared subexpressions,
 * fan-out), sometimes a fresh constant (so pow gets constant exponents, add a number on one
 * side); an n-ary op gets 1-6 of them. A step that tg_apply refuses or that leaves the range
 * (gg_in_range) is drawn again. The output sums the last few nodes, so that several paths
 * reach it. Values are evaluated on scratch tape t (cleared). */
static inline void gg_generate_some(gg_graph *g, uint64_t seed, int n_ops, tg_tape *t,
                                    gg_filter allowed)
{
    static const double constants[] = {2.0, 3.0, 0.5, -1.0, 1.5, -0.5, 0.25, -2.0};
    uint64_t s = seed;
    tg_var node[GG_MAX_NODES];
    tg_tape_clear(t);
    tg_tape_clear_error(t);
    memset(g, 0, sizeof *g);
    g->n_inputs = 1 + gg_below(&s, 4);
    for (int k = 0; k < g->n_inputs; k++) {
        gg_step *st = &g->step[k];
        st->op = TG_OP_INPUT;
        st->c = 4.0 * gg_unit(&s) - 2.0;
        node[k] = gg_record(t, st, node);
    }
    int n = g->n_inputs;
    if (n_ops > GG_MAX_NODES - n - 1)
        n_ops = GG_MAX_NODES - n - 1;
    while (n < g->n_inputs + n_ops) {
        gg_step st = {0};
        st.op = (tg_op)gg_below(&s, TG_N_OPS);
        const tg_op_info *info = tg_op_info_of(st.op);
        if (st.op == TG_OP_INPUT || (info->n_args == 0 && st.op != TG_OP_CONST) ||
            (allowed && st.op != TG_OP_CONST && !allowed(st.op)))
            continue;
        if (st.op == TG_OP_CONST) { /* a constant node others may share */
            st.c = 0.25 * gg_below(&s, 9) - 1.0;
            g->step[n] = st;
            node[n] = gg_record(t, &st, node);
            n++;
            continue;
        }
        st.n_args = info->n_args == TG_NARY ? 1 + gg_below(&s, 6) : info->n_args;
        const tg_mark m = tg_tape_mark(t);
        const int n_before = n;
        for (int k = 0; k < st.n_args; k++) {
            if (gg_below(&s, 4) == 0 && n + 1 < GG_MAX_NODES - 1) { /* a fresh constant */
                gg_step c = {.op = TG_OP_CONST, .c = constants[gg_below(&s, 8)]};
                g->step[n] = c;
                node[n] = gg_record(t, &c, node);
                st.arg[k] = n++;
            } else {
                st.arg[k] = gg_below(&s, 3) ? n - 1 - gg_below(&s, n < 3 ? n : 3) : gg_below(&s, n);
            }
        }
        tg_var y = gg_record(t, &st, node);
        if (!tg_var_ok(y) || !gg_in_range(t, y) || n + 1 >= GG_MAX_NODES) {
            tg_tape_rewind(t, m);
            tg_tape_clear_error(t); /* tg_apply's refusal (powc without a constant exponent) */
            n = n_before;
            continue;
        }
        g->step[n] = st;
        node[n] = y;
        n++;
    }
    /* out = sum of the last (up to) three nodes */
    gg_step *st = &g->step[n];
    st->op = TG_OP_SUM;
    st->n_args = n - g->n_inputs < 3 ? 1 : 3;
    for (int k = 0; k < st->n_args; k++)
        st->arg[k] = n - 1 - k;
    g->out = n;
    g->n_steps = n + 1;
}

static inline void gg_generate(gg_graph *g, uint64_t seed, int n_ops, tg_tape *t)
{
    gg_generate_some(g, seed, n_ops, t, NULL);
}

/* A signature of the branches each op node takes at the values now on t (node[] from
 * gg_build): the signs of its first three operands and of their first difference. Where an
 * op has a kink, a jump or a branch (relu, abs, min, max, a comparison, where), one of these
 * changes sign there; comparing signatures tells a finite difference that it straddles one. */
static inline void gg_branches(const tg_tape *t, const gg_graph *g, const tg_var *node,
                               unsigned *sig)
{
    for (int k = 0; k < g->n_steps; k++) {
        const gg_step *st = &g->step[k];
        unsigned code = 0;
        for (int j = 0; j < st->n_args && j < 3; j++) {
            const double v = tg_value(t, node[st->arg[j]]);
            code = code * 3 + (unsigned)((v > 0) - (v < 0) + 1);
        }
        if (st->n_args >= 2) {
            const double d = tg_value(t, node[st->arg[0]]) - tg_value(t, node[st->arg[1]]);
            code = code * 3 + (unsigned)((d > 0) - (d < 0) + 1);
        }
        sig[k] = code;
    }
}

/* The name a printout gives a step: the op's identifier. */
static inline const char *gg_step_name(const gg_step *st)
{
    return tg_op_name(st->op);
}

/* Writes the steps out's value depends on, as a program one can rebuild by hand. */
static inline void gg_print(const gg_graph *g, FILE *f)
{
    char need[GG_MAX_NODES] = {0};
    need[g->out] = 1;
    for (int k = g->out; k >= 0; k--)
        if (need[k])
            for (int j = 0; j < g->step[k].n_args; j++)
                need[g->step[k].arg[j]] = 1;
    for (int k = 0; k < g->n_steps; k++) {
        const gg_step *st = &g->step[k];
        if (!need[k] && st->op != TG_OP_INPUT)
            continue;
        fprintf(f, "  n%d = %s(", k, gg_step_name(st));
        for (int j = 0; j < st->n_args; j++)
            fprintf(f, "%sn%d", j ? ", " : "", st->arg[j]);
        if (st->op == TG_OP_INPUT || st->op == TG_OP_CONST)
            fprintf(f, "%.17g", st->c);
        fprintf(f, ")%s\n", k == g->out ? "   <- out" : "");
    }
}

/* Can gg_program write op: a function of the language (name), or an operator (symbol)? */
static inline int gg_writable(tg_op op)
{
    const tg_op_info *info = tg_op_info_of(op);
    return info->name != NULL || info->symbol != NULL;
}

/* Writes g as a program of the expression language (cli spec) from the rows: one statement
 * "nK = ..." per step after the inputs n0..n{n_inputs-1}, a function call for an op with a
 * name, "nA sym nB" or "sym nA" for an operator, "(c)" with 17 digits for a constant, and the
 * output's final sum as a chain of +. Every operand is a name, so no precedence is needed.
 * The graph must use only gg_writable ops that the parser knows (a filter for
 * gg_generate_some). Returns the length, or 0 if buf (of size cap) is too small. */
static inline size_t gg_program(const gg_graph *g, char *buf, size_t cap)
{
    size_t len = 0;
    for (int k = g->n_inputs; k < g->n_steps; k++) {
        const gg_step *st = &g->step[k];
        const tg_op_info *info = tg_op_info_of(st->op);
        char e[64 * GG_MAX_ARGS];
        int w = 0;
        if (st->op == TG_OP_CONST) {
            w = snprintf(e, sizeof e, "(%.17g)", st->c);
        } else if (info->name) {
            w = snprintf(e, sizeof e, "%s(", info->name);
            for (int j = 0; j < st->n_args; j++)
                w += snprintf(e + w, sizeof e - (size_t)w, "%sn%d", j ? ", " : "", st->arg[j]);
            w += snprintf(e + w, sizeof e - (size_t)w, ")");
        } else if (info->symbol && st->n_args == 1) {
            w = snprintf(e, sizeof e, "%sn%d", info->symbol, st->arg[0]);
        } else if (info->symbol) {
            w = snprintf(e, sizeof e, "n%d %s n%d", st->arg[0], info->symbol, st->arg[1]);
        } else { /* the output's sum */
            for (int j = 0; j < st->n_args; j++)
                w += snprintf(e + w, sizeof e - (size_t)w, "%sn%d", j ? " + " : "", st->arg[j]);
        }
        const int m = snprintf(buf + len, cap - len, "n%d = %s\n", k, e);
        if (w < 0 || m < 0 || (size_t)m >= cap - len)
            return 0;
        len += (size_t)m;
    }
    return len;
}

#endif /* GRAPHGEN_H */
