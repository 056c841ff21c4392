/* parse.c: the expression language. A Pratt parser with positions on every token reads
 * programs and records each operation on the tape through the public API (tg_const, tg_add,
 * tg_pow, ...), as any C user would: it uses only the public headers, plus core/uthash_int.h for
 * its name table. Printing errors, values and gradients is left to the caller (cli/tapegrad.c).
 * Left-associative chains are loops; only real nesting recurses, bounded by TG_PARSE_MAX_DEPTH. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_core.h"
#include "tg_lang.h"
#include "tg_ops.h"
#include "uthash_int.h"

/* Origin texts longer than this are cut with "..." (a 100,000-term chain must not copy its
 * whole prefix into every node), and at most this many source bytes are scanned for one. */
#define ORIGIN_MAX 60
#define ORIGIN_SCAN 4096

/* ---- Functions: exactly these names, each mapped to its constructor ---------------------
 * Columns: name, one-argument constructor (NULL for pow, which takes two). Anything else
 * followed by '(' is an unknown function; op-table rows such as add or sum are not exposed,
 * so programs may use those words as variable names. */
typedef tg_var (*unary_fn)(tg_tape *, tg_var);
static const struct {
    const char *name;
    unary_fn fn;
} functions[] = {
    {"exp", tg_exp},   {"log", tg_log}, {"sqrt", tg_sqrt}, {"sin", tg_sin},
    {"cos", tg_cos},   {"tan", tg_tan}, {"tanh", tg_tanh}, {"sigmoid", tg_sigmoid},
    {"relu", tg_relu}, {"abs", tg_abs}, {"pow", NULL},
};
#define N_FUNCTIONS (sizeof functions / sizeof functions[0])

static int find_function(const char *s, size_t n)
{
    for (size_t i = 0; i < N_FUNCTIONS; i++)
        if (strlen(functions[i].name) == n && memcmp(functions[i].name, s, n) == 0)
            return (int)i;
    return -1;
}

