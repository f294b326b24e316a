"""deepgrad.keras's attention and preprocessing layers against real Keras 3 (PyTorch backend):
MultiHeadAttention, Attention, AdditiveAttention, Normalization, Discretization, CategoryEncoding,
ActivityRegularization and Conv1DTranspose -- outputs and input gradients on copied weights, masks,
functional models, a few fit steps, config and ``.keras`` round trips, and the errors.  Skipped without Keras."""

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import keras as dgk
from deepgrad.keras import layers as L
from tests.keras.real_keras import MARKS, make_x, real  # skips this file without Keras

pytestmark = MARKS

_x = make_x()
_r = np.random.default_rng(1)  # integer draws


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _close(a, b, tol=1e-5):
    a, b = _np(a) if not isinstance(a, np.ndarray) else a, _np(b) if not isinstance(b, np.ndarray) else b
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _pair(name, kwargs, inputs, call_kwargs=None, list_call=False):
    """The same layer in Keras and deepgrad, built on ``inputs``, deepgrad given Keras's weights (perturbed)."""
    call_kwargs = call_kwargs or {}
    k, d = getattr(real.layers, name)(**kwargs), getattr(L, name)(**kwargs)
    if list_call:
        k(list(inputs), **call_kwargs)
        d(list(inputs), **call_kwargs)
    else:
        k(*inputs, **call_kwargs)
        d(*inputs, **call_kwargs)
    weights = [w + 0.2 * _r.standard_normal(w.shape).astype(w.dtype) for w in k.get_weights()]
    k.set_weights(weights)
    assert [w.shape for w in d.get_weights()] == [w.shape for w in weights]
    d.set_weights(weights)
    return k, d


def _forward_backward(k, d, inputs, call_kwargs=None, list_call=False, grad_inputs=(0,)):
    """Outputs (and scores) and the input gradients of sum(out * w) agree."""
    call_kwargs = call_kwargs or {}
    tin = [torch.tensor(a, requires_grad=i in grad_inputs) if a.dtype.kind == "f" else torch.tensor(a)
           for i, a in enumerate(inputs)]
    din = [dg.tensor(a, requires_grad=i in grad_inputs) if a.dtype.kind == "f" else dg.tensor(a)
           for i, a in enumerate(inputs)]
    yk = k(tin, **call_kwargs) if list_call else k(*tin, **call_kwargs)
    yd = d(din, **call_kwargs) if list_call else d(*din, **call_kwargs)
    yk, yd = (list(yk), list(yd)) if isinstance(yk, tuple) else ([yk], [yd])
    assert len(yk) == len(yd)
    for a, b in zip(yd, yk):
        _close(a, b)
    w = _x(*yk[0].shape)
    (yk[0] * torch.tensor(w)).sum().backward()
    (yd[0] * dg.tensor(w)).sum().backward()
    for i in grad_inputs:
        _close(din[i].grad, tin[i].grad)


# -- MultiHeadAttention --------------------------------------------------------------------------------
_Q, _V, _K = _x(2, 5, 6), _x(2, 4, 6), _x(2, 4, 7)
_AM = _r.integers(0, 2, (2, 5, 4)).astype(bool)
_AM[:, :, 0] = True
_AM0 = _AM.copy()
_AM0[0, 1] = False  # a query position that sees nothing: Keras zeroes its weights when it returns scores

