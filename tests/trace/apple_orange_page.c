/* apple_orange_page.c: writes the HTML stepper of the seed's apple/orange example (002) to the
 * file named by argv[1], for the browser test (html_browser.js). Exits 2 on failure. */
#include <stdio.h>

#include "show.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.html\n", argv[0]);
        return 2;
    }
    tg_tape *t = tg_tape_new();
    if (!t)
        return 2;
    /* apple 100 x 2, orange 150 x 3, tax 1.1, as in the seed's MulLayer/AddLayer code */
    static const char *const in_names[] = {"apple", "apple_num", "orange", "orange_num", "tax"};
    static const double in_values[] = {100, 2, 150, 3, 1.1};
    tg_var in[5];
    for (int i = 0; i < 5; i++) {
        in[i] = tg_input(t, in_values[i]);
        tg_set_name(t, in[i], in_names[i]);
    }
    tg_var apple_price = tg_mul(t, in[0], in[1]);
    tg_var orange_price = tg_mul(t, in[2], in[3]);
    tg_var all_price = tg_add(t, apple_price, orange_price);
    tg_var price = tg_mul(t, all_price, in[4]);
    tg_set_name(t, apple_price, "apple_price");
    tg_set_name(t, orange_price, "orange_price");
    tg_set_name(t, all_price, "all_price");
    tg_set_name(t, price, "price");
    FILE *f = fopen(argv[1], "w");
    tg_status s = f ? tgi_show_html(t, price, f, NULL) : TG_ERR_IO;
    if (f && fclose(f) != 0 && s == TG_OK)
        s = TG_ERR_IO;
    if (s != TG_OK)
        fprintf(stderr, "%s: cannot write %s: %s\n", argv[0], argv[1], tg_strerror(s));
    tg_tape_free(t);
    return s == TG_OK ? 0 : 2;
}
