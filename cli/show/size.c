/* size.c: how big a picture of a tape is, and whether --svg/--png/--html draw it (the
 * contract's bound: finish within 10 s or refuse, graphs of up to 300 nodes always drawn).
 * The measure is the one that makes Graphviz's dot slow: not the nodes but the virtual nodes
 * of long edges. Uses only the public headers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "show.h"

/* dot gives every node a rank (here: a column, rankdir=LR) and replaces an edge that spans r
 * ranks by a chain of r - 1 virtual nodes, one per column it crosses; its crossing minimisation
 * and its network simplex for the coordinates then work on real + virtual nodes. An input used
 * by every statement of a 300-statement chain has edges of every length: the virtual nodes
 * grow as the square of the program (3,000 statements: ~9 million). The ranks estimated here
 * are dot's own to first order: an operation one column right of its deepest argument, a leaf
 * one column left of its nearest user (the network simplex pulls leaves right). */
tg_status tgi_show_measure(const tg_tape *t, tg_var out, tgi_show_size *size)
{
    if (!t || !size)
        return TG_ERR_ARG;
    if (tg_op_of(t, out) == TG_N_OPS)
        return TG_ERR_BADVAR;
    const size_t n = (size_t)out.id + 1;
    unsigned char *in_cone = calloc(n, 1);
    uint32_t *rank = calloc(n, sizeof *rank);
    if (!in_cone || !rank) {
        free(in_cone);
        free(rank);
        return TG_ERR_NOMEM;
    }
    *size = (tgi_show_size){0};
    tg_cone(t, out, TG_CONE_ALL, in_cone);
    for (size_t i = 0; i < n; i++)
        if (in_cone[i]) {
            size->n_nodes++;
            size->n_edges += tg_n_args(t, (tg_var){(uint32_t)i});
        }
    for (size_t i = 0; i < n; i++) {
        const tg_var v = {(uint32_t)i};
        const size_t n_args = in_cone[i] ? tg_n_args(t, v) : 0;
        for (size_t k = 0; k < n_args; k++) {
            const uint32_t a = tg_arg(t, v, k).id;
            if (tg_n_args(t, (tg_var){a}) > 0 && rank[a] + 1 > rank[i])
                rank[i] = rank[a] + 1;
        }
        if (n_args == 0)
            rank[i] = UINT32_MAX; /* a leaf: placed by its users below */
        else if (rank[i] == 0)
            rank[i] = 1; /* all arguments are leaves */
    }
    for (size_t i = 0; i < n; i++) {
        const tg_var v = {(uint32_t)i};
        const size_t n_args = in_cone[i] ? tg_n_args(t, v) : 0;
        for (size_t k = 0; k < n_args; k++) {
            const uint32_t a = tg_arg(t, v, k).id;
            if (tg_n_args(t, (tg_var){a}) == 0 && rank[i] - 1 < rank[a])
                rank[a] = rank[i] - 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const tg_var v = {(uint32_t)i};
        const size_t n_args = in_cone[i] ? tg_n_args(t, v) : 0;
        for (size_t k = 0; k < n_args; k++)
            size->n_virtual += rank[i] - rank[tg_arg(t, v, k).id] - 1;
    }
    if (in_cone[out.id] && tg_n_args(t, out) == 0)
        size->n_virtual = 0; /* the output is a leaf: one box, no edges */
    free(in_cone);
    free(rank);
    return TG_OK;
}

int tgi_show_fits(const tgi_show_size *size, const char *option, char *err, size_t err_cap)
{
    if (size->n_nodes <= TGI_SHOW_ALWAYS_NODES ||
        (size->n_nodes <= TGI_SHOW_MAX_NODES && size->n_virtual <= TGI_SHOW_MAX_VIRTUAL))
        return 1;
    if (err && err_cap)
        snprintf(err, err_cap,
                 "the graph is too large to draw: %zu nodes (%s draws up to %d, and larger "
                 "graphs only while their layout stays small); write the graph with --dot FILE, "
                 "read the steps with --trace, or draw a smaller program",
                 size->n_nodes, option, TGI_SHOW_ALWAYS_NODES);
    return 0;
}

tg_status tgi_show_check(const tg_tape *t, tg_var out, const char *svg, const char *png,
                         const char *html, char *err, size_t err_cap)
{
    const char *option = svg ? "--svg" : png ? "--png" : html ? "--html" : NULL;
    if (!option)
        return TG_OK;
    tgi_show_size size;
    const tg_status s = tgi_show_measure(t, out, &size);
    if (s != TG_OK) {
        if (err && err_cap)
            snprintf(err, err_cap, "%s: %s", option, tg_strerror(s));
        return s;
    }
    char why[400];
    if (tgi_show_fits(&size, option, why, sizeof why))
        return TG_OK;
    if (err && err_cap)
        snprintf(err, err_cap, "%s: %s", option, why);
    return TG_ERR_LIMIT;
}
