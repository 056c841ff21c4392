#!/usr/bin/env python3
"""fuzz.py: seeded random programs run through `tapegrad --json` and compared with the Python
reference (tgoracle.py), with central finite differences of the reference, and with PyTorch when
python3-torch is installed. Covers statements, reassignment, fan-out, every function and operator,
comments and odd spacing, unused inputs, and non-finite results (exit 2). Fixed cases live in
cases.py.

usage: fuzz.py TAPEGRAD [--count N] [--seed S] [--torch|--no-torch] [--mutate] [-v]
       fuzz.py --oracle-only [--count N]     (generator + reference + finite differences only)
--mutate runs randomly edited programs (syntax and name errors must agree with the reference);
--torch needs Debian's python3-torch (run with /usr/bin/python3 if another python3 is first).
Ends with 'N passed, N failed'; exit 1 on any deviation."""

import argparse
import json
import math
import random
import shlex
import subprocess
import sys
import time

import tgoracle as O

sys.setrecursionlimit(100000)

INPUT_POOL = ["x", "y", "z", "w", "a1", "b_2", "Theta", "_u", "lr", "X", "sinx", "Exp"]
TEMP_POOL = ["t", "h", "acc", "t2", "q_", "L", "o"]

# ---- Generator ------------------------------------------------------------------------------


def gen_literal(rng):
    k = rng.random()
    if k < 0.04:
        return ("num", O.PI, "pi")
    if k < 0.5:
        v = float(rng.choice([0, 1, 2, 3, 4, 5, 10]))
        iv = int(v)
        text = rng.choice(["%d" % iv, "%d." % iv, "%d.0" % iv, "%de0" % iv, "%dE+0" % iv])
    else:
        v = round(rng.uniform(0.01, 3.0), rng.choice([1, 2, 3]))
        text = rng.choice([repr(v), "%.6e" % v, "%.3E" % v])
        if text.startswith("0."):
            text = rng.choice([text, text[1:]])
        v = float(text)
    return ("num", v, text)


def positive(rng, e):
    """Wrap e so that it is (usually) positive: for log, sqrt, denominators, pow bases."""
    k = rng.randrange(5)
    if k == 0:
        return ("add", gen_literal_pos(rng), ("call", "abs", e))
    if k == 1:
        return ("call", "exp", e)
    if k == 2:
        return ("add", gen_literal_pos(rng), ("mul", e, e))
    if k == 3:
        return ("add", ("call", "sigmoid", e), gen_literal_pos(rng))
    return ("add", ("num", 1.0, "1"), ("call", "relu", e))


def gen_literal_pos(rng):
    while True:
        lit = gen_literal(rng)
        if lit[1] > 0:
            return lit


# Functions whose argument must stay in a domain: how to wrap an expression into it.
def in_domain(rng, f, a):
    if f in ("asin", "acos", "atanh"):  # (-1, 1)
        return ("mul", ("num", 0.9, "0.9"), ("call", rng.choice(["tanh", "sin"]), a))
    if f == "acosh":  # (1, inf)
        return ("add", ("num", 1.0, "1"), positive(rng, a))
    if f in ("log1p",):  # (-1, inf)
        return positive(rng, a)
    if f in ("log2", "log10"):
        return positive(rng, a)
    if f in ("sinh", "cosh", "expm1"):  # no overflow
        return ("call", "tanh", a)
    return a


CMP_OPS = ["lt", "le", "gt", "ge", "eq", "ne"]
FUNCTIONS = {}  # name -> number of parameters, of the program being generated


def gen_v2(rng, d, leaves, k):
    """The version-2 forms: new functions, two-argument functions, comparisons, where, calls of
    the program's own functions."""
    if k < 0.3:
        f = rng.choice(O.FUNCS1[10:])
        return ("call", f, in_domain(rng, f, gen_expr(rng, d, leaves)))
    if k < 0.5:
        f = rng.choice(["atan2", "hypot", "min", "max"])
        a, b = gen_expr(rng, d, leaves), gen_expr(rng, d, leaves)
        if f in ("min", "max") and rng.random() < 0.2:
            b = a  # a tie: half of the gradient to each
        return ("call2", f, a, b)
    if k < 0.65:
        c = (rng.choice(CMP_OPS), gen_expr(rng, d, leaves), gen_expr(rng, d, leaves))
        return ("mul", c, gen_expr(rng, d, leaves))
    if k < 0.85 or not FUNCTIONS:
        if rng.random() < 0.75:
            c = (rng.choice(CMP_OPS), gen_expr(rng, d, leaves), gen_expr(rng, d, leaves))
        else:
            c = gen_expr(rng, d, leaves)
        a, b = gen_expr(rng, d, leaves), gen_expr(rng, d, leaves)
        if rng.random() < 0.3:  # a branch that is not finite where it is not taken
            v = ("var", rng.choice(leaves)) if leaves else gen_literal(rng)
            a = ("call", rng.choice(["log", "sqrt"]), v)
            c = ("gt", v, ("num", 0.0, "0"))
            b = gen_expr(rng, d, leaves)
        return ("where", c, a, b)
    name = rng.choice(sorted(FUNCTIONS))
    return ("fcall", name, tuple(gen_expr(rng, d, leaves) for _ in range(FUNCTIONS[name])))


