"""Optimizer argument checks raise PyTorch's ValueErrors (same words), and add_param_group mid-training."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optim

BAD = [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("Adam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("AdamW", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    ("RMSprop", dict(alpha=-1), "Invalid alpha value: -1"),
    ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adamax", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(lr=-1), "Invalid learning rate: -1"),
    ("RAdam", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("Rprop", dict(lr=-1), "Invalid learning rate: -1"),
    ("Rprop", dict(etas=(1.2, 0.5)), "Invalid eta values: 1.2, 0.5"),
]


@pytest.mark.parametrize("name,kwargs,message", BAD, ids=[f"{n}-{k}" for n, k, _ in BAD])
def test_invalid_hyperparameters_raise_torchs_value_error(name, kwargs, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as ours:
        getattr(optim, name)([dg.Tensor(np.zeros(2, np.float32), requires_grad=True)], **kwargs)
    assert str(ours.value).startswith(f"{name}: ")
    with pytest.raises(ValueError, match=message):  # the same words as PyTorch's own message
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)


def test_add_param_group_mid_training_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    w, b = dg.Tensor(w0.copy(), requires_grad=True), dg.Tensor(b0.copy(), requires_grad=True)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ours, ref = optim.Adam([w], lr=0.01), torch.optim.Adam([tw], lr=0.01)
    for step in range(12):
        if step == 4:
            ours.add_param_group({"params": [b], "lr": 0.05, "betas": (0.8, 0.99)})
            ref.add_param_group({"params": [tb], "lr": 0.05, "betas": (0.8, 0.99)})
        x = rng.standard_normal((4, 3)).astype(np.float32)
        for opt, W, B, T in ((ours, w, b, dg), (ref, tw, tb, torch)):
            opt.zero_grad()
            X = dg.Tensor(x) if T is dg else torch.tensor(x)
            ((X @ W + B) ** 2).sum().backward()
            opt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(b.numpy(), b0)  # the late group was trained


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta", "Adamax", "NAdam",
                                  "RAdam", "Rprop"])
def test_torch_implementation_switches_are_accepted(name):
    p = dg.Tensor(np.ones(2, np.float32), requires_grad=True)
    p.grad = dg.Tensor(np.ones(2, np.float32))
    getattr(optim, name)([p], foreach=False, capturable=False, differentiable=False).step()
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        getattr(optim, name)([p], differentiable=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'fuzed'"):
        getattr(optim, name)([p], fuzed=True)
    if name in ("SGD", "Adagrad", "Adam", "AdamW"):
        getattr(optim, name)([p], fused=True).step()


def test_step_hooks_run_once_around_every_step_as_in_torch():
    torch = pytest.importorskip("torch")
    logs = []
    for lib, T in ((optim, dg), (torch.optim, torch)):
        p = T.tensor(np.ones(2, np.float32), requires_grad=True)
        p.grad = T.tensor(np.ones(2, np.float32))

        log = []
        opt = lib.SGD([p], lr=0.5)
        pre = opt.register_step_pre_hook(lambda o, args, kwargs: log.append(("pre", args[0] is o, args[1:], kwargs)))
        opt.register_step_post_hook(lambda o, args, kwargs: log.append(("post", float(p.detach().sum()))))
        opt.step()
        pre.remove()
        opt.step()
        logs.append(log)
    assert logs[0] == logs[1] == [("pre", True, (), {}), ("post", 1.0), ("post", 0.0)]


def test_step_hooks_run_once_when_a_subclass_step_calls_super():
    class Sub(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = dg.Tensor(np.ones(2, np.float32), requires_grad=True)
    p.grad = dg.Tensor(np.ones(2, np.float32))
    opt = Sub([p], lr=0.5)
    log = []
    opt.register_step_pre_hook(lambda o, args, kwargs: log.append(args[1:]))
    opt.step()
    assert log == [()]


def test_custom_optimizer_step_gets_the_hooks():
    class HalfStep(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.5))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data -= group["lr"] * p.grad.data

    p = dg.Tensor(np.ones(2, np.float32), requires_grad=True)
    p.grad = dg.Tensor(np.ones(2, np.float32))
    opt = HalfStep([p])
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(float(p.sum())))
    opt.step()
    assert seen == [1.0]


def _lbfgs_run(lib, T, kwargs, dtype, steps=3):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 3)).astype(dtype), rng.standard_normal((20, 1)).astype(dtype)
    w1, w2 = (rng.standard_normal(s).astype(dtype) * 0.5 for s in ((3, 8), (8, 1)))
    params = [T.tensor(w1, requires_grad=True), T.tensor(w2, requires_grad=True)]
    x, y = T.tensor(x), T.tensor(y)
    opt = lib.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((T.tanh(x @ params[0]) @ params[1] - y) ** 2).mean()
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    arrays = [np.array(p.numpy() if T is dg else p.detach().numpy()) for p in params]
    return losses, arrays, opt.state[params[0]]["func_evals"]


@pytest.mark.parametrize("kwargs", [dict(max_iter=6), dict(lr=0.5, max_iter=5, history_size=3),
                                    dict(line_search_fn="strong_wolfe"),
                                    dict(line_search_fn="strong_wolfe", max_iter=7, history_size=4)],
                         ids=["plain", "lr_history", "strong_wolfe", "strong_wolfe_short_history"])
def test_lbfgs_matches_torch_in_float64(kwargs):
    torch = pytest.importorskip("torch")
    losses, params, evals = _lbfgs_run(optim, dg, kwargs, np.float64)
    t_losses, t_params, t_evals = _lbfgs_run(torch.optim, torch, kwargs, np.float64)
    assert evals == t_evals
    np.testing.assert_allclose(losses, t_losses, rtol=1e-9)
    for a, b in zip(params, t_params):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    assert losses[-1] < losses[0]


def test_lbfgs_float32_and_errors():
    torch = pytest.importorskip("torch")
    losses, params, _ = _lbfgs_run(optim, dg, dict(max_iter=4), np.float32, steps=1)
    t_losses, t_params, _ = _lbfgs_run(torch.optim, torch, dict(max_iter=4), np.float32, steps=1)
    for a, b in zip(params, t_params):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    p = dg.Tensor(np.ones(2, np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)
    with pytest.raises(ValueError, match="strong_wolfe"):
        optim.LBFGS([p], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [dg.Tensor(np.ones(2, np.float32), requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="needs a closure"):
        optim.LBFGS([p]).step()


@pytest.mark.gpu
def test_lbfgs_and_rprop_on_cuda_equal_cpu():
    from deepgrad.backend import cupy_module

    if cupy_module() is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    rng = np.random.default_rng(1)
    x, w0 = rng.standard_normal((10, 3)).astype(np.float32), rng.standard_normal((3, 1)).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        w = dg.tensor(w0, device=device, requires_grad=True)
        xs = dg.tensor(x, device=device)
        opt = optim.LBFGS([w], max_iter=5, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((xs @ w - 1.0) ** 2).mean()
            loss.backward()
            return loss

        opt.step(closure)
        rp = optim.Rprop([w], lr=0.01)
        for _ in range(3):
            closure()
            rp.step()
        assert w.device.type == device
        results.append(w.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-6)
