"""Batch transforms for images: scaling, normalisation, and the lectures' augmentations.

Every transform takes a whole batch, ``(N, H, W)`` or ``(N, C, H, W)`` (``(N, H, W, C)`` with
``channels_last=True``), as a numpy/cupy array or a Tensor, and returns the same kind.  The
random ones draw one set of parameters per sample (an angle, a shift...) and then move all
pixels of all samples with a few vectorised gathers: no Python loop over samples or pixels.

Geometry is done by inverse mapping: for each output pixel we compute where it comes from
in the input and read that pixel (nearest) or blend its four neighbours (bilinear); pixels
that come from outside the image get ``fill``.

Random parameters come from deepgrad's seeded generator (inside a DataLoader, from the
batch's own generator), always drawn on the CPU so CPU and GPU runs agree.
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.data._rng import current_rng
from deepgrad.tensor import Tensor

__all__ = ["Compose", "Lambda", "ToFloat", "Normalize", "RandomShift", "RandomRotation", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "shift", "rotate", "crop"]


# -- plumbing ------------------------------------------------------------------------------
def _unwrap(x):
    return (x.data, True) if isinstance(x, Tensor) else (x, False)


def _wrap(out, was_tensor):
    return Tensor(out) if was_tensor else out


def _to_nchw(x, who, channels_last=False):
    """A (N, C, H, W) view of a batch and a function that turns a (N, C, h, w) result back."""
    if x.ndim == 3:
        return x[:, None], lambda y: y[:, 0]
    if x.ndim == 4:
        if channels_last:
            xp = get_array_module(x)
            return xp.moveaxis(x, -1, 1), lambda y: xp.moveaxis(y, 1, -1)
        return x, lambda y: y
    raise ValueError(f"{who}: expected a batch of images shaped (N, H, W) or (N, C, H, W), got shape {x.shape}")


def _per_sample(values, n, who, name):
    """A length-n float/int parameter array from a scalar or a sequence."""
    v = np.asarray(values)
    if v.ndim == 0:
        v = np.full(n, v)
    if v.shape != (n,):
        raise ValueError(f"{who}: {name} must be a scalar or have one value per sample ({n}), got shape {v.shape}")
    return v


def _padded(x4, fill):
    """``x4`` with a border of ``fill`` (1 pixel before, 2 after), flattened, and its row length.

    Reading through the border is how out-of-image pixels get ``fill``: source coordinates are
    clipped to [-1, H] (or [-1, W]), which lands on the border, so no masks are needed.
    """
    xp = get_array_module(x4)
    N, C, H, W = x4.shape
    p = xp.full((N, C, H + 3, W + 3), fill, dtype=x4.dtype)
    p[:, :, 1:H + 1, 1:W + 1] = x4
    return p.reshape(-1), W + 3


def _flat_index(shape, row, y, x):
    """Flat indices into ``_padded``'s array for integer source rows/cols ``y``, ``x`` (N, h, w)."""
    xp = get_array_module(y)
    N, C, H, W = shape
    itype = np.int32 if N * C * (H + 3) * (W + 3) < 2**31 else np.int64
    yy = xp.clip(y, -1, H).astype(itype) + itype(1)
    xx = xp.clip(x, -1, W).astype(itype) + itype(1)
    base = (xp.arange(N * C, dtype=itype) * itype((H + 3) * row)).reshape(N, C, 1, 1)
    return base + (yy * itype(row) + xx)[:, None]


def _gather(x4, sy, sx, fill):
    """out[n, c, i, j] = x4[n, c, sy[n, i, j], sx[n, i, j]], or ``fill`` where that is outside."""
    flat, row = _padded(x4, fill)
    return get_array_module(x4).take(flat, _flat_index(x4.shape, row, sy, sx))


def _cast_like(values, dtype, xp):
    """Float results back to the input's dtype (integers are rounded and clipped to their range)."""
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        return xp.clip(xp.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype, copy=False)


# -- functional forms (explicit per-sample parameters) --------------------------------------
def shift(x, dy, dx, fill=0, channels_last=False):
    """Move each image by whole pixels: sample ``n``'s content goes ``dy[n]`` down and ``dx[n]``
    right (negative: up/left); uncovered pixels get ``fill``.  ``dy``, ``dx``: ints or (N,) arrays."""
    arr, was_tensor = _unwrap(x)
    x4, back = _to_nchw(arr, "shift", channels_last)
    xp = get_array_module(arr)
    N, _, H, W = x4.shape
    dy = xp.asarray(_per_sample(dy, N, "shift", "dy").astype(np.int64))
    dx = xp.asarray(_per_sample(dx, N, "shift", "dx").astype(np.int64))
    sy = xp.broadcast_to(xp.arange(H)[None, :, None] - dy[:, None, None], (N, H, W))
    sx = xp.broadcast_to(xp.arange(W)[None, None, :] - dx[:, None, None], (N, H, W))
    out = _gather(x4, sy, sx, fill)
    return _wrap(back(out), was_tensor)


