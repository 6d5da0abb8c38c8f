"""The GELU's numerics: gelu(x) = x·Φ(x) and its derivative gelu′(x) = Φ(x) + x·φ(x), Φ the
standard normal CDF and φ its density.

float64: Φ from W. J. Cody's rational approximations of erf/erfc (a few ulp in both tails).
float32: Φ from a rational approximation of erf computed in float32, a cache-sized slab at a
time with in-place passes, the forward and the derivative in the same passes (the derivative
only when a backward will need it). With the numba backend a compiled loop
(:mod:`.compiled.activations`) does the same arithmetic in one pass.
"""
import math

import numpy as np

from .backend import compiled
from .layout import inverse_order, memory_order
from .special import cody_erf
from .threads import parallel_for
from . import vecmath

try:                                   # the clip ufunc itself: np.clip adds ~15 µs a call
    from numpy._core.umath import clip as _clip
except ImportError:                    # NumPy 1.x
    from numpy.core.umath import clip as _clip

__all__ = ["gelu", "gelu_derivative", "gelu_backward", "normal_cdf", "KAPPA", "SQRT_2_OVER_PI", "INV_SQRT_2PI"]

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
KAPPA = 0.044715
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(d, approximate="none", derivative=False):
    """(gelu(x), gelu′(x) or None) for an array, both in its dtype; the derivative is computed
    (in the same passes) only when ``derivative`` is true. float16 is computed in float32 and
    rounded once, as torch's kernels; its derivative stays float32 (see :func:`gelu_backward`).
    Both are laid out in memory as ``d`` (computed on its memory order)."""
    p = None if d.ndim < 2 or d.flags.c_contiguous else memory_order(d)
    if p is not None:
        out, grad = gelu(d.transpose(p), approximate, derivative)
        q = inverse_order(p)
        return out.transpose(q), (None if grad is None else grad.transpose(q))
    if d.dtype == np.float16:
        out, grad = _gelu_half(d.astype(np.float32), approximate, derivative)
        return out.astype(np.float16), grad
    if approximate == "none" and d.dtype == np.float32:
        return _gelu_f32(d, True, derivative)
    if approximate == "tanh":
        t = np.tanh((d + d * d * d * KAPPA) * SQRT_2_OVER_PI)
        out = (0.5 * d * (1 + t)).astype(d.dtype, copy=False)
        return out, (_tanh_derivative(d, t) if derivative else None)
    cdf = normal_cdf(d)
    out = (d * cdf).astype(d.dtype, copy=False)
    return out, (_exact_derivative(d, cdf) if derivative else None)


def gelu_derivative(d, approximate="none"):
    """gelu′(x) for an array, in its dtype (float16: in float32, kept so)."""
    if d.dtype == np.float16:
        return _gelu_half(d.astype(np.float32), approximate, True)[1]
    if approximate == "none" and d.dtype == np.float32:
        return _gelu_f32(d, False, True)[1]
    if approximate == "tanh":
        return _tanh_derivative(d, np.tanh((d + d * d * d * KAPPA) * SQRT_2_OVER_PI))
    return _exact_derivative(d, normal_cdf(d))


def gelu_backward(g, derivative):
    """torch's gelu_backward, g·gelu′(x): for float16 g the product in float32 (``derivative``
    is then float32, from :func:`gelu`), rounded once, as torch's kernel."""
    if g.dtype == np.float16 and derivative.dtype == np.float32:
        return (g.astype(np.float32) * derivative).astype(np.float16)
    from .elementwise import arithmetic
    return arithmetic(np.multiply, g, derivative)


def _gelu_half(x, approximate, derivative):
    """float16's gelu and gelu′ as torch's vectorized kernels compute them, in float32 (``x``):
    'none' with torch's float32 erf (Abramowitz & Stegun 7.1.26 with fused multiply-adds),
    x·½·(1 + erf(x/√2)) and gelu′ = Φ + x·φ; 'tanh' as β·(x + κ·x³) in torch's order."""
    f = np.float32
    if approximate == "tanh":
        beta, kappa = f(SQRT_2_OVER_PI), f(KAPPA)
        square = x * x
        t = vecmath.tanh(beta * (x + kappa * (square * x)))
        left, right = f(0.5) * x, f(1) + t
        if not derivative:
            return left * right, None
        inner = beta * (f(1) + f(3) * kappa * square)
        return left * right, f(0.5) * right + left * vecmath.fma(-t, t, f(1)) * inner
    one_plus_erf = f(1) + _erf_f32(x * f(math.sqrt(0.5)))
    out = x * f(0.5) * one_plus_erf
    if not derivative:
        return out, None
    pdf = f(INV_SQRT_2PI) * vecmath.exp(x * x * f(-0.5))
    return out, f(0.5) * one_plus_erf + x * pdf


