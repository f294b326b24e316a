"""deepgrad.detect_anomaly(): names the op whose forward or backward first made NaN/inf."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import autograd


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_forward_nan_names_the_op():
    x = dg.tensor([-1.0, 2.0], requires_grad=True)
    with dg.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Log\.forward produced NaN or inf"):
        dg.log(x)


def test_forward_nan_later_in_a_graph_names_the_first_bad_op():
    x = dg.tensor([0.5, -3.0], requires_grad=True)
    with dg.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Log\.forward") as info:
        y = dg.exp(x) * 2 - 1  # fine: no NaN yet
        dg.log(y).sum()  # log(2e^-3 - 1) < 0: NaN here
    assert "Exp" not in str(info.value) and "Mul" not in str(info.value)


def test_backward_inf_names_the_op():
    x = dg.tensor([0.0, 4.0], requires_grad=True)
    with dg.detect_anomaly():
        y = dg.sqrt(x).sum()  # forward is finite: sqrt(0) = 0
        with pytest.raises(FloatingPointError, match=r"Sqrt\.backward"):
            y.backward()  # d sqrt / dx = 1 / (2 sqrt(0)) = inf


def test_off_by_default():
    assert autograd._anomaly is False
    x = dg.tensor([-1.0], requires_grad=True)
    y = dg.log(x)
    assert np.isnan(y.numpy()).all()
    z = dg.tensor([0.0], requires_grad=True)
    dg.sqrt(z).sum().backward()
    assert np.isinf(z.grad.numpy()).all()


def test_nestable_and_restored_after_errors():
    with dg.detect_anomaly():
        with dg.detect_anomaly():
            pass
        with pytest.raises(FloatingPointError):  # still on after the inner block
            dg.log(dg.tensor([-1.0]))
        with pytest.raises(FloatingPointError):
            with dg.detect_anomaly():
                dg.log(dg.tensor([-2.0]))
        assert autograd._anomaly is True
    assert autograd._anomaly is False
    dg.log(dg.tensor([-1.0]))  # no error once every block has ended


def test_finite_graph_unaffected():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with dg.detect_anomaly():
        (dg.log(x) * dg.sqrt(x)).sum().backward()
    expected = 1 / np.array([1.0, 2.0]) * np.sqrt([1.0, 2.0]) + np.log([1.0, 2.0]) / (2 * np.sqrt([1.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
