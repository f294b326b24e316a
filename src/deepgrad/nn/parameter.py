"""``Parameter``: a Tensor that a Module registers as learnable when assigned to it."""
from __future__ import annotations

from deepgrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default; ``module.w = Parameter(...)`` registers it."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            import numpy as np

            data = np.empty((0,), dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A non-learnable tensor a Module keeps in its state (``self.running_mean = Buffer(...)``)."""

    def __init__(self, data, persistent=True):
        super().__init__(data)
        self.persistent = persistent

    __slots__ = ("persistent",)


__all__ = ["Parameter", "Buffer"]
