"""Elementwise math primitives: trigonometric and hyperbolic functions and their inverses,
the exp/log family, powers of x (rsqrt, reciprocal), rounding and signs (piecewise constant:
gradient 0), nan_to_num, the two-argument functions atan2, hypot, copysign, logaddexp, lerp,
ldexp (with an integer exponent) and nextafter, and addcmul/addcdiv. (Arithmetic, max/min,
clamp, remainder are in :mod:`.elementwise`.)

Each backward is torch's formula term for term (the same products, in the same order), so
that at the edges of the domain — ±inf, NaN, the poles of tan and atanh, 0 for rsqrt — the
gradients, NaN and infinite ones included, and the second-order gradients agree with torch's.
The inputs are floating point here (but ldexp's exponent, and addcmul's, which may be
integers): the public functions turn integers into float32 first.

(house: long file — one small class per elementwise math function of torch's; grouped here so
that each sits next to its siblings, as :mod:`.special` holds the special functions.)
"""
import numpy as np

from ..kernels.elementwise import in_torch_layout, lerp as lerp_kernel
from ..kernels.vecmath import fma, via_float64
from .elementwise import Elementwise, integer_power, keep_where

LN2, LN10 = 0.6931471805599453, 2.302585092994046


# float32 computed in float64 and rounded once (:func:`..kernels.vecmath.via_float64`): nearer
# torch's vectorized functions than NumPy's float32 loops (measured, share of elements that
# differ from torch: sin 13% → 5%, cos 19% → 5%, tan 28% → 18%, arcsin 19% → 4%, arccos 39% →
# 6%, arctan 27% → 7%, sinh 12% → 0.2%, cosh 39% → 0.1%, artanh 1.1% → 0.1%, log₂ 11% → 0.1%,
# log₁₀ 50% → 0.1%, log1p 12% → 0.7%, expm1 11% → 0.1%, 2ˣ 22% → 6%; arsinh and arcosh
# 18% and 16% either way)
ROUNDED_FROM_FLOAT64 = {np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh,
                        np.arctanh, np.log2, np.log10, np.log1p, np.expm1, np.exp2}


class Unary(Elementwise):
    """z = f(x) for a NumPy function ``f``; ``derivative(g, v)`` gets the input x
    (``saves = "x"``) or the output z (``saves = "z"``), whichever torch's formula uses, or
    None (``saves = None``: the derivative reads neither, so an in-place change of x after
    the op does not matter, as in torch)."""
    rule, derivatives = "z = f(x)", ("dz/dx = f′(x)",)
    f = None
    saves = "x"

    def forward(self, x):
        f = type(self).f
        out = via_float64(f, x.array) if f in ROUNDED_FROM_FLOAT64 else f(x.array)
        if self.saves == "x":
            self.save_for_backward(x)
        elif self.saves == "z":
            self.save_output(out)
        return out

    def backward(self, g):
        saved = {"x": lambda: self.saved_tensors[0], "z": self.output, None: lambda: None}
        return self.derivative(g, saved[self.saves]())


# ------------------------------------------------------------------ trigonometric, hyperbolic
class Sin(Unary):
    rule, derivatives, f = "z = sin x", ("dz/dx = cos x",), np.sin

    def derivative(self, g, x):
        return g * x.cos()


class Cos(Unary):
    rule, derivatives, f = "z = cos x", ("dz/dx = −sin x",), np.cos

    def derivative(self, g, x):
        return g * -x.sin()


class Tan(Unary):
    rule, derivatives, f, saves = "z = tan x", ("dz/dx = 1 + tan²x = 1 + z²",), np.tan, "z"

    def derivative(self, g, z):
        return g * (z * z + 1.0)


class Asin(Unary):
    """The gradient is inf at ±1 and NaN outside [−1, 1], as torch."""
    rule, derivatives, f = "z = arcsin x", ("dz/dx = 1/√(1 − x²)",), np.arcsin

    def derivative(self, g, x):
        return g * (-x * x + 1.0).rsqrt()


