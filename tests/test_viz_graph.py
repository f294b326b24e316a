"""deepgrad.viz.graph on the lecture's gate diagram (seed 002, INDEX rows 12-13):
f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) with w = [2, -3, -3], x = [-1, -2]."""
from __future__ import annotations

import collections
import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import viz

W, X = [2.0, -3.0, -3.0], [-1.0, -2.0]


def _gate_graph(**kw):
    w0, w1, w2 = (dg.tensor(v, dtype=dg.float64, requires_grad=True) for v in W)
    x0, x1 = (dg.tensor(v, dtype=dg.float64, requires_grad=True) for v in X)
    f = 1.0 / (dg.exp((w0 * x0 + w1 * x1 + w2) * -1.0) + 1.0)  # the slide's gates
    params = {"w0": w0, "w1": w1, "w2": w2, "x0": x0, "x1": x1}
    return f, params, viz.graph(f, params=params, **kw)


def _by_label(g):
    return {n.label: n for n in g.nodes.values() if n.kind in ("leaf", "output")}


def test_nodes_and_edges_are_the_recorded_ops():
    f, params, g = _gate_graph()
    ops = collections.Counter(n.label for n in g.nodes.values() if n.kind == "op")
    assert ops == {"Mul": 3, "Add": 3, "Exp": 1, "Div": 1}
    consts = sorted(float(n.value) for n in g.nodes.values() if n.kind == "const")
    assert consts == [-1.0, 1.0, 1.0]
    assert set(_by_label(g)) == {"w0", "w1", "w2", "x0", "x1", "output"}
    # every edge is a real link of the recorded graph: its tensor is an input of the op it enters
    for src, dst, t in g.edges:
        node = g.nodes[dst]
        if node.kind == "op":
            assert any(t is x for x in node.tensor.creator.inputs)
        if g.nodes[src].kind == "op":
            assert t.creator is g.nodes[src].tensor.creator
    assert len(g.edges) == 2 * 7 + 1 + 1  # Mul x3, Add x3, Div: 2 inputs each; Exp: 1; the output
    # w0 feeds a Mul together with x0
    mul = next(dst for src, dst, _ in g.edges if g.nodes[src].label == "w0")
    assert {g.nodes[s].label for s, d, _ in g.edges if d == mul} == {"w0", "x0"}


def test_values_and_gradients_are_the_lectures_numbers():
    f, params, g = _gate_graph(show_values=True, show_grads=True)
    nodes = _by_label(g)
    assert round(float(nodes["output"].value), 2) == 0.73
    assert [round(float(nodes[k].grad), 2) for k in ("w0", "w1", "w2")] == [-0.20, -0.39, 0.20]
    assert [round(float(nodes[k].grad), 2) for k in ("x0", "x1")] == [0.39, -0.59]
    # the same as backward (an independent path through the engine), and .grad left untouched
    assert all(p.grad is None for p in params.values())
    f.backward()
    for name, p in params.items():
        np.testing.assert_allclose(nodes[name].grad, p.grad.numpy(), rtol=1e-14)
    text = str(g)
    assert text.splitlines()[0] == "output ()  value=0.73  grad=1.00"
    assert "w0 ()  value=2.00  grad=-0.20" in text and "x1 ()  value=-2.00  grad=-0.59" in text
    assert "Exp ()  value=0.37  grad=-0.53" in text  # CS231n's intermediate numbers
    dot = g.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("->") == len(g.edges)
    labels = re.findall(r'color="red">([^<]*)<', dot)
    assert {"-0.20", "-0.39", "0.20", "0.39", "-0.59", "-0.53", "1.00"} <= set(labels)


def test_without_values_the_text_shows_shapes_only_and_vectors_are_listed():
    w = dg.tensor(W, dtype=dg.float64, requires_grad=True)
    x = dg.tensor(X + [1.0], dtype=dg.float64, requires_grad=True)
    f = dg.sigmoid((w * x).sum())
    g = viz.graph(f, {"w": w, "x": x}, show_grads=True)
    text = str(g)
    assert "value=" not in text
    assert "w (3,)  grad=[-0.20, -0.39, 0.20]" in text
    assert [n.label for n in g.nodes.values() if n.kind == "op"] == ["Sigmoid", "Sum", "Mul"]
    big = dg.ones(10, requires_grad=True)
    assert "grad=shape (10,)" in str(viz.graph((big * 2).sum(), show_grads=True))


