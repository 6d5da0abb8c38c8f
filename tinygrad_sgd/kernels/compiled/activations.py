"""Compiled float32 activations: the GELU, and the masked or scaled softmax over the last dim (with
its backward: attention's; the plain softmax and log-softmax, in torch's order, are in
:mod:`.softmax`).

GELU: x·Φ(x) and gelu′(x) = Φ(x) + x·φ(x) in one loop over the data, with the NumPy kernel's
arithmetic (:mod:`tinygrad_sgd.kernels.gelu`: Φ from the same rational approximation, clamped
to [0, 1]). Softmax: max, e^(x−m), sum and division a row at a time, the row staying in cache
(the NumPy version makes five passes over the whole array); the attention mask is read per row
instead of being broadcast into an array. e^t is computed here (range reduction and a
degree-7 polynomial, ≤ 1 ulp): numba's ``math.exp``/``math.erf`` call libm once per element,
which keeps the loops from vectorizing (3-10× slower).

No reassociation (unlike :func:`.kernel`) except in the row sums: the range reduction of e^t
must be evaluated in the order written. Float64 stays on the NumPy kernels.
"""
import numba
import numpy as np

from ..gelu import PHI_P, PHI_Q, U_MAX, INV_SQRT_2PI
from .. import buffers
from ..threads import parallel_for

__all__ = ["gelu_f32", "softmax_rows_f32", "softmax_backward_rows_f32"]

# error_model="numpy": x/0 gives inf/nan as NumPy does (Python's ZeroDivisionError check
# would keep the loops from vectorizing)
_jit = numba.njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
_jit_sum = numba.njit(cache=True, nogil=True, fastmath={"contract", "reassoc"},
                      error_model="numpy")      # sums: any order, so they vectorize

_P0, _P1, _P2, _P3, _P4, _P5 = PHI_P
_Q0, _Q1, _Q2, _Q3, _Q4 = PHI_Q
_F = np.float32
_LOG2E, _LN2_HI, _LN2_LO = _F(1.4426950408889634), _F(0.693145751953125), _F(1.4286067653e-06)
_E7, _E6, _E5, _E4, _E3 = _F(1 / 5040), _F(1 / 720), _F(1 / 120), _F(1 / 24), _F(1 / 6)
_HALF, _ONE, _ZERO, _MINUS_HALF = _F(0.5), _F(1.0), _F(0.0), _F(-0.5)
_INV = _F(INV_SQRT_2PI)
_T_MIN = _F(-104.0)          # e^t rounds to 0 in float32 below this
_U_MAX = _F(U_MAX)


@_jit
def _cdf(v):
    """Φ(v) for a float32 v (not nan-safe by itself: callers multiply by v)."""
    u = min(v * v, _U_MAX)
    p = ((((((u + _P0) * u + _P1) * u + _P2) * u + _P3) * u + _P4) * u + _P5) * v
    q = (((_Q0 * u + _Q1) * u + _Q2) * u + _Q3) * u + _Q4
    return min(max(p / q + _HALF, _ZERO), _ONE)


@_jit
def _exp_nonpositive(t):
    """e^t for float32 t ≤ 0 (or nan): t = n·ln2 + r, |r| ≤ ln2/2, e^r by its Taylor polynomial,
    2ⁿ built from its bits in two halves so that results below 2⁻¹²⁶ round once."""
    t = _T_MIN if t < _T_MIN else t          # (nan stays nan)
    n = np.floor(t * _LOG2E + _HALF)
    r = (t - n * _LN2_HI) - n * _LN2_LO
    e = ((((((_E7 * r + _E6) * r + _E5) * r + _E4) * r + _E3) * r + _HALF) * r + _ONE) * r \
        + _ONE
    k = np.int32(n)
    k1 = k >> 1
    s1 = np.int32((k1 + 127) << 23).view(np.float32)
    s2 = np.int32((k - k1 + 127) << 23).view(np.float32)
    return e * s1 * s2


@_jit
def _gelu_and_derivative(x, out, der):
    for i in range(x.size):
        v = x[i]
        c = _cdf(v)
        out[i] = v * c
        der[i] = c + v * _exp_nonpositive(v * v * _MINUS_HALF) * _INV


