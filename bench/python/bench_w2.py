#!/usr/bin/env python3
"""bench_w2.py: WORKLOADS.md's W2 (micrograd's moons step) in Python, side by side in one run:

  micrograd          karpathy/micrograd itself (a checkout given by --micrograd DIR or
                     $MICROGRAD_DIR; never copied into this tree), the demo's code as it is;
  tapegrad           the same code, only the imports changed (tapegrad.Value, tapegrad.nn);
  tapegrad-dot       tapegrad.nn.MLP(..., fast=True): each neuron one dot node, a layer one C
                     call, the sums as tapegrad.sum / tapegrad.dot (the same additions in the
                     same order, so the same numbers bit for bit).

The steps of the engines are interleaved (one step of each in turn), so that the machine's noise
hits all alike; ratios are of medians taken in this one run. Checks: the step-0 loss of every
engine is 1.1123622922763847 bit for bit, and the 337 step-0 gradients agree with micrograd's
(else with tapegrad's) to a relative 1e-12. One JSON line per engine on stdout (WORKLOADS.md's
fields), then one line of ratios; progress on stderr.

    PYTHONPATH=build/python python3 bench/python/bench_w2.py [--steps 100] [--micrograd DIR]
"""
import argparse
import gc
import importlib
import json
import os
import statistics
import sys
import time

MASK = (1 << 64) - 1
LOSS0 = 1.1123622922763847


class SplitMix64:
    def __init__(self, state):
        self.state = state & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def u01(self):
        return (self.next() >> 11) * 2.0 ** -53


def moons():
    """WORKLOADS.md's 100 points (numpy arrays, labels int64 as in micrograd's demo)."""
    import math
    import numpy as np
    g = SplitMix64(42)
    pts, labels = [], []
    for moon, label in ((0, -1), (1, 1)):
        for i in range(50):
            t = math.pi * i / 49
            nx = 0.1 * (2.0 * g.u01() - 1.0)
            ny = 0.1 * (2.0 * g.u01() - 1.0)
            if moon == 0:
                pts.append((math.cos(t) + nx, math.sin(t) + ny))
            else:
                pts.append((1.0 - math.cos(t) + nx, 0.5 - math.sin(t) + ny))
            labels.append(label)
    check = 0.0
    for x0, x1 in pts:
        check += x0
        check += x1
    for lab in labels:
        check += float(lab)
    assert check == 75.223832127615566, check
    return np.array(pts, dtype=np.float64), np.array(labels, dtype=np.int64)


def init_params(model):
    g = SplitMix64(1337)
    params = model.parameters()
    assert len(params) == 337
    for layer in model.layers:
        for n in layer.neurons:
            for w in n.w:
                w.data = 2.0 * g.u01() - 1.0
            n.b.data = 0.0
    s = 0.0
    for p in params:
        s += p.data
    assert s == -0.0083693713006702808, s


class Engine:
    """One engine's model and its demo step."""

    def __init__(self, name, value_cls, nn_module, X, y, fast=False):
        self.name, self.Value, self.fast = name, value_cls, fast
        self.model = nn_module.MLP(2, [16, 16, 1], **({"fast": True} if fast else {}))
        init_params(self.model)
        self.X, self.y = X, y
        if fast:
            import tapegrad
            self.tg = tapegrad
            self.Xf = [[float(a) for a in row] for row in X]
        self.times, self.losses, self.grads0 = [], [], None
        self.k = 0

    def loss(self):
        # micrograd's demo.ipynb loss(), unchanged but for its names
        Value, model = self.Value, self.model
        if self.fast:
            scores = list(map(model, self.Xf))
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
            data_loss = self.tg.sum(losses) * (1.0 / len(losses))
            params = model.parameters()
            reg_loss = 1e-4 * self.tg.dot(params, params)
            return data_loss + reg_loss
        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        return total_loss

    def step(self):
        k = self.k
        t0 = time.perf_counter()
        total_loss = self.loss()
        self.losses.append(total_loss.data)
        self.model.zero_grad()
        total_loss.backward()
        if k == 0:
            self.grads0 = [p.grad for p in self.model.parameters()]
        learning_rate = 1.0 - 0.9 * k / 100
        for p in self.model.parameters():
            p.data -= learning_rate * p.grad
        del total_loss  # the step's graph goes here, inside the timed unit (micrograd's too)
        t1 = time.perf_counter()
        self.times.append(t1 - t0)
        self.k += 1

