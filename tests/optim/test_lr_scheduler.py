"""Every learning-rate schedule: the lr sequence over 50 steps equals PyTorch 2.13's."""
from __future__ import annotations

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optim
from deepgrad.optim import lr_scheduler

STEPS = 50


def _scale(epoch):
    return 0.95**epoch


def _warm(epoch):
    return min(1.0, (epoch + 1) / 10)


# (scheduler name, kwargs, optimizer name, optimizer kwargs)
CASES = [
    ("LambdaLR", dict(lr_lambda=_scale), "SGD", {}),
    ("LambdaLR", dict(lr_lambda=[_scale, _warm]), "SGD", {}),
    ("StepLR", dict(step_size=7), "SGD", {}),
    ("StepLR", dict(step_size=5, gamma=0.5), "Adam", {}),
    ("MultiStepLR", dict(milestones=[5, 15, 15, 30], gamma=0.3), "SGD", {}),
    ("ExponentialLR", dict(gamma=0.93), "SGD", {}),
    ("CosineAnnealingLR", dict(T_max=50), "SGD", {}),
    ("CosineAnnealingLR", dict(T_max=12, eta_min=0.001), "SGD", {}),
    ("LinearLR", dict(), "SGD", {}),
    ("LinearLR", dict(start_factor=0.1, total_iters=10), "SGD", {}),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.1, total_iters=20), "Adam", {}),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS), "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=[1.0, 0.3], total_steps=STEPS, anneal_strategy="linear"), "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.01, epochs=5, steps_per_epoch=10, three_phase=True, div_factor=10.0,
                        final_div_factor=100.0, pct_start=0.25), "Adam", {}),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=60, cycle_momentum=False), "SGD", {}),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=STEPS, base_momentum=[0.8, 0.7], max_momentum=0.9),
     "AdamW", {}),
    ("MultiplicativeLR", dict(lr_lambda=_scale), "SGD", {}),
    ("MultiplicativeLR", dict(lr_lambda=[_scale, _warm]), "Adam", {}),
    ("ConstantLR", dict(), "SGD", {}),
    ("ConstantLR", dict(factor=0.5, total_iters=8), "Adam", {}),
    ("PolynomialLR", dict(), "SGD", {}),
    ("PolynomialLR", dict(total_iters=30, power=2.0), "SGD", {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=10), "SGD", {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001), "Adam", {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5), "SGD", dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, step_size_down=7, mode="triangular2"),
     "SGD", dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=0.001, max_lr=[0.1, 0.05], step_size_up=6, mode="exp_range", gamma=0.97), "Adam", {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=_scale, scale_mode="iterations",
                      cycle_momentum=False), "SGD", {}),
]


def _pair(opt_name, opt_kwargs):
    """The same two-group optimizer in deepgrad and in PyTorch (lr 0.1 and 0.05)."""
    import torch

    a, b = (dg.Tensor(np.zeros(3, np.float32), requires_grad=True) for _ in range(2))
    ta, tb = (torch.zeros(3, requires_grad=True) for _ in range(2))
    ours = getattr(optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **opt_kwargs)
    ref = getattr(torch.optim, opt_name)([{"params": [ta]}, {"params": [tb], "lr": 0.05}], lr=0.1, **opt_kwargs)
    return ours, ref


def _momenta(opt):
    key = "betas" if "betas" in opt.defaults else "momentum"
    return [g[key][0] if key == "betas" else g[key] for g in opt.param_groups]


def _assert_close(ours, ref, what):
    for x, y in zip(ours, ref):
        assert abs(x - y) <= 1e-7 * max(abs(y), 1e-12), f"{what}: {ours} != {ref}"


