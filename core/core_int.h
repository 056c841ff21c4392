/* core_int.h: the tape's layout, shared by the files of core/ and ops/. Never installed.
 * Nodes are stored as a struct of arrays: value[i], grad[i] and a 64-bit code[i] that packs
 * the op and its two operands, 24 bytes a node. N-ary nodes keep their inputs in args[]. */
#ifndef TG_CORE_INT_H
#define TG_CORE_INT_H

#include <stdint.h>
#include <string.h>

#include "tg_core.h"
#include "tg_ops.h"

#if defined(__GNUC__)
#define TGI_FUNC __attribute__((visibility("hidden")))
#define TGI_INLINE static inline __attribute__((always_inline))
#define TGI_LIKELY(x) __builtin_expect(!!(x), 1)
#define TGI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TGI_UNREACHABLE() __builtin_unreachable()
#else
#define TGI_UNREACHABLE() ((void)0)
#define TGI_FUNC
#define TGI_INLINE static inline
#define TGI_LIKELY(x) (x)
#define TGI_UNLIKELY(x) (x)
#endif

/* code[i] = op | a << 6 | b << 35, where for a unary or binary node a and b are the ids of its
 * inputs, and for an n-ary node a is the first of its b argument slots in args[]. 29 bits each
 * is what limits a tape to TG_MAX_NODES nodes and argument slots. */
#define TGI_OP_BITS 6
#define TGI_ID_BITS 29
#define TGI_ID_MASK ((UINT64_C(1) << TGI_ID_BITS) - 1)

_Static_assert(TG_N_OPS <= (1 << TGI_OP_BITS), "op codes must fit in TGI_OP_BITS");
_Static_assert(TG_MAX_NODES == TGI_ID_MASK, "TG_MAX_NODES must match the packed id width");

static inline uint64_t tgi_code(unsigned op, uint32_t a, uint32_t b)
{
    return (uint64_t)op | ((uint64_t)a << TGI_OP_BITS) |
           ((uint64_t)b << (TGI_OP_BITS + TGI_ID_BITS));
}
static inline unsigned tgi_code_op(uint64_t c) { return (unsigned)(c & ((1u << TGI_OP_BITS) - 1)); }
static inline uint32_t tgi_code_a(uint64_t c) { return (uint32_t)((c >> TGI_OP_BITS) & TGI_ID_MASK); }
static inline uint32_t tgi_code_b(uint64_t c)
{
    return (uint32_t)((c >> (TGI_OP_BITS + TGI_ID_BITS)) & TGI_ID_MASK);
}

struct tgi_name_entry; /* uthash entry: node id -> owned name (core/tape.c) */

struct tg_tape {
    double *value;
    double *grad;
    uint64_t *code;
    uint32_t n_nodes, cap_nodes;
    uint32_t append_limit; /* cap_nodes, or 0 while anomaly is on: tgi_append's one test */
    uint32_t *args; /* inputs of n-ary nodes */
    uint32_t n_args, cap_args;
    uint32_t grad_dirty; /* grad[i] == 0 for every i in [grad_dirty, n_nodes): what a backward
                            must clear is grad[0 .. grad_dirty), not the whole tape (appends
                            store grad = 0; a sweep from out writes only grad[0 .. out]) */
    uint32_t cone_interval; /* which sweep tg_backward takes (core/backward.c): the cone's */
    uint32_t until_cone;    /* once until_cone sweeps of every node have run, and from then on
                               once in cone_interval + 1 (0: every time) */
    uint8_t *reached; /* anomaly sweep's scratch: bit i set when node i is in out's cone */
    size_t cap_reached_bytes;
    size_t n_grows;
    struct tgi_name_entry *names;
    uint32_t names_end; /* every note's id is below it: a rewind above it has no note to drop */
    tg_status status;
    char errmsg[256];
    uint32_t max_nodes;    /* tg_tape_set_capacity; TG_MAX_NODES by default; cap_nodes <= it */
    int anomaly;           /* tg_tape_set_anomaly: check every value and gradient */
    uint32_t anomaly_node; /* the node a TG_ERR_NONFINITE message names (core/anomaly.c) */
};

