# 65-trace-markdown.sh: `tapegrad --trace=markdown` rendered as a reader sees it. Converts the
# traces of the apple/orange example and of the seed's two-sample squared loss (a loss named L,
# so the placeholders must give way) to HTML with pandoc (Debian package pandoc, MathML for the
# LaTeX) and checks what renders: the report as a code block (not a run-on paragraph), the three
# tables with as many rows as the trace has nodes and steps, and math in every formula cell.
# Pages in build-ci/trace-markdown/. Counts one pass or fail; skips (counting nothing) when
# pandoc cannot be installed. Sourced by .ci/run: no exit.

trace_markdown_step() {
    local dir=build-ci work=build-ci/trace-markdown
    local exe=$dir/cli/tapegrad
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ ! -x "$exe" ]; then
        echo "ci: trace-markdown: FAILED: $exe was not built"
        failed=$((failed + 1))
        return
    fi
    if ! command -v pandoc >/dev/null 2>&1; then
        echo "ci: trace-markdown: installing pandoc (apt-get)"
        $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq pandoc \
            >"$dir/trace-markdown-apt.log" 2>&1 ||
            { $sudo timeout 300 apt-get update -qq >/dev/null 2>&1 &&
              $sudo DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq pandoc \
                  >"$dir/trace-markdown-apt.log" 2>&1; }
    fi
    if ! command -v pandoc >/dev/null 2>&1; then
        echo "ci: trace-markdown: SKIPPED: pandoc is not installed and could not be (see $dir/trace-markdown-apt.log)"
        return
    fi
    mkdir -p "$work"
    "$exe" --trace=markdown 'price = (apple*apple_num + orange*orange_num)*tax' \
        apple=100 apple_num=2 orange=150 orange_num=3 tax=1.1 >"$work/apple_orange.md" &&
        "$exe" --trace=markdown 'L = ((y1 - yhat1)^2 + (y2 - yhat2)^2)/2' \
            y1=1 yhat1=0.3 y2=0 yhat2=0.6 >"$work/squared_loss.md"
    local rc=$?
    local f ok=1
    for f in apple_orange squared_loss; do
        if [ $rc -ne 0 ] || ! pandoc -s --mathml --metadata title="$f" -f markdown -t html \
            "$work/$f.md" -o "$work/$f.html" 2>"$work/$f.pandoc.log"; then
            ok=0
            continue
        fi
        python3 - "$work/$f.md" "$work/$f.html" <<'PY' || ok=0
import re, sys
md, html = open(sys.argv[1]).read(), open(sys.argv[2]).read()
errors = []
# the report is a code block: "value = ..." inside <code>, never inside a <p>
if not re.search(r"<code>value = [^<]*\nd/d", html):
    errors.append("the report is not a code block")
if re.search(r"<p>value = ", html):
    errors.append("the report renders as a paragraph")
tables = re.findall(r"<table>(.*?)</table>", html, re.S)
if len(tables) != 3:
    errors.append("%d tables, not 3" % len(tables))
rows_md = [len([l for l in block.splitlines() if l.startswith("|")]) - 2
           for block in re.split(r"\n\s*\n", md) if block.startswith("|")]
rows_html = [t.count("<tr") - 1 for t in tables]
if rows_md != rows_html:
    errors.append("rows %s in the Markdown, %s rendered" % (rows_md, rows_html))
# every formula cell of the backward table became math, and no $ is left over
backward = tables[1] if len(tables) > 1 else ""
if backward.count("<math") < 3 * (backward.count("<tr") - 2):
    errors.append("formula cells without math")
if "$" in re.sub(r"<annotation.*?</annotation>", "", html, flags=re.S):
    errors.append("a $ left over: math that did not render")
for e in errors:
    print("ci: trace-markdown: %s: %s" % (sys.argv[1], e))
sys.exit(1 if errors else 0)
PY
    done
    if [ $ok -eq 1 ]; then
        echo "ci: trace-markdown: ok (pages in $work)"
        passed=$((passed + 1))
    else
        echo "ci: trace-markdown: FAILED (see $work)"
        failed=$((failed + 1))
    fi
}

trace_markdown_step
