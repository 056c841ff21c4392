#!/usr/bin/env python3
"""check_demos.py: runs the seed demos written in the language (demos/lang/*.tg) through the
tapegrad command, each with --expect in the document's own terms (exit 0: the formula, the engine
and a finite difference agree), and compares the JSON value and gradients with the documents'
formulas evaluated here in plain Python (never read back from tapegrad).
usage: check_demos.py TAPEGRAD   Prints one line per check and 'N passed, N failed'."""

import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def sig(z):
    return 1 / (1 + math.exp(-z))


def softmax_case():
    a, t = [0.3, 2.9, 4.0], [0.0, 0.0, 1.0]
    s = sum(math.exp(v) for v in a)
    y = [math.exp(v) / s for v in a]
    L = -sum(tk * math.log(yk) for tk, yk in zip(t, y))
    # seed 002: dL/da_k = y_k - t_k;  dL/dt_k = -log y_k
    grads = {"a1": y[0] - t[0], "a2": y[1] - t[1], "a3": y[2] - t[2],
             "t1": -math.log(y[0]), "t2": -math.log(y[1]), "t3": -math.log(y[2])}
    ins = ["a1=0.3", "a2=2.9", "a3=4.0", "t1=0", "t2=0", "t3=1"]
    exp = ["a1=y1 - t1", "a2=y2 - t2", "a3=y3 - t3"]
    return "softmax_cross_entropy.tg", ins, exp, L, grads


def neuron_and_case():
    w1, w2, b = 0.5, -0.3, 0.1
    data = [((0, 0), 0), ((0, 1), 0), ((1, 0), 0), ((1, 1), 1)]
    n = len(data)
    yh = [sig(w1 * x1 + w2 * x2 + b) for (x1, x2), _ in data]
    J = sum((y - h) ** 2 for (_, y), h in zip(data, yh)) / n
    # seed 000: dJ/dw = -(2/N) sum (y - yhat) yhat (1 - yhat) x, and x = 1 for b
    d = [(y - h) * h * (1 - h) for (_, y), h in zip(data, yh)]
    grads = {"w1": -2 / n * sum(di * x[0] for di, (x, _) in zip(d, data)),
             "w2": -2 / n * sum(di * x[1] for di, (x, _) in zip(d, data)),
             "b": -2 / n * sum(d)}
    exp = ["w1=-(2/4)*(delta(0, yhat1)*0 + delta(0, yhat2)*0 + delta(0, yhat3)*1 + "
           "delta(1, yhat4)*1)",
           "w2=-(2/4)*(delta(0, yhat1)*0 + delta(0, yhat2)*1 + delta(0, yhat3)*0 + "
           "delta(1, yhat4)*1)",
           "b=-(2/4)*(delta(0, yhat1) + delta(0, yhat2) + delta(0, yhat3) + delta(1, yhat4))"]
    return "sigmoid_neuron.tg", ["w1=0.5", "w2=-0.3", "b=0.1"], exp, J, grads


def neuron_half_case():
    w, x, b, y = 0.5, 2.0, 0.1, 1.0
    h = sig(w * x + b)
    # seed 001: C = 1/2 (y - y')^2, dC/dw = -(y - y') y' (1 - y') x
    grads = {"w": -(y - h) * h * (1 - h) * x, "x": -(y - h) * h * (1 - h) * w,
             "b": -(y - h) * h * (1 - h), "y": y - h}
    exp = ["w=-(y - yhat)*yhat*(1 - yhat)*x", "b=-(y - yhat)*yhat*(1 - yhat)"]
    return "neuron_half_squared.tg", ["w=0.5", "x=2", "b=0.1", "y=1"], exp, (y - h) ** 2 / 2, grads


def main():
    exe = sys.argv[1]
    passed = failed = 0
    for make in (softmax_case, neuron_and_case, neuron_half_case):
        name, ins, exps, value, grads = make()
        argv = [exe, "--json", "-f", os.path.join(HERE, name)] + ins
        for e in exps:
            argv += ["--expect", e]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        errs = []
        if p.returncode != 0:
            errs.append("exit %d: %s" % (p.returncode, p.stderr.strip()[:300]))
        else:
            obj = json.loads(p.stdout)
            if not math.isclose(obj["value"], value, rel_tol=1e-12, abs_tol=1e-15):
                errs.append("value %r, the document's formula %r" % (obj["value"], value))
            for k, g in grads.items():
                if not math.isclose(obj["grad"][k], g, rel_tol=1e-12, abs_tol=1e-15):
                    errs.append("d/d%s %r, the document's formula %r" % (k, obj["grad"][k], g))
            if not all(x["ok"] for x in obj.get("expect", [])) or len(obj["expect"]) != len(exps):
                errs.append("an --expect formula disagrees: %r" % obj.get("expect"))
        if errs:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(errs)))
        else:
            passed += 1
            print("ok   %s: value %.15g and %d gradients as the document's formulas, %d --expect"
                  % (name, value, len(grads), len(exps)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
