/* tg_nn.h: small neural networks trained with nothing but the tape: a seeded generator, MLPs
 * whose parameters are tg_input leaves, losses and optimizers, named parameters that can be
 * saved and loaded, toy datasets and a CSV loader, and a progress line. Plotting is left to
 * demos/; the tape, ops and backward are core/ and ops/.
 *
 * A training step, and why it allocates nothing after the first one:
 *
 *     tg_mlp *m = ...;                          // parameters: leaves recorded first
 *     tg_mark mark = tg_tape_mark(t);           // everything after the mark is one step
 *     for (k = 0; k < steps; k++) {
 *         for (i = 0; i < n; i++) tg_mlp_forward_values(m, x + 2 * i, &score[i]);
 *         tg_var loss = tg_add(t, tg_loss_hinge(t, n, score, y),
 *                              tg_loss_l2(t, tg_mlp_n_params(m), tg_mlp_params(m), 1e-4));
 *         tg_backward(t, loss);
 *         tg_optim_step(opt, t, tg_mlp_n_params(m), tg_mlp_params(m));
 *         tg_tape_rewind(t, mark);               // the tape keeps its memory for the next step
 *     }
 */
#ifndef TG_NN_H
#define TG_NN_H

#include <stddef.h>
#include <stdint.h>

#include "tg_core.h"
#include "tg_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Seeded generator (nn/rng.c) ---------------------------------------------------------
 * splitmix64 (Steele, Lea, Flood 2014), all arithmetic modulo 2^64, the generator of
 * bench/WORKLOADS.md; a seed gives the same numbers on every machine:
 *     state += 0x9E3779B97F4A7C15
 *     z = state
 *     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
 *     z = (z ^ (z >> 27)) * 0x94D049BB133111EB
 *     next = z ^ (z >> 31)
 *     u01  = (next >> 11) * 2^-53                  (in [0, 1), 53 random bits) */
typedef struct tg_rng {
    uint64_t state;
} tg_rng;

/* Sets the state to seed (no scrambling: seed 42 is WORKLOADS.md's "state = 42"). */
TG_API void tg_rng_init(tg_rng *r, uint64_t seed);
/* The next 64-bit output, and the next u01 (one output each). r must not be NULL. */
TG_API uint64_t tg_rng_next(tg_rng *r);
TG_API double tg_rng_u01(tg_rng *r);
/* lo + (hi - lo) * u01: one draw. */
TG_API double tg_rng_uniform(tg_rng *r, double lo, double hi);
/* A standard normal draw (Box-Muller on two u01 draws, the second value discarded). */
TG_API double tg_rng_normal(tg_rng *r);
/* An integer in [0, n) without modulo bias (rejection); 0 when n is 0. */
TG_API uint64_t tg_rng_below(tg_rng *r, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n-1] (from the last element down, tg_rng_below(i + 1)). */
TG_API void tg_rng_shuffle(tg_rng *r, size_t n, size_t *idx);

/* ---- Activations and initialization (nn/mlp.c) ------------------------------------------ */
typedef enum tg_act {
    TG_ACT_IDENTITY, /* y = z: records no node */
    TG_ACT_TANH,
    TG_ACT_RELU, /* relu'(0) = 0 */
    TG_ACT_SIGMOID,
    TG_N_ACTS
} tg_act;

/* "identity", "tanh", "relu", "sigmoid"; NULL if out of range. */
TG_API const char *tg_act_name(tg_act a);
/* The activation named name, or TG_N_ACTS. */
TG_API tg_act tg_act_find(const char *name);
/* Records a's function of z (identity returns z itself). */
TG_API tg_var tg_act_apply(tg_tape *t, tg_act a, tg_var z);

/* Initial weights of a layer with fan_in inputs and fan_out neurons, each weight one draw
 * u = tg_rng_u01 in parameter order; biases are 0 and take no draw.
 *   TG_INIT_UNIFORM  w = 2u - 1                 micrograd's random.uniform(-1, 1)
 *   TG_INIT_XAVIER   w = L (2u - 1), L = sqrt(6 / (fan_in + fan_out))   Glorot uniform
 *   TG_INIT_HE       w = L (2u - 1), L = sqrt(6 / fan_in)               He (Kaiming) uniform
 * TG_INIT_UNIFORM from a generator seeded 1337 is exactly WORKLOADS.md's W2 initialization. */
