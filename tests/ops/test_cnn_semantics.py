"""CNN layers against PyTorch as modules: padding modes, GroupNorm / InstanceNorm (running statistics
included), padding and resizing layers, reprs, functional channel dropout and error messages."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import nn

torch = pytest.importorskip("torch")

_r = np.random.default_rng(7)


def _x(*shape):
    return _r.standard_normal(shape).astype(np.float32)


def _copy_params(m, tm):
    """Give the torch module deepgrad's parameters, perturbed off their defaults."""
    for name, p in tm.named_parameters():
        mine = getattr(m, name)
        mine.data[...] = p.detach().numpy() + _r.standard_normal(p.shape).astype(np.float32) * 0.1
        with torch.no_grad():
            p.copy_(torch.tensor(mine.data))


def _check_module(m, tm, shape, steps=1, eval_last=False, tol=1e-5):
    _copy_params(m, tm)
    for step in range(steps):
        if eval_last and step == steps - 1:
            m.eval()
            tm.eval()
        x = _x(*shape) * 2 + 1
        xd, xt = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            y, ty = m(xd), tm(xt)
        w = _x(*ty.shape)
        (y * dg.tensor(w)).sum().backward()
        (ty * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(getattr(m, name).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    sd, tsd = m.state_dict(), tm.state_dict()
    assert sorted(sd) == sorted(tsd)
    for k in tsd:
        np.testing.assert_allclose(np.asarray(sd[k].numpy(), dtype=np.float64), tsd[k].numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)
    assert repr(m) == repr(tm)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("kw", [dict(padding=1), dict(padding=(2, 1), stride=2), dict(padding="same", dilation=2)])
def test_conv2d_padding_mode(mode, kw):
    k = 4 if kw.get("padding") == "same" else 3
    _check_module(nn.Conv2d(4, 3, k, padding_mode=mode, **kw), torch.nn.Conv2d(4, 3, k, padding_mode=mode, **kw),
                  (2, 4, 7, 6))


@pytest.mark.parametrize("mode", ["reflect", "circular"])
def test_conv_padding_mode_1d_and_unbatched(mode):
    _check_module(nn.Conv1d(2, 3, 3, padding=2, padding_mode=mode), torch.nn.Conv1d(2, 3, 3, padding=2,
                                                                                      padding_mode=mode), (2, 2, 9))
    _check_module(nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode), torch.nn.Conv2d(2, 3, 3, padding=1,
                                                                                      padding_mode=mode), (2, 5, 5))


def test_padding_mode_errors():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 3, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros'"):
        nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")


@pytest.mark.parametrize("args,kw,shape", [((2, 6), {}, (3, 6, 4, 5)), ((3, 6), dict(affine=False), (3, 6, 7)),
                                           ((2, 4), dict(eps=1e-3), (3, 4)), ((1, 4), dict(bias=False), (2, 4, 3))])
def test_group_norm_module(args, kw, shape):
    _check_module(nn.GroupNorm(*args, **kw), torch.nn.GroupNorm(*args, **kw), shape, steps=2)


@pytest.mark.parametrize("cls,kw,shape", [
    ("InstanceNorm2d", {}, (2, 3, 4, 5)),
    ("InstanceNorm2d", dict(affine=True, track_running_stats=True), (2, 3, 4, 5)),
    ("InstanceNorm1d", dict(track_running_stats=True, momentum=0.3), (3, 7)),  # unbatched
    ("InstanceNorm2d", dict(affine=True), (3, 4, 5)),  # unbatched
])
def test_instance_norm_module_train_then_eval(cls, kw, shape):
    _check_module(getattr(nn, cls)(3, **kw), getattr(torch.nn, cls)(3, **kw), shape, steps=3, eval_last=True)


def test_instance_norm_3d_module():
    _check_module(nn.InstanceNorm3d(3, affine=True, track_running_stats=True),
                  torch.nn.InstanceNorm3d(3, affine=True, track_running_stats=True), (2, 3, 2, 3, 4), steps=3,
                  eval_last=True)


@pytest.mark.parametrize("args,kw,shape", [((5,), {}, (2, 3, 5)), (((2, 3),), dict(eps=1e-6), (4, 2, 3)),
                                           ((4,), dict(elementwise_affine=False), (3, 4))])
def test_rms_norm_module(args, kw, shape):
    _check_module(nn.RMSNorm(*args, **kw), torch.nn.RMSNorm(*args, **kw), shape)


def test_rms_norm_default_eps_is_dtype_eps():
    x = _r.uniform(-1e-4, 1e-4, (3, 4))  # tiny values: eps dominates
    np.testing.assert_allclose(F.rms_norm(dg.tensor(x), (4,)).numpy(),
                               torch.nn.functional.rms_norm(torch.tensor(x), (4,)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("args,shape", [((3,), (2, 5, 4, 3)), ((4, 0.1, 0.5, 2.0), (2, 6, 7)), ((2,), (2, 3, 2, 3, 2))])
def test_local_response_norm_module(args, shape):
    _check_module(nn.LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args), shape)


@pytest.mark.parametrize("kw", [dict(affine=False), dict(bias=False)])
def test_norm_reprs_follow_torch(kw):
    assert repr(nn.BatchNorm2d(3, **kw)) == repr(torch.nn.BatchNorm2d(3, **kw))
    assert repr(nn.GroupNorm(1, 3, **kw)) == repr(torch.nn.GroupNorm(1, 3, **kw))
    assert repr(nn.InstanceNorm1d(3, **kw)) == repr(torch.nn.InstanceNorm1d(3, **kw))


def test_norm_errors():
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="group_norm: expected the number of channels 6 to be divisible"):
        F.group_norm(dg.ones(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 6, \*\), got shape \(2, 4, 3\)"):
        nn.GroupNorm(2, 6)(dg.ones(2, 4, 3))
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial element"):
        nn.InstanceNorm2d(3)(dg.ones(2, 3, 1, 1))
    ints = dg.tensor(np.ones((4, 3, 2), dtype=np.int64))
    for m, op in [(nn.BatchNorm1d(3), "batch_norm"), (nn.GroupNorm(1, 3), "group_norm"),
                  (nn.InstanceNorm1d(3), "instance_norm"), (nn.LayerNorm(2), "layer_norm"),
                  (nn.RMSNorm(2), "rms_norm")]:
        with pytest.raises(TypeError, match=f"{op}: expected a floating point input, got int64"):
            m(ints)


_PADS = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
         "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d"]


@pytest.mark.parametrize("name", _PADS)
@pytest.mark.parametrize("unbatched", [False, True])
def test_padding_layers(name, unbatched):
    two = name.endswith("2d")
    padding = (2 if unbatched else ((1, 2, 0, 1) if two else (1, 2)))
    args = (padding, 1.5) if "Constant" in name else (padding,)
    shape = ((3, 4, 5) if two else (3, 5)) if unbatched else ((2, 3, 4, 5) if two else (2, 3, 5))
    _check_module(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), shape)


