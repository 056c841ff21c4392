"""tgoracle.py: an independent reference for the tapegrad language, written from the contract
/work/shared/spec/cli.md (not from our C code): lexer, parser, evaluator and a small reverse mode
that follows PyTorch's backward formulas (relu'(0) = 0, abs'(0) = 0, pow conventions at 0).
It leaves option parsing and output formats to cases.py, and program generation to fuzz.py.
Standard library only."""

import math

FUNCS1 = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs")
FUNCS = FUNCS1 + ("pow",)


class TgError(Exception):
    """A usage, syntax or name error (exit 2). line/col are 1-based, or None."""

    def __init__(self, msg, line=None, col=None):
        super().__init__(msg)
        self.msg, self.line, self.col = msg, line, col


def is_name(s):
    if not s or not (s[0].isascii() and (s[0].isalpha() or s[0] == "_")):
        return False
    return all(c.isascii() and (c.isalnum() or c == "_") for c in s)


def parse_value(text):
    """VALUE as the contract reads it: finite decimal, optional sign/fraction/exponent.
    Returns the double or raises TgError."""
    i, n = 0, len(text)
    if i < n and text[i] in "+-":
        i += 1
    d0 = i
    while i < n and text[i].isdigit():
        i += 1
    nd = i - d0
    if i < n and text[i] == ".":
        i += 1
        f0 = i
        while i < n and text[i].isdigit():
            i += 1
        nd += i - f0
    if nd == 0:
        raise TgError("malformed value %r" % text)
    if i < n and text[i] in "eE":
        i += 1
        if i < n and text[i] in "+-":
            i += 1
        e0 = i
        while i < n and text[i].isdigit():
            i += 1
        if i == e0:
            raise TgError("malformed value %r" % text)
    if i != n:
        raise TgError("malformed value %r" % text)
    v = float(text)
    if not math.isfinite(v):
        raise TgError("value out of range %r" % text)
    return v


# ---- Lexer -------------------------------------------------------------------------------

class Tok:
    __slots__ = ("kind", "text", "line", "col")

    def __init__(self, kind, text, line, col):
        self.kind, self.text, self.line, self.col = kind, text, line, col

    def __repr__(self):
        return "Tok(%s,%r,%d:%d)" % (self.kind, self.text, self.line, self.col)


def lex(src):
    """Tokens: NUM NAME OP SEP EOF. Newlines inside parentheses are white space; outside they
    are statement separators (SEP, like ';'). '#' comments run to the end of the line."""
    toks = []
    i, n, line, lstart, depth = 0, len(src), 1, 0, 0
    while i < n:
        c = src[i]
        col = i - lstart + 1
        if c in " \t\r":
            i += 1
        elif c == "\n":
            if depth == 0:
                toks.append(Tok("SEP", "\n", line, col))
            i += 1
            line += 1
            lstart = i
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c == ";":
            toks.append(Tok("SEP", ";", line, col))
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = i
            while j < n and src[j].isdigit():
                j += 1
            if j < n and src[j] == ".":
                j += 1
                while j < n and src[j].isdigit():
                    j += 1
            if j < n and src[j] in "eE":
                k = j + 1
                if k < n and src[k] in "+-":
                    k += 1
                if k < n and src[k].isdigit():
                    while k < n and src[k].isdigit():
                        k += 1
                    j = k
                else:
                    raise TgError("malformed number", line, col)
            toks.append(Tok("NUM", src[i:j], line, col))
            i = j
        elif c.isascii() and (c.isalpha() or c == "_"):
            j = i
            while j < n and src[j].isascii() and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(Tok("NAME", src[i:j], line, col))
            i = j
        elif c == "*" and i + 1 < n and src[i + 1] == "*":
            toks.append(Tok("OP", "^", line, col))
            i += 2
        elif c in "+-*/^(),=":
            if c == "(":
                depth += 1
            elif c == ")" and depth > 0:
                depth -= 1
            toks.append(Tok("OP", c, line, col))
            i += 1
        else:
            raise TgError("unexpected character %r" % c, line, col)
    toks.append(Tok("EOF", "", line, i - lstart + 1))
    return toks


