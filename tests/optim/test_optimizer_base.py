"""The Optimizer base: groups, in-place updates, skipping, zero_grad, closures, state dicts."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optim
from tests.optim._model import dg_loss, make_arrays, train_dg

ALL = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adagrad, dict()),
    (optim.RMSprop, dict(momentum=0.5, centered=True)),
    (optim.Adam, dict(amsgrad=True)),
    (optim.AdamW, dict()),
    (optim.Adadelta, dict()),
    (optim.Adamax, dict()),
    (optim.NAdam, dict()),
    (optim.RAdam, dict(weight_decay=0.01)),
    (optim.Rprop, dict()),
]
IDS = [cls.__name__ for cls, _ in ALL]


def _params():
    _, _, arrays = make_arrays()
    return [dg.Tensor(a.copy(), requires_grad=True) for a in arrays]


def _backward(params):
    x, y, _ = make_arrays()
    loss = dg_loss(params, dg.Tensor(x), dg.Tensor(y))
    loss.backward()
    return loss


@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_updates_in_place_and_keep_float32(cls, kwargs):
    params = _params()
    before = [p.data.copy() for p in params]
    ids = [id(p.data) for p in params]
    opt = cls(params, **kwargs)
    for _ in range(3):
        opt.zero_grad()
        _backward(params)
        opt.step()
    assert [id(p.data) for p in params] == ids
    for p, b in zip(params, before):
        assert p.data.dtype == np.float32
        assert not np.array_equal(p.data, b)
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32
            else:
                assert isinstance(v, (int, float)) and not isinstance(v, np.generic)


@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_float64_hyperparameters_do_not_promote(cls, kwargs):
    """NumPy float64 scalars as lr/momentum (NEP 50) must not turn the update into float64."""
    params = _params()
    kwargs = {k: np.float64(v) if isinstance(v, float) else v for k, v in kwargs.items()}
    kwargs["lr"] = np.float64(0.01)
    opt = cls(params, **kwargs)
    _backward(params)
    opt.step()
    assert all(p.data.dtype == np.float32 for p in params)


@pytest.mark.parametrize("cls,kwargs", ALL, ids=IDS)
def test_params_without_grad_are_skipped(cls, kwargs):
    params = _params()
    frozen = dg.Tensor(np.ones(4, np.float32), requires_grad=True)
    opt = cls(params + [frozen], **kwargs)
    _backward(params)
    opt.step()
    assert np.array_equal(frozen.data, np.ones(4, np.float32))
    assert frozen.grad is None


def test_zero_grad_to_none_and_to_zeros():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    _backward(params)
    opt.zero_grad(set_to_none=False)
    for p in params:
        assert p.grad is not None and not p.grad.data.any() and p.grad.shape == p.shape
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_does_not_write_into_shared_gradient_arrays():
    shared = np.ones(3, np.float32)
    a = dg.Tensor(np.zeros(3, np.float32), requires_grad=True)
    a.grad = dg.Tensor(shared)
    optim.SGD([a], lr=0.1).zero_grad(set_to_none=False)
    assert np.array_equal(shared, np.ones(3, np.float32))


def test_step_does_not_modify_the_gradient():
    params = _params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    _backward(params)
    grads = [p.grad.data.copy() for p in params]
    opt.step()
    opt.step()
    for p, g in zip(params, grads):
        assert np.array_equal(p.grad.data, g)


def test_closure_is_evaluated_and_its_loss_returned():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        calls.append(1)
        return _backward(params)

    with dg.no_grad():  # the closure still records: step enables grad for it
        loss = opt.step(closure)
    assert calls == [1] and float(loss) > 0


def test_param_groups_defaults_and_add_param_group():
    a, b, c, d = _params()
    opt = optim.SGD([{"params": [a, b]}, {"params": c, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [c] and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [d], "weight_decay": 0.01})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["weight_decay"] == 0.01
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    assert "Parameter Group 2" in repr(opt)


def test_named_parameters_give_param_names():
    a, b, _, _ = _params()
    opt = optim.Adam([("w", a), ("b", b)])
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_bad_params_are_reported():
    t = dg.Tensor(np.zeros(3, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(t, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.Adam([np.zeros(3)])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Adam([t * 2.0])
    with pytest.raises(TypeError, match="not a set"):
        optim.Adam({t})
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([t, t])
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([t], lr=-1.0)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([t], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([t], betas=(0.9, 1.0))


# -- state dicts ----------------------------------------------------------------------
ROUND_TRIP = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.NAdam, dict(lr=0.01)),
    (optim.RAdam, dict(lr=0.01)),
    (optim.Rprop, dict(lr=0.01)),
]


@pytest.mark.parametrize("cls,kwargs", ROUND_TRIP, ids=[c.__name__ for c, _ in ROUND_TRIP])
def test_state_dict_round_trip_continues_identically(cls, kwargs):
    second = {"lr": kwargs["lr"] / 2}
    full, _ = train_dg(cls, kwargs, second, steps=20)
    half, opt = train_dg(cls, kwargs, second, steps=10)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][1]["lr"] == kwargs["lr"] / 2
    # a fresh model with the saved weights and a fresh optimizer that loads the state
    x, y, _ = make_arrays()
    params = [dg.Tensor(p.data.copy(), requires_grad=True) for p in half]
    fresh = cls([{"params": params[:2]}, {"params": params[2:]}], **kwargs)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[1]["lr"] == kwargs["lr"] / 2 and fresh.param_groups[0]["params"] == params[:2]
    for i, p in enumerate(params):  # loading copies: the old optimizer's arrays are not shared
        assert fresh.state[p].keys() == sd["state"][i].keys()
        for key, v in fresh.state[p].items():
            if isinstance(v, np.ndarray):
                assert v is not sd["state"][i][key] and np.array_equal(v, sd["state"][i][key])
    for _ in range(10):
        fresh.zero_grad()
        dg_loss(params, dg.Tensor(x), dg.Tensor(y)).backward()
        fresh.step()
    for p, q in zip(params, full):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_checks_the_groups():
    a, b, c, d = _params()
    opt = optim.Adam([{"params": [a, b]}, {"params": [c, d]}])
    with pytest.raises(ValueError, match="2 parameter groups"):
        optim.Adam([a, b, c, d]).load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="group 1 has 1 parameters"):
        optim.Adam([{"params": [a, b]}, {"params": [c]}]).load_state_dict(opt.state_dict())


@pytest.mark.parametrize("name,kwargs,raw", [("Adam", dict(lr=0.01), False), ("Adam", dict(lr=0.01), True),
                                             ("SGD", dict(lr=0.1, momentum=0.9), False),
                                             ("NAdam", dict(lr=0.01), False),
                                             ("RMSprop", dict(lr=0.01, centered=True), True)])
def test_loads_a_torch_state_dict_and_continues_like_torch(name, kwargs, raw):
    """PyTorch's optimizer state (as torch tensors, or converted to arrays) loads into ours and the runs agree."""
    torch = pytest.importorskip("torch")
    from tests.optim._model import max_rel_diff, torch_loss, train_torch

    tparams, topt = train_torch(getattr(torch.optim, name), kwargs, None, steps=10)
    sd = topt.state_dict()
    if not raw:
        sd = {"state": {k: {n: (v.numpy() if isinstance(v, torch.Tensor) else v) for n, v in s.items()}
                        for k, s in sd["state"].items()},
              "param_groups": sd["param_groups"]}
    params = [dg.Tensor(p.detach().numpy().copy(), requires_grad=True) for p in tparams]
    opt = getattr(optim, name)(params, **kwargs)
    opt.load_state_dict(sd)
    for st in opt.state.values():
        assert isinstance(st["step"], float) if "step" in st else True
        assert all(isinstance(v, (np.ndarray, float)) for v in st.values())
    x, y, _ = make_arrays()
    for _ in range(10):
        opt.zero_grad()
        dg_loss(params, dg.Tensor(x), dg.Tensor(y)).backward()
        opt.step()
        topt.zero_grad()
        torch_loss(tparams, torch.tensor(x), torch.tensor(y)).backward()
        topt.step()
    for p, r in zip(params, tparams):
        assert max_rel_diff(p.data, r.detach().numpy()) < 1e-4
