"""deepgrad.utils.gradcheck / gradgradcheck: they pass correct gradients and catch wrong ones."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.utils import gradcheck, gradgradcheck, numerical_grad
from deepgrad.utils.gradcheck import GradcheckError


def leaf(shape, seed=0):
    return dg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


class WrongSquare(dg.Function):
    """x**2 with a backward that is wrong at one element (index 2)."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        bump = np.zeros(x.shape)
        bump.reshape(-1)[2] = 0.5
        return gy * x * 2.0 + dg.tensor(bump)


class RawCube(dg.Function):
    """x**3 whose backward uses raw arrays: right first derivative, no second derivative."""

    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        (x,) = self.inputs
        return dg.tensor(gy.data * 3.0 * x.data ** 2)


def test_gradcheck_passes_correct_gradients():
    x, w = leaf((3, 4)), leaf((4, 2), seed=1)
    assert gradcheck(lambda x, w: dg.tanh(x @ w) * 2.0, [x, w])
    assert gradcheck(lambda x: x.sum(dim=1), leaf((2, 3)))  # a single tensor is accepted


def test_gradcheck_signature_defaults():
    import inspect

    params = inspect.signature(gradcheck).parameters
    assert params["eps"].default == 1e-6 and params["atol"].default == 1e-5 and params["rtol"].default == 1e-3


def test_gradcheck_names_input_and_worst_element():
    a, b = leaf((2, 3)), leaf((2, 3), seed=1)
    with pytest.raises(GradcheckError, match=r"input 1 .*element \(0, 2\)"):
        gradcheck(lambda a, b: a * WrongSquare()(b), [a, b])
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_can_return_false():
    x = leaf((4,))
    assert gradcheck(lambda x: WrongSquare()(x), [x], raise_exception=False) is False


def test_gradcheck_multiple_outputs_and_non_differentiable_inputs():
    x = leaf((3,))
    idx = dg.tensor([2, 0])
    assert gradcheck(lambda x, i: (x[i] * 2.0, dg.exp(x)), [x, idx])


def test_gradcheck_needs_float64():
    x = dg.randn(3, requires_grad=True)
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda x: x * 2, [x])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda x: x * 2, [dg.tensor([1.0], dtype=dg.float64)])


def test_numerical_grad_on_non_contiguous_input():
    base = np.random.default_rng(0).standard_normal((3, 4))
    x = dg.Tensor(base.T, requires_grad=True)  # a transposed view: not C-contiguous
    assert not x.data.flags.c_contiguous
    (g,) = numerical_grad(lambda x: (x * x).sum(), [x])
    np.testing.assert_allclose(g, 2 * base.T, rtol=1e-6)
    np.testing.assert_array_equal(x.data, base.T)  # restored


def test_gradgradcheck_passes_and_catches_missing_second_derivative():
    x = leaf((4,))
    assert gradgradcheck(lambda x: x ** 3, [x])
    assert gradcheck(lambda x: RawCube()(x), [x])  # first derivative is right ...
    with pytest.raises(GradcheckError, match="gradgradcheck: gradient of input 0"):
        gradgradcheck(lambda x: RawCube()(x), [x])  # ... but it is a dead end for the second
