"""Special functions as differentiable primitives: erf, erfc, erfinv, ndtri, lgamma, digamma,
polygamma, xlogy, xlog1py, logaddexp2, sinc, logit, and nansum's NaN-to-zero step.

Their numerics (NumPy has none of them) are kernels: :mod:`tinygrad_sgd.kernels.special`
(float64, about an ulp; a float32 input is computed in float64 and rounded once).
"""
import math

import numpy as np

from ..kernels.special import (digamma_array, erf_array, erfc_array, erfcx_array,
                               erfinv_array, lgamma_array, log_ndtr_array, ndtri_array,
                               polygamma_array, zeta_array, bessel_i_array)
from ..kernels.layout import on_memory_order
from .elementwise import Elementwise, Where, keep_where
from .math import Unary

__all__ = ["Erf", "Erfc", "Erfcx", "Erfinv", "Ndtri", "LogNdtr", "Entr", "Lgamma", "Digamma",
           "Polygamma", "Zeta", "I0", "I0e", "I1", "I1e", "Xlogy", "Xlog1py", "Logaddexp2", "Sinc",
           "Logit",
           "NanToZero"]

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
HALF_SQRT_PI = math.sqrt(math.pi) / 2.0
SQRT_2PI = math.sqrt(2.0 * math.pi)


# ================================================================================ the ops
def _in(fn):
    """A float64 numeric applied to an array of another float dtype, rounded once, the result
    laid out in memory as the array (as torch's)."""
    def apply(a):
        return on_memory_order(fn, a).astype(a.dtype, copy=False)
    return apply


class Erf(Unary):
    rule, derivatives = "z = erf x", ("dz/dx = 2/√π · e^(−x²)",)
    f = staticmethod(_in(erf_array))

    def derivative(self, g, x):
        return g * ((-x * x).exp() * TWO_OVER_SQRT_PI)


class Erfc(Unary):
    rule, derivatives = "z = erfc x = 1 − erf x", ("dz/dx = −2/√π · e^(−x²)",)
    f = staticmethod(_in(erfc_array))

    def derivative(self, g, x):
        return g * ((-x * x).exp() * -TWO_OVER_SQRT_PI)


class Erfinv(Unary):
    """erfinv(±1) = ±inf, NaN outside [−1, 1]."""
    rule, derivatives, saves = "z = erf⁻¹ x", ("dz/dx = √π/2 · e^(z²)",), "z"
    inplace_reads_input = True      # (torch's erfinv_ node recomputes z from its input)
    f = staticmethod(_in(erfinv_array))

    def derivative(self, g, z):
        return g * ((z * z).exp() * HALF_SQRT_PI)


class Erfcx(Unary):
    """The scaled complementary error function (finite where erfc underflows)."""
    rule, derivatives, saves = "z = e^(x²)·erfc x", ("dz/dx = 2x·z − 2/√π",), "z"
    f = staticmethod(_in(erfcx_array))

    def backward(self, g):
        x, z = self.saved_tensors[0], self.output()
        return g * (x * z * 2.0 - TWO_OVER_SQRT_PI)

    def forward(self, x):
        out = type(self).f(x.array)
        self.save_for_backward(x)
        self.save_output(out)
        return out


class LogNdtr(Unary):
    """log Φ(x), accurate far in the left tail (through erfcx)."""
    rule, derivatives, saves = "z = log Φ(x)", ("dz/dx = φ(x)/Φ(x) = e^(−x²/2 − z)/√(2π)",), "z"
    @staticmethod
    def f(a):
        return log_ndtr_array(a, a.dtype).astype(a.dtype, copy=False)

    def backward(self, g):
        x, z = self.saved_tensors[0], self.output()
        return g / SQRT_2PI * (-(z + x * x * 0.5)).exp()

    def forward(self, x):
        out = type(self).f(x.array)
        self.save_for_backward(x)
        self.save_output(out)
        return out


class Entr(Unary):
    """0 at 0, −inf for x < 0, as torch."""
    rule, derivatives = "z = −x·log x", ("dz/dx = −(1 + log x)",)

    @staticmethod
    def f(a):
        out = np.where(a > 0, -a * np.log(np.where(a > 0, a, 1)), np.where(a == 0, 0, -np.inf))
        return np.where(np.isnan(a), a, out).astype(a.dtype, copy=False)

    def derivative(self, g, x):
        return g * -(x.log() + 1.0)


class Ndtri(Unary):
    """The inverse of the standard normal CDF Φ: ±inf at 1 and 0, NaN outside [0, 1]."""
    rule, derivatives, saves = "z = Φ⁻¹(p)", ("dz/dp = √(2π) · e^(z²/2)",), "z"
    f = staticmethod(_in(ndtri_array))

    def derivative(self, g, z):
        return g * ((z * z * 0.5).exp() * SQRT_2PI)


class Lgamma(Unary):
    """log|Γ(x)|: inf at 0 and the negative integers."""
    rule, derivatives = "z = log|Γ(x)|", ("dz/dx = ψ(x)",)

    @staticmethod
    def f(a):       # (+ 0: log Γ(1) is +0 as torch's, where the kernel's was −0)
        out = _in(lgamma_array)(a)
        out += 0
        return out

    def derivative(self, g, x):
        return g * Digamma.apply(x)


