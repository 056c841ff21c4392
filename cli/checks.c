/* checks.c: the tapegrad command's --check (every gradient against a central finite difference,
 * core/gradcheck.c) and --expect (a hand-derived formula against the engine, at the given point
 * and at nearby seeded ones, with a finite difference to tell which is wrong): evaluating,
 * comparing and printing their tables, with what a kink's one-sided differences say and by how
 * much a wrong formula is off. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- Kinks ------------------------------------------------------------------------------- */

/* Does x agree with the slope s within tol (relative to max(1, |s|))? */
static int agrees(double x, double s, double tol)
{
    return isfinite(x) && isfinite(s) && fabs(x - s) <= tol * fmax(1.0, fabs(s));
}

/* At a kink, which one-sided difference the derivative d agrees with, as a phrase: "the left
 * one", "the right one", "their mean" (the central difference), or NULL. */
static const char *kink_side(const tg_gradcheck_result *r, double d, double tol)
{
    if (agrees(d, r->left, tol))
        return "the left one";
    if (agrees(d, r->right, tol))
        return "the right one";
    if (agrees(d, 0.5 * (r->left + r->right), tol))
        return "their mean";
    return NULL;
}

/* "kink at x = 0: one-sided differences 0 (left) and 1 (right); the engine's 0 is the left one
 * (the conventions: relu'(0) = 0, abs'(0) = 0, min and max split a tie)". */
static void print_kink(FILE *f, const char *indent, const char *who, const char *at,
                       const tg_gradcheck_result *r, double d, double tol)
{
    char b1[32], b2[32], b3[32];
    const char *side = kink_side(r, d, tol);
    fprintf(f, "%skink at %s: one-sided differences %s (left) and %s (right);\n", indent, at,
            cli_fmt_text(r->left, b1, sizeof b1), cli_fmt_text(r->right, b2, sizeof b2));
    if (side)
        fprintf(f,
                "%s  %s %s is %s, as the conventions say\n"
                "%s  (relu'(0) = 0, abs'(0) = 0, min and max give half to each side at a tie)\n",
                indent, who, cli_fmt_text(d, b3, sizeof b3), side, indent);
    else
        fprintf(f, "%s  %s %s is neither of them nor their mean\n", indent, who,
                cli_fmt_text(d, b3, sizeof b3));
}

/* ---- --check ----------------------------------------------------------------------------- */

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

void cli_print_check(FILE *f, const options *o, const tg_gradcheck_result *res)
{
    /* every column as wide as its widest cell: 17-digit numbers fit */
    int w = 5, we = 6, wn = 11;
    char b1[32], b2[32];
    for (size_t i = 0; i < o->n_inputs; i++) {
        w = max_int(w, (int)strlen(o->inputs[i].name));
        we = max_int(we, (int)strlen(cli_fmt_text(res[i].expected, b1, sizeof b1)));
        wn = max_int(wn, (int)strlen(cli_fmt_text(res[i].numeric, b2, sizeof b2)));
    }
    fprintf(f, "\ncheck: central finite differences, tol %g\n", o->tol);
    fprintf(f, "%-*s  %*s  %*s  %8s  %8s\n", w, "input", we, "engine", wn, "finite diff", "abs err",
            "rel err");
    for (size_t i = 0; i < o->n_inputs; i++)
        fprintf(f, "%-*s  %*s  %*s  %8.1e  %8.1e  %s\n", w, o->inputs[i].name, we,
                cli_fmt_text(res[i].expected, b1, sizeof b1), wn,
                cli_fmt_text(res[i].numeric, b2, sizeof b2), res[i].abs_err, res[i].rel_err,
                res[i].ok && res[i].at_kink ? "ok (kink)"
                : res[i].ok                 ? "ok"
                : res[i].at_kink            ? "MISMATCH (kink)"
                                            : "MISMATCH");
    for (size_t i = 0; i < o->n_inputs; i++) {
        if (!res[i].at_kink)
            continue;
        char at[160];
        snprintf(at, sizeof at, "%s = %s", o->inputs[i].name,
                 cli_fmt_short(o->inputs[i].value, b1, sizeof b1));
        print_kink(f, "", "the engine's", at, &res[i], res[i].expected, o->tol);
        if (!res[i].ok)
            fprintf(f, "  (no central difference confirms a derivative at a kink: the check "
                       "fails there)\n");
    }
}

/* ---- --expect ---------------------------------------------------------------------------- */

/* "x = 1.037": input k at point p (the other inputs stay at their given values). */
static const char *point_text(const options *o, int p, size_t k, char *buf, size_t cap)
{
    char num[32];
    snprintf(buf, cap, "%s = %s", o->inputs[k].name,
             cli_fmt_short(o->points[(size_t)p * o->n_inputs + k], num, sizeof num));
    return buf;
}

