/* show.h: pictures of a tape for the tapegrad command (--svg, --png, --html). The graph itself
 * (DOT) and the steps (JSON) come from the library (tg_dot_export, tg_trace_backward); this
 * layer renders them through Graphviz's libgvc or wraps them in one HTML page. Used by
 * cli/tapegrad.c and the tests; not part of the library. */
#ifndef TG_SHOW_H
#define TG_SHOW_H

#include <stddef.h>
#include <stdio.h>

#include "tapegrad.h"

/* The bound on pictures (the contract: --svg/--png/--html finish within 10 s or refuse; graphs
 * of up to 300 nodes are drawn). A graph of up to TGI_SHOW_ALWAYS_NODES nodes is always drawn;
 * a larger one only while it has at most TGI_SHOW_MAX_NODES nodes and its layout at most
 * TGI_SHOW_MAX_VIRTUAL virtual nodes (tgi_show_measure). The worst 300-node graph (one input
 * used by each of 299 chained products) has ~45,000 virtual nodes and lays out in ~1 s; a
 * layout that still runs past TGI_SHOW_LAYOUT_SECONDS is stopped and refused. */
#define TGI_SHOW_ALWAYS_NODES 300
#define TGI_SHOW_MAX_NODES 2000
#define TGI_SHOW_MAX_VIRTUAL 50000
#define TGI_SHOW_LAYOUT_SECONDS 8

/* The size of out's picture: its nodes (every node out depends on, out included), its edges
 * (one per argument), and the virtual nodes Graphviz's dot adds where an edge spans several
 * columns (an estimate from the columns dot would give). TG_ERR_ARG for NULL, TG_ERR_BADVAR for
 * an invalid out, TG_ERR_NOMEM. */
typedef struct tgi_show_size {
    size_t n_nodes, n_edges, n_virtual;
} tgi_show_size;
tg_status tgi_show_measure(const tg_tape *t, tg_var out, tgi_show_size *size);

/* 1 if a picture of this size is drawn; else 0, and err (err_cap bytes, may be 0) says that the
 * graph is too large to draw for option ("--svg", ...) and what to do instead. */
int tgi_show_fits(const tgi_show_size *size, const char *option, char *err, size_t err_cap);

/* Before anything is written: TG_OK if none of the pictures asked for (svg, png, html: the
 * FILE of each option, NULL where not asked) is too large to draw; else TG_ERR_LIMIT and err
 * says so, starting with the option ("--svg: the graph is too large to draw: ..."). Other
 * errors as tgi_show_measure. For the tapegrad command, so that a refused picture leaves no
 * file and nothing printed but the message. */
tg_status tgi_show_check(const tg_tape *t, tg_var out, const char *svg, const char *png,
                         const char *html, char *err, size_t err_cap);

/* 1 if this build can render pictures (it was built with Graphviz's libgvc), else 0. */
int tgi_show_can_render(void);

/* Renders the graph of out (tg_dot_export: values, gradients, forward edges green, gradient
 * flow red) to the file at path, in Graphviz format `format` ("svg" or "png"; any format the
 * installed Graphviz knows is accepted). Call after a backward so that gradients are shown.
 * On failure writes a one-line reason into err (err_cap bytes, may be 0) and returns:
 * TG_ERR_ARG for NULL arguments or when built without Graphviz ("built without Graphviz: ..."),
 * TG_ERR_BADVAR for an invalid out, TG_ERR_NOMEM, TG_ERR_LIMIT if the graph is too large to
 * draw (tgi_show_fits) or its layout ran past TGI_SHOW_LAYOUT_SECONDS, TG_ERR_FORMAT if Graphviz
 * rejects the graph or the format or fails, TG_ERR_IO if the file cannot be written. The layout
 * runs in a child process (fork), so a Graphviz crash is a reported error, not ours. The tape is
 * not changed. Without a file written, no file is left behind. */
tg_status tgi_show_render(const tg_tape *t, tg_var out, const char *format, const char *path,
                          char *err, size_t err_cap);

/* Runs the backward pass from out (as tg_trace_backward does) and writes one self-contained
 * HTML page to f: out's graph drawn by the graph view (graph.js: columns, long edges in lanes
 * between the nodes, zoom, pan, Fit and 1:1), and a stepper that goes through the backward
 * pass one chain-rule step per click or ArrowRight (ArrowLeft goes back, Home/End), highlighting
 * the node, its input and the edge and panning them into view, showing the formula with its
 * numbers and the gradients accumulated so far, and every step in a scrolling log. The page
 * needs no network. After step k <body> carries data-step="k"; at the last step every node's
 * <g id="node-ID"> carries data-grad="G" with its final gradient (%.6g), and <body> carries
 * data-done="true". title (may be NULL: out's name is used) is escaped. Returns what
 * tg_trace_backward returns (TG_ERR_IO if writing fails), or TG_ERR_LIMIT, with nothing
 * written, if the graph is too large (tgi_show_fits: call it first to say why). */
tg_status tgi_show_html(tg_tape *t, tg_var out, FILE *f, const char *title);

#endif /* TG_SHOW_H */
