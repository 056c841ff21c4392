/* test_program_property.c: random programs of the expression language. Each random graph of
 * graphgen.h (whose gradients test_property.c checks against finite differences) is written
 * as a program, parsed and recorded by the parser (lang/parse.c), and must give the same value
 * and the same input gradients (to rounding); a failure prints the seed and the program. With
 * test_property.c's finite differences on the C graphs, the programs' gradients are checked.
 * Also: anomaly detection names a program's source position. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "graphgen.h"

#define N_PROGRAMS 2000

/* Equal as numbers (a sum node starts from +0, so a -0 may come out +0 in one of the two). */
static int same_number(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* Gradients agree to rounding: a program writes sum and dot as chains of binary nodes, whose
 * contributions reach an input in another order than the n-ary node's loop. */
static int close_number(double a, double b)
{
    return same_number(a, b) || fabs(a - b) <= 1e-9 * (1.0 + fabs(a));
}

/* The ops a program can spell today: functions the parser knows, and the arithmetic
 * operators (the comparisons wait for the language's v2, issue 12). */
static int parser_can_write(tg_op op)
{
    const tg_op_info *info = tg_op_info_of(op);
    if (!gg_writable(op))
        return 0;
    if (info->name)
        return tg_parse_is_function(info->name);
    return info->precedence >= TG_PREC_ADD;
}

static void random_programs_match_c_built_graphs(void **state)
{
    (void)state;
    static char prog[64 * GG_MAX_NODES * GG_MAX_ARGS];
    tg_tape *scratch = tg_tape_new(), *tc = tg_tape_new(), *tp = tg_tape_new();
    gg_graph g;
    tg_var node[GG_MAX_NODES], in[4];
    long n_checked = 0;
    for (uint64_t seed = 1; seed <= N_PROGRAMS; seed++) {
        gg_generate_some(&g, seed, 1 + (int)(seed % 40), scratch, parser_can_write);
        const size_t len = gg_program(&g, prog, sizeof prog);
        assert_true(len > 0);

        tg_tape_clear(tc);
        const tg_var out_c = gg_build(tc, &g, node);
        assert_int_equal(tg_backward(tc, out_c), TG_OK);

        tg_tape_clear(tp);
        tg_parser *p = tg_parser_new(tp);
        assert_non_null(p);
        char name[16];
        for (int i = 0; i < g.n_inputs; i++) {
            snprintf(name, sizeof name, "n%d", i);
            in[i] = tg_input(tp, g.step[i].c);
            assert_int_equal(tg_parser_define(p, name, in[i]), TG_OK);
        }
        tg_var out_p;
        if (tg_parser_run(p, prog, len, &out_p) != TG_OK) {
            const tg_parse_error *e = tg_parser_error(p);
            fprintf(stderr, "seed %llu: %u:%u: %s\nprogram:\n%s", (unsigned long long)seed,
                    (unsigned)e->line, (unsigned)e->column, e->message, prog);
            fail();
        }
        assert_int_equal(tg_backward(tp, out_p), TG_OK);
        int ok = same_number(tg_value(tc, out_c), tg_value(tp, out_p));
        for (int i = 0; ok && i < g.n_inputs; i++)
            ok = close_number(tg_grad(tc, node[i]), tg_grad(tp, in[i]));
        if (!ok) {
            fprintf(stderr, "seed %llu: the program and the C graph differ\nprogram:\n%s",
                    (unsigned long long)seed, prog);
            fprintf(stderr, "value %.17g vs %.17g\n", tg_value(tc, out_c), tg_value(tp, out_p));
            for (int i = 0; i < g.n_inputs; i++)
                fprintf(stderr, "d/dn%d %.17g vs %.17g\n", i, tg_grad(tc, node[i]),
                        tg_grad(tp, in[i]));
            fail();
        }
        tg_parser_free(p);
        n_checked++;
    }
    print_message("%ld programs equal to their C graphs\n", n_checked);
    assert_int_equal(n_checked, N_PROGRAMS);
    tg_tape_free(scratch);
    tg_tape_free(tc);
    tg_tape_free(tp);
}

/* Anomaly detection on a parsed program: the message gives the source position and text of
 * the operation that first made a NaN or infinity, while recording (log(0) = -inf) and in
 * backward (sqrt at 0: d/dx = inf), because the parser records origins. */
static void anomaly_message_points_into_the_program(void **state)
{
    (void)state;
    static const struct {
        const char *program;
        int in_backward;
        const char *where;
    } cases[] = {
        {"a = x * 2\nb = log(x) + a\nb", 0, "at 2:5 \"log(x)\""},
        {"a = x * 2\nb = sqrt(x) * 3\nb + a", 1, "at 2:5 \"sqrt(x)\""},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tg_tape *t = tg_tape_new();
        tg_parser *p = tg_parser_new(t);
        tg_var x = tg_input(t, 0.0), out;
        assert_int_equal(tg_parser_define(p, "x", x), TG_OK);
        tg_tape_set_anomaly(t, 1);
        const tg_status s = tg_parser_run(p, cases[c].program, strlen(cases[c].program), &out);
        if (cases[c].in_backward) {
            assert_int_equal(s, TG_OK);
            assert_int_equal(tg_backward(t, out), TG_ERR_NONFINITE);
        } else {
            assert_int_not_equal(s, TG_OK);
            assert_int_equal(tg_tape_status(t), TG_ERR_NONFINITE);
        }
        const char *msg = tg_tape_errmsg(t);
        if (!strstr(msg, cases[c].where))
            fail_msg("\"%s\" does not contain \"%s\"", msg, cases[c].where);
        tg_parser_free(p);
        tg_tape_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_programs_match_c_built_graphs),
        cmocka_unit_test(anomaly_message_points_into_the_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
