/* diagnose.c: what the tapegrad command says when a program goes wrong: the source line with a
 * caret, and the first operation whose value or backward step is not finite, named as the
 * program wrote it, with its inputs. Deciding when to call these is left to tapegrad.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Shows source line `line` of src with a caret under column col (both 1-based), cutting very
 * long lines to a window around the column. Tabs are kept so that the caret lines up. */
void cli_show_source(const char *src, size_t len, uint32_t line, uint32_t col)
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
    snprintf(buf, size, "%s", cli_fmt_short(tg_value(t, v), num, sizeof num));
    return buf;
}

/* "(x = -1, a = 0)": the values of v's inputs that are not constants. */
static void describe_inputs(const tg_tape *t, tg_var v, char *out, size_t size)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t k = 0; k < tg_n_args(t, v) && o + 1 < size; k++) {
        const tg_var in = tg_arg(t, v, k);
        if (tg_op_of(t, in) == TG_OP_CONST)
            continue;
        char b1[48], b2[32];
        const int w =
            snprintf(out + o, size - o, "%s%s = %s", o ? ", " : ", where ",
                     describe(t, in, b1, sizeof b1), cli_fmt_short(tg_value(t, in), b2, sizeof b2));
        if (w < 0)
            break;
        o += (size_t)w;
        if (o >= size)
            o = size - 1;
    }
}

/* Where an operation node came from, for an error line: "log(x) at 1:5". */
static int is_operand_end(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ')';
}

/* Where node v's own operator is in the source: for an infix operation ("1/x", "a*b/c") the
 * operator's line and column rather than the start of its left operand, so that the caret of
 * "1/x at x = 0" stands under the "/". The operator is found by scanning from the node's start
 * at its own nesting depth: it is the first operator of its precedence after the left operand,
 * which holds as many such operators as the node's left spine (same start, same precedence).
 * Other nodes: their origin. Returns 0 if v has no origin. */
static int op_position(const tg_tape *t, tg_var v, const char *src, size_t len, uint32_t *line,
                       uint32_t *col)
{
    tg_origin o;
    if (!tg_get_origin(t, v, &o))
        return 0;
    *line = o.line;
    *col = o.column;
    const tg_op_info *in = tg_op_info_of(tg_op_of(t, v));
    if (!src || !in || !in->symbol || in->n_args != 2 || tg_n_args(t, v) != 2)
        return 1;
    /* how many operators of this precedence the left operand holds */
    unsigned skip = 0;
    if (!in->right_assoc)
        for (tg_var l = tg_arg(t, v, 0);; l = tg_arg(t, l, 0)) {
            tg_origin lo;
            const tg_op_info *li = tg_op_info_of(tg_op_of(t, l));
            if (!li || !li->symbol || li->n_args != 2 || li->precedence != in->precedence ||
                !tg_get_origin(t, l, &lo) || lo.line != o.line || lo.column != o.column)
                break;
            skip++;
        }
    size_t at = 0;
    for (uint32_t l = 1; l < o.line && at < len; at++)
        if (src[at] == '\n')
            l++;
    at += o.column ? o.column - 1 : 0;
    uint32_t ln = o.line, cn = o.column;
    int depth = 0;
    char prev = 0; /* the last character that is not white space */
    for (; at < len; at++, cn++) {
        const char c = src[at];
        if (c == '\n') {
            if (depth == 0)
                break;
            ln++;
            cn = 0;
            continue;
        }
        if (c == '#')
            break;
        if (c == '(')
            depth++;
        else if (c == ')' && --depth < 0)
            break;
        else if (depth == 0 && (c == ';' || c == ','))
            break;
        if (depth == 0 && c != ' ' && c != '\t' && c != '\r') {
            int prec = 0;
            if ((c == '+' || c == '-') && is_operand_end(prev))
                prec = TG_PREC_ADD;
            else if (c == '*' && at + 1 < len && src[at + 1] == '*')
                prec = TG_PREC_POW;
            else if (c == '*' || c == '/')
                prec = TG_PREC_MUL;
            else if (c == '^')
                prec = TG_PREC_POW;
            if (prec == in->precedence) {
                if (skip == 0) {
                    *line = ln;
                    *col = cn;
                    return 1;
                }
                skip--;
            } else if (prec && prec < in->precedence) {
                break; /* past the end of this node */
            }
            if (c == '*' && at + 1 < len && src[at + 1] == '*')
                at++, cn++;
        }
        if (c != ' ' && c != '\t' && c != '\r')
            prev = c;
    }
    return 1;
}

