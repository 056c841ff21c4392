/* tg_emit.h: code generation. A recorded tape becomes one dependency-free C99 function that
 * computes the same value and gradient (and, on request, Hessian) bit for bit, for any inputs:
 * straight-line forward statements, then the reverse accumulation in the order the sweep
 * performs it. Every operation is written with its row's C spelling (tg_op_info.c_forward,
 * c_local, c_masked). Code in core/emit.c; the command's `--emit c` is cli/emit.c. */
#ifndef TG_EMIT_H
#define TG_EMIT_H

#include <stdio.h>

#include "tg_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the function is written. Zero-initialize and set what you need. */
typedef struct tg_emit_options {
    const char *name;               /* the function's name; NULL: "tapegrad_fn" */
    const char *program;            /* source text, quoted in the header comment and used for
                                       each block's source-line comment; NULL: none */
    const char *const *input_names; /* n names for the header comment; NULL: x[0], x[1], ... */
    int hessian;                    /* 1: also the Hessian (see tg_emit_c_hessian) */
} tg_emit_options;

/* Writes to f one C99 translation unit that needs only <math.h> and defines
 *     double NAME(const double *x, double *grad)
 * returning out's value at x[0..n-1] (x[i] stands for wrt[i]) and writing d out / d wrt[i]
 * to grad[i]. The code repeats what the tape computes, operation for operation, so compiled
 * with -ffp-contract=off (no fused multiply-add; the header comment says so) it gives
 * tg_value(out) and tg_backward's gradients bit for bit at the recorded inputs and computes
 * them as the tape would at any others. Nodes that do not depend on wrt are folded to their
 * recorded values, so inputs of the tape that are not in wrt are constants of the code.
 * wrt must hold inputs (tg_input leaves; repeats allowed). The tape is only read.
 * Errors (nothing useful written): TG_ERR_ARG (NULL t or f, NULL wrt with n > 0, a wrt that
 * is not an input, a name that is not a C identifier), TG_ERR_BADVAR (invalid out),
 * TG_ERR_NOMEM, TG_ERR_IO (writing failed). */
TG_API tg_status tg_emit_c(const tg_tape *t, tg_var out, size_t n, const tg_var *wrt,
                           const char *name, FILE *f);

/* tg_emit_c with options. With opts->hessian the function is
 *     double NAME(const double *x, double *grad, double *hess)
 * and also writes hess[i*n + j] = d2 out / d wrt[i] d wrt[j], computed reverse over reverse:
 * the gradient graph (tg_grad_graph) is recorded on t, emitted, and swept once per row, which
 * is tg_hessian(..., TG_MODE_REVERSE) bit for bit; t is rewound to where it was before
 * returning (which is why t is not const). */
TG_API tg_status tg_emit_c_opts(tg_tape *t, tg_var out, size_t n, const tg_var *wrt,
                                const tg_emit_options *opts, FILE *f);

/* Runs, on doubles, the plan that tg_emit_c_opts writes as C (the same statements in the same
 * order, with the rows' own functions) at inputs x[0..n-1], writing the value, the gradient
 * and, with hessian, the Hessian (n x n). At the recorded inputs it must give tg_value(out),
 * tg_backward's gradients and tg_hessian(..., TG_MODE_REVERSE) bit for bit: the command checks
 * the plan so before printing it. The tape is rewound to where it was. Errors as
 * tg_emit_c_opts. */
TG_API tg_status tg_emit_check(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, int hessian,
                               const double *x, double *value, double *grad, double *hess);

#ifdef __cplusplus
}
#endif

#endif /* TG_EMIT_H */
