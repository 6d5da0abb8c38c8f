"""``histogram`` and ``histogramdd``: counts (or summed weights) of values in bins, as torch's.

``histogram`` bins the elements of a tensor; for ``histogramdd`` the input's last dim holds
each point's D coordinates: ``bins`` is one count for every dim,
a count per dim, or per dim a 1-d tensor of increasing edges. A dim's equal-width edges
span ``range`` (D (min, max) pairs, flattened) or the points' own min and max, found
exactly as :func:`histogram` finds them, and a point falls in the bin whose edges
enclose it, the last bin closed on the right. Not differentiable (counts), as torch.
"""

import numpy as np

from ..printing import return_type
from ..tensor import Tensor, tensor_method
from .misc import _name

__all__ = ["histogram", "histogramdd"]

_HistogramDD = return_type("histogramdd", "hist bin_edges")
_Histogram = return_type("histogram", "hist bin_edges")


def _no_forward_ad(name, *tensors):
    """torch's error when forward AD reaches a histogram (not differentiable)."""
    from ..autograd import forward_ad
    forward_ad.refuse(name, False, *[t for t in tensors if t is not None])


def _linspace(lo, hi, steps, dtype):
    """torch's linspace in ``dtype``: start + step·i in the first half, end − step·(n−1−i)
    after, each with one rounding (torch's kernel uses fused multiply-adds: emulated here in
    a wider float — exact for float32, and for float64 where long double is wider)."""
    t = dtype.type
    wide = np.longdouble if dtype == np.float64 else np.float64
    step = wide((t(hi) - t(lo)) / t(steps - 1))
    i = np.arange(steps)
    return np.where(i < steps // 2, wide(t(lo)) + step * i,
                    wide(t(hi)) - step * (steps - 1 - i)).astype(dtype)


def _density(hist, edges):
    """torch's density, in the histogram's dtype and its order of operations: ``hist /
    hist.sum()``, then divided by each dim's bin widths in turn."""
    hist = hist / hist.dtype.type(hist.sum())
    for k, e in enumerate(edges):
        shape = [1] * hist.ndim
        shape[k] = -1
        hist = hist / np.diff(e).reshape(shape)
    return hist


def _bin_sums(bins, weight, inside, n, dtype):
    """The count of each of ``n`` bins, or the sum of the weights falling in it: added one
    after the other in the elements' order, in the histogram's dtype, as torch's kernel (a
    float64 bincount of float32 weights rounded once: 2^24 + 1 + 1 gave 2^24 + 2, torch
    2^24)."""
    if weight is None:
        return np.bincount(bins, minlength=n).astype(dtype)
    hist = np.zeros(n, dtype)
    np.add.at(hist, bins, weight.array.reshape(-1)[inside].astype(dtype, copy=False))
    return hist


