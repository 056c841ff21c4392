/* test_show.c: the tapegrad command's pictures (cli/show): the HTML stepper page carries the
 * steps and the seed's gradients, escapes any name, needs no network; and rendering through
 * libgvc writes SVG and PNG files (or, built without Graphviz, says so). The page's behaviour
 * in a browser is tested by html_browser.js (.ci/steps/60-html-browser.sh). */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tg_test_run.h"

#include "show.h"


static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected to find %s", needle);
}

/* Seed 002's apple/orange graph, named as the seed names its variables. */
static tg_var build_apple_orange(tg_tape *t)
{
    static const char *const names[] = {"apple", "apple_num", "orange", "orange_num", "tax"};
    static const double values[] = {100, 2, 150, 3, 1.1};
    tg_var in[5];
    for (int i = 0; i < 5; i++) {
        in[i] = tg_input(t, values[i]);
        tg_set_name(t, in[i], names[i]);
    }
    tg_var ap = tg_mul(t, in[0], in[1]), op = tg_mul(t, in[2], in[3]);
    tg_var all = tg_add(t, ap, op), price = tg_mul(t, all, in[4]);
    tg_set_name(t, ap, "apple_price");
    tg_set_name(t, op, "orange_price");
    tg_set_name(t, all, "all_price");
    tg_set_name(t, price, "price");
    return price;
}

static char *html_of(tg_tape *t, tg_var out, const char *title)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(tgi_show_html(t, out, f, title), TG_OK);
    char *s = slurp(f);
    fclose(f);
    return s;
}

/* The gradients the seed derives: dapple 2.2, dapple_num 110, dorange 3.3, dorange_num 165,
 * dtax 650, dall_price 1.1 (by hand: 1.1 * 2, 1.1 * 100, 1.1 * 3, 1.1 * 150, 650 * 1). */
static void html_page_carries_steps_and_seed_gradients(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var price = build_apple_orange(t);
    char *page = html_of(t, price, NULL);
    assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    assert_contains(page, "<title>tapegrad: the chain rule for price</title>");
    assert_contains(page,
                    "<script id=\"tapegrad-data\" type=\"application/json\">\n{\"output\":8,");
    static const char *const grads[] = {
        "\"label\":\"apple\",\"kind\":\"input\"",
        "\"grad_s\":\"2.2\"",
        "\"grad_s\":\"110\"",
        "\"grad_s\":\"3.3\"",
        "\"grad_s\":\"165\"",
        "\"grad_s\":\"650\"",
        "\"label\":\"all_price\",\"kind\":\"op\",\"op\":\"add\",\"expr\":\"apple_price + "
        "orange_price\",\"value\":650,\"value_s\":\"650\",\"grad\":1.1000000000000001,"
        "\"grad_s\":\"1.1\"",
        "\"text\":\"dL/d(apple) += dL/d(apple_price) * d(a*b)/da = 1.1 * 2 = 2.2\"",
    };
    for (size_t i = 0; i < sizeof grads / sizeof grads[0]; i++)
        assert_contains(page, grads[i]);
    assert_int_equal(count(page, "{\"at\":"), 8); /* two inputs for each of four operations */
    /* the graph view (graph.js, graph.css) is embedded whole, with its interface */
    assert_contains(page, "window.tapegradGraph = { render: render };");
    assert_contains(page, ".tg-graph .node rect");
    assert_contains(page, "window.tapegradGraph.render(data, document.getElementById(\"graphwrap\")");
    assert_null(strstr(page, "@GRAPH_"));
    /* self-contained: no scripts, styles, images or fonts fetched from anywhere */
    assert_int_equal(count(page, "src="), 0);
    assert_int_equal(count(page, "<link"), 0);
    assert_int_equal(count(page, "@import"), 0);
    assert_int_equal(count(page, "url(http"), 0);
    assert_int_equal(count(page, "https:"), 0);
    assert_int_equal(count(page, "http:"), count(page, "http://www.w3.org/2000/svg"));
    free(page);
    tg_tape_free(t);
}

/* A name that tries to end the script element, and a title with markup, stay inert text. */
static void html_page_escapes_names_and_title(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var x = tg_input(t, 2);
    tg_set_name(t, x, "</script><script>alert(1)</script>\"'&\n");
    tg_var y = tg_mul(t, x, x);
    char *page = html_of(t, y, "<b>\"x\" & 'y'</b>");
    assert_int_equal(count(page, "</script>"), 3); /* data, the graph view, the stepper */
    assert_null(strstr(page, "<script>alert"));
    assert_contains(page, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)");
    assert_contains(page, "\\\"'\\u0026\\u000a");
    assert_contains(page, "<title>tapegrad: the chain rule for &lt;b&gt;&quot;x&quot; &amp; "
                          "&#39;y&#39;&lt;/b&gt;</title>");
    free(page);
    FILE *f = tmpfile();
    assert_int_equal(tgi_show_html(t, (tg_var){77}, f, NULL), TG_ERR_BADVAR);
    assert_int_equal(tgi_show_html(t, y, NULL, NULL), TG_ERR_ARG);
    fclose(f);
    tg_tape_free(t);
}

static char *read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *s = slurp(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fclose(f);
    return s;
}