def gen_expr(rng, depth, leaves):
    if depth <= 0 or rng.random() < 0.25:
        if leaves and rng.random() < 0.75:
            return ("var", rng.choice(leaves))
        return gen_literal(rng)
    k = rng.random()
    d = depth - 1
    if k < 0.25:
        return gen_v2(rng, d, leaves, rng.random())
    if k < 0.35:
        op = rng.choice(["add", "sub", "mul", "div"])
        a = gen_expr(rng, d, leaves)
        b = gen_expr(rng, d, leaves)
        if op == "div" and rng.random() < 0.8:
            b = positive(rng, b)
        return (op, a, b)
    if k < 0.45:
        return (rng.choice(["neg", "neg", "pos"]), gen_expr(rng, d, leaves))
    if k < 0.8:
        f = rng.choice(O.FUNCS1)
        a = gen_expr(rng, d, leaves)
        if f in ("log", "sqrt") and rng.random() < 0.85:
            a = positive(rng, a)
        if f == "exp" and rng.random() < 0.5:
            a = ("call", "tanh", a)
        return ("call", f, a)
    # pow, infix or pow(a, b)
    style = "pow" if rng.random() < 0.7 else "powf"
    m = rng.randrange(5)
    a = gen_expr(rng, d, leaves)
    if m == 0:  # small integer literal exponent, maybe negative
        bt = str(rng.randrange(0, 4))
        b = ("num", float(bt), bt)
        if rng.random() < 0.3:
            b = ("neg", b)
            if rng.random() < 0.8:
                a = positive(rng, a)
    elif m == 1:  # fractional literal exponent on a positive base
        b = gen_literal(rng)
        a = positive(rng, a)
    elif m == 2:  # variable exponent on a positive base
        b = gen_expr(rng, d, leaves)
        if rng.random() < 0.5:
            b = ("call", "tanh", b)
        a = positive(rng, a)
    elif m == 3:  # literal base, variable exponent
        a = gen_literal_pos(rng)
        b = ("call", rng.choice(["tanh", "sin", "sigmoid"]), gen_expr(rng, d, leaves))
    else:  # anything (often non-finite or a NaN exponent gradient)
        b = gen_expr(rng, d, leaves)
    return (style, a, b)


def level(e):
    k = e[0]
    if k in CMP_OPS:
        return 0
    if k in ("add", "sub"):
        return 1
    if k in ("mul", "div"):
        return 2
    if k in ("neg", "pos"):
        return 3
    if k == "pow":
        return 4
    return 5


SYM = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
CMP_TEXT = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


