/* emit.c: tg_emit_c, a tape written out as one C99 function (tg_emit.h), and the plan
 * interpreter that checks it. Both walk the same plan: the forward statements of the nodes that
 * depend on the inputs (the rest folded to their recorded values), then, per output, the reverse
 * sweep's contributions in the order core/backward.c adds them. Every operation's C text comes
 * from its row (tg_op_info.c_forward, c_local, c_masked); the n-ary rows (sum, dot) have no
 * single expression and are written as the loops ops/ops.c runs, left to right. */
#define _POSIX_C_SOURCE 200809L /* tmpfile is C; fileno-free: nothing else needed */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "ops_int.h"
#include "tg_emit.h"
#include "tg_higher.h"

#ifndef TAPEGRAD_VERSION
#define TAPEGRAD_VERSION "0.1.0"
#endif

/* ---- The plan ----------------------------------------------------------------------------- */

typedef struct plan {
    const tg_tape *t;
    uint32_t n_nodes;       /* nodes 0 .. max root */
    size_t n;               /* inputs x[0..n-1] */
    const tg_var *wrt;      /* their nodes */
    int32_t *wrt_of;        /* node -> its (first) index in wrt, or -1 */
    uint8_t *active;        /* the node depends on some wrt: it is computed, not folded */
    uint8_t *used;          /* active and in the cone of a root: a forward statement */
    size_t n_roots;         /* roots[0] is the output; then the gradient nodes (Hessian) */
    const tg_var *roots;
    uint8_t *cone;          /* scratch: the cone of one root */
} plan;

static uint32_t n_args_of(const tg_tape *t, uint32_t i)
{
    const uint64_t c = t->code[i];
    const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
    return row->arity == TGI_NARY ? tgi_code_b(c) : row->arity > 0 ? (uint32_t)row->arity : 0;
}

static uint32_t arg_of(const tg_tape *t, uint32_t i, uint32_t k)
{
    const uint64_t c = t->code[i];
    if (tgi_ops[tgi_code_op(c)].arity == TGI_NARY)
        return t->args[tgi_code_a(c) + k];
    return k == 0 ? tgi_code_a(c) : tgi_code_b(c);
}

/* The idx-th contribution of node i goes to its argument k = contribution_arg(...): argument
 * order, except dot's, whose backward loop adds into w_j then x_j, pair by pair. */
static uint32_t contribution_arg(const tg_tape *t, uint32_t i, uint32_t idx)
{
    if (tgi_code_op(t->code[i]) == TG_OP_DOT) {
        const uint32_t m = n_args_of(t, i) / 2;
        return idx % 2 ? m + idx / 2 : idx / 2;
    }
    return idx;
}

static void plan_free(plan *p)
{
    free(p->wrt_of);
    free(p->active);
    free(p->used);
    free(p->cone);
    memset(p, 0, sizeof *p);
}

/* How the sweep treats the edge from node i to its argument k:
 *   EDGE_ALWAYS  it adds a contribution (possibly a masked 0) and notes the argument reached
 *   EDGE_NEVER   it leaves the argument alone (a comparison's operands, where's condition)
 *   EDGE_IF      it adds only when the row's n-ary masked condition c_masked[k] is false at
 *                run time (where's branches: the one taken)
 * For unary and binary rows c_masked only zeroes a NaN contribution (EDGE_ALWAYS); for n-ary
 * rows it says that the input gets nothing at all (ops_int.h, maskedn), "1" meaning never. */
enum { EDGE_NEVER, EDGE_ALWAYS, EDGE_IF };

static int edge_kind(const tg_tape *t, uint32_t i, uint32_t k)
{
    const tgi_op_row *row = &tgi_ops[tgi_code_op(t->code[i])];
    if (row->arity != TGI_NARY || !row->info.c_forward || k >= 3 || !row->info.c_masked[k])
        return EDGE_ALWAYS;
    return strcmp(row->info.c_masked[k], "1") == 0 ? EDGE_NEVER : EDGE_IF;
}

/* The reverse sweep of root r over the active nodes: cone[i] = 2 when node i is reached
 * whatever the values (an EDGE_ALWAYS path from r), 1 when it may be (through an EDGE_IF),
 * 0 when never. Cleared first. */
static void mark_cone(plan *p, uint32_t r)
{
    memset(p->cone, 0, p->n_nodes);
    if (!p->active[r])
        return;
    p->cone[r] = 2;
    for (uint32_t i = r + 1; i-- > 0;) {
        if (!p->cone[i] || p->wrt_of[i] >= 0)
            continue;
        const uint32_t na = n_args_of(p->t, i);
        for (uint32_t k = 0; k < na; k++) {
            const uint32_t a = arg_of(p->t, i, k);
            const int kind = edge_kind(p->t, i, k);
            if (!p->active[a] || kind == EDGE_NEVER)
                continue;
            const uint8_t reach = kind == EDGE_ALWAYS && p->cone[i] == 2 ? 2 : 1;
            if (reach > p->cone[a])
                p->cone[a] = reach;
        }
    }
}

