/* csv.c: loads a user's numeric CSV file (header row, comma-separated numbers, one target
 * column) into a tg_dataset, with errors that name the line and column. Uses only the public
 * headers. Quoted fields and non-numeric columns are not supported: the error says so. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

static tg_status fail(char *err, size_t n_err, tg_status s, const char *fmt, ...)
{
    if (err && n_err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n_err, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Reads one line of any length into *buf (grown as needed), without its newline (\n or
 * \r\n). Returns 1, 0 at end of file, -1 out of memory. */
static int read_line(FILE *f, char **buf, size_t *cap)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            char *nb = realloc(*buf, nc);
            if (!nb)
                return -1;
            *buf = nb;
            *cap = nc;
        }
        (*buf)[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return 0;
    if (!*buf && !(*buf = malloc(*cap = 256)))
        return -1;
    if (n && (*buf)[n - 1] == '\r')
        n--;
    (*buf)[n] = '\0';
    return 1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* Splits line in place at commas into at most max fields; returns how many there were (which
 * may exceed max: the caller reports the mismatch). With max 0 it only counts, and leaves
 * the line as it was. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    for (char *p = line;;) {
        char *comma = strchr(p, ',');
        if (n < max) {
            if (comma)
                *comma = '\0';
            fields[n] = trim(p);
        }
        n++;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

tg_status tg_csv_load(const char *path, const char *target, tg_dataset **out, char *err,
                      size_t n_err)
{
    if (!out)
        return TG_ERR_ARG;
    *out = NULL;
    if (!path)
        return fail(err, n_err, TG_ERR_ARG, "no file name");
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, n_err, TG_ERR_IO, "cannot open %s: %s", path, strerror(errno));

    char *line = NULL, **fields = NULL;
    double *rows = NULL;
    size_t cap = 0, n_cols = 0, n_rows = 0, rows_cap = 0, lineno = 0, tcol = 0;
    tg_status st = TG_OK;
    int r;
    /* the header: the first line that is not blank */
    while ((r = read_line(f, &line, &cap)) == 1 && (lineno++, blank(line)))
        ;
    if (r != 1) {
        st = r < 0 ? fail(err, n_err, TG_ERR_NOMEM, "out of memory")
                   : fail(err, n_err, TG_ERR_FORMAT, "%s: empty file (no header row)", path);
        goto done;
    }
    n_cols = split(line, NULL, 0);
    if (n_cols < 2) {
        st = fail(err, n_err, TG_ERR_FORMAT,
                  "%s:%zu: the header has %zu column; need features and a target", path, lineno,
                  n_cols);
        goto done;
    }
    fields = malloc(n_cols * sizeof *fields);
    if (!fields) {
        st = fail(err, n_err, TG_ERR_NOMEM, "out of memory");
        goto done;
    }
    split(line, fields, n_cols);
    tcol = n_cols - 1;
    if (target) {
        for (tcol = 0; tcol < n_cols && strcmp(fields[tcol], target) != 0; tcol++)
            ;
        if (tcol == n_cols) {
            st = fail(err, n_err, TG_ERR_NAME, "%s:%zu: no column named \"%s\" in the header", path,
                      lineno, target);
            goto done;
        }
    }
    while ((r = read_line(f, &line, &cap)) == 1) {
        lineno++;
        if (blank(line))
            continue;
        const size_t got = split(line, fields, n_cols);
        if (got != n_cols) {
            st = fail(err, n_err, TG_ERR_FORMAT, "%s:%zu: %zu fields, the header has %zu", path,
                      lineno, got, n_cols);
            goto done;
        }
        if (n_rows == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 64;
            double *nr = rows_cap < SIZE_MAX / sizeof *nr / n_cols
                             ? realloc(rows, rows_cap * n_cols * sizeof *nr)
                             : NULL;
            if (!nr) {
                st = fail(err, n_err, TG_ERR_NOMEM, "out of memory at line %zu", lineno);
                goto done;
            }
            rows = nr;
        }
        for (size_t c = 0; c < n_cols; c++) {
            char *end;
            errno = 0;
            const double v = strtod(fields[c], &end);
            if (end == fields[c] || *end != '\0' || !isfinite(v)) {
                st = fail(err, n_err, TG_ERR_FORMAT,
                          "%s:%zu: column %zu: \"%s\" is not a finite number", path, lineno, c + 1,
                          fields[c]);
                goto done;
            }
            rows[n_rows * n_cols + c] = v;
        }
        n_rows++;
    }
    if (r < 0) {
        st = fail(err, n_err, TG_ERR_NOMEM, "out of memory at line %zu", lineno + 1);
        goto done;
    }
    if (ferror(f)) {
        st = fail(err, n_err, TG_ERR_IO, "error reading %s", path);
        goto done;
    }
    tg_dataset *d = tg_dataset_new(n_rows, n_cols - 1, 1);
    if (!d) {
        st = fail(err, n_err, TG_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_rows; i++)
        for (size_t c = 0, j = 0; c < n_cols; c++) {
            if (c == tcol)
                d->y[i] = rows[i * n_cols + c];
            else
                d->x[i * (n_cols - 1) + j++] = rows[i * n_cols + c];
        }
    *out = d;
    fail(err, n_err, TG_OK, "%zu rows, %zu features", n_rows, n_cols - 1);
done:
    fclose(f);
    free(line);
    free(fields);
    free(rows);
    return st;
}
