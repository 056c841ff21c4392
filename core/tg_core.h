/* tg_core.h: the tape that records scalar operations, its leaves, and the backward sweep.
 * The operations themselves (tg_add, tg_mul, ...) are in ops/tg_ops.h; networks in nn/tg_nn.h.
 * Every node lives on a tape and is named by a tg_var, a 32-bit index into it. */
#ifndef TG_CORE_H
#define TG_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TG_BUILDING) && defined(__GNUC__)
#define TG_API __attribute__((visibility("default")))
#else
#define TG_API
#endif

/* The tape: owns every node, value, gradient and name recorded on it. Opaque. */
typedef struct tg_tape tg_tape;

/* A node on a tape. Valid until the tape is freed or rewound past it. */
typedef struct tg_var {
    uint32_t id;
} tg_var;

#define TG_INVALID_ID UINT32_MAX
/* Largest number of nodes (and of n-ary arguments) one tape holds: 2^29 - 1. */
#define TG_MAX_NODES ((uint32_t)((1u << 29) - 1u))

static inline tg_var tg_var_invalid(void)
{
    tg_var v = {TG_INVALID_ID};
    return v;
}
static inline int tg_var_ok(tg_var v) { return v.id != TG_INVALID_ID; }

/* Status codes; TG_OK is 0. tg_strerror(code) gives a one-line description. */
typedef enum tg_status {
    TG_OK = 0,
    TG_ERR_NOMEM,     /* an allocation failed */
    TG_ERR_CAPACITY,  /* the tape holds its capacity (TG_MAX_NODES by default) already */
    TG_ERR_BADVAR,    /* a tg_var that is invalid or not on this tape (e.g. rewound) */
    TG_ERR_ARG,       /* an argument out of range (NULL pointer, zero length, ...) */
    TG_ERR_NOTLEAF,   /* setting the value of a node that an operation computed */
    TG_ERR_NONFINITE, /* a value or gradient is NaN or infinite (anomaly detection) */
    TG_ERR_SYNTAX,    /* the expression language: a syntax error */
    TG_ERR_NAME,      /* the expression language: an unknown or misused name */
    TG_ERR_LIMIT,     /* a documented limit (nesting depth, name length, ...) */
    TG_ERR_IO,        /* reading or writing a file failed */
    TG_ERR_FORMAT,    /* a file is not in the expected format, or is corrupted */
    TG_N_STATUS
} tg_status;

/* A one-line English description of a status code; never NULL. */
TG_API const char *tg_strerror(tg_status code);

/* ---- The tape ---------------------------------------------------------------------------- */

/* Creates an empty tape. Returns NULL only if memory is exhausted. Free with tg_tape_free. */
TG_API tg_tape *tg_tape_new(void);

/* Releases the tape and everything on it. Accepts NULL. Every tg_var of the tape dies with it. */
TG_API void tg_tape_free(tg_tape *t);

/* Makes room for n_nodes nodes and n_args n-ary arguments in total, so that recording up to
 * that size allocates nothing. TG_ERR_NOMEM or TG_ERR_CAPACITY on failure (tape unchanged). */
TG_API tg_status tg_tape_reserve(tg_tape *t, size_t n_nodes, size_t n_args);

/* Lowers (or restores) the most nodes this tape may hold, TG_MAX_NODES by default: recording
 * past it fails with TG_ERR_CAPACITY, as at TG_MAX_NODES, so the limit can be tested, or a
 * runaway loop stopped, without filling memory. Storage beyond the new limit is released.
 * n-ary argument slots keep their own limit of TG_MAX_NODES. TG_ERR_ARG if max_nodes is 0,
 * above TG_MAX_NODES, or below the nodes already recorded (nothing changes then). */
TG_API tg_status tg_tape_set_capacity(tg_tape *t, size_t max_nodes);

/* Turns anomaly detection on (on != 0) or off, like PyTorch's detect_anomaly. While it is on,
 * every value recorded (leaves included), replayed by tg_tape_replay, or computed as a
 * gradient contribution in tg_backward / tg_backward_accumulate is checked: the first NaN or
 * infinity sets TG_ERR_NONFINITE, and tg_tape_errmsg names the node, its operation, its
 * inputs' values and, once the node has an origin (tg_set_origin), its source line, column
 * and text. Recording: the offending node is still appended and returned (so that it can be
 * named and given an origin), and every later recording returns an invalid tg_var until
 * tg_tape_clear_error. Backward stops at the offending contribution, leaving the gradients
 * partial, and returns TG_ERR_NONFINITE; replay stops at the offending node. Off (the
 * default) it costs one predictable branch per recorded node and per call. */
TG_API void tg_tape_set_anomaly(tg_tape *t, int on);

/* Number of nodes on the tape (leaves and operations). */
TG_API size_t tg_tape_size(const tg_tape *t);

/* A position on the tape, to come back to with tg_tape_rewind. */
typedef struct tg_mark {
    uint32_t n_nodes;
    uint32_t n_args;
} tg_mark;

/* Remembers the current length of the tape. */
TG_API tg_mark tg_tape_mark(const tg_tape *t);

