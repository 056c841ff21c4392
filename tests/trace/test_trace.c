/* test_trace.c: the step trace (tg_trace_backward) and the DOT export (tg_dot_export): the
 * apple/orange example of seed 002 against golden files and the seed's numbers, sums written
 * out at fan-out, gradients identical to tg_backward's, widths, labels and placeholders, errors,
 * and DOT that Graphviz accepts for any names. argv[1]: the golden folder; argv[2]: `dot` or "". */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tapegrad.h"

static const char *golden_dir = ".";
static const char *dot_path = "";

/* Reads a whole stream (from its start) into a NUL-terminated malloc'd string. */
static char *slurp(FILE *f)
{
    assert_non_null(f);
    rewind(f);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (size_t got; (got = fread(s + len, 1, cap - len - 1, f)) > 0;) {
        len += got;
        if (len + 1 == cap) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
    }
    s[len] = '\0';
    return s;
}

static char *read_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open golden file %s", path);
    char *s = slurp(f);
    fclose(f);
    return s;
}

/* The trace of out in format fmt, as a string. */
static char *trace_string(tg_tape *t, tg_var out, tg_trace_format fmt)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(tg_trace_backward(t, out, f, fmt), TG_OK);
    char *s = slurp(f);
    fclose(f);
    return s;
}

static char *dot_string(const tg_tape *t, tg_var out)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(tg_dot_export(t, out, f), TG_OK);
    char *s = slurp(f);
    fclose(f);
    return s;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected to find\n  %s\nin\n%s", needle, text);
}

/* ---- The apple/orange example (seed 002) ------------------------------------------------- */

typedef struct apple_orange {
    tg_var apple, apple_num, orange, orange_num, tax;
    tg_var apple_price, orange_price, all_price, price;
} apple_orange;

