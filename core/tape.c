/* tape.c: the tape's storage (growable arrays, no per-node allocation), leaves, reading and
 * writing values and gradients, names, mark/rewind, and the sticky first error.
 * The sweep is in backward.c; what each operation computes is in ops/ops.c. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"
#include "uthash_int.h"

/* What the tape knows of a node besides its value: a name and a source origin. Only nodes that
 * have one get an entry, so the table stays off the recording path. */
struct tgi_name_entry {
    uint32_t id;
    char *name;            /* owned; NULL if none */
    char *origin_text;     /* owned; NULL if none */
    uint32_t line, column; /* 0 if no origin */
    UT_hash_handle hh;
};

static void note_free(struct tgi_name_entry *e)
{
    free(e->name);
    free(e->origin_text);
    free(e);
}

/* Messages indexed by tg_status. */
static const char *const status_text[TG_N_STATUS] = {
    [TG_OK] = "no error",
    [TG_ERR_NOMEM] = "out of memory",
    [TG_ERR_CAPACITY] = "tape capacity exceeded",
    [TG_ERR_BADVAR] = "invalid variable",
    [TG_ERR_ARG] = "invalid argument",
    [TG_ERR_NOTLEAF] = "not a leaf",
    [TG_ERR_NONFINITE] = "non-finite value",
    [TG_ERR_SYNTAX] = "syntax error",
    [TG_ERR_NAME] = "name error",
    [TG_ERR_LIMIT] = "limit exceeded",
    [TG_ERR_IO] = "input/output error",
    [TG_ERR_FORMAT] = "bad file format",
};

const char *tg_strerror(tg_status code)
{
    if ((unsigned)code >= TG_N_STATUS)
        return "unknown error";
    return status_text[code];
}

