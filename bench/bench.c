/* bench.c: the benchmark program: runs WORKLOADS.md's W1 chain, W3 fanout and W2 mlp-step
 * with tapegrad (tape_peers.c) and with hand-written C (hand.c), times them by its rules
 * (warm-up, >= 5 samples, median, samples of >= 5 ms), checks the exact expected results, and
 * prints one JSON line per run plus ratio lines. Memory: the tape's accounting, and resident-set
 * growth measured in a fresh copy of this program. See bench/README.md for the figures. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n-1]; sorts v. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- Resident-set growth, in a fresh process ------------------------------------------- */

static long resident_pages(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident;
}

/* VmHWM, the peak resident set of this process, in kB (-1 if unknown). */
static long peak_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static const bench_peer *scalar_peer_of(const char *peer, const char *w)
{
    const int hand = strcmp(peer, "hand-C") == 0;
    if (strcmp(w, "W1") == 0)
        return hand ? &hand_w1_peer : &tg_w1_peer;
    if (strcmp(w, "W3") == 0)
        return hand ? &hand_w3_peer : &tg_w3_peer;
    return NULL;
}

static const w2_peer *w2_peer_of(const char *peer, const char *w)
{
    if (strcmp(peer, "hand-C") == 0)
        return &hand_w2_peer;
    if (strcmp(w, "W2-native") == 0)
        return &tg_w2_native_peer;
    return strcmp(w, "W2-dot") == 0 ? &tg_w2_dot_peer : &tg_w2_peer;
}

static size_t scalar_nodes(const char *w, size_t n)
{
    return w[1] == '3' ? 2 * n - 1 : n;
}

/* `bench rss-probe PEER W N`: in this fresh process, builds the graph once and prints the
 * resident-set growth of recording it, in bytes (the first build, as WORKLOADS.md asks). */
static int rss_probe(const char *peer, const char *w, size_t n)
{
    const long page = sysconf(_SC_PAGESIZE);
    long before, after;
    if (w[1] == '2') {
        const w2_peer *p = w2_peer_of(peer, w);
        void *ctx = p->make();
        p->init(ctx);
        before = resident_pages();
        p->step(ctx, 0, NULL);
        after = resident_pages();
        p->destroy(ctx);
    } else {
        const bench_peer *p = scalar_peer_of(peer, w);
        void *ctx = p->make(n);
        p->reset(ctx);
        before = resident_pages();
        p->record(ctx);
        after = resident_pages();
        p->destroy(ctx);
    }
    printf("%.17g %ld\n", (double)(after - before) * (double)page, peak_kb());
    return 0;
}

/* Runs rss-probe in a fresh copy of this program; bytes of growth, or NAN, and the peak
 * resident set of that process in kB. */
static double rss_growth(const char *peer, const char *w, size_t n, long *peak)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "/proc/%ld/exe rss-probe '%s' %s %zu", (long)getpid(), peer, w, n);
    FILE *f = popen(cmd, "r");
    if (!f)
        return NAN;
    double bytes = NAN;
    *peak = -1;
    if (fscanf(f, "%lf %ld", &bytes, peak) != 2)
        bytes = NAN;
    pclose(f);
    return bytes;
}

/* ---- W1 and W3 ----------------------------------------------------------------------- */

typedef struct scalar_result {
    double record_ns, backward_ns; /* per op node, medians */
    double check[4];
    double bytes;
    int ok, skipped, samples;
    long reps;
} scalar_result;

/* Exact expected results: W1 L = 0.375, dx = 1, da = N/32, db = 0;
 * W3 L = 0.75 N, dx = 1.5 N, dk = 0.5 N. */
static int scalar_check_ok(const char *w, size_t n, const double c[4])
{
    const double N = (double)n;
    if (w[1] == '1')
        return c[0] == 0.375 && c[1] == 1.0 && c[2] == N / 32 && c[3] == 0.0;
    return c[0] == 0.75 * N && c[1] == 1.5 * N && c[2] == 0.5 * N;
}