static tg_status plan_build(plan *p, const tg_tape *t, size_t n_roots, const tg_var *roots,
                            size_t n, const tg_var *wrt)
{
    memset(p, 0, sizeof *p);
    p->t = t;
    p->n = n;
    p->wrt = wrt;
    p->n_roots = n_roots;
    p->roots = roots;
    uint32_t top = 0;
    for (size_t r = 0; r < n_roots; r++)
        top = roots[r].id > top ? roots[r].id : top;
    p->n_nodes = top + 1;
    p->wrt_of = malloc(p->n_nodes * sizeof *p->wrt_of);
    p->active = calloc(p->n_nodes, 1);
    p->used = calloc(p->n_nodes, 1);
    p->cone = calloc(p->n_nodes, 1);
    if (!p->wrt_of || !p->active || !p->used || !p->cone) {
        plan_free(p);
        return TG_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < p->n_nodes; i++)
        p->wrt_of[i] = -1;
    for (size_t k = n; k-- > 0;)
        if (wrt[k].id < p->n_nodes) {
            p->wrt_of[wrt[k].id] = (int32_t)k;
            p->active[wrt[k].id] = 1;
        }
    /* active: depends on a wrt (the tape is in topological order) */
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const uint32_t na = n_args_of(t, i);
        for (uint32_t k = 0; k < na && !p->active[i]; k++)
            p->active[i] = p->active[arg_of(t, i, k)];
    }
    /* used: the active nodes the roots' values read, through every argument (a where's
     * condition and both branches, a comparison's operands) */
    for (size_t r = 0; r < n_roots; r++)
        if (p->active[roots[r].id])
            p->used[roots[r].id] = 1;
    for (uint32_t i = p->n_nodes; i-- > 0;) {
        if (!p->used[i])
            continue;
        const uint32_t na = n_args_of(t, i);
        for (uint32_t k = 0; k < na; k++)
            if (p->active[arg_of(t, i, k)])
                p->used[arg_of(t, i, k)] = 1;
    }
    return TG_OK;
}

/* ---- The interpreter: the plan run on doubles with the rows' own functions ---------------- */

/* Runs the plan at x: value of the output, gradient (n), Hessian rows (n x n, when the roots
 * hold the gradient nodes). val and gr are scratch of n_nodes doubles. */
static void plan_run(const plan *p, const double *x, double *val, double *gr, uint8_t *seen,
                     double *value, double *grad, double *hess)
{
    const tg_tape *t = p->t;
    memcpy(val, t->value, p->n_nodes * sizeof *val);
    for (uint32_t i = 0; i < p->n_nodes; i++)
        if (p->wrt_of[i] >= 0)
            val[i] = x[p->wrt_of[i]];
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (!p->used[i] || p->wrt_of[i] >= 0)
            continue;
        const uint64_t c = t->code[i];
        const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
        const uint32_t a = tgi_code_a(c), b = tgi_code_b(c);
        if (row->arity == 1)
            val[i] = row->forward1(val[a]);
        else if (row->arity == 2)
            val[i] = row->forward2(val[a], val[b]);
        else if (row->arity == TGI_NARY)
            val[i] = row->forwardn(val, t->args + a, b);
    }
    *value = val[p->roots[0].id];
    for (size_t r = 0; r < p->n_roots; r++) {
        const uint32_t root = p->roots[r].id;
        double *out = r == 0 ? grad : hess + (r - 1) * p->n;
        memset(seen, 0, p->n_nodes);
        gr[root] = 1.0;
        seen[root] = 1;
        for (uint32_t i = root + 1; p->active[root] && i-- > 0;) {
            if (!seen[i] || p->wrt_of[i] >= 0) /* the sweep skips what nothing reached */
                continue;
            const uint64_t c = t->code[i];
            const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
            const uint32_t a = tgi_code_a(c), b = tgi_code_b(c), na = n_args_of(t, i);
            double d[2] = {0.0, 0.0};
            if (row->arity == 1)
                d[0] = row->local1(val[a], val[i]);
            else if (row->arity == 2)
                row->local2(val[a], val[b], val[i], &d[0], &d[1]);
            for (uint32_t idx = 0; idx < na; idx++) {
                const uint32_t k = contribution_arg(t, i, idx), x_k = arg_of(t, i, k);
                if (!p->active[x_k])
                    continue;
                double contrib;
                if (row->arity == TGI_NARY && row->maskedn && row->maskedn(val, t->args + a, na, k))
                    continue; /* the n-ary row leaves this input alone */
                if (row->arity == TGI_NARY)
                    contrib = gr[i] * row->localn(val, t->args + a, na, k);
                else
                    contrib = tgi_contribution(row, gr[i], d[k], val[a],
                                               row->arity == 2 ? val[b] : 0.0, k);
                gr[x_k] = seen[x_k] ? gr[x_k] + contrib : 0.0 + contrib;
                seen[x_k] = 1;
            }
        }
        for (size_t j = 0; j < p->n; j++) /* a repeated input gets the same gradient */
            out[j] = p->wrt[j].id < p->n_nodes && seen[p->wrt[j].id] ? gr[p->wrt[j].id] : 0.0;
    }
}

/* ---- Writing C ------------------------------------------------------------------------------- */

/* The program's lines: where each starts (built once: a comment per block must not rescan the
 * source, which would be quadratic in its length). */
typedef struct lines {
    const char *text;
    size_t *start; /* start[l - 1] is line l's offset */
    size_t n;
} lines;

static int lines_init(lines *ls, const char *program)
{
    memset(ls, 0, sizeof *ls);
    if (!program)
        return 1;
    size_t n = 1;
    for (const char *s = program; *s; s++)
        n += *s == '\n';
    ls->start = malloc(n * sizeof *ls->start);
    if (!ls->start)
        return 0;
    ls->text = program;
    ls->start[ls->n++] = 0;
    for (const char *s = program; *s; s++)
        if (*s == '\n')
            ls->start[ls->n++] = (size_t)(s - program) + 1;
    return 1;
}

/* The text of source line `line` (1-based), up to 120 characters, with any comment
 * terminator defused and anything but printable ASCII shown as '?'; 0 if there is none. */
