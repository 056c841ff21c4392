/* show.h: pictures of a tape for the tapegrad command (--svg, --png, --html). The graph itself
 * (DOT) and the steps (JSON) come from the library (tg_dot_export, tg_trace_backward); this
 * layer renders them through Graphviz's libgvc or wraps them in one HTML page. Used by
 * cli/tapegrad.c and the tests; not part of the library. */
#ifndef TG_SHOW_H
#define TG_SHOW_H

#include <stddef.h>
#include <stdio.h>

#include "tapegrad.h"

/* 1 if this build can render pictures (it was built with Graphviz's libgvc), else 0. */
int tgi_show_can_render(void);

/* Renders the graph of out (tg_dot_export: values, gradients, forward edges green, gradient
 * flow red) to the file at path, in Graphviz format `format` ("svg" or "png"; any format the
 * installed Graphviz knows is accepted). Call after a backward so that gradients are shown.
 * On failure writes a one-line reason into err (err_cap bytes, may be 0) and returns:
 * TG_ERR_ARG for NULL arguments or when built without Graphviz ("built without Graphviz: ..."),
 * TG_ERR_BADVAR for an invalid out, TG_ERR_NOMEM, TG_ERR_FORMAT if Graphviz rejects the graph
 * or the format, TG_ERR_IO if the file cannot be written. The tape is not changed. */
tg_status tgi_show_render(const tg_tape *t, tg_var out, const char *format, const char *path,
                          char *err, size_t err_cap);

/* Runs the backward pass from out (as tg_trace_backward does) and writes one self-contained
 * HTML page to f: an inline SVG of out's graph laid out in layers, and a script that steps
 * through the backward pass one chain-rule step per click or ArrowRight (ArrowLeft goes back),
 * highlighting the node, its input and the edge, showing the formula with its numbers and the
 * gradients accumulated so far. The page needs no network. At the last step every node's
 * <g id="node-ID"> carries data-grad="G" with its final gradient (%.6g), and <body> carries
 * data-done="true". title (may be NULL: out's name is used) is escaped. Returns what
 * tg_trace_backward returns (TG_ERR_IO if writing fails). */
tg_status tgi_show_html(tg_tape *t, tg_var out, FILE *f, const char *title);

#endif /* TG_SHOW_H */
