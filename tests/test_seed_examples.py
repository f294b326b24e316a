"""The seed lectures' worked examples, reproduced by deepgrad's autodiff.

- seed 002: the computational graph of gates for f(w, x) = 1 / (1 + e^-(w0 x0 + w1 x1 + w2))
  (INDEX row 12).  The slide's numbers were in the lost pictures; the example is CS231n's, whose
  values are w = [2, -3, -3], x = [-1, -2], giving f = 0.73, dw = [-0.20, -0.39, 0.20] and
  dx = [0.39, -0.59].
- seed 002: the 2-2-2 sigmoid network (INDEX row 13) with x = (0.5, 0.3), targets
  (0.23, -0.07) and w1..w8 = 0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8, wired as the slides write
  it (no biases): In_h1 = w1 x1 + w3 x2, In_h2 = w2 x1 + w4 x2, In_o1 = w5 h1 + w7 h2,
  In_o2 = w6 h1 + w8 h2, Error = 1/2 sum (o - y)^2 = 0.21.
- seed 000: the 3-layer sigmoid network f([1, -1]) = [0.62, 0.83], f([0, 0]) = [0.51, 0.85]
  (INDEX row 4).  The weights were in the lost picture; they are those of the lecture this slide
  comes from (Hung-yi Lee, "Deep Learning" fully connected feedforward network):
  W1 = [[1, -2], [-1, 1]], b1 = [1, 0]; W2 = [[2, -1], [-2, -1]], b2 = [0, 0];
  W3 = [[3, -1], [-1, 4]], b3 = [-2, 2] (rows are neurons), whose intermediate values the slide
  also shows (0.98, 0.12 -> 0.86, 0.11 -> 0.62, 0.83).
"""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg


def rounded(t, decimals=2):
    """A tensor's values rounded as a slide rounds them (in float64, so float32 prints the same)."""
    return np.round(np.asarray(t.numpy(), dtype=np.float64), decimals).tolist()


def _np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# -- seed 002: computational graph of gates ------------------------------------------------

def _gates_f(w, x):
    """f(w, x) built from the slide's gates: x*y, x+y, a*x (-1), e^x, c+x (+1), 1/x."""
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1.0 / (dg.exp(dot * -1.0) + 1.0)


@pytest.mark.parametrize("dtype", [dg.float32, dg.float64])
def test_computational_graph_gradients_of_every_input(dtype):
    w = dg.tensor([2.0, -3.0, -3.0], dtype=dtype, requires_grad=True)
    x = dg.tensor([-1.0, -2.0], dtype=dtype, requires_grad=True)
    f = _gates_f(w, x)
    assert f.dtype == dtype
    assert round(f.item(), 2) == 0.73
    f.backward()
    # the slide's rounding
    assert rounded(w.grad) == [-0.20, -0.39, 0.20]
    assert rounded(x.grad) == [0.39, -0.59]
    # and exactly: df/d(dot) = (1 - f) f
    s = _np_sigmoid(1.0)
    tol = 1e-6 if dtype == dg.float32 else 1e-14
    np.testing.assert_allclose(w.grad.numpy(), s * (1 - s) * np.array([-1.0, -2.0, 1.0]), rtol=tol)
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s) * np.array([2.0, -3.0]), rtol=tol)


def test_computational_graph_with_sigmoid_gate_gives_the_same_gradients():
    w = dg.tensor([2.0, -3.0, -3.0], dtype=dg.float64, requires_grad=True)
    x = dg.tensor([-1.0, -2.0], dtype=dg.float64, requires_grad=True)
    dg.sigmoid(w[0] * x[0] + w[1] * x[1] + w[2]).backward()
    w2 = dg.tensor([2.0, -3.0, -3.0], dtype=dg.float64, requires_grad=True)
    x2 = dg.tensor([-1.0, -2.0], dtype=dg.float64, requires_grad=True)
    _gates_f(w2, x2).backward()
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-14)


# -- seed 002: the 2-2-2 sigmoid network ---------------------------------------------------

X1, X2 = 0.5, 0.3
Y1, Y2 = 0.23, -0.07
W = [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8]  # w1..w8


