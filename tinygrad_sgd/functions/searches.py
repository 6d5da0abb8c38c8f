"""The index-valued searches: searchsorted and bucketize (torch's binary search, NaN-aware
where the data hold a NaN), isin, and unique_consecutive. Their results are plain index
tensors, or values with no derivative (unique_consecutive's, as torch's).

(Split out of :mod:`.combine`, which had grown past the house's length.)"""
import math

import numpy as np

from ..arguments import normalize_dim
from ..tensor import Tensor, tensor_method
from .elementwise import no_shell_kernel, torch_dtype_name

__all__ = ["unique_consecutive", "searchsorted", "bucketize", "isin"]


@tensor_method
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """The input with each run of equal consecutive elements (or slices along ``dim``)
    reduced to one; optionally the run index of every element and the run lengths."""
    a = input.array
    if dim is None:
        flat = a.reshape(-1)
        new = np.ones(flat.shape, bool)
        new[1:] = flat[1:] != flat[:-1]
        values = flat[new]
        run = np.cumsum(new) - 1
        inverse = run.reshape(a.shape)
    else:
        if input.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        dim = normalize_dim(dim, input.ndim, "unique_consecutive")
        if any(n == 0 for k, n in enumerate(a.shape) if k != dim):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        moved = np.moveaxis(a, dim, 0)
        moved = moved.reshape(a.shape[dim], moved[0].size if a.shape[dim] else 0)
        new = np.ones(moved.shape[0], bool)
        new[1:] = np.any(moved[1:] != moved[:-1], axis=1) if moved.size else False
        values = np.compress(new, a, axis=dim)
        inverse = np.cumsum(new) - 1
    counts = np.diff(np.append(np.flatnonzero(new), new.shape[0]))
    from .sort import no_derivative
    out = [no_derivative(input, np.ascontiguousarray(values), "unique_consecutive")]
    if return_inverse:
        out.append(Tensor._of(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor._of(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _search(seq, values, right, sorter, op):
    """np.searchsorted row by row over the leading dims (seq 1-d: one search for all). With a
    NaN in the data, torch's binary search instead (NumPy orders NaN last, torch's
    comparisons are all false with NaN: :func:`_nan_search`)."""
    side = "right" if right else "left"
    if seq.dtype.kind == "f" and (np.isnan(seq).any() or np.isnan(values).any()):
        if sorter is not None:
            seq = np.take_along_axis(seq, sorter.reshape(seq.shape), axis=-1)
        return _nan_search(seq, values, right)
    if seq.ndim == 1:
        s = seq if sorter is None else seq[sorter]
        return np.searchsorted(s, values, side=side)
    rows_s = seq.reshape(math.prod(seq.shape[:-1]), seq.shape[-1])
    rows_v = values.reshape(rows_s.shape[0], math.prod(values.shape[-1:]))
    out = np.empty(rows_v.shape, np.int64)
    for i in range(rows_s.shape[0]):      # one NumPy search per row of the batch
        s = rows_s[i] if sorter is None else rows_s[i][sorter.reshape(rows_s.shape)[i]]
        out[i] = np.searchsorted(s, rows_v[i], side=side)
    return out.reshape(values.shape)


def _nan_search(seq, values, right):
    """torch's binary search, all values at once: ``start`` moves past ``mid`` unless
    ``seq[mid] >= v`` (``> v`` for right) — a NaN in seq counts as smaller than anything,
    a NaN value ends past everything."""
    n = seq.shape[-1]
    rows = seq.reshape(math.prod(seq.shape[:-1]), n)
    vals = values.reshape(rows.shape[0], values.size // max(rows.shape[0], 1))
    start = np.zeros(vals.shape, np.int64)
    end = np.full(vals.shape, n, np.int64)
    while n and (start < end).any():
        mid = (start + end) // 2
        at = np.take_along_axis(rows, np.minimum(mid, n - 1), axis=1)
        with np.errstate(invalid="ignore"):
            past = ~(at > vals) if right else ~(at >= vals)
        active = start < end
        start = np.where(active & past, mid + 1, start)
        end = np.where(active & ~past, mid, end)
    return start.reshape(values.shape)


def _common(seq, values):
    if seq.dtype == values.dtype:
        return seq, values
    t = np.promote_types(seq.dtype, values.dtype)
    return seq.astype(t), values.astype(t)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Indices at which ``input``'s values would be inserted into the sorted last dim of
    ``sorted_sequence`` (1-d, or with the same leading dims as ``input``) to keep it
    sorted; ``right``/``side="right"`` puts them after equal values."""
    op = "torch.searchsorted()"
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}: side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of "
                               f"left while right was True")
        right = side == "right"
    seq = sorted_sequence.array
    no_shell_kernel("searchsorted_out_cpu", seq.dtype)
    scalar = not isinstance(input, Tensor)
    if scalar and not isinstance(input, (int, float, np.number)):
        raise TypeError(f"searchsorted() received an invalid combination of arguments - got "
                        f"(Tensor, {type(input).__name__}), but expected the input to be a "
                        f"Tensor or a number")
    values = np.asarray(input) if scalar else input.array
    if seq.ndim == 0:
        if scalar:
            raise RuntimeError(f"{op}: input value can be a scalar only when boundaries tensor "
                               f"dimension is 1, but we got boundaries tensor dim(0) and input "
                               f"value's dim(0) numel(1)")
        raise RuntimeError(f"{op}: boundaries tensor should have positive dimension, but got 0 "
                           f"dimension")
    if seq.ndim != 1 and (scalar or seq.shape[:-1] != values.shape[:-1]):
        raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must "
                           f"match, but we got boundaries tensor {list(seq.shape)} and input "
                           f"value tensor {list(values.shape)}")
    srt = None
    if sorter is not None:
        srt = sorter.array
        if srt.shape != seq.shape:
            raise RuntimeError(f"{op}: boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor "
                               f"{list(srt.shape)}")
        if srt.dtype != np.int64:
            raise RuntimeError(f"{op}: sorter must be a tensor of long dtype but got dtype "
                               f"{torch_dtype_name(srt.dtype)}")
        if srt.size and (srt.min() < 0 or srt.max() >= seq.shape[-1]):
            raise RuntimeError(f"{op}: sorter index out of range")
    seq, values = _common(seq, values)
    idx = _search(seq, values, right, srt, op)
    return Tensor._of(np.asarray(idx, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """For each value, the index of the bucket of the 1-d ``boundaries`` it falls in:
    boundaries[i-1] < x <= boundaries[i] (right=False) or boundaries[i-1] <= x < ... ."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Bool tensor of ``elements``' shape: which elements occur in ``test_elements``."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}), but "
                        f"expected elements or test_elements to be a Tensor")
    a = elements.array if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements.array if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    if bool in (a.dtype, b.dtype):
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    no_shell_kernel("isin_default_cpu", a.dtype)
    return Tensor._of(np.isin(a, b, assume_unique=assume_unique, invert=invert))
