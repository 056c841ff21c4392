#!/usr/bin/env python3
"""run_notebook.py NOTEBOOK OUT_DIR: executes a demo notebook headless (nbclient, Debian's
jupyter-nbconvert), checks what its cells print (micrograd's moons demo on tapegrad: the
step-0 loss 1.1123622922763847, training to 100% accuracy, the graph shown as SVG, the fast
path's same loss and gradients) and writes OUT_DIR/NAME.html for a screenshot. Exit 0 on
success, 1 on a failed check, 77 (skipped) when nbclient/nbconvert is not installed."""
import os
import sys

try:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter
except ImportError as exc:
    print(f"notebook: SKIPPED: {exc} (apt-get install jupyter-nbconvert python3-ipykernel)")
    sys.exit(77)


def main():
    path, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": os.path.dirname(path)}}).execute()
    nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))  # as executed
    texts, mimes, pages = [], set(), 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                texts.append(out["text"])
            for mime, data in out.get("data", {}).items():
                mimes.add(mime)
                if mime == "text/plain":
                    texts.append(data)
                if mime == "text/html" and "tapegrad-stepper" in data:
                    pages += 1
            svg = out.get("data", {}).get("image/svg+xml")
            if svg is not None and "text/html" not in out["data"]:
                # Debian's nbconvert cleans SVG outputs with lxml, which refuses their XML
                # prologue and drops every <g>, <path> and <text>: hand the page the <svg>
                # element as HTML instead (what Jupyter shows anyway)
                start = svg.find("<svg")
                out["data"]["text/html"] = svg[start:] if start >= 0 else svg
    text = "\n".join(texts)
    checks = {
        "step-0 loss is W2's": "step 0 loss 1.1123622922763847" in text,
        "it trains": "accuracy 100.0%" in text,
        "trace printed": "Backward pass" in text and "dL/d(x1)" in text,
        "graph shown as SVG": "image/svg+xml" in mimes,
        "stepping page shown": pages >= 1,
        "fast path, same loss": "same loss: True" in text,
        "fast path, same gradients": "largest gradient difference: 0.0" in text,
    }
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_path = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + ".html")
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(body)
    failed = [name for name, ok in checks.items() if not ok]
    for name in checks:
        print(f"notebook: {'FAILED' if name in failed else 'ok'}: {name}")
    print(f"notebook: html in {html_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
