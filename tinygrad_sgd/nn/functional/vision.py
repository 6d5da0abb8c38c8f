"""Padding, resizing and sliding blocks: ``pad``, ``interpolate``, ``unfold``, ``fold``
(torch's signatures and numbers); ``affine_grid`` and ``grid_sample`` live in :mod:`.grid`.

``pad`` with mode 'constant' is one op (:class:`ops.pad.ConstantPadNd`); 'reflect',
'replicate' and 'circular' read each output element from one input element, so they are — like
the interpolations — a resampling along each padded axis, the last first (:mod:`ops.resample`).
"""
import math
import numbers
import warnings

import numpy as np

from ...autograd.torch_names import named
from ...errors import ShapeError, warn_level
from ...kernels.resample import AxisMap, pad_map, nearest_map, linear_map, cubic_map, \
    antialias_map, fixed_point_map, resample_fixed_point
from ...ops.conv import Im2Col, Col2Im
from ...kernels.layout import channels_last_order
from ...ops.pad import ConstantPadNd
from ...ops.resample import Resample
from ...ops.shape import is_channels_last
from ...tensor import Tensor
from .conv import check_input, ntuple
from .grid import affine_grid, grid_sample  # noqa: F401  (listed here; they live in grid.py)
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold",
           "fold", "affine_grid", "grid_sample"]

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)``, the last
    dim first; negative widths crop. Modes: 'constant' (``value``, default 0), 'reflect'
    (mirror, the edge not repeated), 'replicate' (the edge repeated), 'circular' (wrap around).
    The last three pad 1–3 dims of a batched or unbatched input, as torch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    if not isinstance(pad, (tuple, list)) or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    pads = tuple(int(p) for p in pad)
    if len(pads) % 2:
        raise ShapeError(f"pad: Padding length must be divisible by 2 (got {pads})")
    n = len(pads) // 2
    if n > input.ndim:
        raise ShapeError(f"pad: Padding length should be less than or equal to two times the "
                         f"input dimension but got padding length {len(pads)} and input of "
                         f"dimension {input.ndim}")
    if mode not in PAD_MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode} (expected one of "
                                  f"{', '.join(PAD_MODES)})")
    sides = [(input.ndim - 1 - k, pads[2 * k], pads[2 * k + 1]) for k in range(n)]
    for d, lo, hi in sides:
        if mode in ("constant", "circular") and input.shape[d] + min(lo, 0) + min(hi, 0) < 0:
            raise ShapeError(f"pad: the negative padding ({lo}, {hi}) of dimension {d} crops "
                             f"more than its size {input.shape[d]} (torch: narrow(): length "
                             f"must be non-negative)")
    if mode == "constant":
        return ConstantPadNd.apply(input, pads, 0 if value is None else value)
    if value is not None and value != 0:
        raise ShapeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    if n > 3 or input.ndim not in (n + 1, n + 2):
        raise NotImplementedError(f"pad: Padding size {len(pads)} is not supported for "
                                  f"{input.ndim}D input tensor (mode {mode!r} pads 1-3 dims "
                                  f"of an input with 1 or 2 more)")
    if input.dtype.kind == "b" and mode != "circular":
        from ...functions.elementwise import not_implemented
        raise not_implemented(f"{'reflection' if mode == 'reflect' else 'replication'}_pad{n}d",
                              input.dtype)
    out = input
    for d, lo, hi in sides:
        size = input.shape[d]
        if mode != "circular" and (size == 0 or any(s == 0 for s in input.shape[1:])):
            raise ShapeError(f"pad: Expected non-empty dimensions (besides the batch) for mode "
                             f"{mode!r}, but got input of shape {input.shape}")
        if mode == "reflect" and (lo >= size or hi >= size):
            raise ShapeError(f"pad: Padding size should be less than the corresponding input "
                             f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of "
                             f"input {list(input.shape)}")
        if mode != "circular" and size + lo + hi < 1:
            raise ShapeError(f"pad: input (size {size} at dimension {d}) is too small. "
                             f"Calculated output size: {size + lo + hi}")
        if mode == "circular":
            if lo > size or hi > size:
                raise ShapeError("pad: Padding value causes wrapping around more than once.")
            kept = size - max(-lo, 0) - max(-hi, 0)
            if max(lo, 0) > kept or (kept <= 0 < size + lo + hi):
                raise ShapeError(f"pad: circular padding ({lo}, {hi}) of dimension {d} wraps "
                                 f"around more than what the negative padding leaves ({kept})")
    padded = [s for s in sides if s[1:] != (0, 0)] or sides[-1:]
    order = channels_last_order(input.ndim) if mode != "circular" and \
        is_channels_last(input) else tuple(range(input.ndim))
    for d, lo, hi in padded:            # (the result laid out as torch's, in the last step)
        out = Resample.apply(out, d, pad_map(mode, input.shape[d], lo, hi),
                             tied=out is input and mode != "circular",      # (as torch's)
                             order=order if d == padded[-1][0] else None)
    torch_name = {"reflect": f"ReflectionPad{n}DBackward0", "replicate":
                  f"ReplicationPad{n}DBackward0"}.get(mode, "torch::autograd::CopySlices")
    return named(out, torch_name, input)      # (circular: torch writes slices into a new one)


INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")
MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area",
         "nearest-exact")
AA_KERNELS = {"bilinear": "linear", "bicubic": "cubic", "lanczos": "lanczos"}   # their filters
UINT8_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic", "lanczos")


def _interpolate_sizes(input, size, scale_factor, recompute_scale_factor, mode):
    """(output sizes, scale factors to pass on or None), as torch's ``interpolate``."""
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit "
                         "size.")
    if size is not None:
        sizes = list(size) if isinstance(size, (tuple, list)) else [size] * dim
        sizes = [int(s.item()) if isinstance(s, Tensor) and s.ndim == 0 and s.dtype.kind in "iu"
                 else s for s in sizes]            # (torch takes 0-d integer tensors too)
        if len(sizes) != dim:
            raise ValueError(f"interpolate: Input and output must have the same number of "
                             f"spatial dimensions, but got input with spatial dimensions of "
                             f"{spatial} and output size of {size!r}")
        if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes):
            raise TypeError(f"interpolate: expected size to be an int or a tuple of ints, got "
                            f"{size!r}")
        return [int(s) for s in sizes], None
    scales = list(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
        [scale_factor] * dim
    if len(scales) != dim:
        raise ValueError(f"interpolate: Input and scale_factor must have the same number of "
                         f"spatial dimensions, but got input with spatial dimensions of "
                         f"{spatial} and scale_factor of shape {scale_factor!r}")
    if not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in scales):
        raise TypeError(f"interpolate: scale_factor must be a float or a tuple of floats, got "
                        f"{scale_factor!r}")
    sizes = [math.floor(float(n * s)) for n, s in zip(spatial, scales)]
    keep = not (recompute_scale_factor or (mode == "area"))
    return sizes, [float(s) for s in scales] if keep else None


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of an (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to
    ``size`` or by ``scale_factor`` (output = ⌊input·scale⌋; the scale itself sets the sampling
    positions unless ``recompute_scale_factor``). Modes: 'nearest', 'nearest-exact', 'linear'
    (3-D), 'bilinear', 'bicubic' (4-D; Keys' cubic, a = −0.75), 'trilinear' (5-D), with
    ``align_corners``, and 'area' (adaptive average pooling). ``antialias=True`` (bilinear,
    bicubic, and 'lanczos', which needs it): Pillow's resampling, the filter widened when
    shrinking so that every input pixel counts. Positions and weights are torch's, in the
    input's precision; uint8 images (nearest, bilinear, bicubic, lanczos) are resized in
    torch's fixed point, to the same bytes."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: input must be a Tensor, got {type(input).__name__}")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in AA_KERNELS and input.ndim == 4):
        raise ValueError("interpolate: Anti-alias option is restricted to bilinear, bicubic, "
                         "and lanczos modes and requires a 4-D tensor as input")
    if input.ndim not in (3, 4, 5) or mode not in MODES or (mode in ("bicubic", "lanczos") and
                                                            input.ndim != 4):
        raise NotImplementedError(
            f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{input.ndim}D) for the modes: {' | '.join(MODES)} (got {mode})")
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and input.ndim != needs[mode]:
        raise NotImplementedError(f"interpolate: Got {input.ndim}D input, but {mode} mode needs "
                                  f"{needs[mode]}D input")
    if mode == "lanczos" and align_corners:
        raise ValueError("interpolate: Lanczos mode does not support align_corners=True")
    if mode == "lanczos" and not antialias:
        raise ValueError("interpolate: Lanczos mode requires antialias=True")
    if input.dtype.kind != "f" and not (input.dtype == np.uint8 and mode in UINT8_MODES):
        raise NotImplementedError(f"interpolate: not implemented for {input.dtype} input "
                                  f"in mode {mode!r} (floating point only, and uint8 for "
                                  f"{', '.join(UINT8_MODES)}, as torch)")
    sizes, scales = _interpolate_sizes(input, size, scale_factor, recompute_scale_factor, mode)
    if mode == "area":
        pool = {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}
        return pool[input.ndim](input, sizes)
    if min(sizes) < 1:
        raise ShapeError(f"interpolate: Input and output sizes should be greater than 0, but "
                         f"got input {tuple(input.shape[2:])} output {tuple(sizes)}")
    if input.dtype == np.uint8 and mode in AA_KERNELS:
        return _resize_uint8(input, sizes, scales, mode, align_corners, antialias)
    if antialias and input.dtype.name in ("float16", "bfloat16") \
            and tuple(sizes) != tuple(input.shape[2:]):     # (torch has no such kernel)
        raise NotImplementedError(f"\"compute_index_ranges_weights\" not implemented for "
                                  f"'{'Half' if input.dtype.name == 'float16' else 'BFloat16'}' "
                                  f"(interpolate with antialias=True)")
    # a float16/bfloat16 input is resampled in float32 and rounded once at the end, as torch's
    # kernels accumulate (its nearest modes only copy, so they stay in the input's dtype)
    low = input.dtype.name in ("float16", "bfloat16") and not mode.startswith("nearest")
    out = input.float() if low else input
    for axis in range(input.ndim - 1, 1, -1):      # the last axis first, as torch sums
        n_in, n_out = input.shape[axis], sizes[axis - 2]
        scale = None if scales is None else scales[axis - 2]
        if antialias:       # torch resamples only the axes whose size changes
            if n_in == n_out and (axis > 2 or out is not input):
                continue
            m = AxisMap("copy", n_in, n_in, [(None, np.arange(n_in), None)]) \
                if n_in == n_out else antialias_map(n_in, n_out, AA_KERNELS[mode], scale,
                                                    align_corners, out.dtype)
        elif mode.startswith("nearest"):
            m = nearest_map(n_in, n_out, scale, exact=mode == "nearest-exact",
                            shortcuts=mode == "nearest" and _nearest_shortcuts(input, sizes))
        elif mode == "bicubic":
            m = cubic_map(n_in, n_out, scale, align_corners, out.dtype)
        else:
            m = linear_map(n_in, n_out, scale, align_corners, out.dtype)
        out = Resample.apply(out, axis, m)
    out = out.to(input.dtype) if low else out
    return named(out, _upsample_name(mode, input.ndim - 2, antialias), input)


def _upsample_name(mode, dims, antialias):
    """torch's node: ``UpsampleNearest2DBackward0``, ``UpsampleBicubic2DAaBackward0``..."""
    kind = {"nearest-exact": "NearestExact"}.get(mode, mode.capitalize())
    return f"Upsample{kind}{dims}D{'Aa' if antialias else ''}Backward0"


def _nearest_shortcuts(input, sizes):
    """Whether torch 2.13 (CPU) resizes this input with its legacy 'nearest' index rule, which
    copies a kept size and halves a doubled one whatever the scale factor (so scale_factor=2.2
    on 4 elements, giving 8, reads o >> 1, not ⌊o/2.2⌋): only its channels-last kernel uses
    it, and torch takes that kernel for a 4-D input that is channels-last with more than 3
    channels or whose output is small (H + W ≤ 128), and for a 5-D channels-last-3d one with
    more than 3 channels; 3-D inputs never. (Its backward always uses that rule; ours is the
    adjoint of the forward actually computed.)"""
    a = input.array
    channels_last = input.ndim in (4, 5) and input.shape[1] > 3 and \
        a.transpose((0,) + tuple(range(2, a.ndim)) + (1,)).flags.c_contiguous
    return channels_last or (input.ndim == 4 and sizes[0] + sizes[1] <= 128)


def _resize_uint8(input, sizes, scales, mode, align_corners, antialias):
    """uint8 images as torch resizes them, one axis at a time (the last first) in fixed point,
    rounding to uint8 between the two (no gradient: uint8 tensors take none)."""
    out = input.array
    for axis in range(input.ndim - 1, 1, -1):
        n_in, n_out = input.shape[axis], sizes[axis - 2]
        if n_in != n_out:
            m = fixed_point_map(n_in, n_out, AA_KERNELS[mode], None if scales is None else
                                scales[axis - 2], align_corners, antialias)
            out = resample_fixed_point(out, axis, m)
    return Tensor._of(out.copy() if out is input.array else out)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """torch's deprecated name for :func:`interpolate` (with torch's warning)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=warn_level(2))
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """torch's deprecated interpolate(mode="nearest") (with torch's warning)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=warn_level(2))
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """torch's deprecated interpolate(mode="bilinear", align_corners=True) (with torch's
    warning)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=warn_level(2))
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks: every kernel_size window of the (padded) (N, C, H, W) input as a column,
    (N, C·kh·kw, L) with L = OH·OW blocks — the convolution's im2col matrix."""
    unbatched = check_input("unfold", input, 2, "im2col_out_cpu", "fb")   # (torch: bool too)
    args = [ntuple(v, 2, name, "unfold") for v, name in
            ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
             (stride, "stride"))]
    x = input.unsqueeze(0) if unbatched else input
    out = Im2Col.apply(x, *args)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of :func:`unfold`: columns (N, C·kh·kw, L) summed back into an
    (N, C, *output_size) image (overlapping windows add up)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fold: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise ShapeError(f"fold: expected a 2-D (C·kh·kw, L) or 3-D (N, C·kh·kw, L) input with "
                         f"non-zero sizes, got shape {input.shape}")
    if input.dtype.kind not in "fb":                                       # (torch: bool too)
        from ...functions.elementwise import not_implemented
        raise not_implemented("col2im_out_cpu", input.dtype)
    size, k, d, p, s = [ntuple(v, 2, name, "fold") for v, name in
                        ((output_size, "output_size"), (kernel_size, "kernel_size"),
                         (dilation, "dilation"), (padding, "padding"), (stride, "stride"))]
    if min(k) > 0 and input.shape[-2] % (k[0] * k[1]):
        raise ShapeError(f"fold: Expected size of input's dimension 1 to be divisible by the "
                         f"product of kernel_size, but got input.size(1)={input.shape[-2]} and "
                         f"kernel_size={k}.")
    if min(k) > 0 and min(s) > 0 and min(d) > 0:
        blocks = [(n + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1
                  for n, k_, d_, p_, s_ in zip(size, k, d, p, s)]
        if blocks[0] * blocks[1] != input.shape[-1]:
            raise ShapeError(
                f"fold: Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
                f"stride={s}, expected size of input's dimension 2 to match the calculated "
                f"number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
                f"but got input.size(2)={input.shape[-1]}.")
    x = input.unsqueeze(0) if input.ndim == 2 else input
    out = Col2Im.apply(x, size, k, d, p, s)
    return out.squeeze(0) if input.ndim == 2 else out