@tensor_method
def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """Counts (or summed weights) of the elements in ``bins`` equal-width bins over ``range``
    (default: the min and max), or between the edges of a 1-d tensor ``bins``; the last bin
    includes its right edge. Returns (hist, bin_edges); not differentiable."""
    a = input.array.reshape(-1)
    _no_forward_ad("aten::histogram", input, weight)
    if a.dtype.kind != "f" or a.dtype == np.float16:    # (torch: no integer or half kernel)
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_name(a.dtype)}\'')
    dtype = a.dtype
    if weight is not None and weight.shape != input.shape:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have "
                           f"the same shape as the input tensor excluding its innermost "
                           f"dimension, but got input with shape {list(a.shape) + [1]} and "
                           f"weight with shape {list(weight.shape)}")
    if weight is not None and weight.dtype != dtype:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor "
                           f"and weight tensor should have the same dtype, but got "
                           f"input({_name(dtype).lower()}), and "
                           f"weight({_name(weight.dtype).lower()})")
    if isinstance(bins, Tensor):
        edges = _given_edges(bins, 0, dtype)
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               f"dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got "
                                   f"min {lo:g} max {hi:g} for dimension 0")
        else:
            lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 1.0)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is "
                               f"not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = _linspace(lo, hi, bins + 1, dtype)
    n = edges.size - 1
    idx = np.searchsorted(edges, a, side="right") - 1
    idx[a == edges[-1]] = n - 1                   # the last bin is closed on the right
    inside = (idx >= 0) & (idx < n) & (a >= edges[0]) & (a <= edges[-1])
    hist = _bin_sums(idx[inside], weight, inside, max(n, 0), dtype)
    if density:
        hist = _density(hist, [edges])
    return _Histogram(Tensor._of(hist), Tensor._of(edges))


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)``: hist has one dim per coordinate, bin_edges is a tuple of D
    1-d tensors."""
    a = input.array
    _no_forward_ad("aten::_histogramdd_bin_edges", input, weight)
    if a.dtype.kind != "f" or a.dtype == np.float16:    # (torch: no integer or half kernel)
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_name(a.dtype)}\'')
    if a.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    d, dtype = a.shape[-1], a.dtype
    points = a.reshape(-1, d)
    bins = [bins] * d if isinstance(bins, int) else list(bins)
    if len(bins) != d:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if range is not None and len(range) != 2 * d:
        raise RuntimeError(f"torch.histogramdd: for a {d}-dimensional histogram range should "
                           f"have {2 * d} elements, but got {len(range)}")
    if weight is not None:
        if tuple(weight.shape) != tuple(a.shape[:-1]):
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have "
                               f"the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape {list(a.shape)} and "
                               f"weight with shape {list(weight.shape)}")
        if weight.dtype != dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor "
                               f"and weight tensor should have the same dtype, but got "
                               f"input({_name(dtype).lower()}), and "
                               f"weight({_name(weight.dtype).lower()})")
    edges = [_edges(points[:, k], bins[k], range, k, dtype) for k in np.arange(d)]
    sizes = tuple(e.size - 1 for e in edges)
    inside = np.ones(len(points), dtype=bool)
    where = []
    for k, e in enumerate(edges):
        col, n = points[:, k], e.size - 1
        idx = np.searchsorted(e, col, side="right") - 1
        idx[col == e[-1]] = n - 1                   # the last bin is closed on the right
        inside &= (idx >= 0) & (idx < n) & (col >= e[0]) & (col <= e[-1])
        where.append(idx)
    flat = np.ravel_multi_index(tuple(i[inside] for i in where), sizes) if inside.any() else \
        np.zeros(0, dtype=np.int64)
    hist = _bin_sums(flat, weight, inside, int(np.prod(sizes)), dtype)
    hist = hist.reshape(sizes)
    if density:
        hist = _density(hist, edges)
    return _HistogramDD(Tensor._of(hist), tuple(Tensor._of(e) for e in edges))


def _edges(col, bins, range, k, dtype):
    if isinstance(bins, Tensor):
        return _given_edges(bins, k, dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           f"dimension {k}")
    if range is not None:
        lo, hi = float(range[2 * k]), float(range[2 * k + 1])
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension {k}")
    else:
        lo, hi = (float(col.min()), float(col.max())) if col.size else (0.0, 1.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {k}'s range [{lo:g}, {hi:g}] is not "
                           f"finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return _linspace(lo, hi, bins + 1, dtype)


def _given_edges(bins, k, dtype):
    """Dim ``k``'s edges given as a tensor: 1-d, at least two, in the input's dtype."""
    if bins.ndim != 1:
        raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{bins.ndim} dimensions in the bins tensor for dimension {k}")
    if bins.dtype != dtype:
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input with dtype {_name(dtype).lower()} and "
                           f"bins for dimension {k} with dtype {_name(bins.dtype).lower()}")
    if bins.numel() < 2:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins.numel() - 1} "
                           f"for dimension {k}")
    return bins.array.copy()
