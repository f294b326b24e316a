"""Batch transforms: exact geometry, seeded randomness, and whole-batch vectorisation."""
from __future__ import annotations

import sys
import time

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data import transforms as T


def _pattern(n=4, size=9, dtype=np.uint8):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, size, size)).astype(dtype)


def _digit_like(n=16, size=28):
    """Blobs well inside the frame (so a small rotation keeps them in view), like MNIST digits."""
    yy, xx = np.mgrid[:size, :size]
    rng = np.random.default_rng(1)
    c = rng.uniform(11, 17, size=(n, 2, 1, 1))
    img = 255 * np.exp(-(((yy - c[:, 0]) / 3.0) ** 2 + ((xx - c[:, 1]) / 1.5) ** 2))
    return img.astype(np.uint8)


def test_shift_moves_pixels_exactly():
    x = _pattern(3)
    out = T.shift(x, [1, -2, 0], [0, 3, -1])
    assert out.dtype == x.dtype and out.shape == x.shape
    np.testing.assert_array_equal(out[0, 1:], x[0, :-1]) and (out[0, 0] == 0).all()
    np.testing.assert_array_equal(out[1, :-2, 3:], x[1, 2:, :-3])
    assert (out[1, -2:] == 0).all() and (out[1, :, :3] == 0).all()
    np.testing.assert_array_equal(out[2, :, :-1], x[2, :, 1:])
    # channels: every channel moves together; fill value is honoured
    x4 = np.stack([x, x + 1], axis=1)
    out4 = T.shift(x4, 1, 1, fill=9)
    np.testing.assert_array_equal(out4[:, 1, 1:, 1:], x4[:, 1, :-1, :-1])
    assert (out4[:, :, 0, :] == 9).all()


def test_random_shift_moves_a_single_pixel_within_range():
    n = 200
    x = np.zeros((n, 11, 11), np.float32)
    x[:, 5, 5] = 1.0
    dg.manual_seed(0)
    out = T.RandomShift(max_shift=2)(x)
    ys, xs = np.nonzero(out.sum(axis=0) > 0)
    assert out.sum() == n and (out.reshape(n, -1).max(1) == 1).all()  # nothing lost, nothing blurred
    pos = np.argwhere(out == 1)[:, 1:]  # (n, 2) positions
    assert np.abs(pos - 5).max() == 2 and len({tuple(p) for p in pos}) == 25  # all 5x5 shifts occur
    dg.manual_seed(0)
    np.testing.assert_array_equal(T.RandomShift(max_shift=2)(x), out)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [9, 8])
def test_rotation_by_90_degrees_equals_rot90(interpolation, size):
    x = _pattern(3, size)
    for k, angle in ((1, 90), (2, 180), (3, -90), (0, 0)):
        out = T.rotate(x, angle, interpolation=interpolation)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, np.rot90(x, k=k, axes=(1, 2)))
    xf = x.astype(np.float32)
    outf = T.rotate(xf, 90, interpolation=interpolation)
    assert outf.dtype == np.float32
    np.testing.assert_allclose(outf, np.rot90(xf, axes=(1, 2)), atol=1e-3)
    x4 = np.stack([x, 255 - x], axis=1)  # (N, C, H, W): each channel rotated alike
    np.testing.assert_array_equal(T.rotate(x4, 90, interpolation), np.rot90(x4, axes=(2, 3)))
    nhwc = np.moveaxis(x4, 1, -1)
    np.testing.assert_array_equal(T.rotate(nhwc, 90, interpolation, channels_last=True),
                                  np.rot90(nhwc, axes=(1, 2)))


def test_each_sample_gets_its_own_angle():
    x = _pattern(2)
    out = T.rotate(np.concatenate([x, x]), [90, 0, 0, 90], "nearest")
    np.testing.assert_array_equal(out[0], np.rot90(x[0]))
    np.testing.assert_array_equal(out[1], x[1])
    np.testing.assert_array_equal(out[3], np.rot90(x[1]))


def test_rotation_by_15_degrees_keeps_the_digit_mass():
    x = _digit_like()
    dg.manual_seed(3)
    out = T.RandomRotation(15)(x)
    mass_in = x.reshape(len(x), -1).sum(1).astype(float)
    mass_out = out.reshape(len(x), -1).sum(1).astype(float)
    np.testing.assert_allclose(mass_out, mass_in, rtol=0.03)
    assert not np.array_equal(out, x)
    # the centre of mass stays near the image centre's rotation of it (it does not fly off)
    yy, xx = np.mgrid[:28, :28]
    for a, b in zip(x, out):
        ca = np.array([(yy * a).sum(), (xx * a).sum()]) / a.sum()
        cb = np.array([(yy * b).sum(), (xx * b).sum()]) / b.sum()
        assert np.hypot(*(ca - 13.5)) == pytest.approx(np.hypot(*(cb - 13.5)), abs=0.3)
        assert np.hypot(*(ca - cb)) <= 2 * np.sin(np.deg2rad(7.5)) * np.hypot(*(ca - 13.5)) + 0.3


def test_random_rotation_angle_range_and_seed():
    x = np.zeros((500, 21, 21), np.float32)
    x[:, 10, 18] = 1.0  # a dot 8 px right of the centre
    dg.manual_seed(5)
    out = T.RandomRotation(15, interpolation="nearest")(x)
    pos = np.argwhere(out == 1)
    angles = np.degrees(np.arctan2(-(pos[:, 1] - 10), pos[:, 2] - 10))  # counter-clockwise as displayed
    assert np.abs(angles).max() <= 15 + 4 and angles.min() < -8 and angles.max() > 8
    dg.manual_seed(5)
    np.testing.assert_array_equal(T.RandomRotation(15, interpolation="nearest")(x), out)