MHA_CASES = [
    (dict(num_heads=3, key_dim=4), (_Q, _V), {}),
    (dict(num_heads=2, key_dim=3, value_dim=5, output_shape=4), (_Q, _V), {}),
    (dict(num_heads=2, key_dim=3, use_bias=False), (_Q, _V, _K), {}),
    (dict(num_heads=2, key_dim=3), (_Q, _V), {"use_causal_mask": True}),
    (dict(num_heads=2, key_dim=3), (_Q, _V), {"attention_mask": _AM}),
    (dict(num_heads=2, key_dim=3), (_Q, _V), {"attention_mask": _AM0, "return_attention_scores": True}),
    (dict(num_heads=2, key_dim=3, dropout=0.5), (_Q, _V), {"attention_mask": _AM0, "use_causal_mask": True,
                                                           "return_attention_scores": True}),
    (dict(num_heads=2, key_dim=3), (_Q, _Q), {"use_causal_mask": True, "return_attention_scores": True}),
    (dict(num_heads=2, key_dim=3, sliding_window=2), (_Q, _Q), {}),
    (dict(num_heads=2, key_dim=3), (_x(2, 3, 4, 5), _x(2, 3, 4, 5)), {}),
    (dict(num_heads=2, key_dim=3, attention_axes=(2,)), (_x(2, 3, 4, 5), _x(2, 3, 4, 5)),
     {"return_attention_scores": True}),
    (dict(num_heads=2, key_dim=3, attention_axes=(1, 2)), (_x(2, 3, 4, 5), _x(2, 3, 2, 5)),
     {"return_attention_scores": True}),
]


@pytest.mark.parametrize("kwargs, inputs, call_kwargs", MHA_CASES)
def test_multi_head_attention_matches_keras(kwargs, inputs, call_kwargs):
    k, d = _pair("MultiHeadAttention", kwargs, inputs, call_kwargs)
    assert [w.path.split("/", 1)[1] for w in k.weights] == [n.split("/", 1)[1] for n in d.weight_names()]
    assert tuple(d.get_config()["attention_axes"]) == tuple(k.get_config()["attention_axes"])
    _forward_backward(k, d, inputs, call_kwargs, grad_inputs=tuple(range(len(inputs))))


def _transformer(mod, causal, scores=False):
    inp = mod.Input((6,), dtype="int32")
    e = mod.layers.Embedding(10, 8, mask_zero=True)(inp)
    out = mod.layers.MultiHeadAttention(2, 4)(e, e, use_causal_mask=causal, return_attention_scores=scores)
    if scores:
        out, s = out
    x = mod.layers.LayerNormalization()(mod.layers.Add()([e, out]))
    y = mod.layers.Dense(3, activation="softmax")(mod.layers.GlobalAveragePooling1D()(x))
    return mod.Model(inp, [y, s] if scores else y)


@pytest.mark.parametrize("causal", [False, True])
def test_mha_transformer_block_with_padding_masks_fits_like_keras(causal, tmp_path):
    ids = _r.integers(1, 10, (8, 6))
    ids[0, 4:] = 0
    ids[3, 2:] = 0
    labels = _r.integers(0, 3, 8)
    km, dm = _transformer(real, causal), _transformer(dgk, causal)
    dm.set_weights(km.get_weights())
    _close(dm.predict(ids, verbose=0), km.predict(ids, verbose=0))
    km.compile(optimizer=real.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    dm.compile(optimizer=dgk.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    hk = km.fit(ids, labels, epochs=3, batch_size=4, verbose=0, shuffle=False).history["loss"]
    hd = dm.fit(ids, labels, epochs=3, batch_size=4, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(hd, hk, rtol=1e-5)
    _close(dm.predict(ids, verbose=0), km.predict(ids, verbose=0))
    dm.save(tmp_path / "m.keras")
    back = dgk.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(ids, verbose=0), dm.predict(ids, verbose=0))


def test_mha_scores_output_in_a_saved_functional_model(tmp_path):
    ids = _r.integers(0, 10, (4, 6))
    km, dm = _transformer(real, True, scores=True), _transformer(dgk, True, scores=True)
    dm.set_weights(km.get_weights())
    assert dm.outputs[1].shape == (None, 2, 6, 6)
    (yd, sd), (yk, sk) = dm.predict(ids, verbose=0), km.predict(ids, verbose=0)
    _close(yd, yk)
    _close(sd, sk)
    dm.save(tmp_path / "m.keras")
    back = dgk.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(ids, verbose=0)[1], sd)


def test_mha_config_round_trip_and_keys():
    k = real.layers.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, output_shape=(5,), name="m")
    d = L.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, output_shape=(5,), name="m")
    kc, dc = k.get_config(), d.get_config()
    assert set(kc) == set(dc)
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "sliding_window", "seed"):
        assert dc[key] == kc[key]
    assert tuple(dc["output_shape"]) == tuple(kc["output_shape"])
    again = L.MultiHeadAttention.from_config(dc)
    assert again.get_config() == dc
    for shapes in [((None, 5, 6), (None, 4, 6)), ((None, 5, 6), (None, 4, 6), (None, 4, 3))]:
        assert d.compute_output_shape(*shapes) == tuple(k.compute_output_shape(*shapes))


