"""torch's vectorized elementwise math, as near as NumPy gets: the activations' kernels.

torch's CPU kernels compute exp, log1p and tanh with a vectorized library whose float32 results
are the correctly rounded ones in all but ~1% of elements; NumPy's own float32 loops differ from
them in 30-40% (both within an ulp or two). So float32 is computed here in float64 and rounded
once. torch's compiled kernels also fuse a multiply and an add into one rounding where its code
writes ``1 − t·t`` (tanh's backward), ``1 + x·(1 − s)`` (silu's), ``a + v·b·c`` (addcmul) or
``x·scale + shift`` (its random kernels): :func:`fma` rounds once, exactly, with NumPy
(:func:`fma32`, :func:`fma64`; checked against rational arithmetic in tests/test_random.py). Half precision is computed in float32 and rounded once, as torch's
kernels do (:func:`in_float`); each function's steps are torch's, in torch's order.
"""
import numpy as np

__all__ = ["opmath", "via_float64", "exp", "log1p", "tanh", "fma", "fma32", "fma64", "in_float",
           "sigmoid_array", "log_sigmoid_array", "sigmoid_backward_array", "tanh_backward_array"]


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
    """a·b + c rounded once, as the fused multiply-add of torch's compiled kernels:
    :func:`fma32` or :func:`fma64` by the operands' dtype (others plainly)."""
    dt = np.result_type(a, b, c)
    if dt == np.float32:
        return fma32(a, b, c)
    if dt == np.float64:
        return fma64(a, b, c)
    return a * b + c


def _two_sum(a, b):
    """s, e with s = fl(a + b) and a + b = s + e exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


_SPLITTER = 134217729.0  # 2**27 + 1 (Veltkamp)


def _two_prod(a, b):
    """p, e with p = fl(a * b) and a * b = p + e exactly (Dekker; finite, no underflow)."""
    p = a * b
    t = _SPLITTER * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLITTER * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _is_scalar(v, value) -> bool:
    return np.ndim(v) == 0 and v == value


def fma64(a, b, c):
    """Correctly rounded float64 ``a * b + c``, elementwise."""
    with np.errstate(all="ignore"):
        a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
        if _is_scalar(c, 0.0):        # fma(a, b, 0) rounds a * b once
            return a * b
        if _is_scalar(b, 1.0):        # fma(a, 1, c) rounds a + c once
            return a + c
        p, e = _two_prod(a, b)
        s, t = _two_sum(p, c)
        u, v = _two_sum(t, e)
        r, w = _two_sum(s, u)         # exact value = r + w + v, |v| far below r's granularity
        # fl(s + u) can be wrong only when s + u sat exactly halfway between two doubles
        # and the dropped v pushes the true value past that midpoint
        maybe = (v != 0) & (w != 0)
        if np.any(maybe):
            other = np.nextafter(r, np.where(w > 0, np.inf, -np.inf))
            past = maybe & (w == (other - r) * 0.5) & ((v > 0) == (w > 0))
            r = np.where(past, other, r)
        # Dekker's splitting turns an infinite operand or an overflowing product into NaN:
        # there the plain a * b + c is IEEE's answer (±inf, or NaN where fma gives NaN too)
        bad = ~np.isfinite(r)
        if np.any(bad):
            r = np.where(bad, a * b + c, r)
        # an exact 0 (a·b = −c): the plain sum is exact there and has IEEE's sign (−0·x + −0
        # is −0; the two-sums above rebuilt it as +0)
        zero = r == 0
        if np.any(zero):
            r = np.where(zero, a * b + c, r)
    return r


_F32_TINY = 2.0 ** -125       # below this a float32 result may be subnormal


def fma32(a, b, c):
    """Correctly rounded float32 ``a * b + c`` (``vfmadd..ps``), elementwise, float32 out.

    The operands are float32 values (float64 arrays holding float32 values are accepted too,
    which saves a conversion where one operand feeds several calls).

    In float64 ``a * b`` is exact and ``s = a * b + c`` is rounded once; rounding s again to
    float32 is wrong only when s landed exactly halfway between two float32 values (a float64
    with its low 29 mantissa bits 1000...0) while the exact sum was not — those few elements
    are redone with the exact error of the float64 sum.
    """
    with np.errstate(all="ignore"):
        a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
        p = a * b                     # exact: 24 x 24 bits fit in 53
        shape = np.broadcast_shapes(p.shape, c.shape)
        p, c = np.broadcast_to(p, shape).reshape(-1), np.broadcast_to(c, shape).reshape(-1)
        s = p + c
        r = s.astype(np.float32)
        low = s.view(np.uint64) & np.uint64(0x1FFFFFFF)
        check = (low == np.uint64(0x10000000)) | (np.abs(r) < np.float32(_F32_TINY))
        if np.any(check):
            i = np.flatnonzero(check)
            si, ti = _two_sum(p[i], c[i])
            ri = r[i]
            rd = ri.astype(np.float64)
            other = np.nextafter(ri, np.where(si > rd, np.inf, -np.inf).astype(np.float32))
            mid = (rd + other.astype(np.float64)) * 0.5
            past = (ti != 0) & (rd != si) & (si == mid) & ((ti > 0) == (other > ri))
            r[i] = np.where(past, other, ri)
    return r.reshape(shape)


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