int tg_parse_is_function(const char *s)
{
    return s && find_function(s, strlen(s)) >= 0;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

int tg_parse_is_name(const char *s)
{
    if (!s || !is_alpha((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; s[i]; i++)
        if (!is_alpha((unsigned char)s[i]) && !is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* ---- Name table: name -> node, and whether it is an input (read-only) -------------------- */
typedef struct symbol {
    char *name; /* owned key */
    tg_var v;
    int is_input;
    UT_hash_handle hh;
} symbol;

struct tg_parser {
    tg_tape *t;
    symbol *symbols;
    tg_parse_error err;
    /* The program being read, and the lexer's place in it. */
    const char *src;
    size_t len;
    size_t pos;
    uint32_t line;
    size_t line_start;
    unsigned paren; /* open parentheses: a newline inside them is white space */
    unsigned depth; /* current nesting, bounded by TG_PARSE_MAX_DEPTH */
};

/* ---- Tokens ------------------------------------------------------------------------------ */
typedef enum tok_kind {
    T_EOF,
    T_NL,
    T_NUM,
    T_NAME,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_POW,
    T_LPAR,
    T_RPAR,
    T_COMMA,
    T_SEMI,
    T_ASSIGN,
    T_BAD
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t start, end; /* bytes src[start..end-1] */
    uint32_t line, col;
    double num;
} token;

/* Where the lexer is: enough to look one token further and come back. */
typedef struct lex_state {
    size_t pos;
    uint32_t line;
    size_t line_start;
    token tok;
} lex_state;

static symbol *sym_find(const tg_parser *p, const char *s, size_t n)
{
    symbol *e = NULL;
    HASH_FIND(hh, p->symbols, s, n, e);
    return e;
}

static void set_error(tg_parser *p, tg_status code, uint32_t line, uint32_t col, const char *fmt,
                      ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6), noinline))
#endif
    ;
static void set_error(tg_parser *p, tg_status code, uint32_t line, uint32_t col, const char *fmt,
                      ...)
{
    if (p->err.code != TG_OK)
        return; /* the first error is the one to show */
    p->err.code = code;
    p->err.line = line;
    p->err.column = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err.message, sizeof p->err.message, fmt, ap);
    va_end(ap);
}

/* Quotes a token for a message: at most 40 bytes, non-printable bytes as \xNN. */
static const char *quote(const tg_parser *p, const token *k, char *buf, size_t size)
{
    if (k->kind == T_EOF)
        return "end of input";
    if (k->kind == T_NL)
        return "end of line";
    size_t o = 0;
    buf[o++] = '\'';
    for (size_t i = k->start; i < k->end && o + 8 < size; i++) {
        const unsigned char c = (unsigned char)p->src[i];
        if (i - k->start >= 40) {
            o += (size_t)snprintf(buf + o, size - o, "...");
            break;
        }
        if (c >= 0x20 && c < 0x7f)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    buf[o++] = '\'';
    buf[o] = 0;
    return buf;
}

static void error_at(tg_parser *p, const token *k, const char *what)
#if defined(__GNUC__)
    __attribute__((noinline))
#endif
    ;
static void error_at(tg_parser *p, const token *k, const char *what)
{
    char q[64];
    set_error(p, TG_ERR_SYNTAX, k->line, k->col, "%s %s", what, quote(p, k, q, sizeof q));
}

/* Reports a T_BAD token: a malformed number, or a stray byte. */
static void bad_token(tg_parser *p, const token *k)
{
    if (is_digit((unsigned char)p->src[k->start]) ||
        (p->src[k->start] == '.' && k->end > k->start + 1)) {
        char q[64];
        set_error(p, TG_ERR_SYNTAX, k->line, k->col,
                  "malformed number %s",
                  quote(p, k, q, sizeof q));
        return;
    }
    error_at(p, k, "unexpected character");
}

/* Reads the next token into *k. Never fails: a bad byte or number is a T_BAD token, which
 * the parser reports with its position. */
static void lex(tg_parser *p, token *k)
{
    const char *s = p->src;
    for (;;) {
        while (p->pos < p->len && (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\r' ||
                                   (s[p->pos] == '\n' && p->paren > 0))) {
            if (s[p->pos] == '\n') {
                p->line++;
                p->line_start = p->pos + 1;
            }
            p->pos++;
        }
        if (p->pos < p->len && s[p->pos] == '#') {
            while (p->pos < p->len && s[p->pos] != '\n')
                p->pos++;
            continue;
        }
        break;
    }
    k->start = p->pos;
    k->line = p->line;
    k->col = (uint32_t)(p->pos - p->line_start + 1);
    k->num = 0;
    if (p->pos >= p->len) {
        k->kind = T_EOF;
        k->end = p->pos;
        return;
    }
    const char c = s[p->pos];
    size_t i = p->pos;
    if (is_digit((unsigned char)c) ||
        (c == '.' && i + 1 < p->len && is_digit((unsigned char)s[i + 1]))) {
        /* digits [. digits] | . digits, then [eE][+-]digits */
        int ok = 1;
        while (i < p->len && is_digit((unsigned char)s[i]))
            i++;
        if (i < p->len && s[i] == '.') {
            i++;
            while (i < p->len && is_digit((unsigned char)s[i]))
                i++;
        }
        if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            if (i < p->len && (s[i] == '+' || s[i] == '-'))
                i++;
            if (i >= p->len || !is_digit((unsigned char)s[i]))
                ok = 0;
            while (i < p->len && is_digit((unsigned char)s[i]))
                i++;
        }
        /* "2x", "1.2.3": a number glued to a name or another point */
        while (i < p->len &&
               (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '.')) {
            ok = 0;
            i++;
        }
        k->end = i;
        p->pos = i;
        k->kind = T_BAD;
        if (!ok)
            return;
        char buf[128];
        const size_t n = i - k->start;
        char *text = n < sizeof buf ? buf : malloc(n + 1);
        if (!text)
            return;
        memcpy(text, s + k->start, n);
        text[n] = 0;
        errno = 0;
        k->num = strtod(text, NULL);
        if (text != buf)
            free(text);
        /* A literal past the largest double (1e999) reads as inf, as in C and Python: it is an
         * error only if the output depends on it (the command checks non-finite values). */
        k->kind = T_NUM;
        return;
    }
    if (is_alpha((unsigned char)c)) {
        while (i < p->len && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i])))
            i++;
        k->kind = T_NAME;
        k->end = p->pos = i;
        return;
    }
    static const struct {
        char c;
        tok_kind kind;
    } punct[] = {{'+', T_PLUS}, {'-', T_MINUS},  {'*', T_STAR}, {'/', T_SLASH},
                 {'^', T_POW},  {'(', T_LPAR},   {')', T_RPAR}, {',', T_COMMA},
                 {';', T_SEMI}, {'=', T_ASSIGN}, {'\n', T_NL}};
    k->kind = T_BAD;
    for (size_t j = 0; j < sizeof punct / sizeof punct[0]; j++)
        if (punct[j].c == c)
            k->kind = punct[j].kind;
    p->pos++;
    if (k->kind == T_STAR && p->pos < p->len && s[p->pos] == '*') {
        k->kind = T_POW; /* '**' is '^' */
        p->pos++;
    }
    if (k->kind == T_NL) {
        p->line++;
        p->line_start = p->pos;
    }
    k->end = p->pos;
}

