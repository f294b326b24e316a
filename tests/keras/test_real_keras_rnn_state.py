"""deepgrad.keras's recurrent layers against real Keras 3 (PyTorch backend): ``return_state``,
``initial_state``, masks (``Embedding(mask_zero=True)``, ``Masking``, an explicit ``mask=``, the
masked loss), ``go_backwards``, ``stateful`` with ``reset_states``, ``Bidirectional`` with states
and every ``merge_mode``; in eager calls, Sequential and functional models (several outputs), with
their summaries, configs, saved files and error messages.  Skipped without Keras."""

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import keras as dgk
from tests.keras.real_keras import MARKS, make_x, real  # skips this file without Keras

pytestmark = MARKS

_x = make_x()
_r = np.random.default_rng(1)  # integer draws


def _close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


_MASK = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 0, 1], [1, 1, 1, 1, 1]], bool)  # right, left and inner padding

STATE_CASES = [("LSTM", dict(units=3, return_state=True)),
               ("LSTM", dict(units=3, return_state=True, return_sequences=True, go_backwards=True)),
               ("GRU", dict(units=3, return_state=True, return_sequences=True)),
               ("GRU", dict(units=2, return_state=True, reset_after=False, go_backwards=True)),
               ("SimpleRNN", dict(units=3, return_state=True)),
               ("LSTM", dict(units=3, return_sequences=True, zero_output_for_mask=True)),
               ("GRU", dict(units=3))]


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("name,kw", STATE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(STATE_CASES)])
def test_states_initial_state_and_mask_match_real_keras(name, kw, masked):
    x = _x(3, 5, 4)
    ref, ours = getattr(real.layers, name)(**kw), getattr(dgk.layers, name)(**kw)
    ref(x)
    ours(x)
    weights = [0.5 * _x(*w.shape) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    init = [_x(3, kw["units"]) for _ in range(2 if name == "LSTM" else 1)]
    xt, st = torch.tensor(x, requires_grad=True), [torch.tensor(s, requires_grad=True) for s in init]
    xd, sd = dg.tensor(x, requires_grad=True), [dg.tensor(s, requires_grad=True) for s in init]
    want = ref(xt, initial_state=st, mask=torch.tensor(_MASK) if masked else None)
    got = ours(xd, initial_state=sd, mask=_MASK if masked else None)
    want, got = (list(want), list(got)) if kw.get("return_state") else ([want], [got])
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _close(a.numpy(), _np(b))
    w = [np.linspace(-1, 1, a.numel(), dtype=np.float32).reshape(a.shape) for a in got]
    sum((a * dg.tensor(c)).sum() for a, c in zip(got, w)).backward()
    sum((b * torch.tensor(c)).sum() for b, c in zip(want, w)).backward()
    _close(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-4)
    for a, b in zip(sd, st):
        _close(a.grad.numpy(), b.grad.numpy(), rtol=1e-4)
    assert tuple(ours.compute_output_shape((None, 5, 4))) == tuple(ref.compute_output_shape((None, 5, 4)))


@pytest.mark.parametrize("name,kw", [("GRU", {}), ("GRU", dict(reset_after=False)), ("LSTM", {}), ("SimpleRNN", {}),
                                     ("LSTM", dict(recurrent_dropout=0.0)), ("GRU", dict(recurrent_dropout=0.0))])
def test_dropout_with_given_masks_matches_real_keras(name, kw, monkeypatch):
    """Both given the same dropout masks (one per gate with recurrent dropout, as Keras's implementation 1):
    the same outputs; GRU mixes in the state itself, not its dropped copy."""
    x = _x(3, 5, 4)
    kw = {"recurrent_dropout": 0.5, **kw}
    ref = getattr(real.layers, name)(3, dropout=0.5, return_sequences=True, **kw)
    ours = getattr(dgk.layers, name)(3, dropout=0.5, return_sequences=True, **kw)
    ref(x)
    ours(x)
    weights = [0.5 * _x(*w.shape) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    count = getattr(ref.cell, "dropout_mask_count", None)
    g = count or 1
    rng = np.random.default_rng(1)
    inputs = (rng.random((g, 3, 4)) > 0.5).astype(np.float32) * 2.0
    states = (rng.random((g, 3, 3)) > 0.5).astype(np.float32) * 2.0

    def given(masks):
        return torch.tensor(masks[0]) if count is None else [torch.tensor(m) for m in masks]

    monkeypatch.setattr(ref.cell, "get_dropout_mask", lambda step: given(inputs))
    monkeypatch.setattr(ref.cell, "get_recurrent_dropout_mask", lambda h: given(states))

    def ours_mask(self, like, shape, rate):
        masks = inputs[:, :, None, :] if shape[-1] == 4 else states
        return dg.tensor(masks.reshape(shape))

    monkeypatch.setattr(type(ours), "_mask", ours_mask)
    _close(ours(x, training=True).numpy(), _np(ref(x, training=True)))


def _seq2seq(lib, n_in=5, n_out=4, latent=6):
    """The Keras seq2seq tutorial: a training model, then encoder and decoder models sharing its layers."""
    L = lib.layers
    enc_in, dec_in = lib.Input((None, n_in)), lib.Input((None, n_out))
    _, h, c = L.LSTM(latent, return_state=True)(enc_in)
    dec_lstm, dense = L.LSTM(latent, return_sequences=True, return_state=True), L.Dense(n_out, activation="softmax")
    dec_out, _, _ = dec_lstm(dec_in, initial_state=[h, c])
    model = lib.Model([enc_in, dec_in], dense(dec_out))
    h_in, c_in = lib.Input((latent,)), lib.Input((latent,))
    step, h2, c2 = dec_lstm(dec_in, initial_state=[h_in, c_in])
    return model, lib.Model(enc_in, [h, c]), lib.Model([dec_in, h_in, c_in], [dense(step), h2, c2])


def test_seq2seq_tutorial_trains_infers_saves_and_reloads_like_real_keras(tmp_path):
    xe = np.eye(5, dtype=np.float32)[_r.integers(0, 5, (12, 7))]
    xd = np.eye(4, dtype=np.float32)[_r.integers(0, 4, (12, 6))]
    y = np.roll(xd, -1, axis=1)
    got, weights = [], None
    for lib in (real, dgk):
        lib.backend.clear_session()
        model, encoder, decoder = _seq2seq(lib)
        weights = weights or [0.4 * _x(*w.shape) for w in model.get_weights()]
        model.set_weights(weights)
        model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])
        hist = model.fit([xe, xd], y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
        states = encoder.predict(xe[:3], verbose=0)
        step = decoder.predict([xd[:3, :1], *states], verbose=0)
        shapes = [tuple(t.shape) for t in model.get_layer("lstm").output]
        got.append((hist, states, step, model.get_weights(), [la.name for la in model.layers], shapes))
    for key in got[0][0]:
        _close(got[1][0][key], got[0][0][key], atol=0)
    for i in (1, 2, 3):
        for a, b in zip(got[1][i], got[0][i]):
            _close(a, b, rtol=1e-4)
    assert got[1][4] == got[0][4] and got[1][5] == got[0][5] == [(None, 6)] * 3
    text = []
    model.summary(line_length=300, print_fn=text.append)
    assert "lstm[0][1], lstm[0][2]" in text[0] and "[(None, 6), (None, 6), (None, 6)]" in text[0]
    decoder.save(tmp_path / "decoder.keras")
    for a, b in zip(dgk.models.load_model(tmp_path / "decoder.keras").predict([xd[:3, :1], *states], verbose=0),
                    got[1][2]):
        _close(a, b, rtol=1e-6, atol=0)
    clone = dgk.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    _close(clone.predict([xe, xd], verbose=0), model.predict([xe, xd], verbose=0), rtol=1e-6, atol=0)


def _state_outputs(lib):
    L = lib.layers
    inp = lib.Input((7,), dtype="int32")
    emb = L.Embedding(12, 4, mask_zero=True)(inp)
    seq, h, c = L.LSTM(3, return_sequences=True, return_state=True)(emb)
    outs = L.Bidirectional(L.GRU(2, return_state=True, return_sequences=True), merge_mode=None)(seq)
    return lib.Model(inp, [seq, h, c, *outs])


def test_functional_state_outputs_of_masked_layers_match_real_keras(tmp_path):
    ids = _r.integers(1, 12, (4, 7))
    ids[0, 4:] = 0
    ids[2, :3] = 0
    got = []
    for lib in (real, dgk):
        lib.backend.clear_session()
        m = _state_outputs(lib)
        if got:
            m.set_weights(got[0][2])
        else:
            m.set_weights([0.5 * _x(*w.shape) for w in m.get_weights()])
        got.append((m.predict(ids, verbose=0), [tuple(t.shape) for t in m.outputs], m.get_weights()))
    assert got[1][1] == got[0][1]
    assert len(got[1][0]) == len(got[0][0]) == 7
    for a, b in zip(got[1][0], got[0][0]):
        _close(a, b)
    m.save(tmp_path / "states.keras")
    for a, b in zip(dgk.models.load_model(tmp_path / "states.keras").predict(ids, verbose=0), got[1][0]):
        _close(a, b, rtol=1e-6, atol=0)


def _classifier(lib, kind):
    L = lib.layers
    head = [L.Dense(1, activation="sigmoid")]
    if kind == "masking":
        return lib.Sequential([lib.Input((6, 3)), L.Masking(0.0), L.LSTM(4)] + head)
    body = {"lstm": [L.LSTM(5)],
            "gru-backwards": [L.GRU(5, return_sequences=True, go_backwards=True), L.SimpleRNN(3)],
            "pooling": [L.GlobalAveragePooling1D()],
            "dense-bidirectional": [L.Dropout(0.0), L.Dense(6, activation="relu"),
                                    L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="ave"),
                                    L.GlobalAveragePooling1D()]}[kind]
    return lib.Sequential([lib.Input((7,), dtype="int32"), L.Embedding(12, 4, mask_zero=True)] + body + head)