/* Drops every node recorded after the mark (and their names), keeping the nodes before it with
 * their values and gradients. Memory is kept for reuse: a loop of mark, record, backward, rewind
 * allocates nothing once the tape has grown to its largest step. TG_ERR_ARG if the mark is
 * beyond the current length. */
TG_API tg_status tg_tape_rewind(tg_tape *t, tg_mark mark);

/* Drops every node: the same as rewinding to an empty mark. */
TG_API void tg_tape_clear(tg_tape *t);

/* The first error recorded on the tape since it was created or last cleared (TG_OK if none),
 * and a message that says what and where. Operations given an invalid tg_var return an invalid
 * tg_var and record TG_ERR_BADVAR, so a chain of calls can be checked once at its end. */
TG_API tg_status tg_tape_status(const tg_tape *t);
TG_API const char *tg_tape_errmsg(const tg_tape *t);
TG_API void tg_tape_clear_error(tg_tape *t);

/* Memory accounting (for benchmarks and for checking that a loop no longer allocates). */
typedef struct tg_tape_stats {
    size_t n_nodes;        /* nodes recorded */
    size_t n_args;         /* n-ary argument slots recorded */
    size_t bytes_used;     /* bytes the recorded nodes occupy */
    size_t bytes_reserved; /* bytes allocated for nodes, arguments and backward scratch */
    size_t n_grows;        /* how many times the tape's storage has been (re)allocated */
} tg_tape_stats;
TG_API void tg_tape_get_stats(const tg_tape *t, tg_tape_stats *stats);

/* ---- Leaves ------------------------------------------------------------------------------ */

/* An input or parameter: a leaf whose gradient the user reads. Invalid tg_var on failure. */
TG_API tg_var tg_input(tg_tape *t, double value);

/* A constant: a leaf that takes part in the computation but is not differentiated for the
 * user (it still receives a gradient during the sweep, which nobody has to read). */
TG_API tg_var tg_const(tg_tape *t, double value);

/* ---- Reading and writing nodes ----------------------------------------------------------- */

/* The value computed for v when it was recorded (or set, or replayed); NaN if v is invalid. */
TG_API double tg_value(const tg_tape *t, tg_var v);

/* d(out)/d(v) after a backward from out; 0 before any backward; NaN if v is invalid. */
TG_API double tg_grad(const tg_tape *t, tg_var v);

/* Sets the value of a leaf (input or constant). Nodes computed from it keep their old values
 * until tg_tape_replay recomputes them. TG_ERR_NOTLEAF for an operation's node. */
TG_API tg_status tg_set_value(tg_tape *t, tg_var v, double value);

/* Sets the gradient held by any node (e.g. to seed a custom backward). */
TG_API tg_status tg_set_grad(tg_tape *t, tg_var v, double grad);

/* Is v a leaf recorded by tg_input (1), or not (0)? */
TG_API int tg_is_input(const tg_tape *t, tg_var v);

/* Gives v a name for traces and graph pictures. The name is copied; the tape owns the copy.
 * NULL removes the name. */
TG_API tg_status tg_set_name(tg_tape *t, tg_var v, const char *name);

/* v's name, or NULL. The pointer is valid until the name is changed or v is rewound. */
TG_API const char *tg_name(const tg_tape *t, tg_var v);

/* Where a node came from in a program's source (the expression language records it, so that
 * errors and traces can point at it): 1-based line and column, and the source text of the
 * operation, e.g. "log(x)". */
typedef struct tg_origin {
    uint32_t line;
    uint32_t column;
    const char *text; /* owned by the tape; valid until the origin is changed or v rewound */
} tg_origin;

/* Records v's origin; text is copied (NULL allowed). */
TG_API tg_status tg_set_origin(tg_tape *t, tg_var v, uint32_t line, uint32_t column,
                               const char *text);

/* Fills *origin and returns 1 if v has an origin; returns 0 otherwise. */
TG_API int tg_get_origin(const tg_tape *t, tg_var v, tg_origin *origin);

/* ---- Backward ---------------------------------------------------------------------------- */

/* Computes d(out)/d(v) for every node v of the tape, replacing whatever gradients the tape held:
 * every gradient is cleared, out is seeded with 1, and the tape is swept from out down to its
 * first node, each node adding (upstream gradient x local derivative) into its inputs. A node
 * that out does not depend on ends with gradient 0. Calling it twice gives the same result.
 * No recursion: a chain of any length works. */
TG_API tg_status tg_backward(tg_tape *t, tg_var out);

/* Like tg_backward, but the gradients of inputs (tg_input leaves) are kept and the new
 * gradients are added to them: calling it for out1 then out2 leaves d(out1 + out2)/d(input)
 * in every input, which is how a minibatch's per-sample gradients are summed. Gradients of
 * non-input nodes are those of this call's out only. Clear inputs with tg_zero_grad. */
TG_API tg_status tg_backward_accumulate(tg_tape *t, tg_var out);

/* Sets every gradient on the tape to 0. */
TG_API void tg_zero_grad(tg_tape *t);