/* ---- Parsing and recording --------------------------------------------------------------- */

/* A parsed expression: its node and the source span it came from. */
typedef struct expr {
    tg_var v;
    size_t start, end;
    uint32_t line, col;
} expr;

/* Records where node v came from: the span's text with white space runs and comments shown
 * as one space, cut at ORIGIN_MAX characters. */
static void note_origin(tg_parser *p, tg_var v, const expr *e)
#if defined(__GNUC__)
    __attribute__((noinline))
#endif
    ;
static void note_origin(tg_parser *p, tg_var v, const expr *e)
{
    char text[ORIGIN_MAX + 4];
    size_t o = 0;
    int space = 0;
    size_t i = e->start, scanned = 0;
    for (; i < e->end && o < ORIGIN_MAX && scanned < ORIGIN_SCAN; i++, scanned++) {
        const char c = p->src[i];
        if (c == '#') {
            while (i + 1 < e->end && p->src[i + 1] != '\n')
                i++, scanned++;
            space = 1;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            space = 1;
        } else {
            if (space && o > 0)
                text[o++] = ' ';
            space = 0;
            if (o < ORIGIN_MAX)
                text[o++] = c;
        }
    }
    if (i < e->end) {
        memcpy(text + o, "...", 3);
        o += 3;
    }
    text[o] = 0;
    if (tg_set_origin(p->t, v, e->line, e->col, text) != TG_OK)
        set_error(p, tg_tape_status(p->t), e->line, e->col, "%s", tg_tape_errmsg(p->t));
}

/* Checks a freshly recorded node: an invalid one means the tape failed (out of memory, full). */
static int recorded(tg_parser *p, tg_var v, const expr *e)
{
    if (!tg_var_ok(v)) {
        tg_status s = tg_tape_status(p->t);
        set_error(p, s != TG_OK ? s : TG_ERR_NOMEM, e->line, e->col, "%s",
                  s != TG_OK ? tg_tape_errmsg(p->t) : "could not record an operation");
        return 0;
    }
    note_origin(p, v, e);
    return p->err.code == TG_OK;
}

static void advance(tg_parser *p, token *k)
{
    lex(p, k);
}

/* Binding powers: how tightly each infix operator holds its left operand. */
enum { BP_NONE = 0, BP_ADD = 10, BP_MUL = 20, BP_UNARY = 30, BP_POW = 40 };

static int infix_bp(tok_kind k)
{
    switch (k) {
    case T_PLUS:
    case T_MINUS:
        return BP_ADD;
    case T_STAR:
    case T_SLASH:
        return BP_MUL;
    case T_POW:
        return BP_POW;
    default:
        return BP_NONE;
    }
}

