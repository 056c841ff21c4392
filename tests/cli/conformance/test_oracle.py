#!/usr/bin/env python3
"""test_oracle.py: checks the Python reference (tgoracle.py) itself, against hand-derived values
and central finite differences, so that its verdicts on tapegrad can be trusted. Needs no binary.
Leaves tapegrad to cases.py and fuzz.py.  Prints 'N passed, N failed'; exit 1 on any failure."""

import math
import sys

import tgoracle as O

sys.setrecursionlimit(100000)
S = math.sqrt
sg = 1 / (1 + math.exp(-0.3))

# (program, inputs, expected value, expected grads) -- every number derived by hand
CASES = [
    ("x^2", [("x", 3.0)], 9.0, [6.0]),
    ("-x^2", [("x", 3.0)], -9.0, [-6.0]),
    ("(-x)^2", [("x", 3.0)], 9.0, [6.0]),
    ("2^-1", [], 0.5, []),
    ("2**-1", [], 0.5, []),
    ("2^3^2", [], 512.0, []),
    ("-2^-2", [], -0.25, []),
    ("x--y", [("x", 1.0), ("y", 2.0)], 3.0, [1.0, 1.0]),
    ("1-2-3", [], -4.0, []),
    ("8/4/2", [], 1.0, []),
    ("1+2*3", [], 7.0, []),
    ("a = x*2; a^2", [("x", 3.0)], 36.0, [24.0]),
    ("c = x\nc = c*c\nc = c + x\n", [("x", 3.0)], 12.0, [7.0]),
    ("y = x*3", [("x", 2.0)], 6.0, [3.0]),
    ("x*2 # c\n+1", [("x", 2.0)], 1.0, [0.0]),
    ("(x + # c\n 1)", [("x", 2.0)], 3.0, [1.0]),
    ("x;;y", [("x", 1.0), ("y", 5.0)], 5.0, [0.0, 1.0]),
    ("x*2;", [("x", 1.5)], 3.0, [2.0]),
    ("relu(x)", [("x", 0.0)], 0.0, [0.0]),
    ("abs(x)", [("x", 0.0)], 0.0, [0.0]),
    ("abs(x)", [("x", -2.0)], 2.0, [-1.0]),
    ("x^0", [("x", 0.0)], 1.0, [0.0]),
    ("x^y", [("x", 0.0), ("y", 0.0)], 1.0, [0.0, 0.0]),
    ("x^y", [("x", 0.0), ("y", 2.0)], 0.0, [0.0, 0.0]),
    ("x^y", [("x", 2.0), ("y", 3.0)], 8.0, [12.0, 8 * math.log(2)]),
    ("pow(x, 2)", [("x", -2.0)], 4.0, [-4.0]),
    ("x^(1+1)", [("x", -2.0)], 4.0, [-4.0]),
    ("sqrt(relu(x))", [("x", -1.0)], 0.0, [0.0]),
    ("sigmoid(x)", [("x", 0.3)], sg, [sg * (1 - sg)]),
    ("tanh(x)", [("x", 0.5)], math.tanh(0.5), [1 - math.tanh(0.5) ** 2]),
    ("tan(x)", [("x", 0.5)], math.tan(0.5), [1 + math.tan(0.5) ** 2]),
    ("sqrt(x)", [("x", 4.0)], 2.0, [0.25]),
    ("log(x)", [("x", 2.0)], math.log(2), [0.5]),
    ("sin(x)*cos(y)", [("x", 1.0), ("y", 2.0)], math.sin(1) * math.cos(2),
     [math.cos(1) * math.cos(2), -math.sin(1) * math.sin(2)]),
    ("exp(x)/y", [("x", 1.0), ("y", 2.0)], math.e / 2, [math.e / 2, -math.e / 4]),
    ("x", [("x", 1.0), ("u", 7.0)], 1.0, [1.0, 0.0]),
    ("Exp*2", [("Exp", 3.0)], 6.0, [2.0]),
    (".5*x + 5.*x + 1e-3*x + 1e+3*x + 6.02E23", [("x", 1.0)], 0.5 + 5 + 1e-3 + 1e3 + 6.02e23,
     [0.5 + 5 + 1e-3 + 1e3]),
]

