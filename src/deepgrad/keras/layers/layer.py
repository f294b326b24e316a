"""``Layer``: the base of every Keras layer, a thin shell around deepgrad.nn modules and ops.

A Keras layer is created without knowing its input size (``Dense(500)``) and builds itself
the first time it sees an input shape (``build(input_shape)``), creating the deepgrad.nn
modules that hold its parameters.  ``call(x, training)`` runs those modules / ops on
deepgrad Tensors; called on ``KerasTensor``s (the functional API) it records the call
instead and returns a KerasTensor of the output shape.

Weights are kept in PyTorch layout inside the modules (``Linear.weight`` is (out, in)) and
shown in Keras layout by ``get_weights``/``set_weights`` (a Dense kernel is (in, out), a
Conv2D kernel (kh, kw, in, out)).
"""
from __future__ import annotations

import numpy as np

from deepgrad.backend import as_numpy, device_of, get_array_module, to_device
from deepgrad.keras import backend
from deepgrad.keras.layers.keras_tensor import KerasTensor, is_symbolic
from deepgrad.tensor import Tensor

# How a weight's Keras layout maps onto the module's tensor: name -> (to_keras, from_keras) axes.
_LAYOUTS = {
    None: (None, None),
    "dense": ((1, 0), (1, 0)),  # Linear.weight (out, in) <-> kernel (in, out)
    "conv2d": ((2, 3, 1, 0), (3, 2, 0, 1)),  # Conv2d.weight (out, in, kh, kw) <-> kernel (kh, kw, in, out)
    "conv1d": ((2, 1, 0), (2, 1, 0)),  # Conv1d.weight (out, in, k) <-> kernel (k, in, out)
}


def _shape_tuple(shape):
    return tuple(None if d is None else int(d) for d in shape)


def to_tensor(x, dtype=np.float32, device=None):
    """A deepgrad Tensor from an array or Tensor (numbers become ``dtype``; None keeps integers).

    Host arrays go to ``device`` (default: ``deepgrad.get_default_device()``); Tensors stay where
    they are."""
    if isinstance(x, Tensor):
        return x
    a = x if hasattr(x, "dtype") and hasattr(x, "shape") else np.asarray(x)
    if dtype is None:
        if a.dtype.kind == "f" and a.dtype != np.float32:
            a = a.astype(np.float32)
    elif a.dtype.kind in "fiub" and a.dtype != dtype:
        a = a.astype(dtype)
    if isinstance(a, np.ndarray):
        from deepgrad.factories import get_default_device

        dev = device if device is not None else get_default_device()
        if dev.type != "cpu":
            a = to_device(a, dev)
    return Tensor._make(a)


