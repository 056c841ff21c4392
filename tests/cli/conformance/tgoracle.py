"""tgoracle.py: an independent reference for the tapegrad language (version 2), written from the
contract /work/shared/spec/cli.md (not from our C code): lexer, parser, evaluator and a small
reverse mode that follows PyTorch's backward formulas (relu'(0) = 0, abs'(0) = 0, pow conventions
at 0) and the contract where it differs from PyTorch (min/max ties, hypot(0, 0), where's
untaken branch). It leaves option parsing and output formats to cases.py, and program generation
to fuzz.py. Standard library only."""

import math

FUNCS1 = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs",
          "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log1p", "expm1",
          "log2", "log10", "erf", "erfc", "softplus")
FUNCS2 = ("pow", "atan2", "hypot", "min", "max")
FUNCS3 = ("where",)
FUNCS = FUNCS1 + FUNCS2 + FUNCS3
RESERVED = set(FUNCS) | {"pi", "where"}
ARITY = dict([(f, 1) for f in FUNCS1] + [(f, 2) for f in FUNCS2] + [(f, 3) for f in FUNCS3])
CMP = ("lt", "le", "gt", "ge", "eq", "ne")
CMP_SYM = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
PI = 3.141592653589793
MAX_NODES = 10000000


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
    are statement separators (SEP, like ';'). '#' comments run to the end of the line. Any
    character outside a comment that is not part of the language (a non-ASCII one included) is
    an error at its position."""
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
        elif c.isascii() and (c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isascii()
                                               and src[i + 1].isdigit())):
            j = i
            while j < n and src[j].isascii() and src[j].isdigit():
                j += 1
            if j < n and src[j] == ".":
                j += 1
                while j < n and src[j].isascii() and src[j].isdigit():
                    j += 1
            if j < n and src[j] in "eE":
                k = j + 1
                if k < n and src[k] in "+-":
                    k += 1
                if k < n and src[k].isascii() and src[k].isdigit():
                    while k < n and src[k].isascii() and src[k].isdigit():
                        k += 1
                    j = k
                else:
                    raise TgError("malformed number", line, col)
            if j < n and src[j].isascii() and (src[j].isalnum() or src[j] in "_."):
                raise TgError("malformed number", line, col)
            toks.append(Tok("NUM", src[i:j], line, col))
            i = j
        elif c.isascii() and (c.isalpha() or c == "_"):
            j = i
            while j < n and src[j].isascii() and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(Tok("NAME", src[i:j], line, col))
            i = j
        elif src.startswith("**", i):
            toks.append(Tok("OP", "^", line, col))
            i += 2
        elif src[i:i + 2] in ("<=", ">=", "==", "!="):
            toks.append(Tok("OP", src[i:i + 2], line, col))
            i += 2
        elif c in "+-*/^(),=<>":
            if c == "(":
                depth += 1
            elif c == ")" and depth > 0:
                depth -= 1
            toks.append(Tok("OP", c, line, col))
            i += 1
        elif not c.isascii():
            raise TgError("unexpected character %r: names are ASCII" % c, line, col)
        else:
            raise TgError("unexpected character %r" % c, line, col)
    toks.append(Tok("EOF", "", line, i - lstart + 1))
    return toks


# ---- Parser: AST as tuples ---------------------------------------------------------------
# ('num', value, text) ('var', name) ('neg', a) ('pos', a)
# ('add'|'sub'|'mul'|'div'|'pow', a, b)  ('lt'|'le'|'gt'|'ge'|'eq'|'ne', a, b)
# ('call', fname, a) for one-argument built-ins; ('pow', a, b) for pow(a, b) too;
# ('call2', fname, a, b) for atan2 hypot min max; ('where', c, a, b);
# ('fcall', name, (args...)) for a function the program defined.
# Statements: ('assign', name, e) | ('expr', e) | ('def', name, (params...), body)

MAX_DEPTH = 100000  # the oracle itself is iterative enough for what we generate


class Parser:
    def __init__(self, src, inputs, functions=None, names=()):
        self.toks = lex(src)
        self.p = 0
        self.inputs = set(inputs)
        self.defined = set(inputs) | set(names)
        self.functions = dict(functions or {})  # name -> number of parameters
        self.params = None  # inside a body: its parameters
        self.current = None  # the function being defined

    def peek(self):
        return self.toks[self.p]

    def next(self):
        t = self.toks[self.p]
        self.p += 1
        return t

    def is_op(self, text, k=0):
        t = self.toks[min(self.p + k, len(self.toks) - 1)]
        return t.kind == "OP" and t.text == text

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
        if not any(s[0] != "def" for s in stmts):
            t = self.peek()
            raise TgError("empty program", t.line, t.col)
        return stmts

    def at_definition(self):
        """NAME '(' NAME {',' NAME} ')' '=' : a definition (checked further by definition())."""
        if self.peek().kind != "NAME" or not self.is_op("(", 1):
            return False
        k = 2
        while True:
            t = self.toks[self.p + k]
            if t.kind != "NAME":
                break
            k += 1
            if self.is_op(",", k):
                k += 1
                continue
            break
        return self.is_op(")", k) and self.is_op("=", k + 1)

    def check_free(self, t, role):
        if t.text in RESERVED:
            raise TgError("%s %r: reserved" % (role, t.text), t.line, t.col)
        if t.text in self.functions:
            raise TgError("%s %r: a function" % (role, t.text), t.line, t.col)

    def definition(self):
        t = self.next()
        self.check_free(t, "cannot define")
        if t.text in self.defined:
            raise TgError("cannot define %r: an input or assigned name" % t.text, t.line, t.col)
        self.expect("(")
        params = []
        while self.peek().kind == "NAME":
            q = self.next()
            self.check_free(q, "parameter")
            if q.text in params:
                raise TgError("parameter %r twice" % q.text, q.line, q.col)
            params.append(q.text)
            if self.is_op(","):
                self.next()
        if not params:
            u = self.peek()
            raise TgError("a function needs a parameter", u.line, u.col)
        self.expect(")")
        self.expect("=")
        self.params, self.current = params, t.text
        try:
            body = self.expr()
        finally:
            self.params, self.current = None, None
        self.functions[t.text] = len(params)
        return ("def", t.text, tuple(params), body)

    def statement(self):
        if self.at_definition():
            return self.definition()
        t = self.peek()
        t2 = self.toks[self.p + 1]
        if t.kind == "NAME" and t2.kind == "OP" and t2.text == "=":
            self.check_free(t, "cannot assign to")
            if t.text in self.inputs:
                raise TgError("cannot assign to input", t.line, t.col)
            self.next()
            self.next()
            e = self.expr()
            self.defined.add(t.text)
            return ("assign", t.text, e)
        return ("expr", self.expr())

    def expr(self):
        a = self.arith()
        t = self.peek()
        if t.kind == "OP" and t.text in CMP_SYM:
            self.next()
            a = (CMP_SYM[t.text], a, self.arith())
            u = self.peek()
            if u.kind == "OP" and u.text in CMP_SYM:
                raise TgError("comparisons do not chain", u.line, u.col)
        return a

    def arith(self):
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

    def args(self, name, n, t):
        """Exactly n arguments; the first token where the count goes wrong (a ',' too many, a
        ')' too early) is the error's place."""
        self.expect("(")
        out = [self.expr()]
        while len(out) < n and self.is_op(","):
            self.next()
            out.append(self.expr())
        u = self.peek()
        if len(out) != n or not self.is_op(")"):
            if len(out) == n and not self.is_op(","):
                raise TgError("expected ')'", u.line, u.col)
            raise TgError("%s takes %d argument(s)" % (name, n), u.line, u.col)
        self.next()
        return out

    def primary(self):
        t = self.next()
        if t.kind == "NUM":
            return ("num", float(t.text), t.text)
        if t.kind == "NAME":
            call = self.is_op("(")
            if t.text in FUNCS:
                if not call:
                    raise TgError("%r is a function" % t.text, t.line, t.col)
                a = self.args(t.text, ARITY[t.text], t)
                if t.text == "pow":
                    return ("pow", a[0], a[1])
                if t.text == "where":
                    return ("where", a[0], a[1], a[2])
                if t.text in FUNCS2:
                    return ("call2", t.text, a[0], a[1])
                return ("call", t.text, a[0])
            if t.text == "pi":
                if call:
                    raise TgError("pi is a constant", t.line, t.col)
                return ("num", PI, "pi")
            if call:
                if t.text in self.functions and t.text != self.current:
                    a = self.args(t.text, self.functions[t.text], t)
                    return ("fcall", t.text, tuple(a))
                raise TgError("unknown function %r" % t.text, t.line, t.col)
            if self.params is not None:
                if t.text not in self.params:
                    raise TgError("a body reads only its parameters: %r" % t.text, t.line, t.col)
                return ("var", t.text)
            if t.text not in self.defined:
                if t.text in self.functions:
                    raise TgError("%r is a function" % t.text, t.line, t.col)
                raise TgError("unknown name %r" % t.text, t.line, t.col)
            return ("var", t.text)
        if t.kind == "OP" and t.text == "(":
            a = self.expr()
            self.expect(")")
            return a
        raise TgError("unexpected %r" % (t.text or "end of input"), t.line, t.col)


