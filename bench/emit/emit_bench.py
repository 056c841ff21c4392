#!/usr/bin/env python3
"""emit_bench.py: WORKLOADS.md's W1 ("chain") and W3 ("fanout") as tapegrad programs, written
out by `tapegrad --emit c`, compiled, and timed against the hand-written C of bench/hand.c
(same arithmetic, same order), paired and interleaved in one process; then how long the C
compiler takes on the emitted code at 1e3, 1e4 and 1e5 op nodes.

usage: emit_bench.py TAPEGRAD [--n 10000] [--samples 11] [--cc cc] [--sizes 1e3,1e4,1e5]
Prints a Markdown table (bench/README.md, "--emit c"). Exit 1 if a result is not the
workload's exact one."""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
CFLAGS = ["-O2", "-ffp-contract=off"]


def w1_program(n):
    """WORKLOADS.md W1: N/8 blocks of mul, add, relu, pow 2, pow 0.5, mul, add, relu."""
    lines = ["y = x"]
    block = "t1 = y*a; t2 = t1 + b; t3 = relu(t2); t4 = t3^2; t5 = t4^0.5; t6 = t5*a; " \
            "t7 = t6 + b; y = relu(t7)"
    lines += [block] * (n // 8)
    lines.append("y")
    return "\n".join(lines) + "\n", ["x=0.375", "a=-1", "b=1"]


def w3_program(n):
    """WORKLOADS.md W3: t_i = x*k for i < N, summed left to right (2N - 1 op nodes)."""
    lines = ["s = x*k"] + ["s = s + x*k"] * (n - 1) + ["s"]
    return "\n".join(lines) + "\n", ["x=0.5", "k=1.5"]


def emit(exe, prog, inputs, name, path):
    with open(path + ".tg", "w") as f:
        f.write(prog)
    t0 = time.perf_counter()
    with open(path, "w") as out:
        p = subprocess.run([exe, "--emit", "c", "--emit-name", name, "-f", path + ".tg"] + inputs,
                           stdout=out, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("emit_bench: tapegrad --emit c failed: " + p.stderr)
    return dt


DRIVER = r"""
/* times the emitted W1/W3 against bench/hand.c's, paired: sample k runs one then the other */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "bench.h"
double w1_emit(const double *x, double *grad);
double w3_emit(const double *x, double *grad);
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
/* one sample: repeats until it lasts >= 5 ms; seconds per run */
static double time_emit(double (*fn)(const double *, double *), const double *x, double *g,
                        double *check)
{
    size_t reps = 0;
    const double t0 = now();
    double t;
    do {
        volatile double v = fn(x, g);
        check[0] = v;
        reps++;
    } while ((t = now() - t0) < 5e-3);
    return t / reps;
}
static double time_hand(const bench_peer *p, void *ctx)
{
    size_t reps = 0;
    double spent = 0.0;
    do {
        p->reset(ctx);
        const double t0 = now();
        p->record(ctx);
        p->backward(ctx);
        spent += now() - t0;
        reps++;
    } while (spent < 5e-3);
    return spent / reps;
}
int main(int argc, char **argv)
{
    const size_t n = strtoul(argv[1], NULL, 10);
    const int samples = argc > 2 ? atoi(argv[2]) : 11;
    int bad = 0;
    for (int w = 0; w < 2; w++) {
        const bench_peer *p = w ? &hand_w3_peer : &hand_w1_peer;
        double (*fn)(const double *, double *) = w ? w3_emit : w1_emit;
        static volatile double xv[3] = {0.375, -1.0, 1.0}, xw[2] = {0.5, 1.5};
        double x[3], g[3], v[1], hand[4];
        for (int k = 0; k < 3; k++)
            x[k] = w ? (k < 2 ? xw[k] : 0.0) : xv[k];
        void *ctx = p->make(n);
        double te[64], th[64], ratio[64];
        for (int s = 0; s < samples && s < 64; s++) {
            te[s] = time_emit(fn, x, g, v);
            th[s] = time_hand(p, ctx);
            ratio[s] = te[s] / th[s];
        }
        p->check(ctx, hand);
        /* the emitted code and the hand-written one give the same bits */
        const int same = v[0] == hand[0] && g[0] == hand[1] && g[1] == hand[2] &&
                         (w ? 1 : g[2] == hand[3]);
        bad |= !same;
        qsort(te, samples, sizeof *te, cmp);
        qsort(th, samples, sizeof *th, cmp);
        qsort(ratio, samples, sizeof *ratio, cmp);
        const double nodes = w ? 2.0 * n - 1 : (double)n;
        printf("%s %zu %.3f %.3f %.2f %.2f %.2f %s\n", w ? "W3" : "W1", n,
               1e9 * te[samples / 2] / nodes, 1e9 * th[samples / 2] / nodes,
               ratio[samples / 2], ratio[0], ratio[samples - 1], same ? "same" : "DIFFERENT");
        p->destroy(ctx);
    }
    return bad;
}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tapegrad")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--samples", type=int, default=11)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--sizes", default="1e3,1e4,1e5")
    ap.add_argument("--levels", default="-O0,-O1,-O2")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds one compile may take before it is reported as '> T'")
    a = ap.parse_args()
    if not shutil.which(a.cc):
        print("emit_bench: no C compiler; skipped")
        return 77
    exe = os.path.abspath(a.tapegrad)
    work = tempfile.mkdtemp(prefix="emit_bench_")
    rc = 0
    try:
        w1 = os.path.join(work, "w1.c")
        w3 = os.path.join(work, "w3.c")
        emit(exe, *w1_program(a.n), "w1_emit", w1)
        emit(exe, *w3_program(a.n), "w3_emit", w3)
        drv = os.path.join(work, "driver.c")
        with open(drv, "w") as f:
            f.write(DRIVER)
        binary = os.path.join(work, "driver")
        cmd = [a.cc] + CFLAGS + ["-I", BENCH, drv, w1, w3, os.path.join(BENCH, "hand.c"),
                                 os.path.join(BENCH, "moons.c"), "-o", binary, "-lm"]
        subprocess.run(cmd, check=True)
        out = subprocess.run([binary, str(a.n), str(a.samples)], capture_output=True, text=True)
        rc = out.returncode
        print("Run time, N = %d (%s %s; median of %d paired samples, each >= 5 ms):\n"
              % (a.n, a.cc, " ".join(CFLAGS), a.samples))
        print("| workload | op nodes | emitted C (ns/node) | hand-written C (ns/node) | "
              "emitted / hand (median, min-max) | same results |")
        print("|---|---|---|---|---|---|")
        for line in out.stdout.splitlines():
            w, n, te, th, r, rlo, rhi, same = line.split()
            nodes = 2 * int(n) - 1 if w == "W3" else int(n)
            print("| %s | %d | %s | %s | %sx (%s-%s) | %s |" % (w, nodes, te, th, r, rlo, rhi, same))
        levels = a.levels.split(",")
        print("\nCompile time of the emitted code (%s -ffp-contract=off -c LEVEL, wall seconds of "
              "one run each on this shared machine; user CPU in parentheses):\n" % a.cc)
        print("| workload | op nodes | tapegrad --emit c (s) | C file (MB) | %s |"
              % " | ".join(levels))
        print("|---|---|---|---|%s" % ("---|" * len(levels)))
        for size in a.sizes.split(","):
            n = int(float(size))
            for name, gen in (("W1", w1_program), ("W3", w3_program)):
                path = os.path.join(work, "%s_%d.c" % (name, n))
                t_emit = emit(exe, *gen(n), "f", path)
                cells = []
                for level in levels:
                    t0 = time.perf_counter()
                    r0 = os.times()
                    try:
                        p = subprocess.run([a.cc, level, "-ffp-contract=off", "-c", path, "-o",
                                            path + ".o"], capture_output=True, timeout=a.timeout)
                        r1 = os.times()
                        cpu = (r1.children_user - r0.children_user)
                        cells.append("%.1f (%.1f)" % (time.perf_counter() - t0, cpu)
                                     if p.returncode == 0 else "failed")
                    except subprocess.TimeoutExpired:
                        cells.append("> %.0f" % a.timeout)
                nodes = 2 * n - 1 if name == "W3" else n
                print("| %s | %d | %.2f | %.1f | %s |" % (name, nodes, t_emit,
                                                         os.path.getsize(path) / 1e6,
                                                         " | ".join(cells)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
