"""Activation functions and the (log-)softmax, computed in numerically stable forms.

The classes whose names an ``nn`` layer also has carry the suffix ``Op`` (``ReLUOp`` is the
primitive, ``nn.ReLU`` the layer); their ``grad_fn`` keeps torch's name (``ReLUBackward``)."""
import math

import numpy as np

from ..arguments import normalize_dim
from ..autograd import Function
from .elementwise import Elementwise, Where, keep_where


class ReLUOp(Elementwise):
    """The gradient at x = 0 is 0, as torch; a NaN passes g on."""
    rule, derivatives = "z = max(x, 0)", ("dz/dx = 1 where x > 0, else 0",)
    grad_fn_name, op_name = "ReLUBackward", "relu"

    def forward(self, x):
        out = np.maximum(x.array, 0)
        self.save_output(out)
        return out

    def backward(self, g):
        return keep_where(~(self.saved_output() <= 0), g)


class SigmoidOp(Elementwise):
    """Computed as e^(min(x,0)) / (1 + e^(−|x|)): no exponent is ever positive, so nothing
    overflows at ±1000."""
    rule, derivatives = "z = σ(x) = 1/(1+e⁻ˣ)", ("dz/dx = σ(x)·(1−σ(x)) = z·(1−z)",)
    grad_fn_name, op_name = "SigmoidBackward", "sigmoid"

    def forward(self, x):
        d = x.array
        e = np.exp(-np.abs(d))
        out = (np.where(d >= 0, 1.0, e) / (1.0 + e)).astype(d.dtype, copy=False)
        self.save_output(out)
        return out

    def backward(self, g):
        return SigmoidGrad.apply(g, self.output())


class SigmoidGrad(Elementwise):
    """The sigmoid's backward as one node (as torch's sigmoid_backward), for the incoming
    gradient g and the saved output s."""
    inputs, rule = ("g", "s"), "u = g·s·(1−s)"
    derivatives = ("du/dg = s·(1−s)", "du/ds = g·(1−2s)")
    op_name = "sigmoid_backward"

    def forward(self, g, s):
        self.save_for_backward(g, s)
        sd = s.array
        return g.array * (sd * (1 - sd))

    def backward(self, gg):
        g, s = self.saved_tensors
        return (gg * (s * (1.0 - s)) if self.needs_input_grad[0] else None,
                gg * g * (1.0 - 2.0 * s) if self.needs_input_grad[1] else None)


class TanhOp(Elementwise):
    rule, derivatives = "z = tanh(x)", ("dz/dx = 1 − tanh²(x) = 1 − z²",)
    grad_fn_name, op_name = "TanhBackward", "tanh"

    def forward(self, x):
        out = np.tanh(x.array)
        self.save_output(out)
        return out

    def backward(self, g):
        return TanhGrad.apply(g, self.output())


class TanhGrad(Elementwise):
    """The tanh's backward as one node (as torch's tanh_backward), for the incoming gradient g
    and the saved output t."""
    inputs, rule = ("g", "t"), "u = g·(1−t²)"
    derivatives = ("du/dg = 1−t²", "du/dt = −2·g·t")
    op_name = "tanh_backward"

    def forward(self, g, t):
        self.save_for_backward(g, t)
        td = t.array
        return g.array * (1 - td * td)

    def backward(self, gg):
        g, t = self.saved_tensors
        return (gg * (1.0 - t * t) if self.needs_input_grad[0] else None,
                gg * g * t * -2.0 if self.needs_input_grad[1] else None)


