"""``model.summary()``: the Keras table of layers, output shapes and parameter counts."""
from __future__ import annotations

import numpy as np


def readable_size(n_bytes):
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape_str(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_str(s) for s in shape)
    if shape and all(isinstance(s, (tuple, list)) for s in shape):  # a layer with several outputs
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def summary_text(model, line_length=None):
    """The summary table as a string (``Model.summary`` prints it)."""
    functional = getattr(model, "_graph", None) is not None
    if functional:
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        widths = [36, 24, 12, 28]
    else:
        headers = ["Layer (type)", "Output Shape", "Param #"]
        widths = [40, 26, 12]
    if line_length:
        scale = line_length / sum(widths)
        widths = [max(8, int(w * scale)) for w in widths]
    total = sum(widths)
    rows = []
    if functional:  # Keras's "Connected to": layer[node][0] of each input
        inbound, node_of, calls = {}, {}, {}
        for t in model._graph["inputs"]:
            node_of[id(t)] = 0
        seen = {}  # id(node) -> node index, for the calls with several outputs
        for t in model._graph["nodes"]:
            if t.node is not None and id(t.node) in seen:  # another output of a call already listed
                node_of[id(t)] = seen[id(t.node)]
                continue
            inbound.setdefault(id(t.layer), []).extend(f"{p.layer.name}[{node_of.get(id(p), 0)}][{p.index}]"
                                                      for p in t.inputs)
            node_of[id(t)] = calls.get(id(t.layer), 0)
            calls[id(t.layer)] = node_of[id(t)] + 1
            if t.node is not None:
                seen[id(t.node)] = node_of[id(t)]
    for layer in model.layers:
        shape = layer.output_shape if layer.built else None
        built = layer.built or not layer._weight_entries()
        params = str(layer.count_params()) if built else "0 (unbuilt)"
        row = [f"{layer.name} ({type(layer).__name__})", _shape_str(shape), params]
        if functional:
            row.append(", ".join(inbound.get(id(layer), [])) or "-")
        rows.append(row)

    def fmt(cells):
        return "".join(str(c)[: w - 1].ljust(w) for c, w in zip(cells, widths)).rstrip()

    lines = [f'Model: "{model.name}"', "_" * total, fmt(headers), "=" * total]
    for i, row in enumerate(rows):
        if i:
            lines.append("")
        lines.append(fmt(row))
    lines.append("=" * total)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights) if model.built else 0
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) if model.built else 0
    everything = trainable + non_trainable
    lines.append(f"Total params: {everything:,} ({readable_size(4 * everything)})")
    lines.append(f"Trainable params: {trainable:,} ({readable_size(4 * trainable)})")
    lines.append(f"Non-trainable params: {non_trainable:,} ({readable_size(4 * non_trainable)})")
    lines.append("_" * total)
    return "\n".join(lines)