class Layer:
    """Base class: ``build(input_shape)``, ``call(x, training)``, ``compute_output_shape``.

    Keyword arguments every layer takes: ``name``, ``trainable``, ``dtype`` and, for the
    first layer of a Sequential model, ``input_shape=(784,)`` or ``input_dim=784``.
    """

    input_dtype = np.float32  # what inputs are cast to (None: integer inputs stay integers)

    def __init__(self, *, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {type(name).__name__} {name!r}")
        self.name = name or backend.unique_name(backend.snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = dtype or backend.floatx()
        self.built = False
        self._weights = []  # (name, getter, layout, trainable)
        self.input_shape = None  # with the batch dim (None), set when built
        self.output_shape = None
        self._batch_input_shape = None
        self._nodes = []  # the KerasTensors this layer made when called on symbolic inputs, oldest first
        if batch_input_shape is not None:
            self._batch_input_shape = _shape_tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + _shape_tuple(input_shape)
        elif input_dim is not None:
            self._batch_input_shape = (batch_size, int(input_dim))

    # -- to override -------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the parameters for ``input_shape`` (batch dim included, may be None)."""
        self.built = True

    def call(self, x, training=False):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.call is not implemented")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        """Constructor arguments as JSON-safe values (``from_config`` rebuilds the layer)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- building and calling -----------------------------------------------------------------
    def _maybe_build(self, input_shape):
        if not self.built:
            shape = input_shape if _is_shape_list(input_shape) else _shape_tuple(input_shape)
            self._check_input_shape(shape)
            if BUILD_GUARDS:  # load_model: refuse a layer bigger than the file's weights before allocating it
                BUILD_GUARDS[-1](self, shape)
            self.build(shape)
            self.built = True
            self.input_shape = shape
            self.output_shape = self.compute_output_shape(shape)

    def _check_input_shape(self, shape):
        expected = self._batch_input_shape
        if expected is None or _is_shape_list(shape):
            return
        if len(expected) != len(shape) or any(e is not None and s is not None and e != s
                                               for e, s in zip(expected[1:], shape[1:])):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected input shape {expected}, got {tuple(shape)}"
            )

    def __call__(self, inputs, training=None, **kwargs):
        if is_symbolic(inputs) or any(is_symbolic(v) for v in kwargs.values()):
            return self._call_symbolic(inputs, **kwargs)
        from deepgrad.keras.layers.masking import as_mask, get_keras_mask, set_keras_mask

        mask = kwargs.pop("mask", None)
        dev = self._weights_device()
        if isinstance(inputs, (list, tuple)):
            inputs = [to_tensor(x, self.input_dtype, dev) for x in inputs]
            shape = [(None,) + tuple(x.shape[1:]) for x in inputs]
            mask = [get_keras_mask(x) for x in inputs] if mask is None else [as_mask(m) for m in mask]
        else:
            inputs = to_tensor(inputs, self.input_dtype, dev)
            shape = (None,) + tuple(inputs.shape[1:])
            mask = get_keras_mask(inputs) if mask is None else as_mask(mask, inputs)
        self._maybe_build(shape)
        with call_context(layer=self):
            y, out_mask = call_layer(self, inputs, mask, training, **kwargs)
        if _user_shapes(self) and hasattr(y, "shape"):  # a user's layer without compute_output_shape
            self.output_shape = (None,) + tuple(y.shape[1:])
        for t, m in zip(y, out_mask) if isinstance(y, (list, tuple)) else ((y, out_mask),):
            set_keras_mask(t, m)
        return y

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Keras: setting it sets every tracked sublayer's too."""
        self._trainable = bool(value)
        for layer in self._tracked_layers():
            layer.trainable = value

    def _tracked_layers(self):
        """Layers held in attributes (also in lists, tuples, dicts), in assignment order, as Keras tracks them."""
        out, seen = [], {id(self)}

        def add(value):
            if isinstance(value, Layer):
                if id(value) not in seen:
                    seen.add(id(value))
                    out.append(value)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    add(v)
            elif isinstance(value, dict):
                for v in value.values():
                    add(v)

        for key, value in vars(self).items():
            if key not in _UNTRACKED:
                add(value)
        return out

    # -- masks (see masking.py) ---------------------------------------------------------------
    supports_masking = False  # True: the output keeps the input's mask (compute_mask)

    def compute_mask(self, inputs, mask=None):
        """The output's mask for ``inputs`` with ``mask`` (the input's mask passed on, or None)."""
        return mask if self.supports_masking else None

    def _weights_device(self):
        """Where this layer's weights are (None before it has any): host inputs are taken there."""
        entries = self._weight_entries() if self.built else ()
        return device_of(entries[0][1]().data) if entries else None

    def _call_symbolic(self, inputs, **kwargs):
        if isinstance(inputs, KerasTensor):
            shape = inputs.shape
            parents = [inputs]
        else:
            shape = [t.shape for t in inputs]
            parents = list(inputs)
        call_kwargs = {}
        for key, value in kwargs.items():  # keyword tensors (initial_state=[h, c], mask=m) follow the inputs
            if value is None:
                continue
            if not is_symbolic(value):
                raise TypeError(f"{type(self).__name__} '{self.name}': called on symbolic inputs, {key}= must be "
                                f"KerasTensors too (from Input or a layer), got {type(value).__name__}")
            single = isinstance(value, KerasTensor)
            call_kwargs[key] = (len(parents), None if single else len(value))
            parents.extend([value] if single else value)
        self._maybe_build(shape)
        out_shape = self._symbolic_output_shape(shape)
        if _is_shape_seq(out_shape):  # several outputs (return_state=True): one node, a tensor for each
            out = [KerasTensor(s, layer=self, inputs=parents, name=self.name) for s in out_shape]
        else:
            out = KerasTensor(out_shape, layer=self, inputs=parents, name=self.name)
        for i, t in enumerate(out if isinstance(out, list) else [out]):
            t.list_call = not isinstance(inputs, KerasTensor)
            t.call_kwargs = call_kwargs
            if isinstance(out, list):
                t.node, t.index = out, i
        self._nodes.append(out)
        return out

    def _symbolic_output_shape(self, shape):
        """``compute_output_shape``; a user's layer without one runs once on zeros (as Keras traces ``call``)."""
        if not _user_shapes(self):
            return self.compute_output_shape(shape)
        from deepgrad.autograd import no_grad

        def run(n):  # unknown dimensions as n; the output's dimensions that follow n are unknown too
            def zeros(s):
                return np.zeros(tuple(n if d is None else d for d in s), dtype=np.float32)

            with no_grad():
                y = self([zeros(s) for s in shape] if _is_shape_list(shape) else zeros(shape))
            return [tuple(t.shape) for t in y] if isinstance(y, (list, tuple)) else tuple(y.shape)

        def merge(a, b):
            return (None,) + tuple(d if d == e else None for d, e in zip(a[1:], b[1:]))

        one = run(1)
        unknown = any(None in s[1:] for s in (shape if _is_shape_list(shape) else [shape]))
        two = run(2) if unknown else one
        several = isinstance(one, list)
        self.output_shape = [merge(a, b) for a, b in zip(one, two)] if several else merge(one, two)
        return self.output_shape

    @property
    def output(self):
        """The KerasTensor of this layer's first call on symbolic inputs (``Model(m.input, layer.output)``)."""
        if not self._nodes:
            raise AttributeError(f"{type(self).__name__} '{self.name}' has never been called on symbolic inputs "
                                 "(Input(...) or a built Sequential model), so it has no output tensor")
        return self._nodes[0]

    @property
    def input(self):
        """The KerasTensor(s) this layer was first called on (a list for merging layers)."""
        if not self._nodes:
            raise AttributeError(f"{type(self).__name__} '{self.name}' has never been called on symbolic inputs "
                                 "(Input(...) or a built Sequential model), so it has no input tensor")
        node = self._nodes[0]
        return list(node.inputs) if node.list_call else node.inputs[0]

    def call_with_logits(self, x, training=False):
        """``(output, logits)``: the output and, for a layer ending in softmax/sigmoid, its input.

        The model uses the logits to compute cross entropy fused with the softmax (same value,
        stabler and faster).  Layers without such an activation return ``(output, None)``.
        """
        return self.call(x, training=training), None

    def output_activation(self):
        """Name of the activation this layer ends with ('softmax', 'sigmoid', ...) or None."""
        return None

    # -- weights ------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None, constraint=None,
                   name=None, **kwargs):
        """Keras's ``add_weight`` (in ``build``): a new weight, a deepgrad Parameter, that the layer owns."""
        from deepgrad.keras import initializers, regularizers
        from deepgrad.nn._util import empty_parameter

        if constraint is not None:
            raise NotImplementedError(f"{type(self).__name__}.add_weight: constraints are not supported")
        shape = () if shape is None else tuple(int(d) for d in shape)
        w = empty_parameter(shape, dtype=dtype)
        init_param(w, initializers.get("glorot_uniform" if initializer is None else initializer), shape)
        if not trainable:
            w.requires_grad_(False)
        self._add_weight(name or "variable", lambda: w, trainable=bool(trainable))
        if regularizer is not None:
            self.__dict__.setdefault("_weight_regularizers", []).append((regularizers.get(regularizer), w))
        return w

    def _add_weight(self, name, getter, layout=None, trainable=True):
        """Register a weight: ``getter()`` returns the deepgrad tensor that holds it."""
        self._weights.append((name, getter, layout, trainable))

    def _weight_entries(self):
        """Keras's order: own trainable weights, own non-trainable ones, then each tracked sublayer's."""
        own = list(self._weights)
        out = [e for e in own if e[3]] + [e for e in own if not e[3]]
        seen = {id(e[1]()) for e in out}
        for layer in self._tracked_layers():
            for e in layer._ordered_entries():
                if id(e[1]()) not in seen:
                    seen.add(id(e[1]()))
                    out.append(e if layer.trainable else (e[0], e[1], e[2], False))
        return out

    @property
    def weights(self):
        """The deepgrad tensors holding this layer's weights in Keras's order (own trainable ones, own others,
        then each sublayer's)."""
        return [g() for _, g, _, _ in self._ordered_entries()]

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [g() for _, g, _, t in self._weight_entries() if t]

    @property
    def non_trainable_weights(self):
        entries = self._weight_entries()
        if not self.trainable:
            return [g() for _, g, _, _ in entries]
        return [g() for _, g, _, t in entries if not t]

    def _ordered_entries(self):
        entries = self._weight_entries()
        if type(self)._weight_entries is Layer._weight_entries:
            return entries
        return [e for e in entries if e[3]] + [e for e in entries if not e[3]]

    def weight_names(self):
        return [f"{self.name}/{n}" for n, _, _, _ in self._ordered_entries()]

    def get_weights(self):
        """The weights as numpy arrays in Keras layout (Dense kernel (in, out))."""
        out = []
        for _, getter, layout, _ in self._ordered_entries():
            a = as_numpy(getter().data)
            to_keras = _LAYOUTS[layout][0]
            out.append(np.array(a.transpose(to_keras) if to_keras else a, order="C", copy=True))
        return out

    def set_weights(self, weights):
        """Set the weights from numpy arrays in Keras layout (the order of ``get_weights``)."""
        entries = self._ordered_entries()
        weights = list(weights)
        if len(weights) != len(entries):
            raise ValueError(
                f"{type(self).__name__} '{self.name}'.set_weights: expected {len(entries)} arrays "
                f"({', '.join(n for n, _, _, _ in entries)}), got {len(weights)}"
            )
        for (wname, getter, layout, _), w in zip(entries, weights):
            t = getter()
            w = as_numpy(getattr(w, "data", w)) if isinstance(w, Tensor) else np.asarray(w)
            from_keras = _LAYOUTS[layout][1]
            keras_shape = tuple(t.shape[i] for i in _LAYOUTS[layout][0]) if from_keras else tuple(t.shape)
            if tuple(w.shape) != keras_shape:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}'.set_weights: weight '{wname}' expects shape "
                    f"{keras_shape}, got {tuple(w.shape)}"
                )
            if from_keras:
                w = w.transpose(from_keras)
            xp = get_array_module(t.data)
            t.data[...] = xp.asarray(w, dtype=t.data.dtype)

    def to(self, device):
        """Move this layer's modules and tensors to ``device`` ('cpu', 'cuda', 'cuda:0') in place."""
        from deepgrad.backend import Device, to_device
        from deepgrad.nn.module import Module

        dev = Device(device)
        for layer in self._tracked_layers():
            layer.to(dev)
        for value in list(vars(self).values()):
            if isinstance(value, Module):
                value.to(dev)
            elif isinstance(value, Tensor):
                value.data = to_device(value.data, dev)
                if value.grad is not None:
                    value.grad.data = to_device(value.grad.data, dev)
        return self

    def count_params(self):
        return int(sum(int(np.prod(g().shape)) for _, g, _, _ in self._weight_entries()))

    @property
    def losses(self):
        """``add_loss`` losses and regularization penalties (of trainable weights) of this layer and its
        sublayers (Tensors), added to the training loss."""
        out = list(self.__dict__.get("_added_losses", ()))
        if self.trainable:  # Keras regularizes trainable weights only
            out += [reg(w) for reg, w in self.__dict__.get("_weight_regularizers", ())]
        for layer in self._tracked_layers():
            out += layer.losses if self.trainable and layer.trainable else layer._all_added_losses()
        return out

    def add_loss(self, loss):
        """Keras's ``add_loss`` (in ``call``): a scalar added to the training loss; the outermost layer call
        clears them when it starts."""
        if not isinstance(loss, Tensor):
            loss = to_tensor(np.asarray(loss, dtype=np.float32), device=self._weights_device())
        self.__dict__.setdefault("_added_losses", []).append(loss)

    def _clear_added_losses(self):
        if self.__dict__.get("_added_losses"):
            self._added_losses = []
        for layer in self._tracked_layers():
            layer._clear_added_losses()

    def _all_added_losses(self):
        out = list(self.__dict__.get("_added_losses", ()))
        for layer in self._tracked_layers():
            out += layer._all_added_losses()
        return out

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# Callables ``guard(layer, input_shape)`` run before a layer builds (innermost last); see models/saving.py.
BUILD_GUARDS: list = []

