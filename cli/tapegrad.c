/* tapegrad.c: the `tapegrad` command. Reads a program of the expression language and its
 * inputs (NAME=VALUE), records it on a tape (ops/parse.c), runs backward, and prints the value
 * and every input's gradient (text or JSON), checks them against finite differences
 * (core/gradcheck.c) or a hand-derived formula, and hands traces and pictures to core/trace.c,
 * core/export.c and cli/show/. The contract is the interface spec (README.md, --help). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

#ifdef TAPEGRAD_HAVE_SHOW
#include "show.h"
#endif
#ifdef TAPEGRAD_HAVE_PLAY
#include "play.h"
#endif

#ifndef TAPEGRAD_VERSION
#define TAPEGRAD_VERSION "unknown"
#endif

enum { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2 };

#define DEFAULT_TOL 1e-6

static const char usage_text[] =
    "NAME\n"
    "    tapegrad - differentiate an expression (reverse-mode autodiff)\n"
    "\n"
    "SYNOPSIS\n"
    "    tapegrad [OPTIONS] [--] PROGRAM [NAME=VALUE ...]\n"
    "    tapegrad [OPTIONS] -f FILE [NAME=VALUE ...]    (FILE - is standard input)\n"
    "\n"
    "DESCRIPTION\n"
    "    Records PROGRAM on a tape with the given inputs, runs backward once and\n"
    "    prints the value of its last statement, then d(value)/d(NAME) for every\n"
    "    input, in the order given. Options may come anywhere before `--`; the\n"
    "    first other argument is the PROGRAM (even if it contains '='), every\n"
    "    later one must be NAME=VALUE (VALUE a finite decimal number).\n"
    "\n"
    "OPTIONS\n"
    "    -f FILE          read the program from FILE (- for standard input)\n"
    "    --json           print one JSON object\n"
    "                     {\"value\": V, \"grad\": {\"NAME\": G, ...}}, 17 digits\n"
    "    --trace, --trace=markdown\n"
    "                     write the chain rule step by step: the forward table,\n"
    "                     then each backward step as upstream x local = contribution\n"
    "    --dot FILE       write the graph in Graphviz DOT (- for standard output)\n"
    "    --svg FILE, --png FILE\n"
    "                     draw the graph (when built with Graphviz's libgvc)\n"
    "    --html FILE      write a page that steps through the backward pass (with the\n"
    "                     engine inside, when built with wasm: a live playground)\n"
    "    --playground FILE  write the live page with an example program\n"
    "    --check          compare every gradient with a central finite difference\n"
    "    --expect NAME=FORMULA\n"
    "                     compare FORMULA, a hand-derived d(value)/d(NAME) written\n"
    "                     over the inputs, with the engine's gradient and a finite\n"
    "                     difference (repeatable)\n"
    "    --tol TOL        tolerance of --check and --expect (default 1e-6): G and\n"
    "                     N agree when |G - N| <= TOL * max(1, |N|)\n"
    "    --hessian        also print the Hessian, d2(value)/d(row)d(column) over\n"
    "                     the inputs (JSON: \"hessian\": [[...], ...])\n"
    "    --jvp NAME=V,... also print the directional derivative along V (inputs\n"
    "                     not named move by 0) (JSON: \"jvp\": D)\n"
    "    -h, --help       show this text\n"
    "    --version        show the version\n"
    "    --               end of options (for a PROGRAM that starts with '-')\n"
    "\n"
    "LANGUAGE\n"
    "    Statements `name = expr` or `expr`, separated by ';' or newlines; '#'\n"
    "    starts a comment; the last statement is the output. A name may be\n"
    "    assigned again; inputs may not be assigned.\n"
    "    Precedence, lowest first: + - (left), * / (left), unary - +,\n"
    "    ^ (right-associative; ** is the same). So -x^2 is -(x^2).\n"
    "    Functions: exp log sqrt sin cos tan tanh sigmoid relu abs, pow(a, b).\n"
    "    Numbers: 1 2.5 .5 5. 1e-3 6.02E23 (constants: no gradient).\n"
    "    Names: [A-Za-z_][A-Za-z0-9_]*, case-sensitive; function names are\n"
    "    reserved. Nesting (parentheses, signs, ^ chains, calls) is limited to\n"
    "    5000 levels.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 --check or --expect found a mismatch; 2 bad usage, a syntax\n"
    "    or name error, a bad input, an unreadable file, or a value or gradient\n"
    "    that is not finite.\n"
    "\n"
    "EXAMPLES\n"
    "    tapegrad 'price = (apple*apple_num + orange*orange_num)*tax' \\\n"
    "             apple=100 apple_num=2 orange=150 orange_num=3 tax=1.1\n"
    "    tapegrad 'sigmoid(w*x+b)' w=0.5 x=2 b=0.1 \\\n"
    "             --expect 'w=sigmoid(w*x+b)*(1-sigmoid(w*x+b))*x'\n"
    "    tapegrad --json -- '-x^2' x=3\n";

/* ---- Errors ------------------------------------------------------------------------------ */

