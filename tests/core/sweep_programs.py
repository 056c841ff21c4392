#!/usr/bin/env python3
"""sweep_programs.py: feeds the conformance suite's programs (its contract cases with inputs,
and seeded random programs from its generator) to sweep_programs, which compares tg_backward's
two sweeps on each, bit for bit (see sweep_programs.c for the format).

usage: sweep_programs.py SWEEP_PROGRAMS [--count N] [--seed S]"""
import argparse
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "play"))
sys.path.insert(0, os.path.join(HERE, "..", "cli", "conformance"))
import dump_cases  # noqa: E402  (the contract's program cases)
import fuzz  # noqa: E402  (the random programs' generator)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1201)
    args = ap.parse_args()
    if os.environ.get("TG_VALGRIND"):  # under memcheck (meson test --setup valgrind): fewer
        args.count = min(args.count, 300)
    rng = random.Random(args.seed)
    todo = [(prog, ins) for _, prog, ins in dump_cases.from_contract()]
    todo += [fuzz.gen_program(rng) for _ in range(args.count)]
    chunks = []
    for prog, ins in todo:
        if len(ins) > 8 or any(not n or not v or len(n) > 63 or len(v) > 127 or any(c.isspace() for c in n + v) for n, v in ins):
            continue
        body = prog.encode("utf-8")
        chunks.append(("%d\n" % len(ins)).encode())
        chunks += [("%s %s\n" % (n, v)).encode() for n, v in ins]
        chunks.append(b"%d\n" % len(body) + body + b"\n")
    r = subprocess.run([args.exe], input=b"".join(chunks), capture_output=True, timeout=3000)
    sys.stdout.write(r.stdout.decode())
    sys.stderr.write(r.stderr.decode())
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
