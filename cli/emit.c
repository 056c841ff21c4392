/* emit.c: the tapegrad command's --emit c. The code itself is the library's (tg_emit_c_opts,
 * core/emit.c); this file checks, before printing anything, that the plan the code follows
 * gives the tape's value, gradient (and Hessian) bit for bit at the given inputs, refuses what
 * cannot be emitted, and writes the function to standard output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Past this many recorded nodes the code would take the compiler minutes and the file hundreds
 * of megabytes (bench/README.md: compile time by size), so the command refuses cleanly. */
#define EMIT_MAX_NODES 1000000u
#define EMIT_WARN_NODES 100000u

/* a and b are the same double (NaNs count as equal; +0 and -0 do not). */
static int same_double(double a, double b)
{
    if (a != a || b != b)
        return a != a && b != b;
    return a == b && signbit(a) == signbit(b);
}

/* The gradient graph decides pow's conventions (no gradient into the base where b = 0, none
 * into the exponent where a = 0 and b >= 0) when it is recorded (ops.c, pow_vjp), so a Hessian
 * emitted at such a point would keep that branch at every x. Returns the first pow node of
 * out's cone that sits on a convention at the recorded values, or an invalid tg_var. */
static tg_var pow_on_convention(const tg_tape *t, tg_var out, const unsigned char *cone)
{
    for (uint32_t i = 0; i <= out.id; i++) {
        const tg_var v = {i};
        const tg_op op = tg_op_of(t, v);
        if (!cone[i] || (op != TG_OP_POW && op != TG_OP_POWC))
            continue;
        const double a = tg_value(t, tg_arg(t, v, 0)), b = tg_value(t, tg_arg(t, v, 1));
        if (b == 0.0 || (a == 0.0 && b >= 0.0))
            return v;
    }
    return tg_var_invalid();
}

int cli_emit(const options *o, tg_tape *t, tg_var out, const char *src)
{
    const size_t n = o->n_inputs;
    if (tg_tape_size(t) > EMIT_MAX_NODES) {
        cli_error("the program records %zu nodes; --emit c writes at most %u (the C file would "
                  "take the compiler minutes): emit a smaller program",
                  tg_tape_size(t), EMIT_MAX_NODES);
        return EXIT_USAGE;
    }
    if (tg_tape_size(t) > EMIT_WARN_NODES)
        fprintf(stderr,
                "tapegrad: warning: %zu nodes: the C file will be some %zu MB, and compilers "
                "take minutes on functions this long (bench/README.md)\n",
                tg_tape_size(t), tg_tape_size(t) * 250 / 1000000 + 1);
    tg_var *wrt = malloc((n + 1) * sizeof *wrt);
    double *x = malloc((n + 1) * sizeof *x), *grad = malloc((n + 1) * sizeof *grad);
    double *hess = malloc((n * n + 1) * sizeof *hess), *want = malloc((n * n + 1) * sizeof *want);
    const char **names = malloc((n + 1) * sizeof *names);
    int rc = EXIT_USAGE;
    double value = 0.0;
    if (!wrt || !x || !grad || !hess || !want || !names) {
        cli_error("out of memory");
        goto done;
    }
    if (o->hessian) {
        unsigned char *cone = calloc((size_t)out.id + 1, 1);
        if (!cone) {
            cli_error("out of memory");
            goto done;
        }
        tg_cone(t, out, TG_CONE_ALL, cone);
        const tg_var at = pow_on_convention(t, out, cone);
        free(cone);
        if (tg_var_ok(at)) {
            tg_origin org = {0, 0, NULL};
            tg_get_origin(t, at, &org);
            cli_error("--emit c --hessian: at the given inputs '%s' (line %u) has its exponent "
                      "at 0 (or its base at 0), where the second derivative takes a branch that "
                      "holds only there; emit the Hessian at inputs off that point",
                      org.text ? org.text : "pow", (unsigned)org.line);
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        wrt[i] = o->inputs[i].v;
        x[i] = o->inputs[i].value;
        names[i] = o->inputs[i].name;
    }
    /* the plan at the given inputs against what the tape computed (run() has checked that
     * the value and the gradients are finite) */
    if (tg_emit_check(t, out, n, wrt, o->hessian, x, &value, grad, hess) != TG_OK) {
        cli_error("--emit c: %s", tg_tape_errmsg(t));
        goto done;
    }
    int same = same_double(value, tg_value(t, out));
    for (size_t i = 0; same && i < n; i++)
        same = same_double(grad[i], tg_grad(t, wrt[i]));
    if (same && o->hessian && n) {
        if (tg_hessian(t, out, n, wrt, TG_MODE_REVERSE, want) != TG_OK) {
            cli_error("--hessian failed: %s", tg_tape_errmsg(t));
            goto done;
        }
        for (size_t k = 0; k < n * n; k++) {
            if (!isfinite(want[k])) {
                cli_error("the Hessian is not finite at the given inputs (d2/d%s d%s = %g): "
                          "the code would not compute a usable one there",
                          names[k / n], names[k % n], want[k]);
                goto done;
            }
            same = same && same_double(hess[k], want[k]);
        }
    }
    if (!same) {
        cli_error("--emit c: internal error: the code's plan does not reproduce the tape at the "
                  "given inputs; nothing was written (please report this program)");
        goto done;
    }
    const tg_emit_options opt = {.name = o->emit_name,
                                 .program = src,
                                 .input_names = names,
                                 .hessian = o->hessian};
    const tg_status st = tg_emit_c_opts(t, out, n, wrt, &opt, stdout);
    if (st == TG_ERR_ARG) {
        cli_error("--emit-name '%s': not a C identifier", o->emit_name ? o->emit_name : "");
        goto done;
    }
    if (st != TG_OK || fflush(stdout) != 0) {
        cli_error("--emit c: %s", st != TG_OK ? tg_strerror(st) : "writing standard output failed");
        goto done;
    }
    rc = EXIT_OK;
done:
    free(wrt);
    free(x);
    free(grad);
    free(hess);
    free(want);
    free(names);
    return rc;
}
