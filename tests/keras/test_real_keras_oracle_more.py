"""More of deepgrad.keras against real Keras 3 (PyTorch backend): the 1-D, image-reshaping, noise
and merging layers (forward, input gradient, output shape, name), the metric objects, the losses'
label smoothing, the activations by name, and the logs' key order.  Skipped without Keras."""
import contextlib
import io
import re

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import keras as dgk
from tests.keras.real_keras import MARKS, make_x, real  # skips this file without Keras

pytestmark = MARKS

_x = make_x()
_r = np.random.default_rng(1)  # integer draws


LAYER_CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3), _x(2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, strides=2, padding="same", activation="relu"), _x(2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=2, padding="same", dilation_rate=2), _x(2, 8, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), _x(2, 8, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, data_format="channels_first"), _x(2, 3, 9)),
    ("Conv1D", dict(filters=4, kernel_size=3, groups=2, use_bias=False), _x(2, 9, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3), _x(2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same", activation="relu"), _x(2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=2, strides=2), _x(2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=(2, 3), strides=(3, 2), padding="same"), _x(2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=1, strides=3), _x(2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), _x(2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=4, strides=2, padding="same", output_padding=0), _x(2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), _x(2, 3, 4, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, data_format="channels_first"), _x(2, 2, 3, 4)),
    ("DepthwiseConv2D", dict(kernel_size=3), _x(2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same", activation="relu"),
     _x(2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=(2, 3), dilation_rate=2, padding="same", data_format="channels_first"),
     _x(2, 3, 6, 5)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3), _x(2, 6, 5, 3)),
    ("SeparableConv2D", dict(filters=4, kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
     _x(2, 6, 5, 3)),
    ("GroupNormalization", dict(groups=2), _x(2, 3, 3, 4)),
    ("GroupNormalization", dict(groups=4, axis=1, scale=False), _x(2, 4, 5)),
    ("UnitNormalization", {}, _x(3, 4)),
    ("UnitNormalization", dict(axis=[1, 2]), _x(2, 3, 4)),
    ("MaxPooling1D", {}, _x(2, 9, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), _x(2, 8, 3)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), _x(2, 8, 3)),
    ("AveragePooling1D", dict(pool_size=3, padding="same"), _x(2, 7, 3)),
    ("AveragePooling1D", dict(pool_size=3), _x(2, 8, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), _x(2, 8, 6, 2)),
    ("GlobalAveragePooling1D", {}, _x(2, 5, 3)),
    ("GlobalAveragePooling1D", dict(data_format="channels_first"), _x(2, 5, 3)),
    ("GlobalMaxPooling1D", dict(keepdims=True), _x(2, 5, 3)),
    ("UpSampling2D", {}, _x(2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(1, 3), data_format="channels_first"), _x(2, 3, 4, 2)),
    ("UpSampling1D", dict(size=3), _x(2, 3, 2)),
    ("ZeroPadding2D", {}, _x(2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=((1, 2), (0, 3))), _x(2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=(2, 1), data_format="channels_first"), _x(2, 3, 4, 2)),
    ("ZeroPadding1D", dict(padding=(1, 2)), _x(2, 3, 2)),
    ("Cropping2D", dict(cropping=((1, 0), (1, 2))), _x(2, 4, 5, 2)),
    ("Cropping2D", dict(cropping=1), _x(2, 4, 5, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), _x(2, 6, 2)),
    ("Permute", dict(dims=(2, 1)), _x(2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), _x(2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), _x(2, 4)),
    ("Identity", {}, _x(2, 4)),
    ("Rescaling", dict(scale=1 / 255, offset=-1.0), _x(2, 4)),
    ("GaussianNoise", dict(stddev=0.3), _x(2, 4)),  # inference: the identity
    ("SpatialDropout2D", dict(rate=0.5), _x(2, 3, 3, 4)),
    ("SpatialDropout1D", dict(rate=0.5), _x(2, 3, 4)),
]


@pytest.mark.parametrize("name,kw,x", LAYER_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYER_CASES)])
def test_layer_matches_real_keras(name, kw, x):
    real.backend.clear_session()
    dgk.backend.clear_session()
    ref, ours = getattr(real.layers, name)(**kw), getattr(dgk.layers, name)(**kw)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    ours(dg.tensor(x))
    if ref.get_weights():
        ours.set_weights(ref.get_weights())
    xd = dg.tensor(x, requires_grad=True)
    y = ours(xd)
    assert tuple(y.shape) == tuple(yt.shape)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)
    (y * dg.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    shape = (None,) + x.shape[1:]
    assert tuple(ours.compute_output_shape(shape)) == tuple(ref.compute_output_shape(shape))
    assert ours.name == ref.name
    assert ours.count_params() == ref.count_params()


@pytest.mark.parametrize("name", ["Maximum", "Minimum"])
def test_merge_layers_match_real_keras(name):
    a, b, c = _x(3, 4), _x(3, 4), _x(3, 4)
    ref = getattr(real.layers, name)()([torch.tensor(a), torch.tensor(b), torch.tensor(c)])
    ts = [dg.tensor(v, requires_grad=True) for v in (a, b, c)]
    out = getattr(dgk.layers, name)()(ts)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    out.sum().backward()
    assert sum(t.grad.numpy() for t in ts).tolist() == np.ones((3, 4)).tolist()  # each max goes to one input


def test_conv1d_model_trains_like_real_keras():
    def build(lib):
        L = lib.layers
        return lib.Sequential([L.Input((12, 3)), L.Conv1D(4, 3, padding="causal", activation="relu"),
                               L.MaxPooling1D(2), L.Conv1D(5, 2, padding="same"), L.GlobalAveragePooling1D(),
                               L.Dense(3, activation="softmax")])

    real.utils.set_random_seed(0)
    ref = build(real)
    ours = build(dgk)
    ours.set_weights(ref.get_weights())
    x = _x(40, 12, 3)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 40)]
    for m in (ref, ours):
        m.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    h_ref = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"], h_ref["loss"], rtol=2e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert [la.name for la in ours.layers] == [la.name for la in ref.layers]


