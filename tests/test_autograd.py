"""The backward engine: grad modes, deepgrad.grad, accumulation, graph release, depth,
higher order, memory and error messages (PyTorch 2.13 as the oracle where it applies)."""
from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
import torch

import deepgrad as dg


def leaf(a, dtype=np.float64):
    return dg.tensor(np.asarray(a, dtype=dtype), requires_grad=True)


# -- no_grad / enable_grad / set_grad_enabled ------------------------------------------------

def test_no_grad_context_records_nothing():
    x = leaf([1.0, 2.0])
    with dg.no_grad():
        y = x * 2
        assert not dg.is_grad_enabled()
    assert dg.is_grad_enabled()
    assert not y.requires_grad and y.creator is None


@pytest.mark.parametrize("form", ["called", "bare"])
def test_no_grad_decorator(form):
    def f(x):
        assert not dg.is_grad_enabled()
        return x * 2

    f = dg.no_grad()(f) if form == "called" else dg.no_grad(f)
    x = leaf([1.0])
    assert not f(x).requires_grad
    assert dg.is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_inside_no_grad_as_context_and_decorator():
    x = leaf([1.0])

    @dg.enable_grad()
    def g(x):
        return x * 3

    @dg.enable_grad
    def h(x):
        return x * 3

    with dg.no_grad():
        with dg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
        assert g(x).requires_grad and h(x).requires_grad
        assert not dg.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(KeyError):
        with dg.no_grad():
            raise KeyError("boom")
    assert dg.is_grad_enabled()


def test_set_grad_enabled_call_context_decorator():
    dg.set_grad_enabled(False)
    try:
        assert not dg.is_grad_enabled()
    finally:
        dg.set_grad_enabled(True)
    with dg.set_grad_enabled(False):
        assert not dg.is_grad_enabled()
    assert dg.is_grad_enabled()

    @dg.set_grad_enabled(False)
    def f(x):
        return x * 2

    assert dg.is_grad_enabled()  # decorating changes nothing
    assert not f(leaf([1.0])).requires_grad
    assert dg.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with dg.no_grad():
        t = threading.Thread(target=lambda: seen.append(dg.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


# -- deepgrad.grad ------------------------------------------------------------------------

def test_grad_matches_torch_and_leaves_dot_grad_alone():
    a = np.array([0.3, -1.2, 2.0])
    x, tx = leaf(a), torch.tensor(a, requires_grad=True)
    y = (x * x * x).sum()
    (gx,) = dg.grad(y, x)
    (tgx,) = torch.autograd.grad((tx * tx * tx).sum(), tx)
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-12)
    assert x.grad is None
    assert not gx.requires_grad


def test_grad_with_grad_outputs():
    a, w = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[0.5, -2.0], [1.0, 3.0]])
    x, tx = leaf(a), torch.tensor(a, requires_grad=True)
    gx, = dg.grad(x * x, [x], grad_outputs=[dg.tensor(w)])
    tgx, = torch.autograd.grad(tx * tx, [tx], grad_outputs=[torch.tensor(w)])
    np.testing.assert_allclose(gx.numpy(), tgx.numpy())
    gx2, = dg.grad(x * x, x, grad_outputs=dg.tensor(w))  # a single tensor is accepted too
    np.testing.assert_allclose(gx2.numpy(), tgx.numpy())


def test_grad_several_inputs_and_allow_unused():
    x, y, z = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([5.0])
    out = (x * y).sum()
    with pytest.raises(RuntimeError, match="not used"):
        dg.grad(out, [x, y, z], retain_graph=True)
    gx, gy, gz = dg.grad(out, [x, y, z], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gy.numpy(), [1.0, 2.0])
    assert gz is None


def test_grad_of_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    gh, gx = dg.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(gx.numpy(), 18 * x.numpy())