/* The first line on stderr is always "tapegrad: error: MESSAGE". */
static void error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tapegrad: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("tapegrad: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nusage: tapegrad [OPTIONS] [--] PROGRAM [NAME=VALUE ...]   (tapegrad --help)\n",
          stderr);
    return EXIT_USAGE;
}

/* Shows source line `line` of src with a caret under column col (both 1-based), cutting very
 * long lines to a window around the column. Tabs are kept so that the caret lines up. */
static void show_source(const char *src, size_t len, uint32_t line, uint32_t col)
{
    if (!src || line == 0)
        return;
    size_t start = 0;
    for (uint32_t l = 1; l < line && start < len; start++)
        if (src[start] == '\n')
            l++;
    size_t end = start;
    while (end < len && src[end] != '\n')
        end++;
    size_t at = start + (col ? col - 1 : 0);
    if (at > end)
        at = end;
    size_t from = start, to = end;
    if (at - from > 60)
        from = at - 60;
    if (to - at > 60)
        to = at + 60;
    fprintf(stderr, "  %s", from > start ? "..." : "");
    for (size_t i = from; i < to; i++) {
        const unsigned char c = (unsigned char)src[i];
        fputc(c == '\t' || c == '\r' || (c >= 0x20 && c < 0x7f) || c >= 0x80 ? (c == '\r' ? ' ' : c)
                                                                             : '?',
              stderr);
    }
    fprintf(stderr, "%s\n  %s", to < end ? "..." : "", from > start ? "   " : "");
    for (size_t i = from; i < at; i++)
        fputc(src[i] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
}

/* ---- Numbers ----------------------------------------------------------------------------- */

/* A finite decimal number, strictly: [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits],
 * nothing before or after, and within range. inf, nan, hex and blanks are refused. */
static int parse_number(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return 0;
    errno = 0;
    char *end;
    const double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return 0; /* out of range (1e309); underflow to 0 or a subnormal is accepted */
    *out = v;
    return 1;
}

/* Shortest "%.Ng" (N = 15..17) that reads back to v: 2.2, not 2.2000000000000002. */
static const char *fmt_short(double v, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || prec == 17)
            break;
    }
    return buf;
}

/* Text output: 15 significant digits, so that 650 * 1.1 shows as 715 (--json has all 17). */
static const char *fmt_text(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else
        snprintf(buf, size, "%.15g", v);
    return buf;
}

/* JSON: 17 significant digits (reads back to the same double); non-finite as null. */
static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Is this output path standard output ("-")? */
static int to_stdout(const char *path)
{
    return path && strcmp(path, "-") == 0;
}

/* ---- Command line -------------------------------------------------------------------------- */

typedef struct input_arg {
    const char *arg; /* NAME=VALUE as given */
    char *name;      /* owned */
    double value;
    tg_var v;
} input_arg;

typedef struct expect_arg {
    const char *arg; /* NAME=FORMULA as given */
    char *name;      /* owned */
    const char *formula;
    size_t index; /* which input */
    double value, numeric;
    tg_gradcheck_result check;
    int ok;
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
    int hessian;         /* --hessian */
    const char *jvp_arg; /* --jvp NAME=V,... */
    double *hess;        /* n_inputs^2, row-major, owned (compute_higher) */
    double jvp;
} options;

static void options_free(options *o)
{
    for (size_t i = 0; i < o->n_inputs; i++)
        free(o->inputs[i].name);
    for (size_t i = 0; i < o->n_expects; i++)
        free(o->expects[i].name);
    free(o->inputs);
    free(o->expects);
    free(o->hess);
}

static char *copy_n(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = 0;
    }
    return c;
}