_TAKES_MASK: dict = {}
_TRAINING_ARG: dict = {}
_UNTRACKED = frozenset({"_nodes", "_graph"})  # attributes that refer to layers without owning them
# Keras's CallContext: the ``training`` value of the layer call in progress, read by nested calls that omit it.
_CONTEXT: list = []


class call_context:
    """Open a call context unless one is open (the outermost call owns it and clears it)."""

    def __init__(self, training=None, layer=None):
        self.training, self.layer = training, layer

    def __enter__(self):
        self.entry = not _CONTEXT
        if self.entry:
            _CONTEXT.append(None)
            if self.layer is not None:  # Keras: the outermost call clears the add_loss losses below it
                self.layer._clear_added_losses()
        if self.training is not None:
            _CONTEXT[0] = bool(self.training)

    def __exit__(self, *exc):
        if self.entry:
            _CONTEXT.clear()


def set_context_training(value):
    if _CONTEXT:
        _CONTEXT[0] = value


def _training_arg(cls):
    """(takes ``training``, its default) for ``cls.call``."""
    if cls not in _TRAINING_ARG:
        import inspect

        params = inspect.signature(cls.call).parameters
        p = params.get("training")  # Keras passes it only to a call that names it (not to **kwargs)
        default = None if p is None or p.default is inspect.Parameter.empty else p.default
        _TRAINING_ARG[cls] = (p is not None, default)
    return _TRAINING_ARG[cls]