@pytest.mark.parametrize("make", [
    lambda m: m.Upsample(scale_factor=2),
    lambda m: m.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
    lambda m: m.Upsample(scale_factor=(2, 1.5), mode="bilinear"),
    lambda m: m.Upsample(scale_factor=2.5, mode="bicubic"),
    lambda m: m.UpsamplingNearest2d(scale_factor=2),
    lambda m: m.UpsamplingBilinear2d(size=3),
    lambda m: m.PixelShuffle(2),
    lambda m: m.PixelUnshuffle(2),
    lambda m: m.Unfold(2, stride=2),
    lambda m: m.Unfold((2, 3), dilation=2, padding=1),
    lambda m: m.AdaptiveMaxPool2d((2, 3)),
    lambda m: m.AdaptiveAvgPool1d(3),
])
def test_resizing_layers(make):
    m, tm = make(nn), make(torch.nn)
    shape = (2, 8, 4, 6) if isinstance(m, nn.PixelShuffle) else (2, 2, 4, 6)
    if isinstance(m, nn.AdaptiveAvgPool1d):
        shape = (2, 3, 7)
    _check_module(m, tm, shape)


def test_fold_module_and_errors():
    _check_module(nn.Fold((3, 4), 2), torch.nn.Fold((3, 4), 2), (2, 8, 6))
    with pytest.raises(ValueError, match=r"fold: .* make 3 \* 3 = 9 blocks, but the input has 5"):
        F.fold(dg.ones(1, 8, 5), (4, 4), 2)
    with pytest.raises(ValueError, match=r"fold: input's dim 1 \(7\) must be divisible"):
        F.fold(dg.ones(1, 7, 9), (4, 4), 2)


