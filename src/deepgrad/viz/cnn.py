"""What a CNN sees: its convolution filters and the feature maps an image produces.

    viz.plot_filters(model[0].weight, "filters.png")          # (out, in, kh, kw) kernels as tiles
    viz.plot_feature_maps(model, image, "maps.png")           # every conv layer's maps for one image

The array-building parts (``filter_grid``, ``feature_maps``, ``tile``) need numpy only;
the ``plot_*`` functions need matplotlib.
"""
from __future__ import annotations

import math

import numpy as np

from deepgrad.viz.plots import _as_numpy, _figure, _save

__all__ = ["tile", "filter_grid", "feature_maps", "plot_filters", "plot_feature_maps"]


def _minmax(a, axes):
    lo = a.min(axis=axes, keepdims=True)
    hi = a.max(axis=axes, keepdims=True)
    return (a - lo) / np.where(hi > lo, hi - lo, 1.0)


def tile(images, cols=None, pad=1, pad_value=1.0):
    """Tiles (N, H, W) or (N, H, W, 3) laid out in a grid ``cols`` wide (default about square),
    ``pad`` pixels of ``pad_value`` between them: one (rows*(H+pad)-pad, cols*(W+pad)-pad[, 3]) array."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3) or len(x) == 0:
        raise ValueError(f"tile: expected a non-empty stack (N, H, W) or (N, H, W, 3), got shape {x.shape}")
    n, h, w = x.shape[:3]
    cols = int(cols) if cols else math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad) + x.shape[3:], pad_value, dtype=np.float64)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = x[i]
    return out


def filter_grid(weight, channels_last=False, normalize=True, pad=1):
    """A conv layer's kernels as one image array.

    ``weight``: (out, in, kh, kw) as ``nn.Conv2d.weight``, or the layer itself (an ``nn.Conv2d`` or a
    keras ``Conv2D``); (kh, kw, in, out), a kernel from keras ``get_weights()``, with
    ``channels_last=True``.  With 3 input channels each filter is an RGB tile
    (result (H, W, 3)); otherwise row i shows filter i, one tile per input channel.  ``normalize``
    scales each filter to [0, 1] on its own (the usual picture); padding is 1 (white)."""
    for attr in ("weight", "kernel"):  # an nn.Conv2d, or a keras Conv2D (its kernel is kept as (out, in, kh, kw))
        if not isinstance(weight, np.ndarray) and hasattr(weight, attr) and not hasattr(weight, "shape"):
            weight = getattr(weight, attr)
    w = _as_numpy(weight).astype(np.float64)
    if w.ndim != 4:
        raise ValueError(f"filter_grid: expected a 4-D conv weight, got shape {w.shape}")
    if channels_last:
        w = w.transpose(3, 2, 0, 1)
    o, i = w.shape[:2]
    if normalize:
        w = _minmax(w, (1, 2, 3))
    if i == 3:
        return tile(w.transpose(0, 2, 3, 1), pad=pad)
    return tile(w.reshape(o * i, *w.shape[2:]), cols=i if i > 1 else None, pad=pad)


def _image_batch(image, channels_last=False):
    x = _as_numpy(image).astype(np.float32)
    if x.ndim == 2:
        x = x[None, None] if not channels_last else x[None, :, :, None]
    elif x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[0] != 1:
        layout = "(H, W), (H, W, C) or (1, H, W, C)" if channels_last else "(H, W), (C, H, W) or (1, C, H, W)"
        raise ValueError(f"feature_maps: expected one image {layout}, got shape {x.shape}")
    return x


def _pick(subs, layers, what):
    if layers is None:
        watched = {name: sub for name, sub in subs.items() if "Conv" in type(sub).__name__}
    else:
        missing = [name for name in layers if name not in subs]
        if missing:
            raise KeyError(f"feature_maps: no {what} {missing}; the model has {sorted(subs)}")
        watched = {name: subs[name] for name in layers}
    if not watched:
        raise ValueError("feature_maps: the model has no conv layer; name the layers to show with layers=[...]")
    return watched


def feature_maps(model_or_layer, image, layers=None):
    """{layer name: (C, H, W) numpy maps} for one image through an ``nn.Module`` or a keras model.

    A single ``nn`` layer gives its output under the name of its class; a model gives the output of
    every conv layer (class name containing 'Conv'), or of the layers named in ``layers``.
    ``image``: (H, W), (C, H, W) or (1, C, H, W) for ``nn``; (H, W), (H, W, C) or (1, H, W, C) for keras
    (channels last, as keras takes it); the maps are (C, H, W) either way."""
    import deepgrad as dg

    m = model_or_layer
    if hasattr(m, "named_modules"):
        x = _image_batch(image)
        params = list(m.parameters())
        xt = dg.tensor(x)
        if params:
            xt = xt.to(params[0].device)
        subs = {name: sub for name, sub in m.named_modules() if name}
        if not subs:
            with dg.no_grad():
                return {type(m).__name__: _as_numpy(m(xt))[0]}
        watched = _pick(subs, layers, "submodule")
    elif hasattr(m, "layers"):
        xt = _image_batch(image, channels_last=True)
        watched = _pick({layer.name: layer for layer in m.layers}, layers, "layer")
    else:
        raise TypeError(f"feature_maps: expected a deepgrad.nn.Module or a deepgrad.keras model, "
                        f"got {type(m).__name__}")
    maps = {}
    if hasattr(m, "named_modules"):
        handles = [sub.register_forward_hook(lambda mod, inp, out, name=name: maps.__setitem__(name, _as_numpy(out)[0]))
                   for name, sub in watched.items()]
    else:
        from deepgrad.viz.gradients import _KerasHook

        def keep(name):  # keras maps are channels last: (H, W, C) -> (C, H, W)
            return lambda out: maps.__setitem__(name, np.moveaxis(_as_numpy(out)[0], -1, 0))

        handles = [_KerasHook(layer, keep(name)) for name, layer in watched.items()]
    try:
        with dg.no_grad():
            m(xt)
    finally:
        for h in handles:
            h.remove()
    return {name: maps[name] for name in watched if name in maps}


def plot_filters(weight, path=None, channels_last=False, title=None, dpi=100):
    """Draw ``filter_grid(weight)``: the kernels a conv layer learned (grey, or RGB for 3 channels)."""
    grid = filter_grid(weight, channels_last)
    fig = _figure((max(3.0, grid.shape[1] / 8), max(3.0, grid.shape[0] / 8)))
    ax = fig.subplots()
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, interpolation="nearest", vmin=0, vmax=1)
    ax.axis("off")
    ax.set_title(title or "convolution filters")
    return _save(fig, path, dpi)


def plot_feature_maps(model_or_layer, image, path=None, layers=None, max_maps=16, dpi=100):
    """One row per conv layer: the first ``max_maps`` feature maps the image produces there."""
    maps = feature_maps(model_or_layer, image, layers)
    fig = _figure((1.3 * max_maps, 1.5 * len(maps)))
    axes = fig.subplots(len(maps), 1, squeeze=False)[:, 0]
    for ax, (name, a) in zip(axes, maps.items()):
        a = a[:max_maps] if a.ndim == 3 else a[None]
        ax.imshow(tile(_minmax(a, (1, 2)), cols=len(a), pad_value=np.nan), cmap="viridis", interpolation="nearest")
        ax.axis("off")
        ax.set_title(f"{name}: {a.shape[0]} of {len(maps[name])} maps, {a.shape[1]}x{a.shape[2]}", fontsize=9)
    return _save(fig, path, dpi)
