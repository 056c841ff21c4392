/* sweep_programs.c: tg_backward's two sweeps (the cone's and the one over every node, see
 * core/backward.c) compared bit for bit on programs of the language: the conformance suite's
 * contract cases and seeded random programs, which sweep_programs.py writes to this program's
 * standard input. For each program: record it with its inputs, take a first backward (a
 * tape's first is the cone's sweep) and a second (the sweep of every node, when under a
 * quarter of the nodes below the output lie outside its cone and no gradient is NaN, which
 * this program works out itself with tg_cone), and compare every gradient below the output:
 * the same bits, or NaN in both. Fails if any differs, or if too few programs took the sweep
 * of every node for the comparison to mean anything.
 *
 * Input, per program: a line with the number of inputs; that many lines "name value"; a line
 * with the program's length in bytes; the program's bytes and a newline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

static int read_case(FILE *f, char names[8][64], double values[8], int *n_inputs, char **src,
                     size_t *len)
{
    if (fscanf(f, "%d", n_inputs) != 1)
        return 0;
    if (*n_inputs < 0 || *n_inputs > 8)
        return -1;
    for (int k = 0; k < *n_inputs; k++) {
        char text[128];
        if (fscanf(f, "%63s %127s", names[k], text) != 2)
            return -1;
        values[k] = strtod(text, NULL);
    }
    if (fscanf(f, "%zu", len) != 1 || fgetc(f) != '\n')
        return -1;
    *src = malloc(*len + 1);
    if (!*src || fread(*src, 1, *len, f) != *len) {
        free(*src);
        return -1;
    }
    (*src)[*len] = '\0';
    return 1;
}

int main(void)
{
    char names[8][64];
    double values[8];
    int n_inputs, r;
    char *src;
    size_t len, programs = 0, recorded = 0, every_node = 0, gradients = 0, mismatches = 0;
    while ((r = read_case(stdin, names, values, &n_inputs, &src, &len)) == 1) {
        programs++;
        tg_tape *t = tg_tape_new();
        tg_parser *p = tg_parser_new(t);
        tg_var out;
        int ok = t && p;
        for (int k = 0; ok && k < n_inputs; k++)
            ok = tg_parser_define(p, names[k], tg_input(t, values[k])) == TG_OK;
        if (ok && tg_parser_run(p, src, len, &out) == TG_OK && tg_var_ok(out)) {
            recorded++;
            const size_t n = (size_t)out.id + 1;
            double *first = malloc(n * sizeof *first);
            unsigned char *cone = malloc(n);
            if (!first || !cone || tg_cone(t, out, 0, cone) != TG_OK ||
                tg_backward(t, out) != TG_OK) {
                fprintf(stderr, "sweep_programs: setup failed on program %zu\n", programs);
                return 1;
            }
            size_t outside = 0;
            int nan = 0;
            for (size_t i = 0; i < n; i++) {
                first[i] = tg_grad(t, (tg_var){(uint32_t)i});
                outside += !cone[i];
                nan |= isnan(first[i]) != 0;
            }
            every_node += outside <= n / 4 && !nan;
            if (tg_backward(t, out) != TG_OK)
                return 1;
            for (size_t i = 0; i < n; i++, gradients++) {
                const double second = tg_grad(t, (tg_var){(uint32_t)i});
                const int same = (isnan(first[i]) && isnan(second)) ||
                                 memcmp(&first[i], &second, sizeof second) == 0;
                if (!same && mismatches++ < 10)
                    fprintf(stderr, "MISMATCH program %zu node %zu: %.17g then %.17g\n%s\n",
                            programs, i, first[i], second, src);
            }
            free(first);
            free(cone);
        }
        tg_parser_free(p);
        tg_tape_free(t);
        free(src);
    }
    if (r < 0) {
        fprintf(stderr, "sweep_programs: malformed input after %zu programs\n", programs);
        return 1;
    }
    printf("sweep_programs: %zu programs, %zu recorded, %zu swept a second time by every node, "
           "%zu gradients compared, %zu different\n",
           programs, recorded, every_node, gradients, mismatches);
    return mismatches != 0 || every_node < recorded / 3 || recorded < programs / 2;
}
