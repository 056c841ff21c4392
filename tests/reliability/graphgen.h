/* graphgen.h: a seeded generator of random scalar graphs for the property and thread tests.
 * A graph is a small program (leaves, then ops over earlier nodes, every op of the op table,
 * shared subexpressions, fan-out, n-ary sum and dot) whose operands are chosen so that every
 * value stays finite and moderate; it can be recorded on any tape and printed to reproduce a
 * failure by hand. Header-only (static functions) so each test links it privately. */
#ifndef GRAPHGEN_H
#define GRAPHGEN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tapegrad.h"

#define GG_MAX_NODES 96
#define GG_MAX_ARGS 8

/* Kinds of steps: the public constructors, one per op of the table, plus leaves and the
 * helpers with a plain number on one side. */
enum gg_kind {
    GG_INPUT,
    GG_CONST,
    GG_ADD,
    GG_SUB,
    GG_MUL,
    GG_DIV,
    GG_POW,
    GG_NEG,
    GG_EXP,
    GG_LOG,
    GG_SQRT,
    GG_SIN,
    GG_COS,
    GG_TAN,
    GG_TANH,
    GG_SIGMOID,
    GG_RELU,
    GG_ABS,
    GG_ADDC,
    GG_MULC,
    GG_POWC,
    GG_RSUBC,
    GG_RDIVC,
    GG_SUM,
    GG_DOT,
    GG_N_KINDS
};

static const char *const gg_kind_name[GG_N_KINDS] = {
    "input", "const", "add",  "sub",   "mul",   "div",  "pow",     "neg",  "exp",
    "log",   "sqrt",  "sin",  "cos",   "tan",   "tanh", "sigmoid", "relu", "abs",
    "addc",  "mulc",  "powc", "rsubc", "rdivc", "sum",  "dot"};

