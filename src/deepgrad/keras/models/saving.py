"""``model.save('m.keras')`` / ``load_model('m.keras')``: a zip of JSON and arrays, never pickle.

The ``.keras`` file holds ``metadata.json``, ``config.json`` (the architecture: layer class
names and constructor arguments, plus the compile settings) and the weights in Keras layout,
as safetensors (``model.weights.safetensors``, through deepgrad.io) or, without the
safetensors package, ``model.weights.npz`` (``allow_pickle=False``).  Loading rebuilds layers
only from the registry of known classes (``deepgrad.keras.layers.LAYER_CLASSES``), the classes
registered with ``deepgrad.keras.saving.register_serializable`` and the ``custom_objects`` the
caller passes; any other class name is refused.  Writes are atomic.

Every bad file raises ``SavingError``, a ``deepgrad.io.FormatError``: damaged zips and weights,
configs that name unknown classes, and configs whose values make the layers fail to build.
The weights header is read first and no layer is built whose weights would exceed what the
file holds (a 4 KB file cannot make ``Dense(units=10**6)`` allocate gigabytes).
"""
from __future__ import annotations

import io as _io
import json
import math
import os
import time

import numpy as np

from deepgrad.io import FormatError
from deepgrad.keras import losses as losses_mod
from deepgrad.keras import metrics as metrics_mod
from deepgrad.keras import optimizers as optimizers_mod
from deepgrad.keras.layers import LAYER_CLASSES, Layer
from deepgrad.keras.layers.input_layer import InputLayer
from deepgrad.keras.layers.layer import BUILD_GUARDS
from deepgrad.keras.object_registry import custom_object_scope, get_custom_object

FORMAT_VERSION = 1
_CONFIG = "config.json"
_META = "metadata.json"
_W_ST = "model.weights.safetensors"
_W_NPZ = "model.weights.npz"


class SavingError(FormatError):
    """A .keras file or config this loader refuses; the message says why (a ``deepgrad.io.FormatError``)."""


# What a hostile config can make the layer constructors and builders raise; load_model turns them into SavingError.
_CONFIG_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError, RecursionError, OverflowError,
                  MemoryError, NotImplementedError, ZeroDivisionError)


# -- configs ----------------------------------------------------------------------------------------
def _layer_entry(layer):
    from deepgrad.keras.models.model import Model

    if isinstance(layer, Model):
        cfg = model_config(layer)
        return {"class_name": cfg["class_name"], "config": cfg["config"], "name": layer.name}
    return {"class_name": type(layer).__name__, "config": layer.get_config(), "name": layer.name}


def sequential_config(model):
    return {"name": model.name, "trainable": model.trainable,
            "build_input_shape": None if model._build_shape is None else list(model._build_shape),
            "layers": [_layer_entry(la) for la in model.layers]}


def functional_config(model):
    g = model._graph
    calls = {}  # id(KerasTensor) -> [layer name, node index] (+ tensor index for a call with several outputs)
    counts, seen = {}, {}
    for t in g["inputs"]:
        calls[id(t)] = (t.layer.name, 0)
    nodes = []
    for t in g["nodes"]:
        if t.node is not None and id(t.node) in seen:  # another output of a call already listed
            calls[id(t)] = (t.layer.name, seen[id(t.node)], t.index)
            continue
        idx = counts.get(id(t.layer), 0)
        counts[id(t.layer)] = idx + 1
        calls[id(t)] = (t.layer.name, idx) if t.node is None else (t.layer.name, idx, t.index)
        if t.node is not None:
            seen[id(t.node)] = idx
        node = {"layer": t.layer.name, "inputs": [list(calls[id(p)]) for p in t.inputs],
                "list_call": bool(t.list_call)}
        if t.call_kwargs:  # keyword tensors: their places among the inputs
            node["kwargs"] = {k: [s, n] for k, (s, n) in t.call_kwargs.items()}
        nodes.append(node)
    return {"name": model.name, "trainable": model.trainable, "layers": [_layer_entry(la) for la in model.layers],
            "nodes": nodes, "input_layers": [list(calls[id(t)]) for t in g["inputs"]],
            "output_layers": [list(calls[id(t)]) for t in g["outputs"]],
            "single_input": model._single_input, "single_output": model._single_output}