static void render_writes_svg_and_png(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var price = build_apple_orange(t);
    assert_int_equal(tg_backward(t, price), TG_OK);
    char err[256] = "";
    if (!tgi_show_can_render()) {
        assert_int_equal(tgi_show_render(t, price, "svg", "/tmp/x.svg", err, sizeof err),
                         TG_ERR_ARG);
        assert_non_null(strstr(err, "built without Graphviz"));
        tg_tape_free(t);
        skip();
    }
    char dir[] = "/tmp/tapegrad-show-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char svg[64], png[64];
    snprintf(svg, sizeof svg, "%s/g.svg", dir);
    snprintf(png, sizeof png, "%s/g.png", dir);
    assert_int_equal(tgi_show_render(t, price, "svg", svg, err, sizeof err), TG_OK);
    assert_int_equal(tgi_show_render(t, price, "png", png, err, sizeof err), TG_OK);
    size_t len;
    char *s = read_path(svg, &len);
    assert_non_null(strstr(s, "<svg"));
    assert_non_null(strstr(s, "apple_price"));
    assert_non_null(strstr(s, "grad 2.2"));
    assert_non_null(strstr(s, "stroke=\"#c62828\""));
    free(s);
    s = read_path(png, &len);
    assert_true(len > 1000);
    assert_memory_equal(s, "\x89PNG\r\n\x1a\n", 8);
    free(s);
    assert_int_equal(tgi_show_render(t, price, "no-such-format", svg, err, sizeof err),
                     TG_ERR_FORMAT);
    assert_int_equal(tgi_show_render(t, price, "svg", "/nonexistent/dir/g.svg", err, sizeof err),
                     TG_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/dir/g.svg"));
    assert_int_equal(tgi_show_render(t, (tg_var){99}, "svg", svg, err, sizeof err), TG_ERR_BADVAR);
    remove(svg);
    remove(png);
    rmdir(dir);
    tg_tape_free(t);
}

/* y = x*x, then y = y*x n - 2 more times: n nodes; product k (k >= 2) sits in column k and
 * reads x from column 0, an edge over k - 1 columns between: sum_{k=2}^{n-1} (k - 1) =
 * (n - 1)(n - 2)/2 virtual nodes, the quadratic growth that made the layout hang. */
static tg_var build_products(tg_tape *t, size_t n)
{
    tg_var x = tg_input(t, 1.0001), y = tg_mul(t, x, x);
    for (size_t i = 2; i < n; i++)
        y = tg_mul(t, y, x);
    return y;
}

static void measure_counts_nodes_and_virtual_nodes(void **state)
{
    (void)state;
    const size_t sizes[] = {3, 10, 300, 301};
    for (int i = 0; i < 4; i++) {
        tg_tape *t = tg_tape_new();
        const size_t n = sizes[i];
        tg_var y = build_products(t, n);
        tg_input(t, 5); /* not in the cone */
        tgi_show_size size;
        assert_int_equal(tgi_show_measure(t, y, &size), TG_OK);
        assert_int_equal(size.n_nodes, n);
        assert_int_equal(size.n_edges, 2 * (n - 1));
        assert_int_equal(size.n_virtual, (n - 1) * (n - 2) / 2);
        char err[400] = "";
        /* up to 300 nodes always; 301 nodes with 44,850 virtual ones: still small enough */
        assert_true(tgi_show_fits(&size, "--svg", err, sizeof err));
        tg_tape_free(t);
    }
    tg_tape *t = tg_tape_new();
    tgi_show_size size;
    assert_int_equal(tgi_show_measure(t, (tg_var){0}, &size), TG_ERR_BADVAR);
    assert_int_equal(tgi_show_measure(NULL, (tg_var){0}, &size), TG_ERR_ARG);
    tg_var x = tg_input(t, 2);
    assert_int_equal(tgi_show_measure(t, x, &size), TG_OK);
    assert_int_equal(size.n_nodes, 1);
    assert_int_equal(size.n_virtual, 0);
    tg_tape_free(t);
}

/* 400 chained products: 400 nodes, 79,401 virtual: refused by every picture, with the reason
 * and what to do instead, and nothing written. */
static void too_large_graphs_are_refused_with_what_to_do(void **state)
{
    (void)state;
    tg_tape *t = tg_tape_new();
    tg_var y = build_products(t, 400);
    assert_int_equal(tg_backward(t, y), TG_OK);
    char err[600] = "";
    assert_int_equal(tgi_show_check(t, y, NULL, NULL, "page.html", err, sizeof err), TG_ERR_LIMIT);
    assert_non_null(strstr(err, "--html: the graph is too large to draw: 400 nodes"));
    assert_non_null(strstr(err, "--dot FILE"));
    assert_int_equal(tgi_show_check(t, y, NULL, NULL, NULL, err, sizeof err), TG_OK);
    FILE *f = tmpfile();
    assert_int_equal(tgi_show_html(t, y, f, NULL), TG_ERR_LIMIT);
    assert_int_equal(ftell(f), 0);
    fclose(f);
    if (tgi_show_can_render()) {
        char path[] = "/tmp/tapegrad-big-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        remove(path);
        assert_int_equal(tgi_show_render(t, y, "svg", path, err, sizeof err), TG_ERR_LIMIT);
        assert_non_null(strstr(err, "too large to draw"));
        assert_int_equal(access(path, F_OK), -1);
    }
    tg_tape_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_page_carries_steps_and_seed_gradients),
        cmocka_unit_test(html_page_escapes_names_and_title),
        cmocka_unit_test(render_writes_svg_and_png),
        cmocka_unit_test(measure_counts_nodes_and_virtual_nodes),
        cmocka_unit_test(too_large_graphs_are_refused_with_what_to_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
