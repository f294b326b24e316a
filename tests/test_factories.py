"""Factories: dtypes (float32 unless asked), shapes, values against PyTorch, and seeding."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import deepgrad as dg


@pytest.mark.parametrize("name", ["zeros", "ones", "rand", "randn", "empty"])
def test_shape_factories_default_float32_and_float64_on_request(name):
    f = getattr(dg, name)
    for x in (f(2, 3), f((2, 3)), f([2, 3])):
        assert x.shape == (2, 3) and x.dtype == np.float32
    assert f(4, dtype=dg.float64).dtype == np.float64
    assert f(4, dtype="float64").dtype == np.float64
    assert f(4, dtype=np.float64).dtype == np.float64
    x = f(3, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_zeros_ones_full_eye_values_match_torch():
    np.testing.assert_array_equal(dg.zeros(2, 3).numpy(), torch.zeros(2, 3).numpy())
    np.testing.assert_array_equal(dg.ones(4).numpy(), torch.ones(4).numpy())
    f = dg.full((2, 2), 1.5)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f.numpy(), torch.full((2, 2), 1.5).numpy())
    assert dg.full((3,), 7).dtype == np.int64 == torch.full((3,), 7).numpy().dtype
    assert dg.full((3,), True).dtype == np.bool_
    e = dg.eye(3)
    assert e.dtype == np.float32
    np.testing.assert_array_equal(e.numpy(), torch.eye(3).numpy())
    np.testing.assert_array_equal(dg.eye(2, 3).numpy(), torch.eye(2, 3).numpy())


def test_arange_linspace_match_torch():
    for args in [(5,), (2, 9), (1, 10, 3), (0, 1, 0.25), (0.5, 3.0)]:
        a, t = dg.arange(*args), torch.arange(*args)
        assert a.dtype == t.numpy().dtype, args  # int64 for integers, float32 otherwise
        np.testing.assert_allclose(a.numpy(), t.numpy())
    assert dg.arange(3, dtype=dg.float64).dtype == np.float64
    ls, tls = dg.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)
    assert ls.dtype == np.float32
    np.testing.assert_allclose(ls.numpy(), tls.numpy())


def test_tensor_dtype_inference_like_torch():
    cases = [1.5, [1.0, 2.0], [1, 2], True, [[1, 2], [3, 4]], 3, [1.0, 2]]
    for data in cases:
        assert dg.tensor(data).dtype == torch.tensor(data).numpy().dtype, data
    assert dg.tensor(np.array([1.0, 2.0])).dtype == np.float64  # a numpy array keeps its dtype
    assert dg.tensor([1, 2], dtype=dg.float64).dtype == np.float64
    assert dg.tensor(np.float32(2.0)).dtype == np.float32


def test_tensor_copies_from_numpy_shares():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = dg.tensor(a)
    a[0] = 9.0
    assert t.numpy()[0] == 1.0
    s = dg.from_numpy(a)
    a[1] = 8.0
    assert s.numpy()[1] == 8.0 and s.dtype == np.float32
    assert dg.from_numpy(np.arange(3)).dtype == np.int64
    with pytest.raises(TypeError, match="from_numpy"):
        dg.from_numpy([1, 2])


def test_tensor_of_tensor_and_requires_grad():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = dg.tensor(x)
    assert not y.requires_grad and not np.shares_memory(x.data, y.data)
    assert dg.tensor(1.0, requires_grad=True).requires_grad


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "rand_like", "randn_like"])
def test_like_factories_keep_shape_and_dtype(name):
    f = getattr(dg, name)
    x = dg.zeros(2, 3, dtype=dg.float64)
    y = f(x)
    assert y.shape == (2, 3) and y.dtype == np.float64
    assert f(x, dtype=dg.float32).dtype == np.float32
    if name == "zeros_like":
        np.testing.assert_array_equal(y.numpy(), 0)
    if name == "ones_like":
        np.testing.assert_array_equal(y.numpy(), 1)
    assert dg.full_like(x, 2.5).numpy().tolist() == [[2.5] * 3] * 2


def test_rand_ranges():
    dg.manual_seed(0)
    u = dg.rand(10000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = dg.randn(10000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05
    assert dg.rand(3, dtype=dg.float16).dtype == np.float16


def test_randint_signatures_like_torch():
    dg.manual_seed(0)
    a = dg.randint(10, (1000,))  # torch.randint(high, size)
    assert a.dtype == np.int64 and a.shape == (1000,)
    assert a.numpy().min() >= 0 and a.numpy().max() <= 9
    b = dg.randint(3, 6, (4, 5))  # torch.randint(low, high, size)
    assert b.shape == (4, 5) and set(np.unique(b.numpy())) <= {3, 4, 5}
    c = dg.randint(0, 4, size=(7,))
    assert c.shape == (7,)
    assert dg.randint(5, (2,), dtype=dg.int32).dtype == np.int32
    with pytest.raises(ValueError, match="low < high"):
        dg.randint(5, 5, (2,))


def test_randperm():
    dg.manual_seed(0)
    p = dg.randperm(50)
    assert p.dtype == np.int64
    assert sorted(p.tolist()) == list(range(50))


@pytest.mark.parametrize("make", [
    lambda: dg.rand(3, 4),
    lambda: dg.randn(5),
    lambda: dg.randint(0, 100, (6,)),
    lambda: dg.randperm(20),
    lambda: dg.randn(2, 2, dtype=dg.float64),
], ids=["rand", "randn", "randint", "randperm", "randn64"])
def test_manual_seed_reproducibility(make):
    dg.manual_seed(1234)
    first = [make().numpy() for _ in range(3)]
    dg.manual_seed(1234)
    second = [make().numpy() for _ in range(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # the stream moves on
    dg.manual_seed(4321)
    assert not np.array_equal(make().numpy(), first[0])


def test_one_generator_for_every_random_op():
    """rand, randn, randint and randperm draw from the same stream, so their order matters."""
    dg.manual_seed(7)
    a1, b1 = dg.rand(4).numpy(), dg.randn(4).numpy()
    dg.manual_seed(7)
    b2 = dg.randn(4).numpy()
    assert not np.array_equal(b1, b2)  # randn came after rand the first time
    dg.manual_seed(7)
    np.testing.assert_array_equal(dg.rand(4).numpy(), a1)
    np.testing.assert_array_equal(dg.randn(4).numpy(), b1)


def test_rng_state_round_trip():
    import json

    dg.manual_seed(3)
    dg.rand(2)
    state = json.loads(json.dumps(dg.get_rng_state()))  # JSON-safe
    a = dg.randn(5).numpy()
    dg.set_rng_state(state)
    np.testing.assert_array_equal(dg.randn(5).numpy(), a)


def test_default_dtype_switch():
    assert dg.get_default_dtype() == np.float32
    dg.set_default_dtype(dg.float64)
    try:
        assert dg.zeros(2).dtype == np.float64
        assert dg.tensor([1.5]).dtype == np.float64
        assert dg.randn(2).dtype == np.float64
    finally:
        dg.set_default_dtype(dg.float32)
    with pytest.raises(TypeError, match="floating"):
        dg.set_default_dtype(dg.int64)


def test_device_argument_cpu():
    x = dg.zeros(2, device="cpu")
    assert x.device == dg.device("cpu")
    with pytest.raises(ValueError, match="device"):
        dg.zeros(2, device="tpu")


def test_tensor_infers_dtype_as_pytorch():
    import torch

    cases = [np.float64(1.7), np.float32(1.7), 1.7, [np.float64(1.7)], [1.0, np.float64(2.0)], [[1.0], [2.0]],
             np.array([1.0]), (1, 2.5), [np.float32(1.0), 2.0], 3, [True, False], np.int16(4)]
    for data in cases:
        want = str(torch.tensor(data).dtype).replace("torch.", "")
        assert str(dg.tensor(data).dtype) == want, (data, dg.tensor(data).dtype, want)
