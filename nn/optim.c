/* optim.c: optimizers that read each parameter's gradient from the tape and write its new
 * value (SGD, momentum, Adam) and the learning-rate schedules. Uses only the public headers.
 * The state (velocities, moments) is allocated once, in tg_optim_new: a step allocates nothing. */
#include <math.h>
#include <stdlib.h>

#include "tapegrad.h"

struct tg_optim {
    tg_optim_config cfg;
    size_t n_params;
    size_t k;              /* steps taken */
    double *v;             /* momentum: velocity; Adam: second moment */
    double *m;             /* Adam: first moment */
    double b1_pow, b2_pow; /* Adam: beta1^k, beta2^k for the bias corrections */
};

tg_optim_config tg_optim_defaults(tg_optim_kind kind, double lr)
{
    tg_optim_config c = {
        .kind = kind,
        .lr = lr,
        .momentum = 0.9,
        .beta1 = 0.9,
        .beta2 = 0.999,
        .eps = 1e-8,
        .schedule = TG_LR_CONSTANT,
        .gamma = 0.1,
        .step_size = 1,
        .decay = 0.0,
        .n_decay = 1,
    };
    return c;
}

static int config_ok(const tg_optim_config *c)
{
    if (!isfinite(c->lr) || (unsigned)c->kind > TG_OPTIM_ADAM ||
        (unsigned)c->schedule > TG_LR_LINEAR)
        return 0;
    if (c->kind == TG_OPTIM_MOMENTUM && !isfinite(c->momentum))
        return 0;
    if (c->kind == TG_OPTIM_ADAM &&
        !(c->beta1 >= 0.0 && c->beta1 < 1.0 && c->beta2 >= 0.0 && c->beta2 < 1.0 && c->eps > 0.0))
        return 0;
    if (c->schedule == TG_LR_STEP && (c->step_size == 0 || !isfinite(c->gamma)))
        return 0;
    if (c->schedule == TG_LR_LINEAR && (c->n_decay == 0 || !isfinite(c->decay)))
        return 0;
    return 1;
}

tg_optim *tg_optim_new(const tg_optim_config *cfg, size_t n_params)
{
    if (!cfg || !config_ok(cfg))
        return NULL;
    tg_optim *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->cfg = *cfg;
    o->n_params = n_params;
    o->b1_pow = o->b2_pow = 1.0;
    if (cfg->kind != TG_OPTIM_SGD && n_params) {
        o->v = calloc(n_params, sizeof *o->v);
        if (!o->v || (cfg->kind == TG_OPTIM_ADAM && !(o->m = calloc(n_params, sizeof *o->m)))) {
            tg_optim_free(o);
            return NULL;
        }
    }
    return o;
}

void tg_optim_free(tg_optim *o)
{
    if (!o)
        return;
    free(o->v);
    free(o->m);
    free(o);
}

size_t tg_optim_steps(const tg_optim *o)
{
    return o ? o->k : 0;
}

double tg_optim_lr(const tg_optim *o)
{
    if (!o)
        return NAN;
    const tg_optim_config *c = &o->cfg;
    switch (c->schedule) {
    case TG_LR_STEP:
        return c->lr * pow(c->gamma, (double)(o->k / c->step_size));
    case TG_LR_LINEAR: {
        const size_t k = o->k < c->n_decay ? o->k : c->n_decay;
        /* lr (1 - (decay k) / n): with lr = 1 this is micrograd's 1.0 - 0.9*k/100, bit for bit */
        return c->lr * (1.0 - (c->decay * (double)k) / (double)c->n_decay);
    }
    default:
        return c->lr;
    }
}

tg_status tg_optim_step(tg_optim *o, tg_tape *t, size_t n, const tg_var *params)
{
    if (!o || !t || n != o->n_params || (n && !params))
        return TG_ERR_ARG;
    const tg_optim_config *c = &o->cfg;
    const double lr = tg_optim_lr(o);
    double corr1 = 1.0, corr2 = 1.0;
    if (c->kind == TG_OPTIM_ADAM) {
        o->b1_pow *= c->beta1;
        o->b2_pow *= c->beta2;
        corr1 = 1.0 - o->b1_pow; /* 1 - beta1^(k+1) */
        corr2 = 1.0 - o->b2_pow;
    }
    for (size_t i = 0; i < n; i++) {
        if (!tg_is_input(t, params[i])) {
            /* tg_set_value records the error on the tape for a bad or non-leaf variable */
            tg_status s = tg_set_value(t, params[i], tg_value(t, params[i]));
            return s != TG_OK ? s : TG_ERR_NOTLEAF;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const double g = tg_grad(t, params[i]);
        double p = tg_value(t, params[i]);
        switch (c->kind) {
        case TG_OPTIM_SGD:
            p = p - lr * g;
            break;
        case TG_OPTIM_MOMENTUM:
            o->v[i] = c->momentum * o->v[i] + g;
            p = p - lr * o->v[i];
            break;
        case TG_OPTIM_ADAM:
            o->m[i] = c->beta1 * o->m[i] + (1.0 - c->beta1) * g;
            o->v[i] = c->beta2 * o->v[i] + (1.0 - c->beta2) * g * g;
            p = p - lr * (o->m[i] / corr1) / (sqrt(o->v[i] / corr2) + c->eps);
            break;
        }
        tg_set_value(t, params[i], p);
    }
    o->k++;
    return TG_OK;
}
