"""Pooling (torch's signatures; NCHW / NCL, an input without its batch dim is one sample).

1-D pooling is 2-D pooling on a height of 1. Adaptive average pooling is an average pool where
the windows tile the input evenly, else a resampling along each axis (:mod:`ops.resample`).
Argument mistakes raise :class:`ShapeError` (torch's ``RuntimeError``, also a ``ValueError``).
"""
import numpy as np

from ... import ops
from ...errors import ShapeError
from ...kernels.resample import adaptive_avg_map
from ...ops.pool import AdaptiveMaxPool2dOp
from ...ops.resample import Resample
from ...ops.shape import IndexAdd
from ...tensor import Tensor
from .conv import check_input, ntuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d",
           "max_unpool2d"]


def _as_2d(op, dims, input, *args):
    """(batched 4-D input, unbatched?, args as pairs): 1-D pooling reads (N, C, L) as
    (N, C, 1, L), with kernel (1, k), stride (1, s), padding (0, p), dilation (1, d)."""
    unbatched = check_input(op, input, dims)
    x = input.unsqueeze(0) if unbatched else input
    if dims == 1:
        x = x.unsqueeze(2)
        args = [(lead,) + ntuple(v, 1, name, op) for lead, (v, name) in zip((1, 1, 0, 1), args)]
    else:
        args = [ntuple(v, 2, name, op) for v, name in args]
    return x, unbatched, args


def _back(out, dims, unbatched):
    out = out.squeeze(2) if dims == 1 else out
    return out.squeeze(0) if unbatched else out


def _max_pool(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    stride = kernel_size if stride is None or stride == [] or stride == () else stride
    x, unbatched, (k, s, p, d) = _as_2d(op, dims, input, (kernel_size, "kernel_size"),
                                        (stride, "stride"), (padding, "padding"),
                                        (dilation, "dilation"))
    indices = [] if return_indices else None
    out = _back(ops.MaxPool2dOp.apply(x, k, s, p, d, bool(ceil_mode), indices=indices), dims,
                unbatched)
    return (out, _back(Tensor(indices[0]), dims, unbatched)) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over ``kernel_size`` windows (stride defaults to the kernel size, as torch); ties go
    to the first maximum, NaN wins; padding (−inf) is never chosen. ``return_indices``: also
    the int64 flat index h·W + w of each maximum (for :func:`max_unpool2d`)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of an (N, C, L) input (see :func:`max_pool2d`)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_pool(op, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    stride = kernel_size if stride is None or stride == [] or stride == () else stride
    x, unbatched, (k, s, p) = _as_2d(op, dims, input, (kernel_size, "kernel_size"),
                                     (stride, "stride"), (padding, "padding"))
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, (int, np.integer))):
        raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
    if divisor_override == 0:
        raise ShapeError(f"{op}: divisor must be not zero")
    out = ops.AvgPool2dOp.apply(x, k, s, p, bool(ceil_mode), bool(count_include_pad),
                                divisor_override)
    return _back(out, dims, unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over ``kernel_size`` windows: the window's sum ÷ its size (zero padding counted
    unless ``count_include_pad=False``; the part of a ``ceil_mode`` window past the padding
    never counts), or ÷ ``divisor_override``."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of an (N, C, L) input (see :func:`avg_pool2d`)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def _output_size(op, output_size, spatial):
    """torch's ``output_size``: an int or a tuple, None keeping the input's size there."""
    items = tuple(output_size) if isinstance(output_size, (tuple, list)) else \
        (output_size,) * len(spatial)
    if len(items) != len(spatial):
        raise ShapeError(f"{op}: output_size must have {len(spatial)} elements, got "
                         f"{output_size!r}")
    out = []
    for v, n in zip(items, spatial):
        if v is None:
            v = n
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: output_size must hold ints (or None), got {output_size!r}")
        out.append(int(v))
    if min(out) < 0:
        raise ShapeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                         f"but received {tuple(out)}")
    if 0 in spatial:
        raise ShapeError(f"{op}: Expected input to have non-zero size for non-batch "
                         f"dimensions, but input has spatial sizes {tuple(spatial)}")
    return tuple(out)