# -- the logs ------------------------------------------------------------------------------------
def _seq(lib):
    L = lib.layers
    return lib.Sequential([L.Input((8,)), L.Dense(4, activation="relu"), L.Dense(3, activation="softmax")])


def test_log_key_order_matches_real_keras():
    x = _x(40, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 40)]
    out = []
    for lib in (real, dgk):
        lib.backend.clear_session()
        m = _seq(lib)
        m.compile("sgd", "categorical_crossentropy", metrics=["mse", "accuracy", "mae"])
        h = m.fit(x, y, epochs=2, batch_size=16, validation_data=(x, y), verbose=0)
        d = m.evaluate(x, y, verbose=0, return_dict=True)
        values = m.evaluate(x, y, verbose=0)
        t = m.train_on_batch(x, y, return_dict=True)
        out.append((list(h.history), list(d), [d["loss"], d["mse"], d["accuracy"], d["mae"]], values, list(t)))
    (hk, dk, dv, vals, tk), (hk2, dk2, dv2, vals2, tk2) = out
    assert hk2 == hk and dk2 == dk and tk2 == tk
    np.testing.assert_allclose(vals, dv, rtol=1e-6)  # the list: loss, then the metrics in compile order
    np.testing.assert_allclose(vals2, dv2, rtol=1e-6)


def test_verbose_2_line_format_matches_keras():
    x = _x(40, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 40)]
    lines = []
    for lib in (real, dgk):
        m = _seq(lib)
        m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            m.fit(x, y, epochs=1, batch_size=16, verbose=2)
            m.evaluate(x, y, batch_size=16, verbose=2)
        lines.append(buf.getvalue().strip().splitlines())
    pattern = r"^3/3 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$"
    for out in lines:
        assert re.match(pattern, out[-2]) and re.match(pattern, out[-1]), out


