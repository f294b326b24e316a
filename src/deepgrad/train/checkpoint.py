"""``Checkpointer``: save a training run every few steps, keep the newest few, resume exactly.

    ckpt = deepgrad.train.Checkpointer("runs/ckpt", keep=3)
    start = ckpt.restore(model=model, optimizer=opt, scheduler=sched, sampler=sampler)
    step = 0 if start is None else start["step"]
    while step < total:
        ...one training step...
        step += 1
        if step % 100 == 0:
            ckpt.save(step, model=model, optimizer=opt, scheduler=sched, sampler=sampler, epoch=epoch)

A checkpoint is one file ``ckpt-<step>.safetensors`` written by ``deepgrad.io`` (safetensors
for arrays, JSON for the rest, no pickle) atomically: a temporary file in the same directory,
fsync, rename.  A crash at any moment leaves every finished checkpoint intact.  It holds the
``state_dict()`` of each object given, the plain values given (numbers, strings, lists...),
the step, and the state of deepgrad's, NumPy's global and Python's random generators, so a
run killed and resumed ends with the same weights, bit for bit, as one never interrupted.
"""
from __future__ import annotations

import os
import re
import warnings

from deepgrad import io as dgio
from deepgrad.train.rng import get_all_rng_states, set_all_rng_states

FORMAT = "deepgrad.checkpoint"
VERSION = 1
_NAME = re.compile(r"^ckpt-(\d+)\.safetensors$")
_TMP = re.compile(r"^\.ckpt-\d+\.safetensors\..*\.tmp$")


class Checkpointer:
    """Save and restore training checkpoints in ``directory``, keeping the newest ``keep``.

    ``keep=None`` keeps every checkpoint.  Temporary files left by a write that was killed
    are removed when the Checkpointer is created (one Checkpointer per directory).
    After ``restore``, ``restored_path`` is the file used (None for a fresh start) and
    ``skipped`` lists ``(path, reason)`` for newer files that could not be read.
    """

    def __init__(self, directory, keep=3):
        if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
            raise ValueError(f"Checkpointer: keep must be a positive int or None, got {keep!r}")
        self.directory = os.fspath(directory)
        self.keep = keep
        self.restored_path = None
        self.skipped = []
        os.makedirs(self.directory, exist_ok=True)
        for name in os.listdir(self.directory):
            if _TMP.match(name):
                try:
                    os.unlink(os.path.join(self.directory, name))
                except FileNotFoundError:
                    pass

    # -- files ---------------------------------------------------------------------------
    def path(self, step: int) -> str:
        """The file name of the checkpoint for ``step``."""
        return os.path.join(self.directory, f"ckpt-{int(step)}.safetensors")

    def checkpoints(self) -> list:
        """``(step, path)`` of every checkpoint file in the directory, oldest first."""
        found = []
        for name in os.listdir(self.directory):
            m = _NAME.match(name)
            if m:
                found.append((int(m.group(1)), os.path.join(self.directory, name)))
        return sorted(found)

    def latest(self):
        """Path of the newest checkpoint file, or None when there is none."""
        found = self.checkpoints()
        return found[-1][1] if found else None

    # -- save ----------------------------------------------------------------------------
    def save(self, step, **objects) -> str:
        """Write checkpoint ``step`` atomically and delete the oldest beyond ``keep``.

        Objects with ``state_dict()`` (model, optimizer, scheduler, sampler or data loader)
        are saved by their state; anything else must be plain data (numbers, strings, None,
        lists and dicts of them, arrays).  Returns the path written.
        """
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"Checkpointer.save: step must be an int >= 0, got {step!r}")
        states, values = {}, {}
        for name, obj in objects.items():
            if callable(getattr(obj, "state_dict", None)):
                states[name] = obj.state_dict()
            elif _is_plain(obj):
                values[name] = obj
            else:
                raise TypeError(
                    f"Checkpointer.save: {name}={type(obj).__name__} has no state_dict() and is not plain data "
                    "(numbers, strings, None, lists/dicts of them, arrays); give it a state_dict()/load_state_dict()"
                    " or save its position as plain values")
        values["step"] = step
        record = {"format": FORMAT, "version": VERSION, "step": step, "states": states, "values": values,
                  "rng": get_all_rng_states()}
        try:
            data = dgio.dumps(record)
        except TypeError as e:
            raise TypeError(f"Checkpointer.save: {e}") from None
        path = self.path(step)
        dgio.atomic_write_bytes(path, data)
        self._prune()
        return path

    def _prune(self):
        if self.keep is None:
            return
        for _, path in self.checkpoints()[:-self.keep]:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    # -- restore -------------------------------------------------------------------------
    def read(self, path) -> dict:
        """The checkpoint record stored in ``path`` (validated); raises FormatError if damaged."""
        record = dgio.load(path, as_tensors=True, map_location="cpu")  # load_state_dict places them
        _check_record(record, path)
        return record

    def restore(self, strict=True, **objects):
        """Load the newest readable checkpoint into ``objects`` and restore every RNG state.

        Each object gets ``load_state_dict`` with its saved state.  Returns the saved plain
        values (``step`` among them), or None when there is no checkpoint (a fresh start).
        A damaged file (FormatError) is reported with a warning and the previous one is used.
        With ``strict``, an object given here but absent from the checkpoint is an error.
        """
        self.restored_path = None
        self.skipped = []
        for step, path in reversed(self.checkpoints()):
            try:
                record = self.read(path)
            except FileNotFoundError:  # deleted meanwhile
                continue
            except dgio.FormatError as e:
                self.skipped.append((path, str(e)))
                warnings.warn(f"Checkpointer.restore: skipping damaged checkpoint {path!r}: {e}", RuntimeWarning,
                              stacklevel=2)
                continue
            if record["step"] != step:
                reason = f"file name says step {step}, contents say step {record['step']}"
                self.skipped.append((path, reason))
                warnings.warn(f"Checkpointer.restore: skipping {path!r}: {reason}", RuntimeWarning, stacklevel=2)
                continue
            self._apply(record, objects, strict, path)
            self.restored_path = path
            return dict(record["values"])
        if self.skipped:
            raise dgio.FormatError(
                f"Checkpointer.restore: every checkpoint in {self.directory!r} is damaged: "
                + "; ".join(f"{p}: {r}" for p, r in self.skipped))
        return None

    def _apply(self, record, objects, strict, path):
        states = record["states"]
        missing = [name for name in objects if name not in states]
        if strict and missing:
            raise KeyError(f"Checkpointer.restore: {path!r} holds no state for {missing} "
                           f"(it has {sorted(states)}); pass strict=False to skip them")
        for name, obj in objects.items():
            if name not in states:
                continue
            if not callable(getattr(obj, "load_state_dict", None)):
                raise TypeError(f"Checkpointer.restore: {name}={type(obj).__name__} has no load_state_dict()")
            obj.load_state_dict(states[name])
        set_all_rng_states(record["rng"])


