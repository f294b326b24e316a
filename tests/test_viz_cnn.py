"""deepgrad.viz's CNN pictures: filter grids and feature maps as arrays (numpy only), then drawn."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, viz
from deepgrad.backend import cupy_module


def test_tile_layout_and_padding():
    imgs = np.arange(5 * 2 * 3, dtype=np.float64).reshape(5, 2, 3)
    grid = viz.tile(imgs, pad=1, pad_value=-1)
    assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)  # 5 tiles -> 3 columns, 2 rows
    np.testing.assert_array_equal(grid[0:2, 4:7], imgs[1])
    np.testing.assert_array_equal(grid[3:5, 0:3], imgs[3])
    assert (grid[2] == -1).all() and (grid[3:5, 8:11] == -1).all()  # the gap row and the empty 6th slot
    assert viz.tile(np.zeros((4, 2, 2, 3)), cols=4).shape == (2, 11, 3)
    with pytest.raises(ValueError, match="got shape"):
        viz.tile(np.zeros((2, 3)))


def test_filter_grid_torch_and_keras_layouts():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 2, 3, 3))  # (out, in, kh, kw)
    grid = viz.filter_grid(w)
    assert grid.shape == (4 * 4 - 1, 2 * 4 - 1)  # row = filter, column = input channel
    f1 = w[1]
    expected = (f1 - f1.min()) / (f1.max() - f1.min())  # each filter scaled to [0, 1] on its own
    np.testing.assert_allclose(grid[4:7, 4:7], expected[1])
    np.testing.assert_allclose(viz.filter_grid(w.transpose(2, 3, 1, 0), channels_last=True), grid)
    conv = nn.Conv2d(3, 5, 5)
    rgb = viz.filter_grid(conv)  # a layer works too: its weight is used
    assert rgb.shape == (2 * 6 - 1, 3 * 6 - 1, 3)
    w0 = conv.weight.numpy()[0]
    np.testing.assert_allclose(rgb[:5, :5], ((w0 - w0.min()) / (w0.max() - w0.min())).transpose(1, 2, 0), rtol=1e-6)
    with pytest.raises(ValueError, match="4-D"):
        viz.filter_grid(np.zeros((3, 3)))


def _cnn():
    dg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU())


def test_feature_maps_are_the_layer_outputs():
    model = _cnn()
    img = np.random.default_rng(0).random((12, 12)).astype(np.float32)
    maps = viz.feature_maps(model, img)
    assert list(maps) == ["0", "3"]
    x = dg.tensor(img[None, None])
    with dg.no_grad():
        c1 = model[0](x)
        c2 = model[3](model[2](model[1](c1)))
    np.testing.assert_allclose(maps["0"], c1.numpy()[0], rtol=1e-6)
    np.testing.assert_allclose(maps["3"], c2.numpy()[0], rtol=1e-6)
    assert set(viz.feature_maps(model, img[None], layers=["1"])) == {"1"}
    assert list(viz.feature_maps(model[0], img)) == ["Conv2d"]
    with pytest.raises(KeyError, match="no submodule"):
        viz.feature_maps(model, img, layers=["9"])
    with pytest.raises(ValueError, match="one image"):
        viz.feature_maps(model, np.zeros((2, 1, 12, 12)))
    with pytest.raises(ValueError, match="no conv layer"):
        viz.feature_maps(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), np.zeros((2, 2)))


def test_keras_conv_filters_and_feature_maps():
    from deepgrad import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(6, 3)])
    conv = model.layers[0]
    kernel = conv.get_weights()[0]  # keras layout (kh, kw, in, out)
    np.testing.assert_allclose(viz.filter_grid(conv), viz.filter_grid(kernel, channels_last=True), rtol=1e-6)
    img = np.random.default_rng(0).random((12, 12)).astype(np.float32)
    maps = viz.feature_maps(model, img)
    assert list(maps) == [conv.name, model.layers[2].name]
    first = conv(img[None, :, :, None]).numpy()[0]  # (10, 10, 4)
    np.testing.assert_allclose(maps[conv.name], first.transpose(2, 0, 1), rtol=1e-6)
    assert maps[model.layers[2].name].shape == (6, 3, 3)
    assert all("call" not in vars(layer) for layer in model.layers)  # the hooks are gone
    assert set(viz.feature_maps(model, img[:, :, None], layers=[model.layers[1].name])) == {model.layers[1].name}
    with pytest.raises(KeyError, match="no layer"):
        viz.feature_maps(model, img, layers=["nope"])
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        viz.feature_maps(model, np.zeros((2, 12, 12, 1)))
    with pytest.raises(TypeError, match="keras model"):
        viz.feature_maps(object(), img)


def test_plots_write_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    model = _cnn()
    fig = viz.plot_filters(model[0].weight, tmp_path / "f.png")
    np.testing.assert_allclose(np.asarray(fig.axes[0].images[0].get_array()), viz.filter_grid(model[0].weight))
    fig = viz.plot_feature_maps(model, np.ones((12, 12)), tmp_path / "m.png", max_maps=3)
    assert [ax.get_title() for ax in fig.axes] == ["0: 3 of 4 maps, 10x10", "3: 3 of 6 maps, 3x3"]
    for name in ("f.png", "m.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_viz_tools_on_cuda():
    model = _cnn()
    img = np.random.default_rng(0).random((12, 12)).astype(np.float32)
    cpu = viz.feature_maps(model, img)
    model.to("cuda")
    gpu = viz.feature_maps(model, img)
    for k in cpu:
        assert isinstance(gpu[k], np.ndarray)
        np.testing.assert_allclose(gpu[k], cpu[k], rtol=1e-5, atol=1e-6)
    assert viz.filter_grid(model[3].weight).shape == (6 * 4 - 1, 4 * 4 - 1)
    mon = viz.GradientMonitor(model)
    out = model(dg.tensor(img[None, None], device="cuda")).sum()
    g = viz.graph(out, params=model.named_parameters(), show_grads=True)
    out.backward()
    np.testing.assert_allclose(g.nodes[next(k for k, n in g.nodes.items() if n.label == "0.weight")].grad,
                               model[0].weight.grad.numpy(), rtol=1e-5)
    assert mon.gradient_norms()["0"] == pytest.approx(float(np.linalg.norm(model[0].weight.grad.numpy())), rel=1e-5)
    assert mon.activation_stats()["1"]["dead"] is not None