/* apple 100 x 2, orange 150 x 3, tax 1.1: price = (100*2 + 150*3) * 1.1 = 715. */
static apple_orange build_apple_orange(tg_tape *t)
{
    apple_orange a;
    a.apple = tg_input(t, 100);
    a.apple_num = tg_input(t, 2);
    a.orange = tg_input(t, 150);
    a.orange_num = tg_input(t, 3);
    a.tax = tg_input(t, 1.1);
    a.apple_price = tg_mul(t, a.apple, a.apple_num);
    a.orange_price = tg_mul(t, a.orange, a.orange_num);
    a.all_price = tg_add(t, a.apple_price, a.orange_price);
    a.price = tg_mul(t, a.all_price, a.tax);
    const struct {
        tg_var v;
        const char *name;
    } names[] = {
        {a.apple, "apple"},
        {a.apple_num, "apple_num"},
        {a.orange, "orange"},
        {a.orange_num, "orange_num"},
        {a.tax, "tax"},
        {a.apple_price, "apple_price"},
        {a.orange_price, "orange_price"},
        {a.all_price, "all_price"},
        {a.price, "price"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(tg_set_name(t, names[i].v, names[i].name), TG_OK);
    return a;
}

static void apple_orange_golden(tg_trace_format fmt, const char *golden)
{
    tg_tape *t = tg_tape_new();
    apple_orange a = build_apple_orange(t);
    char *got = trace_string(t, a.price, fmt);
    char *want = read_file(golden_dir, golden);
    if (strcmp(got, want) != 0)
        fail_msg("trace differs from golden/%s; got:\n%s", golden, got);
    free(got);
    free(want);
    tg_tape_free(t);
}

static void apple_orange_text_trace_matches_golden(void **state)
{
    (void)state;
    apple_orange_golden(TG_TRACE_TEXT, "apple_orange.txt");
}

static void apple_orange_markdown_trace_matches_golden(void **state)
{
    (void)state;
    apple_orange_golden(TG_TRACE_MARKDOWN, "apple_orange.md");
}

/* The seed's backward pass, line by line: dprice = 1; dall_price = 1 * tax = 1.1,
 * dtax = 1 * all_price = 650; the add layer passes 1.1 to both prices; dapple = 1.1 * 2 = 2.2,
 * dapple_num = 1.1 * 100 = 110, dorange = 1.1 * 3 = 3.3, dorange_num = 1.1 * 150 = 165. */
static void apple_orange_trace_shows_the_seed_numbers(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "dL/d(price) = 1\n",
        "  dL/d(all_price) += dL/d(price) * d(a*b)/da = 1 * 1.1 = 1.1\n",
        "  dL/d(tax) += dL/d(price) * d(a*b)/db = 1 * 650 = 650\n",
        "  dL/d(apple_price) += dL/d(all_price) * d(a+b)/da = 1.1 * 1 = 1.1\n",
        "  dL/d(orange_price) += dL/d(all_price) * d(a+b)/db = 1.1 * 1 = 1.1\n",
        "  dL/d(apple) += dL/d(apple_price) * d(a*b)/da = 1.1 * 2 = 2.2\n",
        "  dL/d(apple_num) += dL/d(apple_price) * d(a*b)/db = 1.1 * 100 = 110\n",
        "  dL/d(orange) += dL/d(orange_price) * d(a*b)/da = 1.1 * 3 = 3.3\n",
        "  dL/d(orange_num) += dL/d(orange_price) * d(a*b)/db = 1.1 * 150 = 165\n",
        "at price = all_price*tax:  d(a*b)/da = b,  d(a*b)/db = a\n",
        "price        all_price*tax              650, 1.1   715\n",
        "dL/d(apple) =        2.2\n",
        "dL/d(apple_num) =    110\n",
        "dL/d(orange) =       3.3\n",
        "dL/d(orange_num) =   165\n",
        "dL/d(tax) =          650\n",
        "dL/d(all_price) =    1.1\n",
    };
    tg_tape *t = tg_tape_new();
    apple_orange a = build_apple_orange(t);
    char *text = trace_string(t, a.price, TG_TRACE_TEXT);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        assert_contains(text, lines[i]);
    /* the sweep's order: the tax layer first, the apple layer last */
    assert_true(strstr(text, "dL/d(tax) +=") < strstr(text, "dL/d(apple_price) +="));
    assert_true(strstr(text, "dL/d(orange) +=") < strstr(text, "dL/d(apple) +="));
    free(text);
    char *md = trace_string(t, a.price, TG_TRACE_MARKDOWN);
    assert_contains(md, "| $1.1 \\times 2$ | 2.2 |");
    assert_contains(md, "| $1.1 \\times 100$ | 110 |");
    assert_contains(md, "| $1.1 \\times 3$ | 3.3 |");
    assert_contains(md, "| $1.1 \\times 150$ | 165 |");
    assert_contains(md, "| $1 \\times 650$ | 650 |");
    assert_contains(md, "\\frac{\\partial L}{\\partial \\text{apple\\_price}}");
    free(md);
    tg_tape_free(t);
}

/* ---- Sums at fan-out --------------------------------------------------------------------- */

/* Each case: a graph where x feeds several nodes, the sum line the trace must write (the
 * contributions in sweep order, derived by hand), and d/dx by hand. */
static void fanout_trace_writes_the_sum(void **state)
{
    (void)state;
    for (int c = 0; c < 3; c++) {
        tg_tape *t = tg_tape_new();
        tg_var x = tg_input(t, 2), y = tg_input(t, 5), out;
        tg_set_name(t, x, "x");
        tg_set_name(t, y, "y");
        const char *want;
        double dx;
        if (c == 0) {
            /* x*x + x*3:  the sweep meets x*3 first (1 * 3 = 3), then x*x (1 * 2, twice);
             * d/dx = 2x + 3 = 7 */
            tg_var xx = tg_mul(t, x, x);
            tg_var x3 = tg_mulc(t, x, 3); /* recorded after x*x, so swept before it */
            out = tg_add(t, xx, x3);
            want = "dL/dx = 3 + 2 + 2 = 7\n";
            dx = 7;
        } else if (c == 1) {
            /* x*y - x:  the sub gives 1 * (-1) = -1, the mul 1 * y = 5;  d/dx = y - 1 = 4 */
            out = tg_sub(t, tg_mul(t, x, y), x);
            want = "dL/dx = -1 + 5 = 4\n";
            dx = 4;
        } else {
            /* x + x + ... + x, 10 terms: 1 each; the line shows 3, "...", the last 2 */
            out = x;
            for (int k = 1; k < 10; k++)
                out = tg_add(t, out, x);
            want = "dL/dx = 1 + 1 + 1 + ... + 1 + 1 (10 terms) = 10\n";
            dx = 10;
        }
        char *text = trace_string(t, out, TG_TRACE_TEXT);
        assert_contains(text, want);
        assert_true(tg_grad(t, x) == dx);
        free(text);
        tg_tape_free(t);
    }
}

/* ---- Same gradients as tg_backward ------------------------------------------------------- */

/* micrograd's test_more_ops graph (tests/core/test_tape.c), every kind of node: fan-out,
 * constants, relu, powc, div; plus the n-ary sum and dot and the unary functions. */
static tg_var build_mixed(tg_tape *t)
{
    tg_var a = tg_input(t, -4.0), b = tg_input(t, 2.0);
    tg_set_name(t, a, "a");
    tg_set_name(t, b, "b");
    tg_var c = tg_add(t, a, b);
    tg_var d = tg_add(t, tg_mul(t, a, b), tg_powc(t, b, 3));
    c = tg_add(t, c, tg_addc(t, c, 1));
    c = tg_add(t, c, tg_add(t, tg_add(t, tg_const(t, 1), c), tg_neg(t, a)));
    d = tg_add(t, d, tg_add(t, tg_mulc(t, d, 2), tg_relu(t, tg_add(t, b, a))));
    d = tg_add(t, d, tg_add(t, tg_mulc(t, d, 3), tg_relu(t, tg_sub(t, b, a))));
    tg_var e = tg_sub(t, c, d);
    tg_var f = tg_powc(t, e, 2);
    tg_var g = tg_div(t, f, tg_const(t, 2.0));
    g = tg_add(t, g, tg_rdivc(t, 10.0, f));
    tg_var w[3] = {a, b, tg_tanh(t, b)},
           x[3] = {tg_sin(t, a), tg_exp(t, tg_mulc(t, b, 0.1)), tg_sigmoid(t, a)};
    tg_var s[3] = {g, tg_dot(t, 3, w, x), tg_sqrt(t, tg_abs(t, a))};
    return tg_sum(t, 3, s);
}

static void trace_gradients_equal_backward(void **state)
{
    (void)state;
    for (int fmt = TG_TRACE_TEXT; fmt <= TG_TRACE_JSON; fmt++) {
        tg_tape *t1 = tg_tape_new(), *t2 = tg_tape_new();
        tg_var o1 = build_mixed(t1), o2 = build_mixed(t2);
        assert_int_equal(tg_backward(t1, o1), TG_OK);
        char *text = trace_string(t2, o2, (tg_trace_format)fmt);
        assert_int_equal(tg_tape_size(t1), tg_tape_size(t2));
        for (uint32_t i = 0; i < tg_tape_size(t1); i++) {
            tg_var v = {i};
            assert_memory_equal(&(double){tg_grad(t1, v)}, &(double){tg_grad(t2, v)},
                                sizeof(double));
        }
        /* the text's Gradients section prints tg_backward's numbers */
        if (fmt == TG_TRACE_TEXT) {
            for (int k = 0; k < 2; k++) {
                char head[16], want[40];
                snprintf(head, sizeof head, "\ndL/d%c = ", "ab"[k]);
                const char *at = strstr(strstr(text, "\nGradients\n"), head);
                assert_non_null(at);
                at += strlen(head);
                at += strspn(at, " ");
                snprintf(want, sizeof want, "%.6g\n", tg_grad(t1, (tg_var){(uint32_t)k}));
                assert_memory_equal(at, want, strlen(want));
            }
        }
        free(text);
        tg_tape_free(t1);
        tg_tape_free(t2);
    }
}

/* ---- Layout and labels ------------------------------------------------------------------- */

static void text_trace_fits_80_columns(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var a = tg_input(t, 1.5), b = tg_input(t, -2.25);
    tg_set_name(t, a, "a_rather_long_name_for_an_input_that_goes_on_and_on");
    tg_set_name(t, b, "another_very_long_name_with_unicode_\xc3\xa9\xc3\xa9\xc3\xa9_in_it");
    tg_var p = tg_mul(t, a, b);
    tg_set_origin(t, p, 1, 1, "a_rather_long_name_for_an_input * another_very_long_name");
    tg_var xs[40];
    for (int i = 0; i < 40; i++)
        xs[i] = tg_mul(t, p, tg_const(t, 1234567.25 * (i - 20)));
    tg_var out = tg_add(t, tg_sigmoid(t, tg_sum(t, 40, xs)), tg_div(t, p, a));
    const tg_var outs[] = {out, build_mixed(t)};
    for (size_t o = 0; o < 2; o++) {
        char *text = trace_string(t, outs[o], TG_TRACE_TEXT);
        size_t line_no = 1, col = 0;
        for (const char *q = text; *q; q++) {
            if (*q == '\n') {
                if (col > 80)
                    fail_msg("line %zu has %zu columns:\n%s", line_no, col, text);
                line_no++;
                col = 0;
            } else if (((unsigned char)*q & 0xC0) != 0x80) {
                col++;
            }
        }
        free(text);
    }
    tg_tape_free(t);
}

/* Unnamed nodes are shown by their expression while it is short, else by a generated name
 * (t1, t2, ... in tape order, gap-free; x1, x2, ... for unnamed inputs); constants by their
 * value; a name used twice (a reassigned variable, c = c + c) is told apart as c_2. */
static void labels_are_names_expressions_or_generated(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var c = tg_input(t, 3);
    tg_set_name(t, c, "c");
    tg_var c2 = tg_add(t, c, c);
    tg_set_name(t, c2, "c");
    tg_var q = tg_mul(t, c2, tg_const(t, -0.5));
    tg_var r = tg_exp(t, q);
    tg_set_origin(t, r, 2, 5, "exp(q)"); /* source text is not a label: q is no name here */
    tg_var out = tg_add(t, r, c);
    char *text = trace_string(t, out, TG_TRACE_TEXT);
    assert_contains(text, "at c_2 = c + c:");
    assert_contains(text, "\nc_2*(-0.5)          c_2*(-0.5)          6, -0.5             -3\n");
    assert_contains(text, "at exp(c_2*(-0.5)):  d(exp(a))/da = exp(a)\n");
    assert_contains(text, "dL/d(exp(c_2*(-0.5)) + c) = 1\n");
    assert_null(strstr(text, "exp(q)"));
    /* d/dc [exp(-(c + c)/2) + c] = -exp(-c) + 1 at c = 3, and the sum has 3 terms */
    assert_contains(text, "dL/dc = 1 - 0.0248935 - 0.0248935 = 0.950213\n");
    assert_true(fabs(tg_grad(t, c) - (1.0 - exp(-3.0))) < 1e-15);
    free(text);
    tg_tape_free(t);

    /* Built in C without names: x1..x4, expressions, then t1, t2 where an expression is long */
    t = tg_tape_new();
    tg_var in[4];
    for (int i = 0; i < 4; i++)
        in[i] = tg_input(t, i + 1);
    tg_var h1 = tg_tanh(t, tg_add(t, tg_mul(t, in[0], in[1]), tg_mul(t, in[2], in[3])));
    tg_var h2 = tg_tanh(t, tg_sub(t, tg_mul(t, in[0], in[2]), tg_mul(t, in[1], in[3])));
    tg_var p12 = tg_mul(t, h1, h2);
    tg_var p11 = tg_mul(t, h1, h1);
    out = tg_add(t, p12, p11);
    text = trace_string(t, out, TG_TRACE_TEXT);
    assert_contains(text, "Forward pass (L = t1 + t2)\n");
    assert_contains(text, "\nx4 ");
    assert_contains(text, "\nx1*x2 + x3*x4 ");
    assert_contains(text, "at t1 = tanh(x1*x2 + x3*x4)*tanh(x1*x3 - x2*x4):");
    assert_contains(text, "at t2 = tanh(x1*x2 + x3*x4)*tanh(x1*x2 + x3*x4):");
    assert_null(strstr(text, "t3"));
    assert_null(strstr(text, "n1"));
    free(text);
    tg_tape_free(t);
}

/* The rules' placeholders are never names of the program: L, a, b, y taken by the program give
 * way to others, and the output's own name L is used as the output's placeholder. */
static void placeholders_never_collide_with_names(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var a = tg_input(t, 2), b = tg_input(t, 3), y = tg_input(t, 5);
    tg_set_name(t, a, "a");
    tg_set_name(t, b, "b");
    tg_set_name(t, y, "y");
    tg_var L = tg_mul(t, a, b);
    tg_set_name(t, L, "L");
    tg_var out = tg_add(t, L, y);
    char *text = trace_string(t, out, TG_TRACE_TEXT);
    assert_contains(text, "Forward pass (J = L + y)\n");
    assert_contains(text, "(reverse tape order; u, v: an operation's inputs, f: its output)");
    assert_contains(text, "at L = a*b:  d(u*v)/du = v,  d(u*v)/dv = u\n");
    assert_contains(text, "  dJ/da += dJ/dL * d(u*v)/du = 1 * 3 = 3\n");
    assert_null(strstr(text, "d(a*b)"));
    assert_null(strstr(text, "dL/"));
    free(text);
    char *md = trace_string(t, out, TG_TRACE_MARKDOWN);
    assert_contains(md, "$u, v$ are an operation's inputs, $f$ its output.");
    assert_contains(md, "\\frac{\\partial J}{\\partial \\text{a}}");
    free(md);
    tg_tape_free(t);

    /* a loss that is itself named L keeps L */
    t = tg_tape_new();
    tg_var x = tg_input(t, 2);
    tg_set_name(t, x, "x");
    out = tg_mulc(t, x, 3);
    tg_set_name(t, out, "L");
    text = trace_string(t, out, TG_TRACE_TEXT);
    assert_contains(text, "Forward pass (output L)\n");
    assert_contains(text, "  dL/dx += dL/dL * d(a*b)/da = 1 * 3 = 3\n");
    free(text);
    tg_tape_free(t);
}

/* Lines fold at the width asked for, and nothing is cut: every label appears whole; the
 * Gradients section keeps one line a node. */
static void text_trace_folds_to_the_width_and_cuts_nothing(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var w = tg_input(t, 0.5), x = tg_input(t, 2);
    tg_set_name(t, w, "weight_input_to_hidden_unit_1");
    tg_set_name(t, x, "x");
    tg_var prod = tg_mul(t, w, x);
    tg_var out = tg_tanh(t, tg_add(t, prod, tg_mul(t, w, w)));
    for (unsigned width = 40; width <= 120; width += 40) {
        FILE *f = tmpfile();
        assert_int_equal(tg_trace_backward_width(t, out, f, TG_TRACE_TEXT, width), TG_OK);
        char *text = slurp(f);
        fclose(f);
        /* up to the Gradients section, which the contract wants one line a node */
        char *grads = strstr(text, "\nGradients\n");
        assert_non_null(grads);
        assert_contains(grads, "\ndL/d(weight_input_to_hidden_unit_1) = ");
        size_t col = 0;
        for (const char *q = text; q < grads; q++) {
            if (*q == '\n') {
                if (col > width)
                    fail_msg("a line of %zu columns at width %u:\n%s", col, width, text);
                col = 0;
            } else {
                col++;
            }
        }
        assert_contains(text, "weight_input_to_hidden_unit_1");
        assert_null(strstr(text, "..."));
        free(text);
    }
    tg_tape_free(t);
}

/* log(-1) is NaN and 1/0 is inf (IEEE, as C's math library): the trace prints "nan" (never
 * "-nan") and "inf", and the JSON, which has neither, writes null beside the printed string. */
static void nonfinite_numbers_print_as_nan_and_inf(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, -1), z = tg_input(t, 0);
    tg_set_name(t, x, "x");
    tg_set_name(t, z, "z");
    tg_var lx = tg_log(t, x);
    tg_var rz = tg_rdivc(t, 1.0, z);
    tg_var out = tg_add(t, lx, rz);
    char *text = trace_string(t, out, TG_TRACE_TEXT);
    assert_contains(text, "\nlog(x)       log(x)       -1         nan\n");
    assert_contains(text, "  dL/dx += dL/d(log(x)) * d(log(a))/da = 1 * (-1) = -1\n");
    assert_null(strstr(text, "-nan"));
    assert_contains(text, "inf");
    free(text);
    char *json = trace_string(t, out, TG_TRACE_JSON);
    assert_contains(json, "\"value\":null,\"value_s\":\"nan\"");
    assert_contains(json, "\"value\":null,\"value_s\":\"inf\"");
    free(json);
    tg_tape_free(t);
}