static int source_line(const lines *ls, uint32_t line, char *buf, size_t size)
{
    if (!ls->text || line == 0 || line > ls->n)
        return 0;
    const char *s = ls->text + ls->start[line - 1];
    if (!*s && line == ls->n && line > 1)
        return 0; /* the empty tail after a final newline */
    size_t o = 0;
    for (; *s && *s != '\n' && o + 2 < size && o < 120; s++) {
        if (*s == '\r')
            continue;
        if (*s == '/' && o > 0 && buf[o - 1] == '*')
            buf[o++] = ' '; /* never "*" "/" inside the comment */
        buf[o++] = (unsigned char)*s < 0x80 && isprint((unsigned char)*s) ? *s : '?';
    }
    buf[o] = '\0';
    return 1;
}

typedef struct writer {
    const plan *p;
    FILE *f;
    const char *name; /* the function's name: its constants are name_k[] */
    lines src;        /* the program's lines, for the comments */
    double *pool; /* constants read through a volatile array (see operand) */
    struct {
        char name[24]; /* the C library's name: "sin" for the engine's tg_libm_sin */
        int arity;
        int ours; /* the engine calls tapegrad's own function (tg_libm.h), not the C library's */
    } calls[64]; /* the library functions called through volatile pointers */
    size_t n_calls;
    size_t n_pool, cap_pool;
    int nomem;
} writer;

/* A double as a C literal that reads back to the same double. */
static void literal(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(buf, size, "NAN");
    } else if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "INFINITY" : "(-INFINITY)");
    } else if (v == 0.0) {
        snprintf(buf, size, signbit(v) ? "(-0.0)" : "0.0");
    } else {
        char num[40];
        snprintf(num, sizeof num, "%.17g", v);
        const int plain = strpbrk(num, ".e") != NULL;
        snprintf(buf, size, v < 0 ? "(%s%s)" : "%s%s", num, plain ? "" : ".0");
    }
}

/* How node id is read in an expression. A folded constant that is an argument of a function
 * call in the row's text (pow(a, b - 1.0), log(a)) is read from a volatile array: a compiler
 * would otherwise evaluate that call at compile time, correctly rounded, where the engine
 * calls the C library at run time, and the two may differ in the last bit. */
static void operand(writer *w, uint32_t id, int in_call, char *buf, size_t size)
{
    const plan *p = w->p;
    if (p->wrt_of[id] >= 0) {
        snprintf(buf, size, "x[%d]", (int)p->wrt_of[id]);
    } else if (p->active[id]) {
        snprintf(buf, size, "v%u", (unsigned)id);
    } else if (in_call) {
        const double v = p->t->value[id];
        for (size_t k = 0; k < w->n_pool; k++)
            if (memcmp(&w->pool[k], &v, sizeof v) == 0) {
                snprintf(buf, size, "%s_k[%zu]", w->name, k);
                return;
            }
        if (w->n_pool == w->cap_pool) {
            const size_t nc = w->cap_pool ? 2 * w->cap_pool : 16;
            double *np = realloc(w->pool, nc * sizeof *np);
            if (!np) {
                w->nomem = 1;
                snprintf(buf, size, "0.0");
                return;
            }
            w->pool = np;
            w->cap_pool = nc;
        }
        w->pool[w->n_pool] = v;
        snprintf(buf, size, "%s_k[%zu]", w->name, w->n_pool++);
    } else {
        literal(buf, size, p->t->value[id]);
    }
}

/* C library functions whose results IEEE 754 fixes exactly (so a compiler that evaluates them
 * at compile time gets the same bits): called directly. Every other call in a row's text
 * (exp, log, pow, acosh, ...) goes through a volatile pointer, so that the call is made at run
 * time with the C library's result, as the tape made it: a compiler that sees a constant
 * argument, or one constant along a path (relu(x) is 0 for x <= 0), would otherwise evaluate
 * it correctly rounded, where glibc's exp, pow, acosh may differ in the last bit. */
static int library_exact(const char *name, int len)
{
    return (len == 4 && strncmp(name, "sqrt", 4) == 0) || (len == 4 && strncmp(name, "fabs", 4) == 0);
}

/* The number of arguments of the call whose '(' is at q (top-level commas + 1). */
static int call_arity(const char *q)
{
    int depth = 0, n = 1;
    for (; *q; q++) {
        if (*q == '(')
            depth++;
        else if (*q == ')' && --depth == 0)
            break;
        else if (*q == ',' && depth == 1)
            n++;
    }
    return n;
}

/* The prefix of tapegrad's own math functions in the rows' C text (tg_libm_sin(a)): the
 * emitted code names the C library's function (sin) and uses ours under -DTAPEGRAD_LIBM. */
#define OUR_LIBM "tg_libm_"
#define OUR_LIBM_LEN ((int)sizeof OUR_LIBM - 1)

/* Remembers that the code calls name with arity arguments (the header declares its pointer);
 * ours: the row calls tg_libm_NAME. */
static void note_call(writer *w, const char *name, int len, int arity, int ours)
{
    for (size_t k = 0; k < w->n_calls; k++)
        if ((int)strlen(w->calls[k].name) == len && strncmp(w->calls[k].name, name, (size_t)len) == 0)
            return;
    if (w->n_calls == sizeof w->calls / sizeof w->calls[0] || len >= (int)sizeof w->calls[0].name) {
        w->nomem = 1; /* more distinct functions than any row set has */
        return;
    }
    snprintf(w->calls[w->n_calls].name, sizeof w->calls[0].name, "%.*s", len, name);
    w->calls[w->n_calls].ours = ours;
    w->calls[w->n_calls++].arity = arity;
}

