"""The 1-D, image-reshaping, noise and core layers: training-only noise, errors that name the layer,
save/load round trips (values against real Keras are in test_real_keras_oracle_more.py)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from deepgrad.keras import layers, metrics, optimizers
from deepgrad.keras.models import Model, Sequential, load_model

_r = np.random.default_rng(0)


def _x(*shape):
    return _r.standard_normal(shape).astype(np.float32)


def test_gaussian_noise_only_in_training():
    x = np.zeros((400, 50), np.float32)
    layer = layers.GaussianNoise(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert abs(float(y.std()) - 0.5) < 0.02 and abs(float(y.mean())) < 0.02


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 5, 5, 16), np.float32)
    y = layers.SpatialDropout2D(0.5)(x, training=True).numpy()
    per_channel = y.reshape(8, 25, 16)
    assert np.all(per_channel.min(axis=1) == per_channel.max(axis=1))  # a channel is all kept or all dropped
    assert set(np.unique(y)) == {0.0, 2.0}
    y1 = layers.SpatialDropout1D(0.5)(np.ones((8, 7, 16), np.float32), training=True).numpy()
    assert np.all(y1.min(axis=1) == y1.max(axis=1))
    np.testing.assert_array_equal(layers.SpatialDropout2D(0.5)(x).numpy(), x)


@pytest.mark.parametrize("make,shape,words", [
    (lambda: layers.Conv1D(4, 3), (2, 5, 5, 3), ["Conv1D", "3-D"]),
    (lambda: layers.MaxPooling1D(), (2, 5), ["MaxPooling1D", "3-D"]),
    (lambda: layers.GlobalAveragePooling1D(), (2, 5, 5, 1), ["GlobalAveragePooling1D", "3-D"]),
    (lambda: layers.UpSampling2D(), (2, 5, 3), ["UpSampling2D", "4-D"]),
    (lambda: layers.Cropping2D(3), (2, 5, 5, 1), ["Cropping2D", "leaves nothing"]),
    (lambda: layers.Permute((2, 1)), (2, 3, 4, 5), ["Permute", "3-D"]),
    (lambda: layers.RepeatVector(2), (2, 3, 4), ["RepeatVector", "2-D"]),
])
def test_wrong_input_rank_names_the_layer(make, shape, words):
    with pytest.raises(ValueError) as info:
        make()(np.zeros(shape, np.float32))
    for w in words:
        assert w in str(info.value)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="padding"):
        layers.Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match="rate"):
        layers.SpatialDropout2D(1.5)
    with pytest.raises(NotImplementedError, match="bilinear"):
        layers.UpSampling2D(interpolation="bilinear")


def test_conv1d_weights_in_keras_layout():
    conv = layers.Conv1D(5, 3)
    conv(_x(2, 7, 4))
    kernel, bias = conv.get_weights()
    assert kernel.shape == (3, 4, 5) and bias.shape == (5,)
    # output step 0, filter f = sum over taps and channels of x[t, c] * kernel[t, c, f]
    x = _x(1, 3, 4)
    y = conv(x).numpy()
    np.testing.assert_allclose(y[0, 0], np.einsum("tc,tcf->f", x[0], kernel) + bias, rtol=1e-5, atol=1e-6)


def test_new_layers_round_trip_through_save(tmp_path):
    model = Sequential([
        layers.Input((16, 3)), layers.Conv1D(4, 3, padding="causal", activation="relu"),
        layers.ZeroPadding1D((1, 1)), layers.Cropping1D((1, 1)), layers.UpSampling1D(2),
        layers.SpatialDropout1D(0.1), layers.GaussianNoise(0.1), layers.MaxPooling1D(2),
        layers.AveragePooling1D(2, padding="same"), layers.Permute((2, 1)), layers.Permute((2, 1)),
        layers.GlobalMaxPooling1D(), layers.RepeatVector(2), layers.GlobalAveragePooling1D(),
        layers.Rescaling(0.5, offset=0.1), layers.Identity(), layers.UnitNormalization(),
        layers.Reshape((2, 2)), layers.GroupNormalization(groups=2), layers.LayerNormalization(axis=[1, 2]),
        layers.Flatten(), layers.Dense(2, activation="softmax")])
    x = _x(6, 16, 3)
    y = np.eye(2, dtype=np.float32)[_r.integers(0, 2, 6)]
    model.compile("adam", "categorical_crossentropy", metrics=[metrics.AUC(), "accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "seq.keras")
    loaded = load_model(tmp_path / "seq.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(la).__name__ for la in loaded.layers] == [type(la).__name__ for la in model.layers]
    assert [la.get_config() for la in loaded.layers] == [la.get_config() for la in model.layers]


def test_image_layers_round_trip_functional(tmp_path):
    inp = layers.Input((6, 6, 2))
    a = layers.ZeroPadding2D(((1, 2), (0, 1)))(inp)
    a = layers.Cropping2D(((1, 2), (0, 1)))(a)
    b = layers.UpSampling2D(2)(layers.MaxPooling2D(2)(inp))
    b = layers.SpatialDropout2D(0.2)(b)
    c = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(layers.MaxPooling2D(2)(inp))
    out = layers.Maximum()([a, b, c])
    d = layers.SeparableConv2D(2, 3, padding="same")(layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(inp))
    out = layers.Minimum()([out, layers.Conv2D(2, 1, padding="same")(inp), d])
    pooled = layers.GlobalAveragePooling2D()(out)
    out = layers.Dense(1)(layers.Concatenate()([pooled, layers.Dot(1, normalize=True)([pooled, pooled])]))
    model = Model(inp, out)
    x = _x(3, 6, 6, 2)
    model.save(tmp_path / "f.keras")
    loaded = load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_noise_layers_draw_on_the_gpu():
    x = dg.tensor(np.ones((4, 3, 3, 8), np.float32), device="cuda")
    for layer in (layers.GaussianNoise(0.3), layers.SpatialDropout2D(0.5)):
        y = layer(x, training=True)
        assert y.device.type == "cuda" and not np.allclose(y.numpy(), 1.0)


def test_model_from_json_and_wrong_input_names_the_first_layer():
    from deepgrad.keras.models import model_from_json

    model = Sequential([layers.Input((8,)), layers.Dense(4, name="hidden"), layers.Dense(2)])
    again = model_from_json(model.to_json())
    assert [la.name for la in again.layers] == ["hidden", model.layers[1].name]
    with pytest.raises(ValueError, match=r"expected input of shape \(None, 8\), got data of shape \(2, 7\).*'hidden'"):
        model.predict(np.zeros((2, 7), np.float32), verbose=0)


def test_loss_weights_are_saved(tmp_path):
    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    model.compile("sgd", "mse", loss_weights=[3.0])
    x, y = _x(5, 4), _x(5, 2)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    plain = Sequential([layers.Input((4,)), layers.Dense(2)])
    plain.set_weights(model.get_weights())
    plain.compile("sgd", "mse")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(3 * plain.evaluate(x, y, verbose=0))
    with pytest.raises(NotImplementedError, match="multi-output"):
        model.compile("sgd", "mse", loss_weights=[1.0, 2.0])


def test_summary_connected_to_names_node_and_tensor_like_keras():
    inp = layers.Input((4,))
    shared = layers.Dense(4, name="shared")
    out = layers.Add(name="add")([shared(inp), shared(shared(inp))])
    lines = []
    Model(inp, out).summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "input_layer[0][0]" in text and "shared[0][0], shared[2][0]" in text.replace("\n", " ")


def test_weights_h5_refuses_mismatches_before_changing_anything(tmp_path):
    pytest.importorskip("h5py")
    small = Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    small.save_weights(tmp_path / "s.weights.h5")
    other = Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(5)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"'dense_3'.*shape \(3, 5\).*\(3, 2\).*layers/dense_1"):
        other.load_weights(tmp_path / "s.weights.h5")
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    deeper = Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2), layers.Dense(2)])
    with pytest.raises(ValueError, match="has 2 weights, the file has 0"):
        deeper.load_weights(tmp_path / "s.weights.h5")
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        small.load_weights(tmp_path / "junk.weights.h5")
    same = Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    same.load_weights(tmp_path / "s.weights.h5")
    for a, b in zip(same.get_weights(), small.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_writes_keras_weights_h5(tmp_path):
    pytest.importorskip("h5py")
    from deepgrad.keras import callbacks

    model = Sequential([layers.Input((4,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.weights.h5"), save_weights_only=True)
    model.fit(_x(8, 4), _x(8, 2), epochs=2, verbose=0, callbacks=[ckpt])
    fresh = Sequential([layers.Input((4,)), layers.Dense(2)])
    fresh.load_weights(tmp_path / "w-02.weights.h5")
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_layer_output_errors_before_a_symbolic_call():
    dense = layers.Dense(3)
    with pytest.raises(AttributeError, match="Dense 'dense' has never been called"):
        _ = dense.output
    dense(np.zeros((2, 4), np.float32))  # an eager call makes no symbolic node
    with pytest.raises(AttributeError, match="no input tensor"):
        _ = dense.input
    model = Sequential([layers.Dense(2), layers.Dense(1)])
    assert model.inputs is None
    model.predict(np.zeros((3, 5), np.float32), verbose=0)  # built from the data: the graph exists now
    assert model.inputs[0].shape == (None, 5) and model.layers[1].output.shape == (None, 1)
    model.add(layers.Dense(4))  # a rebuild replaces the nodes instead of piling them up
    model.build((None, 5))
    assert len(model.layers[0]._nodes) == 1 and model.outputs[0].shape == (None, 4)


def test_label_format_errors_suggest_the_matching_loss():
    x = _x(6, 4)
    onehot = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    model = Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"y_true of shape \(6,\).*sparse_categorical_crossentropy"):
        model.fit(x, onehot.argmax(1), verbose=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"labels of shape \(6, 3\).*loss='categorical_crossentropy'"):
        model.fit(x, onehot, verbose=0)


def test_recurrent_layers_round_trip_and_dropout(tmp_path):
    model = Sequential([layers.Input((6, 3)), layers.SimpleRNN(4, return_sequences=True),
                        layers.GRU(4, return_sequences=True, reset_after=False, dropout=0.2),
                        layers.Bidirectional(layers.LSTM(2, return_sequences=True), merge_mode="sum"),
                        layers.TimeDistributed(layers.Dense(3)),
                        layers.LSTM(2, recurrent_dropout=0.3, go_backwards=True), layers.Dense(1)])
    x = _x(5, 6, 3)
    model.save(tmp_path / "rnn.keras")
    loaded = load_model(tmp_path / "rnn.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    a, b = model(x, training=True).numpy(), model(x, training=True).numpy()
    assert not np.allclose(a, b)  # dropout masks in training
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    with pytest.raises(ValueError, match=r"LSTM 'lstm_\d+'.*3-D input"):
        layers.LSTM(3)(np.zeros((2, 3), np.float32))


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: optimizers.Nadam(0.01),
    lambda: optimizers.Adamax(0.01),
    lambda: optimizers.Adadelta(1.0),
])
def test_keras_update_rules_train_on_the_gpu_like_the_cpu(make):
    x, y = _x(32, 6), _x(32, 2)
    runs = []
    for device in ("cpu", "cuda"):
        model = Sequential([layers.Input((6,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
        if runs:
            model.set_weights(runs[0][1])
        start = model.get_weights()
        model.to(device)
        model.compile(make(), "mse")
        hist = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
        runs.append((hist, start, model.get_weights()))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-5)
    for a, b in zip(runs[1][2], runs[0][2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_new_metrics_read_gpu_arrays():
    cp = cupy_module()
    rng = np.random.default_rng(3)
    y_true = (rng.random((20, 1)) < 0.5).astype(np.float32)
    y_pred = rng.random((20, 1)).astype(np.float32)
    for make in (metrics.AUC, lambda: metrics.AUC(curve="PR"), metrics.RootMeanSquaredError, metrics.Accuracy,
                 metrics.BinaryCrossentropy, metrics.CosineSimilarity):
        cpu, gpu = make(), make()
        cpu.update_state(y_true, y_pred)
        gpu.update_state(cp.asarray(y_true), cp.asarray(y_pred))
        assert gpu.result() == pytest.approx(cpu.result(), rel=1e-5)
    s = metrics.Sum()
    s.update_state(cp.asarray(y_pred), sample_weight=cp.asarray(y_true[:, 0]))
    assert s.result() == pytest.approx(float((y_pred[:, 0] * y_true[:, 0]).sum()), rel=1e-5)