def test_mha_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        L.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="key_dim"):
        L.MultiHeadAttention(2, -1)
    mha = L.MultiHeadAttention(2, 3, name="att")
    with pytest.raises(TypeError, match="'att'.*missing the value"):
        mha(_Q)
    with pytest.raises(ValueError, match="'att'.*value and key.*\\(None, 4, 6\\).*\\(None, 3, 7\\)"):
        mha(_Q, _V, _x(2, 3, 7))
    mha = L.MultiHeadAttention(2, 3, name="att2")
    mha(_Q, _V)
    with pytest.raises(ValueError, match="'att2'.*query has 5 features.*built for 6"):
        mha(_x(2, 5, 5), _V)
    with pytest.raises(ValueError, match="'att2'.*attention_mask of shape \\(2, 3, 4\\)"):
        mha(_Q, _V, attention_mask=np.ones((2, 3, 4), bool))
    with pytest.raises(TypeError, match="mixes symbolic inputs"):
        L.MultiHeadAttention(2, 3)(dgk.Input((5, 6)), _V)
    with pytest.raises(ValueError, match="'att2'.*rank-3 inputs.*\\(2, 6\\)"):
        mha(_Q, _V[:, 0])


def test_mha_fully_masked_query_row_is_uniform_as_keras():
    """Keras's fused path (no scores, no dropout, 3-D inputs) gives a row that sees nothing the mean of the
    values; its query gradient there is 0 in deepgrad (torch's fused kernel gives rounding noise)."""
    k, d = _pair("MultiHeadAttention", dict(num_heads=2, key_dim=3), (_Q, _V), {"attention_mask": _AM0})
    _close(d(_Q, _V, attention_mask=_AM0), k(_Q, _V, attention_mask=_AM0))


def test_mha_dropout_only_in_training():
    mha = L.MultiHeadAttention(2, 3, dropout=0.5)
    a = mha(_Q, _V).numpy()
    np.testing.assert_array_equal(mha(_Q, _V, training=False).numpy(), a)
    _, s = mha(_Q, _V, return_attention_scores=True, training=True)  # scores are before the dropout
    np.testing.assert_allclose(s.numpy().sum(-1), 1.0, rtol=1e-5)
    assert not np.allclose(mha(_Q, _V, training=True).numpy(), a)


# -- Attention, AdditiveAttention ------------------------------------------------------------------------
_AQ, _AV, _AK = _x(2, 5, 4), _x(2, 3, 4), _x(2, 3, 4)
_QM = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
_VM = np.array([[1, 1, 0], [1, 0, 0]], bool)
ATT_CASES = [
    ("Attention", {}, {}),
    ("Attention", {"use_scale": True}, {"use_causal_mask": True}),
    ("Attention", {"score_mode": "concat"}, {"mask": [_QM, _VM]}),
    ("Attention", {"score_mode": "concat", "use_scale": True}, {"mask": [_QM, _VM], "return_attention_scores": True}),
    ("Attention", {"use_scale": True}, {"mask": [_QM, _VM], "use_causal_mask": True, "return_attention_scores": True}),
    ("AdditiveAttention", {}, {}),
    ("AdditiveAttention", {"use_scale": False}, {"mask": [_QM, _VM], "return_attention_scores": True}),
    ("AdditiveAttention", {}, {"use_causal_mask": True, "mask": [None, _VM]}),
]