def parse(src, inputs=(), functions=None, names=()):
    """Parse a program; raises TgError (exit 2) on any syntax or name error. functions and names:
    what an --expect formula may use besides the inputs (the program's definitions and
    assigned names)."""
    return Parser(src, inputs, functions, names).program()


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


def _safe(fn, a, overflow=math.inf):
    """fn(a) with C's results where Python raises: NaN outside the domain, +-inf on overflow."""
    if math.isnan(a):
        return math.nan
    try:
        return fn(a)
    except ValueError:
        return math.nan
    except OverflowError:
        return overflow(a) if callable(overflow) else overflow


def f_asin(a):
    return _safe(math.asin, a) if not abs(a) > 1 else math.nan


def f_acos(a):
    return _safe(math.acos, a) if not abs(a) > 1 else math.nan


def f_sinh(a):
    return _safe(math.sinh, a, lambda x: math.copysign(math.inf, x))


def f_cosh(a):
    return _safe(math.cosh, a)


def f_acosh(a):
    return math.nan if a < 1 else _safe(math.acosh, a)


def f_atanh(a):
    if abs(a) == 1:
        return math.copysign(math.inf, a)
    return math.nan if abs(a) > 1 else _safe(math.atanh, a)


def f_log1p(a):
    if a == -1:
        return -math.inf
    return math.nan if a < -1 else _safe(math.log1p, a)


