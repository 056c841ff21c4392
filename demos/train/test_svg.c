/* test_svg.c: the round-number ticks of svg.h, against steps worked out by hand: the step is
 * 1, 2 or 5 times a power of ten just above span / (ticks - 1), and a range widened to it
 * starts and ends on a multiple of the step. */
#include <math.h>
#include <stdio.h>

#include "svg.h"

int main(void)
{
    static const struct {
        double lo, hi;
        int want;
        double step, nice_lo, nice_hi;
    } cases[] = {
        /* moons' old loss axis 0 .. 0.834 (ticks 0.278, 0.556): raw 0.834 / 5 = 0.1668 -> 0.2 */
        {0, 0.834, 6, 0.2, 0, 1},
        /* 200 epochs from 1: raw 199 / 6 = 33.2 -> 50; range 0 .. 200 */
        {1, 200, 7, 50, 0, 200},
        /* accuracy 83.3 .. 100: raw 16.7 / 5 = 3.34 -> 5; range 80 .. 100 */
        {83.3, 100, 6, 5, 80, 100},
        /* a raw step exactly 1 x 10^k stays: 0 .. 5 in 6 ticks -> 1 */
        {0, 5, 6, 1, 0, 5},
        /* negative and across zero: -1.5 .. 2 -> raw 0.7 -> 1; range -2 .. 2 */
        {-1.5, 2, 6, 1, -2, 2},
        /* tiny losses: 0 .. 0.00037 -> raw 7.4e-5 -> 1e-4; range 0 .. 4e-4 */
        {0, 0.00037, 6, 1e-4, 0, 4e-4},
    };
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const double step = svg_nice_step(cases[c].lo, cases[c].hi, cases[c].want);
        double lo = cases[c].lo, hi = cases[c].hi;
        svg_nice_range(&lo, &hi, cases[c].want);
        const double tol = 1e-12 * cases[c].step;
        if (fabs(step - cases[c].step) > tol || fabs(lo - cases[c].nice_lo) > tol ||
            fabs(hi - cases[c].nice_hi) > tol) {
            printf("case %zu: step %g range %g .. %g, want %g, %g .. %g\n", c, step, lo, hi,
                   cases[c].step, cases[c].nice_lo, cases[c].nice_hi);
            bad = 1;
        }
    }
    /* a flat curve still gets an axis around its value: 3 .. 3 -> 2.7 .. 3.3 -> step 0.1 */
    double lo = 3, hi = 3;
    svg_nice_range(&lo, &hi, 6);
    if (!(lo < 3 && hi > 3)) {
        printf("flat range: %g .. %g\n", lo, hi);
        bad = 1;
    }
    printf("test_svg: %s\n", bad ? "FAILED" : "ok");
    return bad;
}