@pytest.mark.parametrize("name, kwargs, call_kwargs", ATT_CASES)
@pytest.mark.parametrize("with_key", [False, True])
def test_attention_layers_match_keras(name, kwargs, call_kwargs, with_key):
    inputs = (_AQ, _AV, _AK) if with_key else (_AQ, _AV)
    k, d = _pair(name, kwargs, inputs, list_call=True)
    _forward_backward(k, d, inputs, call_kwargs, list_call=True, grad_inputs=tuple(range(len(inputs))))
    kc, dc = k.get_config(), d.get_config()
    assert set(kc) == set(dc) and all(dc[key] == kc[key] for key in set(kc) - {"dtype", "name"})


def test_attention_dropout_in_training_scores_after_dropout():
    att = L.Attention(dropout=0.5)
    out, s = att([_AQ, _AV], return_attention_scores=True, training=True)
    np.testing.assert_allclose(out.numpy(), s.numpy() @ _AV, rtol=1e-5, atol=1e-6)  # Keras: the dropped weights
    assert (s.numpy() == 0).any()
    out, s = att([_AQ, _AV], return_attention_scores=True)
    np.testing.assert_allclose(s.numpy().sum(-1), 1.0, rtol=1e-6)


def test_attention_scores_and_causal_options_survive_save(tmp_path):
    def build(mod):
        a, b = mod.Input((5, 4)), mod.Input((3, 4))
        o, s = mod.layers.Attention(use_scale=True)([a, b], return_attention_scores=True, use_causal_mask=True)
        return mod.Model([a, b], [o, s])

    km, dm = build(real), build(dgk)
    dm.set_weights([np.array(1.7, np.float32)])
    km.set_weights([np.array(1.7, np.float32)])
    assert dm.get_weights()[0].shape == ()
    (od, sd), (ok, sk) = dm.predict([_AQ, _AV], verbose=0), km.predict([_AQ, _AV], verbose=0)
    _close(od, ok)
    _close(sd, sk)
    dm.save(tmp_path / "a.keras")
    back = dgk.models.load_model(tmp_path / "a.keras")
    np.testing.assert_array_equal(back.predict([_AQ, _AV], verbose=0)[1], sd)


def test_attention_errors():
    with pytest.raises(ValueError, match="score_mode must be one of 'dot', 'concat'"):
        L.Attention(score_mode="add")
    with pytest.raises(ValueError, match="'att'.*list of inputs"):
        L.Attention(name="att")(_AQ)
    with pytest.raises(ValueError, match="'att'.*2 or 3 inputs.*got 1"):
        L.Attention(name="att")([_AQ])
    with pytest.raises(ValueError, match="query and key must have the same last dimension.*\\(None, 5, 4\\)"):
        L.Attention()([_AQ, _x(2, 3, 6)])
    att = L.AdditiveAttention(name="add")
    att([_AQ, _AV])
    with pytest.raises(ValueError, match="'add'.*same number of steps.*\\(2, 3, 4\\).*\\(2, 2, 4\\)"):
        att([_AQ, _AV, _AK[:, :2]])
    with pytest.raises(ValueError, match="'add'.*query and key must have the same last dimension"):
        att([_x(2, 5, 3), _AV])


