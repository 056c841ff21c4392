#!/usr/bin/env python3
"""test_page.py: the pages `tapegrad --html` and `tapegrad --playground` write (cli/play), read
as files: one self-contained document (no src/href to anything outside it), the engine inlined
(base64 of a WebAssembly module), the starting program and inputs in its state exactly as given
(a program holding "</script>" cannot end the element early), under 1 MB, the graph view the
stepping page's (cli/show/graph.js and graph.css); and the usage errors of --playground. The
page at work in a browser: play_browser.js.
usage: test_page.py TAPEGRAD"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

tapegrad = sys.argv[1]
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else " (%s)" % detail))
    failed += not ok


def run(*args):
    return subprocess.run([tapegrad, *args], capture_output=True, text=True, timeout=60)


def parts(page):
    wasm = re.search(r'<script type="application/octet-stream" id="tapegrad-wasm">\n(.*?)</script>',
                     page, re.S)
    state = re.search(r'<script type="application/json" id="tapegrad-state">\n(.*?)</script>',
                      page, re.S)
    return (base64.b64decode(wasm.group(1)) if wasm else b""), (json.loads(state.group(1)) if state else None)


r = run("--playground", "-")
page = r.stdout
wasm, state = parts(page)
check("--playground - writes the page to standard output", r.returncode == 0 and page.startswith("<!DOCTYPE html>"),
      r.stderr)
check("the engine is inlined: a WebAssembly module", wasm[:4] == b"\0asm", wasm[:8])
check("the example is the seed's apples and oranges",
      state is not None and "price = all_price*tax" in state["program"] and
      state["inputs"] == [["apple", "100"], ["apple_num", "2"], ["orange", "150"], ["orange_num", "3"], ["tax", "1.1"]],
      state)
check("nothing is loaded from outside the page", not re.search(r'(src|href)\s*=\s*"?(https?:)?//', page))
check("the page weighs under 1 MB", len(page.encode()) < 1000000, len(page.encode()))
# one graph view for both pages: the stepping page's, inlined as it is in the source
show = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'cli', 'show')
graph_js = open(os.path.join(show, 'graph.js'), encoding='utf-8').read()
graph_css = open(os.path.join(show, 'graph.css'), encoding='utf-8').read()
check("the graph view is cli/show's graph.js and graph.css, inlined whole, once",
      page.count(graph_js) == 1 and page.count(graph_css) == 1 and page.count("tapegradGraph = {") == 1 and
      "function tapegradGraph(" not in page, (page.count(graph_js), page.count(graph_css)))

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "p.html")
    prog = "y = x*2 # </script><b>&\nsigmoid(y)"
    r = run("--html", out, "--", prog, "x=-0.5", "w=1e-3")
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    _, state = parts(text)
    check("--html FILE PROGRAM NAME=VALUE ... writes the live page with them", r.returncode == 0 and state is not None and
          state["program"] == prog and state["inputs"] == [["x", "-0.5"], ["w", "1e-3"]], (r.stderr, state))
    check("a program holding </script> stays inside its element", text.lower().count("</script") == 3,
          text.lower().count("</script"))
    check("the title is escaped", "<title>tapegrad playground</title>" in text)
    prog_file = os.path.join(tmp, "prog.tg")
    with open(prog_file, "w") as f:
        f.write("a = x*x\na + 1\n")
    r = run("--html", out, "-f", prog_file, "x=3")
    _, state = parts(open(out, encoding="utf-8").read())
    check("--html with -f FILE starts from the file's program", r.returncode == 0 and state["program"] == "a = x*x\na + 1\n", state)
    r = run("--html", out, "log(x)", "x=-1")
    check("--html of a program that does not run fails as the command does", r.returncode == 2 and
          r.stderr.startswith("tapegrad: error: "), r.stderr)

r = run("--playground")
check("--playground without a FILE is a usage error", r.returncode == 2 and "needs a FILE" in r.stderr, r.stderr)
r = run("--playground", "a.html", "x*y")
check("--playground takes nothing but its FILE", r.returncode == 2 and "takes only a FILE" in r.stderr, r.stderr)
r = run("--playground", "/nonexistent-dir/a.html")
check("--playground to a file it cannot write says why", r.returncode == 2 and "cannot write" in r.stderr, r.stderr)
print("%d failed" % failed)
sys.exit(1 if failed else 0)