def test_grad_input_without_requires_grad_raises():
    x = dg.tensor([1.0, 2.0])
    w = leaf([1.0, 1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        dg.grad((x * w).sum(), [x])


def test_grad_create_graph_gives_second_derivative():
    x = leaf([0.5, -1.0, 2.0])
    y = (x ** 3).sum()
    (g,) = dg.grad(y, x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (g2,) = dg.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * x.numpy())


# -- .grad accumulation, retain_grad -------------------------------------------------------

def test_leaf_grad_accumulates_until_zeroed():
    x = leaf([1.0, 2.0])
    for k in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), k * 2 * x.numpy())
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())
    x.grad.zero_()
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_leaf_used_twice_sums_its_gradients():
    a = np.array([1.5, -0.5])
    x, tx = leaf(a), torch.tensor(a, requires_grad=True)
    (x * x + x * 3 + x).sum().backward()
    (tx * tx + tx * 3 + tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_non_leaf_grad_only_with_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 2
    k = x * 3
    k.retain_grad()
    ((h + k) * h).sum().backward()
    assert h.grad is None
    assert not h.is_leaf and x.is_leaf
    np.testing.assert_allclose(k.grad.numpy(), h.numpy())
    assert x.grad is not None


def test_retained_non_leaf_grad_accumulates_like_torch():
    a = np.array([1.0, -2.0])
    x, tx = leaf(a), torch.tensor(a, requires_grad=True)
    h, th = x * x, tx * tx
    h.retain_grad()
    th.retain_grad()
    y, ty = (h * 3).sum(), (th * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_grads_are_never_shared_between_tensors():
    x, y = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    (x + y).sum().backward()
    assert not np.shares_memory(x.grad.data, y.grad.data)
    x.grad.data[0] = 100.0
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0, 1.0])


def test_user_gradient_is_not_aliased_by_grad():
    x = leaf([1.0, 2.0])
    g = dg.tensor([0.5, 0.25], dtype=dg.float64)
    (x + 1.0).backward(g)
    assert not np.shares_memory(x.grad.data, g.data)
    x.grad.data[:] = 0
    np.testing.assert_array_equal(g.numpy(), [0.5, 0.25])
    (x + 1.0).backward(g)  # accumulating in place must not touch g either
    np.testing.assert_array_equal(g.numpy(), [0.5, 0.25])


def test_retained_grad_and_leaf_grad_do_not_share():
    x = leaf([1.0, 2.0])
    h = x + 0.0
    h.retain_grad()
    (h + 1.0).sum().backward()
    assert not np.shares_memory(h.grad.data, x.grad.data)


@pytest.mark.parametrize("make", [
    lambda a, b: (a + b).sum(),
    lambda a, b: (a * b).sum(),
    lambda a, b: a.T.sum() + b.sum(),
    lambda a, b: (a.expand(3, 4) * b).sum(),
])
def test_broadcast_grads_are_writeable_contiguous(make):
    a, b = leaf(np.ones((3, 1))), leaf(np.ones((1, 4)))
    make(a, b).backward()
    for t in (a, b):
        arr = t.grad.data
        assert arr.shape == t.shape
        assert arr.flags.writeable
        assert arr.flags.c_contiguous or arr.flags.f_contiguous
        assert arr.strides != (0,) * arr.ndim or arr.size == 1
        arr += 1  # writing must work


# -- graph release -------------------------------------------------------------------------

def test_second_backward_through_released_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_through_released_shared_subgraph_raises():
    x = leaf([1.0, 2.0])
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        (h * 2).sum().backward()


def test_retain_graph_allows_second_backward():
    a = np.array([1.0, -3.0])
    x, tx = leaf(a), torch.tensor(a, requires_grad=True)
    y, ty = (x * x * x).sum(), (tx * tx * tx).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_chain_of_10000_ops_backpropagates_without_recursion():
    x = leaf([0.5, 1.5])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(2, 1.0001 ** 10_000), rtol=1e-9)
    del y
    gc.collect()


