"""deepgrad.viz.GradientMonitor: per-layer gradient norms against PyTorch, activation statistics
against numpy, and the plot (matplotlib optional)."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, viz
from deepgrad.nn import functional as F


def _model(act=nn.Sigmoid):
    dg.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), act(), nn.Linear(4, 4), act(), nn.Linear(4, 3))


def test_norms_and_deltas_match_torch():
    torch = pytest.importorskip("torch")
    model = _model()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)).astype(np.float32), rng.integers(0, 3, 8)
    mon = viz.GradientMonitor(model)
    loss = F.cross_entropy(model(dg.tensor(x)), dg.tensor(y))
    from_loss = viz.layer_gradient_norms(model, loss)
    assert model[0].weight.grad is None  # computed aside, .grad untouched
    loss.backward()
    tm = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 4), torch.nn.Sigmoid(),
                             torch.nn.Linear(4, 3))
    with torch.no_grad():
        for i in (0, 2, 4):
            tm[i].weight.copy_(torch.tensor(model[i].weight.numpy()))
            tm[i].bias.copy_(torch.tensor(model[i].bias.numpy()))
    outs = {}

    def keep(i):
        def hook(mod, inp, out):
            out.register_hook(lambda g: outs.__setitem__(str(i), float(g.norm())))
        return hook

    for i, m in enumerate(tm):
        m.register_forward_hook(keep(i))
    torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(y)).backward()
    norms = mon.gradient_norms()
    assert list(norms) == ["0", "2", "4"]
    for i in (0, 2, 4):
        np.testing.assert_allclose(norms[str(i)], float(tm[i].weight.grad.norm()), rtol=1e-5)
    assert norms == viz.layer_gradient_norms(model)
    np.testing.assert_allclose(list(from_loss.values()), list(norms.values()), rtol=1e-6)
    deltas = mon.output_gradient_norms()
    assert list(deltas) == ["0", "1", "2", "3", "4"]
    for k, v in deltas.items():
        np.testing.assert_allclose(v, outs[k], rtol=1e-5)
    mon.remove()
    model(dg.tensor(x))  # no hooks any more: the stats stay those of the first batch
    assert set(mon.activation_stats()) == {"1", "3"}


def test_activation_statistics_saturated_and_dead():
    model = _model()
    mon = viz.GradientMonitor(model)
    with dg.no_grad():
        model[0].weight.data[...] = 50.0 * np.sign(model[0].weight.data)  # drive the first sigmoid to its bounds
    x = np.random.default_rng(1).standard_normal((16, 5)).astype(np.float32)
    with dg.no_grad():
        model(dg.tensor(x))
        a = dg.sigmoid(model[0](dg.tensor(x))).numpy().astype(np.float64)
    s = mon.activation_stats()["1"]
    np.testing.assert_allclose([s["mean"], s["std"]], [a.mean(), a.std()], rtol=1e-6)
    assert s["saturated"] == pytest.approx(((a <= 0.01) | (a >= 0.99)).mean()) and s["saturated"] > 0.5
    assert s["dead"] is None
    relu = _model(nn.ReLU)
    with dg.no_grad():
        relu[0].bias.data[:2] = -100.0  # two units that never fire
    with viz.GradientMonitor(relu) as mon2:
        relu(dg.tensor(x))
        r = mon2.activation_stats()["1"]
    assert r["dead"] == pytest.approx(2 / 4) and r["saturated"] is None
    text = mon2.report()
    assert text.splitlines()[0].split()[:3] == ["layer", "type", "|dL/dW|"]
    assert "50.0%" in text


def test_bad_input():
    with pytest.raises(TypeError, match="nn.Module"):
        viz.GradientMonitor(object())
    with pytest.raises(ValueError, match="no layer with a weight"):
        viz.GradientMonitor(nn.Flatten())
    with pytest.raises(TypeError, match="non-empty dict"):
        viz.plot_gradient_norms([1.0, 2.0])


def test_plot_gradient_norms(tmp_path):
    pytest.importorskip("matplotlib")
    fig = viz.plot_gradient_norms({"sigmoid": {"0": 1e-6, "2": 1e-3}, "relu": {"0": 0.1, "2": 0.2}},
                                  tmp_path / "norms.png")
    assert (tmp_path / "norms.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1e-6, 1e-3])


def test_keras_model_norms_and_stats():
    from deepgrad import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="sigmoid"), keras.layers.Dense(4),
                              keras.layers.Activation("relu"), keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)).astype(np.float32), rng.integers(0, 3, 8)
    mon = viz.GradientMonitor(model)
    assert list(mon.layers) == [layer.name for layer in model.layers]
    model.train_on_batch(x, y)
    deltas = mon.output_gradient_norms()
    assert all(deltas[layer.name] is not None for layer in model.layers[:-1])
    assert deltas[model.layers[-1].name] is None  # fused softmax cross entropy: the gradient is taken at the logits
    assert model.layers[-1].name not in mon.activation_stats()  # softmax: not an activation it summarises
    norms = mon.gradient_norms()
    dense = [layer for layer in model.layers if layer.trainable_weights]
    assert list(norms) == [layer.name for layer in dense]
    for layer in dense:
        np.testing.assert_allclose(norms[layer.name], np.linalg.norm(layer.trainable_weights[0].grad.numpy()),
                                   rtol=1e-6)
    with dg.no_grad():  # the first layer's sigmoid outputs, computed aside (the weights changed in the step)
        model.predict(x, verbose=0)
        a = model.layers[0](x).numpy().astype(np.float64)
    stats = mon.activation_stats()
    assert set(stats) == {model.layers[0].name, model.layers[2].name}
    np.testing.assert_allclose(stats[model.layers[0].name]["mean"], a.mean(), rtol=1e-6)
    assert stats[model.layers[2].name]["dead"] is not None
    mon.remove()
    assert all("call" not in vars(layer) and "call_with_logits" not in vars(layer) for layer in model.layers)
    model.predict(x, verbose=0)


def test_keras_sigmoid_output_layer_is_seen_through_the_fused_loss_path():
    from deepgrad import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    with viz.GradientMonitor(model) as mon:
        model.train_on_batch(x, np.ones((6, 1), np.float32))
        stats = mon.activation_stats()[model.layers[0].name]
        w = model.layers[0].trainable_weights[0].grad
        assert mon.gradient_norms()[model.layers[0].name] == pytest.approx(float(np.linalg.norm(w.numpy())))
    assert 0.0 < stats["mean"] < 1.0 and stats["saturated"] is not None