class Acos(Unary):
    rule, derivatives, f = "z = arccos x", ("dz/dx = −1/√(1 − x²)",), np.arccos

    def derivative(self, g, x):
        return g * -((-x * x + 1.0).rsqrt())


class Atan(Unary):
    rule, derivatives, f = "z = arctan x", ("dz/dx = 1/(1 + x²)",), np.arctan

    def derivative(self, g, x):
        return g / (x * x + 1.0)


class Sinh(Unary):
    rule, derivatives, f = "z = sinh x", ("dz/dx = cosh x",), np.sinh

    def derivative(self, g, x):
        return g * x.cosh()


class Cosh(Unary):
    rule, derivatives, f = "z = cosh x", ("dz/dx = sinh x",), np.cosh

    def derivative(self, g, x):
        return g * x.sinh()


class Asinh(Unary):
    rule, derivatives, f = "z = arsinh x", ("dz/dx = 1/√(x² + 1)",), np.arcsinh

    def derivative(self, g, x):
        return g * (x * x + 1.0).rsqrt()


class Acosh(Unary):
    """Defined for x ≥ 1; the gradient is inf at 1, as torch."""
    rule, derivatives, f = "z = arcosh x", ("dz/dx = 1/√(x² − 1)",), np.arccosh

    def derivative(self, g, x):
        return g * (x * x - 1.0).rsqrt()


class Atanh(Unary):
    rule, derivatives, f = "z = artanh x", ("dz/dx = 1/(1 − x²)",), np.arctanh

    def derivative(self, g, x):
        return g / (1.0 - x * x)


# ------------------------------------------------------------------ exp, log, powers of x
class Log2(Unary):
    rule, derivatives, f = "z = log₂ x", ("dz/dx = 1/(x·ln 2)",), np.log2

    def derivative(self, g, x):
        return g / (x * LN2)


class Log10(Unary):
    rule, derivatives, f = "z = log₁₀ x", ("dz/dx = 1/(x·ln 10)",), np.log10

    def derivative(self, g, x):
        return g / (x * LN10)


class Log1p(Unary):
    """Exact for tiny x, where ln(1 + x) would round 1 + x first."""
    rule, derivatives, f = "z = ln(1 + x)", ("dz/dx = 1/(1 + x)",), np.log1p

    def derivative(self, g, x):
        return g / (x + 1.0)


class Expm1(Unary):
    """Exact for tiny x, where eˣ − 1 would cancel."""
    rule, derivatives, f, saves = "z = eˣ − 1", ("dz/dx = eˣ = z + 1",), np.expm1, "z"

    def derivative(self, g, z):
        return g * (z + 1.0)


class Exp2(Unary):
    rule, derivatives, f, saves = "z = 2ˣ", ("dz/dx = 2ˣ·ln 2 = z·ln 2",), np.exp2, "z"

    def derivative(self, g, z):
        return g * z * LN2


class Rsqrt(Unary):
    rule, derivatives, saves = "z = 1/√x", ("dz/dx = −1/(2·x^(3/2)) = −z³/2",), "z"

    @staticmethod
    def f(a):
        if a.dtype == np.float16:           # as torch: in float32, rounded to float16 once
            return (1 / np.sqrt(a.astype(np.float32))).astype(np.float16)
        return 1 / np.sqrt(a)

    def derivative(self, g, z):
        return g * -0.5 * (z * z * z)


class Reciprocal(Unary):
    rule, derivatives, saves = "z = 1/x", ("dz/dx = −1/x² = −z²",), "z"
    f = np.reciprocal

    def derivative(self, g, z):
        return -g * (z * z)


class Frac(Unary):
    """The fractional part, with x's sign (frac(−1.5) = −0.5); frac(±inf) is NaN."""
    rule, derivatives, saves = "z = x − trunc(x)", ("dz/dx = 1",), None

    @staticmethod
    def f(a):
        return a - np.trunc(a)

    def derivative(self, g, _):
        return g