def model_config(model):
    from deepgrad.keras.models.sequential import Sequential

    if isinstance(model, Sequential):
        return {"class_name": "Sequential", "config": sequential_config(model)}
    if model._graph is None:
        raise SavingError(f"{type(model).__name__}: subclassed models have no config; use save_weights/load_weights")
    return {"class_name": "Functional", "config": functional_config(model)}


def _layer_class(name):
    cls = LAYER_CLASSES.get(name)
    if cls is None:
        obj = get_custom_object(name)
        if isinstance(obj, type) and issubclass(obj, Layer):
            return obj
        raise SavingError(f"Unknown layer class {name!r} in the saved config; known: {sorted(LAYER_CLASSES)} "
                          "(pass custom_objects={name: YourLayerClass} for your own layers)")
    return cls


def layer_from_entry(entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) or \
            not isinstance(entry.get("config"), dict):
        raise SavingError(f"config: malformed layer entry {str(entry)[:80]!r}")
    name = entry["class_name"]
    if name in ("Sequential", "Functional", "Model"):
        return model_from_config({"class_name": name, "config": entry["config"]})
    cls = _layer_class(name)
    try:
        return cls.from_config(dict(entry["config"]))
    except SavingError:
        raise
    except _CONFIG_ERRORS as e:
        raise SavingError(f"config: cannot rebuild layer {name} from {entry['config']!r}: {e}") from None


def _shape_from_config(shape):
    """A declared input shape: a list of non-negative ints or None (the batch)."""
    if not isinstance(shape, list) or len(shape) > 16 or \
            not all(d is None or (type(d) is int and 0 <= d) for d in shape):
        raise SavingError(f"config: bad input shape {str(shape)[:80]} (expected a list of ints or null)")
    return tuple(shape)


def model_from_config(config, custom_objects=None):
    """Rebuild an (unbuilt weights, fresh) model from ``model_config`` output."""
    from deepgrad.keras.models.model import Model
    from deepgrad.keras.models.sequential import Sequential

    with custom_object_scope(custom_objects):
        if not isinstance(config, dict) or "class_name" not in config or not isinstance(config.get("config"), dict):
            raise SavingError("config: expected {'class_name': ..., 'config': {...}}")
        kind, cfg = config["class_name"], config["config"]
        if kind == "Sequential":
            model = Sequential(name=cfg.get("name"), trainable=bool(cfg.get("trainable", True)))
            for entry in cfg.get("layers", []):
                model.add(layer_from_entry(entry), rebuild=False)
            if cfg.get("build_input_shape") is not None:
                model.build(_shape_from_config(cfg["build_input_shape"]))
            return model
        if kind in ("Functional", "Model"):
            layers = {}
            for entry in cfg.get("layers", []):
                layer = layer_from_entry(entry)
                layers[layer.name] = layer
            tensors, counts = {}, {}
            for name, layer in layers.items():
                if isinstance(layer, InputLayer):
                    tensors[(name, 0)] = layer.output
            def tensor(ref):  # [layer name, node index(, tensor index)]
                out = tensors[(ref[0], int(ref[1]))]
                if isinstance(out, list):
                    return out[int(ref[2]) if len(ref) > 2 else 0]
                if len(ref) > 2 and int(ref[2]) != 0:
                    raise IndexError(ref)
                return out

            for node in cfg.get("nodes", []):
                layer = layers.get(node.get("layer"))
                if layer is None:
                    raise SavingError(f"config: node refers to unknown layer {node.get('layer')!r}")
                kwargs = node.get("kwargs") or {}
                if not isinstance(kwargs, dict) or not set(kwargs) <= {"initial_state", "mask"}:
                    raise SavingError(f"config: node of layer {layer.name!r} has bad keyword inputs {kwargs!r} "
                                      "(known: initial_state, mask)")
                try:
                    parents = [tensor(p) for p in node["inputs"]]
                    spans = {k: (int(s), None if n is None else int(n)) for k, (s, n) in kwargs.items()}
                    if any(not 1 <= s <= s + (n or 1) <= len(parents) for s, n in spans.values()):
                        raise IndexError("keyword inputs out of range")
                    kw = {k: (parents[s] if n is None else parents[s:s + n]) for k, (s, n) in spans.items()}
                    n_main = min((s for s, _ in spans.values()), default=len(parents))
                    main = parents[:n_main]
                    arg = main if node.get("list_call") else main[0]
                except (KeyError, TypeError, IndexError, ValueError, AttributeError):
                    raise SavingError(f"config: node of layer {layer.name!r} has bad inputs {node.get('inputs')!r}")
                out = layer(arg, **kw)
                idx = counts.get(layer.name, 0)
                counts[layer.name] = idx + 1
                tensors[(layer.name, idx)] = out
            try:
                ins = [tensor(p) for p in cfg["input_layers"]]
                outs = [tensor(p) for p in cfg["output_layers"]]
            except (KeyError, TypeError, IndexError, ValueError):
                raise SavingError("config: input_layers/output_layers name tensors that the graph does not make")
            return Model(ins[0] if cfg.get("single_input", True) else ins,
                         outs[0] if cfg.get("single_output", True) else outs, name=cfg.get("name"))
        raise SavingError(f"config: unknown model class {kind!r} (expected Sequential or Functional)")


