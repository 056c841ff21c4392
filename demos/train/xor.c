/* xor.c: a 2-4-1 network (tanh hidden layer, a logit out) learns XOR with binary
 * cross-entropy on logits and Adam (lr 0.1), full batch, from seed 1; prints the loss every
 * 50 steps and the four predictions, and exits 1 unless the loss drops below 0.01 within 1000
 * steps and every point is classified right.   usage: xor [--quiet] */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tapegrad.h"

int main(int argc, char **argv)
{
    const int quiet = argc > 1 && !strcmp(argv[1], "--quiet");
    tg_tape *t = tg_tape_new();
    tg_rng rng;
    tg_rng_init(&rng, 1);
    const size_t sizes[] = {4, 1};
    const tg_act acts[] = {TG_ACT_TANH, TG_ACT_IDENTITY};
    tg_mlp *m = tg_mlp_new(t, 2, 2, sizes, acts, TG_INIT_XAVIER, &rng);
    tg_dataset *d = tg_dataset_xor(); /* targets 0 1 1 0 */
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM, 0.1);
    tg_optim *o = m ? tg_optim_new(&cfg, tg_mlp_n_params(m)) : NULL;
    if (!t || !m || !d || !o) {
        fprintf(stderr, "xor: out of memory\n");
        return 1;
    }
    const tg_mark mark = tg_tape_mark(t);
    double loss = 1.0;
    size_t k;
    for (k = 0; k < 1000 && loss >= 0.01; k++) {
        tg_var z[4];
        for (size_t i = 0; i < 4; i++)
            tg_mlp_forward_values(m, d->x + 2 * i, &z[i]);
        tg_var L = tg_loss_bce_logits(t, 4, z, d->y);
        loss = tg_value(t, L);
        if (!quiet && k % 50 == 0)
            printf("step %4zu  loss %.6f\n", k, loss);
        tg_backward(t, L);
        tg_optim_step(o, t, tg_mlp_n_params(m), tg_mlp_params(m));
        tg_tape_rewind(t, mark);
    }
    int right = 0;
    for (size_t i = 0; i < 4; i++) {
        double z;
        tg_mlp_predict(m, d->x + 2 * i, &z);
        const double p = 1.0 / (1.0 + exp(-z));
        right += (p > 0.5) == (d->y[i] > 0.5);
        printf("xor(%g, %g) = %g: p = %.4f\n", d->x[2 * i], d->x[2 * i + 1], d->y[i], p);
    }
    printf("loss %.6f after %zu steps (goal < 0.01), %d/4 right\n", loss, k, right);
    tg_optim_free(o);
    tg_dataset_free(d);
    tg_mlp_free(m);
    tg_tape_free(t);
    return loss < 0.01 && right == 4 ? 0 : 1;
}
