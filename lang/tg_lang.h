/* tg_lang.h: the expression language (lang/parse.c), a client of the public API: programs such
 * as "a = x*2; log(a)^2" are read and recorded on a tape through the operations of tg_ops.h. The
 * tape is in tg_core.h; printing errors, values and gradients is left to the caller (cli/). */
#ifndef TG_LANG_H
#define TG_LANG_H

#include "tg_core.h"
#include "tg_ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The language (shared/spec/cli.md, version 2, is the contract): statements separated by ';'
 * or newlines, '#' comments; `name = expr`, a bare `expr`, or a definition
 * `name(p1, ..., pk) = expr`. Operators, loosest first: comparisons < <= > >= == != (not
 * associative), + - (left), * / (left), unary - +, ^ (right-associative, ** the same). Numbers,
 * the constant pi, names, the built-in functions and the program's own. Number literals and pi
 * become constants (tg_const), so x^2 records TG_OP_POWC and -1 is one constant. A call of a
 * defined function records its body's operations on the call's arguments (inlined); a body sees
 * only its parameters. Every operation node gets an origin (tg_set_origin: line, column, source
 * text) and every assigned node its name. Names are case-sensitive; function names, pi and
 * where are reserved. */

/* How deep parentheses, unary signs, '^' chains and function calls may nest, counting one level
 * for each parenthesis, sign and '^', two for a call (the call and its arguments) and three for
 * a call of a defined function inside another's body (so 1,000 levels of "-(" use 2,000, and a
 * chain of 1,000 definitions each calling the one before uses about 3,000). Deeper programs get
 * TG_ERR_LIMIT, never a stack overflow: the parser needs under 2.5 MB of stack at this depth
 * even with AddressSanitizer (tests/lang runs under that limit). Flat chains (x+x+...+x) are
 * not nesting. */
#define TG_PARSE_MAX_DEPTH 5000

/* What went wrong in a program: code (TG_ERR_SYNTAX, TG_ERR_NAME, TG_ERR_LIMIT, TG_ERR_NOMEM,
 * ...), the 1-based line and column (byte) of the offending place, and a message without the
 * position ("unknown name 'y'"). */
typedef struct tg_parse_error {
    tg_status code;
    uint32_t line;
    uint32_t column;
    char message[256];
} tg_parse_error;

/* A parser: a table of names (inputs and assigned names) that records programs on a tape. */
typedef struct tg_parser tg_parser;

/* Creates a parser that records on t (which it does not own; t must outlive the parser).
 * NULL if memory is exhausted or t is NULL. */
TG_API tg_parser *tg_parser_new(tg_tape *t);

/* Releases the parser and its name table (not the tape, nor its nodes). Accepts NULL. */
TG_API void tg_parser_free(tg_parser *p);

/* Declares an input: programs may read `name`, which stands for v, but not assign it.
 * name is copied. TG_ERR_NAME if name is not [A-Za-z_][A-Za-z0-9_]*, is reserved (a
 * function's name, pi, where), or is already declared; TG_ERR_BADVAR if v is not on the tape.
 * The message is in tg_parser_error. v keeps its name on the tape for traces (tg_set_name). */
TG_API tg_status tg_parser_define(tg_parser *p, const char *name, tg_var v);

/* Parses src[0..len-1] (need not be NUL-terminated; a NUL byte is a syntax error) and records
 * every statement; *out receives the value of the last statement. Assignments made here stay
 * visible to later calls. On error returns the code, leaves *out invalid, and fills
 * tg_parser_error; nodes recorded before the error stay on the tape (rewind with a mark to
 * drop them). A program with no statement is TG_ERR_SYNTAX. */
TG_API tg_status tg_parser_run(tg_parser *p, const char *src, size_t len, tg_var *out);

/* The last error of tg_parser_define or tg_parser_run (code TG_OK if none). Never NULL. */
TG_API const tg_parse_error *tg_parser_error(const tg_parser *p);

/* The node a name is bound to now (newest assignment, or the input), or an invalid tg_var (also
 * for a defined function's name). */
TG_API tg_var tg_parser_lookup(const tg_parser *p, const char *name);

/* 1 if s is a valid name of the language ([A-Za-z_][A-Za-z0-9_]*), else 0. */
TG_API int tg_parse_is_name(const char *s);

/* 1 if s is one of the language's built-in function names (where included), else 0. */
TG_API int tg_parse_is_function(const char *s);

/* 1 if s is reserved: a built-in function's name, pi or where; else 0. Reserved names cannot be
 * inputs, assigned, defined or parameters. (A program's own functions are reserved only in that
 * program: tg_parser_is_defined.) */
TG_API int tg_parse_is_reserved(const char *s);

/* 1 if the programs run by p so far define a function called name, else 0. */
TG_API int tg_parser_is_defined(const tg_parser *p, const char *name);

/* A new parser on the same tape that knows what p knows: its inputs, its names with their
 * newest bindings, and its functions (copied: p may be freed first). What the copy's programs
 * assign or define stays in the copy. For formulas over a program's names (the command's
 * --expect). NULL if memory is exhausted or p is NULL. Free with tg_parser_free. */
TG_API tg_parser *tg_parser_copy(const tg_parser *p);

#ifdef __cplusplus
}
#endif

#endif /* TG_LANG_H */