# ---- Parser: AST as tuples ---------------------------------------------------------------
# ('num', value, text) ('var', name) ('neg', a) ('pos', a) ('add'|'sub'|'mul'|'div'|'pow', a, b)
# ('call', fname, a) ('pow', a, b) for pow(a, b) too.  Statements: ('assign', name, e) | ('expr', e)

MAX_DEPTH = 100000  # the oracle itself is iterative enough for what we generate


class Parser:
    def __init__(self, src, inputs):
        self.toks = lex(src)
        self.p = 0
        self.inputs = set(inputs)
        self.defined = set(inputs)

    def peek(self):
        return self.toks[self.p]

    def next(self):
        t = self.toks[self.p]
        self.p += 1
        return t

    def expect(self, text):
        t = self.peek()
        if t.kind != "OP" or t.text != text:
            raise TgError("expected %r" % text, t.line, t.col)
        return self.next()

    def program(self):
        stmts = []
        while True:
            t = self.peek()
            if t.kind == "EOF":
                break
            if t.kind == "SEP":
                self.next()
                continue
            stmts.append(self.statement())
            t = self.peek()
            if t.kind not in ("SEP", "EOF"):
                raise TgError("unexpected %r" % t.text, t.line, t.col)
        if not stmts:
            raise TgError("empty program", 1, 1)
        return stmts

    def statement(self):
        t = self.peek()
        t2 = self.toks[self.p + 1]
        if t.kind == "NAME" and t2.kind == "OP" and t2.text == "=":
            if t.text in FUNCS:
                raise TgError("cannot assign to function name", t.line, t.col)
            if t.text in self.inputs:
                raise TgError("cannot assign to input", t.line, t.col)
            self.next()
            self.next()
            e = self.expr()
            self.defined.add(t.text)
            return ("assign", t.text, e)
        return ("expr", self.expr())

    def expr(self):
        a = self.term()
        while self.peek().kind == "OP" and self.peek().text in "+-":
            op = self.next().text
            a = ("add" if op == "+" else "sub", a, self.term())
        return a

    def term(self):
        a = self.unary()
        while self.peek().kind == "OP" and self.peek().text in ("*", "/"):
            op = self.next().text
            a = ("mul" if op == "*" else "div", a, self.unary())
        return a

    def unary(self):
        # iterative over the prefix signs so long sign chains do not recurse
        signs = []
        while self.peek().kind == "OP" and self.peek().text in ("+", "-"):
            signs.append(self.next().text)
        a = self.power()
        for s in reversed(signs):
            a = ("neg", a) if s == "-" else ("pos", a)
        return a

    def power(self):
        a = self.primary()
        t = self.peek()
        if t.kind == "OP" and t.text == "^":
            self.next()
            return ("pow", a, self.unary())
        return a

    def primary(self):
        t = self.next()
        if t.kind == "NUM":
            return ("num", float(t.text), t.text)
        if t.kind == "NAME":
            if t.text in FUNCS:
                self.expect("(")
                a = self.expr()
                if t.text == "pow":
                    self.expect(",")
                    b = self.expr()
                    self.expect(")")
                    return ("pow", a, b)
                self.expect(")")
                return ("call", t.text, a)
            if t.text not in self.defined:
                raise TgError("unknown name %r" % t.text, t.line, t.col)
            return ("var", t.text)
        if t.kind == "OP" and t.text == "(":
            a = self.expr()
            self.expect(")")
            return a
        raise TgError("unexpected %r" % (t.text or "end of input"), t.line, t.col)


def parse(src, inputs=()):
    """Parse a program; raises TgError (exit 2) on any syntax or name error."""
    return Parser(src, inputs).program()


# ---- IEEE-754 functions (Python's math raises where C returns inf/nan) --------------------

def f_exp(a):
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def f_log(a):
    if math.isnan(a) or a < 0:
        return math.nan
    if a == 0:
        return -math.inf
    return math.log(a)