def _count_calls(fn, *args):
    """How many Python and C function calls ``fn(*args)`` makes (a loop over samples or pixels
    would make that number grow with the batch)."""
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event in ("call", "c_call"):
            n += 1

    sys.setprofile(prof)
    try:
        fn(*args)
    finally:
        sys.setprofile(None)
    return n


def test_transforms_are_vectorised_over_the_batch():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (2000, 28, 28), dtype=np.uint8)
    def pipeline(size):
        return T.Compose([T.RandomRotation(15), T.RandomShift(2), T.RandomCrop(size, padding=2),
                          T.RandomHorizontalFlip(), T.RandomRotation(15, interpolation="nearest"), T.ToFloat(),
                          T.Normalize(0.1307, 0.3081)])

    t = pipeline(28)
    small, big = _count_calls(t, x[:3]), _count_calls(t, x)
    assert small == big, f"{small} calls for 3 images but {big} for 2000: something loops over the batch"
    x4 = rng.random((500, 3, 16, 16), dtype=np.float32)
    t4 = pipeline(16)
    assert _count_calls(t4, x4[:2]) == _count_calls(t4, x4)
    t0 = time.perf_counter()
    out = t(x)
    assert out.shape == x.shape and out.dtype == np.float32
    assert time.perf_counter() - t0 < 10  # ~0.3 s; a per-pixel Python loop would take minutes


def test_batch_result_equals_sample_by_sample():
    x = _pattern(6, 12)
    angles = np.linspace(-15, 15, 6)
    batch = T.rotate(x, angles)
    for i in range(6):
        np.testing.assert_array_equal(batch[i], T.rotate(x[i:i + 1], angles[i])[0])


def test_crop_and_flip():
    x = _pattern(4, 10)
    out = T.crop(x, [0, 2, -1, 5], [0, 1, 0, 5], 6)
    assert out.shape == (4, 6, 6)
    np.testing.assert_array_equal(out[0], x[0, :6, :6])
    np.testing.assert_array_equal(out[1], x[1, 2:8, 1:7])
    assert (out[2, 0] == 0).all()
    np.testing.assert_array_equal(out[2, 1:], x[2, :5, :6])
    assert (out[3, 5:] == 0).all() and (out[3, :, 5:] == 0).all()
    dg.manual_seed(1)
    rc = T.RandomCrop(10, padding=2)(x)
    assert rc.shape == x.shape
    flipped = T.RandomHorizontalFlip(p=1.0)(x)
    np.testing.assert_array_equal(flipped, x[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(x), x)
    dg.manual_seed(2)
    half = T.RandomHorizontalFlip(p=0.5)(_pattern(200, 5))
    n_flipped = sum(np.array_equal(h, p[:, ::-1]) for h, p in zip(half, _pattern(200, 5)))
    assert 60 < n_flipped < 140
    with pytest.raises(ValueError, match=r"RandomCrop: crop \(20, 20\) is larger"):
        T.RandomCrop(20)(x)


def test_to_float_normalize_and_tensor_input():
    x = np.array([[[0, 255]]], np.uint8)
    f = T.ToFloat()(x)
    assert f.dtype == np.float32 and f.tolist() == [[[0.0, 1.0]]]
    n = T.Normalize(0.5, 0.25)(f)
    assert n.dtype == np.float32 and n.tolist() == [[[-2.0, 2.0]]]
    x4 = np.ones((2, 3, 2, 2), np.float32)
    out = T.Normalize([1, 2, 3], [1, 1, 2])(x4)
    np.testing.assert_allclose(out[:, :, 0, 0], [[0, -1, -1]] * 2)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match=r"C=3.*\(2, 4, 2, 2\)"):
        T.Normalize([1, 2, 3], [1, 1, 1])(np.ones((2, 4, 2, 2), np.float32))
    t = T.Compose([T.ToFloat(), T.Normalize(0.5, 0.5)])(dg.Tensor(x))
    assert isinstance(t, dg.Tensor) and t.tolist() == [[[-1.0, 1.0]]]
    with pytest.raises(ValueError, match=r"rotate: expected a batch of images.*\(5,\)"):
        T.rotate(np.zeros(5), 10)


def test_vertical_flip_and_flip_probability_check():
    x = _pattern(4, 6)
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(x), x[:, ::-1, :])
    x4 = np.stack([x, x + 1], axis=-1)  # (N, H, W, C)
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0, channels_last=True)(x4), x4[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=0.0)(x), x)
    assert repr(T.RandomVerticalFlip(0.3)) == "RandomVerticalFlip(p=0.3)"
    for cls in (T.RandomHorizontalFlip, T.RandomVerticalFlip):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: p must be a probability in \[0, 1\], got 1.5"):
            cls(p=1.5)


def test_normalize_single_channel_tuple_on_greyscale_batches():
    x = np.random.default_rng(0).random((3, 5, 5)).astype(np.float32)
    expected = (x - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(T.Normalize((0.1307,), (0.3081,))(x), expected, rtol=1e-6)  # the MNIST recipe
    np.testing.assert_allclose(T.Normalize([0.1307], 0.3081)(x[:, None])[:, 0], expected, rtol=1e-6)
    with pytest.raises(ValueError, match="one value per channel, got 2 and 3"):
        T.Normalize([0.1, 0.2], [1, 1, 1])