typedef enum tg_init { TG_INIT_UNIFORM, TG_INIT_XAVIER, TG_INIT_HE, TG_N_INITS } tg_init;
TG_API const char *tg_init_name(tg_init i);
TG_API tg_init tg_init_find(const char *name);

/* ---- Multilayer perceptron (nn/mlp.c) ----------------------------------------------------
 * n_layers layers of neurons; layer l has sizes[l] neurons, each with one weight per output of
 * the layer before (n_in for the first) and a bias, followed by acts[l]. A neuron is one n-ary
 * dot node, act(dot([b, w_0, ..., w_{n-1}], [1, x_0, ..., x_{n-1}])): the bias enters as the
 * weight of a constant 1 so that the sum is b + w_0 x_0 + w_1 x_1 + ..., left to right, as
 * micrograd's Neuron adds it (and WORKLOADS.md W2 with it, bit for bit).
 *
 * Parameters are in micrograd's order: layer by layer, neuron by neuron, the neuron's weights
 * then its bias; parameter i is named "layer<l>.neuron<j>.w<k>" or "layer<l>.neuron<j>.b",
 * all indexes 0-based (layer0 is the first layer of neurons), and the names are also given to
 * the tape (tg_set_name) so that traces and graph pictures show them. */
typedef struct tg_mlp tg_mlp;

/* Creates the network's parameters on t as tg_input leaves (plus one constant 1), drawing the
 * weights from rng. Create it before taking the mark that each training step rewinds to.
 * sizes and acts are copied; t and rng are borrowed (t must outlive the model). Returns NULL if
 * an argument is invalid (n_in or a size 0, n_layers 0, an unknown act or init, more than
 * 2^24 parameters) or memory runs out; the tape then holds whatever leaves were recorded. */
TG_API tg_mlp *tg_mlp_new(tg_tape *t, size_t n_in, size_t n_layers, const size_t *sizes,
                          const tg_act *acts, tg_init init, tg_rng *rng);

/* Releases the model's own memory (not its leaves, which the tape owns). Accepts NULL. */
TG_API void tg_mlp_free(tg_mlp *m);

/* The tape the model lives on, and its shapes (n_out is the last layer's size). Each returns
 * NULL, 0 or TG_N_ACTS for a NULL model or a layer index out of range. */
TG_API tg_tape *tg_mlp_tape(const tg_mlp *m);
TG_API size_t tg_mlp_n_in(const tg_mlp *m);
TG_API size_t tg_mlp_n_out(const tg_mlp *m);
TG_API size_t tg_mlp_n_layers(const tg_mlp *m);
TG_API size_t tg_mlp_layer_size(const tg_mlp *m, size_t l); /* 0 if l is out of range */
TG_API tg_act tg_mlp_layer_act(const tg_mlp *m, size_t l);  /* TG_N_ACTS if out of range */

/* Records the network on inputs x[0..n_in-1] and writes its n_out outputs to y. x may hold any
 * nodes (inputs to differentiate the network in its inputs, or constants); y must not alias
 * x. Uses buffers kept in the model: nothing is allocated but tape nodes. Returns TG_OK, or
 * the tape's error (TG_ERR_BADVAR for an invalid x, TG_ERR_NOMEM) with y undefined. */
TG_API tg_status tg_mlp_forward(tg_mlp *m, const tg_var *x, tg_var *y);

/* The same with plain numbers: each x[i] becomes a tg_const node. */
TG_API tg_status tg_mlp_forward_values(tg_mlp *m, const double *x, tg_var *y);

/* Evaluates the network on x and writes the output values to y, leaving the tape as it was
 * (it records after a mark and rewinds). */
TG_API tg_status tg_mlp_predict(tg_mlp *m, const double *x, double *y);

/* The parameters, in the order above (an array of tg_mlp_n_params, owned by the model). */
TG_API size_t tg_mlp_n_params(const tg_mlp *m);
TG_API const tg_var *tg_mlp_params(const tg_mlp *m);
/* Parameter i's name, or NULL if i is out of range. Owned by the model. */
TG_API const char *tg_mlp_param_name(const tg_mlp *m, size_t i);
/* Looks a parameter up by name in the model's hash table; writes its index to *index and
 * returns TG_OK, or TG_ERR_NAME if there is no such parameter (index untouched). */