def compile_config(model):
    if not getattr(model, "compiled", False):
        return None
    args = model._compile_args
    metrics = [metrics_mod.serialize(m) for m in args.get("metrics", [])]
    out = {"optimizer": optimizers_mod.serialize(model.optimizer),
           "loss": None if model.loss is None else losses_mod.serialize(model.loss), "metrics": metrics}
    if args.get("weighted_metrics"):
        out["weighted_metrics"] = [metrics_mod.serialize(m) for m in args["weighted_metrics"]]
    if args.get("loss_weights") is not None:
        out["loss_weights"] = float(args["loss_weights"])
    return out


# -- weights ------------------------------------------------------------------------------------------
def _weight_arrays(model):
    """name -> array for every weight, Keras layout, in get_weights order."""
    arrays = {}
    for i, (path, a) in enumerate(_walk(model, "")):
        arrays[f"{i:05d}/{path}"] = a
    return arrays


def _walk(layer, prefix):
    from deepgrad.keras.models.model import Model

    if isinstance(layer, Model):
        for sub in layer._unique_layers():
            yield from _walk(sub, f"{prefix}{layer.name}/")
        return
    names = [n for n, _, _, _ in layer._ordered_entries()]
    for n, a in zip(names, layer.get_weights()):
        yield f"{prefix}{layer.name}/{n}", a


def _set_weight_arrays(model, arrays, where):
    keys = sorted(arrays)
    expected = [p for p, _ in _walk(model, "")]
    got = [k.split("/", 1)[1] if "/" in k else k for k in keys]
    if len(got) != len(expected):
        raise SavingError(f"{where}: the file has {len(got)} weights, the model has {len(expected)}")
    if len(set(got)) == len(got) and set(got) == set(expected):  # same layer names: match by name (files saved
        by_path = dict(zip(got, keys))  # before deepgrad listed a branching model's layers in Keras's order)
        keys = [by_path[p] for p in expected]
        got = list(expected)
    for e, g in zip(expected, got):  # layer names may differ (dense vs dense_3); the weight kinds may not
        if e.rsplit("/", 1)[-1] != g.rsplit("/", 1)[-1]:
            raise SavingError(f"{where}: weight {g!r} in the file does not match {e!r} in the model")
    try:
        model.set_weights([arrays[k] for k in keys])
    except (ValueError, TypeError) as e:
        raise SavingError(f"{where}: {e}") from None


def _weights_bytes(arrays):
    try:
        from deepgrad.io import safetensors_dumps

        return _W_ST, safetensors_dumps(arrays)
    except ImportError:
        buf = _io.BytesIO()
        np.savez(buf, **arrays)
        return _W_NPZ, buf.getvalue()


