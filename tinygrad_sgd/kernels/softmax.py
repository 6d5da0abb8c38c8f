"""The softmax's and log-softmax's numerics along one dim — the softmax with an optional
boolean mask (attention's) and an optional scale of the inputs (attention's 1/√E, so that
scaling the scores costs no pass of its own): the NumPy reference here, the compiled float32
rows in :mod:`.compiled.softmax` (torch's order) and :mod:`.compiled.activations` (masked or
scaled). The op classes are ``ops.softmax.SoftmaxOp``, ``SoftmaxGrad`` and ``LogSoftmaxOp``.

float32 and float64 over the last dim (no mask, no scale) give torch's bits: ATen's
``SoftMaxKernel.cpp`` a row at a time, in its order —

* softmax: m = max; e = exp(x − m); Σ = sum(e); y = e·(1/Σ) (a product with the reciprocal);
* log-softmax: m = max; Σ = sum(exp(x − m)); z = (x − m) − log Σ;
* their backwards: (g − sum(g·y))·y, and g − exp(z)·sum(g) as one fused multiply-add (and,
  float32 on one thread, the last partial vector of g·y added with fused steps: see
  :func:`_serial_fma`);

exp and log are SLEEF's (:mod:`.sleef`), and each max and sum is ``vec::reduce_all`` over W
lanes (:func:`_reduce_rows`; W from :mod:`.cpu`: 16 float32 on an AVX-512 CPU, 8 on AVX2).
Other dims, masks and scales keep a plain formula (within an ulp or two of torch's). float16 is
computed in float32 and rounded once, as torch's CPU kernels do — along a dim that is not the
last with torch's vector and scalar columns apart (:func:`_softmax_half_columns`).
"""
import numpy as np

from .backend import compiled
from .reduce import sum as _sum
from . import cpu, sleef, vecmath
from .threads import get_num_threads

__all__ = ["softmax", "softmax_backward", "log_softmax", "log_softmax_backward"]


# ------------------------------------------------------------------ torch's order (last dim)
def _torch_rows(d, dim, *others):
    """True when torch's last-dim kernel's arithmetic is followed here: float32/float64 over
    the last dim, the other arrays of the same dtype and shape."""
    return d.dtype in (np.float32, np.float64) and d.ndim and dim == d.ndim - 1 and d.size \
        and all(o.dtype == d.dtype and o.shape == d.shape for o in others)


def _maximum(a, b):
    """vec::maximum: a > b ? a : b (b when equal), nan if either is."""
    out = np.where(a > b, a, b)
    nan = np.isnan(a)
    return np.where(nan, a, out) if nan.any() else out


def _reduce_rows(op, a, fused_tail=None):
    """torch's ``vec::reduce_all(op, row, n)`` for each row of a 2-d array, the rows side by
    side: rows shorter than a vector (n < W) fold x[0], x[1], ... in turn; longer ones add
    each full vector of W into W lanes, the last partial one into lanes [0, r), then fold the
    lanes — by halving (lane i with i + W/2, then W/4, ...) for float32, one by one for
    float64 (see :mod:`.cpu`). ``fused_tail`` (g, y), for a = g·y: the partial last vector
    added as fused multiply-adds (see :func:`_serial_fma`)."""
    n, w = a.shape[1], cpu.lanes(a.dtype)
    if n < w:
        acc = a[:, 0]
        for i in range(1, n):
            acc = op(acc, a[:, i])
        return acc
    full = n - n % w
    acc = a[:, :w]
    for j in range(w, full, w):
        acc = op(acc, a[:, j:j + w])
    if full < n:
        acc = acc.copy()
        acc[:, :n - full] = op(acc[:, :n - full], a[:, full:]) if fused_tail is None else \
            vecmath.fma(fused_tail[0][:, full:], fused_tail[1][:, full:], acc[:, :n - full])
    if cpu.tree_fold(a.dtype):
        while w > 1:
            w //= 2
            acc = op(acc[:, :w], acc[:, w:2 * w])
        return acc[:, 0]
    out = acc[:, 0]
    for i in range(1, w):
        out = op(out, acc[:, i])
    return out


def _rows(a):
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def _torch_softmax(d):
    fast = compiled()
    if fast is not None and d.dtype == np.float32:
        return fast.softmax.softmax_rows(d)
    x = _rows(d)
    e = sleef.exp(x - _reduce_rows(_maximum, x)[:, None])
    inv = 1 / _reduce_rows(np.add, e)
    e *= inv[:, None]
    return e.reshape(d.shape)


