"""The fully connected layer as one op: ``linear(x, weight, bias)`` = x W^T + b.

Fusing the transpose, the matmul and the bias into one Function keeps the MLP's hot path at
one BLAS call forward and (at most) two backward, with no graph nodes in between.
"""
from __future__ import annotations

from deepgrad.autograd import Function, config
from deepgrad.errors import op_error
from deepgrad.ops.arith import matmul
from deepgrad.ops.reduction import sum as _sum
from deepgrad.ops.shape import reshape, transpose_axes
from deepgrad.tensor import Tensor


class Linear(Function):
    """y = x @ W.T (+ b) for x of shape (*, in_features) and W of shape (out_features, in_features)."""

    def forward(self, x, w, b=None):
        if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
            raise op_error(
                ValueError,
                f"linear: input of shape {tuple(x.shape)} does not match weight of shape {tuple(w.shape)} "
                f"(expected input shape (*, {w.shape[1] if w.ndim == 2 else '?'}))",
            )
        if b is not None and tuple(b.shape) != (w.shape[0],):
            raise op_error(ValueError, f"linear: bias of shape {tuple(b.shape)}, expected ({w.shape[0]},)")
        if x.ndim == 2:
            y = x @ w.T
        else:
            y = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        if not config.grad_enabled:  # plain backward: straight to BLAS, no graph nodes
            return self._backward_arrays(gy)
        x, w = self.inputs[0], self.inputs[1]
        gx = gw = gb = None
        if x.requires_grad:
            gx = matmul(gy, w)
        need_w = w.requires_grad
        need_b = len(self.inputs) == 3 and self.inputs[2].requires_grad
        if need_w or need_b:
            gy2 = gy if gy.ndim == 2 else reshape(gy, (-1, gy.shape[-1]))
            if need_w:
                x2 = x if x.ndim == 2 else reshape(x, (-1, x.shape[-1]))
                gw = matmul(transpose_axes(gy2, None), x2)
            if need_b:
                gb = _sum(gy2, 0)
        if len(self.inputs) == 3:
            return gx, gw, gb
        return gx, gw


    def _backward_arrays(self, gy):
        """The same three products on raw arrays (used when the backward itself is not recorded)."""
        x, w = self.inputs[0], self.inputs[1]
        g = gy.data
        gx = gw = gb = None
        if x.requires_grad:
            gx = Tensor._make(g @ w.data)
        need_b = len(self.inputs) == 3 and self.inputs[2].requires_grad
        if w.requires_grad or need_b:
            g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
            if w.requires_grad:
                xd = x.data
                gw = Tensor._make(g2.T @ (xd if xd.ndim == 2 else xd.reshape(-1, xd.shape[-1])))
            if need_b:
                gb = Tensor._make(_column_sums(g2))
        if len(self.inputs) == 3:
            return gx, gw, gb
        return gx, gw


def _column_sums(a):
    """The bias gradient: ``a.sum(axis=0)``; on a GPU one launch of ``deepgrad.kernels.linear.sum_rows``."""
    if type(a).__module__.startswith("cupy"):
        from deepgrad.kernels._compile import use_kernels
        from deepgrad.kernels.linear import sum_rows

        if use_kernels(a):
            return sum_rows(a)
    return a.sum(axis=0)


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's names
    """``F.linear``: input @ weight.T + bias, with weight shaped (out_features, in_features)."""
    if bias is None:
        return Linear()(input, weight)
    return Linear()(input, weight, bias)


class Bilinear(Function):
    """y_k = x1 A_k x2^T + b_k for A of shape (out, in1, in2)."""

    def forward(self, x1, x2, a, b=None):
        xp = _xp(x1)
        if x1.shape[:-1] != x2.shape[:-1] or a.ndim != 3 or x1.shape[-1] != a.shape[1] or x2.shape[-1] != a.shape[2]:
            raise op_error(
                ValueError,
                f"bilinear: inputs of shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not match weight of "
                f"shape {tuple(a.shape)} (expected (*, {a.shape[1]}) and (*, {a.shape[2]}))",
            )
        y = xp.einsum("...i,kij,...j->...k", x1, a, x2, optimize=True)
        if b is not None:
            y = y + b
        return y

    def backward(self, gy):
        x1, x2, a = self.inputs[:3]
        lead = x1.shape[:-1]
        n = 1
        for s in lead:
            n *= s
        g = reshape(gy, (n, gy.shape[-1]))
        u = reshape(x1, (n, x1.shape[-1]))
        v = reshape(x2, (n, x2.shape[-1]))
        outs = []
        if x1.requires_grad:  # g1[n,i] = sum_k g[n,k] sum_j A[k,i,j] v[n,j]
            av = matmul(reshape(a, (-1, a.shape[2])), transpose_axes(v, None))  # (k*i, n)
            av = reshape(av, (a.shape[0], a.shape[1], n))
            g1 = _sum(reshape(transpose_axes(g, None), (a.shape[0], 1, n)) * av, 0)  # (i, n)
            outs.append(reshape(transpose_axes(g1, None), x1.shape))
        else:
            outs.append(None)
        if x2.requires_grad:  # g2[n,j] = sum_k g[n,k] sum_i u[n,i] A[k,i,j]
            ua = matmul(u, reshape(transpose_axes(a, (1, 0, 2)), (a.shape[1], -1)))  # (n, k*j)
            ua = reshape(ua, (n, a.shape[0], a.shape[2]))
            g2 = _sum(reshape(g, (n, a.shape[0], 1)) * ua, 1)
            outs.append(reshape(g2, x2.shape))
        else:
            outs.append(None)
        if a.requires_grad:  # gA[k,i,j] = sum_n g[n,k] u[n,i] v[n,j]
            gu = reshape(transpose_axes(g, None), (a.shape[0], 1, n)) * reshape(transpose_axes(u, None),
                                                                                 (1, a.shape[1], n))
            ga = matmul(reshape(gu, (-1, n)), v)
            outs.append(reshape(ga, a.shape))
        else:
            outs.append(None)
        if len(self.inputs) == 4:
            outs.append(_sum(g, 0) if self.inputs[3].requires_grad else None)
        return tuple(outs)


def bilinear(input1, input2, weight, bias=None):
    """``F.bilinear``: y_k = input1 weight_k input2^T + bias_k."""
    if bias is None:
        return Bilinear()(input1, input2, weight)
    return Bilinear()(input1, input2, weight, bias)


def _xp(a):
    from deepgrad.backend import get_array_module

    return get_array_module(a)


__all__ = ["linear", "bilinear"]
