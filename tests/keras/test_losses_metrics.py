"""Keras losses (per-sample functions, reductions, clipping, fused logits path) and metrics."""
import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.keras import losses, metrics

rng = np.random.default_rng(0)
Y_IDX = rng.integers(0, 4, 6)
Y_ONEHOT = np.eye(4, dtype=np.float32)[Y_IDX]
LOGITS = rng.normal(size=(6, 4)).astype(np.float32)
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)).astype(np.float32)


def _np(t):
    return t.numpy() if hasattr(t, "numpy") else np.asarray(t)


def test_per_sample_functions_against_numpy():
    y, p = Y_ONEHOT, PROBS
    np.testing.assert_allclose(_np(losses.mean_squared_error(y, p)), ((y - p) ** 2).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.mse(y, p)), ((y - p) ** 2).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.mean_absolute_error(y, p)), np.abs(y - p).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.categorical_crossentropy(y, p)), -np.log(p[np.arange(6), Y_IDX]),
                               rtol=1e-5)
    np.testing.assert_allclose(_np(losses.sparse_categorical_crossentropy(Y_IDX, p)),
                               -np.log(p[np.arange(6), Y_IDX]), rtol=1e-5)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(_np(losses.binary_crossentropy(y, p)), bce, rtol=1e-5)
    np.testing.assert_allclose(_np(losses.kl_divergence(y, p)),
                               (np.clip(y, 1e-7, 1) * np.log(np.clip(y, 1e-7, 1) / p)).sum(-1), rtol=1e-4)
    s = np.where(y > 0, 1.0, -1.0)
    np.testing.assert_allclose(_np(losses.hinge(y, LOGITS)), np.maximum(1 - s * LOGITS, 0).mean(-1), rtol=1e-6)
    pos = (y * LOGITS).sum(-1)
    neg = ((1 - y) * LOGITS).max(-1)
    np.testing.assert_allclose(_np(losses.categorical_hinge(y, LOGITS)), np.maximum(neg - pos + 1, 0), rtol=1e-6)


def test_from_logits_matches_torch():
    ce = losses.CategoricalCrossentropy(from_logits=True)(Y_ONEHOT, LOGITS)
    ref = torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(Y_IDX))
    np.testing.assert_allclose(ce.item(), ref.item(), rtol=1e-5)
    sce = losses.SparseCategoricalCrossentropy(from_logits=True)(Y_IDX, LOGITS)
    np.testing.assert_allclose(sce.item(), ref.item(), rtol=1e-5)
    bce = losses.BinaryCrossentropy(from_logits=True)(Y_ONEHOT, LOGITS)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(LOGITS), torch.tensor(Y_ONEHOT))
    np.testing.assert_allclose(bce.item(), ref.item(), rtol=1e-5)


def test_probabilities_are_clipped_like_keras():
    p = np.array([[1.0, 0.0]], np.float32)
    y = np.array([[0.0, 1.0]], np.float32)
    assert abs(losses.categorical_crossentropy(y, p).item() - (-np.log(1e-7))) < 1e-2
    assert np.isfinite(losses.binary_crossentropy(y, p).item())


def test_fused_logits_path_equals_probability_path():
    y = deepgrad.tensor(Y_ONEHOT)
    z1 = deepgrad.tensor(LOGITS, requires_grad=True)
    z2 = deepgrad.tensor(LOGITS, requires_grad=True)
    loss = losses.CategoricalCrossentropy()
    fused = losses.reduce_loss(loss.call_logits(y, z1, "softmax"))
    plain = loss(y, deepgrad.nn.functional.softmax(z2, dim=-1))
    np.testing.assert_allclose(fused.item(), plain.item(), rtol=1e-5)
    fused.backward()
    plain.backward()
    np.testing.assert_allclose(z1.grad.numpy(), z2.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert loss.call_logits(y, z1, "relu") is None
    assert losses.CategoricalCrossentropy(from_logits=True).call_logits(y, z1, "softmax") is None


def test_reductions_and_sample_weight():
    y, p = Y_ONEHOT, PROBS
    per = ((y - p) ** 2).mean(-1)
    w = np.arange(6, dtype=np.float32)
    mse = losses.MeanSquaredError()
    np.testing.assert_allclose(mse(y, p).item(), per.mean(), rtol=1e-6)
    np.testing.assert_allclose(mse(y, p, sample_weight=w).item(), (per * w).sum() / 6, rtol=1e-5)
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="sum")(y, p).item(), per.sum(), rtol=1e-6)
    assert losses.MeanSquaredError(reduction="none")(y, p).shape == (6,)


def test_get_resolves_names_and_functions():
    assert isinstance(losses.get("mse"), losses.MeanSquaredError)
    assert isinstance(losses.get("categorical_crossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.binary_crossentropy), losses.BinaryCrossentropy)
    custom = losses.get(lambda yt, yp: ((yt - yp) ** 2).sum(axis=-1))
    assert isinstance(custom, losses.LossFunctionWrapper)
    with pytest.raises(ValueError, match="Unknown loss 'msee'"):
        losses.get("msee")
    with pytest.raises(ValueError, match="does not match"):
        losses.mean_squared_error(np.zeros((2, 3)), np.zeros((2, 4), np.float32))


def test_accuracy_resolution_as_keras():
    assert isinstance(metrics.get("accuracy", (6, 4), (6, 4)), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (6,), (6, 4)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("acc", (6, 1), (6, 4)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (6, 1), (6, 1)), metrics.BinaryAccuracy)
    assert metrics.get("acc", (6, 4), (6, 4)).name == "acc"


def test_accuracy_values():
    pred = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], np.float32)
    labels = np.array([1, 2, 2, 0])
    acc = metrics.SparseCategoricalAccuracy()
    acc.update_state(labels, pred)
    assert acc.result() == 0.75
    acc.update_state(labels[:2], pred[:2])  # running mean over everything seen
    assert acc.result() == pytest.approx(4 / 6)
    acc.reset_state()
    assert acc.result() == 0.0
    cat = metrics.CategoricalAccuracy()
    cat.update_state(np.eye(3)[labels], pred)
    assert cat.result() == 0.75
    top2 = metrics.TopKCategoricalAccuracy(k=2)
    top2.update_state(np.eye(3)[labels], pred)
    assert top2.result() == 0.75  # sample 1's label has the smallest score
    top3 = metrics.TopKCategoricalAccuracy(k=3)
    top3.update_state(np.eye(3)[labels], pred)
    assert top3.result() == 1.0
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(np.eye(3)[labels], pred, k=1), [1, 0, 1, 1])
    binary = metrics.BinaryAccuracy()
    binary.update_state(np.array([[1], [0], [1]]), np.array([[0.9], [0.6], [0.4]], np.float32))
    assert binary.result() == pytest.approx(1 / 3)


def test_precision_recall():
    y = np.array([1, 1, 0, 0, 1], np.float32)
    p = np.array([0.9, 0.2, 0.8, 0.1, 0.7], np.float32)
    prec, rec = metrics.Precision(), metrics.Recall()
    prec.update_state(y, p)
    rec.update_state(y, p)
    assert prec.result() == pytest.approx(2 / 3)  # tp=2 fp=1
    assert rec.result() == pytest.approx(2 / 3)  # tp=2 fn=1