/* What is wrong with a formula that disagrees: a constant factor, a sign, a constant offset,
 * or by how much at the given point. Only checked points count. */
static void print_off_by(FILE *f, const expect_arg *e, double tol)
{
    char b1[32], b2[32];
    int n = 0, ratio_const = 1, diff_const = 1;
    double ratio = NAN, diff = NAN;
    for (int p = 0; p < CLI_N_POINTS; p++) {
        const expect_point *q = &e->pt[p];
        if (!q->checked || !isfinite(q->formula))
            continue;
        const double r = q->engine != 0.0 ? q->formula / q->engine : NAN;
        const double d = q->formula - q->engine;
        if (n == 0) {
            ratio = r;
            diff = d;
        } else {
            ratio_const &= isfinite(r) && fabs(r - ratio) <= tol * fmax(1.0, fabs(ratio));
            diff_const &= fabs(d - diff) <= tol * fmax(1.0, fabs(diff));
        }
        n++;
    }
    if (n == 0) {
        fprintf(f, "  the formula is not a finite number at any point checked\n");
        return;
    }
    if (n >= 2 && ratio_const && isfinite(ratio) && fabs(ratio + 1.0) <= tol)
        fprintf(f, "  the formula has the wrong sign: -1 times the engine's gradient at every "
                   "point\n");
    else if (n >= 2 && ratio_const && isfinite(ratio) && ratio != 0.0)
        fprintf(f,
                "  the formula is off by a constant factor: %s times the engine's gradient\n"
                "  at every point\n",
                cli_fmt_short(ratio, b1, sizeof b1));
    else if (n >= 2 && diff_const)
        fprintf(f, "  the formula is off by a constant: engine + (%s) at every point\n",
                cli_fmt_short(diff, b1, sizeof b1));
    else {
        const expect_point *q = &e->pt[0];
        if (q->checked && !q->ok)
            fprintf(f, "  at the given point the formula is off by %s%s%s%s\n",
                    cli_fmt_text(q->formula - q->engine, b1, sizeof b1),
                    q->engine != 0.0 ? " (" : "",
                    q->engine != 0.0 ? cli_fmt_text(q->formula / q->engine, b2, sizeof b2) : "",
                    q->engine != 0.0 ? " times the engine's)" : "");
        else
            fprintf(f, "  it agrees at the given point, but not at every point near it\n");
    }
}

void cli_print_expects(FILE *f, const options *o)
{
    for (size_t i = 0; i < o->n_expects; i++) {
        const expect_arg *e = &o->expects[i];
        char b[4][32], at[CLI_N_POINTS][256];
        int wp = 5, we = 6, wf = 7, wn = 11, n_checked = 0, n_bad = 0;
        for (int p = 0; p < CLI_N_POINTS; p++) {
            const expect_point *q = &e->pt[p];
            wp = max_int(wp, (int)strlen(point_text(o, p, e->index, at[p], sizeof at[p])));
            we = max_int(we, (int)strlen(cli_fmt_text(q->engine, b[0], sizeof b[0])));
            wf = max_int(wf, (int)strlen(cli_fmt_text(q->formula, b[1], sizeof b[1])));
            wn = max_int(wn, (int)strlen(cli_fmt_text(q->fd.numeric, b[2], sizeof b[2])));
            n_checked += q->checked;
            n_bad += q->checked && !q->ok;
        }
        const int legend = wp > 40; /* many inputs: the points are listed below the table */
        if (legend)
            wp = 8;
        fprintf(f, "\nexpect d/d%s = %s   (at the given %s and %d nearby values, tol %g)\n",
                e->name, e->formula, e->name, CLI_N_POINTS - 1, o->tol);
        fprintf(f, "  %-*s  %*s  %*s  %*s\n", wp, "point", we, "engine", wf, "formula", wn,
                "finite diff");
        for (int p = 0; p < CLI_N_POINTS; p++) {
            const expect_point *q = &e->pt[p];
            char name[16];
            snprintf(name, sizeof name, p ? "nearby %d" : "given", p);
            if (!q->checked) {
                fprintf(f, "  %-*s  skipped: %s\n", wp, legend ? name : at[p],
                        q->skipped == SKIP_KINK
                            ? "across a kink (relu, abs, min, max, a comparison or where changes "
                              "side)"
                            : "the program's value or gradient is not finite there");
                continue;
            }
            fprintf(f, "  %-*s  %*s  %*s  %*s  %s\n", wp, legend ? name : at[p], we,
                    cli_fmt_text(q->engine, b[0], sizeof b[0]), wf,
                    cli_fmt_text(q->formula, b[1], sizeof b[1]), wn,
                    cli_fmt_text(q->fd.numeric, b[2], sizeof b[2]),
                    q->ok ? (q->fd.at_kink ? "ok (kink)" : "ok")
                          : (q->fd.at_kink ? "MISMATCH (kink)" : "MISMATCH"));
        }
        for (int p = 0; legend && p < CLI_N_POINTS; p++) {
            if (p)
                fprintf(f, "  nearby %d: %s\n", p, at[p]);
            else
                fprintf(f, "  given: %s\n", at[p]);
        }
        for (int p = 0; p < CLI_N_POINTS; p++) {
            const expect_point *q = &e->pt[p];
            if (q->checked && q->fd.at_kink) {
                print_kink(f, "  ", q->ok ? "the formula's and the engine's" : "the engine's",
                           at[p], &q->fd, q->engine, o->tol);
                const char *side = q->ok ? NULL : kink_side(&q->fd, q->formula, o->tol);
                if (side)
                    fprintf(f, "    the formula's %s is %s: another convention\n",
                            cli_fmt_text(q->formula, b[3], sizeof b[3]), side);
            }
        }
        if (e->ok) {
            fprintf(f, "  ok: the formula agrees with the engine at %d of %d points", n_checked,
                    CLI_N_POINTS);
            fprintf(f, n_checked < CLI_N_POINTS ? " (the others are skipped)\n" : "\n");
            continue;
        }
        int fd_engine = 0, fd_formula = 0;
        for (int p = 0; p < CLI_N_POINTS; p++) {
            const expect_point *q = &e->pt[p];
            if (!q->checked || q->ok || q->fd.at_kink)
                continue;
            fd_engine += agrees(q->engine, q->fd.numeric, 1e-4);
            fd_formula += agrees(q->formula, q->fd.numeric, 1e-4);
        }
        fprintf(f, "  MISMATCH at %d of %d points%s\n", n_bad, n_checked,
                fd_engine && !fd_formula   ? ": the finite difference agrees with the engine,\n"
                                             "  so the formula is wrong there"
                : fd_formula && !fd_engine ? ": the finite difference agrees with the formula,\n"
                                             "  not with the engine"
                                           : "");
        print_off_by(f, e, o->tol);
    }
}

