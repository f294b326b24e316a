"""``Sequential``: a plain stack of layers, seed 001's ``model = Sequential(); model.add(Dense(...))``.

The model builds as soon as the input shape is known: at ``add`` when the first layer was
given ``input_dim``/``input_shape`` (or an ``Input`` was added), otherwise on the first
``fit``/``predict``/call, from the data.
"""
from __future__ import annotations

from deepgrad.keras.layers.input_layer import InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import (
    Layer,
    _takes_mask,
    call_context,
    call_layer,
    output_mask,
    resolve_training,
    set_context_training,
)
from deepgrad.keras.models.layer_errors import name_layer_error
from deepgrad.keras.models.model import Model


class Sequential(Model):
    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._build_shape = None
        self._input_tensor = None  # the Input KerasTensor of the symbolic graph (layer.output, model.inputs)
        self._symbolic = None  # (input, output, [(layer, tensor), ...]) once built
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer, rebuild=True):
        """Append a layer (or set the input shape with ``Input(shape=...)`` / ``InputLayer``)."""
        if isinstance(layer, KerasTensor):
            if not isinstance(layer.layer, InputLayer) or self._stack:
                raise ValueError("Sequential.add: only an Input(...) placed first can be added as a tensor")
            self._set_input_shape(layer.shape)
            self._input_tensor = layer
            return
        if isinstance(layer, InputLayer):
            if self._stack:
                raise ValueError("Sequential.add: an InputLayer must come first")
            self._set_input_shape(layer.batch_shape)
            self._input_tensor = layer.output
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__} ({layer!r})")
        if any(la is layer for la in self._stack):
            raise ValueError(f"Sequential.add: layer {layer.name!r} is already in the model")
        if any(la.name == layer.name for la in self._stack):
            raise ValueError(f"Sequential.add: the model already has a layer named {layer.name!r}; names must be "
                             "unique")
        if not self._stack and self._build_shape is None and layer._batch_input_shape is not None:
            self._build_shape = layer._batch_input_shape
        self._stack.append(layer)
        self.built = False
        if self._build_shape is not None and rebuild:
            self.build(self._build_shape)

    def _set_input_shape(self, shape):
        self._build_shape = tuple(shape)
        self.built = False

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise TypeError("Sequential.pop: there are no layers in the model")
        layer = self._stack.pop()
        self.built = False
        if self._build_shape is not None and self._stack and rebuild:
            self.build(self._build_shape)
        return layer

    def build(self, input_shape=None):
        """Build every layer for ``input_shape`` (batch dim included) and record the output shapes."""
        if input_shape is None:
            input_shape = self._build_shape
        if input_shape is None:
            raise ValueError("Sequential.build: the input shape is unknown; pass input_shape, give the first layer "
                             "input_dim=/input_shape=, or add an Input(shape=...)")
        shape = tuple(input_shape)
        self._build_shape = shape
        self.input_shape = shape
        for layer in self._stack:
            if shape and all(isinstance(d, (tuple, list)) for d in shape):
                raise ValueError(f"Sequential: the layer before {layer.name!r} returns several tensors (shapes "
                                 f"{list(shape)}, e.g. return_state=True); a Sequential model passes one tensor "
                                 "from layer to layer: use the functional API (Model(inputs, outputs))")
            if layer.built:
                layer._check_input_shape(shape)
                expected = layer.input_shape
                if expected is not None and not isinstance(expected, list) and \
                        tuple(expected[1:]) != tuple(shape[1:]):
                    raise ValueError(f"Sequential: layer {layer.name!r} was built for input {expected}, "
                                     f"but receives {shape}")
            else:
                layer._maybe_build(shape)
            shape = tuple(layer._symbolic_output_shape(shape))
            layer.output_shape = shape
        self.output_shape = shape
        self.built = True
        self._build_symbolic(tuple(input_shape))
        self._place()

    def _build_symbolic(self, shape):
        """Call the layers on an Input of ``shape`` (as Keras 3 does) so that ``model.inputs``,
        ``model.outputs`` and every ``layer.output`` exist; a failure only leaves them undefined."""
        from deepgrad.keras.layers.input_layer import InputLayer

        if self._symbolic is not None:  # forget the previous build's calls
            for layer, t in self._symbolic[2]:
                if any(n is t for n in layer._nodes):
                    layer._nodes = [n for n in layer._nodes if n is not t]
            self._symbolic = None
        if self._input_tensor is None or tuple(self._input_tensor.shape[1:]) != tuple(shape[1:]):
            self._input_tensor = InputLayer(batch_shape=shape).output
        t, calls = self._input_tensor, []
        try:
            for layer in self._stack:
                t = layer._call_symbolic(t)
                calls.append((layer, t))
        except Exception:  # noqa: BLE001 - a layer without symbolic support: no graph, the model still runs
            for layer, u in calls:
                layer._nodes = [n for n in layer._nodes if n is not u]
            return
        self._symbolic = (self._input_tensor, t, calls)

    @property
    def inputs(self):
        return [self._symbolic[0]] if self._symbolic is not None else None

    @property
    def outputs(self):
        if self._symbolic is None:
            return None
        out = self._symbolic[1]
        return list(out) if isinstance(out, list) else [out]  # a last layer with return_state: its tensors

    def _ensure_built(self, x):
        if not self.built:
            if not self._stack:
                raise ValueError("Sequential: the model has no layers; add some first")
            shape = (None,) + tuple(x.shape[1:])
            if self._build_shape is not None and tuple(self._build_shape[1:]) != shape[1:]:
                raise ValueError(f"{self.name}: expected input shape {self._build_shape}, got data of shape "
                                 f"{tuple(x.shape)}{self._first_layer_note()}")
            self.build(self._build_shape or shape)
            self._place()
        elif not isinstance(x, list):
            expected = tuple(self.input_shape[1:])
            got = tuple(x.shape[1:])
            if len(expected) != len(got) or any(e is not None and e != g for e, g in zip(expected, got)):
                raise ValueError(f"{self.name}: expected input of shape {tuple(self.input_shape)}, got data of "
                                 f"shape {tuple(x.shape)}{self._first_layer_note()}")

    def _first_layer_note(self):
        first = self._stack[0] if self._stack else None
        return f" (the input of its first layer, '{first.name}' ({type(first).__name__}))" if first else ""

    def _input_keeps_integers(self, i):
        return bool(self._stack) and getattr(self._stack[0], "input_dtype", 1) is None

    def call(self, x, training=None):
        mask = None
        for layer in self._stack:
            set_context_training(training)  # Keras: each layer resolves its own training value
            try:
                if not layer.built:
                    layer._maybe_build((None,) + tuple(x.shape[1:]))
                x, mask = call_layer(layer, x, mask, training)
            except ValueError as e:
                name_layer_error(e, self, layer, x)
                raise
        self._output_masks = [mask]
        return x

    def _forward(self, x, training=False, want_logits=False):
        with call_context(training, layer=self):
            return self._forward_in_context(x, training, want_logits)

    def _forward_in_context(self, x, training, want_logits):
        if not self._stack:
            raise ValueError("Sequential: the model has no layers")
        last = self._stack[-1]
        if not (want_logits and last.output_activation()):
            return self.call(x, training), None, None
        layer, mask = None, None
        try:
            for layer in self._stack[:-1]:
                set_context_training(training)
                x, mask = call_layer(layer, x, mask, training)
            layer = last
            set_context_training(training)
            if mask is not None and _takes_mask(type(last)):  # a masked Softmax is not a plain softmax
                y, logits = call_layer(last, x, mask, training)[0], None
            else:
                y, logits = last.call_with_logits(x, training=bool(resolve_training(last, training)))
        except ValueError as e:
            name_layer_error(e, self, layer, x)
            raise
        self._output_masks = [output_mask(last, x, mask)]
        return y, logits, (last.output_activation() if logits is not None else None)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = tuple(layer._symbolic_output_shape(shape))
        return shape

    def get_config(self):
        from deepgrad.keras.models.saving import sequential_config

        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new model (fresh weights) from ``get_config()``'s dict."""
        from deepgrad.keras.models.saving import model_from_config

        return model_from_config({"class_name": "Sequential", "config": config}, custom_objects)


__all__ = ["Sequential"]
