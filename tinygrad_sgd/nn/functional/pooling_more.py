"""Fractional max pooling, LP pooling, and torch's ``*_with_indices`` spellings of max pooling.

Fractional max pooling (Graham, 2014) takes the max over ``kernel_size`` windows whose start
positions step by a non-integer ratio. torch draws one number u ∈ [0, 1) per (sample, channel,
axis) — ``_random_samples``, shape (N, C, 2) or (N, C, 3) — and places the windows along an
axis of input size n, output size o and kernel k at (``generate_intervals`` in ATen)::

    α = (n − k) / (o − 1)                       (in the input's float dtype)
    start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋   for i < o − 1,   start_(o−1) = n − k

(for 2-D the sample u[0] drives the width and u[1] the height; for 3-D u[0], u[1], u[2] drive
time, height, width). So the same ``_random_samples`` give torch's windows exactly; without
them they are drawn with :func:`tinygrad_sgd.rand`, whose stream is torch's, so after
``manual_seed(s)`` in both libraries the pooling is the same too.

The maxima are found in NumPy (no graph): the window's taps are walked in scan order with
torch's rule ``take if v > best or v is NaN`` from best = −inf and the window's first
position, so the first maximum wins and the last NaN does. The output is then a gather of the
flattened input at those indices: its gradient scatters dy back to the max positions, and that
scatter's gradient gathers again (second order for free).
"""
import numpy as np

from ...errors import ShapeError
from ...tensor import Tensor
from .conv import check_input, ntuple
from .pooling import (max_pool1d, max_pool2d, max_pool3d, adaptive_max_pool1d,
                      adaptive_max_pool2d, adaptive_max_pool3d, avg_pool1d, avg_pool2d,
                      avg_pool3d)