/* Writes the row's C text tpl with the placeholders a, b, c (arguments) and y (the node's
 * value) replaced; args[k] are node ids, self the node. Numbers and other names are copied. */
static void substitute(writer *w, const char *tpl, const uint32_t *args, uint32_t n_args,
                       uint32_t self)
{
    char stack[64]; /* per open parenthesis: 1 when it opens a function call */
    int depth = 0, calls = 0;
    const char *prev_ident = NULL;
    for (const char *s = tpl; *s;) {
        if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
            const char *e = s;
            while (isalnum((unsigned char)*e) || *e == '.' ||
                   ((*e == '+' || *e == '-') && (e[-1] == 'e' || e[-1] == 'E')))
                e++;
            fwrite(s, 1, (size_t)(e - s), w->f);
            s = e;
            prev_ident = NULL;
        } else if (isalpha((unsigned char)*s) || *s == '_') {
            const char *e = s;
            while (isalnum((unsigned char)*e) || *e == '_')
                e++;
            const int len = (int)(e - s);
            int k = -1;
            if (len == 1 && (*s == 'a' || *s == 'b' || *s == 'c'))
                k = *s - 'a';
            if (len == 1 && *s == 'y') {
                fprintf(w->f, "v%u", (unsigned)self);
                prev_ident = NULL;
            } else if (k >= 0 && (uint32_t)k < n_args) {
                char buf[64];
                operand(w, args[k], calls > 0, buf, sizeof buf);
                fputs(buf, w->f);
                prev_ident = NULL;
            } else {
                const char *q = e;
                while (*q == ' ')
                    q++;
                if (*q == '(' && !library_exact(s, len)) {
                    /* a library call: through the function's volatile pointer (see calls) */
                    const int ours = len > OUR_LIBM_LEN && strncmp(s, OUR_LIBM, OUR_LIBM_LEN) == 0;
                    const char *lib = ours ? s + OUR_LIBM_LEN : s;
                    const int lib_len = ours ? len - OUR_LIBM_LEN : len;
                    fprintf(w->f, "%s_%.*s", w->name, lib_len, lib);
                    note_call(w, lib, lib_len, call_arity(q), ours);
                } else {
                    fwrite(s, 1, (size_t)len, w->f);
                }
                prev_ident = s;
            }
            s = e;
        } else {
            if (*s == '(') {
                const int call = prev_ident != NULL;
                if (depth < (int)sizeof stack)
                    stack[depth] = (char)call;
                depth++;
                calls += call;
            } else if (*s == ')' && depth > 0) {
                depth--;
                if (depth < (int)sizeof stack)
                    calls -= stack[depth];
            }
            if (!isspace((unsigned char)*s))
                prev_ident = NULL;
            fputc(*s++, w->f);
        }
    }
}

/* A comment naming the source line that produced node i, when it differs from the last one. */
static void block_comment(writer *w, uint32_t i, uint32_t *last)
{
    tg_origin org;
    if (!tg_get_origin(w->p->t, (tg_var){i}, &org) || org.line == *last)
        return;
    *last = org.line;
    char text[128];
    if (source_line(&w->src, org.line, text, sizeof text))
        fprintf(w->f, "    /* line %u: %s */\n", (unsigned)org.line, text);
    else
        fprintf(w->f, "    /* line %u */\n", (unsigned)org.line);
}

/* ---- where's branches, evaluated only when taken -------------------------------------------
 * A node is owned by branch k of a where W when the forward reads it only there: as W's
 * argument k (and no other of W's), or from nodes owned by that branch. Owned nodes are
 * computed inside "if (branch k is taken) { ... }" just before W; the reverse sweep reaches
 * them only through that branch, so it reads their values only when they were computed. */
#define NO_OWNER UINT32_MAX

typedef struct lazy {
    uint32_t *owner;       /* node -> 3*W + k (the branch that owns it: argument k of W), or NO_OWNER */
    uint32_t *head, *tail; /* per branch 3*W + k (k < 3, so no two branches share an id): its owned nodes, a list in tape order */
    uint32_t *next;
} lazy;

static int is_branch_edge(const tg_tape *t, uint32_t w, uint32_t k)
{
    return edge_kind(t, w, k) == EDGE_IF;
}

/* Is reader r inside branch `branch` (r's owner chain passes through it)? */
static int inside(const lazy *lz, uint32_t r, uint32_t branch)
{
    for (uint32_t o = lz->owner[r]; o != NO_OWNER; o = lz->owner[o / 3])
        if (o == branch)
            return 1;
    return 0;
}