static int parse_expr(tg_parser *p, token *k, int min_bp, expr *out);

/* Reports a call with the wrong number of arguments, at token k. */
static void arity_error(tg_parser *p, const token *k, int fi, unsigned n)
#if defined(__GNUC__)
    __attribute__((noinline))
#endif
    ;
static void arity_error(tg_parser *p, const token *k, int fi, unsigned n)
{
    const unsigned want = functions[fi].fn ? 1 : 2;
    char q[64];
    set_error(p, TG_ERR_SYNTAX, k->line, k->col,
              "%s() takes %u argument%s; expected %s but found %s", functions[fi].name, want,
              want == 1 ? "" : "s", n < want ? "','" : "')'", quote(p, k, q, sizeof q));
}

/* A function call; k is at the '(' after the function's name nt. */
static int parse_call(tg_parser *p, token *k, const token *nt, int fi, expr *out)
{
    const unsigned want = functions[fi].fn ? 1 : 2;
    expr arg[2];
    unsigned n = 0;
    p->paren++;
    advance(p, k);
    for (;;) {
        if (!parse_expr(p, k, BP_NONE, &arg[n]))
            return 0;
        n++;
        if (n < want && k->kind == T_COMMA) {
            advance(p, k);
            continue;
        }
        if (n == want && k->kind == T_RPAR)
            break;
        arity_error(p, k, fi, n);
        return 0;
    }
    out->start = nt->start;
    out->line = nt->line;
    out->col = nt->col;
    out->end = k->end;
    p->paren--;
    advance(p, k);
    out->v = functions[fi].fn ? functions[fi].fn(p->t, arg[0].v) : tg_pow(p->t, arg[0].v, arg[1].v);
    return recorded(p, out->v, out);
}

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* The pieces of a prefix expression live in separate, non-inlined functions so that the frames
 * on the recursion path (parse_expr -> parse_prefix -> paren/sign/call -> parse_expr) stay small:
 * nesting to TG_PARSE_MAX_DEPTH must fit the stack even under AddressSanitizer. */

static NOINLINE int prefix_number(tg_parser *p, token *k, expr *out)
{
    const double num = k->num;
    out->end = k->end;
    advance(p, k);
    out->v = tg_const(p->t, num);
    if (!tg_var_ok(out->v)) {
        set_error(p, TG_ERR_NOMEM, out->line, out->col, "%s", tg_tape_errmsg(p->t));
        return 0;
    }
    if (!isfinite(num)) /* so that an error can point at the literal */
        note_origin(p, out->v, out);
    return 1;
}

static NOINLINE int name_error(tg_parser *p, const token *nt, int fi, int is_call)
{
    const size_t n = nt->end - nt->start;
    const char *s = p->src + nt->start;
    if (fi >= 0)
        set_error(p, TG_ERR_SYNTAX, nt->line, nt->col, "'%s' is a function: write %s(...)",
                  functions[fi].name, functions[fi].name);
    else if (is_call)
        set_error(p, TG_ERR_NAME, nt->line, nt->col, "unknown function '%.*s'",
                  (int)(n > 64 ? 64 : n), s);
    else
        set_error(p, TG_ERR_NAME, nt->line, nt->col,
                  "unknown name '%.*s' (not an input, nor assigned before this point)",
                  (int)(n > 64 ? 64 : n), s);
    return 0;
}

/* A name: a call when a function's name is followed by '(', else a bound variable. */
static NOINLINE int prefix_name(tg_parser *p, token *k, expr *out)
{
    const token nt = *k;
    advance(p, k);
    const int fi = find_function(p->src + nt.start, nt.end - nt.start);
    if (fi >= 0 && k->kind == T_LPAR)
        return parse_call(p, k, &nt, fi, out);
    const symbol *e =
        fi < 0 && k->kind != T_LPAR ? sym_find(p, p->src + nt.start, nt.end - nt.start) : NULL;
    if (!e)
        return name_error(p, &nt, fi, k->kind == T_LPAR);
    out->v = e->v;
    out->end = nt.end;
    return 1;
}