def f_sqrt(a):
    if math.isnan(a) or a < 0:
        return math.nan
    return math.sqrt(a)


def f_trig(fn, a):
    if not math.isfinite(a):
        return math.nan
    return fn(a)


def f_tan(a):
    return f_trig(math.tan, a)


def f_sigmoid(a):
    # PyTorch: 1 / (1 + exp(-x))
    return 1.0 / (1.0 + f_exp(-a))


def f_relu(a):
    # PyTorch's relu propagates NaN (clamp_min)
    if math.isnan(a):
        return a
    return a if a > 0 else 0.0


def f_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if math.isnan(a) or a == 0:
            return math.nan
        neg = (a < 0) != (math.copysign(1.0, b) < 0)
        return -math.inf if neg else math.inf


def f_mul(a, b):
    return a * b


def f_pow(a, b):
    """C pow() semantics (IEEE special cases) without Python's complex/exceptions."""
    if b == 0:
        return 1.0
    if a == 1:
        return 1.0
    if math.isnan(a) or math.isnan(b):
        return math.nan
    try:
        r = math.pow(a, b)
    except OverflowError:
        if a < 0 and float(b).is_integer() and int(b) % 2 == 1:
            return -math.inf
        return math.inf
    except ValueError:
        if a == 0:  # 0 to a negative power
            if float(b).is_integer() and int(b) % 2 == 1:
                return math.copysign(math.inf, a)
            return math.inf
        return math.nan  # negative base, non-integer exponent
    return r


# Table of one-argument functions: forward, backward (g, a, y) -> dL/da, local |dy/da| for
# error magnitudes.  Backward formulas are PyTorch's (FunctionsManual.cpp / derivatives.yaml).
def _relu_bw(g, a, y):
    return 0.0 if y <= 0 else g          # threshold_backward: where(y <= 0, 0, g)


def _abs_bw(g, a, y):
    s = 0.0 if a == 0 else (math.nan if math.isnan(a) else math.copysign(1.0, a))
    return g * s                           # grad * sgn(a)


UNARY = {
    "exp": (f_exp, lambda g, a, y: g * y),
    "log": (f_log, lambda g, a, y: f_div(g, a)),
    "sqrt": (f_sqrt, lambda g, a, y: f_div(g, 2.0 * y)),
    "sin": (lambda a: f_trig(math.sin, a), lambda g, a, y: g * f_trig(math.cos, a)),
    "cos": (lambda a: f_trig(math.cos, a), lambda g, a, y: g * -f_trig(math.sin, a)),
    "tan": (f_tan, lambda g, a, y: g * (1.0 + y * y)),
    "tanh": (math.tanh, lambda g, a, y: g * (1.0 - y * y)),
    "sigmoid": (f_sigmoid, lambda g, a, y: g * (1.0 - y) * y),
    "relu": (f_relu, _relu_bw),
    "abs": (abs, _abs_bw),
}


def _isfin(v):
    return math.isfinite(v)


# ---- Evaluation with a tape --------------------------------------------------------------

class Node:
    __slots__ = ("op", "args", "val", "rg", "mag")

    def __init__(self, op, args, val, rg, mag):
        self.op, self.args, self.val, self.rg, self.mag = op, args, val, rg, mag


class Result:
    """Outcome of running a program. exit_code 0 or 2; value, grads (list in input order);
    err: TgError or a string for non-finite; vscale/gscale: magnitudes for tolerances."""

    def __init__(self):
        self.exit_code = 0
        self.value = None
        self.grads = []
        self.err = None
        self.vscale = 0.0
        self.gscale = []
        self.fd_unfit = False
        self.trig_huge = False
        self.absorbed = False  # PyTorch's where() turned a non-finite upstream into 0


