/* mlp.c: activations, initialization, and the multilayer perceptron: parameters as tg_input
 * leaves with names in a hash table, and the forward pass as one dot node per neuron.
 * Uses only the public headers (tapegrad.h) and core/uthash_int.h. Losses, optimizers and
 * files are loss.c, optim.c and io.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_int.h"
#include "uthash_int.h"

/* ---- Activations: name, and the op recorded (identity records none) --------------------- */
static const char *const act_names[TG_N_ACTS] = {
    [TG_ACT_IDENTITY] = "identity",
    [TG_ACT_TANH] = "tanh",
    [TG_ACT_RELU] = "relu",
    [TG_ACT_SIGMOID] = "sigmoid",
};

const char *tg_act_name(tg_act a)
{
    return (unsigned)a < TG_N_ACTS ? act_names[a] : NULL;
}

tg_act tg_act_find(const char *name)
{
    for (unsigned a = 0; name && a < TG_N_ACTS; a++)
        if (strcmp(act_names[a], name) == 0)
            return (tg_act)a;
    return TG_N_ACTS;
}

tg_var tg_act_apply(tg_tape *t, tg_act a, tg_var z)
{
    switch (a) {
    case TG_ACT_IDENTITY:
        return z;
    case TG_ACT_TANH:
        return tg_tanh(t, z);
    case TG_ACT_RELU:
        return tg_relu(t, z);
    case TG_ACT_SIGMOID:
        return tg_sigmoid(t, z);
    default:
        return tg_var_invalid();
    }
}

static const char *const init_names[TG_N_INITS] = {
    [TG_INIT_UNIFORM] = "uniform",
    [TG_INIT_XAVIER] = "xavier",
    [TG_INIT_HE] = "he",
};

const char *tg_init_name(tg_init i)
{
    return (unsigned)i < TG_N_INITS ? init_names[i] : NULL;
}

tg_init tg_init_find(const char *name)
{
    for (unsigned i = 0; name && i < TG_N_INITS; i++)
        if (strcmp(init_names[i], name) == 0)
            return (tg_init)i;
    return TG_N_INITS;
}

/* The half-width L of the weights' interval [-L, L]; weights are L * (2u - 1). */
static double init_limit(tg_init init, size_t fan_in, size_t fan_out)
{
    switch (init) {
    case TG_INIT_XAVIER:
        return sqrt(6.0 / (double)(fan_in + fan_out));
    case TG_INIT_HE:
        return sqrt(6.0 / (double)fan_in);
    default:
        return 1.0;
    }
}

/* ---- The model ----------------------------------------------------------------------------- */

struct param_entry {
    const char *name; /* points into m->names */
    size_t index;
    UT_hash_handle hh;
};

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

void tg_mlp_free(tg_mlp *m)
{
    if (!m)
        return;
    HASH_CLEAR(hh, m->by_name);
    free(m->entries);
    if (m->names)
        for (size_t i = 0; i < m->n_params; i++)
            free(m->names[i]);
    free(m->names);
    free(m->params);
    free(m->dotw);
    free(m->buf[0]);
    free(m->buf[1]);
    free(m->outs);
    free(m->sizes);
    free(m->acts);
    free(m);
}

/* Builds the names of every parameter and the hash table over them. */
static int name_params(tg_mlp *m)
{
    char name[96]; /* "layer" + 3 numbers of at most 20 digits each */
    size_t i = 0;
    m->names = calloc(m->n_params, sizeof *m->names);
    m->entries = calloc(m->n_params, sizeof *m->entries);
    if (!m->names || !m->entries)
        return 0;
    for (size_t l = 0, fan_in = m->n_in; l < m->n_layers; fan_in = m->sizes[l++])
        for (size_t j = 0; j < m->sizes[l]; j++)
            for (size_t k = 0; k <= fan_in; k++, i++) {
                if (k < fan_in)
                    snprintf(name, sizeof name, "layer%zu.neuron%zu.w%zu", l, j, k);
                else
                    snprintf(name, sizeof name, "layer%zu.neuron%zu.b", l, j);
                if (!(m->names[i] = copy_string(name)))
                    return 0;
                struct param_entry *e = &m->entries[i];
                e->name = m->names[i];
                e->index = i;
                HASH_ADD_KEYPTR(hh, m->by_name, e->name, strlen(e->name), e);
                struct param_entry *check;
                HASH_FIND_STR(m->by_name, e->name, check);
                if (check != e)
                    return 0; /* uthash ran out of memory (HASH_NONFATAL_OOM) */
                if (tg_set_name(m->t, m->params[i], name) != TG_OK)
                    return 0;
            }
    return 1;
}