static NOINLINE int unclosed_error(tg_parser *p, const token *k, const expr *open)
{
    char q[64];
    set_error(p, TG_ERR_SYNTAX, k->line, k->col, "expected ')' to close the '(' at %u:%u, found %s",
              (unsigned)open->line, (unsigned)open->col, quote(p, k, q, sizeof q));
    return 0;
}

/* '(' expr ')': the node is the inner one (no node for grouping). */
static NOINLINE int prefix_paren(tg_parser *p, token *k, expr *out)
{
    p->paren++;
    advance(p, k);
    expr inner;
    if (!parse_expr(p, k, BP_NONE, &inner))
        return 0;
    if (k->kind != T_RPAR)
        return unclosed_error(p, k, out);
    p->paren--;
    out->v = inner.v;
    out->end = k->end;
    advance(p, k);
    return 1;
}

/* A unary sign applied to an operand of binding power BP_UNARY, so that -x^2 is -(x^2) and
 * 2^-1 is 2^(-1). */
static NOINLINE int prefix_sign(tg_parser *p, token *k, expr *out)
{
    const int minus = k->kind == T_MINUS;
    advance(p, k);
    expr operand;
    if (!parse_expr(p, k, BP_UNARY, &operand))
        return 0;
    out->end = operand.end;
    if (!minus) {
        out->v = operand.v; /* +a is a itself: no node */
        return 1;
    }
    if (tg_op_of(p->t, operand.v) == TG_OP_CONST) {
        /* -2 is the constant -2 (so x^-1 keeps a constant exponent) */
        out->v = tg_const(p->t, -tg_value(p->t, operand.v));
        if (!tg_var_ok(out->v)) {
            set_error(p, TG_ERR_NOMEM, out->line, out->col, "%s", tg_tape_errmsg(p->t));
            return 0;
        }
        if (!isfinite(tg_value(p->t, out->v)))
            note_origin(p, out->v, out);
        return 1;
    }
    out->v = tg_neg(p->t, operand.v);
    return recorded(p, out->v, out);
}

static NOINLINE int prefix_error(tg_parser *p, const token *k)
{
    if (k->kind == T_BAD)
        bad_token(p, k);
    else if (k->kind == T_RPAR)
        error_at(p, k, p->paren ? "expected an expression before" : "unmatched");
    else
        error_at(p, k, "expected an expression, found");
    return 0;
}

/* A prefix expression: number, name, call, parenthesized expression, or a signed operand. */
static int parse_prefix(tg_parser *p, token *k, expr *out)
{
    out->start = k->start;
    out->line = k->line;
    out->col = k->col;
    switch (k->kind) {
    case T_NUM:
        return prefix_number(p, k, out);
    case T_NAME:
        return prefix_name(p, k, out);
    case T_LPAR:
        return prefix_paren(p, k, out);
    case T_MINUS:
    case T_PLUS:
        return prefix_sign(p, k, out);
    default:
        return prefix_error(p, k);
    }
}

/* Pratt loop: a prefix expression, then infix operators binding tighter than min_bp. The loop
 * makes a left-associative chain of any length iterative; recursion happens only for nesting
 * (operands of unary signs, right operands, parentheses, arguments), counted in p->depth. */