# -- metrics, losses, activations ------------------------------------------------------------------
_YT = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], np.float32)
_YP = np.array([[.1, .8, .1], [.3, .3, .4], [.2, .2, .6], [.5, .4, .1]], np.float32)
_YB = (np.random.default_rng(4).random((16, 1)) < 0.5).astype(np.float32)
_PB = np.random.default_rng(5).random((16, 1)).astype(np.float32)
METRIC_CASES = [
    ("Accuracy", {}, np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])),
    ("AUC", {}, _YT, _YP),
    ("AUC", {}, _YB, _PB),
    ("AUC", dict(num_thresholds=20, curve="PR"), _YB, _PB),
    ("AUC", dict(summation_method="minoring"), _YB, _PB),
    ("AUC", dict(from_logits=True), _YB, _PB * 4 - 2),
    ("MeanSquaredError", {}, _YT, _YP),
    ("MeanAbsoluteError", {}, _YT, _YP),
    ("RootMeanSquaredError", {}, _YT, _YP),
    ("MeanAbsolutePercentageError", {}, _YT + 1, _YP),
    ("MeanSquaredLogarithmicError", {}, _YT, _YP),
    ("LogCoshError", {}, _YT, _YP),
    ("CategoricalCrossentropy", {}, _YT, _YP),
    ("CategoricalCrossentropy", dict(from_logits=True, label_smoothing=0.1), _YT, _YP),
    ("SparseCategoricalCrossentropy", {}, _YT.argmax(1), _YP),
    ("BinaryCrossentropy", {}, _YT, _YP),
    ("KLDivergence", {}, _YT, _YP),
    ("Poisson", {}, _YT, _YP),
    ("Hinge", {}, _YT, _YP),
    ("SquaredHinge", {}, _YT, _YP),
    ("CategoricalHinge", {}, _YT, _YP),
    ("CosineSimilarity", {}, _YT, _YP),
    ("Precision", {}, _YT, _YP),
    ("Recall", dict(thresholds=0.3), _YT, _YP),
    ("TopKCategoricalAccuracy", dict(k=2), _YT, _YP),
]


@pytest.mark.parametrize("name,kw,a,b", METRIC_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(METRIC_CASES)])
def test_metric_objects_match_real_keras(name, kw, a, b):
    results = []
    for lib in (real, dgk):
        lib.backend.clear_session()
        m = getattr(lib.metrics, name)(**kw)
        m.update_state(a, b)
        first = float(m.result())
        m.update_state(a[:2], b[:2], sample_weight=np.array([1.0, 0.5]))
        second = float(m.result())
        m.reset_state()
        results.append((first, second, float(m.result()), m.name))
    np.testing.assert_allclose(results[1][:3], results[0][:3], rtol=1e-5, atol=1e-6)
    assert results[1][3] == results[0][3]


def test_sum_metric_matches_real_keras():
    vals = []
    for lib in (real, dgk):
        m = lib.metrics.Sum()
        m.update_state(_YT)
        m.update_state(np.array([1.0, 3.0, 5.0]), sample_weight=np.array([1.0, 0.0, 2.0]))
        vals.append(float(m.result()))
    assert vals[0] == vals[1] == 15.0


def test_metric_objects_in_compile_match_real_keras():
    x = _x(60, 8)
    y = (x[:, :1] > 0).astype(np.float32)
    hist, weights = [], []
    for lib in (real, dgk):
        lib.backend.clear_session()
        L = lib.layers
        m = lib.Sequential([L.Input((8,)), L.Dense(4, activation="tanh"), L.Dense(1, activation="sigmoid")])
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile("sgd", "binary_crossentropy",
                  metrics=[lib.metrics.AUC(), lib.metrics.Precision(), lib.metrics.RootMeanSquaredError()])
        hist.append(m.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0).history)
    assert list(hist[1]) == list(hist[0])
    for k in hist[0]:
        np.testing.assert_allclose(hist[1][k], hist[0][k], rtol=1e-4, atol=1e-6, err_msg=k)


