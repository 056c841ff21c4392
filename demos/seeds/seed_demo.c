/* seed_demo.c: the comparison table, names, generator and trace shared by the seed demos.
 * Demo code, not library code: it may exit() when the tape fails, since a demo that cannot
 * compute has nothing to show. The step-by-step trace is core/trace.c's. */
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

void sd_trace(tg_tape *t, tg_var out)
{
    sd_require_ok(t);
    tg_status s = tg_trace_backward(t, out, stdout, TG_TRACE_TEXT);
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
