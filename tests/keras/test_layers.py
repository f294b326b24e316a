"""Keras layers: shapes, Keras-layout weights, and values against PyTorch (channels-last permuted)."""
import numpy as np
import pytest
import torch

import deepgrad
from deepgrad.keras import layers
from deepgrad.keras.models import Sequential


def _run(layer, x, training=False):
    return layer(x, training=training).numpy()


def test_dense_kernel_layout_and_value():
    d = layers.Dense(4, activation="relu")
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    y = _run(d, x)
    kernel, bias = d.get_weights()
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert d.output_shape == (None, 4)
    np.testing.assert_array_equal(bias, 0)  # bias_initializer='zeros'
    limit = np.sqrt(6 / (3 + 4))  # glorot_uniform
    assert np.abs(kernel).max() <= limit


def test_dense_set_weights_and_errors():
    d = layers.Dense(2, use_bias=False)
    d(np.zeros((1, 3), np.float32))
    assert [w.shape for w in d.get_weights()] == [(3, 2)]
    k = np.arange(6, dtype=np.float32).reshape(3, 2)
    d.set_weights([k])
    np.testing.assert_array_equal(d.get_weights()[0], k)
    np.testing.assert_array_equal(d.kernel.numpy(), k.T)  # nn.Linear layout inside
    with pytest.raises(ValueError, match=r"kernel.*\(3, 2\).*\(2, 3\)"):
        d.set_weights([k.T])
    with pytest.raises(ValueError, match="expected 1 arrays"):
        d.set_weights([k, k])


def test_dense_applies_to_last_axis():
    d = layers.Dense(5)
    assert _run(d, np.ones((2, 3, 4), np.float32)).shape == (2, 3, 5)