/* Takes the value of an option: "--opt=VALUE" or "--opt VALUE". NULL if missing. */
static const char *option_value(int argc, char **argv, int *i, const char *opt)
{
    const size_t n = strlen(opt);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* Does argv[i] spell option opt, alone or as "opt=..."? */
static int is_option(const char *arg, const char *opt)
{
    const size_t n = strlen(opt);
    return strncmp(arg, opt, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

static int add_input(options *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return usage_error("expected an input NAME=VALUE, got '%s'", arg);
    input_arg in = {arg, copy_n(arg, (size_t)(eq - arg)), 0, {0}};
    if (!in.name) {
        error("out of memory");
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (!tg_parse_is_name(in.name))
        rc = usage_error("input '%s': the name is not valid ([A-Za-z_][A-Za-z0-9_]*)", arg);
    else if (tg_parse_is_function(in.name))
        rc = usage_error("input '%s': the name is a function's name, which is reserved", arg);
    else if (!parse_number(eq + 1, &in.value))
        rc = usage_error("input '%s': the value is not a finite decimal number", arg);
    for (size_t i = 0; rc == EXIT_OK && i < o->n_inputs; i++)
        if (strcmp(o->inputs[i].name, in.name) == 0)
            rc = usage_error("input '%s' is given twice", in.name);
    input_arg *grown = rc == EXIT_OK ? realloc(o->inputs, (o->n_inputs + 1) * sizeof *grown) : NULL;
    if (rc == EXIT_OK && !grown) {
        error("out of memory");
        rc = EXIT_USAGE;
    }
    if (rc != EXIT_OK) {
        free(in.name);
        return rc;
    }
    o->inputs = grown;
    o->inputs[o->n_inputs++] = in;
    return EXIT_OK;
}

static int add_expect(options *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return usage_error("--expect needs NAME=FORMULA, got '%s'", arg);
    const char *a = arg, *b = eq;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    expect_arg e = {0};
    e.arg = arg;
    e.name = copy_n(a, (size_t)(b - a));
    e.formula = eq + 1;
    expect_arg *grown = e.name ? realloc(o->expects, (o->n_expects + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(e.name);
        error("out of memory");
        return EXIT_USAGE;
    }
    o->expects = grown;
    o->expects[o->n_expects++] = e;
    return EXIT_OK;
}

/* Fills o from argv. Returns EXIT_OK, or an exit code (help and version give -1 after printing). */
static int parse_args(int argc, char **argv, options *o)
{
    int rc, after_dashes = 0;
    o->tol = DEFAULT_TOL;
    o->trace_fmt = TG_TRACE_TEXT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!after_dashes && a[0] == '-' && a[1] != 0) {
            const char *val;
            if (strcmp(a, "--") == 0) {
                after_dashes = 1;
            } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                fputs(usage_text, stdout);
                return -1;
            } else if (strcmp(a, "--version") == 0) {
                printf("tapegrad %s\n", TAPEGRAD_VERSION);
                return -1;
            } else if (strcmp(a, "--json") == 0) {
                o->json = 1;
            } else if (strcmp(a, "--check") == 0) {
                o->check = 1;
            } else if (strcmp(a, "--hessian") == 0) {
                o->hessian = 1;
            } else if (is_option(a, "--jvp")) {
                if (o->jvp_arg)
                    return usage_error("%s", "--jvp given twice");
                if (!(val = option_value(argc, argv, &i, "--jvp")))
                    return usage_error("%s needs NAME=VALUE,...", a);
                o->jvp_arg = val;
            } else if (strcmp(a, "--trace") == 0 || strcmp(a, "--trace=text") == 0) {
                o->trace = 1;
                o->trace_fmt = TG_TRACE_TEXT;
            } else if (strcmp(a, "--trace=markdown") == 0) {
                o->trace = 1;
                o->trace_fmt = TG_TRACE_MARKDOWN;
            } else if (is_option(a, "--tol")) {
                if (!(val = option_value(argc, argv, &i, "--tol")))
                    return usage_error("%s needs a value", a);
                if (!parse_number(val, &o->tol) || !(o->tol > 0.0))
                    return usage_error("--tol '%s': not a positive finite number", val);
            } else if (is_option(a, "--expect")) {
                if (!(val = option_value(argc, argv, &i, "--expect")))
                    return usage_error("%s needs NAME=FORMULA", a);
                if ((rc = add_expect(o, val)) != EXIT_OK)
                    return rc;
            } else if (strcmp(a, "-f") == 0 || is_option(a, "--file")) {
                if (!(val = option_value(argc, argv, &i, a[1] == 'f' ? "-f" : "--file")))
                    return usage_error("%s needs a FILE (- for standard input)", a);
                if (o->file)
                    return usage_error("-f given twice (second: '%s')", val);
                o->file = val;
            } else if (is_option(a, "--dot") || is_option(a, "--svg") || is_option(a, "--png") ||
                       is_option(a, "--html")) {
                char opt[8];
                snprintf(opt, sizeof opt, "%.6s", a);
                if (!(val = option_value(argc, argv, &i, opt)))
                    return usage_error("%s needs a FILE", opt);
                if (!*val)
                    return usage_error("%s needs a FILE, not an empty name", opt);
                const char **slot = opt[2] == 'd'   ? &o->dot
                                    : opt[2] == 's' ? &o->svg
                                    : opt[2] == 'p' ? &o->png
                                                    : &o->html;
                *slot = val;
            } else {
                if (a[1] != '-' && !o->program && !o->file)
                    fprintf(stderr,
                            "tapegrad: error: unknown option '%s'\n"
                            "(a program that starts with '-' is written after --: "
                            "tapegrad -- '%s' ...)\n",
                            a, a);
                else
                    usage_error("unknown option '%s'", a);
                return EXIT_USAGE;
            }
            continue;
        }
        if (!o->program && !o->file) {
            o->program = a;
            continue;
        }
        if ((rc = add_input(o, a)) != EXIT_OK)
            return rc;
    }
    if (o->program && o->file) {
        /* -f came after the program: the "program" was really the first input. */
        const char *first = o->program;
        o->program = NULL;
        input_arg *old = o->inputs;
        size_t n = o->n_inputs;
        o->inputs = NULL;
        o->n_inputs = 0;
        rc = add_input(o, first);
        for (size_t k = 0; k < n; k++) {
            if (rc == EXIT_OK)
                rc = add_input(o, old[k].arg);
            free(old[k].name);
        }
        free(old);
        if (rc != EXIT_OK)
            return rc;
    }
    if (!o->program && !o->file)
        return usage_error("%s", "no PROGRAM given");
    const int n_stdout = to_stdout(o->dot) + to_stdout(o->html) + to_stdout(o->svg) +
                         to_stdout(o->png) + o->trace + o->json;
    if (n_stdout > 1)
        return usage_error("%s", "--json, --trace, --dot -, --html - all write to standard output: "
                                 "choose one of them");
    if (to_stdout(o->svg) || to_stdout(o->png))
        return usage_error("%s", "--svg and --png write to a FILE, not to standard output");
    return EXIT_OK;
}

/* Reads all of f into a malloc'ed buffer. NULL (errno set) on failure. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            const int e = errno ? errno : EIO;
            free(buf);
            errno = e;
            return NULL;
        }
        if (n < cap)
            break;
        char *grown = cap < SIZE_MAX / 2 ? realloc(buf, cap *= 2) : NULL;
        if (!grown) {
            free(buf);
            errno = ENOMEM;
            return NULL;
        }
        buf = grown;
    }
    *len = n;
    return buf;
}

/* ---- Describing nodes for messages -------------------------------------------------------- */

/* A node as a reader of the program knows it: its name, its source text, or its value. */
static const char *describe(const tg_tape *t, tg_var v, char *buf, size_t size)
{
    const char *name = tg_name(t, v);
    tg_origin o;
    if (name)
        return name;
    if (tg_get_origin(t, v, &o) && o.text)
        return o.text;
    char num[32];
    snprintf(buf, size, "%s", fmt_short(tg_value(t, v), num, sizeof num));
    return buf;
}

/* "(x = -1, a = 0)": the values of v's inputs that are not constants. */
static void describe_inputs(const tg_tape *t, tg_var v, char *out, size_t size)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t k = 0; k < tg_n_inputs(t, v) && o + 1 < size; k++) {
        const tg_var in = tg_input_of(t, v, k);
        if (tg_op_of(t, in) == TG_OP_CONST)
            continue;
        char b1[48], b2[32];
        const int w =
            snprintf(out + o, size - o, "%s%s = %s", o ? ", " : ", where ",
                     describe(t, in, b1, sizeof b1), fmt_short(tg_value(t, in), b2, sizeof b2));
        if (w < 0)
            break;
        o += (size_t)w;
        if (o >= size)
            o = size - 1;
    }
}

