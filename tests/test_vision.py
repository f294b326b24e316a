"""deepgrad.vision: the two 7x7 Gaussian tables of seed 002 and filter2d."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.vision import filter2d, gaussian_kernel

# seed 002, "two 7x7 Gaussian convolution kernels" (printed to 4 decimals)
DENSITY_SIGMA_1 = [
    [0.0000, 0.0002, 0.0011, 0.0018, 0.0011, 0.0002, 0.0000],
    [0.0002, 0.0029, 0.0131, 0.0216, 0.0131, 0.0029, 0.0002],
    [0.0011, 0.0131, 0.0586, 0.0966, 0.0586, 0.0131, 0.0011],
    [0.0018, 0.0216, 0.0966, 0.1592, 0.0966, 0.0216, 0.0018],
    [0.0011, 0.0131, 0.0586, 0.0966, 0.0586, 0.0131, 0.0011],
    [0.0002, 0.0029, 0.0131, 0.0216, 0.0131, 0.0029, 0.0002],
    [0.0000, 0.0002, 0.0011, 0.0018, 0.0011, 0.0002, 0.0000],
]
SUM1_SIGMA_10 = [
    [0.0194, 0.0199, 0.0202, 0.0203, 0.0202, 0.0199, 0.0194],
    [0.0199, 0.0204, 0.0207, 0.0208, 0.0207, 0.0204, 0.0199],
    [0.0202, 0.0207, 0.0210, 0.0211, 0.0210, 0.0207, 0.0202],
    [0.0203, 0.0208, 0.0211, 0.0212, 0.0211, 0.0208, 0.0203],
    [0.0202, 0.0207, 0.0210, 0.0211, 0.0210, 0.0207, 0.0202],
    [0.0199, 0.0204, 0.0207, 0.0208, 0.0207, 0.0204, 0.0199],
    [0.0194, 0.0199, 0.0202, 0.0203, 0.0202, 0.0199, 0.0194],
]


def test_gaussian_density_sigma_1_matches_seed_table():
    k = gaussian_kernel(7, 1.0, normalize="density")
    assert k.shape == (7, 7) and k.dtype == np.float32
    assert np.abs(k.numpy() - np.array(DENSITY_SIGMA_1)).max() <= 1e-4
    assert k.numpy()[3, 3] == pytest.approx(1 / (2 * np.pi), rel=1e-6)


def test_gaussian_sigma_10_normalized_matches_seed_table():
    k = gaussian_kernel(7, 10.0)
    assert np.abs(k.numpy() - np.array(SUM1_SIGMA_10)).max() <= 1e-4
    assert float(k.numpy().sum()) == pytest.approx(1.0, abs=1e-6)


def test_gaussian_kernel_is_symmetric_and_peaks_in_the_middle():
    k = gaussian_kernel(5, 0.8, normalize=None).numpy()
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert k[2, 2] == 1.0 and k.argmax() == 12


def test_gaussian_kernel_rejects_bad_arguments():
    with pytest.raises(ValueError, match="gaussian_kernel: sigma must be > 0"):
        gaussian_kernel(7, 0.0)
    with pytest.raises(ValueError, match="gaussian_kernel: normalize must be"):
        gaussian_kernel(7, 1.0, normalize="max")


def _correlate_same(img, ker):
    """Direct zero-padded cross-correlation (the definition, with loops) as an independent check."""
    kh, kw = ker.shape
    pt, pl = (kh - 1) // 2, (kw - 1) // 2
    padded = np.zeros((img.shape[0] + kh - 1, img.shape[1] + kw - 1))
    padded[pt:pt + img.shape[0], pl:pl + img.shape[1]] = img
    out = np.zeros(img.shape)
    for i in range(img.shape[0]):
        for j in range(img.shape[1]):
            out[i, j] = (padded[i:i + kh, j:j + kw] * ker).sum()
    return out


def test_filter2d_grayscale_matches_direct_correlation():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (12, 9))
    ker = rng.standard_normal((3, 4))  # asymmetric, even width: checks orientation and 'same' padding
    out = filter2d(img, ker)
    assert isinstance(out, np.ndarray) and out.shape == (12, 9) and out.dtype == np.float32
    np.testing.assert_allclose(out, _correlate_same(img, ker), rtol=1e-4, atol=1e-3)


def test_filter2d_color_image_filters_each_channel():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (10, 11, 3)).astype(np.uint8)
    ker = gaussian_kernel(7, 1.0, normalize="density")
    out = filter2d(img, ker)
    assert out.shape == (10, 11, 3)
    for c in range(3):
        np.testing.assert_allclose(out[..., c], _correlate_same(img[..., c].astype(float), ker.numpy()),
                                   rtol=1e-4, atol=1e-3)


def test_filter2d_normalized_blur_keeps_a_flat_image_flat_inside():
    img = np.full((20, 20), 7.0)
    out = filter2d(img, gaussian_kernel(7, 10.0))
    np.testing.assert_allclose(out[3:-3, 3:-3], 7.0, rtol=1e-5)
    assert out[0, 0] < 7.0  # zero padding darkens the border


def test_filter2d_tensor_is_differentiable():
    img = dg.Tensor(np.random.default_rng(2).standard_normal((6, 5)), requires_grad=True)
    ker = dg.Tensor(np.ones((3, 3)))
    y = filter2d(img, ker)
    assert isinstance(y, dg.Tensor) and y.shape == (6, 5)
    y.sum().backward()
    # each pixel is counted once per output window that covers it: 9 inside, fewer at the border
    assert img.grad.numpy()[2, 2] == 9.0 and img.grad.numpy()[0, 0] == 4.0


def test_filter2d_rejects_bad_shapes():
    with pytest.raises(ValueError, match="filter2d: image must be"):
        filter2d(np.ones((2, 2, 2, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="filter2d: kernel must be 2-D"):
        filter2d(np.ones((4, 4)), np.ones(3))
