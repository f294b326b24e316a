"""Image reshaping layers on channels-last (N, H, W, C) inputs: ``UpSampling2D`` (nearest),
``ZeroPadding2D``, ``Cropping2D``; and ``UpSampling1D``/``ZeroPadding1D``/``Cropping1D`` on
(N, steps, C)."""
from __future__ import annotations

from deepgrad.keras.layers._conv_utils import check_data_format, pair
from deepgrad.keras.layers.layer import Layer
from deepgrad.nn import functional as F


def _two_sided(value, name, layer, ndim):
    """((before, after),) * ndim from an int, a tuple of ints, or a tuple of pairs (Keras's forms)."""
    if isinstance(value, int):
        return ((value, value),) * ndim
    value = tuple(value)
    if ndim == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (tuple(int(v) for v in value),)
    if len(value) != ndim:
        raise ValueError(f"{layer}: {name} must be an int, {ndim} ints or {ndim} pairs, got {value!r}")
    out = tuple((int(v), int(v)) if isinstance(v, int) else tuple(int(a) for a in v) for v in value)
    if any(len(p) != 2 or min(p) < 0 for p in out):
        raise ValueError(f"{layer}: {name} must hold non-negative (before, after) pairs, got {value!r}")
    return out


class _Spatial(Layer):
    """Shared: the spatial axes of a channels-last or channels-first input of ``rank`` dims."""

    rank = 4

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, self)

    def _axes(self):
        n = self.rank - 2
        return tuple(range(1, 1 + n)) if self.data_format == "channels_last" else tuple(range(2, 2 + n))

    def _check(self, shape):
        if len(shape) != self.rank:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a {self.rank}-D input, got shape "
                             f"{tuple(shape)}")

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class UpSampling2D(_Spatial):
    """Repeat each row ``size[0]`` times and each column ``size[1]`` times (nearest neighbour)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = pair(size, "size", self)
        if interpolation != "nearest":
            raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not supported "
                                      "(only 'nearest')")
        self.interpolation = interpolation

    def call(self, x, training=False):
        self._check(x.shape)
        for ax, k in zip(self._axes(), self.size):
            x = _repeat_axis(x, ax, k)
        return x

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for ax, k in zip(self._axes(), self.size):
            out[ax] = None if out[ax] is None else out[ax] * k
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "interpolation": self.interpolation}


class UpSampling1D(_Spatial):
    """Repeat each step ``size`` times: (N, steps, C) -> (N, steps * size, C)."""

    rank = 3

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, x, training=False):
        self._check(x.shape)
        return _repeat_axis(x, 1, self.size)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        n, steps, c = input_shape
        return (n, None if steps is None else steps * self.size, c)

    def get_config(self):
        return {**Layer.get_config(self), "size": self.size}


def _repeat_axis(x, axis, k):
    """Each entry along ``axis`` repeated k times in place (a broadcast, then a reshape)."""
    if k == 1:
        return x
    shape = tuple(x.shape)
    y = x.reshape(shape[:axis + 1] + (1,) + shape[axis + 1:])
    y = F.broadcast_to(y, shape[:axis + 1] + (k,) + shape[axis + 1:])
    return y.reshape(shape[:axis] + (shape[axis] * k,) + shape[axis + 1:])


class ZeroPadding2D(_Spatial):
    """Add rows of zeros at the top/bottom and columns at the left/right.

    ``padding``: an int, (rows, cols), or ((top, bottom), (left, right)).
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _two_sided(padding, "padding", self, self.rank - 2)

    def call(self, x, training=False):
        self._check(x.shape)
        pads = [0, 0] * x.ndim  # F.pad lists the last axis first
        for ax, (before, after) in zip(self._axes(), self.padding):
            i = 2 * (x.ndim - 1 - ax)
            pads[i], pads[i + 1] = before, after
        return F.pad(x, tuple(pads))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for ax, (before, after) in zip(self._axes(), self.padding):
            out[ax] = None if out[ax] is None else out[ax] + before + after
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class ZeroPadding1D(ZeroPadding2D):
    """Add zero steps at the start and end: ``padding`` is an int or (before, after)."""

    rank = 3

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding=padding, **kwargs)

    def get_config(self):
        return {**_Spatial.get_config(self), "padding": list(self.padding[0])}


class Cropping2D(_Spatial):
    """Remove rows at the top/bottom and columns at the left/right.

    ``cropping``: an int, (rows, cols), or ((top, bottom), (left, right)).
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _two_sided(cropping, "cropping", self, self.rank - 2)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, x, training=False):
        self.compute_output_shape(tuple(x.shape))
        index = [slice(None)] * x.ndim
        for ax, (before, after) in zip(self._axes(), self.cropping):
            index[ax] = slice(before, x.shape[ax] - after)
        return x[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for ax, (before, after) in zip(self._axes(), self.cropping):
            if out[ax] is not None:
                if before + after >= out[ax]:
                    raise ValueError(f"{type(self).__name__} '{self.name}': cropping {self.cropping} leaves nothing "
                                     f"of input shape {tuple(input_shape)}")
                out[ax] -= before + after
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}


class Cropping1D(Cropping2D):
    """Remove steps at the start and end: ``cropping`` is an int or (before, after)."""

    rank = 3

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping=cropping, **kwargs)

    def get_config(self):
        return {**_Spatial.get_config(self), "cropping": list(self.cropping[0])}


__all__ = ["UpSampling1D", "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D"]
