"""Pooling (torch's signatures; NCDHW / NCHW / NCL, an input without its batch dim is one
sample).

1-D pooling is 2-D pooling on a height of 1; 3-D pooling (below) finds its maxima in NumPy
and gathers them, or sums 2-D window sums over the depth taps. (LP pooling, torch's formula over
average pooling, is in :mod:`.pooling_more`.) Adaptive average pooling is an average pool where the windows tile the
input evenly, else a resampling along each axis (:mod:`ops.resample`).
Argument mistakes raise :class:`ShapeError` (torch's ``RuntimeError``, also a ``ValueError``).
"""
# house: long file — torch's max and average pooling in 1-D, 2-D and 3-D share their argument
# checks (torch's messages, in torch's order) here; LP pooling is already in pooling_more.
import numpy as np

from ... import ops
from ...autograd.torch_names import named
from ...errors import ShapeError
from ...kernels.layout import out_size as pooled_size
from ...kernels.pool import adaptive_ranges
from ...kernels.resample import adaptive_avg_map
from ...ops.elementwise import TiedToInput
from ...ops.pool import AdaptiveMaxPool2dOp, integer_avg_pool2d, integer_max_pool2d, ranks, \
    truncating_divide
from ...ops.resample import Resample
from ...ops.pad import ConstantPadNd
from ...ops.shape import IndexAdd
from ...tensor import Tensor
from .conv import check_input, ntuple
from .pool_checks import check_avg_pool2d_rank, check_rank, check_window_3d, refuse_empty, \
    refuse_window, window_argument

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d",
           "max_unpool2d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d", "max_unpool3d"]      # (LP pooling: pooling_more.py)


_AVG_DTYPES = tuple(np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int64))
_AVG_3D_DTYPES = _AVG_DTYPES[1:]          # (torch has no float16 avg_pool3d kernel)


def _as_2d(op, dims, input, *args, kernel=None, allowed="f", return_indices=False):
    """(batched 4-D input, unbatched?, args as pairs): 1-D pooling reads (N, C, L) as
    (N, C, 1, L), with kernel (1, k), stride (1, s), padding (0, p), dilation (1, d).
    ``kernel``, ``allowed``: the dtypes torch pools (see :func:`.conv.check_input`)."""
    check_rank(op, input, dims, return_indices)
    unbatched = check_input(op, input, dims, kernel, allowed)
    if input.array.size == 0:
        refuse_empty(op, dims, input, unbatched, return_indices)
    x = input.unsqueeze(0) if unbatched else input
    try:
        if dims == 1:
            x = x.unsqueeze(2)
            parsed = [(lead,) + ntuple(v, 1, name, op)
                      for lead, (v, name) in zip((1, 1, 0, 1), args)]
        else:
            parsed = [ntuple(v, 2, name, op, single=True) for v, name in args]
    except ShapeError:                  # a wrong length: torch's words for it
        for v, name in args:
            window_argument(v, dims, name, op, return_indices)
        raise
    return x, unbatched, parsed


def _back(out, dims, unbatched):
    out = out.squeeze(2) if dims == 1 else out
    return out.squeeze(0) if unbatched else out