TG_API tg_status tg_mlp_param_find(const tg_mlp *m, const char *name, size_t *index);
/* The message of the last error that a model function returned (load, save); "no error". */
TG_API const char *tg_mlp_errmsg(const tg_mlp *m);

/* ---- Saving and loading (nn/io.c) --------------------------------------------------------
 * File format, version 2, all integers unsigned little-endian, every double the little-endian
 * bytes of its IEEE-754 binary64 pattern (so a round trip is bit-exact):
 *     offset  size        field
 *     0       8           magic "TGMLP\r\n\x1a" (the \r\n and ^Z catch text-mode damage)
 *     8       4           version = 2 (version 1 files, which end after the values, still load)
 *     12      4           n_in
 *     16      4           n_layers L (1 .. 1024)
 *     20      8 L         per layer: size (u32), activation (u32, tg_act: 0 identity, 1 tanh,
 *                         2 relu, 3 sigmoid)
 *     20+8L   8           n_params (u64), which must equal what the shapes imply
 *     28+8L   8 n_params  the parameter values, in tg_mlp_params order
 *     then, version 2 only, what is needed to use the model (tg_model_info):
 *             4           task (tg_task)
 *             4           flags: bit 0 = standardized (mean and scale follow)
 *             string      loss name ("" unknown); a string is a u32 length (<= 4096) + bytes
 *             string      target column name
 *             4           n_features (0, or n_in) then that many strings: the feature names
 *             4           n_classes (0 .. 65536) then that many strings: the class names
 *             8 n_in x 2  if standardized: the means, then the scales
 *     end-4   4           CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) of every byte before
 * Anything else (a shorter or longer file, another magic or version, a bad checksum, shapes
 * that differ from the model's) is rejected. */

/* What a model is for, beyond its weights: enough for a prediction to need nothing but the
 * data and the file. Every pointer is owned by the struct (tg_model_info_clear frees them);
 * a zeroed struct is "nothing known" (what a version-1 file loads as). */
typedef enum tg_task {
    TG_TASK_UNKNOWN,    /* version-1 file, or a model saved without information */
    TG_TASK_REGRESSION, /* one output, the predicted value */
    TG_TASK_BINARY,     /* one output, a logit (bce) or a score (hinge): class 1 when > 0 */
    TG_TASK_MULTICLASS, /* n_classes outputs, logits of a softmax */
    TG_N_TASKS
} tg_task;

typedef struct tg_model_info {
    tg_task task;
    char *loss;           /* "mse", "bce", "hinge", "softmax", ... or NULL */
    char *target;         /* the label column's name, or NULL */
    size_t n_features;    /* 0 or n_in */
    char **feature_names; /* n_features names */
    size_t n_classes;     /* 0 for regression; 2 for binary */
    char **class_names;   /* n_classes names, in class-index order */
    double *mean, *scale; /* n_in each, or both NULL: inputs are used as they are.
                             A model input is (x - mean) / scale. */
} tg_model_info;

/* Frees what info owns and zeroes it. Accepts NULL. */
TG_API void tg_model_info_clear(tg_model_info *info);

/* Writes the model's parameters to path atomically: a temporary file in the same directory is
 * written, flushed, fsync'ed, and renamed over path, so a crash mid-save leaves the previous
 * file whole. The file is created with mode 0666 less the process's umask (0644 typically),
 * as any file a program writes. info (may be NULL: nothing known) is stored beside the
 * weights; TG_ERR_ARG if it does not fit the model (n_features not 0 or n_in, a name longer
 * than 4096 bytes, more than 65536 classes). TG_ERR_IO on failure (tg_mlp_errmsg says what;
 * the temporary file is removed). */
TG_API tg_status tg_mlp_save_info(tg_mlp *m, const tg_model_info *info, const char *path);

/* Reads path (version 1 or 2), creates a model on t with its shapes and values, and fills
 * *info (may be NULL) with what the file says; a version-1 file gives a zeroed info. On error
 * *out is NULL, *info is zeroed, and err (may be NULL) receives a message of n_err bytes. */