/* Names with Markdown and LaTeX syntax in them: every table row keeps its table's number of
 * cells (a "|" in a name is escaped), and every line has an even number of unescaped "$" (a
 * "$" in a name cannot open or close math). */
static void markdown_stays_well_formed_for_any_names(void **state)
{
    (void)state;
    static const char *const names[] = {"a|b",  "x_1 $y$", "`code`", "*em* \\ {}",
                                        "c\nd", "^~#%&",   "<i>"};
    const size_t n = sizeof names / sizeof names[0];
    tg_tape *t = tg_tape_new();
    tg_var acc = tg_input(t, 1.5);
    tg_set_name(t, acc, "start|");
    for (size_t i = 0; i < n; i++) {
        tg_var x = tg_input(t, (double)i + 0.5);
        tg_set_name(t, x, names[i]);
        acc = tg_mul(t, acc, x);
        tg_set_name(t, acc, names[n - 1 - i]);
        acc = tg_add(t, acc, x); /* x feeds two nodes: a sum row too */
    }
    char *md = trace_string(t, acc, TG_TRACE_MARKDOWN);
    int table_cells = -1;
    for (char *line = md, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        assert_non_null(end);
        int pipes = 0, dollars = 0;
        for (char *q = line; q < end; q++) {
            if (*q == '\\' && q + 1 < end) {
                q++; /* an escaped character */
                continue;
            }
            pipes += *q == '|';
            dollars += *q == '$';
        }
        if (*line != '|') {
            table_cells = -1;
        } else if (table_cells < 0) {
            table_cells = pipes;
        } else if (pipes != table_cells) {
            fail_msg("row has %d cell borders, its table %d:\n%.*s", pipes, table_cells,
                     (int)(end - line), line);
        }
        if (dollars % 2)
            fail_msg("odd number of $ in:\n%.*s", (int)(end - line), line);
    }
    free(md);
    tg_tape_free(t);
}