/* Records each --expect formula on the tape and reads its value. A formula is parsed by a copy
 * of the program's parser (lang/tg_lang.h: tg_parser_copy), so it reads the inputs, every name
 * the program assigns (as bound at its end) and the program's functions. Exit code 2 for a bad
 * NAME or a formula that does not parse. */
int cli_eval_expects(options *o, tg_tape *t, const tg_parser *program)
{
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        size_t k = 0;
        while (k < o->n_inputs && strcmp(o->inputs[k].name, e->name) != 0)
            k++;
        if (k == o->n_inputs) {
            cli_error("--expect '%s': '%s' is not one of the inputs", e->arg, e->name);
            return EXIT_USAGE;
        }
        e->index = k;
        tg_parser *p = tg_parser_copy(program);
        if (!p) {
            cli_error("out of memory");
            return EXIT_USAGE;
        }
        tg_var f;
        const tg_status s = tg_parser_run(p, e->formula, strlen(e->formula), &f);
        if (s != TG_OK) {
            const tg_parse_error *pe = tg_parser_error(p);
            cli_error("--expect %s: %u:%u: %s", e->name, (unsigned)pe->line, (unsigned)pe->column,
                      pe->message);
            cli_show_source(e->formula, strlen(e->formula), pe->line, pe->column);
            tg_parser_free(p);
            return EXIT_USAGE;
        }
        tg_parser_free(p);
        e->node = f;
        e->value = tg_value(t, f);
    }
    return EXIT_OK;
}
/* The points --expect checks at: the given one, and CLI_N_POINTS - 1 nearby ones where the
 * input the formula is the derivative for moves by 1% to 5% of its value (0.01 to 0.05 at 0) in
 * a seeded direction, rounded to 4 significant digits so that a student can redo the
 * arithmetic; the other inputs keep their values (a formula may rely on them: the one-hot
 * target of softmax's dL/da = y - t). Always the same points. */
static int make_points(options *o)
{
    const size_t n = o->n_inputs;
    o->points = malloc((CLI_N_POINTS * n + 1) * sizeof *o->points);
    if (!o->points)
        return 0;
    uint64_t seed = 0x7461706567726164u; /* "tapegrad" */
    for (int p = 0; p < CLI_N_POINTS; p++)
        for (size_t i = 0; i < n; i++) {
            const double x = o->inputs[i].value;
            double *at = &o->points[(size_t)p * n + i];
            if (p == 0) {
                *at = x;
                continue;
            }
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            const double u = (double)(seed >> 11) / 9007199254740992.0; /* [0, 1) */
            /* |step| between 1% and 5%, both signs */
            const double step = (u < 0.5 ? -1.0 : 1.0) * (0.01 + 0.08 * fabs(u - 0.5));
            const double moved = x != 0.0 ? x * (1.0 + step) : step;
            char buf[32];
            snprintf(buf, sizeof buf, "%.4g", moved);
            const double rounded = strtod(buf, NULL);
            *at = rounded != x ? rounded : moved;
        }
    return 1;
}

