/* probe.c: compiled at configure time to see whether clang can build and link for wasm32-wasi
 * (clang, lld, wasi-libc and libclang-rt-dev-wasm32 installed). Not part of any program. */
#include <math.h>
#include <stdio.h>

__attribute__((export_name("probe"))) double probe(double x)
{
    printf("%.17g\n", x);
    return sin(x);
}
