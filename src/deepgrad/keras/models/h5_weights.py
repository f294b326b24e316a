"""``save_weights('x.weights.h5')`` / ``load_weights``: Keras 3's HDF5 weights layout, so a file
moves between deepgrad and real Keras in both directions.

Keras 3 stores ``layers/<key>/vars/<i>``: ``key`` is the snake-case class name, numbered per
class in the model's layer order (``dense``, ``dense_1``, ... whatever the layers are called),
nested models get their own ``layers/`` group, and the variables of a layer are its trainable
ones then its non-trainable ones, in Keras layout.  Needs the optional ``h5py`` package; only
arrays are read (no pickled objects exist in this format).  Optimizer state is not stored.
"""
from __future__ import annotations

import os

import numpy as np

from deepgrad.backend import get_array_module
from deepgrad.keras import backend


def _h5py(where):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{where}: '.weights.h5' files need the h5py package (pip install h5py); or use a "
                          "'.weights.npz' file name") from None
    return h5py


def _model_layers(model):
    """The layers Keras saves: a functional model's Input layers too (they have no weights)."""
    return model._unique_layers()


def _keyed(layers):
    """(key, layer) with Keras's per-class numbering: dense, dense_1, conv2d, ..."""
    from deepgrad.keras.models.model import Model

    used, out = {}, []
    for layer in layers:
        functional = type(layer) is Model and layer._graph is not None  # Keras's class is Functional
        name = "functional" if functional else backend.snake_case(type(layer).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        out.append((name, layer))
    return out


def _var_entries(layer):
    """The layer's weight entries in Keras's saving order: trainable ones, then the others."""
    entries = layer._weight_entries()
    return [e for e in entries if e[3]] + [e for e in entries if not e[3]]


def _to_keras(layer, entries):
    from deepgrad.backend import as_numpy
    from deepgrad.keras.layers.layer import _LAYOUTS

    out = []
    for _, getter, layout, _ in entries:
        a = as_numpy(getter().data)
        axes = _LAYOUTS[layout][0]
        out.append(np.array(a.transpose(axes) if axes else a, order="C"))
    return out


def _custom(layer):
    """True for a subclassed model, or a user's layer holding sublayers: Keras saves them by attribute name."""
    from deepgrad.keras.models.model import Model
    from deepgrad.keras.models.sequential import Sequential

    if isinstance(layer, Model):
        return layer._graph is None and not isinstance(layer, Sequential)
    return not hasattr(layer, "_h5_children") and bool(layer._tracked_layers())


_BASE_ATTRS: set = set()


def _children(layer, visited):
    """Keras's ``saving_lib._walk_saveable``: (path, sublayer) by attribute name, public names first, then
    private ones; a list/tuple/dict attribute keys its layers by class (``attr/dense``, ``attr/dense_1``)."""
    from deepgrad.keras.layers.layer import Layer
    from deepgrad.keras.models.model import Model

    if not _BASE_ATTRS:
        _BASE_ATTRS.update(dir(Layer), vars(Layer(name="base")))  # named: takes no automatic name
    items = [(k, v) for k, v in vars(layer).items() if k not in _BASE_ATTRS]
    if isinstance(layer, Model):
        items.append(("layers", layer.layers))
    items.sort(key=lambda kv: f"~{kv[0]}" if kv[0].startswith("_") else kv[0])
    out = []
    for attr, value in items:
        if isinstance(value, dict):
            value = list(value.values())
        pairs = [(attr, value)] if isinstance(value, Layer) else []
        if isinstance(value, (list, tuple)):
            pairs = [(attr, v) for v in value if isinstance(v, Layer)]
            pairs = [(f"{attr}/{key}", v) for key, v in _keyed([v for _, v in pairs])]
        for path, child in pairs:
            if id(child) not in visited:
                visited.add(id(child))
                out.append((path, child))
    return out


def _own_entries(layer):
    own = list(layer._weights)
    return [e for e in own if e[3]] + [e for e in own if not e[3]]


def _write(group, model):
    group.create_group("vars").attrs["name"] = model.name
    if _custom(model):
        _write_custom(group, model, {id(model)})
        return
    layers_group = group.create_group("layers")
    for key, layer in _keyed(_model_layers(model)):
        _write_layer(layers_group.create_group(key), layer)


def _write_layer(sub, layer):
    """A layer's group: ``vars`` (its weights), or its children's groups (wrappers), or ``cell/vars`` (RNNs)."""
    from deepgrad.keras.models.model import Model

    if isinstance(layer, Model):
        _write(sub, layer)
        return
    if _custom(layer):
        sub.create_group("vars").attrs["name"] = layer.name
        _write_custom(sub, layer, {id(layer)})
        return
    vars_group = sub.create_group("vars")
    vars_group.attrs["name"] = layer.name
    if hasattr(layer, "_h5_children"):
        for key, child in layer._h5_children():
            _write_layer(sub.create_group(key), child)
        return
    if getattr(layer, "_h5_cell", None):
        vars_group = sub.create_group("cell").create_group("vars")
        vars_group.attrs["name"] = layer._h5_cell
    for i, a in enumerate(_to_keras(layer, _var_entries(layer))):
        vars_group.create_dataset(str(i), data=a)


def _write_custom(group, layer, visited):
    for i, a in enumerate(_to_keras(layer, _own_entries(layer))):
        group["vars"].create_dataset(str(i), data=a)
    for path, child in _children(layer, visited):
        sub = group.require_group(path)
        if _custom(child):
            sub.create_group("vars").attrs["name"] = child.name
            _write_custom(sub, child, visited)
        else:
            _write_layer(sub, child)


def save_weights_h5(model, filepath, overwrite=True):
    h5py = _h5py("save_weights")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath!r} exists and overwrite=False")
    tmp = f"{filepath}.tmp{os.getpid()}"
    try:
        with h5py.File(tmp, "w") as f:
            _write(f, model)
        os.replace(tmp, filepath)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _by_saved_name(layers_group, keyed):
    """``keyed`` re-keyed by the layer names the file records (``vars`` attrs), when they name exactly the
    model's layers: files deepgrad wrote before it listed a branching model's layers in Keras's order."""
    if layers_group is None or not hasattr(layers_group, "keys"):
        return keyed
    saved = {}
    for key in layers_group.keys():
        vars_group = layers_group[key].get("vars") if hasattr(layers_group[key], "get") else None
        name = vars_group.attrs.get("name") if vars_group is not None else None
        name = name.decode() if isinstance(name, bytes) else str(name)
        if name in saved:
            return keyed
        saved[name] = key
    names = [layer.name for _, layer in keyed]
    if len(set(names)) != len(names) or set(names) != set(saved):
        return keyed
    return [(saved[layer.name], layer) for _, layer in keyed]