typedef struct gg_step {
    int kind;
    int n_args;           /* operands (sum: n, dot: 2n, w then x) */
    int arg[GG_MAX_ARGS]; /* indices of earlier steps */
    double c;             /* leaf value or the plain number */
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

/* Records step k of g on t, given the nodes of the earlier steps. */
static inline tg_var gg_record(tg_tape *t, const gg_step *st, const tg_var *node)
{
    tg_var a = st->n_args > 0 ? node[st->arg[0]] : tg_var_invalid();
    tg_var b = st->n_args > 1 ? node[st->arg[1]] : tg_var_invalid();
    tg_var xs[GG_MAX_ARGS];
    for (int k = 0; k < st->n_args; k++)
        xs[k] = node[st->arg[k]];
    switch (st->kind) {
    case GG_INPUT:
        return tg_input(t, st->c);
    case GG_CONST:
        return tg_const(t, st->c);
    case GG_ADD:
        return tg_add(t, a, b);
    case GG_SUB:
        return tg_sub(t, a, b);
    case GG_MUL:
        return tg_mul(t, a, b);
    case GG_DIV:
        return tg_div(t, a, b);
    case GG_POW:
        return tg_pow(t, a, b);
    case GG_NEG:
        return tg_neg(t, a);
    case GG_EXP:
        return tg_exp(t, a);
    case GG_LOG:
        return tg_log(t, a);
    case GG_SQRT:
        return tg_sqrt(t, a);
    case GG_SIN:
        return tg_sin(t, a);
    case GG_COS:
        return tg_cos(t, a);
    case GG_TAN:
        return tg_tan(t, a);
    case GG_TANH:
        return tg_tanh(t, a);
    case GG_SIGMOID:
        return tg_sigmoid(t, a);
    case GG_RELU:
        return tg_relu(t, a);
    case GG_ABS:
        return tg_abs(t, a);
    case GG_ADDC:
        return tg_addc(t, a, st->c);
    case GG_MULC:
        return tg_mulc(t, a, st->c);
    case GG_POWC:
        return tg_powc(t, a, st->c);
    case GG_RSUBC:
        return tg_rsubc(t, st->c, a);
    case GG_RDIVC:
        return tg_rdivc(t, st->c, a);
    case GG_SUM:
        return tg_sum(t, (size_t)st->n_args, xs);
    case GG_DOT:
        return tg_dot(t, (size_t)st->n_args / 2, xs, xs + st->n_args / 2);
    default:
        return tg_var_invalid();
    }
}

/* Records the whole graph; node[k] receives step k's node. Returns the output node. */
static inline tg_var gg_build(tg_tape *t, const gg_graph *g, tg_var *node)
{
    for (int k = 0; k < g->n_steps; k++)
        node[k] = gg_record(t, &g->step[k], node);
    return node[g->out];
}

/* Is step st, with operand values v[], inside the domain the generator keeps to: finite,
 * moderate, and away from poles and branch points (kinks of relu/abs are allowed: the
 * finite-difference check detects them)? */
static inline int gg_domain_ok(const gg_step *st, const double *v, double y)
{
    const double a = st->n_args > 0 ? v[st->arg[0]] : 0.0;
    const double b = st->n_args > 1 ? v[st->arg[1]] : 0.0;
    if (!isfinite(y) || fabs(y) > 1e4)
        return 0;
    switch (st->kind) {
    case GG_DIV:
        return fabs(b) > 0.2;
    case GG_POW:
        return a > 0.2 && fabs(b) < 3.0;
    case GG_LOG:
    case GG_SQRT:
        return a > 0.05;
    case GG_EXP:
        return a < 6.0;
    case GG_TAN:
        return fabs(cos(a)) > 0.3;
    case GG_POWC:
        return st->c == floor(st->c) ? (st->c >= 0 || fabs(a) > 0.2) : a > 0.2;
    case GG_RDIVC:
        return fabs(a) > 0.2;
    default:
        return 1;
    }
}

/* A random graph: 1-4 inputs, then n_ops steps. Operands are mostly recent nodes (deep
 * chains) and sometimes any earlier node (shared subexpressions, fan-out); a step whose
 * values would leave the domain is drawn again. The output sums the last few nodes, so that
 * several paths reach it. Values are evaluated on scratch tape t (cleared). */
static inline void gg_generate(gg_graph *g, uint64_t seed, int n_ops, tg_tape *t)
{
    static const double powers[] = {2.0, 3.0, 0.5, -1.0, 1.5, -0.5};
    uint64_t s = seed;
    tg_var node[GG_MAX_NODES];
    double v[GG_MAX_NODES];
    tg_tape_clear(t);
    tg_tape_clear_error(t);
    memset(g, 0, sizeof *g);
    g->n_inputs = 1 + gg_below(&s, 4);
    for (int k = 0; k < g->n_inputs; k++) {
        gg_step *st = &g->step[k];
        st->kind = GG_INPUT;
        st->c = 4.0 * gg_unit(&s) - 2.0;
        node[k] = gg_record(t, st, node);
        v[k] = st->c;
    }
    int n = g->n_inputs;
    if (n_ops > GG_MAX_NODES - n - 1)
        n_ops = GG_MAX_NODES - n - 1;
    while (n < g->n_inputs + n_ops) {
        gg_step st = {0};
        st.kind = 1 + gg_below(&s, GG_N_KINDS - 1); /* anything but an input */
        int arity = 1;
        if (st.kind == GG_CONST)
            arity = 0;
        else if (st.kind >= GG_ADD && st.kind <= GG_POW)
            arity = 2;
        else if (st.kind == GG_SUM)
            arity = 1 + gg_below(&s, 5);
        else if (st.kind == GG_DOT)
            arity = 2 * (1 + gg_below(&s, 3));
        st.n_args = arity;
        for (int k = 0; k < arity; k++)
            st.arg[k] = gg_below(&s, 3) ? n - 1 - gg_below(&s, n < 3 ? n : 3) : gg_below(&s, n);
        st.c = st.kind == GG_POWC ? powers[gg_below(&s, 6)] : 4.0 * gg_unit(&s) - 2.0;
        if (st.kind == GG_CONST)
            st.c = 0.25 * gg_below(&s, 9) - 1.0;
        const tg_mark m = tg_tape_mark(t);
        tg_var y = gg_record(t, &st, node);
        if (!tg_var_ok(y) || !gg_domain_ok(&st, v, tg_value(t, y))) {
            tg_tape_rewind(t, m);
            continue;
        }
        g->step[n] = st;
        node[n] = y;
        v[n] = tg_value(t, y);
        n++;
    }
    /* out = sum of the last (up to) three nodes */
    gg_step *st = &g->step[n];
    st->kind = GG_SUM;
    st->n_args = n - g->n_inputs < 3 ? 1 : 3;
    for (int k = 0; k < st->n_args; k++)
        st->arg[k] = n - 1 - k;
    g->out = n;
    g->n_steps = n + 1;
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
        if (!need[k] && st->kind != GG_INPUT)
            continue;
        fprintf(f, "  n%d = %s(", k, gg_kind_name[st->kind]);
        for (int j = 0; j < st->n_args; j++)
            fprintf(f, "%sn%d", j ? ", " : "", st->arg[j]);
        if (st->kind == GG_INPUT || st->kind == GG_CONST ||
            (st->kind >= GG_ADDC && st->kind <= GG_RDIVC))
            fprintf(f, "%s%.17g", st->n_args ? ", " : "", st->c);
        fprintf(f, ")%s\n", k == g->out ? "   <- out" : "");
    }
}