/* Which smooth piece of the program the current values are in: for every node out depends on,
 * the piece its op's row says its arguments select (tg_piece: the side of relu's, abs's or
 * min's kink, a comparison's outcome, where's branch; 0 for smooth ops). Two points with the same
 * pieces have no kink between them along the way that matters for a formula (the conventions at a
 * kink, relu'(0) = 0, hold only at the kink). piece[] has out.id + 1 entries. */
static void pieces_of(const tg_tape *t, tg_var out, const unsigned char *cone, signed char *piece)
{
    for (uint32_t i = 0; i <= out.id; i++)
        piece[i] = cone[i] ? (signed char)tg_piece(t, (tg_var){i}) : 0;
}

/* Sets input k to its value at point p (p = 0: every input to its given value) and recomputes
 * everything: values (the formulas' too, which are on the tape) and gradients. 1 if out and
 * every input's gradient are finite there. */
static int move_to(const options *o, tg_tape *t, tg_var out, int p, size_t k)
{
    for (size_t i = 0; i < o->n_inputs; i++)
        if (p == 0 || i == k)
            tg_set_value(t, o->inputs[i].v, o->points[(size_t)p * o->n_inputs + i]);
    tg_tape_replay(t);
    if (tg_backward(t, out) != TG_OK || !isfinite(tg_value(t, out)))
        return 0;
    for (size_t i = 0; i < o->n_inputs; i++)
        if (!isfinite(tg_grad(t, o->inputs[i].v)))
            return 0;
    return 1;
}

/* Checks expect e at point p of the current values (the tape has been moved there). */
static void check_point(const options *o, tg_tape *t, tg_var out, expect_arg *e, int p, int skipped)
{
    expect_point *q = &e->pt[p];
    q->checked = !skipped;
    q->skipped = skipped;
    if (skipped)
        return;
    const tg_var x = o->inputs[e->index].v;
    q->engine = tg_grad(t, x);
    q->formula = tg_value(t, e->node);
    tg_gradcheck(t, out, x, q->formula, o->tol, &q->fd);
    q->ok = agrees(q->formula, q->engine, o->tol);
}

/* Finite differences replay the tape; gradients and (after restoring) values stay. */
int cli_run_checks(options *o, tg_tape *t, tg_var out, tg_gradcheck_result *res)
{
    int all_ok = 1;
    if (o->check)
        for (size_t i = 0; i < o->n_inputs; i++) {
            tg_gradcheck(t, out, o->inputs[i].v, tg_grad(t, o->inputs[i].v), o->tol, &res[i]);
            all_ok &= res[i].ok;
        }
    if (o->n_expects == 0)
        return all_ok;
    if (!make_points(o)) {
        cli_error("out of memory");
        return 0;
    }
    unsigned char *cone = calloc((size_t)out.id + 1, 1);
    signed char *given = malloc((size_t)out.id + 1), *here = malloc((size_t)out.id + 1);
    if (!cone || !given || !here) {
        free(cone);
        free(given);
        free(here);
        cli_error("out of memory");
        return 0;
    }
    tg_cone(t, out, TG_CONE_ALL, cone);
    pieces_of(t, out, cone, given);
    for (size_t i = 0; i < o->n_expects; i++)
        check_point(o, t, out, &o->expects[i], 0, SKIP_NONE);
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        for (int p = 1; p < CLI_N_POINTS; p++) {
            int skipped = move_to(o, t, out, p, e->index) ? SKIP_NONE : SKIP_NONFINITE;
            if (!skipped) {
                pieces_of(t, out, cone, here);
                if (memcmp(given, here, (size_t)out.id + 1) != 0)
                    skipped = SKIP_KINK;
            }
            check_point(o, t, out, e, p, skipped);
        }
        tg_set_value(t, o->inputs[e->index].v, o->inputs[e->index].value);
    }
    free(cone);
    free(given);
    free(here);
    if (!move_to(o, t, out, 0, 0)) /* back to the given point, where everything was finite */
        cli_error("internal: the given point is no longer finite");
    for (size_t i = 0; i < o->n_expects; i++) {
        expect_arg *e = &o->expects[i];
        e->ok = 1;
        for (int p = 0; p < CLI_N_POINTS; p++)
            e->ok &= !e->pt[p].checked || e->pt[p].ok;
        e->value = e->pt[0].formula;
        e->numeric = e->pt[0].fd.numeric;
        e->check = e->pt[0].fd;
        e->check.expected = e->pt[0].engine;
        all_ok &= e->ok;
    }
    return all_ok;
}