def _is_plain(obj, depth=0):
    import numpy as np

    if depth > 100:
        return False
    if obj is None or isinstance(obj, (bool, int, float, str, np.generic, np.ndarray)):
        return True
    if isinstance(obj, (list, tuple)):
        return all(_is_plain(v, depth + 1) for v in obj)
    if isinstance(obj, dict):
        return all(isinstance(k, (str, int)) and _is_plain(v, depth + 1) for k, v in obj.items())
    return False


def _check_record(record, path):
    bad = dgio.FormatError
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise bad(f"{path!r} is not a deepgrad checkpoint (no {FORMAT!r} marker)")
    if record.get("version") != VERSION:
        raise bad(f"{path!r}: unsupported checkpoint version {record.get('version')!r} (this deepgrad reads {VERSION})")
    step = record.get("step")
    if isinstance(step, bool) or not isinstance(step, int):
        raise bad(f"{path!r}: step is {step!r}, not an int")
    for key in ("states", "values", "rng"):
        if not isinstance(record.get(key), dict):
            raise bad(f"{path!r}: {key!r} is missing or not a dict")
    try:
        _check_rng(record["rng"])
    except (KeyError, TypeError, ValueError) as e:
        raise bad(f"{path!r}: damaged RNG state ({type(e).__name__}: {e})") from None


def _check_rng(rng):
    """Validate the RNG states without touching the generators."""
    import numpy as np

    dg = rng["deepgrad"]
    np.random.default_rng().bit_generator.state = dg["bit_generator"]  # raises on a bad state
    if "cuda" in rng:
        from deepgrad.philox import Philox

        Philox(0).set_state(rng["cuda"])  # raises on a bad key or counter
    s = rng["numpy"]
    key = np.asarray(s["key"])
    if key.shape != (624,) or key.dtype != np.uint32:
        raise ValueError(f"numpy key has shape {key.shape} and dtype {key.dtype}, expected (624,) uint32")
    np.random.RandomState().set_state((s["name"], key, int(s["pos"]), int(s["has_gauss"]), float(s["cached_gaussian"])))
    p = rng["python"]
    import random

    random.Random().setstate((int(p["version"]), tuple(int(v) for v in p["internal"]),
                              None if p["gauss_next"] is None else float(p["gauss_next"])))


__all__ = ["Checkpointer"]