def _read(group, model, path, pending):
    if _custom(model):
        _read_custom(group, model, path.rstrip("/"), pending, {id(model)})
        return
    layers_group = group.get("layers")
    for key, layer in _by_saved_name(layers_group, _keyed(_model_layers(model))):
        sub = layers_group.get(key) if layers_group is not None else None
        _read_layer(sub, layer, f"{path}layers/{key}", pending)


def _read_layer(sub, layer, where, pending):
    from deepgrad.keras.models.model import Model

    if not isinstance(layer, Model) and _custom(layer):
        if sub is None:
            raise ValueError(f"load_weights: the file has no group {where!r} for {type(layer).__name__} "
                             f"{layer.name!r}")
        _read_custom(sub, layer, where, pending, {id(layer)})
        return
    if isinstance(layer, Model) or hasattr(layer, "_h5_children"):
        if sub is None:
            raise ValueError(f"load_weights: the file has no group {where!r} for {type(layer).__name__} "
                             f"{layer.name!r}")
        if isinstance(layer, Model):
            _read(sub, layer, f"{where}/", pending)
        else:
            for key, child in layer._h5_children():
                _read_layer(sub.get(key), child, f"{where}/{key}", pending)
        return
    if sub is not None and getattr(layer, "_h5_cell", None):
        sub, where = sub.get("cell"), f"{where}/cell"
    _read_vars(sub, layer, _var_entries(layer), where, pending)


def _read_custom(group, layer, where, pending, visited):
    if _own_entries(layer):
        _read_vars(group, layer, _own_entries(layer), where, pending)
    for path, child in _children(layer, visited):
        sub = group.get(path)
        if _custom(child):
            if sub is None:
                raise ValueError(f"load_weights: the file has no group {where}/{path!r} for "
                                 f"{type(child).__name__} {child.name!r}")
            _read_custom(sub, child, f"{where}/{path}", pending, visited)
        else:
            _read_layer(sub, child, f"{where}/{path}", pending)


def _read_vars(sub, layer, entries, where, pending):
    vars_group = sub.get("vars") if sub is not None and hasattr(sub, "get") else None
    if vars_group is not None and not hasattr(vars_group, "keys"):
        raise ValueError(f"load_weights: {where}/vars is not a group")
    n_file = 0 if vars_group is None else len(vars_group)
    if n_file != len(entries):
        raise ValueError(f"load_weights: layer {layer.name!r} ({type(layer).__name__}) has {len(entries)} "
                         f"weights, the file has {n_file} at {where!r}")
    arrays = []
    for i, current in enumerate(_to_keras(layer, entries)):
        item = vars_group.get(str(i))
        if item is None:
            raise ValueError(f"load_weights: {where}/vars/{i} is missing")
        if not hasattr(item, "shape") or item.dtype.kind not in "fiub":
            raise ValueError(f"load_weights: {where}/vars/{i} is not a numeric array")
        a = np.asarray(item[()])
        if a.shape != current.shape:
            raise ValueError(f"load_weights: layer {layer.name!r} weight {i} has shape {current.shape}, the file "
                             f"has {a.shape} at {where!r}")
        arrays.append(a)
    pending.append((layer, entries, arrays))


def load_weights_h5(model, filepath):
    h5py = _h5py("load_weights")
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"load_weights: no such file {filepath!r}")
    pending = []
    try:
        f = h5py.File(filepath, "r")
    except OSError as e:
        raise ValueError(f"load_weights: {filepath!r} is not an HDF5 file ({e})") from None
    with f:
        _read(f, model, "", pending)  # check everything before changing anything
    from deepgrad.keras.layers.layer import _LAYOUTS

    for layer, entries, arrays in pending:
        by_entry = {id(e[1]): a for e, a in zip(entries, arrays)}
        if all(id(e[1]) in by_entry for e in layer._ordered_entries()):
            layer.set_weights([by_entry[id(e[1])] for e in layer._ordered_entries()])
            continue
        for (_, getter, layout, _), a in zip(entries, arrays):  # a custom layer's own weights
            t = getter()
            axes = _LAYOUTS[layout][1]
            xp = get_array_module(t.data)
            t.data[...] = xp.asarray(a.transpose(axes) if axes else a, dtype=t.data.dtype)


__all__ = ["save_weights_h5", "load_weights_h5"]