def c_engine_grads(path):
    """(loss0, grads0) of the C library's own W2 (bench/bench W2 1 --dump), or None."""
    import subprocess
    import tempfile
    if path is None:
        import tapegrad
        path = os.path.join(os.path.dirname(tapegrad.__file__), "..", "..", "bench", "bench")
    if not os.access(path, os.X_OK):
        print(f"bench_w2: no C bench program at {path}: C engine not compared", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "w2.json")
        done = subprocess.run([path, "W2", "1", "--dump", dump], capture_output=True,
                              timeout=300, check=False)
        if done.returncode != 0 or not os.path.exists(dump):
            print(f"bench_w2: {path} W2 1 --dump failed", file=sys.stderr)
            return None
        with open(dump) as f:
            d = json.load(f)
    return d["loss0"], d["grads0"]


def find_micrograd(path):
    path = path or os.environ.get("MICROGRAD_DIR")
    if not path or not os.path.exists(os.path.join(path, "micrograd", "engine.py")):
        return None, "no micrograd checkout (give --micrograd DIR or MICROGRAD_DIR)"
    sys.path.insert(0, path)
    try:
        engine = importlib.import_module("micrograd.engine")
        nn = importlib.import_module("micrograd.nn")
    except ImportError as exc:
        return None, f"micrograd does not import: {exc}"
    return (engine.Value, nn), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100, help="steps of the tapegrad engines")
    ap.add_argument("--micrograd-steps", type=int, default=10, help="steps of micrograd")
    ap.add_argument("--micrograd", help="a checkout of karpathy/micrograd")
    ap.add_argument("--c-bench", help="the C bench program (build/bench/bench): its W2 "
                    "step-0 gradients (--dump) are compared too; found in the build tree "
                    "next to the package when not given")
    ap.add_argument("--no-gc", action="store_true",
                    help="time every step with the cycle collector off (collect after it)")
    args = ap.parse_args()

    import tapegrad
    import tapegrad.nn
    X, y = moons()
    engines = [Engine("tapegrad", tapegrad.Value, tapegrad.nn, X, y),
               Engine("tapegrad-dot", tapegrad.Value, tapegrad.nn, X, y, fast=True)]
    mg, why = find_micrograd(args.micrograd)
    if mg:
        engines.insert(0, Engine("micrograd", mg[0], mg[1], X, y))
    else:
        print(f"bench_w2: micrograd skipped: {why}", file=sys.stderr)

    # Python's cycle collector stays on, as in a notebook: micrograd's graph is cyclic (each
    # _backward closure refers to its own Value) and is freed by it; tapegrad's has no cycles.
    # --no-gc times micrograd without it (collected between steps, untimed) for comparison.
    for k in range(args.steps):
        for e in engines:
            if e.name == "micrograd" and k >= args.micrograd_steps:
                continue
            if args.no_gc:
                gc.disable()
            e.step()
            if args.no_gc:
                gc.enable()
                gc.collect()
        if k % 10 == 0:
            print(f"bench_w2: step {k}", file=sys.stderr)

    ref = engines[0]
    failures = []
    for e in engines:
        if e.losses[0] != LOSS0:
            failures.append(f"{e.name}: loss0 {e.losses[0]!r} != {LOSS0!r}")
        worst = max(abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
                    for a, b in zip(e.grads0, ref.grads0))
        if worst > 1e-12:
            failures.append(f"{e.name}: step-0 gradients differ from {ref.name}'s by {worst:.3g}")
        e.worst_rel = worst
    c_grads = c_engine_grads(args.c_bench)
    if c_grads is not None:
        loss0_c, grads_c = c_grads
        if loss0_c != LOSS0:
            failures.append(f"C engine: loss0 {loss0_c!r}")
        for e in engines:
            e.worst_rel_c = max(abs(a - b) / max(abs(a), abs(b), 1e-300) if a != b else 0.0
                                for a, b in zip(e.grads0, grads_c))
            if e.worst_rel_c > 1e-12:
                failures.append(f"{e.name}: step-0 gradients differ from the C engine's by "
                                f"{e.worst_rel_c:.3g}")
    medians = {}
    for e in engines:
        ms = statistics.median(e.times) * 1e3
        medians[e.name] = ms
        print(json.dumps({
            "peer": "python-" + e.name, "workload": "W2", "n": 100, "nodes": 65077,
            "steps": len(e.times), "ms_per_step": ms,
            "total_ns_per_node": ms * 1e6 / 65077, "loss0": e.losses[0],
            "loss9": e.losses[9] if len(e.losses) > 9 else None,
            "grads0_max_rel_diff_vs_" + ref.name: e.worst_rel,
            "grads0_max_rel_diff_vs_c_engine": getattr(e, "worst_rel_c", None),
            "grads0_sum": sum(e.grads0), "gc": not args.no_gc}))
    if "micrograd" in medians:
        print(json.dumps({
            "ratios_vs_micrograd": {
                name: medians["micrograd"] / ms for name, ms in medians.items()
                if name != "micrograd"},
            "targets": {"tapegrad": 30, "tapegrad-dot": 1000}}))
    for f in failures:
        print("bench_w2: FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
