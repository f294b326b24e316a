"""RNN, LSTM, GRU and their cells against PyTorch 2.13 (same weights: outputs, final states and every
gradient), a float64 gradcheck through time, reprs, initialization and errors."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.utils import gradcheck

torch = pytest.importorskip("torch")

_r = np.random.default_rng(0)

LAYERS = [
    ("RNN", dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    ("RNN", dict(input_size=3, hidden_size=4, num_layers=2, nonlinearity="relu"), (5, 2, 3), True),
    ("RNN", dict(input_size=3, hidden_size=4, bias=False, bidirectional=True, batch_first=True), (2, 5, 3), True),
    ("LSTM", dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, batch_first=True), (2, 5, 3), True),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), (5, 2, 3), True),
    ("LSTM", dict(input_size=3, hidden_size=4, bidirectional=True, batch_first=True), (5, 3), True),  # unbatched
    ("LSTM", dict(input_size=3, hidden_size=5, proj_size=2), (4, 2, 3), True),
    ("LSTM", dict(input_size=3, hidden_size=5, proj_size=3, num_layers=2, bidirectional=True, batch_first=True),
     (2, 4, 3), True),
    ("LSTM", dict(input_size=3, hidden_size=4, proj_size=1, bias=False, num_layers=2), (4, 3), True),  # unbatched
    ("GRU", dict(input_size=3, hidden_size=4), (5, 2, 3), False),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=3, batch_first=True, bidirectional=True), (2, 4, 3), True),
    ("GRU", dict(input_size=3, hidden_size=4, bias=False), (5, 3), False),  # unbatched
    ("RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu"), (2, 3), True),
    ("LSTMCell", dict(input_size=3, hidden_size=4), (2, 3), True),
    ("LSTMCell", dict(input_size=3, hidden_size=4, bias=False), (3,), True),  # unbatched
    ("GRUCell", dict(input_size=3, hidden_size=4), (2, 3), False),
    ("GRUCell", dict(input_size=3, hidden_size=4), (3,), True),
]


def _state_shape(name, kw, shape, cell_state=False):
    if name.endswith("Cell"):
        return shape[:-1] + (kw["hidden_size"],)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    size = kw["hidden_size"] if cell_state else kw.get("proj_size") or kw["hidden_size"]  # h_0 has proj_size
    if len(shape) == 2:
        return (layers, size)
    return (layers, shape[0 if kw.get("batch_first") else 1], size)


def _flat(out):
    items = out if isinstance(out, tuple) else (out,)
    return [t for item in items for t in (item if isinstance(item, tuple) else (item,))]


def _id(case):
    name, kw, shape, with_state = case
    opts = "-".join(f"{k}={v}" for k, v in kw.items() if k not in ("input_size", "hidden_size"))
    return f"{name}-{opts}-{len(shape)}d-{'hx' if with_state else 'nohx'}"


@pytest.mark.parametrize("name,kw,shape,with_state", LAYERS, ids=[_id(c) for c in LAYERS])
def test_matches_torch(name, kw, shape, with_state):
    ref = getattr(torch.nn, name)(**kw)
    ours = getattr(nn, name)(**kw)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert repr(ours) == repr(ref)
    for pname, p in ref.named_parameters():
        ours.get_parameter(pname).data[...] = p.detach().numpy()
    x = _r.standard_normal(shape).astype(np.float32)
    xs, ts = [dg.Tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)]
    if with_state:
        n_states = 2 if name.startswith("LSTM") else 1
        hs = [_r.standard_normal(_state_shape(name, kw, shape, i == 1)).astype(np.float32) for i in range(n_states)]
        hd = [dg.Tensor(h, requires_grad=True) for h in hs]
        ht = [torch.tensor(h, requires_grad=True) for h in hs]
        xs.append(tuple(hd) if n_states == 2 else hd[0])
        ts.append(tuple(ht) if n_states == 2 else ht[0])
        xs, ts = xs + hd, ts + ht
    outs, touts = _flat(ours(*xs[:2])), _flat(ref(*ts[:2]))
    assert len(outs) == len(touts)
    for y, ty in zip(outs, touts):
        assert y.shape == tuple(ty.shape)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    ws = [_r.standard_normal(ty.shape).astype(np.float32) for ty in touts]
    sum((y * dg.Tensor(w)).sum() for y, w in zip(outs, ws)).backward()
    sum((ty * torch.tensor(w)).sum() for ty, w in zip(touts, ws)).backward()
    grads = [(a, b) for a, b in zip(xs, ts) if isinstance(b, torch.Tensor)]
    for a, b in grads:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)
    for pname, p in ref.named_parameters():
        np.testing.assert_allclose(ours.get_parameter(pname).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=pname)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_gradcheck_float64_through_time(cls):
    dg.manual_seed(0)
    layer = cls(2, 3, num_layers=2, bidirectional=True, dtype="float64")
    x = dg.Tensor(_r.standard_normal((4, 2, 2)), requires_grad=True)
    w = dg.Tensor(_r.standard_normal((4, 2, 6)))
    params = list(layer.parameters())

    def f(x, *ps):
        return (layer(x)[0] * w).sum()

    assert gradcheck(f, [x] + params)


def test_gradcheck_float64_lstm_with_projections():
    dg.manual_seed(0)
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype="float64")
    assert [tuple(p.shape) for p in layer.all_weights[2]] == [(12, 4), (12, 2), (12,), (12,), (2, 3)]
    x = dg.Tensor(_r.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = dg.Tensor(_r.standard_normal((4, 2, 2)), requires_grad=True)
    c0 = dg.Tensor(_r.standard_normal((4, 2, 3)), requires_grad=True)
    w = dg.Tensor(_r.standard_normal((3, 2, 4)))

    def f(x, h0, c0, *ps):
        out, (h, c) = layer(x, (h0, c0))
        return (out * w).sum() + (h * h).sum() + c.sum()

    names = ["weight_hr_l0", "weight_hr_l1_reverse", "weight_hh_l1", "bias_hh_l0_reverse", "weight_ih_l1_reverse"]
    assert gradcheck(f, [x, h0, c0] + [layer.get_parameter(n) for n in names])


def test_default_init_is_uniform_within_one_over_sqrt_hidden():
    layer = nn.LSTM(10, 100, num_layers=2)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= 0.1 and np.abs(values).max() > 0.099
    assert abs(values.mean()) < 0.002 and abs(values.std() - 0.1 / np.sqrt(3)) < 0.002


def test_dropout_between_layers_only_in_training():
    dg.manual_seed(0)
    layer = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = dg.Tensor(_r.standard_normal((5, 2, 3)).astype(np.float32))
    layer.eval()
    a, b = layer(x)[0].numpy(), layer(x)[0].numpy()
    np.testing.assert_array_equal(a, b)
    layer.train()
    assert not np.allclose(layer(x)[0].numpy(), a)


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"LSTM: input.size\(-1\) must be equal to input_size. Expected 3, got 4"):
        nn.LSTM(3, 4)(dg.ones(5, 2, 4))
    with pytest.raises(ValueError, match=r"GRU: expected a 2-D \(unbatched\) or 3-D input, got shape \(5,\)"):
        nn.GRU(3, 4)(dg.ones(5))
    with pytest.raises(ValueError, match=r"GRU: expected h_0 of shape \(1, 2, 4\), got \(1, 3, 4\)"):
        nn.GRU(3, 4)(dg.ones(5, 2, 3), dg.ones(1, 3, 4))
    with pytest.raises(ValueError, match=r"LSTM: hx must be a tuple \(h_0, c_0\)"):
        nn.LSTM(3, 4)(dg.ones(5, 2, 3), dg.ones(1, 2, 4))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sig'"):
        nn.RNN(3, 4, nonlinearity="sig")
    with pytest.raises(ValueError, match="LSTM: hidden_size must be greater than zero, got 0"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="GRU: input_size must be greater than zero, got 0"):
        nn.GRU(0, 3)
    with pytest.raises(TypeError, match="LSTM: hidden_size should be of type int, got: float"):
        nn.LSTM(3, 4.0)
    with pytest.raises(TypeError, match="GRU: batch_first should be of type bool, got: str"):
        nn.GRU(3, 4, batch_first="yes")
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        nn.GRU(3, 4, batch_first=True)(dg.ones(2, 0, 3))
    with pytest.raises(RuntimeError, match=r"GRUCell: expected hx of shape \(2, 4\), got \(3, 4\)"):
        nn.GRUCell(3, 4)(dg.ones(2, 3), dg.ones(3, 4))
    with pytest.raises(ValueError, match=r"LSTMCell: expected input of shape \(N, 3\) or \(3,\), got shape \(2, 5\)"):
        nn.LSTMCell(3, 4)(dg.ones(2, 5))
    with pytest.raises(ValueError, match="LSTM: proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match="GRU: proj_size argument is only supported for LSTM, not RNN or GRU"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match=r"LSTM: expected h_0 of shape \(1, 2, 2\), got \(1, 2, 5\)"):
        nn.LSTM(3, 5, proj_size=2)(dg.ones(4, 2, 3), (dg.ones(1, 2, 5), dg.ones(1, 2, 5)))
    with pytest.raises(RuntimeError, match=r"LSTM: expected c_0 of shape \(1, 2, 5\), got \(1, 2, 2\)"):
        nn.LSTM(3, 5, proj_size=2)(dg.ones(4, 2, 3), (dg.ones(1, 2, 2), dg.ones(1, 2, 2)))
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size"):
        nn.GRU(3, 4)(dg.ones(5, 2, 4))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)
