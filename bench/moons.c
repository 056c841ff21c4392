/* moons.c: W2's data and initial parameters (WORKLOADS.md "Generator", "Data", "Model"):
 * splitmix64, two half-moons of 50 points with noise, and the 337 weights drawn in micrograd's
 * parameter order. Both peers of W2 start from here; what they compute is theirs. */
#include <math.h>

#include "bench.h"

const int mlp_nin[3] = {2, 16, 16}, mlp_nout[3] = {16, 16, 1};

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

void moons_make(moons *m)
{
    const double pi = 3.141592653589793;
    uint64_t state = 42;
    for (int moon = 0; moon < 2; moon++) {
        for (int i = 0; i < 50; i++) {
            const double t = pi * i / 49;
            const double nx = 0.1 * (2.0 * u01(&state) - 1.0);
            const double ny = 0.1 * (2.0 * u01(&state) - 1.0);
            const int p = moon * 50 + i;
            if (moon == 0) {
                m->x[p][0] = cos(t) + nx;
                m->x[p][1] = sin(t) + ny;
                m->y[p] = -1.0;
            } else {
                m->x[p][0] = 1.0 - cos(t) + nx;
                m->x[p][1] = 0.5 - sin(t) + ny;
                m->y[p] = 1.0;
            }
        }
    }
}

void mlp_init_params(double p[MLP_N_PARAMS])
{
    uint64_t state = 1337;
    int k = 0;
    for (int layer = 0; layer < 3; layer++)
        for (int n = 0; n < mlp_nout[layer]; n++) {
            for (int i = 0; i < mlp_nin[layer]; i++)
                p[k++] = 2.0 * u01(&state) - 1.0;
            p[k++] = 0.0; /* the bias takes no draw */
        }
}

double w2_learning_rate(int k)
{
    return 1.0 - (0.9 * k) / 100;
}
