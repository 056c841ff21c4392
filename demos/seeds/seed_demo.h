/* seed_demo.h: what the seed demos share: a table that prints the engine's number beside the
 * seed document's hand-derived one and counts mismatches, the splitmix64 generator of
 * bench/WORKLOADS.md, printf-style node names, and the one-line step-by-step trace.
 * The demos themselves build their networks with the public API only (tapegrad.h). */
#ifndef SEED_DEMO_H
#define SEED_DEMO_H

#include <stdint.h>

#include "tapegrad.h"

/* Relative tolerance of every engine-vs-formula comparison. Both sides are the same
 * mathematics evaluated in a different order, so they differ by a few roundings only. */
#define SD_RTOL 1e-12

/* Prints a section heading. */
void sd_heading(const char *title);

/* Prints the column header of a comparison table. */
void sd_table(void);

/* Prints one row: label, the engine's value, the document's formula, their difference, and
 * "ok" or "MISMATCH". A mismatch is |engine - hand| > rtol * max(|engine|, |hand|) and also
 * > 1e-300 (so that two exact zeros agree); NaN never agrees. Returns 1 if they agree. */
int sd_check(const char *label, double engine, double hand);
int sd_check_tol(const char *label, double engine, double hand, double rtol);

/* Counts one comparison like sd_check without printing it (for summaries of large tables);
 * the caller prints a summary line. Returns 1 if they agree. */
int sd_agree(double engine, double hand);

/* Records a goal that is not an equality (a loss that must decrease): prints what and "ok" or
 * "FAILED", and counts a failure as a mismatch. Returns cond. */
int sd_expect(int cond, const char *what);

/* Prints the final count of comparisons and returns the process exit code: 0 if every
 * comparison agreed, 1 otherwise. */
int sd_finish(const char *demo);

/* Names node v with a printf format (the name is copied by the tape). */
void sd_name(tg_tape *t, tg_var v, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Runs the backward sweep from out and prints the chain rule step by step (the forward table,
 * then upstream x local = contribution for every edge). Exits the demo with status 2 if the
 * tape reports an error. */
void sd_trace(tg_tape *t, tg_var out);

/* Runs tg_backward(t, out) and stops the demo (status 2) with the tape's message on error. */
void sd_backward(tg_tape *t, tg_var out);

/* Stops the demo (status 2) if the tape has recorded an error (e.g. out of memory). */
void sd_require_ok(const tg_tape *t);

/* splitmix64 (bench/WORKLOADS.md): state += golden gamma, then two xor-shift-multiplies. */
typedef struct sd_rng {
    uint64_t state;
} sd_rng;
uint64_t sd_rng_next(sd_rng *r);
/* Uniform in [lo, hi): (next >> 11) * 2^-53 scaled. */
double sd_rng_uniform(sd_rng *r, double lo, double hi);

#endif