#define SAMPLE_NS 5e6 /* each sample lasts at least this long */
#define MAX_SAMPLES 64

/* One peer's run in progress: its graph, how many repetitions make a sample, the samples. */
typedef struct scalar_run {
    const bench_peer *p;
    void *ctx;
    double nodes;
    double rec[MAX_SAMPLES], bwd[MAX_SAMPLES];
    scalar_result r;
} scalar_run;

/* Warm-up: the first run grows the storage; the next two tell how long one run takes, hence
 * the repetitions per sample. 0 if the peer is skipped (no memory, or over 60 s). */
static int scalar_start(scalar_run *s, const bench_peer *p, size_t n, int samples)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->nodes = (double)scalar_nodes(p->workload, n);
    s->r.samples = samples;
    if (!(s->ctx = p->make(n))) {
        s->r.skipped = 1;
        return 0;
    }
    double once = INFINITY; /* the shortest of the warm-up runs after the first */
    for (int w = 0; w < 3; w++) {
        p->reset(s->ctx);
        const double t0 = now_ns();
        p->record(s->ctx);
        p->backward(s->ctx);
        const double dt = now_ns() - t0;
        once = w ? fmin(once, dt) : dt;
        if (dt > 60e9) {
            s->r.skipped = 1;
            p->destroy(s->ctx);
            return 0;
        }
    }
    p->check(s->ctx, s->r.check);
    s->r.bytes = p->bytes(s->ctx);
    s->r.ok = scalar_check_ok(p->workload, n, s->r.check);
    s->r.reps = once >= SAMPLE_NS ? 1 : (long)ceil(SAMPLE_NS / (once > 1 ? once : 1));
    return 1;
}

/* Sample number k: reps repetitions, each from a fresh graph (the reset is untimed). */
static void scalar_sample(scalar_run *s, int k)
{
    const bench_peer *p = s->p;
    double tr = 0, tb = 0;
    for (long i = 0; i < s->r.reps; i++) {
        p->reset(s->ctx);
        const double t0 = now_ns();
        p->record(s->ctx);
        const double t1 = now_ns();
        p->backward(s->ctx);
        const double t2 = now_ns();
        tr += t1 - t0;
        tb += t2 - t1;
    }
    s->rec[k] = tr / ((double)s->r.reps * s->nodes);
    s->bwd[k] = tb / ((double)s->r.reps * s->nodes);
}

static scalar_result scalar_finish(scalar_run *s)
{
    double c[4];
    s->p->check(s->ctx, c);
    s->r.ok = s->r.ok && memcmp(c, s->r.check, sizeof c) == 0;
    s->r.record_ns = median(s->rec, (size_t)s->r.samples);
    s->r.backward_ns = median(s->bwd, (size_t)s->r.samples);
    s->p->destroy(s->ctx);
    return s->r;
}

static scalar_result run_scalar(const bench_peer *p, size_t n, int samples)
{
    scalar_run s;
    if (!scalar_start(&s, p, n, samples))
        return s.r;
    for (int k = 0; k < samples; k++)
        scalar_sample(&s, k);
    return scalar_finish(&s);
}

/* tapegrad and hand-C sample by sample in turn, so that both see the same load on a shared
 * machine; the ratio is the median of the samples' ratios. NAN if either is skipped. */