def f_expm1(a):
    return _safe(math.expm1, a)


def f_logb(fn, a):
    if a == 0:
        return -math.inf
    if a < 0 or math.isnan(a):
        return math.nan
    return fn(a)


def f_softplus(a):
    """log(1 + e^a) without overflow or cancellation: max(a, 0) + log1p(e^-|a|)."""
    if math.isnan(a):
        return a
    if a > 0:
        return a + math.log1p(f_exp(-a))
    return math.log1p(f_exp(a))


def f_min(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


def f_max(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return max(a, b)


def f_cmp(op, a, b):
    """1.0 when the comparison holds, else 0.0 (any comparison with a NaN is false, != true)."""
    return 1.0 if {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b,
                   "ne": a != b}[op] else 0.0


LN2, LN10, TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)


def _relu_bw(g, a, y):
    return 0.0 if y <= 0 else g          # threshold_backward: where(y <= 0, 0, g)


def _abs_bw(g, a, y):
    s = 0.0 if a == 0 else (math.nan if math.isnan(a) else math.copysign(1.0, a))
    return g * s                           # grad * sgn(a)


# One-argument functions: forward, backward (g, a, y) -> dL/da (PyTorch's formulas,
# FunctionsManual.cpp / derivatives.yaml, written from their documented math).
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
    # d asin = 1/sqrt(1 - a^2), d acos = -1/sqrt(1 - a^2), d atan = 1/(1 + a^2)
    "asin": (f_asin, lambda g, a, y: f_div(g, f_sqrt(1.0 - a * a))),
    "acos": (f_acos, lambda g, a, y: -f_div(g, f_sqrt(1.0 - a * a))),
    "atan": (lambda a: math.atan(a), lambda g, a, y: f_div(g, 1.0 + a * a)),
    # d sinh = cosh, d cosh = sinh
    "sinh": (f_sinh, lambda g, a, y: g * f_cosh(a)),
    "cosh": (f_cosh, lambda g, a, y: g * f_sinh(a)),
    # d asinh = 1/sqrt(a^2 + 1), d acosh = 1/sqrt(a^2 - 1), d atanh = 1/(1 - a^2)
    "asinh": (lambda a: _safe(math.asinh, a), lambda g, a, y: f_div(g, f_sqrt(a * a + 1.0))),
    "acosh": (f_acosh, lambda g, a, y: f_div(g, f_sqrt(a * a - 1.0))),
    "atanh": (f_atanh, lambda g, a, y: f_div(g, 1.0 - a * a)),
    # d log1p = 1/(1 + a), d expm1 = e^a = y + 1, d log2 = 1/(a ln 2), d log10 = 1/(a ln 10)
    "log1p": (f_log1p, lambda g, a, y: f_div(g, 1.0 + a)),
    "expm1": (f_expm1, lambda g, a, y: g * (y + 1.0)),
    "log2": (lambda a: f_logb(math.log2, a), lambda g, a, y: f_div(g, a * LN2)),
    "log10": (lambda a: f_logb(math.log10, a), lambda g, a, y: f_div(g, a * LN10)),
    # d erf = 2/sqrt(pi) e^(-a^2), d erfc = -2/sqrt(pi) e^(-a^2)
    "erf": (lambda a: math.erf(a) if not math.isnan(a) else a,
            lambda g, a, y: g * TWO_OVER_SQRT_PI * f_exp(-a * a)),
    "erfc": (lambda a: math.erfc(a) if not math.isnan(a) else a,
             lambda g, a, y: g * -TWO_OVER_SQRT_PI * f_exp(-a * a)),
    # d softplus = sigmoid
    "softplus": (f_softplus, lambda g, a, y: g * f_sigmoid(a)),
}