@pytest.mark.parametrize("kind", ["lstm", "gru-backwards", "pooling", "dense-bidirectional", "masking"])
def test_masked_classifiers_train_like_real_keras(kind):
    if kind == "masking":
        x = _x(8, 6, 3)
        x[0, 3:] = 0.0
        x[2, :2] = 0.0
        x[4, 2] = 0.0
    else:
        x = _r.integers(1, 12, (8, 7))
        x[0, 4:] = 0
        x[3, 2:] = 0
        x[5, :3] = 0
    y = (_r.random((8, 1)) > 0.5).astype(np.float32)
    got, weights = [], None
    for lib in (real, dgk):
        lib.backend.clear_session()
        m = _classifier(lib, kind)
        weights = weights or [0.4 * _x(*w.shape) for w in m.get_weights()]
        m.set_weights(weights)
        pred = m.predict(x, verbose=0)
        m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        hist = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
        got.append((pred, hist, m.get_weights()))
    _close(got[1][0], got[0][0])
    for key in got[0][1]:
        _close(got[1][1][key], got[0][1][key], atol=0)
    for a, b in zip(got[1][2], got[0][2]):
        _close(a, b, rtol=1e-4)


@pytest.mark.parametrize("loss", ["binary_crossentropy", "sparse_categorical_crossentropy"])
def test_masked_sequence_outputs_mask_the_loss_and_metrics_like_real_keras(loss):
    ids = _r.integers(1, 12, (8, 7))
    ids[0, 4:] = 0
    ids[3, 1:] = 0
    sparse = loss.startswith("sparse")
    y = _r.integers(0, 3, (8, 7)) if sparse else (_r.random((8, 7, 1)) > 0.5).astype(np.float32)
    got, weights = [], None
    for lib in (real, dgk):
        lib.backend.clear_session()
        L = lib.layers
        head = L.Dense(3, activation="softmax") if sparse else L.TimeDistributed(L.Dense(1, activation="sigmoid"))
        m = lib.Sequential([lib.Input((7,), dtype="int32"), L.Embedding(12, 4, mask_zero=True),
                            L.GRU(5, return_sequences=True), head])
        weights = weights or [0.4 * _x(*w.shape) for w in m.get_weights()]
        m.set_weights(weights)
        m.compile("adam", loss, metrics=["accuracy"])
        hist = m.fit(ids, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
        got.append((hist, m.evaluate(ids, y, verbose=0, return_dict=True), m.get_weights()))
    for key in got[0][0]:
        _close(got[1][0][key], got[0][0][key], atol=0)
    for key in got[0][1]:
        _close(got[1][1][key], got[0][1][key], atol=0)
    for a, b in zip(got[1][2], got[0][2]):
        _close(a, b, rtol=1e-4)


@pytest.mark.parametrize("merge", ["add", "concatenate", "concatenate-unmasked"])
def test_merged_masks_reach_the_loss_like_real_keras(merge):
    ids, ids2 = _r.integers(1, 12, (8, 7)), _r.integers(1, 12, (8, 7))
    ids[0, 4:] = ids[3, 1:] = ids2[1, 2:] = ids2[3, 3:] = 0
    y = _r.integers(0, 3, (8, 7))
    got, weights = [], {}
    for lib in (real, dgk):
        lib.backend.clear_session()
        L = lib.layers
        a, b = lib.Input((7,), dtype="int32"), lib.Input((7,), dtype="int32")
        seq = L.LSTM(4, return_sequences=True)(L.Embedding(12, 4, mask_zero=True)(a))
        other = L.Embedding(12, 4, mask_zero=merge != "concatenate-unmasked")(b)
        both = L.Add()([seq, L.Dense(4)(other)]) if merge == "add" else L.Concatenate()([seq, other])
        m = lib.Model([a, b], L.Dense(3, activation="softmax")(both))
        for layer in m.layers:  # by name: the two libraries list a functional model's layers in other orders
            weights.setdefault(layer.name, [0.4 * _x(*w.shape) for w in layer.get_weights()])
            layer.set_weights(weights[layer.name])
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        got.append(m.fit([ids, ids2], y, batch_size=4, epochs=2, shuffle=False, verbose=0).history)
    for key in got[0]:
        _close(got[1][key], got[0][key], atol=0)


def test_a_mask_given_as_a_model_input_like_real_keras(tmp_path):
    x = _x(3, 5, 2)
    got = []
    for lib in (real, dgk):
        inp, mask = lib.Input((5, 2)), lib.Input((5,), dtype="bool")
        seq = lib.layers.GRU(3, return_sequences=True)(inp, mask=mask)
        m = lib.Model([inp, mask], lib.layers.GlobalAveragePooling1D()(seq))
        m.set_weights(got[0][1] if got else [_x(*w.shape) for w in m.get_weights()])
        got.append((m.predict([x, _MASK], verbose=0), m.get_weights()))
    _close(got[1][0], got[0][0])
    m.save(tmp_path / "mask.keras")
    _close(dgk.models.load_model(tmp_path / "mask.keras").predict([x, _MASK], verbose=0), got[1][0], atol=0)


def test_eager_calls_carry_the_embedding_mask_like_real_keras():
    ids = np.array([[3, 5, 0, 0], [0, 2, 7, 1]])
    got = []
    for lib in (real, dgk):
        emb, rnn = lib.layers.Embedding(9, 3, mask_zero=True), lib.layers.GRU(2)
        rnn(emb(ids))
        if got:
            emb.set_weights(got[0][1])
            rnn.set_weights(got[0][2])
        else:
            emb.set_weights([_x(9, 3)])
            rnn.set_weights([_x(*w.shape) for w in rnn.get_weights()])
        got.append((_np(rnn(emb(ids))), emb.get_weights(), rnn.get_weights()))
    _close(got[1][0], got[0][0])


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_states_and_initial_state_match_real_keras(mode):
    x = _x(3, 5, 4)
    got = []
    for lib in (real, dgk):
        layer = lib.layers.Bidirectional(lib.layers.LSTM(3, return_state=True, return_sequences=True),
                                         merge_mode=mode)
        layer(x)
        layer.set_weights(got[0][1] if got else [0.5 * _x(*w.shape) for w in layer.get_weights()])
        init = got[0][2] if got else [_x(3, 3) for _ in range(4)]
        out = layer(x, initial_state=init, mask=_MASK)
        got.append(([_np(t) for t in out], layer.get_weights(), init, layer.compute_output_shape((None, 5, 4))))
    assert len(got[1][0]) == len(got[0][0]) == (6 if mode is None else 5)
    for a, b in zip(got[1][0], got[0][0]):
        _close(a, b)
    assert tuple(got[1][3]) == tuple(got[0][3])


def test_stateful_layers_keep_and_reset_their_states_like_real_keras():
    x = _x(8, 5, 3)
    got = []
    for lib in (real, dgk):
        lib.backend.clear_session()
        m = lib.Sequential([lib.Input(batch_shape=(4, 5, 3)), lib.layers.LSTM(4, stateful=True),
                            lib.layers.Dense(1)])
        m.set_weights(got[0][1] if got else [0.4 * _x(*w.shape) for w in m.get_weights()])
        first, second = m.predict(x, batch_size=4, verbose=0), m.predict(x, batch_size=4, verbose=0)
        m.layers[0].reset_states()
        got.append(([first, second, m.predict(x, batch_size=4, verbose=0)], m.get_weights(), m.output_shape))
    for a, b in zip(got[1][0], got[0][0]):
        _close(a, b)
    assert not np.allclose(got[1][0][0], got[1][0][1])  # the states carried over
    assert len(got[1][1]) == len(got[0][1]) and tuple(got[1][2]) == tuple(got[0][2])  # states are no weights
    layer = dgk.layers.SimpleRNN(2, stateful=True)
    layer(x[:4])
    with pytest.raises(ValueError, match=r"SimpleRNN 'simple_rnn\w*': stateful=True keeps states for batches of 4, "
                                         r"got a batch of 8"):
        layer(x)
    with pytest.raises(ValueError, match=r"LSTM 'lstm\w*': with stateful=True the batch size must be fixed"):
        dgk.Sequential([dgk.Input((5, 3)), dgk.layers.LSTM(3, stateful=True)])
    got = []
    for lib in (real, dgk):  # Bidirectional keeps both layers' states
        m = lib.Sequential([lib.Input(batch_shape=(4, 5, 3)),
                            lib.layers.Bidirectional(lib.layers.GRU(3, stateful=True)), lib.layers.Dense(1)])
        m.set_weights(got[0][1] if got else [0.4 * _x(*w.shape) for w in m.get_weights()])
        first, second = m.predict(x, batch_size=4, verbose=0), m.predict(x, batch_size=4, verbose=0)
        m.layers[0].reset_states()
        got.append(([first, second, m.predict(x, batch_size=4, verbose=0)], m.get_weights()))
    for a, b in zip(got[1][0], got[0][0]):
        _close(a, b)


def test_sequential_ending_in_return_state_and_get_initial_state_like_real_keras():
    x = _x(2, 5, 3)
    got = []
    for lib in (real, dgk):
        m = lib.Sequential([lib.Input((5, 3)), lib.layers.LSTM(4, return_state=True)])
        m.set_weights(got[0][1] if got else [_x(*w.shape) for w in m.get_weights()])
        init = m.layers[0].get_initial_state(batch_size=3)
        got.append((m.predict(x, verbose=0), m.get_weights(), [tuple(t.shape) for t in m.outputs],
                    [tuple(s.shape) for s in init]))
    assert len(got[1][0]) == len(got[0][0]) == 3 and got[1][2:] == got[0][2:]
    for a, b in zip(got[1][0], got[0][0]):
        _close(a, b)


def test_configs_and_sequential_round_trip_keep_the_new_arguments(tmp_path):
    keys = {"return_state", "stateful", "unroll", "zero_output_for_mask", "go_backwards"}
    assert keys <= set(real.layers.LSTM(2).get_config()) and keys <= set(dgk.layers.LSTM(2).get_config())
    assert dgk.layers.Embedding(5, 2, mask_zero=True).get_config()["mask_zero"] is True
    ids, steps = np.array([[1, 0, 2]]), np.array([[[1.0, 0.0], [0.0, 0.0], [2.0, 2.0]]], np.float32)
    for layer, arg in (("Embedding", ids), ("Masking", steps)):
        make = (lambda lib: lib.layers.Embedding(5, 2, mask_zero=True)) if layer == "Embedding" else \
            (lambda lib: lib.layers.Masking())
        np.testing.assert_array_equal(make(dgk).compute_mask(arg).numpy(), _np(make(real).compute_mask(arg)))
    assert dgk.layers.Embedding(5, 2).compute_mask(ids) is None
    assert dgk.layers.Masking(-1.0).get_config()["mask_value"] == real.layers.Masking(-1.0).get_config()["mask_value"]
    m = _classifier(dgk, "dense-bidirectional")
    x = _r.integers(0, 12, (3, 7))
    x[:, 5:] = 0
    m.save(tmp_path / "clf.keras")
    loaded = dgk.models.load_model(tmp_path / "clf.keras")
    assert loaded.layers[0].mask_zero is True and loaded.layers[3].merge_mode == "ave"
    _close(loaded.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6, atol=0)
    b = dgk.layers.Bidirectional.from_config(dgk.layers.Bidirectional(dgk.layers.GRU(2, return_state=True),
                                                                      merge_mode=None).get_config())
    assert (b.return_state, b.merge_mode, b.backward_layer.go_backwards) == (True, None, True)


def test_bad_states_masks_and_wrappers_raise_clear_errors():
    L = dgk.layers
    x = np.zeros((2, 5, 3), np.float32)
    with pytest.raises(ValueError, match=r"LSTM 'lstm\w*': initial_state must be a list of 2 state tensor\(s\) "
                                         r"\[h, c\] of shape \(batch, units\) = \(2, 4\), got 1"):
        L.LSTM(4)(x, initial_state=[np.zeros((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"GRU 'gru\w*': each initial state must have shape \(batch, units\) = "
                                         r"\(2, 4\), got \(2, 5\)"):
        L.GRU(4)(x, initial_state=[np.zeros((2, 5), np.float32)])
    inp = dgk.Input((5, 3))
    with pytest.raises(ValueError, match=r"LSTM 'lstm\w*': initial_state must be a list of 2"):
        L.LSTM(4)(inp, initial_state=[dgk.Input((4,))])
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 5\), got \(2, 4\)"):
        L.SimpleRNN(4)(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"Bidirectional 'bidirectional\w*': initial_state must be a list of 4"):
        L.Bidirectional(L.LSTM(4))(x, initial_state=[np.zeros((2, 4), np.float32)] * 2)
    with pytest.raises(ValueError, match=r"Bidirectional 'bidirectional\w*': initial_state must be a list of 2"):
        L.Bidirectional(L.GRU(4))(inp, initial_state=[dgk.Input((4,))])
    with pytest.raises(ValueError, match="must differ in go_backwards"):
        L.Bidirectional(L.LSTM(4), backward_layer=L.LSTM(4))
    with pytest.raises(ValueError, match="must agree on return_state"):
        L.Bidirectional(L.LSTM(4), backward_layer=L.LSTM(4, go_backwards=True, return_state=True))
    with pytest.raises(ValueError, match=r"Sequential: the layer before 'dense\w*' returns several tensors"):
        dgk.Sequential([dgk.Input((5, 3)), L.LSTM(4, return_state=True), L.Dense(2)])


@pytest.mark.parametrize("kwargs", [5, {"initial_state": [0, 2]}, {"initial_state": [1, 9]},
                                    {"initial_state": [-1, None]}, {"initial_state": "ab"}, {"training": [1, None]}])
def test_saved_keyword_inputs_that_do_not_fit_are_refused(kwargs):
    from deepgrad.keras.models.saving import SavingError

    inp, h, c = dgk.Input((5, 3)), dgk.Input((4,)), dgk.Input((4,))
    outs = dgk.layers.LSTM(4, return_state=True)(inp, initial_state=[h, c])
    config = dgk.Model([inp, h, c], outs).get_config()
    assert config["nodes"][0]["kwargs"] == {"initial_state": [1, 2]}
    config["nodes"][0]["kwargs"] = kwargs
    with pytest.raises(SavingError, match="node of layer 'lstm\\w*' has bad"):
        dgk.Model.from_config(config)
