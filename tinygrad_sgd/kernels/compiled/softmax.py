"""Compiled float32 softmax and log-softmax over the last dim, forward and backward, in torch's
order: the twins of :mod:`..softmax`'s ``_torch_*`` kernels, bit for bit (see that module's
doc: ATen's ``SoftMaxKernel.cpp`` a row at a time, each max and sum ``vec::reduce_all`` over W
lanes, SLEEF's exp and log).

A row stays in cache through its passes. e^t is SLEEF's ``xexpf`` (:func:`..sleef.exp`) and ln
its ``xlogf_u1`` (once a row), each fused multiply-add LLVM's ``llvm.fma`` (exact). No fastmath
anywhere here: every sum runs in torch's order, lanes side by side (W = 16 on an AVX-512 CPU, 8
on AVX2: :mod:`..cpu`), which is what lets the lane loops vectorize without reassociation.
The lane count is a constant of each compiled kernel: one set per W (:func:`_kernels`).

(house: long file — one set of row kernels per vector width torch runs, each a few lines.)
"""
import numba
import numpy as np

from .optim import _fma
from .. import buffers, cpu, threads
from ..sleef import _C, _EXPF_POLY

__all__ = ["softmax_rows", "log_softmax_rows", "softmax_backward_rows",
           "log_softmax_backward_rows"]

_exact = numba.njit(cache=True, nogil=True, error_model="numpy")     # no fastmath: torch's order
_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")

_F = np.float32
_R_LN2, _L2U, _L2L, _LOW, _HIGH = _C[_F][:5]
_M_L2U, _M_L2L = -_L2U, -_L2L
_C5, _C4, _C3, _C2, _C1, _C0 = _EXPF_POLY
_LN2_HI, _LN2_LO = _C[_F][7]
_MAGIC = _F(12582912.0)          # 1.5·2²³: (v + it) − it rounds v to an integer, ties to even
_ONE, _TWO, _ZERO = _F(1), _F(2), _F(0)
_INF = _F(np.inf)
_FOUR_THIRDS = _F(1 / 0.75)
_P2, _P1, _P0 = _F(0.3027294874), _F(0.3996108174), _F(0.6666694880)


@_exact
def _pow2(k):
    return np.int32((k + 127) << 23).view(np.float32)


@_exact
def _expf(d):
    """SLEEF's xexpf of a float32 (as :func:`..sleef.exp`)."""
    t = _LOW if d < _LOW else d              # (clamped so that 2^q stays in range; nan stays)
    t = _HIGH if t > _HIGH else t
    q = (t * _R_LN2 + _MAGIC) - _MAGIC
    s = _fma(q, _M_L2U, t)
    s = _fma(q, _M_L2L, s)
    u = _fma(_C5, s, _C4)
    u = _fma(u, s, _C3)
    u = _fma(u, s, _C2)
    u = _fma(u, s, _C1)
    u = _fma(u, s, _C0)
    u = _ONE + _fma(s * s, u, s)
    k = np.int32(q) if q == q else np.int32(0)
    h = k >> 1
    u = u * _pow2(h) * _pow2(k - h)
    u = _ZERO if d < _LOW else u
    return _INF if d > _HIGH else u


@_exact
def _two_sum(x, y):
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


@_exact
def _logf(d):
    """SLEEF's xlogf_u1 of a float32 ≥ 1, +inf or nan (a row's Σ e^(x−m)): as
    :func:`..sleef.log`."""
    if d != d or d == _INF:
        return d
    e = ((np.float32(d * _FOUR_THIRDS).view(np.int32) >> 23) & 255) - 127
    m = np.int32(np.float32(d).view(np.int32) - (e << 23)).view(np.float32)
    ef = np.float32(e)
    sx = _LN2_HI * ef
    sy = _fma(_LN2_LO, ef, _fma(_LN2_HI, ef, -sx))
    nx, ny = _two_sum(-_ONE, m)
    dx, dy = _two_sum(_ONE, m)
    r = _ONE / dx
    xx = nx * r
    v = _fma(-dy, r, _fma(-dx, r, _ONE))
    xy = _fma(xx, v, _fma(ny, r, _fma(r, nx, -xx)))
    x2 = xx * xx
    p = _fma(_fma(_P2, x2, _P1), x2, _P0)
    ax, ay = xx * _TWO, xy * _TWO
    s = sx + ax
    sy = (((sx - s) + ax) + sy) + ay
    w = (x2 * xx) * p
    s2 = s + w
    return s2 + (((s - s2) + w) + sy)


@_exact
def _max(a, b):
    """vec::maximum: a > b ? a : b, nan if either is."""
    return a if (a > b or a != a) else b


