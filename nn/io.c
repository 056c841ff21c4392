/* io.c: saving and loading an MLP's parameters in the versioned, checksummed format that
 * tg_nn.h documents. Uses only the public headers (through nn_int.h for the model's layout).
 * Save is atomic (temporary file, fsync, rename); load checks everything before it writes.
 * Version 2 adds the model's information (task, loss, names, standardization) after the values. */
#define _POSIX_C_SOURCE 200809L /* open, fsync, fileno, fdopen, getpid */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn_int.h"

static const unsigned char magic[8] = {'T', 'G', 'M', 'L', 'P', '\r', '\n', 0x1a};
enum { VERSION = 2, MAX_NAME = 4096, MAX_CLASSES = 65536, HEADER = 20, MAX_FILE = 8 * (TGI_MLP_MAX_PARAMS + TGI_MLP_MAX_LAYERS) + 64 };

uint32_t tgi_crc32(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}


/* The parsed contents of a file, checked for consistency but not against any model. */
typedef struct saved {
    unsigned char *bytes; /* owned */
    size_t n_in, n_layers, n_params;
    size_t sizes[TGI_MLP_MAX_LAYERS];
    tg_act acts[TGI_MLP_MAX_LAYERS];
    const unsigned char *values; /* into bytes */
    uint32_t version;
    tg_model_info info; /* version 2's information, owned; zeroed for version 1 */
} saved;

/* Reads the whole file (up to MAX_FILE bytes) and checks size, magic, version, checksum and
 * that the shapes are a valid network with the stated number of parameters. */