def _bw2(name, g, a, b, y):
    """(dL/da, dL/db) of the two-argument functions, given the upstream g."""
    if name == "atan2":  # y = atan2(a, b): d/da = b/(a^2 + b^2), d/db = -a/(a^2 + b^2)
        d = a * a + b * b
        return g * f_div(b, d), g * f_div(-a, d)
    if name == "hypot":  # y = sqrt(a^2 + b^2): d/da = a/y, d/db = b/y; 0 at (0, 0) (contract)
        if a == 0 and b == 0:
            return 0.0, 0.0
        return g * f_div(a, y), g * f_div(b, y)
    # min and max: all of g to the argument chosen, half to each at a tie (contract)
    if a == b:
        return g / 2.0, g / 2.0
    pick_a = (a < b) if name == "min" else (a > b)
    return (g, 0.0) if pick_a else (0.0, g)


BINARY_F = {"atan2": lambda a, b: math.atan2(a, b) if not (math.isnan(a) or math.isnan(b))
            else math.nan,
            "hypot": lambda a, b: math.hypot(a, b), "min": f_min, "max": f_max}


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
        self.torch_differs = False  # the contract deviates from PyTorch here on purpose
        self.nodes = None
        self.out = None
        self.env = None
        self.functions = None


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
        if op in CMP:
            return (0.0, 0.0)
        if op == "where":
            return (0.0, 1.0, 1.0)
        if op[0] == "f2":
            return tuple(abs(v) for v in _bw2(op[1], 1.0, a, b, y))
        if op[1] in ("relu", "abs"):
            return (1.0 if a != 0 else 0.0,)
        return (abs(UNARY[op[1]][1](1.0, a, y)),)
    except (ValueError, OverflowError, ZeroDivisionError):
        return (math.inf, math.inf, math.inf)


def _taken(nodes, i):
    """The argument a where() node takes: a where the condition is not 0 (NaN picks a)."""
    nd = nodes[i]
    c = nodes[nd.args[0]].val
    return nd.args[1] if c != 0 else nd.args[2]


def _reach(start, edges):
    """The nodes reachable from start by following edges(i)."""
    seen = set()
    todo = [start]
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo.extend(edges(i))
    return seen