TG_API tg_status tg_mlp_load_info(tg_tape *t, const char *path, tg_mlp **out,
                                  tg_model_info *info, char *err, size_t n_err);

/* tg_mlp_save_info with no information (task unknown). */
TG_API tg_status tg_mlp_save(tg_mlp *m, const char *path);

/* Reads path (version 1 or 2; the information of version 2 is not kept) and, only if everything checks out (size, magic, version, checksum, shapes equal
 * to m's), sets m's parameters to the saved values. On any error the model is unchanged:
 * TG_ERR_IO (cannot read), TG_ERR_FORMAT (damaged or not ours), TG_ERR_ARG (a valid file for
 * another shape of network). */
TG_API tg_status tg_mlp_load(tg_mlp *m, const char *path);

/* Creates a model on t with the shapes saved in path and loads its values into it. *out is
 * NULL on error; err (may be NULL) receives a message of up to n_err bytes. */
TG_API tg_status tg_mlp_load_new(tg_tape *t, const char *path, tg_mlp **out, char *err,
                                 size_t n_err);

/* ---- Losses (nn/loss.c) ------------------------------------------------------------------
 * Each records the loss of n samples on the tape and returns it (invalid tg_var, error on the
 * tape, if an argument is invalid). Means are sums times the constant 1.0 / n (micrograd's
 * order), and sums are chains of binary adds, left to right, so nothing is allocated. Targets
 * are plain numbers. The gradient each gives is written beside it. */

/* (1/n) sum_i (pred_i - y_i)^2.   dL/dpred_i = 2 (pred_i - y_i) / n */
TG_API tg_var tg_loss_mse(tg_tape *t, size_t n, const tg_var *pred, const double *y);

/* Binary cross-entropy on logits z with targets y in [0, 1]:
 * (1/n) sum_i [max(z_i, 0) - z_i y_i + log(1 + exp(-|z_i|))], recorded as z - z y + log(1 +
 * exp(-z)) for z >= 0 and -z y + log(1 + exp(z)) for z < 0 (a branch on the recorded value,
 * each side smooth, so exp never overflows).   dL/dz_i = (sigmoid(z_i) - y_i) / n */
TG_API tg_var tg_loss_bce_logits(tg_tape *t, size_t n, const tg_var *z, const double *y);

/* Softmax cross-entropy of n samples of k classes: logits z[i*k + c], target distribution
 * p[i*k + c] (one-hot for a class label). Per sample, with m = max_c z_c taken as a constant,
 * L_i = (sum_c p_c) log(sum_c exp(z_c - m)) - sum_c p_c (z_c - m) = -sum_c p_c log softmax(z)_c.
 * dL/dz_c = (softmax(z)_c (sum p) - p_c) / n, which is (softmax - p) / n for a distribution. */
TG_API tg_var tg_loss_softmax_ce(tg_tape *t, size_t n, size_t k, const tg_var *z, const double *p);

/* micrograd's max-margin loss, labels y_i in {-1, +1}: (1/n) sum_i relu(1 + (-y_i) score_i).
 * dL/dscore_i = -y_i / n where y_i score_i < 1, else 0 (relu'(0) = 0 at the margin). */
TG_API tg_var tg_loss_hinge(tg_tape *t, size_t n, const tg_var *score, const double *y);

/* L2 regularization alpha * sum_j p_j^2 as one dot node.   dL/dp_j = 2 alpha p_j */
TG_API tg_var tg_loss_l2(tg_tape *t, size_t n, const tg_var *params, double alpha);

/* ---- Optimizers (nn/optim.c) -------------------------------------------------------------
 * Each step reads every parameter's gradient g (from the last backward) and its value p, and
 * writes the new value with tg_set_value. lr_k is the learning rate at step k = 0, 1, ...
 *   SGD        p -= lr_k g
 *   momentum   v = mu v + g;  p -= lr_k v                            (PyTorch's form, v0 = 0)
 *   Adam       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *              p -= lr_k (m / (1 - b1^(k+1))) / (sqrt(v / (1 - b2^(k+1))) + eps)
 * Schedules:
 *   constant   lr_k = lr
 *   step       lr_k = lr gamma^floor(k / step_size)
 *   linear     lr_k = lr (1 - (decay k) / n_decay) for k < n_decay, then lr (1 - decay);
 *              lr 1, decay 0.9, n_decay 100 is micrograd's demo: 1.0 - 0.9 k / 100. */