__all__ = ["max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "fractional_max_pool2d",
           "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


# ---------------------------------------------------------------- the *_with_indices spellings
# torch's names for max pooling that always returns (output, indices); ``return_indices`` is
# accepted (torch's signature has it) and has no effect.

def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool1d` returning ``(output, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool2d` returning ``(output, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool3d` returning ``(output, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` returning ``(output, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` returning ``(output, indices)``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool3d` returning ``(output, indices)``."""
    return adaptive_max_pool3d(input, output_size, True)


# ---------------------------------------------------------------- fractional max pooling
_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _intervals(u, n, o, k):
    """Window starts (N, C, o) along an axis of input size ``n`` for samples ``u`` (N, C),
    torch's formula computed in ``u``'s dtype (see the module docstring)."""
    starts = np.empty(u.shape + (o,), np.int64)
    if o > 1:
        alpha = u.dtype.type(n - k) / u.dtype.type(o - 1)
        i = np.arange(o - 1).astype(u.dtype)
        starts[..., :-1] = (np.trunc((i + u[..., None]) * alpha).astype(np.int64)
                            - np.trunc(u * alpha).astype(np.int64)[..., None])
    if o > 0:
        starts[..., -1] = n - k
    return starts


def _output_size(op, dims, x, output_size, output_ratio):
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is not None:
        return ntuple(output_size, dims, "output_size", op)
    ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else \
        (output_ratio,) * dims
    if len(ratio) != dims:
        raise ValueError(f"{op} requires output_ratio to either be a single number or a "
                         f"{dims}-tuple, got {output_ratio!r}")
    return tuple(int(n * float(r)) for n, r in zip(x.shape[2:], ratio))


def _samples(op, dims, x, _random_samples):
    """torch's checks of ``_random_samples``, or a fresh draw (N, C, dims) in x's dtype."""
    from ...functions.random import rand
    N, C = x.shape[:2]
    if _random_samples is None:
        return rand(N, C, dims, dtype=x.dtype).array
    s = _random_samples
    if not isinstance(s, Tensor):
        raise TypeError(f"{op}: _random_samples must be a Tensor, got {type(s).__name__}")
    if s.ndim != 3:
        raise ShapeError(f"Expect _random_samples to have 3 dimensions, got {s.ndim}")
    if s.shape[2] != dims:
        raise ShapeError(f"Expect _random_samples.size(2) equals to {dims}; got {s.shape[2]}.")
    if s.shape[0] < N:
        raise ShapeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != C:
        raise ShapeError("Expect _random_samples.size(1) equals to input channel size.")
    if s.dtype != x.dtype:
        raise ShapeError("Expect _random_samples to have the same dtype as input")
    return s.array[:N]


def _fractional(op, dims, input, kernel_size, output_size, output_ratio, _random_samples):
    unbatched = check_input(op, input, dims, "check_uniform_bounds")
    x = input.unsqueeze(0) if unbatched else input
    k = ntuple(kernel_size, dims, "kernel_size", op)
    if min(k) <= 0:
        raise ShapeError(f"{op}: kernel_size must be greater than zero, got {kernel_size!r}")
    size = _output_size(op, dims, x, output_size, output_ratio)
    if min(size) < 0:
        raise ShapeError(f"{op}: output_size must be non-negative, got {size}")
    N, C = x.shape[:2]
    if C == 0 or 0 in x.shape[2:]:
        raise ShapeError(f"{op}(): Expected input to have non-zero size for non-batch "
                         f"dimensions, but got {list(input.shape)}")
    # 2-D allows o + k − 1 ≤ n, 3-D (torch's check) only o + k − 1 < n; torch checks
    # height before width in 2-D and time, width, height in 3-D
    order = (0, 1) if dims == 2 else (0, 2, 1)
    for a in order:
        o, kk, n = size[a], k[a], x.shape[2 + a]
        if o + kk - 1 > n or (dims == 3 and o + kk - 1 == n):
            raise ShapeError(f"{op}(): pool {_AXES[dims][a]} {kk} too large relative to input "
                             f"{_AXES[dims][a]} {n}")
    u = _samples(op, dims, x, _random_samples)
    columns = (1, 0) if dims == 2 else (0, 1, 2)          # which sample drives which axis
    starts = [_intervals(u[:, :, c], n, o, kk)
              for c, n, o, kk in zip(columns, x.shape[2:], size, k)]
    for s, n, kk in zip(starts, x.shape[2:], k):
        if s.size and (s.min() < 0 or s.max() + kk > n):
            raise ShapeError(f"{op}: _random_samples place a window outside the input "
                             f"(they should lie in [0, 1))")
    idx = _window_max(x.array, starts, k, size)
    flat = Tensor._of(idx.reshape(N, C, int(np.prod(size, dtype=np.int64))))
    out = x.flatten(2).gather(2, flat).reshape((N, C) + size)
    if unbatched:
        out, idx = out.squeeze(0), idx[0]
    return out, Tensor._of(idx)


def _window_max(a, starts, k, size):
    """int64 flat indices (N, C, *size) of each window's maximum in ``a`` (N, C, *spatial),
    the windows starting at ``starts`` (per axis, (N, C, o)) with extents ``k``. One
    vectorised step per kernel tap, in scan order (torch's rule; see the module docstring)."""
    N, C = a.shape[:2]
    spatial = a.shape[2:]
    dims = len(spatial)
    if N * C == 0 or 0 in size:
        return np.zeros((N, C) + tuple(size), np.int64)
    # broadcast each axis's starts to (N, C, 1.., o, 1..) so they combine into the output grid
    grid = []
    for ax, s in enumerate(starts):
        shape = [N, C] + [1] * dims
        shape[2 + ax] = s.shape[2]
        grid.append(s.reshape(shape))
    strides = [int(np.prod(spatial[ax + 1:], dtype=np.int64)) for ax in range(dims)]
    first = sum(g * st for g, st in zip(grid, strides))        # each window's first position
    plane = a.reshape(N, C, -1)
    n_i = np.arange(N)[:, None, None]
    c_i = np.arange(C)[None, :, None]
    out_shape = (N, C) + tuple(size)
    first = np.broadcast_to(first, out_shape).reshape(N, C, -1)
    best = np.full(first.shape, -np.inf, a.dtype)
    idx = first.copy()
    for tap in np.ndindex(*k):
        offset = sum(t * st for t, st in zip(tap, strides))
        pos = first + offset
        v = plane[n_i, c_i, pos]
        take = (v > best) | np.isnan(v)
        np.copyto(best, v, where=take)
        np.copyto(idx, pos, where=take)
    return idx.reshape(out_shape)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool2d` returning ``(output, indices)`` (flat h·W + w)."""
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size,
                       output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool3d` returning ``(output, indices)`` (flat t·H·W + h·W + w)."""
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size,
                       output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max over ``kernel_size`` windows of an (N, C, H, W) or (C, H, W) input placed by
    torch's pseudo-random fractional steps (module docstring), giving ``output_size`` or
    ⌊``output_ratio``·(H, W)⌋ outputs (``output_size`` wins when both are given, as torch);
    ``return_indices``: also the int64 flat index h·W + w of each maximum."""
    out, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                  return_indices, _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of an (N, C, T, H, W) or (C, T, H, W) input (see
    :func:`fractional_max_pool2d`)."""
    out, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                  return_indices, _random_samples)
    return (out, idx) if return_indices else out


# ---------------------------------------------------------------- LP pooling
def _lp_pool(dims, input, norm_type, kernel_size, stride, ceil_mode):
    max_pool, avg_pool = {1: (max_pool1d, avg_pool1d), 2: (max_pool2d, avg_pool2d),
                          3: (max_pool3d, avg_pool3d)}[dims]
    if isinstance(norm_type, (int, float)) and norm_type in (np.inf, -np.inf):
        if norm_type > 0:
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if dims == 1:
        size = kernel_size
    else:
        size = int(np.prod(ntuple(kernel_size, dims, "kernel_size", f"lp_pool{dims}d")))
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: (Σ_window x^p)^(1/p) (torch's formula: the avg_pool1d of x^p
    times the window size; p = ±inf is the max of |x| / −max of −|x|)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (H, W) windows (see :func:`lp_pool1d`)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over (D, H, W) windows (see :func:`lp_pool1d`)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
