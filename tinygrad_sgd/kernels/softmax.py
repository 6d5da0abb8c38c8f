"""The softmax's numerics along one dim, with an optional boolean mask (attention's) and an
optional scale of the inputs (attention's 1/√E, so that scaling the scores costs no pass of
its own): the NumPy reference here, the compiled float32 rows in
:mod:`.compiled.activations`. The op classes are ``ops.activation.SoftmaxOp`` and
``SoftmaxGrad``."""
import numpy as np

from .backend import compiled

__all__ = ["softmax", "softmax_backward"]


def softmax(d, dim, mask=None, scale=None):
    """e^(x−m)/Σe^(x−m) along ``dim`` of an array, in one new array (``mask``: see SoftmaxOp;
    ``scale`` c: of c·x instead, c·x rounded to the dtype as a product first would be); the
    numba backend runs float32 rows over the last dim in one compiled pass."""
    if d.ndim == 0:
        return softmax(d.reshape(1), 0, mask, scale).reshape(())
    if d.size == 0:
        return d.copy()
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


def softmax_backward(g, s, dim, mask=None, scale=None):
    """s·(g − Σ g·s) along ``dim`` (times ``scale``, if given), Σ g·s as one row dot product
    (no g·s array); 0 at the places ``mask`` leaves out (see SoftmaxGrad)."""
    if s.ndim == 0:
        return softmax_backward(g.reshape(1), s.reshape(1), 0, mask, scale).reshape(())
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