def evaluate(stmts, inputs, want_grad=True, keep=False):
    """inputs: list of (name, value) in command-line order. Returns Result. keep: also return
    the tape, the final bindings and the functions (for --expect formulas)."""
    res = Result()
    nodes = []
    env = {}
    inmap = {}
    functions = {}
    for name, v in inputs:
        nd = Node("input", (), v, True, abs(v))
        inmap[name] = len(nodes)
        env[name] = len(nodes)
        nodes.append(nd)

    def add(op, args, val):
        if len(nodes) >= MAX_NODES:
            raise TgError("more than %d nodes" % MAX_NODES)
        rg = any(nodes[i].rg for i in args) and op not in CMP
        vs = [nodes[i].val for i in args] + [0.0, 0.0]
        loc = _local_abs(op, vs[0], vs[1], val) if args else ()
        mag = abs(val) if _isfin(val) else math.inf
        for i, l in zip(args, loc):
            m = l * nodes[i].mag
            mag += m if m == m else math.inf
        nodes.append(Node(op, tuple(args), val, rg, mag))
        return len(nodes) - 1

    def ev(e, scope):
        # explicit stack so deep nesting does not hit Python's recursion limit; calls of
        # defined functions recurse (one level per call)
        stack = [(e, False)]
        out = []
        while stack:
            node, done = stack.pop()
            k = node[0]
            if k == "num":
                out.append(add("const", (), node[1]))
            elif k == "var":
                out.append(scope[node[1]])
            elif k == "fcall" and done:
                n = len(node[2])
                argv = out[len(out) - n:]
                del out[len(out) - n:]
                params, body = functions[node[1]]
                out.append(ev(body, dict(zip(params, argv))))
            elif not done:
                stack.append((node, True))
                if k in ("add", "sub", "mul", "div", "pow") or k in CMP:
                    kids = node[1:]
                elif k == "where":
                    kids = node[1:]
                elif k == "call":
                    kids = (node[2],)
                elif k == "call2":
                    kids = node[2:]
                elif k == "fcall":
                    kids = node[2]
                else:
                    kids = (node[1],)
                for kid in reversed(kids):
                    stack.append((kid, False))
            else:
                if k in ("add", "sub", "mul", "div", "pow") or k in CMP:
                    b = out.pop()
                    a = out.pop()
                    va, vb = nodes[a].val, nodes[b].val
                    if k in CMP:
                        val = f_cmp(k, va, vb)
                    else:
                        val = {"add": lambda: va + vb, "sub": lambda: va - vb,
                               "mul": lambda: va * vb, "div": lambda: f_div(va, vb),
                               "pow": lambda: f_pow(va, vb)}[k]()
                    out.append(add(k, (a, b), val))
                elif k == "where":
                    b = out.pop()
                    a = out.pop()
                    c = out.pop()
                    val = nodes[a].val if nodes[c].val != 0 else nodes[b].val
                    out.append(add("where", (c, a, b), val))
                elif k == "call2":
                    b = out.pop()
                    a = out.pop()
                    val = BINARY_F[node[1]](nodes[a].val, nodes[b].val)
                    out.append(add(("f2", node[1]), (a, b), val))
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
    try:
        for st in stmts:
            if st[0] == "def":
                functions[st[1]] = (st[2], st[3])
            elif st[0] == "assign":
                last = ev(st[2], env)
                env[st[1]] = last
            else:
                last = ev(st[1], env)
    except TgError as e:  # the node limit
        res.exit_code = 2
        res.err = e
        return res
    res.value = nodes[last].val
    res.vscale = nodes[last].mag
    if keep:
        res.nodes, res.out, res.env, res.functions = nodes, last, env, functions

    # The cone of nodes the output depends on, for the rule on non-finite values: the operands
    # of comparisons and the condition of where count; the branch where did not take does not.
    def depends(i):
        nd = nodes[i]
        return (nd.args[0], _taken(nodes, i)) if nd.op == "where" else nd.args

    # The nodes gradients flow through: not into comparisons, nor where's condition or branch
    # not taken.
    def flows(i):
        nd = nodes[i]
        return (_taken(nodes, i),) if nd.op == "where" else () if nd.op in CMP else nd.args

    cone, live = _reach(last, depends), _reach(last, flows)
    bad = [i for i in sorted(cone) if not _isfin(nodes[i].val)]
    # Where a finite difference cannot judge: a convention at a kink (relu/abs at 0, pow at 0,
    # min/max at a tie, hypot at 0), a jump (a comparison of equal operands, a where condition
    # at 0), or a trigonometric argument so large that any step spins it.
    for i in cone:
        nd = nodes[i]
        va = nodes[nd.args[0]].val if nd.args else 0.0
        vb = nodes[nd.args[1]].val if len(nd.args) > 1 else 0.0
        if nd.op in (("f", "relu"), ("f", "abs")) and va == 0:
            res.fd_unfit = True
        if nd.op == "pow" and va == 0:
            res.fd_unfit = True
        if nd.op in (("f2", "min"), ("f2", "max"), ("f2", "hypot"), ("f2", "atan2")) and (
                va == vb or (va == 0 and vb == 0) or nd.op[1] == "atan2" and vb <= 0 and va == 0):
            res.fd_unfit = True
        if nd.op in CMP and (va == vb or not (_isfin(va) and _isfin(vb))):
            res.fd_unfit = True
        if nd.op == "where" and va == 0:
            res.fd_unfit = True
        if nd.op in (("f", "sin"), ("f", "cos"), ("f", "tan")) and abs(va) > 100:
            res.fd_unfit = True
            if abs(va) > 1e4:
                res.trig_huge = True  # libm and PyTorch reduce such arguments differently
        if nd.op in (("f2", "hypot"),) and va == 0 and vb == 0 and i in live:
            res.torch_differs = True  # PyTorch: 0/0 = NaN; the contract: 0
        if nd.op == "where":
            res.torch_differs = True  # PyTorch's where passes 0 * (non-finite) = NaN
        if nd.op == ("f", "softplus") and va > 20:
            res.torch_differs = True  # PyTorch returns a itself past its threshold
    if bad:
        res.exit_code = 2
        res.err = "non-finite value at %s" % (nodes[bad[0]].op,)
    if not want_grad:
        return res

    # Reverse sweep, PyTorch rules; gradients flow only into nodes that require grad, and only
    # from nodes they flow through (live).
    g = [0.0] * len(nodes)
    ga = [0.0] * len(nodes)  # the same sweep on absolute values: scale of summed terms
    g[last] = 1.0
    ga[last] = 1.0
    for i in range(last, -1, -1):
        nd = nodes[i]
        if not nd.args or i not in live or not nd.rg:
            continue
        gi, gai = g[i], ga[i]
        op = nd.op
        a = nd.args[0]
        va = nodes[a].val
        if op == "where":
            t = _taken(nodes, i)
            if nodes[t].rg:
                g[t] += gi
                ga[t] += gai
            continue
        if op in ("add", "sub", "mul", "div", "pow") or op[0] == "f2":
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
            elif op == "pow":
                if not _isfin(gi) and vb == 0 and nodes[a].rg:
                    res.absorbed = True  # where(b == 0, 0, g * ...) swallows a non-finite g
                da = 0.0 if vb == 0 else gi * (vb * f_pow(va, vb - 1.0))
                # pow_backward_exponent: g * where(a == 0 & b >= 0, 0, y log a), the where()
                # inside the product, so a non-finite g still gives NaN (unlike d/da below)
                db = gi * (0.0 if (va == 0 and vb >= 0) else nd.val * f_log(va))
            else:
                da, db = _bw2(op[1], gi, va, vb, nd.val)
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