# The row kernels are written once, generic in W (the lanes), ``tree`` (the fold by halving or
# one by one) and ``fused`` (the softmax backward's last partial vector of products added with
# fused steps), and compiled for each set torch uses as module-level kernels that pass them as
# constants: the generic parts are inlined (``inline="always"``), so LLVM sees W as a constant
# and unrolls the lane loops into whole-vector steps (a run-time W was 3-7x slower), and numba
# caches the kernels on disk as any other (closures over W could not be cached: every process
# compiled them again, ~1.3 s).

@_inline
def _fold_max(acc, w, tree):
    """The W lanes folded as torch's vec_reduce_all (see :func:`_fold_sum`)."""
    if tree:
        half = w
        while half > 1:
            half //= 2
            for k in range(half):
                acc[k] = _max(acc[k], acc[k + half])
        return acc[0]
    out = acc[0]
    for k in range(1, w):
        out = _max(out, acc[k])
    return out


@_inline
def _fold_sum(acc, w, tree):
    """Lane i with lane i + W/2, then i + W/4, ... (``tree``), or one by one."""
    if tree:
        half = w
        while half > 1:
            half //= 2
            for k in range(half):
                acc[k] = acc[k] + acc[k + half]
        return acc[0]
    out = acc[0]
    for k in range(1, w):
        out = out + acc[k]
    return out


@_inline
def _row_max(v, acc, w, tree):
    """torch's vec::reduce_all(maximum) of a row: short rows one by one; else W lanes, each
    full vector in turn, the partial last one into lanes [0, r), then the fold."""
    n = v.shape[0]
    m = v[0]
    if n < w:
        for i in range(1, n):
            m = _max(m, v[i])
        return m
    full = n - n % w
    for k in range(w):
        acc[k] = v[k]
    for j in range(w, full, w):
        for k in range(w):
            acc[k] = _max(acc[k], v[j + k])
    for k in range(n - full):
        acc[k] = _max(acc[k], v[full + k])
    return _fold_max(acc, w, tree)


@_inline
def _row_sum(v, acc, w, tree):
    """torch's vec::reduce_all(+) of a row, in the order of :func:`_row_max`."""
    n = v.shape[0]
    total = v[0]
    if n < w:
        for i in range(1, n):
            total += v[i]
        return total
    full = n - n % w
    for k in range(w):
        acc[k] = v[k]
    for j in range(w, full, w):
        for k in range(w):
            acc[k] += v[j + k]
    for k in range(n - full):
        acc[k] += v[full + k]
    return _fold_sum(acc, w, tree)


@_inline
def _row_dot(v, u, acc, w, tree, fused):
    """torch's vec::map2_reduce_all(·, +) of two rows: each product rounded, then added in the
    order of :func:`_row_sum` (``fused``: the partial last vector's products and adds fused,
    see ``..softmax._serial_fma``)."""
    n = v.shape[0]
    total = v[0] * u[0]
    if n < w:
        for i in range(1, n):
            total += v[i] * u[i]
        return total
    full = n - n % w
    for k in range(w):
        acc[k] = v[k] * u[k]
    for j in range(w, full, w):
        for k in range(w):
            acc[k] += v[j + k] * u[j + k]
    if fused:
        for k in range(n - full):
            acc[k] = _fma(v[full + k], u[full + k], acc[k])
    else:
        for k in range(n - full):
            acc[k] += v[full + k] * u[full + k]
    return _fold_sum(acc, w, tree)


@_inline
def _softmax(x, out, w, tree):
    acc = np.empty(w, _F)
    n = x.shape[1]
    for r in range(x.shape[0]):
        xr, o = x[r], out[r]
        m = _row_max(xr, acc, w, tree)
        for j in range(n):
            o[j] = _expf(xr[j] - m)
        inv = _ONE / _row_sum(o, acc, w, tree)
        for j in range(n):
            o[j] = o[j] * inv


@_inline
def _log_softmax(x, out, w, tree):
    acc = np.empty(w, _F)
    n = x.shape[1]
    for r in range(x.shape[0]):
        xr, o = x[r], out[r]
        m = _row_max(xr, acc, w, tree)
        for j in range(n):
            o[j] = _expf(xr[j] - m)
        lse = _logf(_row_sum(o, acc, w, tree))
        for j in range(n):
            o[j] = (xr[j] - m) - lse


@_inline
def _softmax_backward(g, y, out, w, tree, fused):
    acc = np.empty(w, _F)
    n = y.shape[1]
    for r in range(y.shape[0]):
        gr, yr, o = g[r], y[r], out[r]
        dot = _row_dot(gr, yr, acc, w, tree, fused)
        for j in range(n):
            o[j] = (gr[j] - dot) * yr[j]


