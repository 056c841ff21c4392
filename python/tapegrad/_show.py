"""How a Value shows itself in Jupyter: its graph as SVG (the library's DOT export, laid out by
Graphviz: the `graphviz` Python package or the `dot` program, whichever is there) and, in HTML,
the graph above the chain rule step by step (v.trace()). Graphs larger than MAX_NODES show as
their repr: a picture of 65,000 nodes helps nobody and takes minutes to lay out."""
import html as _html
import shutil
import subprocess

MAX_NODES = 300


def _layout(dot_source):
    try:
        import graphviz
        return graphviz.Source(dot_source).pipe(format="svg").decode("utf-8")
    except ImportError:
        pass
    dot = shutil.which("dot")
    if dot is None:
        return None
    done = subprocess.run([dot, "-Tsvg"], input=dot_source.encode("utf-8"),
                          capture_output=True, timeout=60, check=False)
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


def svg(v):
    if v.n_nodes() > MAX_NODES:
        return None
    text = _layout(v._dot())
    if text is None:
        return None
    start = text.find("<svg")  # drop the XML prologue so the SVG can sit inside HTML
    return text[start:] if start >= 0 else text


def html(v):
    picture = svg(v)
    if picture is None:
        return None
    steps = _html.escape(v.trace())
    return ("<div class=\"tapegrad-value\">" + picture +
            "<details><summary>the chain rule, step by step</summary>"
            "<pre style=\"font-size: 13px; line-height: 1.3\">" + steps + "</pre></details></div>")