/* Where an operation node came from, for an error line: "log(x) at 1:5". */
static const char *describe_op(const tg_tape *t, tg_var v, char *buf, size_t size)
{
    tg_origin o;
    if (tg_get_origin(t, v, &o))
        snprintf(buf, size, "%s at %u:%u", o.text ? o.text : tg_op_name(tg_op_of(t, v)),
                 (unsigned)o.line, (unsigned)o.column);
    else
        snprintf(buf, size, "%s", tg_op_name(tg_op_of(t, v)));
    return buf;
}

static const char *fmt_nonfinite(double v)
{
    return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

/* Marks in cone[] every node out depends on (out included). */
static void mark_cone(const tg_tape *t, tg_var out, unsigned char *cone)
{
    cone[out.id] = 1;
    for (uint32_t i = out.id + 1; i-- > 0;) {
        if (!cone[i])
            continue;
        const tg_var v = {i};
        for (size_t k = 0; k < tg_n_inputs(t, v); k++)
            cone[tg_input_of(t, v, k).id] = 1;
    }
}

/* The first operation in tape order, among those out depends on, whose value is not finite.
 * Reports it and returns 1; 0 if every value is finite. */
static int report_nonfinite_value(const tg_tape *t, tg_var out, const unsigned char *cone,
                                  const char *src, size_t len)
{
    for (uint32_t i = 0; i <= out.id; i++) {
        const tg_var v = {i};
        if (!cone[i] || isfinite(tg_value(t, v)))
            continue;
        char where[160], ins[256];
        describe_inputs(t, v, ins, sizeof ins);
        error("%s gives %s (not a finite number)%s", describe_op(t, v, where, sizeof where),
              fmt_nonfinite(tg_value(t, v)), ins);
        tg_origin o;
        if (tg_get_origin(t, v, &o))
            show_source(src, len, o.line, o.column);
        return 1;
    }
    return 0;
}

/* After a backward whose input gradients are not all finite: finds the backward step that first
 * (in sweep order, from out down) sent a non-finite contribution toward such an input, and
 * reports it with upstream gradient and local derivative. */
static void report_nonfinite_grad(const tg_tape *t, tg_var out, const unsigned char *cone,
                                  const options *o, const char *src, size_t len)
{
    size_t bad = 0;
    while (bad < o->n_inputs && isfinite(tg_grad(t, o->inputs[bad].v)))
        bad++;
    unsigned char *dep =
        calloc((size_t)out.id + 1, 1); /* depends on an input with a bad gradient */
    if (dep) {
        for (size_t k = 0; k < o->n_inputs; k++)
            if (o->inputs[k].v.id <= out.id && !isfinite(tg_grad(t, o->inputs[k].v)))
                dep[o->inputs[k].v.id] = 1;
        for (uint32_t i = 0; i <= out.id; i++) {
            const tg_var v = {i};
            for (size_t k = 0; k < tg_n_inputs(t, v) && !dep[i]; k++)
                dep[i] = dep[tg_input_of(t, v, k).id];
        }
        for (uint32_t i = out.id + 1; i-- > 0;) {
            const tg_var v = {i};
            if (!cone[i] || !dep[i])
                continue;
            const double g = tg_grad(t, v);
            for (size_t k = 0; k < tg_n_inputs(t, v); k++) {
                const tg_var in = tg_input_of(t, v, k);
                const double local = tg_local_grad(t, v, k);
                if (!dep[in.id] || isfinite(tg_backward_step(t, v, k, g)))
                    continue;
                char where[160], b1[48], b2[32], b3[32], ins[256];
                describe_inputs(t, v, ins, sizeof ins);
                tg_origin org;
                const int has_origin = tg_get_origin(t, v, &org);
                error("the gradient with respect to %s is %s: the backward step of %s multiplies "
                      "the upstream gradient %s by the local derivative d/d(%s) = %s%s",
                      o->inputs[bad].name, fmt_nonfinite(tg_grad(t, o->inputs[bad].v)),
                      describe_op(t, v, where, sizeof where), fmt_short(g, b2, sizeof b2),
                      describe(t, in, b1, sizeof b1), fmt_short(local, b3, sizeof b3), ins);
                if (has_origin)
                    show_source(src, len, org.line, org.column);
                free(dep);
                return;
            }
        }
        free(dep);
    }
    error("the gradient with respect to %s is %s (a sum of finite contributions overflowed)",
          o->inputs[bad].name, fmt_nonfinite(tg_grad(t, o->inputs[bad].v)));
}

/* ---- Checks ------------------------------------------------------------------------------- */

static void print_check(FILE *f, const options *o, const tg_gradcheck_result *res)
{
    int w = 5;
    for (size_t i = 0; i < o->n_inputs; i++)
        if ((int)strlen(o->inputs[i].name) > w)
            w = (int)strlen(o->inputs[i].name);
    fprintf(f, "\ncheck: central finite differences, tol %g\n", o->tol);
    fprintf(f, "%-*s  %20s  %20s  %8s  %8s\n", w, "input", "engine", "finite diff", "abs err",
            "rel err");
    int kinks = 0;
    for (size_t i = 0; i < o->n_inputs; i++) {
        char b1[32], b2[32];
        fprintf(f, "%-*s  %20s  %20s  %8.1e  %8.1e  %s\n", w, o->inputs[i].name,
                fmt_short(res[i].expected, b1, sizeof b1), fmt_short(res[i].numeric, b2, sizeof b2),
                res[i].abs_err, res[i].rel_err,
                res[i].ok     ? "ok"
                : res[i].kink ? "MISMATCH (kink)"
                              : "MISMATCH");
        kinks |= !res[i].ok && res[i].kink;
    }
    if (kinks)
        fprintf(f, "kink: the output is not differentiable there; the engine's value lies between "
                   "the\none-sided slopes, but no central difference confirms it\n");
}

static void print_expects(FILE *f, const options *o)
{
    for (size_t i = 0; i < o->n_expects; i++) {
        const expect_arg *e = &o->expects[i];
        char b1[32], b2[32], b3[32];
        fprintf(f, "\nexpect d/d%s = %s\n", e->name, e->formula);
        fprintf(f, "  engine %s   formula %s   finite diff %s   %s\n",
                fmt_short(e->check.expected, b1, sizeof b1), fmt_short(e->value, b2, sizeof b2),
                fmt_short(e->numeric, b3, sizeof b3), e->ok ? "ok" : "MISMATCH");
    }
}

/* ---- --hessian and --jvp (core/tg_higher.h) ------------------------------------------------ */

/* Reads the --jvp direction "NAME=V,NAME=V,..." over the inputs into dir (inputs not named
 * move by 0). Exit code 2 for an unknown or repeated name, a bad number or an empty item. */
static int parse_jvp(const options *o, double *dir)
{
    const char *s = o->jvp_arg;
    unsigned char *seen = calloc(o->n_inputs + 1, 1);
    if (!seen) {
        error("out of memory");
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    while (rc == EXIT_OK) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        char *item = copy_n(s, (size_t)(end - s));
        size_t k = 0;
        if (!item) {
            error("out of memory");
            rc = EXIT_USAGE;
            break;
        }
        if (eq) {
            item[eq - s] = 0;
            while (k < o->n_inputs && strcmp(o->inputs[k].name, item) != 0)
                k++;
        }
        if (!eq)
            rc = usage_error("--jvp: '%s' is not NAME=VALUE", item);
        else if (k == o->n_inputs)
            rc = usage_error("--jvp: '%s' is not one of the inputs", item);
        else if (seen[k])
            rc = usage_error("--jvp: '%s' is given twice", item);
        else if (!parse_number(item + (eq - s) + 1, &dir[k]))
            rc = usage_error("--jvp: the value of '%s' is not a finite decimal number", item);
        seen[k] = 1;
        free(item);
        if (!comma)
            break;
        s = comma + 1;
    }
    free(seen);
    return rc;
}

/* Computes what --hessian and --jvp ask for, after backward (the tape's gradients are kept:
 * both use forward sweeps, and tg_hessian rewinds the gradient graph it records). */
static int compute_higher(options *o, tg_tape *t, tg_var out)
{
    const size_t n = o->n_inputs;
    tg_var *in = malloc((n + 1) * sizeof *in);
    double *dir = calloc(n + 1, sizeof *dir);
    int rc = in && dir ? EXIT_OK : EXIT_USAGE;
    if (rc != EXIT_OK)
        error("out of memory");
    for (size_t i = 0; rc == EXIT_OK && i < n; i++)
        in[i] = o->inputs[i].v;
    if (rc == EXIT_OK && o->hessian) {
        o->hess = malloc((n * n + 1) * sizeof *o->hess);
        if (!o->hess || tg_hessian(t, out, n, in, TG_MODE_FORWARD, o->hess) != TG_OK) {
            error("--hessian failed: %s", o->hess ? tg_tape_errmsg(t) : "out of memory");
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && o->jvp_arg && (rc = parse_jvp(o, dir)) == EXIT_OK &&
        tg_jvp(t, 1, &out, n, in, dir, &o->jvp) != TG_OK) {
        error("--jvp failed: %s", tg_tape_errmsg(t));
        rc = EXIT_USAGE;
    }
    free(in);
    free(dir);
    return rc;
}

/* Text: the Hessian as a matrix with the inputs' names on its rows and columns, and the
 * directional derivative. */
static void print_higher_text(FILE *f, const options *o)
{
    char b[40];
    const size_t n = o->n_inputs;
    if (o->hess) {
        int w = 1, wv = 1;
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(o->inputs[i].name) > w)
                w = (int)strlen(o->inputs[i].name);
        for (size_t k = 0; k < n * n; k++)
            if ((int)strlen(fmt_text(o->hess[k], b, sizeof b)) > wv)
                wv = (int)strlen(b);
        if (wv < w)
            wv = w;
        fprintf(f, "hessian d2/d(row)d(column):\n%*s", w, "");
        for (size_t j = 0; j < n; j++)
            fprintf(f, "  %*s", wv, o->inputs[j].name);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%-*s", w, o->inputs[i].name);
            for (size_t j = 0; j < n; j++)
                fprintf(f, "  %*s", wv, fmt_text(o->hess[i * n + j], b, sizeof b));
            fputc('\n', f);
        }
    }
    if (o->jvp_arg)
        fprintf(f, "jvp = %s\n", fmt_text(o->jvp, b, sizeof b));
}

