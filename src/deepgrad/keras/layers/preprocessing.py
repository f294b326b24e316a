"""Keras 3's preprocessing layers that hold statistics: ``Normalization`` (``adapt`` to data),
``Discretization`` (bucketize, optionally adapted to quantiles), ``CategoryEncoding`` (one/multi-hot,
count) and ``ActivityRegularization`` (adds an activity penalty to the loss)."""
from __future__ import annotations

import itertools
import math

import numpy as np

from deepgrad.backend import as_numpy, get_array_module
from deepgrad.keras import regularizers
from deepgrad.keras.layers._weights import keras_shaped, new_weight
from deepgrad.keras.layers.layer import Layer
from deepgrad.tensor import Tensor


def _host(x):
    """A numpy array from an array, a deepgrad Tensor or anything array-like."""
    if isinstance(x, Tensor):
        return as_numpy(x.data)
    return as_numpy(x) if hasattr(x, "__cuda_array_interface__") else np.asarray(x)


def _first(batch):
    return batch[0] if isinstance(batch, tuple) else batch


def _batches(layer, data):
    """``(first batch shape, iterable of batches, whole array or None)`` for ``adapt``."""
    if isinstance(data, (np.ndarray, Tensor)) or hasattr(data, "__cuda_array_interface__"):
        arr = _host(data)
        return arr.shape, None, arr
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{type(layer).__name__} '{layer.name}'.adapt: unsupported data type {type(data).__name__}; "
                        "pass an array, a Tensor or an iterable of batches (a list, a generator, a DataLoader)")
    it = iter(data)
    first = next(it, None)
    if first is None:
        raise ValueError(f"{type(layer).__name__} '{layer.name}'.adapt: received an empty iterable (no batches)")
    first = _first(first)
    if not hasattr(first, "shape"):
        raise TypeError(f"{type(layer).__name__} '{layer.name}'.adapt: each batch must be an array or Tensor with a "
                        f"shape, got {type(first).__name__}")
    return tuple(first.shape), itertools.chain([first], it), None


