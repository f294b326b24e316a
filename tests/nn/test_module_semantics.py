"""Module machinery against PyTorch 2.13: load_state_dict results, name clashes, hooks (forward with
kwargs/prepend, full backward hooks), container ops, reprs and legacy loss flags."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(0)


def _net(M, T):
    class Net(M.Module):
        def __init__(self):
            super().__init__()
            self.fc = M.Linear(3, 4)
            self.bn = M.BatchNorm1d(4)
            self.register_buffer("scratch", T.ones(2), persistent=False)

    return Net()


def test_load_state_dict_result_and_strict_error_match_torch():
    ours, ref = _net(nn, dg), _net(tnn, torch)
    r, rt = ours.load_state_dict(ours.state_dict()), ref.load_state_dict(ref.state_dict())
    assert repr(r) == str(r) == repr(rt) == "<All keys matched successfully>"
    sd = ours.state_dict()
    del sd["fc.bias"]
    sd["extra"] = dg.zeros(1)
    sdt = {k: v for k, v in ref.state_dict().items() if k != "fc.bias"} | {"extra": torch.zeros(1)}
    r, rt = ours.load_state_dict(sd, strict=False), ref.load_state_dict(sdt, strict=False)
    assert (r.missing_keys, r.unexpected_keys) == (rt.missing_keys, rt.unexpected_keys) == (["fc.bias"], ["extra"])
    assert repr(r) == repr(rt)
    with pytest.raises(RuntimeError) as ours_err:
        ours.load_state_dict(sd)
    with pytest.raises(RuntimeError) as ref_err:
        ref.load_state_dict(sdt)
    assert str(ours_err.value) == str(ref_err.value)  # missing keys first, then unexpected


def test_get_buffer_and_get_parameter():
    ours = _net(nn, dg)
    assert ours.get_buffer("bn.running_mean") is ours.bn.running_mean
    assert ours.get_buffer("scratch") is ours.scratch
    assert ours.get_parameter("fc.weight") is ours.fc.weight
    with pytest.raises(AttributeError, match="no buffer 'weight'"):
        ours.get_buffer("fc.weight")


@pytest.mark.parametrize("register", ["register_buffer", "register_parameter", "add_module"])
def test_registering_over_an_existing_attribute_raises_key_error_as_torch(register):
    for M in (nn, tnn):
        lin = M.Linear(2, 2)
        lin.note = 3
        for name in ("training", "note", "forward"):
            with pytest.raises(KeyError, match="already exists"):
                getattr(lin, register)(name, None)
    lin = nn.Linear(2, 2)
    with pytest.raises(KeyError, match="already exists"):
        lin.register_buffer("weight", None)  # a parameter of that name
    lin.register_parameter("bias", None)  # its own kind: replaced, as in torch
    assert lin.bias is None and list(lin.state_dict()) == ["weight"]


def test_forward_hooks_with_kwargs_and_prepend():
    for M, T in ((nn, dg), (tnn, torch)):
        class Scale(M.Module):
            def forward(self, x, factor=1.0):
                return x * factor

        m = Scale()
        order = []
        m.register_forward_hook(lambda mod, args, out: order.append("a"))
        m.register_forward_hook(lambda mod, args, out: order.append("b"), prepend=True)
        h = m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": kwargs["factor"] * 10}),
                                        with_kwargs=True)
        seen = []
        m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(dict(kwargs)), with_kwargs=True)
        y = m(T.ones(2), factor=2.0)
        assert float(y.sum()) == 40.0
        assert order == ["b", "a"] and seen == [{"factor": 20.0}]
        h.remove()
        assert float(m(T.ones(2), factor=2.0).sum()) == 4.0


def _copy_linear(ours, ref):
    with torch.no_grad():
        for name, p in ref.named_parameters():
            ours.get_parameter(name).data[...] = p.numpy()


def _record(log):
    def hook(module, grad_input, grad_output):
        log.append(([None if g is None else g.numpy().copy() for g in grad_input],
                    [None if g is None else g.numpy().copy() for g in grad_output]))
    return hook


def _same(a, b):
    assert len(a) == len(b)
    for (gi, go), (ti, to) in zip(a, b):
        assert len(gi) == len(ti) and len(go) == len(to)
        for x, y in zip(gi + go, ti + to):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_full_backward_hook_matches_torch_on_a_sequential(x_requires_grad):
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    ref = tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    _copy_linear(ours, ref)
    logs = {}
    for name, model in (("ours", ours), ("ref", ref)):
        logs[name] = [[], [], []]
        for i in range(3):
            model[i].register_full_backward_hook(_record(logs[name][i]))
    xt = torch.tensor(x, requires_grad=x_requires_grad)
    xd = dg.Tensor(x, requires_grad=x_requires_grad)
    (ref(xt) ** 2).sum().backward()
    (ours(xd) ** 2).sum().backward()
    for i in range(3):
        assert len(logs["ref"][i]) == 1
        _same(logs["ours"][i], logs["ref"][i])
    np.testing.assert_allclose(ours[0].weight.grad.numpy(), ref[0].weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_full_backward_hook_two_inputs_and_replacement_match_torch():
    a = RNG.standard_normal((4, 2)).astype(np.float32)
    b = RNG.standard_normal((4, 3)).astype(np.float32)
    ref, ours = tnn.Bilinear(2, 3, 5), nn.Bilinear(2, 3, 5)
    _copy_linear(ours, ref)
    results = []
    for model, T in ((ours, dg), (ref, torch)):
        log = []
        model.register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        model.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2, None))
        model.register_full_backward_hook(_record(log))
        xa = T.tensor(a, requires_grad=True) if T is torch else dg.Tensor(a, requires_grad=True)
        xb = T.tensor(b, requires_grad=True) if T is torch else dg.Tensor(b, requires_grad=True)
        model(xa, xb).sum().backward()
        results.append((log, xa.grad, xb.grad))
    (log, ga, gb), (tlog, ta, tb) = results
    _same(log, tlog)
    np.testing.assert_allclose(ga.numpy(), ta.numpy(), rtol=1e-5, atol=1e-6)
    assert gb is None and tb is None  # the hook replaced it by None


def test_backward_hook_handle_remove():
    lin = nn.Linear(3, 2)
    calls = []
    h = lin.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    lin(dg.ones(2, 3, requires_grad=True)).sum().backward()
    h.remove()
    lin(dg.ones(2, 3, requires_grad=True)).sum().backward()
    assert calls == [1]
    with dg.no_grad():  # no graph: nothing to hook, and forward still works
        h = lin.register_full_backward_hook(lambda m, gi, go: calls.append(2))
        assert lin(dg.ones(2, 3)).shape == (2, 2)


def test_module_list_pop_and_containers():
    for M in (nn, tnn):
        ml = M.ModuleList([M.ReLU(), M.Tanh(), M.Sigmoid()])
        assert type(ml.pop(0)).__name__ == "ReLU"
        assert type(ml.pop(-1)).__name__ == "Sigmoid"
        assert list(ml._modules) == ["0"] and len(ml) == 1


@pytest.mark.parametrize("make", [
    lambda M: M.ELU(0.5, True), lambda M: M.SELU(True), lambda M: M.SiLU(True), lambda M: M.Hardtanh(-2, 2, True),
    lambda M: M.Embedding(5, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True),
])
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(tnn))


@pytest.mark.parametrize("kwargs", [dict(size_average=False), dict(reduce=False), dict(size_average=True),
                                    dict(size_average=False, reduce=True), dict(reduction="sum")])
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
                                  "SmoothL1Loss", "KLDivLoss", "MultiMarginLoss"])
def test_legacy_size_average_and_reduce(name, kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(nn, name)(**kwargs).reduction == getattr(tnn, name)(**kwargs).reduction


def test_mse_loss_legacy_flags_reduce_as_torch():
    x = RNG.standard_normal((3, 2)).astype(np.float32)
    y = RNG.standard_normal((3, 2)).astype(np.float32)
    ours = nn.MSELoss(size_average=False)(dg.Tensor(x), dg.Tensor(y))
    np.testing.assert_allclose(ours.numpy(), ((x - y) ** 2).sum(), rtol=1e-6)


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_scale_grad_by_freq_matches_torch(padding_idx):
    w = RNG.standard_normal((6, 3)).astype(np.float32)
    ids = np.array([[0, 2, 2, 5], [1, 0, 4, 2]])
    g = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    ours = nn.Embedding(6, 3, padding_idx=padding_idx, scale_grad_by_freq=True)
    ours.weight.data[...] = w
    (ours(dg.Tensor(ids)) * dg.Tensor(g)).sum().backward()
    ref = tnn.Embedding(6, 3, padding_idx=padding_idx, scale_grad_by_freq=True)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
    (ref(torch.tensor(ids)) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-6)


def test_vector_to_parameters_checks_the_length():
    params = [nn.Parameter(dg.ones(3, 4)), nn.Parameter(dg.ones(4))]
    with pytest.raises(ValueError, match=r"vector_to_parameters: expected a 1-D vector of 16 elements.*\(15,\)"):
        nn.utils.vector_to_parameters(dg.zeros(15), params)
    assert float(params[0].sum()) == 12.0  # nothing was written


def test_forward_hook_always_call_runs_when_forward_raises():
    lin = nn.Linear(3, 2)
    calls = []
    lin.register_forward_hook(lambda m, args, out: calls.append(("always", out)), always_call=True)
    lin.register_forward_hook(lambda m, args, out: calls.append(("normal", out)))
    with pytest.raises(ValueError, match="expected input of shape"):
        lin(dg.ones(2, 4))
    assert calls == [("always", None)]


def test_parameter_dict_dict_methods_and_sequential_repetition():
    for M, T in ((nn, dg), (tnn, torch)):
        pd = M.ParameterDict({"a": M.Parameter(T.ones(1))})
        assert pd.get("a") is pd["a"] and pd.get("zz", 5) == 5
        pd.update({"b": M.Parameter(T.ones(2))})
        pd.update([("c", M.Parameter(T.ones(3)))])
        assert list(pd.keys()) == ["a", "b", "c"] and "b" in pd
        assert type(pd.pop("a")).__name__ == "Parameter" and list(pd.keys()) == ["b", "c"]
        assert pd.setdefault("b") is pd["b"]
        seq = M.Sequential(M.Linear(2, 2), M.ReLU())
        tripled = seq * 3
        assert len(tripled) == 6 and tripled[2] is seq[0] and len(list(tripled.parameters())) == 2
        assert len(2 * seq) == 4
    ours = nn.ParameterDict({"b": nn.Parameter(dg.ones(2))})
    assert repr(ours) == "ParameterDict(\n  (b): Parameter containing: [float32 of size 2]\n)"


def test_layer_argument_errors():
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    with pytest.raises(ValueError, match="Linear: in_features must be a non-negative int, got -1"):
        nn.Linear(-1, 3)
    with pytest.raises(TypeError, match="Bilinear: out_features must be an int, got float"):
        nn.Bilinear(2, 3, 4.0)
    assert nn.Linear(np.int64(3), 2).weight.shape == (2, 3)  # numpy ints are ints


@pytest.mark.gpu
def test_backward_hooks_and_scale_grad_by_freq_on_cuda():
    from deepgrad.backend import cupy_module

    if cupy_module() is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    ids = np.array([[0, 2, 2, 5], [1, 0, 4, 2]])
    grads = {}
    for device in ("cpu", "cuda"):
        dg.manual_seed(0)
        emb = nn.Embedding(6, 3, scale_grad_by_freq=True)
        lin = nn.Linear(3, 2)
        seen = []
        lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi[0].numpy()))
        emb.to(device)
        lin.to(device)
        lin(emb(dg.tensor(ids, device=device))).sum().backward()
        assert emb.weight.grad.device.type == device
        grads[device] = (emb.weight.grad.numpy(), seen[0])
    for a, b in zip(grads["cpu"], grads["cuda"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_backward_hook_grad_output_has_none_for_non_tensor_outputs_as_torch():
    seen = []
    for M, T in ((nn, dg), (tnn, torch)):
        lstm = M.LSTM(3, 4)
        got = []
        lstm.register_full_backward_hook(
            lambda m, gi, go: got.append([None if g is None else tuple(g.shape) for g in gi + go]))
        out, (h, _) = lstm(T.ones(5, 2, 3, requires_grad=True))
        (out.sum() + h.sum()).backward()
        seen.append(got)
    assert seen[0] == seen[1] == [[(5, 2, 3), (5, 2, 4), None]]