/* JSON: , "hessian": [[...], ...] and , "jvp": V (17 digits; non-finite as null). */
static void print_higher_json(const options *o)
{
    const size_t n = o->n_inputs;
    if (o->hess) {
        printf(", \"hessian\": [");
        for (size_t i = 0; i < n; i++) {
            printf("%s[", i ? ", " : "");
            for (size_t j = 0; j < n; j++) {
                printf("%s", j ? ", " : "");
                json_number(stdout, o->hess[i * n + j]);
            }
            printf("]");
        }
        printf("]");
    }
    if (o->jvp_arg) {
        printf(", \"jvp\": ");
        json_number(stdout, o->jvp);
    }
}

static void print_json(const options *o, const tg_tape *t, tg_var out,
                       const tg_gradcheck_result *res, int check_ok)
{
    printf("{\"value\": ");
    json_number(stdout, tg_value(t, out));
    printf(", \"grad\": {");
    for (size_t i = 0; i < o->n_inputs; i++) {
        printf("%s\"%s\": ", i ? ", " : "", o->inputs[i].name);
        json_number(stdout, tg_grad(t, o->inputs[i].v));
    }
    printf("}");
    if (o->check) {
        printf(", \"check\": {\"ok\": %s, \"tol\": ", check_ok ? "true" : "false");
        json_number(stdout, o->tol);
        printf(", \"inputs\": [");
        for (size_t i = 0; i < o->n_inputs; i++) {
            printf("%s{\"name\": \"%s\", \"engine\": ", i ? ", " : "", o->inputs[i].name);
            json_number(stdout, res[i].expected);
            printf(", \"finite_diff\": ");
            json_number(stdout, res[i].numeric);
            printf(", \"abs_err\": ");
            json_number(stdout, res[i].abs_err);
            printf(", \"rel_err\": ");
            json_number(stdout, res[i].rel_err);
            printf(", \"ok\": %s}", res[i].ok ? "true" : "false");
        }
        printf("]}");
    }
    if (o->n_expects) {
        printf(", \"expect\": [");
        for (size_t i = 0; i < o->n_expects; i++) {
            const expect_arg *e = &o->expects[i];
            printf("%s{\"name\": \"%s\", \"formula\": ", i ? ", " : "", e->name);
            json_string(stdout, e->formula);
            printf(", \"engine\": ");
            json_number(stdout, tg_grad(t, o->inputs[e->index].v));
            printf(", \"formula_value\": ");
            json_number(stdout, e->value);
            printf(", \"finite_diff\": ");
            json_number(stdout, e->numeric);
            printf(", \"ok\": %s}", e->ok ? "true" : "false");
        }
        printf("]");
    }
    print_higher_json(o);
    printf("}\n");
}

