"""DataLoader: mini-batches of a Dataset as deepgrad Tensors, optionally built by background threads.

The lectures' advice for fast training (seed 003) is to keep the data in RAM and prefetch
batches with CPU threads while the model computes.  Here:

* a dataset with ``__getitems__`` (``TensorDataset``, ``MNIST``, their ``Subset``) gives each
  batch with one fancy index per array: no Python loop over samples;
* ``num_workers > 0`` threads build the next batches into bounded queues (``prefetch``
  batches each) while the main thread trains; NumPy copies and BLAS release the GIL, so
  the work overlaps;
* the order of samples is a permutation drawn from deepgrad's seeded generator at the start
  of each epoch, and every batch's random augmentations come from a generator seeded by
  (epoch seed, batch number): ``manual_seed`` fixes the batches, whatever ``num_workers``.
"""
from __future__ import annotations

import math
import queue
import threading

import numpy as np

from deepgrad import random as _random
from deepgrad.backend import Device, get_array_module, is_cupy_array
from deepgrad.data._rng import batch_rng
from deepgrad.tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def default_collate(samples):
    """Stack a list of samples into one batch: arrays/Tensors are stacked on a new first axis,
    numbers become 1-d arrays (ints int64, Python floats float32), tuples/lists/dicts recurse."""
    first = samples[0]
    if isinstance(first, Tensor):
        first = first.data
        samples = [s.data for s in samples]
    if isinstance(first, np.ndarray) or is_cupy_array(first):
        return get_array_module(first).stack(samples)
    if isinstance(first, (bool, np.bool_)):
        return np.asarray(samples, dtype=np.bool_)
    if isinstance(first, (int, np.integer)):
        return np.asarray(samples, dtype=np.int64)
    if isinstance(first, np.floating):
        return np.asarray(samples, dtype=first.dtype)
    if isinstance(first, float):
        return np.asarray(samples, dtype=np.float32)
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(f"default_collate: samples have different lengths {sorted({len(s) for s in samples})}")
        return type(first)(default_collate(list(col)) for col in zip(*samples)) if isinstance(first, tuple) \
            else [default_collate(list(col)) for col in zip(*samples)]
    if isinstance(first, str):
        return list(samples)
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; pass collate_fn=")