def test_diamond_graph_order_by_generation():
    # y depends on x by two paths of different lengths: all of h's gradient must arrive
    # before h's own backward runs.
    a = np.array([0.7, -0.2])
    x, tx = leaf(a), torch.tensor(a, requires_grad=True)

    def f(m, x):
        h = x * x
        long = h
        for _ in range(5):
            long = long * 1.5 + h
        return (long * h + m.exp(x)).sum()

    f(dg, x).backward()
    f(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_multiple_roots_and_shared_leaf():
    x = leaf([1.0, 2.0])
    y1, y2 = (x * 2).sum(), (x * x).sum()
    gx, = dg.grad([y1, y2], [x])
    np.testing.assert_allclose(gx.numpy(), 2 + 2 * x.numpy())


# -- higher order --------------------------------------------------------------------------

def test_second_derivative_of_tanh():
    a = np.linspace(-2.0, 2.0, 9)
    x = leaf(a)
    (g,) = dg.grad(dg.tanh(x).sum(), x, create_graph=True)
    (g2,) = dg.grad(g.sum(), x)
    t = np.tanh(a)
    np.testing.assert_allclose(g.numpy(), 1 - t ** 2, rtol=1e-12)
    np.testing.assert_allclose(g2.numpy(), -2 * t * (1 - t ** 2), rtol=1e-10, atol=1e-14)
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.tanh(tx).sum(), tx, create_graph=True)
    (tg2,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(g2.numpy(), tg2.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.filterwarnings("ignore:Using backward")
def test_backward_create_graph_then_backward_again():
    x = leaf([0.3, -0.8])
    y = (dg.tanh(x) * x).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    tx = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    (torch.tanh(tx) * tx).sum().backward(create_graph=True)
    tg = tx.grad
    tx.grad = None
    tg.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def _mlp(m, params, x):
    w1, b1, w2, b2 = params
    h = m.tanh(x @ w1 + b1)
    out = m.sigmoid(h @ w2 + b2)
    return ((out - 0.5) ** 2).sum()


def test_hessian_vector_product_of_small_mlp_against_torch():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    ps = [rng.standard_normal(s) for s in shapes]
    vs = [rng.standard_normal(s) for s in shapes]
    xin = rng.standard_normal((5, 3))

    params = [leaf(p) for p in ps]
    loss = _mlp(dg, params, dg.tensor(xin))
    grads = dg.grad(loss, params, create_graph=True)
    dot = sum((g * dg.tensor(v)).sum() for g, v in zip(grads, vs))
    hvp = dg.grad(dot, params)

    tparams = tuple(torch.tensor(p) for p in ps)
    _, thvp = torch.autograd.functional.hvp(
        lambda *p: _mlp(torch, p, torch.tensor(xin)), tparams, tuple(torch.tensor(v) for v in vs))
    for h, th in zip(hvp, thvp):
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-10, atol=1e-12)


def test_gradgradcheck_through_engine():
    from deepgrad.utils import gradgradcheck

    x = leaf(np.array([0.4, -1.1, 0.9]))
    w = leaf(np.array([0.5, 1.5, -0.3]))
    assert gradgradcheck(lambda x, w: dg.tanh(x * w) * x, [x, w])


# -- memory --------------------------------------------------------------------------------

def _graph_with_intermediate():
    x = leaf(np.ones(1000))
    h = dg.tanh(x * 2.0)
    y = (h * h).sum()
    return x, y, weakref.ref(h), weakref.ref(h.creator)


def test_intermediates_freed_after_backward():
    x, y, href, fref = _graph_with_intermediate()
    gc.collect()
    assert href() is not None  # alive while the graph needs it
    y.backward()
    assert href() is None, "an intermediate activation outlived backward"
    assert fref() is None or fref().inputs is None


def test_intermediates_kept_with_retain_graph():
    x, y, href, fref = _graph_with_intermediate()
    y.backward(retain_graph=True)
    assert href() is not None
    y.backward()
    assert href() is None


def test_no_graph_kept_under_no_grad():
    x = leaf(np.ones(10))
    with dg.no_grad():
        h = x * 2
        y = h * 3
    assert y.creator is None and h.creator is None


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("op,name", [
    (lambda a, b: a + b, "Add"),
    (lambda a, b: a * b, "Mul"),
    (lambda a, b: a - b, "Sub"),
    (lambda a, b: a / b, "Div"),
    (lambda a, b: a @ b, "MatMul"),
])
def test_mismatched_shapes_name_op_and_both_shapes(op, name):
    a, b = dg.ones(2, 3), dg.ones(4, 5)
    with pytest.raises(ValueError) as e:
        op(a, b)
    msg = str(e.value)
    assert name in msg and "(2, 3)" in msg and "(4, 5)" in msg


@pytest.mark.parametrize("make", [
    lambda: dg.tensor([1, 2, 3], requires_grad=True),
    lambda: dg.ones(3, dtype=dg.int64, requires_grad=True),
    lambda: dg.Tensor(np.arange(3), requires_grad=True),
    lambda: dg.arange(3).requires_grad_(),
])
def test_requires_grad_on_integer_tensor_raises_typeerror(make):
    with pytest.raises(TypeError, match="floating point"):
        make()


def test_backward_on_non_scalar_without_gradient_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\).*gradient="):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(dg.ones(3))


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dg.ones(2).sum().backward()