/* Do a and b agree within tol (relative to the larger, absolute below 1)? */
static int close_enough(double a, double b, double tol)
{
    return isfinite(a) && isfinite(b) && fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Records each --expect formula on the tape (a parser that knows only the inputs) and reads
 * its value. Exit code 2 for a bad NAME or a formula that does not parse. */
static int eval_expects(options *o, tg_tape *t)
{
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        size_t k = 0;
        while (k < o->n_inputs && strcmp(o->inputs[k].name, e->name) != 0)
            k++;
        if (k == o->n_inputs) {
            error("--expect '%s': '%s' is not one of the inputs", e->arg, e->name);
            return EXIT_USAGE;
        }
        e->index = k;
        tg_parser *p = tg_parser_new(t);
        if (!p) {
            error("out of memory");
            return EXIT_USAGE;
        }
        for (size_t j = 0; j < o->n_inputs; j++)
            tg_parser_define(p, o->inputs[j].name, o->inputs[j].v);
        tg_var f;
        const tg_status s = tg_parser_run(p, e->formula, strlen(e->formula), &f);
        if (s != TG_OK) {
            const tg_parse_error *pe = tg_parser_error(p);
            error("--expect %s: %u:%u: %s", e->name, (unsigned)pe->line, (unsigned)pe->column,
                  pe->message);
            show_source(e->formula, strlen(e->formula), pe->line, pe->column);
            tg_parser_free(p);
            return EXIT_USAGE;
        }
        tg_parser_free(p);
        e->value = tg_value(t, f);
    }
    return EXIT_OK;
}

