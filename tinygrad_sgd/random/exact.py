"""Exact fused multiply-add in NumPy.

torch's compiled random kernels compute ``x * scale + shift`` with one rounding (the compiler
fuses the multiply-add into ``vfmadd``); NumPy rounds twice. These helpers give the singly
rounded results, elementwise and vectorised, so the uniforms and normals here match torch's
bit for bit. ``tests/test_random.py`` checks them against exact rational arithmetic.
"""
import numpy as np

__all__ = ["fma32", "fma64", "by_slabs"]


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


_SLAB = 1 << 16


def by_slabs(fn, x: np.ndarray, *args, rows: int = _SLAB) -> np.ndarray:
    """``fn(x, *args)`` for a row-wise ``fn``, computed ``rows`` rows at a time.

    Same values; it keeps NumPy's temporaries small. Whole-array temporaries of 4 MiB and more
    get huge pages from NumPy, and faulting those in cost several times the arithmetic.
    """
    if len(x) <= rows:
        return fn(x, *args)
    return np.concatenate([fn(x[i:i + rows], *args) for i in range(0, len(x), rows)])
