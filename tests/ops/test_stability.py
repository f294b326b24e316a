"""Numerical stability, dtype preservation, higher-order gradients and tie rules of the math ops.

- sigmoid, softplus, tanh, logsumexp (and friends) at +-1e4: finite, no RuntimeWarning, also backward;
- float32 in, float32 out (forward and gradients): NumPy 2 promotion must not leak float64;
- second derivatives: tanh'' = -2 tanh (1 - tanh^2), gradgradcheck of the smooth ops;
- where max/min/amax/norm meet ties or zeros, the gradient follows PyTorch 2.13.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional

EXTREME = [-1e4, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1e4]

STABLE_OPS = {
    "sigmoid": (dg.sigmoid, torch.sigmoid),
    "softplus": (dg.softplus, F.softplus),
    "tanh": (dg.tanh, torch.tanh),
    "logsigmoid": (dg.logsigmoid, F.logsigmoid),
    "silu": (dg.silu, F.silu),
    "gelu": (dg.gelu, F.gelu),
    "gelu_tanh": (lambda x: dg.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh")),
    "elu": (dg.elu, F.elu),
    "selu": (dg.selu, F.selu),
    "erf": (dg.erf, torch.erf),
    "logsumexp": (lambda x: dg.logsumexp(x, dim=0), lambda x: torch.logsumexp(x, dim=0)),
    "logistic": (lambda x: dg.logistic(x, L=2.0, k=3.0, x0=1.0), lambda x: 2.0 * torch.sigmoid(3.0 * (x - 1.0))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(STABLE_OPS))
def test_extreme_inputs_finite_without_warnings(name, dtype):
    f, tf = STABLE_OPS[name]
    data = np.array(EXTREME, dtype=dtype)
    x = dg.Tensor(data.copy(), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        y = f(x)
        y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(y.numpy())), f"{name} forward: {y.numpy()}"
    assert np.all(np.isfinite(x.grad.numpy())), f"{name} backward: {x.grad.numpy()}"
    tx = torch.tensor(data.copy(), requires_grad=True)
    ty = tf(tx)
    ty.sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_sigmoid_keeps_relative_precision_far_left():
    # the tanh form 0.5 (1 + tanh(x / 2)) loses every digit here; 1 / (1 + e^-x) does not
    x = np.linspace(-80.0, 80.0, 1601).astype(np.float32)
    ref = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    got = dg.sigmoid(dg.Tensor(x)).numpy().astype(np.float64)
    assert np.max(np.abs(got - ref) / ref) < 1e-6


def test_logsumexp_all_minus_inf_row():
    x = dg.tensor([[-math.inf, -math.inf], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = dg.logsumexp(x, dim=1)
    assert y.numpy()[0] == -math.inf
    np.testing.assert_allclose(y.numpy()[1], np.log(1.0 + np.e), rtol=1e-6)


# -- float32 stays float32 ----------------------------------------------------------------------------
FLOAT32_OPS = [
    ("log1p", lambda x: dg.log1p(x.abs())), ("log2", lambda x: dg.log2(x.abs())), ("log10", lambda x: x.abs().log10()),
    ("sqrt", lambda x: x.abs().sqrt()), ("rsqrt", lambda x: dg.rsqrt(x.abs())), ("square", dg.square),
    ("reciprocal", dg.reciprocal), ("abs", dg.abs), ("sign", lambda x: dg.sign(x) * x), ("sin", dg.sin),
    ("cos", dg.cos), ("tan", dg.tan), ("expm1", dg.expm1), ("erf", dg.erf),
    ("clamp", lambda x: dg.clamp(x, -0.5, 0.5)), ("clamp_np_scalar", lambda x: dg.clamp(x, np.float64(-0.5))),
    ("clamp_tensor", lambda x: dg.clamp(x, min=x.detach() * 0.5)), ("maximum", lambda x: dg.maximum(x, x * 0.5)),
    ("sigmoid", dg.sigmoid), ("logistic", lambda x: dg.logistic(x, 2.0, 0.5, 1.0)), ("tanh", dg.tanh),
    ("relu", dg.relu), ("relu6", dg.relu6), ("hardtanh", dg.hardtanh), ("leaky_relu", dg.leaky_relu),
    ("prelu", lambda x: dg.prelu(x, dg.full((3,), 0.25, requires_grad=True))), ("elu", dg.elu), ("selu", dg.selu),
    ("gelu", dg.gelu), ("gelu_tanh", lambda x: dg.gelu(x, approximate="tanh")), ("softplus", dg.softplus),
    ("softplus_beta", lambda x: dg.softplus(x, beta=2.0, threshold=0.5)), ("logsigmoid", dg.logsigmoid),
    ("silu", dg.silu), ("mean", lambda x: x.mean(1)), ("max", lambda x: x.max()), ("max_dim", lambda x: x.max(1)[0]),
    ("amin", lambda x: x.amin(0)), ("prod", lambda x: x.prod(1)), ("prod_zero", lambda x: (x * dg.relu(x)).prod(1)),
    ("logsumexp", lambda x: x.logsumexp(1)), ("var", lambda x: x.var(0)), ("std", lambda x: x.std()),
    ("norm", lambda x: x.norm(dim=1)), ("norm_p1", lambda x: x.norm(p=1)), ("norm_p3", lambda x: x.norm(p=3)),
    ("norm_inf", lambda x: x.norm(p=math.inf)), ("cumsum", lambda x: x.cumsum(1)),
]


@pytest.mark.parametrize("name,fn", FLOAT32_OPS, ids=[n for n, _ in FLOAT32_OPS])
def test_float32_stays_float32(name, fn):
    rng = np.random.default_rng(3)
    x = dg.Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32, f"{name}: forward gave {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32, f"{name}: gradient is {x.grad.dtype}"


def test_argmax_and_indices_are_int64():
    x = dg.randn(3, 4)
    assert dg.argmax(x).dtype == np.int64
    assert x.argmin(dim=1).dtype == np.int64
    assert x.max(dim=0).indices.dtype == np.int64


# -- higher order -------------------------------------------------------------------------------------
def test_tanh_second_derivative():
    data = np.linspace(-3.0, 3.0, 13)
    x = dg.Tensor(data, requires_grad=True)
    (g,) = dg.grad(dg.tanh(x).sum(), x, create_graph=True)
    (gg,) = dg.grad(g.sum(), x)
    t = np.tanh(data)
    np.testing.assert_allclose(g.numpy(), 1.0 - t * t, rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), -2.0 * t * (1.0 - t * t), rtol=1e-10, atol=1e-14)


def _real(shape, seed=0, kind="real"):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if kind == "nonzero":
        a = rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    elif kind == "positive":
        a = rng.uniform(0.5, 2.0, shape)
    return dg.Tensor(a, requires_grad=True)


GRADGRAD = [
    ("sigmoid", dg.sigmoid, [(3, 4)], "real"),
    ("gelu", dg.gelu, [(3, 4)], "real"),
    ("gelu_tanh", lambda x: dg.gelu(x, approximate="tanh"), [(3, 4)], "real"),
    ("softplus", dg.softplus, [(3, 4)], "real"),
    ("softplus_beta", lambda x: dg.softplus(x, beta=2.0, threshold=3.0), [(3, 4)], "real"),
    ("logsumexp", lambda x: dg.logsumexp(x, dim=1), [(3, 4)], "real"),
    ("logsumexp_all", lambda x: dg.logsumexp(x), [(2, 3)], "real"),
    ("tanh", dg.tanh, [(3, 4)], "real"),
    ("logsigmoid", dg.logsigmoid, [(3, 4)], "real"),
    ("silu", dg.silu, [(3, 4)], "real"),
    ("elu", dg.elu, [(3, 4)], "nonzero"),
    ("selu", dg.selu, [(3, 4)], "nonzero"),
    ("logistic", lambda x: dg.logistic(x, L=2.0, k=1.5, x0=0.3), [(3, 4)], "real"),
    ("erf", dg.erf, [(3, 4)], "real"),
    ("prelu", lambda x, w: dg.prelu(x, w), [(2, 3, 2), (3,)], "nonzero"),
    ("sqrt", dg.sqrt, [(3, 4)], "positive"),
    ("rsqrt", dg.rsqrt, [(3, 4)], "positive"),
    ("log1p", dg.log1p, [(3, 4)], "positive"),
    ("log2", dg.log2, [(3, 4)], "positive"),
    ("reciprocal", dg.reciprocal, [(3, 4)], "nonzero"),
    ("sin_cos_tan", lambda x: dg.sin(x) * dg.cos(x) + dg.tan(x * 0.3), [(3, 4)], "real"),
    ("maximum", lambda a, b: dg.maximum(a, b) * a, [(3, 4), (4,)], "real"),
    ("clamp_tensor", lambda a, lo: dg.clamp(a * a, min=lo), [(3, 4), (4,)], "real"),
    ("mean", lambda x: dg.mean(x * x, dim=0), [(3, 4)], "real"),
    ("var", lambda x: dg.var(x, dim=1), [(3, 4)], "real"),
    ("std", lambda x: dg.std(x), [(3, 4)], "real"),
    ("norm", lambda x: dg.norm(x, dim=1), [(3, 4)], "real"),
    ("norm_p3", lambda x: dg.norm(x, p=3), [(3, 4)], "nonzero"),
    ("prod", lambda x: dg.prod(x, dim=1), [(3, 4)], "real"),
    ("prod_tuple", lambda x: dg.prod(x, dim=(0, 2)), [(2, 3, 2)], "real"),
    ("amax_times", lambda x: dg.amax(x, dim=1) * x.sum(1), [(3, 4)], "real"),
    ("cumsum", lambda x: dg.cumsum(x * x, dim=1), [(3, 4)], "real"),
]


@pytest.mark.parametrize("name,fn,shapes,kind", GRADGRAD, ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck(name, fn, shapes, kind):
    inputs = [_real(s, seed=i, kind=kind) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_prod_second_derivative_with_zeros_matches_torch():
    data = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 0.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0]])
    x = dg.Tensor(data.copy(), requires_grad=True)
    tx = torch.tensor(data.copy(), requires_grad=True)
    w = np.arange(1.0, 5.0)
    (g,) = dg.grad(dg.prod(x, dim=1).sum(), x, create_graph=True)
    (gg,) = dg.grad((g * dg.Tensor(w)).sum(), x)
    (tg,) = torch.autograd.grad(torch.prod(tx, dim=1).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)


# -- ties, zeros and kinks follow torch ------------------------------------------------------------
def _grads(dg_fn, torch_fn, data):
    x = dg.Tensor(np.array(data, dtype=np.float32), requires_grad=True)
    tx = torch.tensor(np.array(data, dtype=np.float32), requires_grad=True)
    y, ty = dg_fn(x), torch_fn(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6)
    w = np.arange(1.0, 1.0 + y.numpy().size, dtype=np.float32).reshape(y.shape)
    (y * dg.Tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    return x.grad.numpy(), tx.grad.numpy()


TIED = [[1.0, 3.0, 3.0, 2.0], [3.0, 3.0, 3.0, -1.0], [0.0, -2.0, 0.0, -2.0]]
TIE_CASES = [
    ("max_all_even", lambda x: x.max(), lambda x: x.max()),
    ("min_all_even", lambda x: x.min(), lambda x: x.min()),
    ("max_dim_first", lambda x: x.max(dim=1).values, lambda x: x.max(dim=1).values),
    ("min_dim0_first", lambda x: x.min(dim=0).values, lambda x: x.min(dim=0).values),
    ("max_dim_indices", lambda x: x.max(dim=1).indices * 1.0 + x.sum(1) * 0.0,
     lambda x: x.max(dim=1).indices * 1.0 + x.sum(1) * 0.0),
    ("amax_even", lambda x: x.amax(dim=1), lambda x: x.amax(dim=1)),
    ("amin_tuple_even", lambda x: dg.amin(x, dim=(0, 1)), lambda x: torch.amin(x, dim=(0, 1))),
    ("norm_inf_even", lambda x: x.norm(p=math.inf, dim=1), lambda x: x.norm(p=math.inf, dim=1)),
    ("abs_at_zero", lambda x: dg.abs(x), lambda x: torch.abs(x)),
    ("relu_at_zero", lambda x: dg.relu(x), lambda x: torch.relu(x)),
    ("leaky_relu_at_zero", lambda x: dg.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1)),
    ("elu_at_zero", lambda x: dg.elu(x, 0.5), lambda x: F.elu(x, 0.5)),
    ("clamp_at_bounds", lambda x: dg.clamp(x, 0.0, 3.0), lambda x: torch.clamp(x, 0.0, 3.0)),
    ("hardtanh_at_bounds", lambda x: dg.hardtanh(x, 0.0, 3.0), lambda x: F.hardtanh(x, 0.0, 3.0)),
    ("prod_zeros", lambda x: x.prod(dim=1), lambda x: x.prod(dim=1)),
    ("prod_all_zeros", lambda x: x.prod(), lambda x: x.prod()),
]


@pytest.mark.parametrize("name,f,tf", TIE_CASES, ids=[c[0] for c in TIE_CASES])
def test_ties_and_kinks_match_torch(name, f, tf):
    g, tg = _grads(f, tf, TIED)
    np.testing.assert_allclose(g, tg, rtol=1e-6, err_msg=name)


def test_maximum_tie_splits_gradient():
    a = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = dg.tensor([1.0, 5.0, 0.0], requires_grad=True)
    dg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0, 0.0])


def test_norm_gradient_at_zero_is_zero():
    x = dg.Tensor(np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]]), requires_grad=True)
    dg.norm(x, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    z = dg.zeros(4, requires_grad=True)
    dg.norm(z).backward()
    assert np.array_equal(z.grad.numpy(), np.zeros(4))


def test_max_dim_returns_named_values_and_indices():
    x = dg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = dg.max(x, dim=1)
    r = x.max(dim=1)
    assert r.values is not None and r.indices is not None
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    assert x.max().shape == ()
    assert x.max(1, keepdim=True).values.shape == (2, 1)


# -- bad input --------------------------------------------------------------------------------------
def test_prelu_bad_weight_names_shapes():
    with pytest.raises(ValueError, match=r"prelu.*\(4,\).*\(2, 3, 5\)|prelu.*\(2, 3, 5\).*\(4,\)"):
        dg.prelu(dg.randn(2, 3, 5), dg.randn(4))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp"):
        dg.clamp(dg.randn(3))


def test_reduction_dim_out_of_range():
    with pytest.raises(IndexError, match=r"mean: dim 2 .*\(3, 4\)"):
        dg.mean(dg.randn(3, 4), dim=2)
    with pytest.raises(IndexError, match="max"):
        dg.randn(3).max(dim=1)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate"):
        dg.gelu(dg.randn(3), approximate="fast")


def test_erf_accuracy_float64():
    x = np.concatenate([np.linspace(-7.0, 7.0, 2801), [0.0, 1e-12, -1e-300, 30.0, -30.0, math.inf, -math.inf]])
    got = dg.erf(dg.Tensor(x)).numpy()
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, ref, rtol=2e-15, atol=0)
    assert np.isnan(dg.erf(dg.tensor([math.nan])).numpy()).all()
