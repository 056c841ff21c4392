/* higher.c: the tapegrad command's --hessian and --jvp (core/tg_higher.h): reads the --jvp
 * direction and computes both after backward. Printing them is left to report.c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Reads the --jvp direction "NAME=V,NAME=V,..." over the inputs into dir (inputs not named
 * move by 0). Exit code 2 for an unknown or repeated name, a bad number or an empty item. */
static int parse_jvp(const options *o, double *dir)
{
    const char *s = o->jvp_arg;
    unsigned char *seen = calloc(o->n_inputs + 1, 1);
    if (!seen) {
        cli_error("out of memory");
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    while (rc == EXIT_OK) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        char *item = cli_copy_n(s, (size_t)(end - s));
        size_t k = 0;
        if (!item) {
            cli_error("out of memory");
            rc = EXIT_USAGE;
            break;
        }
        if (eq) {
            item[eq - s] = 0;
            while (k < o->n_inputs && strcmp(o->inputs[k].name, item) != 0)
                k++;
        }
        if (!eq)
            rc = cli_usage_error("--jvp: '%s' is not NAME=VALUE", item);
        else if (k == o->n_inputs)
            rc = cli_usage_error("--jvp: '%s' is not one of the inputs", item);
        else if (seen[k])
            rc = cli_usage_error("--jvp: '%s' is given twice", item);
        else if (!cli_parse_number(item + (eq - s) + 1, &dir[k]))
            rc = cli_usage_error("--jvp: the value of '%s' is not a finite decimal number", item);
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
int cli_compute_higher(options *o, tg_tape *t, tg_var out)
{
    const size_t n = o->n_inputs;
    tg_var *in = malloc((n + 1) * sizeof *in);
    double *dir = calloc(n + 1, sizeof *dir);
    int rc = in && dir ? EXIT_OK : EXIT_USAGE;
    if (rc != EXIT_OK)
        cli_error("out of memory");
    for (size_t i = 0; rc == EXIT_OK && i < n; i++)
        in[i] = o->inputs[i].v;
    if (rc == EXIT_OK && o->hessian) {
        o->hess = malloc((n * n + 1) * sizeof *o->hess);
        if (!o->hess || tg_hessian(t, out, n, in, TG_MODE_FORWARD, o->hess) != TG_OK) {
            cli_error("--hessian failed: %s", o->hess ? tg_tape_errmsg(t) : "out of memory");
            rc = EXIT_USAGE;
        }
    }
    if (rc == EXIT_OK && o->jvp_arg && (rc = parse_jvp(o, dir)) == EXIT_OK &&
        tg_jvp(t, 1, &out, n, in, dir, &o->jvp) != TG_OK) {
        cli_error("--jvp failed: %s", tg_tape_errmsg(t));
        rc = EXIT_USAGE;
    }
    free(in);
    free(dir);
    return rc;
}