static int lazy_init(lazy *lz, const plan *p)
{
    const tg_tape *t = p->t;
    const uint32_t n = p->n_nodes;
    memset(lz, 0, sizeof *lz);
    lz->owner = malloc(n * sizeof *lz->owner);
    lz->head = malloc(3 * (size_t)n * sizeof *lz->head);
    lz->tail = malloc(3 * (size_t)n * sizeof *lz->tail);
    lz->next = malloc(n * sizeof *lz->next);
    /* readers, as lists: first[x] and, per edge, the reader and the next edge */
    uint32_t n_edges = 0;
    for (uint32_t i = 0; i < n; i++)
        n_edges += p->used[i] ? n_args_of(t, i) : 0;
    uint32_t *first = malloc(n * sizeof *first), *rd = malloc((n_edges + 1) * sizeof *rd);
    uint32_t *nx = malloc((n_edges + 1) * sizeof *nx), *slot = malloc((n_edges + 1) * sizeof *slot);
    int ok = lz->owner && lz->head && lz->tail && lz->next && first && rd && nx && slot;
    if (ok) {
        for (uint32_t i = 0; i < n; i++)
            lz->owner[i] = first[i] = lz->next[i] = NO_OWNER;
        for (uint32_t i = 0; i < 3 * n; i++)
            lz->head[i] = lz->tail[i] = NO_OWNER;
        uint32_t e = 0;
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t na = p->used[i] && p->wrt_of[i] < 0 ? n_args_of(t, i) : 0;
            for (uint32_t k = 0; k < na; k++, e++) {
                const uint32_t x = arg_of(t, i, k);
                rd[e] = i;
                slot[e] = k;
                nx[e] = first[x];
                first[x] = e;
            }
        }
        uint8_t *is_root = calloc(n, 1);
        ok = is_root != NULL;
        for (size_t r = 0; ok && r < p->n_roots; r++)
            is_root[p->roots[r].id] = 1;
        /* from the last node down: every reader of x is decided before x */
        for (uint32_t x = n; ok && x-- > 0;) {
            if (!p->used[x] || p->wrt_of[x] >= 0 || is_root[x] || first[x] == NO_OWNER)
                continue;
            /* the candidate: the branch of the first reader, then its enclosing ones */
            const uint32_t r0 = rd[first[x]];
            uint32_t cand = is_branch_edge(t, r0, slot[first[x]]) ? 3 * r0 + slot[first[x]]
                                                                   : lz->owner[r0];
            while (cand != NO_OWNER) {
                int all = 1;
                for (uint32_t e2 = first[x]; all && e2 != NO_OWNER; e2 = nx[e2]) {
                    const uint32_t r = rd[e2];
                    all = (3 * r + slot[e2] == cand) || inside(lz, r, cand);
                }
                if (all)
                    break;
                cand = lz->owner[cand / 3];
            }
            lz->owner[x] = cand;
        }
        free(is_root);
        /* the lists, in tape order */
        for (uint32_t x = 0; ok && x < n; x++) {
            const uint32_t o = lz->owner[x];
            if (o == NO_OWNER)
                continue;
            if (lz->tail[o] == NO_OWNER)
                lz->head[o] = x;
            else
                lz->next[lz->tail[o]] = x;
            lz->tail[o] = x;
        }
    }
    free(first);
    free(rd);
    free(nx);
    free(slot);
    return ok;
}

static void lazy_free(lazy *lz)
{
    free(lz->owner);
    free(lz->head);
    free(lz->tail);
    free(lz->next);
}

/* One forward statement (and, for a where, its branches first). An owned node is declared at
 * the top of the function and only assigned here. */
static void write_node(writer *w, const lazy *lz, uint32_t i, uint32_t *last, int depth)
{
    const plan *p = w->p;
    const tg_tape *t = p->t;
    const uint64_t c = t->code[i];
    const tg_op op = (tg_op)tgi_code_op(c);
    const tgi_op_row *row = &tgi_ops[op];
    const uint32_t na = n_args_of(t, i);
    uint32_t args_buf[3];
    for (uint32_t k = 0; k < na && k < 3; k++)
        args_buf[k] = arg_of(t, i, k);
    char pad[80];
    snprintf(pad, sizeof pad, "%*s", 4 + 4 * (depth < 16 ? depth : 16), "");
    for (uint32_t k = 0; lz && k < na && k < 3; k++) {
        const uint32_t branch = 3 * i + k;
        if (!is_branch_edge(t, i, k) || lz->head[branch] == NO_OWNER)
            continue;
        /* evaluated only when taken: the row's condition for "arg k gets nothing" is false;
         * "!(x)" negated is written "(x)" */
        const char *m = row->info.c_masked[k];
        const size_t len = strlen(m);
        const int negated = m[0] == '!' && m[1] == '(' && m[len - 1] == ')';
        fprintf(w->f, "%sif (%s", pad, negated ? "" : "!(");
        if (negated) {
            char inner[256];
            snprintf(inner, sizeof inner, "%.*s", (int)(len - 1), m + 1);
            substitute(w, inner, args_buf, na, i);
            fputc(')', w->f);
        } else {
            substitute(w, m, args_buf, na, i);
        }
        fprintf(w->f, "%s { /* only when %s's argument %u is the one taken */\n",
                negated ? "" : "))", row->info.id, (unsigned)k + 1);
        for (uint32_t x = lz->head[branch]; x != NO_OWNER; x = lz->next[x])
            write_node(w, lz, x, last, depth + 1);
        fprintf(w->f, "%s}\n", pad);
    }
    if (depth == 0)
        block_comment(w, i, last);
    const int owned = lz && lz->owner[i] != NO_OWNER;
    if (!row->info.c_forward) {
        /* s = 0; s += term, left to right (ops.c's loop; dot's term is w_j * x_j) */
        const int dot = op == TG_OP_DOT;
        const uint32_t m = dot ? na / 2 : na;
        fprintf(w->f, "%s%sv%u = 0.0;\n", pad, owned ? "" : "double ", (unsigned)i);
        for (uint32_t j = 0; j < m; j++) {
            char ba[64], bb[64];
            operand(w, arg_of(t, i, j), 0, ba, sizeof ba);
            if (dot) {
                operand(w, arg_of(t, i, m + j), 0, bb, sizeof bb);
                fprintf(w->f, "%sv%u += %s * %s;\n", pad, (unsigned)i, ba, bb);
            } else {
                fprintf(w->f, "%sv%u += %s;\n", pad, (unsigned)i, ba);
            }
        }
        return;
    }
    fprintf(w->f, "%s%sv%u = ", pad, owned ? "" : "const double ", (unsigned)i);
    substitute(w, row->info.c_forward, args_buf, na, i);
    fprintf(w->f, "; /* %s */\n", row->info.id);
}