def _torch_log_softmax(d):
    fast = compiled()
    if fast is not None and d.dtype == np.float32:
        return fast.softmax.log_softmax_rows(d)
    x = _rows(d)
    shifted = x - _reduce_rows(_maximum, x)[:, None]
    out = shifted - sleef.log(_reduce_rows(np.add, sleef.exp(shifted)))[:, None]
    return out.reshape(d.shape)


def _serial_fma(rows, dtype) -> bool:
    """Whether torch's softmax backward adds the last partial vector of g·y with fused
    multiply-adds: float32 when its ``parallel_for`` runs the rows on the calling thread (one
    thread, or one row) — the compiler fused that step in that copy of the loop only (found by
    comparing with torch; its other copy, on the worker threads, does not). Our thread count
    stands for torch's."""
    return dtype == np.float32 and (rows == 1 or get_num_threads() == 1)


def _torch_softmax_backward(g, y):
    fused = _serial_fma(y.size // y.shape[-1], y.dtype)
    fast = compiled()
    if fast is not None and y.dtype == np.float32:
        return fast.softmax.softmax_backward_rows(g, y, fused)
    gr, yr = _rows(g), _rows(y)
    tail = (gr, yr) if fused else None
    out = (gr - _reduce_rows(np.add, gr * yr, tail)[:, None]) * yr
    return out.reshape(y.shape)


def _torch_log_softmax_backward(g, z):
    fast = compiled()
    if fast is not None and z.dtype == np.float32:
        return fast.softmax.log_softmax_backward_rows(g, z)
    gr, zr = _rows(g), _rows(z)
    total = np.broadcast_to(_reduce_rows(np.add, gr)[:, None], gr.shape)
    return vecmath.fma(-sleef.exp(zr), total, gr).reshape(z.shape)


# ------------------------------------------------------------------ the ops' kernels
def softmax(d, dim, mask=None, scale=None):
    """e^(x−m)/Σe^(x−m) along ``dim`` of an array, in one new array (``mask``: see SoftmaxOp;
    ``scale`` c: of c·x instead, c·x rounded to the dtype as a product first would be); the
    numba backend runs float32 rows over the last dim in one compiled pass."""
    if d.ndim == 0:
        return softmax(d.reshape(1), 0, mask, scale).reshape(())
    if mask is None and scale is None and _torch_rows(d, dim):
        return _torch_softmax(d)
    if d.size == 0:
        return d.copy()
    if d.dtype == np.float16:
        return _softmax_half(d, dim, mask, scale)
    return _softmax_plain(d, dim, mask, scale)


def _softmax_plain(d, dim, mask, scale):
    """The softmax by a plain formula: e^(x−m)/Σe^(x−m), masked or scaled as asked."""
    fast = compiled()
    if fast is not None and dim == d.ndim - 1 and d.dtype == np.float32:
        out = fast.activations.softmax_rows_f32(d, mask, _scale(scale, d))
        if out is not None:
            return out
    if scale is not None:
        d = d * _scale(scale, d)
    x = d
    if mask is not None and mask is not True:   # −∞ at the masked places: a broadcast add of a
        x = d + np.where(mask, 0, -np.inf).astype(d.dtype)  # mask-sized bias (np.where on the
    m = x.max(axis=dim, keepdims=True)                      # whole array is 4x slower)
    if x is not d and not (m < np.inf).all():   # a masked nan or +∞ spoilt its row: exactly
        x = np.where(mask, d, d.dtype.type(-np.inf))        # (rare)
        m = x.max(axis=dim, keepdims=True)
    if mask is not None:
        empty = m == -np.inf                 # nothing kept above −∞: the row gives zeros
        if empty.any():
            m[empty] = 0
    if x is d:
        out = d - m
    else:
        out = x
        out -= m
    np.exp(out, out=out)
    total = out.sum(axis=dim, keepdims=True)
    if mask is not None:
        total[total == 0] = 1                # (an empty row: 0/1)
    out /= total
    return out


def _softmax_half(d, dim, mask, scale):
    """float16 as torch's kernels: in float32, rounded once along the last dim; along another
    dim see :func:`_softmax_half_columns`."""
    if dim == d.ndim - 1 or mask is not None or scale is not None:
        return _softmax_plain(d.astype(np.float32), dim, mask, scale).astype(np.float16)
    return _softmax_half_columns(d, dim)


def _softmax_half_columns(d, dim):
    """torch's float16 softmax along a dim that is not the last (``_vec_softmax``: the array
    as (outer, D, inner), each column of D values one softmax): columns in runs of V
    neighbours (one float16 vector: V = 32 under AVX512, 16 under AVX2) take e = SLEEF's
    exp(x − m) and z = e/Σe in float32, rounded once; the columns left over (:func:`_vector_columns`) keep e in the float16
    output and divide that rounded value by the float32 Σ of the unrounded ones (e from the
    scalar exp, the nearest float32). Σ adds the D values one by one in float32."""
    shape = d.shape
    D = shape[dim]
    outer = int(np.prod(shape[:dim], dtype=np.int64))
    x = d.astype(np.float32).reshape(outer, D, -1)
    shifted = x - x.max(axis=1, keepdims=True)
    vec = _vector_columns(outer, x.shape[2])[:, None, :]
    e = vecmath.exp(shifted)
    if vec.any():
        e = np.where(vec, sleef.exp(shifted), e)
    total = np.cumsum(e, axis=1, dtype=np.float32)[:, -1:, :]
    out = np.where(vec, e, e.astype(np.float16).astype(np.float32)) / total
    return out.astype(np.float16).reshape(shape)


def _vector_columns(outer, inner, step=None):
    """Which of the outer·inner columns torch's ``_vec_softmax`` runs as float32 vectors: its
    ``parallel_for`` over the columns splits them into one equal chunk per thread, however
    few there are (found by comparing with torch: 32 columns already go to two threads; our
    thread count stands for torch's), and walks each chunk taking ``step`` columns at once
    while they stay inside their row of ``inner`` and inside the chunk; the rest of a row (or
    of a chunk) goes one column at a time. ``step``: one float16 vector (32 under AVX512, 16
    under AVX2)."""
    step = cpu.lanes(np.float16) if step is None else step
    n = outer * inner
    flags = np.zeros(n, bool)
    if inner < step:
        return flags.reshape(outer, inner)
    chunk = -(-n // min(get_num_threads(), n))
    for begin in range(0, n, chunk):
        end, idx = min(n, begin + chunk), begin
        while idx < end:                        # a loop over runs of columns, not elements
            inner_idx = idx % inner
            if inner_idx + step <= inner and idx + step <= end:
                flags[idx:idx + step] = True
                idx += step
            else:
                idx += end - idx if idx + step > end else inner - inner_idx
    return flags.reshape(outer, inner)


def softmax_backward(g, s, dim, mask=None, scale=None):
    """s·(g − Σ g·s) along ``dim`` (times ``scale``, if given), Σ g·s as one row dot product
    (no g·s array); 0 at the places ``mask`` leaves out (see SoftmaxGrad)."""
    if s.ndim == 0:
        return softmax_backward(g.reshape(1), s.reshape(1), 0, mask, scale).reshape(())
    if mask is None and scale is None and _torch_rows(s, dim, g):
        return _torch_softmax_backward(g, s)
    if s.dtype == np.float16:
        return _softmax_backward_plain(g.astype(np.float32), s.astype(np.float32), dim, mask,
                                       scale).astype(np.float16)
    return _softmax_backward_plain(g, s, dim, mask, scale)


def _softmax_backward_plain(g, s, dim, mask, scale):
    fast = compiled()
    if fast is not None and dim == s.ndim - 1 and s.dtype == g.dtype == np.float32 \
            and g.shape == s.shape and s.size:
        out = fast.activations.softmax_backward_rows_f32(g, s, mask, _scale(scale, s))
        if out is not None:
            return out
    dot = np.einsum("...i,...i->...", np.moveaxis(g, dim, -1), np.moveaxis(s, dim, -1))
    out = g - np.expand_dims(dot, dim)
    out *= s
    if mask is not None and mask is not True and not np.isfinite(dot).all():
        np.copyto(out, 0, where=~np.asarray(mask))   # (s = 0 there, but 0·nan is nan)
    if scale is not None:
        out *= _scale(scale, out)
    return out


def _scale(scale, a):
    """The scale as a number of ``a``'s dtype (1 for None): products with it round as NumPy's
    ``a * scale`` does."""
    return a.dtype.type(1 if scale is None else scale)


def log_softmax(d, dim):
    """z = (x − m) − ln Σ e^(x−m) along ``dim`` (exact even for logits of 1e4); a 0-d x is a
    row of one; torch's steps over the last dim (see the module's doc)."""
    if d.ndim == 0:
        return log_softmax(d.reshape(1), 0).reshape(())
    if _torch_rows(d, dim):
        return _torch_log_softmax(d)
    if d.size == 0:
        return d.copy()
    if d.dtype == np.float16:
        return _log_softmax_half(d, dim)
    out = d - d.max(axis=dim, keepdims=True)
    lse = np.exp(out).sum(axis=dim, keepdims=True)
    out -= np.log(lse, out=lse)
    return out


def _log_softmax_half(d, dim):
    """float16 as torch's kernels: in float32, rounded once; along the last dim torch keeps
    Σ e^(x−m) and then its log in float16 buffers, so z = x − m − h(ln h(Σ)) (h: rounded to
    float16), the subtractions in float32."""
    if dim != d.ndim - 1:
        return _log_softmax_half_columns(d, dim)
    x = d.astype(np.float32)
    m = x.max(axis=dim, keepdims=True)
    total = vecmath.exp(x - m).sum(axis=dim, keepdims=True, dtype=np.float64)
    half = np.float16
    lse = vecmath.via_float64(np.log, total.astype(half).astype(np.float32))
    return (x - m - lse.astype(half).astype(np.float32)).astype(half)


def _log_softmax_half_columns(d, dim):
    """torch's float16 log-softmax along a dim that is not the last (``_vec_logsoftmax``: the
    array as (outer, D, inner)): in float32, Σ e^(x−m) adding the D values one by one — e
    from SLEEF's exp in the vector columns (:func:`_half_vector_columns`), from the scalar exp
    (the nearest float32) in the others — then z = (x − m) − SLEEF's ln Σ, rounded once."""
    shape = d.shape
    D = shape[dim]
    outer = int(np.prod(shape[:dim], dtype=np.int64))
    x = d.astype(np.float32).reshape(outer, D, -1)
    vec = _half_vector_columns(D, x.shape[2])
    shifted = x - x.max(axis=1, keepdims=True)
    e = vecmath.exp(shifted)
    if vec.any():
        e = np.where(vec, sleef.exp(shifted), e)
    total = np.cumsum(e, axis=1, dtype=np.float32)[:, -1:, :]
    return (shifted - sleef.log(total)).astype(np.float16).reshape(shape)


def log_softmax_backward(g, z, dim):
    """g − e^z·Σ g along ``dim`` (z the forward's result): torch's kernel over the last dim
    (see the module's doc); along another dim the op's graph formula on arrays, bit for bit
    (e^z as the Exp op computes it: :func:`.vecmath.exp`)."""
    if _torch_rows(z, dim, g):
        return _torch_log_softmax_backward(g, z)
    if g.dtype == np.float16 and z.dtype == np.float16 and g.shape == z.shape \
            and dim != z.ndim - 1 and z.size:
        return _log_softmax_backward_half_columns(g, z, dim)
    if g.dtype == np.float16:
        return _log_softmax_backward_plain(g.astype(np.float32), z.astype(np.float32),
                                           dim).astype(np.float16)
    return _log_softmax_backward_plain(g, z, dim)


def _half_vector_columns(D, inner):
    """Which inner columns torch's float16 kernels along a dim that is not the last
    (``_vec_logsoftmax`` and the backwards) run as float32 vectors: the columns in chunks of
    C = 2^16/D rounded down to a multiple of V (at least V), each chunk's whole runs of V —
    V the values in one float16 vector (32 under AVX512, 16 under AVX2)."""
    v = cpu.lanes(np.float16)
    chunk = max(65536 // D // v * v, v)
    start = np.arange(inner) // chunk * chunk
    size = np.minimum(chunk, inner - start)
    return np.arange(inner) - start < size - size % v


def _log_softmax_backward_half_columns(g, z, dim):
    """torch's float16 log-softmax backward along a dim that is not the last
    (``_vec_log_softmax_backward``): Σg over the dim adding the D values one by one in
    float32, then g − e^z·Σg as one fused multiply-add, e^z from SLEEF's exp in the vector
    columns (:func:`_half_vector_columns`), from the scalar exp elsewhere; rounded once."""
    shape = z.shape
    outer = int(np.prod(shape[:dim], dtype=np.int64))
    zf = z.astype(np.float32).reshape(outer, shape[dim], -1)
    gf = g.astype(np.float32).reshape(zf.shape)
    vec = _half_vector_columns(shape[dim], zf.shape[2])
    e = vecmath.exp(zf)
    if vec.any():
        e = np.where(vec, sleef.exp(zf), e)
    total = np.cumsum(gf, axis=1, dtype=np.float32)[:, -1:, :]
    return vecmath.fma32(-e, np.broadcast_to(total, e.shape), gf).astype(np.float16).reshape(shape)


def _log_softmax_backward_plain(g, z, dim):
    return g - vecmath.exp(z) * _sum(g, (dim,), True, g.dtype)
