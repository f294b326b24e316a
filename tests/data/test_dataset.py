"""Dataset, TensorDataset, Subset, ConcatDataset, random_split."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split


def test_tensor_dataset_arrays_and_tensors():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, [6, 7]) and yi == 3
    xb, yb = ds.__getitems__([1, 5, 9])
    np.testing.assert_array_equal(yb, [1, 5, 9])
    np.testing.assert_array_equal(xb, x[[1, 5, 9]])
    tds = TensorDataset(dg.Tensor(x), dg.Tensor(y))
    a, b = tds[2]
    assert isinstance(a, dg.Tensor) and a.shape == (2,) and int(b.item()) == 2
    assert tds.arrays[0] is x  # no copy


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"same first dimension.*\(3, 2\).*\(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float32(1))


def test_subset_concat_and_add():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [9, 0, 4])
    assert len(sub) == 3 and sub[0][0] == 9 and hasattr(sub, "__getitems__")
    np.testing.assert_array_equal(sub.__getitems__([2, 0])[0], [4, 9])
    with pytest.raises(IndexError, match="10 samples"):
        Subset(ds, [10])

    class Squares(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return i * i

    cat = Squares() + Squares()
    assert isinstance(cat, ConcatDataset) and len(cat) == 6
    assert [cat[i] for i in range(6)] == [0, 1, 4, 0, 1, 4] and cat[-1] == 4
    with pytest.raises(IndexError):
        cat[6]
    assert not hasattr(Subset(Squares(), [0]), "__getitems__")


def test_random_split_is_a_seeded_partition():
    ds = TensorDataset(np.arange(100))
    dg.manual_seed(0)
    a, b, c = random_split(ds, [50, 30, 20])
    got = np.concatenate([a.indices, b.indices, c.indices])
    assert sorted(got.tolist()) == list(range(100)) and len(b) == 30
    dg.manual_seed(0)
    a2, _, _ = random_split(ds, [50, 30, 20])
    np.testing.assert_array_equal(a.indices, a2.indices)
    parts = random_split(TensorDataset(np.arange(10)), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    with pytest.raises(ValueError, match="does not equal the length of the input dataset \\(100\\)"):
        random_split(ds, [50, 40])