def rotate(x, angles, interpolation="bilinear", fill=0, channels_last=False):
    """Rotate each image about its centre by ``angles[n]`` degrees, counter-clockwise as
    displayed (row 0 at the top), as ``np.rot90`` does for 90.  ``interpolation``: 'nearest' or
    'bilinear'.  Integer images are rounded back to their dtype."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"rotate: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    arr, was_tensor = _unwrap(x)
    x4, back = _to_nchw(arr, "rotate", channels_last)
    xp = get_array_module(arr)
    N, C, H, W = x4.shape
    ftype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    theta = np.deg2rad(_per_sample(angles, N, "rotate", "angles").astype(np.float64))
    cos = xp.asarray(np.cos(theta).astype(ftype))[:, None, None]
    sin = xp.asarray(np.sin(theta).astype(ftype))[:, None, None]
    cy, cx = (H - 1) / 2, (W - 1) / 2
    u = (xp.arange(H, dtype=ftype) - ftype.type(cy))[None, :, None]  # output row, centred
    v = (xp.arange(W, dtype=ftype) - ftype.type(cx))[None, None, :]  # output column, centred
    # Inverse map: the source of output pixel (u, v) is (u, v) rotated back by the angle.
    sy = cos * u + sin * v + ftype.type(cy)
    sx = cos * v - sin * u + ftype.type(cx)
    if interpolation == "nearest":
        out = _gather(x4, xp.rint(xp.clip(sy, -1, H)), xp.rint(xp.clip(sx, -1, W)), fill)
        return _wrap(back(out), was_tensor)
    # Bilinear: blend the four neighbours; sources beyond the border blend with ``fill``.
    sy, sx = xp.clip(sy, -1, H), xp.clip(sx, -1, W)
    y0, x0 = xp.floor(sy), xp.floor(sx)
    wy, wx = (sy - y0)[:, None], (sx - x0)[:, None]
    flat, row = _padded(x4.astype(ftype, copy=False), fill)
    i00 = _flat_index(x4.shape, row, y0, x0)
    v00, v01 = xp.take(flat, i00), xp.take(flat, i00 + 1)
    i00 += row
    v10, v11 = xp.take(flat, i00), xp.take(flat, i00 + 1)
    one = ftype.type(1)
    out = (v00 * (one - wx) + v01 * wx) * (one - wy) + (v10 * (one - wx) + v11 * wx) * wy
    return _wrap(back(_cast_like(out, arr.dtype, xp)), was_tensor)


def crop(x, top, left, size, fill=0, channels_last=False):
    """Cut a ``size`` (h, w) window out of each image at ``(top[n], left[n])``; the window may
    reach outside the image (that is how padding works), those pixels get ``fill``."""
    arr, was_tensor = _unwrap(x)
    x4, back = _to_nchw(arr, "crop", channels_last)
    xp = get_array_module(arr)
    N = x4.shape[0]
    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    top = xp.asarray(_per_sample(top, N, "crop", "top").astype(np.int64))
    left = xp.asarray(_per_sample(left, N, "crop", "left").astype(np.int64))
    sy = xp.broadcast_to(top[:, None, None] + xp.arange(h)[None, :, None], (N, h, w))
    sx = xp.broadcast_to(left[:, None, None] + xp.arange(w)[None, None, :], (N, h, w))
    out = _gather(x4, sy, sx, fill)
    return _wrap(back(out), was_tensor)


# -- transform objects ----------------------------------------------------------------------
class Compose:
    """Apply transforms one after another: ``Compose([RandomRotation(15), ToFloat(), Normalize(0.13, 0.31)])``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class Lambda:
    """Wrap any batch function as a transform."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class ToFloat:
    """Cast to a float dtype and scale: uint8 pixels 0..255 become float32 0..1 (``scale=1/255``)."""

    def __init__(self, scale=1 / 255, dtype=np.float32):
        self.scale, self.dtype = scale, np.dtype(dtype)

    def __call__(self, x):
        arr, was_tensor = _unwrap(x)
        out = arr.astype(self.dtype) * self.dtype.type(self.scale)
        return _wrap(out, was_tensor)

    def __repr__(self):
        return f"ToFloat(scale={self.scale:g}, dtype={self.dtype.name})"


class Normalize:
    """``(x - mean) / std``, per channel (axis 1, or the last with ``channels_last``) when
    ``mean``/``std`` are sequences.  Float inputs keep their dtype; integers become float32."""

    def __init__(self, mean, std, channels_last=False):
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {std}")
        if self.mean.ndim > 1 or self.std.ndim > 1 or (self.mean.size != self.std.size and self.mean.size > 1
                                                       and self.std.size > 1):
            raise ValueError(f"Normalize: mean and std must be scalars or one value per channel, got "
                             f"{self.mean.size} and {self.std.size} values")
        self.channels_last = channels_last

    def __call__(self, x):
        arr, was_tensor = _unwrap(x)
        xp = get_array_module(arr)
        dt = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
        mean, std = self.mean.astype(dt), self.std.astype(dt)
        if mean.size == 1 and std.size == 1:  # Normalize((0.1307,), (0.3081,)) works on (N, H, W) too
            mean, std = mean.reshape(()), std.reshape(())
        if mean.ndim == 1 or std.ndim == 1:
            c = max(mean.size, std.size)
            axis = arr.ndim - 1 if self.channels_last else 1
            if arr.ndim != 4 or arr.shape[axis] != c:
                raise ValueError(f"Normalize: {c} per-channel values need a (N, C, H, W) batch with C={c} "
                                 f"(channels_last={self.channels_last}), got shape {arr.shape}")
            shape = [1] * arr.ndim
            shape[axis] = c
            mean, std = mean.reshape(shape) if mean.ndim else mean, std.reshape(shape) if std.ndim else std
        out = (arr.astype(dt, copy=False) - xp.asarray(mean)) / xp.asarray(std)
        return _wrap(out, was_tensor)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomShift:
    """Shift each image by a random whole number of pixels in ``[-max_shift, max_shift]``
    along each axis (the lectures' 'shift' augmentation); uncovered pixels get ``fill``."""

    def __init__(self, max_shift=2, fill=0, channels_last=False):
        if max_shift < 0:
            raise ValueError(f"RandomShift: max_shift must be >= 0, got {max_shift}")
        self.max_shift, self.fill, self.channels_last = int(max_shift), fill, channels_last

    def __call__(self, x):
        n = _unwrap(x)[0].shape[0]
        d = current_rng().integers(-self.max_shift, self.max_shift + 1, size=(2, n))
        return shift(x, d[0], d[1], self.fill, self.channels_last)

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift})"