class Printer:
    """Prints an AST with the parentheses the contract's precedence needs (plus some redundant
    ones), random white space, and newlines/comments inside parentheses."""

    def __init__(self, rng):
        self.rng = rng
        self.out = []
        self.depth = 0

    def ws(self):
        r = self.rng.random()
        if r < 0.55:
            return ""
        if r < 0.85:
            return " "
        if r < 0.9:
            return "\t"
        if self.depth > 0:
            return self.rng.choice(["\n", " # in parens\n  ", "\r\n"])
        return "  "

    def tok(self, t):
        self.out.append(self.ws())
        self.out.append(t)

    def paren(self, e):
        self.tok("(")
        self.depth += 1
        self.expr(e)
        self.depth -= 1
        self.tok(")")

    def sub(self, e, need):
        if need or self.rng.random() < 0.07:
            self.paren(e)
        else:
            self.expr(e)

    def expr(self, e):
        k = e[0]
        rng = self.rng
        if k == "num":
            self.tok(e[2])
        elif k == "var":
            self.tok(e[1])
        elif k in SYM:
            lv = level(e)
            self.sub(e[1], level(e[1]) < lv)
            self.tok(SYM[k])
            self.sub(e[2], level(e[2]) <= lv)
        elif k in CMP_OPS:  # not associative: comparison operands are parenthesised
            self.sub(e[1], level(e[1]) <= 0)
            self.tok(CMP_TEXT[k])
            self.sub(e[2], level(e[2]) <= 0)
        elif k in ("call2", "where", "fcall"):
            name = {"where": "where"}.get(k, e[1])
            args = e[1:] if k == "where" else (e[2:] if k == "call2" else e[2])
            self.tok(name)
            self.tok("(")
            self.depth += 1
            for i, a in enumerate(args):
                if i:
                    self.tok(",")
                self.expr(a)
            self.depth -= 1
            self.tok(")")
        elif k in ("neg", "pos"):
            self.tok("-" if k == "neg" else "+")
            self.sub(e[1], level(e[1]) < 3)
        elif k == "pow":
            self.sub(e[1], level(e[1]) < 5)
            self.tok(rng.choice(["^", "^", "**"]))
            self.sub(e[2], level(e[2]) < 3)
        elif k == "powf":
            self.tok("pow")
            self.tok("(")
            self.depth += 1
            self.expr(e[1])
            self.tok(",")
            self.expr(e[2])
            self.depth -= 1
            self.tok(")")
        elif k == "call":
            self.tok(e[1])
            self.tok("(")
            self.depth += 1
            self.expr(e[2])
            self.depth -= 1
            self.tok(")")
        else:
            raise ValueError(k)

    def text(self):
        return "".join(self.out)


def print_expr(rng, e):
    p = Printer(rng)
    p.expr(e)
    return p.text()


def normalize(e):
    """AST as tgoracle's parser returns it ('powf', the pow(a, b) spelling, becomes 'pow')."""
    k = e[0]
    if k == "num":
        return ("num", e[1])
    if k == "var":
        return e
    if k == "powf":
        return ("pow", normalize(e[1]), normalize(e[2]))
    if k == "call":
        return ("call", e[1], normalize(e[2]))
    if k == "call2":
        return ("call2", e[1], normalize(e[2]), normalize(e[3]))
    if k == "fcall":
        return ("fcall", e[1], tuple(normalize(x) for x in e[2]))
    return (k,) + tuple(normalize(x) for x in e[1:])


def normalize_stmt(s):
    if s[0] == "assign":
        return ("assign", s[1], normalize(s[2]))
    if s[0] == "def":
        return ("def", s[1], tuple(s[2]), normalize(s[3]))
    return ("expr", normalize(s[1]))


def gen_value(rng):
    k = rng.random()
    if k < 0.03:  # signed zero, subnormal and huge inputs
        return rng.choice(["-0", "-0.0", "+0", "5e-324", "1e-300", "-1e300", "1.5e200", "-3e-200"])
    if k < 0.08:
        v = 0.0
    elif k < 0.2:
        v = float(rng.randrange(-3, 4))
    elif k < 0.9:
        v = rng.uniform(-2.5, 2.5)
    else:
        v = rng.uniform(-1, 1) * 10 ** rng.randrange(-6, 5)
    f = rng.random()
    if f < 0.6:
        text = repr(v)
    elif f < 0.8:
        text = "%.17g" % v
    elif f < 0.9:
        text = "%.3e" % v
        if rng.random() < 0.5 and text[0] != "-":
            text = "+" + text
    else:
        text = "%.5f" % v
        if text.startswith("0."):
            text = text[1:]
        elif text.startswith("-0."):
            text = "-" + text[2:]
    return text