LOSS_CASES = [
    ("CategoricalCrossentropy", dict(from_logits=True, label_smoothing=0.1)),
    ("CategoricalCrossentropy", dict(label_smoothing=0.2)),
    ("BinaryCrossentropy", dict(label_smoothing=0.2)),
    ("BinaryCrossentropy", dict(from_logits=True, label_smoothing=0.3)),
    ("MeanAbsolutePercentageError", {}),
    ("CosineSimilarity", {}),
]


@pytest.mark.parametrize("name,kw", LOSS_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSS_CASES)])
def test_loss_objects_match_real_keras(name, kw):
    r = np.random.default_rng(1)
    logits = r.standard_normal((6, 4)).astype(np.float32)
    if kw.get("from_logits") or name == "CosineSimilarity":
        pred = logits
    elif name.startswith("Binary"):
        pred = 1 / (1 + np.exp(-logits))
    else:
        pred = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    target = np.eye(4, dtype=np.float32)[r.integers(0, 4, 6)]
    if name.startswith("Binary"):
        target = (r.random((6, 4)) < 0.5).astype(np.float32)
    if name == "MeanAbsolutePercentageError":
        target = target + 0.5
    sw = np.arange(6.0) / 3
    pt = torch.tensor(pred, requires_grad=True)
    ref = getattr(real.losses, name)(**kw)(target, pt, sample_weight=sw)
    ref.backward()
    pd = dg.tensor(pred, requires_grad=True)
    loss = getattr(dgk.losses, name)(**kw)(target, pd, sample_weight=sw)
    loss.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-5)
    np.testing.assert_allclose(pd.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert getattr(dgk.losses, name)(**kw).name == getattr(real.losses, name)(**kw).name


def test_label_smoothing_reaches_the_fused_softmax_loss():
    x = _x(30, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 30)]
    losses, weights = [], []
    for lib in (real, dgk):
        m = _seq(lib)
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile("sgd", lib.losses.CategoricalCrossentropy(label_smoothing=0.2))
        losses.append(m.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)


ACTIVATIONS = ["hard_silu", "hard_swish", "celu", "log_sigmoid", "hard_tanh", "tanh_shrink", "soft_shrink",
               "hard_shrink", "squareplus", "sparse_plus", "glu", "mish", "selu", "gelu", "hard_sigmoid"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_by_name_matches_real_keras(name):
    z = np.linspace(-4, 4, 18, dtype=np.float32).reshape(3, 6)
    zt = torch.tensor(z, requires_grad=True)
    ref = real.activations.get(name)(zt)
    zd = dg.tensor(z, requires_grad=True)
    out = dgk.activations.get(name)(zd)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(out.shape)
    (out * dg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(zd.grad.numpy(), zt.grad.numpy(), rtol=1e-5, atol=1e-6)


# -- model API ----------------------------------------------------------------------------------
@pytest.mark.parametrize("loss_weights", [2.0, [0.5], {"dense_1": 3.0}])
def test_single_output_loss_weights_match_real_keras(loss_weights):
    x = _x(30, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 30)]
    out, weights = [], []
    for lib in (real, dgk):
        lib.backend.clear_session()
        m = _seq(lib)
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile("sgd", "categorical_crossentropy", loss_weights=loss_weights)
        h = m.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0).history
        out.append((h["loss"], m.evaluate(x, y, verbose=0)))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=2e-5)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=2e-5)


def test_from_config_and_clone_model_like_real_keras():
    out = []
    for lib in (real, dgk):
        lib.backend.clear_session()
        seq = _seq(lib)
        inp = lib.Input((8,))
        func = lib.Model(inp, lib.layers.Dense(3)(lib.layers.Dense(4, activation="relu")(inp)))
        rebuilt = [lib.Sequential.from_config(seq.get_config()), lib.Model.from_config(func.get_config()),
                   lib.models.clone_model(seq), lib.models.clone_model(func)]
        # (a cloned functional model's Input is renamed 'keras_tensor_<n>' by Keras: names from the first Dense on)
        out.append([([la.name for la in m.layers if "input" not in type(la).__name__.lower()], m.count_params(),
                     tuple(m.output_shape)) for m in rebuilt])
        clone = rebuilt[2]
        assert not all(np.array_equal(a, b) for a, b in zip(clone.get_weights(), seq.get_weights()))
    assert out[1] == out[0]