/* ---- Errors ------------------------------------------------------------------------------ */

static void trace_reports_bad_arguments_and_write_errors(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    apple_orange a = build_apple_orange(t);
    FILE *f = tmpfile();
    assert_int_equal(tg_trace_backward(t, a.price, NULL, TG_TRACE_TEXT), TG_ERR_ARG);
    tg_tape_clear_error(t);
    assert_int_equal(tg_trace_backward(t, (tg_var){999}, f, TG_TRACE_TEXT), TG_ERR_BADVAR);
    tg_tape_clear_error(t);
    assert_int_equal(tg_trace_backward(t, a.price, f, (tg_trace_format)42), TG_ERR_ARG);
    tg_tape_clear_error(t);
    assert_int_equal(tg_trace_backward(NULL, a.price, f, TG_TRACE_TEXT), TG_ERR_ARG);
    assert_int_equal(tg_dot_export(t, (tg_var){999}, f), TG_ERR_BADVAR);
    assert_int_equal(tg_dot_export(t, a.price, NULL), TG_ERR_ARG);
    fclose(f);
    /* /dev/full accepts the open and fails every write */
    FILE *full = fopen("/dev/full", "w");
    if (full) {
        assert_int_equal(tg_trace_backward(t, a.price, full, TG_TRACE_TEXT), TG_ERR_IO);
        tg_tape_clear_error(t);
        assert_int_equal(tg_dot_export(t, a.price, full), TG_ERR_IO);
        fclose(full);
    }
    tg_tape_free(t);
}

