"""Variable-length sequences for the recurrent layers, as ``torch.nn.utils.rnn``.

``pad_sequence`` stacks sequences of different lengths into one padded tensor;
``pack_padded_sequence`` turns a padded batch into a ``PackedSequence`` (time step by time step,
only the sequences still running), which ``RNN``/``LSTM``/``GRU`` accept so that padding never
enters the recurrence; ``pad_packed_sequence`` turns the result back into a padded tensor.
All of it is built from differentiable ops (slices, cat, stack), on the input's device.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from deepgrad.tensor import Tensor


def _ops():
    import deepgrad.ops as ops

    return ops


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """``data``: the time steps of every sequence packed along dim 0 (longest sequences first);
    ``batch_sizes``: how many sequences run at each time step (int64 numpy array);
    ``sorted_indices`` / ``unsorted_indices``: the permutation to and from length order (or None)."""

    __slots__ = ()


def _lengths(lengths):
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    elif hasattr(lengths, "detach"):  # a torch tensor
        lengths = lengths.detach().cpu().numpy()
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (L_max, B, *) (``batch_first``: (B, L_max, *)), padding
    each with ``padding_value`` on the right (or the left)."""
    ops = _ops()
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    trailing = sequences[0].shape[1:]
    for i, s in enumerate(sequences):
        if s.ndim == 0 or s.shape[1:] != trailing:
            raise ValueError(f"pad_sequence: every sequence must have shape (L, {', '.join(map(str, trailing))}); "
                             f"sequence {i} has shape {s.shape}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        n = longest - s.shape[0]
        if n:
            fill = Tensor._make(s.xp.full((n,) + trailing, padding_value, dtype=s.dtype))
            s = ops.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return ops.stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002
    """Pack a padded batch (L, B, *) (``batch_first``: (B, L, *)) whose sequence b has ``lengths[b]``
    valid steps.  With ``enforce_sorted=False`` the batch may be in any order (it is sorted inside)."""
    ops = _ops()
    lengths = _lengths(lengths)
    if batch_first:
        input = ops.transpose(input, 0, 1)  # noqa: A001
    if lengths.shape[0] != input.shape[1]:
        raise ValueError(f"pack_padded_sequence: expected {input.shape[1]} lengths (one per sequence), got "
                         f"{lengths.shape[0]}")
    if lengths.size and (lengths.min() <= 0 or lengths.max() > input.shape[0]):
        raise ValueError(f"pack_padded_sequence: lengths must lie in [1, {input.shape[0]}] (the padded length), "
                         f"got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence "
                               "and/or pack_sequence to sidestep this requirement if you do not need ONNX "
                               "exportability.")
        sorted_indices = unsorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices, unsorted_indices = order, np.argsort(order, kind="stable")
        lengths = lengths[order]
        input = ops.index_select(input, 1, Tensor._make(input.xp.asarray(order)))  # noqa: A001
    batch_sizes = np.array([(lengths > t).sum() for t in range(int(lengths.max()))], dtype=np.int64)
    data = ops.cat([input[t, :int(bs)] for t, bs in enumerate(batch_sizes)], 0)
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch of a PackedSequence and the lengths, in the batch's original order."""
    ops = _ops()
    data, batch_sizes, _, unsorted = sequence
    batch = int(batch_sizes[0])
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: Expected total_length to be at least the length of the longest "
                             f"sequence ({steps}), but got total_length={total_length}")
    rows, offset = [], 0
    trailing = data.shape[1:]
    for bs in batch_sizes:
        bs = int(bs)
        row = data[offset:offset + bs]
        if bs < batch:
            fill = Tensor._make(data.xp.full((batch - bs,) + trailing, padding_value, dtype=data.dtype))
            row = ops.cat([row, fill], 0)
        rows.append(row)
        offset += bs
    for _ in range(steps, total_length or steps):
        rows.append(Tensor._make(data.xp.full((batch,) + trailing, padding_value, dtype=data.dtype)))
    padded = ops.stack(rows, 0)
    lengths = np.array([(batch_sizes > b).sum() for b in range(batch)], dtype=np.int64)
    if unsorted is not None:
        padded = ops.index_select(padded, 1, Tensor._make(data.xp.asarray(unsorted)))
        lengths = lengths[unsorted]
    if batch_first:
        padded = ops.transpose(padded, 0, 1)
    return padded, Tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length."""
    ops = _ops()
    x = padded_sequences if batch_first else ops.transpose(padded_sequences, 0, 1)
    return [x[b, :int(n)] for b, n in enumerate(_lengths(lengths))]


__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpad_sequence"]
