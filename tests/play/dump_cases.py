#!/usr/bin/env python3
"""dump_cases.py: the programs of the conformance suite (tests/cli/conformance: the contract's
cases that are a program with inputs, and seeded random programs, some edited into syntax and
name errors) with what the native `tapegrad --json` gives for each: exit code, stdout, and the
first line of stderr. The browser test (play_browser.js) calls window.tapegrad.run on each and
compares, bit for bit.

usage: dump_cases.py TAPEGRAD OUT.json [--count N] [--seed S]"""

import argparse
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli", "conformance"))
import cases  # noqa: E402
import fuzz  # noqa: E402


def from_contract():
    """(program, [(name, value_text)]) of each contract case that is --json, a program, inputs."""
    out = []
    for c in cases.CASES:
        argv = c["argv"]
        if "--json" not in argv or "file" in c or "stdin" in c:
            continue
        rest = [a for a in argv if a != "--json"]
        if rest and rest[0] == "--":
            rest = rest[1:]
        elif not rest or rest[0].startswith("-") or any(a.startswith("--") for a in rest):
            continue
        if not rest or "--" in rest:
            continue
        prog, ins = rest[0], rest[1:]
        if any("=" not in a for a in ins):
            continue
        names = [a.split("=", 1)[0] for a in ins]
        if len(set(names)) < len(names):  # run() takes an object: no name twice
            continue
        out.append((c["id"], prog, [tuple(a.split("=", 1)) for a in ins]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tapegrad")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    todo = from_contract()
    for i in range(args.count):
        prog, inputs = fuzz.gen_program(rng)
        if i % 5 == 4:
            prog = fuzz.mutate(rng, prog)
        todo.append(("random_%d" % i, prog, inputs))
    rows = []
    for cid, prog, inputs in todo:
        argv = ["--json", "--", prog] + ["%s=%s" % kv for kv in inputs]
        r = subprocess.run([args.tapegrad] + argv, capture_output=True, timeout=30)
        if r.returncode not in (0, 1, 2):
            continue
        rows.append({"id": cid, "program": prog, "inputs": [list(kv) for kv in inputs],
                     "code": r.returncode, "stdout": r.stdout.decode("utf-8", "replace"),
                     "stderr_first": r.stderr.decode("utf-8", "replace").split("\n")[0]})
    with open(args.out, "w") as f:
        json.dump(rows, f)
    print("%d programs (%d from the contract's cases)" % (len(rows), len(from_contract())))


if __name__ == "__main__":
    main()