def _read_weights(name, data, where="load_model"):
    """name -> array of a weights member; any failure to read it is a SavingError."""
    try:
        if name == _W_ST:
            from deepgrad.io import safetensors_loads

            arrays, _ = safetensors_loads(data)
            return arrays
        with np.load(_io.BytesIO(data), allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as e:  # noqa: BLE001 - zipfile/numpy raise many types (BadZipFile, EOFError, ...)
        raise SavingError(f"{where}: unreadable weights ({type(e).__name__}: {e})") from None
    if not all(isinstance(a, np.ndarray) and a.dtype.kind in "biuf" for a in arrays.values()):
        raise SavingError(f"{where}: the weights must be numeric arrays")
    return arrays


def _weights_element_count(name, data):
    """How many numbers the weights member holds, from its header alone (nothing is allocated)."""
    if data is None:
        return 0
    try:
        if name == _W_ST:
            from deepgrad.io import validate_safetensors

            header, _ = validate_safetensors(data)
            return sum(math.prod(info["shape"]) for info in header.values())
        import zipfile

        total = 0
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            for info in zf.infolist():
                total += info.file_size  # an upper bound: at least one byte per number (bool/int8)
        return total
    except SavingError:
        raise
    except Exception as e:  # noqa: BLE001 - any damage to the header is a format error
        raise SavingError(f"load_model: unreadable weights ({type(e).__name__}: {e})") from None


def _weight_count(layer, shape):
    """Numbers ``layer`` would allocate when built for input ``shape``, or None when unknown (custom layers)."""
    from deepgrad.keras import layers as L

    def dim(d):
        if d is None:
            return 1
        if type(d) is not int or d < 0:
            raise SavingError(f"config: layer {layer.name!r} has a bad input dimension {d!r} in {shape!r}")
        return d

    def bias(n):
        return n if getattr(layer, "use_bias", True) else 0

    if isinstance(layer, L.MultiHeadAttention):
        q, v, k, _ = layer._split(list(shape))
        k = v if k is None else k
        h, kd, vd = dim(layer.num_heads), dim(layer.key_dim), dim(layer.value_dim)
        out = math.prod(dim(d) for d in (layer._output_shape or (q[-1],)))
        kernels = (dim(q[-1]) + dim(k[-1])) * h * kd + dim(v[-1]) * h * vd + h * vd * out
        return kernels + bias(2 * h * kd + h * vd + out)
    if isinstance(layer, L.AdditiveAttention):
        return dim(shape[0][-1]) if layer.use_scale else 0
    if isinstance(layer, L.Attention):
        return int(layer.use_scale) + int(layer.score_mode == "concat")
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return None  # merging layers hold no weights
    if isinstance(layer, _weightless()):
        return 0

    def channels(data_format):
        return dim(shape[-1] if data_format == "channels_last" else shape[1])

    if isinstance(layer, L.Dense):
        return dim(shape[-1]) * layer.units + bias(layer.units)
    if isinstance(layer, L.Conv2D):
        cin = layer._channels(shape) if len(shape) == 4 else 1
        kh, kw = layer.kernel_size
        return dim(cin) // max(layer.groups, 1) * dim(kh) * dim(kw) * layer.filters + bias(layer.filters)
    if isinstance(layer, L.Conv1DTranspose):
        cin = channels(layer.data_format) if len(shape) == 3 else 1
        return cin * dim(layer.kernel_size[0]) * layer.filters + bias(layer.filters)
    if isinstance(layer, L.Normalization):  # mean, variance (and count) over the kept axes
        n = math.prod(dim(shape[a]) for a in layer.axis)
        return 2 * n + 1 if layer.input_mean is None else 0
    if isinstance(layer, L.Conv1D):
        cin = channels(layer.data_format) if len(shape) == 3 else 1
        return cin // max(layer.groups, 1) * dim(layer.kernel_size[0]) * layer.filters + bias(layer.filters)
    if isinstance(layer, L.Conv2DTranspose):
        cin = channels(layer.data_format) if len(shape) == 4 else 1
        return cin * dim(layer.kernel_size[0]) * dim(layer.kernel_size[1]) * layer.filters + bias(layer.filters)
    if isinstance(layer, L.DepthwiseConv2D):  # SeparableConv2D too
        cin = channels(layer.data_format) if len(shape) == 4 else 1
        mid = cin * dim(layer.depth_multiplier)
        depthwise = dim(layer.kernel_size[0]) * dim(layer.kernel_size[1]) * mid
        if isinstance(layer, L.SeparableConv2D):
            return depthwise + mid * layer.filters + bias(layer.filters)
        return depthwise + bias(mid)
    if isinstance(layer, (L.SimpleRNN, L.LSTM, L.GRU)):
        k = layer.gates * layer.units
        n_bias = 2 * k if isinstance(layer, L.GRU) and layer.reset_after else k
        return (dim(shape[-1]) + layer.units) * k + bias(n_bias)
    if isinstance(layer, L.Embedding):
        return dim(layer.input_dim) * dim(layer.output_dim)
    if isinstance(layer, L.BatchNormalization):
        return (2 + int(layer.center) + int(layer.scale)) * dim(shape[layer.axis])
    if isinstance(layer, L.LayerNormalization):
        axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
        n = math.prod(dim(shape[a]) for a in axes)
        return (int(layer.scale or layer.rms_scaling) + int(layer.center and not layer.rms_scaling)) * n
    if isinstance(layer, L.GroupNormalization):
        return (int(layer.center) + int(layer.scale)) * dim(shape[layer.axis])
    if isinstance(layer, L.PReLU):
        return math.prod(dim(d) for d in shape[1:])
    return None


def _weightless():
    from deepgrad.keras import layers as L

    return (L.Discretization, L.CategoryEncoding, L.RandomFlip, L.RandomContrast, L.RandomBrightness,
            L.RandomRotation, L.RandomZoom, L.RandomTranslation)


class _WeightBudget:
    """Build guard: the layers of a loaded config may not declare more weights than the file holds."""

    def __init__(self, available):
        self.available = available
        self.used = 0

    def __call__(self, layer, shape):
        try:
            need = _weight_count(layer, shape)
        except (IndexError, TypeError, ValueError, AttributeError) as e:
            raise SavingError(f"config: layer {layer.name!r} cannot take input shape {shape!r} ({e})") from None
        if need is None:
            return
        if self.used + need > self.available:
            what = "holds no weights" if self.available == 0 else f"holds {self.available} numbers in all"
            raise SavingError(f"load_model: layer {type(layer).__name__} {layer.name!r} built for input shape "
                              f"{tuple(shape)} would have {need} weights, but the file {what}")
        self.used += need


# -- public functions ------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True):
    """Write ``model`` to a ``.keras`` zip: metadata.json, config.json and the weights."""
    from deepgrad.io import write_zip_atomic

    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"save: the file name must end in '.keras' (got {filepath!r}); "
                         "use save_weights('x.weights.npz') for weights alone")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save: {filepath!r} exists and overwrite=False")
    if not model.built:
        raise ValueError(f"save: model {model.name!r} is not built yet (fit it or give the input shape first)")
    config = {**model_config(model), "compile_config": compile_config(model), "format_version": FORMAT_VERSION}
    wname, wdata = _weights_bytes(_weight_arrays(model))
    from deepgrad import __version__

    meta = {"keras_version": "3 (deepgrad.keras)", "deepgrad_version": __version__,
            "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S"), "weights": wname}
    write_zip_atomic(filepath, {_META: json.dumps(meta).encode(), _CONFIG: json.dumps(config).encode(),
                                wname: wdata})


