"""Every ``deepgrad.keras.layers`` class runs on the GPU with no change but the device: the same
weights give the CPU's output and input gradient, in training mode too (batch statistics).  The
table must name every layer class exported (``test_the_table_covers_every_layer`` runs everywhere)."""
import inspect

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from deepgrad.keras import layers as L

_r = np.random.default_rng(0)


def _x(*shape):
    return _r.standard_normal(shape).astype(np.float32)


def _adapted(layer):
    layer.adapt(_x(6, 2, 4) * 2 + 1)
    return layer


def _then(layer, dense):
    """A layer without gradients (integer or one-hot outputs) followed by a Dense, as a Sequential model."""
    from deepgrad.keras import Sequential

    return Sequential([layer, dense])


# name -> (constructor, inputs); several inputs go to merging layers as a list
LAYERS = {
    "Dense": (lambda: L.Dense(4, activation="tanh"), (_x(3, 5),)),
    "Activation": (lambda: L.Activation("softplus"), (_x(3, 5),)),
    "ReLU": (lambda: L.ReLU(max_value=0.8, negative_slope=0.1, threshold=-0.2), (_x(3, 5),)),
    "LeakyReLU": (lambda: L.LeakyReLU(0.2), (_x(3, 5),)),
    "ELU": (lambda: L.ELU(0.5), (_x(3, 5),)),
    "PReLU": (lambda: L.PReLU(alpha_initializer="random_normal", shared_axes=[1]), (_x(2, 3, 4),)),
    "Softmax": (lambda: L.Softmax(axis=1), (_x(2, 3, 4),)),
    "Dropout": (lambda: L.Dropout(0.0), (_x(3, 5),)),
    "Flatten": (L.Flatten, (_x(2, 3, 4),)),
    "Reshape": (lambda: L.Reshape((4, 3)), (_x(2, 3, 4),)),
    "Conv2D": (lambda: L.Conv2D(3, 3, strides=2, padding="same", activation="relu"), (_x(2, 7, 6, 2),)),
    "MaxPooling2D": (lambda: L.MaxPooling2D(3, strides=2, padding="same"), (_x(2, 7, 7, 3),)),
    "AveragePooling2D": (lambda: L.AveragePooling2D(2), (_x(2, 6, 6, 3),)),
    "GlobalAveragePooling2D": (L.GlobalAveragePooling2D, (_x(2, 4, 5, 3),)),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(keepdims=True), (_x(2, 4, 5, 3),)),
    "BatchNormalization": (lambda: L.BatchNormalization(momentum=0.9), (_x(6, 4, 4, 3),)),
    "LayerNormalization": (L.LayerNormalization, (_x(3, 6),)),
    "Embedding": (lambda: L.Embedding(9, 3), (_r.integers(0, 9, (2, 5)),)),
    "Add": (L.Add, (_x(3, 4), _x(3, 4))),
    "Subtract": (L.Subtract, (_x(3, 4), _x(3, 4))),
    "Multiply": (L.Multiply, (_x(3, 4), _x(3, 4))),
    "Average": (L.Average, (_x(3, 4), _x(3, 4))),
    "Concatenate": (lambda: L.Concatenate(axis=1), (_x(3, 4), _x(3, 2))),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same"), (_x(2, 4, 5, 2),)),
    "Dot": (lambda: L.Dot(axes=(2, 2), normalize=True), (_x(2, 3, 4), _x(2, 5, 4))),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (_x(2, 5, 4, 3),)),
    "SeparableConv2D": (lambda: L.SeparableConv2D(4, 3, strides=2, padding="same"), (_x(2, 5, 4, 3),)),
    "SimpleRNN": (lambda: L.SimpleRNN(4, return_sequences=True), (_x(2, 5, 3),)),
    "LSTM": (lambda: L.LSTM(4, go_backwards=True), (_x(2, 5, 3),)),
    "GRU": (lambda: L.GRU(4, return_sequences=True), (_x(2, 5, 3),)),
    "Lambda": (lambda: L.Lambda(lambda t: t * t + 1.0), (_x(3, 4),)),
    "RNN": (lambda: L.RNN(L.LSTMCell(3), return_sequences=True, go_backwards=True), (_x(2, 5, 3),)),
    "SimpleRNNCell": (lambda: L.RNN(L.SimpleRNNCell(4), return_sequences=True), (_x(2, 5, 3),)),
    "LSTMCell": (lambda: L.RNN(L.LSTMCell(4)), (_x(2, 5, 3),)),
    "GRUCell": (lambda: L.RNN(L.GRUCell(4, reset_after=False), return_sequences=True), (_x(2, 5, 3),)),
    "StackedRNNCells": (lambda: L.RNN(L.StackedRNNCells([L.GRUCell(3), L.LSTMCell(2)])), (_x(2, 5, 3),)),
    "Bidirectional": (lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), (_x(2, 5, 3),)),
    "TimeDistributed": (lambda: L.TimeDistributed(L.Dense(2, activation="relu")), (_x(2, 5, 3),)),
    "GroupNormalization": (lambda: L.GroupNormalization(groups=2), (_x(2, 3, 3, 4),)),
    "UnitNormalization": (L.UnitNormalization, (_x(3, 4),)),
    "Maximum": (L.Maximum, (_x(3, 4), _x(3, 4))),
    "Minimum": (L.Minimum, (_x(3, 4), _x(3, 4))),
    "Conv1D": (lambda: L.Conv1D(3, 3, strides=2, padding="same", activation="relu"), (_x(2, 7, 2),)),
    "MaxPooling1D": (lambda: L.MaxPooling1D(3, strides=2, padding="same"), (_x(2, 7, 3),)),
    "AveragePooling1D": (lambda: L.AveragePooling1D(3, strides=2, padding="same"), (_x(2, 8, 3),)),
    "GlobalAveragePooling1D": (L.GlobalAveragePooling1D, (_x(2, 5, 3),)),
    "GlobalMaxPooling1D": (L.GlobalMaxPooling1D, (_x(2, 5, 3),)),
    "UpSampling1D": (lambda: L.UpSampling1D(3), (_x(2, 4, 3),)),
    "UpSampling2D": (lambda: L.UpSampling2D((2, 3)), (_x(2, 3, 4, 2),)),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D((1, 2)), (_x(2, 4, 3),)),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(((1, 2), (0, 1))), (_x(2, 3, 4, 2),)),
    "Cropping1D": (lambda: L.Cropping1D((1, 2)), (_x(2, 6, 3),)),
    "Cropping2D": (lambda: L.Cropping2D(((1, 0), (1, 2))), (_x(2, 4, 5, 2),)),
    "Permute": (lambda: L.Permute((2, 1)), (_x(2, 3, 4),)),
    "RepeatVector": (lambda: L.RepeatVector(3), (_x(2, 4),)),
    "Identity": (L.Identity, (_x(2, 4),)),
    "Rescaling": (lambda: L.Rescaling(0.5, offset=1.0), (_x(2, 4),)),
    "GaussianNoise": (lambda: L.GaussianNoise(0.0), (_x(2, 4),)),
    "SpatialDropout1D": (lambda: L.SpatialDropout1D(0.0), (_x(2, 3, 4),)),
    "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.0), (_x(2, 3, 3, 4),)),
    "Masking": (lambda: L.Masking(0.0), (_x(2, 5, 3) * (np.arange(5) != 2)[None, :, None].astype(np.float32),)),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 3, value_dim=2, output_shape=4), (_x(2, 5, 3), _x(2, 4, 3))),
    "Attention": (lambda: L.Attention(use_scale=True, score_mode="concat"), (_x(2, 5, 3), _x(2, 4, 3))),
    "AdditiveAttention": (L.AdditiveAttention, (_x(2, 5, 3), _x(2, 4, 3), _x(2, 4, 3))),
    "Normalization": (lambda: _adapted(L.Normalization(axis=(1, 2))), (_x(3, 2, 4),)),
    "Discretization": (lambda: _then(L.Discretization([-0.5, 0.0, 0.7], output_mode="one_hot"), L.Dense(2)),
                       (_r.integers(-2, 3, (3, 4)),)),  # integer inputs: a bucket index has no gradient
    "CategoryEncoding": (lambda: _then(L.CategoryEncoding(6, output_mode="count"), L.Dense(2)),
                         (_r.integers(0, 6, (3, 4)),)),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.1, l2=0.2), (_x(3, 4),)),
    "Conv1DTranspose": (lambda: L.Conv1DTranspose(3, 3, strides=2, padding="same"), (_x(2, 5, 2),)),
    # the augmentations draw from their own seeded generators: both copies draw the same transformations
    "RandomFlip": (lambda: L.RandomFlip(seed=3), (_x(4, 3, 5, 2),)),
    "RandomContrast": (lambda: L.RandomContrast(0.5, value_range=(-1, 1), seed=3), (_x(3, 4, 5, 2),)),
    "RandomBrightness": (lambda: L.RandomBrightness(0.3, value_range=(-1, 1), seed=3), (_x(3, 4, 5, 2),)),
    "RandomRotation": (lambda: L.RandomRotation(0.2, seed=3), (_x(2, 5, 6, 2),)),
    "RandomZoom": (lambda: L.RandomZoom(0.3, fill_mode="constant", seed=3), (_x(2, 5, 6, 2),)),
    "RandomTranslation": (lambda: L.RandomTranslation(0.2, 0.3, interpolation="nearest", fill_mode="wrap", seed=3),
                          (_x(2, 5, 6, 2),)),
}
ALIASES = {"Convolution2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "Convolution1D",
           "MaxPool1D", "AvgPool1D", "GlobalAvgPool1D", "GlobalMaxPool1D",
           "Convolution2DTranspose", "SeparableConvolution2D", "Convolution1DTranspose"}