def _max_pool(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    stride = kernel_size if stride is None or stride == [] or stride == () else stride
    # torch pools integers too (not bool), except in max_pool1d without indices
    only_float = dims == 1 and not return_indices
    x, unbatched, (k, s, p, d) = _as_2d(op, dims, input, (kernel_size, "kernel_size"),
                                        (stride, "stride"), (padding, "padding"),
                                        (dilation, "dilation"),
                                        kernel="max_pool1d_impl" if only_float else "max_pool2d",
                                        allowed="f" if only_float else "fiu",
                                        return_indices=return_indices)
    try:
        if x.dtype.kind != "f":                   # no gradient: arrays, no graph
            y, idx = integer_max_pool2d(x.array, k, s, p, d, bool(ceil_mode))
            out = _back(Tensor._of(y), dims, unbatched)
            return (out, _back(Tensor._of(idx), dims, unbatched)) if return_indices else out
        indices = [] if return_indices else None
        out = ops.MaxPool2dOp.apply(x, k, s, p, d, bool(ceil_mode), indices=indices)
    except ShapeError:                  # a wrong window: torch's words for it
        refuse_window(op, x.shape, k, s, p, d, bool(ceil_mode), return_indices)
        raise
    out = _back(out, dims, unbatched)
    return (out, _back(Tensor._of(indices[0]), dims, unbatched)) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over ``kernel_size`` windows (stride defaults to the kernel size, as torch); ties go
    to the first maximum, NaN wins; padding (−inf) is never chosen. ``return_indices``: also
    the int64 flat index h·W + w of each maximum (for :func:`max_unpool2d`). Integer inputs
    are pooled too (as torch; bool ones are not)."""
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
    if op == "avg_pool2d":
        check_avg_pool2d_rank(input, kernel_size, stride, padding, divisor_override)
    x, unbatched, (k, s, p) = _as_2d(op, dims, input, (kernel_size, "kernel_size"),
                                     (stride, "stride"), (padding, "padding"),
                                     kernel="avg_pool2d", allowed=_AVG_DTYPES)
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, (int, np.integer))):
        raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
    if divisor_override == 0:
        raise ShapeError(f"{op}: divisor must be not zero")
    try:
        if x.dtype.kind != "f":                   # int64: no gradient, arrays, no graph
            out = Tensor._of(integer_avg_pool2d(x.array, k, s, p, bool(ceil_mode),
                                                bool(count_include_pad), divisor_override))
        else:
            out = ops.AvgPool2dOp.apply(x, k, s, p, bool(ceil_mode), bool(count_include_pad),
                                        divisor_override)
    except ShapeError:                  # a wrong window: torch's words for it
        refuse_window(op, x.shape, k, s, p, (1, 1), bool(ceil_mode))
        raise
    return _back(out, dims, unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over ``kernel_size`` windows: the window's sum ÷ its size (zero padding counted
    unless ``count_include_pad=False``; the part of a ``ceil_mode`` window past the padding
    never counts), or ÷ ``divisor_override``. An int64 input gives int64 means, rounded
    toward zero as torch's (no other integer dtype: torch has no kernel for them)."""
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
    unbatched = check_input(op, input, dims, "adaptive_avg_pool3d_cpu" if dims == 3 else
                            "adaptive_avg_pool2d")
    x = input.unsqueeze(0) if unbatched else input
    spatial = x.shape[2:]
    size = _output_size(op, output_size, spatial)
    if dims < 3 and 0 not in size and all(n % o == 0 for n, o in zip(spatial, size)):
        k = tuple(n // o for n, o in zip(spatial, size))
        if dims == 1:
            out = named(ops.AvgPool2dOp.apply(x.unsqueeze(2), (1,) + k, (1,) + k, (0, 0),
                                              tied=size != (1,)), "MeanBackward1" if size ==
                        (1,) else "AdaptiveAvgPool2DBackward0", x).squeeze(2)
        else:
            out = ops.AvgPool2dOp.apply(x, k, k, (0, 0), tied=any(o != 1 for o in size))
    else:                      # uneven windows: one axis at a time, the last first
        half = x.dtype == np.float16      # (torch's kernel: one float32 mean, rounded once)
        out = x.float() if half else x
        for axis in range(x.ndim - 1, 1, -1):
            out = Resample.apply(out, axis, adaptive_avg_map(x.shape[axis], size[axis - 2]),
                                 tied=axis == x.ndim - 1)   # (torch's backward reads x)
        out = out.half() if half else out
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool2d(input, output_size):
    """Mean over windows [⌊o·H/OH⌋, ⌈(o+1)·H/OH⌉) × (the same along W), torch's windows."""
    out = _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)
    whole = out.shape[-2:] == (1, 1)             # torch takes the mean over H and W then
    return named(out, "MeanBackward1" if whole else "AdaptiveAvgPool2DBackward0", input)


def adaptive_avg_pool1d(input, output_size):
    """Mean over windows [⌊o·L/OL⌋, ⌈(o+1)·L/OL⌉) of an (N, C, L) input."""
    out = _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)
    return named(out, "SqueezeBackward1", input)       # (torch: 2-D pooling of an unsqueeze)


