#!/usr/bin/env python3
"""emit_fuzz.py: `tapegrad --emit c` on the conformance suite's random programs
(tests/cli/conformance/fuzz.py's generator: every function, operator and rule of the language).
Each program is emitted at its generated inputs, the functions are compiled in batches with the
system compiler (cc -O2 -ffp-contract=off -std=c99 -pedantic -Wall -Wextra -Werror, with
-DTAPEGRAD_LIBM and ops/tg_libm_*.c when --libm-c gives them, as meson does: a warning
fails), and each compiled function is run at the given inputs and at other random inputs of the
generator's domain. Its value and gradient must equal `tapegrad --json` at the same inputs bit
for bit (NaNs equal, the sign of a zero counted). Every fourth program is also emitted with
--hessian; its Hessian is compared with `tapegrad --json --hessian` (forward over reverse, where
the code is reverse over reverse: equal to rounding, 1e-9 relative, and the bit-exact share is
counted); the command itself checks the reverse-over-reverse Hessian bit for bit before printing.

usage: emit_fuzz.py TAPEGRAD [--count N] [--seed S] [--others K] [--batch B] [--cc CC]
Ends with 'N passed, N failed'; exit 1 on any failure, 77 when no C compiler is found."""

import argparse
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli", "conformance"))
import fuzz as F  # noqa: E402  the generator only (gen_program, gen_value)