def test_identity_initializer_matches_real_keras():
    for shape in ((3, 3), (2, 4)):
        np.testing.assert_array_equal(dgk.initializers.Identity(gain=2.0)(shape),
                                      np.asarray(real.initializers.Identity(gain=2.0)(shape)))
    assert isinstance(dgk.initializers.get("identity"), dgk.initializers.Identity)


def _h5_model(lib):
    L = lib.layers
    inp = lib.Input((8, 8, 2))
    h = L.Flatten()(L.BatchNormalization()(L.Conv2D(3, 3, name="c")(inp)))
    h = lib.Sequential([L.Dense(5), L.Dense(4)])(h)
    return lib.Model(inp, L.Dense(2, activation="softmax")(h))


@pytest.mark.parametrize("direction", ["keras_to_deepgrad", "deepgrad_to_keras"])
def test_weights_h5_files_move_between_deepgrad_and_real_keras(tmp_path, direction):
    pytest.importorskip("h5py")
    x = _x(3, 8, 8, 2)
    src_lib, dst_lib = (real, dgk) if direction == "keras_to_deepgrad" else (dgk, real)
    src, dst = _h5_model(src_lib), _h5_model(dst_lib)
    src.layers[2].trainable = dst.layers[2].trainable = False  # a frozen BatchNormalization: same file layout
    src.save_weights(tmp_path / "m.weights.h5")
    dst.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(dst.predict(x, verbose=0), src.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    for a, b in zip(dst.get_weights(), src.get_weights()):
        np.testing.assert_array_equal(a, b)


_HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end"]


def _recorder(lib, events):
    class Recorder(lib.callbacks.Callback):
        pass

    for hook in _HOOKS:
        def record(self, *args, _hook=hook, **kwargs):
            logs = args[-1] if args and isinstance(args[-1], dict) else kwargs.get("logs")
            index = args[0] if args and not isinstance(args[0], dict) else ""
            events.append(f"{_hook}{index}:{sorted(logs or {})}")
        setattr(Recorder, hook, record)
    return Recorder()


def test_callback_hooks_and_logs_match_real_keras():
    x = _x(20, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 20)]
    seen = []
    for lib in (real, dgk):
        events = []
        m = _seq(lib)
        m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
        m.fit(x, y, epochs=2, batch_size=10, validation_data=(x[:10], y[:10]), verbose=0,
              callbacks=[_recorder(lib, events)])
        m.evaluate(x[:10], y[:10], batch_size=5, verbose=0, callbacks=[_recorder(lib, events)])
        seen.append(events)
    assert seen[1] == seen[0]


DOT_CASES = [((2, 3), (2, 3), 1, False), ((2, 4, 3), (2, 5, 3), 2, False), ((2, 4, 3), (2, 4, 5), 1, False),
             ((2, 4, 3), (2, 3, 5), (2, 1), True), ((2, 3), (2, 4, 3), (1, 2), False),
             ((2, 4, 3), (2, 3), (-1, 1), False)]