def _local_abs(op, a, b, y):
    """|d y / d args| used only to scale error tolerances (first-order error propagation)."""
    try:
        if op in ("add", "sub"):
            return (1.0, 1.0)
        if op == "mul":
            return (abs(b), abs(a))
        if op == "div":
            return (abs(f_div(1.0, b)), abs(f_div(y, b)))
        if op == "pow":
            la = 0.0 if b == 0 else abs(b * f_pow(a, b - 1))
            lb = 0.0 if a <= 0 else abs(y * math.log(a))
            return (la, lb)
        if op == "neg":
            return (1.0,)
        fn = op[1]
        d = {"exp": lambda: abs(y), "log": lambda: abs(f_div(1.0, a)),
             "sqrt": lambda: abs(f_div(0.5, y)), "sin": lambda: abs(math.cos(a)),
             "cos": lambda: abs(math.sin(a)), "tan": lambda: 1 + y * y,
             "tanh": lambda: 1 - y * y, "sigmoid": lambda: y * (1 - y),
             "relu": lambda: 1.0 if a > 0 else 0.0, "abs": lambda: 1.0}[fn]()
        return (d,)
    except (ValueError, OverflowError):
        return (math.inf, math.inf)


def evaluate(stmts, inputs, want_grad=True):
    """inputs: list of (name, value) in command-line order. Returns Result."""
    res = Result()
    nodes = []
    env = {}
    inmap = {}
    for name, v in inputs:
        nd = Node("input", (), v, True, abs(v))
        inmap[name] = len(nodes)
        env[name] = len(nodes)
        nodes.append(nd)

    def add(op, args, val):
        rg = any(nodes[i].rg for i in args)
        vs = [nodes[i].val for i in args]
        loc = _local_abs(op, vs[0], vs[1] if len(vs) > 1 else 0.0, val) if args else ()
        mag = abs(val) if _isfin(val) else math.inf
        for i, l in zip(args, loc):
            m = l * nodes[i].mag
            mag += m if m == m else math.inf
        nodes.append(Node(op, tuple(args), val, rg, mag))
        return len(nodes) - 1

    def ev(e):
        # explicit stack so deep nesting does not hit Python's recursion limit
        stack = [(e, False)]
        out = []
        while stack:
            node, done = stack.pop()
            k = node[0]
            if k == "num":
                out.append(add("const", (), node[1]))
            elif k == "var":
                out.append(env[node[1]])
            elif not done:
                stack.append((node, True))
                kids = node[1:] if k in ("add", "sub", "mul", "div", "pow") else (
                    (node[2],) if k == "call" else (node[1],))
                for kid in reversed(kids):
                    stack.append((kid, False))
            else:
                if k in ("add", "sub", "mul", "div", "pow"):
                    b = out.pop()
                    a = out.pop()
                    va, vb = nodes[a].val, nodes[b].val
                    val = {"add": lambda: va + vb, "sub": lambda: va - vb,
                           "mul": lambda: va * vb, "div": lambda: f_div(va, vb),
                           "pow": lambda: f_pow(va, vb)}[k]()
                    out.append(add(k, (a, b), val))
                elif k == "pos":
                    pass
                elif k == "neg":
                    a = out.pop()
                    out.append(add("neg", (a,), -nodes[a].val))
                else:
                    a = out.pop()
                    out.append(add(("f", node[1]), (a,), UNARY[node[1]][0](nodes[a].val)))
        return out[0]

    last = None
    for st in stmts:
        if st[0] == "assign":
            last = ev(st[2])
            env[st[1]] = last
        else:
            last = ev(st[1])
    res.value = nodes[last].val
    res.vscale = nodes[last].mag

    # The cone of nodes the output depends on.
    cone = set()
    todo = [last]
    while todo:
        i = todo.pop()
        if i in cone:
            continue
        cone.add(i)
        todo.extend(nodes[i].args)
    bad = [i for i in sorted(cone) if not _isfin(nodes[i].val)]
    # Where a finite difference cannot judge: a convention at a kink (relu/abs at 0, pow at 0)
    # or a trigonometric argument so large that any step spins it.
    for i in cone:
        nd = nodes[i]
        if nd.op in (("f", "relu"), ("f", "abs")) and nodes[nd.args[0]].val == 0:
            res.fd_unfit = True
        if nd.op == "pow" and nodes[nd.args[0]].val == 0:
            res.fd_unfit = True
        if nd.op in (("f", "sin"), ("f", "cos"), ("f", "tan")) and abs(nodes[nd.args[0]].val) > 100:
            res.fd_unfit = True
            if abs(nodes[nd.args[0]].val) > 1e4:
                res.trig_huge = True  # libm and PyTorch reduce such arguments differently
    if bad:
        res.exit_code = 2
        res.err = "non-finite value at %s" % (nodes[bad[0]].op,)
    if not want_grad:
        return res

    # Reverse sweep, PyTorch rules; gradients flow only into nodes that require grad.
    g = [0.0] * len(nodes)
    ga = [0.0] * len(nodes)  # the same sweep on absolute values: scale of summed terms
    g[last] = 1.0
    ga[last] = 1.0
    for i in range(last, -1, -1):
        nd = nodes[i]
        if not nd.args or i not in cone or not nd.rg:
            continue
        gi, gai = g[i], ga[i]
        op = nd.op
        a = nd.args[0]
        va = nodes[a].val
        if op in ("add", "sub", "mul", "div", "pow"):
            b = nd.args[1]
            vb = nodes[b].val
            if op == "add":
                da, db = gi, gi
            elif op == "sub":
                da, db = gi, -gi
            elif op == "mul":
                da, db = gi * vb, gi * va
            elif op == "div":
                da = f_div(gi, vb)
                db = -gi * f_div(f_div(va, vb), vb)
            else:
                if not _isfin(gi) and vb == 0 and nodes[a].rg:
                    res.absorbed = True  # where(b == 0, 0, g * ...) swallows a non-finite g
                da = 0.0 if vb == 0 else gi * (vb * f_pow(va, vb - 1.0))
                # pow_backward_exponent: g * where(a == 0 & b >= 0, 0, y log a), the where()
                # inside the product, so a non-finite g still gives NaN (unlike d/da below)
                db = gi * (0.0 if (va == 0 and vb >= 0) else nd.val * f_log(va))
            loc = _local_abs(op, va, vb, nd.val)
            if nodes[a].rg:
                g[a] += da
                ga[a] += gai * loc[0] if loc[0] == loc[0] else math.inf
            if nodes[b].rg:
                g[b] += db
                ga[b] += gai * loc[1] if loc[1] == loc[1] else math.inf
        elif op == "neg":
            g[a] += -gi
            ga[a] += gai
        else:
            fn = op[1]
            if fn == "relu" and not _isfin(gi) and nd.val <= 0:
                res.absorbed = True
            g[a] += UNARY[fn][1](gi, va, nd.val)
            l = _local_abs(op, va, 0.0, nd.val)[0]
            ga[a] += gai * l if l == l else math.inf
    for name, _ in inputs:
        i = inmap[name]
        res.grads.append(g[i])
        res.gscale.append(ga[i])
        if not _isfin(g[i]) and res.exit_code == 0:
            res.exit_code = 2
            res.err = "non-finite gradient for %s" % name
    return res


def run(src, inputs, want_grad=True):
    """Parse and evaluate. inputs: list of (name, value). Returns Result (exit_code 2 with
    err=TgError on syntax/name errors)."""
    try:
        names = [n for n, _ in inputs]
        stmts = parse(src, names)
    except TgError as e:
        r = Result()
        r.exit_code = 2
        r.err = e
        return r
    return evaluate(stmts, inputs, want_grad)


def check_args(argv_inputs):
    """Validate NAME=VALUE strings: returns list of (name, value) or raises TgError."""
    out = []
    seen = set()
    for s in argv_inputs:
        if "=" not in s:
            raise TgError("not NAME=VALUE: %r" % s)
        name, val = s.split("=", 1)
        if not is_name(name) or name in FUNCS:
            raise TgError("invalid input name %r" % name)
        if name in seen:
            raise TgError("input %r given twice" % name)
        seen.add(name)
        out.append((name, parse_value(val)))
    return out