class Frexp(Unary):
    """The mantissa m of x = m · 2^e (½ ≤ |m| < 1, e an integer; m = x for 0, ±inf and NaN).
    The exponent e is an integer output of its own, with no gradient (:func:`frexp`)."""
    rule, derivatives = "m = x · 2^(−e), e = x's binary exponent", ("dm/dx = 2^(−e)",)

    @staticmethod
    def f(a):
        return np.frexp(a)[0]

    def derivative(self, g, x):
        scale = np.ldexp(np.ones((), x.dtype), -np.frexp(x.array)[1])   # (2^132: inf in float32)
        return g * self.constant(scale.astype(x.dtype, copy=False))


# ------------------------------------------------------------------ rounding and signs
class Step(Elementwise):
    """Piecewise constant, so the gradient is 0 everywhere (at the jumps too, and even where
    the incoming gradient is inf or NaN: a zero tensor, not g·0, as torch). Integer inputs
    come back unchanged (a copy), as torch."""
    rule, derivatives = "z = step(x)", ("dz/dx = 0",)

    def forward(self, x, *options):
        a = x.array
        return a.copy() if a.dtype.kind in "biu" else type(self).f(a, *options)

    def backward(self, g):
        return self.constant(np.zeros(g.shape, g.dtype))


class Floor(Step):
    rule, f = "z = ⌊x⌋", np.floor


class Ceil(Step):
    rule, f = "z = ⌈x⌉", np.ceil


class Trunc(Step):
    rule, f = "z = trunc(x) (toward 0)", np.trunc


class Round(Step):
    """Halves go to the even neighbour (2.5 → 2), as torch; with ``decimals`` d it is
    rint(x·10^d)/10^d (d < 0: rint(x/10^−d)·10^−d), in x's dtype, as torch (float16 in
    float32, rounded once: float16(3.35) to 1 decimal is 3.3, not 3.4)."""
    rule = "z = x rounded to the nearest (even on halves)"

    @staticmethod
    def f(a, decimals=0):
        if a.dtype == np.float16 and decimals:
            return np.round(a.astype(np.float32), decimals).astype(np.float16)
        return np.round(a, decimals)

    def forward(self, x, decimals=0):
        return super().forward(x, decimals)


class Sign(Step):
    """sign(±0) = 0 and sign(NaN) = 0, as torch (the sign of a bool is itself)."""
    rule = "z = sign(x) ∈ {−1, 0, 1}"

    def forward(self, x):
        a = x.array
        return a.copy() if a.dtype == bool else np.subtract(a > 0, a < 0, dtype=a.dtype)


class Sgn(Sign):
    """sgn: sign for real numbers; torch's keeps its input and output for backward (for complex
    numbers), so an in-place edit of either is refused at backward, as there."""
    op_name = "sgn"

    def forward(self, x):
        out = super().forward(x)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        self.saved_tensors, self.saved_output()     # (the version checks)
        return super().backward(g)


class NanToNum(Elementwise):
    """NaN, +inf and −inf replaced (by default: 0 and the dtype's largest and lowest values).
    The gradient is g·[x finite] — a product, as torch's, so an infinite g at a replaced
    place gives NaN there."""
    rule = "z = x where finite, else the replacement"
    derivatives = ("dz/dx = 1 where x is finite, else 0",)
    op_name = "nan_to_num"

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        a = x.array
        if a.dtype.kind != "f":
            return a.copy()
        self.finite = np.isfinite(a)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        return g * self.constant(self.finite.astype(g.dtype))


# ------------------------------------------------------------------ two arguments
class Atan2(Elementwise):
    """The angle of the point (x, y) — torch's ``atan2(input, other)`` is atan2(y=input,
    x=other). At (0, 0) the gradient is 0 (1/(x² + y²) is taken as 0 there), as torch."""
    inputs, rule = ("y", "x"), "z = atan2(y, x)"
    derivatives = ("dz/dy = x/(x² + y²)", "dz/dx = −y/(x² + y²)")

    def forward(self, y, x):
        self.save_for_backward(y, x)
        a, b = y.array, x.array
        if a.dtype in (np.float16, np.float32) and b.dtype == a.dtype:
            # as torch's vectorized atan2: float32 (and float16, computed in float32) is
            # within an ulp of the true angle — here the float64 angle rounded once
            return np.arctan2(a, b, dtype=np.float64).astype(a.dtype)
        return np.arctan2(a, b)

    def backward(self, g):
        y, x = self.saved_tensors
        r2 = y * y + x * x
        recip = keep_where(r2.array != 0, r2.reciprocal())
        return (g * x * recip if self.needs_input_grad[0] else None,
                g * -y * recip if self.needs_input_grad[1] else None)


