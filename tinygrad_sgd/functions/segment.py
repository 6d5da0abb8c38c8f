"""torch.segment_reduce: reduce consecutive runs ("segments") of the data along ``axis``.

``segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
unsafe=False, initial=None)``: the segments are given by their ``lengths`` (they then must fill
the axis exactly, unless ``unsafe``) or by ``offsets`` (segment s is ``[offsets[s],
offsets[s+1])``); ``reduce`` is ``"sum"``, ``"mean"``, ``"prod"``, ``"max"``/``"amax"`` or
``"min"``/``"amin"``. With lengths or offsets of several dims, each row of them describes the
segments of the matching row of the data (``axis`` must be their last dim). An empty segment
gives ``initial`` if given, else 0, 1, −inf, inf or nan (mean). ``initial`` also joins every
other segment's reduction (a mean is (Σ + initial)/length). Gradients as torch's (see
:class:`~tinygrad_sgd.ops.SegmentReduce`); they are differentiable again here, where torch's
second derivative raises.
"""
import numpy as np

from ..dtypes import _SCALAR_TYPE_NAMES
from .. import ops
from ..arguments import normalize_dim
from ..tensor import Tensor

__all__ = ["segment_reduce"]

_REDUCE = {"sum": "sum", "mean": "mean", "prod": "prod", "max": "max", "amax": "max",
           "min": "min", "amin": "min"}
_CPP = _SCALAR_TYPE_NAMES
_CHECK = "  (Could this error message be improved?  If so, please report an enhancement " \
         "request to PyTorch.)"


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
                   unsafe=False, initial=None):
    """One reduction per segment of ``data`` along ``axis`` (see the module's notes)."""
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    given = lengths if lengths is not None else offsets
    if given is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    name = "lengths" if lengths is not None else "offsets"
    if not isinstance(given, Tensor):
        raise TypeError(f"segment_reduce(): argument '{name}' must be Tensor, not "
                        f"{type(given).__name__}")
    if data.ndim < given.ndim:
        raise RuntimeError(f"Expected data.dim() >= lengths_value.dim() to be true, but got "
                           f"false.{_CHECK}")
    axis = normalize_dim(axis, data.ndim, "segment_reduce")
    if axis != given.ndim - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of "
                           f"lengths but got {axis}.")
    if given.array.dtype not in (np.int32, np.int64):
        raise NotImplementedError(f'"_segment_reduce_{name}_cpu_kernel1" not implemented for '
                                  f"'{_CPP[given.array.dtype.name]}'")
    if data.array.dtype.kind != "f":
        raise NotImplementedError(f"\"_segment_reduce_cpu\" not implemented for "
                                  f"'{_CPP[data.array.dtype.name]}'")
    lead = tuple(data.shape[:axis])
    if tuple(given.shape[:-1]) != lead:
        raise RuntimeError(f"segment_reduce(): {name} of shape {tuple(given.shape)} do not "
                           f"match the data's leading dims {lead}")
    starts, ends = _bounds(given.array.astype(np.int64), lengths is not None)
    if lengths is not None and not unsafe and (ends[..., -1] != data.shape[axis]).any():
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum "
                           "to data.size(lengths.dim()-1) when !unsafe.")
    index, segment, count = _layout(starts, ends, data.shape[axis])
    rows = data.reshape((-1,) + tuple(data.shape[axis + 1:]))
    return ops.SegmentReduce.apply(rows, index, segment, count, _REDUCE[reduce], initial,
                                   lead + (starts.shape[-1],) + tuple(data.shape[axis + 1:]))


def _bounds(given, are_lengths):
    """(starts, ends) of every segment, (…, S) each."""
    if given.size == 0:
        raise RuntimeError("min(): Expected reduction dim to be specified for input.numel() == "
                           "0. Specify the reduction dim with the 'dim' argument.")
    if are_lengths:
        if (given < 0).any():
            raise RuntimeError("lengths contains negative value!")
        ends = np.cumsum(given, axis=-1)
        return ends - given, ends
    starts, ends = given[..., :-1], given[..., 1:]
    if (ends < starts).any():
        raise RuntimeError(f"Expected segment_length >= 0 to be true, but got false.{_CHECK}")
    return starts, ends


def _layout(starts, ends, size):
    """The rows read (``index``, into the data flattened to rows), the segment of each, and each
    segment's length (rows past the axis's end, which only ``unsafe`` lets through, are
    dropped)."""
    rows = np.arange(int(np.prod(starts.shape[:-1], dtype=np.int64)))
    offset = (rows * size).reshape(starts.shape[:-1] + (1,))
    starts, ends = np.minimum(starts, size), np.minimum(ends, size)
    count = (ends - starts).reshape(-1)
    first = (starts + offset).reshape(-1)
    segment = np.repeat(np.arange(count.size), count)
    within = np.arange(segment.size) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(first, count) + within, segment, count
