"""``nn.utils.rnn`` (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence) and the
recurrent layers on packed batches, against PyTorch 2.13: same data, batch sizes, permutations,
outputs, final states and gradients."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.utils.rnn as rnn_utils
from deepgrad import nn

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn

_r = np.random.default_rng(0)
LENGTHS = [5, 2, 4, 1]
SEQS = [_r.standard_normal((n, 3)).astype(np.float32) for n in LENGTHS]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    ours = rnn_utils.pad_sequence([dg.Tensor(s) for s in SEQS], batch_first, -1.0, side)
    ref = TR.pad_sequence([torch.tensor(s) for s in SEQS], batch_first, -1.0, side)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    back = rnn_utils.unpad_sequence(ours, LENGTHS, batch_first) if side == "right" else None
    if back is not None:
        for a, s in zip(back, SEQS):
            np.testing.assert_array_equal(a.numpy(), s)


CASES = [
    ("LSTM", dict(num_layers=2, bidirectional=True), False, True),
    ("GRU", dict(batch_first=True), False, False),
    ("RNN", dict(bidirectional=True, num_layers=2), False, True),
    ("LSTM", dict(), True, False),  # lengths already sorted (enforce_sorted=True)
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True, batch_first=True), False, True),
]


@pytest.mark.parametrize("name,kw,presorted,with_state", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_recurrent_layers_on_packed_batches_match_torch(name, kw, presorted, with_state):
    ref, ours = getattr(torch.nn, name)(3, 4, **kw), getattr(nn, name)(3, 4, **kw)
    for pname, p in ref.named_parameters():
        ours.get_parameter(pname).data[...] = p.detach().numpy()
    seqs = sorted(SEQS, key=len, reverse=True) if presorted else SEQS
    lengths = [len(s) for s in seqs]
    bf = kw.get("batch_first", False)
    padded = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first=bf).numpy()
    xd, xt = dg.Tensor(padded, requires_grad=True), torch.tensor(padded, requires_grad=True)
    pd = rnn_utils.pack_padded_sequence(xd, lengths, batch_first=bf, enforce_sorted=presorted)
    pt = TR.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=bf, enforce_sorted=presorted)
    np.testing.assert_array_equal(pd.data.numpy(), pt.data.detach().numpy())
    assert pd.batch_sizes.tolist() == pt.batch_sizes.tolist()
    if not presorted:
        assert pd.sorted_indices.tolist() == pt.sorted_indices.tolist()
        assert pd.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    args_d, args_t, states = [pd], [pt], []
    if with_state:
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        sizes = [kw.get("proj_size") or 4, 4][:2 if name == "LSTM" else 1]  # h_0 has proj_size features, c_0 4
        hs = [_r.standard_normal((layers, len(seqs), size)).astype(np.float32) for size in sizes]
        states = [(dg.Tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True)) for h in hs]
        hd, ht = [a for a, _ in states], [b for _, b in states]
        args_d.append(tuple(hd) if name == "LSTM" else hd[0])
        args_t.append(tuple(ht) if name == "LSTM" else ht[0])
    (od, hd), (ot, ht) = ours(*args_d), ref(*args_t)
    ud, ld = rnn_utils.pad_packed_sequence(od, batch_first=bf, padding_value=0.5, total_length=6)
    ut, lt = TR.pad_packed_sequence(ot, batch_first=bf, padding_value=0.5, total_length=6)
    assert ld.numpy().tolist() == lt.tolist()
    np.testing.assert_allclose(ud.numpy(), ut.detach().numpy(), rtol=1e-5, atol=1e-6)
    hd = hd if isinstance(hd, tuple) else (hd,)
    ht = ht if isinstance(ht, tuple) else (ht,)
    for a, b in zip(hd, ht):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = _r.standard_normal(ut.shape).astype(np.float32)
    ((ud * dg.Tensor(g)).sum() + sum(h.sum() for h in hd)).backward()
    ((ut * torch.tensor(g)).sum() + sum(h.sum() for h in ht)).backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for a, b in states:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)
    for pname, p in ref.named_parameters():
        np.testing.assert_allclose(ours.get_parameter(pname).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=pname)


def test_pack_sequence_and_errors():
    ours = rnn_utils.pack_sequence([dg.Tensor(s) for s in SEQS], enforce_sorted=False)
    ref = TR.pack_sequence([torch.tensor(s) for s in SEQS], enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.numpy(), ref.data.numpy())
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        rnn_utils.pack_padded_sequence(dg.ones(5, 4, 3), LENGTHS)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\]"):
        rnn_utils.pack_padded_sequence(dg.ones(5, 4, 3), [6, 2, 2, 1])
    with pytest.raises(ValueError, match="expected 4 lengths"):
        rnn_utils.pack_padded_sequence(dg.ones(5, 4, 3), [5, 2])
    with pytest.raises(ValueError, match=r"sequence 1 has shape \(2, 4\)"):
        rnn_utils.pad_sequence([dg.ones(3, 3), dg.ones(2, 4)])
    with pytest.raises(ValueError, match=r"expected packed data of shape \(\*, 5\)"):
        nn.GRU(5, 4)(ours)


@pytest.mark.gpu
@pytest.mark.parametrize("proj_size", [0, 2])
def test_packed_lstm_on_cuda_equals_cpu(proj_size):
    from deepgrad.backend import cupy_module

    if cupy_module() is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    results = []
    for device in ("cpu", "cuda"):
        dg.manual_seed(0)
        lstm = nn.LSTM(3, 4, bidirectional=True, proj_size=proj_size).to(device)
        packed = rnn_utils.pack_sequence([dg.tensor(s, device=device) for s in SEQS], enforce_sorted=False)
        out, (h, _) = lstm(packed)
        padded, _ = rnn_utils.pad_packed_sequence(out)
        (padded.sum() + h.sum()).backward()
        assert padded.device.type == device
        results.append((padded.numpy(), lstm.weight_ih_l0.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
