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

/* The language (version 1 here; shared/spec/cli.md is the contract): statements separated by ';' or newlines, '#' comments, '+ -' < '* /' < unary '- +' < '^'
 * (right-associative, '**' the same), numbers, names, and the functions exp log sqrt sin cos
 * tan tanh sigmoid relu abs (one argument) and pow(a, b). Number literals become constants
 * (tg_const), so x^2 records TG_OP_POWC and -1 is one constant. Every operation node gets an
 * origin (tg_set_origin: line, column, source text) and every assigned node its name.
 * Names are case-sensitive; function names are reserved. */

/* How deep parentheses, unary signs, '^' chains and function calls may nest, counting one level
 * for each (so 1,000 levels of "-(" use 2,000). Deeper programs get TG_ERR_LIMIT, never a stack
 * overflow: the parser needs under 2.5 MB of stack at this depth even with AddressSanitizer
 * (about 150 bytes a level in an optimized build). Flat chains (x+x+...+x) are not nesting. */
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
 * name is copied. TG_ERR_NAME if name is not [A-Za-z_][A-Za-z0-9_]*, is a function's name,
 * or is already declared; TG_ERR_BADVAR if v is not on the tape. The message is in
 * tg_parser_error. v keeps its name on the tape for traces (tg_set_name). */
TG_API tg_status tg_parser_define(tg_parser *p, const char *name, tg_var v);

/* Parses src[0..len-1] (need not be NUL-terminated; a NUL byte is a syntax error) and records
 * every statement; *out receives the value of the last statement. Assignments made here stay
 * visible to later calls. On error returns the code, leaves *out invalid, and fills
 * tg_parser_error; nodes recorded before the error stay on the tape (rewind with a mark to
 * drop them). A program with no statement is TG_ERR_SYNTAX. */
TG_API tg_status tg_parser_run(tg_parser *p, const char *src, size_t len, tg_var *out);

/* The last error of tg_parser_define or tg_parser_run (code TG_OK if none). Never NULL. */
TG_API const tg_parse_error *tg_parser_error(const tg_parser *p);

/* The node a name is bound to now (newest assignment, or the input), or an invalid tg_var. */
TG_API tg_var tg_parser_lookup(const tg_parser *p, const char *name);

/* 1 if s is a valid name of the language ([A-Za-z_][A-Za-z0-9_]*), else 0. */
TG_API int tg_parse_is_name(const char *s);

/* 1 if s is one of the language's (reserved) function names, else 0. */
TG_API int tg_parse_is_function(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* TG_LANG_H */
