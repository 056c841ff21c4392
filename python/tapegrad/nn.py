"""tapegrad.nn: micrograd's nn (Module, Neuron, Layer, MLP), drawing its initial weights from
Python's random in micrograd's order, so a seeded notebook prints micrograd's numbers.

Neuron(nin, nonlin=True, fast=False): with fast=True each neuron is recorded as ONE dot node
(b*1 + w0*x0 + w1*x1 + ...; the same additions in the same order as micrograd's
sum(..., self.b), so the same values bit for bit) and a whole layer is one C call; the graph
is then smaller than micrograd's (no '+'/'*' chain to draw) but the parameters, their order
and the gradients are the same.
"""
import random

from . import _tapegrad
from ._tapegrad import Value

_ONE = Value(1.0)  # the constant the bias multiplies in the dot fast path


class Module:

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0

    def parameters(self):
        return []


class Neuron(Module):

    def __init__(self, nin, nonlin=True, fast=False):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin
        self.fast = fast

    def __call__(self, x):
        if self.fast:
            return _tapegrad._layer([[self.b] + self.w], x, self.nonlin, _ONE)[0]
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):

    def __init__(self, nin, nout, **kwargs):
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self.fast = kwargs.get("fast", False)
        self.nonlin = kwargs.get("nonlin", True)
        self._wb = [[n.b] + n.w for n in self.neurons]  # the same Value objects, for _layer

    def __call__(self, x):
        if self.fast:
            out = _tapegrad._layer(self._wb, x, self.nonlin, _ONE)
        else:
            out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):

    def __init__(self, nin, nouts, fast=False):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1, fast=fast)
                       for i in range(len(nouts))]
        self.fast = fast
        self._wb = [layer._wb for layer in self.layers]
        self._nonlins = [layer.nonlin for layer in self.layers]

    def __call__(self, x):
        if self.fast:  # every layer in one call into C
            out = _tapegrad._mlp(self._wb, x, self._nonlins, _ONE)
            return out[0] if len(out) == 1 else out
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
