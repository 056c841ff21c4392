/* nn_int.h: the model's layout, shared by the files of nn/ (mlp.c builds it, io.c saves and
 * loads it). Never installed. nn/ sees the tape only through the public headers. */
#ifndef TG_NN_INT_H
#define TG_NN_INT_H

#include "tapegrad.h"

#if defined(__GNUC__)
#define TGI_NN_FUNC __attribute__((visibility("hidden")))
#else
#define TGI_NN_FUNC
#endif

/* CRC-32 as in the model file format (crc32 of "123456789" is 0xCBF43926): the file's
 * business, not the library's (nn/io.c). */
TGI_NN_FUNC uint32_t tgi_crc32(const void *data, size_t n);

/* Limits that keep every count of a saved file in a u32 and every name short. */
/* Writes a printf-style message into err[0..n_err) (when err is not NULL) and returns s: how
 * the CSV loader and the model files report what went wrong and where. */
TGI_NN_FUNC tg_status tgi_nn_fail(char *err, size_t n_err, tg_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#define TGI_MLP_MAX_LAYERS 1024
#define TGI_MLP_MAX_PARAMS ((size_t)1 << 24)

struct param_entry;

struct tg_mlp {
    tg_tape *t; /* borrowed */
    size_t n_in, n_layers, n_params, width;
    size_t *sizes;               /* neurons per layer */
    tg_act *acts;                /* activation per layer */
    tg_var *params;              /* micrograd order: per neuron w_0..w_{n-1}, b */
    tg_var *dotw;                /* the same leaves in dot order: per neuron b, w_0..w_{n-1} */
    tg_var one;                  /* the constant 1 that multiplies each bias */
    tg_var *buf[2];              /* width + 1 slots each: [1, layer input...] */
    tg_var *outs;                /* n_out slots for tg_mlp_predict */
    char **names;                /* owned, one per parameter */
    struct param_entry *entries; /* one per parameter; the hash table links them */
    struct param_entry *by_name;
    char errmsg[256];
};

/* Allocates a model's arrays after checking the shapes (no tape nodes yet); NULL if invalid. */
TGI_NN_FUNC tg_mlp *tgi_mlp_alloc(tg_tape *t, size_t n_in, size_t n_layers, const size_t *sizes,
                                  const tg_act *acts);
/* Records the parameter leaves (values vals[i] if vals, else drawn by init from rng), the
 * constant 1, and the names. */
TGI_NN_FUNC tg_status tgi_mlp_make_params(tg_mlp *m, tg_init init, tg_rng *rng, const double *vals);

#endif /* TG_NN_INT_H */
