"""Every optimizer, several option sets: 20 steps in deepgrad and in PyTorch 2.13 give the same weights.

Run as a module (``python -m tests.optim.test_optimizers_vs_torch``) to print the table of
maximum relative differences.
"""
from __future__ import annotations

import numpy as np
import pytest

from deepgrad import optim
from tests.optim._model import fixed_grads, max_rel_diff, replay_dg, replay_torch, train_dg, train_torch

# (name, kwargs, overrides for the second parameter group or None for a single group)
CASES = [
    ("SGD", dict(lr=0.1), None),
    ("SGD", dict(lr=0.1), dict(lr=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01), dict(weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True), None),
    ("Adagrad", dict(lr=0.1), dict(lr=0.05)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1), dict(lr=0.2)),
    ("Adagrad", dict(lr=0.05, maximize=True), None),
    ("RMSprop", dict(lr=0.01), dict(lr=0.005)),
    ("RMSprop", dict(lr=0.01, centered=True), dict(lr=0.005)),
    ("RMSprop", dict(lr=0.01, momentum=0.9), dict(lr=0.005)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.01), dict(weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, maximize=True), None),
    ("Adam", dict(lr=0.01), dict(lr=0.005)),
    ("Adam", dict(lr=0.01, amsgrad=True), dict(lr=0.005)),
    ("Adam", dict(lr=0.01, weight_decay=0.01), dict(weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, amsgrad=True), dict(lr=0.02)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), None),
    ("Adam", dict(lr=0.01, maximize=True), None),
    ("AdamW", dict(lr=0.01), dict(lr=0.005)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True), dict(weight_decay=0.0)),
    ("AdamW", dict(lr=0.01, maximize=True), None),
    ("Adadelta", dict(), dict(lr=0.5)),
    ("Adadelta", dict(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.01), dict(weight_decay=0.1)),
    ("Adadelta", dict(maximize=True), None),
    ("Adamax", dict(lr=0.01), dict(lr=0.005)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01), dict(weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True), None),
    ("NAdam", dict(lr=0.01), dict(lr=0.005)),
    ("NAdam", dict(lr=0.01, weight_decay=0.01, momentum_decay=0.01), dict(weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), None),
    ("NAdam", dict(lr=0.01, maximize=True), None),
    ("RAdam", dict(lr=0.01), dict(lr=0.005)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.01), dict(weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), None),
    ("RAdam", dict(lr=0.01, maximize=True), None),
    ("Rprop", dict(lr=0.01), dict(lr=0.005)),
    ("Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-4, 0.05)), dict(etas=(0.5, 1.1))),
    ("Rprop", dict(lr=0.01, maximize=True), None),
]


def _id(case):
    name, kwargs, second = case
    opts = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({opts})" + (f"+group2{second}" if second else "")


def compare(case, steps=20):
    """Max relative difference over all parameters after ``steps`` steps, and the deepgrad params."""
    import torch

    name, kwargs, second = case
    ours, _ = train_dg(getattr(optim, name), kwargs, second, steps)
    ref, _ = train_torch(getattr(torch.optim, name), kwargs, second, steps)
    diffs = [max_rel_diff(p.data, r.detach().numpy()) for p, r in zip(ours, ref)]
    return max(diffs), ours, ref


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_torch_after_20_steps(case):
    pytest.importorskip("torch")
    diff, ours, ref = compare(case)
    for p, r in zip(ours, ref):
        assert p.data.dtype == np.float32
        moved = np.max(np.abs(r.detach().numpy() - p.data))  # sanity: the run really trained
        assert np.isfinite(moved)
    assert diff < 1e-4, f"{_id(case)}: max relative difference {diff:.3g}"


def compare_update_rule(case, steps=20):
    """Max relative difference when both optimizers see the same gradients (the update rule alone)."""
    import torch

    name, kwargs, second = case
    grads = fixed_grads(steps)
    ours = replay_dg(getattr(optim, name), kwargs, second, grads)
    ref = replay_torch(getattr(torch.optim, name), kwargs, second, grads)
    # random unit gradients move some entries across zero: compare those below 0.01 absolutely (1e-6)
    return max(max_rel_diff(p.data, r.detach().numpy(), floor=1e-2) for p, r in zip(ours, ref))


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_update_rule_matches_torch_on_the_same_gradients(case):
    pytest.importorskip("torch")
    diff = compare_update_rule(case)
    assert diff < 1e-4, f"{_id(case)}: max relative difference {diff:.3g} with identical gradients"


def test_every_optimizer_is_covered():
    assert {name for name, _, _ in CASES} == {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta",
                                             "Adamax", "NAdam", "RAdam", "Rprop"}


if __name__ == "__main__":
    print("| optimizer | options | group 2 | max rel diff, MLP 20 steps | max rel diff, same grads 20 steps |")
    print("|---|---|---|---|---|")
    for case in CASES:
        name, kwargs, second = case
        diff, rule = compare(case)[0], compare_update_rule(case)
        opts = ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"
        print(f"| {name} | {opts} | {second or '-'} | {diff:.2e} | {rule:.2e} |")
