"""Normalisation kernels: z = γ·x̂ + β with x̂ = (x − μ)·r, r = 1/√(σ² + ε), μ and the biased σ²
over ``dims`` — the arithmetic of :class:`tinygrad_sgd.ops.norm.Normalize`, on arrays.

    normalize_forward   z, x̂, r (and μ, σ² for batch norm's running statistics)
    normalize_backward  dL/dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ĝ = g·γ;
                        dL/dγ = Σ g·x̂,  dL/dβ = Σ g  (summed to γ's and β's shapes)

The NumPy code here is the reference: a few whole-array passes, in the input's dtype. Layer
norm — ``dims`` the trailing dims of a C-contiguous float32/float64 array, so that each row of
the last ``len(dims)`` dims is one run of memory — goes to the compiled twins when the numba
kernel set is active (:mod:`.compiled.norm`: one row at a time, the row staying in cache, sums
in float64); batch norm (the channel dim in between) always runs here.
"""
import math

import numpy as np

from .backend import compiled
from .elementwise import sum_to_shape

__all__ = ["normalize_forward", "normalize_backward"]


def normalize_forward(d, dims, eps, weight=None, bias=None, keep=True, constant_zero=False):
    """``(out, xhat, rstd, mean, var)`` for an array ``d``: ``out`` = x̂·γ + β (γ, β arrays or
    None, broadcast against ``d``); ``rstd``, ``mean``, ``var`` of ``d``'s shape with ``dims``
    kept as 1s. ``keep``: x̂ is wanted for backward, as an array apart from ``out``; otherwise
    ``xhat`` is None and ``out`` may be x̂'s own memory. ``constant_zero`` (torch's batch and
    instance norm): with ``eps`` 0 a slice of one value has r = 0 (so x̂ = 0), not 1/0."""
    if d.dtype == np.float16:       # in float32, rounded once (torch's float16 kernels)
        out, xhat, rstd, mean, var = normalize_forward(
            d.astype(np.float32), dims, eps, _float32(weight), _float32(bias), keep,
            constant_zero)
        return out.astype(np.float16), xhat, rstd, mean, var
    constant_zero = constant_zero and eps == 0
    fast = None if constant_zero else _fast(d, dims, weight, bias)
    if fast is not None:
        return fast.norm.layer_norm_forward(d, len(dims), eps, weight, bias, keep)
    mean = d.mean(axis=dims, keepdims=True)
    xhat = d - mean
    var = np.mean(np.square(xhat), axis=dims, keepdims=True)
    with np.errstate(divide="ignore" if constant_zero else None):
        rstd = (1.0 / np.sqrt(var + eps)).astype(d.dtype, copy=False)
    if constant_zero:
        rstd[var == 0] = 0
    xhat *= rstd
    if weight is None and bias is None:
        out = xhat.copy() if keep else xhat
    elif keep:
        out = xhat * weight if weight is not None else xhat.copy()
        if bias is not None:
            out += bias
    else:                                  # x̂ is not needed after: z is computed in its place
        out = xhat
        if weight is not None:
            out *= weight
        if bias is not None:
            out += bias
    return out, (xhat if keep else None), rstd, mean, var


def normalize_backward(g, xhat, rstd, weight, dims, need_x=True, need_w=True, need_b=True,
                       bias_shape=None):
    """The three gradients of z = γ·x̂ + β as arrays (None where not needed), a few in-place
    passes and no graph: γ's summed to its shape, β's to ``bias_shape`` (default: γ's shape, or
    ``g``'s when there is no γ)."""
    if bias_shape is None:
        bias_shape = weight.shape if weight is not None else g.shape
    if g.dtype == np.float16 and xhat.dtype == np.float32:     # (a float16 forward's x̂)
        grads = normalize_backward(g.astype(np.float32), xhat, rstd, _float32(weight), dims,
                                   need_x, need_w, need_b, bias_shape)
        return tuple(None if a is None else a.astype(np.float16) for a in grads)
    fast = _fast(xhat, dims, weight, None, g)
    if fast is not None and (not need_b or tuple(bias_shape) == xhat.shape[-len(dims):]):
        return fast.norm.layer_norm_backward(g, xhat, rstd, weight, len(dims),
                                             need_x, need_w, need_b)
    gw = gb = gx = None
    if need_w:
        gw = sum_to_shape(g * xhat, weight.shape)
    if need_b:
        gb = sum_to_shape(g, bias_shape)
    if need_x:
        gx = g * weight if weight is not None else g.copy()
        n = np.prod([g.shape[d] for d in dims])
        proj = np.sum(gx * xhat, axis=dims, keepdims=True)
        proj /= n
        gx -= np.sum(gx, axis=dims, keepdims=True) / n
        gx -= xhat * proj
        gx *= rstd
    return gx, gw, gb


def _float32(a):
    return None if a is None else a.astype(np.float32)


def _fast(d, dims, weight, bias, g=None):
    """The compiled kernels when they can take this call — the numba set active, one float
    dtype, ``dims`` the trailing dims of a C-contiguous array with rows of at least one element,
    γ and β (if given) of exactly those dims' shape — else None."""
    fast = compiled()
    if fast is None:
        return None
    k = len(dims)
    rows_shape = d.shape[d.ndim - k:]
    arrays = [a for a in (d, weight, bias, g) if a is not None]
    if (k == 0 or tuple(dims) != tuple(range(d.ndim - k, d.ndim)) or not fast.floats(*arrays)
            or not d.flags.c_contiguous or math.prod(rows_shape) == 0
            or any(p is not None and p.shape != rows_shape for p in (weight, bias))
            or g is not None and g.shape != d.shape):
        return None
    return fast

