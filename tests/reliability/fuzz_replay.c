/* fuzz_replay.c: runs a fuzz target's corpus (every file of the folders given) through
 * LLVMFuzzerTestOneInput without libFuzzer, so that the corpus is a regression test in the
 * ordinary builds: gcc, ASan+UBSan, and valgrind. The target itself (tests/fuzz/fuzz_graph.c)
 * aborts on a broken invariant. Usage: fuzz_replay DIR... */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads path whole; NULL if it cannot. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv)
{
    long n_run = 0;
    char path[4096];
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            fprintf(stderr, "fuzz_replay: cannot open %s\n", argv[i]);
            return 1;
        }
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            size_t size = 0;
            uint8_t *data = read_file(path, &size);
            if (!data) {
                fprintf(stderr, "fuzz_replay: cannot read %s\n", path);
                closedir(d);
                return 1;
            }
            LLVMFuzzerTestOneInput(data, size);
            free(data);
            n_run++;
        }
        closedir(d);
    }
    printf("fuzz_replay: %ld inputs ran cleanly\n", n_run);
    return n_run > 0 ? 0 : 1;
}
