/* fuzz_graph.c: libFuzzer target that builds a random graph from the fuzzer's bytes (any op of
 * the table through tg_apply, operands, inputs and values chosen by bytes, NaN, infinities and huge numbers included, invalid variables,
 * names, origins, rewinds, small capacities) and checks the tape's invariants: no crash, status
 * consistent with results, replay = recording, backward = backward_accumulate, anomaly mode
 * stops exactly at the first NaN/inf, and d out / d x equals a central difference where the
 * graph is smooth. The parser's target is fuzz_parse (the cli's); built with -Dfuzz=true. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_graph: invariant failed at line %d: %s\n", __LINE__, #cond);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_STEPS 200
#define MAX_NODES 2048

typedef struct reader {
    const uint8_t *p;
    size_t n, i;
} reader;

static unsigned rd_u8(reader *r)
{
    return r->i < r->n ? r->p[r->i++] : 0u;
}

/* Values the ops find interesting, then (byte >= 0xE0) eight raw bytes as a double. */
static const double special[] = {0.0,    -0.0,     1.0,       -1.0,  0.5,
                                 2.0,    -2.5,     0.375,     3.0,   1e-3,
                                 1e3,    1e-300,   1e300,     1e308, -1e308,
                                 5e-324, INFINITY, -INFINITY, NAN,   709.0,
                                 710.0,  -745.0,   0.7,       -0.3,  1.5707963267948966,
                                 100.0};
#define N_SPECIAL (sizeof special / sizeof special[0])

static double rd_value(reader *r)
{
    unsigned b = rd_u8(r);
    if (b < 0xE0)
        return special[b % N_SPECIAL];
    double v = 0.0;
    uint8_t raw[8] = {0};
    for (int k = 0; k < 8; k++)
        raw[k] = (uint8_t)rd_u8(r);
    memcpy(&v, raw, sizeof v);
    return v;
}

/* An operand: mostly a recent node (deep chains), sometimes any node, rarely an invalid one. */
static tg_var pick(reader *r, const tg_tape *t)
{
    unsigned b = rd_u8(r);
    size_t n = tg_tape_size(t);
    tg_var v = {(uint32_t)(n + 3)};
    if (b == 0xFF || n == 0)
        return v; /* not on the tape */
    v.id = (uint32_t)(b < 0x80 ? n - 1 - (b % (n < 8 ? n : 8)) : (b % n));
    return v;
}

/* What a build did that limits which invariants can be compared between two builds. */
typedef struct build_info {
    int rewound, set_values;
} build_info;

static int same_bits(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, 8) == 0;
}

/* Checks the result v of one recording call that appended `added` nodes when it succeeded. */
static void check_recorded(const tg_tape *t, tg_var v, size_t before, int any_bad)
{
    if (tg_var_ok(v)) {
        CHECK(!any_bad);
        CHECK(tg_tape_size(t) > before);
        CHECK(v.id == tg_tape_size(t) - 1);
    } else {
        CHECK(tg_tape_status(t) != TG_OK);
    }
}

