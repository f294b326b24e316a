"""Every layer's forward and backward against PyTorch 2.13 with copied weights (float32)."""
import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn


def _copy_weights(d, t):
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def _run(d, t, x, *, rtol=1e-5, atol=1e-6, int_input=False):
    """Forward and backward of the same input through both; compare outputs and every gradient."""
    xd = dg.Tensor(x.copy(), requires_grad=not int_input)
    xt = torch.tensor(x.copy(), requires_grad=not int_input)
    yd, yt = d(xd), t(xt)
    np.testing.assert_allclose(yd.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    assert yd.dtype == (np.float32 if not int_input else yd.dtype)
    w = np.random.default_rng(7).standard_normal(yt.shape).astype(np.float32)
    (yd * dg.Tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    if not int_input:
        np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    tp = dict(t.named_parameters())
    for name, p in d.named_parameters():
        assert p.grad is not None, name
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)
    return yd, yt


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7), (7,)])
def test_linear(shape):
    t = torch.nn.Linear(7, 4)
    d = nn.Linear(7, 4)
    _copy_weights(d, t)
    _run(d, t, _x(*shape))


def test_linear_no_bias():
    t = torch.nn.Linear(6, 3, bias=False)
    d = nn.Linear(6, 3, bias=False)
    _copy_weights(d, t)
    _run(d, t, _x(4, 6))


def test_bilinear():
    t = torch.nn.Bilinear(3, 4, 2)
    d = nn.Bilinear(3, 4, 2)
    _copy_weights(d, t)
    x1, x2 = _x(5, 3), _x(5, 4, seed=1)
    yd = d(dg.Tensor(x1), dg.Tensor(x2))
    np.testing.assert_allclose(yd.numpy(), t(torch.tensor(x1), torch.tensor(x2)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (8, 5)), ("BatchNorm1d", (6, 5, 3)),
                                        ("BatchNorm2d", (4, 5, 3, 3))])
def test_batchnorm_train_eval_and_running_stats(cls, shape):
    t = getattr(torch.nn, cls)(5, momentum=0.3)
    d = getattr(nn, cls)(5, momentum=0.3)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-0.5, 0.5)
    _copy_weights(d, t)
    for step in range(4):
        x = _x(*shape, seed=step) * (1 + step) + step
        d.zero_grad()
        t.zero_grad()
        _run(d, t, x, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(d.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d.running_var.numpy(), t.running_var.numpy(), rtol=1e-5)
    assert int(d.num_batches_tracked.item()) == 4
    d.eval()
    t.eval()
    d.zero_grad()
    t.zero_grad()
    _run(d, t, _x(*shape, seed=9), rtol=2e-5, atol=2e-5)


def test_batchnorm_cumulative_average_no_affine_no_tracking():
    t = torch.nn.BatchNorm1d(3, momentum=None, affine=False)
    d = nn.BatchNorm1d(3, momentum=None, affine=False)
    for step in range(3):
        x = _x(6, 3, seed=step) + step
        d(dg.Tensor(x))
        t(torch.tensor(x))
    np.testing.assert_allclose(d.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(d.running_var.numpy(), t.running_var.numpy(), rtol=1e-5)
    d2, t2 = nn.BatchNorm1d(3, track_running_stats=False), torch.nn.BatchNorm1d(3, track_running_stats=False)
    d2.eval()
    t2.eval()
    x = _x(6, 3)
    np.testing.assert_allclose(d2(dg.Tensor(x)).numpy(), t2(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert list(d2.state_dict()) == list(t2.state_dict())


@pytest.mark.parametrize("normalized, shape", [(6, (4, 6)), ((3, 4), (2, 3, 4))])
def test_layernorm(normalized, shape):
    t = torch.nn.LayerNorm(normalized)
    d = nn.LayerNorm(normalized)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
        t.bias.uniform_(-0.5, 0.5)
    _copy_weights(d, t)
    _run(d, t, _x(*shape), rtol=2e-5, atol=2e-5)


def test_embedding_with_padding_and_repeats():
    t = torch.nn.Embedding(6, 3, padding_idx=0)
    d = nn.Embedding(6, 3, padding_idx=0)
    assert not d.weight.numpy()[0].any()
    _copy_weights(d, t)
    ids = np.array([[1, 2, 1, 0], [5, 1, 0, 3]])
    _run(d, t, ids, int_input=True)
    assert not d.weight.grad.numpy()[0].any()
    np.testing.assert_allclose(d.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6)


def test_embedding_from_pretrained_is_frozen():
    table = dg.randn(4, 2)
    e = nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(dg.tensor([3, 0])).numpy(), table.numpy()[[3, 0]])


@pytest.mark.parametrize("num, shape", [(1, (4, 5)), (3, (2, 3, 4)), (3, (2, 3, 2, 2))])
def test_prelu(num, shape):
    t = torch.nn.PReLU(num)
    d = nn.PReLU(num)
    with torch.no_grad():
        t.weight.copy_(torch.linspace(0.1, 0.4, num))
    _copy_weights(d, t)
    _run(d, t, _x(*shape))


def test_prelu_defaults():
    p = nn.PReLU()
    assert p.weight.shape == (1,) and float(p.weight.item()) == 0.25


ACTIVATIONS = [
    ("ReLU", {}), ("Sigmoid", {}), ("Tanh", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {"alpha": 0.7}),
    ("SELU", {}), ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}), ("SiLU", {}), ("Softmax", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}), ("Hardtanh", {"min_val": -0.5, "max_val": 0.8}), ("ReLU6", {}),
    ("LogSigmoid", {}), ("Softsign", {}), ("Softmin", {"dim": 1}),
]