/* ---- Main ---------------------------------------------------------------------------------- */

static int run(options *o, tg_tape *t, tg_parser *p, const char *src, size_t len, const char *label)
{
    for (size_t i = 0; i < o->n_inputs; i++) {
        o->inputs[i].v = tg_input(t, o->inputs[i].value);
        if (tg_parser_define(p, o->inputs[i].name, o->inputs[i].v) != TG_OK) {
            error("input '%s': %s", o->inputs[i].arg, tg_parser_error(p)->message);
            return EXIT_USAGE;
        }
    }
    tg_var out;
    if (tg_parser_run(p, src, len, &out) != TG_OK) {
        const tg_parse_error *pe = tg_parser_error(p);
        error("%s%s%u:%u: %s", label ? label : "", label ? ":" : "", (unsigned)pe->line,
              (unsigned)pe->column, pe->message);
        show_source(src, len, pe->line, pe->column);
        return EXIT_USAGE;
    }

    unsigned char *cone = calloc((size_t)out.id + 1, 1);
    if (!cone) {
        error("out of memory");
        return EXIT_USAGE;
    }
    mark_cone(t, out, cone);
    if (report_nonfinite_value(t, out, cone, src, len)) {
        free(cone);
        return EXIT_USAGE;
    }
    if (tg_backward(t, out) != TG_OK) {
        free(cone);
        error("backward failed: %s", tg_tape_errmsg(t));
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < o->n_inputs; i++)
        if (!isfinite(tg_grad(t, o->inputs[i].v))) {
            report_nonfinite_grad(t, out, cone, o, src, len);
            free(cone);
            return EXIT_USAGE;
        }
    free(cone);

    int rc = eval_expects(o, t);
    if (rc == EXIT_OK)
        rc = compute_higher(o, t, out);
    if (rc != EXIT_OK)
        return rc;

    /* Finite differences replay the tape; gradients and (after restoring) values stay. */
    int all_ok = 1;
    tg_gradcheck_result *res = calloc(o->n_inputs + 1, sizeof *res);
    if (!res) {
        error("out of memory");
        return EXIT_USAGE;
    }
    if (o->check)
        for (size_t i = 0; i < o->n_inputs; i++) {
            tg_gradcheck(t, out, o->inputs[i].v, tg_grad(t, o->inputs[i].v), o->tol, &res[i]);
            all_ok &= res[i].ok;
        }
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        const double engine = tg_grad(t, o->inputs[e->index].v);
        tg_gradcheck(t, out, o->inputs[e->index].v, e->value, o->tol, &e->check);
        e->check.expected = engine;
        e->numeric = e->check.numeric;
        e->ok = close_enough(engine, e->value, o->tol) && e->check.ok;
        all_ok &= e->ok;
    }

    if (o->json) {
        print_json(o, t, out, res, all_ok);
    } else {
        /* A picture written to standard output keeps it to itself: the report goes to stderr. */
        FILE *f = to_stdout(o->dot) || to_stdout(o->html) ? stderr : stdout;
        char b[40];
        fprintf(f, "value = %s\n", fmt_text(tg_value(t, out), b, sizeof b));
        for (size_t i = 0; i < o->n_inputs; i++)
            fprintf(f, "d/d%s = %s\n", o->inputs[i].name,
                    fmt_text(tg_grad(t, o->inputs[i].v), b, sizeof b));
        print_higher_text(f, o);
        if (o->check)
            print_check(f, o, res);
        print_expects(f, o);
        if (!all_ok)
            fprintf(f, "\nMISMATCH: see the lines marked above (tol %g)\n", o->tol);
    }
    free(res);
    if (fflush(stdout) != 0) {
        error("writing standard output failed: %s", strerror(errno));
        return EXIT_USAGE;
    }

    if (o->trace) {
#ifdef TAPEGRAD_HAVE_TRACE
        putchar('\n');
        if (tg_trace_backward(t, out, stdout, o->trace_fmt) != TG_OK) {
            error("--trace failed: %s", tg_tape_errmsg(t));
            return EXIT_USAGE;
        }
#endif
    }
    if (o->dot) {
#ifdef TAPEGRAD_HAVE_DOT
        FILE *f = strcmp(o->dot, "-") == 0 ? stdout : fopen(o->dot, "w");
        if (!f) {
            error("--dot: cannot write '%s': %s", o->dot, strerror(errno));
            return EXIT_USAGE;
        }
        tg_status s = tg_dot_export(t, out, f);
        if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
            s = TG_ERR_IO;
        if (s != TG_OK) {
            error("--dot: writing '%s' failed", o->dot);
            return EXIT_USAGE;
        }
#endif
    }