class Normalization(Layer):
    """``Normalization(axis=-1, mean=None, variance=None, invert=False)``: ``(x - mean) / sqrt(variance)``
    per feature of ``axis``; ``adapt(data)`` computes mean and variance from an array or batches."""

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else ((int(axis),) if isinstance(axis, (int, np.integer)) else
                                            tuple(int(a) for a in axis))
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: when setting values directly, both mean and variance must be set, "
                             f"got mean={mean!r} and variance={variance!r}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization: mean and variance must have the same shape, got mean shape "
                                 f"{np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"Normalization: the rank of mean must be at most the number of axes "
                                 f"({len(self.axis)}), got mean shape {np.shape(mean)} for axis {self.axis}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self._adapt_shape = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': axis {self.axis} out of range for inputs of rank {ndim} "
                             f"(shape {tuple(input_shape)})")
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep:
            if input_shape[d] is None:
                raise ValueError(f"Normalization '{self.name}': the kept axis {d} must have a known size, got "
                                 f"input shape {tuple(input_shape)}")
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._stat_shape = tuple(input_shape[d] for d in self._keep)
        self._broadcast = tuple(input_shape[d] if d in self._keep else 1 for d in range(ndim))
        self._build_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = new_weight(self, "mean", self._stat_shape, "zeros", trainable=False)
            self.adapt_variance = new_weight(self, "variance", self._stat_shape, "ones", trainable=False)
            self.count = Tensor._make(np.zeros((), np.int32))
            self._add_weight("count", lambda: self.count, trainable=False)
            self._fixed = None
        else:
            stats = []
            for value in (self.input_mean, self.input_variance):
                a = np.asarray(value, dtype=np.float32)
                if a.ndim:
                    shape = [1] * ndim
                    for i in range(1, a.ndim + 1):
                        shape[self._keep[-i]] = a.shape[-i]
                    a = a.reshape(shape)
                stats.append(np.broadcast_to(a, self._broadcast).copy())
            self._fixed = tuple(stats)

    def adapt(self, data, batch_size=None, steps=None):
        """Set mean and variance from ``data``: an array/Tensor, or an iterable of batches (``(x, y)`` tuples too)."""
        shape, batches, arr = _batches(self, data)
        if not self.built:
            keep = {a % len(shape) for a in self.axis if -len(shape) <= a < len(shape)}
            self._maybe_build(tuple(s if d in keep or d else None for d, s in enumerate(shape)))
        else:
            for d in self._keep:
                if shape[d] != self._build_shape[d]:
                    raise ValueError(f"Normalization '{self.name}'.adapt: the layer was built for input shape "
                                     f"{self._build_shape}, got data of shape {tuple(shape)}")
        if self._fixed is not None:
            raise ValueError(f"Normalization '{self.name}'.adapt: the layer was given mean and variance; adapt "
                             "needs a layer created without them")
        if arr is not None:
            mean, var = np.mean(arr, axis=self._reduce), np.var(arr, axis=self._reduce)
        else:
            mean, var = np.zeros(self._stat_shape), np.zeros(self._stat_shape)
            total = 0
            for batch in batches:
                b = _host(_first(batch)).astype(np.float32)
                for d in self._keep:
                    if b.shape[d] != self._build_shape[d]:
                        raise ValueError(f"Normalization '{self.name}'.adapt: a batch of shape {b.shape} does not "
                                         f"match the expected shape {self._build_shape}")
                b_mean, b_var = b.mean(axis=self._reduce), b.var(axis=self._reduce)
                n = math.prod(b.shape[d] for d in self._reduce) if self._reduce else 1
                total += n
                w = n / total
                new_mean = mean * (1.0 - w) + b_mean * w
                var = (var + (mean - new_mean) ** 2) * (1.0 - w) + (b_var + (b_mean - new_mean) ** 2) * w
                mean = new_mean
        xp = self.adapt_mean.xp
        self.adapt_mean.data[...] = xp.asarray(mean, dtype=np.float32)
        self.adapt_variance.data[...] = xp.asarray(var, dtype=np.float32)

    def call(self, x, training=False):
        xp = x.xp
        if x.dtype.kind != "f":  # Tensors arrive uncast: integer data is normalized in float32
            x = Tensor._make(x.data.astype(np.float32))
        if self._fixed is not None:
            mean, var = (xp.asarray(a) for a in self._fixed)
        else:
            mean = self.adapt_mean.data.reshape(self._broadcast)
            var = self.adapt_variance.data.reshape(self._broadcast)
        try:  # Keras broadcasts the statistics against the inputs
            np.broadcast_shapes(tuple(x.shape), self._broadcast)
        except ValueError:
            raise ValueError(f"Normalization '{self.name}': inputs of shape {tuple(x.shape)} do not match the "
                             f"statistics of shape {self._broadcast} (built for {self._build_shape})") from None
        std = Tensor._make(xp.maximum(xp.sqrt(var), 1e-7).astype(x.dtype))
        mean = Tensor._make(mean.astype(x.dtype))
        return mean + x * std if self.invert else (x - mean) / std

    def get_weights(self):
        return keras_shaped(self, super().get_weights())

    def get_config(self):
        def as_list(v):
            return np.array(v).tolist() if v is not None else None

        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": as_list(self.input_mean), "variance": as_list(self.input_variance)}


def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_pct = cum / cum[-1]
    new_bins = np.interp(percents, cum_pct, summary[0])
    cum = np.interp(percents, cum_pct, cum)
    return np.stack((new_bins, cum - np.concatenate((np.array([0]), cum[:-1])))).astype("float32")


def _encode(layer, idx, mode, depth, count_weights=None):
    """Keras's ``encode_categorical_inputs`` on an integer array ``idx`` (xp), as a deepgrad Tensor."""
    xp = get_array_module(idx)
    if mode == "int":
        return Tensor._make(idx.astype(np.int32))
    if idx.size and int(idx.max()) >= depth:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': input values must be less than {depth} "
                         f"(num_tokens), got a maximum of {int(idx.max())}")
    if idx.ndim == 0:
        idx = idx[None]
    if mode == "one_hot" and idx.ndim > 1 and idx.shape[-1] == 1:
        idx = idx.reshape(idx.shape[:-1])
    hot = (idx[..., None] == xp.arange(depth)).astype(np.float32)  # negative values give all-zero rows
    if mode == "one_hot":
        return Tensor._make(hot)
    axis = 1 if idx.ndim > 1 else 0
    if mode == "multi_hot":
        return Tensor._make(hot.max(axis=axis))
    if count_weights is not None:
        hot = hot * xp.asarray(count_weights, dtype=np.float32)[..., None]
    return Tensor._make(hot.sum(axis=axis))


