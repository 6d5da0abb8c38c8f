"""Sums: the ``sum`` of the Sum op in torch's order of additions, and the fast row sums of a
convolution's bias gradient.

``sum`` adds floating-point numbers as torch's CPU kernel does (:mod:`.cascade_sum`), so that
``x.sum()``, ``x.mean()`` and a loss's mean give torch's bits. Integers are exact either way.

A convolution's bias gradient is ``dy.sum(dim=(0, 2, 3))`` (torch computes it inside its
convolution's backward, not with ``sum``): in the batch-innermost layout each channel's values
are one contiguous run, so the sums are the row sums of a (C, H·W·N) matrix. NumPy reduces the
NCHW view over three axes with float32 pairwise sums at ~5 GB/s; the compiled kernel sums each
row in one vectorized pass, in float64 (more accurate, then rounded), ~4x faster
(:func:`bias_sum`)."""
import math

import numpy as np

from .backend import compiled
from .cascade_sum import torch_sum
from .layout import memory_order

__all__ = ["sum", "bias_sum", "summed_rows", "summed_run"]

COMPILED_MIN_ELEMENTS = 1 << 14


def summed_rows(a, axis, dtype):
    """The (kept dim, everything else) matrix of ``a`` whose float64 row sums are :func:`sum`'s
    result over ``axis``, or None where :func:`sum` leaves it to NumPy (also used by the
    convolution's weight gradient, which sums a bias gradient's rows in the same pass)."""
    fast = compiled()
    if fast is not None and a.dtype in fast.FLOATS and dtype == a.dtype and type(axis) is tuple \
            and a.ndim >= 2 and len(set(axis)) == a.ndim - 1 and a.size >= COMPILED_MIN_ELEMENTS:
        kept = next(i for i in range(a.ndim) if i not in axis)
        p = memory_order(a)
        if p is not None and p[0] == kept:           # the kept dim is outermost in memory
            return a.transpose(p).reshape(a.shape[kept], -1)
    return None


def summed_run(a):
    """The runs :func:`bias_sum` sums ``a``'s rows by (:func:`.compiled.elementwise.row_sums`'s
    ``seg``): the two innermost dims in memory — one output row of a batch-innermost
    activation, OW·N numbers, the unit a convolution's weight gradient has its dy in when it
    scatters pooling's gradient a row at a time (``.compiled.conv_weight``)."""
    p = memory_order(a)
    inner = [a.shape[i] for i in (range(a.ndim) if p is None else p)][-2:]
    return max(1, math.prod(inner))


def sum(a, axis, keepdims, dtype):        # noqa: A001  (torch's and NumPy's name)
    """``a.sum(axis, keepdims)`` as torch's ``sum(dtype=dtype)``: ``dtype`` is the result's
    (a float16 sum adds in float32 and rounds what it stores, as torch); floats in torch's
    order of additions (:func:`.cascade_sum.torch_sum`), the rest by NumPy. ``axis``: a tuple
    of dims, or None for all."""
    dtype = np.dtype(dtype)
    out = None
    if dtype.kind == "f" and a.dtype.kind in "fiub":
        out = torch_sum(a, axis, None if dtype == a.dtype else dtype)
    if out is None:
        acc = np.float32 if dtype == np.float16 else dtype
        return np.asarray(a.sum(axis=axis, keepdims=keepdims, dtype=acc)).astype(dtype)
    if keepdims:
        out = out.reshape([1 if axis is None or i in axis else n
                           for i, n in enumerate(a.shape)])
    return out


def bias_sum(a, axis):
    """``a.sum(axis)`` for a convolution's bias gradient, as fast as it can be had: the
    compiled float64 row sums where the kept dim is outermost in memory, else NumPy's."""
    rows = summed_rows(a, axis, a.dtype)
    if rows is None:
        acc = np.float32 if a.dtype == np.float16 else a.dtype
        return np.asarray(a.sum(axis=axis, dtype=acc)).astype(a.dtype)
    return compiled().elementwise.row_sums(rows, summed_run(a)).astype(a.dtype)
