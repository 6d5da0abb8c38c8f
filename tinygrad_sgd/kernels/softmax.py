"""The softmax's and log-softmax's numerics along one dim — the softmax with an optional
boolean mask (attention's) and an optional scale of the inputs (attention's 1/√E, so that
scaling the scores costs no pass of its own): the NumPy reference here, the compiled float32
rows in :mod:`.compiled.activations`. float16 is computed in float32 and rounded once, as
torch's CPU kernels do. The op classes are ``ops.activation.SoftmaxOp``, ``SoftmaxGrad`` and
``LogSoftmaxOp``."""
import numpy as np

from .backend import compiled
from .reduce import sum as _sum
from . import vecmath

__all__ = ["softmax", "softmax_backward", "log_softmax", "log_softmax_backward"]


def softmax(d, dim, mask=None, scale=None):
    """e^(x−m)/Σe^(x−m) along ``dim`` of an array, in one new array (``mask``: see SoftmaxOp;
    ``scale`` c: of c·x instead, c·x rounded to the dtype as a product first would be); the
    numba backend runs float32 rows over the last dim in one compiled pass."""
    if d.ndim == 0:
        return softmax(d.reshape(1), 0, mask, scale).reshape(())
    if d.size == 0:
        return d.copy()
    if d.dtype == np.float16:
        return _softmax_half(d, dim, mask, scale)
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
    dim torch keeps e^(x−m) in the float16 output buffer and divides that rounded value by the
    float32 sum of the unrounded ones."""
    if dim == d.ndim - 1 or mask is not None or scale is not None:
        return softmax(d.astype(np.float32), dim, mask, scale).astype(np.float16)
    x = d.astype(np.float32)
    e = vecmath.exp(x - x.max(axis=dim, keepdims=True))
    total = e.sum(axis=dim, keepdims=True, dtype=np.float64).astype(np.float32)
    return (e.astype(np.float16).astype(np.float32) / total).astype(np.float16)


def softmax_backward(g, s, dim, mask=None, scale=None):
    """s·(g − Σ g·s) along ``dim`` (times ``scale``, if given), Σ g·s as one row dot product
    (no g·s array); 0 at the places ``mask`` leaves out (see SoftmaxGrad)."""
    if s.ndim == 0:
        return softmax_backward(g.reshape(1), s.reshape(1), 0, mask, scale).reshape(())
    if s.dtype == np.float16:
        return softmax_backward(g.astype(np.float32), s.astype(np.float32), dim, mask,
                                scale).astype(np.float16)
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
    """z = x − m − ln Σ e^(x−m) along ``dim`` (exact even for logits of 1e4); a 0-d x is a
    row of one."""
    if d.size == 0:
        return d.copy()
    if d.dtype == np.float16:
        return _log_softmax_half(d, dim)
    fast = compiled()
    if fast is not None and d.ndim and dim == d.ndim - 1 and d.dtype == np.float32:
        return fast.activations.log_softmax_rows_f32(d)
    row = d.reshape(1) if d.ndim == 0 else d
    out = row - row.max(axis=dim, keepdims=True)
    lse = np.exp(out).sum(axis=dim, keepdims=True)
    out -= np.log(lse, out=lse)
    return out.reshape(d.shape)


def _log_softmax_half(d, dim):
    """float16 as torch's kernels: in float32, rounded once; along the last dim torch keeps
    Σ e^(x−m) and then its log in float16 buffers, so z = x − m − h(ln h(Σ)) (h: rounded to
    float16), the subtractions in float32."""
    if dim != d.ndim - 1:
        return log_softmax(d.astype(np.float32), dim).astype(np.float16)
    x = d.astype(np.float32)
    m = x.max(axis=dim, keepdims=True)
    total = vecmath.exp(x - m).sum(axis=dim, keepdims=True, dtype=np.float64)
    half = np.float16
    lse = vecmath.via_float64(np.log, total.astype(half).astype(np.float32))
    return (x - m - lse.astype(half).astype(np.float32)).astype(half)


def log_softmax_backward(g, z, dim):
    """g − e^z·Σ g along ``dim`` (z the forward's result): the op's graph formula on arrays,
    bit for bit (e^z as the Exp op computes it: :func:`.vecmath.exp`)."""
    if g.dtype == np.float16:
        return log_softmax_backward(g.astype(np.float32), z.astype(np.float32),
                                    dim).astype(np.float16)
    return g - vecmath.exp(z) * _sum(g, (dim,), True, g.dtype)