tg_status tgi_nn_fail(char *err, size_t n_err, tg_status s, const char *fmt, ...)
{
    if (err && n_err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n_err, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* A bounded reader over the information section: every read checks that the bytes are there,
 * so that a file that lies about a length is refused, never read past. */
typedef struct reader {
    const unsigned char *p, *end;
    int bad;
} reader;

static uint32_t read_u32(reader *r)
{
    if (r->bad || r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    const uint32_t v = get_u32(r->p);
    r->p += 4;
    return v;
}

static double read_f64(reader *r)
{
    if (r->bad || r->end - r->p < 8) {
        r->bad = 1;
        return 0.0;
    }
    const uint64_t bits = get_u64(r->p);
    double v;
    memcpy(&v, &bits, sizeof v);
    r->p += 8;
    return v;
}

/* A string as a u32 length and its bytes (no NUL inside); NULL for an empty one. */
static char *read_string(reader *r)
{
    const uint32_t n = read_u32(r);
    if (r->bad || n > MAX_NAME || (size_t)(r->end - r->p) < n || memchr(r->p, 0, n)) {
        r->bad = 1;
        return NULL;
    }
    if (n == 0)
        return NULL;
    char *s = malloc(n + 1);
    if (!s) {
        r->bad = 2;
        return NULL;
    }
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    return s;
}

void tg_model_info_clear(tg_model_info *info)
{
    if (!info)
        return;
    free(info->loss);
    free(info->target);
    for (size_t i = 0; info->feature_names && i < info->n_features; i++)
        free(info->feature_names[i]);
    free(info->feature_names);
    for (size_t i = 0; info->class_names && i < info->n_classes; i++)
        free(info->class_names[i]);
    free(info->class_names);
    free(info->mean);
    free(info->scale);
    memset(info, 0, sizeof *info);
}

/* Reads version 2's information from r into info (for a model of n_in inputs); 0 if it is
 * malformed (info is then cleared by the caller), -1 out of memory. */
static int read_info(reader *r, size_t n_in, tg_model_info *info)
{
    memset(info, 0, sizeof *info);
    const uint32_t task = read_u32(r), flags = read_u32(r);
    if (r->bad || task >= TG_N_TASKS || (flags & ~1u))
        return 0;
    info->task = (tg_task)task;
    info->loss = read_string(r);
    info->target = read_string(r);
    const uint32_t n_features = read_u32(r);
    if (r->bad || (n_features != 0 && n_features != n_in))
        return r->bad == 2 ? -1 : 0;
    if (n_features) {
        if (!(info->feature_names = calloc(n_features, sizeof *info->feature_names)))
            return -1;
        info->n_features = n_features;
        for (size_t i = 0; i < n_features && !r->bad; i++)
            info->feature_names[i] = read_string(r);
    }
    const uint32_t n_classes = read_u32(r);
    if (r->bad || n_classes > MAX_CLASSES)
        return r->bad == 2 ? -1 : 0;
    if (n_classes) {
        if (!(info->class_names = calloc(n_classes, sizeof *info->class_names)))
            return -1;
        info->n_classes = n_classes;
        for (size_t i = 0; i < n_classes && !r->bad; i++)
            info->class_names[i] = read_string(r);
    }
    if (flags & 1u) {
        info->mean = malloc(n_in * sizeof *info->mean);
        info->scale = malloc(n_in * sizeof *info->scale);
        if (!info->mean || !info->scale)
            return -1;
        for (size_t i = 0; i < n_in; i++)
            info->mean[i] = read_f64(r);
        for (size_t i = 0; i < n_in; i++) {
            info->scale[i] = read_f64(r);
            /* a scale must be a usable divisor: what a constant column saves is 1 */
            if (!isfinite(info->mean[i]) || !isfinite(info->scale[i]) || !(info->scale[i] > 0))
                r->bad = 1;
        }
    }
    if (r->bad)
        return r->bad == 2 ? -1 : 0;
    return r->p == r->end; /* nothing may follow */
}

static tg_status parse(const char *path, saved *s, char *err, size_t n_err)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tgi_nn_fail(err, n_err, TG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap || cap > MAX_FILE)
            break;
        unsigned char *nb = realloc(b, cap * 2);
        if (!nb)
            free(b);
        b = nb;
        cap *= 2;
    }
    const int read_error = ferror(f);
    fclose(f);
    if (!b)
        return tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory reading %s", path);
    s->bytes = b;
    if (read_error)
        return tgi_nn_fail(err, n_err, TG_ERR_IO, "error reading %s", path);
    if (n > MAX_FILE)
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: larger than any model file", path);
    if (n < HEADER + 8 + 4 || memcmp(b, magic, sizeof magic) != 0)
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: not a tapegrad model file", path);
    s->version = get_u32(b + 8);
    if (s->version != 1 && s->version != VERSION)
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT,
                           "%s: model format version %u; this tapegrad reads versions 1 and %u "
                           "(a newer tapegrad wrote it?)",
                           path, (unsigned)s->version, (unsigned)VERSION);
    if (tgi_crc32(b, n - 4) != get_u32(b + n - 4))
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: checksum mismatch (damaged file)", path);
    s->n_in = get_u32(b + 12);
    s->n_layers = get_u32(b + 16);
    if (s->n_in == 0 || s->n_in > TGI_MLP_MAX_PARAMS || s->n_layers == 0 ||
        s->n_layers > TGI_MLP_MAX_LAYERS || n < HEADER + 8 * s->n_layers + 8 + 4)
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: bad shape header", path);
    size_t n_params = 0;
    for (size_t l = 0, fan_in = s->n_in; l < s->n_layers; fan_in = s->sizes[l++]) {
        s->sizes[l] = get_u32(b + HEADER + 8 * l);
        const uint32_t act = get_u32(b + HEADER + 8 * l + 4);
        if (s->sizes[l] == 0 || s->sizes[l] > TGI_MLP_MAX_PARAMS || act >= TG_N_ACTS)
            return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: bad layer %zu", path, l);
        s->acts[l] = (tg_act)act;
        n_params += s->sizes[l] * (fan_in + 1);
        if (n_params > TGI_MLP_MAX_PARAMS)
            return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: too many parameters", path);
    }
    const size_t off = HEADER + 8 * s->n_layers, end_values = off + 8 + 8 * n_params;
    if (get_u64(b + off) != n_params || (s->version == 1 ? n != end_values + 4 : n < end_values + 4))
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: parameter count does not match the shapes",
                    path);
    s->n_params = n_params;
    s->values = b + off + 8;
    if (s->version >= 2) {
        reader r = {b + end_values, b + n - 4, 0};
        const int ok = read_info(&r, s->n_in, &s->info);
        if (ok <= 0) {
            tg_model_info_clear(&s->info);
            return ok < 0 ? tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory reading %s", path)
                          : tgi_nn_fail(err, n_err, TG_ERR_FORMAT,
                                        "%s: the model's information is malformed", path);
        }
    }
    return TG_OK;
}

