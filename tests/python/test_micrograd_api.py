"""micrograd's Value surface: its own two engine tests with their published numbers, the
graph it builds (_prev, _op), reflected operators with ints, floats and numpy scalars, the
graph walk of micrograd's trace_graph notebook, nn's parameter order and seeded values, and
agreement with the real micrograd where a checkout is given."""
import random

import pytest

import tapegrad
from tapegrad import Value
from tapegrad import nn


def sanity_check(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(V):
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_sanity_check_gives_the_published_numbers():
    # micrograd's test_sanity_check; PyTorch's numbers: y = -20, dy/dx = 46
    x, y = sanity_check(Value)
    assert y.data == -20.0
    assert x.grad == 46.0


def test_micrograd_more_ops_gives_the_published_numbers():
    # micrograd's test_more_ops; PyTorch's numbers (micrograd's README)
    a, b, g = more_ops(Value)
    assert abs(g.data - 24.70408163265306) < 1e-12
    assert abs(a.grad - 138.83381924198252) < 1e-12
    assert abs(b.grad - 645.5772594752186) < 1e-12


def test_ops_strings_and_children_are_micrographs():
    x = Value(3.0)
    assert (x + 1)._op == "+" and (x * 2)._op == "*" and x.relu()._op == "ReLU"
    assert (x**2)._op == "**2" and (x**0.5)._op == "**0.5" and (x**-1)._op == "**-1"
    assert x._op == "" and x._prev == set() and (x**2)._prev == {x}  # as micrograd
    y = x * 2
    kids = y._prev
    assert x in kids and len(kids) == 2
    two = next(k for k in kids if k is not x)
    assert two.data == 2 and isinstance(two.data, int)  # micrograd keeps Value(2).data an int
    assert y._prev == kids and all(a is b for a, b in zip(sorted(y._prev, key=id),
                                                            sorted(kids, key=id)))
    # micrograd's compositions: a - b = a + (-b), -a = a * -1, a / b = a * b**-1
    s = x - Value(1.0)
    assert s._op == "+" and {k._op for k in s._prev} == {"", "*"}
    d = x / Value(2.0)
    assert d._op == "*" and {k._op for k in d._prev} == {"", "**-1"}
    assert (-x)._op == "*"


def test_repr_is_micrographs():
    assert repr(Value(0)) == "Value(data=0, grad=0)"
    assert repr(Value(0.8958441028683222)) == "Value(data=0.8958441028683222, grad=0)"


def test_data_and_grad_are_writable():
    p = Value(1.0)
    p.grad = 0.5
    p.data -= 0.1 * p.grad
    assert p.data == 0.95 and p.grad == 0.5
    with pytest.raises(TypeError):
        p.data = "one"


@pytest.mark.parametrize("num", [3, 3.0, "np.int64", "np.float64", "np.float32", "np.int32"])
def test_reflected_operators_with_numbers(num):
    np = pytest.importorskip("numpy")
    if isinstance(num, str):
        num = getattr(np, num.split(".")[1])(3)
    n = float(num)
    x = Value(2.0)
    cases = [(x + num, 2.0 + n, 1.0), (num + x, n + 2.0, 1.0),
             (x - num, 2.0 - n, 1.0), (num - x, n - 2.0, -1.0),
             (x * num, 2.0 * n, n), (num * x, n * 2.0, n),
             (x / num, 2.0 * n**-1, n**-1), (num / x, n * 2.0**-1, -n / 4.0),
             (x**num, 2.0**n, n * 2.0**(n - 1)), (-x, -2.0, -1.0)]
    for out, value, slope in cases:
        assert isinstance(out, Value), type(out)
        assert out.data == value
        x.grad = 0
        out.backward()
        assert x.grad == pytest.approx(slope, rel=1e-15)


def test_numpy_label_times_score_as_in_micrographs_demo():
    np = pytest.importorskip("numpy")
    ys = np.array([-1, 1], dtype=np.int64)
    score = Value(0.25)
    for yi in ys:
        hinge = (1 + -yi * score).relu()
        assert isinstance(hinge, Value)
        assert hinge.data == max(0.0, 1 - float(yi) * 0.25)


def trace(root):
    """micrograd's trace_graph notebook, verbatim: sets of Values, recursion over _prev."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def test_graph_walk_of_the_trace_graph_notebook():
    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    nodes, edges = trace(y)
    # ReLU(b + w0*x0 + w1*x1): 2 inputs, 2 weights, bias, 2 '*', 2 '+', ReLU = 10 nodes
    assert len(nodes) == 10 and len(edges) == 9
    ops = sorted(v._op for v in nodes)
    assert ops == ["", "", "", "", "", "*", "*", "+", "+", "ReLU"]
    # walking twice gives the same objects
    nodes2, _ = trace(y)
    assert nodes2 == nodes
    # the labels draw_dot prints
    for v in nodes:
        "{ data %.4f | grad %.4f }" % (v.data, v.grad)


def test_draw_dot_of_the_trace_graph_notebook_runs_unchanged():
    graphviz = pytest.importorskip("graphviz")
    Digraph = graphviz.Digraph

    def draw_dot(root, format='svg', rankdir='LR'):
        assert rankdir in ['LR', 'TB']
        nodes, edges = trace(root)
        dot = Digraph(format=format, graph_attr={'rankdir': rankdir})
        for n in nodes:
            dot.node(name=str(id(n)), label="{ data %.4f | grad %.4f }" % (n.data, n.grad),
                     shape='record')
            if n._op:
                dot.node(name=str(id(n)) + n._op, label=n._op)
                dot.edge(str(id(n)) + n._op, str(id(n)))
        for n1, n2 in edges:
            dot.edge(str(id(n1)), str(id(n2)) + n2._op)
        return dot

    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    src = draw_dot(y).source
    assert "data 3.0000 | grad 1.0000" in src and "data 1.0000 | grad 2.0000" in src
    assert "ReLU" in src


def test_nn_parameters_in_micrographs_order_and_seeded_values():
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == 337
    random.seed(1337)
    draws = [random.uniform(-1, 1) for _ in range(16 * 2 + 16 * 16 + 16)]
    weights = [p.data for layer in model.layers for n in layer.neurons for p in n.w]
    assert weights == draws
    assert all(n.b.data == 0 for layer in model.layers for n in layer.neurons)
    assert str(model).startswith("MLP of [Layer of [ReLUNeuron(2), ")
    assert str(model).endswith("Layer of [LinearNeuron(16)]]")


def test_nn_dot_fast_path_gives_the_same_numbers():
    random.seed(7)
    slow = nn.MLP(3, [4, 4, 1])
    random.seed(7)
    fast = nn.MLP(3, [4, 4, 1], fast=True)
    for xs in ([0.5, -1.0, 2.0], [1.5, 0.25, -0.75]):
        ys, yf = slow([Value(x) for x in xs]), fast(xs)
        assert ys.data == yf.data
        slow.zero_grad()
        fast.zero_grad()
        ys.backward()
        yf.backward()
        for a, b in zip(slow.parameters(), fast.parameters()):
            assert a.grad == pytest.approx(b.grad, rel=1e-14, abs=1e-300)


def test_backward_accumulates_as_micrograd():
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0  # 6 + 6: zero_grad is the caller's job, as in micrograd
    assert y.grad == 1


def test_against_the_real_micrograd(micrograd):
    engine, mnn = micrograd
    for build in (sanity_check, more_ops):
        theirs = build(engine.Value)
        ours = build(Value)
        for t, o in zip(theirs, ours):
            assert o.data == t.data  # the same compositions: the same bits
            assert o.grad == pytest.approx(t.grad, rel=1e-14)
        # the same graph: the same multiset of _op strings
        to, oo = trace(theirs[-1])[0], trace(ours[-1])[0]
        assert sorted(v._op for v in to) == sorted(v._op for v in oo)
    random.seed(42)
    m1 = mnn.MLP(2, [4, 1])
    random.seed(42)
    m2 = nn.MLP(2, [4, 1])
    assert [p.data for p in m1.parameters()] == [p.data for p in m2.parameters()]
    assert str(m1) == str(m2)
    x1 = m1([engine.Value(0.5), engine.Value(-0.25)])
    x2 = m2([Value(0.5), Value(-0.25)])
    assert x1.data == x2.data
    x1.backward()
    x2.backward()
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert b.grad == pytest.approx(a.grad, rel=1e-14, abs=1e-300)


def test_star_import_keeps_pythons_sum():
    scope = {}
    exec("from tapegrad import *", scope)
    assert "sum" not in scope and "Value" in scope
