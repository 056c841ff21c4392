/* tapegrad.h: everything in one include. A scalar reverse-mode autodiff engine:
 *
 *     #include <tapegrad.h>
 *     tg_tape *t = tg_tape_new();
 *     tg_var apple = tg_input(t, 100), n_apple = tg_input(t, 2), tax = tg_input(t, 1.1);
 *     tg_var price = tg_mul(t, tg_mul(t, apple, n_apple), tax);
 *     tg_backward(t, price);                              // d price / d everything
 *     printf("price %g, d/dapple %g, d/dtax %g\n",       // 220, 2.2, 200
 *            tg_value(t, price), tg_grad(t, apple), tg_grad(t, tax));
 *     tg_tape_free(t);
 *
 * core/tg_core.h: the tape, leaves, backward.  ops/tg_ops.h: the operations.
 * ops/tg_libm.h: the engine's own correctly rounded exp, sin, tanh, ... (the same bits everywhere).
 * lang/tg_lang.h: the expression language (programs recorded on a tape).
 * core/tg_higher.h: gradient graphs, forward mode, Jacobians, Hessians. */
#ifndef TAPEGRAD_H
#define TAPEGRAD_H

#include "tg_core.h"
#include "tg_ops.h"
#include "tg_libm.h"
#include "tg_lang.h"
#include "tg_nn.h"
#include "tg_higher.h"
#include "tg_emit.h"

#endif
