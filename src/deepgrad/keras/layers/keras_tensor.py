"""``KerasTensor``: a symbolic value in the functional API (a shape and the layer call that made it).

``Input(shape=(784,))`` makes one with no producer; calling a layer on KerasTensors builds the
layer for their shapes and returns a new KerasTensor that remembers the layer and its inputs.
``Model(inputs, outputs)`` walks these links back from the outputs to get the graph.
"""
from __future__ import annotations


class KerasTensor:
    """A placeholder of shape ``(None, ...)`` recorded by a layer call (no data)."""

    __slots__ = ("shape", "dtype", "layer", "inputs", "name", "list_call", "node", "index", "call_kwargs")

    def __init__(self, shape, dtype="float32", layer=None, inputs=(), name=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.layer = layer  # the layer that produced this tensor (an InputLayer for inputs)
        self.inputs = tuple(inputs)  # the KerasTensors that layer was called on
        self.name = name or (layer.name if layer is not None else "keras_tensor")
        self.list_call = False  # True when the layer was called on a list ([a, b]), not one tensor
        self.node = None  # for a layer call with several outputs: the list of them all (shared), else None
        self.index = 0  # this tensor's place in ``node``
        self.call_kwargs = {}  # keyword -> (start, count or None): keyword tensors among ``inputs``

    def split_inputs(self, values):
        """``(arg, kwargs)`` of the layer call from the values of ``inputs`` (in order)."""
        n_main = min((start for start, _ in self.call_kwargs.values()), default=len(values))
        arg = list(values[:n_main]) if self.list_call else values[0]
        kwargs = {k: (list(values[s:s + n]) if n is not None else values[s]) for k, (s, n) in self.call_kwargs.items()}
        return arg, kwargs

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def is_symbolic(x) -> bool:
    """True for a KerasTensor or a non-empty list/tuple of them."""
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)) and x and all(isinstance(t, KerasTensor) for t in x):
        return True
    return False