/* Records the first error on the tape (later ones are dropped) and returns code. */
TGI_FUNC tg_status tgi_fail(tg_tape *t, tg_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* tgi_append's slow path, out of line: grows the node arrays, then appends. A check that only
 * some appends need (e.g. anomaly detection) belongs here too, with its flag added to the
 * inline test below. */
TGI_FUNC tg_var tgi_append_slow(tg_tape *t, uint64_t code, double value);

/* Appends one node with its value already computed. Invalid tg_var (error kept) when full.
 * Inline because every operation records through it: the common case is one compare and three
 * stores. append_limit folds "full" and "anomaly on" into that compare (tgi_sync_limit). */
static inline tg_var tgi_append(tg_tape *t, uint64_t code, double value)
{
    if (TGI_UNLIKELY(t->n_nodes >= t->append_limit))
        return tgi_append_slow(t, code, value);
    const uint32_t i = t->n_nodes++;
    t->value[i] = value;
    t->grad[i] = 0.0;
    t->code[i] = code;
    tg_var v = {i};
    return v;
}

/* Call after changing cap_nodes or anomaly: appends take the slow path when either asks. */
static inline void tgi_sync_limit(tg_tape *t)
{
    t->append_limit = t->anomaly ? 0 : t->cap_nodes;
}

/* tgi_args_alloc's slow path, out of line: grows args[], then reserves. */
TGI_FUNC uint32_t tgi_args_alloc_slow(tg_tape *t, size_t n);

/* Reserves n argument slots in args[] and returns the index of the first, or UINT32_MAX.
 * Inline for the same reason as tgi_append: every n-ary node (a neuron's dot) takes its slots
 * here, and the common case is a compare and a store. */
static inline uint32_t tgi_args_alloc(tg_tape *t, size_t n)
{
    if (TGI_UNLIKELY(n > (size_t)(t->cap_args - t->n_args) || !t->args))
        return tgi_args_alloc_slow(t, n);
    const uint32_t first = t->n_args;
    t->n_args += (uint32_t)n;
    return first;
}

/* Anomaly detection (core/anomaly.c), reached only when t->anomaly is set, so that the fast
 * paths pay one predictable branch at most. tgi_anomaly_append records like tgi_append but
 * refuses a NaN or infinite value; tgi_anomaly_sweep is the backward sweep with every gradient
 * contribution checked (grad[out] already seeded, reached-bits cleared); tgi_anomaly_replay
 * is the checked replay; tgi_anomaly_origin adds v's origin to the message naming v. */
TGI_FUNC tg_var tgi_anomaly_append(tg_tape *t, uint64_t code, double value);
TGI_FUNC tg_status tgi_anomaly_sweep(tg_tape *t, uint32_t out);
TGI_FUNC void tgi_anomaly_replay(tg_tape *t);
TGI_FUNC void tgi_anomaly_origin(tg_tape *t, uint32_t id);

/* The inner loops of the sweep and of replay (ops/kernels.h, compiled with the op table):
 * tgi_sweep_nodes runs the chain rule from out down to node 0 over out's cone (grad[out]
 * already seeded, every other gradient 0), returns how many nodes it skipped as outside the
 * cone and sets *saw_nan when a gradient it met was NaN; tgi_replay_nodes recomputes nodes
 * from..n_nodes-1 from their arguments' current values. */
TGI_FUNC uint32_t tgi_sweep_nodes(tg_tape *t, uint32_t out, int *saw_nan);
/* The same chain rule without the cone: every node from out down to 0 propagates, the reached
 * ones and the others (whose gradient is +0), with no mark and no test. Returns 1 when no
 * gradient it met was NaN: then it gave tgi_sweep_nodes's gradients bit for bit (see
 * ops/kernels.h); 0 when one was, and the gradients must be computed again by the cone. */
TGI_FUNC int tgi_sweep_nodes_unmarked(tg_tape *t, uint32_t out);
TGI_FUNC void tgi_replay_nodes(tg_tape *t, uint32_t from);

static inline int tgi_valid(const tg_tape *t, tg_var v) { return v.id < t->n_nodes; }

/* Which nodes are in the output's cone, for the cone's sweep: every gradient below out starts
 * at +0 and only a node of the cone adds into its inputs, so a nonzero gradient means
 * "reached". A reached node whose gradient is exactly 0 (relu'(x) = 0, contributions that
 * cancel) must still propagate (0 * inf is NaN, as in PyTorch): every sum the sweep stores is
 * noted (tgi_noted, below), 0 becoming -0.0, which no accumulation produces (x + y is -0 only
 * when both are -0, and every sum starts at +0), and the sweep turns it back into +0 when it
 * reaches the node. So the cone's sweep skips exactly the nodes whose gradient is +0, with no
 * bitset. A row's n-ary backward notes the inputs it adds into the same way (tgi_add_grad with
 * mark); an input it does not touch (where's untaken branch, a comparison's operands) stays
 * out of the cone and passes nothing on. The anomaly sweep also keeps reached-bits
 * (t->reached) of its own. The sweep of every node (ops/kernels.h) needs none of this. */
static inline void tgi_mark_reached(uint8_t *reached, uint32_t i)
{
    reached[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline int tgi_is_reached(const uint8_t *reached, uint32_t i)
{
    return (reached[i >> 3] >> (i & 7)) & 1;
}
/* The mark on a sum about to be stored: grad[x] = tgi_noted(grad[x] + c) marks x as reached
 * when the sum is exactly 0, without reading grad[x] back. Noting every sum as it is made is
 * the same as noting once after the last: a -0 mark meets only another contribution c, and
 * -0 + c is c, or +0 (c = +0) which is noted again. */
static inline double tgi_noted(double sum)
{
    if (TGI_UNLIKELY(sum == 0.0)) /* a branch, not a select: the common case costs a compare */
        return -0.0;
    return sum;
}
/* dL/dx += c, as an exact sweep adds (mark: the sum noted, above) or as the unmarked sweep does
 * (the plain sum; see tgi_sweep_nodes_unmarked). mark is a constant wherever this is inlined. */
static inline void tgi_add_grad(double *grad, uint32_t x, double c, int mark)
{
    grad[x] = mark ? tgi_noted(grad[x] + c) : grad[x] + c;
}
/* Is g the gradient of a node outside the cone: exactly +0 (not the -0 mark)? */
static inline int tgi_unreached(double g)
{
    uint64_t bits;
    memcpy(&bits, &g, sizeof bits);
    return bits == 0;
}

#endif /* TG_CORE_INT_H */