/* Writes g as a program of the expression language (cli spec): one statement "nK = ..." per
 * step after the inputs n0..n{n_inputs-1}, ending with the output's. Plain numbers are written
 * with 17 digits in parentheses, so they read back to the same double. Returns the length, or
 * 0 if buf (of size cap) is too small. */
static inline size_t gg_program(const gg_graph *g, char *buf, size_t cap)
{
    size_t len = 0;
    for (int k = g->n_inputs; k < g->n_steps; k++) {
        const gg_step *st = &g->step[k];
        const int a = st->arg[0], b = st->arg[1], n = st->n_args;
        char e[64 * GG_MAX_ARGS];
        int w = 0;
        switch (st->kind) {
        case GG_CONST:
            w = snprintf(e, sizeof e, "(%.17g)", st->c);
            break;
        case GG_ADD:
            w = snprintf(e, sizeof e, "n%d + n%d", a, b);
            break;
        case GG_SUB:
            w = snprintf(e, sizeof e, "n%d - n%d", a, b);
            break;
        case GG_MUL:
            w = snprintf(e, sizeof e, "n%d * n%d", a, b);
            break;
        case GG_DIV:
            w = snprintf(e, sizeof e, "n%d / n%d", a, b);
            break;
        case GG_POW:
            w = snprintf(e, sizeof e, "pow(n%d, n%d)", a, b);
            break;
        case GG_NEG:
            w = snprintf(e, sizeof e, "-n%d", a);
            break;
        case GG_ADDC:
            w = snprintf(e, sizeof e, "n%d + (%.17g)", a, st->c);
            break;
        case GG_MULC:
            w = snprintf(e, sizeof e, "n%d * (%.17g)", a, st->c);
            break;
        case GG_POWC:
            w = snprintf(e, sizeof e, "n%d ^ (%.17g)", a, st->c);
            break;
        case GG_RSUBC:
            w = snprintf(e, sizeof e, "(%.17g) - n%d", st->c, a);
            break;
        case GG_RDIVC:
            w = snprintf(e, sizeof e, "(%.17g) / n%d", st->c, a);
            break;
        case GG_SUM:
        case GG_DOT:
            for (int j = 0; j < (st->kind == GG_SUM ? n : n / 2); j++) {
                if (st->kind == GG_SUM)
                    w += snprintf(e + w, sizeof e - (size_t)w, "%sn%d", j ? " + " : "", st->arg[j]);
                else
                    w += snprintf(e + w, sizeof e - (size_t)w, "%sn%d*n%d", j ? " + " : "",
                                  st->arg[j], st->arg[n / 2 + j]);
            }
            break;
        default: /* the functions of one argument */
            w = snprintf(e, sizeof e, "%s(n%d)", gg_kind_name[st->kind], a);
            break;
        }
        const int m = snprintf(buf + len, cap - len, "n%d = %s\n", k, e);
        if (w < 0 || m < 0 || (size_t)m >= cap - len)
            return 0;
        len += (size_t)m;
    }
    return len;
}

#endif /* GRAPHGEN_H */