# -- Normalization -------------------------------------------------------------------------------------
_NX = (_x(20, 3, 4) * 3 + 1).astype(np.float32)


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_adapt_matches_keras(axis, invert):
    k, d = real.layers.Normalization(axis=axis, invert=invert), L.Normalization(axis=axis, invert=invert)
    k.adapt(_NX)
    d.adapt(_NX)
    assert [w.shape for w in d.get_weights()] == [w.shape for w in k.get_weights()]
    for a, b in zip(d.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    _close(d(_NX), k(_NX), 2e-5)
    batched = L.Normalization(axis=axis, invert=invert)  # Keras needs TensorFlow for this: same statistics
    batched.adapt(iter([(_NX[i:i + 6], None) for i in range(0, 20, 6)]))
    _close(batched(_NX), k(_NX), 2e-5)


@pytest.mark.parametrize("mean, variance", [(2.0, 4.0), ([1.0, 2.0, 3.0, 4.0], [1.0, 4.0, 9.0, 0.0])])
def test_normalization_given_statistics_match_keras(mean, variance):
    k, d = real.layers.Normalization(mean=mean, variance=variance), L.Normalization(mean=mean, variance=variance)
    _close(d(_NX), k(_NX))
    assert d.get_weights() == [] == k.get_weights()
    kc, dc = k.get_config(), d.get_config()
    assert (dc["mean"], dc["variance"], dc["invert"]) == (kc["mean"], kc["variance"], kc["invert"])
    assert set(kc) == set(dc)


def test_normalization_input_gradient_and_saved_model(tmp_path):
    x = _x(16, 5) * 2 + 3
    norm = L.Normalization()
    norm.adapt(x)
    t = dg.tensor(x, requires_grad=True)
    norm(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.broadcast_to(1 / x.std(0), x.shape), rtol=1e-5)
    model = dgk.Sequential([dgk.Input((5,)), norm, L.Dense(2)])
    model.save(tmp_path / "n.keras")
    back = dgk.models.load_model(tmp_path / "n.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert len(back.layers[0].get_weights()) == 3


def test_normalization_broadcasts_statistics_like_keras():
    x = _x(10, 6) * 2 + 1
    k, d = real.layers.Normalization(), L.Normalization()
    k.adapt(x)
    d.adapt(x)
    seq = _x(3, 5, 6)  # adapted on (batch, 6), applied to (batch, steps, 6)
    _close(d(seq), k(seq))


def test_normalization_errors():
    with pytest.raises(ValueError, match="both mean and variance must be set"):
        L.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        L.Normalization(mean=[1.0, 2.0], variance=[1.0])
    norm = L.Normalization(name="nm")
    norm.adapt(_x(10, 4))
    with pytest.raises(ValueError, match="'nm'.*adapt.*built for input shape \\(None, 4\\).*\\(10, 3\\)"):
        norm.adapt(_x(10, 3))
    with pytest.raises(ValueError, match="'nm'.*inputs of shape \\(2, 3\\)"):
        norm(_x(2, 3))
    with pytest.raises(ValueError, match="empty iterable"):
        L.Normalization().adapt([])


# -- Discretization, CategoryEncoding ------------------------------------------------------------------
_D = _x(50, 3)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_matches_keras(mode):
    bins = [-1.0, 0.0, 0.5]
    _close(L.Discretization(bin_boundaries=bins, output_mode=mode)(_D[:4]),
           real.layers.Discretization(bin_boundaries=bins, output_mode=mode)(_D[:4]))
    k, d = real.layers.Discretization(num_bins=4, output_mode=mode), L.Discretization(num_bins=4, output_mode=mode)
    k.update_state(_D)  # Keras's adapt() wants TensorFlow; this is its body
    k.finalize_state()
    d.adapt(_D)
    np.testing.assert_allclose(d.bin_boundaries, k.bin_boundaries, rtol=1e-6)
    yd, yk = d(_D), k(_D)
    assert str(yd.dtype).endswith("int32" if mode == "int" else "float32")
    _close(yd, yk)
    assert tuple(d.compute_output_shape((None, 3))) == tuple(k.compute_output_shape((None, 3)))
    again = L.Discretization.from_config(d.get_config())
    assert again.bin_boundaries == d.bin_boundaries


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("ids", [np.array([[0, 1, 1], [3, 2, -1]]), np.array([0, 3, 1]), np.array([[0], [3]])])
def test_category_encoding_matches_keras(mode, ids):
    _close(L.CategoryEncoding(4, output_mode=mode)(ids), real.layers.CategoryEncoding(4, output_mode=mode)(ids))


def test_category_encoding_count_weights_and_errors():
    ids, w = np.array([[0, 1, 1], [3, 2, 0]]), _x(2, 3)
    _close(L.CategoryEncoding(4, output_mode="count")(ids, count_weights=w),
           real.layers.CategoryEncoding(4, output_mode="count")(ids, count_weights=w))
    with pytest.raises(ValueError, match="'ce'.*less than 3 \\(num_tokens\\).*maximum of 3"):
        L.CategoryEncoding(3, name="ce")(ids)
    with pytest.raises(ValueError, match="output_mode must be one of"):
        L.CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="count_weights is only used with output_mode='count'"):
        L.CategoryEncoding(4)(ids, count_weights=w)
    k, d = real.layers.CategoryEncoding(3, output_mode="one_hot"), L.CategoryEncoding(3, output_mode="one_hot")
    assert {key: v for key, v in d.get_config().items() if key not in ("dtype", "name")} == \
        {key: v for key, v in k.get_config().items() if key not in ("dtype", "name")}


# -- ActivityRegularization, Conv1DTranspose ----------------------------------------------------------------
def test_activity_regularization_fits_like_keras():
    x, y = _x(12, 4), _x(12, 2)

    def build(mod):
        return mod.Sequential([mod.Input((4,)), mod.layers.Dense(3, activation="tanh"),
                               mod.layers.ActivityRegularization(l1=0.01, l2=0.05), mod.layers.Dense(2)])

    km, dm = build(real), build(dgk)
    dm.set_weights(km.get_weights())
    km.compile(optimizer=real.optimizers.SGD(0.1), loss="mse")
    dm.compile(optimizer=dgk.optimizers.SGD(0.1), loss="mse")
    hk = km.fit(x, y, epochs=3, batch_size=5, verbose=0, shuffle=False).history["loss"]
    hd = dm.fit(x, y, epochs=3, batch_size=5, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(hd, hk, rtol=1e-5)
    for a, b in zip(dm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert L.ActivityRegularization(l1=0.5).get_config()["l1"] == 0.5


CONV1DT_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, strides=2, padding="same", activation="relu"),
    dict(kernel_size=4, strides=3, padding="same"),
    dict(kernel_size=2, strides=3),
    dict(kernel_size=3, strides=2, output_padding=1),
    dict(kernel_size=3, dilation_rate=2, padding="same", use_bias=False),
    dict(kernel_size=3, data_format="channels_first"),
]


@pytest.mark.parametrize("kwargs", CONV1DT_CASES)
def test_conv1d_transpose_matches_keras(kwargs):
    x = _x(2, 7, 3)
    k, d = _pair("Conv1DTranspose", dict(filters=4, **kwargs), (x,))
    _forward_backward(k, d, (x,))
    assert tuple(d.compute_output_shape((None, 7, 3))) == tuple(k.compute_output_shape((None, 7, 3)))
    kc, dc = k.get_config(), d.get_config()
    for key in ("filters", "padding", "data_format", "activation", "use_bias"):
        assert dc[key] == kc[key]
    assert L.Conv1DTranspose.from_config(dc).get_config() == dc


def test_new_layers_in_a_saved_sequential(tmp_path):
    x = _x(6, 7, 3)
    model = dgk.Sequential([dgk.Input((7, 3)), L.Normalization(mean=0.5, variance=2.0),
                            L.Conv1DTranspose(2, 3, strides=2, padding="same"), L.ActivityRegularization(l2=0.1),
                            L.Flatten(), L.Dense(3)])
    model.save(tmp_path / "s.keras")
    back = dgk.models.load_model(tmp_path / "s.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert model.layers[1].output_shape == (None, 14, 2)


# -- image augmentation ---------------------------------------------------------------------------------
_IMG = (_r.random((3, 7, 9, 2)) * 255).astype(np.float32)
_AFFINE = [("RandomRotation", (0.3,)), ("RandomZoom", (0.3, (-0.2, 0.4))), ("RandomZoom", ((-0.5, 0.2),)),
           ("RandomTranslation", (0.3, 0.4))]


def _keras_transformation(k, params):
    if "angle" in params:  # Keras keeps the matrix it derives from the angle
        n = len(params["angle"])
        angle = torch.tensor(params["angle"], dtype=torch.float32)
        m = k._compute_affine_matrix(center_x=0.5, center_y=0.5, angle=angle,
                                     translate_x=torch.zeros(n), translate_y=torch.zeros(n), scale=torch.ones(n),
                                     shear_x=torch.zeros(n), shear_y=torch.zeros(n), height=_IMG.shape[1],
                                     width=_IMG.shape[2])
        return {"rotation_matrix": m}
    return {key: torch.tensor(v) if v.dtype == bool else torch.tensor(v, dtype=torch.float32)
            for key, v in params.items()}


def _same_transform(k, d, tol=1e-5):
    """deepgrad's transformation of its own random draw, and its input gradient, equal Keras's for that draw."""
    params = d._draw(*_IMG.shape[:3])
    tx, dx = torch.tensor(_IMG, requires_grad=True), dg.tensor(_IMG, requires_grad=True)
    yk = k.transform_images(tx * 1.0, _keras_transformation(k, params), training=True)  # Keras may add in place
    yd = d._apply(dx, params)
    np.testing.assert_allclose(yd.numpy(), _np(yk), rtol=tol, atol=tol * 255)
    w = _x(*_IMG.shape)
    (yk * torch.tensor(w)).sum().backward()
    (yd * dg.tensor(w)).sum().backward()
    _close(dx.grad, tx.grad, 1e-4)


@pytest.mark.parametrize("name, args", _AFFINE)
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_augmentations_transform_like_keras(name, args, fill_mode, interpolation):
    kwargs = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=7.0)
    _same_transform(getattr(real.layers, name)(*args, **kwargs), getattr(L, name)(*args, **kwargs))


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_like_keras(mode):
    _same_transform(real.layers.RandomFlip(mode), L.RandomFlip(mode))
    out = L.RandomFlip(mode, seed=1)(_IMG).numpy()  # a direct call trains, as in Keras
    axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[mode]
    for a, b in zip(out, _IMG):
        assert np.array_equal(a, b) or np.array_equal(a, np.flip(b, tuple(i - 1 for i in axes)))


@pytest.mark.parametrize("factor", [0.5, (0.2, 0.7)])
def test_random_contrast_like_keras(factor):
    _same_transform(real.layers.RandomContrast(factor), L.RandomContrast(factor), tol=2e-5)
    d = L.RandomContrast(factor)
    f = d._draw(1000, 1, 1)["contrast_factor"]
    low, high = (0.0, factor) if isinstance(factor, float) else factor  # Keras: a number f gives [1, 1 + f]
    assert f.min() >= 1 - low and f.max() <= 1 + high and f.max() - f.min() > (low + high) / 2
    out = d(_IMG * 2).numpy()
    assert out.min() >= 0 and out.max() <= 255


@pytest.mark.parametrize("factor", [0.3, (-0.2, 0.5)])
def test_random_brightness_like_keras(factor):
    _same_transform(real.layers.RandomBrightness(factor), L.RandomBrightness(factor))
    d = L.RandomBrightness(factor, value_range=(-1, 1))
    delta = d._draw(1000, 1, 1)["rgb_delta"] / 2  # a fraction of the value range
    low, high = (-factor, factor) if isinstance(factor, float) else factor
    assert delta.min() >= low and delta.max() <= high and delta.max() - delta.min() > (high - low) / 2
    out = d(_x(4, 3, 3, 2) * 3).numpy()
    assert out.min() >= -1 and out.max() <= 1


@pytest.mark.parametrize("name, args", [("RandomFlip", ()), ("RandomContrast", (0.3,)), ("RandomRotation", (0.2,)),
                                        ("RandomBrightness", (0.2,)),
                                        ("RandomZoom", (0.2, 0.3)), ("RandomTranslation", (0.1, 0.2))])
def test_augmentations_identity_at_inference_config_and_save(name, args, tmp_path):
    d, k = getattr(L, name)(*args, seed=5), getattr(real.layers, name)(*args, seed=5)
    kc, dc = k.get_config(), d.get_config()
    assert set(kc) == set(dc)
    for key in set(kc) - {"name", "dtype"}:
        assert np.array_equal(np.asarray(dc[key], dtype=object), np.asarray(kc[key], dtype=object)), key
    model = dgk.Sequential([dgk.Input((7, 9, 2)), d, L.Conv2D(2, 3)])
    np.testing.assert_array_equal(d(_IMG, training=False).numpy(), _IMG)
    assert d(_IMG).shape == _IMG.shape and d(_IMG[0]).shape == _IMG[0].shape
    model.save(tmp_path / "aug.keras")
    back = dgk.models.load_model(tmp_path / "aug.keras")
    np.testing.assert_array_equal(back.predict(_IMG, verbose=0), model.predict(_IMG, verbose=0))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_IMG, _x(3, 5, 7, 2), epochs=1, verbose=0)


