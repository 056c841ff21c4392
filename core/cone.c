/* cone.c: "the cone of an output", written once for every caller that needs it (gradcheck's
 * noise floor, the trace's view, the command's diagnosis of a non-finite result): the nodes an
 * output depends on, found by one pass down the tape (arguments always come earlier). The
 * backward sweep finds its cone on the fly instead (reached-bits, core/backward.c), fused with
 * the arithmetic so that the hot path reads each node once. */
#include "core_int.h"
#include "ops_int.h"

void tgi_cone(const tg_tape *t, uint32_t out, unsigned flags, unsigned char *cone)
{
    for (uint32_t i = 0; i < out; i++)
        cone[i] = 0;
    cone[out] = 1;
    for (uint32_t i = out + 1; i-- > 0;) {
        if (!cone[i])
            continue;
        const uint64_t c = t->code[i];
        const tgi_op_row *row = &tgi_ops[tgi_code_op(c)];
        const uint32_t n = tgi_n_args(t, i);
        for (uint32_t k = 0; k < n; k++) {
            if ((flags & TG_CONE_TAKEN) && row->unusedn &&
                row->unusedn(t->value, t->args + tgi_code_a(c), tgi_code_b(c), k))
                continue;
            cone[tgi_arg(t, i, k)] = 1;
        }
    }
}

tg_status tg_cone(const tg_tape *t, tg_var out, unsigned flags, unsigned char *cone)
{
    if (!t || !cone)
        return TG_ERR_ARG;
    if (!tgi_valid(t, out))
        return TG_ERR_BADVAR;
    tgi_cone(t, out.id, flags, cone);
    return TG_OK;
}
