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

#include "nn_int.h"
#include "tapegrad.h"


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

/* Opens path for reading, or says why not (both readers start so). */
static tg_status open_csv(const char *path, FILE **f, char *err, size_t n_err)
{
    if (!path)
        return tgi_nn_fail(err, n_err, TG_ERR_ARG, "no file name");
    if (!(*f = fopen(path, "r")))
        return tgi_nn_fail(err, n_err, TG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    return TG_OK;
}

tg_status tg_csv_load(const char *path, const char *target, tg_dataset **out, char *err,
                      size_t n_err)
{
    if (!out)
        return TG_ERR_ARG;
    *out = NULL;
    FILE *f = NULL;
    const tg_status opened = open_csv(path, &f, err, n_err);
    if (opened != TG_OK)
        return opened;

    char *line = NULL, **fields = NULL;
    double *rows = NULL;
    size_t cap = 0, n_cols = 0, n_rows = 0, rows_cap = 0, lineno = 0, tcol = 0;
    tg_status st = TG_OK;
    int r;
    /* the header: the first line that is not blank */
    while ((r = read_line(f, &line, &cap)) == 1 && (lineno++, blank(line)))
        ;
    if (r != 1) {
        st = r < 0 ? tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory")
                   : tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: empty file (no header row)", path);
        goto done;
    }
    n_cols = split(line, NULL, 0);
    if (n_cols < 2) {
        st = tgi_nn_fail(err, n_err, TG_ERR_FORMAT,
                  "%s:%zu: the header has %zu column; need features and a target", path, lineno,
                  n_cols);
        goto done;
    }
    fields = malloc(n_cols * sizeof *fields);
    if (!fields) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory");
        goto done;
    }
    split(line, fields, n_cols);
    tcol = n_cols - 1;
    if (target) {
        for (tcol = 0; tcol < n_cols && strcmp(fields[tcol], target) != 0; tcol++)
            ;
        if (tcol == n_cols) {
            st = tgi_nn_fail(err, n_err, TG_ERR_NAME, "%s:%zu: no column named \"%s\" in the header", path,
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
            st = tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s:%zu: %zu fields, the header has %zu", path,
                      lineno, got, n_cols);
            goto done;
        }
        if (n_rows == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 64;
            double *nr = rows_cap < SIZE_MAX / sizeof *nr / n_cols
                             ? realloc(rows, rows_cap * n_cols * sizeof *nr)
                             : NULL;
            if (!nr) {
                st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory at line %zu", lineno);
                goto done;
            }
            rows = nr;
        }
        for (size_t c = 0; c < n_cols; c++) {
            char *end;
            errno = 0;
            const double v = strtod(fields[c], &end);
            if (end == fields[c] || *end != '\0' || !isfinite(v)) {
                st = tgi_nn_fail(err, n_err, TG_ERR_FORMAT,
                          "%s:%zu: column %zu: \"%s\" is not a finite number", path, lineno, c + 1,
                          fields[c]);
                goto done;
            }
            rows[n_rows * n_cols + c] = v;
        }
        n_rows++;
    }
    if (r < 0) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory at line %zu", lineno + 1);
        goto done;
    }
    if (ferror(f)) {
        st = tgi_nn_fail(err, n_err, TG_ERR_IO, "error reading %s", path);
        goto done;
    }
    tg_dataset *d = tg_dataset_new(n_rows, n_cols - 1, 1);
    if (!d) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory");
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
    tgi_nn_fail(err, n_err, TG_OK, "%zu rows, %zu features", n_rows, n_cols - 1);
done:
    fclose(f);
    free(line);
    free(fields);
    free(rows);
    return st;
}

/* ---- Tables of text ------------------------------------------------------------------------ */

int tg_field_number(const char *field, double *v)
{
    char *end;
    if (!field || !*field)
        return 0;
    const double x = strtod(field, &end);
    if (end == field || *end != '\0' || !isfinite(x))
        return 0;
    if (v)
        *v = x;
    return 1;
}

static int field_count(const char *field, size_t *v)
{
    double x;
    if (!tg_field_number(field, &x) || x < 0 || x != floor(x) || x > 1e15)
        return 0;
    *v = (size_t)x;
    return 1;
}

