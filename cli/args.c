/* args.c: the tapegrad command line: --help, the options, the inputs NAME=VALUE and their
 * strict decimal numbers, and the "tapegrad: error:" lines. What the options mean is left to the
 * other files of cli/ (cli.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef TAPEGRAD_VERSION
#define TAPEGRAD_VERSION "unknown"
#endif

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
    "    --width N        lay the text trace out for N columns (default: $COLUMNS,\n"
    "                     else 80); lines are folded, never cut\n"
    "    --dot FILE       write the graph in Graphviz DOT (- for standard output)\n"
    "    --svg FILE, --png FILE\n"
    "                     draw the graph (when built with Graphviz's libgvc)\n"
    "    --html FILE      write a page that steps through the backward pass (built\n"
    "                     with wasm: the live page, the engine inside)\n"
    "    --playground FILE  write the live page with an example program\n"
    "    --check          compare every gradient with a central finite difference\n"
    "    --expect NAME=FORMULA\n"
    "                     compare FORMULA, a hand-derived d(value)/d(NAME) written\n"
    "                     in the language over the inputs, the names the program\n"
    "                     assigns (as they are at its end) and the functions it\n"
    "                     defines, with the engine's gradient and a finite\n"
    "                     difference (repeatable)\n"
    "    --tol TOL        tolerance of --check and --expect (default 1e-6): G and\n"
    "                     N agree when |G - N| <= TOL * max(1, |N|)\n"
    "    --hessian        also print the Hessian, d2(value)/d(row)d(column) over\n"
    "                     the inputs (JSON: \"hessian\": [[...], ...])\n"
    "    --jvp NAME=V,... also print the directional derivative along V (inputs\n"
    "                     not named move by 0) (JSON: \"jvp\": D)\n"
    "    --max-nodes N    the most nodes a program may record (default 10000000):\n"
    "                     past it the program is an error, before it fills memory\n"
    "    --emit c         print, instead of the report, one C99 function that needs\n"
    "                     only <math.h>: double tapegrad_fn(const double *x,\n"
    "                     double *grad), the value and gradient for any inputs x\n"
    "                     (in command-line order), bit for bit what the tape\n"
    "                     computes when compiled with -ffp-contract=off; checked\n"
    "                     at the given VALUEs first. With --hessian it also writes\n"
    "                     the Hessian: tapegrad_fn(x, grad, hess)\n"
    "    --emit-name NAME the emitted function's name (default tapegrad_fn)\n"
    "    -h, --help       show this text\n"
    "    --version        show the version\n"
    "    --               end of options (for a PROGRAM that starts with '-')\n"
    "\n"
    "LANGUAGE (version 2 of the contract)\n"
    "    Statements `name = expr`, `expr` or a definition `f(a, b) = expr`,\n"
    "    separated by ';' or newlines; '#' starts a comment (any UTF-8 there);\n"
    "    the last statement that is not a definition is the output. A name may\n"
    "    be assigned again; inputs may not be assigned.\n"
    "    Precedence, lowest first: comparisons < <= > >= == != (not associative:\n"
    "    a < b < c is an error), + - (left), * / (left), unary - +, ^ (right-\n"
    "    associative; ** is the same). So -x^2 is -(x^2), a + 1 < b*2 is\n"
    "    (a + 1) < (b*2). A comparison is 1 or 0 and passes no gradient.\n"
    "    Functions: exp log sqrt sin cos tan tanh sigmoid relu abs asin acos atan\n"
    "    sinh cosh asinh acosh atanh log1p expm1 log2 log10 erf erfc softplus;\n"
    "    pow(a, b) atan2(y, x) hypot(a, b) min(a, b) max(a, b); where(c, a, b):\n"
    "    a where c is not 0, else b, the gradient only into the branch taken (a\n"
    "    value only the other branch computes is no error). Kinks as PyTorch:\n"
    "    relu'(0) = abs'(0) = 0; min and max send half to each side at a tie;\n"
    "    hypot(0, 0) has derivative 0.\n"
    "    Definitions: f(p1, ..., pk) = expr makes f callable with k arguments in\n"
    "    later statements; a call records the body's operations (inlined). A\n"
    "    body reads only its parameters, numbers, pi and functions defined\n"
    "    before it (so no recursion).\n"
    "    Numbers: 1 2.5 .5 5. 1e-3 6.02E23 and pi (constants: no gradient).\n"
    "    Names: [A-Za-z_][A-Za-z0-9_]* (ASCII), case-sensitive; function names,\n"
    "    pi and where are reserved. Nesting (parentheses, signs, ^ chains,\n"
    "    calls, calls inside bodies) is limited to 5000 levels.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 1 --check or --expect found a mismatch; 2 bad usage, a syntax\n"
    "    or name error, a bad input, an unreadable file, more than --max-nodes\n"
    "    nodes, or a value or gradient that is not finite (a value computed only\n"
    "    in the branch a where did not take does not count).\n"
    "\n"
    "EXAMPLES\n"
    "    tapegrad 'price = (apple*apple_num + orange*orange_num)*tax' \\\n"
    "             apple=100 apple_num=2 orange=150 orange_num=3 tax=1.1\n"
    "    tapegrad 'yhat = sigmoid(w*x + b); L = (y - yhat)^2/2' \\\n"
    "             w=0.5 x=2 b=0.1 y=1 --expect 'w=-(y - yhat)*yhat*(1 - yhat)*x'\n"
    "    tapegrad 'sq(a) = a*a; where(x > 0, sqrt(x), sq(x))' x=0\n"
    "    tapegrad --json -- '-x^2' x=3\n";

/* ---- Errors ------------------------------------------------------------------------------ */

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tapegrad: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage_error(const char *fmt, const char *arg)
{
    fputs("tapegrad: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nusage: tapegrad [OPTIONS] [--] PROGRAM [NAME=VALUE ...]   (tapegrad --help)\n",
          stderr);
    return EXIT_USAGE;
}