class SoftplusOp(Elementwise):
    """Computed as logaddexp(0, βx)/β: no overflow. With a ``threshold`` (torch's F.softplus
    uses 20) the op is the identity where βx > threshold, gradient exactly g there, as torch;
    without one (the logits losses) it never switches."""
    rule, derivatives = "z = ln(1 + e^(βx))/β", ("dz/dx = σ(βx)",)
    grad_fn_name, op_name = "SoftplusBackward", "softplus"

    def forward(self, x, beta=1.0, threshold=None):
        self.save_for_backward(x)
        self.beta, self.threshold = beta, threshold
        d = x.array
        bx = d * beta if beta != 1 else d
        out = np.logaddexp(0, bx)
        if beta != 1:
            out /= beta
        out = out.astype(d.dtype, copy=False)
        if threshold is not None:
            self.over = over = bx > threshold
            if over.any():
                out = np.where(over, d, out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        grad = g * (x * self.beta if self.beta != 1 else x).sigmoid()
        over = getattr(self, "over", None)
        if over is not None and over.any():
            grad = Where.apply(self.constant(over), g, grad)
        return grad


Softplus = SoftplusOp   # the name the loss functions import


class HardtanhOp(Elementwise):
    """The gradient passes strictly inside (lo, hi): 0 at the bounds themselves, as torch's
    hardtanh (and relu6) — unlike clamp, whose gradient passes at the bounds."""
    rule, derivatives = "z = min(max(x, lo), hi)", ("dz/dx = 1 where lo < x < hi, else 0",)
    grad_fn_name, op_name = "HardtanhBackward", "hardtanh"

    def forward(self, x, lo, hi):
        d = x.array
        self.mask = (d > lo) & (d < hi)
        return np.clip(d, lo, hi).astype(d.dtype, copy=False)

    def backward(self, g):
        return keep_where(self.mask, g)


class HardsigmoidOp(Elementwise):
    rule = "z = min(max(x/6 + 1/2, 0), 1)"
    derivatives = ("dz/dx = 1/6 where −3 < x < 3, else 0",)
    grad_fn_name, op_name = "HardsigmoidBackward", "hardsigmoid"

    def forward(self, x):
        d = x.array
        self.mask = (d > -3) & (d < 3)
        return np.clip(d / 6 + 0.5, 0, 1).astype(d.dtype, copy=False)

    def backward(self, g):
        return keep_where(self.mask, g / 6.0)


class HardswishOp(Elementwise):
    """torch's conventions at the kinks: dz/dx is 0 at x = −3 and 1 at x = 3."""
    rule = "z = x · min(max(x + 3, 0), 6) / 6"
    derivatives = ("dz/dx = 0 for x ≤ −3, x/3 + 1/2 for −3 < x < 3, 1 for x ≥ 3",)
    grad_fn_name, op_name = "HardswishBackward", "hardswish"

    def forward(self, x):
        self.save_for_backward(x)
        d = x.array
        return (d * np.clip(d + 3, 0, 6) / 6).astype(d.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved_tensors
        d = x.array
        middle = (d > -3) & (d < 3)
        return keep_where(middle, g * (x / 3.0 + 0.5)) + keep_where(d >= 3, g)


class GELUOp(Elementwise):
    """``approximate='none'``: Φ is the standard normal CDF, computed from erfc so that it is
    accurate in both tails (float64: W. J. Cody's rational approximations, ~2 ulp; float32: a
    rational approximation of erf, a few ulp, evaluated a cache-sized slab at a time).
    ``'tanh'``: torch's tanh approximation z = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    rule, derivatives = "z = x·Φ(x)", ("dz/dx = Φ(x) + x·φ(x)",)
    grad_fn_name, op_name = "GeluBackward", "gelu"

    def forward(self, x, approximate="none"):
        self.save_for_backward(x)
        self.approximate = approximate
        if approximate == "none" and x.dtype == np.float32:
            out, self.cdf = gelu_f32(x.array)     # Φ(x) kept: backward needs it again
            return out
        return gelu_forward(x.array, approximate)

    def backward(self, g):
        (x,) = self.saved_tensors
        return GeluGrad.apply(g, x, self.approximate, getattr(self, "cdf", None))

    def label(self):
        return f"gelu(approximate={self.approximate!r})"


class GeluGrad(Elementwise):
    """GELU's backward as one node (as torch's gelu_backward), differentiable again: its own
    x-derivative, gelu''(x), is written with Tensor operations. ``cdf``: Φ(x) if forward kept
    it."""
    inputs, rule = ("g", "x"), "u = g·gelu′(x)"
    derivatives = ("du/dg = gelu′(x)", "du/dx = g·gelu″(x)")
    op_name = "gelu_backward"

    def forward(self, g, x, approximate, cdf=None):
        self.save_for_backward(g, x)
        self.approximate = approximate
        if approximate == "none" and x.dtype == np.float32 and g.dtype == np.float32 \
                and g.shape == x.shape:
            return gelu_backward_f32(g.array, x.array, cdf)
        return g.array * gelu_derivative(x.array, approximate)

    def backward(self, gg):
        g, x = self.saved_tensors
        return (GeluGrad.apply(gg, x, self.approximate) if self.needs_input_grad[0] else None,
                gg * g * _gelu_second(x, self.approximate) if self.needs_input_grad[1]
                else None)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_KAPPA = 0.044715
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu_forward(d, approximate):
    if approximate == "tanh":
        inner = np.tanh((d + d * d * d * _KAPPA) * _SQRT_2_OVER_PI)
        return (0.5 * d * (1 + inner)).astype(d.dtype, copy=False)
    return (d * normal_cdf(d)).astype(d.dtype, copy=False)


def gelu_derivative(d, approximate):
    if approximate == "tanh":
        t = np.tanh((d + d * d * d * _KAPPA) * _SQRT_2_OVER_PI)
        inner_grad = (1 + 3 * _KAPPA * d * d) * _SQRT_2_OVER_PI
        return (0.5 * (1 + t) + 0.5 * d * (1 - t * t) * inner_grad).astype(d.dtype, copy=False)
    pdf = np.exp(d * d * -0.5)
    pdf *= _INV_SQRT_2PI
    pdf *= d
    pdf += normal_cdf(d)
    return pdf.astype(d.dtype, copy=False)


def _gelu_second(x, approximate):
    """gelu''(x) with Tensor operations (so that third order works too)."""
    if approximate == "tanh":
        t = ((x + x * x * x * _KAPPA) * _SQRT_2_OVER_PI).tanh()
        s = 1.0 - t * t
        du = (1.0 + x * x * (3 * _KAPPA)) * _SQRT_2_OVER_PI
        return s * du - x * t * s * du * du + x * x * s * (3 * _KAPPA * _SQRT_2_OVER_PI)
    return (x * x * -0.5).exp() * (2.0 - x * x) * _INV_SQRT_2PI


class SoftmaxOp(Function):
    """Along ``dim``, with m = max for stability (one array, computed in place)."""
    rule = "sᵢ = e^(xᵢ−m) / Σⱼ e^(xⱼ−m)"
    derivatives = ("dL/dxᵢ = sᵢ·(gᵢ − Σⱼ gⱼ·sⱼ)",)
    grad_fn_name, op_name = "SoftmaxBackward", "softmax"

    def forward(self, x, dim):
        d = x.array
        self.dim = dim = normalize_dim(dim, d.ndim, "softmax")
        if d.ndim == 0:
            out = np.ones_like(d)
        else:
            out = d - d.max(axis=dim, keepdims=True)
            np.exp(out, out=out)
            out /= out.sum(axis=dim, keepdims=True)
        self.save_output(out)
        return out

    def backward(self, g):
        return SoftmaxGrad.apply(g, self.output(), self.dim)


class SoftmaxGrad(Function):
    """The softmax's backward as one node (torch's _softmax_backward_data), for the incoming
    gradient g and the saved output s; its Jacobian in g is symmetric, so its own g-gradient
    is the same node again."""
    inputs, rule = ("g", "s"), "u = s·(g − Σ g·s)"
    derivatives = ("du/dg: ġ ↦ s·(ġ − Σ ġ·s)", "du/ds: ṡ ↦ ṡ·(g − Σ g·s) − s·Σ g·ṡ")
    op_name = "softmax_backward"

    def forward(self, g, s, dim):
        self.save_for_backward(g, s)
        self.dim = dim
        u = g.array * s.array
        if u.ndim:
            u -= s.array * u.sum(axis=dim, keepdims=True)
        else:
            u = u * 0                  # a 0-d softmax is the constant 1
        return u

    def backward(self, gg):
        g, s = self.saved_tensors
        dim = self.dim
        return (SoftmaxGrad.apply(gg, s, dim) if self.needs_input_grad[0] else None,
                gg * (g - (g * s).sum(dim, keepdim=True)) - g * (gg * s).sum(dim, keepdim=True)
                if self.needs_input_grad[1] else None)


class LogSoftmaxOp(Function):
    """Along ``dim``, exact even for logits of 1e4 (m = max)."""
    rule = "zᵢ = xᵢ − m − ln Σⱼ e^(xⱼ−m)"
    derivatives = ("dL/dxᵢ = gᵢ − e^(zᵢ)·Σⱼ gⱼ",)
    grad_fn_name, op_name = "LogSoftmaxBackward", "log_softmax"

    def forward(self, x, dim):
        d = x.array
        self.dim = dim = normalize_dim(dim, d.ndim, "log_softmax")
        if d.ndim == 0:
            out = np.zeros_like(d)
        else:
            shifted = d - d.max(axis=dim, keepdims=True)
            out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.save_output(out)
        return out

    def backward(self, g):
        return g - self.output().exp() * g.sum(dim=self.dim, keepdim=True)


# ---------------------------------------------------------------------------- Φ, the normal CDF
# float64: W. J. Cody, "Rational Chebyshev approximations for the error function" (Math. Comp.
# 1969), the coefficients of netlib's CALERF; erfc is computed directly (not as 1 − erf) away
# from 0, so Φ is accurate to a few ulp in both tails. float32: a rational approximation of erf
# on [−4, 4] (outside, erf is ±1 in float32), evaluated in float32 (about 3 ulp).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_ERF32_NUM = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
              -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
              -1.60960333262415e-02)
_ERF32_DEN = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
              -7.37332916720468e-03, -1.42647390514189e-02)


def normal_cdf(d):
    """Φ(x) = ½·erfc(−x/√2) for an array, in its own float dtype."""
    if d.dtype == np.float32:
        return _normal_cdf_f32(d)
    x = np.asarray(d, dtype=np.float64)
    z = x / math.sqrt(2.0)
    y = np.abs(z)
    out = np.empty_like(x)
    small = y <= 0.46875
    if small.any():
        zs = z[small]
        ysq = zs * zs
        num, den = _A[4] * ysq, ysq
        for i in range(3):
            num, den = (num + _A[i]) * ysq, (den + _B[i]) * ysq
        out[small] = 0.5 + 0.5 * zs * (num + _A[3]) / (den + _B[3])
    big = ~small
    if big.any():
        yb = y[big]
        erfc = np.empty_like(yb)
        mid = yb <= 4.0
        ym = yb[mid]
        num, den = _C[8] * ym, ym
        for i in range(7):
            num, den = (num + _C[i]) * ym, (den + _D[i]) * ym
        erfc[mid] = (num + _C[7]) / (den + _D[7])
        yt = yb[~mid]
        inv = 1.0 / (yt * yt)
        num, den = _P[5] * inv, inv
        for i in range(4):
            num, den = (num + _P[i]) * inv, (den + _Q[i]) * inv
        erfc[~mid] = (1.0 / math.sqrt(math.pi) - inv * (num + _P[4]) / (den + _Q[4])) / yt
        head = np.trunc(yb * 16) / 16           # e^(−y²) split in two for accuracy
        erfc *= np.exp(-head * head) * np.exp(-(yb - head) * (yb + head))
        half = 0.5 * erfc
        out[big] = np.where(z[big] < 0, half, 1.0 - half)
    nan = np.isnan(x)
    if nan.any():
        out[nan] = np.nan
    return out.astype(d.dtype, copy=False)


def _normal_cdf_f32(d):
    out = np.empty(d.shape, np.float32)
    for x, o, scratch in _slabs(d, out):
        _cdf_slab(x, o, *scratch)
    return out


# float32 GELU a slab at a time: the ~30 passes of the erf approximation then run on a slab
# that stays in cache, so the whole array is read and written about once (3-4x faster than
# whole-array NumPy passes, and no temporary arrays).
_SLAB = 1 << 15


def _slabs(d, *outs):
    """(x slab, out slabs..., (3 scratch slabs)) over the flattened arrays."""
    flat = np.ascontiguousarray(d).reshape(-1)
    flat_outs = [o.reshape(-1) for o in outs]
    n = flat.size
    scratch = [np.empty(min(n, _SLAB), np.float32) for _ in range(3)]
    for i in range(0, n, _SLAB):
        j = min(i + _SLAB, n)
        yield (flat[i:j],) + tuple(o[i:j] for o in flat_outs) + \
            (tuple(s[:j - i] for s in scratch),)


# Φ(x) = ½ + ½·erf(x/√2) = ½ + x·P(x²)/Q(x²) with the erf coefficients rescaled once (the
# 1/√2 and the ½ folded in), so a slab costs one clip, one square and the two polynomials.
_PHI_NUM = tuple(np.float32(c * 0.5 / math.sqrt(2.0) / 2.0 ** (len(_ERF32_NUM) - 1 - k))
                 for k, c in enumerate(_ERF32_NUM))
_PHI_DEN = tuple(np.float32(c / 2.0 ** (len(_ERF32_DEN) - 1 - k))
                 for k, c in enumerate(_ERF32_DEN))
_CLIP = np.float32(5.657)                     # erf(±4) = ±1 in float32: Φ is 0 or 1 beyond


def _cdf_slab(x, out, z, z2, den):
    """out ← Φ(x) for one float32 slab (z, z2, den: scratch slabs); a nan stays nan."""
    np.clip(x, -_CLIP, _CLIP, out=z)
    np.multiply(z, z, out=z2)
    np.multiply(z2, _PHI_NUM[0], out=out)
    for c in _PHI_NUM[1:-1]:
        out += c
        out *= z2
    out += _PHI_NUM[-1]
    out *= z
    np.multiply(z2, _PHI_DEN[0], out=den)
    for c in _PHI_DEN[1:-1]:
        den += c
        den *= z2
    den += _PHI_DEN[-1]
    out /= den
    out += np.float32(0.5)


def gelu_f32(d):
    """x·Φ(x) and Φ(x) for a float32 array (gelu(−∞) is nan, as torch's x·Φ(x) gives)."""
    out, cdf = np.empty(d.shape, np.float32), np.empty(d.shape, np.float32)
    for x, o, c, scratch in _slabs(d, out, cdf):
        _cdf_slab(x, c, *scratch)
        np.multiply(x, c, out=o)
    if out.size and not out.min() > -np.inf:      # a −∞ (or nan) among the inputs: rare
        out[np.isneginf(d)] = np.nan
    return out, cdf


def gelu_backward_f32(g, d, cdf=None):
    """g·(Φ(x) + x·φ(x)) for float32 arrays of one shape (Φ recomputed unless given)."""
    out = np.empty(d.shape, np.float32)
    given = () if cdf is None else (cdf,)
    for x, o, gs, *rest in _slabs(d, out, np.ascontiguousarray(g), *given):
        scratch = rest[-1]
        if cdf is None:
            _cdf_slab(x, o, *scratch)
        else:
            np.copyto(o, rest[0])
        pdf = scratch[0]
        np.multiply(x, x, out=pdf)
        pdf *= np.float32(-0.5)
        np.exp(pdf, out=pdf)
        pdf *= x
        pdf *= np.float32(_INV_SQRT_2PI)
        o += pdf
        o *= gs
    return out
