"""deepgrad.keras against real Keras 3 (PyTorch backend): a functional model's layer order (branches,
several inputs and outputs, shared layers, nested models, unused inputs) and so its weights order
and ``.weights.h5`` files; ``RNN(cell)`` with ``SimpleRNNCell``/``LSTMCell``/``GRUCell``/
``StackedRNNCells``/a custom cell; the mask inside ``BatchNormalization`` and ``Softmax``.
Skipped without Keras."""

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import keras as dgk
from deepgrad.nn import functional as F
from tests.keras.real_keras import MARKS, make_x, real  # skips this file without Keras

pytestmark = MARKS

_x = make_x()
_r = np.random.default_rng(1)  # integer draws


def _close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


# -- functional layer order ---------------------------------------------------------------------------
def _branch(K):
    a, b = K.Input((5,), dtype="int32"), K.Input((7,), dtype="int32")
    x = K.layers.LSTM(4)(K.layers.Embedding(10, 3)(a))
    y = K.layers.GlobalAveragePooling1D()(K.layers.Embedding(10, 3)(b))
    return K.Model([a, b], K.layers.Concatenate()([x, y])), [_r.integers(0, 10, (3, 5)), _r.integers(0, 10, (3, 7))]


def _uneven(K):
    i1, i2 = K.Input((4,)), K.Input((3,))
    h = K.layers.Dense(5, name="d3")(K.layers.Dense(5, name="d2")(K.layers.Dense(5, name="d1")(i1)))
    c = K.layers.Concatenate()([h, K.layers.Dense(2, name="d4")(i2)])
    return K.Model([i1, i2], [K.layers.Dense(1, name="o1")(c), K.layers.Dense(2, name="o2")(h)]), [_x(3, 4), _x(3, 3)]


def _shared(K):
    i, shared = K.Input((6,)), K.layers.Dense(6, name="shared")
    z = shared(K.layers.Dense(6, name="mid")(shared(i)))
    return K.Model(i, [z, K.layers.Dense(3, name="side")(i)]), [_x(3, 6)]


def _nested(K):
    inner_in = K.Input((6,))
    inner = K.Model(inner_in, K.layers.Dense(2, name="inner_d")(K.layers.Dense(4, name="inner_a")(inner_in)),
                    name="inner")
    j = K.Input((6,))
    return K.Model(j, [inner(K.layers.Dense(6, name="pre")(j)), K.layers.Dense(1, name="skip")(j)]), [_x(3, 6)]


def _seq2seq(K):
    s, d = K.Input((5, 3)), K.Input((2, 3))
    _, h, c = K.layers.LSTM(4, return_state=True, name="enc")(s)
    y = K.layers.Dense(2, name="fin")(K.layers.LSTM(4, name="dec")(d, initial_state=[h, c]))
    return K.Model([d, s], y), [_x(3, 2, 3), _x(3, 5, 3)]


def _unused(K):
    u1, u2 = K.Input((3,)), K.Input((3,))
    return K.Model([u1, u2], K.layers.Dense(2, name="only")(u2)), [_x(3, 3), _x(3, 3)]


def _deep_second(K):
    a, b = K.Input((3,)), K.Input((3,))
    deep = K.layers.Dense(4)(K.layers.Dense(5)(K.layers.Dense(5)(b)))
    return K.Model([a, b], K.layers.Concatenate()([K.layers.Dense(4)(a), deep])), [_x(3, 3), _x(3, 3)]


GRAPHS = {"branch": _branch, "deep_second": _deep_second, "uneven": _uneven, "shared": _shared, "nested": _nested,
          "seq2seq": _seq2seq, "unused": _unused}


_NAMED = {"d1", "d2", "d3", "d4", "o1", "o2", "shared", "mid", "side", "inner", "pre", "skip", "enc", "dec", "fin",
          "only"}