@_inline
def _log_softmax_backward(g, z, out, w, tree):
    acc = np.empty(w, _F)
    n = z.shape[1]
    for r in range(z.shape[0]):
        gr, zr, o = g[r], z[r], out[r]
        total = _row_sum(gr, acc, w, tree)
        for j in range(n):
            o[j] = _fma(-_expf(zr[j]), total, gr[j])


# AVX-512: 16 lanes folded by halving
@_exact
def _softmax_16(x, out):
    _softmax(x, out, 16, True)


@_exact
def _log_softmax_16(x, out):
    _log_softmax(x, out, 16, True)


@_exact
def _softmax_backward_16(g, y, out):
    _softmax_backward(g, y, out, 16, True, False)


@_exact
def _softmax_backward_16_fused(g, y, out):
    _softmax_backward(g, y, out, 16, True, True)


@_exact
def _log_softmax_backward_16(g, z, out):
    _log_softmax_backward(g, z, out, 16, True)


# AVX2: 8 lanes folded by halving
@_exact
def _softmax_8(x, out):
    _softmax(x, out, 8, True)


@_exact
def _log_softmax_8(x, out):
    _log_softmax(x, out, 8, True)


@_exact
def _softmax_backward_8(g, y, out):
    _softmax_backward(g, y, out, 8, True, False)


@_exact
def _softmax_backward_8_fused(g, y, out):
    _softmax_backward(g, y, out, 8, True, True)


@_exact
def _log_softmax_backward_8(g, z, out):
    _log_softmax_backward(g, z, out, 8, True)


# DEFAULT (no AVX2): 8 lanes one by one (best effort: torch's bits are not claimed there)
@_exact
def _softmax_8s(x, out):
    _softmax(x, out, 8, False)


@_exact
def _log_softmax_8s(x, out):
    _log_softmax(x, out, 8, False)


@_exact
def _softmax_backward_8s(g, y, out):
    _softmax_backward(g, y, out, 8, False, False)


@_exact
def _softmax_backward_8s_fused(g, y, out):
    _softmax_backward(g, y, out, 8, False, True)


@_exact
def _log_softmax_backward_8s(g, z, out):
    _log_softmax_backward(g, z, out, 8, False)


_SETS = {(16, True): "16", (8, True): "8", (8, False): "8s"}


def _kernels(w, tree, fused_tail=False):
    """The four row kernels for W lanes folded by halving (``tree``) or one by one, the
    softmax backward's with its last partial vector fused or not (``fused_tail``)."""
    suffix = _SETS[(w, tree)]
    kernels = globals()
    return dict(softmax=kernels["_softmax_" + suffix],
                log_softmax=kernels["_log_softmax_" + suffix],
                softmax_backward=kernels["_softmax_backward_" + suffix +
                                         ("_fused" if fused_tail else "")],
                log_softmax_backward=kernels["_log_softmax_backward_" + suffix])


def _run(name, out_like, *arrays, fused_tail=False):
    """The kernel ``name`` over the rows of float32 arrays (one shape), split over threads."""
    n = out_like.shape[-1]
    rows = [np.ascontiguousarray(a).reshape(-1, n) for a in arrays]
    out = buffers.empty(rows[0].shape, np.float32)           # (warm memory: see buffers)
    kernel = _kernels(cpu.lanes(np.float32), cpu.tree_fold(np.float32), fused_tail)[name]
    work = (len(rows) + 1) * out.size
    if work < threads.MIN_CREW_ELEMENTS or threads.get_num_threads() == 1:
        kernel(*rows, out)                  # (small: no split to make, no closure to build)
    else:
        threads.parallel_for(len(out), lambda a, b: kernel(*[v[a:b] for v in rows], out[a:b]),
                             work=work)
    return out.reshape(out_like.shape)


def softmax_rows(d):
    """torch's softmax over the last dim of a float32 array."""
    return _run("softmax", d, d)


def log_softmax_rows(d):
    """torch's log-softmax over the last dim of a float32 array."""
    return _run("log_softmax", d, d)


def softmax_backward_rows(g, y, fused_tail):
    """torch's softmax backward, (g − Σ g·y)·y, over the last dim (float32, one shape);
    ``fused_tail``: the partial last vector of g·y added with fused multiply-adds."""
    return _run("softmax_backward", y, g, y, fused_tail=bool(fused_tail))


def log_softmax_backward_rows(g, z):
    """torch's log-softmax backward, g − e^z·Σ g as one fused step, over the last dim."""
    return _run("log_softmax_backward", z, g, z)
