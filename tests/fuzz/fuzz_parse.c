/* fuzz_parse.c: libFuzzer target over the expression language. Any bytes are a program over
 * the inputs x, y, z; whatever parses is recorded, swept backward and replayed, and the parser
 * copied (tg_parser_copy). Checks the parser's contract (an error has a code, a position inside
 * the program and a message; success gives a valid output node) and lets the sanitizers find
 * the rest. Built with -Dfuzz=true. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

/* Lines in data[0..size-1], counting the one after the last newline. */
static uint32_t count_lines(const uint8_t *data, size_t size)
{
    uint32_t n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg_tape *t = tg_tape_new();
    tg_parser *p = tg_parser_new(t);
    if (!t || !p)
        abort();
    /* Definitions can double a program at each level: a small capacity keeps every input fast
     * (the parser must refuse what does not fit, never grow past it). */
    if (tg_tape_set_capacity(t, 200000) != TG_OK)
        abort();
    static const char *const names[3] = {"x", "y", "z"};
    static const double values[3] = {0.5, -2.0, 0.0};
    tg_var in[3];
    for (int k = 0; k < 3; k++) {
        in[k] = tg_input(t, values[k]);
        if (tg_parser_define(p, names[k], in[k]) != TG_OK)
            abort();
    }
    tg_var out;
    const tg_status s = tg_parser_run(p, (const char *)data, size, &out);
    const tg_parse_error *e = tg_parser_error(p);
    if (s != e->code)
        abort();
    if (s == TG_OK) {
        if (!tg_var_ok(out) || out.id >= tg_tape_size(t))
            abort();
        if (tg_backward(t, out) != TG_OK)
            abort();
        for (int k = 0; k < 3; k++)
            (void)tg_grad(t, in[k]);
        tg_tape_replay(t);
        tg_gradcheck_result r;
        if (tg_gradcheck(t, out, in[0], tg_grad(t, in[0]), 1e-6, &r) != TG_OK)
            abort();
        /* a copy knows the same names and functions (what --expect formulas read) */
        tg_parser *c = tg_parser_copy(p);
        if (!c || !tg_var_ok(tg_parser_lookup(c, "x")))
            abort();
        tg_parser_free(c);
    } else {
        if (tg_var_ok(out) || e->message[0] == 0)
            abort();
        if (s != TG_ERR_NOMEM &&
            (e->line < 1 || e->column < 1 || e->line > count_lines(data, size)))
            abort();
    }
    tg_parser_free(p);
    tg_tape_free(t);
    return 0;
}