class Digamma(Unary):
    """ψ(0) = −inf (ψ(−0) = +inf), NaN at the negative integers, as torch."""
    rule, derivatives = "z = ψ(x) = Γ′(x)/Γ(x)", ("dz/dx = ψ′(x) = polygamma(1, x)",)
    @staticmethod
    def f(a):
        return digamma_array(a, a.dtype).astype(a.dtype, copy=False)

    def derivative(self, g, x):
        return g * Polygamma.apply(x, n=1)


class Polygamma(Elementwise):
    inputs, rule, derivatives = ("x",), "z = ψ⁽ⁿ⁾(x)", ("dz/dx = ψ⁽ⁿ⁺¹⁾(x)",)

    def forward(self, x, n):
        self.save_for_backward(x)
        self.n = n
        return polygamma_array(n, x.array, x.dtype).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * Polygamma.apply(self.saved_tensors[0], n=self.n + 1)


class _Bessel(Unary):
    """Modified Bessel functions of the first kind (ν = 0, 1), plain or scaled by e^(−|x|)."""
    nu, scaled = 0, False
    inplace_reads_input = True      # (torch's i0_ node differentiates from its input)

    def forward(self, x):
        out = bessel_i_array(self.nu, x.array, self.scaled).astype(x.dtype, copy=False)
        if not self.scaled:
            out = self.torch_overflow(x.array, out)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        x, z = self.saved_tensors[0], self.output()
        if self.nu == 0:
            return g * (I1e.apply(x) - x.sign() * z if self.scaled else I1.apply(x))
        # torch's i1/i1e backward: 0.5 where not |x| > eps (the limit at 0; NaN too), x
        # replaced by eps there; no float16 kernel
        if x.dtype == np.float16:
            raise NotImplementedError(f'"{self.op_name}_backward" not implemented for \'Half\'')
        eps = np.finfo(x.dtype).eps
        tiny = ~(np.abs(x.array) > eps)
        safe = Where.apply(self.constant(tiny), self.constant(np.array(eps, x.dtype)), x)
        if self.scaled:
            d = I0e.apply(safe) - z * (safe.sign() + safe.reciprocal())
        else:
            d = I0.apply(safe) - z * safe.reciprocal()
        return g * Where.apply(self.constant(tiny), self.constant(np.array(0.5, x.dtype)), d)


    @staticmethod
    def torch_overflow(a, out):
        """torch computes I_ν(x) for |x| > 8 as e^|x| · (series) / √|x| in the input's dtype
        (float32 for float16): ±inf once e^|x| overflows (|x| > 88.7 in float32, 709.8 in
        float64) and NaN at ±inf (inf/inf), where the exact value would still be finite."""
        y = np.abs(a).astype(np.promote_types(a.dtype, np.float32))
        with np.errstate(over="ignore"):
            over = (y > 8) & np.isinf(np.exp(y))
        over_value = np.where(np.isinf(y), np.nan, np.copysign(np.inf, out))
        return np.where(over, over_value, out).astype(out.dtype, copy=False)


class I0(_Bessel):
    rule, derivatives = "z = I₀(x)", ("dz/dx = I₁(x)",)
    op_name = "i0"


class I0e(_Bessel):
    rule, derivatives, scaled = "z = e^(−|x|)·I₀(x)", ("dz/dx = i1e(x) − sgn(x)·z",), True
    op_name = "i0e"


class I1(_Bessel):
    rule, derivatives, nu = "z = I₁(x)", ("dz/dx = I₀(x) − z/x (½ at 0)",), 1
    op_name = "i1"


class I1e(_Bessel):
    rule, nu, scaled = "z = e^(−|x|)·I₁(x)", 1, True
    derivatives = ("dz/dx = i0e(x) − z·(sgn x + 1/x) (½ at 0)",)
    op_name = "i1e"


class Zeta(Elementwise):
    """Hurwitz ζ (Cephes' scheme, torch's values bit for bit); not differentiable in x (torch
    raises, so does backward here)."""
    inputs, rule = ("x", "q"), "z = ζ(x, q) = Σₖ (q + k)^(−x)"
    derivatives = ("", "dz/dq = −x·ζ(x + 1, q)")

    def forward(self, x, q):
        self.save_for_backward(x, q)
        dtype = np.result_type(x.array, q.array)
        return zeta_array(x.array, q.array, dtype == np.float32).astype(dtype)

    def backward(self, g):
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = self.saved_tensors
        return None, g * -x * Zeta.apply(x + 1.0, q)