tg_status tgi_fail(tg_tape *t, tg_status code, const char *fmt, ...)
{
    if (t->status != TG_OK)
        return code;
    t->status = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->errmsg, sizeof t->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

tg_tape *tg_tape_new(void)
{
    tg_tape *t = calloc(1, sizeof *t);
    if (t) {
        t->max_nodes = TG_MAX_NODES;
        t->anomaly_node = TG_INVALID_ID;
    }
    return t;
}

static void names_clear_from(tg_tape *t, uint32_t first_id)
{
    struct tgi_name_entry *e, *tmp;
    HASH_ITER(hh, t->names, e, tmp)
    {
        if (e->id >= first_id) {
            HASH_DEL(t->names, e);
            note_free(e);
        }
    }
}

void tg_tape_free(tg_tape *t)
{
    if (!t)
        return;
    names_clear_from(t, 0);
    free(t->value);
    free(t->grad);
    free(t->code);
    free(t->args);
    free(t->reached);
    free(t);
}

/* Grows the node arrays to hold at least want nodes. Each array is replaced only when its
 * realloc succeeds, and cap_nodes only when all three did, so a failure leaves a usable tape. */
static tg_status grow_nodes(tg_tape *t, size_t want)
{
    if (want > t->max_nodes)
        return tgi_fail(t, TG_ERR_CAPACITY, "tape capacity of %u nodes exceeded",
                        (unsigned)t->max_nodes);
    size_t cap = t->cap_nodes ? t->cap_nodes : 256;
    while (cap < want)
        cap *= 2;
    if (cap > t->max_nodes)
        cap = t->max_nodes;
    double *value = realloc(t->value, cap * sizeof *value);
    if (!value)
        return tgi_fail(t, TG_ERR_NOMEM, "out of memory growing the tape to %zu nodes", cap);
    t->value = value;
    double *grad = realloc(t->grad, cap * sizeof *grad);
    if (!grad)
        return tgi_fail(t, TG_ERR_NOMEM, "out of memory growing the tape to %zu nodes", cap);
    t->grad = grad;
    uint64_t *code = realloc(t->code, cap * sizeof *code);
    if (!code)
        return tgi_fail(t, TG_ERR_NOMEM, "out of memory growing the tape to %zu nodes", cap);
    t->code = code;
    t->cap_nodes = (uint32_t)cap;
    tgi_sync_limit(t);
    t->n_grows++;
    return TG_OK;
}

static tg_status grow_args(tg_tape *t, size_t want)
{
    if (want > TG_MAX_NODES)
        return tgi_fail(t, TG_ERR_CAPACITY, "tape capacity of %u argument slots exceeded",
                        (unsigned)TG_MAX_NODES);
    size_t cap = t->cap_args ? t->cap_args : 256;
    while (cap < want)
        cap *= 2;
    if (cap > TG_MAX_NODES)
        cap = TG_MAX_NODES;
    uint32_t *args = realloc(t->args, cap * sizeof *args);
    if (!args)
        return tgi_fail(t, TG_ERR_NOMEM, "out of memory growing the argument list to %zu", cap);
    t->args = args;
    t->cap_args = (uint32_t)cap;
    t->n_grows++;
    return TG_OK;
}

tg_status tg_tape_reserve(tg_tape *t, size_t n_nodes, size_t n_args)
{
    if (!t)
        return TG_ERR_ARG;
    if (n_nodes > t->cap_nodes) {
        tg_status s = grow_nodes(t, n_nodes);
        if (s != TG_OK)
            return s;
    }
    if (n_args > t->cap_args) {
        tg_status s = grow_args(t, n_args);
        if (s != TG_OK)
            return s;
    }
    return TG_OK;
}

tg_var tgi_append_slow(tg_tape *t, uint64_t code, double value)
{
    if (TGI_UNLIKELY(t->anomaly))
        return tgi_anomaly_append(t, code, value);
    if (t->n_nodes == t->cap_nodes && grow_nodes(t, (size_t)t->n_nodes + 1) != TG_OK)
        return tg_var_invalid();
    const uint32_t i = t->n_nodes++;
    t->value[i] = value;
    t->grad[i] = 0.0;
    t->code[i] = code;
    tg_var v = {i};
    return v;
}

uint32_t tgi_args_alloc_slow(tg_tape *t, size_t n)
{
    size_t want = (size_t)t->n_args + n;
    if ((want > t->cap_args || !t->args) && grow_args(t, want ? want : 1) != TG_OK)
        return UINT32_MAX;
    uint32_t first = t->n_args;
    t->n_args = (uint32_t)want;
    return first;
}

size_t tg_tape_size(const tg_tape *t)
{
    return t ? t->n_nodes : 0;
}

tg_mark tg_tape_mark(const tg_tape *t)
{
    tg_mark m = {0, 0};
    if (t) {
        m.n_nodes = t->n_nodes;
        m.n_args = t->n_args;
    }
    return m;
}

tg_status tg_tape_rewind(tg_tape *t, tg_mark mark)
{
    if (!t)
        return TG_ERR_ARG;
    if (mark.n_nodes > t->n_nodes || mark.n_args > t->n_args)
        return tgi_fail(t, TG_ERR_ARG, "rewind to a mark (%u nodes) beyond the tape (%u nodes)",
                        (unsigned)mark.n_nodes, (unsigned)t->n_nodes);
    /* a training step rewinds above the named parameters: skip the walk over their notes */
    if (t->names && mark.n_nodes < t->names_end) {
        names_clear_from(t, mark.n_nodes);
        t->names_end = mark.n_nodes;
    }
    t->n_nodes = mark.n_nodes;
    t->n_args = mark.n_args;
    if (t->grad_dirty > mark.n_nodes) /* nodes appended later start at grad = 0 */
        t->grad_dirty = mark.n_nodes;
    return TG_OK;
}

void tg_tape_clear(tg_tape *t)
{
    tg_mark empty = {0, 0};
    tg_tape_rewind(t, empty);
}

tg_status tg_tape_status(const tg_tape *t)
{
    return t ? t->status : TG_ERR_ARG;
}

const char *tg_tape_errmsg(const tg_tape *t)
{
    if (!t)
        return "no tape";
    return t->status == TG_OK ? "no error" : t->errmsg;
}

void tg_tape_clear_error(tg_tape *t)
{
    if (t) {
        t->status = TG_OK;
        t->errmsg[0] = '\0';
    }
}

void tg_tape_get_stats(const tg_tape *t, tg_tape_stats *s)
{
    if (!t || !s)
        return;
    const size_t node_bytes = sizeof(double) * 2 + sizeof(uint64_t);
    s->n_nodes = t->n_nodes;
    s->n_args = t->n_args;
    s->bytes_used = t->n_nodes * node_bytes + t->n_args * sizeof(uint32_t);
    s->bytes_reserved =
        t->cap_nodes * node_bytes + t->cap_args * sizeof(uint32_t) + t->cap_reached_bytes;
    s->n_grows = t->n_grows;
}

tg_var tg_input(tg_tape *t, double value)
{
    if (!t)
        return tg_var_invalid();
    return tgi_append(t, tgi_code(TG_OP_INPUT, 0, 0), value);
}

tg_var tg_const(tg_tape *t, double value)
{
    if (!t)
        return tg_var_invalid();
    return tgi_append(t, tgi_code(TG_OP_CONST, 0, 0), value);
}

double tg_value(const tg_tape *t, tg_var v)
{
    return (t && tgi_valid(t, v)) ? t->value[v.id] : NAN;
}

double tg_grad(const tg_tape *t, tg_var v)
{
    return (t && tgi_valid(t, v)) ? t->grad[v.id] : NAN;
}

static tg_status check_var(tg_tape *t, tg_var v, const char *who)
{
    if (!t)
        return TG_ERR_ARG;
    if (!tgi_valid(t, v))
        return tgi_fail(t, TG_ERR_BADVAR, "%s: invalid variable %u (tape has %u nodes)", who,
                        (unsigned)v.id, (unsigned)t->n_nodes);
    return TG_OK;
}

tg_status tg_set_value(tg_tape *t, tg_var v, double value)
{
    tg_status s = check_var(t, v, "tg_set_value");
    if (s != TG_OK)
        return s;
    if (!(tgi_ops[tgi_code_op(t->code[v.id])].flags & TGI_LEAF))
        return tgi_fail(t, TG_ERR_NOTLEAF, "tg_set_value: node %u is computed by %s, not a leaf",
                        (unsigned)v.id, tgi_ops[tgi_code_op(t->code[v.id])].info.id);
    t->value[v.id] = value;
    return TG_OK;
}

tg_status tg_set_grad(tg_tape *t, tg_var v, double grad)
{
    tg_status s = check_var(t, v, "tg_set_grad");
    if (s != TG_OK)
        return s;
    t->grad[v.id] = grad;
    if (v.id >= t->grad_dirty)
        t->grad_dirty = v.id + 1;
    return TG_OK;
}

int tg_is_input(const tg_tape *t, tg_var v)
{
    return t && tgi_valid(t, v) && tgi_code_op(t->code[v.id]) == TG_OP_INPUT;
}

/* strdup is POSIX, not C11. */
static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

/* Finds v's note, creating an empty one if create is set. NULL (error kept) when out of memory. */
static struct tgi_name_entry *note_find(tg_tape *t, uint32_t id, int create)
{
    struct tgi_name_entry *e;
    HASH_FIND(hh, t->names, &id, sizeof id, e);
    if (e || !create)
        return e;
    e = calloc(1, sizeof *e);
    if (!e) {
        tgi_fail(t, TG_ERR_NOMEM, "out of memory annotating node %u", (unsigned)id);
        return NULL;
    }
    e->id = id;
    if (id >= t->names_end)
        t->names_end = id + 1;
    HASH_ADD(hh, t->names, id, sizeof e->id, e);
    struct tgi_name_entry *check;
    HASH_FIND(hh, t->names, &id, sizeof id, check);
    if (check != e) {
        free(e);
        tgi_fail(t, TG_ERR_NOMEM, "out of memory annotating node %u", (unsigned)id);
        return NULL;
    }
    return e;
}

/* Drops a note that no longer says anything. */
static void note_prune(tg_tape *t, struct tgi_name_entry *e)
{
    if (!e->name && !e->origin_text && !e->line) {
        HASH_DEL(t->names, e);
        note_free(e);
    }
}

tg_status tg_set_name(tg_tape *t, tg_var v, const char *name)
{
    tg_status s = check_var(t, v, "tg_set_name");
    if (s != TG_OK)
        return s;
    char *copy = NULL;
    if (name && !(copy = copy_string(name)))
        return tgi_fail(t, TG_ERR_NOMEM, "out of memory naming node %u", (unsigned)v.id);
    struct tgi_name_entry *e = note_find(t, v.id, name != NULL);
    if (!e) {
        free(copy);
        return name ? t->status : TG_OK;
    }
    free(e->name);
    e->name = copy;
    note_prune(t, e);
    return TG_OK;
}

const char *tg_name(const tg_tape *t, tg_var v)
{
    if (!t || !tgi_valid(t, v) || !t->names)
        return NULL;
    struct tgi_name_entry *e;
    HASH_FIND(hh, t->names, &v.id, sizeof v.id, e);
    return e ? e->name : NULL;
}

tg_status tg_set_origin(tg_tape *t, tg_var v, uint32_t line, uint32_t column, const char *text)
{
    tg_status s = check_var(t, v, "tg_set_origin");
    if (s != TG_OK)
        return s;
    char *copy = NULL;
    if (text && !(copy = copy_string(text)))
        return tgi_fail(t, TG_ERR_NOMEM, "out of memory recording the origin of node %u",
                        (unsigned)v.id);
    struct tgi_name_entry *e = note_find(t, v.id, 1);
    if (!e) {
        free(copy);
        return t->status;
    }
    free(e->origin_text);
    e->origin_text = copy;
    e->line = line;
    e->column = column;
    note_prune(t, e);
    if (TGI_UNLIKELY(t->status == TG_ERR_NONFINITE))
        tgi_anomaly_origin(t, v.id);
    return TG_OK;
}

int tg_get_origin(const tg_tape *t, tg_var v, tg_origin *origin)
{
    if (!t || !tgi_valid(t, v) || !t->names)
        return 0;
    struct tgi_name_entry *e;
    HASH_FIND(hh, t->names, &v.id, sizeof v.id, e);
    if (!e || (!e->line && !e->origin_text))
        return 0;
    if (origin) {
        origin->line = e->line;
        origin->column = e->column;
        origin->text = e->origin_text;
    }
    return 1;
}

tg_status tg_tape_set_capacity(tg_tape *t, size_t max_nodes)
{
    if (!t)
        return TG_ERR_ARG;
    if (max_nodes == 0 || max_nodes > TG_MAX_NODES || max_nodes < t->n_nodes)
        return tgi_fail(t, TG_ERR_ARG, "capacity %zu out of range (1..%u, and >= %u nodes held)",
                        max_nodes, (unsigned)TG_MAX_NODES, (unsigned)t->n_nodes);
    /* tgi_append only checks the limit when the arrays are full, so cap_nodes must not exceed
     * it. Shrink the arrays; one whose shrinking realloc fails stays as it was, larger than
     * cap_nodes, which is harmless. */
    if (t->cap_nodes > max_nodes) {
        double *value = realloc(t->value, max_nodes * sizeof *value);
        double *grad = realloc(t->grad, max_nodes * sizeof *grad);
        uint64_t *code = realloc(t->code, max_nodes * sizeof *code);
        t->value = value ? value : t->value;
        t->grad = grad ? grad : t->grad;
        t->code = code ? code : t->code;
        t->cap_nodes = (uint32_t)max_nodes;
        tgi_sync_limit(t);
        t->n_grows++;
    }
    t->max_nodes = (uint32_t)max_nodes;
    return TG_OK;
}