static double run_scalar_pair(const bench_peer *tg, const bench_peer *hand, size_t n, int samples,
                              scalar_result *rt, scalar_result *rh)
{
    static scalar_run a, b; /* large: not on the stack */
    const int ok_a = scalar_start(&a, tg, n, samples);
    const int ok_b = scalar_start(&b, hand, n, samples);
    double ratio[MAX_SAMPLES];
    for (int k = 0; ok_a && ok_b && k < samples; k++) {
        scalar_sample(&a, k);
        scalar_sample(&b, k);
        ratio[k] = (a.rec[k] + a.bwd[k]) / (b.rec[k] + b.bwd[k]);
    }
    if (!ok_a || !ok_b) {
        for (int k = 0; k < samples; k++) {
            if (ok_a)
                scalar_sample(&a, k);
            if (ok_b)
                scalar_sample(&b, k);
        }
    }
    *rt = ok_a ? scalar_finish(&a) : a.r;
    *rh = ok_b ? scalar_finish(&b) : b.r;
    return ok_a && ok_b ? median(ratio, (size_t)samples) : NAN;
}

static void print_scalar_result(const bench_peer *p, size_t n, scalar_result r)
{
    const size_t nodes = scalar_nodes(p->workload, n);
    if (r.skipped) {
        printf("{\"peer\": \"%s\", \"workload\": \"%s\", \"n\": %zu, \"skipped\": true, "
               "\"reason\": \"out of memory or a single run over 60 s\"}\n",
               p->peer, p->workload, n);
        fflush(stdout);
        return;
    }
    long peak;
    const double rss = rss_growth(p->peer, p->workload, n, &peak);
    printf("{\"peer\": \"%s\", \"workload\": \"%s\", \"n\": %zu, \"nodes\": %zu, "
           "\"record_ns_per_node\": %.4g, \"backward_ns_per_node\": %.4g, "
           "\"total_ns_per_node\": %.4g, \"samples\": %d, \"reps_per_sample\": %ld, "
           "\"bytes_per_node\": %.4g, \"bytes_per_node_method\": \"tape\", "
           "\"bytes_per_node_rss\": %.4g, \"peak_rss_kb\": %ld, ",
           p->peer, p->workload, n, nodes, r.record_ns, r.backward_ns, r.record_ns + r.backward_ns,
           r.samples, r.reps, r.bytes / (double)nodes, rss / (double)nodes, peak);
    if (p->workload[1] == '1')
        printf("\"check\": {\"L\": %.17g, \"gx\": %.17g, \"ga\": %.17g, \"gb\": %.17g}, ",
               r.check[0], r.check[1], r.check[2], r.check[3]);
    else
        printf("\"check\": {\"L\": %.17g, \"gx\": %.17g, \"gk\": %.17g}, ", r.check[0], r.check[1],
               r.check[2]);
    printf("\"ok\": %s}\n", r.ok ? "true" : "false");
    fflush(stdout);
}

static scalar_result print_scalar(const bench_peer *p, size_t n, int samples)
{
    scalar_result r = run_scalar(p, n, samples);
    print_scalar_result(p, n, r);
    return r;
}

/* ratio: the median of the ratios of samples taken in turn (see run_scalar_pair). */
static void print_ratio(const char *w, size_t n, double ratio, double target)
{
    printf("{\"ratio\": \"tapegrad/hand-C\", \"workload\": \"%s\", \"n\": %zu, "
           "\"value\": %.3g, \"target\": %g, \"met\": %s}\n",
           w, n, ratio, target, ratio <= target ? "true" : "false");
    fflush(stdout);
}

/* ---- W2 -------------------------------------------------------------------------------- */

typedef struct w2_result {
    double ms_per_step, loss0, loss9;
    double losses_sum[3]; /* sum g, sum |g|, sum (i+1) g at step 0 */
    size_t op_nodes, n_args;
    double bytes;
    long long allocs_first, allocs_later;
    int runs, ok, deterministic;
} w2_result;

static int rel_close(double x, double want, double tol)
{
    return fabs(x - want) <= tol * fabs(want);
}

/* Agreement of WORKLOADS.md: loss0 exact (within 1e-12 for n-ary dot nodes, which add in a
 * different order), loss9 and the step-0 gradient sums to the printed digits. */
