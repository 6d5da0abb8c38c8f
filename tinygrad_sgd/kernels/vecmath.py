"""torch's vectorized elementwise math, as near as NumPy gets: the activations' kernels.

torch's CPU kernels compute exp, log1p and tanh with a vectorized library whose float32 results
are the correctly rounded ones in all but ~1% of elements; NumPy's own float32 loops differ from
them in 30-40% (both within an ulp or two). So float32 is computed here in float64 and rounded
once. torch's compiled kernels also fuse a multiply and an add into one rounding where its code
writes ``1 − t·t`` (tanh's backward) or ``1 + x·(1 − s)`` (silu's): :func:`fma` does that
rounding with NumPy. Half precision is computed in float32 and rounded once, as torch's
kernels do (:func:`in_float`); each function's steps are torch's, in torch's order.
"""
import numpy as np

__all__ = ["opmath", "via_float64", "exp", "log1p", "tanh", "fma", "in_float", "sigmoid_array", "log_sigmoid_array",
           "sigmoid_backward_array", "tanh_backward_array"]


def opmath(d):
    """(the scalar type torch's kernels compute d's dtype in, d in it): float32 for float16."""
    f = np.float32 if d.dtype == np.float16 else d.dtype.type
    return f, d.astype(f, copy=False)


def in_float(fn, d):
    """``fn(d)`` in d's dtype; float16 computed in float32 and rounded once, as torch's
    kernels compute half precision."""
    if d.dtype == np.float16:
        return fn(d.astype(np.float32)).astype(np.float16)
    return np.asarray(fn(d)).astype(d.dtype, copy=False)


def via_float64(f, v):
    """The NumPy ufunc ``f`` of v; float32 computed in float64 and rounded once (the nearest
    float32 to f(v) but in rare ties: torch's vectorized sin, cos, exp, log, ... give it in
    90-100% of elements, NumPy's own float32 loops in 50-90%)."""
    return f(v, dtype=np.float64).astype(np.float32) if v.dtype == np.float32 else f(v)


def exp(v):
    """e^v for float32 computed in float64 and rounded once — torch's vectorized exp gives
    that number in all but ~1% of elements, NumPy's own float32 exp differs from it in ~40%
    (both are within an ulp or two of e^v); other dtypes NumPy's."""
    return via_float64(np.exp, v)


def log1p(v):
    """ln(1 + v), float32 rounded from float64 as :func:`exp` (NumPy's float32 log1p differs
    from torch's in ~30% of elements, this in ~1%)."""
    return via_float64(np.log1p, v)


def tanh(v):
    """tanh(v), float32 rounded from float64 as :func:`exp` (NumPy's float32 tanh differs from
    torch's in ~30% of elements, this in 0.06%)."""
    return via_float64(np.tanh, v)


def fma(a, b, c):
    """a·b + c with one rounding, as the fused multiply-add of torch's compiled kernels:
    float32 through float64 (the product is exact there; the sum rounds there first, which
    changes the float32 result only in rare ties); float64 split exactly — a·b = p + e
    (Dekker's product) and p + c = s + r (Knuth's sum), then s + (r + e) — where that stays
    finite, else plainly."""
    if a.dtype == np.float32:
        return (np.multiply(a, b, dtype=np.float64) + c).astype(np.float32)
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s = p + c
    t = s - p
    r = (p - (s - t)) + (c - t)
    out = s + (r + e)
    return np.where(np.isfinite(out), out, s)


def _split(v):
    """v = hi + lo with 26 bits each (Veltkamp's split, float64)."""
    c = 134217729.0 * v                      # 2^27 + 1
    hi = c - (c - v)
    return hi, v - hi


def sigmoid_array(d):
    """σ(d) as torch's kernel: 1 / (1 + e^(−d)), each step in d's dtype (see
    :func:`in_float`, :func:`exp`)."""
    return in_float(lambda v: 1 / (1 + exp(-v)), d)


def log_sigmoid_array(d):
    """ln σ(d) as torch's kernel: min(d, 0) − log1p(e^(−|d|)), in d's dtype."""
    return in_float(lambda v: np.minimum(v, 0) - log1p(exp(-np.abs(v))), d)


def sigmoid_backward_array(g, s):
    """torch's sigmoid_backward: (g·(1 − s))·s, each step in the arrays' dtype."""
    return g * (1 - s) * s


def tanh_backward_array(g, t):
    """torch's tanh_backward, g·(1 − t²), 1 − t² as the fused multiply-add of torch's kernel
    (:func:`fma`: the plain 1 − t·t loses most of its digits as |t| → 1); half precision in
    float32, as torch's."""
    if t.dtype == g.dtype and t.dtype in (np.float32, np.float64):
        return g * fma(-t, t, 1)
    if t.dtype == g.dtype == np.float16:
        factor = 1 - t.astype(np.float32) * t.astype(np.float32)
        return (g.astype(np.float32) * factor).astype(np.float16)
    return g * (1 - t * t)