static void write_forward(writer *w)
{
    const plan *p = w->p;
    uint32_t last = 0;
    lazy lz;
    const int have_lazy = lazy_init(&lz, p);
    if (!have_lazy)
        w->nomem = 1;
    /* owned nodes first declared, then every node not owned in tape order */
    for (uint32_t i = 0; have_lazy && i < p->n_nodes; i++)
        if (lz.owner[i] != NO_OWNER)
            fprintf(w->f, "    double v%u = 0.0; /* computed only in its where() branch */\n",
                    (unsigned)i);
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (!p->used[i] || p->wrt_of[i] >= 0 || (have_lazy && lz.owner[i] != NO_OWNER))
            continue;
        write_node(w, have_lazy ? &lz : NULL, i, &last, 0);
    }
    lazy_free(&lz);
}

/* Does node i pass nothing on (no edge the sweep follows into an argument that depends on
 * the inputs: a comparison, or a where() between constants)? */
static int edge_free(const plan *p, uint32_t i)
{
    const uint32_t na = n_args_of(p->t, i);
    for (uint32_t k = 0; k < na; k++)
        if (edge_kind(p->t, i, k) != EDGE_NEVER && p->active[arg_of(p->t, i, k)])
            return 0;
    return 1;
}

/* The reverse sweep of root r, as core/backward.c runs it: a gradient variable g<id> per
 * node it may reach, starting at +0 (every contribution is then "g += c", so the first is
 * 0 + c as in the sweep), the contributions in the sweep's order, a masked zero kept at 0 under
 * a NaN product. A node that is reached only through where's branch taken at run time gets a
 * flag r<id>, and its block runs only when something reached it, as the sweep skips what
 * nothing reached. Writes the results into dest[offset + j]. */
static void write_reverse(writer *w, uint32_t root, const char *dest, size_t offset)
{
    plan *p = (plan *)w->p;
    const tg_tape *t = p->t;
    mark_cone(p, root);
    for (uint32_t i = 0; i <= root; i++) {
        if (!p->cone[i])
            continue;
        fprintf(w->f, "    double g%u = %s;\n", (unsigned)i, i == root ? "1.0" : "0.0");
        if (p->cone[i] == 1)
            fprintf(w->f, "    int r%u = 0; /* reached only through a where() */\n", (unsigned)i);
    }
    uint32_t args_buf[3];
    for (uint32_t i = root + 1; p->active[root] && i-- > 0;) {
        if (!p->cone[i] || p->wrt_of[i] >= 0)
            continue;
        const uint64_t c = t->code[i];
        const tg_op op = (tg_op)tgi_code_op(c);
        const tgi_op_row *row = &tgi_ops[op];
        const uint32_t na = n_args_of(t, i);
        const char *indent = p->cone[i] == 1 ? "        " : "    ";
        if (p->cone[i] == 1)
            fprintf(w->f, "    if (r%u) {\n", (unsigned)i);
        for (uint32_t k = 0; k < na && k < 3; k++)
            args_buf[k] = arg_of(t, i, k);
        for (uint32_t idx = 0; idx < na; idx++) {
            const uint32_t k = contribution_arg(t, i, idx), x_k = arg_of(t, i, k);
            const int kind = edge_kind(t, i, k);
            if (!p->active[x_k] || kind == EDGE_NEVER)
                continue;
            const char *in = indent;
            if (kind == EDGE_IF) { /* the row adds only when its n-ary mask is false */
                fprintf(w->f, "%sif (!(", indent);
                substitute(w, row->info.c_masked[k], args_buf, na, i);
                fputs(")) {\n", w->f);
                in = p->cone[i] == 1 ? "            " : "        ";
            }
            /* c = g * local, as tgi_contribution: a masked zero stays 0 under a NaN product */
            fprintf(w->f, "%sc = g%u * ", in, (unsigned)i);
            if (!row->info.c_forward) { /* sum: 1; dot: the partner of the pair */
                char bp[64];
                if (op == TG_OP_DOT) {
                    const uint32_t m = na / 2;
                    operand(w, arg_of(t, i, k < m ? m + k : k - m), 0, bp, sizeof bp);
                    fputs(bp, w->f);
                } else {
                    fputs("1.0", w->f);
                }
            } else {
                fputc('(', w->f);
                substitute(w, row->info.c_local[k], args_buf, na, i);
                fputc(')', w->f);
            }
            fputs(";\n", w->f);
            const char *masked = row->arity == TGI_NARY ? NULL : row->info.c_masked[k];
            if (masked) {
                fprintf(w->f, "%sif (c != c && (", in);
                substitute(w, masked, args_buf, na, i);
                fputs(")) c = 0.0;\n", w->f);
            }
            fprintf(w->f, "%sg%u += c;\n", in, (unsigned)x_k);
            if (p->cone[x_k] == 1)
                fprintf(w->f, "%sr%u = 1;\n", in, (unsigned)x_k);
            if (kind == EDGE_IF)
                fprintf(w->f, "%s}\n", indent);
        }
        if (p->cone[i] == 1)
            fputs("    }\n", w->f);
    }
    /* an input's flag is set but never read (its gradient is read whatever reached it); a
     * node that passes nothing on (a comparison) leaves its gradient unread */
    for (uint32_t i = 0; i <= root; i++) {
        if (p->cone[i] && p->wrt_of[i] < 0 && edge_free(p, i))
            fprintf(w->f, "    (void)g%u;\n", (unsigned)i);
        if (p->cone[i] == 1)
            fprintf(w->f, "    (void)r%u;\n", (unsigned)i);
    }
    for (size_t j = 0; j < p->n; j++) { /* a repeated input gets the same gradient */
        const uint32_t id = p->wrt[j].id;
        if (id < p->n_nodes && p->cone[id])
            fprintf(w->f, "    %s[%zu] = g%u;\n", dest, offset + j, (unsigned)id);
        else
            fprintf(w->f, "    %s[%zu] = 0.0;\n", dest, offset + j);
    }
}