def _adaptive_max(op, dims, input, output_size, return_indices):
    unbatched = check_input(op, input, dims, "adaptive_max_pool2d")
    x = input.unsqueeze(0) if unbatched else input
    size = _output_size(op, output_size, x.shape[2:])
    if dims == 1:
        x, size = x.unsqueeze(2), (1,) + size
    indices = [] if return_indices else None
    out = _back(AdaptiveMaxPool2dOp.apply(x, size, indices=indices), dims, unbatched)
    return (out, _back(Tensor._of(indices[0]), dims, unbatched)) if return_indices else out


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
    plane = int(np.prod(size, dtype=np.int64))
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


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool3d` (flat indices d·H·W + h·W + w)."""
    return _unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


# ---------------------------------------------------------------- 3-D pooling
# Max pooling is "find where each window's first maximum is" (NumPy, no graph) and then a
# gather of the input at those places: the gather's gradient scatters dy back there, and that
# scatter's gradient gathers again — torch's max-pool gradients, to every order. Average
# pooling sums each (D, H)-plane window with avg_pool2d (divisor 1), adds the depth taps, and
# divides by torch's divisor; adaptive average pooling averages one axis at a time.

def _window_taps(n_out, k, s, p, d, size):
    """Input positions (n_out, k) of each output's window taps along one axis, −1 off the
    input (padding, or past it in ceil_mode)."""
    pos = np.arange(n_out)[:, None] * s - p + np.arange(k)[None, :] * d
    return np.where((pos >= 0) & (pos < size), pos, -1)


def _adaptive_taps(n_out, size):
    """Input positions (n_out, longest window) of torch's adaptive windows, −1 past each."""
    start, end = adaptive_ranges(size, n_out)
    pos = start[:, None] + np.arange(max(1, int((end - start).max(initial=0))))[None, :]
    return np.where(pos < end[:, None], pos, -1)


def _gather_max(x, taps):
    """The output and int64 indices of 3-D max pooling of ``x`` (N, C, D, H, W) whose windows
    along each axis are ``taps`` (:func:`_window_taps`). The taps are walked in scan order
    (d, h, w) with torch's rule ``take if v > best or v is NaN``, starting from the window's
    first real element: so the first maximum wins, a window of −inf picks its first real
    element, and the last NaN wins. Each step is one vectorised read of every window's tap;
    a tap off the input reads the −inf appended at the end of each axis (index −1)."""
    N, C, D, H, W = x.shape
    O = tuple(len(t) for t in taps)
    if 0 in O or N * C == 0:
        idx = np.zeros((N, C) + O, np.int64)
    else:                   # (integers: their ranks, which order them exactly as floats)
        values = x.array if x.dtype.kind == "f" else ranks(x.array)
        xp = np.pad(values, [(0, 0)] * 2 + [(0, 1)] * 3, constant_values=-np.inf)
        td, th, tw = taps
        first = [t[np.arange(len(t)), np.argmax(t >= 0, axis=1)] for t in taps]
        idx = np.broadcast_to(_flat(first, H, W), (N, C) + O).copy()
        best = np.full((N, C) + O, -np.inf, values.dtype)
        for i in range(td.shape[1]):
            for j in range(th.shape[1]):
                for k in range(tw.shape[1]):
                    d, h, w = at = (td[:, i], th[:, j], tw[:, k])
                    v = xp[:, :, d[:, None, None], h[None, :, None], w[None, None, :]]
                    take = (v > best) | np.isnan(v)
                    np.copyto(best, v, where=take)
                    np.copyto(idx, np.broadcast_to(_flat(at, H, W), idx.shape), where=take)
    flat_idx = Tensor._of(idx.reshape(N, C, int(np.prod(O, dtype=np.int64))))
    out = x.flatten(2).gather(2, flat_idx).reshape((N, C) + O)
    return TiedToInput.of(out, x, "MaxPool3DWithIndicesBackward0"), idx    # (create_graph:
    # torch's backward reads x)


def _flat(positions, H, W):
    """The flat indices d·H·W + h·W + w, (Od, Oh, Ow), of three position vectors."""
    d, h, w = positions
    return (d[:, None, None] * H + h[None, :, None]) * W + w[None, None, :]


def _pool3d_args(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The 3-D window's (k, s, p, d) triples and output size, checked as torch checks them."""
    stride = kernel_size if stride is None or stride == [] or stride == () else stride
    k, s, p, d = (window_argument(v, 3, name, op) for v, name in
                  ((kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"),
                   (dilation, "dilation")))
    if min(s) != 0 and min(k) > 0 and min(s) > 0 and min(d) > 0 and 0 in x.shape[1:]:
        raise ShapeError(f"{op}: Expected input's non-batch dimensions to have positive "
                         f"length, but input has a shape of {tuple(x.shape)}")
    check_window_3d(op, x.shape, k, s, p, d, bool(ceil_mode))
    size = tuple(pooled_size(n, kk, ss, pp, dd, bool(ceil_mode)) for n, kk, ss, pp, dd in
                 zip(x.shape[2:], k, s, p, d))
    return k, s, p, d, size


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over ``kernel_size`` windows of an (N, C, D, H, W) input (see :func:`max_pool2d`);
    ties go to the first maximum in (d, h, w) order, the last NaN wins; ``return_indices``
    gives the flat index d·H·W + h·W + w."""
    op = "max_pool3d"
    check_rank(op, input, 3)
    unbatched = check_input(op, input, 3, "max_pool3d", "fiu")
    x = input.unsqueeze(0) if unbatched else input
    k, s, p, d, size = _pool3d_args(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    taps = [_window_taps(o, *a) for o, *a in zip(size, k, s, p, d, x.shape[2:])]
    out, idx = _gather_max(x, taps)
    if unbatched:
        out, idx = named(out.squeeze(0), "MaxPool3DWithIndicesBackward0", input), idx[0]
    return (out, Tensor._of(idx)) if return_indices else out


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over torch's adaptive windows of an (N, C, D, H, W) input (see
    :func:`adaptive_max_pool2d`)."""
    op = "adaptive_max_pool3d"
    unbatched = check_input(op, input, 3, "adaptive_max_pool3d_cpu")
    x = input.unsqueeze(0) if unbatched else input
    size = _output_size(op, output_size, x.shape[2:])
    if x.shape[1] == 0:
        raise ShapeError(f"{op}: Expected input to have non-zero size for non-batch "
                         f"dimensions, but input has sizes {tuple(x.shape)}")
    out, idx = _gather_max(x, [_adaptive_taps(o, n) for o, n in zip(size, x.shape[2:])],
)
    out = named(out, "AdaptiveMaxPool3DBackward0", x)
    if unbatched:
        out, idx = out.squeeze(0), idx[0]
    return (out, Tensor._of(idx)) if return_indices else out


def adaptive_avg_pool3d(input, output_size):
    """Mean over torch's adaptive windows of an (N, C, D, H, W) input, one axis at a time."""
    out = _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)
    whole = out.shape[-3:] == (1, 1, 1)          # torch takes the mean over D, H and W then
    return named(out, "MeanBackward1" if whole else "AdaptiveAvgPool3DBackward0", input)


def _divisor_1d(n_out, k, s, p, size, count_include_pad):
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    return end - start if count_include_pad else np.minimum(end, size) - np.maximum(start, 0)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over ``kernel_size`` windows of an (N, C, D, H, W) input (see
    :func:`avg_pool2d`): each depth slice's (H, W) window sums (avg_pool2d with divisor 1),
    summed over the depth taps, ÷ torch's divisor."""
    op = "avg_pool3d"
    check_rank(op, input, 3)
    unbatched = check_input(op, input, 3, "avg_pool3d_out_frame", _AVG_3D_DTYPES)
    x = input.unsqueeze(0) if unbatched else input
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, (int, np.integer))):
        raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
    if divisor_override == 0:
        raise ShapeError(f"{op}: divisor must be not zero")
    k, s, p, _, size = _pool3d_args(op, x, kernel_size, stride, padding, 1, ceil_mode)
    N, C = x.shape[:2]
    reach = (size[0] - 1) * s[0] + k[0] - x.shape[2] - p[0]      # depth past the input
    xd = ConstantPadNd.apply(x, (0, 0, 0, 0, p[0], max(reach, 0)), 0)
    out = None
    for t in range(k[0]):           # the depth taps; each a 2-D window sum of every slice
        sl = xd[:, :, t:t + (size[0] - 1) * s[0] + 1:s[0]]
        plane = sl.reshape((N * C * size[0], 1) + tuple(x.shape[3:]))
        if x.dtype.kind == "f":
            y = ops.AvgPool2dOp.apply(plane, k[1:], s[1:], p[1:], bool(ceil_mode), True, 1)
        else:               # int64 (no gradient): exact window sums
            y = Tensor._of(integer_avg_pool2d(plane.array, k[1:], s[1:], p[1:],
                                              bool(ceil_mode), True, 1))
        out = y if out is None else out + y
    out = out.reshape((N, C) + size)
    if divisor_override:
        div = np.asarray(divisor_override)
    else:
        div = 1
        for a, (o, kk, ss, pp, n) in enumerate(zip(size, k, s, p, x.shape[2:])):
            shape = [1] * 5
            shape[2 + a] = o
            div = div * _divisor_1d(o, kk, ss, pp, n, count_include_pad).reshape(shape)
    if x.dtype.kind == "f":
        out = out / (divisor_override if divisor_override else
                     Tensor._of(div.astype(x.dtype)))
    else:                   # torch's integer division, toward zero
        out = Tensor._of(truncating_divide(out.array, div.astype(np.int64)))
    return named(out.squeeze(0) if unbatched else out, "AvgPool3DBackward0", input)
