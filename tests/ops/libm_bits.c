/* libm_bits.c: tapegrad's own math functions on N random points each (the table of
 * libm_functions.h, a fixed seed per function), for tests/ops/libm_wasm.sh to run natively and as
 * wasm32-wasi and compare. `libm_bits N` prints one line per function, "name N hash" (FNV-1a
 * over the results' bit patterns); `libm_bits N name` prints that function's results, one
 * "name x y result" line (bit patterns) per point, to count the points that differ ("all" for every
 * function). A third argument "libc" runs the C library's functions instead (glibc natively,
 * wasi-libc's musl in wasm32): the contrast libm_wasm.sh prints, and proof that it can fail.
 * `libm_bits - name` reads arguments from stdin instead (one "x" or "x, y" per line, C99 hex or
 * decimal; lines starting with # are skipped) and prints the same lines: to check given hard
 * cases with libm_ref.py --check. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libm_functions.h"

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Our f on each argument line of stdin, dumped as "name x y result". */
static int dump_stdin(const libm_fn *f)
{
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *end;
        double x = strtod(line, &end), y = 0.0;
        if (end == line)
            continue;
        if (*end == ',' && !f->ours1)
            y = strtod(end + 1, NULL);
        printf("%s %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", f->name, bits_of(x), bits_of(y),
               bits_of(libm_call(f, 1, x, y)));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "-") == 0) {
        for (size_t k = 0; k < sizeof functions / sizeof functions[0]; k++)
            if (strcmp(functions[k].name, argv[2]) == 0)
                return dump_stdin(&functions[k]);
        fprintf(stderr, "libm_bits: no function %s\n", argv[2]);
        return 2;
    }
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    const char *only = argc > 2 ? argv[2] : NULL;
    int ours = !(argc > 3 && strcmp(argv[3], "libc") == 0);
    for (size_t k = 0; k < sizeof functions / sizeof functions[0]; k++) {
        const libm_fn *f = &functions[k];
        if (only && strcmp(only, "all") != 0 && strcmp(only, f->name) != 0)
            continue;
        rng_state = 16 + k;
        uint64_t hash = 14695981039346656037u;
        for (long i = 0; i < n; i++) {
            double x = libm_draw(f), y = libm_draw(f);
            uint64_t r = bits_of(libm_call(f, ours, x, y));
            if (only)
                printf("%s %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", f->name, bits_of(x),
                       bits_of(y), r);
            for (int b = 0; b < 8; b++)
                hash = (hash ^ ((r >> (8 * b)) & 0xff)) * 1099511628211u;
        }
        if (!only)
            printf("%s %ld %016" PRIx64 "\n", f->name, n, hash);
    }
    return 0;
}
