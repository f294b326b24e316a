"""default_collate / default_convert and the dataset helpers, with torch.utils.data as the oracle."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

torch = pytest.importorskip("torch")
tud = pytest.importorskip("torch.utils.data")

Point = collections.namedtuple("Point", "x y")


def _np_dtype(t):
    return np.dtype(str(t.dtype).replace("torch.", ""))


def _same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, dg.Tensor), f"{ours!r} is not a Tensor"
        assert ours.dtype == _np_dtype(theirs) and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


@pytest.mark.parametrize("samples", [
    [1, 2, 3],
    [1.0, 2.5],  # Python floats: float64, as torch
    [True, False],
    [np.float32(1), np.float32(2)],
    [np.int32(1), np.int32(2)],  # NumPy scalars keep their dtype
    [np.array(1.5), np.array(2.5)],
    [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    [(1, 2.0), (3, 4.0)],  # tuples become lists
    [[1, 2], [3, 4]],
    [{"a": 1, "b": np.arange(2)}, {"a": 2, "b": np.arange(2)}],
    [Point(1, 2.0), Point(3, 4.0)],  # namedtuples keep their type
    ["x", "y"],
])
def test_default_collate_matches_torch(samples):
    _same(default_collate(samples), tud.default_collate(samples))


@pytest.mark.parametrize("sample", [np.arange(3), np.float32(2), (np.arange(2), 3), {"a": np.ones(2)}, 5, "s",
                                    Point(np.arange(2), 1.5)])
def test_default_convert_matches_torch(sample):
    _same(default_convert(sample), tud.default_convert(sample))


def test_default_collate_of_tensors_and_clear_errors():
    out = default_collate([dg.tensor([1.0, 2.0]), dg.tensor([3.0, 4.0])])
    assert isinstance(out, dg.Tensor) and out.shape == (2, 2)
    with pytest.raises(ValueError, match=r"cannot stack samples of different shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="each element in list of batch should be of equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])


def test_loader_per_sample_batches_match_torch():
    class Rows(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "n": i, "w": i / 2, "p": Point(i, float(i))}

    ours = list(DataLoader(Rows(), batch_size=2))
    theirs = list(tud.DataLoader(Rows(), batch_size=2))
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)


@pytest.mark.filterwarnings("ignore:Length of split at index", "ignore:random_split.*length of split")
def test_random_split_lengths_and_fractions_like_torch():
    with pytest.warns(UserWarning, match="random_split: length of split at index 1 is 0"):
        random_split(range(10), [1.0, 0.0])
    for lengths in ([0.7, 0.3], [1, 0], [0.33, 0.33, 0.34], [3, 7], [0.5, 0.5, 0.0]):
        ours = random_split(range(10), lengths, generator=0)
        theirs = tud.random_split(range(10), lengths)
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s) == list(range(10))
    a = [list(s) for s in random_split(range(10), [5, 5], generator=np.random.default_rng(3))]
    assert a == [list(s) for s in random_split(range(10), [5, 5], generator=np.random.default_rng(3))]
    for bad, match in (([5, 4], "does not equal the length of the input dataset"),
                       ([0.5, 0.6], "must be ints summing to 10 or fractions summing to 1"),
                       ([1.5, -0.5], "fraction at index 0 is not between 0 and 1")):
        with pytest.raises(ValueError, match=match):
            random_split(range(10), bad)
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        tud.random_split(range(10), [1.5, -0.5])


def test_subset_concat_and_tensor_dataset_errors_like_torch():
    s = Subset(list(range(10)), [9, 3, 5])
    assert s[-1] == 5 and len(s) == 3
    arr = Subset(np.arange(10) * 10, [9, 3, 5])
    np.testing.assert_array_equal(arr[[0, 2]], tud.Subset(np.arange(10) * 10, [9, 3, 5])[[0, 2]])
    c, tc = ConcatDataset([range(3), range(10, 12)]), tud.ConcatDataset([range(3), range(10, 12)])
    assert [c[i] for i in range(-5, 5)] == [tc[i] for i in range(-5, 5)]
    with pytest.raises(ValueError, match="absolute value of index -6 should not exceed dataset length 5"):
        c[-6]
    with pytest.raises(IndexError, match="ConcatDataset: absolute value of index -6"):
        c[-6]
    with pytest.raises(IndexError, match="index 5 out of range for 5 samples"):
        c[5]
    with pytest.raises(AssertionError, match="size mismatch between tensors"):  # torch asserts
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        tud.TensorDataset(torch.zeros(3), torch.zeros(4))
