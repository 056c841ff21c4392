/* parse.c: the expression language (shared/spec/cli.md, version 2). A Pratt parser with
 * positions on every token reads programs and records each operation on the tape through the
 * public API (tg_const, tg_add, ...), as any C user would: it uses only the public headers, plus
 * core/uthash_int.h for its name table. Printing errors, values and gradients is left to the
 * caller (cli/). Left-associative chains are loops; only real nesting recurses (parentheses,
 * signs, '^', arguments, calls of defined functions), bounded by TG_PARSE_MAX_DEPTH. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
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
/* Past this many nodes on the tape, the operations inside inlined function bodies get no
 * origin of their own (each costs a copy of its text: ~130 bytes a node, so a program whose
 * definitions double at each level would take gigabytes before reaching the node limit). */
#define ORIGIN_NODES_MAX 1000000

/* pi: the double nearest to the ratio of a circle's circumference to its diameter. */
#define LANG_PI 3.141592653589793

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* ---- What the language takes from the op table (ops/tg_ops.h) ------------------------------
 * Its functions are exactly the rows with a language name (tg_op_info.name: exp ... where), with
 * their number of arguments; its infix operators are the binary rows' symbols with their
 * precedence and associativity, and unary minus the unary row whose symbol is "-". Anything else
 * followed by '(' is an unknown function unless the program defines it: rows such as add or sum
 * have no language name, so programs may use those words as names. */

/* The op whose language name is s[0..n-1], or TG_N_OPS. (Not inlined: its buffer would sit in
 * the frames of the parser's recursion.) */
static NOINLINE tg_op find_builtin(const char *s, size_t n)
{
    char name[24];
    if (n == 0 || n >= sizeof name)
        return TG_N_OPS;
    memcpy(name, s, n);
    name[n] = 0;
    return tg_op_find(name);
}

/* Records op over args (op's number of arguments). A constant exponent makes ^ and pow record
 * the row without a gradient for the exponent (POWC), as constants get none: so x^2 at x = -2
 * has the derivative -4, not a NaN from d/db = y ln(a). */
static tg_var apply_op(tg_tape *t, tg_op op, size_t n, const tg_var *args)
{
    if (op == TG_OP_POW && tg_op_of(t, args[1]) == TG_OP_CONST)
        op = TG_OP_POWC;
    return tg_apply(t, op, n, args);
}

int tg_parse_is_function(const char *s)
{
    return s && tg_op_find(s) != TG_N_OPS;
}

/* pi is reserved besides the functions (where is one of them). */
static int is_pi(const char *s, size_t n)
{
    return n == 2 && memcmp(s, "pi", 2) == 0;
}

int tg_parse_is_reserved(const char *s)
{
    return s && (tg_parse_is_function(s) || is_pi(s, strlen(s)));
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

/* ---- Name table: inputs, assigned names and defined functions ---------------------------- */

/* A function the program defined: name(p1, ..., pk) = body. The body is kept as source text
 * and parsed again at every call with the parameters bound to the call's arguments, so that a
 * call records the body's operations (inlining). text starts at the beginning of the body's
 * line, so that positions inside it are the program's own line:column. */
typedef struct definition {
    char *text;                 /* owned: the body's line up to the body's end */
    size_t body, len;           /* the body is text[body..len-1] */
    uint32_t line;              /* the program's line of text[0] */
    uint32_t def_line, def_col; /* where the definition starts */
    uint32_t n_params;
    char **params; /* owned names */
    size_t cost;   /* nodes a call records (saturating), so that a call the tape cannot
                      hold fails before recording anything */
} definition;

enum { SYM_INPUT = 1, SYM_ASSIGNED, SYM_FUNCTION };

typedef struct symbol {
    char *name; /* owned key */
    int kind;
    tg_var v;        /* inputs and assigned names */
    definition *def; /* functions (owned) */
    UT_hash_handle hh;
} symbol;

/* The parameters a function body sees while it is being parsed: the call's arguments, or
 * placeholders while the definition itself is checked. */
typedef struct scope {
    const definition *def;
    const char *name; /* the function's name, for messages */
    size_t name_len;
    const tg_var *args;
} scope;

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
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_EQ,
    T_NE,
    T_LPAR,
    T_RPAR,
    T_COMMA,
    T_SEMI,
    T_ASSIGN,
    T_BAD
} tok_kind;

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
    unsigned paren;         /* open parentheses: a newline inside them is white space */
    unsigned depth;         /* current nesting, bounded by TG_PARSE_MAX_DEPTH */
    const scope *scope;     /* inside a function body: only its parameters are visible */
    unsigned checking;      /* checking a definition: calls of defined functions are not inlined */
    unsigned calling;       /* reserving room for a call */
    size_t check_calls;     /* while checking: placeholders recorded for calls ... */
    size_t check_call_cost; /* ... and the nodes those calls will record */
    /* The operators, from the op table (load_operators). */
    struct {
        tg_op op;
        int bp, right;
    } infix[T_BAD + 1];
    tg_op neg_op;
    int unary_bp;
};

typedef struct token {
    tok_kind kind;
    size_t start, end; /* bytes src[start..end-1] */
    uint32_t line, col;
    double num;
} token;

/* Where the lexer is: enough to look further ahead and come back. */
typedef struct lex_state {
    size_t pos;
    uint32_t line;
    size_t line_start;
    unsigned paren;
    token tok;
} lex_state;

static lex_state lex_save(const tg_parser *p, const token *k)
{
    const lex_state s = {p->pos, p->line, p->line_start, p->paren, *k};
    return s;
}

