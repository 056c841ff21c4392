/* core_int.h: the tape's layout, shared by the files of core/ and ops/. Never installed.
 * Nodes are stored as a struct of arrays: value[i], grad[i] and a 64-bit code[i] that packs
 * the op and its two operands, 24 bytes a node. N-ary nodes keep their inputs in args[]. */
#ifndef TG_CORE_INT_H
#define TG_CORE_INT_H

#include <stdint.h>

#include "tg_core.h"
#include "tg_ops.h"

#if defined(__GNUC__)
#define TGI_FUNC __attribute__((visibility("hidden")))
#define TGI_INLINE static inline __attribute__((always_inline))
#define TGI_LIKELY(x) __builtin_expect(!!(x), 1)
#define TGI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
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
    uint32_t *args; /* inputs of n-ary nodes */
    uint32_t n_args, cap_args;
    uint8_t *reached; /* backward scratch: bit i set when node i is in out's cone */
    size_t cap_reached_bytes;
    size_t n_grows;
    struct tgi_name_entry *names;
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
 * stores. */
static inline tg_var tgi_append(tg_tape *t, uint64_t code, double value)
{
    if (TGI_UNLIKELY((t->n_nodes == t->cap_nodes) | t->anomaly))
        return tgi_append_slow(t, code, value);
    const uint32_t i = t->n_nodes++;
    t->value[i] = value;
    t->grad[i] = 0.0;
    t->code[i] = code;
    tg_var v = {i};
    return v;
}

/* Reserves n argument slots in args[] and returns the index of the first, or UINT32_MAX. */
TGI_FUNC uint32_t tgi_args_alloc(tg_tape *t, size_t n);

/* Anomaly detection (core/anomaly.c), reached only when t->anomaly is set, so that the fast
 * paths pay one predictable branch at most. tgi_anomaly_append records like tgi_append but
 * refuses a NaN or infinite value; tgi_anomaly_sweep is the backward sweep with every gradient
 * contribution checked (grad[out] already seeded, reached-bits cleared); tgi_anomaly_replay
 * is the checked replay; tgi_anomaly_origin adds v's origin to the message naming v. */
TGI_FUNC tg_var tgi_anomaly_append(tg_tape *t, uint64_t code, double value);
TGI_FUNC tg_status tgi_anomaly_sweep(tg_tape *t, uint32_t out);
TGI_FUNC void tgi_anomaly_replay(tg_tape *t);
TGI_FUNC void tgi_anomaly_origin(tg_tape *t, uint32_t id);

static inline int tgi_valid(const tg_tape *t, tg_var v) { return v.id < t->n_nodes; }

/* The backward sweeps' reached-bits (t->reached): bit i is set when node i is in the output's
 * cone although its gradient is exactly 0, so that it still propagates (core/backward.c says
 * why a bit per zero gradient is enough). A row's n-ary backward notes the inputs it adds into
 * with tgi_note_zero; an input it does not touch (where's untaken branch, a comparison's
 * operands) stays out of the cone and passes nothing on. */
static inline void tgi_mark_reached(uint8_t *reached, uint32_t i)
{
    reached[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline int tgi_is_reached(const uint8_t *reached, uint32_t i)
{
    return (reached[i >> 3] >> (i & 7)) & 1;
}
/* Marks x as reached when a contribution has left its gradient at exactly 0. */
static inline void tgi_note_zero(uint8_t *reached, const double *grad, uint32_t x)
{
    if (TGI_UNLIKELY(grad[x] == 0.0))
        tgi_mark_reached(reached, x);
}

#endif /* TG_CORE_INT_H */
