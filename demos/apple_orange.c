/* apple_orange.c: the seed's multiply/add-layer example (002), forward and backward, with the
 * document's numbers. Exits 1 if tapegrad disagrees with them. Uses only the public header. */
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
    if (tg_backward(t, price) != TG_OK) {
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
    printf("%-22s %12s %12s\n", "", "tapegrad", "seed");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int ok = fabs(rows[i].got - rows[i].want) <= 1e-9 * fabs(rows[i].want);
        printf("%-22s %12.6g %12.6g %s\n", rows[i].label, rows[i].got, rows[i].want,
               ok ? "ok" : "MISMATCH");
        bad |= !ok;
    }
    tg_tape_free(t);
    return bad;
}
