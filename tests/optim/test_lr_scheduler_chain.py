"""SequentialLR, ChainedScheduler, resuming (state_dict, last_epoch) and fractional epochs vs PyTorch 2.13."""
from __future__ import annotations

import numpy as np
import pytest

from deepgrad import optim
from deepgrad.optim import lr_scheduler
from tests.optim.test_lr_scheduler import _assert_close, _momenta, _pair

STEPS = 60

# (outer, outer kwargs, [(inner, kwargs), ...])
COMPOSITES = [
    ("SequentialLR", dict(milestones=[5]),
     [("LinearLR", dict(start_factor=0.1, total_iters=5)), ("ExponentialLR", dict(gamma=0.9))]),
    ("SequentialLR", dict(milestones=[3, 12]),
     [("ConstantLR", dict(factor=0.1, total_iters=3)), ("StepLR", dict(step_size=4)),
      ("CosineAnnealingLR", dict(T_max=20))]),
    ("SequentialLR", dict(milestones=[10]),
     [("LinearLR", dict(start_factor=0.01, total_iters=10)), ("CosineAnnealingWarmRestarts", dict(T_0=7))]),
    ("ChainedScheduler", dict(), [("ConstantLR", dict(factor=0.1, total_iters=3)), ("ExponentialLR", dict(gamma=0.9))]),
    ("ChainedScheduler", dict(),
     [("LinearLR", dict(start_factor=0.2, total_iters=6)), ("MultiStepLR", dict(milestones=[10, 20])),
      ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.99))]),
]


def _build(lib, opt, case):
    outer, kwargs, inner = case
    scheds = [getattr(lib, name)(opt, **kw) for name, kw in inner]
    if outer == "ChainedScheduler":
        return lib.ChainedScheduler(scheds)
    return getattr(lib, outer)(opt, scheds, **kwargs)


@pytest.mark.parametrize("case", COMPOSITES, ids=lambda c: c[0] + "+" + "+".join(n for n, _ in c[2]))
def test_composite_matches_torch(case):
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _pair("SGD", dict(momentum=0.9))
    ours = _build(lr_scheduler, ours_opt, case)
    ref = _build(torch.optim.lr_scheduler, ref_opt, case)
    _assert_close(ours.get_last_lr(), ref.get_last_lr(), "initial lr")
    for step in range(STEPS):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        _assert_close(ours.get_last_lr(), ref.get_last_lr(), f"step {step}")
        _assert_close([g["lr"] for g in ours_opt.param_groups], [g["lr"] for g in ref_opt.param_groups], "lr")


RESUMABLE = [
    ("StepLR", dict(step_size=4), {}),
    ("CosineAnnealingLR", dict(T_max=15, eta_min=0.01), {}),
    ("PolynomialLR", dict(total_iters=20, power=1.5), {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2), {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=40), dict(momentum=0.9)),
]


@pytest.mark.parametrize("case", RESUMABLE, ids=lambda c: c[0])
def test_state_dict_round_trip_mid_training_continues_identically(case):
    name, kwargs, opt_kwargs = case
    ref_opt, _ = _pair("SGD", opt_kwargs)
    ref = getattr(lr_scheduler, name)(ref_opt, **kwargs)
    for _ in range(9):
        ref_opt.step()
        ref.step()
    opt_state, sched_state = ref_opt.state_dict(), ref.state_dict()
    assert "optimizer" not in sched_state
    new_opt, _ = _pair("SGD", opt_kwargs)
    new = getattr(lr_scheduler, name)(new_opt, **kwargs)  # built first (it rewrites the lrs), then loaded
    new_opt.load_state_dict(opt_state)
    new.load_state_dict(sched_state)
    for step in range(25):
        for o, s in ((ref_opt, ref), (new_opt, new)):
            o.step()
            s.step()
        assert new.get_last_lr() == ref.get_last_lr(), f"step {step}"
        assert _momenta(new_opt) == _momenta(ref_opt)