@pytest.mark.parametrize("name, kw", ACTIVATIONS, ids=[a[0] + str(a[1]) for a in ACTIVATIONS])
def test_activation_modules(name, kw):
    x = _x(4, 6) * 3
    x[np.abs(x) < 0.05] = 0.1  # away from kinks
    x[np.abs(x - 6) < 0.05] = 5.0
    _run(getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw), x)


@pytest.mark.filterwarnings("ignore:Implicit dimension")
def test_softmax_implicit_dim_as_torch():
    x = _x(2, 3, 4)
    np.testing.assert_allclose(nn.Softmax()(dg.Tensor(x)).numpy(),
                               torch.nn.Softmax()(torch.tensor(x)).numpy(), rtol=1e-6)


def test_logistic_general_form():
    x = _x(10)
    y = nn.Logistic(L=2.0, k=3.0, x0=0.5)(dg.Tensor(x)).numpy()
    np.testing.assert_allclose(y, 2.0 / (1 + np.exp(-3.0 * (x - 0.5))), rtol=1e-6)
    np.testing.assert_allclose(nn.Logistic()(dg.Tensor(x)).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)


def test_flatten_unflatten():
    x = _x(2, 3, 4, 5)
    _run(nn.Flatten(), torch.nn.Flatten(), x)
    _run(nn.Flatten(0, 2), torch.nn.Flatten(0, 2), x)
    _run(nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1)), _x(2, 3, 4))
    assert nn.Unflatten(1, (-1, 2))(dg.Tensor(_x(2, 6))).shape == (2, 3, 2)
    with pytest.raises(ValueError, match=r"Unflatten.*size 6.*\(4, 2\)"):
        nn.Unflatten(1, (4, 2))(dg.Tensor(_x(2, 6)))


def test_identity_and_sequential_mlp_against_torch():
    t = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                            torch.nn.Identity(), torch.nn.Linear(8, 2), torch.nn.LogSoftmax(dim=1))
    d = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Identity(), nn.Linear(8, 2),
                      nn.LogSoftmax(dim=1))
    _copy_weights(d, t)
    _run(d, t, _x(6, 5))


LOSSES = [
    ("MSELoss", {}, "real"), ("MSELoss", {"reduction": "sum"}, "real"), ("L1Loss", {}, "real"),
    ("HuberLoss", {"delta": 0.5}, "real"), ("SmoothL1Loss", {"beta": 0.5}, "real"),
    ("BCELoss", {}, "prob"), ("BCEWithLogitsLoss", {}, "binary"),
    ("CrossEntropyLoss", {}, "class"), ("CrossEntropyLoss", {"label_smoothing": 0.1}, "class"),
    ("NLLLoss", {"reduction": "none"}, "class"), ("MultiMarginLoss", {}, "class"),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}, "class"), ("KLDivLoss", {"reduction": "batchmean"}, "logprob"),
]


