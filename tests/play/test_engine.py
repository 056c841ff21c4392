#!/usr/bin/env python3
"""test_engine.py: meson's test of tapegrad.wasm without a browser: writes the conformance
programs with the native command's answers (dump_cases.py) and runs engine_check.js under
Node.js on them. Skips (exit 77) when node is not installed.
usage: test_engine.py TAPEGRAD TAPEGRAD.wasm ENGINE.js"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
tapegrad, wasm, engine = sys.argv[1:4]
node = shutil.which("node") or shutil.which("nodejs")
if not node:
    print("node is not installed: skipped")
    sys.exit(77)
with tempfile.TemporaryDirectory() as tmp:
    cases = os.path.join(tmp, "cases.json")
    subprocess.run([sys.executable, os.path.join(HERE, "dump_cases.py"), tapegrad, cases,
                    "--count", "300"], check=True)
    sys.exit(subprocess.run([node, os.path.join(HERE, "engine_check.js"), engine, wasm,
                             cases]).returncode)
