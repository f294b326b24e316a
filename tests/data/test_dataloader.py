"""DataLoader: batching, drop_last, seeded shuffling, prefetch threads, early exit."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data import DataLoader, Dataset, TensorDataset, transforms


def _data(n=103):
    x = np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2)
    y = (np.arange(n) % 10).astype(np.uint8)
    return TensorDataset(x, y)


def _as_lists(loader):
    return [(x.numpy().copy(), y.numpy().copy()) for x, y in loader]


def test_batches_cover_everything_in_order():
    loader = DataLoader(_data(), batch_size=10)
    assert len(loader) == 11
    batches = list(loader)
    assert [b[0].shape for b in batches] == [(10, 2, 2)] * 10 + [(3, 2, 2)]
    x, y = batches[0]
    assert isinstance(x, dg.Tensor) and x.dtype == np.float32 and y.dtype == np.int64  # labels int64
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), np.arange(103) % 10)


def test_drop_last():
    loader = DataLoader(_data(), batch_size=10, drop_last=True)
    assert len(loader) == 10 and len(list(loader)) == 10
    assert len(DataLoader(_data(100), batch_size=10, drop_last=True)) == 10
    assert len(DataLoader(_data(5), batch_size=10, drop_last=True)) == 0


def test_shuffle_is_deterministic_under_manual_seed_and_changes_per_epoch():
    loader = DataLoader(_data(), batch_size=16, shuffle=True)
    dg.manual_seed(123)
    e1, e2 = _as_lists(loader), _as_lists(loader)
    dg.manual_seed(123)
    f1 = _as_lists(loader)
    for (a, b), (c, d) in zip(e1, f1):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    order1 = np.concatenate([x[:, 0, 0] for x, _ in e1]) // 4
    order2 = np.concatenate([x[:, 0, 0] for x, _ in e2]) // 4
    assert sorted(order1.tolist()) == list(range(103))  # a permutation: every sample once
    assert not np.array_equal(order1, order2)  # a new permutation each epoch
    assert not np.array_equal(order1, np.arange(103))


def test_threads_give_the_same_batches_as_the_main_thread():
    ds = TensorDataset(np.random.default_rng(0).integers(0, 255, (300, 8, 8), dtype=np.uint8), np.arange(300))

    class Augmented(Dataset):
        def __len__(self):
            return len(ds)

        def __getitems__(self, idx):
            x, y = ds.__getitems__(idx)
            return transforms.Compose([transforms.RandomRotation(15), transforms.RandomShift(2)])(x), y

    for data in (ds, Augmented()):
        runs = []
        for workers in (0, 1, 3):
            dg.manual_seed(7)
            runs.append(_as_lists(DataLoader(data, batch_size=32, shuffle=True, num_workers=workers, prefetch=2)))
        for other in runs[1:]:
            assert len(other) == len(runs[0]) == 10
            for (a, b), (c, d) in zip(runs[0], other):
                np.testing.assert_array_equal(a, c)
                np.testing.assert_array_equal(b, d)


def test_per_sample_path_with_default_and_custom_collate():
    class Pairs(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return {"x": np.full(3, i, np.float32), "n": i, "w": 0.5}

    batches = list(DataLoader(Pairs(), batch_size=3, num_workers=2))
    assert [b["x"].shape for b in batches] == [(3, 3), (3, 3), (1, 3)]
    assert batches[0]["n"].dtype == np.int64 and batches[0]["w"].dtype == np.float64  # as torch
    np.testing.assert_array_equal(batches[1]["n"].numpy(), [3, 4, 5])
    out = list(DataLoader(Pairs(), batch_size=4, collate_fn=lambda s: [d["n"] for d in s]))
    assert out == [[0, 1, 2, 3], [4, 5, 6]]


def _loader_threads():
    return [t for t in threading.enumerate() if t.name.startswith("deepgrad-DataLoader")]


def test_early_break_stops_threads_and_does_not_hang():
    loader = DataLoader(_data(1000), batch_size=10, num_workers=3, prefetch=1)
    t0 = time.perf_counter()
    for i, _ in enumerate(loader):
        if i == 2:
            break
    deadline = time.perf_counter() + 5
    while _loader_threads() and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert _loader_threads() == []
    assert time.perf_counter() - t0 < 5
    it = iter(loader)
    next(it)
    it.close()  # explicit close also shuts the threads down
    assert _loader_threads() == []


def test_worker_error_is_raised_in_the_main_thread():
    class Broken(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            if i == 5:
                raise KeyError("sample 5 is broken")
            return np.zeros(2)

    with pytest.raises(KeyError, match="sample 5 is broken"):
        list(DataLoader(Broken(), batch_size=2, num_workers=2))
    time.sleep(0.2)
    assert _loader_threads() == []


def test_device_and_argument_checks():
    x, y = next(iter(DataLoader(_data(), batch_size=4, device="cpu")))
    assert x.device == "cpu"
    for bad in ({"batch_size": 0}, {"num_workers": -1}, {"prefetch": 0}):
        with pytest.raises(ValueError, match="DataLoader"):
            DataLoader(_data(), **bad)
    assert "batch_size=4" in repr(DataLoader(_data(), batch_size=4))


def test_fast_path_indexes_whole_batches():
    calls = []

    class Counting(TensorDataset):
        def __getitem__(self, i):
            calls.append(i)
            return super().__getitem__(i)

    list(DataLoader(Counting(*_data().arrays), batch_size=50, shuffle=True))
    assert calls == []  # never one sample at a time
