"""deepgrad.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against torch.autograd.functional
in float64 on the same inputs: values, nesting of tuple results, create_graph (double backward through the
result), strict-mode and argument errors; plus finite differences for the Jacobian and the Hessian."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import deepgrad as dg
from deepgrad.autograd import functional as F
from deepgrad.backend import cupy_module
from deepgrad.utils import gradcheck

RNG = np.random.default_rng(0)
X3, Y23, V3, V23, VB = (RNG.standard_normal(s) for s in [(3,), (2, 3), (3,), (2, 3), (2,)])


def _dg(*arrays, rg=False):
    return tuple(dg.tensor(a, requires_grad=rg) for a in arrays)


def _th(*arrays, rg=False):
    return tuple(torch.tensor(a, requires_grad=rg) for a in arrays)


def _one(t):
    return t[0] if len(t) == 1 else t


def _same(a, b, path="out"):
    """Same nesting, shapes, values (rtol 1e-10) and requires_grad."""
    if isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b), f"{path}: {type(a).__name__} vs tuple of {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
        return
    assert isinstance(a, dg.Tensor), f"{path}: {type(a).__name__}"
    assert tuple(a.shape) == tuple(b.shape), f"{path}: shape {a.shape} vs {tuple(b.shape)}"
    assert a.dtype == np.float64
    assert a.requires_grad == b.requires_grad, f"{path}: requires_grad {a.requires_grad} vs {b.requires_grad}"
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=path)


def scalar_fn(x):
    return (x.exp() * x.sin()).sum()


def vec_fn(x):
    return x ** 2 * x.sum()


def tuple_fn(x, y):
    return x.exp() * y[0], (y * y).sum(1) * x[:2].sum()


def two_input_scalar(x, y):
    return (x.exp() * y[0]).sum() * y.sum() + (x ** 3).sum()


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("fn,args", [(scalar_fn, (X3,)), (vec_fn, (X3,)), (tuple_fn, (X3, Y23))],
                         ids=["scalar", "vector", "tuple_to_tuple"])
def test_jacobian_matches_torch(fn, args, create_graph, vectorize):
    got = F.jacobian(fn, _one(_dg(*args)), create_graph=create_graph, vectorize=vectorize)
    want = TF.jacobian(fn, _one(_th(*args)), create_graph=create_graph, vectorize=vectorize)
    _same(got, want)


@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_matches_torch(create_graph):
    _same(F.hessian(scalar_fn, _dg(X3)[0], create_graph=create_graph),
          TF.hessian(scalar_fn, _th(X3)[0], create_graph=create_graph))
    got = F.hessian(two_input_scalar, _dg(X3, Y23), create_graph=create_graph)
    _same(got, TF.hessian(two_input_scalar, _th(X3, Y23), create_graph=create_graph))
    assert got[0][1].shape == (3, 2, 3)  # tuple of tuples, block [i][j]: inputs[i].shape + inputs[j].shape


@pytest.mark.parametrize("create_graph", [False, True])
def test_products_match_torch(create_graph):
    cg = {"create_graph": create_graph}
    _same(F.vjp(vec_fn, *_dg(X3, V3), **cg), TF.vjp(vec_fn, *_th(X3, V3), **cg))
    _same(F.jvp(vec_fn, *_dg(X3, V3), **cg), TF.jvp(vec_fn, *_th(X3, V3), **cg))
    _same(F.hvp(scalar_fn, *_dg(X3, V3), **cg), TF.hvp(scalar_fn, *_th(X3, V3), **cg))
    _same(F.vhp(scalar_fn, *_dg(X3, V3), **cg), TF.vhp(scalar_fn, *_th(X3, V3), **cg))
    _same(F.vjp(tuple_fn, _dg(X3, Y23), _dg(V3, VB), **cg), TF.vjp(tuple_fn, _th(X3, Y23), _th(V3, VB), **cg))
    _same(F.jvp(tuple_fn, _dg(X3, Y23), _dg(V3, V23), **cg), TF.jvp(tuple_fn, _th(X3, Y23), _th(V3, V23), **cg))
    _same(F.hvp(two_input_scalar, _dg(X3, Y23), _dg(V3, V23), **cg),
          TF.hvp(two_input_scalar, _th(X3, Y23), _th(V3, V23), **cg))
    _same(F.vhp(two_input_scalar, _dg(X3, Y23), _dg(V3, V23), **cg),
          TF.vhp(two_input_scalar, _th(X3, Y23), _th(V3, V23), **cg))


def test_zero_dim_input_and_v_none():
    s = RNG.standard_normal(())
    cube = lambda a: a ** 3  # noqa: E731
    for fn in (F.jacobian, F.hessian, F.vjp, F.jvp, F.hvp, F.vhp):
        _same(fn(cube, dg.tensor(s)), getattr(TF, fn.__name__)(cube, torch.tensor(s)))


def test_unused_input_gives_zeros_unless_strict():
    double = lambda a, b: a * 2  # noqa: E731
    _same(F.jacobian(double, _dg(X3, VB)), TF.jacobian(double, _th(X3, VB)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        F.jacobian(double, _dg(X3, VB), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(lambda a, b: (a * 2).sum(), _dg(X3, VB), strict=True)


@pytest.mark.parametrize("name,call", [
    ("jacobian", lambda m, x: m.jacobian(lambda a: x * 0 + 1.0, x, strict=True)),
    ("hessian", lambda m, x: m.hessian(lambda a: a.sum(), x, strict=True)),
    ("hvp", lambda m, x: m.hvp(lambda a: a.sum(), x, x, strict=True)),
    ("vhp", lambda m, x: m.vhp(lambda a: a.sum(), x, x, strict=True)),
    ("jvp", lambda m, x: m.jvp(lambda a, b: a * 2, (x, x[:2]), (x, x[:2]), strict=True)),
])
def test_strict_errors_match_torch(name, call):
    with pytest.raises(RuntimeError) as want:
        call(TF, torch.tensor(X3))
    with pytest.raises(RuntimeError) as got:
        call(F, dg.tensor(X3))
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("call", [
    lambda m, x, y: m.vjp(lambda a: a * 2, x),  # v None for a non-scalar output
    lambda m, x, y: m.jvp(lambda a: a * 2, x),
    lambda m, x, y: m.vjp(lambda a: (a * 2, a), x, (x,)),
    lambda m, x, y: m.vjp(lambda a: a * 2, x, (x, x)),
    lambda m, x, y: m.hessian(lambda a: (a.sum(),), x),
    lambda m, x, y: m.hessian(lambda a: a * 2, x),
    lambda m, x, y: m.hvp(lambda a: a * 2, x, x),
    lambda m, x, y: m.vhp(lambda a: (a.sum(),), x, x),
    lambda m, x, y: m.jacobian(lambda a: a * 2, x, strict=True, vectorize=True),
], ids=["vjp_v_none", "jvp_v_none", "v_tuple_len", "v_single", "hess_tuple", "hess_nonscalar", "hvp_nonscalar",
        "vhp_tuple", "strict_vectorize"])
def test_runtime_errors_match_torch(call):
    with pytest.raises(RuntimeError) as want:
        call(TF, torch.tensor(X3), torch.tensor(VB))
    with pytest.raises(RuntimeError) as got:
        call(F, dg.tensor(X3), dg.tensor(VB))
    assert str(got.value) == str(want.value)


def test_argument_errors():
    x = dg.tensor(X3)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \(3,\) but got \(2,\)"):
        F.vjp(lambda a: a * 2, x, dg.tensor(VB))
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or a tuple of Tensors "
                                        "but the given inputs has type <class 'list'>"):
        F.jacobian(lambda a: a, [x])
    with pytest.raises(TypeError, match="value at index 1 has type <class 'float'>"):
        F.jacobian(lambda a, b: a, (x, 3.0))
    with pytest.raises(TypeError, match="outputs of the user-provided function given to vjp"):
        F.vjp(lambda a: 3.0, x)
    with pytest.raises(AssertionError, match="forward-mode"):
        F.jacobian(lambda a: a, x, strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        F.jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True, create_graph=True)


def test_forward_mode_with_vectorize_gives_the_same_jacobian():
    got = F.jacobian(vec_fn, dg.tensor(X3), strategy="forward-mode", vectorize=True)
    want = TF.jacobian(vec_fn, torch.tensor(X3), strategy="forward-mode", vectorize=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10)
    got = F.hessian(scalar_fn, dg.tensor(X3), outer_jacobian_strategy="forward-mode", vectorize=True)
    want = TF.hessian(scalar_fn, torch.tensor(X3), outer_jacobian_strategy="forward-mode", vectorize=True)
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("which", ["jacobian", "hessian", "hvp", "jvp", "vjp"])
def test_double_backward_through_create_graph_matches_torch(which):
    x, tx = dg.tensor(X3, requires_grad=True), torch.tensor(X3, requires_grad=True)
    for m, a, v in ((F, x, dg.tensor(V3)), (TF, tx, torch.tensor(V3))):
        if which == "jacobian":
            out = (m.jacobian(vec_fn, a, create_graph=True) ** 2).sum()
        elif which == "hessian":
            out = m.hessian(scalar_fn, a, create_graph=True).sum()
        elif which == "hvp":
            o, hv = m.hvp(scalar_fn, a, v, create_graph=True)
            out = hv.sum() + o
        else:
            o, p = getattr(m, which)(vec_fn, a, v, create_graph=True)
            out = (p * p).sum() + o.sum()
        out.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_results_do_not_require_grad_without_create_graph_and_under_no_grad():
    x = dg.tensor(X3, requires_grad=True)
    assert not F.jacobian(vec_fn, x).requires_grad
    with dg.no_grad():
        out, g = F.vjp(scalar_fn, x)
    assert not g.requires_grad
    _same(g, TF.vjp(scalar_fn, torch.tensor(X3))[1])
    assert F.jacobian(vec_fn, dg.tensor(X3.astype(np.float32))).dtype == np.float32


def test_jacobian_and_hessian_agree_with_finite_differences():
    x = dg.tensor(X3, requires_grad=True)
    # the Jacobian's entries are gradients: finite differences of the function check them
    assert gradcheck(lambda a: F.jacobian(scalar_fn, a, create_graph=True), (x,))
    assert gradcheck(lambda a: F.hessian(scalar_fn, a, create_graph=True), (x,))
    J = F.jacobian(vec_fn, dg.tensor(X3)).numpy()
    eps = 1e-6
    fd = np.stack([(vec_fn(dg.tensor(X3 + eps * e)).numpy() - vec_fn(dg.tensor(X3 - eps * e)).numpy()) / (2 * eps)
                   for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


def test_functional_imports_as_in_torch():
    import deepgrad.autograd.functional as module
    from deepgrad.autograd.functional import jacobian

    import deepgrad.autograd as ag

    assert module is F and ag.functional is F and dg.autograd.functional.hessian is F.hessian
    assert jacobian is F.jacobian


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_jacobian_and_hvp_on_gpu_follow_the_cpu():
    xg, vg = dg.tensor(X3, device="cuda"), dg.tensor(V3, device="cuda")
    J = F.jacobian(tuple_fn, (xg, dg.tensor(Y23, device="cuda")))
    assert J[1][0].device.type == "cuda"
    _same(tuple(tuple(dg.tensor(b.numpy()) for b in row) for row in J), TF.jacobian(tuple_fn, _th(X3, Y23)))
    out, hv = F.hvp(scalar_fn, xg, vg)
    assert hv.device.type == "cuda"
    np.testing.assert_allclose(hv.numpy(), TF.hvp(scalar_fn, *_th(X3, V3))[1].numpy(), rtol=1e-10)
