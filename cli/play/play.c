/* play.c: writes the live page (play_page.h's page_html: play.html with its style, scripts
 * and tapegrad.wasm inlined by bundle.py) with a starting program and inputs, for `tapegrad --html
 * FILE PROGRAM ...` and `tapegrad --playground FILE`. Everything the page computes, it computes
 * in the browser with the engine it carries; this file fills in only the title and the state.
 * Uses only the C library. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "play.h"

#ifndef TAPEGRAD_VERSION
#define TAPEGRAD_VERSION "unknown"
#endif
#include "play_page.h"

/* The example of --playground: the seed's multiply and add layers (apples, oranges, tax). */
static const char example_program[] =
    "# apples and oranges with tax (the multiply and add layers)\n"
    "apple_price = apple*apple_num\n"
    "orange_price = orange*orange_num\n"
    "all_price = apple_price + orange_price\n"
    "price = all_price*tax\n";
static const char *const example_args[] = {"apple=100", "apple_num=2", "orange=150", "orange_num=3",
                                           "tax=1.1"};

/* Text for an HTML element: &, <, > as entities, control characters as spaces. */
static void html_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '&')
            fputs("&amp;", f);
        else if (*p == '<')
            fputs("&lt;", f);
        else if (*p == '>')
            fputs("&gt;", f);
        else
            fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, f);
    }
}

/* A JSON string that is safe inside <script>: <, >, & and control characters as \u escapes
 * (so nothing in it can close the element); other bytes are copied (the page is UTF-8). */
static void json_text(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7F)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* {"program": "...", "inputs": [["NAME", "VALUE"], ...]}: VALUE as the command was given it,
 * so the page passes the very same text to the engine (strtod reads it the same way). */
static void write_state(FILE *f, const char *program, size_t len, size_t n_args,
                        const char *const *args)
{
    fputs("{\"program\": ", f);
    json_text(f, program, len);
    fputs(", \"inputs\": [", f);
    for (size_t i = 0; i < n_args; i++) {
        const char *eq = strchr(args[i], '=');
        const size_t name_len = eq ? (size_t)(eq - args[i]) : strlen(args[i]);
        fputs(i ? ", [" : "[", f);
        json_text(f, args[i], name_len);
        fputs(", ", f);
        json_text(f, eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0);
        fputc(']', f);
    }
    fputs("]}\n", f);
}

int cli_play_write(FILE *f, const char *title, const char *program, size_t len, size_t n_args,
                   const char *const *args)
{
    if (!title)
        title = "tapegrad playground";
    for (size_t i = 0; page_html[i]; i++) {
        const char *line = page_html[i];
        if (strcmp(line, "@STATE@\n") == 0) {
            write_state(f, program, len, n_args, args);
            continue;
        }
        for (const char *m; (m = strchr(line, '@')) != NULL;) {
            const int is_title = strncmp(m, "@TITLE@", 7) == 0;
            const int is_version = strncmp(m, "@VERSION@", 9) == 0;
            fwrite(line, 1, (size_t)(m - line) + !(is_title || is_version), f);
            if (is_title)
                html_text(f, title);
            if (is_version)
                html_text(f, TAPEGRAD_VERSION);
            line = m + (is_title ? 7 : is_version ? 9 : 1);
        }
        fputs(line, f);
    }
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

int cli_play_main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--playground=", 13) == 0 && !path) {
            path = a + 13;
        } else if (strcmp(a, "--playground") == 0 && !path) {
            if (i + 1 == argc)
                break; /* no FILE: said below */
            path = argv[++i];
        } else {
            fprintf(stderr,
                    "tapegrad: error: --playground takes only a FILE, got '%s' "
                    "(--html FILE PROGRAM [NAME=VALUE ...] starts from your program)\n",
                    a);
            return 2;
        }
    }
    if (!path || !*path) {
        fputs("tapegrad: error: --playground needs a FILE (- for standard output)\n", stderr);
        return 2;
    }
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        fprintf(stderr, "tapegrad: error: --playground: cannot write '%s': %s\n", path,
                strerror(errno));
        return 2;
    }
    int rc = cli_play_write(f, NULL, example_program, strlen(example_program),
                            sizeof example_args / sizeof *example_args, example_args);
    if (f != stdout && fclose(f) != 0)
        rc = -1;
    if (rc != 0) {
        fprintf(stderr, "tapegrad: error: --playground: writing '%s' failed\n", path);
        return 2;
    }
    return 0;
}