static int w2_check_ok(const w2_result *r, int exact, int steps)
{
    int ok =
        exact ? r->loss0 == 1.1123622922763847 : rel_close(r->loss0, 1.1123622922763847, 1e-12);
    if (steps > 9)
        ok = ok && rel_close(r->loss9, 0.42018907949282, 1e-12);
    ok = ok && rel_close(r->losses_sum[0], 0.46895944180030, 1e-11) &&
         rel_close(r->losses_sum[1], 18.723354726639, 1e-11) &&
         rel_close(r->losses_sum[2], -301.90140071906, 1e-11);
    return ok;
}

static int write_dump(const char *file, const w2_peer *p, const double *losses, int steps,
                      const double *grads)
{
    FILE *f = fopen(file, "w");
    if (!f) {
        fprintf(stderr, "bench: cannot write %s\n", file);
        return 1;
    }
    fprintf(f, "{\"peer\": \"%s\", \"workload\": \"%s\", \"loss0\": %.17g, \"losses\": [", p->peer,
            p->workload, losses[0]);
    for (int k = 0; k < steps; k++)
        fprintf(f, "%s%.17g", k ? ", " : "", losses[k]);
    fprintf(f, "], \"grads0\": [");
    for (int i = 0; i < MLP_N_PARAMS; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", grads[i]);
    fprintf(f, "]}\n");
    return fclose(f) != 0;
}

#define W2_WINDOW_NS 2e8 /* repeat the whole run until the timed steps add up to this */
#define W2_MIN_RUNS 5
#define W2_MAX_RUNS 200

/* One W2 peer's runs in progress. */
typedef struct w2_run {
    const w2_peer *p;
    void *ctx;
    int steps;
    double *losses, *again, *t; /* t: every timed step, in ns */
    size_t n_t, cap_t;
    double run_ns; /* the warm-up run's length */
    double grads[MLP_N_PARAMS];
    w2_result r;
} w2_run;

/* The warm-up run: the first step grows the tape (and gives the node counts, the gradients
 * and the allocations of a first step); no later step may allocate. 0 on failure. */
static int w2_start(w2_run *s, const w2_peer *p, int steps)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->steps = steps;
    s->ctx = p->make();
    s->losses = calloc((size_t)steps, sizeof *s->losses);
    s->again = calloc((size_t)steps, sizeof *s->again);
    s->cap_t = (size_t)steps * 4 * W2_MAX_RUNS;
    s->t = malloc(s->cap_t * sizeof *s->t);
    if (!s->ctx || !s->losses || !s->again || !s->t || steps < 1)
        return 0;
    w2_result *r = &s->r;
    p->init(s->ctx);
    const double t0 = now_ns();
    for (int k = 0; k < steps; k++) {
        const long long a0 = bench_n_allocs();
        s->losses[k] = p->step(s->ctx, k, k == 0 ? s->grads : NULL);
        const long long n = bench_n_allocs() - a0;
        if (k == 0) {
            r->allocs_first = n;
            r->op_nodes = p->op_nodes(s->ctx);
            r->n_args = p->args(s->ctx);
            r->bytes = p->bytes(s->ctx);
        } else {
            r->allocs_later += n;
        }
    }
    s->run_ns = now_ns() - t0;
    r->loss0 = s->losses[0];
    r->loss9 = steps > 9 ? s->losses[9] : NAN;
    for (int i = 0; i < MLP_N_PARAMS; i++) {
        r->losses_sum[0] += s->grads[i];
        r->losses_sum[1] += fabs(s->grads[i]);
        r->losses_sum[2] += (i + 1) * s->grads[i];
    }
    r->deterministic = 1;
    return 1;
}

/* One timed run of all the steps from the initial parameters (put back untimed); returns the
 * median step of this run in ns. The losses must repeat the warm-up's bit for bit. */
