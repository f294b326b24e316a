"""Hand-written CUDA kernels (CuPy) for the GPU hot paths that plain array code launches many
small kernels for: im2col/col2im, max pooling, fused softmax + cross entropy, fused optimizer
updates, sigmoid and the ReLU gradient, Philox random numbers.  The ops call them themselves
(``if use_kernels(x): ...`` at the top of a forward or backward in ``deepgrad.ops``).

Nothing here imports CuPy at import time: each kernel is built on its first call
(``_compile.elementwise`` / ``_compile.reduction``) and cached; CuPy itself caches the compiled
binary per dtype on disk.  Callers ask ``use_kernels(array)`` first: it is True only for CuPy
arrays and while the kernels are enabled (``DEEPGRAD_KERNELS=0`` in the environment, or
``set_enabled(False)``, turns them off, which the tests and the benchmark use to compare the
fused path with the plain array path).
"""
from __future__ import annotations

from deepgrad.kernels._compile import enabled, set_enabled, use_kernels
from deepgrad.kernels.activation import relu_backward, sigmoid_backward, sigmoid_forward
from deepgrad.kernels.conv import col2im, conv2d_forward, conv2d_weight_grad_forward, conv_transpose2d_forward, im2col
from deepgrad.kernels.linear import sum_rows
from deepgrad.kernels.loss import softmax_cross_entropy, softmax_cross_entropy_backward
from deepgrad.kernels.optim import adam_update, sgd_update
from deepgrad.kernels.pool import max_pool2d_backward, max_pool2d_forward

__all__ = ["enabled", "set_enabled", "use_kernels", "im2col", "col2im", "max_pool2d_forward",
           "max_pool2d_backward", "softmax_cross_entropy", "softmax_cross_entropy_backward",
           "sgd_update", "adam_update", "sigmoid_forward", "sigmoid_backward", "relu_backward",
           "sum_rows", "conv2d_forward", "conv_transpose2d_forward", "conv2d_weight_grad_forward"]