# Version 2, every number by hand: d asin = 1/sqrt(1-a^2), d atan2(y, x) = (x, -y)/(x^2+y^2), ...
SP = 1 / (1 + math.exp(-0.5))
CASES += [
    ("asin(x)", [("x", 0.5)], math.asin(0.5), [1 / S(0.75)]),
    ("acos(x)", [("x", 0.5)], math.acos(0.5), [-1 / S(0.75)]),
    ("atan(x)", [("x", 2.0)], math.atan(2), [0.2]),
    ("sinh(x) + cosh(x)", [("x", 0.5)], math.exp(0.5), [math.exp(0.5)]),
    ("asinh(x)", [("x", 0.75)], math.log(0.75 + 1.25), [1 / 1.25]),
    ("acosh(x)", [("x", 1.25)], math.log(1.25 + 0.75), [1 / 0.75]),
    ("atanh(x)", [("x", 0.5)], 0.5 * math.log(3), [1 / 0.75]),
    ("log1p(x) + expm1(x)", [("x", 0.5)], math.log(1.5) + math.exp(0.5) - 1,
     [1 / 1.5 + math.exp(0.5)]),
    ("log2(x) + log10(x)", [("x", 100.0)], math.log(100) / math.log(2) + 2,
     [1 / (100 * math.log(2)) + 1 / (100 * math.log(10))]),
    ("erf(x) + erfc(x)", [("x", 0.5)], 1.0, [0.0]),
    ("softplus(x)", [("x", 0.5)], math.log(1 + math.exp(0.5)), [SP]),
    ("softplus(x)", [("x", 800.0)], 800.0, [1.0]),
    ("atan2(y, x)", [("y", 1.0), ("x", 1.0)], math.pi / 4, [0.5, -0.5]),
    ("hypot(x, y)", [("x", 3.0), ("y", 4.0)], 5.0, [0.6, 0.8]),
    ("hypot(x, y)", [("x", 0.0), ("y", 0.0)], 0.0, [0.0, 0.0]),
    ("min(x, y) + 2*max(x, y)", [("x", 1.0), ("y", 2.0)], 5.0, [1.0, 2.0]),
    ("max(x, y)", [("x", 1.0), ("y", 1.0)], 1.0, [0.5, 0.5]),
    ("max(x, x)", [("x", 1.0)], 1.0, [1.0]),
    ("(x < y) + (x <= y) + (x > y) + (x >= y) + (x == y) + (x != y)",
     [("x", 1.0), ("y", 2.0)], 3.0, [0.0, 0.0]),
    ("a + 1 < b*2", [("a", 1.0), ("b", 1.0)], 0.0, [0.0, 0.0]),
    ("(sqrt(x) > 0)*3", [("x", 0.0)], 0.0, [0.0]),
    ("where(x > 0, sqrt(x), 0)", [("x", 0.0)], 0.0, [0.0]),
    ("where(x > 0, log(x), 0)", [("x", -1.0)], 0.0, [0.0]),
    ("where(x, y, 2*y)", [("x", 0.0), ("y", 3.0)], 6.0, [0.0, 2.0]),
    ("where(x > 1, x*x, 3*x)", [("x", 2.0)], 4.0, [4.0]),
    ("pi*r^2", [("r", 2.0)], 4 * math.pi, [4 * math.pi]),
    ("sq(a) = a*a; sq(x) + sq(y)", [("x", 3.0), ("y", 2.0)], 13.0, [6.0, 4.0]),
    ("f(x) = 2*x; f(y)", [("x", 1.0), ("y", 3.0)], 6.0, [0.0, 2.0]),
    ("f(a, b) = a - b; g(c) = f(c, 1)*f(c, 1); g(x)", [("x", 3.0)], 4.0, [4.0]),
    ("y = x*3; f(a) = a", [("x", 2.0)], 6.0, [3.0]),
]

ERRORS = [  # (program, inputs) that must be exit 2
    ("a < b < c", [("a", 1.0), ("b", 2.0), ("c", 3.0)]), ("pi = 3", []), ("pi(1)", []),
    ("where(log(x) > 0, 1, 2)", [("x", -1.0)]), ("where(x < 0, log(x), 0)", [("x", -1.0)]),
    ("atan2(y, x)", [("y", 0.0), ("x", 0.0)]), ("asin(x)", [("x", 2.0)]),
    ("f(a) = a*y; f(x)", [("x", 1.0), ("y", 2.0)]), ("f(a) = f(a); f(1)", []),
    ("f(a) = g(a); g(a) = f(a); f(1)", []), ("f(a) = a; f(a) = a; 1", []),
    ("x(a) = a; 1", [("x", 1.0)]), ("sin(a) = a; 1", []), ("f(a) = a; f(1, 2)", []),
    ("f(a) = a", []), ("f(a, a) = a; f(1, 1)", []), ("f(pi) = 1; f(2)", []),
    ("f(a) = a; f = 1", []), ("y = f(1); f(a) = a; y", []), ("x * \u00e9", [("x", 1.0)]),
    ("!x", [("x", 1.0)]), ("min(x)", [("x", 1.0)]), ("", []), ("# c", []), (";;", []), ("\n\n", []), ("x", []), ("X", [("x", 1.0)]),
    ("x = 2", [("x", 1.0)]), ("y = z; z = 1; y", []), ("c = c + 1", []), ("exp = 1", []),
    ("sin", []), ("pow(2)", []), ("pow(1,2,3)", []), ("exp()", []), ("foo(1)", []),
    ("2x", [("x", 1.0)]), ("x +\n1", [("x", 1.0)]), ("(x", [("x", 1.0)]), ("x)", [("x", 1.0)]),
    ("1..2", []), ("x * * 2", [("x", 1.0)]), ("log(x)", [("x", -1.0)]), ("1/x", [("x", 0.0)]),
    ("sqrt(x)", [("x", 0.0)]), ("x^y", [("x", -2.0), ("y", 2.0)]), ("x^0.5", [("x", -1.0)]),
    ("exp(x)", [("x", 1000.0)]), ("x*(1/exp(1000))", [("x", 1.0)]), ("1e999*x", [("x", 1.0)]),
]