static double w2_time_run(w2_run *s)
{
    const w2_peer *p = s->p;
    const size_t first = s->n_t;
    p->init(s->ctx);
    for (int k = 0; k < s->steps; k++) {
        const long long a0 = bench_n_allocs();
        const double s0 = now_ns();
        s->again[k] = p->step(s->ctx, k, NULL);
        const double dt = now_ns() - s0;
        s->r.allocs_later += bench_n_allocs() - a0;
        if (s->n_t < s->cap_t)
            s->t[s->n_t++] = dt;
    }
    s->r.deterministic = s->r.deterministic &&
                         memcmp(s->again, s->losses, (size_t)s->steps * sizeof *s->losses) == 0;
    s->r.runs++;
    double run[1024];
    const size_t n = s->n_t - first < 1024 ? s->n_t - first : 1024;
    memcpy(run, s->t + first, n * sizeof *run);
    return n ? median(run, n) : NAN;
}

static w2_result w2_finish(w2_run *s, const char *dump)
{
    w2_result r = s->r;
    if (s->losses && s->t) {
        r.ms_per_step = s->n_t ? median(s->t, s->n_t) / 1e6 : NAN;
        r.ok = w2_check_ok(&r, strcmp(s->p->workload, "W2") == 0, s->steps) && r.deterministic;
        if (dump && write_dump(dump, s->p, s->losses, s->steps, s->grads))
            r.ok = 0;
    }
    free(s->losses);
    free(s->again);
    free(s->t);
    if (s->ctx)
        s->p->destroy(s->ctx);
    return r;
}

static long clamp_runs(double runs)
{
    return runs < W2_MIN_RUNS ? W2_MIN_RUNS : runs > W2_MAX_RUNS ? W2_MAX_RUNS : (long)runs;
}

static w2_result run_w2(const w2_peer *p, int steps, const char *dump, int timed)
{
    static w2_run s;
    if (w2_start(&s, p, steps) && timed) {
        const long runs = clamp_runs(ceil(W2_WINDOW_NS / (s.run_ns > 1 ? s.run_ns : 1)));
        for (long i = 0; i < runs; i++)
            w2_time_run(&s);
    }
    return w2_finish(&s, dump);
}

/* tapegrad and hand-C in turn: each round is one tapegrad run and as many hand-C runs as take
 * about as long; the ratio is the median over the rounds of their median steps. */
static double run_w2_pair(const w2_peer *tg, const w2_peer *hand, int steps, w2_result *rt,
                          w2_result *rh)
{
    static w2_run a, b;
    double ratio[W2_MAX_RUNS];
    long rounds = 0;
    if (w2_start(&a, tg, steps) && w2_start(&b, hand, steps)) {
        rounds = clamp_runs(ceil(W2_WINDOW_NS / (a.run_ns > 1 ? a.run_ns : 1)));
        const long per_round = (long)ceil(a.run_ns / (b.run_ns > 1 ? b.run_ns : 1));
        const long hand_runs = per_round < 1 ? 1 : per_round;
        for (long i = 0; i < rounds; i++) {
            const double ta = w2_time_run(&a);
            double th[W2_MAX_RUNS];
            long m = 0;
            for (; m < hand_runs && m < W2_MAX_RUNS && b.n_t + (size_t)steps <= b.cap_t; m++)
                th[m] = w2_time_run(&b);
            ratio[i] = m ? ta / median(th, (size_t)m) : NAN;
        }
    }
    *rt = w2_finish(&a, NULL);
    *rh = w2_finish(&b, NULL);
    return rounds ? median(ratio, (size_t)rounds) : NAN;
}