@_jit
def _gelu(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = v * _cdf(v)


@_jit
def _derivative(x, der):
    for i in range(x.size):
        v = x[i]
        der[i] = _cdf(v) + v * _exp_nonpositive(v * v * _MINUS_HALF) * _INV


def gelu_f32(d, want_out, want_der):
    """(x·Φ(x) or None, gelu′(x) or None) for a float32 array, as the NumPy kernel's
    ``_gelu_f32``."""
    flat = np.ascontiguousarray(d).reshape(-1)
    n = flat.size
    out = buffers.empty((n,), np.float32) if want_out else None     # (warm memory: see buffers)
    der = buffers.empty((n,), np.float32) if want_der else None
    if want_out and want_der:
        parallel_for(n, lambda a, b: _gelu_and_derivative(flat[a:b], out[a:b], der[a:b]),
                     work=3 * n)
    elif want_out:
        parallel_for(n, lambda a, b: _gelu(flat[a:b], out[a:b]), work=2 * n)
    elif want_der:
        parallel_for(n, lambda a, b: _derivative(flat[a:b], der[a:b]), work=2 * n)
    return (None if out is None else out.reshape(d.shape),
            None if der is None else der.reshape(d.shape))


# ---------------------------------------------------------------------------- softmax
_NO_MASK = np.ones((1, 1), np.bool_)


def softmax_rows_f32(d, mask, scale=_ONE):
    """Softmax over the last dim of a float32 array, as the NumPy kernel
    (:func:`..softmax.softmax`) — of ``scale``·d, each product rounded to float32 first;
    ``mask``: None, True, or a boolean array of shape (S,) or (L, S) for the last two dims
    (True = keep; row r of the flattened array reads mask row r mod L). None when the mask
    has another shape (the NumPy kernel then runs)."""
    keep = _rows_mask(mask, d)
    if keep is None:
        return None
    n = d.shape[-1]
    x = np.ascontiguousarray(d).reshape(-1, n)
    out = buffers.empty(x.shape, x.dtype)           # (warm memory: see buffers)
    use_keep, masked = keep is not _NO_MASK, mask is not None
    c = np.float32(scale)
    runs = _runs(mask, keep) if use_keep else None
    if runs is not None:
        lo, hi = runs
        parallel_for(len(x), lambda a, b: _softmax_runs(x[a:b], a, lo, hi, c, out[a:b]),
                     work=2 * x.size)
    else:
        parallel_for(len(x), lambda a, b: _softmax_rows(x[a:b], a, keep, use_keep, masked, c,
                                                       out[a:b]), work=2 * x.size)
    return out.reshape(d.shape)


_runs_cache = {}        # id of a read-only mask -> (the mask, first kept, past the last kept)


def _runs(mask, keep):
    """For a mask that keeps one run of places per row — a causal mask: row k keeps
    ``lo[k] ≤ j < hi[k]`` — the pair ``(lo, hi)``; None for other masks. Only for read-only
    arrays that own their memory (the attention's causal masks are such constants), whose
    answer is remembered; a mask that could change later is read place by place instead."""
    if not isinstance(mask, np.ndarray) or mask.flags.writeable or mask.base is not None:
        return None
    hit = _runs_cache.get(id(mask))
    if hit is not None and hit[0] is mask:
        return hit[1]
    count = keep.sum(axis=1)
    lo = np.where(count > 0, keep.argmax(axis=1), 0)
    hi = lo + count
    cols = np.arange(keep.shape[1])
    one_run = np.array_equal(keep, (cols >= lo[:, None]) & (cols < hi[:, None]))
    runs = (lo.astype(np.int64), hi.astype(np.int64)) if one_run else None
    if len(_runs_cache) < 64:
        _runs_cache[id(mask)] = (mask, runs)     # (holding the mask: its id stays its own)
    return runs


def _rows_mask(mask, d):
    """The mask as (period, S) booleans (_NO_MASK for None/True), None if not of that form."""
    if mask is None or mask is True:
        return _NO_MASK
    keep = np.asarray(mask)
    n = d.shape[-1]
    if keep.dtype != np.bool_ or keep.ndim > 2 or keep.shape[-1] != n or \
            (keep.ndim == 2 and (d.ndim < 2 or keep.shape[0] != d.shape[-2])):
        return None
    return np.ascontiguousarray(keep.reshape(-1, n))


@_jit_sum
def _row_sum(a, r):
    total = np.float32(0.0)
    for j in range(a.shape[1]):
        total += a[r, j]
    return total


@_jit_sum
def _row_dot(a, b, r):
    total = np.float32(0.0)
    for j in range(a.shape[1]):
        total += a[r, j] * b[r, j]
    return total


# a max that vectorizes: eight running maxima side by side (one max carried through the row is
# a chain LLVM does not split). No-nan is assumed here, and harmless — a nan in the row
# reaches the sum through e^(x−m) and makes the whole row nan whatever m this returns
@numba.njit(cache=True, nogil=True, fastmath={"nnan", "reassoc", "nsz"}, error_model="numpy")
def _row_max(x, r, keep, kr, use_keep, c):
    """max of c·x[r] over the kept places."""
    n = x.shape[1]
    ninf = np.float32(-np.inf)
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = ninf
    j = 0
    while j + 8 <= n:
        v0, v1, v2, v3 = x[r, j] * c, x[r, j + 1] * c, x[r, j + 2] * c, x[r, j + 3] * c
        v4, v5, v6, v7 = x[r, j + 4] * c, x[r, j + 5] * c, x[r, j + 6] * c, x[r, j + 7] * c
        if use_keep:
            v0 = v0 if keep[kr, j] else ninf
            v1 = v1 if keep[kr, j + 1] else ninf
            v2 = v2 if keep[kr, j + 2] else ninf
            v3 = v3 if keep[kr, j + 3] else ninf
            v4 = v4 if keep[kr, j + 4] else ninf
            v5 = v5 if keep[kr, j + 5] else ninf
            v6 = v6 if keep[kr, j + 6] else ninf
            v7 = v7 if keep[kr, j + 7] else ninf
        m0, m1 = (v0 if v0 > m0 else m0), (v1 if v1 > m1 else m1)
        m2, m3 = (v2 if v2 > m2 else m2), (v3 if v3 > m3 else m3)
        m4, m5 = (v4 if v4 > m4 else m4), (v5 if v5 > m5 else m5)
        m6, m7 = (v6 if v6 > m6 else m6), (v7 if v7 > m7 else m7)
        j += 8
    m0, m1 = (m4 if m4 > m0 else m0), (m5 if m5 > m1 else m1)
    m2, m3 = (m6 if m6 > m2 else m2), (m7 if m7 > m3 else m3)
    m0, m1 = (m2 if m2 > m0 else m0), (m3 if m3 > m1 else m1)
    m = m1 if m1 > m0 else m0
    while j < n:
        v = x[r, j] * c
        if use_keep and not keep[kr, j]:
            v = ninf
        m = v if v > m else m
        j += 1
    return m


@_jit
def _softmax_rows(x, first, keep, use_keep, masked, c, out):
    """Rows ``first``, ``first + 1``, … of the whole array (for the mask) are x's rows; the
    softmax of c·x."""
    rows, n = x.shape
    period = keep.shape[0]
    for r in range(rows):
        kr = (first + r) % period
        m = _row_max(x, r, keep, kr, use_keep, c)
        if masked and m == -np.inf:             # nothing kept above −∞: zeros (or nan)
            m = _ZERO
        if use_keep:
            for j in range(n):
                e = _exp_nonpositive(x[r, j] * c - m)
                out[r, j] = e if keep[kr, j] else _ZERO
        else:
            for j in range(n):
                out[r, j] = _exp_nonpositive(x[r, j] * c - m)
        total = _row_sum(out, r)
        if masked and total == _ZERO:
            total = _ONE
        for j in range(n):
            out[r, j] /= total


@_jit
def _softmax_runs(x, first, lo, hi, c, out):
    """As :func:`_softmax_rows` with a mask whose row k keeps the places lo[k] ≤ j < hi[k]
    only: the other places are not read (half of a causal mask's), just set to 0. (Loops run
    over slices from 0: an index that may be negative would keep them from vectorizing.)"""
    rows = x.shape[0]
    period = lo.shape[0]
    for r in range(rows):
        kr = (first + r) % period
        a, b = lo[kr], hi[kr]
        out[r, :a] = _ZERO
        out[r, b:] = _ZERO
        if a == b:
            continue
        xr, o = x[r, a:b], out[r, a:b]
        m = _run_max(xr, c)
        if m == -np.inf:                         # nothing kept above −∞: zeros
            m = _ZERO
        for j in range(xr.shape[0]):
            o[j] = _exp_nonpositive(xr[j] * c - m)
        total = _run_sum(o)
        if total == _ZERO:
            total = _ONE
        for j in range(o.shape[0]):
            o[j] /= total


@numba.njit(cache=True, nogil=True, fastmath={"nnan", "reassoc", "nsz"}, error_model="numpy")
def _run_max(v, c):
    """max of c·v over a run (no-nan assumed, harmless: see :func:`_row_max`)."""
    m = np.float32(-np.inf)
    for j in range(v.shape[0]):
        m = max(m, v[j] * c)
    return m


@_jit_sum
def _run_sum(v):
    total = np.float32(0.0)
    for j in range(v.shape[0]):
        total += v[j]
    return total


def softmax_backward_rows_f32(g, s, mask=None, scale=_ONE):
    """s·(g − Σ g·s)·scale over the last dim, for float32 arrays of one shape; 0 where
    ``mask`` (as for :func:`softmax_rows_f32`) leaves a place out. None for another mask
    shape."""
    keep = _rows_mask(mask, s)
    if keep is None:
        return None
    n = s.shape[-1]
    gs = np.ascontiguousarray(g).reshape(-1, n)
    ss = np.ascontiguousarray(s).reshape(-1, n)
    out = buffers.empty(ss.shape, ss.dtype)
    use_keep = keep is not _NO_MASK
    c = np.float32(scale)
    parallel_for(len(ss), lambda a, b: _softmax_backward_rows(gs[a:b], ss[a:b], a, keep,
                                                             use_keep, c, out[a:b]),
                 work=3 * ss.size)
    return out.reshape(s.shape)


@_jit
def _softmax_backward_rows(g, s, first, keep, use_keep, c, out):
    period = keep.shape[0]
    for r in range(s.shape[0]):
        dot = _row_dot(g, s, r)
        if use_keep:
            kr = (first + r) % period
            for j in range(s.shape[1]):
                u = (g[r, j] - dot) * s[r, j] * c
                out[r, j] = u if keep[kr, j] else _ZERO
        else:
            for j in range(s.shape[1]):
                out[r, j] = (g[r, j] - dot) * s[r, j] * c