def _adaptive_avg(op, dims, input, output_size):
    unbatched = check_input(op, input, dims)
    x = input.unsqueeze(0) if unbatched else input
    spatial = x.shape[2:]
    size = _output_size(op, output_size, spatial)
    if 0 not in size and all(n % o == 0 for n, o in zip(spatial, size)):   # even windows
        k = tuple(n // o for n, o in zip(spatial, size))
        if dims == 1:
            out = ops.AvgPool2dOp.apply(x.unsqueeze(2), (1,) + k, (1,) + k, (0, 0)).squeeze(2)
        else:
            out = ops.AvgPool2dOp.apply(x, k, k, (0, 0))
    else:                      # uneven windows: one axis at a time, the last first
        out = x
        for axis in range(x.ndim - 1, 1, -1):
            out = Resample.apply(out, axis, adaptive_avg_map(x.shape[axis], size[axis - 2]))
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool2d(input, output_size):
    """Mean over windows [⌊o·H/OH⌋, ⌈(o+1)·H/OH⌉) × (the same along W), torch's windows."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """Mean over windows [⌊o·L/OL⌋, ⌈(o+1)·L/OL⌉) of an (N, C, L) input."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def _adaptive_max(op, dims, input, output_size, return_indices):
    unbatched = check_input(op, input, dims)
    x = input.unsqueeze(0) if unbatched else input
    size = _output_size(op, output_size, x.shape[2:])
    if dims == 1:
        x, size = x.unsqueeze(2), (1,) + size
    indices = [] if return_indices else None
    out = _back(AdaptiveMaxPool2dOp.apply(x, size, indices=indices), dims, unbatched)
    return (out, _back(Tensor(indices[0]), dims, unbatched)) if return_indices else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over torch's adaptive windows (see :func:`adaptive_avg_pool2d`); the first maximum
    of each (its last NaN), ``return_indices`` as :func:`max_pool2d`."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over torch's adaptive windows of an (N, C, L) input."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def _unpool(op, dims, input, indices, kernel_size, stride, padding, output_size):
    stride = kernel_size if stride is None or stride == [] or stride == () else stride
    unbatched = check_input(op, input, dims)
    k, s, p = (ntuple(v, dims, name, op) for v, name in
               ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding")))
    if not isinstance(indices, Tensor) or indices.dtype != np.int64:
        raise ShapeError(f"{op}: elements in indices should be type int64 but got: "
                         f"{getattr(indices, 'dtype', type(indices).__name__)}")
    if indices.shape != input.shape:
        raise ShapeError(f"{op}: Expected shape of indices to be same as that of the input "
                         f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                         f"{list(indices.shape)}")
    default = [(n - 1) * s_ + k_ - 2 * p_ for n, k_, s_, p_ in
               zip(input.shape[-dims:], k, s, p)]
    if output_size is None:
        size = default
    else:
        size = list(output_size)[-dims:] if len(output_size) == dims + 2 else list(output_size)
        if len(size) != dims:
            raise ValueError(f"{op}: output_size should be a sequence containing {dims} or "
                             f"{dims + 2} elements, but it has a length of '{len(output_size)}'")
        for d, (n, lo, st) in enumerate(zip(size, default, s)):
            if not lo - st < n < lo + st:
                raise ValueError(f'{op}: invalid output_size "{tuple(output_size)}" (dim {d} '
                                 f'must be between {lo - st} and {lo + st})')
    plane = int(np.prod(size))
    idx = indices.array
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise ShapeError(f"{op}: Found an invalid max index: {bad} (output volumes are of size "
                         f"{'x'.join(map(str, size))})")
    x = input.unsqueeze(0) if unbatched else input
    N, C = x.shape[:2]
    idx = idx[None] if unbatched else idx
    index = (np.arange(N).reshape((-1,) + (1,) * (x.ndim - 1)),
             np.arange(C).reshape((1, -1) + (1,) * (x.ndim - 2)), idx)
    # each value written at its index (torch: a later write wins); the gradient is gathered back
    out = IndexAdd.apply(x, index, (N, C, plane), unique=True).reshape((N, C) + tuple(size))
    return out.squeeze(0) if unbatched else out


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d`: zeros of the pooled-from size, each value put
    back at its ``indices`` (those ``return_indices`` gave)."""
    return _unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool1d`."""
    return _unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)