static void print_w2_result(const w2_peer *p, int steps, w2_result r)
{
    long peak;
    const double rss = rss_growth(p->peer, p->workload, 0, &peak);
    const double nodes = (double)r.op_nodes;
    printf(
        "{\"peer\": \"%s\", \"workload\": \"%s\", \"n\": %d, \"nodes\": %zu, "
        "\"steps\": %d, \"runs\": %d, \"ms_per_step\": %.4g, \"total_ns_per_node\": %.4g, "
        "\"ns_per_w2_node\": %.4g, \"bytes_per_node\": %.4g, \"bytes_per_node_method\": \"tape\", "
        "\"bytes_per_node_rss\": %.4g, \"peak_rss_kb\": %ld, \"n_args\": %zu, ",
        p->peer, p->workload, MOONS_N, r.op_nodes, steps, r.runs, r.ms_per_step,
        r.ms_per_step * 1e6 / nodes, r.ms_per_step * 1e6 / W2_OP_NODES, r.bytes / nodes,
        rss / nodes, peak, r.n_args);
    printf("\"allocs_first_step\": %lld, \"allocs_after_first_step\": %lld, "
           "\"loss0\": %.17g, \"loss9\": %.17g, "
           "\"check\": {\"sum_g\": %.17g, \"sum_abs_g\": %.17g, \"sum_i_g\": %.17g}, "
           "\"ok\": %s}\n",
           r.allocs_first, r.allocs_later, r.loss0, r.loss9, r.losses_sum[0], r.losses_sum[1],
           r.losses_sum[2], r.ok ? "true" : "false");
    fflush(stdout);
}

static w2_result print_w2(const w2_peer *p, int steps, const char *dump)
{
    w2_result r = run_w2(p, steps, dump, 1);
    print_w2_result(p, steps, r);
    return r;
}

/* ---- Command line -------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr,
            "usage: bench [hand] W1|W3 N [SAMPLES]\n"
            "       bench [hand] W2 STEPS [--dump FILE]\n"
            "       bench W2-native|W2-dot STEPS [--dump FILE]\n"
            "       bench            (the whole set)\n"
            "       bench check      (a quick correctness run at small sizes)\n"
            "       bench profile [hand] W N REPS   (untimed repetitions, for a profiler)\n");
    return 2;
}

static size_t parse_size(const char *s)
{
    return (size_t)strtod(s, NULL);
}

static int default_samples(size_t n)
{
    return n >= 10000000 ? 5 : 11;
}

/* `bench check`: every workload at a small size, untimed, against the exact expected results;
 * and no allocation in W2's steps after the first. Exit status 0 when all hold. */