/* ---- DOT --------------------------------------------------------------------------------- */

static void dot_has_boxes_forward_green_and_gradient_red(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    apple_orange a = build_apple_orange(t);
    assert_int_equal(tg_backward(t, a.price), TG_OK);
    char *dot = dot_string(t, a.price);
    assert_true(strncmp(dot, "digraph tapegrad {\n", 19) == 0);
    /* apple is node 0, apple_price node 5: forward edge, then the gradient 1.1 * 2 = 2.2 */
    assert_contains(dot, "  n0 -> n5 [color=\"#2e7d32\"];\n");
    assert_contains(dot, "  n0 -> n5 [dir=back, color=\"#c62828\", style=dashed, "
                         "fontcolor=\"#c62828\", label=\"2.2\"];\n");
    assert_contains(dot, "  n4 -> n8 [dir=back, color=\"#c62828\", style=dashed, "
                         "fontcolor=\"#c62828\", label=\"650\"];\n");
    assert_contains(dot, "<b>apple_price</b></td></tr><tr><td>apple*apple_num</td></tr>"
                         "<tr><td>value 200</td></tr><tr><td><font color=\"#c62828\">grad 1.1"
                         "</font>");
    assert_contains(dot, "value 715");
    size_t n_fwd = 0, n_bwd = 0;
    for (const char *p = dot; (p = strstr(p, " -> ")) != NULL; p++)
        strncmp(strchr(p, '['), "[dir=back", 9) == 0 ? n_bwd++ : n_fwd++;
    assert_int_equal(n_fwd, 8); /* four operations, two inputs each */
    assert_int_equal(n_bwd, 8);
    free(dot);
    tg_tape_free(t);
}