@pytest.mark.parametrize("sa,sb,axes,normalize", DOT_CASES)
def test_dot_layer_matches_real_keras(sa, sb, axes, normalize):
    a, b = _x(*sa), _x(*sb)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ref = real.layers.Dot(axes, normalize=normalize)([ta, tb])
    da, db = dg.tensor(a, requires_grad=True), dg.tensor(b, requires_grad=True)
    layer = dgk.layers.Dot(axes, normalize=normalize)
    out = layer([da, db])
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(out.shape)
    (out * dg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(da.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db.grad.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-6)
    shapes = [(None,) + sa[1:], (None,) + sb[1:]]
    assert tuple(layer.compute_output_shape(shapes)) == tuple(real.layers.Dot(axes).compute_output_shape(shapes))


def test_feature_extraction_through_layer_outputs_like_real_keras():
    x = _x(5, 8)
    got = []
    for lib in (real, dgk):
        lib.backend.clear_session()
        seq = _seq(lib)
        inp = lib.Input((8,))
        hidden = lib.layers.Dense(4, name="hidden")
        func = lib.Model(inp, lib.layers.Dense(3)(hidden(inp)))
        if got:
            seq.set_weights(got[0][0])
            func.set_weights(got[0][1])
        per_layer = lib.Model(inputs=seq.inputs, outputs=[la.output for la in seq.layers])
        features = lib.Model(inputs=func.input, outputs=func.get_layer("hidden").output)
        got.append((seq.get_weights(), func.get_weights(), per_layer.predict(x, verbose=0),
                    features.predict(x, verbose=0), tuple(func.get_layer("hidden").input.shape),
                    tuple(seq.outputs[0].shape)))
    (_, _, p_ref, f_ref, in_ref, out_ref), (_, _, p, f, in_, out) = got
    for a, b in zip(p, p_ref):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f, f_ref, rtol=1e-5, atol=1e-6)
    assert in_ == in_ref and out == out_ref


METRIC_NAMES = ["mse", "mae", "msle", "cosine_similarity", "kl_divergence", "binary_crossentropy", "bce", "poisson",
                "hinge", "squared_hinge", "categorical_hinge", "auc", "precision", "recall", "categorical_accuracy",
                "binary_accuracy", "root_mean_squared_error", "log_cosh_error", "mean_absolute_percentage_error",
                "top_k_categorical_accuracy"]


def test_metric_names_in_compile_match_real_keras():
    x = _x(40, 8)
    y = np.eye(5, dtype=np.float32)[_r.integers(0, 5, 40)]
    logs, weights = [], []
    for lib in (real, dgk):
        lib.backend.clear_session()
        L = lib.layers
        m = lib.Sequential([L.Input((8,)), L.Dense(5, activation="softmax")])
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile("sgd", "categorical_crossentropy", metrics=METRIC_NAMES)
        logs.append(m.evaluate(x, y, verbose=0, return_dict=True))
    assert list(logs[1]) == list(logs[0])
    for k in logs[0]:
        np.testing.assert_allclose(logs[1][k], logs[0][k], rtol=1e-5, err_msg=k)


RNN_CASES = [("SimpleRNN", dict(units=4)), ("SimpleRNN", dict(units=4, return_sequences=True, activation="relu")),
             ("LSTM", dict(units=4)), ("LSTM", dict(units=4, return_sequences=True, go_backwards=True)),
             ("LSTM", dict(units=3, use_bias=False, recurrent_activation="hard_sigmoid")),
             ("GRU", dict(units=4)), ("GRU", dict(units=4, reset_after=False, return_sequences=True)),
             ("GRU", dict(units=2, go_backwards=True))]


