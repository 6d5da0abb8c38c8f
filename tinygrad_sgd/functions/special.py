"""Special functions: erf, erfc, erfinv, lgamma, digamma, polygamma, xlogy, logit, sinc, ...
(also under ``tinygrad_sgd.special``, torch.special's namespace), the numeric helpers
deg2rad, rad2deg, heaviside, signbit, float_power, logaddexp2, nansum, nanmean, ldexp,
nextafter, gcd, lcm. (dist, addcmul, addcdiv, quantile, msort, renorm, the predicates, the
comparison aliases and inference_mode are in :mod:`.misc`.)

dtypes as torch: the float functions turn integer and bool tensors into the default float
dtype; float_power computes in float64; gcd/lcm need integers; nextafter and logaddexp2 need
floats (torch's ``NotImplementedError`` otherwise)."""
import math

import numpy as np

from ..autograd.torch_names import named
from ..dtypes import read_number
from ..kernels.special import c_gcd, c_lcm
from ..ops import elementwise as E, special as S
from ..tensor import Tensor, tensor_method
from .elementwise import (float_input, float_operands, not_implemented, number_first, promote,
                          refuse_two_numbers, require_tensors, values)
from ..ops import math as M
from .reduce import sum as _sum

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "xlogy", "logit",
           "sinc", "deg2rad", "rad2deg", "heaviside", "signbit", "float_power", "logaddexp2",
           "nansum", "nanmean", "ldexp", "nextafter", "gcd", "lcm", "mvlgamma", "i0"]
# (xlog1py, ndtr, ndtri, expit are only in torch.special: see tinygrad_sgd.special)


# ---------------------------------------------------------------------------- unary
@tensor_method
def erf(input):
    return S.Erf.apply(float_input(input))


@tensor_method
def erfc(input):
    return S.Erfc.apply(float_input(input))


@tensor_method
def erfinv(input):
    return S.Erfinv.apply(float_input(input))


@tensor_method
def lgamma(input):
    return S.Lgamma.apply(float_input(input))


@tensor_method
def digamma(input):
    return S.Digamma.apply(float_input(input))


def polygamma(n, input):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (``x.polygamma(n)`` as a method)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = float_input(input)
    return S.Digamma.apply(x) if n == 0 else S.Polygamma.apply(x, n=int(n))


def _polygamma_method(self, n):
    """``x.polygamma(n)`` = ``polygamma(n, x)``."""
    return polygamma(n, self)


_polygamma_method.__name__ = "polygamma"
Tensor.polygamma = _polygamma_method


@tensor_method
def mvlgamma(input, p):
    """The multivariate log-gamma p(p−1)/4·log π + Σ_{j<p} lgamma(x − j/2), summed in
    torch's order."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = float_input(input)
    shifts = Tensor._of(np.arange(-p * 0.5 + 0.5, 0.5, 0.5).astype(x.dtype))
    return lgamma(x.unsqueeze(-1) + shifts).sum(-1) + p * (p - 1) * math.log(math.pi) / 4


@tensor_method
def logit(input, eps=None):
    """log(x/(1 − x)), x first clamped to [eps, 1 − eps] when eps is given."""
    return S.Logit.apply(float_input(input), eps=eps)


@tensor_method
def sinc(input):
    """sin(πx)/(πx), 1 at 0."""
    return S.Sinc.apply(float_input(input))


@tensor_method
def deg2rad(input):
    return float_input(input) * (math.pi / 180.0)


@tensor_method
def rad2deg(input):
    return float_input(input) * (180.0 / math.pi)


def ndtr(input):
    """Φ(x), the standard normal CDF, by torch's formula (1 + erf(x·√½))·½ in the input's
    dtype: so, as torch's, 0 below about −5.5 in float32 (−8.3 in float64), not the tail
    value ½·erfc(−x/√2) would give."""
    return (S.Erf.apply(float_input(input) * math.sqrt(0.5)) + 1.0) * 0.5


def _no_half(x, kernel):
    """``x``, refused as torch refuses float16 where it has no half kernel."""
    if x.dtype == np.float16:
        raise not_implemented(kernel, x.dtype)
    return x


def ndtri(input):
    """Φ⁻¹(p), the inverse of :func:`ndtr` (accurate in both tails)."""
    return S.Ndtri.apply(_no_half(float_input(input), "ndtri_cpu"))


def erfcx(input):
    """e^(x²)·erfc(x)."""
    return S.Erfcx.apply(_no_half(float_input(input), "erfcx_cpu"))


def log_ndtr(input):
    """log Φ(x)."""
    return S.LogNdtr.apply(_no_half(float_input(input), "log_ndtr_cpu"))


def entr(input):
    """−x·log x (0 at 0, −inf for x < 0)."""
    return S.Entr.apply(float_input(input))


def expit(input):
    from .activation import sigmoid
    return sigmoid(input)


# ---------------------------------------------------------------------------- two inputs
def _pair(fn, input, other):
    refuse_two_numbers(fn, input, other, number_first(out=True))
    return float_operands(input, other)


@tensor_method
def xlogy(input, other):
    """x·log(y), 0 where x = 0 (unless y is NaN); either may be a number."""
    name = ("XlogyBackward2" if not isinstance(other, Tensor) else
            "XlogyBackward1" if not isinstance(input, Tensor) else "XlogyBackward0")
    return named(S.Xlogy.apply(*_pair("xlogy", input, other)), name, input, other)


@tensor_method
def i0(input):
    """The modified Bessel function I₀ (torch.i0, torch.special.i0)."""
    return S.I0.apply(float_input(input))


def i0e(input):
    """e^(−|x|)·I₀(x)."""
    return S.I0e.apply(float_input(input))


def i1(input):
    return S.I1.apply(float_input(input))


def i1e(input):
    return S.I1e.apply(float_input(input))


def zeta(input, other):
    """The Hurwitz zeta function ζ(x, q) (torch.special.zeta; either may be a number; float16
    is refused, as torch)."""
    x, q = _pair("zeta", input, other)
    return S.Zeta.apply(_no_half(x, "zeta_cpu"), q)


def xlog1py(input, other):
    """x·log(1 + y), 0 where x = 0 (unless y is NaN)."""
    return S.Xlog1py.apply(*_pair("xlog1py", input, other))


@tensor_method
def heaviside(input, values):
    """0 for x < 0, ``values`` where x = 0, 1 for x > 0 (torch has no derivative for it:
    backward through a result that requires grad raises, as torch)."""
    return step_with_values(input, values, "heaviside")


def step_with_values(input, values, aten):
    """heaviside, its backward's error naming ``aten`` (``heaviside_`` for the in-place op)."""
    require_tensors("heaviside", input, values, names=("input", "values"))
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return E.Heaviside.apply(input, values, aten)