def _describe(model):
    kinds = {"Functional": "Model"}
    return [(kinds.get(type(la).__name__, type(la).__name__), la.name if la.name in _NAMED else "",
             [tuple(w.shape) for w in la.get_weights()]) for la in model.layers]


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_layers_and_weights_in_keras_order(name, tmp_path):
    ref, xs = GRAPHS[name](real)
    ours, _ = GRAPHS[name](dgk)
    assert _describe(ours) == _describe(ref)
    ours.set_weights(ref.get_weights())  # the flat weight lists line up
    want = ref.predict(xs, verbose=0)
    got = ours.predict(xs, verbose=0)
    for a, b in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        _close(a, b, atol=1e-5)
    ref.save_weights(tmp_path / "k.weights.h5")  # Keras's file keys follow the same order
    fresh, _ = GRAPHS[name](dgk)
    fresh.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(fresh.get_weights(), ref.get_weights()):
        _close(a, b, rtol=0, atol=0)


def _old_order(model):
    """The order deepgrad listed a functional model's layers in before it followed Keras: inputs, then calls."""
    out = []
    for t in model._graph["inputs"] + model._graph["nodes"]:
        if t.layer not in out:
            out.append(t.layer)
    return out


@pytest.mark.parametrize("suffix", [".keras", ".weights.npz", ".weights.h5"])
def test_files_saved_in_the_old_layer_order_still_load(tmp_path, suffix):
    model, xs = _deep_second(dgk)
    new = model._layers
    assert [la.name for la in _old_order(model)] != [la.name for la in new]
    model._layers = _old_order(model)  # what an older deepgrad wrote
    path = tmp_path / f"m{suffix}"
    model.save(path) if suffix == ".keras" else model.save_weights(path)
    model._layers = new
    if suffix == ".keras":
        loaded = dgk.models.load_model(path)
    else:
        loaded, _ = _deep_second(dgk)
        for la, src in zip([loaded, *loaded.layers], [model, *model.layers]):  # a model with the same names
            la.name = src.name
        loaded.load_weights(path)
    _close(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0), rtol=0, atol=0)


