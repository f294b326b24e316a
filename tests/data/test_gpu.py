"""deepgrad.data on a CUDA GPU (skipped without CuPy and a GPU): batches placed on the device,
transforms run on cupy arrays and agree with numpy."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from deepgrad.data import DataLoader, TensorDataset, transforms

pytestmark = pytest.mark.gpu
cp = cupy_module()
if cp is None:
    pytest.skip("needs CuPy and a CUDA GPU", allow_module_level=True)


def test_loader_places_batches_on_the_gpu():
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    y = np.arange(10, dtype=np.uint8)
    for workers in (0, 2):
        xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4, num_workers=workers, device="cuda")))
        assert xb.device == "cuda:0" and yb.device == "cuda:0" and yb.dtype == np.int64
        np.testing.assert_array_equal(xb.numpy(), x[:4])
    # a dataset already on the GPU is indexed there
    xb, yb = next(iter(DataLoader(TensorDataset(cp.asarray(x), cp.asarray(y)), batch_size=3, shuffle=True)))
    assert xb.device == "cuda:0"


def test_transforms_on_cupy_match_numpy():
    x = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    t = transforms.Compose([transforms.RandomRotation(15), transforms.RandomShift(2),
                            transforms.RandomCrop(28, padding=2), transforms.RandomHorizontalFlip(),
                            transforms.RandomVerticalFlip(), transforms.ToFloat(),
                            transforms.Normalize((0.1307,), (0.3081,))])
    dg.manual_seed(0)
    ref = t(x)
    dg.manual_seed(0)
    out = t(cp.asarray(x))
    assert isinstance(out, cp.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(cp.asnumpy(out), ref, atol=2e-2)  # rounding of bilinear may differ by 1/255
    np.testing.assert_array_equal(cp.asnumpy(transforms.rotate(cp.asarray(x), 90, "nearest")), np.rot90(x, axes=(1, 2)))


def test_samplers_and_unbatched_loading_on_the_gpu():
    from deepgrad.data import RandomSampler, default_collate

    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    ds = TensorDataset(cp.asarray(x), cp.asarray(np.arange(10)))
    for kwargs in ({"batch_size": 3, "sampler": RandomSampler(range(10), generator=0)},
                   {"batch_sampler": [[4, 1], [7]]}, {"batch_size": None, "sampler": [2, 5]}):
        for xb, yb in DataLoader(ds, device="cuda", **kwargs):
            assert xb.device == "cuda:0" and yb.device == "cuda:0"
            np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])
    out = default_collate([cp.ones(2), cp.zeros(2)])
    assert isinstance(out, dg.Tensor) and out.device == "cuda:0" and out.shape == (2, 2)