static int parse_expr(tg_parser *p, token *k, int min_bp, expr *out)
{
    if (++p->depth > TG_PARSE_MAX_DEPTH) {
        set_error(p, TG_ERR_LIMIT, k->line, k->col,
                  "expression nested deeper than %d levels (parentheses, signs, '^', calls)",
                  TG_PARSE_MAX_DEPTH);
        return 0;
    }
    int ok = parse_prefix(p, k, out);
    while (ok) {
        const tok_kind op = k->kind;
        const int bp = infix_bp(op);
        if (bp <= min_bp)
            break;
        advance(p, k);
        expr rhs;
        /* '^' is right-associative: its right operand may itself contain '^'. */
        if (!parse_expr(p, k, op == T_POW ? bp - 1 : bp, &rhs)) {
            ok = 0;
            break;
        }
        const tg_var a = out->v, b = rhs.v;
        tg_var y;
        switch (op) {
        case T_PLUS:
            y = tg_add(p->t, a, b);
            break;
        case T_MINUS:
            y = tg_sub(p->t, a, b);
            break;
        case T_STAR:
            y = tg_mul(p->t, a, b);
            break;
        case T_SLASH:
            y = tg_div(p->t, a, b);
            break;
        default:
            y = tg_pow(p->t, a, b);
            break;
        }
        out->v = y;
        out->end = rhs.end;
        ok = recorded(p, y, out);
    }
    p->depth--;
    return ok;
}

/* Binds name (src[start..end-1]) to v, creating or updating its entry. */
static int bind(tg_parser *p, const token *nt, tg_var v)
{
    const size_t n = nt->end - nt->start;
    const char *s = p->src + nt->start;
    symbol *e = sym_find(p, s, n);
    if (!e) {
        e = calloc(1, sizeof *e);
        char *key = malloc(n + 1);
        if (!e || !key) {
            free(e);
            free(key);
            set_error(p, TG_ERR_NOMEM, nt->line, nt->col, "out of memory for name table");
            return 0;
        }
        memcpy(key, s, n);
        key[n] = 0;
        e->name = key;
        HASH_ADD_KEYPTR(hh, p->symbols, e->name, n, e);
        if (sym_find(p, s, n) != e) {
            free(key);
            free(e);
            set_error(p, TG_ERR_NOMEM, nt->line, nt->col, "out of memory for name table");
            return 0;
        }
    }
    e->v = v;
    /* The first name a computed node gets is the one traces show; inputs keep theirs. */
    if (!tg_is_input(p->t, v) && !tg_name(p->t, v) && tg_op_of(p->t, v) != TG_OP_CONST)
        tg_set_name(p->t, v, e->name);
    return 1;
}

/* statement := NAME '=' expr | expr, ended by ';', a newline or the end. */
static int parse_statement(tg_parser *p, token *k, tg_var *value)
{
    if (k->kind == T_NAME) {
        const lex_state saved = {p->pos, p->line, p->line_start, *k};
        token next;
        lex(p, &next);
        if (next.kind == T_ASSIGN && p->pos < p->len && p->src[p->pos] == '=') {
            set_error(p, TG_ERR_SYNTAX, next.line, next.col,
                      "'==' is not an operator: the language has no comparisons");
            return 0;
        }
        if (next.kind == T_ASSIGN) {
            const token nt = *k;
            const size_t n = nt.end - nt.start;
            const char *s = p->src + nt.start;
            if (find_function(s, n) >= 0) {
                set_error(p, TG_ERR_NAME, nt.line, nt.col,
                          "cannot assign to '%.*s': it is a function", (int)n, s);
                return 0;
            }
            const symbol *e = sym_find(p, s, n);
            if (e && e->is_input) {
                set_error(p, TG_ERR_NAME, nt.line, nt.col,
                          "cannot assign to '%.*s': it is an input", (int)(n > 64 ? 64 : n), s);
                return 0;
            }
            advance(p, k);
            expr rhs;
            if (!parse_expr(p, k, BP_NONE, &rhs))
                return 0;
            if (!bind(p, &nt, rhs.v))
                return 0;
            *value = rhs.v;
            return 1;
        }
        p->pos = saved.pos;
        p->line = saved.line;
        p->line_start = saved.line_start;
        *k = saved.tok;
    }
    expr e;
    if (!parse_expr(p, k, BP_NONE, &e))
        return 0;
    *value = e.v;
    return 1;
}

