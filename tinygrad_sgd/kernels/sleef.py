"""SLEEF's exp and log (the ``u10`` versions, within 1 ulp), step by step in NumPy: what torch's
vectorized ``Vectorized<float>::exp()`` / ``log()`` return on x86 (AVX2 and AVX512 give the
same bits: both have fused multiply-adds), and so what its softmax and log-softmax kernels
use. They are *not* correctly rounded, nor what ``torch.exp`` (the unary op, served by MKL
here) returns: each differs from the nearest float in ~1% of elements.

exp: e^d = 2^q·e^s, q = rint(d/ln2), s = d − q·ln2 in two fused steps (ln2 split in a high and
a low part), e^s by a polynomial (Horner's scheme in float32; Estrin's in float64), 2^q as
two factors built from exponent bits (so that results near underflow round once).
log: d = 2^e·m, m in [0.75, 1.5); ln m = 2·atanh((m−1)/(m+1)), x = (m−1)/(m+1) carried as a
pair of floats (its value and its rounding error), a short odd polynomial, all summed with
e·ln2 in pair arithmetic (SLEEF's dfadd2 is :func:`..vecmath._two_sum`). :func:`..vecmath.fma`
makes the fused steps.
The constants and the order of the steps are SLEEF's (``sleefsimdsp.c``, ``sleefsimddp.c``).
"""
import numpy as np

from .vecmath import fma as _fma, fma32, fma64, _two_sum

__all__ = ["exp", "log"]

_F, _D = np.float32, np.float64
_EXPF_POLY = [_F(c) for c in (0.000198527617612853646278381, 0.00139304355252534151077271,
                              0.00833336077630519866943359, 0.0416664853692054748535156,
                              0.166666671633720397949219, 0.5)]
_EXP_POLY = [_D(c) for c in (0.2081276378237164457e-8, 0.2511210703042288022e-7,
                             0.2755762628169491192e-6, 0.2755723402025388239e-5,
                             0.2480158687479686264e-4, 0.1984126989855865850e-3,
                             0.1388888888914497797e-2, 0.8333333333314938210e-2,
                             0.4166666666666602598e-1, 0.1666666666666669072e+0)]
_LOG_POLY = [_D(c) for c in (0.1532076988502701353e+0, 0.1525629051003428716e+0,
                             0.1818605932937785996e+0, 0.2222214519839380009e+0,
                             0.2857142932794299317e+0, 0.3999999999635251990e+0,
                             0.6666666666667333541e+0)]
# dtype -> (1/ln2, ln2 high, ln2 low, below: 0, above: +inf, mantissa bits, exponent bias,
#           ln2 as a pair for log)
_C = {_F: (_F(1.442695040888963407359924681001892137426645954152985934135449),
           _F(0.693145751953125), _F(1.428606765330187045e-06), _F(-104), _F(100), 23, 127,
           (_F(0.69314718246459960938), _F(-1.904654323148236017e-09))),
      _D: (_D(1.442695040888963407359924681001892137426645954152985934135449406931),
           _D(.69314718055966295651160180568695068359375),
           _D(.28235290563031577122588448175013436025525412068e-12), _D(-1000),
           _D(709.78271114955742909217217426), 52, 1023,
           (_D(0.693147180559945286226764), _D(2.319046813846299558417771e-17)))}
_INT = {_F: np.int32, _D: np.int64}


def _pow2(k, t):
    """2^k for int k from its exponent bits (k within the normal range)."""
    mant, bias = _C[t][5], _C[t][6]
    it = _INT[t]
    return ((k + it(bias)).astype(it) << it(mant)).view(t)


def exp(d):
    """SLEEF's xexpf (float32) or xexp (float64) of an array: torch's vectorized exp."""
    t = d.dtype.type
    r_ln2, l2u, l2l, low, high = _C[t][:5]
    with np.errstate(all="ignore"):
        q = np.rint(d * r_ln2)
        s = _fma(q, -l2u, d)
        s = _fma(q, -l2l, s)
        if t is _F:                       # Horner's scheme, then 1 + s + s²·u
            u = _EXPF_POLY[0]
            for c in _EXPF_POLY[1:]:
                u = fma32(u, s, c)
            u = _F(1) + fma32(s * s, u, s)
        else:                             # Estrin's scheme (SLEEF's POLY10), then 3 steps
            c9, c8, c7, c6, c5, c4, c3, c2, c1, c0 = _EXP_POLY
            s2 = s * s
            s4 = s2 * s2
            s8 = s4 * s4
            p8 = fma64(s4, fma64(s2, fma64(s, c7, c6), fma64(s, c5, c4)),
                       fma64(s2, fma64(s, c3, c2), fma64(s, c1, c0)))
            u = fma64(s8, fma64(s, c9, c8), p8)
            for c in (_D(0.5), _D(1), _D(1)):
                u = fma64(u, s, c)
        k = np.where(np.abs(q) < 2048, q, 0).astype(_INT[t])     # (nan, ±inf: masked below)
        half = k >> 1
        u = u * _pow2(half, t) * _pow2(k - half, t)
        u = np.where(d > high, t(np.inf), u)
        u = np.where(d < low, t(0), u)
    return u.astype(t, copy=False)


def log(d):
    """SLEEF's xlogf_u1 (float32) or xlog_u1 (float64) of an array of normal numbers, 0, ±inf
    or nan (subnormals are not scaled first, as SLEEF does: no caller here gives them)."""
    t = d.dtype.type
    it, mant, bias = _INT[t], _C[t][5], _C[t][6]
    ln2_hi, ln2_lo = _C[t][7]
    with np.errstate(all="ignore"):
        e = ((d * t(1 / 0.75)).view(it) >> it(mant) & it(2 * bias + 1)) - it(bias)
        m = (d.view(it) - (e << it(mant))).view(t)              # d / 2^e, in [0.75, 1.5)
        ef = e.astype(t)
        sx = ln2_hi * ef                                        # e·ln2 as a pair
        sy = _fma(ln2_lo, ef, _fma(ln2_hi, ef, -sx))
        nx, ny = _two_sum(t(-1), m)                             # x = (m − 1)/(m + 1), a pair
        dx, dy = _two_sum(t(1), m)
        r = t(1) / dx
        xx = nx * r
        v = _fma(-dy, r, _fma(-dx, r, t(1)))
        xy = _fma(xx, v, _fma(ny, r, _fma(r, nx, -xx)))
        x2 = xx * xx
        if t is _F:
            p = fma32(fma32(_F(0.3027294874), x2, _F(0.3996108174)), x2, _F(0.6666694880))
        else:                                                   # SLEEF's POLY7, Estrin
            c6, c5, c4, c3, c2, c1, c0 = _LOG_POLY
            x4 = x2 * x2
            x8 = x4 * x4
            p = fma64(x8, fma64(x4, c6, fma64(x2, c5, c4)),
                      fma64(x4, fma64(x2, c3, c2), fma64(x2, c1, c0)))
        ax, ay = xx * t(2), xy * t(2)                           # e·ln2 + 2x + x³·p
        s = sx + ax
        sy = (((sx - s) + ax) + sy) + ay
        w = (x2 * xx) * p
        s2 = s + w
        out = s2 + (((s - s2) + w) + sy)
        out = np.where(np.isposinf(d), t(np.inf), out)
        out = np.where((d < 0) | np.isnan(d), t(np.nan), out)
        out = np.where(d == 0, t(-np.inf), out)
    return out.astype(t, copy=False)