static void lex_restore(tg_parser *p, token *k, const lex_state *s)
{
    p->pos = s->pos;
    p->line = s->line;
    p->line_start = s->line_start;
    p->paren = s->paren;
    *k = s->tok;
}

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

/* Length of the UTF-8 sequence that starts s[0..n-1], or 0 if it is not a valid one. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    const size_t want = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
                        : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                        : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                                                       : 0;
    if (want == 0 || want > n)
        return 0;
    for (size_t i = 1; i < want; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (want == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, or a UTF-16 surrogate */
    if (want == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0;
    return want;
}

/* Quotes a token for a message: at most 40 bytes, other non-printable bytes as \xNN. */
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

static NOINLINE void error_at(tg_parser *p, const token *k, const char *what)
{
    char q[64];
    set_error(p, TG_ERR_SYNTAX, k->line, k->col, "%s %s", what, quote(p, k, q, sizeof q));
}

/* Reports a T_BAD token: a malformed number, a character that is not ASCII, or a stray byte. */
static NOINLINE void bad_token(tg_parser *p, const token *k)
{
    const unsigned char c = (unsigned char)p->src[k->start];
    char q[64];
    if (is_digit(c) || (c == '.' && k->end > k->start + 1)) {
        set_error(p, TG_ERR_SYNTAX, k->line, k->col, "malformed number %s",
                  quote(p, k, q, sizeof q));
        return;
    }
    if (c >= 0x80) {
        const size_t n = utf8_length((const unsigned char *)p->src + k->start, p->len - k->start);
        if (n > 0) {
            set_error(p, TG_ERR_SYNTAX, k->line, k->col,
                      "unexpected character '%.*s': names are ASCII ([A-Za-z_][A-Za-z0-9_]*), and "
                      "other characters may appear only in comments",
                      (int)n, p->src + k->start);
            return;
        }
        set_error(p, TG_ERR_SYNTAX, k->line, k->col,
                  "unexpected byte \\x%02x (not ASCII, nor UTF-8): names are ASCII", c);
        return;
    }
    if (c == '!') {
        set_error(p, TG_ERR_SYNTAX, k->line, k->col,
                  "unexpected character '!': the language has no 'not' (write 1 - c), and "
                  "'!=' means not equal");
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
        if (i < p->len && (unsigned char)s[i] >= 0x80) {
            /* "café": the name is not what is wrong, its next character is */
            const size_t n = utf8_length((const unsigned char *)s + i, p->len - i);
            k->kind = T_BAD;
            k->start = i;
            k->col = (uint32_t)(i - p->line_start + 1);
            k->end = p->pos = i + (n ? n : 1);
            return;
        }
        k->kind = T_NAME;
        k->end = p->pos = i;
        return;
    }
    /* Operators: the two-character ones (** <= >= == !=) first. */
    const char c2 = p->pos + 1 < p->len ? s[p->pos + 1] : 0;
    size_t width = 1;
    switch (c) {
    case '+':
        k->kind = T_PLUS;
        break;
    case '-':
        k->kind = T_MINUS;
        break;
    case '/':
        k->kind = T_SLASH;
        break;
    case '^':
        k->kind = T_POW;
        break;
    case '(':
        k->kind = T_LPAR;
        break;
    case ')':
        k->kind = T_RPAR;
        break;
    case ',':
        k->kind = T_COMMA;
        break;
    case ';':
        k->kind = T_SEMI;
        break;
    case '\n':
        k->kind = T_NL;
        break;
    case '*':
        k->kind = c2 == '*' ? T_POW : T_STAR;
        width = c2 == '*' ? 2 : 1;
        break;
    case '<':
        k->kind = c2 == '=' ? T_LE : T_LT;
        width = c2 == '=' ? 2 : 1;
        break;
    case '>':
        k->kind = c2 == '=' ? T_GE : T_GT;
        width = c2 == '=' ? 2 : 1;
        break;
    case '=':
        k->kind = c2 == '=' ? T_EQ : T_ASSIGN;
        width = c2 == '=' ? 2 : 1;
        break;
    case '!':
        k->kind = c2 == '=' ? T_NE : T_BAD;
        width = c2 == '=' ? 2 : 1;
        break;
    default:
        k->kind = T_BAD;
        break;
    }
    if (k->kind == T_BAD && (unsigned char)c >= 0x80) {
        const size_t n = utf8_length((const unsigned char *)s + p->pos, p->len - p->pos);
        width = n ? n : 1; /* a whole character, so the message can show it */
    }
    p->pos += width;
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
static NOINLINE void note_origin(tg_parser *p, tg_var v, const expr *e)
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

/* Reports that the tape refused a node: it is full (the capacity, --max-nodes in the command),
 * or memory ran out. */
static NOINLINE int record_failed(tg_parser *p, const expr *e)
{
    const tg_status s = tg_tape_status(p->t);
    if (s == TG_ERR_CAPACITY)
        set_error(p, TG_ERR_LIMIT, e->line, e->col,
                  "the program records more nodes than the tape may hold (%s)%s",
                  tg_tape_errmsg(p->t),
                  p->scope || p->calling ? ": a function that calls another twice doubles the "
                                           "work at every level"
                                         : "");
    else
        set_error(p, s != TG_OK ? s : TG_ERR_NOMEM, e->line, e->col, "%s",
                  s != TG_OK ? tg_tape_errmsg(p->t) : "could not record an operation");
    return 0;
}

/* Checks a freshly recorded node: an invalid one means the tape failed (out of memory, full). */
static int recorded(tg_parser *p, tg_var v, const expr *e)
{
    if (!tg_var_ok(v))
        return record_failed(p, e);
    if (!p->scope || v.id < ORIGIN_NODES_MAX)
        note_origin(p, v, e);
    return p->err.code == TG_OK;
}

static void advance(tg_parser *p, token *k)
{
    lex(p, k);
}

/* The operator tokens and how the op table spells them. */
static const char *const token_symbol[T_BAD + 1] = {
    [T_PLUS] = "+", [T_MINUS] = "-", [T_STAR] = "*", [T_SLASH] = "/", [T_POW] = "^", [T_LT] = "<",
    [T_LE] = "<=",  [T_GT] = ">",    [T_GE] = ">=",  [T_EQ] = "==",   [T_NE] = "!=",
};

/* Fills the parser's operator table from the op table: for each infix token the binary row
 * with its symbol (the one with a language name where two share it: pow, not powc), its binding
 * power (precedence) and associativity; and the unary row spelled "-". */
static void load_operators(tg_parser *p)
{
    for (int k = 0; k <= T_BAD; k++)
        p->infix[k].op = TG_N_OPS;
    p->neg_op = TG_N_OPS;
    p->unary_bp = TG_PREC_UNARY;
    for (int op = 0; op < TG_N_OPS; op++) {
        const tg_op_info *info = tg_op_info_of((tg_op)op);
        if (!info || !info->symbol)
            continue;
        if (info->n_args == 1 && strcmp(info->symbol, "-") == 0) {
            p->neg_op = (tg_op)op;
            p->unary_bp = info->precedence;
        }
        for (int k = 0; info->n_args == 2 && k <= T_BAD; k++) {
            if (!token_symbol[k] || strcmp(token_symbol[k], info->symbol) != 0)
                continue;
            const tg_op_info *had = tg_op_info_of(p->infix[k].op);
            if (had && (had->name || !info->name))
                continue; /* keep the row the language names */
            p->infix[k].op = (tg_op)op;
            p->infix[k].bp = info->precedence;
            p->infix[k].right = info->right_assoc;
        }
    }
}

/* Binding power of the infix operator k (0 if k is not one), and whether it compares: the
 * loosest level, where operators do not associate (a < b < c is an error). */
static int infix_bp(const tg_parser *p, tok_kind k)
{
    return p->infix[k].op != TG_N_OPS ? p->infix[k].bp : 0;
}

static int is_comparison(const tg_parser *p, tok_kind k)
{
    return p->infix[k].op != TG_N_OPS && p->infix[k].bp == TG_PREC_COMPARE;
}

enum { BP_NONE = 0 };

static int parse_expr(tg_parser *p, token *k, int min_bp, expr *out);

static NOINLINE int depth_error(tg_parser *p, const token *k)
{
    set_error(p, TG_ERR_LIMIT, k->line, k->col,
              "expression nested deeper than %d levels (parentheses, signs, '^', calls)",
              TG_PARSE_MAX_DEPTH);
    return 0;
}

/* ---- Did you mean? ------------------------------------------------------------------------ */

/* Optimal-string-alignment distance between a[0..na-1] and b[0..nb-1] (an insertion, deletion,
 * substitution or swap of two neighbours costs 1), or a large number for long words. */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    enum { MAXW = 32 };
    if (na >= MAXW || nb >= MAXW)
        return MAXW;
    size_t d[MAXW + 1][MAXW + 1];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

/* Keeps cand as the suggestion for word if it is closer than the best so far: at most one edit
 * for words of three or four letters, two for longer ones, none for one or two letters (x is
 * not a slip for y). */
static void consider(const char *word, size_t n, const char *cand, size_t *best_d,
                     const char **best)
{
    const size_t m = strlen(cand);
    if (m == n && memcmp(word, cand, n) == 0)
        return;
    const size_t d = edit_distance(word, n, cand, m);
    const size_t limit = n <= 2 ? 0 : n <= 4 ? 1 : 2;
    const size_t score = 2 * d + (m != n); /* a tie goes to the word of the same length */
    if (d <= limit && score < *best_d) {
        *best_d = score;
        *best = cand;
    }
}

/* The closest function (is_call) or readable name to word, or NULL if none is close. */
static const char *suggest(const tg_parser *p, const char *word, size_t n, int is_call)
{
    size_t best_d = (size_t)-1;
    const char *best = NULL;
    if (is_call) {
        for (int op = 0; op < TG_N_OPS; op++) {
            const tg_op_info *info = tg_op_info_of((tg_op)op);
            if (info && info->name)
                consider(word, n, info->name, &best_d, &best);
        }
    } else {
        consider(word, n, "pi", &best_d, &best);
    }
    if (p->scope && !is_call) {
        for (uint32_t i = 0; i < p->scope->def->n_params; i++)
            consider(word, n, p->scope->def->params[i], &best_d, &best);
        return best;
    }
    for (const symbol *e = p->symbols; e; e = e->hh.next)
        if ((e->kind == SYM_FUNCTION) == (is_call != 0))
            consider(word, n, e->name, &best_d, &best);
    return best;
}

/* ---- Calls ---------------------------------------------------------------------------------- */

/* Reports a call with the wrong number of arguments, at token k (the ',' or ')' where the
 * count went wrong). */
static NOINLINE void arity_error(tg_parser *p, const token *k, const char *name, size_t name_len,
                                 unsigned want, unsigned n, const definition *def)
{
    char q[64], where[48] = "";
    if (def)
        snprintf(where, sizeof where, " (defined at %u:%u)", (unsigned)def->def_line,
                 (unsigned)def->def_col);
    set_error(p, TG_ERR_SYNTAX, k->line, k->col,
              "%.*s() takes %u argument%s%s; expected %s but found %s", (int)name_len, name, want,
              want == 1 ? "" : "s", where, n < want ? "','" : "')'", quote(p, k, q, sizeof q));
}

/* The arguments of a call; k is at the '(' after the function's name, the span of callee. Parses
 * exactly want arguments into args (def: the definition, for the message if the count is
 * wrong). Leaves k at the ')'. */
static int parse_args(tg_parser *p, token *k, const expr *callee, unsigned want, tg_var *args,
                      const definition *def)
{
    unsigned n = 0;
    /* A call nests two levels (the call and its argument list, as "-(" does): its frames on the
     * recursion path are twice a parenthesis's, and the stack bound is in levels. */
    if (++p->depth > TG_PARSE_MAX_DEPTH)
        return depth_error(p, k);
    p->paren++;
    advance(p, k);
    for (;;) {
        expr arg;
        if (!parse_expr(p, k, BP_NONE, &arg))
            return 0;
        if (n < want)
            args[n] = arg.v;
        n++;
        if (n < want && k->kind == T_COMMA) {
            advance(p, k);
            continue;
        }
        if (n == want && k->kind == T_RPAR)
            break;
        arity_error(p, k, p->src + callee->start, callee->end - callee->start, want, n, def);
        return 0;
    }
    p->paren--;
    p->depth--;
    return 1;
}

/* A call of a built-in function; k is at the '(' after its name, out's span so far. */
static NOINLINE int parse_builtin_call(tg_parser *p, token *k, tg_op op, expr *out)
{
    tg_var args[3];
    const int n_args = tg_op_info_of(op)->n_args;
    if (n_args < 1 || n_args > 3) { /* no language function has another arity */
        set_error(p, TG_ERR_SYNTAX, out->line, out->col, "'%s' cannot be called",
                  tg_op_info_of(op)->name);
        return 0;
    }
    if (!parse_args(p, k, out, (unsigned)n_args, args, NULL))
        return 0;
    out->end = k->end;
    advance(p, k);
    out->v = apply_op(p->t, op, (size_t)n_args, args);
    return recorded(p, out->v, out);
}

/* Parses def's body from its saved text with its parameters bound to args, recording its
 * operations (a call is the body inlined). The lexer's place in the caller's text is kept in
 * saved and restored afterwards. */
static NOINLINE int inline_body(tg_parser *p, const definition *def, const char *name,
                                size_t name_len, const tg_var *args, expr *body)
{
    const char *src = p->src;
    const size_t len = p->len;
    const scope *outer = p->scope;
    const scope inner = {def, name, name_len, args};
    const lex_state saved = {p->pos, p->line, p->line_start, p->paren, {0}};
    p->src = def->text;
    p->len = def->len;
    p->pos = def->body;
    p->line = def->line;
    p->line_start = 0;
    p->paren = 0;
    p->scope = &inner;
    token k;
    lex(p, &k);
    int ok = parse_expr(p, &k, BP_NONE, body);
    if (ok && k.kind != T_EOF) { /* cannot happen: the body was checked when defined */
        error_at(p, &k, "unexpected");
        ok = 0;
    }
    p->scope = outer;
    p->src = src;
    p->len = len;
    p->pos = saved.pos;
    p->line = saved.line;
    p->line_start = saved.line_start;
    p->paren = saved.paren;
    return ok;
}

static size_t saturating_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* A call of a function the program defined; k is at the '(' after its name (out's span). The
 * arguments are recorded first, then the body with its parameters bound to them. While a definition
 * is being checked, the call stands for a placeholder leaf instead (its body was checked already),
 * so checking costs the size of the text, whatever the calls would expand to. */
static NOINLINE int parse_defined_call(tg_parser *p, token *k, const symbol *f, expr *out)
{
    const definition *def = f->def;
    tg_var *args = malloc((def->n_params ? def->n_params : 1) * sizeof *args);
    if (!args) {
        set_error(p, TG_ERR_NOMEM, out->line, out->col, "out of memory for a call's arguments");
        return 0;
    }
    const size_t name_len = out->end - out->start; /* out's span is the name until the ')' */
    int ok = parse_args(p, k, out, def->n_params, args, def);
    if (ok) {
        out->end = k->end;
        advance(p, k);
    }
    if (ok && p->checking) {
        out->v = tg_input(p->t, 1.0);
        ok = tg_var_ok(out->v) || record_failed(p, out);
        p->check_calls++;
        p->check_call_cost = saturating_add(p->check_call_cost, def->cost);
    } else if (ok) {
        /* A call whose nodes the tape cannot hold fails at once, before recording any: so a
         * program whose definitions double at each level stops in milliseconds. */
        const tg_mark now = tg_tape_mark(p->t);
        p->calling++;
        if (tg_tape_reserve(p->t, saturating_add(now.n_nodes, def->cost), now.n_args) != TG_OK)
            ok = record_failed(p, out);
        p->calling--;
    }
    if (ok && !p->checking) {
        /* The body nests inside the call, so that chains of definitions (f2 calls f1 calls
         * ...) are bounded like parentheses: two levels more than the body's own, for the
         * frames an inlined call keeps on the stack (about three parentheses' worth). */
        p->depth += 2;
        if (p->depth > TG_PARSE_MAX_DEPTH) {
            set_error(p, TG_ERR_LIMIT, out->line, out->col,
                      "expression nested deeper than %d levels (parentheses, signs, '^', calls)",
                      TG_PARSE_MAX_DEPTH);
            ok = 0;
        }
        const tg_mark before = tg_tape_mark(p->t);
        expr body;
        if (ok)
            ok = inline_body(p, def, p->src + out->start, name_len, args, &body);
        p->depth -= 2;
        if (ok) {
            out->v = body.v;
            /* The body's last operation is shown as the call ("f(x)"), as the reader wrote it;
             * a body that returns a parameter or a constant records nothing of its own. */
            if (out->v.id >= before.n_nodes && (!p->scope || out->v.id < ORIGIN_NODES_MAX))
                note_origin(p, out->v, out);
            ok = p->err.code == TG_OK;
        }
    }
    free(args);
    return ok;
}

/* ---- Prefix expressions ------------------------------------------------------------------
 * The pieces of a prefix expression live in separate, non-inlined functions so that the frames
 * on the recursion path (parse_expr -> parse_prefix -> paren/sign/call -> parse_expr) stay small:
 * nesting to TG_PARSE_MAX_DEPTH must fit the stack even under AddressSanitizer. */

static NOINLINE int prefix_number(tg_parser *p, token *k, expr *out, double num)
{
    out->end = k->end;
    advance(p, k);
    out->v = tg_const(p->t, num);
    if (!tg_var_ok(out->v))
        return record_failed(p, out);
    if (!isfinite(num)) /* so that an error can point at the literal */
        note_origin(p, out->v, out);
    return 1;
}

static int at_definition(tg_parser *p, token *k);

/* Is s[0..n-1] defined later in the program (after the lexer's place)? Then *line:*col is where.
 * For the message of a call that comes before its definition. */
static int defined_later(tg_parser *p, const char *s, size_t n, uint32_t *line, uint32_t *col)
{
    token k = {T_EOF, 0, 0, 0, 0, 0};
    const lex_state saved = lex_save(p, &k);
    int found = 0;
    p->paren = 0;
    for (lex(p, &k); k.kind != T_EOF && !found; lex(p, &k))
        if (k.kind == T_NAME && k.end - k.start == n && !memcmp(p->src + k.start, s, n) &&
            at_definition(p, &k)) {
            found = 1;
            *line = k.line;
            *col = k.col;
        }
    lex_restore(p, &k, &saved);
    return found;
}

static NOINLINE int name_error(tg_parser *p, const token *nt, int is_call)
{
    const size_t n = nt->end - nt->start;
    const char *s = p->src + nt->start;
    const int w = (int)(n > 64 ? 64 : n);
    const int b = find_builtin(s, n) != TG_N_OPS;
    const symbol *e = sym_find(p, s, n);
    const char *near = suggest(p, s, n, is_call);
    uint32_t line = 0, col = 0;
    char hint[96] = "";
    if (near)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
    if (b || (e && e->kind == SYM_FUNCTION && !is_call))
        set_error(p, TG_ERR_SYNTAX, nt->line, nt->col, "'%.*s' is a function: write %.*s(...)", w,
                  s, w, s);
    else if (n == 2 && memcmp(s, "pi", 2) == 0)
        set_error(p, TG_ERR_SYNTAX, nt->line, nt->col,
                  "'pi' is a constant, not a function: write pi*(...)");
    else if (is_call && p->scope && n == p->scope->name_len && memcmp(s, p->scope->name, n) == 0)
        set_error(p, TG_ERR_NAME, nt->line, nt->col,
                  "'%.*s' cannot call itself: a body may call only built-in functions and "
                  "functions defined before it (no recursion)",
                  w, s);
    else if (is_call && e)
        set_error(p, TG_ERR_NAME, nt->line, nt->col, "'%.*s' is %s, not a function", w, s,
                  e->kind == SYM_INPUT ? "an input" : "an assigned name");
    else if (is_call && defined_later(p, s, n, &line, &col))
        set_error(p, TG_ERR_NAME, nt->line, nt->col,
                  "'%.*s' is called before its definition (at %u:%u): %s", w, s, (unsigned)line,
                  (unsigned)col,
                  p->scope ? "a body may call only functions defined before it (no recursion)"
                           : "define a function before the statements that call it");
    else if (is_call)
        set_error(p, TG_ERR_NAME, nt->line, nt->col, "unknown function '%.*s'%s%s", w, s, hint,
                  p->scope ? " (a body may call only functions defined before it)" : "");
    else if (p->scope && e)
        set_error(p, TG_ERR_NAME, nt->line, nt->col,
                  "the body of '%.*s' cannot read '%.*s': a function's body sees only its "
                  "parameters, numbers and pi",
                  (int)p->scope->name_len, p->scope->name, w, s);
    else
        set_error(p, TG_ERR_NAME, nt->line, nt->col, "unknown name '%.*s' (not %s)%s", w, s,
                  p->scope ? "a parameter of this function"
                           : "an input, nor assigned before this point",
                  hint);
    return 0;
}

/* name_error for the name that out's span holds. */
static NOINLINE int name_error_at(tg_parser *p, const expr *out, int is_call)
{
    const token nt = {T_NAME, out->start, out->end, out->line, out->col, 0};
    return name_error(p, &nt, is_call);
}

/* name(...): a built-in function or one the program defined; k is at the '('. */
static NOINLINE int prefix_call(tg_parser *p, token *k, expr *out)
{
    const char *s = p->src + out->start;
    const size_t n = out->end - out->start;
    const tg_op op = find_builtin(s, n);
    if (op != TG_N_OPS)
        return parse_builtin_call(p, k, op, out);
    const symbol *f = p->scope && n == p->scope->name_len && !memcmp(s, p->scope->name, n)
                          ? NULL /* inside its own body a function is not defined yet */
                          : sym_find(p, s, n);
    if (f && f->kind == SYM_FUNCTION)
        return parse_defined_call(p, k, f, out);
    return name_error_at(p, out, 1);
}

/* A name that is not called: pi, a parameter inside a body, else a bound name. */
static NOINLINE int prefix_variable(tg_parser *p, expr *out)
{
    const char *s = p->src + out->start;
    const size_t n = out->end - out->start;
    if (n == 2 && memcmp(s, "pi", 2) == 0) { /* a constant, like a number */
        out->v = tg_const(p->t, LANG_PI);
        return tg_var_ok(out->v) || record_failed(p, out);
    }
    if (p->scope) {
        const definition *def = p->scope->def;
        for (uint32_t i = 0; i < def->n_params; i++)
            if (strlen(def->params[i]) == n && memcmp(def->params[i], s, n) == 0) {
                out->v = p->scope->args[i];
                return 1;
            }
        return name_error_at(p, out, 0);
    }
    const symbol *e = sym_find(p, s, n);
    if (!e || e->kind == SYM_FUNCTION || find_builtin(s, n) != TG_N_OPS)
        return name_error_at(p, out, 0);
    out->v = e->v;
    return 1;
}

/* A name: a call when followed by '(', else a value. The frames on the path of nested calls
 * stay small: the name's span lives in out, and prefix_call is a tail call. */
static NOINLINE int prefix_name(tg_parser *p, token *k, expr *out)
{
    out->end = k->end; /* the name, until a call's ')' */
    advance(p, k);
    if (k->kind == T_LPAR)
        return prefix_call(p, k, out);
    return prefix_variable(p, out);
}

static NOINLINE int unclosed_error(tg_parser *p, const token *k, const expr *open)
{
    char q[64];
    if (k->kind == T_EOF) /* show the '(' itself, not the end of the program */
        set_error(p, TG_ERR_SYNTAX, open->line, open->col,
                  "this '(' is never closed: the program ends before its ')'");
    else
        set_error(p, TG_ERR_SYNTAX, k->line, k->col,
                  "expected ')' to close the '(' at %u:%u, found %s", (unsigned)open->line,
                  (unsigned)open->col, quote(p, k, q, sizeof q));
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
    if (!parse_expr(p, k, p->unary_bp, &operand))
        return 0;
    out->end = operand.end;
    if (!minus) {
        out->v = operand.v; /* +a is a itself: no node */
        return 1;
    }
    if (tg_op_of(p->t, operand.v) == TG_OP_CONST) {
        /* -2 is the constant -2 (so x^-1 keeps a constant exponent) */
        out->v = tg_const(p->t, -tg_value(p->t, operand.v));
        if (!tg_var_ok(out->v))
            return record_failed(p, out);
        if (!isfinite(tg_value(p->t, out->v)))
            note_origin(p, out->v, out);
        return 1;
    }
    out->v = apply_op(p->t, p->neg_op, 1, &operand.v);
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
        return prefix_number(p, k, out, k->num);
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

static NOINLINE int chained_comparison_error(tg_parser *p, const token *k)
{
    char q[64];
    set_error(p, TG_ERR_SYNTAX, k->line, k->col,
              "comparisons do not chain: found %s after a comparison (write (a < b)*(b < c) for "
              "'a < b and b < c')",
              quote(p, k, q, sizeof q));
    return 0;
}

/* Pratt loop: a prefix expression, then infix operators binding tighter than min_bp. The loop
 * makes a left-associative chain of any length iterative; recursion happens only for nesting
 * (operands of unary signs, right operands, parentheses, arguments), counted in p->depth. */
static int parse_expr(tg_parser *p, token *k, int min_bp, expr *out)
{
    if (++p->depth > TG_PARSE_MAX_DEPTH)
        return depth_error(p, k);
    int ok = parse_prefix(p, k, out);
    int compared = 0; /* this level has a comparison already */
    while (ok) {
        const tok_kind op = k->kind;
        const int bp = infix_bp(p, op);
        if (bp <= min_bp)
            break;
        const int cmp = is_comparison(p, op);
        if (cmp && compared) {
            ok = chained_comparison_error(p, k);
            break;
        }
        compared |= cmp;
        advance(p, k);
        expr rhs;
        /* A right-associative operator (^) takes a right operand that may contain itself. */
        if (!parse_expr(p, k, p->infix[op].right ? bp - 1 : bp, &rhs)) {
            ok = 0;
            break;
        }
        const tg_var args[2] = {out->v, rhs.v};
        const tg_var y = apply_op(p->t, p->infix[op].op, 2, args);
        out->v = y;
        out->end = rhs.end;
        ok = recorded(p, y, out);
    }
    p->depth--;
    return ok;
}

/* ---- Statements -------------------------------------------------------------------------- */

static char *copy_n(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = 0;
    }
    return c;
}

static void definition_free(definition *d)
{
    if (!d)
        return;
    for (uint32_t i = 0; i < d->n_params; i++)
        free(d->params[i]);
    free(d->params);
    free(d->text);
    free(d);
}

/* Adds an entry for name (src[start..end-1]) of the given kind; NULL (with the error set) if
 * memory runs out. */
static symbol *sym_add(tg_parser *p, const token *nt, int kind)
{
    const size_t n = nt->end - nt->start;
    symbol *e = calloc(1, sizeof *e);
    char *key = copy_n(p->src + nt->start, n);
    if (e && key) {
        e->name = key;
        e->kind = kind;
        HASH_ADD_KEYPTR(hh, p->symbols, e->name, n, e);
        if (sym_find(p, key, n) == e)
            return e;
    }
    free(key);
    free(e);
    set_error(p, TG_ERR_NOMEM, nt->line, nt->col, "out of memory for the name table");
    return NULL;
}

/* Binds name nt to v, creating or updating its entry. */
static int bind(tg_parser *p, const token *nt, tg_var v)
{
    symbol *e = sym_find(p, p->src + nt->start, nt->end - nt->start);
    if (!e && !(e = sym_add(p, nt, SYM_ASSIGNED)))
        return 0;
    e->v = v;
    /* The first name a computed node gets is the one traces show; inputs keep theirs. */
    if (!tg_is_input(p->t, v) && !tg_name(p->t, v) && tg_op_of(p->t, v) != TG_OP_CONST)
        tg_set_name(p->t, v, e->name);
    return 1;
}

/* Reports why name nt cannot take a role, and returns 0; 1 if it is free. role is a format
 * with one %.*s for the name ("cannot assign to '%.*s'", "'%.*s' cannot be a parameter"). */
static NOINLINE int reserved_error(tg_parser *p, const token *nt, const char *role)
{
    const char *s = p->src + nt->start;
    const size_t n = nt->end - nt->start;
    const int w = (int)(n > 64 ? 64 : n);
    const symbol *e = sym_find(p, s, n);
    const char *why = NULL;
    char at[64] = "";
    if (find_builtin(s, n) != TG_N_OPS)
        why = "it is a built-in function";
    else if (n == 2 && memcmp(s, "pi", 2) == 0)
        why = "it is the constant pi";
    else if (e && e->kind == SYM_FUNCTION) {
        snprintf(at, sizeof at, "it is a function (defined at %u:%u)", (unsigned)e->def->def_line,
                 (unsigned)e->def->def_col);
        why = at;
    }
    if (!why)
        return 1;
    char msg[160];
    snprintf(msg, sizeof msg, role, w, s);
    set_error(p, TG_ERR_NAME, nt->line, nt->col, "%s: %s", msg, why);
    return 0;
}

/* Is the statement at k a definition, NAME '(' NAME {',' NAME} ')' '=' ? Looks ahead and comes
 * back; the parameters are checked by parse_definition. */
static int at_definition(tg_parser *p, token *k)
{
    const lex_state saved = lex_save(p, k);
    token t = *k;
    int yes = 0;
    lex(p, &t);
    if (t.kind == T_LPAR) {
        p->paren++;
        lex(p, &t);
        while (t.kind == T_NAME) {
            lex(p, &t);
            if (t.kind != T_COMMA)
                break;
            lex(p, &t);
        }
        if (t.kind == T_RPAR) {
            p->paren--;
            lex(p, &t);
            yes = t.kind == T_ASSIGN;
        }
    }
    lex_restore(p, k, &saved);
    return yes;
}

/* name(p1, ..., pk) = body: checks the name, the parameters and the body (parsed once with the
 * parameters bound to placeholders, then rewound), and keeps the body's text for the calls. */
static NOINLINE int parse_definition(tg_parser *p, token *k)
{
    const token nt = *k;
    const char *s = p->src + nt.start;
    const size_t n = nt.end - nt.start;
    const int w = (int)(n > 64 ? 64 : n);
    if (!reserved_error(p, &nt, "cannot define '%.*s'"))
        return 0;
    const symbol *e = sym_find(p, s, n);
    if (e) {
        set_error(p, TG_ERR_NAME, nt.line, nt.col, "cannot define '%.*s': it is %s", w, s,
                  e->kind == SYM_INPUT ? "an input" : "an assigned name");
        return 0;
    }
    definition *def = calloc(1, sizeof *def);
    if (!def) {
        set_error(p, TG_ERR_NOMEM, nt.line, nt.col, "out of memory for a definition");
        return 0;
    }
    def->def_line = nt.line;
    def->def_col = nt.col;
    int ok = 1;
    advance(p, k); /* '(' */
    p->paren++;
    advance(p, k);
    while (ok && k->kind == T_NAME) {
        const char *ps = p->src + k->start;
        const size_t pn = k->end - k->start;
        ok = reserved_error(p, k, "'%.*s' cannot be a parameter");
        for (uint32_t i = 0; ok && i < def->n_params; i++)
            if (strlen(def->params[i]) == pn && memcmp(def->params[i], ps, pn) == 0) {
                set_error(p, TG_ERR_NAME, k->line, k->col,
                          "parameter '%.*s' is given twice in the definition of '%.*s'",
                          (int)(pn > 64 ? 64 : pn), ps, w, s);
                ok = 0;
            }
        char **grown = ok ? realloc(def->params, (def->n_params + 1) * sizeof *grown) : NULL;
        if (ok && grown)
            def->params = grown;
        if (ok && (!grown || !(def->params[def->n_params] = copy_n(ps, pn)))) {
            set_error(p, TG_ERR_NOMEM, k->line, k->col, "out of memory for a definition");
            ok = 0;
        }
        if (!ok)
            break;
        def->n_params++;
        advance(p, k);
        if (k->kind == T_COMMA)
            advance(p, k);
    }
    if (ok && def->n_params == 0) {
        set_error(p, TG_ERR_SYNTAX, k->line, k->col,
                  "'%.*s' has no parameters: a function takes at least one (a value without "
                  "parameters is an assignment, %.*s = ...)",
                  w, s, w, s);
        ok = 0;
    }
    if (ok) {
        p->paren--;
        advance(p, k); /* ')' */
        advance(p, k); /* '=' */
    }
    /* The body, checked once over placeholders; calls inside it are not expanded here. */
    tg_var *placeholders = ok ? malloc(def->n_params * sizeof *placeholders) : NULL;
    if (ok && !placeholders) {
        set_error(p, TG_ERR_NOMEM, nt.line, nt.col, "out of memory for a definition");
        ok = 0;
    }
    const tg_mark mark = tg_tape_mark(p->t);
    expr body = {tg_var_invalid(), nt.start, nt.end, nt.line, nt.col};
    for (uint32_t i = 0; ok && i < def->n_params; i++) {
        placeholders[i] = tg_input(p->t, 1.0);
        if (!tg_var_ok(placeholders[i]))
            ok = record_failed(p, &body);
    }
    if (ok) {
        const scope sc = {def, s, n, placeholders};
        const size_t body_line_start = k->start - (k->col - 1);
        const uint32_t body_line = k->line;
        p->scope = &sc;
        p->checking++;
        p->check_calls = p->check_call_cost = 0;
        ok = parse_expr(p, k, BP_NONE, &body);
        p->checking--;
        p->scope = NULL;
        /* What a call records: the body's own nodes (less the placeholders of parameters and
         * calls) and what its calls record. */
        const size_t own = tg_tape_size(p->t) - mark.n_nodes - def->n_params - p->check_calls;
        def->cost = saturating_add(own, p->check_call_cost);
        if (ok) {
            def->text = copy_n(p->src + body_line_start, body.end - body_line_start);
            def->body = body.start - body_line_start;
            def->len = body.end - body_line_start;
            def->line = body_line;
            if (!def->text) {
                set_error(p, TG_ERR_NOMEM, nt.line, nt.col, "out of memory for a definition");
                ok = 0;
            }
        }
    }
    tg_tape_rewind(p->t, mark);
    free(placeholders);
    symbol *f = ok ? sym_add(p, &nt, SYM_FUNCTION) : NULL;
    if (!f) {
        definition_free(def);
        return 0;
    }
    f->def = def;
    return 1;
}

/* statement := NAME '(' params ')' '=' expr | NAME '=' expr | expr, ended by ';', a newline or
 * the end. *value is the statement's node, invalid for a definition. */
static int parse_statement(tg_parser *p, token *k, tg_var *value)
{
    *value = tg_var_invalid();
    if (k->kind == T_NAME) {
        if (at_definition(p, k))
            return parse_definition(p, k);
        const lex_state saved = lex_save(p, k);
        token next;
        lex(p, &next);
        if (next.kind == T_ASSIGN) {
            const token nt = *k;
            const size_t n = nt.end - nt.start;
            const char *s = p->src + nt.start;
            if (!reserved_error(p, &nt, "cannot assign to '%.*s'"))
                return 0;
            const symbol *e = sym_find(p, s, n);
            if (e && e->kind == SYM_INPUT) {
                set_error(p, TG_ERR_NAME, nt.line, nt.col,
                          "cannot assign to '%.*s': it is an input", (int)(n > 64 ? 64 : n), s);
                return 0;
            }
            *k = next;
            advance(p, k);
            expr rhs;
            if (!parse_expr(p, k, BP_NONE, &rhs))
                return 0;
            if (!bind(p, &nt, rhs.v))
                return 0;
            *value = rhs.v;
            return 1;
        }
        lex_restore(p, k, &saved);
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
    p->scope = NULL;
    p->checking = 0;
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
                      "unexpected '=': only a name can be assigned (name = expression), and a "
                      "definition's parameters are names (f(a, b) = ...)");
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
        if (tg_var_ok(v))
            last = v; /* a definition is not the output */
    }
    if (p->err.code == TG_OK && !tg_var_ok(last))
        set_error(p, TG_ERR_SYNTAX, k.line, k.col,
                  "empty program: no statement to evaluate (definitions are not the output)");
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
    if (p) {
        p->t = t;
        load_operators(p);
    }
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
        definition_free(e->def);
        free(e->name);
        free(e);
    }
    free(p);
}