static double value_at(const saved *s, size_t i)
{
    const uint64_t bits = get_u64(s->values + 8 * i);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

tg_status tg_mlp_load(tg_mlp *m, const char *path)
{
    if (!m || !path)
        return TG_ERR_ARG;
    saved *s = malloc(sizeof *s);
    if (!s)
        return tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_NOMEM, "out of memory");
    tg_status st = parse(path, s, m->errmsg, sizeof m->errmsg);
    if (st == TG_OK) {
        int same = s->n_in == m->n_in && s->n_layers == m->n_layers;
        for (size_t l = 0; same && l < m->n_layers; l++)
            same = s->sizes[l] == m->sizes[l] && s->acts[l] == m->acts[l];
        if (!same)
            st = tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_ARG,
                      "%s: saved for another network shape", path);
    }
    for (size_t i = 0; st == TG_OK && i < m->n_params; i++)
        if (!tg_is_input(m->t, m->params[i]))
            st = tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_BADVAR,
                      "parameter %zu is no longer on the tape", i);
    /* Everything is checked: from here on the writes cannot fail. */
    for (size_t i = 0; st == TG_OK && i < m->n_params; i++)
        tg_set_value(m->t, m->params[i], value_at(s, i));
    if (st == TG_OK)
        snprintf(m->errmsg, sizeof m->errmsg, "no error");
    tg_model_info_clear(&s->info);
    free(s->bytes);
    free(s);
    return st;
}

tg_status tg_mlp_load_new(tg_tape *t, const char *path, tg_mlp **out, char *err, size_t n_err)
{
    return tg_mlp_load_info(t, path, out, NULL, err, n_err);
}

tg_status tg_mlp_load_info(tg_tape *t, const char *path, tg_mlp **out, tg_model_info *info,
                           char *err, size_t n_err)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (!out)
        return TG_ERR_ARG;
    *out = NULL;
    if (!t || !path)
        return tgi_nn_fail(err, n_err, TG_ERR_ARG, "no tape or no path");
    saved *s = malloc(sizeof *s);
    if (!s)
        return tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory");
    tg_status st = parse(path, s, err, n_err);
    if (st == TG_OK) {
        double *vals = malloc(s->n_params * sizeof *vals);
        tg_mlp *m = vals ? tgi_mlp_alloc(t, s->n_in, s->n_layers, s->sizes, s->acts) : NULL;
        if (m) {
            for (size_t i = 0; i < s->n_params; i++)
                vals[i] = value_at(s, i);
            st = tgi_mlp_make_params(m, TG_INIT_UNIFORM, NULL, vals);
        } else {
            st = TG_ERR_NOMEM;
        }
        free(vals);
        if (st != TG_OK) {
            tg_mlp_free(m);
            tgi_nn_fail(err, n_err, st, "cannot create the network: %s", tg_strerror(st));
        } else {
            *out = m;
            if (info) {
                *info = s->info; /* ownership moves to the caller */
                memset(&s->info, 0, sizeof s->info);
            }
            tgi_nn_fail(err, n_err, TG_OK, "no error");
        }
    }
    tg_model_info_clear(&s->info);
    free(s->bytes);
    free(s);
    return st;
}

/* Bytes a string takes in the file, or 0 if it is too long. */
static size_t string_size(const char *str)
{
    const size_t n = str ? strlen(str) : 0;
    return n <= MAX_NAME ? 4 + n : 0;
}

static unsigned char *put_string(unsigned char *p, const char *str)
{
    const size_t n = str ? strlen(str) : 0;
    put_u32(p, (uint32_t)n);
    if (n)
        memcpy(p + 4, str, n);
    return p + 4 + n;
}

/* The size of info's section, or 0 if info does not fit the model (see tg_mlp_save_info). */
static size_t info_size(const tg_mlp *m, const tg_model_info *info)
{
    size_t n = 4 + 4 + 4 + 4;
    const tg_model_info none = {0};
    if (!info)
        info = &none;
    if ((unsigned)info->task >= TG_N_TASKS || (info->n_features && info->n_features != m->n_in) ||
        info->n_classes > MAX_CLASSES || (info->n_features && !info->feature_names) ||
        (info->n_classes && !info->class_names) || (!info->mean != !info->scale))
        return 0;
    const char *const fixed[2] = {info->loss, info->target};
    for (int k = 0; k < 2; k++) {
        const size_t z = string_size(fixed[k]);
        if (!z)
            return 0;
        n += z;
    }
    for (size_t i = 0; i < info->n_features; i++) {
        const size_t z = string_size(info->feature_names[i]);
        if (!z)
            return 0;
        n += z;
    }
    for (size_t i = 0; i < info->n_classes; i++) {
        const size_t z = string_size(info->class_names[i]);
        if (!z)
            return 0;
        n += z;
    }
    if (info->mean) {
        for (size_t i = 0; i < m->n_in; i++)
            if (!isfinite(info->mean[i]) || !isfinite(info->scale[i]) || !(info->scale[i] > 0))
                return 0;
        n += 16 * m->n_in;
    }
    return n;
}

