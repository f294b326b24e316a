"""The im2col/col2im and max-pool kernels against the CPU code of deepgrad.ops (same layouts),
and conv/pool layers (which call the kernels on CuPy arrays) against CPU deepgrad and PyTorch CUDA."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels
from deepgrad.ops import im2col as cpu
from deepgrad.ops.pool import MaxPool2d, _MaxPoolScatter, _PoolGeometry

# (N, C, H, W), kernel, stride, pads (top, bottom, left, right), dilation
GEOMS = [
    ((2, 3, 8, 8), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    ((3, 2, 9, 7), (2, 3), (2, 1), (0, 1, 2, 0), (1, 2)),
    ((1, 4, 10, 10), (5, 5), (3, 2), (2, 2, 2, 2), (1, 1)),
    ((4, 1, 28, 28), (5, 5), (1, 1), (2, 2, 2, 2), (1, 1)),
]


def _out_hw(shape, kernel, stride, pads, dilation):
    return (cpu.conv_out_size(shape[2], kernel[0], stride[0], pads[0] + pads[1], dilation[0]),
            cpu.conv_out_size(shape[3], kernel[1], stride[1], pads[2] + pads[3], dilation[1]))


@pytest.mark.parametrize("shape,kernel,stride,pads,dilation", GEOMS)
@pytest.mark.parametrize("layout", ["nchw", "chwn"])
def test_im2col_col2im_match_cpu(cp, shape, kernel, stride, pads, dilation, layout):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    out_hw = _out_hw(shape, kernel, stride, pads, dilation)
    xg = cp.asarray(x)
    if layout == "chwn":  # the (C, H, W, N) memory the conv and pool ops hand each other
        xg = cp.ascontiguousarray(xg.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    col = kernels.im2col(xg, kernel, stride, pads, dilation, out_hw)
    ref = cpu.im2col(x, kernel, stride, pads, dilation, out_hw)
    assert col.shape == ref.shape and col.flags.c_contiguous
    np.testing.assert_array_equal(cp.asnumpy(col), ref)
    c = rng.standard_normal(ref.shape).astype(np.float32)
    img = kernels.col2im(cp.asarray(c), shape, kernel, stride, pads, dilation, out_hw)
    ref_img = cpu.col2im(c, shape, kernel, stride, pads, dilation, out_hw)
    assert img.shape == shape
    np.testing.assert_allclose(cp.asnumpy(img), ref_img, rtol=1e-5, atol=1e-5)


POOLS = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1)),
    ((2, 3, 9, 9), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1)),  # overlapping, padded
    ((1, 2, 10, 7), (3, 2), (1, 2), (1, 1, 0, 0), (2, 1)),
    ((3, 6, 28, 28), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1)),
]


@pytest.mark.parametrize("shape,kernel,stride,pads,dilation", POOLS)
@pytest.mark.parametrize("layout", ["nchw", "chwn"])
def test_max_pool_kernels_match_cpu(cp, shape, kernel, stride, pads, dilation, layout):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, shape).astype(np.float32)  # many ties: the first maximum must win
    out_hw = (cpu.pool_out_size(shape[2], kernel[0], stride[0], pads[0], dilation[0], False),
              cpu.pool_out_size(shape[3], kernel[1], stride[1], pads[2], dilation[1], False))
    geom = _PoolGeometry(kernel, stride, pads, dilation, out_hw, shape[2:])
    fn = MaxPool2d(geom, True)
    y_ref = fn.forward(x)
    xg = cp.asarray(x)
    if layout == "chwn":
        xg = cp.ascontiguousarray(xg.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    y, idx = kernels.max_pool2d_forward(xg, kernel, stride, pads, dilation, out_hw)
    np.testing.assert_array_equal(cp.asnumpy(y), y_ref)
    assert idx.dtype == fn.idx.dtype
    np.testing.assert_array_equal(cp.asnumpy(idx), fn.idx)
    gy = rng.standard_normal(y_ref.shape).astype(np.float32)
    gx_ref = _MaxPoolScatter(geom, fn.idx).forward(gy)
    gyg = cp.asarray(gy)
    if layout == "chwn":  # the NCHW view of (C, OH, OW, N) memory the pool op hands back
        gyg = cp.ascontiguousarray(gyg.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    gx = kernels.max_pool2d_backward(gyg, idx, kernel, stride, pads, dilation, shape[2:])
    assert gx.shape == shape
    np.testing.assert_allclose(cp.asnumpy(gx), gx_ref, rtol=1e-6, atol=1e-6)


def test_max_pool_nan_is_a_maximum(cp):
    x = np.zeros((1, 1, 2, 2), np.float32)
    x[0, 0, 1, 0] = np.nan
    y, idx = kernels.max_pool2d_forward(cp.asarray(x), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1), (1, 1))
    assert np.isnan(float(y[0, 0, 0, 0])) and int(idx[0, 0, 0, 0]) == 2


def _lenet_step(device, seed=0):
    dg.manual_seed(seed)
    from deepgrad import nn

    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                          nn.ReLU(), nn.Linear(84, 10)).to(device)
    opt = dg.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(3):
        x = dg.tensor(rng.random((8, 1, 28, 28), dtype=np.float32), device=device)
        y = dg.tensor(rng.integers(0, 10, 8), device=device)
        opt.zero_grad()
        loss = dg.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses, [p.numpy() for p in model.parameters()]


def test_lenet_steps_on_gpu_follow_cpu(cp, kernels_on):
    lc, pc = _lenet_step("cpu")
    lg, pg = _lenet_step("cuda")
    np.testing.assert_allclose(lg, lc, rtol=1e-4)
    for a, b in zip(pg, pc):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 2, 1), (2, 1, 1), (1, 0, 2)])
def test_conv_pool_with_kernels_match_torch_cuda(cp, kernels_on, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    xs = [dg.tensor(a, device="cuda", requires_grad=True) for a in (x, w, b)]
    y = dg.max_pool2d(dg.relu(dg.conv2d(*xs, stride=stride, padding=padding, dilation=dilation)), 2)
    ts = [torch.tensor(a, device="cuda", requires_grad=True) for a in (x, w, b)]
    ty = torch.nn.functional.max_pool2d(torch.relu(torch.nn.functional.conv2d(
        *ts, stride=stride, padding=padding, dilation=dilation)), 2)
    np.testing.assert_allclose(y.numpy(), ty.detach().cpu().numpy(), rtol=1e-4, atol=1e-4)
    gw = rng.standard_normal(ty.shape).astype(np.float32)
    (y * dg.tensor(gw, device="cuda")).sum().backward()
    (ty * torch.tensor(gw, device="cuda")).sum().backward()
    for a, t in zip(xs, ts):
        assert a.grad.device == "cuda:0"
        np.testing.assert_allclose(a.grad.numpy(), t.grad.cpu().numpy(), rtol=1e-3, atol=1e-3)