/* ---- Numbers ----------------------------------------------------------------------------- */

/* A finite decimal number, strictly: [+-] (digits [. [digits]] | . digits) [(e|E) [+-] digits],
 * nothing before or after, and within range. inf, nan, hex and blanks are refused. */
int cli_parse_number(const char *s, double *out)
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

/* Is this output path standard output ("-")? */
int cli_to_stdout(const char *path)
{
    return path && strcmp(path, "-") == 0;
}

/* ---- Command line -------------------------------------------------------------------------- */

void cli_options_free(options *o)
{
    for (size_t i = 0; i < o->n_inputs; i++)
        free(o->inputs[i].name);
    for (size_t i = 0; i < o->n_expects; i++)
        free(o->expects[i].name);
    free(o->inputs);
    free(o->expects);
    free(o->hess);
    free(o->points);
}

char *cli_copy_n(const char *s, size_t n)
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
        return cli_usage_error("expected an input NAME=VALUE, got '%s'", arg);
    input_arg in = {arg, cli_copy_n(arg, (size_t)(eq - arg)), 0, {0}};
    if (!in.name) {
        cli_error("out of memory");
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    if (!tg_parse_is_name(in.name))
        rc = cli_usage_error("input '%s': the name is not valid ([A-Za-z_][A-Za-z0-9_]*)", arg);
    else if (tg_parse_is_reserved(in.name))
        rc = cli_usage_error("input '%s': the name is reserved (a function's name, pi or where)",
                             arg);
    else if (!cli_parse_number(eq + 1, &in.value))
        rc = cli_usage_error("input '%s': the value is not a finite decimal number", arg);
    for (size_t i = 0; rc == EXIT_OK && i < o->n_inputs; i++)
        if (strcmp(o->inputs[i].name, in.name) == 0)
            rc = cli_usage_error("input '%s' is given twice", in.name);
    input_arg *grown = rc == EXIT_OK ? realloc(o->inputs, (o->n_inputs + 1) * sizeof *grown) : NULL;
    if (rc == EXIT_OK && !grown) {
        cli_error("out of memory");
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
        return cli_usage_error("--expect needs NAME=FORMULA, got '%s'", arg);
    const char *a = arg, *b = eq;
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
        b--;
    expect_arg e = {0};
    e.arg = arg;
    e.name = cli_copy_n(a, (size_t)(b - a));
    e.formula = eq + 1;
    expect_arg *grown = e.name ? realloc(o->expects, (o->n_expects + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(e.name);
        cli_error("out of memory");
        return EXIT_USAGE;
    }
    o->expects = grown;
    o->expects[o->n_expects++] = e;
    return EXIT_OK;
}

/* Does s read as an input, NAME=VALUE? */
static int looks_like_input(const char *s)
{
    const char *eq = strchr(s, '=');
    double v;
    if (!eq || eq == s)
        return 0;
    char *name = cli_copy_n(s, (size_t)(eq - s));
    const int ok = name && tg_parse_is_name(name) && cli_parse_number(eq + 1, &v);
    free(name);
    return ok;
}

/* The two slips people make with inputs, told as what happened (argv[i] is about to be read
 * as an input): the shell split "x = 3" into three arguments, or the inputs came before the
 * program, so that the first input was taken as the PROGRAM. EXIT_OK if neither. */
static int usual_slips(const options *o, int argc, char **argv, int i)
{
    const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
    double v;
    if (!strchr(a, '=') && tg_parse_is_name(a) && next &&
        (strcmp(next, "=") == 0 || (next[0] == '=' && cli_parse_number(next + 1, &v)))) {
        const char *value = strcmp(next, "=") == 0 ? (i + 2 < argc ? argv[i + 2] : "") : next + 1;
        cli_error("the input '%s %s%s%s' reached tapegrad as separate arguments (the shell splits "
                  "at spaces): write it without spaces, %s=%s",
                  a, next, strcmp(next, "=") == 0 ? " " : "", strcmp(next, "=") == 0 ? value : "",
                  a, value);
        return EXIT_USAGE;
    }
    const size_t n = strlen(a);
    if (n > 1 && a[n - 1] == '=' && next && cli_parse_number(next, &v)) {
        cli_error("the input '%s %s' reached tapegrad as two arguments (the shell splits at "
                  "spaces): write it without spaces, %s%s",
                  a, next, a, next);
        return EXIT_USAGE;
    }
    if (o->program && !o->file && looks_like_input(o->program) && !looks_like_input(a)) {
        cli_error("the first argument is the PROGRAM: '%s' was taken as the program, so '%s' "
                  "had to be an input NAME=VALUE; put the program first: tapegrad '%s' %s ...",
                  o->program, a, a, o->program);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Fills o from argv. Returns EXIT_OK, or an exit code (help and version give -1 after printing). */
int cli_parse_args(int argc, char **argv, options *o)
{
    int rc, after_dashes = 0;
    o->tol = DEFAULT_TOL;
    o->max_nodes = DEFAULT_MAX_NODES;
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
            } else if (is_option(a, "--max-nodes")) {
                double n;
                if (!(val = option_value(argc, argv, &i, "--max-nodes")))
                    return cli_usage_error("%s needs a number of nodes", a);
                if (!cli_parse_number(val, &n) || n < 1 || n > TG_MAX_NODES || n != floor(n))
                    return cli_usage_error(
                        "--max-nodes '%s': not a whole number from 1 to 536870911", val);
                o->max_nodes = (size_t)n;
            } else if (strcmp(a, "--hessian") == 0) {
                o->hessian = 1;
            } else if (is_option(a, "--emit") || is_option(a, "--emit-name")) {
                const int is_name = strncmp(a, "--emit-name", 11) == 0;
                if (!(val = option_value(argc, argv, &i, is_name ? "--emit-name" : "--emit")))
                    return cli_usage_error("%s needs a value", a);
                if (is_name)
                    o->emit_name = val;
                else if (strcmp(val, "c") != 0)
                    return cli_usage_error("--emit '%s': the only language is c", val);
                else
                    o->emit = val;
            } else if (is_option(a, "--jvp")) {
                if (o->jvp_arg)
                    return cli_usage_error("%s", "--jvp given twice");
                if (!(val = option_value(argc, argv, &i, "--jvp")))
                    return cli_usage_error("%s needs NAME=VALUE,...", a);
                o->jvp_arg = val;
            } else if (strcmp(a, "--trace") == 0 || strcmp(a, "--trace=text") == 0) {
                o->trace = 1;
                o->trace_fmt = TG_TRACE_TEXT;
            } else if (strcmp(a, "--trace=markdown") == 0) {
                o->trace = 1;
                o->trace_fmt = TG_TRACE_MARKDOWN;
            } else if (is_option(a, "--width")) {
                double w;
                if (!(val = option_value(argc, argv, &i, "--width")))
                    return cli_usage_error("%s needs a number of columns", a);
                if (!cli_parse_number(val, &w) || w < 40 || w > 10000 || w != floor(w))
                    return cli_usage_error("--width '%s': not a whole number of columns from 40 "
                                           "to 10000",
                                           val);
                o->width = (unsigned)w;
            } else if (is_option(a, "--tol")) {
                if (!(val = option_value(argc, argv, &i, "--tol")))
                    return cli_usage_error("%s needs a value", a);
                if (!cli_parse_number(val, &o->tol) || !(o->tol > 0.0))
                    return cli_usage_error("--tol '%s': not a positive finite number", val);
            } else if (is_option(a, "--expect")) {
                if (!(val = option_value(argc, argv, &i, "--expect")))
                    return cli_usage_error("%s needs NAME=FORMULA", a);
                if ((rc = add_expect(o, val)) != EXIT_OK)
                    return rc;
            } else if (strcmp(a, "-f") == 0 || is_option(a, "--file")) {
                if (!(val = option_value(argc, argv, &i, a[1] == 'f' ? "-f" : "--file")))
                    return cli_usage_error("%s needs a FILE (- for standard input)", a);
                if (o->file)
                    return cli_usage_error("-f given twice (second: '%s')", val);
                o->file = val;
            } else if (is_option(a, "--dot") || is_option(a, "--svg") || is_option(a, "--png") ||
                       is_option(a, "--html")) {
                char opt[8];
                snprintf(opt, sizeof opt, "%.6s", a);
                if (!(val = option_value(argc, argv, &i, opt)))
                    return cli_usage_error("%s needs a FILE", opt);
                if (!*val)
                    return cli_usage_error("%s needs a FILE, not an empty name", opt);
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
                    cli_usage_error("unknown option '%s'", a);
                return EXIT_USAGE;
            }
            continue;
        }
        if (!o->program && !o->file) {
            o->program = a;
            continue;
        }
        if ((rc = usual_slips(o, argc, argv, i)) != EXIT_OK)
            return rc;
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
        return cli_usage_error("%s", "no PROGRAM given");
    const int n_stdout = cli_to_stdout(o->dot) + cli_to_stdout(o->html) + cli_to_stdout(o->svg) +
                         cli_to_stdout(o->png) + o->trace + o->json;
    if (n_stdout > 1)
        return cli_usage_error("%s",
                               "--json, --trace, --dot -, --html - all write to standard output: "
                               "choose one of them");
    if (o->emit_name && !o->emit)
        return cli_usage_error("%s", "--emit-name needs --emit c");
    if (o->emit && (n_stdout || o->check || o->n_expects || o->jvp_arg || o->dot || o->svg ||
                    o->png || o->html))
        return cli_usage_error("%s", "--emit c prints only the code: it takes --hessian and "
                                     "--emit-name, no other output option");
    if (cli_to_stdout(o->svg) || cli_to_stdout(o->png))
        return cli_usage_error("%s", "--svg and --png write to a FILE, not to standard output");
    return EXIT_OK;
}
