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

/* The clock of every timing: this thread's CPU time by default, so that time spent waiting for
 * a core on a shared machine (at a load of 10 on 2 cores, most of the wall time) is not counted,
 * and a peer whose unit of work is longer than a scheduler slice is not penalised for it; wall
 * time (CLOCK_MONOTONIC) with BENCH_CLOCK=wall. Reading the CPU-time clock costs ~1 us here, so
 * per-step timings in W2 are per run under it (w2_time_run). */
static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

static const char *clock_name(void)
{
    return bench_clock == CLOCK_MONOTONIC ? "wall" : "thread-cpu";
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* v as a JSON number by fmt into buf, or null when it is NaN or infinite (JSON has neither). */
static const char *json_number(char buf[32], double v, const char *fmt)
{
    if (!isfinite(v))
        return "null";
    snprintf(buf, 32, fmt, v);
    return buf;
}

/* The 1-minute load average (how shared the machine was), or -1. */
static double load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
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

/* The peers a command line names: "tapegrad", "hand-C" (hand) or "ADOL-C" (adolc). NULL if
 * that peer has no such workload or was not built. */
static const bench_peer *scalar_peer_of(const char *peer, const char *w)
{
    const int w1 = strcmp(w, "W1") == 0;
    if (!w1 && strcmp(w, "W3") != 0)
        return NULL;
    if (strcmp(peer, "hand-C") == 0)
        return w1 ? &hand_w1_peer : &hand_w3_peer;
    if (strcmp(peer, "ADOL-C") == 0) {
#ifdef BENCH_HAVE_ADOLC
        return w1 ? &adolc_w1_peer : &adolc_w3_peer;
#else
        return NULL;
#endif
    }
    return w1 ? &tg_w1_peer : &tg_w3_peer;
}

static const w2_peer *w2_peer_of(const char *peer, const char *w)
{
    if (strcmp(w, "W2-big") == 0)
        return strcmp(peer, "hand-C") == 0     ? &hand_w2_big_peer
               : strcmp(peer, "tapegrad") == 0 ? &tg_w2_big_peer
                                               : NULL;
    if (strcmp(peer, "hand-C") == 0)
        return strcmp(w, "W2") == 0 ? &hand_w2_peer : NULL;
    if (strcmp(peer, "ADOL-C") == 0) {
#ifdef BENCH_HAVE_ADOLC
        return strcmp(w, "W2") == 0 ? &adolc_w2_peer : NULL;
#else
        return NULL;
#endif
    }
    if (strcmp(w, "W2-native") == 0)
        return &tg_w2_native_peer;
    if (strcmp(w, "W2-dot") == 0)
        return &tg_w2_dot_peer;
    return strcmp(w, "W2") == 0 ? &tg_w2_peer : NULL;
}

#ifdef BENCH_HAVE_ADOLC
static const int have_adolc = 1;
#else
static const int have_adolc = 0;
#endif

/* What the bench says, once per run of the whole set, when ADOL-C was not built. */
static void say_no_adolc(void)
{
    fprintf(stderr, "bench: ADOL-C was not found at build time (Debian: libadolc-dev); its "
                    "columns are skipped\n");
    printf("{\"peer\": \"ADOL-C\", \"skipped\": true, \"reason\": \"not built: ADOL-C "
           "(libadolc-dev) was not found when bench was configured\"}\n");
    fflush(stdout);
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
        void *ctx = p ? p->make() : NULL;
        if (!ctx)
            return 1;
        p->init(ctx);
        before = resident_pages();
        p->step(ctx, 0, NULL);
        after = resident_pages();
        p->destroy(ctx);
    } else {
        const bench_peer *p = scalar_peer_of(peer, w);
        void *ctx = p ? p->make(n) : NULL;
        if (!ctx)
            return 1;
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
    double record_ns, backward_ns; /* per op node, medians; replay mode: replay and backward */
    double check[4];
    double bytes;
    int ok, skipped, samples, replay;
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
#define MAX_PEERS 6 /* peers sampled in turn in one run (hand-C, tapegrad, ADOL-C, 2 modes) */

/* One peer's run in progress: its graph, how many repetitions make a sample, the samples. In
 * replay mode the graph is recorded once by scalar_start and each repetition replays it. */
typedef struct scalar_run {
    const bench_peer *p;
    void *ctx;
    double nodes;
    double rec[MAX_SAMPLES], bwd[MAX_SAMPLES];
    scalar_result r;
} scalar_run;

/* One repetition's forward part: a fresh graph (record), or the kept graph again (replay). */
static void scalar_forward(const scalar_run *s)
{
    if (s->r.replay)
        s->p->replay(s->ctx);
    else
        s->p->record(s->ctx);
}

/* Warm-up: the first run grows the storage; the next two tell how long one run takes, hence
 * the repetitions per sample. 0 if the peer is skipped (no memory, or over 60 s). */
static int scalar_start(scalar_run *s, const bench_peer *p, size_t n, int samples, int replay)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->nodes = (double)scalar_nodes(p->workload, n);
    s->r.samples = samples;
    s->r.replay = replay;
    if ((replay && !p->replay) || !(s->ctx = p->make(n))) {
        s->r.skipped = 1;
        return 0;
    }
    if (replay) { /* the graph is recorded once, untimed */
        p->reset(s->ctx);
        p->record(s->ctx);
    }
    double once = INFINITY; /* the shortest of the warm-up runs after the first */
    for (int w = 0; w < 3; w++) {
        if (!replay)
            p->reset(s->ctx);
        const double t0 = now_ns();
        scalar_forward(s);
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

/* Sample number k: reps repetitions, each from a fresh graph (the reset is untimed), or in
 * replay mode each on the kept graph. */
static void scalar_sample(scalar_run *s, int k)
{
    const bench_peer *p = s->p;
    double tr = 0, tb = 0;
    for (long i = 0; i < s->r.reps; i++) {
        if (!s->r.replay)
            p->reset(s->ctx);
        const double t0 = now_ns();
        scalar_forward(s);
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

/* Peers sample by sample in turn (peer 0, peer 1, ..., then the next sample), so that all see
 * the same load on a shared machine. ratio[j][0] is the median over samples of peer j's time
 * over peer 0's in the same sample; ratio[j][i] the same against peer i. NAN where either peer
 * is skipped. */
static void run_scalar_set(int n_peers, const bench_peer *const *peers, const int *replay,
                           size_t n, int samples, scalar_result *res,
                           double ratio[MAX_PEERS][MAX_PEERS])
{
    static scalar_run run[MAX_PEERS]; /* large: not on the stack */
    int ok[MAX_PEERS];
    for (int j = 0; j < n_peers; j++)
        ok[j] = scalar_start(&run[j], peers[j], n, samples, replay[j]);
    for (int k = 0; k < samples; k++)
        for (int j = 0; j < n_peers; j++)
            if (ok[j])
                scalar_sample(&run[j], k);
    for (int j = 0; j < n_peers; j++)
        for (int i = 0; i < n_peers; i++) {
            double r[MAX_SAMPLES];
            for (int k = 0; k < samples; k++)
                r[k] = (run[j].rec[k] + run[j].bwd[k]) / (run[i].rec[k] + run[i].bwd[k]);
            ratio[j][i] = ok[j] && ok[i] ? median(r, (size_t)samples) : NAN;
        }
    for (int j = 0; j < n_peers; j++)
        res[j] = ok[j] ? scalar_finish(&run[j]) : run[j].r;
}

static scalar_result run_scalar(const bench_peer *p, size_t n, int samples, int replay)
{
    scalar_run s;
    if (!scalar_start(&s, p, n, samples, replay))
        return s.r;
    for (int k = 0; k < samples; k++)
        scalar_sample(&s, k);
    return scalar_finish(&s);
}

/* One JSON line. Replay mode: "mode": "replay" and replay_{forward,backward,total}_ns_per_node
 * instead of record/backward/total (WORKLOADS.md's names, read by programs outside). */
static void print_scalar_result(const bench_peer *p, size_t n, scalar_result r)
{
    const size_t nodes = scalar_nodes(p->workload, n);
    const char *mode = r.replay ? "\"mode\": \"replay\", " : "";
    if (r.skipped) {
        printf("{\"peer\": \"%s\", \"workload\": \"%s\", %s\"n\": %zu, \"skipped\": true, "
               "\"reason\": \"out of memory or a single run over 60 s\"}\n",
               p->peer, p->workload, mode, n);
        fflush(stdout);
        return;
    }
    long peak;
    const double rss = rss_growth(p->peer, p->workload, n, &peak);
    printf("{\"peer\": \"%s\", \"workload\": \"%s\", %s\"n\": %zu, \"nodes\": %zu, ", p->peer,
           p->workload, mode, n, nodes);
    if (r.replay)
        printf("\"replay_forward_ns_per_node\": %.4g, \"replay_backward_ns_per_node\": %.4g, "
               "\"replay_total_ns_per_node\": %.4g, ",
               r.record_ns, r.backward_ns, r.record_ns + r.backward_ns);
    else
        printf("\"record_ns_per_node\": %.4g, \"backward_ns_per_node\": %.4g, "
               "\"total_ns_per_node\": %.4g, ",
               r.record_ns, r.backward_ns, r.record_ns + r.backward_ns);
    printf("\"samples\": %d, \"reps_per_sample\": %ld, "
           "\"bytes_per_node\": %.4g, \"bytes_per_node_method\": \"tape\", "
           "\"bytes_per_node_rss\": %.4g, \"peak_rss_kb\": %ld, ",
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

static scalar_result print_scalar(const bench_peer *p, size_t n, int samples, int replay)
{
    scalar_result r = run_scalar(p, n, samples, replay);
    print_scalar_result(p, n, r);
    return r;
}

/* A ratio line: num/den, the median of the ratios of samples (or rounds) taken in turn; the
 * modes say whether each side replayed a kept tape ("replay") or recorded afresh ("record").
 * A tapegrad/hand-C line in record mode keeps the previous round's form (no modes). */
static void print_ratio_modes(const char *num, const char *num_mode, const char *den,
                              const char *den_mode, const char *w, size_t n, double ratio,
                              double target)
{
    printf("{\"ratio\": \"%s/%s\", ", num, den);
    if (num_mode)
        printf("\"mode\": \"%s\", \"den_mode\": \"%s\", ", num_mode, den_mode);
    printf("\"workload\": \"%s\", \"n\": %zu, \"value\": %.3g, \"load\": %.3g, \"clock\": \"%s\"",
           w, n, ratio, load_average(), clock_name());
    if (target > 0)
        printf(", \"target\": %g, \"met\": %s", target, ratio <= target ? "true" : "false");
    printf("}\n");
    fflush(stdout);
}

static void print_ratio(const char *w, size_t n, double ratio, double target)
{
    print_ratio_modes("tapegrad", NULL, "hand-C", NULL, w, n, ratio, target);
}

/* ---- W2 -------------------------------------------------------------------------------- */

typedef struct w2_result {
    double ms_per_step, loss0, loss9;
    double losses_sum[3]; /* sum g, sum |g|, sum (i+1) g at step 0 */
    size_t op_nodes, n_args;
    double bytes;
    long long allocs_first, allocs_later;
    int runs, ok, deterministic, replay;
    double losses[16]; /* the first steps' losses, to compare modes bit for bit */
    double grads[MLP_N_PARAMS]; /* step 0's */
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

/* One W2 peer's runs in progress; in replay mode on the graph recorded once by init_reuse. */
typedef struct w2_run {
    const w2_peer *p;
    int replay;
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
/* Puts the initial parameters back (replay mode: and records the graph once); one step. */
static void w2_init_mode(const w2_run *s)
{
    if (s->replay)
        s->p->init_reuse(s->ctx);
    else
        s->p->init(s->ctx);
}
static double w2_step_mode(const w2_run *s, int k, double *grads)
{
    return s->replay ? s->p->step_reuse(s->ctx, k, grads) : s->p->step(s->ctx, k, grads);
}

static int w2_start(w2_run *s, const w2_peer *p, int steps, int replay)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->steps = steps;
    s->replay = replay;
    s->r.replay = replay;
    if (replay && !p->step_reuse)
        return 0;
    s->ctx = p->make();
    s->losses = calloc((size_t)steps, sizeof *s->losses);
    s->again = calloc((size_t)steps, sizeof *s->again);
    s->cap_t = (size_t)steps * 4 * W2_MAX_RUNS;
    s->t = malloc(s->cap_t * sizeof *s->t);
    if (!s->ctx || !s->losses || !s->again || !s->t || steps < 1)
        return 0;
    w2_result *r = &s->r;
    const long long a_init = bench_n_allocs();
    w2_init_mode(s);
    if (replay) /* the recording is where replay mode's storage grows: its "first step" */
        r->allocs_first = bench_n_allocs() - a_init;
    const double t0 = now_ns();
    for (int k = 0; k < steps; k++) {
        const long long a0 = bench_n_allocs();
        s->losses[k] = w2_step_mode(s, k, k == 0 ? s->grads : NULL);
        const long long n = bench_n_allocs() - a0;
        if (k == 0) {
            r->allocs_first += n;
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
    for (int k = 0; k < 16; k++)
        r->losses[k] = k < steps ? s->losses[k] : NAN;
    memcpy(r->grads, s->grads, sizeof r->grads);
    for (int i = 0; i < MLP_N_PARAMS; i++) {
        r->losses_sum[0] += s->grads[i];
        r->losses_sum[1] += fabs(s->grads[i]);
        r->losses_sum[2] += (i + 1) * s->grads[i];
    }
    r->deterministic = 1;
    return 1;
}

/* One timed run of all the steps from the initial parameters (put back untimed); returns the
 * median step of this run in ns. The losses must repeat the warm-up's bit for bit. Under the
 * CPU-time clock the run is timed as a whole (one clock read costs ~1 us, 2-4 % of a hand-C
 * step) and each step counts as the run's mean step. */
static double w2_time_run(w2_run *s)
{
    const size_t first = s->n_t;
    const int per_step = bench_clock == CLOCK_MONOTONIC;
    w2_init_mode(s); /* untimed */
    const double r0 = per_step ? 0 : now_ns();
    for (int k = 0; k < s->steps; k++) {
        const long long a0 = bench_n_allocs();
        const double s0 = per_step ? now_ns() : 0;
        s->again[k] = w2_step_mode(s, k, NULL);
        const double dt = per_step ? now_ns() - s0 : 0;
        s->r.allocs_later += bench_n_allocs() - a0;
        if (per_step && s->n_t < s->cap_t)
            s->t[s->n_t++] = dt;
    }
    if (!per_step && s->n_t < s->cap_t)
        s->t[s->n_t++] = (now_ns() - r0) / s->steps;
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
        /* W2-big has no published numbers: its check is agreement with hand-C (bench.c's
         * scaling run compares the losses bit for bit). */
        const int big = strcmp(s->p->workload, "W2-big") == 0;
        r.ok = (big || w2_check_ok(&r, strcmp(s->p->workload, "W2") == 0, s->steps)) &&
               r.deterministic;
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

static w2_result run_w2(const w2_peer *p, int steps, const char *dump, int timed, int replay)
{
    static w2_run s;
    if (w2_start(&s, p, steps, replay) && timed) {
        const long runs = clamp_runs(ceil(W2_WINDOW_NS / (s.run_ns > 1 ? s.run_ns : 1)));
        for (long i = 0; i < runs; i++)
            w2_time_run(&s);
    }
    return w2_finish(&s, dump);
}

/* Peers in turn, peer 0 being hand-C: each round is, for every other peer j, one run of j
 * followed by as many hand-C runs as take about as long; ratio[j] is the median over the
 * rounds of j's median step over those hand-C runs' median step, and vs[j][i] the median of
 * the rounds' ratio[j] / ratio[i] (j against i, both measured against hand-C right after). */
static void run_w2_set(int n_peers, const w2_peer *const *peers, const int *replay, int steps,
                       w2_result *res, double *ratio, double vs[MAX_PEERS][MAX_PEERS])
{
    static w2_run run[MAX_PEERS];
    static double round_ratio[MAX_PEERS][W2_MAX_RUNS];
    long rounds = 0;
    int ok = 1;
    double slowest = 1;
    for (int j = 0; j < n_peers; j++) {
        ok = w2_start(&run[j], peers[j], steps, replay[j]) && ok;
        slowest = fmax(slowest, run[j].run_ns);
    }
    if (ok) {
        rounds = clamp_runs(ceil(W2_WINDOW_NS / slowest));
        for (long r = 0; r < rounds; r++)
            for (int j = 1; j < n_peers; j++) {
                const double ta = w2_time_run(&run[j]);
                const long per_round = (long)ceil(run[j].run_ns / fmax(run[0].run_ns, 1));
                const long hand_runs = per_round < 1 ? 1 : per_round;
                double th[W2_MAX_RUNS];
                long m = 0;
                for (; m < hand_runs && m < W2_MAX_RUNS &&
                       run[0].n_t + (size_t)steps <= run[0].cap_t;
                     m++)
                    th[m] = w2_time_run(&run[0]);
                round_ratio[j][r] = m ? ta / median(th, (size_t)m) : NAN;
            }
    }
    for (int j = 0; j < n_peers; j++) {
        double tmp[W2_MAX_RUNS];
        for (long r = 0; r < rounds; r++)
            tmp[r] = j ? round_ratio[j][r] : 1.0;
        ratio[j] = rounds ? median(tmp, (size_t)rounds) : NAN;
        for (int i = 0; i < n_peers; i++) {
            for (long r = 0; r < rounds; r++)
                tmp[r] = (j ? round_ratio[j][r] : 1.0) / (i ? round_ratio[i][r] : 1.0);
            vs[j][i] = rounds ? median(tmp, (size_t)rounds) : NAN;
        }
    }
    for (int j = 0; j < n_peers; j++)
        res[j] = w2_finish(&run[j], NULL);
}

/* One JSON line. Replay mode: "mode": "replay" and ms_per_step_reuse instead of ms_per_step
 * (and reuse_ns_per_node, ns_per_w2_node from it). */
static void print_w2_result(const w2_peer *p, int steps, w2_result r)
{
    long peak;
    const double rss = rss_growth(p->peer, p->workload, 0, &peak);
    const double nodes = (double)r.op_nodes;
    printf("{\"peer\": \"%s\", \"workload\": \"%s\", %s\"n\": %d, \"nodes\": %zu, "
           "\"steps\": %d, \"runs\": %d, ",
           p->peer, p->workload, r.replay ? "\"mode\": \"replay\", " : "", MOONS_N, r.op_nodes,
           steps, r.runs);
    if (r.replay)
        printf("\"ms_per_step_reuse\": %.4g, \"reuse_ns_per_node\": %.4g, ", r.ms_per_step,
               r.ms_per_step * 1e6 / nodes);
    else
        printf("\"ms_per_step\": %.4g, \"total_ns_per_node\": %.4g, ", r.ms_per_step,
               r.ms_per_step * 1e6 / nodes);
    char rss_text[32], loss9_text[32];
    printf("\"ns_per_w2_node\": %.4g, \"bytes_per_node\": %.4g, \"bytes_per_node_method\": "
           "\"tape\", \"bytes_per_node_rss\": %s, \"peak_rss_kb\": %ld, \"n_args\": %zu, ",
           r.ms_per_step * 1e6 / W2_OP_NODES, r.bytes / nodes,
           json_number(rss_text, rss / nodes, "%.4g"), peak, r.n_args);
    printf("\"allocs_first_step\": %lld, \"allocs_after_first_step\": %lld, "
           "\"loss0\": %.17g, \"loss9\": %s, "
           "\"check\": {\"sum_g\": %.17g, \"sum_abs_g\": %.17g, \"sum_i_g\": %.17g}, "
           "\"ok\": %s}\n",
           r.allocs_first, r.allocs_later, r.loss0, json_number(loss9_text, r.loss9, "%.17g"),
           r.losses_sum[0], r.losses_sum[1], r.losses_sum[2], r.ok ? "true" : "false");
    fflush(stdout);
}

static w2_result print_w2(const w2_peer *p, int steps, const char *dump, int replay)
{
    w2_result r = run_w2(p, steps, dump, 1, replay);
    print_w2_result(p, steps, r);
    return r;
}

/* ---- Command line -------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr,
            "usage: bench [hand|adolc] W1|W3 N [SAMPLES] [--replay]\n"
            "       bench [hand|adolc] W2 STEPS [--dump FILE] [--replay]\n"
            "       bench W2-native|W2-dot STEPS [--dump FILE] [--replay]\n"
            "       bench            (the whole set, every peer in turn, both modes)\n"
            "       bench check      (a quick correctness run at small sizes)\n"
            "       bench scaling [W N]  (W1, W3 from 1e3 to 1e8 nodes, W2-big, bandwidth)\n"
            "       bench stream     (memory bandwidth, and a tape's traffic floor against W3)\n"
            "       bench profile [hand|adolc] W N REPS [--replay]   (untimed, for a profiler)\n");
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

/* One scalar peer at size n, untimed, against the exact results: recorded (and in replay mode
 * then replayed twice, so that the replayed values are those checked). 1 if it holds. */
static int check_scalar(const bench_peer *p, size_t n, int replay)
{
    void *ctx = p->make(n);
    if (!ctx)
        return 0;
    double c[4];
    p->reset(ctx);
    p->record(ctx);
    p->backward(ctx);
    for (int k = 0; replay && k < 2; k++) {
        p->replay(ctx);
        p->backward(ctx);
    }
    p->check(ctx, c);
    const int ok = scalar_check_ok(p->workload, n, c);
    fprintf(stderr, "%s %s %s%s n=%zu: L %.17g grads %.17g %.17g %.17g\n", ok ? "ok  " : "FAIL",
            p->peer, p->workload, replay ? " replay" : "", n, c[0], c[1], c[2], c[3]);
    p->destroy(ctx);
    return ok;
}

/* `bench check`: every workload at a small size, untimed, against the exact expected results,
 * in both modes; replay gives the re-recorded run's losses and gradients bit for bit; no
 * tapegrad step after the first allocates. Exit status 0 when all hold. With ADOL-C built,
 * its peers are checked too (their allocations are ADOL-C's, not counted). */
static int run_check(void)
{
    int failed = 0;
    const bench_peer *sp[6] = {&tg_w1_peer, &hand_w1_peer, &tg_w3_peer, &hand_w3_peer,
                               NULL, NULL};
    int n_sp = 4;
#ifdef BENCH_HAVE_ADOLC
    sp[n_sp++] = &adolc_w1_peer;
    sp[n_sp++] = &adolc_w3_peer;
#else
    fprintf(stderr, "note ADOL-C was not built (libadolc-dev not found): its peers are not "
                    "checked\n");
#endif
    const size_t sizes[3] = {8, 1000, 4096};
    for (int i = 0; i < n_sp; i++)
        for (int s = 0; s < 3; s++)
            for (int replay = 0; replay < 2; replay++)
                failed += !check_scalar(sp[i], sizes[s], replay);
    /* W2 has exactly WORKLOADS.md's nodes; the n-ary versions have fewer, larger ones. */
    const w2_peer *wp[5] = {&tg_w2_peer, &hand_w2_peer, &tg_w2_native_peer, &tg_w2_dot_peer,
                            NULL};
    int n_wp = 4;
#ifdef BENCH_HAVE_ADOLC
    wp[n_wp++] = &adolc_w2_peer;
#endif
    static double grads[5][MLP_N_PARAMS];
    for (int i = 0; i < n_wp; i++) {
        w2_result r[2];
        for (int replay = 0; replay < 2; replay++) {
            static w2_run s;
            w2_start(&s, wp[i], 10, replay);
            r[replay] = w2_finish(&s, NULL);
            const int tape = strcmp(wp[i]->peer, "tapegrad") == 0;
            /* The counter works if the tape's first step was seen allocating. */
            const int counted = bench_n_allocs() >= 0 && (!tape || r[replay].allocs_first > 0);
            const int nodes_ok =
                i < 2 || i == 4 ? r[replay].op_nodes == W2_OP_NODES : r[replay].op_nodes < W2_OP_NODES;
            const int allocs_ok = !tape || r[replay].allocs_later == 0;
            const int ok = r[replay].ok && nodes_ok && allocs_ok && counted;
            fprintf(stderr,
                    "%s %s %s%s: nodes %zu loss0 %.17g loss9 %.17g allocs after step 0: %lld\n",
                    ok ? "ok  " : "FAIL", wp[i]->peer, wp[i]->workload,
                    replay ? " replay" : "", r[replay].op_nodes, r[replay].loss0,
                    r[replay].loss9, r[replay].allocs_later);
            failed += !ok;
        }
        memcpy(grads[i], r[0].grads, sizeof grads[i]);
        /* WORKLOADS.md: replay gives the losses and step-0 gradients of re-recording, bit for
         * bit. */
        const int same = memcmp(r[0].losses, r[1].losses, 10 * sizeof(double)) == 0 &&
                         memcmp(r[0].grads, r[1].grads, sizeof r[0].grads) == 0;
        fprintf(stderr, "%s %s %s: replay gives the re-recorded losses and gradients bit for bit\n",
                same ? "ok  " : "FAIL", wp[i]->peer, wp[i]->workload);
        failed += !same;
    }
    /* Every step-0 gradient against the hand-derived backward of hand.c, to 1e-12 relative
     * (WORKLOADS.md's agreement rule; orders of accumulation may differ in the last bits). */
    for (int i = 0; i < n_wp; i++) {
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

/* The peer a command line names after `bench` or `bench profile`: hand, adolc, or tapegrad. */
static const char *peer_arg(int argc, char **argv, int *a)
{
    if (*a < argc && strcmp(argv[*a], "hand") == 0)
        return (*a)++, "hand-C";
    if (*a < argc && strcmp(argv[*a], "adolc") == 0)
        return (*a)++, "ADOL-C";
    return "tapegrad";
}

/* Is flag among argv[from..argc-1]? */
static int has_flag(int argc, char **argv, int from, const char *flag)
{
    for (int i = from; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

/* `bench profile [hand|adolc] W N REPS [--replay]`: REPS repetitions (W2: REPS steps) with no
 * timing and no adaptive repetition, for a profiler (valgrind --tool=callgrind, perf record). */
static int run_profile(int argc, char **argv)
{
    int a = 2;
    const char *peer = peer_arg(argc, argv, &a);
    if (a + 2 >= argc)
        return usage();
    const char *w = argv[a];
    const size_t n = parse_size(argv[a + 1]);
    const long reps = atol(argv[a + 2]);
    const int replay = has_flag(argc, argv, a + 3, "--replay");
    if (w[1] == '2') {
        const w2_peer *p = w2_peer_of(peer, w);
        void *ctx = p && (!replay || p->step_reuse) ? p->make() : NULL;
        if (!ctx)
            return usage();
        if (replay)
            p->init_reuse(ctx);
        else
            p->init(ctx);
        for (long k = 0; k < reps; k++)
            if (replay)
                p->step_reuse(ctx, (int)(k % 100), NULL);
            else
                p->step(ctx, (int)(k % 100), NULL);
        p->destroy(ctx);
        return 0;
    }
    const bench_peer *p = scalar_peer_of(peer, w);
    void *ctx = p && (!replay || p->replay) ? p->make(n) : NULL;
    if (!ctx)
        return usage();
    if (replay) {
        p->reset(ctx);
        p->record(ctx);
    }
    for (long k = 0; k < reps; k++) {
        if (replay) {
            p->replay(ctx);
        } else {
            p->reset(ctx);
            p->record(ctx);
        }
        p->backward(ctx);
    }
    p->destroy(ctx);
    return 0;
}

/* The targets, ratios to hand-C: [0] record + backward, [1] replay + backward. */
typedef struct targets {
    double record, replay;
} targets;

/* One size of W1 or W3, every peer in turn: hand-C, tapegrad recording and replaying, ADOL-C
 * re-taping and replaying. Prints each peer's line, then the ratios to hand-C (with targets)
 * and tapegrad's ratios to ADOL-C's replay (target 1: faster). Returns the failures. */
static int scalar_set(const char *w, size_t n, targets tgt)
{
    const bench_peer *peers[5];
    int replay[5] = {0, 0, 1, 0, 1};
    const int w1 = w[1] == '1';
    peers[0] = w1 ? &hand_w1_peer : &hand_w3_peer;
    peers[1] = peers[2] = w1 ? &tg_w1_peer : &tg_w3_peer;
    int n_peers = 3;
#ifdef BENCH_HAVE_ADOLC
    peers[3] = peers[4] = w1 ? &adolc_w1_peer : &adolc_w3_peer;
    n_peers = 5;
#endif
    scalar_result res[5];
    static double ratio[MAX_PEERS][MAX_PEERS];
    run_scalar_set(n_peers, peers, replay, n, default_samples(n), res, ratio);
    int bad = 0;
    for (int j = 0; j < n_peers; j++) {
        print_scalar_result(peers[j], n, res[j]);
        bad += !res[j].skipped && !res[j].ok;
    }
    print_ratio(w, n, ratio[1][0], tgt.record);
    print_ratio_modes("tapegrad", "replay", "hand-C", "record", w, n, ratio[2][0], tgt.replay);
    if (n_peers == 5) {
        print_ratio_modes("ADOL-C", "record", "hand-C", "record", w, n, ratio[3][0], 0);
        print_ratio_modes("ADOL-C", "replay", "hand-C", "record", w, n, ratio[4][0], 0);
        print_ratio_modes("tapegrad", "record", "ADOL-C", "replay", w, n, ratio[1][4], 1.0);
        print_ratio_modes("tapegrad", "replay", "ADOL-C", "replay", w, n, ratio[2][4], 1.0);
    }
    return bad;
}

/* W2 or W2-native (100 steps), every peer in turn as scalar_set does; W2-native is compared
 * with ADOL-C's replay of W2 (the same training). */
static int w2_set(const char *w, int steps, targets tgt)
{
    const int native = strcmp(w, "W2-native") == 0;
    const w2_peer *peers[5] = {&hand_w2_peer, native ? &tg_w2_native_peer : &tg_w2_peer,
                               native ? &tg_w2_native_peer : &tg_w2_peer, NULL, NULL};
    int replay[5] = {0, 0, 1, 0, 1};
    int n_peers = 3;
#ifdef BENCH_HAVE_ADOLC
    if (native) {
        peers[3] = &adolc_w2_peer, replay[3] = 1;
        n_peers = 4;
    } else {
        peers[3] = peers[4] = &adolc_w2_peer;
        n_peers = 5;
    }
#endif
    w2_result res[5];
    double ratio[MAX_PEERS];
    static double vs[MAX_PEERS][MAX_PEERS];
    run_w2_set(n_peers, peers, replay, steps, res, ratio, vs);
    int bad = 0;
    for (int j = 0; j < n_peers; j++) {
        print_w2_result(peers[j], steps, res[j]);
        bad += !res[j].ok;
    }
    print_ratio(w, MOONS_N, ratio[1], tgt.record);
    print_ratio_modes("tapegrad", "replay", "hand-C", "record", w, MOONS_N, ratio[2], tgt.replay);
    const int adolc_replay = n_peers - 1;
    if (n_peers == 5) {
        print_ratio_modes("ADOL-C", "record", "hand-C", "record", w, MOONS_N, ratio[3], 0);
        print_ratio_modes("ADOL-C", "replay", "hand-C", "record", w, MOONS_N, ratio[4], 0);
    } else if (n_peers == 4) {
        print_ratio_modes("ADOL-C", "replay", "hand-C", "record", "W2", MOONS_N, ratio[3], 0);
    }
    if (n_peers >= 4) {
        print_ratio_modes("tapegrad", "record", "ADOL-C", "replay", w, MOONS_N,
                          vs[1][adolc_replay], 1.0);
        print_ratio_modes("tapegrad", "replay", "ADOL-C", "replay", w, MOONS_N,
                          vs[2][adolc_replay], 1.0);
    }
    return bad;
}

/* ---- Scaling: 1e3 to 1e8 nodes, W2-big, and the memory bandwidth they are bound by -------- */

/* MemAvailable in bytes (0 if unknown). */
static double available_bytes(void)
{
    char line[256];
    double kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "MemAvailable:", 13) == 0)
            kb = strtod(line + 13, NULL);
    fclose(f);
    return kb * 1024.0;
}

/* A STREAM-like probe of memory bandwidth, over arrays far larger than the caches (3 x 256 MB):
 * copy (c = a, 16 bytes an element as STREAM counts), triad (a = b + s c, 24 bytes) and write
 * (a = s, 8 bytes), each the best of 5 passes as STREAM reports. GB/s = 1e9 bytes/s. */
static int stream_probe(void)
{
    const size_t n = (size_t)1 << 25;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = 1.0, b[i] = 2.0, c[i] = 0.5;
    double best[3] = {INFINITY, INFINITY, INFINITY};
    volatile double sink = 0;
    for (int pass = 0; pass < 5; pass++) {
        const double s = 1.0 + pass * 1e-3;
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++)
            c[i] = a[i];
        double t1 = now_ns();
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        double t2 = now_ns();
        for (size_t i = 0; i < n; i++)
            b[i] = s;
        double t3 = now_ns();
        sink = sink + a[pass] + b[n - 1] + c[n / 2];
        best[0] = fmin(best[0], t1 - t0);
        best[1] = fmin(best[1], t2 - t1);
        best[2] = fmin(best[2], t3 - t2);
    }
    const double bytes = (double)n * sizeof(double);
    printf("{\"bandwidth\": \"stream-like, best of 5, 3 x %.0f MB\", \"copy_gb_s\": %.4g, "
           "\"triad_gb_s\": %.4g, \"write_gb_s\": %.4g, \"load\": %.3g, \"clock\": \"%s\"}\n",
           bytes / 1e6, 2 * bytes / best[0], 3 * bytes / best[1], bytes / best[2], load_average(),
           clock_name());
    fflush(stdout);
    free(a), free(b), free(c);
    return sink == 0; /* never: keeps the loops */
}

/* Tells the compiler that what p points to is read: keeps the probes' stores. */
static inline void bench_clobber(void *p)
{
#if defined(__GNUC__)
    __asm__ volatile("" : : "r"(p) : "memory");
#else
    (void)p;
#endif
}

/* The least a 24-byte-a-node tape costs in memory traffic alone, against hand-C's W3 (which
 * keeps no tape: two registers) in the same samples: a record that stores value, grad = 0 and
 * code for each node (three streams, 24 bytes a node), and a sweep from the top that reads each
 * node's grad and code and writes its grad (16 bytes read, 8 written), with no arithmetic
 * beyond one add. Out of the caches (>= 2e6 nodes here) this floor alone is most of W3's
 * 4x target, whatever the interpreter does. One JSON line per size; the median of 11
 * samples, each >= SAMPLE_NS. */
static int tape_floor_probe(size_t nodes)
{
    double *value = malloc(nodes * sizeof *value), *grad = malloc(nodes * sizeof *grad);
    uint64_t *code = malloc(nodes * sizeof *code);
    void *w3 = hand_w3_peer.make(nodes / 2 + 1);
    if (!value || !grad || !code || !w3) {
        free(value), free(grad), free(code);
        if (w3)
            hand_w3_peer.destroy(w3);
        return 1;
    }
    enum { SAMPLES = 11 };
    double rec[SAMPLES], swp[SAMPLES], hand[SAMPLES], ratio[SAMPLES];
    volatile double sink = 0;
    long reps = 1;
    for (int k = -2; k < SAMPLES; k++) { /* two warm-ups, the second sets reps */
        double tr = 0, ts = 0, th = 0;
        for (long r = 0; r < reps; r++) {
            const double t0 = now_ns();
            for (size_t i = 0; i < nodes; i++) {
                value[i] = (double)i;
                grad[i] = 0.0;
                code[i] = (uint64_t)i * 3;
            }
            bench_clobber(value), bench_clobber(grad), bench_clobber(code);
            const double t1 = now_ns();
            for (size_t i = nodes; i-- > 0;)
                grad[i] = grad[i] + (double)(code[i] & 7);
            bench_clobber(grad);
            const double t2 = now_ns();
            hand_w3_peer.reset(w3);
            hand_w3_peer.record(w3);
            hand_w3_peer.backward(w3);
            const double t3 = now_ns();
            tr += t1 - t0, ts += t2 - t1, th += t3 - t2;
        }
        sink = sink + grad[nodes / 2];
        if (k == -1)
            reps = (long)ceil(SAMPLE_NS / fmax(tr + ts + th, 1.0));
        if (k < 0)
            continue;
        const double per = (double)reps * (double)nodes;
        rec[k] = tr / per, swp[k] = ts / per;
        hand[k] = th / ((double)reps * (double)scalar_nodes("W3", nodes / 2 + 1));
        ratio[k] = (rec[k] + swp[k]) / hand[k];
    }
    printf("{\"floor\": \"tape traffic: 24 bytes a node stored, 16 read and 8 written back\", "
           "\"nodes\": %zu, \"record_ns_per_node\": %.4g, \"sweep_ns_per_node\": %.4g, "
           "\"total_ns_per_node\": %.4g, \"hand_w3_total_ns_per_node\": %.4g, "
           "\"floor_over_hand_w3\": %.3g, \"load\": %.3g, \"clock\": \"%s\"}\n",
           nodes, median(rec, SAMPLES), median(swp, SAMPLES),
           median(rec, SAMPLES) + median(swp, SAMPLES), median(hand, SAMPLES),
           median(ratio, SAMPLES), load_average(), clock_name());
    fflush(stdout);
    free(value), free(grad), free(code);
    hand_w3_peer.destroy(w3);
    return sink != sink; /* never: keeps the loops */
}

static int tape_floor_probes(void)
{
    int bad = 0;
    const size_t nodes[3] = {200000, 2000000, 20000000};
    for (int i = 0; i < 3; i++)
        bad += tape_floor_probe(nodes[i]);
    return bad;
}

/* One size of W1 or W3 for the scaling run: hand-C, tapegrad recording and replaying, in turn;
 * skipped (and said so) when the tapes would not fit in half the available memory. */
static int scaling_point(const char *w, size_t n)
{
    const int w1 = w[1] == '1';
    const double nodes = (double)scalar_nodes(w, n);
    const double need = 2 * 24.0 * nodes + (w1 ? 6.0 * nodes : 0); /* two tapes + hand-C */
    const double avail = available_bytes();
    if (avail > 0 && need > 0.5 * avail) {
        printf("{\"workload\": \"%s\", \"n\": %zu, \"skipped\": true, \"reason\": \"needs %.3g GB, "
               "%.3g GB available\"}\n",
               w, n, need / 1e9, avail / 1e9);
        fflush(stdout);
        return 0;
    }
    const bench_peer *peers[3];
    const int replay[3] = {0, 0, 1};
    peers[0] = w1 ? &hand_w1_peer : &hand_w3_peer;
    peers[1] = peers[2] = w1 ? &tg_w1_peer : &tg_w3_peer;
    scalar_result res[3];
    static double ratio[MAX_PEERS][MAX_PEERS];
    run_scalar_set(3, peers, replay, n, default_samples(n), res, ratio);
    int bad = 0;
    for (int j = 0; j < 3; j++) {
        print_scalar_result(peers[j], n, res[j]);
        bad += !res[j].skipped && !res[j].ok;
    }
    print_ratio(w, n, ratio[1][0], 0);
    print_ratio_modes("tapegrad", "replay", "hand-C", "record", w, n, ratio[2][0], 0);
    return bad;
}

/* `bench scaling`: memory bandwidth; W1 and W3 from 1e3 to 1e8 op nodes (W3's N is half the
 * nodes), each size paired as scaling_point does; W2-big in both modes. `bench scaling W N`:
 * one point. */
static int run_scaling(int argc, char **argv)
{
    if (argc == 4)
        return scaling_point(argv[2], parse_size(argv[3])) != 0;
    int bad = stream_probe();
    const size_t nodes[6] = {1000, 10000, 100000, 1000000, 10000000, 100000000};
    for (int wi = 0; wi < 2; wi++) {
        const char *w = wi ? "W3" : "W1";
        for (int i = 0; i < 6; i++)
            bad += scaling_point(w, wi ? nodes[i] / 2 : nodes[i] / 8 * 8);
    }
    const w2_peer *peers[3] = {&hand_w2_big_peer, &tg_w2_big_peer, &tg_w2_big_peer};
    const int replay[3] = {0, 0, 1};
    const int steps = 5;
    w2_result res[3];
    double ratio[MAX_PEERS];
    static double vs[MAX_PEERS][MAX_PEERS];
    run_w2_set(3, peers, replay, steps, res, ratio, vs);
    for (int j = 0; j < 3; j++) {
        /* Agreement: the same losses and step-0 gradients as hand-C, bit for bit. */
        res[j].ok = res[j].ok && memcmp(res[j].losses, res[0].losses, steps * sizeof(double)) == 0 &&
                    memcmp(res[j].grads, res[0].grads, sizeof res[0].grads) == 0;
        print_w2_result(peers[j], steps, res[j]);
        bad += !res[j].ok;
    }
    print_ratio("W2-big", 1000, ratio[1], 0);
    print_ratio_modes("tapegrad", "replay", "hand-C", "record", "W2-big", 1000, ratio[2], 0);
    bad += stream_probe();
    bad += tape_floor_probes();
    return bad != 0;
}

/* The whole set; quick: the same code at small sizes (a smoke test of the driver). */
static int run_all(int quick)
{
    int bad = 0;
    if (!have_adolc)
        say_no_adolc();
    const size_t w1_sizes[4] = {1000, 100000, 1000000, 10000000};
    const size_t w3_sizes[3] = {100000, 1000000, 10000000};
    const size_t div = quick ? 100 : 1;
    const int steps = quick ? 10 : 100;
    for (int i = 0; i < 4; i++)
        bad += scalar_set("W1", w1_sizes[i] / div / 8 * 8, (targets){2.0, 1.5});
    for (int i = 0; i < 3; i++)
        bad += scalar_set("W3", w3_sizes[i] / div, (targets){4.0, 3.0});
    bad += w2_set("W2", steps, (targets){8.0, 5.0});
    bad += w2_set("W2-native", steps, (targets){3.0, 2.5});
    bad += !print_w2(&tg_w2_dot_peer, steps, NULL, 0).ok;
    return bad != 0;
}

int main(int argc, char **argv)
{
    const char *clock_env = getenv("BENCH_CLOCK");
    if (clock_env && strcmp(clock_env, "wall") == 0)
        bench_clock = CLOCK_MONOTONIC;
    if (argc == 1)
        return run_all(0);
    if (strcmp(argv[1], "quick") == 0)
        return run_all(1);
    if (strcmp(argv[1], "check") == 0)
        return run_check();
    if (strcmp(argv[1], "scaling") == 0)
        return run_scaling(argc, argv);
    if (strcmp(argv[1], "stream") == 0)
        return stream_probe() + tape_floor_probes() != 0;
    if (strcmp(argv[1], "profile") == 0)
        return run_profile(argc, argv);
    if (strcmp(argv[1], "rss-probe") == 0 && argc == 5)
        return rss_probe(argv[2], argv[3], parse_size(argv[4]));
    int a = 1;
    const char *peer = peer_arg(argc, argv, &a);
    if (a + 1 >= argc)
        return usage();
    const char *w = argv[a];
    const int replay = has_flag(argc, argv, a + 2, "--replay");
    if (strcmp(peer, "ADOL-C") == 0 && !have_adolc) {
        fprintf(stderr, "bench: ADOL-C was not found at build time (Debian: libadolc-dev)\n");
        return 2;
    }
    const bench_peer *sp = scalar_peer_of(peer, w);
    if (sp) {
        const size_t n = parse_size(argv[a + 1]);
        if (n < 1 || (w[1] == '1' && n % 8 != 0)) {
            fprintf(stderr, "bench: N must be >= 1 (and a multiple of 8 for W1)\n");
            return 2;
        }
        int samples = a + 2 < argc && argv[a + 2][0] != '-' ? atoi(argv[a + 2])
                                                            : default_samples(n);
        samples = samples < 5 ? 5 : samples > MAX_SAMPLES ? MAX_SAMPLES : samples;
        return !print_scalar(sp, n, samples, replay).ok;
    }
    const w2_peer *wp = w2_peer_of(peer, w);
    if (wp) {
        const int steps = atoi(argv[a + 1]);
        const char *dump = NULL;
        for (int i = a + 2; i + 1 < argc; i++)
            if (strcmp(argv[i], "--dump") == 0)
                dump = argv[i + 1];
        if (steps < 1)
            return usage();
        return !print_w2(wp, steps, dump, replay).ok;
    }
    return usage();
}
