"""Sums over all dims but one, where NumPy is slow for a reason worth knowing.

A convolution's bias gradient is ``dy.sum(dim=(0, 2, 3))``: in the batch-innermost layout each
channel's values are one contiguous run, so the sums are the row sums of a (C, H·W·N) matrix.
NumPy reduces the NCHW view over three axes with float32 pairwise sums at ~5 GB/s; the
compiled kernel sums each row in one vectorized pass, in float64 (more accurate, then rounded),
~4x faster. Other reductions are NumPy's."""
from .backend import compiled
from .layout import memory_order

__all__ = ["sum", "summed_rows"]

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


def sum(a, axis, keepdims, dtype):        # noqa: A001  (torch's and NumPy's name)
    """``a.sum(axis=axis, keepdims=keepdims, dtype=dtype)`` (``axis`` a tuple of dims or None)."""
    rows = summed_rows(a, axis, dtype)
    if rows is None:
        return a.sum(axis=axis, keepdims=keepdims, dtype=dtype)
    out = compiled().elementwise.row_sums(rows).astype(a.dtype)
    return out.reshape([s if i not in axis else 1 for i, s in enumerate(a.shape)]) \
        if keepdims else out