/* Where an operation node came from, for an error line: "log(x) at 1:5". */
static const char *describe_op(const tg_tape *t, tg_var v, const char *src, size_t len, char *buf,
                               size_t size)
{
    tg_origin o;
    uint32_t line, col;
    if (tg_get_origin(t, v, &o) && op_position(t, v, src, len, &line, &col))
        snprintf(buf, size, "%s at %u:%u", o.text ? o.text : tg_op_name(tg_op_of(t, v)),
                 (unsigned)line, (unsigned)col);
    else
        snprintf(buf, size, "%s", tg_op_name(tg_op_of(t, v)));
    return buf;
}

static const char *fmt_nonfinite(double v)
{
    return isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

/* The first operation in tape order, among those out depends on, whose value is not finite.
 * Reports it and returns 1; 0 if every value is finite. */
int cli_report_nonfinite_value(const tg_tape *t, tg_var out, const unsigned char *cone,
                               const char *src, size_t len)
{
    for (uint32_t i = 0; i <= out.id; i++) {
        const tg_var v = {i};
        if (!cone[i] || isfinite(tg_value(t, v)))
            continue;
        char where[160], ins[256];
        describe_inputs(t, v, ins, sizeof ins);
        cli_error("%s gives %s (not a finite number)%s",
                  describe_op(t, v, src, len, where, sizeof where), fmt_nonfinite(tg_value(t, v)),
                  ins);
        uint32_t line, col;
        if (op_position(t, v, src, len, &line, &col))
            cli_show_source(src, len, line, col);
        return 1;
    }
    return 0;
}

/* After a backward whose input gradients are not all finite: finds the backward step that first
 * (in sweep order, from out down) sent a non-finite contribution toward such an input, and
 * reports it with upstream gradient and local derivative. */
void cli_report_nonfinite_grad(const tg_tape *t, tg_var out, const unsigned char *cone,
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
            for (size_t k = 0; k < tg_n_args(t, v) && !dep[i]; k++)
                dep[i] = dep[tg_arg(t, v, k).id];
        }
        for (uint32_t i = out.id + 1; i-- > 0;) {
            const tg_var v = {i};
            if (!cone[i] || !dep[i])
                continue;
            const double g = tg_grad(t, v);
            for (size_t k = 0; k < tg_n_args(t, v); k++) {
                const tg_var in = tg_arg(t, v, k);
                const double local = tg_local_grad(t, v, k);
                if (!dep[in.id] || isfinite(tg_backward_step(t, v, k, g)))
                    continue;
                char where[160], b1[48], b2[32], b3[32], ins[256];
                describe_inputs(t, v, ins, sizeof ins);
                tg_origin org;
                const int has_origin = tg_get_origin(t, v, &org);
                cli_error(
                    "the gradient with respect to %s is %s: the backward step of %s multiplies "
                    "the upstream gradient %s by the local derivative d/d(%s) = %s%s",
                    o->inputs[bad].name, fmt_nonfinite(tg_grad(t, o->inputs[bad].v)),
                    describe_op(t, v, src, len, where, sizeof where),
                    cli_fmt_short(g, b2, sizeof b2), describe(t, in, b1, sizeof b1),
                    cli_fmt_short(local, b3, sizeof b3), ins);
                uint32_t line, col;
                if (has_origin && op_position(t, v, src, len, &line, &col))
                    cli_show_source(src, len, line, col);
                free(dep);
                return;
            }
        }
        free(dep);
    }
    cli_error("the gradient with respect to %s is %s (a sum of finite contributions overflowed)",
              o->inputs[bad].name, fmt_nonfinite(tg_grad(t, o->inputs[bad].v)));
}
