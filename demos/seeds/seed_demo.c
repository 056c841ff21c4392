/* seed_demo.c: the comparison table, names, generator and trace shared by the seed demos.
 * Demo code, not library code: it may exit() when the tape fails, since a demo that cannot
 * compute has nothing to show. The trace is core/trace.c's when the build has it. */
#include "seed_demo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int n_checked, n_bad;
static double worst_rel;

void sd_heading(const char *title)
{
    printf("\n== %s ==\n", title);
}

void sd_table(void)
{
    printf("%-28s %22s %22s %10s\n", "", "tapegrad", "seed formula", "diff");
}

static int agree(double engine, double hand, double rtol)
{
    double diff = engine - hand;
    double scale = fmax(fabs(engine), fabs(hand));
    int ok = fabs(diff) <= rtol * scale || fabs(diff) <= 1e-300;
    if (isnan(engine) || isnan(hand))
        ok = 0;
    if (scale > 0 && fabs(diff) / scale > worst_rel)
        worst_rel = fabs(diff) / scale;
    n_checked++;
    n_bad += !ok;
    return ok;
}

int sd_agree(double engine, double hand)
{
    return agree(engine, hand, SD_RTOL);
}

int sd_check_tol(const char *label, double engine, double hand, double rtol)
{
    int ok = agree(engine, hand, rtol);
    double diff = engine - hand;
    printf("%-28s %22.15g %22.15g %10.2e %s\n", label, engine, hand, diff, ok ? "ok" : "MISMATCH");
    return ok;
}

int sd_check(const char *label, double engine, double hand)
{
    return sd_check_tol(label, engine, hand, SD_RTOL);
}

int sd_expect(int cond, const char *what)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAILED");
    n_checked++;
    n_bad += !cond;
    return cond;
}

int sd_finish(const char *demo)
{
    printf("\n%s: %d comparisons, %d mismatches, largest relative difference %.1e\n", demo,
           n_checked, n_bad, worst_rel);
    return n_bad ? 1 : 0;
}

void sd_name(tg_tape *t, tg_var v, const char *fmt, ...)
{
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tg_set_name(t, v, buf);
}

void sd_require_ok(const tg_tape *t)
{
    if (tg_tape_status(t) != TG_OK) {
        fprintf(stderr, "tape error: %s\n", tg_tape_errmsg(t));
        exit(2);
    }
}

void sd_backward(tg_tape *t, tg_var out)
{
    sd_require_ok(t);
    if (tg_backward(t, out) != TG_OK) {
        fprintf(stderr, "backward failed: %s\n", tg_tape_errmsg(t));
        exit(2);
    }
}

#ifndef SD_HAVE_TRACE
/* Until core/trace.c is in the build: the same content, forward table then one line per edge
 * of the backward sweep, read from the public op-table accessors. */
static const char *label_of(const tg_tape *t, tg_var v, char *buf, size_t n)
{
    const char *name = tg_name(t, v);
    if (name)
        return name;
    if (tg_op_of(t, v) == TG_OP_CONST)
        snprintf(buf, n, "%g", tg_value(t, v));
    else
        snprintf(buf, n, "#%u", (unsigned)v.id);
    return buf;
}

static void fallback_trace(tg_tape *t, tg_var out)
{
    size_t n = (size_t)out.id + 1;
    unsigned char *in_cone = calloc(n, 1);
    if (!in_cone) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    in_cone[out.id] = 1;
    for (size_t i = n; i-- > 0;) {
        tg_var v = {(uint32_t)i};
        if (!in_cone[i])
            continue;
        for (size_t k = 0; k < tg_n_inputs(t, v); k++)
            in_cone[tg_input_of(t, v, k).id] = 1;
    }
    char a[32], b[32];
    printf("forward:\n");
    for (size_t i = 0; i < n; i++) {
        tg_var v = {(uint32_t)i};
        tg_op op = tg_op_of(t, v);
        if (!in_cone[i] || op == TG_OP_CONST)
            continue;
        printf("  %-10s = %-8s(", label_of(t, v, a, sizeof a), tg_op_name(op));
        for (size_t k = 0; k < tg_n_inputs(t, v); k++)
            printf("%s%s", k ? ", " : "", label_of(t, tg_input_of(t, v, k), b, sizeof b));
        printf(")%*s= %.10g\n", 1, "", tg_value(t, v));
    }
    const char *o = label_of(t, out, a, sizeof a);
    printf("backward (d%s/d%s = 1):\n", o, o);
    for (size_t i = n; i-- > 0;) {
        tg_var v = {(uint32_t)i};
        if (!in_cone[i] || tg_n_inputs(t, v) == 0)
            continue;
        double g = tg_grad(t, v);
        for (size_t k = 0; k < tg_n_inputs(t, v); k++) {
            tg_var x = tg_input_of(t, v, k);
            if (tg_op_of(t, x) == TG_OP_CONST)
                continue; /* constants need no gradient: skip them to keep the trace short */
            double l = tg_local_grad(t, v, k);
            char c[32], d[32];
            printf("  d%s/d%-8s += d%s/d%s x d%s/d%s = %.10g x %.10g = %.10g\n", o,
                   label_of(t, x, c, sizeof c), o, label_of(t, v, d, sizeof d),
                   label_of(t, v, d, sizeof d), label_of(t, x, c, sizeof c), g, l, g * l);
        }
    }
    free(in_cone);
}
#endif

void sd_trace(tg_tape *t, tg_var out)
{
    sd_require_ok(t);
#ifdef SD_HAVE_TRACE
    tg_status s = tg_trace_backward(t, out, stdout, TG_TRACE_TEXT);
#else
    tg_status s = tg_backward(t, out);
    if (s == TG_OK)
        fallback_trace(t, out);
#endif
    if (s != TG_OK) {
        fprintf(stderr, "backward failed: %s\n", tg_tape_errmsg(t));
        exit(2);
    }
}

uint64_t sd_rng_next(sd_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

double sd_rng_uniform(sd_rng *r, double lo, double hi)
{
    double u = (double)(sd_rng_next(r) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}