tg_mlp *tgi_mlp_alloc(tg_tape *t, size_t n_in, size_t n_layers, const size_t *sizes,
                      const tg_act *acts)
{
    if (!t || !sizes || !acts || n_in == 0 || n_layers == 0 || n_layers > TGI_MLP_MAX_LAYERS ||
        n_in > TGI_MLP_MAX_PARAMS)
        return NULL;
    size_t n_params = 0, width = n_in;
    for (size_t l = 0, fan_in = n_in; l < n_layers; fan_in = sizes[l++]) {
        if (sizes[l] == 0 || sizes[l] > TGI_MLP_MAX_PARAMS || (unsigned)acts[l] >= TG_N_ACTS)
            return NULL;
        n_params += sizes[l] * (fan_in + 1);
        if (n_params > TGI_MLP_MAX_PARAMS)
            return NULL;
        if (sizes[l] > width)
            width = sizes[l];
    }
    tg_mlp *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->t = t;
    m->n_in = n_in;
    m->n_layers = n_layers;
    m->n_params = n_params;
    m->width = width;
    snprintf(m->errmsg, sizeof m->errmsg, "no error");
    m->sizes = malloc(n_layers * sizeof *m->sizes);
    m->acts = malloc(n_layers * sizeof *m->acts);
    m->params = malloc(n_params * sizeof *m->params);
    m->dotw = malloc(n_params * sizeof *m->dotw);
    m->buf[0] = malloc((width + 1) * sizeof *m->buf[0]);
    m->buf[1] = malloc((width + 1) * sizeof *m->buf[1]);
    m->outs = malloc(sizes[n_layers - 1] * sizeof *m->outs);
    if (!m->sizes || !m->acts || !m->params || !m->dotw || !m->buf[0] || !m->buf[1] || !m->outs) {
        tg_mlp_free(m);
        return NULL;
    }
    memcpy(m->sizes, sizes, n_layers * sizeof *sizes);
    memcpy(m->acts, acts, n_layers * sizeof *acts);
    return m;
}

/* Records the leaves: values come from vals[i] if vals is given, else from the generator. */
tg_status tgi_mlp_make_params(tg_mlp *m, tg_init init, tg_rng *rng, const double *vals)
{
    size_t i = 0;
    for (size_t l = 0, fan_in = m->n_in; l < m->n_layers; fan_in = m->sizes[l++]) {
        const double lim = init_limit(init, fan_in, m->sizes[l]);
        for (size_t j = 0; j < m->sizes[l]; j++, i += fan_in + 1) {
            /* The neuron's parameters are params[i .. i + fan_in] in micrograd's order (w_0 ..
             * w_{n-1}, b), but its leaves are recorded bias first: dotw = [b, w_0, ..., w_{n-1}]
             * (the dot's order, b * 1 added first) is then a run of consecutive nodes, which
             * tg_dot stores as one slot and reads as one array. The generator draws the
             * weights in order either way; the bias takes no draw. */
            tg_var *dw = m->dotw + i;
            dw[0] = m->params[i + fan_in] = tg_input(m->t, vals ? vals[i + fan_in] : 0.0);
            if (!tg_var_ok(dw[0]))
                return tg_tape_status(m->t);
            for (size_t k = 0; k < fan_in; k++) {
                const double v = vals                      ? vals[i + k]
                                 : init == TG_INIT_UNIFORM ? 2.0 * tg_rng_u01(rng) - 1.0
                                                           : lim * (2.0 * tg_rng_u01(rng) - 1.0);
                dw[k + 1] = m->params[i + k] = tg_input(m->t, v);
                if (!tg_var_ok(dw[k + 1]))
                    return tg_tape_status(m->t);
            }
        }
    }
    m->one = tg_const(m->t, 1.0);
    if (!tg_var_ok(m->one))
        return tg_tape_status(m->t);
    if (!name_params(m))
        return TG_ERR_NOMEM;
    return TG_OK;
}

tg_mlp *tg_mlp_new(tg_tape *t, size_t n_in, size_t n_layers, const size_t *sizes,
                   const tg_act *acts, tg_init init, tg_rng *rng)
{
    if ((unsigned)init >= TG_N_INITS || !rng)
        return NULL;
    tg_mlp *m = tgi_mlp_alloc(t, n_in, n_layers, sizes, acts);
    if (m && tgi_mlp_make_params(m, init, rng, NULL) != TG_OK) {
        tg_mlp_free(m);
        return NULL;
    }
    return m;
}

