"""Tensors on two devices in one op: a clear error naming both devices (never a silent copy)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


def _pair(shape_a=(3, 4), shape_b=(3, 4)):
    a = dg.randn(*shape_a, requires_grad=True)
    b = dg.randn(*shape_b, device="cuda", requires_grad=True)
    return a, b


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: b + a, lambda a, b: a * b, lambda a, b: b - a, lambda a, b: a / b,
    lambda a, b: dg.maximum(a, b) if hasattr(dg, "maximum") else a + b,
    lambda a, b: dg.where(a > 0, a, b),
])
def test_elementwise_mix_names_both_devices(op):
    a, b = _pair()
    with pytest.raises(RuntimeError) as e:
        op(a, b)
    msg = str(e.value)
    assert "cpu" in msg and "cuda:0" in msg, msg


def test_matmul_and_linear_mix_names_both_devices():
    a, b = _pair((3, 4), (4, 5))
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        a @ b
    lin = nn.Linear(4, 2).to("cuda")
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        lin(dg.randn(3, 4))


def test_loss_with_labels_on_the_other_device():
    x = dg.randn(4, 3, device="cuda", requires_grad=True)
    y = dg.tensor(np.array([0, 1, 2, 1]))
    with pytest.raises(RuntimeError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        dg.cross_entropy(x, y)


def test_same_device_still_works_and_to_roundtrips():
    a = dg.randn(3, 4, requires_grad=True)
    b = a.to("cuda")
    assert b.device == "cuda:0"
    (b * 2).sum().backward()
    assert a.grad.device == "cpu"
    np.testing.assert_allclose(a.grad.numpy(), 2.0)