@pytest.mark.parametrize("name,kw", RNN_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(RNN_CASES)])
def test_recurrent_layers_match_real_keras(name, kw):
    real.backend.clear_session()
    dgk.backend.clear_session()
    x = _x(2, 5, 3)
    ref, ours = getattr(real.layers, name)(**kw), getattr(dgk.layers, name)(**kw)
    ref(x)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in ref.get_weights()]
    if kw.get("use_bias", True):  # the initial bias (LSTM: ones for the forget gate)
        np.testing.assert_array_equal(ours.get_weights()[-1], ref.get_weights()[-1])
    weights = [0.5 * _x(*w.shape) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    xd = dg.tensor(x, requires_grad=True)
    y = ours(xd)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)
    (y * dg.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert tuple(ours.compute_output_shape((None, 5, 3))) == tuple(ref.compute_output_shape((None, 5, 3)))
    assert ours.name == ref.name and ours.count_params() == ref.count_params()


def test_text_classifier_with_lstm_trains_like_real_keras():
    ids = _r.integers(0, 20, (30, 7))
    y = (ids.sum(axis=1) > 66).astype(np.float32)
    hist, weights = [], []
    for lib in (real, dgk):
        lib.backend.clear_session()
        L = lib.layers
        m = lib.Sequential([L.Input((7,), dtype="int32"), L.Embedding(20, 4), L.LSTM(5, return_sequences=True),
                            L.GRU(3), L.Dense(1, activation="sigmoid")])
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        hist.append(m.fit(ids, y, batch_size=10, epochs=2, shuffle=False, verbose=0).history)
        hist.append(m.get_weights())
    np.testing.assert_allclose(hist[2]["loss"], hist[0]["loss"], rtol=1e-5)
    for a, b in zip(hist[3], hist[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_lambda_layer_like_real_keras(tmp_path):
    x = _x(4, 6)
    got = []
    for lib in (real, dgk):
        L = lib.layers
        inp = lib.Input((6,))
        half = L.Lambda(lambda t: t[:, :3] * 2.0)(inp)
        both_ = L.Lambda(lambda ts: ts[0] + ts[1])([half, half])
        fixed = L.Lambda(lambda t: t * 1.0, output_shape=(6,))(inp)
        m = lib.Model(inp, [both_, fixed])
        got.append(([tuple(t.shape) for t in m.outputs], [np.asarray(a) for a in m.predict(x, verbose=0)]))
    assert got[1][0] == got[0][0]
    for a, b in zip(got[1][1], got[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(NotImplementedError, match="Lambda 'lambda.*cannot be saved"):
        dgk.Sequential([dgk.Input((6,)), dgk.layers.Lambda(lambda t: t)]).save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def _wrapped(lib, mode, seqs):
    L = lib.layers
    head = L.TimeDistributed(L.Dense(2)) if seqs else L.Dense(2)
    return lib.Sequential([L.Input((5, 4)), L.Bidirectional(L.GRU(3, return_sequences=seqs), merge_mode=mode), head])


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("seqs", [True, False])
def test_bidirectional_and_time_distributed_match_real_keras(mode, seqs):
    x = _x(3, 5, 4)
    real.backend.clear_session()
    dgk.backend.clear_session()
    ref, ours = _wrapped(real, mode, seqs), _wrapped(dgk, mode, seqs)
    weights = [0.5 * _x(*w.shape) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    xd = dg.tensor(x, requires_grad=True)
    y = ours(xd)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert [la.name for la in ours.layers] == [la.name for la in ref.layers]
    bi, bi_ref = ours.layers[0], ref.layers[0]
    assert (bi.forward_layer.name, bi.backward_layer.name) == (bi_ref.forward_layer.name, bi_ref.backward_layer.name)
    assert tuple(ours.output_shape) == tuple(ref.output_shape)


def _rnn_model(lib):
    L = lib.layers
    return lib.Sequential([L.Input((5, 3)), L.Bidirectional(L.LSTM(3, return_sequences=True)),
                           L.TimeDistributed(L.Dense(2)), L.SimpleRNN(2, return_sequences=True), L.GRU(2)])


@pytest.mark.parametrize("direction", ["keras_to_deepgrad", "deepgrad_to_keras"])
def test_weights_h5_of_recurrent_models_move_between_deepgrad_and_real_keras(tmp_path, direction):
    pytest.importorskip("h5py")
    x = _x(2, 5, 3)
    src_lib, dst_lib = (real, dgk) if direction == "keras_to_deepgrad" else (dgk, real)
    src, dst = _rnn_model(src_lib), _rnn_model(dst_lib)
    src.set_weights([0.5 * _x(*w.shape) for w in src.get_weights()])
    src.save_weights(tmp_path / "r.weights.h5")
    dst.load_weights(tmp_path / "r.weights.h5")
    np.testing.assert_allclose(dst.predict(x, verbose=0), src.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


LN_CASES = [({}, (2, 3, 4)), (dict(axis=[1, 2]), (2, 3, 4)), (dict(axis=2), (2, 3, 4)),
            (dict(axis=[-2, -1]), (2, 3, 4, 5)), (dict(rms_scaling=True), (2, 3, 4)),
            (dict(center=False, scale=False), (2, 5)),
            (dict(axis=[1, 3]), (2, 3, 4, 5)), (dict(axis=1, rms_scaling=True, epsilon=0.1), (2, 4, 4))]


@pytest.mark.parametrize("kw,shape", LN_CASES)
def test_layer_normalization_axes_match_real_keras(kw, shape):
    x = _x(*shape)
    ref, ours = real.layers.LayerNormalization(**kw), dgk.layers.LayerNormalization(**kw)
    ref(x)
    ours(x)
    weights = [_x(*w.shape) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    xd = dg.tensor(x, requires_grad=True)
    y = ours(xd)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    w = np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape)
    (y * dg.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_layer_normalization_over_a_middle_axis():
    # Keras 3 on PyTorch normalizes the last axis here instead (its torch fast path); the formula is the reference
    x = _x(2, 3, 3)
    layer = dgk.layers.LayerNormalization(axis=1)
    gamma, beta = _x(3), _x(3)
    layer(x)
    layer.set_weights([gamma, beta])
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-3) * gamma.reshape(1, 3, 1) + beta.reshape(1, 3, 1)
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-5, atol=1e-5)


SCHEDULES = [("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5)),
             ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.5, staircase=True)),
             ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.7, staircase=True)),
             ("PiecewiseConstantDecay", dict(boundaries=[2, 5], values=[0.1, 0.05, 0.01])),
             ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, power=2.0)),
             ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=3, cycle=True)),
             ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=5, alpha=0.1)),
             ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=5, warmup_target=0.1, warmup_steps=3))]


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SCHEDULES)])
def test_learning_rate_schedules_match_real_keras(name, kw, tmp_path):
    ref = getattr(real.optimizers.schedules, name)(**kw)
    ours = getattr(dgk.optimizers.schedules, name)(**kw)
    steps = range(12)
    np.testing.assert_allclose([float(ours(s)) for s in steps], [float(ref(s)) for s in steps], rtol=1e-6)
    x = _x(40, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 40)]
    out, weights = [], []
    for lib in (real, dgk):
        m = _seq(lib)
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile(lib.optimizers.SGD(getattr(lib.optimizers.schedules, name)(**kw), momentum=0.5),
                  "categorical_crossentropy")
        out.append(m.fit(x, y, batch_size=5, epochs=1, shuffle=False, verbose=0).history["loss"])
        out.append(m.get_weights())
    np.testing.assert_allclose(out[2], out[0], rtol=1e-5)
    for a, b in zip(out[3], out[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    m.save(tmp_path / "s.keras")  # the schedule is saved with the optimizer and comes back
    again = dgk.models.load_model(tmp_path / "s.keras")
    assert type(again.optimizer._schedule).__name__ == name
    assert again.optimizer._schedule.get_config() == ours.get_config()


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_with_a_changing_learning_rate_matches_real_keras(nesterov):
    x = _x(40, 8)
    y = np.eye(3, dtype=np.float32)[_r.integers(0, 3, 40)]
    out, weights = [], []
    for lib in (real, dgk):
        m = _seq(lib)
        if weights:
            m.set_weights(weights)
        weights = m.get_weights()
        m.compile(lib.optimizers.SGD(0.2, momentum=0.9, nesterov=nesterov), "categorical_crossentropy")
        halve = lib.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
        out.append(m.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[halve]).history["loss"])
        out.append(m.get_weights())
    np.testing.assert_allclose(out[2], out[0], rtol=1e-5)
    for a, b in zip(out[3], out[1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kw", [{}, dict(maxlen=3), dict(maxlen=4, padding="post"), dict(maxlen=2, truncating="post"),
                                dict(maxlen=5, padding="post", truncating="post", value=-1), dict(dtype="float32")])
def test_pad_sequences_matches_real_keras(kw):
    seqs = [[1, 2, 3, 4], [5], [], [6, 7, 8]]
    want = real.utils.pad_sequences(seqs, **kw)
    got = dgk.utils.pad_sequences(seqs, **kw)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