tg_tape *tg_mlp_tape(const tg_mlp *m)
{
    return m ? m->t : NULL;
}
size_t tg_mlp_n_in(const tg_mlp *m)
{
    return m ? m->n_in : 0;
}
size_t tg_mlp_n_out(const tg_mlp *m)
{
    return m ? m->sizes[m->n_layers - 1] : 0;
}
size_t tg_mlp_n_layers(const tg_mlp *m)
{
    return m ? m->n_layers : 0;
}
size_t tg_mlp_layer_size(const tg_mlp *m, size_t l)
{
    return m && l < m->n_layers ? m->sizes[l] : 0;
}
tg_act tg_mlp_layer_act(const tg_mlp *m, size_t l)
{
    return m && l < m->n_layers ? m->acts[l] : TG_N_ACTS;
}
size_t tg_mlp_n_params(const tg_mlp *m)
{
    return m ? m->n_params : 0;
}
const tg_var *tg_mlp_params(const tg_mlp *m)
{
    return m ? m->params : NULL;
}
const char *tg_mlp_param_name(const tg_mlp *m, size_t i)
{
    return m && i < m->n_params ? m->names[i] : NULL;
}
const char *tg_mlp_errmsg(const tg_mlp *m)
{
    return m ? m->errmsg : "no model";
}

tg_status tg_mlp_param_find(const tg_mlp *m, const char *name, size_t *index)
{
    if (!m || !name || !index)
        return TG_ERR_ARG;
    struct param_entry *e;
    HASH_FIND_STR(m->by_name, name, e);
    if (!e)
        return TG_ERR_NAME;
    *index = e->index;
    return TG_OK;
}

/* ---- Forward ------------------------------------------------------------------------------
 * buf[0] and buf[1] alternate as a layer's input and output. Slot 0 of an input buffer is the
 * constant 1 that multiplies the bias: neuron j of layer l is
 *     y_j = act(dot([b, w_0, ..., w_{n-1}], [1, x_0, ..., x_{n-1}]))
 *         = act(b + w_0 x_0 + ... + w_{n-1} x_{n-1})            summed left to right
 * so that d y_j / d b = act'(.), d y_j / d w_k = act'(.) x_k, d y_j / d x_k = act'(.) w_k. */
static tg_status forward_from_buf(tg_mlp *m, tg_var *y)
{
    tg_tape *t = m->t;
    int cur = 0;
    size_t i = 0;
    for (size_t l = 0, fan_in = m->n_in; l < m->n_layers; fan_in = m->sizes[l++]) {
        tg_var *in = m->buf[cur], *out = l + 1 == m->n_layers ? y : m->buf[cur ^ 1] + 1;
        for (size_t j = 0; j < m->sizes[l]; j++, i += fan_in + 1)
            out[j] = tg_act_apply(t, m->acts[l], tg_dot(t, fan_in + 1, m->dotw + i, in));
        cur ^= 1;
        m->buf[cur][0] = m->one;
    }
    /* An invalid input or a failed node makes every node after it invalid (ops propagate it). */
    for (size_t j = 0; j < m->sizes[m->n_layers - 1]; j++)
        if (!tg_var_ok(y[j]))
            return tg_tape_status(t) != TG_OK ? tg_tape_status(t) : TG_ERR_BADVAR;
    return TG_OK;
}

tg_status tg_mlp_forward(tg_mlp *m, const tg_var *x, tg_var *y)
{
    if (!m || !x || !y)
        return TG_ERR_ARG;
    m->buf[0][0] = m->one;
    memcpy(m->buf[0] + 1, x, m->n_in * sizeof *x);
    return forward_from_buf(m, y);
}

tg_status tg_mlp_forward_values(tg_mlp *m, const double *x, tg_var *y)
{
    if (!m || !x || !y)
        return TG_ERR_ARG;
    m->buf[0][0] = m->one;
    for (size_t k = 0; k < m->n_in; k++)
        m->buf[0][k + 1] = tg_const(m->t, x[k]);
    return forward_from_buf(m, y);
}

tg_status tg_mlp_predict(tg_mlp *m, const double *x, double *y)
{
    if (!m || !x || !y)
        return TG_ERR_ARG;
    const tg_mark mark = tg_tape_mark(m->t);
    const size_t n_out = tg_mlp_n_out(m);
    tg_status s;
    m->buf[0][0] = m->one;
    for (size_t k = 0; k < m->n_in; k++)
        m->buf[0][k + 1] = tg_const(m->t, x[k]);
    s = forward_from_buf(m, m->outs);
    for (size_t k = 0; k < n_out; k++)
        y[k] = s == TG_OK ? tg_value(m->t, m->outs[k]) : NAN;
    tg_tape_rewind(m->t, mark);
    return s;
}
