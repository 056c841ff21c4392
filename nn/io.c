/* io.c: saving and loading an MLP's parameters in the versioned, checksummed format that
 * tg_nn.h documents. Uses only the public headers (through nn_int.h for the model's layout).
 * Save is atomic (temporary file, fsync, rename); load checks everything before it writes. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fsync, fileno, fdopen */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn_int.h"

static const unsigned char magic[8] = {'T', 'G', 'M', 'L', 'P', '\r', '\n', 0x1a};
enum { VERSION = 1, HEADER = 20, MAX_FILE = 8 * (TGI_MLP_MAX_PARAMS + TGI_MLP_MAX_LAYERS) + 64 };

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
    if (get_u32(b + 8) != VERSION)
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: format version %u, expected %u", path,
                    (unsigned)get_u32(b + 8), (unsigned)VERSION);
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
    const size_t off = HEADER + 8 * s->n_layers;
    if (get_u64(b + off) != n_params || n != off + 8 + 8 * n_params + 4)
        return tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: parameter count does not match the shapes",
                    path);
    s->n_params = n_params;
    s->values = b + off + 8;
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
    free(s->bytes);
    free(s);
    return st;
}

tg_status tg_mlp_load_new(tg_tape *t, const char *path, tg_mlp **out, char *err, size_t n_err)
{
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
            tgi_nn_fail(err, n_err, TG_OK, "no error");
        }
    }
    free(s->bytes);
    free(s);
    return st;
}

tg_status tg_mlp_save(tg_mlp *m, const char *path)
{
    if (!m || !path)
        return TG_ERR_ARG;
    const size_t off = HEADER + 8 * m->n_layers, n = off + 8 + 8 * m->n_params + 4;
    unsigned char *b = malloc(n);
    size_t n_tmp = strlen(path) + 8;
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
    put_u32(b + n - 4, tgi_crc32(b, n - 4));

    /* The temporary file is path.XXXXXX, in path's directory, so rename() stays within one
     * file system and is atomic: readers see the old file or the new one, never a mix. */
    snprintf(tmp, n_tmp, "%s.XXXXXX", path);
    tg_status st = TG_OK;
    const int fd = mkstemp(tmp);
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
