"""Route ops that are not yet hooked to the GPU kernels through them, without editing the ops.

``install()`` wraps the forward of ``Conv2d`` / ``ConvTranspose2d`` / ``Conv2dWeightGrad`` and of
``MaxPool2d`` / ``_MaxPoolScatter``, ``Sigmoid.forward``/``backward`` and ``ReLU.backward`` so
that CuPy arrays take the one-launch kernels of ``deepgrad.kernels`` and NumPy arrays the
original code; ``uninstall()`` restores them.  The GPU tests and ``benchmarks/bench_gpu.py``
use it; once the ops call the kernels themselves (a few ``if use_kernels(...)`` lines, see
docs/gpu.md) it is not needed and ``install()`` skips what is already hooked.  (``Linear``'s bias gradient calls
``kernels.linear.sum_rows`` itself.)
"""
from __future__ import annotations

from deepgrad.kernels import activation as _kact
from deepgrad.kernels import conv as _kconv
from deepgrad.kernels import pool as _kpool
from deepgrad.kernels._compile import use_kernels

_saved = None


_saved_act = None


def _ops(module):
    """The module ``deepgrad.ops.<module>`` (the package's attribute of that name may be an op function)."""
    import importlib

    return importlib.import_module(f"deepgrad.ops.{module}")


def _already_hooked(module):
    """True when ``deepgrad.ops.<module>`` already calls the kernels itself (nothing to install)."""
    import inspect

    try:
        return "use_kernels" in inspect.getsource(_ops(module))
    except OSError:
        return False


def _install_activations():
    from deepgrad.autograd import config
    from deepgrad.tensor import Tensor

    activation = _ops("activation")

    sig_fwd, sig_bwd, relu_bwd = activation.Sigmoid.forward, activation.Sigmoid.backward, activation.ReLU.backward

    def sigmoid_forward(self, x):
        if use_kernels(x) and x.dtype.kind == "f":
            return _kact.sigmoid_forward(x)
        return sig_fwd(self, x)

    def sigmoid_backward(self, gy):
        if not config.grad_enabled and use_kernels(gy.data):
            return Tensor._make(_kact.sigmoid_backward(self.outputs[0]().data, gy.data))
        return sig_bwd(self, gy)

    def relu_backward(self, gy):
        if not config.grad_enabled and use_kernels(gy.data):
            return Tensor._make(_kact.relu_backward(self.inputs[0].data, gy.data))
        return relu_bwd(self, gy)

    activation.Sigmoid.forward, activation.Sigmoid.backward = sigmoid_forward, sigmoid_backward
    activation.ReLU.backward = relu_backward
    return sig_fwd, sig_bwd, relu_bwd


def install():
    """Make conv2d, conv_transpose2d, max_pool2d, sigmoid and relu use the GPU kernels on CuPy arrays."""
    global _saved, _saved_act
    if _saved_act is None and not _already_hooked("activation"):
        _saved_act = _install_activations()
    if _saved is not None or _already_hooked("conv") and _already_hooked("pool"):
        return
    conv, pool = _ops("conv"), _ops("pool")
    saved = (conv.Conv2d.forward, conv.ConvTranspose2d.forward, conv.Conv2dWeightGrad.forward,
             pool.MaxPool2d.forward, pool._MaxPoolScatter.forward)
    conv_fwd, convt_fwd, wgrad_fwd, pool_fwd, scatter = saved

    def conv2d_forward(self, x, w, b=None):
        if use_kernels(x):
            return _kconv.conv2d_forward(self, x, w, b)
        return conv_fwd(self, x, w, b)

    def conv_transpose2d_forward(self, x, w, b=None):
        if use_kernels(x):
            return _kconv.conv_transpose2d_forward(self, x, w, b)
        return convt_fwd(self, x, w, b)

    def weight_grad_forward(self, x, gy):
        if use_kernels(x):
            return _kconv.conv2d_weight_grad_forward(self, x, gy)
        return wgrad_fwd(self, x, gy)

    def max_pool_forward(self, x):
        if use_kernels(x) and x.dtype.kind == "f":
            g = self.geom
            y, self.idx = _kpool.max_pool2d_forward(x, g.kernel, g.stride, g.pads, g.dilation, g.out_hw)
            return y
        return pool_fwd(self, x)

    def max_pool_scatter(self, gy):
        if use_kernels(gy):
            g = self.geom
            return _kpool.max_pool2d_backward(gy, self.idx, g.kernel, g.stride, g.pads, g.dilation, g.in_hw)
        return scatter(self, gy)

    _saved = saved
    conv.Conv2d.forward, conv.ConvTranspose2d.forward = conv2d_forward, conv_transpose2d_forward
    conv.Conv2dWeightGrad.forward = weight_grad_forward
    pool.MaxPool2d.forward, pool._MaxPoolScatter.forward = max_pool_forward, max_pool_scatter


def uninstall():
    """Undo ``install()``."""
    global _saved, _saved_act
    if _saved_act is not None:
        activation = _ops("activation")
        activation.Sigmoid.forward, activation.Sigmoid.backward, activation.ReLU.backward = _saved_act
        _saved_act = None
    if _saved is None:
        return
    conv, pool = _ops("conv"), _ops("pool")
    (conv.Conv2d.forward, conv.ConvTranspose2d.forward, conv.Conv2dWeightGrad.forward, pool.MaxPool2d.forward,
     pool._MaxPoolScatter.forward) = _saved
    _saved = None
