"""The lectures' points, measured by the teaching examples: vanishing gradients with sigmoid
(ReLU as the remedy, INDEX row 17) on real MNIST, and universality (row 6)."""
from __future__ import annotations

import contextlib
import importlib.util
import os

import pytest

_EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(_EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _one_blas_thread():
    """Small matmuls run faster (and give the same bits every run) on one BLAS thread, above all on
    a loaded machine; threadpoolctl is optional."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


def test_sigmoid_gradients_vanish_relu_gradients_do_not():
    from deepgrad.data.datasets import DownloadError

    vg = _example("vanishing_gradient")
    try:
        data = vg.mnist_subset(2000, n_test=1000)
    except DownloadError as e:
        pytest.skip(f"MNIST not available: {e}")
    with _one_blas_thread():
        sig = vg.run("sigmoid", depth=10, steps=150, data=data)
        relu = vg.run("relu", depth=10, steps=150, data=data)
    # sigmoid: the first layer's |dL/dW| is orders of magnitude below the last layer's, at init and after training
    assert vg.ratio(sig["init"]) < 1e-4 and vg.ratio(sig["trained"]) < 1e-3
    # and it shrinks layer after layer towards the input
    norms = list(sig["init"].values())
    assert all(a < b for a, b in zip(norms, norms[1:]))
    # ReLU: within an order of magnitude
    assert 0.1 < vg.ratio(relu["init"]) < 10
    # so the ReLU network learns and the sigmoid one barely does
    assert relu["accuracy"] > 0.6 and sig["accuracy"] < 0.3
    assert sig["init_stats"]["1"]["saturated"] is not None and relu["init_stats"]["1"]["dead"] is not None
    assert "|dL/dW|" in sig["init_report"]


def test_universality_mse_falls_as_the_hidden_layer_grows():
    un = _example("universality")
    results = un.table(steps=500)
    for f in un.FUNCTIONS:
        mse = [results[(f, w)][0] for w in un.WIDTHS]
        assert mse[0] > mse[1] > mse[2], (f, mse)
    assert results[("sine", 12)][0] < 1e-3  # 12 neurons fit the sine closely


def test_examples_main_print_their_tables(capsys, tmp_path):
    un = _example("universality")
    un.main(["--steps", "20"])
    out = capsys.readouterr().out
    assert "N=3" in out and "N=12" in out and out.count("e-") + out.count("e+") == 9