/* Recomputes the value of every operation node from the current leaf values, in tape order,
 * without recording anything or allocating (tape replay: change inputs with tg_set_value, then
 * call this). The graph is the one recorded: relu and abs keep their formulas, so replay is
 * exact for any input values, but a branch taken in C code while recording is not re-taken. */
TG_API void tg_tape_replay(tg_tape *t);

/* ---- Checking gradients against finite differences (core/gradcheck.c) -------------------- */

/* The result of comparing one derivative with a finite difference. */
typedef struct tg_gradcheck_result {
    double expected; /* the derivative being checked (the engine's gradient, or a formula's) */
    double numeric;  /* the finite-difference estimate with the smallest estimated error */
    double abs_err;  /* |expected - numeric| */
    double rel_err;  /* abs_err / max(|expected|, |numeric|), 0 when both are 0 */
    double step;     /* the step h of that estimate */
    int ok;          /* 1 if they agree within the tolerance */
    int kink;        /* 1 when not ok because out is not differentiable at x (one-sided slopes
                        differ) and expected lies between them: a subgradient such as
                        relu'(0) = 0, which no central difference confirms */
    double left;     /* (f(x) - f(x - h)) / h over a tiny h (NaN if not finite) */
    double right;    /* (f(x + h) - f(x)) / h */
    int at_kink;     /* 1 when left and right differ: out is not differentiable at x, whether
                        or not expected agrees with the central difference (abs at 0) */
} tg_gradcheck_result;

/* Checks `expected` as d(out)/d(x) by central differences over replays of the tape: x (a leaf)
 * is set to x +- h and tg_tape_replay recomputes everything; nothing is recorded. Steps h run
 * from 1e-1 to 1e-7 of max(|x|, 1) (and of |x| when 0 < |x| < 1); each central difference is
 * refined by Richardson extrapolation and given an error estimate (extrapolation change plus
 * rounding noise: eps times the largest |value| out depends on, over h). The estimate with the
 * smallest error is reported, chosen without looking at expected; ok when
 * |expected - numeric| <= tol * max(1, |numeric|) + that error. Steps where out is not finite
 * (outside log's domain) are skipped; if none is finite, numeric is NaN and ok is 0. At a kink
 * (relu at 0) the check fails; kink is set if expected lies between the one-sided slopes.
 * x's value and every node's value are restored before returning; gradients are not touched.
 * TG_ERR_BADVAR for invalid out or x, TG_ERR_NOTLEAF if x is computed, TG_ERR_ARG for a
 * NULL tape or result or a tol that is not positive. */
TG_API tg_status tg_gradcheck(tg_tape *t, tg_var out, tg_var x, double expected, double tol,
                              tg_gradcheck_result *result);

/* ---- Showing the chain rule (core/trace.c, core/export.c) -------------------------------- */

typedef enum tg_trace_format {
    TG_TRACE_TEXT,     /* plain text that fits an 80-column terminal */
    TG_TRACE_MARKDOWN, /* Markdown tables with LaTeX formulas, to paste into notes */
    TG_TRACE_JSON      /* one JSON object {output, nodes, steps}: data for pictures and pages */
} tg_trace_format;

/* Runs tg_backward(t, out) and writes the chain rule step by step to f: the forward table
 * (node, operation, inputs, value), then every backward step as upstream x local = contribution,
 * with the sum written out where a node feeds several others, then every node's gradient. Nodes
 * are shown by their names (tg_set_name) where they have one (see tg_trace_backward_width for
 * the rest); constants by their value. Only the nodes out depends on appear. Numbers: 6
 * significant digits (JSON also carries every number exactly). Returns what tg_backward
 * returns, TG_ERR_ARG for a NULL f or unknown format, TG_ERR_NOMEM, or TG_ERR_IO. */
TG_API tg_status tg_trace_backward(tg_tape *t, tg_var out, FILE *f, tg_trace_format fmt);

/* The same, with the text laid out for `width` columns (0: 80; below 40: 40): lines are
 * folded, never cut, so every label and expression is shown whole. Labels are unique: a node
 * without a name is shown by its expression when that is short ("apple*apple_num"), else by a
 * generated name (t1, t2, ...; x1, x2, ... for inputs) that no name of the program uses; a
 * name given to several nodes (c = c + 1) is told apart as c, c_2, c_3. Every expression is
 * written under the language's precedence, so it reads back as what the node computes. The
 * placeholders of the rules (L, a, b, y) are replaced by others when the program uses them. */
TG_API tg_status tg_trace_backward_width(tg_tape *t, tg_var out, FILE *f, tg_trace_format fmt,
                                         unsigned width);

/* Writes the graph of out (the nodes out depends on) as Graphviz DOT to f, each node with its
 * value and gradient; forward edges and gradient flow drawn distinguishably. Call after a
 * backward for meaningful gradients. TG_ERR_IO if writing fails. */
TG_API tg_status tg_dot_export(const tg_tape *t, tg_var out, FILE *f);

/* Writes s to f as text for an HTML element or attribute (and Graphviz's HTML-like labels):
 * & < > " ' as entities, control characters as spaces. The one escaper of the DOT export and
 * the command's pages. */
TG_API void tg_html_escape(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif

#endif /* TG_CORE_H */
