"""torchref.py: runs a tapegrad program in PyTorch (Debian's python3-torch, optional), the way an
outside harness would: inputs are float64 tensors with requires_grad, number literals are Python
floats. Parsing is tgoracle's (the contract's grammar); only the arithmetic and the backward pass
are PyTorch's. Returns None when torch is not installed or the program does not parse."""

import math

import tgoracle as O

try:
    import torch
except ImportError:  # the checks that use it say so and skip
    torch = None

_F = {
    "exp": "exp", "log": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
    "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "abs": "abs",
    "asin": "asin", "acos": "acos", "atan": "atan", "sinh": "sinh", "cosh": "cosh",
    "asinh": "asinh", "acosh": "acosh", "atanh": "atanh", "log1p": "log1p", "expm1": "expm1",
    "log2": "log2", "log10": "log10", "erf": "erf", "erfc": "erfc",
}
_F2 = {"atan2": "atan2", "hypot": "hypot", "min": "minimum", "max": "maximum"}
_CMP = {"lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "eq": "eq", "ne": "ne"}


def _t(v):
    return v if torch.is_tensor(v) else torch.tensor(v, dtype=torch.float64)


def _fn(name):
    if name == "softplus":
        return torch.nn.functional.softplus
    return getattr(torch, _F[name])


def _const(fn, *args):
    """Constant-only arithmetic, done by torch on 0-dim tensors for IEEE results."""
    ts = [torch.tensor(a, dtype=torch.float64) for a in args]
    return float(fn(*ts).item())


def _ev(e, env, funcs):
    k = e[0]
    if k == "num":
        return e[1]
    if k == "var":
        return env[e[1]]
    if k == "pos":
        return _ev(e[1], env, funcs)
    if k == "neg":
        a = _ev(e[1], env, funcs)
        return -a
    if k == "call":
        a = _ev(e[2], env, funcs)
        f = _fn(e[1])
        return _const(f, a) if isinstance(a, float) else f(a)
    if k == "call2":
        a, b = _ev(e[2], env, funcs), _ev(e[3], env, funcs)
        return getattr(torch, _F2[e[1]])(_t(a), _t(b))
    if k in _CMP:  # 1.0 or 0.0, no gradient
        a, b = _ev(e[1], env, funcs), _ev(e[2], env, funcs)
        return getattr(torch, _CMP[k])(_t(a).detach(), _t(b).detach()).to(torch.float64)
    if k == "where":  # c != 0 (a NaN too) picks a
        c = _t(_ev(e[1], env, funcs)).detach()
        a, b = _ev(e[2], env, funcs), _ev(e[3], env, funcs)
        return torch.where((c != 0) | torch.isnan(c), _t(a), _t(b))
    if k == "fcall":
        params, body = funcs[e[1]]
        args = [_ev(x, env, funcs) for x in e[2]]
        return _ev(body, dict(zip(params, args)), funcs)
    a = _ev(e[1], env, funcs)
    b = _ev(e[2], env, funcs)
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}[k]
    if isinstance(a, float) and isinstance(b, float):
        return _const(fn, a, b)
    return fn(a, b)


def run(prog, inputs):
    """inputs: [(name, float)] -> (value, [grads]) or None."""
    if torch is None:
        return None
    try:
        stmts = O.parse(prog, [n for n, _ in inputs])
    except O.TgError:
        return None
    env = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in inputs}
    leaves = [env[n] for n, _ in inputs]
    out = None
    funcs = {}
    for st in stmts:
        if st[0] == "def":
            funcs[st[1]] = (st[2], st[3])
        elif st[0] == "assign":
            out = _ev(st[2], env, funcs)
            env[st[1]] = out
        else:
            out = _ev(st[1], env, funcs)
    if isinstance(out, float) or not out.requires_grad:
        v = out if isinstance(out, float) else float(out.item())
        return v, [0.0] * len(leaves)
    gs = torch.autograd.grad(out, leaves, allow_unused=True) if leaves else []
    return float(out.item()), [0.0 if g is None else float(g.item()) for g in gs]


def available():
    return torch is not None


if __name__ == "__main__":
    import sys
    ins = [(a.split("=", 1)[0], float(a.split("=", 1)[1])) for a in sys.argv[2:]]
    r = run(sys.argv[1], ins)
    print(r if r is None else (r[0], dict(zip([n for n, _ in ins], r[1]))),
          "finite" if r and all(math.isfinite(v) for v in [r[0]] + r[1]) else "")
