"""How a Value shows itself: its graph as SVG (the library's DOT export, laid out by Graphviz:
the `graphviz` Python package or the `dot` program), its graph as a program of tapegrad's
expression language (program()), and in Jupyter's HTML the stepping page of the `tapegrad`
command (`--html`, the same page as on the command line, in an iframe) run on that program, or
the SVG with the trace folded under it when the command is not at hand. Graphs larger than
MAX_NODES show as their repr: a picture of 65,000 nodes helps nobody and takes minutes to lay
out."""
import html as _html
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

MAX_NODES = 300

# how the language writes each op from the table; other ops are written name(args)
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "powc": "^"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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


def _topo(root):
    order, seen, stack = [], set(), [(root, iter(root._args))]
    seen.add(id(root))
    while stack:
        v, kids = stack[-1]
        for c in kids:
            if id(c) not in seen and c._opid not in ("input", "const"):
                seen.add(id(c))
                stack.append((c, iter(c._args)))
                break
            if id(c) not in seen:
                seen.add(id(c))
                order.append(c)
        else:
            stack.pop()
            order.append(v)
    return order


def _number(x):
    if not math.isfinite(x):
        raise ValueError(f"a constant {x!r} cannot be written in the language")
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def program(root):
    """(source, inputs): root's graph as a program of tapegrad's expression language, one
    statement per operation named by its label (or n1, n2, ...), and the leaves made by the user
    as inputs {name: value}; constants are written as numbers. tapegrad.run(source, **inputs)
    and `tapegrad PROGRAM NAME=VALUE ...` record the same graph and compute the same values."""
    names, used, inputs, lines = {}, set(), {}, []

    from . import op_names
    reserved = {name for name, _ in op_names()}

    def fresh(v, prefix):
        label = v.label
        if label and _IDENT.match(label) and label not in used and label not in reserved:
            name = label
        else:
            k = 1
            while f"{prefix}{k}" in used:
                k += 1
            name = f"{prefix}{k}"
        used.add(name)
        return name

    def ref(v):
        return _number(v.data) if v._const else names[id(v)]

    for v in _topo(root):
        op = v._opid
        if op == "const":
            continue
        if op == "input":
            names[id(v)] = fresh(v, "x")
            if not math.isfinite(float(v.data)):
                raise ValueError(f"input {names[id(v)]} is {v.data!r}")
            inputs[names[id(v)]] = float(v.data)
            continue
        args = [ref(c) for c in v._args]
        if op in _INFIX:
            expr = f"{args[0]} {_INFIX[op]} {args[1]}"
        elif op == "neg":
            expr = f"-{args[0]}"
        elif op == "sum":
            expr = " + ".join(["0"] + args)
        elif op == "dot":
            m = len(args) // 2
            expr = " + ".join(["0"] + [f"{args[j]}*{args[m + j]}" for j in range(m)])
        else:
            expr = f"{op}({', '.join(args)})"
        names[id(v)] = fresh(v, "n")
        lines.append(f"{names[id(v)]} = {expr}")
    return "\n".join(lines), inputs


def _command():
    """The `tapegrad` command: $TAPEGRAD_CLI, the build tree's (build/python/tapegrad ->
    build/cli/tapegrad), the environment's (sys.prefix/bin), or the one on PATH."""
    env = os.environ.get("TAPEGRAD_CLI")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "cli", "tapegrad")
    if os.access(built, os.X_OK):
        return built
    beside = os.path.join(sys.prefix, "bin", "tapegrad")  # pip's wheel installs it there
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("tapegrad")


def page(root):
    """The `tapegrad --html` stepping page of root's graph, as a string, or None when the
    command is not found or refuses (a graph too large, a non-finite input)."""
    cmd = _command()
    if cmd is None:
        return None
    try:
        source, inputs = program(root)
    except ValueError:
        return None
    if not source:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        prog, out = os.path.join(tmp, "graph.tg"), os.path.join(tmp, "page.html")
        with open(prog, "w", encoding="utf-8") as f:
            f.write(source + "\n")
        args = [cmd, "--html", out, "-f", prog] + [f"{k}={v!r}" for k, v in inputs.items()]
        try:
            done = subprocess.run(args, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0 or not os.path.exists(out):
            return None
        with open(out, encoding="utf-8") as f:
            return f.read()


def html(v):
    if v.n_nodes() > MAX_NODES:
        return None
    stepper = page(v)
    if stepper is not None:
        return ("<iframe class=\"tapegrad-stepper\" style=\"width: 100%; height: 560px; "
                "border: 1px solid #ccc; box-sizing: border-box\" srcdoc=\"" + _html.escape(stepper, quote=True) +
                "\"></iframe>")
    picture = svg(v)
    if picture is None:
        return None
    steps = _html.escape(v.trace())
    return ("<div class=\"tapegrad-value\">" + picture +
            "<details><summary>the chain rule, step by step</summary>"
            "<pre style=\"font-size: 13px; line-height: 1.3\">" + steps + "</pre></details></div>")
