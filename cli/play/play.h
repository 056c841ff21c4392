/* play.h: the live page of the tapegrad command (--html with the engine inside, --playground).
 * The page carries tapegrad.wasm (the library and the command compiled for WebAssembly) and
 * recomputes in the browser; this layer only writes it with a starting program and inputs.
 * Used by cli/tapegrad.c when built with the wasm toolchain; not part of the library. */
#ifndef TG_PLAY_H
#define TG_PLAY_H

#include <stddef.h>
#include <stdio.h>

/* Writes the live page to f, starting at program (len bytes, UTF-8) with the inputs
 * args[0..n_args-1], each "NAME=VALUE" as the command was given it. The page's title is
 * title (NULL: "tapegrad playground"). Returns 0, or -1 if writing fails. */
int cli_play_write(FILE *f, const char *title, const char *program, size_t len, size_t n_args,
                   const char *const *args);

/* `tapegrad --playground FILE`: writes the live page with an example program to FILE (- for
 * standard output). argv is the command's; returns the exit code (2 with a message on
 * standard error for bad usage or a file that cannot be written). */
int cli_play_main(int argc, char **argv);

#endif /* TG_PLAY_H */