def resolve_training(layer, training):
    """Keras's rule: the value passed, else the enclosing call's, else the layer's ``call`` default."""
    if training is None:
        training = _CONTEXT[0] if _CONTEXT and _CONTEXT[0] is not None else _training_arg(type(layer))[1]
    set_context_training(training)
    return training


def _takes_mask(cls):
    if cls not in _TAKES_MASK:
        import inspect

        _TAKES_MASK[cls] = "mask" in inspect.signature(cls.call).parameters
    return _TAKES_MASK[cls]


def call_layer(layer, x, mask, training, **kwargs):
    """``(output, output mask)``: ``layer.call`` given the input's mask when its ``call`` takes one."""
    has_mask = mask is not None and not (isinstance(mask, list) and all(m is None for m in mask))
    if has_mask and _takes_mask(type(layer)):
        kwargs["mask"] = mask
    training = resolve_training(layer, training)
    if training is not None and _training_arg(type(layer))[0]:
        kwargs["training"] = training
    y = layer.call(x, **kwargs)
    return y, output_mask(layer, x, mask if has_mask else None)


def output_mask(layer, x, mask):
    """The mask of ``layer``'s output for input ``x`` with ``mask`` (None: no mask)."""
    if mask is None and type(layer).compute_mask is Layer.compute_mask:
        return None
    return layer.compute_mask(x, mask)


def _user_shapes(layer):
    """True for a user's layer class that does not define compute_output_shape (its shapes come from calls)."""
    cls = type(layer)
    return cls.compute_output_shape is Layer.compute_output_shape and not cls.__module__.startswith("deepgrad.")


def _is_shape_list(shape):
    return isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list))


def _is_shape_seq(shape):
    """True for several shapes (a list or tuple of shapes), False for one shape."""
    return isinstance(shape, (list, tuple)) and bool(shape) and all(isinstance(d, (tuple, list)) for d in shape)


def init_param(tensor, initializer, keras_shape, layout=None):
    """Fill a module's tensor in place with ``initializer(keras_shape)`` (drawn in Keras layout)."""
    arr = initializer(tuple(keras_shape), dtype=tensor.data.dtype)
    from_keras = _LAYOUTS[layout][1]
    if from_keras:
        arr = arr.transpose(from_keras)
    xp = get_array_module(tensor.data)
    tensor.data[...] = xp.asarray(arr, dtype=tensor.data.dtype)