tg_status tg_parser_run(tg_parser *p, const char *src, size_t len, tg_var *out)
{
    if (out)
        *out = tg_var_invalid();
    if (!p)
        return TG_ERR_ARG;
    memset(&p->err, 0, sizeof p->err);
    if (!src && len) {
        set_error(p, TG_ERR_ARG, 0, 0, "NULL program");
        return p->err.code;
    }
    p->src = src ? src : "";
    p->len = len;
    p->pos = 0;
    p->line = 1;
    p->line_start = 0;
    p->paren = 0;
    p->depth = 0;
    tg_var last = tg_var_invalid();
    token k;
    lex(p, &k);
    while (k.kind != T_EOF) {
        if (k.kind == T_SEMI || k.kind == T_NL) {
            advance(p, &k);
            continue;
        }
        tg_var v;
        if (!parse_statement(p, &k, &v))
            break;
        if (k.kind == T_ASSIGN) {
            set_error(p, TG_ERR_SYNTAX, k.line, k.col,
                      "unexpected '=': only a name can be assigned (name = expression)");
            break;
        }
        if (k.kind == T_BAD) {
            bad_token(p, &k);
            break;
        }
        if (k.kind != T_SEMI && k.kind != T_NL && k.kind != T_EOF) {
            error_at(p, &k, k.kind == T_RPAR ? "unmatched" : "unexpected");
            break;
        }
        last = v;
    }
    if (p->err.code == TG_OK && !tg_var_ok(last))
        set_error(p, TG_ERR_SYNTAX, k.line, k.col, "empty program: no statement to evaluate");
    p->src = NULL;
    if (p->err.code != TG_OK)
        return p->err.code;
    if (out)
        *out = last;
    return TG_OK;
}

/* ---- Parser objects ---------------------------------------------------------------------- */

tg_parser *tg_parser_new(tg_tape *t)
{
    if (!t)
        return NULL;
    tg_parser *p = calloc(1, sizeof *p);
    if (p)
        p->t = t;
    return p;
}

void tg_parser_free(tg_parser *p)
{
    if (!p)
        return;
    symbol *e, *tmp;
    HASH_ITER(hh, p->symbols, e, tmp)
    {
        HASH_DEL(p->symbols, e);
        free(e->name);
        free(e);
    }
    free(p);
}

tg_status tg_parser_define(tg_parser *p, const char *name, tg_var v)
{
    if (!p)
        return TG_ERR_ARG;
    memset(&p->err, 0, sizeof p->err);
    if (!tg_parse_is_name(name)) {
        set_error(p, TG_ERR_NAME, 0, 0, "'%.64s' is not a valid name ([A-Za-z_][A-Za-z0-9_]*)",
                  name ? name : "(null)");
        return p->err.code;
    }
    if (tg_parse_is_function(name)) {
        set_error(p, TG_ERR_NAME, 0, 0, "'%s' is a function's name, not an input", name);
        return p->err.code;
    }
    if (v.id >= tg_tape_size(p->t)) {
        set_error(p, TG_ERR_BADVAR, 0, 0, "input '%.64s': variable not on the tape", name);
        return p->err.code;
    }
    const size_t n = strlen(name);
    if (sym_find(p, name, n)) {
        set_error(p, TG_ERR_NAME, 0, 0, "input '%.64s' is given twice", name);
        return p->err.code;
    }
    token nt = {T_NAME, 0, n, 0, 0, 0};
    p->src = name;
    int ok = bind(p, &nt, v);
    p->src = NULL;
    if (!ok)
        return p->err.code;
    sym_find(p, name, n)->is_input = 1;
    if (!tg_name(p->t, v))
        tg_set_name(p->t, v, name);
    return TG_OK;
}

const tg_parse_error *tg_parser_error(const tg_parser *p)
{
    static const tg_parse_error none = {TG_ERR_ARG, 0, 0, "no parser"};
    return p ? &p->err : &none;
}

tg_var tg_parser_lookup(const tg_parser *p, const char *name)
{
    if (!p || !name)
        return tg_var_invalid();
    const symbol *e = sym_find(p, name, strlen(name));
    return e ? e->v : tg_var_invalid();
}