def gen_program(rng, want_ast=False):
    """Returns (program_text, [(name, value_text)]) and optionally the statement ASTs."""
    n_in = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4])
    names = rng.sample(INPUT_POOL, n_in)
    inputs = [(n, gen_value(rng)) for n in names]
    used = [n for n in names if rng.random() < 0.9] if names else []
    leaves = list(used)
    stmts = []
    FUNCTIONS.clear()
    for j in range(rng.choice([0, 0, 0, 1, 1, 2])):
        fname = rng.choice(["f", "g", "sq", "h_1", "act", "Sm"]) + str(j)
        params = rng.sample(["a", "b", "c", "p", "x", "t"], rng.choice([1, 1, 2, 3]))
        body = gen_expr(rng, rng.choice([1, 2, 3]), params)
        stmts.append(("def", fname, tuple(params), body))
        FUNCTIONS[fname] = len(params)
    n_st = rng.choice([0, 1, 2, 3, 3, 4, 5])
    depth = rng.choice([1, 2, 3, 3, 4])
    for _ in range(n_st):
        t = rng.choice(TEMP_POOL)
        e = gen_expr(rng, depth, leaves)
        if t in leaves and rng.random() < 0.5:  # reassignment that reads the old binding
            e = (rng.choice(["add", "mul", "sub"]), ("var", t), e)
        stmts.append(("assign", t, e))
        if t not in leaves:
            leaves.append(t)
    e = gen_expr(rng, depth, leaves)
    # make sure the output usually reads the temps (fan-out) and inputs
    for t in leaves:
        if t not in used and rng.random() < 0.5:
            e = (rng.choice(["add", "mul", "sub"]), e, ("var", t))
    if rng.random() < 0.2:
        stmts.append(("assign", rng.choice(TEMP_POOL + ["out"]), e))
    else:
        stmts.append(("expr", e))

    parts = []
    if rng.random() < 0.15:
        parts.append(rng.choice(["# program\n", "\n", "  \n# c\n", ";"]))
    for i, st in enumerate(stmts):
        body = print_expr(rng, st[3] if st[0] == "def" else st[2] if st[0] == "assign" else st[1])
        if st[0] == "def":
            body = "%s(%s)%s=%s" % (st[1], rng.choice([",", ", "]).join(st[2]),
                                    rng.choice(["", " "]), rng.choice(["", " "]) + body)
        if st[0] == "assign":
            body = "%s%s=%s" % (st[1], rng.choice(["", " ", "\t"]), rng.choice(["", " "]) + body)
        parts.append(body)
        last = i == len(stmts) - 1
        r = rng.random()
        if last:
            parts.append(rng.choice(["", "", "", ";", "\n", " # end\n", ";\n"]))
        elif r < 0.4:
            parts.append(rng.choice([";", "; ", " ;"]))
        elif r < 0.7:
            parts.append("\n")
        elif r < 0.8:
            parts.append(" # note; not a separator\n")
        elif r < 0.9:
            parts.append("\n\n# comment line\n")
        else:
            parts.append(rng.choice([";;", "\r\n", ";\n"]))
    prog = "".join(parts)
    if want_ast:
        return prog, inputs, stmts
    return prog, inputs


MUT_PIECES = ["(", ")", "+", "-", "*", "**", "/", "^", ",", ";", "=", "#", "\n", "\t", " ", ".",
              "e", "E", "0", "1", "2.5", ".5", "5.", "1e3", "x", "y", "_", "t", "exp", "pow",
              "sqrt(", "pow(", ",1)", "==", "$", "\r", "1e", "1e+", "e-",
              "<", "<=", ">", "!=", "!", "pi", "where(", "min(", "atan2(", "f(a) = a*a; ", "f(",
              "g(b) = b; ", "\u00e9", "a"]


def mutate(rng, prog):
    """1-3 random edits (insert, delete, replace a piece or a character) of a program."""
    s = prog
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(s) + 1)
        k = rng.random()
        if k < 0.4 and s:
            j = min(len(s), i + rng.randrange(1, 4))
            s = s[:i] + s[j:]
        elif k < 0.8:
            s = s[:i] + rng.choice(MUT_PIECES) + s[i:]
        elif s:
            i = min(i, len(s) - 1)
            s = s[:i] + rng.choice(MUT_PIECES) + s[i + 1:]
    return s


# ---- Checks ----------------------------------------------------------------------------------


def float_inputs(inputs):
    return [(n, float(v)) for n, v in inputs]