def test_adaptive_max_pool_indices_match_torch():
    x = _x(2, 3, 7, 9)
    for out in [(3, 4), (None, 2), 5, (7, 3), 1]:  # uneven windows, then equal ones (max pooling)
        y, idx = F.adaptive_max_pool2d(dg.tensor(x), out, return_indices=True)
        ty, tidx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), out, return_indices=True)
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
        np.testing.assert_array_equal(y.numpy(), ty.numpy())
    y, idx = F.adaptive_max_pool1d(dg.tensor(x[0]), 4, return_indices=True)
    ty, tidx = torch.nn.functional.adaptive_max_pool1d(torch.tensor(x[0]), 4, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_interpolate_errors():
    with pytest.raises(ValueError, match="interpolate: mode 'bilinear' needs a 4-D input"):
        F.interpolate(dg.ones(1, 2, 3), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners can only be set with the interpolating modes"):
        F.interpolate(dg.ones(1, 2, 3, 3), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="exactly one of size or scale_factor"):
        F.interpolate(dg.ones(1, 2, 3, 3))
    with pytest.raises(ValueError, match="pixel_shuffle: .* divisible by upscale_factor"):
        F.pixel_shuffle(dg.ones(1, 3, 2, 2), 2)


@pytest.mark.parametrize("fn,shape,mask_shape", [
    ("dropout2d", (4, 3, 5, 5), (4, 3, 1, 1)),
    ("dropout2d", (4, 3, 5), (4, 3, 1)),  # 3-D: channel-wise 1-D dropout, as torch
    ("dropout1d", (8, 6), (8, 1)),
    ("dropout3d", (2, 3, 2, 2, 2), (2, 3, 1, 1, 1)),
])
def test_functional_channel_dropout(fn, shape, mask_shape):
    dg.manual_seed(0)
    x = dg.ones(*shape, requires_grad=True)
    y = getattr(F, fn)(x, 0.5)
    y.sum().backward()
    out = y.numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and len(np.unique(out)) == 2
    np.testing.assert_array_equal(out, np.broadcast_to(out.max(axis=tuple(i for i, s in enumerate(mask_shape)
                                                                          if s == 1), keepdims=True), shape))
    np.testing.assert_array_equal(x.grad.numpy(), out)
    assert getattr(F, fn)(x, 0.5, training=False) is x
    assert not getattr(F, fn)(x, 1.0).numpy().any()


def test_bce_weight_shape_error_names_the_loss():
    p, t = dg.full((4, 3), 0.5), dg.ones(4, 3)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight shape \(4,\) does not broadcast"):
        F.binary_cross_entropy(p, t, weight=dg.ones(4))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: weight shape \(4,\) does not"):
        F.binary_cross_entropy_with_logits(p, t, weight=dg.ones(4))


@pytest.mark.parametrize("cls,shape,out", [("ConvTranspose2d", (1, 2, 4, 4), (10, 10)),
                                           ("ConvTranspose2d", (1, 2, 4, 4), [1, 3, 9, 10]),
                                           ("ConvTranspose1d", (2, 2, 4), [10])])
def test_conv_transpose_output_size(cls, shape, out):
    m, tm = getattr(nn, cls)(2, 3, 3, stride=2), getattr(torch.nn, cls)(2, 3, 3, stride=2)
    _copy_params(m, tm)
    x = _x(*shape)
    np.testing.assert_allclose(m(dg.tensor(x), output_size=out).numpy(),
                               tm(torch.tensor(x), output_size=out).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=f"{cls}: requested an output size of .* valid sizes range from"):
        m(dg.tensor(x), output_size=[20] * (len(shape) - 2))


def test_bce_rejects_nan_probabilities():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input values must be probabilities .* and NaN"):
        F.binary_cross_entropy(dg.tensor(np.array([np.nan, 0.5], np.float32)), dg.ones(2))


def test_global_avg_pool2d_unbatched():
    x = _x(3, 4, 5)
    np.testing.assert_allclose(dg.global_avg_pool2d(dg.tensor(x)).numpy(), x.mean(axis=(1, 2)), rtol=1e-6)
    assert dg.global_avg_pool2d(dg.tensor(x), keepdim=True).shape == (3, 1, 1)


@pytest.mark.parametrize("kw,shape,output_size", [(dict(kernel_size=2), (2, 3, 6, 7), (6, 7)),
                                                  (dict(kernel_size=3, stride=1, padding=1), (2, 3, 5, 5), None),
                                                  (dict(kernel_size=2), (3, 6, 6), None)])
def test_max_unpool2d_module_inverts_max_pool(kw, shape, output_size):
    x = _x(*shape)
    y, idx = nn.MaxPool2d(return_indices=True, **kw)(dg.tensor(x))
    ty, tidx = torch.nn.MaxPool2d(return_indices=True, **kw)(torch.tensor(x))
    m, tm = nn.MaxUnpool2d(**kw), torch.nn.MaxUnpool2d(**kw)
    assert repr(m) == repr(tm)
    yd, yt = dg.tensor(y.numpy(), requires_grad=True), torch.tensor(ty.numpy(), requires_grad=True)
    u, tu = m(yd, idx, output_size=output_size), tm(yt, tidx, output_size=output_size)
    np.testing.assert_array_equal(u.numpy(), tu.detach().numpy())  # a twice-picked input is written once
    w = _x(*tu.shape)
    (u * dg.tensor(w)).sum().backward()
    (tu * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(yd.grad.numpy(), yt.grad.numpy(), rtol=1e-6)


def test_max_unpool_errors_and_1d():
    x = _x(2, 3, 8)
    y, idx = F.max_pool1d(dg.tensor(x), 2, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool1d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(nn.MaxUnpool1d(2)(y, idx).numpy(), torch.nn.MaxUnpool1d(2)(ty, tidx).numpy())
    with pytest.raises(ValueError, match=r"max_unpool2d: index 40 is out of range for an output plane of size"):
        F.max_unpool2d(dg.ones(1, 1, 1, 1), np.array([[[[40]]]]), 2, output_size=(6, 6))


@pytest.mark.parametrize("cls,args,shape", [("LPPool2d", (2, 3), (2, 3, 7, 7)), ("LPPool2d", (3, (2, 3), 2, True),
                                                                                   (2, 3, 7, 8)),
                                            ("LPPool1d", (2, 3, 2), (2, 3, 9))])
def test_lp_pool_modules(cls, args, shape):
    m, tm = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    x = np.abs(_x(*shape)) + 0.1
    np.testing.assert_allclose(m(dg.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), rtol=1e-5)
    assert repr(m) == repr(tm)


@pytest.mark.parametrize("name,args,kw", [
    ("MaxPool1d", (3, 2, 1), {}), ("AvgPool1d", (3,), {}), ("AvgPool1d", (3, 2, 1), {}),
    ("MaxPool2d", ((2, 3), (1, 2)), {"padding": 1}), ("AvgPool2d", (3,), {"stride": 2, "padding": 1}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}), ("Conv1d", (2, 3, 3), {"padding": "same"}),
    ("Conv2d", (2, 4, 3), {"padding": "valid", "groups": 2, "bias": False}),
    ("Conv2d", (2, 3, (3, 5)), {"stride": (1, 2), "padding": (1, 2), "padding_mode": "circular"}),
    ("ConvTranspose1d", (2, 3, 3), {"stride": 2, "output_padding": 1}),
    ("LayerNorm", ([3, 4],), {"elementwise_affine": False}), ("Unfold", ((2, 3),), {}),
    ("Upsample", (), {"scale_factor": (2, 3)}), ("MaxUnpool2d", ((2, 3),), {"stride": 1}),
    ("InstanceNorm1d", (3,), {"momentum": None}), ("LPPool1d", (2, 3), {"stride": 2}),
])
def test_layer_reprs_and_pool_attributes_follow_torch(name, args, kw):
    m, tm = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(m) == repr(tm)
    for attr in ("kernel_size", "stride", "padding"):
        if "Pool" in name and hasattr(tm, attr):
            assert getattr(m, attr) == getattr(tm, attr), attr


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_values_and_moments_match_torch(p):
    dg.manual_seed(0)
    x = np.zeros(64, np.float32)
    y = np.unique(F.alpha_dropout(dg.tensor(x), p, training=True).numpy())
    ty = np.unique(torch.nn.functional.alpha_dropout(torch.tensor(x), p, training=True).numpy())
    np.testing.assert_allclose(y, ty, rtol=1e-6)  # the two values: dropped a*alpha'+b, kept b
    big = _r.standard_normal(200_000).astype(np.float32)
    out = F.alpha_dropout(dg.tensor(big), p, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02  # SELU's fixed point is kept
    f = F.feature_alpha_dropout(dg.tensor(np.zeros((8, 6, 3, 3), np.float32)), p, training=True).numpy()
    assert (f == f[:, :, :1, :1]).all() and len(np.unique(f)) == 2
    xs = dg.ones(3)
    assert F.alpha_dropout(xs, p) is xs  # training=False by default, as torch
    assert not F.alpha_dropout(xs, 1.0, training=True).numpy().any()


def test_embedding_scale_grad_by_freq_double_backward_is_the_exact_adjoint():
    """The gradient map gy -> scaled scatter-add is linear; its own gradient (create_graph) is its exact
    adjoint (torch 2.13's drops the 1/count there: its gradcheck of this map fails)."""
    from deepgrad.utils import gradcheck

    ids = dg.tensor(np.array([[0, 2, 2], [5, 2, 1]]))
    w0 = _r.standard_normal((6, 3))

    def table_grad(v):
        w = dg.tensor(w0, requires_grad=True)
        (gw,) = dg.grad((F.embedding(ids, w, scale_grad_by_freq=True) * v).sum(), [w], create_graph=True)
        return gw

    assert gradcheck(table_grad, [dg.tensor(_r.standard_normal((2, 3, 3)), requires_grad=True)])


# (torch's C builtins such as conv2d, avg_pool2d, pixel_shuffle have no inspectable signature)
_NEW_FUNCTIONS = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold", "max_unpool1d",
                  "max_unpool2d", "lp_pool1d", "lp_pool2d", "group_norm", "instance_norm", "local_response_norm",
                  "rms_norm", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
                  "embedding", "batch_norm", "layer_norm", "cross_entropy", "binary_cross_entropy_with_logits"]
_NEW_MODULES = ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm",
                "AdaptiveMaxPool2d", "AdaptiveMaxPool1d", "AdaptiveAvgPool1d", "MaxUnpool2d", "MaxUnpool1d", "LPPool2d",
                "LPPool1d", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
                "Unfold", "Fold", "Conv2d", "ConvTranspose2d", "ConvTranspose1d"] + _PADS


@pytest.mark.parametrize("name", _NEW_FUNCTIONS)
def test_functional_signature_matches_torch(name):
    import inspect

    theirs = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
    ours = list(inspect.signature(getattr(F, name)).parameters)
    assert ours[:len(theirs)] == theirs  # deepgrad may add keyword-only extras at the end


@pytest.mark.parametrize("name", _NEW_MODULES)
def test_module_signature_matches_torch(name):
    import inspect

    for method in ("__init__", "forward"):
        theirs = list(inspect.signature(getattr(getattr(torch.nn, name), method)).parameters)
        assert list(inspect.signature(getattr(getattr(nn, name), method)).parameters) == theirs, method


@pytest.mark.parametrize("shape,scale", [((1, 2, 3), 2.2), ((1, 2, 3), 1.2), ((1, 1, 3, 2, 2), (2.2, 1, 1.5))])
def test_nearest_1d_3d_gradient_is_its_forwards(shape, scale):
    """torch's forward for these takes floor(i / scale) (matched); its backward takes i // 2 or i where the size
    doubles or stays; deepgrad's gradient sends each output back to the input its forward read."""
    from deepgrad.utils import gradcheck

    x = _r.standard_normal(shape)
    np.testing.assert_array_equal(F.interpolate(dg.tensor(x), scale_factor=scale).numpy(),
                                  torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale).numpy())
    assert gradcheck(lambda a: F.interpolate(a, scale_factor=scale), [dg.tensor(x, requires_grad=True)])