def _to_tensors(obj, device):
    """Arrays become Tensors on ``device`` (1-d integer arrays, i.e. labels, become int64)."""
    if isinstance(obj, Tensor):
        return obj if device is None or obj.device == device else Tensor(obj.data, device=device)
    if isinstance(obj, np.ndarray) or is_cupy_array(obj):
        if obj.ndim == 1 and obj.dtype.kind in "iu" and obj.dtype != np.int64:
            obj = obj.astype(np.int64)
        return Tensor(obj, device=device)
    if isinstance(obj, tuple):
        return tuple(_to_tensors(o, device) for o in obj)
    if isinstance(obj, list):
        return [_to_tensors(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_tensors(v, device) for k, v in obj.items()}
    return obj


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size`` samples.

    ``shuffle``: a new permutation each epoch (from deepgrad's seeded generator).
    ``drop_last``: skip the last batch when it is smaller than ``batch_size``.
    ``num_workers``: background threads that build batches ahead (0: build in the loop).
    ``prefetch``: how many finished batches each thread may hold ready.
    ``collate_fn``: turns a list of samples into a batch (then the dataset is indexed sample
    by sample); by default batches come from ``dataset.__getitems__`` when it exists.
    ``device``: where the batch Tensors are placed (``'cpu'``, ``'cuda'``...).

    Each batch is what the dataset gives, with arrays turned into Tensors: ``(x, y)`` for a
    TensorDataset of two arrays, labels (1-d integer arrays) as int64.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, num_workers=0, prefetch=2,
                 collate_fn=None, device=None):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if not isinstance(prefetch, (int, np.integer)) or prefetch < 1:
            raise ValueError(f"DataLoader: prefetch must be an int >= 1, got {prefetch!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.num_workers = int(num_workers)
        self.prefetch = int(prefetch)
        self.collate_fn = collate_fn
        self.device = None if device is None else Device(device)
        self.fast = collate_fn is None and hasattr(dataset, "__getitems__")

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _plan(self):
        """This epoch's batches: a list of (index array, seed), drawn now from the seeded generator.

        After ``load_state_dict`` the saved epoch is replayed from the saved position instead."""
        resume, self._resume = getattr(self, "_resume", None), None
        if resume is not None:
            order, epoch_seed, start = resume
        else:
            n = len(self.dataset)
            rng = _random.generator(np)
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            epoch_seed = int(rng.integers(2**63 - 1))
            start = 0
        self._epoch = (order, epoch_seed)
        self._position = start
        return [(order[b * self.batch_size:(b + 1) * self.batch_size], (epoch_seed, b))
                for b in range(start, len(self))]

    def _advance(self, batches):
        for batch in batches:
            self._position += 1
            yield batch

    def state_dict(self):
        """Where the current epoch stands: its sample order, its seed and the batches already given.

        With deepgrad's RNG state saved alongside, ``load_state_dict`` + a new ``iter`` continue
        the interrupted epoch with exactly the batches (and augmentations) it would have given."""
        epoch = getattr(self, "_epoch", None)
        if epoch is None:
            return {"position": 0, "order": np.zeros(0, np.int64), "epoch_seed": 0, "active": False}
        return {"position": int(self._position), "order": np.asarray(epoch[0], dtype=np.int64),
                "epoch_seed": int(epoch[1]), "active": self._position < len(self)}

    def load_state_dict(self, state):
        order = np.asarray(state["order"].numpy() if hasattr(state["order"], "numpy") else state["order"])
        if not state.get("active", True):
            self._resume = None
            return
        if order.shape != (len(self.dataset),):
            raise ValueError(f"DataLoader.load_state_dict: saved order covers {order.shape[0]} samples, "
                             f"the dataset has {len(self.dataset)}")
        self._resume = (order.astype(np.int64), int(state["epoch_seed"]), int(state["position"]))

    def _fetch(self, indices, seed):
        with batch_rng(seed):
            if self.fast:
                batch = self.dataset.__getitems__(indices)
            else:
                samples = [self.dataset[int(i)] for i in indices]
                batch = (self.collate_fn or default_collate)(samples)
        return _to_tensors(batch, self.device)

    def __iter__(self):
        plan = self._plan()  # drawn here, at the start of the epoch, in the caller's thread
        if self.num_workers == 0:
            return self._advance(self._fetch(idx, seed) for idx, seed in plan)
        return self._advance(self._threaded(plan))

    def _threaded(self, plan):
        n_batches = len(plan)
        n_threads = max(1, min(self.num_workers, n_batches))
        stop = threading.Event()
        queues = [queue.Queue(maxsize=self.prefetch) for _ in range(n_threads)]

        def work(w):
            # Thread w builds batches w, w + n_threads, ...; the main thread reads them in order.
            for b in range(w, n_batches, n_threads):
                if stop.is_set():
                    return
                try:
                    item = (True, self._fetch(*plan[b]))
                except BaseException as e:  # handed to the main thread, raised there
                    item = (False, e)
                while not stop.is_set():
                    try:
                        queues[w].put(item, timeout=0.05)
                        break
                    except queue.Full:
                        continue
                if not item[0]:
                    return

        threads = [threading.Thread(target=work, args=(w,), daemon=True, name=f"deepgrad-DataLoader-{w}")
                   for w in range(n_threads)]
        for t in threads:
            t.start()
        try:
            for b in range(n_batches):
                w = b % n_threads
                while True:
                    try:
                        ok, item = queues[w].get(timeout=0.1)
                        break
                    except queue.Empty:
                        if not threads[w].is_alive() and queues[w].empty():
                            raise RuntimeError(f"DataLoader: worker thread {w} stopped before batch {b}")
                if not ok:
                    raise item
                yield item
        finally:  # normal end, an exception, or the loop was left early (generator closed)
            stop.set()
            for q in queues:
                while not q.empty():
                    q.get_nowait()
            for t in threads:
                t.join(timeout=10)

    def __repr__(self):
        return (f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, num_workers={self.num_workers}, batches={len(self)})")
