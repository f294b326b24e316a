"""Losses beyond the op table: extreme logits, options against PyTorch, error messages, dtypes,
second derivatives of the fused cross entropy."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _both(x, dtype=np.float32, grad=True):
    """The same values as a deepgrad tensor and a torch tensor (float leaves require grad)."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        x = x.astype(dtype)
        return dg.Tensor(x.copy(), requires_grad=grad), torch.tensor(x.copy(), requires_grad=grad)
    return dg.Tensor(x.copy()), torch.tensor(x.copy())


def _close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=rtol, atol=atol)


# -- extreme logits -----------------------------------------------------------------------------------
EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [3.0, 1e4, -1e4], [-1e4, -1e4, -1e4]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_finite_at_extreme_logits(reduction):
    x, tx = _both(EXTREME)
    t, tt = _both(np.array([1, 1, 0, 2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings either
        y = dg.cross_entropy(x, t, reduction=reduction)
        y.sum().backward() if reduction == "none" else y.backward()
    ty = F.cross_entropy(tx, tt, reduction=reduction)
    ty.sum().backward()
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    _close(y.numpy(), ty, rtol=1e-6)
    _close(x.grad.numpy(), tx.grad)
    assert reduction != "none" or y.numpy()[0] == pytest.approx(2e4)


def test_log_softmax_and_softmax_finite_at_extreme_logits():
    x, tx = _both(EXTREME)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ls, s = dg.log_softmax(x, 1), dg.softmax(x, 1)
    _close(ls.numpy(), F.log_softmax(tx, 1))
    _close(s.numpy(), F.softmax(tx, 1))
    np.testing.assert_allclose(s.numpy().sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("pos_weight", [None, [2.0, 0.5, 3.0, 1.0]])
def test_bce_with_logits_finite_at_extreme_logits(pos_weight):
    x, tx = _both([[1e4, -1e4, 1e4, -1e4], [-20.0, 20.0, 0.0, 1e4]])
    y, ty = _both([[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.5, 0.3]], grad=False)
    pw = None if pos_weight is None else dg.tensor(pos_weight)
    tpw = None if pos_weight is None else torch.tensor(pos_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = dg.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none")
        loss.sum().backward()
    tloss = F.binary_cross_entropy_with_logits(tx, ty, pos_weight=tpw, reduction="none")
    tloss.sum().backward()
    assert np.all(np.isfinite(loss.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    _close(loss.numpy(), tloss, rtol=1e-6, atol=1e-12)  # tiny values (exp(-20)) come out exact too
    _close(x.grad.numpy(), tx.grad)


def test_bce_clamps_log_at_minus_100():
    p, tp = _both([0.0, 1.0, 0.0, 1.0, 0.5])
    y, ty = _both([1.0, 0.0, 0.0, 1.0, 1.0], grad=False)
    loss = dg.binary_cross_entropy(p, y, reduction="none")
    _close(loss.numpy(), F.binary_cross_entropy(tp, ty, reduction="none"))
    assert loss.numpy()[0] == pytest.approx(100.0)


# -- options against PyTorch on realistic sizes ---------------------------------------------------------
CE_OPTIONS = [
    {},
    {"label_smoothing": 0.1},
    {"ignore_index": 3},
    {"weight": "w"},
    {"weight": "w", "ignore_index": 0, "label_smoothing": 0.25},
    {"ignore_index": -100, "label_smoothing": 0.05},
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", CE_OPTIONS, ids=lambda o: "-".join(o) or "plain")
@pytest.mark.parametrize("shape", [(64, 10), (8, 5, 3, 2)], ids=["2d", "spatial"])
def test_cross_entropy_options_match_torch(opts, reduction, shape):
    rng = np.random.default_rng(0)
    x, tx = _both(rng.standard_normal(shape) * 3)
    labels = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    labels.reshape(-1)[::7] = -100  # some rows carry the default ignore_index
    if opts.get("ignore_index", -100) != -100 or not opts:
        labels[labels == -100] = opts.get("ignore_index", 0)
    t, tt = _both(labels)
    kw = dict(opts, reduction=reduction)
    tkw = dict(kw)
    if "weight" in opts:
        w = rng.uniform(0.2, 2.0, shape[1])
        kw["weight"], tkw["weight"] = dg.tensor(w, dtype=np.float32), torch.tensor(w, dtype=torch.float32)
    y, ty = dg.cross_entropy(x, t, **kw), F.cross_entropy(tx, tt, **tkw)
    assert y.dtype == np.float32 and y.shape == tuple(ty.shape)
    _close(y.numpy(), ty, rtol=2e-5)
    g = np.random.default_rng(1).standard_normal(ty.shape).astype(np.float32)
    (y * dg.Tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    assert x.grad.dtype == np.float32
    _close(x.grad.numpy(), tx.grad, rtol=2e-5)


@pytest.mark.parametrize("opts", [{"weight": "w"}, {"ignore_index": 1}, {"weight": "w", "ignore_index": 2}])
def test_nll_loss_options_match_torch(opts):
    rng = np.random.default_rng(2)
    x, tx = _both(rng.standard_normal((32, 6)))
    t, tt = _both(rng.integers(0, 6, 32))
    kw, tkw = dict(opts), dict(opts)
    if "weight" in opts:
        w = rng.uniform(0.2, 2.0, 6)
        kw["weight"], tkw["weight"] = dg.tensor(w, dtype=np.float32), torch.tensor(w, dtype=torch.float32)
    y = dg.nll_loss(dg.log_softmax(x, 1), t, **kw)
    ty = F.nll_loss(F.log_softmax(tx, 1), tt, **tkw)
    y.backward()
    ty.backward()
    _close(y.numpy(), ty)
    _close(x.grad.numpy(), tx.grad)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x, tx = _both(np.zeros((3, 4)))
    t, tt = _both(np.full(3, -100))
    y = dg.cross_entropy(x, t)
    assert np.isnan(y.item()) and np.isnan(F.cross_entropy(tx, tt).item())
    assert dg.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_cross_entropy_one_hot_targets_equal_labels():
    rng = np.random.default_rng(3)
    x = dg.tensor(rng.standard_normal((6, 4)), dtype=np.float32)
    t = dg.tensor(rng.integers(0, 4, 6))
    onehot = dg.one_hot(t, 4).float()
    for kw in ({}, {"label_smoothing": 0.2}):
        np.testing.assert_allclose(dg.cross_entropy(x, onehot, **kw).item(), dg.cross_entropy(x, t, **kw).item(),
                                   rtol=1e-6)


def test_kl_div_batchmean_and_zero_targets():
    p, tp = _both([[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]], grad=False)
    x, tx = _both(np.log([[0.3, 0.3, 0.4], [0.1, 0.6, 0.3]]))
    for red in ("batchmean", "sum", "none"):
        x.grad, tx.grad = None, None
        y, ty = dg.kl_div(x, p, reduction=red), F.kl_div(tx, tp, reduction=red)
        y.sum().backward()
        ty.sum().backward()
        _close(y.numpy(), ty)
        _close(x.grad.numpy(), tx.grad)


# -- error messages ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [dg.cross_entropy, dg.nll_loss, dg.multi_margin_loss])
def test_label_out_of_range_names_label_and_classes(fn):
    x = dg.randn(4, 5)
    with pytest.raises(ValueError, match=r"label 7 .*5 classes"):
        fn(x, dg.tensor([0, 7, 1, 2]))
    with pytest.raises(ValueError, match=r"label -3 .*5 classes"):
        fn(x, dg.tensor([0, -3, 1, 2]))


def test_ignore_index_is_not_out_of_range():
    x = dg.randn(3, 5)
    assert np.isfinite(dg.cross_entropy(x, dg.tensor([0, -100, 4])).item())
    assert np.isfinite(dg.nll_loss(x, dg.tensor([0, 9, 4]), ignore_index=9).item())
    with pytest.raises(ValueError, match="label -100"):
        dg.multi_margin_loss(x, dg.tensor([0, -100, 4]))  # no ignore_index there


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "kl_div"])
def test_shape_mismatch_names_loss_and_both_shapes(name):
    with pytest.raises(ValueError, match=rf"{name}.*\(3, 4\).*\(4, 3\)"):
        getattr(dg, name)(dg.rand(3, 4), dg.rand(4, 3))


def test_cross_entropy_target_shape_errors():
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4, 2\).*\(4, 5\)"):
        dg.cross_entropy(dg.randn(4, 5), dg.tensor(np.zeros((4, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4, 3\).*\(4, 5\)"):
        dg.cross_entropy(dg.randn(4, 5), dg.rand(4, 3))
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have shape \(5,\)"):
        dg.cross_entropy(dg.randn(4, 5), dg.tensor([0, 1, 2, 3]), weight=dg.ones(4))


def test_bad_arguments():
    x, t = dg.randn(2, 3), dg.tensor([0, 1])
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of"):
        dg.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="binary_cross_entropy: input values must be probabilities"):
        dg.binary_cross_entropy(dg.tensor([0.5, 1.5]), dg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        dg.multi_margin_loss(x, t, p=3)
    with pytest.raises(TypeError, match="integer class labels"):
        dg.nll_loss(x, dg.rand(2))
    with pytest.raises(ValueError, match=r"one_hot: label 5 is out of range for num_classes=3"):
        dg.one_hot(dg.tensor([0, 5]), 3)


def test_legacy_size_average_and_reduce():
    a, b = dg.randn(3, 2), dg.randn(3, 2)
    assert dg.mse_loss(a, b, size_average=False).item() == pytest.approx(dg.mse_loss(a, b, reduction="sum").item())
    assert dg.mse_loss(a, b, reduce=False).shape == (3, 2)


# -- dtypes --------------------------------------------------------------------------------------------
def _all_losses(x, p, y, t, w64):
    """Every loss on float32 inputs (weights given as float64 numpy arrays must not promote)."""
    return {
        "mse": dg.mse_loss(x, y), "l1": dg.l1_loss(x, y), "huber": dg.huber_loss(x, y),
        "smooth_l1": dg.smooth_l1_loss(x, y), "bce": dg.binary_cross_entropy(p, (y.detach() > 0).float()),
        "bce_logits": dg.binary_cross_entropy_with_logits(x, p.detach(), pos_weight=1.5),
        "ce": dg.cross_entropy(x, t, weight=w64, label_smoothing=0.1), "ce_probs": dg.cross_entropy(x, p.detach()),
        "nll": dg.nll_loss(x, t, weight=w64), "margin": dg.multi_margin_loss(x, t, p=2, weight=w64),
        "kl": dg.kl_div(dg.log_softmax(x, 1), dg.softmax(y, 1).detach(), reduction="batchmean"),
    }


def test_outputs_and_grads_stay_float32():
    rng = np.random.default_rng(4)
    x = dg.Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    p = dg.Tensor(rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32), requires_grad=True)
    y = dg.Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    t = dg.tensor([0, 2, 1, 2])
    for name, loss in _all_losses(x, p, y, t, np.array([0.5, 1.0, 2.0])).items():
        x.grad = p.grad = None
        assert loss.dtype == np.float32, name
        loss.backward()
        for leaf in (x, p):
            assert leaf.grad is None or leaf.grad.dtype == np.float32, name


# -- higher order ----------------------------------------------------------------------------------------
def test_cross_entropy_second_derivatives():
    rng = np.random.default_rng(5)
    x = dg.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    t = dg.tensor([0, 2, 1, 2])
    w = dg.tensor([0.5, 1.0, 2.0], dtype=np.float64)
    for kw in ({}, {"reduction": "none"}, {"weight": w, "ignore_index": 1, "label_smoothing": 0.2}):
        assert gradgradcheck(lambda a, kw=kw: dg.cross_entropy(a, t, **kw), [x])


def test_cross_entropy_create_graph_matches_fast_backward_and_torch_hvp():
    rng = np.random.default_rng(6)
    xv = rng.standard_normal((5, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2])
    v = rng.standard_normal((5, 4)).astype(np.float32)
    x = dg.Tensor(xv, requires_grad=True)
    (g,) = dg.grad(dg.cross_entropy(x, dg.tensor(labels), label_smoothing=0.1), [x], create_graph=True)
    (hv,) = dg.grad((g * dg.Tensor(v)).sum(), [x])
    x2 = dg.Tensor(xv, requires_grad=True)
    dg.cross_entropy(x2, dg.tensor(labels), label_smoothing=0.1).backward()
    np.testing.assert_allclose(g.numpy(), x2.grad.numpy(), rtol=1e-6, atol=1e-8)
    tx = torch.tensor(xv, requires_grad=True)
    (tg,) = torch.autograd.grad(F.cross_entropy(tx, torch.tensor(labels), label_smoothing=0.1), tx,
                                create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tx)
    _close(hv.numpy(), thv, rtol=1e-5)


@pytest.mark.parametrize("name", ["nll", "margin_p2", "bce_logits_pw", "bce", "huber", "kl"])
def test_other_losses_second_derivatives(name):
    rng = np.random.default_rng(7)
    x = dg.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    u = dg.Tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    t = dg.tensor([0, 3, 1])
    pw = dg.Tensor(rng.uniform(0.5, 2.0, (4,)), requires_grad=True)
    fns = {
        "nll": (lambda a: dg.nll_loss(dg.log_softmax(a, 1), t), [x]),
        "margin_p2": (lambda a: dg.multi_margin_loss(a * 0.3, t, p=2), [x]),
        "bce_logits_pw": (lambda a, b, c: dg.binary_cross_entropy_with_logits(a, b, pos_weight=c), [x, u, pw]),
        "bce": (lambda a, b: dg.binary_cross_entropy(a, b), [u, dg.Tensor(rng.uniform(0.1, 0.9, (3, 4)),
                                                                           requires_grad=True)]),
        "huber": (lambda a, b: dg.huber_loss(a, b * 0.5), [x, u]),
        "kl": (lambda a, b: dg.kl_div(dg.log_softmax(a, 1), b, reduction="batchmean"), [x, u]),
    }
    fn, inputs = fns[name]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)
