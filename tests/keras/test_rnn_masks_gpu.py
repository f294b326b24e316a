"""Masks, returned and initial states and stateful recurrent layers on the GPU: the same weights give
the CPU's predictions and training losses."""
import numpy as np
import pytest

from deepgrad.backend import cupy_module
from deepgrad.keras import Input, Model, Sequential
from deepgrad.keras import layers as L

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]

_r = np.random.default_rng(0)


def _classifier():
    return Sequential([Input((7,), dtype="int32"), L.Embedding(12, 4, mask_zero=True),
                       L.Bidirectional(L.LSTM(3, return_sequences=True)), L.GlobalAveragePooling1D(),
                       L.Dense(1, activation="sigmoid")])


def _seq2seq():
    enc, dec = Input((5, 4)), Input((6, 3))
    x = L.Masking(0.0)(enc)
    _, h, c = L.LSTM(4, return_state=True)(x)
    y = L.GRU(4, return_sequences=True)(dec, initial_state=[h])
    return Model([enc, dec], [L.Dense(2)(y), c])


def _stateful():
    return Sequential([Input(batch_shape=(4, 5, 3)), L.SimpleRNN(3, stateful=True), L.Dense(1)])


def test_masked_classifier_trains_on_cuda_like_cpu():
    ids = _r.integers(1, 12, (8, 7))
    ids[0, 3:] = 0
    ids[4, :2] = 0
    y = (_r.random((8, 1)) > 0.5).astype(np.float32)
    cpu, gpu = _classifier(), _classifier()
    gpu.set_weights(cpu.get_weights())
    gpu.to("cuda")
    losses = []
    for m in (cpu, gpu):
        m.compile("adam", "binary_crossentropy")
        losses.append(m.fit(ids, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    np.testing.assert_allclose(gpu.predict(ids, verbose=0), cpu.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)


def test_states_masks_and_stateful_layers_on_cuda_like_cpu():
    xe, xd = _r.standard_normal((4, 5, 4)).astype(np.float32), _r.standard_normal((4, 6, 3)).astype(np.float32)
    xe[1, 3:] = 0.0
    x = _r.standard_normal((8, 5, 3)).astype(np.float32)
    for make, inputs in ((_seq2seq, [xe, xd]), (_stateful, x)):
        cpu, gpu = make(), make()
        gpu.set_weights(cpu.get_weights())
        gpu.to("cuda")
        for _ in range(2):  # the stateful model's second pass starts from the kept states
            want, got = cpu.predict(inputs, batch_size=4, verbose=0), gpu.predict(inputs, batch_size=4, verbose=0)
            for a, b in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _cells_and_masked_norm():
    i = Input((6,), dtype="int32")
    e = L.BatchNormalization()(L.Embedding(12, 4, mask_zero=True)(i))
    a = L.RNN([L.GRUCell(3), L.LSTMCell(3, dropout=0.2, recurrent_dropout=0.2)], return_sequences=True)(e)
    return Model(i, L.Dense(1)(L.GlobalAveragePooling1D()(a)))


def test_cells_and_masked_batch_norm_train_on_cuda_like_cpu():
    ids = _r.integers(1, 12, (8, 6))
    ids[0, 3:] = 0
    ids[5, 1:] = 0
    y = _r.standard_normal((8, 1)).astype(np.float32)
    cpu, gpu = _cells_and_masked_norm(), _cells_and_masked_norm()
    gpu.set_weights(cpu.get_weights())
    gpu.to("cuda")
    for m in (cpu, gpu):
        m.layers[3].cell.cells[1].dropout = m.layers[3].cell.cells[1].recurrent_dropout = 0.0  # same numbers
        m.compile("adam", "mse")
    losses = [m.fit(ids, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"] for m in (cpu, gpu)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    for a, b in zip(gpu.get_weights(), cpu.get_weights()):  # moving statistics from the masked batches too
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    gpu.layers[3].cell.cells[1].dropout = 0.2  # dropout masks are drawn on the GPU
    gpu.fit(ids, y, batch_size=4, epochs=1, verbose=0)


def test_masked_softmax_on_cuda_like_cpu():
    import deepgrad as dg

    x, m = _r.standard_normal((3, 4, 5)).astype(np.float32), _r.random((4, 5)) > 0.3
    want = L.Softmax()(x, mask=m).numpy()
    got = L.Softmax()(dg.tensor(x, device="cuda"), mask=m)
    assert got.device.type == "cuda"
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