@tensor_method
def signbit(input):
    a = input.array
    return Tensor._of(np.signbit(a) if a.dtype.kind == "f" else np.asarray(a < 0))


@tensor_method
def float_power(input, exponent):
    """input ** exponent computed in float64 (the result is float64, as torch)."""
    def f64(v):
        return v.to(np.float64) if isinstance(v, Tensor) else float(read_number(v))
    refuse_two_numbers("float_power", input, exponent, number_first("exponent", out=True))
    from .elementwise import pow
    return pow(f64(input), f64(exponent))


@tensor_method
def logaddexp2(input, other):
    """log₂(2^x + 2^y), computed stably (:class:`~tinygrad_sgd.ops.special.Logaddexp2`)."""
    require_tensors("logaddexp2", input, other)
    a, b = promote(input, other)
    if a.dtype.kind != "f":
        raise not_implemented("logaddexp2_cpu", a.dtype)
    return S.Logaddexp2.apply(a, b)


@tensor_method
def ldexp(input, other):
    """input · 2^other, as torch: a float input with an integer exponent is scaled exactly
    (:class:`~tinygrad_sgd.ops.math.Ldexp`, input's dtype); otherwise input times 2^other, the
    power taken in other's float dtype (integers: float32 — or the input's dtype for a float64
    or float16 input), then the product promoted as usual."""
    require_tensors("ldexp", input, other)
    if other.dtype.kind in "biu" and input.dtype.kind == "f":
        if other.dtype == bool:
            raise not_implemented("ldexp_cpu_exp", bool)
        return M.Ldexp.apply(input, other)
    from .elementwise import mul, pow
    in_own_dtype = input.dtype.kind == "f" and input.dtype != np.float32
    two = Tensor._of(np.asarray(2.0, input.dtype)) if in_own_dtype else 2.0
    return mul(input, pow(two, other))


@tensor_method
def nextafter(input, other):
    """The next float after ``input`` towards ``other`` (``other`` itself where they are
    equal). The gradient passes to ``input`` unchanged, as torch's."""
    require_tensors("nextafter", input, other)
    a, b = promote(input, other)
    if a.dtype.kind != "f":
        raise not_implemented("nextafter_cpu", a.dtype)
    return M.Nextafter.apply(a, b)


def _integer_pair(fn, name, input, other):
    require_tensors(name, input, other)
    a, b = promote(input, other)
    if a.dtype.kind not in "iu":
        raise not_implemented(f"{name}_cpu", a.dtype)
    return values(name, fn, a, b)


@tensor_method
def gcd(input, other):
    """The greatest common divisor with torch's C semantics (``abs`` and ``%`` in the dtype
    itself: gcd(−128, 127) in int8 is −1)."""
    return _integer_pair(c_gcd, "gcd", input, other)


@tensor_method
def lcm(input, other):
    """``abs(a / gcd(a, b) * b)`` with torch's C semantics (0 where the gcd is 0)."""
    return _integer_pair(c_lcm, "lcm", input, other)


# ---------------------------------------------------------------------------- reductions
@tensor_method
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum, NaN counted as 0 (their gradient is 0)."""
    x = input
    if input.dtype.kind == "f":
        x = S.NanToZero.apply(input)
    return named(_sum(x, dim, keepdim, dtype=dtype), "NansumBackward0", input)


@tensor_method
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (NaN where all are NaN)."""
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                           f"dtype but got {_torch_name(input.dtype)}")
    if dtype is not None and np.dtype(getattr(dtype, "dtype", dtype)).kind != "f":
        raise RuntimeError(f"nanmean(): could not infer output dtype. Optional dtype must be "
                           f"either a floating point or complex dtype. Got: "
                           f"{_torch_name(getattr(dtype, 'dtype', dtype))}")
    count = _sum(Tensor._of(~np.isnan(input.array)), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def _torch_name(dtype):
    from .elementwise import torch_dtype_name
    return torch_dtype_name(dtype)