static void put_info(unsigned char *p, const tg_mlp *m, const tg_model_info *info)
{
    const tg_model_info none = {0};
    if (!info)
        info = &none;
    put_u32(p, (uint32_t)info->task);
    put_u32(p + 4, info->mean ? 1u : 0u);
    p = put_string(p + 8, info->loss);
    p = put_string(p, info->target);
    put_u32(p, (uint32_t)info->n_features);
    p += 4;
    for (size_t i = 0; i < info->n_features; i++)
        p = put_string(p, info->feature_names[i]);
    put_u32(p, (uint32_t)info->n_classes);
    p += 4;
    for (size_t i = 0; i < info->n_classes; i++)
        p = put_string(p, info->class_names[i]);
    for (size_t k = 0; info->mean && k < 2; k++)
        for (size_t i = 0; i < m->n_in; i++) {
            const double v = k ? info->scale[i] : info->mean[i];
            uint64_t bits;
            memcpy(&bits, &v, sizeof bits);
            put_u64(p, bits);
            p += 8;
        }
}

/* Creates a new file beside path, named path.tmp<pid>.<k>, with mode 0666 so that the umask
 * decides the final mode as for any file (mkstemp would force 0600). O_EXCL makes it safe: a
 * name another save (another thread, a crashed run) holds is skipped for the next k. No
 * global counter: the library keeps no mutable state. */
static int create_temporary(const char *path, char *tmp, size_t n_tmp)
{
    for (unsigned attempt = 0; attempt < 1000; attempt++) {
        snprintf(tmp, n_tmp, "%s.tmp%ld.%u", path, (long)getpid(), attempt);
        const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

tg_status tg_mlp_save(tg_mlp *m, const char *path)
{
    return tg_mlp_save_info(m, NULL, path);
}

tg_status tg_mlp_save_info(tg_mlp *m, const tg_model_info *info, const char *path)
{
    if (!m || !path)
        return TG_ERR_ARG;
    const size_t n_info = info_size(m, info);
    if (!n_info)
        return tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_ARG,
                           "the model's information does not fit it (feature count, a name over "
                           "%d bytes, over %d classes, or a scale that is not positive)",
                           MAX_NAME, MAX_CLASSES);
    const size_t off = HEADER + 8 * m->n_layers, end_values = off + 8 + 8 * m->n_params;
    const size_t n = end_values + n_info + 4;
    unsigned char *b = malloc(n);
    size_t n_tmp = strlen(path) + 40;
    char *tmp = malloc(n_tmp);
    if (!b || !tmp) {
        free(b);
        free(tmp);
        return tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_NOMEM, "out of memory saving %s", path);
    }
    memcpy(b, magic, sizeof magic);
    put_u32(b + 8, VERSION);
    put_u32(b + 12, (uint32_t)m->n_in);
    put_u32(b + 16, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        put_u32(b + HEADER + 8 * l, (uint32_t)m->sizes[l]);
        put_u32(b + HEADER + 8 * l + 4, (uint32_t)m->acts[l]);
    }
    put_u64(b + off, m->n_params);
    for (size_t i = 0; i < m->n_params; i++) {
        const double v = tg_value(m->t, m->params[i]);
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        put_u64(b + off + 8 + 8 * i, bits);
    }
    put_info(b + end_values, m, info);
    put_u32(b + n - 4, tgi_crc32(b, n - 4));

    /* The temporary file is in path's directory, so rename() stays within one file system and
     * is atomic: readers see the old file or the new one, never a mix. */
    tg_status st = TG_OK;
    const int fd = create_temporary(path, tmp, n_tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        st = tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_IO, "cannot create a file beside %s: %s",
                  path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            remove(tmp);
        }
    } else {
        int ok = fwrite(b, 1, n, f) == n && fflush(f) == 0 && fsync(fileno(f)) == 0;
        const int saved_errno = errno;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) {
            st = tgi_nn_fail(m->errmsg, sizeof m->errmsg, TG_ERR_IO, "cannot write %s: %s", path,
                      strerror(ok ? errno : saved_errno));
            remove(tmp);
        }
    }
    if (st == TG_OK)
        snprintf(m->errmsg, sizeof m->errmsg, "no error");
    free(b);
    free(tmp);
    return st;
}
