"""Special functions NumPy lacks: the error function ``erf`` (and the differentiable ``Erf``).

``erf_array`` evaluates W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 23, 1969; the coefficients of SPECFUN
CALERF), accurate to about 1e-16 relative in float64, on three ranges of |x|:
[0, 0.46875] (erf directly), (0.46875, 4] and (4, inf) (erfc times exp(-x^2)).
It computes in the input's own dtype, so float32 stays float32.  On the GPU it uses
``cupyx.scipy.special.erf`` (imported only there).
"""
from __future__ import annotations

import math

from deepgrad.autograd import Function
from deepgrad.backend import get_array_module

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875


def _erf_small(x):
    """erf(x) for |x| <= 0.46875."""
    z = x * x
    num = _A[4] * z
    den = z
    for i in range(3):
        num = (num + _A[i]) * z
        den = (den + _B[i]) * z
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_scaled_exp(y, xp):
    """erfc(y) for y > 0.46875, from erfc(y) = exp(-y^2) R(y) (Cody's two outer ranges)."""
    y = xp.minimum(y, 27.0)  # erfc underflows to 0 beyond; the cap keeps y*y finite in float32
    mid = y <= 4.0
    ym = xp.where(mid, y, 4.0)  # the middle-range formula, evaluated where it is valid
    num = _C[8] * ym
    den = ym
    for i in range(7):
        num = (num + _C[i]) * ym
        den = (den + _D[i]) * ym
    r_mid = (num + _C[7]) / (den + _D[7])
    yl = xp.where(mid, 4.0, y)  # the asymptotic formula, valid above 4
    z = 1.0 / (yl * yl)
    num = _P[5] * z
    den = z
    for i in range(4):
        num = (num + _P[i]) * z
        den = (den + _Q[i]) * z
    r_big = (_SQRPI - z * (num + _P[4]) / (den + _Q[4])) / yl
    r = xp.where(mid, r_mid, r_big)
    # exp(-y^2) split as exp(-s^2) exp(-(y-s)(y+s)) with s = y rounded down to 1/16 (Cody's trick
    # against the rounding error of y*y).
    s = xp.trunc(y * 16.0) / 16.0
    return xp.exp(-s * s) * xp.exp(-(y - s) * (y + s)) * r


def erf_array(x):
    """erf of a numpy (or cupy) floating array, elementwise, in the array's dtype."""
    xp = get_array_module(x)
    if xp.__name__ != "numpy":
        from cupyx.scipy.special import erf as cupy_erf  # noqa: PLC0415 - GPU only

        if x.dtype.kind != "f":
            from deepgrad.dtypes import get_default_dtype

            x = x.astype(get_default_dtype())
        return cupy_erf(x)
    x = xp.asarray(x)
    if x.dtype.kind != "f":
        from deepgrad.dtypes import get_default_dtype

        x = x.astype(get_default_dtype())
    y = xp.abs(x)
    small = y <= _THRESH
    out = xp.empty_like(x)
    if small.all():
        return _erf_small(x)
    out[small] = _erf_small(x[small])
    big = ~small
    yb = y[big]
    one_minus = 1.0 - _erfc_scaled_exp(yb, xp)
    out[big] = xp.where(x[big] < 0, -one_minus, one_minus)
    nan = xp.isnan(x)
    if nan.any():
        out[nan] = xp.nan
    return out


class Erf(Function):
    """erf(x); d/dx erf(x) = 2/sqrt(pi) exp(-x^2)."""

    def forward(self, x):
        return erf_array(x)

    def backward(self, gy):
        from deepgrad.ops.elementwise import exp

        (x,) = self.inputs
        return gy * exp(-(x * x)) * (2.0 / math.sqrt(math.pi))


def erf(x):
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise."""
    return Erf()(x)


__all__ = ["erf", "erf_array"]
