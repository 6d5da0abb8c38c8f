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
from .threads import parallel_for

try:                                   # the clip ufunc itself: np.clip adds ~15 µs a call
    from numpy._core.umath import clip as _clip
except ImportError:                    # NumPy 1.x
    from numpy.core.umath import clip as _clip

__all__ = ["gelu", "gelu_derivative", "normal_cdf", "KAPPA", "SQRT_2_OVER_PI", "INV_SQRT_2PI"]

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
KAPPA = 0.044715
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(d, approximate="none", derivative=False):
    """(gelu(x), gelu′(x) or None) for an array, both in its dtype; the derivative is computed
    (in the same passes) only when ``derivative`` is true."""
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
    """gelu′(x) for an array, in its dtype."""
    if approximate == "none" and d.dtype == np.float32:
        return _gelu_f32(d, False, True)[1]
    if approximate == "tanh":
        return _tanh_derivative(d, np.tanh((d + d * d * d * KAPPA) * SQRT_2_OVER_PI))
    return _exact_derivative(d, normal_cdf(d))


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
# W. J. Cody, "Rational Chebyshev approximations for the error function" (Math. Comp. 1969),
# the coefficients of netlib's CALERF; erfc is computed directly (not as 1 − erf) away from 0.
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


def normal_cdf(d):
    """Φ(x) = ½·erfc(−x/√2) for an array, computed in float64, returned in its own float
    dtype."""
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