def _read_keras(filepath):
    from deepgrad.io import read_zip_members

    try:
        members = read_zip_members(filepath, allowed={_META, _CONFIG, _W_ST, _W_NPZ})
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as e:  # noqa: BLE001 - FormatError, and anything else a damaged zip makes zipfile raise
        raise SavingError(f"load_model: {e}") from None
    if _CONFIG not in members:
        raise SavingError(f"load_model: {os.fspath(filepath)!r} has no {_CONFIG}")
    try:
        config = json.loads(members[_CONFIG])
    except (ValueError, RecursionError, MemoryError) as e:
        raise SavingError(f"load_model: {_CONFIG} is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise SavingError(f"load_model: {_CONFIG} must hold a JSON object, got {type(config).__name__}")
    wname = _W_ST if _W_ST in members else _W_NPZ if _W_NPZ in members else None
    return config, wname, (members[wname] if wname else None)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras's name
    """Rebuild a model saved by ``model.save`` (architecture, weights, and compile settings)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"load_model: expected a '.keras' file, got {filepath!r}")
    config, wname, wdata = _read_keras(filepath)
    budget = _WeightBudget(_weights_element_count(wname, wdata))  # read the header before building anything
    with custom_object_scope(custom_objects):
        BUILD_GUARDS.append(budget)
        try:
            model = model_from_config(config)
        except SavingError:
            raise
        except _CONFIG_ERRORS as e:
            raise SavingError(f"load_model: cannot rebuild the model from {_CONFIG} ({type(e).__name__}: "
                              f"{str(e)[:300]})") from None
        finally:
            BUILD_GUARDS.remove(budget)
        if not model.built:
            raise SavingError("load_model: the saved model has no input shape and cannot be built")
        if wname is None:
            if model.weights:
                raise SavingError(f"load_model: the model has {len(model.weights)} weights but the file holds none")
        else:
            _set_weight_arrays(model, _read_weights(wname, wdata), "load_model")
        cc = config.get("compile_config")
        if compile and cc:
            try:
                if not isinstance(cc, dict):
                    raise TypeError(f"compile_config must be an object, got {type(cc).__name__}")
                opt = optimizers_mod.get(cc["optimizer"])
                loss = losses_mod.get(cc["loss"]) if cc.get("loss") is not None else None
                model.compile(optimizer=opt, loss=loss, metrics=cc.get("metrics") or None,
                              weighted_metrics=cc.get("weighted_metrics") or None,
                              loss_weights=cc.get("loss_weights"))
            except _CONFIG_ERRORS as e:
                raise SavingError(f"load_model: cannot restore the compile settings ({type(e).__name__}: "
                                  f"{str(e)[:300]}); pass custom_objects= or compile=False") from None
    return model


def save_weights(model, filepath, overwrite=True):
    """Write the weights alone to ``*.weights.npz`` (numpy, no pickle)."""
    from deepgrad.io import atomic_write_bytes

    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):  # Keras 3's HDF5 layout (needs h5py)
        from deepgrad.keras.models.h5_weights import save_weights_h5

        return save_weights_h5(model, filepath, overwrite=overwrite)
    if not filepath.endswith(".weights.npz"):
        raise ValueError(f"save_weights: the file name must end in '.weights.npz' or '.weights.h5', got "
                         f"{filepath!r}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath!r} exists and overwrite=False")
    buf = _io.BytesIO()
    np.savez(buf, **_weight_arrays(model))
    atomic_write_bytes(filepath, buf.getvalue())


def load_weights(model, filepath):
    """Load weights from a ``*.weights.npz`` written by save_weights, or from a ``.keras`` file."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".weights.h5"):
        from deepgrad.keras.models.h5_weights import load_weights_h5

        return load_weights_h5(model, filepath)
    if filepath.endswith(".keras"):
        _, wname, wdata = _read_keras(filepath)
        if wname is None:
            raise SavingError(f"load_weights: {filepath!r} holds no weights")
        arrays = _read_weights(wname, wdata, "load_weights")
    elif filepath.endswith(".weights.npz"):
        try:
            with np.load(filepath, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            raise
        except Exception as e:  # noqa: BLE001 - zipfile/numpy raise many types on a damaged file
            raise SavingError(f"load_weights: {filepath!r} is not a valid .npz file ({type(e).__name__}: {e})") \
                from None
    else:
        raise ValueError(f"load_weights: expected a '.weights.npz', '.weights.h5' or '.keras' file, got {filepath!r}")
    _set_weight_arrays(model, arrays, "load_weights")


__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_config", "SavingError"]
