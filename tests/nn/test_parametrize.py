"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the older hook-based
nn.utils.weight_norm / spectral_norm against torch on the same weights (torch's u/v buffers copied in):
state_dict keys, forward, gradients, SGD steps, power iteration in train mode only, removal, errors."""
import copy
import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.parametrizations as TPS
import torch.nn.utils.parametrize as TP

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.backend import cupy_module
from deepgrad.nn.utils import parametrizations, parametrize
from deepgrad.utils import gradcheck


def _pair(kind="linear", seed=0):
    torch.manual_seed(seed)
    t, d = {"linear": (torch.nn.Linear(4, 3), nn.Linear(4, 3)),
            "conv": (torch.nn.Conv2d(2, 3, 3), nn.Conv2d(2, 3, 3)),
            "convT": (torch.nn.ConvTranspose2d(2, 3, 3), nn.ConvTranspose2d(2, 3, 3))}[kind]
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, d


def _x(kind, seed=1):
    return np.random.default_rng(seed).standard_normal((5, 4) if kind == "linear" else (2, 2, 5, 5)).astype(np.float32)


def _close(a, b, msg="", rtol=1e-5):
    a, b = (a.numpy() if isinstance(a, dg.Tensor) else a), b.detach().numpy()
    # float32 sums with cancellation (the gradient of g): errors relative to the largest entry
    np.testing.assert_allclose(a, b, rtol=rtol, atol=max(1e-6, rtol * float(np.abs(b).max(initial=0))), err_msg=msg)


def _same_state(t, d, rtol=1e-5):
    st, sd = t.state_dict(), d.state_dict()
    assert list(sd) == list(st)
    for k in st:
        _close(sd[k], st[k], k, rtol)


def _train_together(t, d, kind, steps=3, rtol=1e-5):
    """Forward, gradients of every parameter and SGD steps agree."""
    assert [n for n, _ in d.named_parameters()] == [n for n, _ in t.named_parameters()]
    x = _x(kind)
    topt, dopt = torch.optim.SGD(t.parameters(), lr=0.1), optim.SGD(d.parameters(), lr=0.1)
    for step in range(steps):
        topt.zero_grad()
        dopt.zero_grad()
        yt, yd = t(torch.tensor(x)), d(dg.tensor(x))
        _close(yd, yt, f"forward {step}", rtol)
        (yt ** 2).sum().backward()
        (yd ** 2).sum().backward()
        for (n, tp), (_, dp) in zip(t.named_parameters(), d.named_parameters()):
            _close(dp.grad, tp.grad, f"grad of {n} at step {step}", rtol)
        topt.step()
        dopt.step()
    _same_state(t, d, rtol)


# -- parametrizations.weight_norm ----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_matches_torch(kind, dim):
    t, d = _pair(kind)
    TPS.weight_norm(t, dim=dim)
    parametrizations.weight_norm(d, dim=dim)
    assert type(d).__name__ == type(t).__name__  # ParametrizedLinear
    assert "parametrizations.weight.original0" in d.state_dict()
    _same_state(t, d)
    _close(d.weight, t.weight)
    _train_together(t, d, kind)


def test_weight_norm_loads_a_torch_state_dict_and_gradchecks():
    t, d = _pair()
    TPS.weight_norm(t)
    torch.nn.init.normal_(t.parametrizations.weight.original0)
    parametrizations.weight_norm(d)
    assert repr(d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})) == \
        "<All keys matched successfully>"
    _close(d.weight, t.weight)
    rng = np.random.default_rng(0)
    for dim, gshape in ((0, (3, 1)), (1, (1, 4)), (-1, ())):
        g = dg.tensor(rng.uniform(0.5, 2, gshape), requires_grad=True)
        v = dg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
        assert gradcheck(lambda g, v, dim=dim: parametrizations._weight_norm(v, g, dim), (g, v))


def test_weight_norm_loads_a_state_dict_of_the_older_weight_norm():
    warnings.simplefilter("ignore", FutureWarning)
    old = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    torch.nn.utils.weight_norm(old[2])
    tnew = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    TPS.weight_norm(tnew[2])
    tnew.load_state_dict(old.state_dict())
    d = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    parametrizations.weight_norm(d[2])
    sd = {k: v.detach().numpy() for k, v in old.state_dict().items()}  # keys 2.weight_g, 2.weight_v
    assert repr(d.load_state_dict(sd)) == "<All keys matched successfully>"
    assert "2.weight_g" in sd  # the caller's dict is left alone
    x = _x("linear")[:, :3]
    _close(d(dg.tensor(x)), tnew(torch.tensor(x)))


def test_load_state_dict_pre_hook_sees_the_module_and_its_prefix():
    model = nn.Sequential(nn.Linear(2, 2))
    calls = []
    handle = model[0].register_load_state_dict_pre_hook(lambda m, sd, prefix, *rest: calls.append((m, prefix)))
    model.load_state_dict(model.state_dict())
    assert calls == [(model[0], "0.")]
    handle.remove()
    model.load_state_dict(model.state_dict())
    assert len(calls) == 1


# -- parametrizations.spectral_norm --------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
@pytest.mark.parametrize("n_power_iterations", [1, 3])
def test_spectral_norm_matches_torch(kind, n_power_iterations):
    t, d = _pair(kind)
    TPS.spectral_norm(t, n_power_iterations=n_power_iterations)
    parametrizations.spectral_norm(d, n_power_iterations=n_power_iterations)
    assert d.parametrizations.weight[0].dim == t.parametrizations.weight[0].dim  # 1 for ConvTranspose
    d.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})  # torch's u and v
    _train_together(t, d, kind, rtol=1e-4)  # one power-iteration step per access in training mode
    t.eval()
    d.eval()
    u = d.parametrizations.weight[0]._u.numpy().copy()
    _close(d(dg.tensor(_x(kind))), t(torch.tensor(_x(kind))), "eval", 1e-4)
    np.testing.assert_array_equal(d.parametrizations.weight[0]._u.numpy(), u)  # no update in eval
    _same_state(t, d, 1e-4)


def test_spectral_norm_is_the_largest_singular_value_and_gradchecks():
    d = nn.Linear(6, 4).double()
    parametrizations.spectral_norm(d, n_power_iterations=30)
    w = d.parametrizations.weight.original.numpy()
    np.testing.assert_allclose(np.linalg.svd(d.weight.detach().numpy(), compute_uv=False)[0], 1.0, rtol=1e-8)
    np.testing.assert_allclose(d.weight.detach().numpy(), w / np.linalg.svd(w, compute_uv=False)[0], rtol=1e-8)
    sn = d.parametrizations.weight[0].eval()  # u, v fixed: a differentiable function of the weight
    assert gradcheck(sn, (dg.tensor(w, requires_grad=True),))


def test_spectral_norm_errors_match_torch():
    for kw in ({"dim": 2}, {"n_power_iterations": 0}):
        with pytest.raises((IndexError, ValueError)) as want:
            TPS.spectral_norm(torch.nn.Linear(2, 2), **kw)
        with pytest.raises(type(want.value)) as got:
            parametrizations.spectral_norm(nn.Linear(2, 2), **kw)
        assert str(got.value) == str(want.value)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'foo'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="foo")


# -- parametrize ---------------------------------------------------------------------------------

def _custom(base):
    class Symmetric(base):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()

    class Double(base):
        def forward(self, x):
            return x * 2

        def right_inverse(self, a):
            return a / 2

    class NoInverse(base):
        def forward(self, x):
            return x + 1

    class Shrink(base):
        def forward(self, x):
            return x[0]

    return Symmetric, Double, NoInverse, Shrink


TC, DC = _custom(torch.nn.Module), _custom(nn.Module)


def test_register_chain_assign_and_remove_match_torch():
    t, d = torch.nn.Linear(3, 3), nn.Linear(3, 3)
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    for tc, dc in zip(TC[:2], DC[:2]):  # Symmetric, then Double on top
        TP.register_parametrization(t, "weight", tc())
        parametrize.register_parametrization(d, "weight", dc())
        _close(d.weight, t.weight)
    assert parametrize.is_parametrized(d) and parametrize.is_parametrized(d, "weight")
    assert not parametrize.is_parametrized(d, "bias") and not parametrize.is_parametrized(nn.Linear(2, 2))
    assert parametrize.type_before_parametrizations(d) is nn.Linear
    assert repr(d).splitlines()[3].strip() == "(weight): ParametrizationList("
    _same_state(t, d)
    a = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    t.weight, d.weight = torch.tensor(a + a.T), dg.tensor(a + a.T)  # stored through the right inverses
    _close(d.parametrizations.weight.original, t.parametrizations.weight.original)
    x = np.ones((2, 3), np.float32)
    t(torch.tensor(x)).sum().backward()
    d(dg.tensor(x)).sum().backward()
    _close(d.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    c = copy.deepcopy(d)
    _close(c.weight, t.weight)
    TP.remove_parametrizations(t, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(d, "weight", leave_parametrized=False)
    assert type(d) is nn.Linear and isinstance(d.weight, nn.Parameter) and "parametrizations" not in d._modules
    _same_state(t, d)


def test_parametrize_a_buffer_and_cached():
    t, d = torch.nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    TP.register_parametrization(t, "running_var", TC[1]())
    parametrize.register_parametrization(d, "running_var", DC[1]())
    _same_state(t, d)
    _close(d.running_var, t.running_var)
    assert d.running_var is not d.running_var
    with parametrize.cached():
        assert d.running_var is d.running_var
    assert d.running_var is not d.running_var


def test_leave_parametrized_keeps_the_value():
    t, d = _pair()
    TPS.weight_norm(t)
    parametrizations.weight_norm(d)
    with torch.no_grad():
        t.parametrizations.weight.original0.mul_(2)
    d.parametrizations.weight.original0.data *= 2
    TP.remove_parametrizations(t, "weight")
    parametrize.remove_parametrizations(d, "weight")
    _same_state(t, d)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrizations.weight_norm(d)
        parametrize.remove_parametrizations(d, "weight", leave_parametrized=False)


@pytest.mark.parametrize("case", ["no_name", "shape", "remove_missing", "no_inverse", "assign_parameter"])
def test_parametrize_errors_match_torch(case):
    def run(P, lib, classes):
        m = lib.Linear(2, 2)
        if case == "no_name":
            P.register_parametrization(m, "foo", classes[1]())
        elif case == "shape":
            P.register_parametrization(m, "weight", classes[3]())
        elif case == "remove_missing":
            P.remove_parametrizations(m, "weight")
        else:
            P.register_parametrization(m, "weight", classes[2]())
            if case == "no_inverse":
                m.weight = lib.Linear(2, 2).weight.detach()
            else:
                m.weight = lib.Linear(2, 2).weight

    with pytest.raises(Exception) as want:
        run(TP, torch.nn, TC)
    with pytest.raises(type(want.value)) as got:
        run(parametrize, nn, DC)
    # the same words; deepgrad writes shapes as tuples where torch writes torch.Size([...])
    want_text = str(want.value).replace("torch.Size([2, 2])", "(2, 2)").replace("torch.Size([2])", "(2,)")
    assert str(got.value) == want_text


# -- parametrizations.orthogonal -----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3)], ids=["square", "wide", "tall"])
@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_matches_torch(shape, orthogonal_map, use_trivialization):
    torch.manual_seed(0)
    t, d = torch.nn.Linear(shape[1], shape[0]), nn.Linear(shape[1], shape[0])
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    TPS.orthogonal(t, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    parametrizations.orthogonal(d, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})  # torch's random base
    _same_state(t, d)
    x = np.random.default_rng(1).standard_normal((4, shape[1])).astype(np.float32)
    c = np.linspace(-1, 1, 4 * shape[0], dtype=np.float32).reshape(4, shape[0])
    topt, dopt = torch.optim.SGD(t.parameters(), lr=0.1), optim.SGD(d.parameters(), lr=0.1)
    for step in range(3):
        topt.zero_grad()
        dopt.zero_grad()
        yt, yd = t(torch.tensor(x)), d(dg.tensor(x))
        _close(yd, yt, f"forward {step}", 1e-4)
        (yt * torch.tensor(c)).sum().backward()
        (yd * dg.tensor(c)).sum().backward()
        for (n, tp), (_, dp) in zip(t.named_parameters(), d.named_parameters()):
            _close(dp.grad, tp.grad, f"grad of {n} at step {step}", 1e-4)
        topt.step()
        dopt.step()
    w = d.weight.detach().numpy()
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_conv_weight_assignment_and_errors():
    torch.manual_seed(0)
    t, d = _pair("conv")
    TPS.orthogonal(t)
    parametrizations.orthogonal(d)  # a batch of 3x3 matrices: matrix_exp
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    _close(d(dg.tensor(_x("conv"))), t(torch.tensor(_x("conv"))), "conv", 1e-4)
    m = parametrizations.orthogonal(nn.Linear(4, 4))
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0].astype(np.float32)
    m.weight = dg.tensor(q)
    np.testing.assert_allclose(m.weight.detach().numpy(), q, atol=1e-6)
    with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape \(4, 4\)"):
        m.weight = dg.zeros(3, 3)
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="foo")
    with pytest.raises(ValueError, match="Got a tensor of 1 dimensions"):
        parametrizations.orthogonal(nn.Linear(2, 2), name="bias")
    m = parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = dg.eye(2)


def test_matrix_exp_and_householder_product_match_torch_and_gradcheck():
    from deepgrad.nn.utils.orthogonal import _householder_product, _matrix_exp

    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 4)) * 1.5  # norm > 0.5: scaling and squaring is used
    h, tau = np.tril(rng.standard_normal((5, 3)), -1), rng.uniform(0.5, 1.5, 3)
    for fn, tfn, args in ((_matrix_exp, torch.linalg.matrix_exp, (a,)),
                          (_householder_product, torch.linalg.householder_product, (h, tau))):
        x32 = [dg.tensor(v.astype(np.float32), requires_grad=True) for v in args]
        t32 = [torch.tensor(v.astype(np.float32), requires_grad=True) for v in args]
        yd, yt = fn(*x32), tfn(*t32)
        _close(yd, yt, fn.__name__)
        (yd * yd).sum().backward()
        (yt * yt).sum().backward()
        for xd, xt in zip(x32, t32):
            _close(xd.grad, xt.grad, fn.__name__ + " grad", 1e-4)
        assert gradcheck(fn, tuple(dg.tensor(v, requires_grad=True) for v in args))


# -- the older hook-based nn.utils.weight_norm / spectral_norm ------------------------------------

@pytest.mark.parametrize("dim", [0, 1, None])
def test_old_weight_norm_matches_torch(dim):
    t, d = _pair()
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(t, dim=dim)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        nn.utils.weight_norm(d, dim=dim)
    assert list(d.state_dict()) == ["bias", "weight_g", "weight_v"]
    _train_together(t, d, "linear")
    torch.nn.utils.remove_weight_norm(t)
    nn.utils.remove_weight_norm(d)
    _same_state(t, d)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(d)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_old_spectral_norm_matches_torch(kind):
    t, d = _pair(kind)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    nn.utils.spectral_norm(d, n_power_iterations=2)
    assert list(d.state_dict())[-3:] == ["weight_orig", "weight_u", "weight_v"]
    d.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    _train_together(t, d, kind, rtol=1e-4)
    t.eval()
    d.eval()
    _close(d(dg.tensor(_x(kind))), t(torch.tensor(_x(kind))), "eval", 1e-4)
    _same_state(t, d, 1e-4)
    torch.nn.utils.remove_spectral_norm(t)
    nn.utils.remove_spectral_norm(d)
    _same_state(t, d, 1e-4)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(d)
        nn.utils.spectral_norm(d)


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_weight_and_spectral_norm_on_gpu_follow_the_cpu():
    warnings.simplefilter("ignore", FutureWarning)
    for wrap in (parametrizations.weight_norm, parametrizations.spectral_norm, parametrizations.orthogonal,
                 nn.utils.weight_norm, nn.utils.spectral_norm):
        _, cpu = _pair("conv")
        wrap(cpu)
        dev = copy.deepcopy(cpu).to("cuda")
        x = _x("conv")
        yc, yg = cpu(dg.tensor(x)), dev(dg.tensor(x, device="cuda"))
        np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-4, atol=1e-5)
        yc.sum().backward()
        yg.sum().backward()
        for (n, a), b in zip(cpu.named_parameters(), dev.parameters()):
            assert b.grad.device.type == "cuda", n
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
        for (n, a), b in zip(cpu.named_buffers(), dev.buffers()):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-6, err_msg=n)