class Hypot(Elementwise):
    """Computed without overflow (NumPy's hypot); at (0, 0) the gradient is NaN, as torch."""
    inputs, rule = ("x", "y"), "z = √(x² + y²)"
    derivatives = ("dz/dx = x/z", "dz/dy = y/z")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        out = np.hypot(x.array, y.array)
        self.save_output(out)
        return out

    def backward(self, g):
        x, y = self.saved_tensors
        z = self.output()
        return (g * x / z if self.needs_input_grad[0] else None,
                g * y / z if self.needs_input_grad[1] else None)


class Copysign(Elementwise):
    """|x| with y's sign (−0.0 counts as negative). dz/dx is 0 at x = 0, as torch; y gets a
    zero gradient."""
    inputs, rule = ("x", "y"), "z = |x|·sign(y)"
    derivatives = ("dz/dx = z/x (0 at x = 0)", "dz/dy = 0")

    def forward(self, x, y):
        self.save_for_backward(x)
        out = np.copysign(x.array, y.array)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = g * keep_where(x.array != 0, self.output() / x)
        if self.needs_input_grad[1]:
            gy = self.constant(np.zeros(g.shape, g.dtype))
        return gx, gy


class Logaddexp(Elementwise):
    """Computed without overflow; logaddexp(inf, inf) = inf, with NaN gradients, as torch."""
    inputs, rule = ("x", "y"), "z = ln(eˣ + eʸ)"
    derivatives = ("dz/dx = 1/(1 + e^(y−x))", "dz/dy = 1/(1 + e^(x−y))")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return np.logaddexp(x.array, y.array)

    def backward(self, g):
        x, y = self.saved_tensors
        return (g / ((y - x).exp() + 1.0) if self.needs_input_grad[0] else None,
                g / ((x - y).exp() + 1.0) if self.needs_input_grad[1] else None)


class Lerp(Elementwise):
    """Linear interpolation from a to b; the weight w is a Tensor or a number. Computed as
    torch does: a + w·(b − a) for |w| < ½, else b − (b − a)·(1 − w) (exact at both
    ends); float16 in float32, rounded once."""
    inputs, rule = ("a", "b", "w"), "z = a + w·(b − a)"
    derivatives = ("dz/da = 1 − w", "dz/db = w", "dz/dw = b − a")

    def forward(self, a, b, w):
        self.save_for_backward(a, b, *([w] if hasattr(w, "array") else []))
        self.w = w if not hasattr(w, "array") else None
        x, y = a.array, b.array
        wt = w.array if self.w is None else w
        if x.dtype == np.float16:         # as torch: in float32, rounded to float16 once
            w32 = np.asarray(wt, np.float32)
            return lerp_kernel(x.astype(np.float32), y.astype(np.float32), w32).astype(x.dtype)
        return lerp_kernel(x, y, wt)

    def backward(self, g):
        need = self.needs_input_grad
        # a and b are read by dz/dw only, w by dz/da and dz/db
        a, b, *w = self.saved_tensors_if(need[2], need[2], need[0] or need[1])
        w = w[0] if w else self.w
        return (g * (1.0 - w) if need[0] else None,
                g * w if need[1] else None,
                g * (b - a) if need[2] else None)


def _ternary_operands(node, a, b, c, value):
    """addcmul's and addcdiv's forward setup: remember value, save b and c, and give the three
    arrays and value in the kernel's working dtype (float32 for float16: rounded once, at the
    end; the scalar too, as torch's kernel takes it)."""
    node.value = value
    node.save_for_backward(b, c)
    work = np.float32 if a.array.dtype == np.float16 else a.array.dtype
    return (a.array.astype(work, copy=False), b.array.astype(work, copy=False),
            c.array.astype(work, copy=False), np.asarray(value).astype(work))