void tg_table_free(tg_table *t)
{
    if (!t)
        return;
    free(t->names);
    free(t->cells);
    free(t->line);
    free(t->class_names);
    free(t->block);
    free(t);
}

size_t tg_table_column(const tg_table *t, const char *name)
{
    size_t c = 0;
    while (t && name && c < t->n_cols && strcmp(t->names[c], name) != 0)
        c++;
    return t ? c : 0;
}

static char *copy_text(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

/* Lines of the file, read whole: the text of every non-blank line kept in one block, split at
 * commas in place. */
typedef struct raw_lines {
    char *block;          /* every line, NUL-terminated, one after the other */
    size_t n, cap, used, block_cap;
    size_t *start, *lineno;
} raw_lines;

static int keep_line(raw_lines *r, const char *text, size_t lineno)
{
    const size_t len = strlen(text) + 1;
    if (r->used + len > r->block_cap) {
        size_t nc = r->block_cap ? r->block_cap : 4096;
        while (nc < r->used + len)
            nc *= 2;
        char *nb = realloc(r->block, nc);
        if (!nb)
            return 0;
        r->block = nb;
        r->block_cap = nc;
    }
    if (r->n == r->cap) {
        const size_t nc = r->cap ? r->cap * 2 : 64;
        size_t *ns = realloc(r->start, nc * sizeof *ns), *nl;
        if (!ns)
            return 0;
        r->start = ns;
        if (!(nl = realloc(r->lineno, nc * sizeof *nl)))
            return 0;
        r->lineno = nl;
        r->cap = nc;
    }
    memcpy(r->block + r->used, text, len);
    r->start[r->n] = r->used;
    r->lineno[r->n++] = lineno;
    r->used += len;
    return 1;
}

/* Is the first line a header of names? A field that is text above a number in the next line
 * says so; so does a first line with no number at all. */
static int looks_like_names(char **first, char **second, size_t n_cols)
{
    size_t text = 0;
    for (size_t c = 0; c < n_cols; c++) {
        const int a = tg_field_number(first[c], NULL);
        if (!a && second && tg_field_number(second[c], NULL))
            return 1;
        text += !a;
    }
    return text == n_cols;
}

tg_status tg_table_read(const char *path, tg_csv_header header, tg_table **out, char *err,
                        size_t n_err)
{
    if (!out)
        return TG_ERR_ARG;
    *out = NULL;
    FILE *f = NULL;
    const tg_status opened = open_csv(path, &f, err, n_err);
    if (opened != TG_OK)
        return opened;
    raw_lines raw = {0};
    char *line = NULL, **first = NULL, **second = NULL, *peek[2] = {NULL, NULL};
    size_t cap = 0, lineno = 0;
    tg_status st = TG_OK;
    tg_table *t = NULL;
    int r;
    while ((r = read_line(f, &line, &cap)) == 1) {
        lineno++;
        if (!blank(line) && !keep_line(&raw, line, lineno)) {
            r = -1;
            break;
        }
    }
    const int read_error = ferror(f);
    fclose(f);
    free(line);
    if (r < 0) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory at line %zu", lineno);
        goto done;
    }
    if (read_error) {
        st = tgi_nn_fail(err, n_err, TG_ERR_IO, "error reading %s", path);
        goto done;
    }
    if (raw.n == 0) {
        st = tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s: empty file", path);
        goto done;
    }
    /* The shape comes from the second line when the first may be a count line (whose number
     * of fields is its own), else from the first. */
    const size_t n_first = split(raw.block + raw.start[0], NULL, 0);
    const size_t n_cols = raw.n > 1 ? split(raw.block + raw.start[1], NULL, 0) : n_first;
    /* detection splits copies of the first two lines: the block stays whole for the table */
    first = malloc((n_first + n_cols) * sizeof *first);
    second = malloc(n_cols * sizeof *second);
    for (size_t k = 0; k < 2 && k < raw.n; k++)
        peek[k] = copy_text(raw.block + raw.start[k]);
    if (!first || !second || !peek[0] || (raw.n > 1 && !peek[1])) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory");
        goto done;
    }
    split(peek[0], first, n_first);
    if (raw.n > 1)
        split(peek[1], second, n_cols);
    size_t count_rows = 0, count_features = 0;
    const int is_count = n_first >= 2 && field_count(first[0], &count_rows) &&
                         field_count(first[1], &count_features) && count_rows == raw.n - 1 &&
                         count_features + 1 == n_cols;
    if (header == TG_CSV_AUTO)
        header = is_count ? TG_CSV_SKLEARN
                 : n_first == n_cols && looks_like_names(first, raw.n > 1 ? second : NULL, n_cols)
                     ? TG_CSV_NAMES
                     : TG_CSV_NONE;
    if (header == TG_CSV_SKLEARN && !is_count) {
        st = tgi_nn_fail(err, n_err, TG_ERR_FORMAT,
                         "%s:%zu: not a scikit-learn count line (\"n_rows,n_features,classes...\" "
                         "with %zu rows of %zu columns after it)",
                         path, raw.lineno[0], raw.n - 1, n_cols);
        goto done;
    }
    if (header == TG_CSV_NAMES && n_first != n_cols) {
        st = tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s:%zu: %zu fields, the header has %zu", path,
                         raw.lineno[1], n_cols, n_first);
        goto done;
    }
    const size_t skip = header == TG_CSV_NONE ? 0 : 1, n_rows = raw.n - skip;
    const size_t n_classes = header == TG_CSV_SKLEARN ? n_first - 2 : 0;
    t = calloc(1, sizeof *t);
    if (!t || n_cols > SIZE_MAX / sizeof(char *) / (n_rows + 1)) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory");
        goto done;
    }
    t->n_rows = n_rows;
    t->n_cols = n_cols;
    t->header = header;
    t->n_classes = n_classes;
    /* generated names: "x<k>" for the columns, "y" for the last; 24 bytes each at most */
    const size_t names_bytes = header == TG_CSV_NAMES ? 0 : n_cols * 24;
    t->names = malloc(n_cols * sizeof *t->names);
    t->cells = malloc((n_rows * n_cols + 1) * sizeof *t->cells);
    t->line = malloc((n_rows + 1) * sizeof *t->line);
    t->class_names = malloc((n_classes + 1) * sizeof *t->class_names);
    t->block = malloc(raw.used + names_bytes + 1);
    if (!t->names || !t->cells || !t->line || !t->class_names || !t->block) {
        st = tgi_nn_fail(err, n_err, TG_ERR_NOMEM, "out of memory");
        goto done;
    }
    memcpy(t->block, raw.block, raw.used);
    /* the first line, split again inside the table's own block */
    char **hdr = first;
    if (skip)
        split(t->block + raw.start[0], hdr, n_first);
    if (header == TG_CSV_NAMES)
        for (size_t c = 0; c < n_cols; c++)
            t->names[c] = hdr[c];
    else
        for (size_t c = 0; c < n_cols; c++) {
            char *name = t->block + raw.used + 24 * c;
            if (c + 1 == n_cols)
                snprintf(name, 24, "y");
            else
                snprintf(name, 24, "x%zu", c + 1);
            t->names[c] = name;
        }
    for (size_t k = 0; k < n_classes; k++)
        t->class_names[k] = hdr[2 + k];
    for (size_t i = 0; i < n_rows; i++) {
        char *text = t->block + raw.start[i + skip];
        const size_t got = split(text, NULL, 0);
        t->line[i] = raw.lineno[i + skip];
        if (got != n_cols) {
            st = header == TG_CSV_NAMES
                     ? tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s:%zu: %zu fields, the header has %zu",
                                   path, t->line[i], got, n_cols)
                     : tgi_nn_fail(err, n_err, TG_ERR_FORMAT, "%s:%zu: %zu fields, expected %zu",
                                   path, t->line[i], got, n_cols);
            goto done;
        }
        split(text, t->cells + i * n_cols, n_cols);
    }
    *out = t;
    t = NULL;
    tgi_nn_fail(err, n_err, TG_OK, "%zu rows, %zu columns", n_rows, n_cols);
done:
    tg_table_free(t);
    free(first);
    free(second);
    free(peek[0]);
    free(peek[1]);
    free(raw.block);
    free(raw.start);
    free(raw.lineno);
    return st;
}
