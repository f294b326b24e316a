"""Custom layers and models that hold sublayers (Keras's attribute tracking), checked against real Keras 3
(PyTorch backend): the Keras transformer tutorial's blocks, lists/dicts of layers, ``trainable`` propagation,
sublayer losses, ``.weights.h5`` layout both ways, 0-d weights, and how a call without ``training`` resolves it.
Skipped without Keras."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras as dgk
from tests.keras.real_keras import MARKS, real  # skips this file without Keras

h5py = pytest.importorskip("h5py")

pytestmark = MARKS


def _np(t):
    if hasattr(t, "detach"):
        return t.detach().cpu().numpy()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _arange(K, n):
    return real.ops.arange(0, n, 1) if K is real else dg.arange(0, n)


def _tutorial(K, rate=0.0):
    """The Keras 'text classification with transformer' tutorial model (small sizes), for ``K`` = keras/deepgrad."""
    layers = K.layers

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = K.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs, training=False):
            attn_output = self.dropout1(self.att(inputs, inputs), training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.dropout2(self.ffn(out1), training=training)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):  # no training argument
            positions = self.pos_emb(_arange(K, x.shape[-1]))
            return self.token_emb(x) + positions

    inputs = layers.Input(shape=(12,))
    x = TokenAndPositionEmbedding(12, 50, 8)(inputs)
    x = TransformerBlock(8, 2, 16, rate)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(rate)(x)
    x = layers.Dense(6, activation="relu")(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return K.Model(inputs=inputs, outputs=outputs)


def _h5_keys(path):
    keys = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: keys.__setitem__(n, o.shape) if isinstance(o, h5py.Dataset) else None)
    return {k: v for k, v in keys.items() if not k.startswith("optimizer/")}


def test_transformer_tutorial_weights_predictions_fit_and_h5_match_keras(tmp_path):
    km, dm = _tutorial(real), _tutorial(dgk)
    assert len(dm.weights) == len(km.weights) == 22
    assert len(dm.trainable_weights) == 22 and dm.count_params() == km.count_params()
    assert [a.shape for a in dm.get_weights()] == [a.shape for a in km.get_weights()]
    dm.set_weights(km.get_weights())
    x = np.random.default_rng(0).integers(0, 50, (10, 12))
    y = np.random.default_rng(1).integers(0, 2, (10,))
    np.testing.assert_allclose(dm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    block = dm.layers[2]
    assert block.output_shape == (None, 12, 8) and dm.layers[1].output_shape == (None, 12, 8)
    for m in (km, dm):
        m.compile(optimizer=(real if m is km else dgk).optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    hk = km.fit(x, y, epochs=3, batch_size=5, verbose=0, shuffle=False).history["loss"]
    hd = dm.fit(x, y, epochs=3, batch_size=5, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(hd, hk, rtol=1e-4)
    for a, b in zip(dm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # .weights.h5: Keras's layers/<key>/<attribute>/... layout, readable both ways
    km.save_weights(tmp_path / "k.weights.h5")
    dm.save_weights(tmp_path / "d.weights.h5")
    keys = _h5_keys(tmp_path / "d.weights.h5")
    assert keys == _h5_keys(tmp_path / "k.weights.h5")
    assert "layers/transformer_block/ffn/layers/dense_1/vars/0" in keys
    assert "layers/token_and_position_embedding/pos_emb/vars/0" in keys
    fresh_d, fresh_k = _tutorial(dgk), _tutorial(real)
    fresh_d.load_weights(tmp_path / "k.weights.h5")
    fresh_k.load_weights(tmp_path / "d.weights.h5")
    np.testing.assert_allclose(fresh_d.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fresh_k.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_custom_layer_in_a_keras_file_round_trips(tmp_path):
    from deepgrad.keras.models import load_model

    class Block(dgk.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.parts = [dgk.layers.Dense(units, activation="relu"), dgk.layers.Dense(units)]

        def call(self, x):
            return self.parts[1](self.parts[0](x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    inp = dgk.layers.Input((5,))
    m = dgk.Model(inp, dgk.layers.Dense(1)(Block(7)(inp)))
    assert m.layers[1].output_shape == (None, 7) and len(m.weights) == 6
    x = np.random.default_rng(0).random((4, 5)).astype(np.float32)
    m.save(tmp_path / "b.keras")
    back = load_model(tmp_path / "b.keras", custom_objects={"Block": Block})
    np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def _nested(K):
    layers = K.layers

    class Blk(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.zs = [layers.Dense(3, kernel_regularizer=K.regularizers.L2(0.1)), layers.BatchNormalization()]
            self.d = {"a": layers.Dense(2)}

        def build(self, input_shape):
            self.w = self.add_weight(shape=(3,), initializer="ones", name="w")
            self.nt = self.add_weight(shape=(2,), initializer="ones", name="nt", trainable=False)

        def call(self, x, training=False):
            return self.d["a"](self.zs[1](self.zs[0](x) * self.w, training=training))

    class M(K.Model):
        def __init__(self):
            super().__init__()
            self.b = Blk()
            self.out = layers.Dense(1)
            self.extra = (layers.Dense(2),)

        def call(self, x, training=False):
            return self.out(self.b(x, training=training))

    m = M()
    m(np.zeros((2, 4), np.float32))
    return m


def test_subclassed_model_with_lists_dicts_trainable_losses_and_h5_match_keras(tmp_path):
    km, dm = _nested(real), _nested(dgk)
    assert [a.shape for a in dm.get_weights()] == [a.shape for a in km.get_weights()]
    assert [la.name.split("_")[0] for la in dm.layers] == [la.name.split("_")[0] for la in km.layers]
    assert (len(dm.trainable_weights), len(dm.non_trainable_weights)) == (9, 3)
    dm.set_weights(km.get_weights())
    assert len(dm.losses) == len(km.losses) == 1
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(8, 1)).astype(np.float32)
    for m in (km, dm):
        m.compile(optimizer=(real if m is km else dgk).optimizers.SGD(0.05), loss="mse")
    np.testing.assert_allclose(dm.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history["loss"],
                               km.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history["loss"],
                               rtol=1e-5)
    km.b.trainable = dm.b.trainable = False  # propagates to the sublayers; their penalties stop counting
    assert [la.trainable for la in dm.b.zs] == [False, False] and not dm.b.d["a"].trainable
    assert (len(dm.trainable_weights), len(dm.non_trainable_weights)) == (2, 10)
    assert len(dm.losses) == len(km.losses) == 0
    before = [a.copy() for a in dm.b.get_weights()]
    np.testing.assert_allclose(dm.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history["loss"],
                               km.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False).history["loss"],
                               rtol=1e-5)
    for a, b in zip(dm.b.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    km.save_weights(tmp_path / "k.weights.h5")
    dm.save_weights(tmp_path / "d.weights.h5")
    assert _h5_keys(tmp_path / "d.weights.h5") == _h5_keys(tmp_path / "k.weights.h5")
    fresh = _nested(dgk)
    fresh.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(fresh.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    fresh_k = _nested(real)
    fresh_k.load_weights(tmp_path / "d.weights.h5")
    np.testing.assert_allclose(_np(fresh_k(x)), dm.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda K: K.layers.Attention(use_scale=True, score_mode="concat"),
                                  lambda K: K.layers.Normalization()])
def test_zero_d_weights_keep_their_shape_in_h5_both_ways(tmp_path, make):
    def model(K):
        inp = K.layers.Input((3, 4))
        layer = make(K)
        out = layer([inp, inp]) if "Attention" in type(layer).__name__ else layer(inp)
        return K.Model(inp, out)

    km, dm = model(real), model(dgk)
    assert [a.shape for a in dm.get_weights()] == [a.shape for a in km.get_weights()]
    assert () in [a.shape for a in dm.get_weights()]
    rng = np.random.default_rng(0)
    km.set_weights([np.asarray(rng.random(a.shape) + 0.5, dtype=a.dtype) for a in km.get_weights()])
    km.save_weights(tmp_path / "k.weights.h5")
    dm.load_weights(tmp_path / "k.weights.h5")
    x = rng.random((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(dm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5)
    dm.save_weights(tmp_path / "d.weights.h5")
    assert _h5_keys(tmp_path / "d.weights.h5") == _h5_keys(tmp_path / "k.weights.h5")
    k2 = model(real)
    k2.load_weights(tmp_path / "d.weights.h5")
    np.testing.assert_allclose(k2.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-6)


# -- a call that does not say training= --------------------------------------------------------------------
_IMG = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4, 1) + 1


def _stats(f, n=8):
    """(any call flipped the images, any call zeroed values) over ``n`` calls of ``f``."""
    flipped = zeroed = False
    for _ in range(n):
        y = _np(f(_IMG))
        keep = y != 0
        zeroed |= bool((~keep).any())
        plain = np.allclose(y[keep], _IMG[keep]) or np.allclose(y[keep], 2 * _IMG[keep])
        flipped |= not plain
    return flipped, zeroed


def _training_cases(K):
    layers = K.layers

    class C(layers.Layer):
        def __init__(self, order, **kwargs):
            super().__init__(**kwargs)
            self.f, self.d, self.order = layers.RandomFlip("horizontal"), layers.Dropout(0.5), order

        def call(self, x):
            return self.d(self.f(x)) if self.order == "fd" else self.f(self.d(x))

    class CFalse(C):
        def call(self, x, training=False):
            return self.d(self.f(x))

    def functional(*made):
        inp = layers.Input((4, 4, 1))
        h = inp
        for layer in made:
            h = layer(h)
        return K.Model(inp, h)

    seq = K.Sequential([layers.Input((4, 4, 1)), layers.RandomFlip("horizontal"), layers.Dropout(0.5)])
    flip = functional(layers.RandomFlip("horizontal"))
    return {
        "sequential": seq,
        "functional flip, dropout": functional(layers.RandomFlip("horizontal"), layers.Dropout(0.5)),
        "functional dropout, flip": functional(layers.Dropout(0.5), layers.RandomFlip("horizontal")),
        "custom flip then dropout": C("fd"),
        "custom dropout then flip": C("df"),
        "custom training=False": CFalse("fd"),
        "functional(custom)": functional(C("df")),
        "explicit training=True": lambda x: flip(x, training=True),
        "explicit training=False": lambda x: flip(x, training=False),
        "predict": lambda x: seq.predict(x, verbose=0),
    }


def test_direct_calls_resolve_training_like_keras():
    keras_cases, dg_cases = _training_cases(real), _training_cases(dgk)
    for name in keras_cases:
        assert _stats(dg_cases[name]) == _stats(keras_cases[name]), name


def test_direct_model_call_keeps_batchnorm_in_inference_and_augments():
    inp = dgk.layers.Input((4, 4, 1))
    bn = dgk.layers.BatchNormalization()
    m = dgk.Model(inp, bn(dgk.layers.Dropout(0.5)(dgk.layers.RandomFlip("horizontal")(inp))))
    outs = [_np(m(_IMG)) for _ in range(8)]
    scaled = _IMG / np.sqrt(1 + 1e-3)
    assert any(not np.allclose(o, scaled, rtol=1e-5) for o in outs)  # flipped at least once
    for o in outs:  # each image flipped or not; inference BatchNorm (moving stats 0 and 1); no dropout
        for i in range(len(o)):
            assert np.allclose(o[i], scaled[i], rtol=1e-5) or np.allclose(o[i], scaled[i, :, ::-1], rtol=1e-5)
    np.testing.assert_array_equal(bn.get_weights()[2], 0)  # moving mean not updated


# -- loss masks one rank away from the loss ------------------------------------------------------------------
def _masked_models(K):
    layers = K.layers

    class TrailingMask(layers.Layer):  # passes x on, with the mask as (batch, steps, 1)
        supports_masking = True

        def call(self, x, mask=None):
            return x

        def compute_mask(self, x, mask=None):
            return None if mask is None else mask[..., None]

    def squared(y_true, y_pred):  # elementwise: (batch, steps, 1) against a (batch, steps) mask
        return (y_true - y_pred) ** 2

    out = []
    for loss, trailing in ((squared, False), ("mse", True)):
        inp = layers.Input((5, 3))
        o = layers.Dense(1, kernel_initializer="ones")(layers.Masking(0.0)(inp))
        if trailing:
            o = TrailingMask()(o)
        m = K.Model(inp, o)
        m.compile(optimizer="sgd", loss=loss, metrics=["mae", "mse"])
        out.append(m)
    return out


def test_loss_mask_with_a_trailing_unit_axis_matches_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, 3)).astype(np.float32)
    x[0, 3:] = 0
    x[2, 1:] = 0
    y = rng.normal(size=(4, 5, 1)).astype(np.float32)
    for km, dm in zip(_masked_models(real), _masked_models(dgk)):
        expected = km.evaluate(x, y, verbose=0)
        got = dm.evaluate(x, y, verbose=0)
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        unmasked = float(np.mean((x.sum(-1, keepdims=True) - y) ** 2))
        assert abs(got[0] - unmasked) > 1e-3  # the mask counts


# -- add_loss, and shapes of custom layers in Sequential / functional models ----------------------------------
def _add_loss_model(K):
    layers = K.layers

    def mean(t):
        return real.ops.mean(t) if K is real else t.mean()

    class ActReg(layers.Layer):  # the Keras subclassing guide's ActivityRegularizationLayer
        def __init__(self, rate=1e-1, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * mean(inputs * inputs))
            return inputs

    class Outer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.reg = ActReg()
            self.d = layers.Dense(3, kernel_regularizer=K.regularizers.L2(1e-2))

        def call(self, x):
            return self.reg(self.d(x))

    inp = layers.Input((4,))
    out = layers.Dense(1)(ActReg(0.5)(Outer()(inp)))
    return Outer, K.Model(inp, out)


def test_add_loss_is_cleared_per_call_and_trains_like_keras():
    (_, km), (d_outer, dm) = _add_loss_model(real), _add_loss_model(dgk)
    layer = d_outer()
    x = np.ones((2, 4), np.float32)
    layer(x)
    layer(x)
    assert len(layer.losses) == 2  # this call's add_loss + the Dense kernel penalty, not the previous call's
    dm.set_weights(km.get_weights())
    rng = np.random.default_rng(0)
    xx, yy = rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    km(xx)
    dm(xx)
    assert len(dm.losses) == len(km.losses) == 3
    for m in (km, dm):
        m.compile(optimizer=(real if m is km else dgk).optimizers.SGD(0.1), loss="mse")
    np.testing.assert_allclose(dm.fit(xx, yy, epochs=3, batch_size=4, verbose=0, shuffle=False).history["loss"],
                               km.fit(xx, yy, epochs=3, batch_size=4, verbose=0, shuffle=False).history["loss"],
                               rtol=1e-5)
    km.layers[1].trainable = dm.layers[1].trainable = False  # its add_loss still counts, its penalty does not
    np.testing.assert_allclose(dm.fit(xx, yy, epochs=2, batch_size=4, verbose=0, shuffle=False).history["loss"],
                               km.fit(xx, yy, epochs=2, batch_size=4, verbose=0, shuffle=False).history["loss"],
                               rtol=1e-5)
    assert len(dm.losses) == len(km.losses) == 2


def _shape_models(K):
    layers = K.layers

    class Expand(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d, self.e = layers.Dense(6), layers.Dense(3)

        def call(self, x):
            return self.e(self.d(x))

    class Sub(K.Model):
        def __init__(self):
            super().__init__()
            self.o = layers.Dense(3)

        def call(self, x):
            return self.o(x)

    seq = K.Sequential([layers.Input((4,)), Expand(), layers.Dense(2)])
    inp = layers.Input((5,))
    func = K.Model(inp, layers.Dense(2)(Sub()(inp)))
    inp = layers.Input((None, 4))
    ragged = K.Model(inp, layers.Dense(2)(Expand()(inp)))
    return seq, func, ragged


def test_custom_layers_and_subclassed_models_give_their_output_shape_to_the_next_layer():
    for km, dm in zip(_shape_models(real), _shape_models(dgk)):
        assert dm.count_params() == km.count_params()
        assert [a.shape for a in dm.get_weights()] == [a.shape for a in km.get_weights()]
    ragged = _shape_models(dgk)[2]
    assert ragged.layers[1].output_shape == (None, None, 3)
    assert ragged.predict(np.zeros((2, 7, 4), np.float32), verbose=0).shape == (2, 7, 2)


def _mlp(K):
    layers = K.layers

    class MLP(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.layers = [layers.Dense(3), layers.Dense(2)]  # a plain layer may use the name 'layers'
            self._hidden = layers.Dense(2)  # private attributes come last in the file
            self.alpha = layers.Dense(2)

        def call(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.alpha(self._hidden(x))

    inp = layers.Input((4,))
    return K.Model(inp, MLP()(inp))


def test_h5_keys_of_a_custom_layer_follow_keras_attribute_order(tmp_path):
    km, dm = _mlp(real), _mlp(dgk)
    km.save_weights(tmp_path / "k.weights.h5")
    dm.save_weights(tmp_path / "d.weights.h5")
    keys = _h5_keys(tmp_path / "d.weights.h5")
    assert keys == _h5_keys(tmp_path / "k.weights.h5")
    assert "layers/mlp/layers/dense_1/vars/0" in keys and "layers/mlp/_hidden/vars/0" in keys
    dm.load_weights(tmp_path / "k.weights.h5")
    x = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    np.testing.assert_allclose(dm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