static int run_check(void)
{
    int failed = 0;
    const bench_peer *sp[4] = {&tg_w1_peer, &hand_w1_peer, &tg_w3_peer, &hand_w3_peer};
    const size_t sizes[3] = {8, 1000, 4096};
    for (int i = 0; i < 4; i++)
        for (int s = 0; s < 3; s++) {
            const bench_peer *p = sp[i];
            void *ctx = p->make(sizes[s]);
            double c[4];
            p->reset(ctx);
            p->record(ctx);
            p->backward(ctx);
            p->check(ctx, c);
            const int ok = scalar_check_ok(p->workload, sizes[s], c);
            fprintf(stderr, "%s %s %s n=%zu: L %.17g grads %.17g %.17g %.17g\n",
                    ok ? "ok  " : "FAIL", p->peer, p->workload, sizes[s], c[0], c[1], c[2], c[3]);
            failed += !ok;
            p->destroy(ctx);
        }
    /* W2 has exactly WORKLOADS.md's nodes; the n-ary versions have fewer, larger ones. */
    const w2_peer *wp[4] = {&tg_w2_peer, &hand_w2_peer, &tg_w2_native_peer, &tg_w2_dot_peer};
    static double grads[4][MLP_N_PARAMS];
    for (int i = 0; i < 4; i++) {
        static w2_run s;
        if (w2_start(&s, wp[i], 10))
            memcpy(grads[i], s.grads, sizeof grads[i]);
        w2_result r = w2_finish(&s, NULL);
        /* The counter works if the tape's first step was seen allocating. */
        const int counted = bench_n_allocs() >= 0 && (i == 1 || r.allocs_first > 0);
        const int nodes_ok = i < 2 ? r.op_nodes == W2_OP_NODES : r.op_nodes < W2_OP_NODES;
        const int ok = r.ok && nodes_ok && r.allocs_later == 0 && counted;
        fprintf(stderr, "%s %s %s: nodes %zu loss0 %.17g loss9 %.17g allocs after step 0: %lld\n",
                ok ? "ok  " : "FAIL", wp[i]->peer, wp[i]->workload, r.op_nodes, r.loss0, r.loss9,
                r.allocs_later);
        failed += !ok;
    }
    /* Every step-0 gradient against the hand-derived backward of hand.c, to 1e-12 relative
     * (WORKLOADS.md's agreement rule; orders of accumulation may differ in the last bits). */
    for (int i = 0; i < 4; i++) {
        double worst = 0.0;
        for (int k = 0; k < MLP_N_PARAMS; k++) {
            const double h = grads[1][k], d = fabs(grads[i][k] - h);
            worst = fmax(worst, h != 0.0 ? d / fabs(h) : d);
        }
        const int ok = worst <= 1e-12;
        fprintf(stderr, "%s %s %s: step-0 gradients vs hand-C, max relative difference %.3g\n",
                ok ? "ok  " : "FAIL", wp[i]->peer, wp[i]->workload, worst);
        failed += !ok;
    }
    /* The data and the initial parameters, as WORKLOADS.md checks them. */
    moons m;
    double p[MLP_N_PARAMS], s = 0.0, ps = 0.0;
    moons_make(&m);
    mlp_init_params(p);
    for (int i = 0; i < MOONS_N; i++)
        s = s + m.x[i][0], s = s + m.x[i][1];
    for (int i = 0; i < MOONS_N; i++)
        s = s + m.y[i];
    for (int i = 0; i < MLP_N_PARAMS; i++)
        ps = ps + p[i];
    const int data_ok = s == 75.223832127615566 && ps == -0.0083693713006702808;
    fprintf(stderr, "%s moons data sum %.17g, initial parameter sum %.17g\n",
            data_ok ? "ok  " : "FAIL", s, ps);
    failed += !data_ok;
    fprintf(stderr, "%d failed\n", failed);
    return failed != 0;
}

/* `bench profile [hand] W N REPS`: REPS repetitions (W2: REPS steps) with no timing and no
 * adaptive repetition, for a profiler (valgrind --tool=callgrind, perf record). */
static int run_profile(int argc, char **argv)
{
    int a = 2;
    const char *peer = "tapegrad";
    if (a < argc && strcmp(argv[a], "hand") == 0)
        peer = "hand-C", a++;
    if (a + 2 >= argc)
        return usage();
    const char *w = argv[a];
    const size_t n = parse_size(argv[a + 1]);
    const long reps = atol(argv[a + 2]);
    if (w[1] == '2') {
        const w2_peer *p = w2_peer_of(peer, w);
        void *ctx = p->make();
        p->init(ctx);
        for (long k = 0; k < reps; k++)
            p->step(ctx, (int)(k % 100), NULL);
        p->destroy(ctx);
        return 0;
    }
    const bench_peer *p = scalar_peer_of(peer, w);
    if (!p)
        return usage();
    void *ctx = p->make(n);
    for (long k = 0; k < reps; k++) {
        p->reset(ctx);
        p->record(ctx);
        p->backward(ctx);
    }
    p->destroy(ctx);
    return 0;
}