@pytest.mark.parametrize("name, kw, kind", LOSSES, ids=[f"{a[0]}{a[1]}" for a in LOSSES])
def test_loss_modules(name, kw, kind):
    import deepgrad.nn.functional as F

    fn = getattr(nn, name)(**kw)
    try:
        getattr(F, fn._fn)
    except AttributeError:
        pytest.skip(f"F.{fn._fn} not written yet")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    if kind == "real":
        y = rng.standard_normal((5, 4)).astype(np.float32)
    elif kind == "prob":
        x = rng.uniform(0.1, 0.9, (5, 4)).astype(np.float32)
        y = rng.uniform(0, 1, (5, 4)).astype(np.float32)
    elif kind == "binary":
        y = (rng.random((5, 4)) > 0.5).astype(np.float32)
    elif kind == "class":
        y = rng.integers(0, 4, 5)
    else:
        x = np.log(rng.dirichlet(np.ones(4), 5)).astype(np.float32)
        y = rng.dirichlet(np.ones(4), 5).astype(np.float32)
    xd, xt = dg.Tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)
    ld = fn(xd, dg.Tensor(y))
    lt = getattr(torch.nn, name)(**kw)(xt, torch.tensor(y))
    np.testing.assert_allclose(ld.numpy(), lt.detach().numpy(), rtol=1e-5, atol=1e-6)
    ld.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_loss_with_class_weights_as_buffer():
    import deepgrad.nn.functional as F

    if not hasattr(F, "cross_entropy"):
        pytest.skip("F.cross_entropy not written yet")
    w = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    fn = nn.CrossEntropyLoss(weight=dg.Tensor(w))
    assert list(fn.state_dict()) == ["weight"]
    x = _x(4, 3)
    y = np.array([0, 2, 1, 1])
    lt = torch.nn.CrossEntropyLoss(weight=torch.tensor(w))(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(fn(dg.Tensor(x), dg.tensor(y)).numpy(), lt.numpy(), rtol=1e-5)


def test_residual_and_highway_forms():
    dg.manual_seed(0)
    lin = nn.Linear(4, 4)
    x = dg.randn(3, 4)
    np.testing.assert_allclose(nn.Residual(lin)(x).numpy(), (x + lin(x)).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="Residual"):
        nn.Residual(nn.Linear(4, 2))(x)
    hw = nn.Highway(4, activation=nn.Tanh)
    assert np.all(hw.T.bias.numpy() == -2.0)
    h = np.tanh(x.numpy() @ hw.H.weight.numpy().T + hw.H.bias.numpy())
    t = 1 / (1 + np.exp(-(x.numpy() @ hw.T.weight.numpy().T + hw.T.bias.numpy())))
    np.testing.assert_allclose(hw(x).numpy(), t * h + (1 - t) * x.numpy(), rtol=1e-5, atol=1e-6)
    assert [n for n, _ in hw.named_parameters()] == ["H.weight", "H.bias", "T.weight", "T.bias"]


def test_loss_options_reach_the_functional_losses():
    import deepgrad.nn.functional as F

    if not (hasattr(F, "binary_cross_entropy_with_logits") and hasattr(F, "nll_loss")):
        pytest.skip("losses not written yet")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = (rng.random((5, 3)) > 0.5).astype(np.float32)
    pw = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    a = nn.BCEWithLogitsLoss(pos_weight=dg.Tensor(pw))(dg.Tensor(x), dg.Tensor(y))
    b = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw))(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
    ids = np.array([0, 1, 2, 2, 0])
    a = nn.NLLLoss(weight=dg.Tensor(pw), ignore_index=1)(dg.Tensor(x), dg.tensor(ids))
    b = torch.nn.NLLLoss(weight=torch.tensor(pw), ignore_index=1)(torch.tensor(x), torch.tensor(ids))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
