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

import itertools
import math
import queue
import threading

import numpy as np

from deepgrad.backend import Device, is_cupy_array
from deepgrad.data._rng import batch_rng
from deepgrad.data.collate import _collate, default_collate, default_convert
from deepgrad.data.dataset import IterableDataset
from deepgrad.data.sampler import BatchSampler, RandomSampler, SequentialSampler, as_rng
from deepgrad.tensor import Tensor

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info", "WorkerInfo"]


class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a DataLoader's worker thread."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker = threading.local()


def get_worker_info():
    """In a DataLoader's worker thread: its ``WorkerInfo`` (id, num_workers, seed, dataset); else None."""
    return getattr(_worker, "info", None)


def _to_tensors(obj, device):
    """Arrays become Tensors on ``device`` (1-d integer arrays, i.e. labels, become int64)."""
    if isinstance(obj, Tensor):
        return obj if device is None or obj.device == device else Tensor(obj.data, device=device)
    if isinstance(obj, np.ndarray) or is_cupy_array(obj):
        if obj.ndim == 1 and obj.dtype.kind in "iu" and obj.dtype != np.int64:
            obj = obj.astype(np.int64)
        return Tensor(obj, device=device)
    if isinstance(obj, tuple):
        items = [_to_tensors(o, device) for o in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [_to_tensors(o, device) for o in obj]
    if isinstance(obj, dict):
        return {k: _to_tensors(v, device) for k, v in obj.items()}
    return obj


class DataLoader:
    """Iterate over ``dataset`` in mini-batches, with ``torch.utils.data.DataLoader``'s arguments.

    ``batch_size``: samples per batch; ``None`` turns batching off (one converted sample at a time).
    ``shuffle``: a new permutation each epoch, from ``generator`` (a numpy Generator or an int
    seed) or deepgrad's seeded generator.  ``sampler``: any iterable of indices (exclusive with
    ``shuffle``); ``batch_sampler``: an iterable of index lists (exclusive with ``batch_size``,
    ``shuffle``, ``sampler`` and ``drop_last``).  ``drop_last``: skip a last, smaller batch.
    ``num_workers``: background threads that build batches ahead, in order (0: in the loop);
    ``prefetch_factor`` (or ``prefetch``): finished batches each thread may hold; ``timeout``:
    seconds to wait for a batch from a thread (0: forever); ``worker_init_fn(worker_id)`` runs
    at the start of each thread.  ``collate_fn``: turns a list of samples into a batch (then the
    dataset is indexed sample by sample); by default batches come from ``dataset.__getitems__``
    when it exists.  ``pin_memory``, ``persistent_workers``, ``multiprocessing_context``,
    ``pin_memory_device`` and ``in_order`` are accepted for PyTorch compatibility (threads keep the
    order and cost nothing to restart).  ``device``: where the batch Tensors are placed.

    Each batch is what the dataset gives, with arrays turned into Tensors: ``[x, y]`` for a
    TensorDataset of two arrays, labels (1-d integer arrays) as int64.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, prefetch=None, device=None):
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative int; use num_workers=0 to "
                             f"disable background threads, got num_workers={num_workers!r}")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got timeout={timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with num_workers > 0 "
                             "(background threads); otherwise set prefetch_factor to None")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if prefetch_factor is not None and prefetch is not None and prefetch_factor != prefetch:
            raise ValueError(f"DataLoader: prefetch={prefetch!r} and prefetch_factor={prefetch_factor!r} disagree; "
                             "give one of them")
        prefetch = prefetch_factor if prefetch_factor is not None else (2 if prefetch is None else prefetch)
        if isinstance(prefetch, bool) or not isinstance(prefetch, (int, np.integer)) or prefetch < 1:
            raise ValueError(f"DataLoader: prefetch_factor must be an int >= 1, got {prefetch!r}")
        self._stream = isinstance(dataset, IterableDataset)
        if self._stream:
            for name, value in (("shuffle", shuffle or None), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value is not None:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                                     f"{name}={value!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")
        elif isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(f"DataLoader: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self._rng = None if generator is None else as_rng(generator, "DataLoader")  # an int seed: made once
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        # Given samplers are iterated each epoch; without them the loader draws its own order (one
        # permutation, no Python loop) and ``sampler``/``batch_sampler`` just describe it, as in torch.
        self._given = "batch_sampler" if batch_sampler is not None else "sampler" if sampler is not None else None
        if sampler is None and batch_sampler is None and not self._stream:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None and not self._stream:
            batch_sampler = BatchSampler(sampler, int(batch_size), bool(drop_last))
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = bool(drop_last)
        self.num_workers = int(num_workers)
        self.prefetch = int(prefetch)
        self.prefetch_factor = prefetch_factor
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.collate_fn = collate_fn
        self.pin_memory = bool(pin_memory)
        self.persistent_workers = bool(persistent_workers)
        self.multiprocessing_context = multiprocessing_context
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self.device = None if device is None else Device(device)
        self._auto = self.batch_size is not None or self._given == "batch_sampler"
        self.fast = collate_fn is None and self._auto and hasattr(dataset, "__getitems__") and not self._stream

    def __len__(self):
        if self._given == "batch_sampler":
            return len(self.batch_sampler)
        n = len(self.dataset) if self._given is None else len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _plan(self):
        """This epoch's batches: a list of (indices, seed), drawn now from the seeded generator.

        ``indices`` is an int array (one batch) or an int (``batch_size=None``).  After
        ``load_state_dict`` the saved epoch is replayed from the saved position instead."""
        resume, self._resume = getattr(self, "_resume", None), None
        if resume is not None:
            batches, epoch_seed, start = resume
        else:
            rng = self._rng or as_rng(None)
            batches = self._batches(rng)
            epoch_seed = int(rng.integers(2**63 - 1))
            start = 0
        self._epoch = (batches, epoch_seed)
        self._position = start
        return [(batches[b], (epoch_seed, b)) for b in range(start, len(batches))]

    def _batches(self, rng):
        if self._given == "batch_sampler":
            return [_index_array(b) for b in self.batch_sampler]
        if self._given == "sampler":
            order = _index_array(list(self.sampler))
        else:
            n = len(self.dataset)
            order = rng.permutation(n) if self.shuffle else np.arange(n)
        if self.batch_size is None:
            return [int(i) for i in order]
        count = len(order) // self.batch_size if self.drop_last else math.ceil(len(order) / self.batch_size)
        return [order[b * self.batch_size:(b + 1) * self.batch_size] for b in range(count)]

    def _advance(self, batches):
        for batch in batches:
            self._position += 1
            yield batch

    def state_dict(self):
        """Where the current epoch stands: its batches, its seed and the batches already given.

        With deepgrad's RNG state saved alongside, ``load_state_dict`` + a new ``iter`` continue
        the interrupted epoch with exactly the batches (and augmentations) it would have given."""
        epoch = getattr(self, "_epoch", None)
        if epoch is None:
            return {"position": 0, "order": np.zeros(0, np.int64), "sizes": np.zeros(0, np.int64),
                    "epoch_seed": 0, "active": False}
        batches = epoch[0]
        sizes = np.asarray([np.size(b) if self._auto else 0 for b in batches], dtype=np.int64)
        order = np.concatenate([np.reshape(b, -1) for b in batches]).astype(np.int64) if batches \
            else np.zeros(0, np.int64)
        return {"position": int(self._position), "order": order, "sizes": sizes,
                "epoch_seed": int(epoch[1]), "active": self._position < len(batches)}

    def load_state_dict(self, state):
        order = np.asarray(state["order"].numpy() if hasattr(state["order"], "numpy") else state["order"])
        if not state.get("active", True):
            self._resume = None
            return
        order = order.astype(np.int64)
        if order.size and not self._stream and not -len(self.dataset) <= order.min() <= order.max() < len(self.dataset):
            raise ValueError(f"DataLoader.load_state_dict: the saved epoch indexes samples up to {order.max()}, "
                             f"the dataset has {len(self.dataset)}")
        if "sizes" in state:
            sizes = np.asarray(state["sizes"].numpy() if hasattr(state["sizes"], "numpy") else state["sizes"])
            if self._auto != bool(sizes.size and sizes.max() > 0) or sizes.sum() != (order.size if self._auto else 0):
                raise ValueError(f"DataLoader.load_state_dict: the saved batches ({sizes.size} batches of "
                                 f"{order.size} indices) do not fit this loader (batch_size={self.batch_size})")
            batches = np.split(order, np.cumsum(sizes)[:-1]) if self._auto else [int(i) for i in order]
        else:  # written before samplers existed: the epoch's order, cut into batch_size slices
            if order.shape != (len(self.dataset),):
                raise ValueError(f"DataLoader.load_state_dict: saved order covers {order.shape[0]} samples, "
                                 f"the dataset has {len(self.dataset)}")
            batches = [order[b * self.batch_size:(b + 1) * self.batch_size] for b in range(len(self))]
        self._resume = (batches, int(state["epoch_seed"]), int(state["position"]))

    def _fetch(self, indices, seed):
        with batch_rng(seed):
            if not self._auto:
                batch = (self.collate_fn or default_convert)(self.dataset[indices])
            elif self.fast:
                batch = self.dataset.__getitems__(indices)
                if isinstance(batch, list) and len(batch) == len(indices):  # PyTorch's convention: the samples
                    batch = _collate(batch)
                elif type(batch) is tuple:  # deepgrad's: the batch (a list, as torch's collate gives)
                    batch = list(batch)
            elif self.collate_fn is None:
                batch = _collate([self.dataset[int(i)] for i in indices])
            else:
                batch = self.collate_fn([self.dataset[int(i)] for i in indices])
        return _to_tensors(batch, self.device)

    def _iterate_stream(self):
        """An IterableDataset's samples, grouped into batches as they come (in this thread)."""
        epoch_seed = int((self._rng or as_rng(None)).integers(2**63 - 1))
        samples = iter(self.dataset)
        for b in itertools.count():
            if self.batch_size is None:
                chunk = list(itertools.islice(samples, 1))
                if not chunk:
                    return
            else:
                chunk = list(itertools.islice(samples, self.batch_size))
                if not chunk or (self.drop_last and len(chunk) < self.batch_size):
                    return
            with batch_rng((epoch_seed, b)):
                if self.batch_size is None:
                    batch = (self.collate_fn or default_convert)(chunk[0])
                else:
                    batch = (self.collate_fn or _collate)(chunk)
            yield _to_tensors(batch, self.device)

    def __iter__(self):
        if self._stream:
            return self._iterate_stream()
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
            _worker.info = WorkerInfo(w, n_threads, (plan[0][1][0] + w) % 2**63, self.dataset)  # base seed + id
            try:
                if self.worker_init_fn is not None:
                    self.worker_init_fn(w)
                failed = None
            except BaseException as e:  # handed to the main thread with the thread's first batch
                failed = e
            for b in range(w, n_batches, n_threads):
                if stop.is_set():
                    return
                if failed is not None:
                    item = (False, failed)
                else:
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
                waited = 0.0
                while True:
                    try:
                        ok, item = queues[w].get(timeout=0.1)
                        break
                    except queue.Empty:
                        waited += 0.1
                        if not threads[w].is_alive() and queues[w].empty():
                            raise RuntimeError(f"DataLoader: worker thread {w} stopped before batch {b}")
                        if self.timeout and waited >= self.timeout:
                            raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds waiting for "
                                               f"batch {b} from worker thread {w}")
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
        try:
            sizes = f"n={len(self.dataset)}, "
            batches = f", batches={len(self)}"
        except (TypeError, NotImplementedError):  # a stream (or sampler) without a length
            sizes, batches = "", ""
        return (f"DataLoader({sizes}batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, num_workers={self.num_workers}{batches})")


def _index_array(indices):
    """A batch of sample indices as an int array (the indices a sampler gave must be ints)."""
    arr = np.asarray(indices)
    if arr.size == 0:
        return arr.astype(np.intp).reshape(0)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise TypeError(f"DataLoader: a sampler must give integer indices (a batch_sampler lists of them), got "
                        f"{str(indices)[:80]}")
    return arr.astype(np.intp)
