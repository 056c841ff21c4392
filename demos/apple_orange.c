/* apple_orange.c: the seed's multiply/add-layer example (002), forward and backward (printed step
 * by step by tg_trace_backward), with the document's numbers. Exits 1 if tapegrad disagrees
 * with them. Uses only the public header; the other seeds' examples are in seeds/. */
#include <math.h>
#include <stdio.h>

#include "tapegrad.h"

int main(void)
{
    tg_tape *t = tg_tape_new();
    if (!t)
        return 2;
    tg_var apple = tg_input(t, 100), apple_num = tg_input(t, 2);
    tg_var orange = tg_input(t, 150), orange_num = tg_input(t, 3), tax = tg_input(t, 1.1);
    tg_var apple_price = tg_mul(t, apple, apple_num);
    tg_var orange_price = tg_mul(t, orange, orange_num);
    tg_var all_price = tg_add(t, apple_price, orange_price);
    tg_var price = tg_mul(t, all_price, tax);
    /* names as in the document's Python, so that the trace reads like it */
    const struct {
        tg_var v;
        const char *name;
    } names[] = {{apple, "apple"},
                 {apple_num, "apple_num"},
                 {orange, "orange"},
                 {orange_num, "orange_num"},
                 {tax, "tax"},
                 {apple_price, "apple_price"},
                 {orange_price, "orange_price"},
                 {all_price, "all_price"},
                 {price, "price"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        tg_set_name(t, names[i].v, names[i].name);
    /* the backward pass, printed step by step (core/trace.c) */
    if (tg_trace_backward(t, price, stdout, TG_TRACE_TEXT) != TG_OK) {
        fprintf(stderr, "apple_orange: %s\n", tg_tape_errmsg(t));
        tg_tape_free(t);
        return 2;
    }
    /* name, node, the seed document's value */
    const struct {
        const char *label;
        double got, want;
    } rows[] = {
        {"price", tg_value(t, price), 715},
        {"d price/d apple", tg_grad(t, apple), 2.2},
        {"d price/d apple_num", tg_grad(t, apple_num), 110},
        {"d price/d orange", tg_grad(t, orange), 3.3},
        {"d price/d orange_num", tg_grad(t, orange_num), 165},
        {"d price/d tax", tg_grad(t, tax), 650},
        {"d price/d all_price", tg_grad(t, all_price), 1.1},
    };
    int bad = 0;
    /* The document prints 715.0000000000001, 110.00000000000001, 3.3000000000000003: the same
     * numbers up to the rounding of 1.1, hence a relative tolerance rather than equality. */
    printf("\n%-22s %20s %20s %10s\n", "", "tapegrad", "seed", "diff");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double diff = rows[i].got - rows[i].want;
        int ok = fabs(diff) <= 1e-12 * fabs(rows[i].want);
        printf("%-22s %20.15g %20.15g %10.2e %s\n", rows[i].label, rows[i].got, rows[i].want, diff,
               ok ? "ok" : "MISMATCH");
        bad |= !ok;
    }
    tg_tape_free(t);
    return bad;
}
