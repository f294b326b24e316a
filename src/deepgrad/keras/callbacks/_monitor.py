"""Shared by the callbacks that watch a metric: which direction is better ('auto' mode)."""
from __future__ import annotations

import warnings


def monitor_mode(monitor, mode, who):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who}: mode {mode!r} is unknown, falling back to 'auto'", stacklevel=3)
        mode = "auto"
    if mode == "auto":
        name = monitor.lower()
        mode = "max" if any(k in name for k in ("acc", "auc", "precision", "recall", "f1")) else "min"
    return mode


def get_monitor_value(logs, monitor, who):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{who}: conditioned on metric {monitor!r}, which is not available. Available metrics are: "
                      f"{','.join(sorted(logs or {}))}", stacklevel=3)
    return value
