"""The layer ops beyond the op table: second derivatives, errors, running statistics, F's names."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad.utils import gradgradcheck


def _t(shape, seed=0, scale=1.0):
    return dg.Tensor(np.random.default_rng(seed).standard_normal(shape) * scale, dtype=np.float64,
                     requires_grad=True)


def test_gradgrad_linear():
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), [_t((2, 3, 4)), _t((5, 4), 1), _t((5,), 2)])


def test_gradgrad_batch_norm_train():
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         [_t((5, 3, 2)), _t((3,), 1), _t((3,), 2)])


def test_gradgrad_layer_norm():
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), [_t((3, 4)), _t((4,), 1), _t((4,), 2)])


def test_gradgrad_embedding():
    idx = dg.tensor([[0, 2, 2], [1, 0, 3]])
    assert gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=3) ** 2, [_t((4, 3))])


def test_linear_constant_input_gets_no_grad_and_skips_work():
    x = dg.randn(4, 5)
    w = dg.randn(3, 5, requires_grad=True)
    F.linear(x, w).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), np.tile(x.numpy().sum(0), (3, 1)), rtol=1e-5)


def test_linear_float32_stays_float32():
    x = dg.randn(4, 5, requires_grad=True)
    w = dg.randn(3, 5, requires_grad=True)
    b = dg.randn(3, requires_grad=True)
    y = F.linear(x, w, b)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert b.grad.dtype == np.float32


def test_linear_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"linear.*\(4, 6\).*\(3, 5\)"):
        F.linear(dg.randn(4, 6), dg.randn(3, 5))


def test_batch_norm_running_stats_match_torch():
    rng = np.random.default_rng(0)
    rm, rv = dg.zeros(3), dg.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for step in range(4):
        x = (rng.standard_normal((6, 3, 2, 2)) * (step + 1) + step).astype(np.float32)
        F.batch_norm(dg.Tensor(x), rm, rv, training=True, momentum=0.2)
        TF.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.2)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5)
    assert rm.dtype == np.float32 and rv.dtype == np.float32


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(dg.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: weight has shape \(4,\), expected \(3,\)"):
        F.batch_norm(dg.randn(2, 3), None, None, dg.ones(4), training=True)


def test_layer_norm_shape_error():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(5,\).*\(2, 4\)"):
        F.layer_norm(dg.randn(2, 4), (5,))


def test_embedding_repeated_ids_accumulate():
    w = dg.randn(5, 3, requires_grad=True)
    idx = dg.tensor([1, 1, 1, 4])
    F.embedding(idx, w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [0, 3, 0, 0, 1])


def test_embedding_errors():
    with pytest.raises(IndexError, match="embedding: id 7 is out of range for a table of 5 rows"):
        F.embedding(dg.tensor([0, 7]), dg.randn(5, 2))
    with pytest.raises(TypeError, match="integer ids"):
        F.embedding(dg.tensor([0.5]), dg.randn(5, 2))


def test_embedding_max_norm_renormalizes_rows_in_place():
    w = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], dtype=np.float32)
    dw, tw = dg.Tensor(w.copy()), torch.tensor(w.copy())
    idx = [0, 1]
    y = F.embedding(dg.tensor(idx), dw, max_norm=1.0)
    ty = TF.embedding(torch.tensor(idx), tw, max_norm=1.0)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-5)
    np.testing.assert_allclose(dw.numpy(), tw.numpy(), rtol=1e-5)


def test_functional_has_pytorch_names():
    for name in ["linear", "bilinear", "batch_norm", "layer_norm", "embedding", "relu", "sigmoid", "tanh",
                 "leaky_relu", "elu", "selu", "gelu", "softplus", "silu", "hardtanh", "relu6", "logsigmoid",
                 "softmax", "log_softmax"]:
        assert callable(getattr(F, name)), name
    with pytest.raises(AttributeError, match="no attribute 'no_such_op'"):
        F.no_such_op  # noqa: B018


def test_functional_compositions_match_torch():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(F.softsign(dg.Tensor(x)).numpy(), TF.softsign(torch.tensor(x)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.logsigmoid(dg.Tensor(x)).numpy(), TF.logsigmoid(torch.tensor(x)).numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(F.softmin(dg.Tensor(x), 1).numpy(), TF.softmin(torch.tensor(x), 1).numpy(),
                               rtol=1e-5)
