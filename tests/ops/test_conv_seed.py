"""The seed lectures' convolution and pooling numbers, second derivatives, and bad-input errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils.gradcheck import gradgradcheck

torch = pytest.importorskip("torch")

POOL_EXAMPLE = [[1, 5, 4, 3], [2, 6, 4, 0], [3, 1, 7, 9], [2, 8, 6, 5]]  # seed 002


def _t(a, requires_grad=False, dtype=np.float32):
    return dg.Tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


# -- seed 002 / 004: output sizes ---------------------------------------------------------
@pytest.mark.parametrize("stride, size", [(1, 5), (2, 3)])
def test_7x7_input_3x3_kernel(stride, size):
    x = _t(np.arange(49).reshape(1, 1, 7, 7))
    w = _t(np.ones((1, 1, 3, 3)))
    y = dg.conv2d(x, w, stride=stride)
    assert y.shape == (1, 1, size, size)
    # each output is the sum of its 3x3 window
    windows = np.lib.stride_tricks.sliding_window_view(np.arange(49.0).reshape(7, 7), (3, 3))[::stride, ::stride]
    np.testing.assert_allclose(y.numpy()[0, 0], windows.sum(axis=(2, 3)))


def test_32x32x3_six_5x5x3_kernels_give_six_28x28_maps():
    rng = np.random.default_rng(0)
    x = _t(rng.standard_normal((1, 3, 32, 32)))
    w = _t(rng.standard_normal((6, 3, 5, 5)))
    y = dg.conv2d(x, w)
    assert y.shape == (1, 6, 28, 28)
    assert y.dtype == np.float32
    ref = torch.nn.functional.conv2d(torch.tensor(x.numpy()), torch.tensor(w.numpy()))
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


def test_relu_after_convolution_is_nonnegative():
    rng = np.random.default_rng(1)
    y = dg.conv2d(_t(rng.standard_normal((1, 3, 32, 32))), _t(rng.standard_normal((6, 3, 5, 5))))
    relu = dg.relu(y).numpy() if hasattr(dg, "relu") else np.maximum(y.numpy(), 0)
    assert relu.shape == (1, 6, 28, 28) and float(relu.min()) == 0.0 and float(relu.max()) > 0.0
    np.testing.assert_array_equal(relu, np.maximum(y.numpy(), 0))


# -- seed 002: the 4x4 pooling example ----------------------------------------------------
def test_pooling_example_max():
    y = dg.max_pool2d(_t(POOL_EXAMPLE).reshape(1, 1, 4, 4), 2, 2)
    assert y.numpy()[0, 0].tolist() == [[6, 4], [8, 9]]


def test_pooling_example_average_and_floored():
    y = dg.avg_pool2d(_t(POOL_EXAMPLE).reshape(1, 1, 4, 4), 2, 2).numpy()[0, 0]
    np.testing.assert_allclose(y, [[3.5, 2.75], [3.5, 6.75]])
    assert np.floor(y).tolist() == [[3, 2], [3, 6]]  # the slide's integer version


def test_pooling_example_unbatched_and_module_free_forms_agree():
    x = _t(POOL_EXAMPLE).reshape(1, 4, 4)  # (C, H, W)
    assert dg.max_pool2d(x, 2).numpy()[0].tolist() == [[6, 4], [8, 9]]
    assert dg.adaptive_avg_pool2d(x, 2).numpy()[0].tolist() == [[3.5, 2.75], [3.5, 6.75]]


# -- max-pool backward with ties ----------------------------------------------------------
def test_max_pool_backward_routes_ties_to_one_element():
    x = _t(np.zeros((1, 1, 4, 4)), requires_grad=True)  # every window is a 4-way tie
    dg.max_pool2d(x, 2).sum().backward()
    g = x.grad.numpy()[0, 0]
    assert g.sum() == 4.0  # one unit per window, not four
    assert g.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]  # the first maximum
    tx = torch.zeros((1, 1, 4, 4), requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(g, tx.grad.numpy()[0, 0])


def test_max_pool_backward_ties_overlapping_windows_match_torch():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, (2, 3, 7, 7)).astype(np.float32)  # many ties
    x = _t(a, requires_grad=True)
    gy = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    (dg.max_pool2d(x, 3, 2, 1) * _t(gy)).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    (torch.nn.functional.max_pool2d(tx, 3, 2, 1) * torch.tensor(gy)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_max_pool_nan_propagates_like_torch():
    a = np.array([[[[1.0, np.nan], [3.0, 2.0]]]], dtype=np.float32)
    x = _t(a, requires_grad=True)
    y = dg.max_pool2d(x, 2)
    assert np.isnan(y.numpy()).all()
    y.sum().backward()
    assert x.grad.numpy().ravel().tolist() == [0.0, 1.0, 0.0, 0.0]


def test_max_pool_return_indices_match_torch():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 2, 9, 8)).astype(np.float32)
    y, idx = dg.max_pool2d(_t(a), 3, 2, 1, ceil_mode=True, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(a), 3, 2, 1, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


# -- second derivatives ---------------------------------------------------------------------
def _f64(shape, seed):
    return dg.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_gradgradcheck_conv2d_with_bias_stride_padding_groups():
    fn = lambda x, w, b: dg.conv2d(x, w, b, stride=2, padding=1, dilation=1, groups=2)  # noqa: E731
    assert gradgradcheck(fn, [_f64((2, 4, 5, 6), 0), _f64((4, 2, 3, 3), 1), _f64((4,), 2)])


def test_gradgradcheck_conv2d_dilated_same():
    fn = lambda x, w: dg.conv2d(x, w, padding="same", dilation=2)  # noqa: E731
    assert gradgradcheck(fn, [_f64((1, 2, 6, 5), 3), _f64((3, 2, 2, 3), 4)])


def test_gradgradcheck_conv_transpose2d():
    fn = lambda x, w, b: dg.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)  # noqa: E731
    assert gradgradcheck(fn, [_f64((1, 4, 3, 4), 5), _f64((4, 1, 3, 2), 6), _f64((2,), 7)])


def test_gradgradcheck_conv1d():
    fn = lambda x, w: dg.conv1d(x, w, stride=2, padding=1)  # noqa: E731
    assert gradgradcheck(fn, [_f64((2, 3, 7), 8), _f64((2, 3, 3), 9)])


def test_gradgradcheck_pooling():
    x = _f64((2, 2, 5, 6), 10)
    assert gradgradcheck(lambda a: dg.max_pool2d(a, 3, 2, 1) * dg.max_pool2d(a, 3, 2, 1), [x])
    assert gradgradcheck(lambda a: dg.avg_pool2d(a, 3, 2, 1, ceil_mode=True) ** 2, [x])
    assert gradgradcheck(lambda a: dg.adaptive_avg_pool2d(a, (3, 4)) ** 2, [x])


def test_conv2d_double_backward_matches_torch():
    rng = np.random.default_rng(11)
    xa, wa = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    x, w = dg.Tensor(xa, requires_grad=True), dg.Tensor(wa, requires_grad=True)
    (gx,) = dg.grad((dg.conv2d(x, w, stride=2, padding=1) ** 2).sum(), [x], create_graph=True)
    (gx * gx).sum().backward()
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    (tgx,) = torch.autograd.grad((torch.nn.functional.conv2d(tx, tw, stride=2, padding=1) ** 2).sum(), [tx],
                                 create_graph=True)
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-9)


# -- dtype, layout and memory ---------------------------------------------------------------
def test_float32_stays_float32_through_forward_and_backward():
    rng = np.random.default_rng(12)
    x = _t(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = _t(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = _t(rng.standard_normal(4), requires_grad=True)
    y = dg.avg_pool2d(dg.max_pool2d(dg.conv2d(x, w, b, padding=1), 2), 2, 1, 1, ceil_mode=True,
                      count_include_pad=False)
    assert y.dtype == np.float32
    y.sum().backward()
    for t in (x, w, b):
        assert t.grad.dtype == np.float32


def test_no_grad_keeps_no_columns():
    x = _t(np.ones((1, 1, 6, 6)))
    w = _t(np.ones((2, 1, 3, 3)), requires_grad=True)
    with dg.no_grad():
        y = dg.conv2d(x, w)
    assert y.creator is None
    y = dg.conv2d(x, w)
    assert getattr(y.creator, "col", None) is not None  # kept for the weight gradient
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), np.full((2, 1, 3, 3), 16.0))


# -- errors name the op, the expected and the actual ---------------------------------------
def test_conv2d_channel_mismatch_message():
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels .*\(4, 2, 3, 3\).*expects 2"):
        dg.conv2d(_t(np.ones((1, 3, 5, 5))), _t(np.ones((4, 2, 3, 3))))


def test_conv2d_kernel_larger_than_input_message():
    with pytest.raises(ValueError, match="conv2d: kernel .* larger than the padded input 4"):
        dg.conv2d(_t(np.ones((1, 1, 4, 4))), _t(np.ones((1, 1, 5, 5))))


def test_conv2d_bad_shapes_and_arguments():
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, C, H, W\)"):
        dg.conv2d(_t(np.ones((4, 4))), _t(np.ones((1, 1, 3, 3))))
    with pytest.raises(ValueError, match="conv2d: padding='same' is not supported for strided"):
        dg.conv2d(_t(np.ones((1, 1, 5, 5))), _t(np.ones((1, 1, 3, 3))), stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(2,\), got \(3,\)"):
        dg.conv2d(_t(np.ones((1, 1, 5, 5))), _t(np.ones((2, 1, 3, 3))), _t(np.ones(3)))
    with pytest.raises(ValueError, match="conv2d: stride must be >= 1"):
        dg.conv2d(_t(np.ones((1, 1, 5, 5))), _t(np.ones((2, 1, 3, 3))), stride=0)
    with pytest.raises(ValueError, match="groups"):
        dg.conv2d(_t(np.ones((1, 3, 5, 5))), _t(np.ones((2, 1, 3, 3))), groups=3)


def test_pool_errors():
    with pytest.raises(ValueError, match="max_pool2d: padding 2 should be at most half of kernel size 2"):
        dg.max_pool2d(_t(np.ones((1, 1, 4, 4))), 2, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: input \(1, 1, 2, 2\) is too small"):
        dg.avg_pool2d(_t(np.ones((1, 1, 2, 2))), 3)
    with pytest.raises(ValueError, match="conv_transpose2d: output_padding 2 must be smaller"):
        dg.conv_transpose2d(_t(np.ones((1, 1, 3, 3))), _t(np.ones((1, 1, 3, 3))), stride=2, output_padding=2)


# -- layers (nn.Conv2d, nn.MaxPool2d, ...) against torch.nn with copied weights -------------------
def _copy_to_torch(layer, tlayer):
    with torch.no_grad():
        tlayer.weight.copy_(torch.tensor(layer.weight.numpy()))
        if layer.bias is not None:
            tlayer.bias.copy_(torch.tensor(layer.bias.numpy()))


@pytest.mark.parametrize("make, tmake, shape", [
    (lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), lambda tnn: tnn.Conv2d(4, 6, 3, 2, 1, groups=2),
     (2, 4, 9, 8)),
    (lambda nn: nn.Conv2d(3, 5, (2, 3), padding="same", dilation=2, bias=False),
     lambda tnn: tnn.Conv2d(3, 5, (2, 3), padding="same", dilation=2, bias=False), (2, 3, 7, 6)),
    (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), lambda tnn: tnn.Conv1d(3, 4, 3, 2, 1), (2, 3, 9)),
    (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     lambda tnn: tnn.ConvTranspose2d(4, 6, 3, 2, 1, 1, groups=2), (2, 4, 4, 5)),
])
def test_conv_layers_match_torch(make, tmake, shape):
    from deepgrad import nn

    dg.manual_seed(0)
    layer, tlayer = make(nn), tmake(torch.nn)
    assert tuple(layer.weight.shape) == tuple(tlayer.weight.shape)
    _copy_to_torch(layer, tlayer)
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x, tx = _t(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = layer(x), tlayer(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    gy = np.random.default_rng(1).standard_normal(ty.shape).astype(np.float32)
    (y * _t(gy)).sum().backward()
    (ty * torch.tensor(gy)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad.numpy(), tlayer.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    if layer.bias is not None:
        np.testing.assert_allclose(layer.bias.grad.numpy(), tlayer.bias.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv2d_default_init_is_pytorchs_and_seeded():
    from deepgrad import nn

    dg.manual_seed(7)
    a = nn.Conv2d(6, 16, 5)
    dg.manual_seed(7)
    b = nn.Conv2d(6, 16, 5)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    bound = 1 / np.sqrt(6 * 5 * 5)  # kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = a.weight.numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound
    assert np.abs(a.bias.numpy()).max() <= bound
    assert set(a.state_dict()) == {"weight", "bias"}
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)  # torch's fan_in for transposed weights: (out/groups) * k * k
    assert np.abs(t.weight.numpy()).max() <= 1 / np.sqrt(3 * 9)


def test_pool_layers_match_functional_and_torch():
    from deepgrad import nn

    a = np.random.default_rng(5).standard_normal((2, 3, 9, 7)).astype(np.float32)
    for layer, tlayer in [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                          (nn.AvgPool2d(2, 1, 1, count_include_pad=False), torch.nn.AvgPool2d(2, 1, 1,
                                                                                             count_include_pad=False)),
                          (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
                          (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1))]:
        np.testing.assert_allclose(layer(_t(a)).numpy(), tlayer(torch.tensor(a)).numpy(), rtol=1e-5, atol=1e-6)
        assert repr(layer).startswith(type(layer).__name__)


def test_conv_layer_errors_name_the_layer():
    from deepgrad import nn

    conv = nn.Conv2d(3, 6, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 6, kernel_size=\(5, 5\).*expected input of shape "
                                         r"\(N, 3, H, W\), got shape \(2, 4, 8, 8\)"):
        conv(_t(np.ones((2, 4, 8, 8))))
    with pytest.raises(ValueError, match="Conv2d: in_channels .* divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")


def test_lenet_shapes_and_one_training_step_match_torch():
    from deepgrad import nn

    dg.manual_seed(0)
    layers = [nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
              nn.Linear(84, 10)]
    model = nn.Sequential(*layers)
    tl = [torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6, 16, 5),
          torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400, 120), torch.nn.ReLU(),
          torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 10)]
    tmodel = torch.nn.Sequential(*tl)
    for a, b in zip(layers, tl):
        if hasattr(b, "weight"):
            _copy_to_torch(a, b)
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((8, 1, 28, 28)), 0).astype(np.float32)  # zeros: ties in the pools
    y = rng.integers(0, 10, 8)
    out = model(_t(x))
    assert out.shape == (8, 10)
    loss = dg.nn.functional.cross_entropy(out, dg.Tensor(y))
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
    tloss.backward()
    assert float(loss.item()) == pytest.approx(float(tloss.item()), rel=1e-5)
    for a, b in zip(layers, tl):
        if hasattr(b, "weight"):
            np.testing.assert_allclose(a.weight.grad.numpy(), b.weight.grad.numpy(), rtol=1e-3, atol=1e-5)


def test_blocked_im2col_paths_match_torch(monkeypatch):
    """Columns built in blocks of rows (and weight gradients summed over column blocks) change nothing."""
    import deepgrad.ops.conv as conv_ops
    import deepgrad.ops.im2col as im2col

    monkeypatch.setattr(im2col, "CHUNK_BYTES", 600)  # a few output rows per block
    monkeypatch.setattr(conv_ops, "WEIGHT_GRAD_BLOCK", 7)
    rng = np.random.default_rng(21)
    xa, wa, ba = rng.standard_normal((3, 4, 9, 8)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    x, w, b = (dg.Tensor(a.astype(np.float32), requires_grad=True) for a in (xa, wa, ba))
    tx, tw, tb = (torch.tensor(a.astype(np.float32), requires_grad=True) for a in (xa, wa, ba))
    y = dg.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    gy = rng.standard_normal(ty.shape).astype(np.float32)
    (y * _t(gy)).sum().backward()
    (ty * torch.tensor(gy)).sum().backward()
    for a, t in ((y, ty), (x.grad, tx.grad), (w.grad, tw.grad), (b.grad, tb.grad)):
        np.testing.assert_allclose(a.numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-4)
    fn = lambda a, k: dg.conv_transpose2d(a, k, stride=2, padding=1, output_padding=1)  # noqa: E731
    assert gradgradcheck(fn, [_f64((2, 3, 4, 5), 22), _f64((3, 2, 3, 3), 23)])


def test_im2col_and_col2im_are_adjoint():
    """<im2col(x), c> == <x, col2im(c)> for every geometry: col2im is exactly the transpose."""
    from deepgrad.ops.im2col import col2im, conv_out_size, im2col

    rng = np.random.default_rng(30)
    geometries = [((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)), ((2, 3), (2, 3), (0, 1, 2, 0), (2, 1))]
    for kernel, stride, pads, dilation in geometries:
        x = rng.standard_normal((2, 3, 7, 8))
        out = (conv_out_size(7, kernel[0], stride[0], pads[0] + pads[1], dilation[0]),
               conv_out_size(8, kernel[1], stride[1], pads[2] + pads[3], dilation[1]))
        col = im2col(x, kernel, stride, pads, dilation, out)
        assert col.shape == (3 * kernel[0] * kernel[1], out[0] * out[1] * 2)
        c = rng.standard_normal(col.shape)
        back = col2im(c, x.shape, kernel, stride, pads, dilation, out)
        assert back.shape == x.shape
        assert float((col * c).sum()) == pytest.approx(float((x * back).sum()), rel=1e-10)