def test_augmentation_errors():
    with pytest.raises(ValueError, match="RandomRotation: factor must be a number or a pair of numbers in"):
        L.RandomRotation(1.5)
    with pytest.raises(ValueError, match="RandomZoom: height_factor.*\\(-1.0, 1.0\\]"):
        L.RandomZoom(-1.0)
    with pytest.raises(NotImplementedError, match="fill_mode 'mirror'"):
        L.RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="mode must be 'horizontal'"):
        L.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="'rf'.*rank 3.*or 4.*\\(2, 3\\)"):
        L.RandomFlip(name="rf")(_x(2, 3))


def test_weights_h5_files_move_between_keras_and_deepgrad(tmp_path):
    """MultiHeadAttention's projections are saved as Keras's query_dense/key_dense/... groups."""
    pytest.importorskip("h5py")
    x = _x(3, 5, 6)

    def build(mod):
        i = mod.Input((5, 6))
        o = mod.layers.MultiHeadAttention(2, 3, value_dim=4)(i, i)
        o = mod.layers.Conv1DTranspose(2, 3)(o)
        return mod.Model(i, mod.layers.AdditiveAttention()([o, o]))

    km, dm = build(real), build(dgk)
    km.save_weights(tmp_path / "k.weights.h5")
    dm.load_weights(tmp_path / "k.weights.h5")
    _close(dm.predict(x, verbose=0), km.predict(x, verbose=0))
    dm.set_weights([w * 1.1 for w in dm.get_weights()])
    dm.save_weights(tmp_path / "d.weights.h5")
    km.load_weights(tmp_path / "d.weights.h5")
    _close(km.predict(x, verbose=0), dm.predict(x, verbose=0))


