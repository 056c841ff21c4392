/* cli.h: what the files of the tapegrad command share: the parsed command line, the exit codes,
 * and one entry point per job (arguments: args.c; diagnosis of non-finite results: diagnose.c;
 * the text and JSON report: report.c; --check and --expect: checks.c; --hessian and --jvp:
 * higher.c; trace and pictures: pictures.c). Not installed; the command uses only the public
 * headers of the library. */
#ifndef TG_CLI_H
#define TG_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tapegrad.h"

enum { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2 };

#define DEFAULT_TOL 1e-6
#define DEFAULT_MAX_NODES 10000000 /* the contract's bound on what a program records */

typedef struct input_arg {
    const char *arg; /* NAME=VALUE as given */
    char *name;      /* owned */
    double value;
    tg_var v;
} input_arg;

/* --expect checks at the given point and at CLI_N_POINTS - 1 nearby seeded ones. */
#define CLI_N_POINTS 4

enum { SKIP_NONE = 0, SKIP_NONFINITE, SKIP_KINK };

/* One point an --expect formula is checked at. */
typedef struct expect_point {
    double engine, formula;
    tg_gradcheck_result fd; /* the finite difference there (fd.expected: the formula) */
    int checked;            /* 0: skipped (see skipped) */
    int skipped;            /* SKIP_NONFINITE: the program is not finite there; SKIP_KINK: a
                               kink lies between it and the given point */
    int ok;                 /* |formula - engine| <= tol * max(1, |engine|) */
} expect_point;

typedef struct expect_arg {
    const char *arg; /* NAME=FORMULA as given */
    char *name;      /* owned */
    const char *formula;
    size_t index;          /* which input */
    tg_var node;           /* the formula's node on the tape */
    double value, numeric; /* at the given point: the formula, the finite difference */
    tg_gradcheck_result check;
    int ok; /* the formula agrees with the engine at every point checked */
    expect_point pt[CLI_N_POINTS];
} expect_arg;

typedef struct options {
    int json, check, trace;
    tg_trace_format trace_fmt;
    double tol;
    const char *file, *dot, *svg, *png, *html;
    const char *program;
    input_arg *inputs;
    size_t n_inputs;
    expect_arg *expects;
    size_t n_expects;
    size_t max_nodes;    /* --max-nodes: the most nodes a program may record */
    unsigned width;      /* --width: columns of the text trace, 0 for $COLUMNS or 80 */
    int hessian;         /* --hessian */
    const char *jvp_arg; /* --jvp NAME=V,... */
    double *hess;        /* n_inputs^2, row-major, owned (cli_compute_higher) */
    double *points;      /* --expect's points: CLI_N_POINTS x n_inputs values, owned */
    double jvp;
    const char *source; /* the program's text and its length (set by run; --html's live page) */
    size_t source_len;
    const char *emit;      /* --emit LANG ("c") */
    const char *emit_name; /* --emit-name NAME */
} options;

/* ---- args.c: the command line -------------------------------------------------------------- */

/* Writes "tapegrad: error: MESSAGE" (always the first line on stderr). */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The same, followed by a usage line; returns EXIT_USAGE. fmt has one %s, for arg. */
int cli_usage_error(const char *fmt, const char *arg);
/* A finite decimal number, strictly (see args.c). 1 and *out set, or 0. */
int cli_parse_number(const char *s, double *out);
/* Is this output path standard output ("-")? */
int cli_to_stdout(const char *path);
/* A malloc'ed copy of the n bytes at s, 0-terminated; NULL when out of memory. */
char *cli_copy_n(const char *s, size_t n);
/* Fills o from argv. Returns EXIT_OK, or an exit code (help and version give -1 after printing). */
int cli_parse_args(int argc, char **argv, options *o);
void cli_options_free(options *o);

/* ---- diagnose.c: where a program went wrong ------------------------------------------------- */

/* Shows source line `line` of src with a caret under column col (both 1-based). */
void cli_show_source(const char *src, size_t len, uint32_t line, uint32_t col);
/* Reports the first operation in out's cone whose value is not finite: 1, or 0 if none. */
int cli_report_nonfinite_value(const tg_tape *t, tg_var out, const unsigned char *cone,
                               const char *src, size_t len);
/* Reports the backward step that first made an input's gradient not finite. */
void cli_report_nonfinite_grad(const tg_tape *t, tg_var out, const unsigned char *cone,
                               const options *o, const char *src, size_t len);

/* ---- report.c: value and gradients as text or JSON ------------------------------------------ */

/* Shortest "%.Ng" (N = 15..17) that reads back to v. */
const char *cli_fmt_short(double v, char *buf, size_t size);
/* Text output: 15 significant digits ("nan" for a NaN). */
const char *cli_fmt_text(double v, char *buf, size_t size);
/* JSON: 17 significant digits; non-finite as null. */
void cli_json_number(FILE *f, double v);
/* The text report on f: value, gradients, Hessian/jvp, check and expect tables, verdict. */
void cli_print_text(FILE *f, const options *o, const tg_tape *t, tg_var out,
                    const tg_gradcheck_result *res, int all_ok);
/* The one JSON object on standard output. */
void cli_print_json(const options *o, const tg_tape *t, tg_var out, const tg_gradcheck_result *res,
                    int check_ok);

/* ---- checks.c: --check and --expect ---------------------------------------------------------- */

/* Records each --expect formula on the tape and reads its value; a formula reads what the
 * program (run by `program`) assigns and defines. EXIT_OK or EXIT_USAGE. */
int cli_eval_expects(options *o, tg_tape *t, const tg_parser *program);
/* Runs --check (into res[], one per input) and compares every --expect; 1 if all agree. */
int cli_run_checks(options *o, tg_tape *t, tg_var out, tg_gradcheck_result *res);
void cli_print_check(FILE *f, const options *o, const tg_gradcheck_result *res);
void cli_print_expects(FILE *f, const options *o);

/* ---- higher.c: --hessian and --jvp ----------------------------------------------------------- */

/* Computes what --hessian and --jvp ask for, after backward. EXIT_OK or EXIT_USAGE. */
int cli_compute_higher(options *o, tg_tape *t, tg_var out);

/* ---- pictures.c: --trace, --dot, --svg, --png, --html --------------------------------------- */

/* Refuses, before any work, the options this build cannot honour. */
int cli_check_available(const options *o);
/* Writes the trace and the pictures that o asks for, after the report. EXIT_OK or EXIT_USAGE. */
int cli_write_pictures(const options *o, tg_tape *t, tg_var out);

/* ---- emit.c: --emit c ----------------------------------------------------------------------- */

/* Checks the code's plan against the tape at the given inputs and writes the C function to
 * standard output (in place of the report). EXIT_OK or EXIT_USAGE (with the message). */
int cli_emit(const options *o, tg_tape *t, tg_var out, const char *src);

#endif /* TG_CLI_H */
