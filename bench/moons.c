/* moons.c: W2's data and initial parameters (WORKLOADS.md "Generator", "Data", "Model"):
 * splitmix64, two half-moons of 50 points with noise, and the 337 weights drawn in micrograd's
 * parameter order; the same recipe at W2-big's size. Every peer of W2 starts from here; what
 * they compute is theirs. */
#include <math.h>

#include "bench.h"

const int mlp_nin[3] = {2, 16, 16}, mlp_nout[3] = {16, 16, 1};
const mlp_shape w2_shape = {MOONS_N, MLP_N_PARAMS, {2, 16, 16}, {16, 16, 1}};
const mlp_shape w2_big_shape = {1000, 64 * 3 + 64 * 65 + 65, {2, 64, 64}, {64, 64, 1}};

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* In [0, 1): the top 53 bits times 2^-53. */
static double u01(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1p-53;
}

void moons_points(const mlp_shape *s, double (*x)[2], double *y)
{
    const double pi = 3.141592653589793;
    const int half = s->n_points / 2;
    uint64_t state = 42;
    for (int moon = 0; moon < 2; moon++) {
        for (int i = 0; i < half; i++) {
            const double t = pi * i / (half - 1);
            const double nx = 0.1 * (2.0 * u01(&state) - 1.0);
            const double ny = 0.1 * (2.0 * u01(&state) - 1.0);
            const int p = moon * half + i;
            if (moon == 0) {
                x[p][0] = cos(t) + nx;
                x[p][1] = sin(t) + ny;
                y[p] = -1.0;
            } else {
                x[p][0] = 1.0 - cos(t) + nx;
                x[p][1] = 0.5 - sin(t) + ny;
                y[p] = 1.0;
            }
        }
    }
}

void moons_make(moons *m)
{
    moons_points(&w2_shape, m->x, m->y);
}

void mlp_params(const mlp_shape *s, double *p)
{
    uint64_t state = 1337;
    int k = 0;
    for (int layer = 0; layer < 3; layer++)
        for (int n = 0; n < s->nout[layer]; n++) {
            for (int i = 0; i < s->nin[layer]; i++)
                p[k++] = 2.0 * u01(&state) - 1.0;
            p[k++] = 0.0; /* the bias takes no draw */
        }
}

void mlp_init_params(double p[MLP_N_PARAMS])
{
    mlp_params(&w2_shape, p);
}

/* Per point each neuron's nin muls and nin adds (and relu in the hidden layers), then the
 * hinge's mul, add, relu; the data-loss sum (n_points adds) and scale; the regularisation
 * (n_params muls and adds, one scale); the final add. */
size_t mlp_op_nodes(const mlp_shape *s)
{
    size_t per_point = 3;
    for (int l = 0; l < 3; l++)
        per_point += (size_t)s->nout[l] * (2 * (size_t)s->nin[l] + (l < 2));
    return per_point * (size_t)s->n_points + ((size_t)s->n_points + 1) +
           (2 * (size_t)s->n_params + 1) + 1;
}

double w2_learning_rate(int k)
{
    return 1.0 - (0.9 * k) / 100;
}