def test_transformer_block_as_a_model_subclass_fits_like_keras():
    """The Keras tutorial's block (MultiHeadAttention called eagerly inside ``call``), here subclassing Model."""

    def build(mod):
        class Block(mod.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.att = mod.layers.MultiHeadAttention(num_heads=2, key_dim=8)
                self.ffn = mod.layers.Dense(8, activation="relu")
                self.norm1 = mod.layers.LayerNormalization(epsilon=1e-6)
                self.norm2 = mod.layers.LayerNormalization(epsilon=1e-6)

            def call(self, x, training=False):
                h = self.norm1(x + self.att(x, x, use_causal_mask=True, training=training))
                return self.norm2(h + self.ffn(h))

        inp = mod.Input((6,))
        x = Block()(mod.layers.Embedding(20, 8)(inp))
        return mod.Model(inp, mod.layers.Dense(2, activation="softmax")(mod.layers.GlobalAveragePooling1D()(x)))

    ids, labels = _r.integers(0, 20, (8, 6)), _r.integers(0, 2, 8)
    km, dm = build(real), build(dgk)
    dm.set_weights(km.get_weights())
    _close(dm.predict(ids, verbose=0), km.predict(ids, verbose=0))
    km.compile(optimizer=real.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    dm.compile(optimizer=dgk.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    hk = km.fit(ids, labels, epochs=2, batch_size=4, verbose=0, shuffle=False).history["loss"]
    hd = dm.fit(ids, labels, epochs=2, batch_size=4, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(hd, hk, rtol=1e-5)