/* Records a graph on t from the bytes; same bytes, same calls. */
static void build(tg_tape *t, reader *r, build_info *info)
{
    const unsigned n_leaves = 1 + rd_u8(r) % 4;
    for (unsigned k = 0; k < n_leaves; k++) {
        const size_t before = tg_tape_size(t);
        check_recorded(t, tg_input(t, rd_value(r)), before, 0);
    }
    char text[24];
    for (int step = 0; step < MAX_STEPS && r->i < r->n; step++) {
        if (tg_tape_status(t) == TG_ERR_NONFINITE)
            break; /* anomaly mode stopped recording: a caller would stop here too */
        const size_t before = tg_tape_size(t);
        const unsigned kind = rd_u8(r) % 28;
        tg_var v = tg_var_invalid();
        if (kind < 23) { /* any op of the table, through tg_apply, on picked operands */
            const tg_op op = (tg_op)(rd_u8(r) % TG_N_OPS);
            const tg_op_info *info = tg_op_info_of(op);
            const unsigned flags = rd_u8(r);
            /* n-ary ops get 0-16 operands (dot: an even number, or tg_apply refuses) */
            const unsigned n = info->n_args == TG_NARY ? rd_u8(r) % 17 : (unsigned)info->n_args;
            tg_var xs[16];
            int bad = 0;
            for (unsigned k = 0; k < n; k++) {
                /* flags bit 0: the last operand is a fresh constant (pow's constant exponent) */
                if (k + 1 == n && (flags & 1)) {
                    xs[k] = tg_const(t, rd_value(r));
                    if (!tg_var_ok(xs[k]))
                        bad = 1;
                } else {
                    xs[k] = pick(r, t);
                    bad |= xs[k].id >= before;
                }
            }
            const size_t before_op = tg_tape_size(t);
            v = tg_apply(t, op, n, xs);
            /* a refusal (a leaf op, powc without a constant, an odd dot) is an error on the
             * tape; an accepted op with valid operands appends exactly one node */
            if (tg_var_ok(v)) {
                CHECK(!bad && info->n_args != 0);
                CHECK(tg_tape_size(t) == before_op + 1 && v.id == before_op);
                if (info->n_args == TG_NARY && n == 0)
                    CHECK(tg_value(t, v) == 0.0);
            } else {
                CHECK(tg_tape_status(t) != TG_OK);
                CHECK(tg_tape_size(t) == before_op);
            }
        } else if (kind == 23) {
            const unsigned b = rd_u8(r);
            v = (b & 1) ? tg_input(t, rd_value(r)) : tg_const(t, rd_value(r));
            check_recorded(t, v, before, 0);
        } else if (kind == 24 || kind == 25) { /* a name or an origin from the bytes */
            tg_var a = pick(r, t);
            const unsigned len = rd_u8(r) % (sizeof text);
            for (unsigned k = 0; k < len; k++)
                text[k] = (char)(1 + rd_u8(r) % 255);
            text[len] = '\0';
            if (kind == 24) {
                tg_status s = tg_set_name(t, a, len ? text : NULL);
                CHECK((s == TG_OK) == (a.id < before));
                if (s == TG_OK && len)
                    CHECK(strcmp(tg_name(t, a), text) == 0);
                if (s == TG_OK && !len)
                    CHECK(tg_name(t, a) == NULL);
            } else {
                tg_origin o;
                tg_status s = tg_set_origin(t, a, 1 + len, 2 + len, text);
                CHECK((s == TG_OK) == (a.id < before));
                if (s == TG_OK)
                    CHECK(tg_get_origin(t, a, &o) && o.line == 1 + len &&
                          strcmp(o.text, text) == 0);
            }
        } else if (kind == 26) { /* rewind to a mark a few nodes back */
            tg_mark m = tg_tape_mark(t);
            const unsigned back = rd_u8(r) % 4;
            if (back < m.n_nodes && back > 0) {
                tg_mark m2 = {m.n_nodes - back, m.n_args};
                /* a mark taken earlier never has more argument slots than now */
                CHECK(tg_tape_rewind(t, m2) == TG_OK);
                CHECK(tg_tape_size(t) == m.n_nodes - back);
                tg_var gone = {m.n_nodes - 1};
                CHECK(!isfinite(tg_value(t, gone)) && isnan(tg_value(t, gone)));
                info->rewound = 1;
            }
            tg_mark beyond = {m.n_nodes + 1, m.n_args};
            CHECK(tg_tape_rewind(t, beyond) == TG_ERR_ARG);
        } else { /* set a leaf's value and replay */
            tg_var a = pick(r, t);
            const double x = rd_value(r);
            tg_status s = tg_set_value(t, a, x);
            if (a.id >= before)
                CHECK(s == TG_ERR_BADVAR);
            else if (tg_op_of(t, a) == TG_OP_INPUT || tg_op_of(t, a) == TG_OP_CONST)
                CHECK(s == TG_OK && same_bits(tg_value(t, a), x));
            else
                CHECK(s == TG_ERR_NOTLEAF);
            tg_tape_replay(t);
            info->set_values = 1;
        }
        CHECK(tg_tape_size(t) <= MAX_NODES);
    }
}

