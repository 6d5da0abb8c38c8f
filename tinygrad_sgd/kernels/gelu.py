"""The GELU's numerics: Φ (the normal CDF) accurate in both tails, and float32 GELU and its
derivative a cache-sized slab at a time with in-place passes (NumPy's float32 exp is slow; a
rational approximation of erf is faster at the same accuracy)."""
import math

import numpy as np

__all__ = ["gelu_forward", "gelu_derivative", "gelu_f32", "gelu_backward_f32", "normal_cdf",
           "KAPPA", "SQRT_2_OVER_PI", "INV_SQRT_2PI"]

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
KAPPA = 0.044715
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)



def gelu_forward(d, approximate):
    if approximate == "tanh":
        inner = np.tanh((d + d * d * d * KAPPA) * SQRT_2_OVER_PI)
        return (0.5 * d * (1 + inner)).astype(d.dtype, copy=False)
    return (d * normal_cdf(d)).astype(d.dtype, copy=False)


def gelu_derivative(d, approximate):
    if approximate == "tanh":
        t = np.tanh((d + d * d * d * KAPPA) * SQRT_2_OVER_PI)
        inner_grad = (1 + 3 * KAPPA * d * d) * SQRT_2_OVER_PI
        return (0.5 * (1 + t) + 0.5 * d * (1 - t * t) * inner_grad).astype(d.dtype, copy=False)
    pdf = np.exp(d * d * -0.5)
    pdf *= INV_SQRT_2PI
    pdf *= d
    pdf += normal_cdf(d)
    return pdf.astype(d.dtype, copy=False)



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
        pdf *= np.float32(INV_SQRT_2PI)
        o += pdf
        o *= gs
    return out