static definition *definition_copy(const definition *d)
{
    definition *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    *c = *d;
    c->text = copy_n(d->text, d->len);
    c->params = calloc(d->n_params, sizeof *c->params);
    c->n_params = 0;
    if (!c->text || !c->params) {
        definition_free(c);
        return NULL;
    }
    for (; c->n_params < d->n_params; c->n_params++)
        if (!(c->params[c->n_params] =
                  copy_n(d->params[c->n_params], strlen(d->params[c->n_params])))) {
            definition_free(c);
            return NULL;
        }
    return c;
}

tg_parser *tg_parser_copy(const tg_parser *p)
{
    if (!p)
        return NULL;
    tg_parser *c = tg_parser_new(p->t);
    if (!c)
        return NULL;
    for (const symbol *e = p->symbols; e; e = e->hh.next) {
        const size_t n = strlen(e->name);
        const token nt = {T_NAME, 0, n, 0, 0, 0};
        c->src = e->name;
        symbol *s = sym_add(c, &nt, e->kind);
        c->src = NULL;
        if (!s || (e->def && !(s->def = definition_copy(e->def)))) {
            tg_parser_free(c);
            return NULL;
        }
        s->v = e->v;
    }
    return c;
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
    if (tg_parse_is_reserved(name)) {
        set_error(p, TG_ERR_NAME, 0, 0, "'%s' is reserved (%s), not an input", name,
                  tg_parse_is_function(name) ? "a function's name" : "the constant pi");
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
    const token nt = {T_NAME, 0, n, 0, 0, 0};
    p->src = name;
    symbol *e = sym_add(p, &nt, SYM_INPUT);
    p->src = NULL;
    if (!e)
        return p->err.code;
    e->v = v;
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
    return e && e->kind != SYM_FUNCTION ? e->v : tg_var_invalid();
}

int tg_parser_is_defined(const tg_parser *p, const char *name)
{
    if (!p || !name)
        return 0;
    const symbol *e = sym_find(p, name, strlen(name));
    return e && e->kind == SYM_FUNCTION;
}
