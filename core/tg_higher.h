/* tg_higher.h: derivatives beyond one gradient: a backward that records its own operations
 * (gradient nodes that can be differentiated again), forward mode (JVP), Jacobians,
 * Hessian-vector products and Hessians. Code in core/higher.c and core/forward.c; what each op
 * records as its derivative is the vjp column of ops/ops.c. The plain backward is tg_core.h. */
#ifndef TG_HIGHER_H
#define TG_HIGHER_H

#include "tg_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which sweep computes a derivative. */
typedef enum tg_mode {
    TG_MODE_AUTO,    /* the cheaper one (see each function) */
    TG_MODE_FORWARD, /* tangent sweeps, one per input direction */
    TG_MODE_REVERSE  /* backward sweeps, one per output */
} tg_mode;

/* PyTorch's create_graph: sweeps out's cone in reverse order as tg_backward does, but records
 * every product (upstream gradient x local derivative) and every sum of a fan-out as nodes on
 * the tape, with the ops of tg_ops.h. grads_out[j] receives a node whose value is
 * d(out)/d(wrt[j]), the number tg_backward gives (bit for bit, but for the sign of a zero:
 * the first contribution c is recorded as c, where backward computes 0 + c), and which can be
 * differentiated again (tg_backward, tg_grad_graph, tg_jvp). A wrt node that out does not
 * depend on gets a constant 0. wrt may hold any nodes, also non-leaves and repeats. The
 * gradients held by the tape are not touched. Kinks, as PyTorch: relu's g * relu'(a) is
 * recorded as gate(g, a) = (a > 0 ? g : 0), abs' as sign(a), both with derivative 0 in a;
 * where()-masked zeros stay 0 under an infinite upstream, as in backward; pow's conventions at
 * 0 (ops.c) are decided at recording time, so a replay (tg_tape_replay) that moves an
 * exponent to or from 0 keeps the recorded branch. Errors: TG_ERR_ARG (NULL tape, or NULL
 * arrays with n > 0), TG_ERR_BADVAR, TG_ERR_NOMEM / TG_ERR_CAPACITY; on error the tape is
 * rewound to where it was and grads_out is unspecified. */
TG_API tg_status tg_grad_graph(tg_tape *t, tg_var out, size_t n, const tg_var *wrt,
                               tg_var *grads_out);

/* Forward mode: with the nodes in[0..n_in-1] moved in the direction dir (x + h dir), writes
 * the directional derivative d(outs[i])/dh to jvp_out[i] for each of the n_out outputs, by
 * one tangent sweep over the tape (tangent of a node = sum over its inputs of local
 * derivative x tangent of that input) at the recorded or replayed values. A direction on a
 * non-leaf node is added to the tangent that flows into it, so the result matches what
 * tg_backward gives for the same nodes. Inputs with tangent exactly 0 are skipped, so a
 * node off the direction's path with an infinite local derivative (sqrt at 0) adds nothing.
 * Allocates a scratch of one double per node; touches no value or gradient of the tape.
 * Errors: TG_ERR_ARG, TG_ERR_BADVAR, TG_ERR_NOMEM. */
TG_API tg_status tg_jvp(tg_tape *t, size_t n_out, const tg_var *outs, size_t n_in, const tg_var *in,
                        const double *dir, double *jvp_out);

/* The m x n Jacobian J[i*n + j] = d(outs[i])/d(wrt[j]), row-major, caller-provided. Reverse:
 * one tg_backward per output (the tape's gradients are left as after the last one); forward:
 * one tangent sweep per input (the tape's gradients are untouched). TG_MODE_AUTO takes forward
 * when n <= m, reverse otherwise. Both agree to rounding. Errors: as tg_jvp. */
TG_API tg_status tg_jacobian(tg_tape *t, size_t m, const tg_var *outs, size_t n, const tg_var *wrt,
                             tg_mode mode, double *jac);

/* Hessian-vector product: hv[i] = sum_j d2(out)/d(wrt[i])d(wrt[j]) v[j]. Records the gradient
 * graph (tg_grad_graph), then either sweeps tangents over it in the direction v
 * (TG_MODE_FORWARD or AUTO: forward-over-reverse, gradients untouched) or runs tg_backward from
 * the node sum_i g_i v_i (TG_MODE_REVERSE: reverse-over-reverse, the tape's gradients are
 * overwritten), and rewinds the tape to where it was. Errors: as tg_grad_graph. */
TG_API tg_status tg_hvp(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, const double *v,
                        tg_mode mode, double *hv);

/* The full n x n Hessian H[i*n + j] = d2(out)/d(wrt[i])d(wrt[j]), row-major, caller-provided:
 * the gradient graph recorded once, then its Jacobian (n tangent sweeps for FORWARD/AUTO, n
 * backward sweeps for REVERSE); the tape is rewound to where it was. H is not symmetrised: it
 * is symmetric to rounding. Errors: as tg_grad_graph. */
TG_API tg_status tg_hessian(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, tg_mode mode,
                            double *hess);

#ifdef __cplusplus
}
#endif

#endif /* TG_HIGHER_H */
