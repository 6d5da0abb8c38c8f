"""Sorting, selecting and counting: sort, argsort, topk, kthvalue, median, nanmedian, mode,
unique, bincount, histc.

The values of sort/topk/kthvalue/median/mode are differentiable (the gradient goes back to the
places they came from); the indices are torch's, ties included (see
:mod:`tinygrad_sgd.ops.sort`). unique, bincount and histc are not differentiable.
"""
import builtins

import numpy as np

from ..arguments import normalize_dim
from ..ops.sort import (ArgSort, TopKIndices, KthValueIndex, MedianIndex, ModeIndex, Sort,
                        TopK, KthValue, Median, NanMedian, Mode, MedianAll, NanMedianAll,
                        NoDerivative)
from ..autograd.torch_names import named
from ..tensor import Tensor, tensor_method
from .elementwise import no_shell_kernel
from .reduce import return_types, torch_name, check_not_empty, squeeze_index

__all__ = ["sort", "argsort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique",
           "bincount", "histc"]


def _int_dim(dim, input, op):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return normalize_dim(dim, input.ndim, op)


def _pick(value_op, indices, input, dim, keepdim, kind):
    values = value_op.apply(input, indices.array, dim, keepdim)
    return getattr(return_types, kind)(values, squeeze_index(indices, dim, keepdim, input.ndim))


@tensor_method
def sort(input, dim=-1, descending=False, *, stable=False):
    """``(values, indices)`` along ``dim``; NaN sorts as the largest. ``stable=True`` keeps
    equal elements in their order (descending too); the default orders ties as torch's."""
    d = normalize_dim(dim, input.ndim, "sort")
    indices = ArgSort.apply(input, d, descending, stable)
    return return_types.sort(Sort.apply(input, indices.array, d), indices)


@tensor_method
def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices of :func:`sort` (not differentiable)."""
    return ArgSort.apply(input, normalize_dim(dim, input.ndim, "argsort"), descending, stable)


@tensor_method
def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) along ``dim``,
    NaN counting as the largest; ties are picked as torch picks them."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not "
                        f"{type(k).__name__}")
    d = normalize_dim(dim, input.ndim, "topk")
    if input.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    no_shell_kernel("topk_cpu", input.array.dtype)
    if not 0 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    indices = TopKIndices.apply(input, k, d, largest, sorted)
    return return_types.topk(TopK.apply(input, indices.array, d), indices)


@tensor_method
def kthvalue(input, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest along ``dim`` (k from 1)."""
    if input.dtype == np.bool_:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    no_shell_kernel("kthvalue_cpu", input.array.dtype)
    d = normalize_dim(dim, input.ndim, "kthvalue")
    check_not_empty(input, (d,), "kthvalue")
    if not 1 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _pick(KthValue, KthValueIndex.apply(input, k, d), input, d, keepdim, "kthvalue")


def _median(input, dim, keepdim, op, ignore_nan):
    if input.dtype == np.bool_:
        where = "cpu" if dim is None else "out"
        raise NotImplementedError(f"\"median_{where}\" not implemented for 'Bool'")
    no_shell_kernel("median_cpu" if dim is None else "median_out", input.array.dtype)
    if dim is None:
        return (NanMedianAll if ignore_nan else MedianAll).apply(input)
    d = _int_dim(dim, input, op)
    check_not_empty(input, (d,), op)
    return _pick(NanMedian if ignore_nan else Median, MedianIndex.apply(input, d, ignore_nan),
                 input, d, keepdim, op)


@tensor_method
def median(input, dim=None, keepdim=False):
    """The lower median (of the two middle values, the smaller). Without ``dim``: a value
    (NaN if any is NaN; the gradient shared between the elements equal to it). With ``dim``:
    ``(values, indices)``, ties broken by position."""
    return _median(input, dim, keepdim, "median", False)


