/* stepper_page.c: writes the stepping page (cli/show, tgi_show_html) of a program file for the
 * browser test of its sizes (html_sizes.js), whatever `tapegrad --html` writes in this build
 * (with the wasm engine built, the live page of cli/play instead):
 *   stepper_page OUT.html PROGRAM.tg NAME=VALUE...
 * Exits 2 on any failure, with the reason. Uses the public headers and show.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT.html PROGRAM.tg [NAME=VALUE ...]\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[2], "rb");
    if (!in) {
        fprintf(stderr, "stepper_page: cannot read %s\n", argv[2]);
        return 2;
    }
    static char src[1 << 20];
    const size_t len = fread(src, 1, sizeof src - 1, in);
    fclose(in);
    tg_tape *t = tg_tape_new();
    tg_parser *p = t ? tg_parser_new(t) : NULL;
    int rc = p ? 0 : 2;
    for (int i = 3; rc == 0 && i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            rc = 2;
            break;
        }
        *eq = '\0';
        tg_var v = tg_input(t, strtod(eq + 1, NULL));
        tg_set_name(t, v, argv[i]);
        if (tg_parser_define(p, argv[i], v) != TG_OK)
            rc = 2;
    }
    tg_var out;
    if (rc == 0 && tg_parser_run(p, src, len, &out) != TG_OK) {
        fprintf(stderr, "stepper_page: %s\n", tg_parser_error(p)->message);
        rc = 2;
    }
    FILE *f = rc == 0 ? fopen(argv[1], "w") : NULL;
    if (rc == 0 && (!f || tgi_show_html(t, out, f, NULL) != TG_OK)) {
        fprintf(stderr, "stepper_page: cannot write %s\n", argv[1]);
        rc = 2;
    }
    if (f && fclose(f) != 0)
        rc = 2;
    tg_parser_free(p);
    tg_tape_free(t);
    return rc;
}
