/* bench.h: what the benchmark's files share: the peers of each workload (tapegrad in
 * tape_peers.c, hand-written C in hand.c), the moons data and initial parameters (moons.c), and
 * the allocation counter (count_alloc.c). The workloads are those of WORKLOADS.md, bit for bit;
 * timing, medians and JSON output are bench.c's. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A peer of W1 or W3: reset (untimed: fresh graph, fresh leaves), record and backward (timed
 * apart), then check fills {L, grad of leaf 1, 2, 3} (W3 has two leaves; the third is 0) and
 * bytes gives the bytes the recorded graph holds right after record. */
typedef struct bench_peer {
    const char *peer;
    const char *workload;
    void *(*make)(size_t n);
    void (*reset)(void *ctx);
    void (*record)(void *ctx);
    void (*backward)(void *ctx);
    void (*check)(void *ctx, double out[4]);
    double (*bytes)(void *ctx);
    void (*destroy)(void *ctx);
    /* Replay mode (WORKLOADS.md, --replay; NULL if the peer has none): reset and record once,
     * untimed; then each repetition is replay (set the leaves to their values again and
     * re-evaluate the recorded graph) and backward, timed apart. hand-C has no graph to keep:
     * its replay is its record. */
    void (*replay)(void *ctx);
} bench_peer;

/* A peer of W2: one training step k (build, backward, SGD update with lr_k, zero grad), which
 * returns the loss before the update and, if grads is not NULL, copies the 337 gradients
 * before the update. init puts the initial parameters back (untimed). */
#define MOONS_N 100
#define MLP_N_PARAMS 337
#define W2_OP_NODES 65077

typedef struct w2_peer {
    const char *peer;
    const char *workload;
    void *(*make)(void);
    void (*init)(void *ctx);
    double (*step)(void *ctx, int k, double *grads);
    size_t (*op_nodes)(void *ctx); /* op nodes of the last step's graph */
    double (*bytes)(void *ctx);    /* bytes of the last step's graph */
    size_t (*args)(void *ctx);     /* n-ary argument slots of that graph (0 if none) */
    void (*destroy)(void *ctx);
    /* Replay mode (NULL if none): init_reuse puts the initial parameters back and records one
     * step's graph at them (untimed); step_reuse(k) is one step on that graph: set the
     * parameters, replay, backward, SGD, returning the loss as step does. hand-C: init, step. */
    void (*init_reuse)(void *ctx);
    double (*step_reuse)(void *ctx, int k, double *grads);
} w2_peer;

/* tape_peers.c */
extern const bench_peer tg_w1_peer, tg_w3_peer;
extern const w2_peer tg_w2_peer, tg_w2_native_peer, tg_w2_dot_peer;
/* hand.c */
extern const bench_peer hand_w1_peer, hand_w3_peer;
extern const w2_peer hand_w2_peer;
/* W2-big (w2_shape's recipe at w2_big_shape), tapegrad (tape_peers.c) and hand-C (hand.c). The
 * step-0 gradients they copy out are the first MLP_N_PARAMS of the model's. */
extern const w2_peer tg_w2_big_peer, hand_w2_big_peer;
/* adolc_peers.cpp, when ADOL-C is installed (BENCH_HAVE_ADOLC): re-tape (trace_on/trace_off
 * keeping the values, then fos_reverse) and replay (zos_forward + fos_reverse). */
extern const bench_peer adolc_w1_peer, adolc_w3_peer;
extern const w2_peer adolc_w2_peer;

/* moons.c: the data set (x0, x1, label of each point) and the initial parameters. */
typedef struct moons {
    double x[MOONS_N][2];
    double y[MOONS_N];
} moons;
void moons_make(moons *m);
void mlp_init_params(double p[MLP_N_PARAMS]);
/* lr_k = 1.0 - 0.9 * k / 100, as (0.9 * k) / 100 */
double w2_learning_rate(int k);
/* The layers of MLP(2, [16, 16, 1]): inputs per neuron and neurons per layer. */
extern const int mlp_nin[3], mlp_nout[3];

/* W2's recipe at any size: MLP(2, [h1, h2, 1]) on n_points moons points (half a moon each, the
 * same generators and seeds). w2_shape is WORKLOADS.md's W2 (100 points, 16, 16: 337
 * parameters); w2_big_shape is W2-big (1,000 points, 64, 64: 4,417 parameters, 8.7 million op
 * nodes a step), whose results are checked by agreement with hand-C. */
#define MLP_MAX_WIDTH 64
typedef struct mlp_shape {
    int n_points, n_params;
    int nin[3], nout[3];
} mlp_shape;
extern const mlp_shape w2_shape, w2_big_shape;
/* The points of shape s: x[n_points][2] and labels y[n_points] (-1 outer moon, +1 inner). */
void moons_points(const mlp_shape *s, double (*x)[2], double *y);
/* The initial parameters p[n_params] in micrograd's order (weights 2 u01 - 1, biases 0). */
void mlp_params(const mlp_shape *s, double *p);
/* W2's op nodes a step at shape s (65,077 for w2_shape). */
size_t mlp_op_nodes(const mlp_shape *s);

/* count_alloc.c: malloc, calloc and realloc calls so far (-1 if the build cannot count). */
long long bench_n_allocs(void);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_H */