def _erf_f32(v):
    """torch's vectorized float32 erf: sign(v)·(1 − r(t)·t·e^(−v²)), t = 1/(1 + p·|v|)
    (Abramowitz & Stegun 7.1.26, error ~1e-7), its multiply-adds fused."""
    f, fma = np.float32, vecmath.fma32
    t = f(1) / fma(f(0.3275911), np.abs(v), f(1))
    r = f(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        r = fma(r, t, f(c))
    return np.copysign(fma(-vecmath.exp(-(v * v)) * t, r, f(1)), v).astype(f, copy=False)


def _tanh_derivative(d, t):
    inner_grad = (1 + 3 * KAPPA * d * d) * SQRT_2_OVER_PI
    return (0.5 * (1 + t) + 0.5 * d * (1 - t * t) * inner_grad).astype(d.dtype, copy=False)


def _exact_derivative(d, cdf):
    pdf = np.exp(d * d * -0.5)
    pdf *= INV_SQRT_2PI
    pdf *= d
    pdf += cdf
    return pdf.astype(d.dtype, copy=False)


# ---------------------------------------------------------------------------- Φ in float64
def normal_cdf(d):
    """Φ(x) = ½·erfc(−x/√2) for an array, computed in float64 (W. J. Cody's erf/erfc, see
    :func:`.special.cody_erf`), returned in its own float dtype."""
    x = np.asarray(d, dtype=np.float64)
    z = x / math.sqrt(2.0)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):                 # (±∞ and NaN are handled below)
        small, erf_small, erfc = cody_erf(np.abs(z))
    if small.any():
        out[small] = 0.5 + 0.5 * np.copysign(erf_small, z[small])
    big = ~small
    if big.any():
        half = 0.5 * erfc
        out[big] = np.where(z[big] < 0, half, 1.0 - half)
    special = ~np.isfinite(x)           # Φ(nan) = nan, Φ(−∞) = 0, Φ(∞) = 1 (erfc's formula
    if special.any():                   # gives nan at ±∞)
        xs = x[special]
        out[special] = np.where(np.isnan(xs), np.nan, xs > 0)
    return out.astype(d.dtype, copy=False)


# ---------------------------------------------------------------------------- float32
# erf(z) = z·N(z²)/D(z²) on |z| ≤ 4 (the float32 rational approximation of Eigen and XLA; beyond
# 4, erf is ±1 in float32). With z = x/√2 folded into the coefficients, Φ(x) = ½ + x·P(u)/Q(u),
# u = x², P made monic (its leading coefficient divided into both): each Horner step is then
# two in-place passes and the first one is a single add.
_ERF32_NUM = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
              -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
              -1.60960333262415e-02)
_ERF32_DEN = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
              -7.37332916720468e-03, -1.42647390514189e-02)
_NUM = [c * 0.5 / math.sqrt(2.0) / 2.0 ** (len(_ERF32_NUM) - 1 - k)
        for k, c in enumerate(_ERF32_NUM)]
_DEN = [c / 2.0 ** (len(_ERF32_DEN) - 1 - k) for k, c in enumerate(_ERF32_DEN)]
PHI_P = tuple(np.float32(c / _NUM[0]) for c in _NUM[1:])    # P(u) = u⁶ + P[0]·u⁵ + … + P[5]
PHI_Q = tuple(np.float32(c / _NUM[0]) for c in _DEN)        # Q(u) = Q[0]·u⁴ + … + Q[4]
U_MAX = np.float32(32.0)            # u = x² clamped at 32 (|x| = 4√2, erf(4) = 1 in float32)
_ZERO, _ONE, _HALF = np.float32(0.0), np.float32(1.0), np.float32(0.5)
_MINUS_HALF, _INV_SQRT_2PI = np.float32(-0.5), np.float32(INV_SQRT_2PI)

# A slab of 64K floats (256 KB): the ~30 passes of a slab run in cache, so the arrays are read
# and written about once; bigger slabs leave the cache, smaller ones pay NumPy's per-call cost.
_SLAB = 1 << 16


def _gelu_f32(d, want_out, want_der):
    """(x·Φ(x) or None, Φ(x) + x·φ(x) or None) for a float32 array."""
    fast = compiled()
    if fast is not None:
        from .compiled import activations
        return activations.gelu_f32(d, want_out, want_der)
    flat = np.ascontiguousarray(d).reshape(-1)
    n = flat.size
    out = np.empty(n, np.float32) if want_out else None
    der = np.empty(n, np.float32) if want_der else None

    def run(start, stop):              # one thread's part, a slab at a time
        scratch = [np.empty(min(stop - start, _SLAB), np.float32) for _ in range(3)]
        for i in range(start, stop, _SLAB):
            j = min(i + _SLAB, stop)
            _gelu_slab(flat[i:j], None if out is None else out[i:j],
                       None if der is None else der[i:j], *(s[:j - i] for s in scratch))
    parallel_for(n, run, work=3 * n)
    return (None if out is None else out.reshape(d.shape),
            None if der is None else der.reshape(d.shape))


def _gelu_slab(x, out, der, u, p, q):
    """out ← x·Φ(x) and der ← Φ(x) + x·φ(x) for one float32 slab (either may be None; u, p,
    q: scratch). Φ is clamped to [0, 1], so it is exactly 0 far left and 1 far right, and a
    nan stays nan (x multiplies everything); x = −∞ gives nan, as torch's x·Φ(x)."""
    np.multiply(x, x, out=u)
    if der is not None:
        np.multiply(u, _MINUS_HALF, out=der)         # −x²/2, for φ, before u is clamped
    _clip(u, _ZERO, U_MAX, out=u)
    np.add(u, PHI_P[0], out=p)                       # P(u), Horner
    for c in PHI_P[1:]:
        p *= u
        p += c
    p *= x
    np.multiply(u, PHI_Q[0], out=q)                  # Q(u)
    for c in PHI_Q[1:-1]:
        q += c
        q *= u
    q += PHI_Q[-1]
    p /= q
    p += _HALF
    _clip(p, _ZERO, _ONE, out=p)                     # p = Φ(x)
    if out is not None:
        np.multiply(x, p, out=out)
    if der is not None:
        np.exp(der, out=der)
        der *= x
        der *= _INV_SQRT_2PI
        der += p