def fd_check(prog, inputs, r):
    """Largest normalized gap between the reference gradient and a central finite difference
    of the reference, or None when the program is not smooth enough there to say."""
    ins = list(inputs)
    if ins and isinstance(ins[0][1], str):
        ins = float_inputs(ins)
    if r.fd_unfit:
        return None
    if any(abs(x) > 1e100 for _, x in ins):
        return None  # squares overflow inside the formulas (asinh'(a) = 1/sqrt(a^2 + 1) = 0)
    worst = 0.0
    f0 = r.value
    for i, (name, x) in enumerate(ins):
        def f(xx):
            p = list(ins)
            p[i] = (name, xx)
            rr = O.run(prog, p, want_grad=False)
            return rr.value if rr.exit_code == 0 else None
        s = max(1.0, abs(x))
        central, kink = [], []
        for h in (1e-4 * s, 1e-5 * s, 0.5e-5 * s, 1e-6 * s):
            fp, fm = f(x + h), f(x - h)
            if fp is None or fm is None:
                return None
            central.append((fp - fm) / (2 * h))
            kink.append((fp - f0) / h - (f0 - fm) / h)  # ~ f'' h when smooth
        g = r.grads[i]
        denom = max(abs(g), 1e-3 * r.gscale[i], 1e-6 * max(1.0, r.vscale) / s)
        if abs(g) * 1e-6 * s > 1e-2 * max(1.0, r.vscale):
            return None  # even the smallest step leaves the linear regime (e.g. x*1e200)
        if max(central) - min(central) > 1e-4 * denom:
            return None  # too ill-conditioned for a finite difference
        if abs(kink[1]) > 1e-6 * denom and abs(kink[2]) > 0.75 * abs(kink[1]):
            return None  # a kink (relu, abs) at x: one-sided slopes differ for any step
        worst = max(worst, abs(central[1] - g) / denom)
    return worst


def rel_err(got, exp, scale):
    if got == exp:
        return 0.0
    if not (math.isfinite(got) and math.isfinite(exp)):
        return math.inf
    denom = max(abs(exp), 1e-3 * scale, 1e-280)  # below 1e-280 counts as zero (subnormals)
    return abs(got - exp) / denom