class Xlogy(Elementwise):
    """0 where x = 0 (even for y = 0 or inf), unless y is NaN. The x-gradient is
    xlogy(g, y), 0 where x = 0 and y ≤ 0 (torch's formula)."""
    inputs, rule = ("x", "y"), "z = x · log y"
    derivatives = ("dz/dx = log y (0 where x = 0, y ≤ 0)", "dz/dy = x / y")
    log, pole = staticmethod(np.log), 0.0

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        out = np.where(a == 0, np.zeros((), a.dtype), a * type(self).log(b))
        return np.where(np.isnan(b), b, out).astype(np.result_type(a, b), copy=False)

    def backward(self, g):
        x, y = self.saved_tensors
        gx = gy = None
        if self.needs_input_grad[0]:
            dead = (x.array == 0) & (y.array <= self.pole)
            gx = type(self).apply(g, y)
            gx = keep_where(~dead, gx) if dead.any() else gx
        if self.needs_input_grad[1]:
            gy = g * x / (y if self.pole == 0.0 else y + 1.0)
        return gx, gy


class Xlog1py(Xlogy):
    inputs, rule = ("x", "y"), "z = x · log(1 + y)"
    derivatives = ("dz/dx = log(1 + y) (0 where x = 0, y ≤ −1)", "dz/dy = x / (1 + y)")
    log, pole = staticmethod(np.log1p), -1.0


class Logaddexp2(Elementwise):
    """torch's kernel: max(x, y) + log1p(2^−|x−y|)/ln 2 (x where x = y = ±inf), float16 in
    float32 and rounded once."""
    inputs, rule = ("x", "y"), "z = log₂(2ˣ + 2ʸ)"
    derivatives = ("dz/dx = 1/(1 + 2^(y−x))", "dz/dy = 1/(1 + 2^(x−y))")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        wide = np.float32 if a.dtype == np.float16 else a.dtype
        a0, b0 = a.astype(wide, copy=False), b.astype(wide, copy=False)
        with np.errstate(invalid="ignore", over="ignore"):
            z = np.maximum(a0, b0) + np.log1p(np.exp2(-np.abs(a0 - b0))) * \
                np.dtype(wide).type(1.0 / math.log(2.0))
            z = np.where(np.isinf(a0) & (a0 == b0), a0, z)
        return z.astype(a.dtype, copy=False)

    def backward(self, g):
        x, y = self.saved_tensors
        return (g / ((y - x).exp2() + 1.0) if self.needs_input_grad[0] else None,
                g / ((x - y).exp2() + 1.0) if self.needs_input_grad[1] else None)


class Sinc(Unary):
    """sinc(0) = 1, and its derivative 0 where πx² underflows to 0 (torch's masked formula)."""
    rule, derivatives = "z = sin(πx)/(πx)", ("dz/dx = (πx·cos πx − sin πx)/(πx²)",)
    diagonal = True

    @staticmethod
    def f(a):
        if a.dtype == np.float16:           # as torch: in float32, rounded to float16 once
            return Sinc.f(a.astype(np.float32)).astype(np.float16)
        px = a * a.dtype.type(math.pi)
        return np.where(a == 0, np.ones((), a.dtype), np.sin(px) / px)

    def derivative(self, g, x):
        px, pxx = x * math.pi, x * x * math.pi
        return keep_where(pxx.array != 0, g * (px * px.cos() - px.sin()) / pxx)


class Logit(Elementwise):
    """With eps ≥ 0: x clamped to [lo, hi] = [eps, 1 − eps] (both in x's dtype) by torch's rule
    ``x < lo ? lo : (x > hi ? hi : x)`` — so for eps > ½ x below eps becomes lo, every other x
    hi, and NaN stays NaN — gradient 0 where x < lo or x > hi (NaN at NaN). Without eps (None,
    NaN or negative): no clamp, NaN gradient outside [0, 1]. All as torch."""
    inputs, rule, derivatives = ("x",), "z = log(x/(1 − x))", ("dz/dx = 1/(x(1 − x))",)
    diagonal = True

    def forward(self, x, eps=None):
        self.save_for_backward(x)
        a = x.array
        self.bounds = None
        if eps is not None and not math.isnan(eps):
            lo = a.dtype.type(eps)
            hi = a.dtype.type(1) - lo
            a = np.where(a < lo, lo, np.where(a > hi, hi, a))
            if eps >= 0:
                self.bounds = (lo, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a / (1 - a)).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.saved_tensors[0]
        d = g / (x * (1.0 - x))
        a = x.array
        if self.bounds is None:
            outside = self.constant((a < 0) | (a > 1))
            return Where.apply(outside, self.constant(np.array(np.nan, d.dtype)), d)
        lo, hi = self.bounds
        return keep_where(~((a < lo) | (a > hi)), d)


class NanToZero(Elementwise):
    """nansum's first step. The gradient is g·[x not NaN] (a product, as torch's nansum
    backward: an infinite g still gives NaN at NaN places, as in nanmean of all-NaN)."""
    inputs, rule, derivatives = ("x",), "z = 0 where x is NaN, else x", ("dz/dx = [x not NaN]",)
    op_name, grad_fn_name = "nansum", "NansumBackward"

    def forward(self, x):
        self.keep_array("keep", ~np.isnan(x.array))
        return np.where(self.keep, x.array, np.zeros((), x.dtype))

    def backward(self, g):
        return g * self.constant(self.kept_array("keep").astype(g.dtype))
