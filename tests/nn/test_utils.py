"""nn.utils (clipping, penalties, parameter vectors) and deepgrad.summary."""
import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    l1_penalty,
    l2_penalty,
    parameters_to_vector,
    vector_to_parameters,
)


def _pair(dtype="float64"):
    # float64 by default: the clipping is compared, not float32 summation order (float32 gradients
    # with cancellation differed by up to 7e-5 relative, failing 1e-5 in ~3% of random inits)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).to(getattr(torch, dtype))
    d = nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.Tanh(), nn.Linear(4, 2, dtype=dtype))
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = (np.random.default_rng(0).standard_normal((5, 3)) * 3).astype(dtype)
    (d(dg.Tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    return d, t


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type):
    d, t = _pair()
    nd = clip_grad_norm_(d.parameters(), 0.5, norm_type)
    nt = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.5, norm_type)
    assert float(nd.item()) == pytest.approx(nt.item(), rel=1e-12)
    for p, q in zip(d.parameters(), t.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_keeps_float32():
    d, t = _pair("float32")
    nd = clip_grad_norm_(d.parameters(), 0.5)
    nt = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.5)
    assert float(nd.item()) == pytest.approx(nt.item(), rel=1e-4)
    for p, q in zip(d.parameters(), t.parameters()):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-3, atol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone_and_flags_nonfinite():
    d, _ = _pair()
    before = [p.grad.numpy().copy() for p in d.parameters()]
    clip_grad_norm_(d.parameters(), 1e9)
    for p, b in zip(d.parameters(), before):
        np.testing.assert_array_equal(p.grad.numpy(), b)
    d[0].weight.grad.data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(d.parameters(), 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    d, t = _pair()
    clip_grad_value_(d.parameters(), 0.1)
    torch.nn.utils.clip_grad_value_(t.parameters(), 0.1)
    for p, q in zip(d.parameters(), t.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_l1_l2_penalties_are_differentiable_sums_over_weights():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    w1, w2 = m[0].weight.numpy(), m[2].weight.numpy()
    assert float(l1_penalty(m).item()) == pytest.approx(np.abs(w1).sum() + np.abs(w2).sum(), rel=1e-5)
    assert float(l2_penalty(m).item()) == pytest.approx((w1 ** 2).sum() + (w2 ** 2).sum(), rel=1e-5)
    all_params = sum(float((p.numpy() ** 2).sum()) for p in m.parameters())
    assert float(l2_penalty(m, include_bias=True).item()) == pytest.approx(all_params, rel=1e-5)
    (0.5 * l2_penalty(m) + l1_penalty(m)).backward()
    np.testing.assert_allclose(m[0].weight.grad.numpy(), w1 + np.sign(w1), rtol=1e-6)
    assert m[0].bias.grad is None


def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2)
    v = parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    vector_to_parameters(dg.Tensor(np.arange(8, dtype=np.float32)), m.parameters())
    np.testing.assert_array_equal(m.weight.numpy().ravel(), np.arange(6))
    np.testing.assert_array_equal(m.bias.numpy(), [6, 7])


def test_summary_table():
    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(500),
                          nn.Linear(500, 10))
    model[4].requires_grad_(False)
    model.train()
    lines = []
    text = dg.summary(model, (784,), print_fn=lines.append)
    assert lines == [text]
    rows = text.splitlines()
    assert rows[1].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert rows[3].split() == ["0", "(Linear)", "[-1,", "500]", "392,500"]
    assert rows[4].split() == ["1", "(ReLU)", "[-1,", "500]", "0"]
    assert rows[6].split() == ["3", "(BatchNorm1d)", "[-1,", "500]", "1,000"]
    assert rows[7].split() == ["4", "(Linear)", "[-1,", "10]", "5,010"]
    assert "Total params: 398,510" in text and "Trainable params: 393,500" in text
    assert "Non-trainable params: 5,010" in text
    assert model.training and int(model[3].num_batches_tracked.item()) == 0  # eval inside, mode restored
    assert not model._forward_hooks and not model[0]._forward_hooks  # hooks removed


def test_summary_of_a_custom_module_with_image_input():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.flat = nn.Flatten()
            self.fc = nn.Linear(12, 2)

        def forward(self, x):
            return self.fc(self.flat(x))

    text = dg.summary(Net(), (3, 2, 2), print_fn=None)
    assert "flat (Flatten)" in text and "[-1, 12]" in text and "fc (Linear)" in text
