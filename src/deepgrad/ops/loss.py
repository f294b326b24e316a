"""Losses with PyTorch's names, signatures and ``reduction='mean'|'sum'|'none'``.

Regression: mse_loss, l1_loss, huber_loss, smooth_l1_loss.  Binary: binary_cross_entropy (on
probabilities, logs clamped at -100 as PyTorch does), binary_cross_entropy_with_logits (stable).
Multi-class: cross_entropy (integer labels through one fused log-softmax + NLL op, or
probability targets), nll_loss, multi_margin_loss (the multiclass SVM hinge loss), kl_div.

Shapes that do not match raise ValueError naming the loss and both shapes; labels outside
[0, classes) raise ValueError naming the label and the class count.
"""
from __future__ import annotations

import numpy as np

from deepgrad.autograd import Function, is_grad_enabled
from deepgrad.backend import defer_gpu_check, is_cupy_array
from deepgrad.backend import get_array_module as _xp
from deepgrad.errors import op_error
from deepgrad.kernels._compile import use_kernels
from deepgrad.ops.device import array_on
from deepgrad.ops.elementwise import exp, log, where
from deepgrad.ops.reduction import sum as sum_
from deepgrad.ops.shape import getitem, movedim, reshape, sum_to
from deepgrad.ops.softmax import log_softmax, softmax
from deepgrad.tensor import Tensor, as_tensor

# -- shared helpers ------------------------------------------------------------------------------------


def _reduction_arg(op, size_average, reduce, reduction, extra=()):
    """The reduction, mapping PyTorch's deprecated ``size_average``/``reduce`` flags when given."""
    if size_average is not None or reduce is not None:
        reduce = True if reduce is None else reduce
        size_average = True if size_average is None else size_average
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    allowed = ("mean", "sum", "none") + tuple(extra)
    if reduction not in allowed:
        raise op_error(ValueError, f"{op}: reduction must be one of {', '.join(map(repr, allowed))}, "
                                   f"got {reduction!r}")
    return reduction


def _reduce(loss, reduction, count=None):
    """Apply the reduction; 'mean' divides by ``count`` (default: the number of elements)."""
    if reduction == "none":
        return loss
    total = sum_(loss)
    if reduction == "sum":
        return total
    n = loss.data.size if count is None else count
    return total * (1.0 / n if n else float("nan"))


def _pair(op, input, target):  # noqa: A002 - PyTorch's names
    """Both as Tensors of the same shape (a float target takes the input's dtype)."""
    input = as_tensor(input)
    target = as_tensor(target, like=input)
    if input.shape != target.shape:
        raise op_error(ValueError, f"{op}: input shape {input.shape} and target shape {target.shape} "
                                   "must be the same")
    return input, target


def _weighted(op, loss, weight, reduction, mean_over_weight):
    """Multiply by an elementwise ``weight`` (same shape as the loss) and reduce as PyTorch does."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = as_tensor(weight, like=loss)
    if weight.shape != loss.shape:
        raise op_error(ValueError, f"{op}: weight shape {weight.shape} and input shape {loss.shape} "
                                   "must be the same")
    loss = loss * weight
    if reduction == "mean" and mean_over_weight:
        return sum_(loss) / sum_(weight)
    return _reduce(loss, reduction)


def _const(array):
    """A Tensor holding ``array`` that takes no part in differentiation."""
    return Tensor._make(array)


# -- regression ----------------------------------------------------------------------------------------


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """Mean squared error (input - target)**2."""
    reduction = _reduction_arg("mse_loss", size_average, reduce, reduction)
    input, target = _pair("mse_loss", input, target)
    d = input - target
    return _weighted("mse_loss", d * d, weight, reduction, mean_over_weight=True)


class AbsError(Function):
    """|a - b| elementwise; the gradient at a == b is 0, as PyTorch's."""

    def forward(self, a, b):
        d = a - b
        self.sign = _xp(d).sign(d)
        return abs(d)

    def backward(self, gy):
        a, b = self.inputs
        g = gy * _const(self.sign)
        return (g if a.requires_grad else None), (-g if b.requires_grad else None)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """Mean absolute error |input - target| (MAE)."""
    reduction = _reduction_arg("l1_loss", size_average, reduce, reduction)
    input, target = _pair("l1_loss", input, target)
    return _weighted("l1_loss", AbsError()(input, target), weight, reduction, mean_over_weight=True)