typedef enum tg_optim_kind { TG_OPTIM_SGD, TG_OPTIM_MOMENTUM, TG_OPTIM_ADAM } tg_optim_kind;
typedef enum tg_lr_schedule { TG_LR_CONSTANT, TG_LR_STEP, TG_LR_LINEAR } tg_lr_schedule;

typedef struct tg_optim_config {
    tg_optim_kind kind;
    double lr;
    double momentum;          /* mu (momentum) */
    double beta1, beta2, eps; /* Adam */
    tg_lr_schedule schedule;
    double gamma;     /* step: factor */
    size_t step_size; /* step: steps between factors (>= 1) */
    double decay;     /* linear: fraction of lr removed by n_decay steps */
    size_t n_decay;   /* linear: steps (>= 1) */
} tg_optim_config;

/* A configuration of kind with learning rate lr, constant schedule and the usual defaults
 * (momentum 0.9, beta1 0.9, beta2 0.999, eps 1e-8, gamma 0.1, step_size 1, n_decay 1). */
TG_API tg_optim_config tg_optim_defaults(tg_optim_kind kind, double lr);

typedef struct tg_optim tg_optim;
/* An optimizer for n_params parameters; its state (velocities, moments) is allocated here and
 * nowhere else. NULL on a bad configuration (lr not finite, eps <= 0, ...) or no memory. */
TG_API tg_optim *tg_optim_new(const tg_optim_config *cfg, size_t n_params);
/* Releases the optimizer and its state. Accepts NULL. */
TG_API void tg_optim_free(tg_optim *o);
/* The learning rate the next step will use. */
TG_API double tg_optim_lr(const tg_optim *o);
/* Number of steps taken. */
TG_API size_t tg_optim_steps(const tg_optim *o);
/* Updates params[0..n-1] from their gradients and advances the step count. TG_ERR_ARG if n is
 * not the optimizer's n_params; TG_ERR_BADVAR (tape error) if a parameter is not a leaf. */
TG_API tg_status tg_optim_step(tg_optim *o, tg_tape *t, size_t n, const tg_var *params);

/* ---- Datasets (nn/data.c, nn/csv.c) ------------------------------------------------------
 * n rows of n_in features x[i*n_in + j] and n_out targets y[i*n_out + j]. Binary labels of
 * the generators are -1 and +1 (micrograd's convention; tg_loss_bce_logits wants 0 and 1:
 * see tg_dataset_relabel). */
typedef struct tg_dataset {
    size_t n, n_in, n_out;
    double *x;
    double *y;
} tg_dataset;

/* A zeroed dataset; NULL if out of memory or a size is 0 (n may be 0). Free with
 * tg_dataset_free (accepts NULL). */
TG_API tg_dataset *tg_dataset_new(size_t n, size_t n_in, size_t n_out);
TG_API void tg_dataset_free(tg_dataset *d);

/* The four XOR points (0,0) (0,1) (1,0) (1,1) with targets 0 1 1 0. */
TG_API tg_dataset *tg_dataset_xor(void);
/* Two interleaved half circles, n/2 points each (n even, >= 4): for i in 0..n/2-1,
 * t = pi i / (n/2 - 1), noise e = noise (2 u01 - 1) drawn for x then y; the outer moon
 * (cos t + ex, sin t + ey) has label -1, then the inner one (1 - cos t + ex, 0.5 - sin t + ey)
 * label +1. tg_dataset_moons(100, 0.1, rng seeded 42) is exactly WORKLOADS.md's W2 data. */
TG_API tg_dataset *tg_dataset_moons(size_t n, double noise, tg_rng *rng);
/* Two concentric circles, n/2 points each at angles 2 pi i / (n/2): radius 1, label -1, then
 * radius factor (0 < factor < 1), label +1; noise as for moons. */
TG_API tg_dataset *tg_dataset_circles(size_t n, double noise, double factor, tg_rng *rng);
/* Two interleaved spirals, n/2 points each: r = i / (n/2), angle 3 pi r (+ pi for the second),
 * point r (cos, sin) plus noise as for moons; labels -1, +1. */