def test_shared_subgraph_printed_once_and_named_tensors():
    a = dg.tensor(2.0, requires_grad=True)
    a.name = "a"
    h = a * a
    y = h + h
    g = viz.graph(y)
    text = str(g)
    assert text.count("(see above)") == 1 and text.count("Mul") == 2
    assert "a ()" in text


def test_after_backward_the_graph_is_gone_and_bad_input():
    f, params, g = _gate_graph()
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        viz.graph(f)
    with pytest.raises(TypeError, match="Tensor"):
        viz.graph(np.ones(3))
    with pytest.raises(TypeError, match="named_parameters"):
        viz.graph(dg.ones(1), params=[1, 2])
    try:  # render needs the optional graphviz package; without it, a clear ImportError
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install graphviz"):
            _gate_graph()[2].render("/nonexistent/f")


def test_a_module_graph_uses_parameter_names():
    dg.manual_seed(0)
    model = dg.nn.Sequential(dg.nn.Linear(3, 2), dg.nn.Sigmoid())
    out = model(dg.randn(4, 3)).sum()
    g = viz.graph(out, params=model.named_parameters(), show_grads=True)
    leaves = {n.label: n for n in g.nodes.values() if n.kind == "leaf"}
    assert set(leaves) == {"0.weight", "0.bias"}
    out.backward()
    np.testing.assert_allclose(leaves["0.weight"].grad, model[0].weight.grad.numpy(), rtol=1e-6)


def test_2_2_2_network_graph_shows_the_slides_gradients():
    """Seed 002's 2-2-2 sigmoid network (INDEX row 13): the graph's gradients on w5..w8 are the
    slide's 0.03, 0.08, 0.03, 0.07, and all eight match an independent hand computation."""
    from tests.test_seed_examples import X1, X2, Y1, Y2, W, _hand_backprop

    ws = [dg.tensor(v, dtype=dg.float64, requires_grad=True) for v in W]
    w1, w2, w3, w4, w5, w6, w7, w8 = ws
    h1 = dg.sigmoid(w1 * X1 + w3 * X2)
    h2 = dg.sigmoid(w2 * X1 + w4 * X2)
    o1 = dg.sigmoid(w5 * h1 + w7 * h2)
    o2 = dg.sigmoid(w6 * h1 + w8 * h2)
    error = (o1 - Y1) ** 2 * 0.5 + (o2 - Y2) ** 2 * 0.5
    g = viz.graph(error, params={f"w{i + 1}": w for i, w in enumerate(ws)}, show_values=True, show_grads=True)
    _, hand_error, hand = _hand_backprop(W)
    leaves = _by_label(g)
    np.testing.assert_allclose([leaves[f"w{i}"].grad for i in range(1, 9)], hand, rtol=1e-12)
    assert round(float(leaves["output"].value), 2) == round(hand_error, 2) == 0.21
    assert collections.Counter(n.label for n in g.nodes.values() if n.kind == "op")["Sigmoid"] == 4
    text = str(g)
    for name, slide in (("w5", "0.03"), ("w6", "0.08"), ("w7", "0.03"), ("w8", "0.07")):
        assert f"{name} ()  value={W[int(name[1]) - 1]:.2f}  grad={slide}" in text
    # h1 and h2 feed both output neurons: one Sigmoid node each, printed once and then referred to
    assert text.count("(see above)") == 2


def test_a_graph_deeper_than_the_recursion_limit():
    import sys

    x = dg.tensor(1.0, requires_grad=True)
    y = x
    depth = sys.getrecursionlimit() + 200
    for _ in range(depth):
        y = y * 1.0
    g = viz.graph(y, {"x": x}, show_grads=True)
    lines = str(g).splitlines()
    assert len(lines) == 1 + depth * 2 + 1  # output, each Mul and its constant, x
    assert sum(line.lstrip(" │├└─") == "x ()  grad=1.00" for line in lines) == 1