@tensor_method
def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` of the non-NaN values (NaN where all are NaN)."""
    return _median(input, dim, keepdim, "nanmedian", True)


@tensor_method
def mode(input, dim=-1, keepdim=False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest of equally
    frequent ones), with torch's index."""
    d = _int_dim(dim, input, "mode")
    no_shell_kernel("mode_cpu", input.array.dtype)
    check_not_empty(input, (d,), "mode")
    return _pick(Mode, ModeIndex.apply(input, d), input, d, keepdim, "mode")


# ---------------------------------------------------------------------------- counting
@tensor_method
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, sorted (as torch on the CPU, whatever ``sorted``), with optionally
    the index of each element's value (``return_inverse``) and the counts. With ``dim``: the
    distinct slices along it. NaNs are all distinct, as in torch. Not differentiable."""
    d = input.array
    if dim is None:
        values, inverse, counts = np.unique(d.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(d.shape)
    else:
        dim = normalize_dim(dim, d.ndim, "unique")
        if d.shape.count(0) > 1:
            raise RuntimeError("Number of zero sized dimensions is more than one, so unique "
                               "cannot be applied")
        if d.size == 0 and d.shape[dim] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        slices = np.moveaxis(d, dim, 0).reshape(d.shape[dim], d.size // max(d.shape[dim], 1))
        order = np.lexsort(slices.T[::-1]) if slices.shape[1] else np.arange(len(slices))
        ordered = slices[order]
        new = np.ones(len(order), bool)
        new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
        starts = np.flatnonzero(new)
        inverse = np.empty(len(order), np.int64)
        inverse[order] = np.cumsum(new) - 1
        counts = np.diff(np.append(starts, len(order)))
        rest = tuple(s for i, s in enumerate(d.shape) if i != dim)
        values = np.moveaxis(ordered[starts].reshape((len(starts),) + rest), 0, dim)
    extra = (([Tensor._of(inverse.astype(np.int64))] if return_inverse else [])
             + ([Tensor._of(counts.astype(np.int64))] if return_counts else []))
    values = no_derivative(input, np.ascontiguousarray(values),
                           "_unique2" if dim is None else "unique_dim")
    return tuple([values] + extra) if extra else values


def no_derivative(input, values, aten_name):
    """``values`` as a Tensor; in a graph (``input`` requires grad), the output of a
    :class:`~tinygrad_sgd.ops.sort.NoDerivative` node, named as torch names it."""
    from ..autograd import forward_ad, is_grad_enabled
    forward_ad.refuse(aten_name, True, input)     # (torch has no forward derivative for them)
    if not (input.requires_grad and is_grad_enabled()):
        return Tensor._of(values)
    out = NoDerivative.apply(input, values, aten_name)
    name = {"_unique2": "Unique2Backward0", "unique_dim": "UniqueDimBackward0",
            "unique_consecutive": "UniqueConsecutiveBackward0"}[aten_name]
    return named(out, name, input)


@tensor_method
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in a 1-d non-negative integer tensor (int64), or
    the sum of ``weights`` per value (float32/float64 weights keep their dtype, others give
    float64). Not differentiable."""
    d = input.array
    no_shell_kernel("bincount_cpu", d.dtype)
    if weights is not None:
        from ..autograd import forward_ad
        forward_ad.refuse("aten::bincount", False, weights)
    if d.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{torch_name(d.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if d.ndim == 1 and d.size == 0:
        return Tensor._of(np.zeros(minlength, np.int64))
    if d.ndim != 1 or d.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._of(np.bincount(d, minlength=minlength).astype(np.int64))
    w = weights.array
    if w.ndim != 1 or w.shape[0] != d.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = w.dtype if w.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    out = np.zeros(builtins.max(int(d.max()) + 1, minlength), dtype)
    np.add.at(out, d, w.astype(dtype))       # in order, in the weights' dtype, as torch
    return Tensor._of(out)


@tensor_method
def histc(input, bins=100, min=0, max=0):
    """Counts in ``bins`` equal bins between ``min`` and ``max`` (both 0: the data's range),
    the last bin closed; values outside (and NaN) are left out. Result in the input's dtype;
    not differentiable."""
    d = input.array
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{torch_name(d.dtype)}'")
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool):
        raise TypeError(f"histc(): argument 'bins' (position 1) must be int, not "
                        f"{type(bins).__name__}")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           f"dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(d.min()), float(d.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo >= hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = d.dtype.type(lo), d.dtype.type(hi)
    x = d[(d >= lo) & (d <= hi)]
    pos = ((x - lo) * d.dtype.type(bins) / (hi - lo)).astype(np.int64)
    return Tensor._of(np.bincount(np.minimum(pos, bins - 1), minlength=bins).astype(d.dtype))