/* The whole set; quick: the same code at small sizes (a smoke test of the driver). */
static int run_all(int quick)
{
    int bad = 0;
    const size_t w1_sizes[4] = {1000, 100000, 1000000, 10000000};
    const size_t w3_sizes[3] = {100000, 1000000, 10000000};
    const size_t div = quick ? 100 : 1;
    const int steps = quick ? 10 : 100;
    double w1_total[4];
    for (int i = 0; i < 4; i++) {
        const size_t n = w1_sizes[i] / div / 8 * 8;
        scalar_result a, b;
        const double ratio =
            run_scalar_pair(&tg_w1_peer, &hand_w1_peer, n, default_samples(n), &a, &b);
        print_scalar_result(&tg_w1_peer, n, a);
        print_scalar_result(&hand_w1_peer, n, b);
        bad += !a.ok + !b.ok;
        w1_total[i] = a.record_ns + a.backward_ns;
        print_ratio("W1", n, ratio, 2.0);
    }
    double lo = w1_total[0], hi = w1_total[0];
    for (int i = 1; i < 4; i++)
        lo = fmin(lo, w1_total[i]), hi = fmax(hi, w1_total[i]);
    printf("{\"flatness\": \"tapegrad W1 total_ns_per_node, max/min over n = 1e3..1e7\", "
           "\"value\": %.3g, \"target\": 1.3, \"met\": %s}\n",
           hi / lo, hi / lo <= 1.3 ? "true" : "false");
    for (int i = 0; i < 3; i++) {
        const size_t n = w3_sizes[i] / div;
        scalar_result a, b;
        const double ratio =
            run_scalar_pair(&tg_w3_peer, &hand_w3_peer, n, default_samples(n), &a, &b);
        print_scalar_result(&tg_w3_peer, n, a);
        print_scalar_result(&hand_w3_peer, n, b);
        bad += !a.ok + !b.ok;
        print_ratio("W3", n, ratio, 8.0);
    }
    const w2_peer *tg[2] = {&tg_w2_peer, &tg_w2_native_peer};
    const double target[2] = {12.0, 3.0};
    for (int i = 0; i < 2; i++) {
        w2_result a, h;
        const double ratio = run_w2_pair(tg[i], &hand_w2_peer, steps, &a, &h);
        print_w2_result(tg[i], steps, a);
        print_w2_result(&hand_w2_peer, steps, h);
        bad += !a.ok + !h.ok;
        print_ratio(tg[i]->workload, 100, ratio, target[i]);
    }
    bad += !print_w2(&tg_w2_dot_peer, steps, NULL).ok;
    return bad != 0;
}

int main(int argc, char **argv)
{
    if (argc == 1)
        return run_all(0);
    if (strcmp(argv[1], "quick") == 0)
        return run_all(1);
    if (strcmp(argv[1], "check") == 0)
        return run_check();
    if (strcmp(argv[1], "profile") == 0)
        return run_profile(argc, argv);
    if (strcmp(argv[1], "rss-probe") == 0 && argc == 5)
        return rss_probe(argv[2], argv[3], parse_size(argv[4]));
    const char *peer = "tapegrad";
    int a = 1;
    if (strcmp(argv[1], "hand") == 0) {
        peer = "hand-C";
        a = 2;
    }
    if (a >= argc)
        return usage();
    const char *w = argv[a];
    if (strcmp(w, "W1") == 0 || strcmp(w, "W3") == 0) {
        if (a + 1 >= argc)
            return usage();
        const size_t n = parse_size(argv[a + 1]);
        if (n < 1 || (w[1] == '1' && n % 8 != 0)) {
            fprintf(stderr, "bench: N must be >= 1 (and a multiple of 8 for W1)\n");
            return 2;
        }
        int samples = a + 2 < argc ? atoi(argv[a + 2]) : default_samples(n);
        samples = samples < 5 ? 5 : samples > MAX_SAMPLES ? MAX_SAMPLES : samples;
        return !print_scalar(scalar_peer_of(peer, w), n, samples).ok;
    }
    if (strcmp(w, "W2") == 0 ||
        ((strcmp(w, "W2-native") == 0 || strcmp(w, "W2-dot") == 0) && a == 1)) {
        if (a + 1 >= argc)
            return usage();
        const int steps = atoi(argv[a + 1]);
        const char *dump = NULL;
        if (a + 3 < argc && strcmp(argv[a + 2], "--dump") == 0)
            dump = argv[a + 3];
        if (steps < 1)
            return usage();
        return !print_w2(w2_peer_of(peer, w), steps, dump).ok;
    }
    return usage();
}