class Huber(Function):
    """``scale * (0.5 d**2 if |d| < delta else delta * (|d| - delta / 2))`` with d = a - b."""

    def __init__(self, delta, scale):
        self.delta = delta
        self.scale = scale

    def forward(self, a, b):
        xp = _xp(a)
        d = a - b
        ad = abs(d)
        self.inside = ad < self.delta
        self.outside_grad = xp.sign(d) * (self.delta * self.scale)  # the slope beyond delta
        return xp.where(self.inside, (0.5 * self.scale) * d * d, (self.delta * self.scale) * (ad - 0.5 * self.delta))

    def backward(self, gy):
        a, b = self.inputs
        g = gy * where(_const(self.inside), (a - b) * self.scale, _const(self.outside_grad))
        return (g if a.requires_grad else None), (-g if b.requires_grad else None)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """Huber loss: quadratic for |d| < delta, linear (slope delta) beyond."""
    reduction = _reduction_arg("huber_loss", None, None, reduction)
    if delta <= 0:
        raise op_error(ValueError, f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair("huber_loss", input, target)
    return _weighted("huber_loss", Huber(float(delta), 1.0)(input, target), weight, reduction,
                     mean_over_weight=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):  # noqa: A002
    """Smooth L1: 0.5 d**2 / beta for |d| < beta, |d| - beta / 2 beyond (l1_loss when beta == 0)."""
    reduction = _reduction_arg("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise op_error(ValueError, f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _reduce(AbsError()(input, target), reduction)
    return _reduce(Huber(float(beta), 1.0 / beta)(input, target), reduction)


# -- binary ------------------------------------------------------------------------------------------


def _check_probabilities(p):
    xp = _xp(p)
    if not (bool((p >= 0).all()) and bool((p <= 1).all())):
        raise op_error(ValueError, f"binary_cross_entropy: input values must be probabilities in [0, 1], "
                                   f"got values in [{float(xp.nanmin(p)):.4g}, {float(xp.nanmax(p)):.4g}]"
                                   f"{' and NaN' if bool(xp.isnan(p).any()) else ''}")


class BinaryCrossEntropy(Function):
    """-(y log p + (1 - y) log(1 - p)), both logs clamped at -100 (PyTorch's rule)."""

    def forward(self, p, y):
        xp = _xp(p)
        if p.size:  # NaN fails too, as in PyTorch
            if xp is np:
                _check_probabilities(p)
            else:  # on the GPU: checked there, raised at the next host read (no sync per step)
                bad = ~((p >= 0) & (p <= 1)).all()
                defer_gpu_check("binary_cross_entropy input", lambda: bool(bad) and _check_probabilities(p))
        with np.errstate(divide="ignore"):
            self.logp = xp.maximum(xp.log(p), -100.0)
            self.log1mp = xp.maximum(xp.log(1.0 - p), -100.0)
        return -(y * self.logp + (1.0 - y) * self.log1mp)

    def backward(self, gy):
        p, y = self.inputs
        gp = gt = None
        if p.requires_grad:  # (p - y) / max(p (1 - p), 1e-12), as PyTorch
            den = (1.0 - p) * p
            den = where(_const(den.data < 1e-12), 1e-12, den)
            gp = gy * (p - y) / den
        if y.requires_grad:
            gt = gy * (_clamped_log(1.0 - p, self.log1mp) - _clamped_log(p, self.logp))
        return gp, gt


def _clamped_log(t, clamped):
    """log(t) clamped at -100 as a differentiable expression (``clamped`` is its forward value)."""
    keep = _const(clamped > -100.0)
    return where(keep, log(where(keep, t, 1.0)), -100.0)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """Binary cross entropy on probabilities ``input`` in [0, 1] (use ..._with_logits on raw scores)."""
    reduction = _reduction_arg("binary_cross_entropy", size_average, reduce, reduction)
    input, target = _pair("binary_cross_entropy", input, target)
    loss = BinaryCrossEntropy()(input, target)
    if weight is not None:
        loss = loss * _broadcast_weight("binary_cross_entropy", "weight", weight, input)
    return _reduce(loss, reduction)


class StableSigmoid(Function):
    """sigmoid(x) from exp(-|x|): no overflow at any x."""

    def forward(self, x):
        xp = _xp(x)
        e = xp.exp(-abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y * (1.0 - y)


class StableSoftplus(Function):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow at any x."""

    def forward(self, x):
        xp = _xp(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-abs(x)))

    def backward(self, gy):
        return gy * StableSigmoid()(self.inputs[0])


class BCEWithLogits(Function):
    """(1 - y) x + l * softplus(-x) with l = 1 + (pos_weight - 1) y (l = 1 without pos_weight).

    Written as PyTorch does, so it stays finite and accurate at logits of +-1e4."""

    def forward(self, x, y, pos_weight=None):
        xp = _xp(x)
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-abs(x)))  # softplus(-x) = -log(sigmoid(x))
        if pos_weight is None:
            return (1.0 - y) * x + sp
        return (1.0 - y) * x + (1.0 + (pos_weight - 1.0) * y) * sp

    def backward(self, gy):
        x, y = self.inputs[:2]
        pw = self.inputs[2] if len(self.inputs) == 3 else None
        gx = gt = gpw = None
        if pw is None:
            if x.requires_grad:
                gx = gy * (StableSigmoid()(x) - y)
            if y.requires_grad:
                gt = -(gy * x)
            return gx, gt
        if x.requires_grad:  # d/dx = (1 - y) - l * (1 - sigmoid(x))
            lw = 1.0 + (pw - 1.0) * y
            gx = gy * ((1.0 - y) - lw * (1.0 - StableSigmoid()(x)))
        sp = StableSoftplus()(-x) if (y.requires_grad or pw.requires_grad) else None
        if y.requires_grad:
            gt = gy * ((pw - 1.0) * sp - x)
        if pw.requires_grad:
            gpw = sum_to(gy * y * sp, pw.shape)
        return gx, gt, gpw


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy on raw scores (sigmoid folded in, stable); ``pos_weight`` scales the
    positive term (one value per class, broadcast over the last dim)."""
    reduction = _reduction_arg("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    input, target = _pair("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        loss = BCEWithLogits()(input, target)
    else:
        pos_weight = _broadcast_weight("binary_cross_entropy_with_logits", "pos_weight", pos_weight, input)
        loss = BCEWithLogits()(input, target, pos_weight)
    if weight is not None:
        loss = loss * _broadcast_weight("binary_cross_entropy_with_logits", "weight", weight, input)
    return _reduce(loss, reduction)


def _broadcast_weight(op, name, weight, input):  # noqa: A002
    """``weight`` as a Tensor that broadcasts to the input's shape (else a ValueError naming both)."""
    weight = as_tensor(weight, like=input)
    try:
        ok = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        ok = False
    if not ok:
        raise op_error(ValueError, f"{op}: {name} shape {weight.shape} does not broadcast to the input shape "
                                   f"{input.shape}")
    return weight


# -- multi-class ------------------------------------------------------------------------------------


class _Labels:
    """Integer labels of rows (M,) checked against C classes, with their per-row weights.

    ``take`` is the label with ignored rows set to 0, ``valid`` the mask of rows that count (None
    when all do), ``wy`` the weight of each row's class (0 for ignored rows; None when there is no
    weight and no ignored row), ``count`` what 'mean' divides by."""

    def __init__(self, op, target, classes, weight, ignore_index, dtype, allow_ignore=True):
        xp = _xp(target)
        self.valid = None
        t = target
        if allow_ignore and t.size:
            valid = t != ignore_index
            if not bool(valid.all()):
                self.valid = valid
                t = t[valid]
        if t.size and (int(t.min()) < 0 or int(t.max()) >= classes):
            bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
            extra = f" or ignore_index={ignore_index}" if allow_ignore else ""
            raise op_error(ValueError, f"{op}: target label {bad} is out of range for {classes} classes "
                                       f"(expected 0 <= label < {classes}{extra})")
        self.take = target if self.valid is None else xp.where(self.valid, target, 0)
        self.rows = xp.arange(target.shape[0])
        self.wy = None
        if weight is not None:
            self.wy = weight[self.take]
        if self.valid is not None:
            self.wy = self.valid.astype(dtype) if self.wy is None else self.wy * self.valid
        self.count = target.shape[0] if self.wy is None else self.wy.sum()


def _weight_array(op, weight, classes, like):
    if weight is None:
        return None
    w = array_on(op, weight, Tensor._make(like), "weight")
    if w.shape != (classes,):
        raise op_error(ValueError, f"{op}: weight must have shape ({classes},) (one per class), "
                                   f"got {tuple(w.shape)}")
    return w.astype(like.dtype, copy=False)


def _mean(total, count, xp, dtype):
    """total / count as a ``dtype`` array; 0 / 0 (every label ignored) is NaN, as in PyTorch."""
    if isinstance(count, int) and count:
        return xp.asarray(total / count, dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.asarray(total / count, dtype=dtype)


class CrossEntropy(Function):
    """Fused log-softmax + NLL over rows (M, C) with integer labels: the training hot path.

    q_i is row i's target distribution, (1 - eps) w[y_i] at the label plus eps/C * w everywhere
    (zero for ignored rows).  loss_i = -sum_c q_ic log p_ic, and its gradient is
    p_i * sum_c q_ic - q_i: softmax minus one-hot in the plain case."""

    def __init__(self, labels, weight, reduction, smoothing):
        self.labels = labels
        self.weight = weight
        self.reduction = reduction
        self.eps = smoothing

    def forward(self, x):
        xp = _xp(x)
        lab, w, eps = self.labels, self.weight, self.eps
        c = x.shape[1]
        z = x - x.max(axis=1, keepdims=True)
        log_s = z[lab.rows, lab.take]  # becomes log p at the label: z_y - log(sum exp z)
        if eps:  # sum_c w_c log p_c, before z is overwritten
            smooth = z.sum(axis=1) if w is None else z @ w
        self.e = xp.exp(z, out=z)  # softmax = e / s, formed in backward
        self.s = self.e.sum(axis=1, keepdims=True)
        log_s_rows = xp.log(self.s).reshape(-1)
        loss = log_s_rows - log_s
        if lab.wy is not None:
            loss *= lab.wy
        if eps:
            smooth = log_s_rows * (c if w is None else w.sum()) - smooth
            if lab.valid is not None:
                smooth *= lab.valid
            loss = (1.0 - eps) * loss + (eps / c) * smooth
        if self.reduction == "none":
            return loss
        if self.reduction == "sum":
            return xp.asarray(loss.sum())
        return _mean(loss.sum(), lab.count, xp, x.dtype)

    def _targets(self, dtype):
        """(q, sum_c q) as arrays: q is (M, C), sum_c q is (M, 1) or 0-d."""
        xp = _xp(self.e)
        lab, w, eps = self.labels, self.weight, self.eps
        m, c = self.e.shape
        label_part = (1.0 - eps) * (1.0 if lab.wy is None else lab.wy)
        q = xp.zeros((m, c), dtype=dtype)
        q[lab.rows, lab.take] = label_part
        total = xp.asarray(label_part, dtype=dtype)
        if eps:
            q += (eps / c) * (1.0 if w is None else w)
            total = total + (eps / c) * (c if w is None else w.sum())
            if lab.valid is not None:
                q *= lab.valid[:, None]
                total = total * lab.valid
        return q, (total[:, None] if total.ndim else total)

    def backward(self, gy):
        (x,) = self.inputs
        lab = self.labels
        if is_grad_enabled():  # create_graph: the same formula in deepgrad ops
            q, total = self._targets(x.dtype)
            g = softmax(x, dim=1) * _const(total) - _const(q)
            if self.reduction == "none":
                return g * reshape(gy, (-1, 1))
            if self.reduction == "mean":
                gy = gy / _const(_xp(gy.data).asarray(lab.count, dtype=gy.dtype))
            return g * gy
        xp = _xp(gy.data)
        scale = gy.data
        if self.reduction == "none":
            scale = scale.reshape(-1, 1)
        elif self.reduction == "mean":
            scale = _mean(scale, lab.count, xp, gy.dtype)
        if lab.wy is None and not self.eps:  # (softmax - one-hot) * scale
            g = self.e * (scale / self.s)
            g[lab.rows, lab.take] -= scale.reshape(-1) if scale.ndim else scale
            return Tensor._make(g)
        q, total = self._targets(x.dtype)
        g = self.e * (total / self.s) - q
        g *= scale
        return Tensor._make(g)


class NLLLoss(Function):
    """-w[y_i] * x[i, y_i] over rows (M, C) of log-probabilities; linear in x."""

    def __init__(self, labels, reduction):
        self.labels = labels
        self.reduction = reduction

    def forward(self, x):
        xp = _xp(x)
        lab = self.labels
        loss = -x[lab.rows, lab.take]
        if lab.wy is not None:
            loss = loss * lab.wy
        if self.reduction == "none":
            return loss
        if self.reduction == "sum":
            return xp.asarray(loss.sum())
        return _mean(loss.sum(), lab.count, xp, x.dtype)

    def backward(self, gy):
        (x,) = self.inputs
        xp = _xp(x.data)
        lab = self.labels
        q = xp.zeros(x.shape, dtype=x.dtype)
        q[lab.rows, lab.take] = -1.0 if lab.wy is None else -lab.wy
        if self.reduction == "none":
            return _const(q) * reshape(gy, (-1, 1))
        if self.reduction == "mean":
            gy = gy / _const(xp.asarray(lab.count, dtype=x.dtype))
        return _const(q) * gy


def _rows(op, input, target):  # noqa: A002
    """Logits/log-probs as rows (M, C) with classes on dim 1 (dim 0 for one unbatched sample),
    integer labels as (M,) and the shape a 'none' reduction gives back."""
    t = array_on(op, target, input)
    if t.dtype.kind not in "iu":
        raise op_error(TypeError, f"{op}: integer class labels expected, got target dtype {t.dtype}")
    if input.ndim == 0:
        raise op_error(ValueError, f"{op}: input must have a class dim, got a 0-d tensor")
    expected = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    if tuple(t.shape) != expected:
        raise op_error(ValueError, f"{op}: target shape {tuple(t.shape)} does not match input shape "
                                   f"{input.shape} (expected labels of shape {expected}, classes on dim "
                                   f"{0 if input.ndim == 1 else 1})")
    c = input.shape[0 if input.ndim == 1 else 1]
    if input.ndim == 1:
        rows = reshape(input, (1, c))
    elif input.ndim == 2:
        rows = input
    else:
        rows = reshape(movedim(input, 1, -1), (-1, c))
    return rows, t.reshape(-1), expected


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits ``input`` (N, C) or (N, C, d1, ...) or (C,) against integer labels
    (N,) / (N, d1, ...) / () or against class probabilities of the input's shape.

    ``weight`` (C,) rescales classes; ``ignore_index`` labels count for nothing ('mean' divides by
    the summed weight of the counted labels); ``label_smoothing`` mixes in the uniform distribution."""
    reduction = _reduction_arg("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise op_error(ValueError, f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    input = as_tensor(input)
    tdtype = target.dtype if hasattr(target, "dtype") else np.asarray(target).dtype
    if tdtype.kind == "f":
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    rows, t, out_shape = _rows("cross_entropy", input, target)
    c = rows.shape[1]
    if weight is None and not label_smoothing and use_kernels(rows.data) and rows.data.size \
            and rows.dtype.kind == "f" and rows.dtype.itemsize >= 4:
        loss = _fused_cross_entropy(rows, t, ignore_index, reduction)
        return reshape(loss, out_shape) if reduction == "none" else loss
    w = _weight_array("cross_entropy", weight, c, rows.data)
    labels = _Labels("cross_entropy", t, c, w, ignore_index, rows.dtype)
    loss = CrossEntropy(labels, w, reduction, float(label_smoothing))(rows)
    return reshape(loss, out_shape) if reduction == "none" else loss


class FusedCrossEntropy(Function):
    """``CrossEntropy`` on a CUDA GPU for plain integer labels (no class weights, no smoothing):
    one kernel for the row losses, the softmax kept for backward and the reduction, one for the
    gradient (see ``deepgrad.kernels.loss``); about 20 launches and 3 host round trips fewer per
    step than the array code (labels are checked on the device, reported at the next sync)."""

    def __init__(self, target, ignore_index, reduction):
        self.t = target
        self.ignore_index = ignore_index
        self.reduction = reduction

    def forward(self, x):
        from deepgrad.kernels.loss import softmax_cross_entropy

        out, self.prob, self.flag = softmax_cross_entropy(x, self.t, self.ignore_index, self.reduction)
        return out  # a bad label is raised at the next synchronization (see deepgrad.kernels.loss)

    def backward(self, gy):
        from deepgrad.kernels.loss import softmax_cross_entropy_backward

        if is_grad_enabled():  # create_graph: softmax - one-hot in deepgrad ops
            (x,) = self.inputs
            xp = _xp(x.data)
            t = self.t
            valid = (t != self.ignore_index)[:, None]
            onehot = (xp.arange(x.shape[1])[None, :] == t[:, None]) & valid
            g = softmax(x, dim=1) * _const(valid.astype(x.dtype)) - _const(onehot.astype(x.dtype))
            if self.reduction == "none":
                return g * reshape(gy, (-1, 1))
            if self.reduction == "mean":
                gy = gy / _const(self.flag[1].astype(x.dtype))  # the count of rows that count
            return g * gy
        return Tensor._make(softmax_cross_entropy_backward(self.prob, self.t, gy.data, self.flag,
                                                           self.reduction == "mean", self.ignore_index))


def _fused_cross_entropy(rows, t, ignore_index, reduction):
    if not is_cupy_array(t):
        raise op_error(RuntimeError, f"cross_entropy: expected all tensors on the same device, got input on "
                                     f"{rows.device} and target on cpu")
    return FusedCrossEntropy(_xp(t).ascontiguousarray(t), int(ignore_index), reduction)(rows)


def _cross_entropy_probs(input, target, weight, reduction, smoothing):  # noqa: A002
    target = as_tensor(target, like=input)
    if target.shape != input.shape:
        raise op_error(ValueError, f"cross_entropy: probability target shape {target.shape} does not match "
                                   f"input shape {input.shape}")
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    logp = log_softmax(input, dim=cdim)
    q = target if not smoothing else target * (1.0 - smoothing) + smoothing / c
    term = logp * q
    if weight is not None:
        w = _weight_array("cross_entropy", weight, c, input.data)
        term = term * _const(w.reshape((c,) + (1,) * (input.ndim - cdim - 1)))
    loss = -sum_(term, axis=cdim)
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C, ...) at integer labels."""
    reduction = _reduction_arg("nll_loss", size_average, reduce, reduction)
    input = as_tensor(input)
    rows, t, out_shape = _rows("nll_loss", input, target)
    c = rows.shape[1]
    w = _weight_array("nll_loss", weight, c, rows.data)
    loss = NLLLoss(_Labels("nll_loss", t, c, w, ignore_index, rows.dtype), reduction)(rows)
    return reshape(loss, out_shape) if reduction == "none" else loss


class MultiMargin(Function):
    """sum_{j != y} max(0, margin - x_y + x_j)**p / C per row (times w[y]): the multiclass SVM loss."""

    def __init__(self, labels, p, margin, weight, reduction):
        self.labels = labels
        self.p = p
        self.margin = margin
        self.weight = weight
        self.reduction = reduction

    def forward(self, x):
        xp = _xp(x)
        lab = self.labels
        m, c = x.shape
        h = (self.margin - x[lab.rows, lab.take])[:, None] + x
        active = h > 0
        active[lab.rows, lab.take] = False
        scale = (1.0 / c) if self.weight is None else self.weight[lab.take][:, None] / c
        self.coef = xp.where(active, scale, 0).astype(x.dtype)  # d loss_i / d h_ij for p == 1
        loss = ((h if self.p == 1 else h * h) * self.coef).sum(axis=1)
        if self.reduction == "none":
            return loss
        if self.reduction == "sum":
            return xp.asarray(loss.sum())
        return xp.asarray(loss.sum() / m, dtype=x.dtype)

    def backward(self, gy):
        (x,) = self.inputs
        xp = _xp(x.data)
        lab = self.labels
        m = x.shape[0]
        if self.reduction == "none":
            gy = reshape(gy, (-1, 1))
        elif self.reduction == "mean":
            gy = gy * (1.0 / m)
        g = _const(self.coef) * gy
        if self.p == 2:
            h = x - reshape(getitem(x, (lab.rows, lab.take)), (-1, 1)) + self.margin
            g = g * (h * 2.0)
        onehot = xp.zeros(x.shape, dtype=x.dtype)
        onehot[lab.rows, lab.take] = 1
        return g - _const(onehot) * sum_(g, axis=1, keepdims=True)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,  # noqa: A002
                      reduction="mean"):
    """Multiclass hinge (SVM) loss: sum over wrong classes j of max(0, margin - x_y + x_j)**p,
    divided by the class count; ``weight`` (C,) scales each sample by its label's weight."""
    reduction = _reduction_arg("multi_margin_loss", size_average, reduce, reduction)
    if p not in (1, 2):
        raise op_error(ValueError, f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    input = as_tensor(input)
    if input.ndim > 2:
        raise op_error(ValueError, f"multi_margin_loss: input must be (C,) or (N, C), got shape {input.shape}")
    rows, t, out_shape = _rows("multi_margin_loss", input, target)
    c = rows.shape[1]
    w = _weight_array("multi_margin_loss", weight, c, rows.data)
    labels = _Labels("multi_margin_loss", t, c, None, None, rows.dtype, allow_ignore=False)
    loss = MultiMargin(labels, p, float(margin), w, reduction)(rows)
    return reshape(loss, out_shape) if reduction == "none" else loss


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):  # noqa: A002
    """KL(target || exp(input)) pointwise: target * (log target - input), 0 where target == 0;
    ``input`` holds log-probabilities (and ``target`` too with ``log_target``).  'batchmean'
    divides the sum by the batch size (the true KL divergence); 'mean' by the element count."""
    reduction = _reduction_arg("kl_div", size_average, reduce, reduction, extra=("batchmean",))
    input, target = _pair("kl_div", input, target)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        pos = _const(target.data > 0)
        loss = where(pos, target * log(where(pos, target, 1.0)), 0.0) - target * input
    if reduction == "batchmean":
        return _reduce(loss, "mean", count=input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "multi_margin_loss", "kl_div"]