static int c_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

/* Copies the program into a comment, line by line, defusing comment terminators. */
static void quote_program(FILE *f, const lines *ls)
{
    fputs(" * program:\n", f);
    for (uint32_t line = 1; line <= 40; line++) {
        char text[128];
        if (!source_line(ls, line, text, sizeof text))
            return;
        fprintf(f, " *     %s\n", text);
    }
    if (ls->n > 40)
        fprintf(f, " *     ... (%zu lines in all)\n", ls->n);
}


/* The body is written to a scratch file first, because the header it follows needs what the
 * body found. WASI has no temporary files: in the browser's build emitting fails with TG_ERR_IO
 * (the page does not offer --emit c). */
static FILE *scratch_file(void)
{
#if defined(__wasi__)
    return NULL;
#else
    return tmpfile();
#endif
}

/* What emit and check share: the checks of out and wrt, and the roots: out, then (hessian)
 * the gradient graph's nodes, recorded after the current end of t. *roots is malloc'ed. */
static tg_status make_roots(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, int hessian,
                            tg_var **roots)
{
    *roots = NULL;
    if (!tgi_valid(t, out))
        return TG_ERR_BADVAR;
    for (size_t k = 0; k < n; k++)
        if (!tgi_valid(t, wrt[k]) || tgi_code_op(t->code[wrt[k].id]) != TG_OP_INPUT)
            return TG_ERR_ARG;
    if (!(*roots = malloc((n + 1) * sizeof **roots)))
        return TG_ERR_NOMEM;
    (*roots)[0] = out;
    return hessian && n ? tg_grad_graph(t, out, n, wrt, *roots + 1) : TG_OK;
}