def test_sequential_state_dict_restores_the_inner_schedulers():
    opt, _ = _pair("SGD", {})
    inner = [lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4), lr_scheduler.ExponentialLR(opt, gamma=0.8)]
    sched = lr_scheduler.SequentialLR(opt, inner, milestones=[4])
    for _ in range(6):
        sched.step()
    state = sched.state_dict()
    assert [s["last_epoch"] for s in state["_schedulers"]] == [3, 2]
    opt2, _ = _pair("SGD", {})
    inner2 = [lr_scheduler.LinearLR(opt2, start_factor=0.1, total_iters=4), lr_scheduler.ExponentialLR(opt2, gamma=0.8)]
    sched2 = lr_scheduler.SequentialLR(opt2, inner2, milestones=[4])
    opt2.load_state_dict(opt.state_dict())  # after building the schedulers, as PyTorch's docs say
    sched2.load_state_dict(state)
    for _ in range(5):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_resume_with_last_epoch_matches_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs in [("PolynomialLR", dict(total_iters=20)), ("ConstantLR", dict(factor=0.5, total_iters=8)),
                         ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=2))]:
        ours_opt, ref_opt = _pair("SGD", {})
        for g in ours_opt.param_groups + ref_opt.param_groups:
            g["initial_lr"] = g["lr"]
        ours = getattr(lr_scheduler, name)(ours_opt, last_epoch=6, **kwargs)
        ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, last_epoch=6, **kwargs)
        for step in range(20):
            _assert_close(ours.get_last_lr(), ref.get_last_lr(), f"{name} step {step}")
            ours.step()
            ref.step()


def test_warm_restarts_fractional_epochs_match_torch():
    torch = pytest.importorskip("torch")
    ours_opt, ref_opt = _pair("SGD", {})
    ours = lr_scheduler.CosineAnnealingWarmRestarts(ours_opt, T_0=3, T_mult=2, eta_min=1e-4)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ref_opt, T_0=3, T_mult=2, eta_min=1e-4)
    for epoch in np.arange(0, 20, 0.25).tolist():
        ours.step(epoch)
        ref.step(epoch)
        _assert_close(ours.get_last_lr(), ref.get_last_lr(), f"epoch {epoch}")
        assert ours.last_epoch == ref.last_epoch


def test_closed_form_jumps_match_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs in [("ConstantLR", dict(factor=0.25, total_iters=4)), ("PolynomialLR", dict(total_iters=10))]:
        ours_opt, ref_opt = _pair("SGD", {})
        ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
        ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs)
        for epoch in (3, 7, 2, 12):
            ours.step(epoch)
            ref.step(epoch)
            _assert_close(ours.get_last_lr(), ref.get_last_lr(), f"{name} epoch {epoch}")


def test_new_scheduler_errors():
    opt, _ = _pair("SGD", {})
    other, _ = _pair("SGD", {})
    with pytest.raises(ValueError, match="ConstantLR: Constant multiplicative factor"):
        lr_scheduler.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="positive integer T_0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult >= 1"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=0)
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.CyclicLR(optim.Adagrad(opt.param_groups[0]["params"]), base_lr=0.01, max_lr=0.1)
    with pytest.raises(ValueError, match="mode must be"):
        lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="square")
    with pytest.raises(ValueError, match="one value per parameter group"):
        lr_scheduler.CyclicLR(opt, base_lr=[0.1, 0.2, 0.3], max_lr=1.0)
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        lr_scheduler.MultiplicativeLR(opt, lr_lambda=0.9)
    a = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="number of milestones"):
        lr_scheduler.SequentialLR(opt, [a, lr_scheduler.ExponentialLR(opt, gamma=0.9)], milestones=[2, 4])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(opt, [a, lr_scheduler.StepLR(other, step_size=2)], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lr_scheduler.ChainedScheduler([a, lr_scheduler.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.ChainedScheduler([])


def test_custom_scheduler_subclassing_the_old_name():
    class Halve(lr_scheduler._LRScheduler):  # PyTorch's pre-2.0 base name
        def get_lr(self):
            return [b * 0.5**self.last_epoch for b in self.base_lrs]

    opt, _ = _pair("SGD", {})
    sched = Halve(opt)
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == [0.1 / 8, 0.05 / 8]