def _check_mode(layer, mode, allowed):
    if mode not in allowed:
        raise ValueError(f"{type(layer).__name__}: output_mode must be one of {', '.join(map(repr, allowed))}, "
                         f"got {mode!r}")


def _encoded_shape(shape, mode, depth):
    if mode == "int":
        return tuple(shape)
    if len(shape) == 0:
        return (depth,)
    if mode == "one_hot":
        return (tuple(shape[:-1]) if len(shape) > 1 and shape[-1] == 1 else tuple(shape)) + (depth,)
    return (tuple(shape[:1]) + tuple(shape[2:]) if len(shape) > 1 else ()) + (depth,)


class Discretization(Layer):
    """``Discretization(bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode='int')``: the bucket of
    each value (``bins[i-1] <= x < bins[i]`` gives i); ``adapt(data)`` finds ``num_bins`` quantile buckets."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 **kwargs):
        super().__init__(**kwargs)
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported (as with Keras's torch backend)")
        _check_mode(self, output_mode, ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: num_bins must be >= 0, got {num_bins!r}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Discretization: set num_bins or bin_boundaries, not both (got num_bins={num_bins!r} "
                             f"and bin_boundaries={bin_boundaries!r})")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: you need to set either num_bins or bin_boundaries")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = False
        self._summary = np.array([[], []], dtype="float32")

    def adapt(self, data, steps=None):
        """Quantile boundaries of ``data`` (an array, or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError(f"Discretization '{self.name}'.adapt: the layer was given bin_boundaries; adapt needs "
                             "num_bins")
        self._summary = np.array([[], []], dtype="float32")
        if isinstance(data, (np.ndarray, Tensor)) or not hasattr(data, "__iter__"):
            data = [data]
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            summary = _summarize(_host(batch).astype("float32"), self.epsilon)
            merged = np.concatenate((summary, self._summary), axis=1)
            self._summary = _compress(np.take(merged, np.argsort(merged[0]), axis=1), self.epsilon)
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, x, training=False):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization '{self.name}': pass bin_boundaries or call adapt(data) before using "
                             "the layer")
        xp = x.xp
        data = x.data if x.data.dtype.kind == "f" else x.data.astype(np.float32)  # Tensors arrive uncast
        idx = xp.searchsorted(xp.asarray(self.bin_boundaries, dtype=data.dtype), data, side="right")
        return _encode(self, idx, self.output_mode, len(self.bin_boundaries) + 1)

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return _encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bins = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in bins]
            return layer
        return cls(**config)


class CategoryEncoding(Layer):
    """``CategoryEncoding(num_tokens, output_mode='multi_hot')``: integer ids to one-hot ('one_hot'), multi-hot
    or count vectors of length ``num_tokens`` (``count_weights=`` weighs the counts)."""

    input_dtype = None  # integer ids stay integers

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        _check_mode(self, output_mode, ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set (the number of distinct integer ids)")
        if int(num_tokens) < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be >= 1, got {num_tokens!r}")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported (as with Keras's torch backend)")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, x, training=False, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"CategoryEncoding '{self.name}': count_weights is only used with output_mode='count', "
                             f"got output_mode={self.output_mode!r}")
        data = x.data
        if data.dtype.kind == "f":
            if not bool((data == data.round()).all()):
                raise ValueError(f"CategoryEncoding '{self.name}': inputs must be integer ids, got non-integer "
                                 f"values of dtype {data.dtype}")
            data = data.astype(np.int64)
        if count_weights is not None:
            count_weights = count_weights.data if isinstance(count_weights, Tensor) else count_weights
        return _encode(self, data, self.output_mode, self.num_tokens, count_weights)

    def compute_output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


class ActivityRegularization(Layer):
    """``ActivityRegularization(l1=0.0, l2=0.0)``: returns its input and adds
    ``(l1 * sum|x| + l2 * sum x^2) / batch_size`` to the training loss."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)
        self._activity_loss = None

    def call(self, x, training=False):
        penalty = self.activity_regularizer(x)
        self._activity_loss = penalty / float(x.shape[0]) if x.ndim > 0 else penalty
        return x

    @property
    def losses(self):
        return [] if self._activity_loss is None else [self._activity_loss]

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


__all__ = ["ActivityRegularization", "CategoryEncoding", "Discretization", "Normalization"]