static tg_status emit(tg_tape *t, tg_var out, size_t n, const tg_var *wrt,
                      const tg_emit_options *opt, FILE *f)
{
    const char *name = opt && opt->name ? opt->name : "tapegrad_fn";
    const tg_emit_options none = {0};
    if (!opt)
        opt = &none;
    if (!t || !f || (n && !wrt) || !c_identifier(name))
        return TG_ERR_ARG;
    const tg_mark mark = tg_tape_mark(t);
    tg_var *roots;
    tg_status st = make_roots(t, out, n, wrt, opt->hessian, &roots);
    if (st != TG_OK) {
        free(roots);
        tg_tape_rewind(t, mark);
        return st;
    }
    const size_t n_roots = opt->hessian ? n + 1 : 1;
    plan p;
    st = plan_build(&p, t, n_roots, roots, n, wrt);
    FILE *body = st == TG_OK ? scratch_file() : NULL;
    writer w = {.p = &p, .f = body, .name = name};
    if (st == TG_OK && !body)
        st = TG_ERR_IO;
    if (st == TG_OK && !lines_init(&w.src, opt->program))
        st = TG_ERR_NOMEM;
    if (st == TG_OK) {
        write_forward(&w);
        /* the gradient nodes are swept, not read: their values may be unused */
        for (size_t r = 1; r < n_roots; r++)
            if (p.active[roots[r].id] && p.wrt_of[roots[r].id] < 0)
                fprintf(body, "    (void)v%u;\n", (unsigned)roots[r].id);
        fputs("    double c; /* one contribution: upstream gradient x local derivative */\n",
              body);
        fputs("    /* reverse: d out / d node, accumulated as the sweep does */\n", body);
        fputs("    {\n", body);
        write_reverse(&w, out.id, "grad", 0);
        fputs("    }\n", body);
        for (size_t i = 0; opt->hessian && i < n; i++) {
            fprintf(body, "    { /* Hessian row %zu: reverse sweep of d out / d x[%zu] */\n",
                    i, i);
            write_reverse(&w, roots[1 + i].id, "hess", i * n);
            fputs("    }\n", body);
        }
        char ret[64];
        operand(&w, out.id, 0, ret, sizeof ret);
        fprintf(body, "    (void)c;\n    return %s;\n}\n", ret);
        if (w.nomem)
            st = TG_ERR_NOMEM;
        if (ferror(body))
            st = TG_ERR_IO;
    }
    if (st == TG_OK) {
        /* header comment, constants, signature, then the body */
        fprintf(f, "/* %s: generated by tapegrad %s (tapegrad --emit c). Needs only <math.h>.\n",
                name, TAPEGRAD_VERSION);
        if (opt->program)
            quote_program(f, &w.src);
        fputs(" * inputs, in order:", f);
        for (size_t k = 0; k < n; k++) {
            if (opt->input_names && c_identifier(opt->input_names[k]))
                fprintf(f, " x[%zu] = %s%s", k, opt->input_names[k], k + 1 < n ? "," : "");
            else
                fprintf(f, " x[%zu]%s", k, k + 1 < n ? "," : "");
        }
        fprintf(f, "%s\n", n ? "" : " none");
        int any_ours = 0;
        for (size_t k = 0; k < w.n_calls; k++)
            any_ours |= w.calls[k].ours;
        fprintf(f,
                " * %s(x, grad%s) returns the value and writes grad[i] = d value / d x[i]%s.\n"
                " * Compile with -ffp-contract=off (no fused multiply-add): the code then\n"
                " * computes what the tape computes, bit for bit%s */\n",
                name, opt->hessian ? ", hess" : "",
                opt->hessian ? "\n * and hess[i*n + j] = d2 value / d x[i] d x[j] (reverse over reverse)"
                             : "",
                any_ours ? "\n * (add -DTAPEGRAD_LIBM -ltapegrad for that: see below)." : ".");
        fputs("#include <math.h>\n\n", f);
        if (w.n_pool) {
            fputs("/* constants that feed a library call, read at run time so that the call is\n"
                  " * made at run time, as the tape made it */\n",
                  f);
            fprintf(f, "static volatile const double %s_k[%zu] = {", name, w.n_pool);
            for (size_t k = 0; k < w.n_pool; k++) {
                char lit[48];
                literal(lit, sizeof lit, w.pool[k]);
                fprintf(f, "%s%s", k ? ", " : "", lit);
            }
            fputs("};\n\n", f);
        }
        if (any_ours) {
            fputs("/* The engine computes", f);
            for (size_t k = 0, first = 1; k < w.n_calls; k++)
                if (w.calls[k].ours) {
                    fprintf(f, "%s %s", first ? "" : ",", w.calls[k].name);
                    first = 0;
                }
            fputs(" with tapegrad's own correctly\n"
                  " * rounded functions (tg_libm.h). Compiled with -DTAPEGRAD_LIBM and linked with\n"
                  " * -ltapegrad, this code calls them too and is the engine's bit for bit; else it\n"
                  " * calls the C library's, which may round a result differently in the last bit. */\n"
                  "#ifdef TAPEGRAD_LIBM\n",
                  f);
            for (size_t k = 0; k < w.n_calls; k++)
                if (w.calls[k].ours) {
                    fprintf(f, "double tg_libm_%s(", w.calls[k].name);
                    for (int a = 0; a < w.calls[k].arity; a++)
                        fprintf(f, "%sdouble", a ? ", " : "");
                    fprintf(f, ");\n#define %s_LIBM_%s tg_libm_%s\n", name, w.calls[k].name,
                            w.calls[k].name);
                }
            fputs("#else\n", f);
            for (size_t k = 0; k < w.n_calls; k++)
                if (w.calls[k].ours)
                    fprintf(f, "#define %s_LIBM_%s %s\n", name, w.calls[k].name, w.calls[k].name);
            fputs("#endif\n\n", f);
        }
        if (w.n_calls)
            fputs("/* the C library's functions, called through pointers the compiler cannot see\n"
                  " * through, so that each call is made at run time, as the tape made it */\n",
                  f);
        for (size_t k = 0; k < w.n_calls; k++) {
            fprintf(f, "static double (*const volatile %s_%s)(", name, w.calls[k].name);
            for (int a = 0; a < w.calls[k].arity; a++)
                fprintf(f, "%sdouble", a ? ", " : "");
            if (w.calls[k].ours)
                fprintf(f, ") = %s_LIBM_%s;\n", name, w.calls[k].name);
            else
                fprintf(f, ") = %s;\n", w.calls[k].name);
        }
        if (w.n_calls)
            fputc('\n', f);
        fprintf(f, "double %s(const double *x, double *grad%s);\n", name,
                opt->hessian ? ", double *hess" : "");
        fprintf(f, "double %s(const double *x, double *grad%s)\n{\n", name,
                opt->hessian ? ", double *hess" : "");
        /* an input the output does not read leaves x (or grad) unused */
        fprintf(f, "    (void)x;\n    (void)grad;\n%s", opt->hessian ? "    (void)hess;\n" : "");
        rewind(body);
        char buf[8192];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, body)) > 0)
            if (fwrite(buf, 1, got, f) != got)
                break;
        if (ferror(body) || ferror(f))
            st = TG_ERR_IO;
    }
    if (body)
        fclose(body);
    free(w.pool);
    free(w.src.start);
    plan_free(&p);
    free(roots);
    tg_tape_rewind(t, mark);
    return st;
}

tg_status tg_emit_c(const tg_tape *t, tg_var out, size_t n, const tg_var *wrt, const char *name,
                    FILE *f)
{
    const tg_emit_options opt = {.name = name};
    /* without a Hessian nothing is recorded: the tape is only read */
    return emit((tg_tape *)t, out, n, wrt, &opt, f);
}

tg_status tg_emit_c_opts(tg_tape *t, tg_var out, size_t n, const tg_var *wrt,
                         const tg_emit_options *opts, FILE *f)
{
    return emit(t, out, n, wrt, opts, f);
}

tg_status tg_emit_check(tg_tape *t, tg_var out, size_t n, const tg_var *wrt, int hessian,
                        const double *x, double *value, double *grad, double *hess)
{
    if (!t || (n && (!wrt || !x || !grad)) || !value || (hessian && n && !hess))
        return TG_ERR_ARG;
    const tg_mark mark = tg_tape_mark(t);
    tg_var *roots;
    tg_status st = make_roots(t, out, n, wrt, hessian, &roots);
    plan p = {0};
    if (st == TG_OK)
        st = plan_build(&p, t, hessian ? n + 1 : 1, roots, n, wrt);
    double *val = NULL, *gr = NULL;
    uint8_t *seen = NULL;
    if (st == TG_OK) {
        val = malloc(p.n_nodes * sizeof *val);
        gr = malloc(p.n_nodes * sizeof *gr);
        seen = malloc(p.n_nodes);
        if (!val || !gr || !seen)
            st = TG_ERR_NOMEM;
    }
    if (st == TG_OK)
        plan_run(&p, x, val, gr, seen, value, grad, hess);
    free(val);
    free(gr);
    free(seen);
    plan_free(&p);
    free(roots);
    tg_tape_rewind(t, mark);
    return st;
}