class Addcmul(Elementwise):
    """a + v·b·c for a number v, as torch's CPU kernel: v·b rounded, then a fused
    multiply-add of it and c onto a; float16 in float32, rounded once."""
    inputs, rule = ("a", "b", "c"), "z = a + v·b·c"
    derivatives = ("dz/da = 1", "dz/db = v·c", "dz/dc = v·b")

    def forward(self, a, b, c, value):
        x, y, z, v = _ternary_operands(self, a, b, c, value)
        with np.errstate(all="ignore"):
            out = fma(v * y, z, x)
        return in_torch_layout(out.astype(a.array.dtype, copy=False), x, y, z)

    def backward(self, g):
        need, v = self.needs_input_grad, self.value
        b, c = self.saved_tensors_if(need[2], need[1])    # each read by the other's gradient
        return (g if need[0] else None,
                g * (c * v) if need[1] else None,
                g * (b * v) if need[2] else None)


class Addcdiv(Elementwise):
    """a + v·b/c for a number v, as torch's CPU kernel: (v·b)/c, then added to a (so that
    v·b/c can be finite where b/c alone overflows); float16 in float32, rounded once."""
    inputs, rule = ("a", "b", "c"), "z = a + v·b/c"
    derivatives = ("dz/da = 1", "dz/db = v/c", "dz/dc = −v·b/c²")

    def forward(self, a, b, c, value):
        x, y, z, v = _ternary_operands(self, a, b, c, value)
        with np.errstate(all="ignore"):
            out = x + v * y / z
        return out.astype(a.array.dtype, copy=False)

    def backward(self, g):
        need, v = self.needs_input_grad, self.value
        b, c = self.saved_tensors_if(need[2], True)       # c is read by both
        return (g if need[0] else None,
                g * (v / c) if need[1] else None,
                -g * (v * b / (c * c)) if need[2] else None)


class Ldexp(Elementwise):
    """x·2ⁿ for an integer exponent n: exact (only x's exponent changes; a result below the
    smallest normal number is rounded, to even), in x's dtype, as torch's ``std::ldexp``
    kernel (n taken as a C int). n is not differentiated. torch's gradient in x is g·2ⁿ
    with 2ⁿ an *integer* power in n's dtype — 0 for n < 0, wrapping around past the dtype's
    range (2⁶⁴ is 0 in int64) — and it is copied here as torch 2.13 computes it."""
    inputs, rule = ("x", "n"), "z = x·2ⁿ"
    derivatives = ("dz/dx = 2ⁿ (torch's: an integer power in n's dtype)", "")

    def forward(self, x, n):
        a = x.array
        self.n = n.array
        exponent = n.array.astype(np.int32)              # (a C int: 2⁴⁰ wraps to 0)
        if a.dtype == np.float16:                         # exact in float32, rounded once
            return np.ldexp(a.astype(np.float32), exponent).astype(a.dtype)
        return np.ldexp(a, exponent)

    def backward(self, g):
        n = self.n
        with np.errstate(over="ignore"):
            power = integer_power(np.full(n.shape, 2, n.dtype), n)
        return g * self.constant(power), None


class Nextafter(Elementwise):
    """The next representable number after x towards y (y itself where x = y, so
    nextafter(−0, 0) is 0). torch's gradient: g passes to x where x ≠ y (where x = y the
    result is y: 0 to x); y's is 0."""
    inputs, rule = ("x", "y"), "z = the next float after x towards y"
    derivatives = ("dz/dx = 1 where x ≠ y, else 0 (torch's convention)", "dz/dy = 0")

    def forward(self, x, y):
        a, b = x.array, y.array
        self.moves = a != b
        return np.where(self.moves, np.nextafter(a, b), b).astype(np.result_type(a, b),
                                                                   copy=False)

    def backward(self, g):
        need = self.needs_input_grad
        return (keep_where(np.broadcast_to(self.moves, g.shape), g) if need[0] else None,
                self.constant(np.zeros(g.shape, g.dtype)) if need[1] else None)