# -- RNN(cell) ---------------------------------------------------------------------------------------
_MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 0, 1], [1, 1, 1, 1, 1]], bool)
CELL_CASES = [("SimpleRNNCell", {}, dict(return_sequences=True)),
              ("LSTMCell", {}, dict(return_state=True)),
              ("LSTMCell", dict(unit_forget_bias=False), dict(return_sequences=True, go_backwards=True)),
              ("GRUCell", {}, dict(return_state=True, return_sequences=True)),
              ("GRUCell", dict(reset_after=False), dict(go_backwards=True)),
              ("LSTMCell", {}, dict(return_sequences=True, zero_output_for_mask=True))]


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("cell,ckw,kw", CELL_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CELL_CASES)])
def test_rnn_cell_matches_real_keras(cell, ckw, kw, masked):
    x = _x(3, 5, 4)
    ref = real.layers.RNN(getattr(real.layers, cell)(3, **ckw), **kw)
    ours = dgk.layers.RNN(getattr(dgk.layers, cell)(3, **ckw), **kw)
    ref(x)
    ours(x)
    weights = [0.5 * _x(*w.shape) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    mask = _MASK if masked else None
    xt, xd = torch.tensor(x, requires_grad=True), dg.tensor(x, requires_grad=True)
    want, got = ref(xt, mask=mask), ours(xd, mask=mask)
    want, got = (list(want), list(got)) if kw.get("return_state") else ([want], [got])
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _close(_np(a), _np(b))
    ws = [_x(*a.shape) for a in want]
    sum((a * torch.tensor(w)).sum() for a, w in zip(want, ws)).backward()
    sum((a * dg.tensor(w)).sum() for a, w in zip(got, ws)).backward()
    _close(xd.grad.numpy(), xt.grad.numpy(), atol=1e-5)


def test_rnn_of_a_cell_holds_the_weights_of_the_matching_layer():
    x = _x(2, 4, 3)
    for layer, cell in (("LSTM", "LSTMCell"), ("GRU", "GRUCell"), ("SimpleRNN", "SimpleRNNCell")):
        full, rnn = getattr(dgk.layers, layer)(5), dgk.layers.RNN(getattr(dgk.layers, cell)(5))
        want = full(x).numpy()
        rnn(x)
        assert [w.shape for w in rnn.get_weights()] == [w.shape for w in full.get_weights()]
        rnn.set_weights(full.get_weights())
        _close(rnn(x).numpy(), want, rtol=0, atol=0)


def test_stacked_cells_states_and_direct_cell_calls_match_keras():
    x = _x(3, 5, 4)
    ref = real.layers.RNN([real.layers.LSTMCell(3), real.layers.GRUCell(2)], return_state=True)
    ours = dgk.layers.RNN([dgk.layers.LSTMCell(3), dgk.layers.GRUCell(2)], return_state=True)
    ref(x)
    ours(x)
    ours.set_weights(ref.get_weights())
    want, got = ref(x), ours(x)
    assert len(got) == len(want) == 3 and [len(s) for s in got[1:]] == [len(s) for s in want[1:]] == [2, 1]
    _close(_np(got[0]), _np(want[0]))
    for a, b in zip(got[1] + got[2], want[1] + want[2]):
        _close(_np(a), _np(b))
    init = [[_x(3, 3), _x(3, 3)], [_x(3, 2)]]
    _close(_np(ours(x, initial_state=init)[0]), _np(ref(x, initial_state=init)[0]))
    kc, dc = real.layers.LSTMCell(3), dgk.layers.LSTMCell(3)  # a cell called on one step
    kc.build((None, 4))
    dc.build((None, 4))
    dc.set_weights(kc.get_weights())
    (ko, ks), (do, ds) = kc(x[:, 0], init[0]), dc(x[:, 0], init[0])
    _close(_np(do), _np(ko))
    assert len(ds) == len(ks) == 2
    _close(_np(ds[1]), _np(ks[1]))


def _cells_model(K):
    i = K.Input((5,), dtype="int32")
    e = K.layers.Embedding(9, 3, mask_zero=True)(i)
    a = K.layers.Bidirectional(K.layers.RNN(K.layers.GRUCell(4), return_sequences=True))(e)
    o = K.layers.RNN(K.layers.StackedRNNCells([K.layers.LSTMCell(3), K.layers.SimpleRNNCell(2)]))(a)
    return K.Model(i, K.layers.Dense(2)(o))


def test_cells_model_fits_saves_and_exchanges_h5_with_keras(tmp_path):
    ids = _r.integers(1, 9, (4, 5))
    ids[1, 3:] = 0
    ids[3, 2:] = 0
    y = _x(4, 2)
    ref, ours = _cells_model(real), _cells_model(dgk)
    ours.set_weights(ref.get_weights())
    _close(ours.predict(ids, verbose=0), ref.predict(ids, verbose=0))
    ref.compile(optimizer=real.optimizers.RMSprop(0.01), loss="mse")
    ours.compile(optimizer=dgk.optimizers.RMSprop(0.01), loss="mse")
    ref.fit(ids, y, epochs=2, batch_size=2, verbose=0, shuffle=False)
    ours.fit(ids, y, epochs=2, batch_size=2, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        _close(a, b, atol=1e-5)
    ours.save(tmp_path / "m.keras")
    loaded = dgk.models.load_model(tmp_path / "m.keras")
    assert [type(la).__name__ for la in loaded.layers] == ["InputLayer", "Embedding", "Bidirectional", "RNN", "Dense"]
    assert type(loaded.layers[3].cell).__name__ == "StackedRNNCells"
    _close(loaded.predict(ids, verbose=0), ours.predict(ids, verbose=0), rtol=0, atol=0)
    ref.save_weights(tmp_path / "k.weights.h5")  # layers/rnn/cell/cells/lstm_cell/vars/...
    fresh = _cells_model(dgk)
    fresh.load_weights(tmp_path / "k.weights.h5")
    _close(fresh.predict(ids, verbose=0), ref.predict(ids, verbose=0))
    fresh.save_weights(tmp_path / "d.weights.h5")
    back = _cells_model(real)
    back.load_weights(tmp_path / "d.weights.h5")
    _close(back.predict(ids, verbose=0), ref.predict(ids, verbose=0))


def test_functional_states_and_stateful_cells_match_keras():
    def s2s(K):
        e, d = K.Input((5, 3)), K.Input((4, 3))
        _, h, c = K.layers.RNN(K.layers.LSTMCell(4), return_state=True)(e)
        y = K.layers.RNN(K.layers.LSTMCell(4), return_sequences=True)(d, initial_state=[h, c])
        return K.Model([e, d], K.layers.Dense(2)(y))

    ref, ours = s2s(real), s2s(dgk)
    ours.set_weights(ref.get_weights())
    xs = [_x(3, 5, 3), _x(3, 4, 3)]
    _close(ours.predict(xs, verbose=0), ref.predict(xs, verbose=0))

    def stateful(K):
        i = K.Input(batch_shape=(2, 3, 3))
        return K.Model(i, K.layers.RNN(K.layers.GRUCell(3), stateful=True)(i))

    ref, ours = stateful(real), stateful(dgk)
    ours.set_weights(ref.get_weights())
    x = _x(2, 3, 3)
    for _ in range(2):  # the second call starts from the first call's states
        _close(_np(ours(x)), _np(ref(x)))
    ref.layers[1].reset_states()
    ours.layers[1].reset_states()
    _close(_np(ours(x)), _np(ref(x)))


class _KerasCell(real.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        out = real.ops.tanh(real.ops.matmul(inputs, self.kernel) + real.ops.matmul(states[0], self.recurrent_kernel))
        return out, [out]


class _OurCell(dgk.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        out = F.tanh(F.matmul(inputs, self.kernel) + F.matmul(states[0], self.recurrent_kernel))
        return out, [out]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_cell_in_rnn_trains_as_keras(tmp_path):
    def model(K, cell):
        i = K.Input((5, 3))
        return K.Model(i, K.layers.Dense(2)(K.layers.RNN([cell(4), cell(3)])(i)))

    ref, ours = model(real, _KerasCell), model(dgk, _OurCell)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    x, y = _x(4, 5, 3), _x(4, 2)
    _close(ours.predict(x, verbose=0), ref.predict(x, verbose=0))
    ref.compile(optimizer=real.optimizers.Adam(0.01), loss="mse")
    ours.compile(optimizer=dgk.optimizers.Adam(0.01), loss="mse")
    ref.fit(x, y, epochs=3, batch_size=2, verbose=0, shuffle=False)
    ours.fit(x, y, epochs=3, batch_size=2, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        _close(a, b, atol=1e-5)
    ours.save(tmp_path / "c.keras")
    loaded = dgk.models.load_model(tmp_path / "c.keras", custom_objects={"_OurCell": _OurCell})
    _close(loaded.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=0, atol=0)


def test_cell_config_round_trip_and_errors():
    cfg = dgk.layers.RNN(dgk.layers.GRUCell(3, reset_after=False, dropout=0.1), go_backwards=True).get_config()
    ref_cfg = real.layers.RNN(real.layers.GRUCell(3)).get_config()
    assert set(ref_cfg) - {"dtype"} <= set(cfg)
    assert set(ref_cfg["cell"]["config"]) - {"kernel_constraint", "recurrent_constraint", "bias_constraint"} \
        <= set(cfg["cell"]["config"])
    again = dgk.layers.RNN.from_config(cfg)
    assert again.go_backwards and again.cell.reset_after is False and again.cell.dropout == 0.1
    with pytest.raises(ValueError, match="state_size"):
        dgk.layers.RNN(dgk.layers.Dense(3))
    with pytest.raises(ValueError, match=r"initial_state must be 2 tensor\(s\) of shapes \[\(4, 3\), \(4, 3\)\]"):
        dgk.layers.RNN(dgk.layers.LSTMCell(3))(_x(4, 5, 2), initial_state=[_x(4, 3)])
    with pytest.raises(ValueError, match=r"expected a 3-D input \(batch, timesteps, features\), got shape"):
        dgk.layers.RNN(dgk.layers.LSTMCell(3))(_x(4, 2))
    with pytest.raises(TypeError, match="return_sequences"):
        dgk.layers.LSTMCell(3, return_sequences=True)


# -- masks inside BatchNormalization and Softmax ------------------------------------------------------
def _bn_model(K):
    i = K.Input((6,), dtype="int32")
    b = K.layers.BatchNormalization(momentum=0.8)(K.layers.Embedding(10, 4, mask_zero=True)(i))
    return K.Model(i, K.layers.Dense(2)(K.layers.GlobalAveragePooling1D()(K.layers.Dense(3)(b))))


def test_batch_normalization_uses_the_mask_as_keras():
    ids = _r.integers(1, 10, (8, 6))
    ids[:, 4:] = 0
    ids[0, 2:] = 0
    y = _x(8, 2)
    ref, ours = _bn_model(real), _bn_model(dgk)
    ours.set_weights(ref.get_weights())
    _close(_np(ours(ids, training=True)), _np(ref(ids, training=True)), atol=1e-5)  # masked batch statistics
    ref, ours = _bn_model(real), _bn_model(dgk)
    ours.set_weights(ref.get_weights())
    ref.compile(optimizer=real.optimizers.SGD(0.1), loss="mse")
    ours.compile(optimizer=dgk.optimizers.SGD(0.1), loss="mse")
    ref.fit(ids, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    ours.fit(ids, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), ref.get_weights()):  # moving mean and variance too
        _close(a, b, atol=1e-5)
    _close(ours.predict(ids, verbose=0), ref.predict(ids, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match=r"one dimension less than the inputs, got mask shape \(3, 4, 5\)"):
        dgk.layers.BatchNormalization()(_x(3, 4, 5), mask=np.ones((3, 4, 5), bool), training=True)


@pytest.mark.parametrize("axis", [-1, (1, 2), [1]], ids=["last", "two-axes", "list"])
@pytest.mark.parametrize("mask_shape", [None, (3, 4, 5), (4, 1), (5,)])
def test_softmax_uses_the_mask_as_keras(mask_shape, axis):
    x = _x(3, 4, 5)
    mask = None if mask_shape is None else _r.random(mask_shape) > 0.3
    if mask is not None:
        mask.flat[0] = False
    xt, xd = torch.tensor(x, requires_grad=True), dg.tensor(x, requires_grad=True)
    want, got = real.layers.Softmax(axis=axis)(xt, mask=mask), dgk.layers.Softmax(axis=axis)(xd, mask=mask)
    _close(got.numpy(), _np(want))
    w = _x(3, 4, 5)
    (want * torch.tensor(w)).sum().backward()
    (got * dg.tensor(w)).sum().backward()
    _close(xd.grad.numpy(), xt.grad.numpy())


def test_a_masked_softmax_ending_a_model_is_not_fused_into_the_loss():
    def model(K):
        i, m = K.Input((4, 5)), K.Input((1, 5), dtype="bool")
        return K.Model([i, m], K.layers.Softmax()(K.layers.Dense(5)(i), mask=m))

    x, m = _x(6, 4, 5), _r.random((6, 1, 5)) > 0.4
    m[:, 0, 0] = True  # no row masked out entirely
    y = np.eye(5, dtype=np.float32)[_r.integers(0, 5, (6, 4))]
    ref, ours = model(real), model(dgk)
    ours.set_weights(ref.get_weights())
    p = ours.predict([x, m], verbose=0)
    _close(p, ref.predict([x, m], verbose=0))
    ours.compile(optimizer="sgd", loss="categorical_crossentropy")
    want = np.mean(-np.sum(y * np.log(np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)), -1))
    _close(ours.evaluate([x, m], y, batch_size=6, verbose=0), want, rtol=1e-5)


def test_softmax_mask_that_does_not_broadcast_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Softmax '.*': the mask must broadcast to the inputs.*\(3, 4\).*\(3, 4, 5\)"):
        dgk.layers.Softmax()(_x(3, 4, 5), mask=np.ones((3, 4), bool))


def test_cell_dropout_draws_one_mask_per_sequence():
    cell = dgk.layers.SimpleRNNCell(4, activation="linear", dropout=0.5, recurrent_dropout=0.3)
    rnn = dgk.layers.RNN(cell, return_sequences=True)
    x = np.abs(_x(6, 5, 4)) + 0.1
    rnn(x)
    rnn.set_weights([np.eye(4, dtype=np.float32), np.zeros((4, 4), np.float32), np.zeros(4, np.float32)])
    ratio = rnn(x, training=True).numpy() / x  # x_t * mask: the same mask at every step
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1], ratio.shape), rtol=1e-6)
    assert set(np.round(np.unique(ratio), 5)) == {0.0, 2.0}
    assert cell._dp_mask is None and cell._rec_mask is None  # dropped after the call, as Keras
    _close(rnn(x).numpy(), x)  # inference: no dropout


def test_add_weight_for_custom_layers():
    class Scale(dgk.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", regularizer="l2", name="w")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x, training=False):
            return x * self.w

    layer = Scale()
    _close(layer(_x(2, 3) * 0 + 1).numpy(), np.ones((2, 3)))
    assert [w.shape for w in layer.trainable_weights] == [(3,)] and len(layer.non_trainable_weights) == 1
    assert layer.weight_names() == [f"{layer.name}/w", f"{layer.name}/count"]
    _close(float(layer.losses[0].numpy()), 0.01 * 3)
    ref = real.layers.Layer()
    ref.w = ref.add_weight(shape=(3,), initializer="ones", regularizer="l2")
    _close(float(layer.losses[0].numpy()), float(_np(ref.losses[0])))


def test_bidirectional_rnn_of_a_cell_with_states_matches_keras():
    x, mask = _x(3, 5, 4), _MASK
    ref = real.layers.Bidirectional(real.layers.RNN(real.layers.LSTMCell(3), return_state=True, return_sequences=True))
    ours = dgk.layers.Bidirectional(dgk.layers.RNN(dgk.layers.LSTMCell(3), return_state=True, return_sequences=True))
    ref(x)
    ours(x)
    ours.set_weights(ref.get_weights())
    want, got = ref(x, mask=mask), ours(x, mask=mask)
    assert len(got) == len(want) == 5
    for a, b in zip(got, want):
        _close(_np(a), _np(b))


def test_model_weights_are_listed_layer_by_layer_as_keras():
    def model(K):
        i = K.Input((3,))
        return K.Model(i, K.layers.Dense(2)(K.layers.BatchNormalization()(K.layers.Dense(4)(i))))

    ref, ours = model(real), model(dgk)
    sizes = [int(np.prod(w.shape)) for w in ref.weights]  # deepgrad tensors keep PyTorch's layout (Linear (out, in))
    assert [int(np.prod(w.shape)) for w in ours.weights] == sizes == [12, 4, 4, 4, 4, 4, 8, 2]
    assert [int(np.prod(w.shape)) for w in ours.non_trainable_weights] == [4, 4]