def test_requires_grad_false_on_non_leaf_raises():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_detect_anomaly_names_the_op():
    x = leaf([0.0, 1.0])
    with dg.detect_anomaly():
        with pytest.raises(FloatingPointError, match="Log"):
            with np.errstate(divide="ignore"):
                dg.log(x * 0.0)
    dg.log(x + 1.0)  # off again


def test_detect_anomaly_in_backward():
    x = leaf([0.0, 4.0])
    y = dg.sqrt(x).sum()  # finite forward, infinite gradient at 0
    with dg.detect_anomaly():
        with pytest.raises(FloatingPointError, match="backward"):
            with np.errstate(divide="ignore"):
                y.backward()


# -- dtypes through the engine -------------------------------------------------------------

def test_float32_stays_float32_through_backward():
    x = dg.randn(4, 3, requires_grad=True)
    w = dg.randn(3, 2, requires_grad=True)
    y = (dg.tanh(x @ w) * 0.5 + 1.0) / 3.0
    y.sum().backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_function_subclass_multiple_outputs():
    class SplitHalf(dg.Function):
        def forward(self, x):
            n = x.shape[0] // 2
            return x[:n].copy(), x[n:] * 2

        def backward(self, g1, g2):
            parts = [g if g is not None else dg.zeros(2, dtype=dg.float64) for g in (g1, g2)]
            return dg.tensor(np.concatenate([parts[0].data, parts[1].data * 2]))

    x = leaf([1.0, 2.0, 3.0, 4.0])
    a, b = SplitHalf()(x)
    (a.sum() + (b * b).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 2 * 2 * 6.0, 2 * 2 * 8.0])
    x.grad = None
    a, b = SplitHalf()(x)
    del b  # an output nobody uses gets no gradient
    a.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 0.0, 0.0])


def test_backward_inputs_accumulates_only_into_those():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    x, y = leaf(a), leaf(b)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (x * y * x).sum().backward(inputs=[x])
    (tx * ty * tx).sum().backward(inputs=[tx])
    assert y.grad is None and ty.grad is None
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    (x * y).sum().backward(inputs=y)
    np.testing.assert_allclose(y.grad.numpy(), a)


def test_gradient_of_another_dtype_is_cast_to_the_output_dtype():
    x = dg.randn(3, requires_grad=True)
    (x * 2).backward(np.ones(3))  # a float64 array
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