CFLAGS = ["-O2", "-ffp-contract=off", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"]


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return bits(a) == bits(b)


def run(exe, argv):
    p = subprocess.run([exe] + argv, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def tape_json(exe, prog, inputs, hessian=False):
    """value, grads (and Hessian rows) from the tape, or None when the command refuses."""
    argv = ["--json"] + (["--hessian"] if hessian else []) + ["--", prog]
    argv += ["%s=%s" % (n, v) for n, v in inputs]
    code, out, _ = run(exe, argv)
    if code != 0:
        return None
    obj = json.loads(out, parse_int=float)
    grads = [float(obj["grad"][n]) for n, _ in inputs]
    hess = obj.get("hessian")
    return float(obj["value"]), grads, hess


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tapegrad")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--others", type=int, default=2, help="random input points per program")
    ap.add_argument("--batch", type=int, default=250, help="functions per compiled file")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--libm-c", help="'-I... ops/tg_libm_*.c': compile with -DTAPEGRAD_LIBM and "
                    "these, so that sin, exp, ... are the engine's own functions; without it they "
                    "are the C library's, which may differ from the engine's in the last bits (and "
                    "fail the comparison)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not shutil.which(a.cc):
        print("emit_fuzz: no C compiler (%s); skipped" % a.cc)
        return 77
    exe = os.path.abspath(a.tapegrad)
    rng = random.Random(a.seed)
    t0 = time.time()
    cases = []  # (fn name, prog, names, [(point, expected)], hessian)
    stats = {"programs": 0, "refused": 0, "emitted": 0, "points": 0, "hessians": 0}
    failures = []
    for i in range(a.count):
        prog, inputs = F.gen_program(rng)
        stats["programs"] += 1
        hessian = i % 4 == 3 and len(inputs) > 0
        expect = tape_json(exe, prog, inputs, hessian)
        name = "tg_f%d" % i
        argv = ["--emit", "c", "--emit-name", name] + (["--hessian"] if hessian else [])
        argv += ["--", prog] + ["%s=%s" % (n, v) for n, v in inputs]
        code, code_text, err = run(exe, argv)
        if expect is None:
            # a refusal of the report (non-finite) must be a refusal of the code too
            if code != 2 or not err.startswith("tapegrad: error: "):
                failures.append("program %d: the report refused, --emit c gave exit %d: %r"
                                % (i, code, prog))
            stats["refused"] += 1
            continue
        if code != 0:
            if hessian and ("Hessian is not finite" in err or "takes a branch" in err):
                stats["refused"] += 1
                continue
            failures.append("program %d: --emit c exit %d (%s): %r" % (i, code, err.strip(), prog))
            continue
        stats["emitted"] += 1
        points = [([float(v) for _, v in inputs], expect)]
        for _ in range(a.others):
            other = [(n, F.gen_value(rng)) for n, _ in inputs]
            e = tape_json(exe, prog, other, hessian)
            # the gradient graph fixes when it is recorded what pow's conventions at 0 and the
            # branches of where, min and max take, so the emitted Hessian holds where they take
            # the same ones: compared elsewhere only for programs without such a choice
            branches = any(f in prog for f in ("where", "min", "max"))
            if e is not None and hessian and (branches or
                                              any(float(v) == 0.0 for _, v in other)):
                e = (e[0], e[1], None)
            if e is not None:
                points.append(([float(v) for _, v in other], e))
        cases.append((name, prog, [n for n, _ in inputs], points, hessian, code_text))
    hess_exact = hess_close = 0
    work = tempfile.mkdtemp(prefix="emit_fuzz_")
    try:
        for start in range(0, len(cases), a.batch):
            chunk = cases[start:start + a.batch]
            src = os.path.join(work, "batch%d.c" % start)
            with open(src, "w") as f:
                f.write("#include <stdio.h>\n")
                for c in chunk:
                    f.write(c[5])
                    f.write("\n")
                f.write("int main(void)\n{\n    double g[8], h[64];\n")
                for idx, (name, _, names, points, hessian, _) in enumerate(chunk):
                    for pi, (x, _) in enumerate(points):
                        xs = ", ".join(v.hex() if math.isfinite(v) else repr(v) for v in x)
                        # the inputs are read at run time: with constants in sight a compiler
                        # may evaluate tanh(0.25) at compile time, correctly rounded, where
                        # the tape called the C library at run time
                        f.write("    {\n        static volatile const double xv[] = {%s};\n"
                                % (xs or "0.0"))
                        f.write("        double x[8];\n")
                        f.write("        for (int k = 0; k < %d; k++) x[k] = xv[k];\n"
                                % max(1, len(x)))
                        call = "%s(x, g%s)" % (name, ", h" if hessian else "")
                        f.write("        const double v = %s;\n" % call)
                        f.write('        printf("%d %d %%a' % (idx, pi))
                        for k in range(len(names)):
                            f.write(" %a")
                        for k in range(len(names) ** 2 if hessian else 0):
                            f.write(" %a")
                        f.write('\\n", v')
                        for k in range(len(names)):
                            f.write(", g[%d]" % k)
                        for k in range(len(names) ** 2 if hessian else 0):
                            f.write(", h[%d]" % k)
                        f.write(");\n    }\n")
                f.write("    return 0;\n}\n")
            binary = src[:-2]
            libm = ["-DTAPEGRAD_LIBM"] + a.libm_c.split() if a.libm_c else []
            libm += [src, "-o", binary]
            cp = subprocess.run([a.cc] + CFLAGS + libm + ["-lm"], capture_output=True, text=True)
            if cp.returncode != 0 or cp.stderr.strip():
                failures.append("batch %d does not compile cleanly:\n%s" % (start, cp.stderr[:3000]))
                continue
            out = subprocess.run([binary], capture_output=True, text=True, timeout=300).stdout
            for line in out.splitlines():
                parts = line.split()
                idx, pi = int(parts[0]), int(parts[1])
                name, prog, names, points, hessian, _ = chunk[idx]
                got = [float.fromhex(p) for p in parts[2:]]
                x, (value, grads, hess) = points[pi]
                stats["points"] += 1
                want = [value] + grads
                for k, w in enumerate(want):
                    if not same(got[k], w):
                        what = "value" if k == 0 else "d/d%s" % names[k - 1]
                        failures.append("program %s at %r: %s is %r, the tape %r: %r"
                                        % (name, x, what, got[k], w, prog))
                        break
                if hessian and hess is not None and all(v is not None for r in hess for v in r):
                    stats["hessians"] += 1
                    n = len(names)
                    hv = got[1 + n:]
                    flat = [float(v) for row in hess for v in row]
                    if all(same(p, q) for p, q in zip(hv, flat)):
                        hess_exact += 1
                    elif all(abs(p - q) <= 1e-9 * max(1.0, abs(q)) for p, q in zip(hv, flat)):
                        hess_close += 1
                    else:
                        failures.append("program %s at %r: Hessian %r, the tape %r: %r"
                                        % (name, x, hv, flat, prog))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures[:20]:
        print("FAIL:", f)
    print("emit_fuzz: %d programs, %d emitted, %d refused by both (non-finite), %d points "
          "compared bit for bit; %d Hessians (%d bit for bit with the forward-over-reverse "
          "report, %d within 1e-9); %.0f s"
          % (stats["programs"], stats["emitted"], stats["refused"], stats["points"],
             stats["hessians"], hess_exact, hess_close, time.time() - t0))
    passed = stats["points"] - sum(1 for f in failures if f.startswith("program tg_"))
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