TG_API tg_dataset *tg_dataset_spirals(size_t n, double noise, tg_rng *rng);
/* n points (n >= 2) evenly spaced on [lo, hi] (ends included), target sin(x). */
TG_API tg_dataset *tg_dataset_sine(size_t n, double lo, double hi);

/* Maps every target equal to from to to (e.g. -1 -> 0 for binary cross-entropy). */
TG_API void tg_dataset_relabel(tg_dataset *d, double from, double to);

/* Splits d into a shuffled train part and a test part of round(n test_frac) rows (rows drawn
 * by tg_rng_shuffle). Both are new datasets owned by the caller. TG_ERR_ARG if test_frac is
 * outside [0, 1]; TG_ERR_NOMEM. */
TG_API tg_status tg_dataset_split(const tg_dataset *d, double test_frac, tg_rng *rng,
                                  tg_dataset **train, tg_dataset **test);

/* Reads a CSV file: a header row of column names, then rows of numbers separated by commas
 * (spaces around a field allowed, empty lines skipped). target names the column that becomes
 * y (n_out = 1); NULL means the last column. The other columns, in order, become x. On error
 * returns TG_ERR_IO (cannot open), TG_ERR_FORMAT (bad row: the message gives the line number,
 * the column and the text), TG_ERR_NAME (no such target column) or TG_ERR_NOMEM, with *out
 * NULL and a message in err (may be NULL; n_err bytes). Feature names are not kept. */
TG_API tg_status tg_csv_load(const char *path, const char *target, tg_dataset **out, char *err,
                             size_t n_err);

/* A CSV file as text: what `fit` reads before it knows which columns are numbers. The first
 * line may be
 *   TG_CSV_NAMES    a header of column names ("sepal_length,...,species");
 *   TG_CSV_SKLEARN  scikit-learn's count line "n_rows,n_features[,class names...]" (iris.csv:
 *                   "150,4,setosa,versicolor,virginica"): class k of the label is the k-th name;
 *   TG_CSV_NONE     data already (columns are named x1, x2, ..., the last "y").
 * TG_CSV_AUTO detects it: a count line when its first two fields are the number of data rows and
 * the number of columns less one; a header when a field of the first line is not a number while
 * the same field of the second line is one (or every field of the first line is text); else data. */
typedef enum tg_csv_header { TG_CSV_AUTO, TG_CSV_NONE, TG_CSV_NAMES, TG_CSV_SKLEARN } tg_csv_header;

typedef struct tg_table {
    size_t n_rows, n_cols;
    tg_csv_header header; /* what the first line was (never TG_CSV_AUTO) */
    char **names;         /* n_cols column names */
    char **cells;         /* n_rows * n_cols fields, trimmed, row-major */
    size_t *line;         /* n_rows: the file's line number of each row, for messages */
    size_t n_classes;     /* TG_CSV_SKLEARN: class names of the count line, else 0 */
    char **class_names;
    char *block;          /* owned storage of every string above */
} tg_table;

/* Reads path (comma-separated, spaces around a field and empty lines ignored, \n or \r\n) into
 * a new table; every row must have n_cols fields. Errors as tg_csv_load (the message names the
 * line). Free with tg_table_free (accepts NULL). */
TG_API tg_status tg_table_read(const char *path, tg_csv_header header, tg_table **out, char *err,
                               size_t n_err);
TG_API void tg_table_free(tg_table *t);
/* The column named name, or n_cols. */
TG_API size_t tg_table_column(const tg_table *t, const char *name);
/* Parses a field as a finite number (strtod, the whole field); 0 if it is not one. */
TG_API int tg_field_number(const char *field, double *v);

/* ---- Standardization (nn/data.c) ----------------------------------------------------------
 * scikit-learn's StandardScaler: mean_j = (1/n) sum_i x_ij, scale_j = sqrt((1/n) sum_i
 * (x_ij - mean_j)^2) (the population deviation), and a constant column (scale 0) gets scale 1
 * so that it becomes 0 instead of NaN. Applying maps x_ij to (x_ij - mean_j) / scale_j. */
TG_API tg_status tg_standardize_fit(const tg_dataset *d, double *mean, double *scale);
TG_API void tg_standardize_apply(tg_dataset *d, const double *mean, const double *scale);