def test_conv2d_matches_torch_channels_last():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 7, 7, 3)).astype(np.float32)
    for padding, strides, k in (("valid", 1, 3), ("same", 1, 3), ("same", 2, 3), ("valid", 2, (3, 2)), ("same", 1, 2)):
        conv = layers.Conv2D(4, k, strides=strides, padding=padding)
        _run(conv, x)
        kernel, bias = conv.get_weights()
        kh, kw = (k, k) if isinstance(k, int) else k
        assert kernel.shape == (kh, kw, 3, 4)
        bias = rng.normal(size=4).astype(np.float32)
        conv.set_weights([kernel, bias])
        y = _run(conv, x)
        xt = torch.tensor(x).permute(0, 3, 1, 2)
        if padding == "same":  # Keras/TF 'same': output ceil(n/s), the odd pixel of padding at the end
            pads = []
            for n, kk in zip((7, 7), (kh, kw)):
                out = -(-n // strides)
                total = max((out - 1) * strides + kk - n, 0)
                pads.append((total // 2, total - total // 2))
            xt = torch.nn.functional.pad(xt, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        wt = torch.tensor(kernel).permute(3, 2, 0, 1)
        ref = torch.nn.functional.conv2d(xt, wt, torch.tensor(bias), stride=strides).permute(0, 2, 3, 1).numpy()
        assert y.shape == ref.shape
        assert conv.compute_output_shape((None, 7, 7, 3)) == (None,) + ref.shape[1:]
        np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


def test_conv_gradient_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 6, 2)).astype(np.float32)
    conv = layers.Conv2D(3, 3, padding="same", activation="tanh")
    xd = deepgrad.tensor(x, requires_grad=True)
    conv(xd).sum().backward()
    kernel, bias = conv.get_weights()
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(kernel).permute(3, 2, 0, 1).requires_grad_()
    torch.tanh(torch.nn.functional.conv2d(xt.permute(0, 3, 1, 2), wt, torch.tensor(bias), padding=1)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(conv.kernel.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_pooling_layers():
    # seed 002's worked example: max -> [[6, 4], [8, 9]], average -> [[3.5, 2.75], [3.5, 6.75]]
    x = np.array([[1, 5, 4, 3], [2, 6, 4, 0], [3, 1, 7, 9], [2, 8, 6, 5]], np.float32).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(_run(layers.MaxPooling2D(), x)[0, :, :, 0], [[6, 4], [8, 9]])
    np.testing.assert_array_equal(_run(layers.AveragePooling2D(), x)[0, :, :, 0], [[3.5, 2.75], [3.5, 6.75]])
    np.testing.assert_array_equal(_run(layers.GlobalAveragePooling2D(), x), [[x.mean()]])
    np.testing.assert_array_equal(_run(layers.GlobalMaxPooling2D(), x), [[9]])
    # 'same' on an odd size: padding never wins a max and is not counted in an average
    x5 = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1) - 30
    mp = _run(layers.MaxPooling2D(padding="same"), x5)[0, :, :, 0]
    ap = _run(layers.AveragePooling2D(padding="same"), x5)[0, :, :, 0]
    assert mp.shape == ap.shape == (3, 3)
    assert mp[2, 2] == x5[0, 4, 4, 0] and ap[2, 2] == x5[0, 4, 4, 0]
    assert ap[0, 2] == (x5[0, 0, 4, 0] + x5[0, 1, 4, 0]) / 2
    assert layers.MaxPooling2D(padding="same").compute_output_shape((None, 5, 5, 3)) == (None, 3, 3, 3)


def test_batch_normalization_keras_defaults():
    bn = layers.BatchNormalization()
    assert bn.momentum == 0.99 and bn.epsilon == 1e-3
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 3.0, size=(8, 4, 4, 5)).astype(np.float32)
    y = _run(bn, x, training=True)
    mean, var = x.reshape(-1, 5).mean(0), x.reshape(-1, 5).var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    gamma, beta, moving_mean, moving_var = bn.get_weights()
    np.testing.assert_allclose(moving_mean, 0.01 * mean, rtol=1e-4)  # moving = 0.99 * 0 + 0.01 * batch
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    y_inf = _run(bn, x, training=False)  # inference: moving statistics
    np.testing.assert_allclose(y_inf, (x - moving_mean) / np.sqrt(moving_var + 1e-3), rtol=1e-4, atol=1e-4)


def test_activation_layers():
    x = np.array([[-2.0, -0.5, 0.0, 1.5]], np.float32)
    np.testing.assert_allclose(_run(layers.LeakyReLU(), x), np.where(x > 0, x, 0.3 * x))  # Keras default 0.3
    np.testing.assert_allclose(_run(layers.Activation("relu"), x), np.maximum(x, 0))
    sm = _run(layers.Activation("softmax"), x)
    np.testing.assert_allclose(sm, np.exp(x) / np.exp(x).sum(), rtol=1e-6)
    p = layers.PReLU()
    np.testing.assert_allclose(_run(p, x), np.maximum(x, 0))  # alpha starts at zero
    assert p.get_weights()[0].shape == (4,)
    p.set_weights([np.full(4, 0.5, np.float32)])
    np.testing.assert_allclose(_run(p, x), np.where(x > 0, x, 0.5 * x))
    shared = layers.PReLU(shared_axes=[1, 2])
    shared(np.zeros((1, 3, 3, 2), np.float32))
    assert shared.get_weights()[0].shape == (1, 1, 2)


def test_prelu_alpha_is_learned():
    x = deepgrad.tensor(np.array([[-1.0, 2.0]], np.float32))
    p = layers.PReLU()
    p(x).sum().backward()
    np.testing.assert_allclose(p.alpha.grad.numpy(), [-1.0, 0.0])


def test_dropout_rate_and_inference():
    d = layers.Dropout(0.8)
    x = np.ones((200, 100), np.float32)
    y = _run(d, x, training=True)
    assert abs((y == 0).mean() - 0.8) < 0.02
    np.testing.assert_allclose(y[y != 0], 5.0)  # survivors scaled by 1/(1-0.8)
    np.testing.assert_array_equal(_run(d, x, training=False), x)
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)


def test_flatten_reshape_embedding():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(_run(layers.Flatten(), x), x.reshape(2, 12))
    np.testing.assert_array_equal(_run(layers.Reshape((4, 3)), x), x.reshape(2, 4, 3))
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    with pytest.raises(ValueError, match="Reshape"):
        layers.Reshape((5,)).compute_output_shape((None, 3, 4))
    emb = layers.Embedding(10, 3)
    ids = np.array([[1, 2], [9, 1]])
    out = _run(emb, ids)
    table = emb.get_weights()[0]
    assert table.shape == (10, 3) and np.abs(table).max() <= 0.05
    np.testing.assert_array_equal(out, table[ids])


def test_layer_names_are_unique_and_errors_name_the_layer():
    a, b = layers.Dense(1), layers.Dense(1)
    assert (a.name, b.name) == ("dense", "dense_1")
    m = Sequential([layers.Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"expected input of shape \(None, 4\)"):
        m.predict(np.zeros((2, 5), np.float32))
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Dense(3, foo=1)
    with pytest.raises(ValueError, match="Conv2D.*4-D"):
        layers.Conv2D(2, 3)(np.zeros((2, 5, 5), np.float32))


def test_get_weights_shapes_of_a_model():
    m = Sequential([layers.Input(shape=(28, 28, 1)), layers.Conv2D(6, 5, activation="relu"), layers.MaxPooling2D(),
                    layers.Flatten(), layers.Dense(10, activation="softmax")])
    shapes = [w.shape for w in m.get_weights()]
    assert shapes == [(5, 5, 1, 6), (6,), (24 * 24 * 6 // 4, 10), (10,)]
    assert m.count_params() == 5 * 5 * 6 + 6 + 864 * 10 + 10
    new = [np.full(s, i, np.float32) for i, s in enumerate(shapes)]
    m.set_weights(new)
    for a, b in zip(m.get_weights(), new):
        np.testing.assert_array_equal(a, b)


def test_relu_threshold_max_value_and_slope_follow_keras():
    """The values of the Keras docs for keras.activations.relu / layers.ReLU, and a combined case
    against Keras's formula written out in NumPy."""
    from deepgrad.keras import activations

    x = np.array([-10, -5, 0.0, 5, 10], np.float32)
    cases = {(0.0, None, 0.0): [0, 0, 0, 5, 10], (0.5, None, 0.0): [-5, -2.5, 0, 5, 10],
             (0.0, 5.0, 0.0): [0, 0, 0, 5, 5], (0.0, None, 5.0): [0, 0, 0, 0, 10]}
    for (slope, top, thr), want in cases.items():
        np.testing.assert_allclose(activations.relu(x, slope, top, thr).numpy(), want, err_msg=str((slope, top, thr)))
    np.testing.assert_allclose(layers.ReLU(threshold=1.5)(np.array([-3.0, -1.0, 0.0, 2.0], np.float32)).numpy(),
                               [0, 0, 0, 2])
    z = np.linspace(-2, 2, 41, dtype=np.float32)
    for slope, top, thr in [(0.1, 0.8, -0.2), (0.3, None, 0.5), (0.0, 1.0, -0.5), (0.2, 1.2, 0.4)]:
        want = np.where(z > thr, z, 0.0)
        if top is not None:
            want = np.clip(want, 0.0, top)
        want = want - slope * np.maximum(thr - z, 0.0)
        got = layers.ReLU(max_value=top, negative_slope=slope, threshold=thr)(z).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=str((slope, top, thr)))