#ifdef TAPEGRAD_HAVE_SHOW
    const char *formats[2] = {"svg", "png"}, *paths[2] = {o->svg, o->png};
    for (int i = 0; i < 2; i++) {
        char why[256] = "";
        if (paths[i] && tgi_show_render(t, out, formats[i], paths[i], why, sizeof why) != TG_OK) {
            error("--%s: %s", formats[i], why[0] ? why : "rendering failed");
            return EXIT_USAGE;
        }
    }
    if (o->html) {
        FILE *f = to_stdout(o->html) ? stdout : fopen(o->html, "w");
        if (!f) {
            error("--html: cannot write '%s': %s", o->html, strerror(errno));
            return EXIT_USAGE;
        }
#ifdef TAPEGRAD_HAVE_PLAY /* the live page (cli/play), else the stepper (cli/show) */
        const char **args = malloc((o->n_inputs + 1) * sizeof *args);
        for (size_t i = 0; args && i < o->n_inputs; i++)
            args[i] = o->inputs[i].arg;
        tg_status s = args && cli_play_write(f, NULL, src, len, o->n_inputs, args) == 0
                          ? TG_OK : TG_ERR_IO;
        free(args);
#else
        tg_status s = tgi_show_html(t, out, f, NULL);
#endif
        if (f != stdout ? fclose(f) != 0 : fflush(f) != 0)
            s = TG_ERR_IO;
        if (s != TG_OK) {
            error("--html: writing '%s' failed", o->html);
            return EXIT_USAGE;
        }
    }
#endif
    return all_ok ? EXIT_OK : EXIT_MISMATCH;
}

/* Refuses, before any work, the options this build cannot honour. */
static int check_available(const options *o)
{
    (void)o;
#ifndef TAPEGRAD_HAVE_TRACE
    if (o->trace) {
        error("--trace is not available in this build (core/trace.c is not built in)");
        return EXIT_USAGE;
    }
#endif
#ifndef TAPEGRAD_HAVE_DOT
    if (o->dot) {
        error("--dot is not available in this build (core/export.c is not built in)");
        return EXIT_USAGE;
    }
#endif
#ifndef TAPEGRAD_HAVE_SHOW
    if (o->svg || o->png || o->html) {
        error("%s is not available in this build (cli/show/ is not built in)", o->svg   ? "--svg"
                                                                               : o->png ? "--png"
                                                                                        : "--html");
        return EXIT_USAGE;
    }
#else
    if ((o->svg || o->png) && !tgi_show_can_render()) {
        error("%s is not available in this build: it was built without Graphviz (libgvc); "
              "--dot writes the graph for the dot program instead",
              o->svg ? "--svg" : "--png");
        return EXIT_USAGE;
    }
#endif
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_option(argv[i], "--playground")) {
#ifdef TAPEGRAD_HAVE_PLAY
            return cli_play_main(argc, argv);
#else
            error("--playground is not available in this build (built without the WebAssembly "
                  "toolchain: clang, lld, wasi-libc)");
            return EXIT_USAGE;
#endif
        }
    options o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc == EXIT_OK)
        rc = check_available(&o);
    if (rc != EXIT_OK) {
        options_free(&o);
        return rc < 0 ? EXIT_OK : rc;
    }

    char *text = NULL;
    size_t len = 0;
    const char *label = NULL;
    if (o.file) {
        FILE *f = strcmp(o.file, "-") == 0 ? stdin : fopen(o.file, "rb");
        if (f)
            text = read_all(f, &len);
        if (!f || !text) {
            error("cannot read '%s': %s", o.file, strerror(errno));
            if (f && f != stdin)
                fclose(f);
            options_free(&o);
            return EXIT_USAGE;
        }
        if (f != stdin)
            fclose(f);
        label = strcmp(o.file, "-") == 0 ? "<stdin>" : o.file;
    }
    tg_tape *t = tg_tape_new();
    tg_parser *p = t ? tg_parser_new(t) : NULL;
    if (!p) {
        error("out of memory");
        rc = EXIT_USAGE;
    } else {
        rc = run(&o, t, p, text ? text : o.program, text ? len : strlen(o.program), label);
    }
    tg_parser_free(p);
    tg_tape_free(t);
    free(text);
    options_free(&o);
    return rc;
}