/* Splits as tg_dataset_split, but class by class (y[0] of each row holds a class index
 * 0..n_classes-1): each class's rows are shuffled and round(n_c test_frac) of them go to the
 * test part, so both parts keep the classes' proportions (scikit-learn's stratify=y). Then
 * each part is shuffled. TG_ERR_ARG for a label outside 0..n_classes-1. */
TG_API tg_status tg_dataset_split_stratified(const tg_dataset *d, size_t n_classes,
                                             double test_frac, tg_rng *rng, tg_dataset **train,
                                             tg_dataset **test);

/* ---- Minibatches and metrics (nn/data.c) ------------------------------------------------- */
/* A shuffled pass over n rows in batches: init shuffles 0..n-1 with rng (allocating the order
 * once); next gives the next batch's row indices (a pointer into the order, valid until the
 * next call) and its size, 0 at the end of the epoch; reset reshuffles for a new epoch; clear
 * frees the order. init returns TG_ERR_ARG (batch 0, NULL b or rng) or TG_ERR_NOMEM; rng is
 * borrowed and must outlive b. The order is the only allocation: the epochs allocate nothing. */
typedef struct tg_batches {
    size_t *order;
    size_t n, batch, pos;
    tg_rng *rng;
} tg_batches;
TG_API tg_status tg_batches_init(tg_batches *b, size_t n, size_t batch, tg_rng *rng);
TG_API size_t tg_batches_next(tg_batches *b, const size_t **rows);
TG_API void tg_batches_reset(tg_batches *b);
TG_API void tg_batches_clear(tg_batches *b);

/* Fraction of i with sign(score_i) == sign(y_i), positive meaning > threshold for both
 * (threshold 0 for labels -1/+1 and scores; use 0.5 with sigmoid outputs and 0/1 labels). */
TG_API double tg_metric_accuracy_binary(size_t n, const double *score, const double *y,
                                        double threshold);
/* Fraction of the n rows of k scores whose largest score is at the class label[i] (a double
 * holding an integer). */
TG_API double tg_metric_accuracy_argmax(size_t n, size_t k, const double *score,
                                        const double *label);
/* (1/n) sum (pred_i - y_i)^2 on plain numbers. */
TG_API double tg_metric_mse(size_t n, const double *pred, const double *y);

/* counts[t * k + p] += 1 for each row whose true class is truth[i] and predicted class pred[i]
 * (both in 0..k-1; rows outside are ignored). counts (k * k) is zeroed first. */
TG_API void tg_confusion(size_t n, size_t k, const size_t *truth, const size_t *pred,
                         size_t *counts);
/* Regression metrics: mse = (1/n) sum (p - y)^2, mae = (1/n) sum |p - y|,
 * r2 = 1 - sum (p - y)^2 / sum (y - mean y)^2 (NaN when y is constant). NaN for n == 0. */
TG_API void tg_regression_metrics(size_t n, const double *pred, const double *y, double *mse,
                                  double *mae, double *r2);

/* ---- Progress line (nn/progress.c) -------------------------------------------------------
 * One line on stderr, rewritten in place at most ten times a second:
 *     epoch 12/100 [===                     ] loss 0.1234 acc 97.0% 1530 epochs/s ETA 0:03
 * only when stderr is a terminal and quiet is 0; otherwise nothing at all. The ETA is the
 * epochs left at the mean rate so far. */
typedef struct tg_progress {
    size_t total;
    int enabled;      /* drawing at all */
    double t0;        /* start time (s), for the rate */
    double last_draw; /* time of the last redraw */
    size_t last_len;  /* length of the line on screen, to blank what a shorter one leaves */
} tg_progress;
/* Starts a display of total epochs; reads isatty(stderr) once. */
TG_API void tg_progress_init(tg_progress *p, size_t total, int quiet);
/* Shows that done epochs are finished with this loss and accuracy (accuracy < 0 leaves it
 * out). Does nothing when disabled. */
TG_API void tg_progress_update(tg_progress *p, size_t done, double loss, double accuracy);
/* Ends the line (a newline) if anything was drawn. */
TG_API void tg_progress_done(tg_progress *p);

#ifdef __cplusplus
}
#endif

#endif /* TG_NN_H */
