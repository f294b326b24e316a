"""``Model``: a graph of layers that trains (the functional API, and the base of ``Sequential``).

Functional API::

    inputs = Input(shape=(784,))
    x = Dense(64, activation='relu')(inputs)
    outputs = Dense(10, activation='softmax')(x)
    model = Model(inputs, outputs)

Calling layers on ``KerasTensor``s recorded the graph; ``Model`` walks it back from the
outputs, sorts the layer calls topologically, and runs them in that order on real tensors.
Subclassing also works: define layers in ``__init__`` and ``call(self, x, training=False)``.
"""
from __future__ import annotations

import numpy as np

from deepgrad.keras import backend
from deepgrad.keras.layers.input_layer import InputLayer
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import (
    Layer,
    _takes_mask,
    _training_arg,
    call_context,
    call_layer,
    output_mask,
    resolve_training,
    set_context_training,
)
from deepgrad.keras.models.layer_errors import name_layer_error
from deepgrad.keras.models.training import TrainingMixin


class Model(TrainingMixin, Layer):
    """``Model(inputs, outputs)`` for the functional API, or subclass it and define ``call``."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if inputs is not None and name is None:
            name = backend.unique_name("functional")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.stop_training = False
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.history = None
        self._metric_ids = []
        self._metric_objs = None
        self._graph = None
        self._device = None
        if inputs is not None:
            if outputs is None:
                raise ValueError("Model: pass both inputs and outputs")
            self._init_graph(inputs, outputs)

    # -- the functional graph ------------------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        self._single_input = isinstance(inputs, KerasTensor)
        self._single_output = isinstance(outputs, KerasTensor)
        ins = [inputs] if self._single_input else list(inputs)
        outs = [outputs] if self._single_output else list(outputs)
        for t in ins + outs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: inputs and outputs must be KerasTensors (from Input and layer calls), "
                                f"got {type(t).__name__}")
        for t in ins:
            if not isinstance(t.layer, InputLayer):
                raise ValueError(f"Model: input {t} does not come from Input(...)")
        order, seen = [], set()

        def visit(t, stack):  # depth first, inputs before the calls that use them
            if id(t) in seen:
                return
            if id(t) in stack:
                raise ValueError("Model: the layer graph has a cycle")
            stack.add(id(t))
            for p in t.inputs:
                visit(p, stack)
            stack.discard(id(t))
            seen.add(id(t))
            order.append(t)

        for t in outs:
            visit(t, set())
        in_ids = {id(t) for t in ins}
        for t in order:
            if isinstance(t.layer, InputLayer) and id(t) not in in_ids:
                raise ValueError(f"Model: output depends on input {t.name!r}, which is not in the model's inputs")
        self._graph = {"inputs": ins, "outputs": outs, "nodes": [t for t in order if id(t) not in in_ids]}
        self._layers = _keras_layer_order(ins, outs)
        self.built = True
        self.input_shape = ins[0].shape if self._single_input else [t.shape for t in ins]
        self.output_shape = outs[0].shape if self._single_output else [t.shape for t in outs]

    @property
    def inputs(self):
        return list(self._graph["inputs"]) if self._graph else None

    @property
    def outputs(self):
        return list(self._graph["outputs"]) if self._graph else None

    @property
    def input(self):
        """The model's input KerasTensor (a list when it has several), for ``Model(model.input, ...)``."""
        ins = self.inputs
        if ins is None:
            return Layer.input.fget(self)
        return ins[0] if len(ins) == 1 else ins

    @property
    def output(self):
        outs = self.outputs
        if outs is None:
            return Layer.output.fget(self)
        return outs[0] if len(outs) == 1 else outs

    @property
    def layers(self):
        """The layers, in the order they are called (Input layers first for functional models)."""
        if self._graph is not None:
            return list(self._layers)
        return self._tracked_layers()

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.name}: no layer named {name!r}; layers: {[lay.name for lay in layers]}")

    # -- running -----------------------------------------------------------------------------------------
    def _run_graph(self, xs, training, want_logits):
        g = self._graph
        values = {id(t): x for t, x in zip(g["inputs"], xs)}
        masks = {}  # id(KerasTensor) -> its value's mask (None or absent: no mask)
        logits = activation = None
        last = g["outputs"][0] if len(g["outputs"]) == 1 else None
        calls = {}  # id(node) -> (outputs, masks) of a layer call with several outputs
        for t in g["nodes"]:
            if t.node is not None and id(t.node) in calls:  # a sibling output of a call already run
                outs, out_masks = calls[id(t.node)]
                values[id(t)], masks[id(t)] = outs[t.index], out_masks[t.index]
                continue
            arg, kwargs = t.split_inputs([values[id(p)] for p in t.inputs])
            in_mask, _ = t.split_inputs([masks.get(id(p)) for p in t.inputs])
            if "mask" in kwargs:  # layer(x, mask=m): the given mask wins over the one x carries
                in_mask = kwargs.pop("mask")
            layer = t.layer
            set_context_training(training)  # Keras: layers of a graph do not see each other's resolved value
            if not layer.built:
                layer._maybe_build([p.shape for p in t.inputs] if t.list_call else t.inputs[0].shape)
            try:
                fused = in_mask is None or not _takes_mask(type(layer))  # a masked Softmax is not a plain softmax
                if want_logits and t is last and not kwargs and fused and layer.output_activation():
                    tr = bool(resolve_training(layer, training))
                    values[id(t)], logits = layer.call_with_logits(arg, training=tr)
                    activation = layer.output_activation() if logits is not None else None
                    masks[id(t)] = output_mask(layer, arg, in_mask)
                else:
                    values[id(t)], masks[id(t)] = call_layer(layer, arg, in_mask, training, **kwargs)
            except ValueError as e:
                name_layer_error(e, self, layer, arg)
                raise
            if t.node is not None:
                outs, out_masks = values[id(t)], masks[id(t)]
                if not isinstance(out_masks, (list, tuple)):
                    out_masks = [out_masks] + [None] * (len(outs) - 1)
                calls[id(t.node)] = (outs, out_masks)
                values[id(t)], masks[id(t)] = outs[t.index], out_masks[t.index]
        outs = [values[id(t)] for t in g["outputs"]]
        self._output_masks = [masks.get(id(t)) for t in g["outputs"]]
        return (outs[0] if self._single_output else outs), logits, activation

    def _forward(self, x, training=False, want_logits=False):
        """(outputs, logits or None, final activation name or None) for input tensors ``x``."""
        with call_context(training, layer=self):
            if self._graph is not None:
                xs = [x] if not isinstance(x, (list, tuple)) else list(x)
                if len(xs) != len(self._graph["inputs"]):
                    raise ValueError(f"{self.name}: expected {len(self._graph['inputs'])} inputs, got {len(xs)}")
                return self._run_graph(xs, training, want_logits)
            return self._call_subclassed(x, training), None, None

    def _call_subclassed(self, x, training):
        training = resolve_training(self, training)
        takes = _training_arg(type(self))[0]
        return self.call(x, training=training) if takes and training is not None else self.call(x)

    def call(self, x, training=None):
        if self._graph is not None:
            return self._forward(x, training)[0]
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Model must define call(x, training)")

    def _input_keeps_integers(self, i):
        """True when input ``i`` feeds an Embedding (ids stay integers)."""
        first = self._first_layers_of_input(i)
        return bool(first) and all(getattr(la, "input_dtype", np.float32) is None for la in first)

    def _first_layers_of_input(self, i):
        if self._graph is None:
            return []
        inp = self._graph["inputs"][i] if i < len(self._graph["inputs"]) else None
        return [t.layer for t in self._graph["nodes"] if any(p is inp for p in t.inputs)]

    def _ensure_built(self, x):
        if self.built:
            return
        shape = [(None,) + tuple(a.shape[1:]) for a in x] if isinstance(x, list) else (None,) + tuple(x.shape[1:])
        self.build(shape)
        self._place()

    def build(self, input_shape):
        """Subclassed models build by running once on zeros of ``input_shape``."""
        if self._graph is not None:
            self.built = True
            return
        from deepgrad.autograd import no_grad
        from deepgrad.keras.layers.layer import to_tensor

        shape = tuple(1 if d is None else d for d in input_shape)
        with no_grad(), call_context(False):  # on the model's device, else the default device
            out = self._call_subclassed(to_tensor(np.zeros(shape, dtype=np.float32), device=self._device), False)
        self.built = True
        self.input_shape = tuple(input_shape)
        self.output_shape = (None,) + tuple(out.shape[1:])

    def compute_output_shape(self, input_shape):
        if self._graph is not None or (self.built and self.output_shape is not None):  # build ran call on zeros
            return self.output_shape
        return Layer.compute_output_shape(self, input_shape)

    # -- devices -----------------------------------------------------------------------------------------
    def to(self, device):
        """Keep this model's weights on ``device`` ('cuda' for the GPU through CuPy); call before ``fit``.

        Batches are copied to the weights' device as they are taken; ``predict`` returns numpy.
        Layers built later (a Sequential that builds on its first batch) follow.
        """
        from deepgrad.backend import Device

        self._device = Device(device)
        if self.optimizer is not None:
            self.optimizer.inner = None  # its state lived on the old device
        for layer in self._unique_layers():
            if layer.built:
                layer.to(self._device)
        return self

    def _place(self):
        if self._device is not None:
            for layer in self._unique_layers():
                layer.to(self._device)

    def __call__(self, inputs, training=None, **kwargs):
        from deepgrad.keras.layers.keras_tensor import is_symbolic

        if self._device is not None and not is_symbolic(inputs) and self.built:
            inputs = self._to_device(_unwrap(inputs))
        return Layer.__call__(self, inputs, training=training, **kwargs)

    # -- weights ---------------------------------------------------------------------------------------
    def _weight_entries(self):
        out, seen = [], set()
        for layer in self.layers:
            for entry in layer._ordered_entries():
                key = id(entry[1]())
                if key not in seen:
                    seen.add(key)
                    out.append(entry if layer.trainable else (entry[0], entry[1], entry[2], False))
        return out

    def _ordered_entries(self):
        return self._weight_entries()

    def get_weights(self):
        """Every layer's weights in Keras layout, layer by layer (numpy arrays)."""
        out = []
        for layer in self._unique_layers():
            out.extend(layer.get_weights())
        return out

    def set_weights(self, weights):
        """Set every layer's weights from a list in the order of ``get_weights``."""
        weights = list(weights)
        expected = sum(len(layer._ordered_entries()) for layer in self._unique_layers())
        if len(weights) != expected:
            raise ValueError(f"{self.name}.set_weights: expected a list of {expected} arrays, got {len(weights)}")
        i = 0
        for layer in self._unique_layers():
            k = len(layer._ordered_entries())
            layer.set_weights(weights[i:i + k])
            i += k

    def _unique_layers(self):
        out, seen = [], set()
        for layer in self.layers:
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
        return out

    @property
    def weights(self):
        """Every weight, layer by layer (each layer's trainable ones, then the others), as Keras."""
        out, seen = [], set()
        for layer in self._unique_layers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out, seen = [], set()
        for layer in self._unique_layers():
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        out, seen = [], set()
        for layer in self._unique_layers():
            for w in layer.weights:
                if id(w) not in trainable and id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    def count_params(self):
        return int(sum(layer.count_params() for layer in self._unique_layers()))

    @property
    def losses(self):
        out = list(self.__dict__.get("_added_losses", ()))
        for layer in self._unique_layers():  # Keras: penalties of trainable weights, add_loss losses of all
            out.extend(layer.losses if self.trainable and layer.trainable else layer._all_added_losses())
        return out

    # -- description, saving ------------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Print a table of the layers, their output shapes and parameter counts."""
        from deepgrad.keras.models.summary import summary_text

        text = summary_text(self, line_length=line_length)
        (print_fn or print)(text)

    def get_config(self):
        from deepgrad.keras.models.saving import functional_config

        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__}: subclassed models cannot be saved as a config; "
                                      "use save_weights/load_weights")
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new functional model (fresh weights) from ``get_config()``'s dict."""
        from deepgrad.keras.models.saving import model_from_config

        return model_from_config({"class_name": "Functional", "config": config}, custom_objects)

    def save(self, filepath, overwrite=True, **kwargs):
        """Save architecture, compile settings and weights to a ``.keras`` zip (no pickle)."""
        from deepgrad.keras.models.saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights alone: ``.weights.npz`` (numpy) or ``.weights.h5`` (Keras 3's layout, needs h5py)."""
        from deepgrad.keras.models.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        """Load weights from ``save_weights``'s files (``.weights.h5`` from real Keras too) or a ``.keras`` file."""
        from deepgrad.keras.models.saving import load_weights

        load_weights(self, filepath)

    def to_json(self, **kwargs):
        import json

        from deepgrad.keras.models.saving import model_config

        return json.dumps(model_config(self), **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _keras_layer_order(ins, outs):
    """The layers in Keras 3's order (``ops/function.py: map_graph``): by depth from the outputs, deepest
    first; layers at the same depth in the order a depth-first walk from the outputs first meets them."""
    def node_of(t):  # a layer call: its KerasTensor, or the list shared by the outputs of a multi-output call
        return t if t.node is None else t.node

    def first(node):
        return node[0] if isinstance(node, list) else node

    post, done, index = [], set(), {}  # nodes from the inputs to the outputs; layer -> first-visit index
    for out in outs:
        stack = [(node_of(out), False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                if id(node) not in done:
                    done.add(id(node))
                    post.append(node)
                continue
            if id(node) in done:
                continue
            index.setdefault(id(first(node).layer), len(index))
            stack.append((node, True))
            stack.extend((node_of(p), False) for p in reversed(first(node).inputs))
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(post):
        layer = first(node).layer
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = node_depth[id(node)] = depth
        layers[id(layer)] = layer
        for p in first(node).inputs:
            node_depth[id(node_of(p))] = max(depth + 1, node_depth.get(id(node_of(p)), 0))
    for t in ins:  # inputs no output depends on
        if id(t.layer) not in layer_depth:
            layer_depth[id(t.layer)], index[id(t.layer)], layers[id(t.layer)] = 0, -1, t.layer
    return sorted(layers.values(), key=lambda la: (-layer_depth[id(la)], index[id(la)]))


def _unwrap(x):
    from deepgrad.tensor import Tensor

    if isinstance(x, (list, tuple)):
        return [_unwrap(a) for a in x]
    if isinstance(x, Tensor):
        return x.data
    return x if hasattr(x, "shape") else np.asarray(x, dtype=np.float32)


__all__ = ["Model"]
