"""tapegrad for Python: micrograd's Value and nn, backed by tapegrad's C tape.

    from tapegrad import Value          # instead of: from micrograd.engine import Value
    from tapegrad.nn import MLP         # instead of: from micrograd.nn import MLP

Everything micrograd's Value does works the same (the graph, its _prev and _op, every value bit
for bit, backward() ADDING into .grad so that zero_grad matters), plus every op of tapegrad's
table as a method (v.sigmoid(), v.atan2(w), ... see op_names()), v.trace(), the graph in
Jupyter, and the engine's derivatives: grad, hessian, jvp, gradcheck, and run() for the
expression language. The C parts are in _tapegrad (python/_tapegrad.c); python/README.md says
how memory is managed.
"""
import contextlib as _contextlib

from ._tapegrad import (AnomalyError, Error, ProgramError, Value, dot, op_names, run,
                        set_anomaly, sum)
from ._tapegrad import _derivs

# Not sum or dot: `from tapegrad import *` must not replace Python's sum, which micrograd's
# code calls with a start value (sum(..., self.b)). Use tapegrad.sum / tapegrad.dot.
__all__ = ["Value", "Error", "AnomalyError", "ProgramError", "GradcheckError", "run",
           "op_names", "set_anomaly", "detect_anomaly", "grad", "hessian", "jvp", "gradcheck"]


@_contextlib.contextmanager
def detect_anomaly(on=True):
    """with tapegrad.detect_anomaly(): ... -- the first NaN or infinity computed (forward or
    backward) raises AnomalyError with the library's message naming the op and its inputs."""
    was = set_anomaly(on)
    try:
        yield
    finally:
        set_anomaly(was)


def _call(f, xs):
    inputs = [x if isinstance(x, Value) else Value(float(x)) for x in xs]
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, not {type(out).__name__}")
    return inputs, out


def grad(f, argnums=None):
    """grad(f)(*xs): the gradient of f at xs (numbers or Values) by the C engine's reverse
    sweep, as a float for one argument, else a tuple; argnums picks which (an int or a tuple).
    No Value's .grad is changed."""
    def df(*xs):
        inputs, out = _call(f, xs)
        g = _derivs("grad", out, inputs, None)
        if argnums is None:
            return g[0] if len(g) == 1 else tuple(g)
        if isinstance(argnums, int):
            return g[argnums]
        return tuple(g[i] for i in argnums)
    return df


def hessian(f):
    """hessian(f)(*xs): the matrix of second derivatives d2f/dxi dxj (a list of rows), from
    the gradient graph the engine records (tg_hessian)."""
    def h(*xs):
        inputs, out = _call(f, xs)
        return _derivs("hessian", out, inputs, None)
    return h


def jvp(f, primals, tangents):
    """jvp(f, primals, tangents) -> (f(primals), directional derivative along tangents), by one
    forward-mode (tangent) sweep, as jax.jvp."""
    inputs, out = _call(f, primals)
    return out.data, _derivs("jvp", out, inputs, list(tangents))


class GradcheckError(AssertionError):
    """A gradient that disagrees with its finite difference."""


def gradcheck(f, *xs, tol=1e-6, raise_exception=True):
    """gradcheck(f, *xs): checks every df/dxi of the engine against central differences of f
    replayed on the tape (Richardson-refined, error-estimated: the library's tg_gradcheck).
    Returns True, or raises GradcheckError naming the argument, both numbers and the step
    (returns False instead with raise_exception=False), as torch.autograd.gradcheck."""
    inputs, out = _call(f, xs)
    results = _derivs("gradcheck", out, inputs, float(tol))
    for i, r in enumerate(results):
        if not r["ok"]:
            if not raise_exception:
                return False
            kink = " (a kink: f is not differentiable there)" if r["kink"] else ""
            raise GradcheckError(
                f"d f / d x{i} at x{i} = {inputs[i].data!r}: the engine gives "
                f"{r['expected']!r}, finite differences {r['numeric']!r} (step {r['step']:g}, "
                f"error {r['abs_err']:.3g}){kink}")
    return True
