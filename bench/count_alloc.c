/* count_alloc.c: counts malloc, calloc and realloc calls made by the benchmark and the
 * tapegrad code linked into it, through the linker's --wrap (set in bench/meson.build when the
 * linker supports it, with BENCH_COUNT_ALLOCS defined). It only counts; libc does the work. */
#include <stddef.h>

#include "bench.h"

#ifdef BENCH_COUNT_ALLOCS
static long long n_allocs;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    n_allocs++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size)
{
    n_allocs++;
    return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
    n_allocs++;
    return __real_realloc(p, n);
}

long long bench_n_allocs(void)
{
    return n_allocs;
}
#else
long long bench_n_allocs(void)
{
    return -1;
}
#endif