def _hand_backprop(w):
    """Independent float64 forward and backward of the slide's network, one scalar at a time."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    h1 = _np_sigmoid(w1 * X1 + w3 * X2)
    h2 = _np_sigmoid(w2 * X1 + w4 * X2)
    o1 = _np_sigmoid(w5 * h1 + w7 * h2)
    o2 = _np_sigmoid(w6 * h1 + w8 * h2)
    error = 0.5 * (o1 - Y1) ** 2 + 0.5 * (o2 - Y2) ** 2
    d_in_o1 = (o1 - Y1) * o1 * (1 - o1)
    d_in_o2 = (o2 - Y2) * o2 * (1 - o2)
    d_h1 = d_in_o1 * w5 + d_in_o2 * w6  # h1 feeds both outputs (the slide's shortcut drops w5, w6)
    d_h2 = d_in_o1 * w7 + d_in_o2 * w8
    d_in_h1 = d_h1 * h1 * (1 - h1)
    d_in_h2 = d_h2 * h2 * (1 - h2)
    grads = np.array([
        d_in_h1 * X1,  # w1
        d_in_h2 * X1,  # w2
        d_in_h1 * X2,  # w3
        d_in_h2 * X2,  # w4
        d_in_o1 * h1,  # w5
        d_in_o2 * h1,  # w6
        d_in_o1 * h2,  # w7
        d_in_o2 * h2,  # w8
    ])
    return (h1, h2, o1, o2), error, grads


def _network_scalars(dtype):
    ws = [dg.tensor(v, dtype=dtype, requires_grad=True) for v in W]
    w1, w2, w3, w4, w5, w6, w7, w8 = ws
    h1 = dg.sigmoid(w1 * X1 + w3 * X2)
    h2 = dg.sigmoid(w2 * X1 + w4 * X2)
    o1 = dg.sigmoid(w5 * h1 + w7 * h2)
    o2 = dg.sigmoid(w6 * h1 + w8 * h2)
    error = (o1 - Y1) ** 2 * 0.5 + (o2 - Y2) ** 2 * 0.5
    return ws, (h1, h2, o1, o2), error


def test_2_2_2_network_forward_matches_the_slides():
    _, (h1, h2, o1, o2), error = _network_scalars(dg.float64)
    assert [round(v.item(), 2) for v in (h1, h2, o1, o2)] == [0.56, 0.50, 0.48, 0.53]
    assert round(error.item(), 2) == 0.21


@pytest.mark.parametrize("dtype", [dg.float32, dg.float64])
def test_2_2_2_network_every_weight_gradient_against_hand_computation(dtype):
    ws, outs, error = _network_scalars(dtype)
    (h1, h2, o1, o2), hand_error, hand = _hand_backprop(W)
    error.backward()
    got = np.array([w.grad.item() for w in ws])
    tol = 1e-6 if dtype == dg.float32 else 1e-13
    assert error.dtype == dtype
    np.testing.assert_allclose(error.item(), hand_error, rtol=tol)
    np.testing.assert_allclose(got, hand, rtol=tol * 10, atol=tol * 1e-2)
    # the slide's rounded output-layer deltas: delta5 = 0.03, delta6 = 0.08, delta7 = 0.03, delta8 = 0.07
    assert [round(got[i], 2) for i in (4, 5, 6, 7)] == [0.03, 0.08, 0.03, 0.07]
    # the hidden-layer gradients: the slide's shortcut drops the w5..w8 factors, yet every one of
    # them still rounds to 0.01 in magnitude, as the slide prints (signs differ: w1, w3 negative)
    assert np.round(np.abs(got[:4]), 2).tolist() == [0.01] * 4
    assert np.sign(got[:4]).tolist() == [-1.0, 1.0, -1.0, 1.0]


def test_2_2_2_network_in_matrix_form_gives_the_same_gradients():
    """The same network as two 2x2 weight matrices (seed 004's matrix form)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = W
    Wh = dg.tensor([[w1, w3], [w2, w4]], dtype=dg.float64, requires_grad=True)  # rows: h1, h2
    Wo = dg.tensor([[w5, w7], [w6, w8]], dtype=dg.float64, requires_grad=True)  # rows: o1, o2
    x = dg.tensor([X1, X2], dtype=dg.float64)
    y = dg.tensor([Y1, Y2], dtype=dg.float64)
    o = dg.sigmoid(Wo @ dg.sigmoid(Wh @ x))
    error = ((o - y) ** 2).sum() * 0.5
    error.backward()
    _, hand_error, hand = _hand_backprop(W)
    np.testing.assert_allclose(error.item(), hand_error, rtol=1e-14)
    g = np.concatenate([Wh.grad.numpy().T.reshape(-1), Wo.grad.numpy().T.reshape(-1)])
    np.testing.assert_allclose(g, hand, rtol=1e-12)  # order w1..w8


def test_2_2_2_network_one_update_step_lowers_the_error():
    ws, _, error = _network_scalars(dg.float64)
    error.backward()
    with dg.no_grad():  # w' = w - eta * delta with eta = 1
        new = [w.item() - w.grad.item() for w in ws]
    _, new_error, _ = _hand_backprop(new)
    assert new_error < error.item()


# -- seed 000: 3-layer sigmoid network -------------------------------------------------------

LAYERS = [
    (np.array([[1.0, -2.0], [-1.0, 1.0]]), np.array([1.0, 0.0])),
    (np.array([[2.0, -1.0], [-2.0, -1.0]]), np.array([0.0, 0.0])),
    (np.array([[3.0, -1.0], [-1.0, 4.0]]), np.array([-2.0, 2.0])),
]


def _feedforward(x, dtype):
    a = dg.tensor(x, dtype=dtype)
    acts = []
    for W_, b in LAYERS:
        a = dg.sigmoid(dg.tensor(W_, dtype=dtype) @ a + dg.tensor(b, dtype=dtype))
        acts.append(a)
    return acts


@pytest.mark.parametrize("dtype", [dg.float32, dg.float64])
def test_feedforward_network_worked_numbers(dtype):
    acts = _feedforward([1.0, -1.0], dtype)
    assert [rounded(a) for a in acts] == [[0.98, 0.12], [0.86, 0.11], [0.62, 0.83]]
    assert acts[-1].dtype == dtype
    out0 = _feedforward([0.0, 0.0], dtype)[-1]
    assert rounded(out0) == [0.51, 0.85]


def test_feedforward_network_batched_matches_per_sample():
    X = dg.tensor([[1.0, -1.0], [0.0, 0.0]])
    a = X
    for W_, b in LAYERS:
        a = dg.sigmoid(a @ dg.tensor(W_.T.astype(np.float32)) + dg.tensor(b.astype(np.float32)))
    assert rounded(a) == [[0.62, 0.83], [0.51, 0.85]]
