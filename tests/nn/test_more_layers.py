"""The activation, distance and loss modules added after the core (Hardswish, GLU, CosineSimilarity,
TripletMarginLoss, ...): same outputs, gradients, reprs and argument errors as PyTorch 2.13's."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

_r = np.random.default_rng(1)


def _x(*shape, scale=2.0):
    return (_r.standard_normal(shape) * scale).astype(np.float32)


def _sign(*shape):
    return np.where(_r.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


# (make(M) -> module, inputs; the first input gets a gradient)
CASES = {
    "Hardsigmoid": (lambda M: M.Hardsigmoid(), (_x(4, 5),)),
    "Hardswish": (lambda M: M.Hardswish(), (_x(4, 5),)),
    "Mish": (lambda M: M.Mish(), (_x(4, 5),)),
    "CELU": (lambda M: M.CELU(0.5), (_x(4, 5),)),
    "Threshold": (lambda M: M.Threshold(0.2, -3.0), (_x(4, 5),)),
    "Tanhshrink": (lambda M: M.Tanhshrink(), (_x(4, 5),)),
    "Softshrink": (lambda M: M.Softshrink(0.8), (_x(4, 5),)),
    "Hardshrink": (lambda M: M.Hardshrink(), (_x(4, 5),)),
    "GLU": (lambda M: M.GLU(), (_x(3, 4, 6),)),
    "GLU_dim1": (lambda M: M.GLU(1), (_x(3, 4, 6),)),
    "CosineSimilarity": (lambda M: M.CosineSimilarity(dim=0, eps=1e-6), (_x(4, 5), _x(4, 5))),
    "PairwiseDistance": (lambda M: M.PairwiseDistance(p=3.0, keepdim=True), (_x(4, 5), _x(4, 5))),
    "SoftMarginLoss": (lambda M: M.SoftMarginLoss(reduction="sum"), (_x(4, 5), _sign(4, 5))),
    "PoissonNLLLoss": (lambda M: M.PoissonNLLLoss(), (_x(4, 5, scale=0.5), _r.poisson(2.0, (4, 5)).astype(np.float32))),
    "PoissonNLLLoss_rates": (lambda M: M.PoissonNLLLoss(log_input=False, full=True, reduction="none"),
                             (np.abs(_x(4, 5)) + 0.1, _r.poisson(3.0, (4, 5)).astype(np.float32))),
    "GaussianNLLLoss": (lambda M: M.GaussianNLLLoss(full=True), (_x(4, 5), _x(4, 5), np.abs(_x(4, 1)) + 0.1)),
    "MarginRankingLoss": (lambda M: M.MarginRankingLoss(margin=0.5), (_x(6), _x(6), _sign(6))),
    "CosineEmbeddingLoss": (lambda M: M.CosineEmbeddingLoss(margin=0.2, reduction="none"),
                            (_x(6, 3), _x(6, 3), _sign(6))),
    "TripletMarginLoss": (lambda M: M.TripletMarginLoss(margin=2.0, p=1.0, swap=True), (_x(6, 3), _x(6, 3), _x(6, 3))),
    "Softmax2d": (lambda M: M.Softmax2d(), (_x(2, 3, 4, 5),)),
    "Softmax2d_unbatched": (lambda M: M.Softmax2d(), (_x(3, 4, 5),)),
    "RReLU_eval": (lambda M: M.RReLU(0.1, 0.4).eval(), (_x(4, 5),)),
    "HingeEmbeddingLoss": (lambda M: M.HingeEmbeddingLoss(margin=1.5, reduction="sum"), (_x(4, 5), _sign(4, 5))),
    "MultiLabelSoftMarginLoss": (lambda M: M.MultiLabelSoftMarginLoss(weight=(dg if M is nn else torch).tensor(
        [0.5, 1.0, 2.0, 1.5, 1.0])), (_x(4, 5), (_r.random((4, 5)) > 0.5).astype(np.float32))),
    "MultiLabelSoftMarginLoss_none": (lambda M: M.MultiLabelSoftMarginLoss(reduction="none"),
                                      (_x(4, 5), (_r.random((4, 5)) > 0.5).astype(np.float32))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_matches_torch(name):
    make, arrays = CASES[name]
    ours, ref = make(nn), make(tnn)
    assert repr(ours) == repr(ref)
    xs = [dg.Tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays)]
    y, ty = ours(*xs), ref(*ts)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = _r.standard_normal(y.shape).astype(np.float32)
    (y * dg.Tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), ts[0].grad.numpy(), rtol=1e-5, atol=1e-6)


def test_argument_errors_name_the_layer():
    with pytest.raises(ValueError, match="glu: halving dimension must be even, but dimension 1 is size 3"):
        nn.GLU(1)(dg.ones(2, 3))
    with pytest.raises(ValueError, match="TripletMarginLoss: margin must be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="GaussianNLLLoss: reduction must be one of"):
        nn.GaussianNLLLoss(reduction="avg")
    with pytest.raises(ValueError, match="MarginRankingLoss: reduction must be one of"):
        nn.MarginRankingLoss(reduction="batchmean")
    with pytest.raises(ValueError, match=r"var is of incorrect size: var shape \(2,\), input shape \(3, 3\)"):
        nn.GaussianNLLLoss()(dg.ones(3, 3), dg.ones(3, 3), dg.ones(2))
    with pytest.raises(ValueError, match="var has negative entry"):
        nn.GaussianNLLLoss()(dg.ones(3, 3), dg.ones(3, 3), -dg.ones(3, 3))
    with pytest.raises(ValueError, match="cosine_embedding_loss: expected inputs of shape"):
        nn.CosineEmbeddingLoss()(dg.ones(3, 2), dg.ones(3, 2), dg.ones(2))
    with pytest.raises(ValueError, match="soft_margin_loss: all inputs must have the same shape"):
        nn.SoftMarginLoss()(dg.ones(3, 2), dg.ones(3))


def test_gaussian_nll_clamps_var_but_passes_its_gradient_through_as_torch():
    var = np.array([[1e-9, 0.5], [2.0, 1e-12]], np.float32)
    x, y = _x(2, 2), _x(2, 2)
    v = dg.Tensor(var, requires_grad=True)
    tv = torch.tensor(var, requires_grad=True)
    nn.GaussianNLLLoss(eps=1e-3)(dg.Tensor(x), dg.Tensor(y), v).backward()
    tnn.GaussianNLLLoss(eps=1e-3)(torch.tensor(x), torch.tensor(y), tv).backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-5)


def test_rrelu_training_slopes_lie_between_lower_and_upper():
    dg.manual_seed(0)
    y = nn.RReLU(0.1, 0.3)(dg.Tensor(-np.ones(20000, np.float32))).numpy()
    assert -0.3 <= y.min() and y.max() <= -0.1 and abs(y.mean() + 0.2) < 0.005
    assert len(np.unique(y)) > 1000  # one slope per element
    assert float(nn.RReLU()(dg.Tensor(np.array([2.0], np.float32)))[0]) == 2.0


@pytest.mark.parametrize("make,shape", [(lambda: nn.Dropout3d(0.4), (8, 6, 2, 3, 3)),
                                        (lambda: nn.AlphaDropout(0.2), (200, 100)),
                                        (lambda: nn.FeatureAlphaDropout(0.2), (100, 50, 4))])
def test_dropout_variants_train_and_eval(make, shape):
    dg.manual_seed(0)
    layer = make()
    x = dg.Tensor(_r.standard_normal(shape).astype(np.float32))
    np.testing.assert_array_equal(layer.eval()(x).numpy(), x.numpy())  # identity in eval
    y = layer.train()(x).numpy()
    assert not np.allclose(y, x.numpy())
    if isinstance(layer, nn.Dropout3d):  # whole channels: each (n, c) block is all zero or all scaled
        blocks = y.reshape(shape[0] * shape[1], -1)
        zero = ~blocks.any(axis=1)
        assert 0 < zero.mean() < 1
        np.testing.assert_allclose(blocks[~zero], x.numpy().reshape(blocks.shape)[~zero] / 0.6, rtol=1e-6)
    else:  # self-normalizing: mean and variance kept near 0 and 1
        assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05
    with pytest.raises(ValueError, match="Dropout3d"):
        nn.Dropout3d()(dg.ones(2, 3))


def test_max_unpool1d_errors_name_max_unpool1d_and_its_shapes():
    with pytest.raises(ValueError, match=r"max_unpool1d: indices must be integers of the input's shape \(1, 2, 3\), "
                                         r"got int64 of shape \(1, 2, 4\)"):
        dg.nn.functional.max_unpool1d(dg.zeros(1, 2, 3), dg.zeros(1, 2, 4, dtype=dg.int64), 2)
    with pytest.raises(ValueError, match="max_unpool1d: index 9 is out of range"):
        dg.nn.functional.max_unpool1d(dg.zeros(1, 2, 3), dg.tensor([[[0, 1, 9], [0, 1, 2]]]), 2)