def _id(case):
    def show(v):
        if callable(v):
            return v.__name__
        if isinstance(v, list):
            return "[" + ",".join(show(x) for x in v) + "]"
        return str(v)

    return f"{case[0]}({','.join(f'{k}={show(v)}' for k, v in case[1].items())})-{case[2]}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_lr_sequence_matches_torch(case):
    torch = pytest.importorskip("torch")
    name, kwargs, opt_name, opt_kwargs = case
    ours_opt, ref_opt = _pair(opt_name, opt_kwargs)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs)
    _assert_close(ours.get_last_lr(), ref.get_last_lr(), "initial lr")
    seen = set()
    for step in range(STEPS):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        _assert_close(ours.get_last_lr(), ref.get_last_lr(), f"step {step}")
        _assert_close([g["lr"] for g in ours_opt.param_groups], [g["lr"] for g in ref_opt.param_groups], "lr")
        if name in ("OneCycleLR", "CyclicLR"):
            _assert_close(_momenta(ours_opt), _momenta(ref_opt), f"momentum at step {step}")
        seen.add(round(ours.get_last_lr()[0], 12))
    assert len(seen) > 1  # the schedule really changed the lr
    for g in ours_opt.param_groups:
        assert "initial_lr" in g


PLATEAU = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(mode="max", patience=1, factor=0.5, threshold=0.05),
    dict(patience=0, threshold_mode="abs", threshold=0.01, cooldown=3, factor=0.7),
    dict(patience=1, factor=0.2, min_lr=[0.01, 0.002]),
    dict(patience=1, factor=0.5, min_lr=0.02, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    # a metric that improves, plateaus, wiggles and improves again
    metrics = np.concatenate([np.linspace(1.0, 0.5, 10), np.full(10, 0.5), 0.5 + 0.01 * rng.standard_normal(15),
                              np.linspace(0.5, 0.3, 5), np.full(10, 0.3)]).tolist()
    assert len(metrics) == STEPS
    ours_opt, ref_opt = _pair("SGD", dict(momentum=0.9))
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, **kwargs)
    lrs = []
    for m in metrics:
        ours_opt.step()
        ref_opt.step()
        ours.step(dg.Tensor(np.array(m)) if len(lrs) % 2 else m)  # a one-element Tensor works as the metric too
        ref.step(m)
        _assert_close(ours.get_last_lr(), ref.get_last_lr(), f"epoch {len(lrs)}")
        lrs.append(ours.get_last_lr()[0])
    assert ours.num_bad_epochs == ref.num_bad_epochs and ours.best == ref.best


def test_inverse_sqrt_lr_is_the_lectures_1_over_t_decay():
    p = dg.Tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = optim.SGD([{"params": [p]}], lr=0.3)
    sched = lr_scheduler.InverseSqrtLR(opt)
    assert sched.get_last_lr() == [0.3]
    for t in range(1, STEPS + 1):
        opt.step()
        sched.step()
        assert abs(sched.get_last_lr()[0] - 0.3 / math.sqrt(t + 1)) < 1e-15
        assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0]
    sched.step(epoch=3)  # jump: the closed form
    assert abs(opt.param_groups[0]["lr"] - 0.3 / 2.0) < 1e-15


def test_scheduler_state_dict_round_trip():
    p = dg.Tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    q = dg.Tensor(np.zeros(2, np.float32), requires_grad=True)
    opt2 = optim.SGD([q], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    sched2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(state)
    for _ in range(5):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_lambda_lr_state_dict_skips_functions():
    p = dg.Tensor(np.zeros(2, np.float32), requires_grad=True)
    sched = lr_scheduler.LambdaLR(optim.SGD([p], lr=0.1), lr_lambda=lambda e: 0.5**e)
    assert sched.state_dict()["lr_lambdas"] == [None]


def test_scheduler_errors():
    p = dg.Tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=3)
    with pytest.raises(ValueError, match="total_steps"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="momentum or betas"):
        lr_scheduler.OneCycleLR(optim.Adagrad([p]), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="one value per parameter group"):
        lr_scheduler.LambdaLR(opt, lr_lambda=[_scale, _warm])
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()
