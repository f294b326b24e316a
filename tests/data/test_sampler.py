"""Samplers and the DataLoader's sampler/batch_sampler/generator arguments, against torch.utils.data."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

tud = pytest.importorskip("torch.utils.data")


def test_sequential_and_batch_sampler_match_torch():
    assert list(SequentialSampler(range(5))) == list(tud.SequentialSampler(range(5)))
    for drop_last in (False, True):
        ours = BatchSampler(SequentialSampler(range(10)), 3, drop_last)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(10)), 3, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert all(type(i) is int for b in ours for i in b)


def test_random_sampler_permutations_and_replacement():
    dg.manual_seed(0)
    s = RandomSampler(range(7))
    a, b = list(s), list(s)
    assert sorted(a) == list(range(7)) and a != b and len(s) == 7 and type(a[0]) is int
    chained = list(RandomSampler(range(5), num_samples=12))  # two permutations and 2 more, as torch
    assert len(chained) == 12 and sorted(chained[:5]) == sorted(chained[5:10]) == list(range(5))
    assert len(set(chained[10:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2} and len(RandomSampler(range(3), True, 50)) == 50
    dg.manual_seed(4)
    first = list(RandomSampler(range(20)))
    dg.manual_seed(4)
    assert list(RandomSampler(range(20))) == first  # seeded by deepgrad.manual_seed


def test_generator_fixes_the_order_and_an_int_seed_still_advances():
    a = list(RandomSampler(range(30), generator=np.random.default_rng(1)))
    assert a == list(RandomSampler(range(30), generator=np.random.default_rng(1)))
    s = RandomSampler(range(30), generator=3)
    assert list(s) != list(s)  # a seed makes one generator, not a fresh one per epoch
    assert list(RandomSampler(range(30), generator=3)) == list(RandomSampler(range(30), generator=3))
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        RandomSampler(range(3), generator="seed")


def test_subset_and_weighted_samplers():
    idx = [2, 4, 6, 8]
    s = SubsetRandomSampler(idx, generator=0)
    assert sorted(s) == idx and len(s) == 4 and len(tud.SubsetRandomSampler(idx)) == 4
    w = WeightedRandomSampler([0, 0, 1.0, 0], 5)
    assert list(w) == [2] * 5 == list(tud.WeightedRandomSampler([0, 0, 1.0, 0], 5)) and len(w) == 5
    assert sorted(WeightedRandomSampler([1, 1, 1.0, 0], 3, replacement=False)) == [0, 1, 2]
    counts = np.bincount(list(WeightedRandomSampler([1.0, 3.0], 4000, generator=0)), minlength=2)
    assert 0.7 < counts[1] / 4000 < 0.8


@pytest.mark.parametrize("make, match", [
    (lambda m: m.BatchSampler(range(3), 0, False), "batch_size should be a positive integer value"),
    (lambda m: m.BatchSampler(range(3), 2, "x"), "drop_last should be a boolean value"),
    (lambda m: m.RandomSampler(range(3), num_samples=0), "num_samples should be a positive integer value"),
    (lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2), "weights should be a 1d sequence"),
    (lambda m: m.WeightedRandomSampler([1.0], 2, replacement=None), "replacement should be a boolean value"),
])
def test_sampler_argument_errors_like_torch(make, match):
    with pytest.raises(ValueError, match=match):
        make(tud)
    with pytest.raises(ValueError, match=match):
        make(__import__("deepgrad.data", fromlist=["x"]))


def test_sampler_errors_torch_raises_late_are_raised_early():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match=r"WeightedRandomSampler: weights must be finite and >= 0"):
        WeightedRandomSampler([-1.0, 2.0], 2)
    with pytest.raises(ValueError, match="without replacement from 1 indices"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())


def _pairs(loader):
    return [[np.asarray(t.numpy() if hasattr(t, "numpy") else t).tolist() for t in batch] for batch in loader]


def _both(n=10):
    import torch

    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    return TensorDataset(x, y), tud.TensorDataset(torch.tensor(x), torch.tensor(y))


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=3, sampler=[3, 1, 2, 0, 9]),
    dict(batch_size=3, sampler=[3, 1, 2, 0, 9], drop_last=True),
    dict(batch_sampler=[[0, 1], [5], [9, 8, 7]]),
    dict(batch_size=None),
    dict(batch_size=None, sampler=[4, 2]),
    dict(batch_size=4, num_workers=2, prefetch_factor=1, persistent_workers=True, pin_memory=True, timeout=5),
    dict(batch_size=4, sampler=SequentialSampler(range(10))),
    dict(batch_sampler=BatchSampler(SequentialSampler(range(10)), 4, True)),
])
@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")
def test_dataloader_batches_match_torch(kwargs):
    ours, theirs = _both()
    tkw = {k: (tud.SequentialSampler(range(10)) if isinstance(v, SequentialSampler) else
               tud.BatchSampler(tud.SequentialSampler(range(10)), 4, True) if isinstance(v, BatchSampler) else v)
           for k, v in kwargs.items()}
    a, b = DataLoader(ours, **kwargs), tud.DataLoader(theirs, **tkw)
    assert len(a) == len(b)
    got, want = list(a), list(b)
    assert _pairs(got) == _pairs(want)
    assert type(got[0]) is type(want[0]) is list  # tuples of samples become lists, as in torch
    assert all(isinstance(t, dg.Tensor) for t in got[0])
    assert [tuple(t.shape) for t in got[0]] == [tuple(t.shape) for t in want[0]]


@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler=[1, 2], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(batch_size=2.0), "batch_size should be a positive integer value"),
    (dict(drop_last=1), "drop_last should be a boolean value"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(num_workers=-1), "num_workers option should be"),
])
def test_dataloader_argument_errors_like_torch(kwargs, match):
    ours, theirs = _both()
    with pytest.raises(ValueError, match=match):
        DataLoader(ours, **kwargs)
    with pytest.raises(ValueError, match=match.split(",")[0]):
        tud.DataLoader(theirs, **kwargs)


def test_shuffle_with_generator_is_reproducible_and_advances():
    ours, _ = _both(20)

    def epoch(loader):
        return np.concatenate([y.numpy() for _, y in loader]).tolist()

    a = DataLoader(ours, batch_size=6, shuffle=True, generator=np.random.default_rng(5))
    b = DataLoader(ours, batch_size=6, shuffle=True, generator=np.random.default_rng(5))
    e1, e2 = epoch(a), epoch(a)
    assert e1 == epoch(b) and e1 != e2 and sorted(e1) == list(range(20))
    c = DataLoader(ours, batch_size=6, shuffle=True, generator=7)
    assert epoch(c) != epoch(c)
    with pytest.raises(TypeError, match="DataLoader: generator must be"):
        DataLoader(ours, shuffle=True, generator=1.5)


def test_random_and_weighted_samplers_in_a_loader_with_threads():
    ours, _ = _both(12)
    for workers in (0, 2):
        loader = DataLoader(ours, batch_size=5, sampler=RandomSampler(ours, generator=1), num_workers=workers)
        ys = np.concatenate([y.numpy() for _, y in loader])
        assert sorted(ys.tolist()) == list(range(12))
        ref = list(RandomSampler(ours, generator=1))
        assert ys.tolist() == ref
    loader = DataLoader(ours, batch_size=4, sampler=WeightedRandomSampler([0.0] * 11 + [1.0], 8))
    assert len(loader) == 2 and all((y.numpy() == 11).all() for _, y in loader)


def test_worker_init_fn_runs_once_per_thread_and_timeout_raises():
    import threading
    import time

    ours, _ = _both(8)
    seen, lock = [], threading.Lock()

    def init(worker_id):
        with lock:
            seen.append(worker_id)

    assert len(list(DataLoader(ours, batch_size=2, num_workers=3, worker_init_fn=init))) == 4
    assert sorted(seen) == [0, 1, 2]

    def broken(worker_id):
        raise OSError(f"worker {worker_id} cannot start")

    with pytest.raises(OSError, match="worker 0 cannot start"):
        list(DataLoader(ours, batch_size=2, num_workers=2, worker_init_fn=broken))

    class Slow(TensorDataset):
        def __getitems__(self, idx):
            time.sleep(0.6)
            return super().__getitems__(idx)

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        list(DataLoader(Slow(*ours.arrays), batch_size=4, num_workers=1, timeout=0.2))


def test_state_dict_resumes_a_sampler_epoch():
    ours, _ = _both(11)
    dg.manual_seed(2)
    full = DataLoader(ours, batch_size=3, sampler=RandomSampler(ours))
    dg.manual_seed(2)
    ref = [y.numpy().tolist() for _, y in full]
    dg.manual_seed(2)
    a = DataLoader(ours, batch_size=3, sampler=RandomSampler(ours))
    it = iter(a)
    first = [next(it)[1].numpy().tolist() for _ in range(2)]
    state = a.state_dict()
    b = DataLoader(ours, batch_size=3, sampler=RandomSampler(ours))
    b.load_state_dict(dg.io.loads(dg.io.dumps(state)))  # through a file, as a Checkpointer does
    assert first + [y.numpy().tolist() for _, y in b] == ref
    single = DataLoader(ours, batch_size=None, sampler=[5, 1, 3])
    it = iter(single)
    next(it)
    resumed = DataLoader(ours, batch_size=None, sampler=[0])
    resumed.load_state_dict(single.state_dict())
    assert [y.item() for _, y in resumed] == [1, 3]
    with pytest.raises(ValueError, match="do not fit this loader"):
        DataLoader(ours, batch_size=3).load_state_dict(single.state_dict())
    with pytest.raises(ValueError, match="indexes samples up to 10, the dataset has 4"):
        DataLoader(_both(4)[0], batch_size=3).load_state_dict(state)


def test_torch_style_getitems_returning_samples_is_collated():
    class Rows:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return np.full(2, i, np.float32), i

        def __getitems__(self, indices):  # PyTorch's convention: a list of samples
            return [self[int(i)] for i in indices]

    for b_ours, b_torch in zip(DataLoader(Rows(), batch_size=4), tud.DataLoader(Rows(), batch_size=4), strict=True):
        assert type(b_ours) is list and len(b_ours) == 2
        for a, b in zip(b_ours, b_torch):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert a.shape == tuple(b.shape)


def test_loader_exposes_its_sampler_and_batch_sampler_like_torch():
    ours, theirs = _both(10)
    for kwargs in (dict(batch_size=3), dict(batch_size=3, shuffle=True, drop_last=True), dict(batch_size=None)):
        a, b = DataLoader(ours, **kwargs), tud.DataLoader(theirs, **kwargs)
        assert type(a.sampler).__name__ == type(b.sampler).__name__ and len(a.sampler) == len(b.sampler)
        assert type(a.batch_sampler).__name__ == type(b.batch_sampler).__name__
        assert a.batch_size == b.batch_size and a.drop_last == b.drop_last
        if b.batch_sampler is not None:
            assert len(a.batch_sampler) == len(b.batch_sampler) == len(a)
    a = DataLoader(ours, batch_sampler=[[0, 1]])
    assert a.batch_size is None and a.batch_sampler == [[0, 1]]


def test_iterable_dataset_batches_match_torch():
    from deepgrad.data import ChainDataset, IterableDataset

    def make(base):
        class Stream(base):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter((np.full(2, i, np.float32), i) for i in range(self.n))

        return Stream

    Ours, Theirs = make(IterableDataset), make(tud.IterableDataset)
    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
                   dict(batch_size=4, num_workers=0)):
        got, want = list(DataLoader(Ours(7), **kwargs)), list(tud.DataLoader(Theirs(7), **kwargs))
        assert _pairs(got) == _pairs(want) and type(got[0]) is type(want[0])
    chained = list(DataLoader(Ours(2) + Ours(3), batch_size=2))
    assert _pairs(chained) == _pairs(tud.DataLoader(tud.ChainDataset([Theirs(2), Theirs(3)]), batch_size=2))
    assert len(ChainDataset([range(2), range(3)])) == 5
    with pytest.raises(TypeError, match="IterableDataset without __len__"):
        len(DataLoader(Ours(3)))
    assert repr(DataLoader(Ours(3), batch_size=2)) == ("DataLoader(batch_size=2, shuffle=False, drop_last=False, "
                                                       "num_workers=0)")
    for bad in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        name = next(iter(bad))
        with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected unspecified {name} option"):
            DataLoader(Ours(3), **bad)
        with pytest.raises(ValueError, match=f"DataLoader with IterableDataset: expected unspecified {name} option"):
            tud.DataLoader(Theirs(3), **bad)


def test_torch_import_path():
    import deepgrad.data
    from deepgrad.utils.data import DataLoader as Loader
    from deepgrad.utils.data import WeightedRandomSampler as Weighted

    assert Loader is DataLoader and Weighted is WeightedRandomSampler
    assert set(deepgrad.utils.data.__all__) == set(deepgrad.data.__all__)


def test_worker_info_generic_hints_and_torch_generators():
    import torch

    from deepgrad.data import Dataset, get_worker_info

    class Info(Dataset[tuple]):  # subscripted in type hints, as torch's generic Dataset
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = get_worker_info()
            return -1 if info is None else info.id * 100 + info.num_workers

    assert get_worker_info() is None
    assert DataLoader(Info(), batch_size=2).__iter__().__next__().numpy().tolist() == [-1, -1]
    got = [b.numpy().tolist() for b in DataLoader(Info(), batch_size=2, num_workers=2)]
    assert got == [[2, 2], [102, 102], [2, 2]]  # batches 0, 2 from thread 0; batch 1 from thread 1
    assert Sampler[int] is Sampler
    g = torch.Generator().manual_seed(42)
    a = list(RandomSampler(range(10), generator=g))
    assert a == list(RandomSampler(range(10), generator=torch.Generator().manual_seed(42)))
    assert sorted(a) == list(range(10))