/* Names with every character DOT or HTML-like labels care about, and invalid UTF-8: the DOT
 * must still be valid (dot -Tsvg exits 0) and carry the names escaped. */
static void dot_is_valid_for_any_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "a \"quoted\" name",
        "back\\slash\\",
        "<b>html</b> & <i>",
        "new\nline\ttab",
        "}{][;,=->--",
        "\xff\xfe bad utf8",
        "caf\xc3\xa9 \xe2\x88\x82",
        "",
        "\"",
        "]>",
        "&amp;",
        "-- edge",
    };
    const size_t n = sizeof names / sizeof names[0];
    tg_tape *t = tg_tape_new();
    tg_var acc = tg_input(t, 0.5);
    tg_set_name(t, acc, names[0]);
    for (size_t i = 1; i < n; i++) {
        tg_var x = tg_input(t, (double)i);
        tg_set_name(t, x, names[i]);
        acc = tg_mul(t, tg_add(t, acc, x), tg_const(t, 0.5));
        tg_set_name(t, acc, names[n - 1 - i]);
    }
    assert_int_equal(tg_backward(t, acc), TG_OK);
    char *dot = dot_string(t, acc);
    assert_contains(dot, "a &quot;quoted&quot; name");
    assert_contains(dot, "&lt;b&gt;html&lt;/b&gt; &amp; &lt;i&gt;");
    assert_contains(dot, "new line tab");
    assert_contains(dot, "?? bad utf8");
    assert_null(strstr(dot, "<b>html"));
    if (!dot_path[0]) {
        free(dot);
        tg_tape_free(t);
        skip(); /* Graphviz not installed: the escaping is checked above */
    }
    char path[] = "/tmp/tapegrad-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(dot, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' -Tsvg '%s' -o /dev/null", dot_path, path);
    int rc = system(cmd);
    remove(path);
    assert_int_equal(rc, 0);
    free(dot);
    tg_tape_free(t);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        golden_dir = argv[1];
    if (argc > 2)
        dot_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apple_orange_text_trace_matches_golden),
        cmocka_unit_test(apple_orange_markdown_trace_matches_golden),
        cmocka_unit_test(apple_orange_trace_shows_the_seed_numbers),
        cmocka_unit_test(fanout_trace_writes_the_sum),
        cmocka_unit_test(trace_gradients_equal_backward),
        cmocka_unit_test(text_trace_fits_80_columns),
        cmocka_unit_test(labels_are_names_expressions_or_generated),
        cmocka_unit_test(placeholders_never_collide_with_names),
        cmocka_unit_test(text_trace_folds_to_the_width_and_cuts_nothing),
        cmocka_unit_test(nonfinite_numbers_print_as_nan_and_inf),
        cmocka_unit_test(markdown_stays_well_formed_for_any_names),
        cmocka_unit_test(trace_reports_bad_arguments_and_write_errors),
        cmocka_unit_test(dot_has_boxes_forward_green_and_gradient_red),
        cmocka_unit_test(dot_is_valid_for_any_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
