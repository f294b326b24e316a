"""Division by zero as torch on the CPU: integer divisors of 0 raise, float ones give inf/nan quietly."""
import warnings

import numpy as np
import pytest
import torch

import deepgrad as dg

OPS = [("floor_divide", lambda a, b: a // b), ("remainder", lambda a, b: a % b), ("fmod", dg.fmod),
       ("floor_divide", lambda a, b: dg.div(a, b, rounding_mode="floor")),
       ("div", lambda a, b: dg.div(a, b, rounding_mode="trunc"))]
TORCH = [lambda a, b: a // b, lambda a, b: a % b, torch.fmod, lambda a, b: torch.div(a, b, rounding_mode="floor"),
         lambda a, b: torch.div(a, b, rounding_mode="trunc")]


@pytest.mark.parametrize("k", range(len(OPS)))
def test_integer_division_by_zero_raises_as_torch(k):
    name, op = OPS[k]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        TORCH[k](torch.tensor([1, 2]), torch.tensor([1, 0]))
    with pytest.raises(RuntimeError, match=rf"{name}: integer division by zero \(ZeroDivisionError\)"):
        op(dg.tensor([1, 2]), dg.tensor([1, 0]))
    with pytest.raises(ZeroDivisionError):
        op(dg.tensor([1, 2]), 0)


@pytest.mark.parametrize("k", range(len(OPS)))
def test_float_division_by_zero_is_quiet_and_equal_to_torch(k):
    a, b = np.array([1.5, -2.0, 0.0, 3.0], np.float32), np.array([0.0, 0.0, 0.0, 2.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = OPS[k][1](dg.tensor(a), dg.tensor(b)).numpy()
    np.testing.assert_array_equal(got, TORCH[k](torch.tensor(a), torch.tensor(b)).numpy())
    ints = OPS[k][1](dg.tensor([7, -7]), dg.tensor([2, 2])).numpy()
    np.testing.assert_array_equal(ints, TORCH[k](torch.tensor([7, -7]), torch.tensor([2, 2])).numpy())
