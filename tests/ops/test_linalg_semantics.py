"""deepgrad.linalg beyond the op table: errors that name the op, matrix_rank, diagonal, LinAlgError."""
import numpy as np
import pytest
import torch

import deepgrad as dg

L = dg.linalg


def test_singular_and_not_positive_definite_are_linalg_errors():
    sing = dg.tensor([[1.0, 2.0], [2.0, 4.0]])
    for fn in (L.inv, lambda a: L.solve(a, dg.ones(2))):
        with pytest.raises(L.LinAlgError, match=r"linalg\.(inv|solve): the input matrix is singular"):
            fn(sing)
        with pytest.raises(RuntimeError):  # as torch.linalg.LinAlgError, a RuntimeError
            fn(sing)
    with pytest.raises(L.LinAlgError, match="linalg.cholesky: the input matrix is not positive-definite"):
        L.cholesky(dg.tensor([[1.0, 2.0], [2.0, 1.0]]))


@pytest.mark.parametrize("fn,name", [(L.inv, "inv"), (L.det, "det"), (L.cholesky, "cholesky"), (L.eigh, "eigh"),
                                     (L.slogdet, "slogdet")])
def test_non_square_and_integer_inputs_are_refused_by_name(fn, name):
    with pytest.raises(ValueError, match=rf"linalg\.{name}: A must be batches of square matrices, but they are "
                                         r"2 by 3 matrices"):
        fn(dg.zeros(2, 3))
    with pytest.raises(ValueError, match=rf"linalg\.{name}: A must have at least 2 dimensions, got shape \(3,\)"):
        fn(dg.zeros(3))
    with pytest.raises(ValueError, match=rf"linalg\.{name}: expected a floating point tensor as input, got int64"):
        fn(dg.tensor([[1, 2], [3, 4]]))


def test_solve_and_cross_shape_errors():
    with pytest.raises(ValueError, match=r"linalg\.solve: incompatible shapes of A \(3, 3\) and B \(2,\)"):
        L.solve(dg.eye(3), dg.ones(2))
    with pytest.raises(ValueError, match=r"linalg\.solve: the batch shapes of A \(2, 3, 3\) and B \(4, 3, 1\)"):
        L.solve(dg.zeros(2, 3, 3), dg.zeros(4, 3, 1))
    with pytest.raises(ValueError, match="linalg.cross: inputs must have size 3 along dim -1"):
        L.cross(dg.zeros(2, 4), dg.zeros(2, 4))
    with pytest.raises(TypeError, match="linalg.matrix_power: n must be an int, got float"):
        L.matrix_power(dg.eye(2), 2.0)
    with pytest.raises(ValueError, match="linalg.matrix_norm: ord must be"):
        L.matrix_norm(dg.eye(2), 3)


@pytest.mark.parametrize("shape,rank", [((5, 4), 2), ((3, 3), 3), ((2, 4, 6), 1)])
def test_matrix_rank_as_torch(shape, rank):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape[:-1] + (rank,)) @ rng.standard_normal(shape[:-2] + (rank, shape[-1]))
    got = L.matrix_rank(dg.tensor(a))
    want = torch.linalg.matrix_rank(torch.tensor(a))
    assert got.dtype == dg.int64 and got.numpy().tolist() == want.numpy().tolist()


def test_diagonal_defaults_to_the_last_two_dims():
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(L.diagonal(dg.tensor(a)).numpy(), torch.linalg.diagonal(torch.tensor(a)).numpy())
    np.testing.assert_array_equal(L.diagonal(dg.tensor(a), offset=1).numpy(),
                                  torch.linalg.diagonal(torch.tensor(a), offset=1).numpy())


def test_second_derivative_of_inverse_matches_torch():
    a = np.random.default_rng(1).standard_normal((3, 3)) + 3 * np.eye(3)
    x = dg.tensor(a, requires_grad=True)
    (g,) = dg.grad(L.inv(x).sum(), [x], create_graph=True)
    (gg,) = dg.grad((g * g).sum(), [x])
    t = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.inv(t).sum(), [t], create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), [t])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10)


def test_logdet_of_a_negative_determinant_is_nan_as_torch():
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert np.isnan(dg.logdet(dg.tensor(a)).item()) and np.isnan(torch.logdet(torch.tensor(a)).item())


def test_qr_complete_of_a_tall_matrix_has_no_gradient_as_torch():
    a = dg.tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True)
    q, r = L.qr(a, mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 2)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        (q.sum() + r.sum()).backward()
    with pytest.raises(ValueError, match="linalg.qr: qr received unrecognized mode 'full'"):
        L.qr(a, mode="full")