static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Prints the tape, one node a line, to reproduce a failure by hand. */
static void dump_graph(const tg_tape *t)
{
    for (size_t i = 0; i < tg_tape_size(t); i++) {
        tg_var v = {(uint32_t)i};
        fprintf(stderr, "  n%zu = %s(", i,
                tg_op_name(tg_op_of(t, v))      ? tg_op_name(tg_op_of(t, v))
                : tg_op_of(t, v) == TG_OP_INPUT ? "input"
                                                : "const");
        for (size_t k = 0; k < tg_n_args(t, v); k++)
            fprintf(stderr, "%sn%u", k ? ", " : "", (unsigned)tg_arg(t, v, k).id);
        fprintf(stderr, ") = %.17g  grad %.17g\n", tg_value(t, v), tg_grad(t, v));
    }
}

/* f(x) by replay, NAN when it is not a moderate number or when a node's sign differs from
 * sign[] (which the first call, with record set, fills): a node crossing zero within the
 * window may be a kink (relu, abs), a pole (1/x) or a branch (sqrt), which finite differences
 * cannot see through. */
static double replay_at(tg_tape *t, tg_var x, double xv, tg_var out, signed char *sign, int record)
{
    tg_set_value(t, x, xv);
    tg_tape_replay(t);
    int crossed = 0;
    for (size_t i = 0; i < tg_tape_size(t); i++) {
        const double v = tg_value(t, (tg_var){(uint32_t)i});
        const signed char sg = (signed char)((v > 0) - (v < 0));
        if (record)
            sign[i] = sg;
        else if (sg != sign[i])
            crossed = 1;
    }
    const double f = tg_value(t, out);
    return (!crossed && isfinite(f) && fabs(f) < 1e6) ? f : NAN;
}

/* d out / d x against a central difference where the graph looks smooth around x: the
 * one-sided differences agree (no kink, jump or pole within h) and so do the central ones at h
 * and h/2 (no feature narrower than h that an odd function would hide). Replays and restores
 * t. */