def run(src, inputs, want_grad=True, keep=False):
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
    return evaluate(stmts, inputs, want_grad, keep)


def expect_value(src, inputs, formula):
    """The value of an --expect formula over the program's inputs, its assigned names (as bound
    at its end) and its functions; raises TgError if the formula does not parse."""
    r = run(src, inputs, want_grad=False, keep=True)
    if r.nodes is None:
        raise TgError("the program does not run")
    names = [n for n, _ in inputs]
    funcs = {k: len(v[0]) for k, v in r.functions.items()}
    others = [n for n in r.env if n not in names]
    stmts = Parser(formula, names, funcs, others).program()
    # evaluate the formula's statements with the program's bindings: a tiny interpreter over
    # the values (no gradient needed)
    vals = {n: r.nodes[i].val for n, i in r.env.items()}
    ins = [(n, vals[n]) for n in vals]
    allst = [("def", k, v[0], v[1]) for k, v in r.functions.items()] + list(stmts)
    rr = evaluate(allst, ins, want_grad=False)
    return rr.value


def check_args(argv_inputs):
    """Validate NAME=VALUE strings: returns list of (name, value) or raises TgError."""
    out = []
    seen = set()
    for s in argv_inputs:
        if "=" not in s:
            raise TgError("not NAME=VALUE: %r" % s)
        name, val = s.split("=", 1)
        if not is_name(name) or name in RESERVED:
            raise TgError("invalid input name %r" % name)
        if name in seen:
            raise TgError("input %r given twice" % name)
        seen.add(name)
        out.append((name, parse_value(val)))
    return out