NOT_LAYERS = {"Layer", "InputLayer", "KerasTensor"}


def test_the_table_covers_every_layer():
    exported = {n for n, o in vars(L).items() if inspect.isclass(o)}
    assert exported - NOT_LAYERS - ALIASES - set(LAYERS) == set()


def _run(layer, arrays, device):
    xs = [dg.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]
    y = layer(xs if len(xs) > 1 else xs[0], training=True)
    w = dg.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape), device=device)
    (y * w).sum().backward()
    return y, xs


def _inputs(arrays):
    return dg.tensor(arrays[0]) if len(arrays) == 1 else [dg.tensor(a) for a in arrays]


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_on_cuda_matches_cpu(name):
    make, arrays = LAYERS[name]
    cpu, gpu = make(), make()
    cpu(_inputs(arrays))  # build both on the CPU (inference mode: no statistics change)
    gpu(_inputs(arrays))
    gpu.set_weights(cpu.get_weights())
    gpu.to("cuda")
    assert all(w.device.type == "cuda" for w in gpu.weights)
    yc, xc = _run(cpu, arrays, "cpu")
    yg, xg = _run(gpu, arrays, "cuda")
    assert yg.device.type == "cuda" and yg.shape == yc.shape
    np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(xg, xc):
        if b.requires_grad:
            assert a.grad.device.type == "cuda"
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)
    for wc, wg in zip(cpu.get_weights(), gpu.get_weights()):  # moving statistics too
        np.testing.assert_allclose(wg, wc, rtol=1e-5, atol=1e-6)