OK_NONFINITE_DEAD = [("t = log(-1); x*2", [("x", 1.0)], 2.0, [2.0])]


def close(a, b, tol=1e-12):
    return a == b or abs(a - b) <= tol * max(abs(a), abs(b))


def main():
    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL:", what)

    for src, ins, v, gs in CASES + OK_NONFINITE_DEAD:
        r = O.run(src, ins)
        ok = r.exit_code == 0 and close(r.value, v) and len(r.grads) == len(gs) and all(
            close(a, b) for a, b in zip(r.grads, gs))
        report(ok, "%r %r -> exit %d %r %r (want %r %r) %s" % (src, ins, r.exit_code, r.value,
                                                              r.grads, v, gs, r.err))
    for src, ins in ERRORS:
        r = O.run(src, ins)
        report(r.exit_code == 2, "%r %r should be exit 2, got %d" % (src, ins, r.exit_code))
    # unknown-name position
    r = O.run("x = 1\ny = z + 1\n", [])
    report(isinstance(r.err, O.TgError) and (r.err.line, r.err.col) == (2, 5),
           "position of z: %r" % (r.err.__dict__ if isinstance(r.err, O.TgError) else r.err))
    # --expect formulas over the program's assigned names and functions (final bindings)
    ins = [("w", 0.5), ("x", 2.0), ("b", 0.1), ("y", 1.0)]
    neuron = "yhat = sigmoid(w*x + b); L = (y - yhat)^2/2"
    r = O.run(neuron, ins)
    f = O.expect_value(neuron, ins, "-(y - yhat)*yhat*(1 - yhat)*x")
    report(close(f, r.grads[0]), "seed formula %r, engine %r" % (f, r.grads[0]))
    f = O.expect_value("c = x; c = c*c; sq(a) = a*a; c", [("x", 3.0)], "2*sq(c)/c/3")
    report(close(f, 6.0), "final binding and a defined function: %r" % f)
    # VALUE forms
    for s in ["-0.5", "1e+20", "3.", ".25", "+2", "0", "1E5"]:
        try:
            O.parse_value(s)
            report(True, s)
        except O.TgError:
            report(False, "value %r should be accepted" % s)
    for s in ["inf", "nan", "0x10", "", "1e309", "1.5x", "1e", ".", "-", "infinity", " 1"]:
        try:
            O.parse_value(s)
            report(False, "value %r should be rejected" % s)
        except O.TgError:
            report(True, s)
    # deep nesting in the oracle and a long chain
    r = O.run("(" * 1000 + "x" + ")" * 1000, [("x", 2.0)])
    report(r.exit_code == 0 and r.value == 2.0 and r.grads == [1.0], "1000 parens")
    r = O.run("+".join(["x"] * 100000), [("x", 1.0)])
    report(r.exit_code == 0 and r.value == 100000.0 and r.grads == [100000.0], "flat chain")
    # finite-difference agreement on smooth programs
    import fuzz
    import random
    rng = random.Random(7)
    n_fd = 0
    for k in range(300):
        prog, ins = fuzz.gen_program(rng)
        ins = fuzz.float_inputs(ins)
        r = O.run(prog, ins)
        if r.exit_code != 0:
            continue
        fd = fuzz.fd_check(prog, ins, r)
        if fd is None:
            continue
        n_fd += 1
        report(fd <= 1e-5, "oracle vs finite difference %.3g on %r %r" % (fd, prog, ins))
    report(n_fd > 100, "only %d programs finite-difference checked" % n_fd)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