def run_tapegrad(exe, argv, stdin=None, timeout=20):
    t0 = time.time()
    try:
        p = subprocess.run([exe] + argv, input=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"TIMEOUT", time.time() - t0
    code = p.returncode
    for mark in (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:"):
        if mark in p.stderr:
            code = 128 + 6  # a sanitizer report counts as a crash whatever the exit code
    return code, p.stdout, p.stderr, time.time() - t0


def strict_json(text):
    """Parse exactly one JSON object; keys kept in order; NaN/Infinity rejected."""
    def bad_const(c):
        raise ValueError("non-JSON constant %s" % c)
    dec = json.JSONDecoder(object_pairs_hook=lambda pairs: pairs, parse_constant=bad_const,
                           parse_int=float)  # keeps the sign of -0
    s = text.strip()
    obj, end = dec.raw_decode(s)
    if s[end:].strip():
        raise ValueError("text after the JSON object")
    return obj


def json_result(stdout, names, extra_ok=False):
    """-> (value, [grads]) after checking the shape and key order, or raise ValueError.
    extra_ok: other keys may follow "value" and "grad" (an option asked for more)."""
    obj = strict_json(stdout.decode("utf-8"))
    keys = [k for k, _ in obj] if isinstance(obj, list) else None
    if extra_ok and keys and keys[:2] == ["value", "grad"]:
        obj = obj[:2]
    if not isinstance(obj, list) or [k for k, _ in obj] != ["value", "grad"]:
        raise ValueError("top-level keys %r, want ['value', 'grad']" %
                         ([k for k, _ in obj] if isinstance(obj, list) else obj))
    value = obj[0][1]
    grad = obj[1][1]
    if not isinstance(grad, list) or [k for k, _ in grad] != list(names):
        raise ValueError("grad keys %r, want %r" % (grad, list(names)))
    nums = [value] + [g for _, g in grad]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in nums):
        raise ValueError("non-number in %r" % nums)
    return float(value), [float(g) for _, g in grad]


def make_argv(rng, prog, inputs):
    ins = ["%s=%s" % (n, v) for n, v in inputs]
    style = rng.randrange(4) if rng else 0
    if prog.startswith("-") or style == 0:
        return ["--json", "--", prog] + ins
    if style == 1:
        return ["--json", prog] + ins
    if style == 2:
        return [prog] + ins + ["--json"]
    k = rng.randrange(len(ins) + 1)
    return [prog] + ins[:k] + ["--json"] + ins[k:]


def classify(exe, prog, inputs, rng=None, tol=1e-9):
    """Run one program through tapegrad and the reference. Returns (kind or None, detail,
    errors dict). kind names the deviation class used when shrinking."""
    r = O.run(prog, float_inputs(inputs))
    argv = make_argv(rng, prog, inputs)
    code, out, err, _ = run_tapegrad(exe, argv)
    info = {"argv": argv, "oracle": r, "code": code}
    if code is None:
        return "hang", "timeout", info
    if code < 0 or code > 2:
        return "crash", "exit %d: %s" % (code, err.decode(errors="replace")[-300:]), info
    first = err.decode(errors="replace").split("\n", 1)[0]
    if r.exit_code == 2:
        if code != 2:
            got = out.decode(errors="replace").strip()[:200]
            return "want-exit2", "reference: %s; tapegrad exit %d %s" % (r.err, code, got), info
        if not first.startswith("tapegrad: error: "):
            return "stderr-prefix", "first stderr line %r" % first, info
        e = r.err
        if isinstance(e, O.TgError) and e.msg.startswith("unknown name") and \
                ("%d:%d" % (e.line, e.col)) not in first:
            return "position", "reference: %s at %d:%d; tapegrad: %s" % (
                e.msg, e.line, e.col, first), info
        return None, "", info
    if code != 0 and r.absorbed:
        return "want-exit0-absorb", "reference (PyTorch's where() zero absorbs a non-finite " \
            "upstream gradient) value %r grads %r; tapegrad exit %d: %s" % (
                r.value, r.grads, code, first), info
    if code != 0 and "out of range" in first:
        return "want-exit0-literal-range", "reference value %r (the overflowing literal is " \
            "not read by the output); tapegrad exit %d: %s" % (r.value, code, first), info
    if code != 0:
        return "want-exit0", "reference value %r grads %r; tapegrad exit %d: %s" % (
            r.value, r.grads, code, first), info
    try:
        v, gs = json_result(out, [n for n, _ in inputs])
    except (ValueError, UnicodeDecodeError) as e:
        return "json", "%s: %r" % (e, out[:300]), info
    info["got"] = (v, gs)
    ev = rel_err(v, r.value, r.vscale)
    eg = [rel_err(a, b, s) for a, b, s in zip(gs, r.grads, r.gscale)]
    info["ev"], info["eg"] = ev, max(eg) if eg else 0.0
    if ev > tol:
        return "value", "value %r, reference %r (rel %.3g)" % (v, r.value, ev), info
    for (n, _), a, b, e in zip(inputs, gs, r.grads, eg):
        if e > tol:
            return "grad", "d/d%s %r, reference %r (rel %.3g)" % (n, a, b, e), info
    return None, "", info


def subtrees(e):
    """Smaller candidates for shrinking an expression."""
    k = e[0]
    if k in ("num", "var"):
        return []
    if k == "fcall":
        return list(e[2])
    head, kids = (e[:2], list(e[2:])) if k in ("call", "call2") else ((k,), list(e[1:]))
    out = [] if k in CMP_OPS else list(kids)
    for i, kid in enumerate(kids):
        for s in subtrees(kid):
            nk = list(kids)
            nk[i] = s
            out.append(tuple(head) + tuple(nk))
    return out


def render(stmts):
    rng = random.Random(0)
    parts = []
    for st in stmts:
        p = Printer(rng)
        p.ws = lambda: ""
        if st[0] == "def":
            p.expr(st[3])
            parts.append("%s(%s) = %s" % (st[1], ", ".join(st[2]), p.text()))
        elif st[0] == "assign":
            p.expr(st[2])
            parts.append("%s = %s" % (st[1], p.text()))
        else:
            p.expr(st[1])
            parts.append(p.text())
    return "; ".join(parts)


def shrink(exe, stmts, inputs, kind, budget=300):
    """Greedy shrinking that keeps the same deviation kind; returns (prog, inputs)."""
    def same(st, ins):
        k, _, _ = classify(exe, render(st), ins)
        return k == kind
    cur, ins = list(stmts), list(inputs)
    if not same(cur, ins):
        return None
    changed = True
    while changed and budget > 0:
        changed = False
        # drop statements
        for i in range(len(cur) - 1):
            cand = cur[:i] + cur[i + 1:]
            budget -= 1
            if O.run(render(cand), float_inputs(ins)).err is not None and kind != "want-exit2":
                continue
            if same(cand, ins):
                cur, changed = cand, True
                break
        if changed:
            continue
        # drop unused inputs
        for i in range(len(ins)):
            cand = ins[:i] + ins[i + 1:]
            budget -= 1
            if isinstance(O.run(render(cur), float_inputs(cand)).err, O.TgError):
                continue
            if same(cur, cand):
                ins, changed = cand, True
                break
        if changed:
            continue
        # smaller expressions
        for i, st in enumerate(cur):
            if st[0] == "def":
                continue
            e = st[2] if st[0] == "assign" else st[1]
            for s in sorted(subtrees(e), key=lambda t: len(repr(t))):
                if budget <= 0:
                    break
                nst = (st[0], st[1], s) if st[0] == "assign" else ("expr", s)
                cand = cur[:i] + [nst] + cur[i + 1:]
                budget -= 1
                if isinstance(O.run(render(cand), float_inputs(ins)).err, O.TgError):
                    continue
                if same(cand, ins):
                    cur, changed = cand, True
                    break
            if changed:
                break
    return render(cur), ins


def subnormal_input(inputs):
    """PyTorch's vectorized functions flush subnormals (tan(5e-324) = 0): no comparison there."""
    return any(0 < abs(v) < 2.2250738585072014e-308 for _, v in float_inputs(inputs))


def torch_compare(prog, inputs, r):
    """Largest relative gap between the reference and PyTorch, or None if not comparable."""
    import torchref
    if subnormal_input(inputs):
        return None
    t = torchref.run(prog, float_inputs(inputs))
    if t is None:
        return None
    tv, tg = t
    finite = math.isfinite(tv) and all(math.isfinite(g) for g in tg)
    if r.exit_code == 2:
        if finite and isinstance(r.err, str) and r.err.startswith("non-finite value"):
            return "stricter"  # the contract's rule on intermediate values; torch cannot see
        return 0.0 if not finite else ("torch finite, reference exit 2", tv, tg)
    if r.trig_huge:
        return None
    e = rel_err(tv, r.value, r.vscale) if finite else math.inf
    for a, b, s in zip(tg, r.grads, r.gscale):
        e = max(e, rel_err(a, b, s))
    if r.torch_differs and e > 1e-9:
        return "contract"  # where's branch not taken, hypot(0, 0), softplus past 20: the contract
    if not finite:
        return ("torch non-finite, reference finite", tv, tg)
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tapegrad", nargs="?")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop early after this long (slow sanitizer builds); 0 = no limit")
    ap.add_argument("--oracle-only", action="store_true")
    ap.add_argument("--mutate", action="store_true",
                    help="run randomly edited programs: syntax and name errors must agree")
    ap.add_argument("--torch", dest="torch", action="store_true", default=None)
    ap.add_argument("--no-torch", dest="torch", action="store_false")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--known", action="append", default=[],
                    help="a deviation class listed in KNOWN.md: counted, not failed")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not a.tapegrad and not a.oracle_only:
        ap.error("give the tapegrad executable, or --oracle-only")
    use_torch = a.torch
    if use_torch is None:
        try:
            import torch  # noqa: F401
            use_torch = True
        except ImportError:
            use_torch = False

    rng = random.Random(a.seed)
    passed = failed = 0
    stats = {"exit0": 0, "exit2": 0, "fd": 0, "fd_skip": 0, "torch": 0, "torch_stricter": 0,
             "torch_contract": 0,
             "engine_torch": 0}
    worst = {"value": (0.0, None), "grad": (0.0, None), "fd": (0.0, None), "torch": (0.0, None),
             "engine_torch": (0.0, None)}
    deviations = {}
    known = {}
    t0 = time.time()
    n_run = 0
    for i in range(a.count):
        if a.max_seconds and time.time() - t0 > a.max_seconds:
            print("stopped after %.0f s (--max-seconds)" % (time.time() - t0))
            break
        n_run += 1
        prog, inputs, stmts = gen_program(rng, want_ast=True)
        if a.mutate:
            prog = mutate(rng, prog)
            r = O.run(prog, float_inputs(inputs))
            stats["exit0" if r.exit_code == 0 else "exit2"] += 1
            kind, detail, info = classify(a.tapegrad, prog, inputs, rng, a.tol)
            if kind is None or kind in a.known:
                passed += 1
                continue
            failed += 1
            deviations.setdefault(kind, []).append(prog)
            if len(deviations[kind]) <= 5:
                cmd = " ".join(shlex.quote(s) for s in [a.tapegrad] + info["argv"])
                print("DEVIATION [%s] %s\n    %s" % (kind, detail, cmd))
            continue
        # the printed text must mean the AST we generated (checks printer and reference parser)
        parsed = O.parse(prog, [n for n, _ in inputs])
        want = [normalize_stmt(s) for s in stmts]
        got = [normalize_stmt(s) for s in parsed]
        if want != got:
            failed += 1
            print("FAIL generator/parser disagree on %r" % prog)
            continue
        r = O.run(prog, float_inputs(inputs))
        stats["exit0" if r.exit_code == 0 else "exit2"] += 1
        if r.exit_code == 0:
            fd = fd_check(prog, inputs, r)
            if fd is None:
                stats["fd_skip"] += 1
            else:
                stats["fd"] += 1
                if fd > worst["fd"][0]:
                    worst["fd"] = (fd, (prog, inputs))
                if fd > 1e-3:
                    failed += 1
                    print("FAIL reference vs finite difference %.3g: %r %r" % (fd, prog, inputs))
        if use_torch:
            tc = torch_compare(prog, inputs, r)
            if tc == "stricter":
                stats["torch_stricter"] += 1
            elif tc == "contract":
                stats["torch_contract"] += 1
            elif tc is not None:
                stats["torch"] += 1
                if isinstance(tc, tuple):
                    failed += 1
                    print("FAIL reference vs torch: %s on %r %r" % (tc, prog, inputs))
                elif tc > worst["torch"][0]:
                    worst["torch"] = (tc, (prog, inputs))
        if a.oracle_only:
            passed += 1
            continue
        kind, detail, info = classify(a.tapegrad, prog, inputs, rng, a.tol)
        if "ev" in info:
            if info["ev"] > worst["value"][0]:
                worst["value"] = (info["ev"], (prog, inputs))
            if info["eg"] > worst["grad"][0]:
                worst["grad"] = (info["eg"], (prog, inputs))
        if use_torch and "got" in info and not r.trig_huge and not subnormal_input(inputs):
            import torchref
            t = torchref.run(prog, float_inputs(inputs))
            if t is not None and all(math.isfinite(x) for x in [t[0]] + t[1]):
                v, gs = info["got"]
                e = rel_err(v, t[0], r.vscale)
                for x, y, s in zip(gs, t[1], r.gscale):
                    e = max(e, rel_err(x, y, s))
                stats["engine_torch"] += 1
                if e > worst["engine_torch"][0]:
                    worst["engine_torch"] = (e, (prog, inputs))
        if kind is None:
            passed += 1
            continue
        if kind in a.known:
            known[kind] = known.get(kind, 0) + 1
            passed += 1
            continue
        failed += 1
        if kind in deviations and len(deviations[kind]) >= 3:
            continue
        repro = None
        if not a.no_shrink:
            repro = shrink(a.tapegrad, stmts, inputs, kind)
        rp, ri = repro if repro else (prog, inputs)
        cmd = " ".join(shlex.quote(s) for s in
                       [a.tapegrad] + make_argv(None, rp, ri))
        k2, d2, _ = classify(a.tapegrad, rp, ri)
        deviations.setdefault(kind, []).append((cmd, d2 or detail))
        print("DEVIATION [%s] %s\n    %s" % (kind, d2 or detail, cmd))
    dt = time.time() - t0
    print("programs: %d (reference exit 0: %d, exit 2: %d) in %.1f s" % (
        n_run, stats["exit0"], stats["exit2"], dt))
    print("finite-difference checked: %d (skipped at kinks/ill-conditioned: %d), worst %.3g" % (
        stats["fd"], stats["fd_skip"], worst["fd"][0]))
    if use_torch:
        print("torch compared: %d, worst rel gap to reference %.3g; exit 2 by the contract's "
              "rule on non-finite intermediate values where torch is finite: %d" % (
                  stats["torch"], worst["torch"][0], stats["torch_stricter"]))
        print("differing from torch where the contract says so (where's branch not taken, "
              "hypot(0, 0), softplus past 20): %d" % stats["torch_contract"])
        if not a.oracle_only:
            print("tapegrad vs torch directly: %d programs, worst rel gap %.3g" % (
                stats["engine_torch"], worst["engine_torch"][0]))
        if a.verbose and worst["torch"][1]:
            print("  worst torch gap on %r %r" % worst["torch"][1])
    if not a.oracle_only:
        print("max rel error tapegrad vs reference: value %.3g, grad %.3g" % (
            worst["value"][0], worst["grad"][0]))
        if a.verbose:
            for k in ("value", "grad"):
                if worst[k][1]:
                    print("  worst %s on %r %r" % (k, *worst[k][1]))
        for k, lst in deviations.items():
            print("deviation class %s: %d example(s)" % (k, len(lst)))
        for k, n in known.items():
            print("known deviation class %s (KNOWN.md): %d program(s)" % (k, n))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
