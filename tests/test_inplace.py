"""In-place updates: the lectures' ``w -= lr * grad`` step, PyTorch's rules for what may change in place."""
import numpy as np
import pytest
import torch

import deepgrad as dg


def test_gradient_descent_step_changes_the_parameter_itself():
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    params = [w]
    (w * w).sum().backward()
    data_id = id(w.data)
    with dg.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    assert params[0] is w and id(w.data) == data_id
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)
    assert w.requires_grad and w.dtype == np.float32


def test_leaf_requiring_grad_refused_while_recording():
    w = dg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="add_"):
        w.add_(1.0)


def test_accumulating_a_loss_with_plus_equals_keeps_the_graph():
    x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss, tloss = 0, 0
    for k in range(3):
        loss += (x * (k + 1)).sum()
        tloss += (tx * (k + 1)).sum()
    acc, tacc = dg.zeros(3), torch.zeros(3)
    acc += x * x
    tacc += tx * tx
    (loss + acc.sum()).backward()
    (tloss + tacc.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_inplace_methods_match_torch():
    a, ta = dg.tensor([1.0, -2.0, 3.0]), torch.tensor([1.0, -2.0, 3.0])
    a.add_(dg.ones(3), alpha=2).mul_(3.0).sub_(1.0).div_(2.0).clamp_(-1.0, 5.0)
    ta.add_(torch.ones(3), alpha=2).mul_(3.0).sub_(1.0).div_(2.0).clamp_(-1.0, 5.0)
    np.testing.assert_allclose(a.numpy(), ta.numpy())
    b = dg.zeros(2, 3).fill_(7.0)
    assert np.all(b.numpy() == 7.0)
    b.copy_(np.arange(3))
    np.testing.assert_array_equal(b.numpy(), np.broadcast_to(np.arange(3.0), (2, 3)))
    i = dg.tensor([1, 2])
    i += 1
    assert i.dtype == np.int64 and i.tolist() == [2, 3]


def test_t_and_contiguous():
    x = dg.randn(3, 4, requires_grad=True)
    assert x.t().shape == (4, 3) and dg.randn(3).t().shape == (3,)
    x.t().sum().backward()
    assert x.grad.shape == (3, 4)
    with pytest.raises(ValueError, match="t\\(\\)"):
        dg.randn(2, 2, 2).t()
    assert x.contiguous() is x