static void check_finite_difference(tg_tape *t, tg_var x, tg_var out, double g)
{
    const double x0 = tg_value(t, x);
    if (!isfinite(g) || fabs(g) > 1e6)
        return;
    for (size_t i = 0; i < tg_tape_size(t); i++)
        if (fabs(tg_value(t, (tg_var){(uint32_t)i})) > 1e6 ||
            fabs(tg_grad(t, (tg_var){(uint32_t)i})) > 1e6)
            return; /* x +- h may vanish below the rounding of a huge intermediate value, or a
                     * huge gradient meet a value rounded to 1 (exp(1e-24) == 1 exactly): the
                     * difference then sees a flatter function than the derivative's */
    const double h = 1e-5 * (1.0 + fabs(x0));
    static signed char sign[MAX_NODES];
    const double f0 = replay_at(t, x, x0, out, sign, 1);
    const double fp = replay_at(t, x, x0 + h, out, sign, 0);
    const double fm = replay_at(t, x, x0 - h, out, sign, 0);
    const double fp2 = replay_at(t, x, x0 + h / 2, out, sign, 0);
    const double fm2 = replay_at(t, x, x0 - h / 2, out, sign, 0);
    replay_at(t, x, x0, out, sign, 1);
    const double right = (fp - f0) / h, left = (f0 - fm) / h, central = (fp - fm) / (2 * h);
    const double central2 = (fp2 - fm2) / h, tol = 1e-4 * (1.0 + fabs(central));
    if (isnan(right) || isnan(left) || isnan(central2) || fabs(right - left) > tol ||
        fabs(central - central2) > tol)
        return; /* a kink, a pole, a jump or a feature narrower than h: no verdict */
    if (fabs(central - g) > 1e-3 * (1.0 + fabs(g))) {
        fprintf(stderr, "fuzz_graph: d out/d x = %.17g at x = %.17g, differences %.17g %.17g\n", g,
                x0, left, right);
        dump_graph(t);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static double values[MAX_NODES], grads[MAX_NODES];
    reader r = {data, size, 0};
    const unsigned flags = rd_u8(&r);
    tg_tape *t = tg_tape_new();
    CHECK(t != NULL);
    const size_t capacity = (flags & 1) ? 1 + rd_u8(&r) % 64 : 0;
    if (capacity)
        CHECK(tg_tape_set_capacity(t, capacity) == TG_OK);
    CHECK(tg_tape_set_capacity(t, 0) == TG_ERR_ARG);
    tg_tape_clear_error(t);
    const size_t body = r.i;
    build_info info = {0, 0};
    build(t, &r, &info);
    const size_t n = tg_tape_size(t);
    const tg_status built = tg_tape_status(t);
    CHECK(n <= MAX_NODES);

    /* Anomaly mode while recording stops at the first NaN/inf, which must be the first
     * non-finite value of the unchecked recording. Compared when nothing else went wrong and
     * the graph was only appended to. */
    if (built == TG_OK && !info.rewound && !info.set_values) {
        size_t first_bad = n;
        for (size_t i = 0; i < n && first_bad == n; i++)
            if (!isfinite(tg_value(t, (tg_var){(uint32_t)i})))
                first_bad = i;
        tg_tape *c = tg_tape_new();
        CHECK(c != NULL);
        if (capacity)
            CHECK(tg_tape_set_capacity(c, capacity) == TG_OK);
        tg_tape_set_anomaly(c, 1);
        reader r2 = {data, size, body};
        build_info info2 = {0, 0};
        build(c, &r2, &info2);
        if (first_bad == n) {
            CHECK(tg_tape_status(c) == TG_OK && tg_tape_size(c) == n);
        } else {
            CHECK(tg_tape_status(c) == TG_ERR_NONFINITE);
            CHECK(tg_tape_size(c) == first_bad + 1);
            CHECK(strstr(tg_tape_errmsg(c), "anomaly") != NULL);
        }
        tg_tape_free(c);
    }

    if (n > 0) {
        tg_var out = {(uint32_t)(n - 1)};
        /* replay reproduces the recorded values bit for bit */
        for (size_t i = 0; i < n; i++)
            values[i] = tg_value(t, (tg_var){(uint32_t)i});
        tg_tape_replay(t);
        for (size_t i = 0; i < n; i++)
            CHECK(same_bits(values[i], tg_value(t, (tg_var){(uint32_t)i})));

        CHECK(tg_backward(t, out) == TG_OK);
        CHECK(tg_grad(t, out) == 1.0);
        for (size_t i = 0; i < n; i++)
            grads[i] = tg_grad(t, (tg_var){(uint32_t)i});
        CHECK(tg_backward(t, out) == TG_OK);
        for (size_t i = 0; i < n; i++)
            CHECK(same_bits(grads[i], tg_grad(t, (tg_var){(uint32_t)i})));
        /* accumulate after zero_grad = backward; a second one adds the same contributions
         * to the inputs (in an order that rounds differently) and recomputes the rest */
        tg_zero_grad(t);
        CHECK(tg_backward_accumulate(t, out) == TG_OK);
        for (size_t i = 0; i < n; i++)
            CHECK(same_bits(grads[i], tg_grad(t, (tg_var){(uint32_t)i})));
        CHECK(tg_backward_accumulate(t, out) == TG_OK);
        for (size_t i = 0; i < n; i++) {
            tg_var v = {(uint32_t)i};
            if (!tg_is_input(t, v))
                CHECK(same_bits(grads[i], tg_grad(t, v)));
            else if (isnan(grads[i]))
                CHECK(isnan(tg_grad(t, v)));
        }

        /* The checked sweep fails exactly when the unchecked one leaves a NaN or inf, and
         * otherwise gives the same gradients. */
        tg_tape_clear_error(t);
        tg_tape_set_anomaly(t, 1);
        tg_status s = tg_backward(t, out);
        if (all_finite(grads, n)) {
            CHECK(s == TG_OK);
            for (size_t i = 0; i < n; i++)
                CHECK(same_bits(grads[i], tg_grad(t, (tg_var){(uint32_t)i})));
        } else {
            CHECK(s == TG_ERR_NONFINITE && tg_tape_status(t) == TG_ERR_NONFINITE);
        }
        tg_tape_clear_error(t);
        tg_tape_replay(t);
        CHECK((tg_tape_status(t) == TG_OK) == all_finite(values, n));
        tg_tape_set_anomaly(t, 0);
        tg_tape_clear_error(t);

        if (all_finite(values, n)) {
            CHECK(tg_backward(t, out) == TG_OK);
            tg_var x = {0}; /* the first leaf is always an input */
            check_finite_difference(t, x, out, tg_grad(t, x));
        }
    }
    tg_tape_clear(t);
    CHECK(tg_tape_size(t) == 0);
    tg_tape_free(t);
    return 0;
}
