"""``Flatten`` and ``Unflatten``: reshape layers (between convolutions and fully connected ones)."""
from __future__ import annotations

from deepgrad.nn.module import Module
from deepgrad.ops.shape import reshape


class Flatten(Module):
    """Merge dims ``start_dim``..``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):  # noqa: A002
        shape = input.shape
        nd = len(shape)
        if nd == 0:
            return reshape(input, (1,))
        s = self.start_dim % nd if -nd <= self.start_dim < nd else None
        e = self.end_dim % nd if -nd <= self.end_dim < nd else None
        if s is None or e is None or s > e:
            raise ValueError(f"{self!r}: start_dim {self.start_dim} / end_dim {self.end_dim} do not fit an input "
                             f"of shape {shape} ({nd} dimensions)")
        n = 1
        for d in shape[s:e + 1]:
            n *= d
        return reshape(input, shape[:s] + (n,) + shape[e + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: Unflatten(1, (1, 28, 28)) maps (N, 784) to (N, 1, 28, 28)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):  # noqa: A002
        shape = input.shape
        nd = len(shape)
        if not -nd <= self.dim < nd:
            raise ValueError(f"{self!r}: dim {self.dim} is out of range for an input of shape {shape}")
        d = self.dim % nd
        size = list(self.unflattened_size)
        known = 1
        for s in size:
            if s != -1:
                known *= s
        if -1 in size:
            size[size.index(-1)] = shape[d] // known if known else 0
            known = shape[d]
        if known != shape[d]:
            raise ValueError(f"{self!r}: cannot split dimension {d} of size {shape[d]} (input shape {shape}) "
                             f"into {self.unflattened_size}")
        return reshape(input, shape[:d] + tuple(size) + shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


__all__ = ["Flatten", "Unflatten"]