class RandomRotation:
    """Rotate each image by its own random angle in ``[-degrees, degrees]`` (or ``[lo, hi]``
    when a pair is given); default +-15 degrees, the lectures' augmentation."""

    def __init__(self, degrees=15, interpolation="bilinear", fill=0, channels_last=False):
        lo, hi = (-abs(degrees), abs(degrees)) if np.isscalar(degrees) else tuple(degrees)
        if lo > hi:
            raise ValueError(f"RandomRotation: degrees range ({lo}, {hi}) is empty")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"RandomRotation: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
        self.degrees, self.interpolation, self.fill, self.channels_last = (lo, hi), interpolation, fill, channels_last

    def __call__(self, x):
        n = _unwrap(x)[0].shape[0]
        angles = current_rng().uniform(self.degrees[0], self.degrees[1], size=n)
        return rotate(x, angles, self.interpolation, self.fill, self.channels_last)

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation!r})"


class RandomCrop:
    """A random ``size`` window of each image, after padding every side by ``padding`` pixels
    of ``fill`` (``RandomCrop(28, padding=2)`` is a random shift of up to 2 pixels)."""

    def __init__(self, size, padding=0, fill=0, channels_last=False):
        self.size = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
        self.padding, self.fill, self.channels_last = int(padding or 0), fill, channels_last

    def __call__(self, x):
        arr = _unwrap(x)[0]
        x4, _ = _to_nchw(arr, "RandomCrop", self.channels_last)
        N, _, H, W = x4.shape
        h, w = self.size
        p = self.padding
        if h > H + 2 * p or w > W + 2 * p:
            raise ValueError(f"RandomCrop: crop {self.size} is larger than the padded image "
                             f"({H + 2 * p}, {W + 2 * p}) of input shape {arr.shape}")
        rng = current_rng()
        top = rng.integers(0, H + 2 * p - h + 1, size=N) - p
        left = rng.integers(0, W + 2 * p - w + 1, size=N) - p
        return crop(x, top, left, self.size, self.fill, self.channels_last)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``."""

    axis = -1  # the width axis of (N, C, H, W)

    def __init__(self, p=0.5, channels_last=False):
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p}")
        self.p, self.channels_last = float(p), channels_last

    def __call__(self, x):
        arr, was_tensor = _unwrap(x)
        x4, back = _to_nchw(arr, type(self).__name__, self.channels_last)
        xp = get_array_module(arr)
        flip = xp.asarray(current_rng().random(x4.shape[0]) < self.p)[:, None, None, None]
        return _wrap(back(xp.where(flip, xp.flip(x4, axis=self.axis), x4)), was_tensor)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image top-bottom with probability ``p``."""

    axis = -2  # the height axis of (N, C, H, W)
