"""Convolutions (torch's signatures; NCDHW / NCHW / NCL, an input without its batch dim is one
sample).

1-D convolutions are the 2-D ones on a height of 1 (an unsqueeze before, a squeeze after, both
free views); 3-D ones are sums of 2-D ones over the kernel's depth taps (see ``conv3d``).
Argument mistakes raise :class:`ShapeError` — both the ``RuntimeError`` torch raises and a
``ValueError`` — with torch's wording where it has one. Integer inputs are convolved exactly,
as torch does (which dtypes, and torch's errors for the others: :mod:`.conv_dtypes`).
"""
from ... import ops
from ...autograd.torch_names import named
from ...arguments import pair
from ...errors import ShapeError
from ...kernels.layout import geometry
from ...ops.conv import ConvTranspose2dOp
from ...ops.pad import ConstantPadNd
from ...dtypes import float16
from ...tensor import Tensor
from .conv_dtypes import dtype_error, empty_result_dtype, refuse_dtype

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def check_input(op, x, dims, kernel=None, allowed="f"):
    """``x`` must be a Tensor with ``dims`` spatial dims, batched or not (says which), of a
    dtype kind in ``allowed`` (float only, by default; or a tuple of the dtypes allowed): else
    a TypeError or, given torch's ``kernel`` name, torch's ``NotImplementedError: "<kernel>"
    not implemented for 'Long'``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (dims + 1, dims + 2):
        names = SPATIAL[dims]
        raise ShapeError(f"{op}: expected a {dims + 1}-D {('(C, ' + ', '.join(names) + ')')} "
                         f"or {dims + 2}-D {('(N, C, ' + ', '.join(names) + ')')} input, got "
                         f"shape {x.shape}")
    if not (x.dtype.kind in allowed if isinstance(allowed, str) else x.dtype in allowed):
        if kernel is not None:
            from ...functions.elementwise import not_implemented
            raise not_implemented(kernel, x.dtype)
        raise TypeError(f"{op}: input must be a floating point tensor, got {x.dtype}")
    return x.ndim == dims + 1


def ntuple(value, n, name, op, single=False):
    """An int or an n-sequence of ints as an n-tuple (a wrong length is torch's RuntimeError;
    a float or str element, as a layer built with one passes it, torch's TypeError first).
    ``single``: a one-element sequence is repeated too, as torch's argument parser does for
    the ``int[n]`` arguments of its native functions (``max_pool2d(x, (3,))``, convolution)."""
    for pos, v in enumerate(value if isinstance(value, (tuple, list)) else (value,)):
        if isinstance(v, (str, float)):
            raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found "
                            f"element of type {type(v).__name__} at pos {pos}")
    if n == 2:
        try:
            return pair(value, name, op)
        except ValueError as e:
            if single and len(value) == 1:
                return pair(value[0], name, op)
            raise ShapeError(str(e)) from None
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if single and len(items) == 1:
        items = items * n
    if len(items) != n:
        raise ShapeError(f"{op}: {name} must be an int or a {n}-tuple of ints, got {value!r}")
    return tuple(pair((v, v), name, op)[0] for v in items)


def _check_weight(op, input, weight, bias, dims, groups, transposed=False, geometry=None):
    """``weight`` and ``bias`` Tensors of the input's dtype (``input`` has passed
    :func:`check_input`), the weight's shape fitting the input's channels and ``groups``.
    ``geometry``: (stride, dilation, output_padding), parsed — torch's errors for mixed dtypes
    depend on them (see :func:`.conv_dtypes.dtype_error`)."""
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}: {what} must be a Tensor, got {type(t).__name__}")
    dtype = input.array.dtype
    if weight.array.dtype != dtype or (bias is not None and bias.array.dtype != dtype):
        error = dtype_error(input, weight, bias, dims, transposed, groups, *(geometry or ()))
        if error is not None:
            raise error
    shape = weight.array.shape
    if len(shape) != dims + 2:
        layout = "(in_channels, out_channels/groups, " if transposed else \
            "(out_channels, in_channels/groups, "
        raise ShapeError(f"{op}: weight must be {dims + 2}-D {layout}"
                         f"{', '.join(['k'] * dims)}), got shape {shape}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ShapeError(f"{op}: non-positive groups is not supported (groups={groups!r})")
    if shape[0] == 0:
        raise ShapeError(f"{op}: Given groups={groups}, expected weight to be at least 1 at "
                         f"dimension 0, but got weight of size {list(shape)} instead")
    if transposed and shape[1] == 0:      # (torch's oneDNN refuses it; here it would write
        raise ShapeError(f"{op}: weight of size {list(shape)} makes no output channels (torch: "
                         f"could not create a primitive descriptor for the deconvolution "
                         f"forward propagation primitive)")           # out of bounds)
    if shape[0] % groups:
        raise ShapeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                         f"{groups} at dimension 0, but got weight of size "
                         f"{list(shape)} instead")
    channels = input.array.shape[-dims - 1]
    expected = shape[0] if transposed else shape[1] * groups
    if channels != expected:
        g = f" with groups={groups}" if groups != 1 else ""
        raise ShapeError(f"{op}: input has {channels} channels (shape {input.shape}) but weight "
                         f"of shape {shape}{g} expects {expected}")
    out_channels = shape[1] * groups if transposed else shape[0]
    if bias is not None and bias.array.shape != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},), got {bias.shape}")


def _same_padding(op, weight, stride, dilation, dims):
    """padding='same': d·(k−1) in all, half on each side; an odd total puts its extra one on
    the right/bottom (torch). Returns (symmetric part, extra per dim)."""
    if any(s != 1 for s in stride):
        raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:2 + dims])]
    return tuple(t // 2 for t in total), tuple(t - 2 * (t // 2) for t in total)


def _no_channels(x, weight, bias, stride, padding, dilation):
    """torch's convolution of a batched input ``x`` with no channels (a layer built with
    in_channels=0): an output with no channels either, (N, 0, *size), on which the weight,
    bias and input get zero gradients."""
    size = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in
                 zip(x.shape[2:], weight.shape[2:], stride, padding, dilation))
    z = x.sum() + weight.sum()                  # (sums of nothing: 0, linked to each)
    if bias is not None:
        z = z + bias.sum() * 0
    z = z if z.dtype == x.dtype else z.to(x.dtype)      # (integers: summed as int64)
    return z.reshape((1,) * (2 + len(size))).expand((x.shape[0], 0) + size)


def _conv_input(op, input, dims, weight, bias, transposed=False):
    """:func:`check_input` for a convolution, which takes integer and bool inputs too (torch's
    dtype checks, :func:`_check_weight` and :func:`.conv_dtypes.refuse_dtype`, come later).
    For another dtype torch's RuntimeError about the weight's or the bias's dtype comes
    first."""
    try:
        return check_input(op, input, dims, allowed="fiub")
    except TypeError:
        if isinstance(input, Tensor) and isinstance(weight, Tensor) and \
                (bias is None or isinstance(bias, Tensor)):
            error = dtype_error(input, weight, bias, dims, transposed, 1)
            if error is not None:
                raise error from None
        raise


def _empty_in(dtype, conv, input, weight, bias, *args):
    """``conv`` of an empty input, weight and bias of mixed dtypes, all cast to ``dtype`` first
    (torch computes nothing then: see :func:`.conv_dtypes.empty_result_dtype`)."""
    out = conv(*(None if t is None else t.to(dtype) for t in (input, weight, bias)), *args)
    return named(out, "ConvolutionBackward0", input, weight, bias)


def _conv(op, dims, input, weight, bias, stride, padding, dilation, groups):
    dtype = empty_result_dtype(input, weight, bias, dims, transposed=False)
    if dtype is not None:
        return _empty_in(dtype, lambda x, w, b: _conv(op, dims, x, w, b, stride, padding,
                                                      dilation, groups), input, weight, bias)
    unbatched = _conv_input(op, input, dims, weight, bias)
    stride, dilation = (ntuple(stride, dims, "stride", op, single=True),
                        ntuple(dilation, dims, "dilation", op, single=True))
    _check_weight(op, input, weight, bias, dims, groups, geometry=(stride, dilation, ()))
    x = input.unsqueeze(0) if unbatched else input
    extra = (0,) * dims
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ShapeError(f"{op}: Invalid padding string: {padding!r} (expected 'same', "
                             f"'valid', an int or a tuple of ints)")
        padding, extra = ((0,) * dims, extra) if padding == "valid" else \
            _same_padding(op, weight, stride, dilation, dims)
    else:
        padding = ntuple(padding, dims, "padding", op, single=True)
    if any(extra):     # the odd one out of 'same' padding, on the right
        pads = [p for e in reversed(extra) for p in (0, e)]
        x = ConstantPadNd.apply(x, tuple(pads), 0)
    w = weight
    if dims == 1:      # (N, C, L) as (N, C, 1, L)
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    if weight.shape[1] == 0:          # (torch: even for dtypes it convolves not)
        out = _no_channels(x, w, bias, stride, padding, dilation)
    else:
        refuse_dtype(op, input, dims, dilation=dilation, shape_check=lambda: geometry(
            "conv2d", x.shape, w.shape[2:], stride, padding, dilation, groups))
        out = ops.Conv2dOp.apply(x, w, bias, stride, padding, dilation, groups)
    out = out.squeeze(2) if dims == 1 else out
    out = out.squeeze(0) if unbatched else out
    return named(out, "ConvolutionBackward0", input, weight, bias)   # torch's one node


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as torch) of an (N, C, H, W) input with an
    (F, C/groups, kh, kw) weight; ``stride``, ``padding``, ``dilation`` are ints or pairs;
    ``padding`` may also be 'valid' (0) or 'same' (output size = input size, stride 1)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of an (N, C, L) input with an (F, C/groups, k) weight."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def transposed_output_size(op, size, k, stride, padding, output_padding, dilation):
    """(size−1)·s − 2p + d·(k−1) + output_padding + 1 per dim, checked as torch does."""
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= d):
            raise ShapeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding {output_padding}, stride {stride}, dilation {dilation}")
    out = tuple((n - 1) * s - 2 * p + d * (kk - 1) + o + 1 for n, kk, s, p, o, d in
                zip(size, k, stride, padding, output_padding, dilation))
    if min(out) < 1:
        raise ShapeError(f"{op}: Given input size per channel: {tuple(size)}. Calculated output "
                         f"size per channel: {out}. Output size is too small")
    return out


def _conv_transpose(op, dims, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    dtype = empty_result_dtype(input, weight, bias, dims, transposed=True)
    if dtype is not None:
        return _empty_in(dtype, lambda x, w, b: _conv_transpose(
            op, dims, x, w, b, stride, padding, output_padding, groups, dilation),
            input, weight, bias)
    unbatched = _conv_input(op, input, dims, weight, bias, transposed=True)
    stride, padding, output_padding, dilation = (
        ntuple(v, dims, name, op, single=True) for v, name in ((stride, "stride"),
                                                             (padding, "padding"),
                                                  (output_padding, "output_padding"),
                                                  (dilation, "dilation")))
    _check_weight(op, input, weight, bias, dims, groups, transposed=True,
                  geometry=(stride, dilation, output_padding))
    if bias is not None and bias.array.dtype != input.array.dtype:
        bias = bias.to(input.dtype)           # (torch adds it so: see dtype_error)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ShapeError(f"{op}: stride and dilation must be >= 1 and padding >= 0, got stride "
                         f"{stride}, padding {padding}, dilation {dilation}")
    x = input.unsqueeze(0) if unbatched else input
    size = transposed_output_size(op, x.shape[2:], weight.shape[2:], stride, padding,
                                  output_padding, dilation)
    w = weight
    if dims == 1:
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
        size, stride, padding, dilation = (1,) + size, (1,) + stride, (0,) + padding, \
            (1,) + dilation
    refuse_dtype(op, input, dims, transposed=True)
    out_shape = (x.shape[0], weight.shape[1] * groups) + size
    out = ConvTranspose2dOp.apply(x, w, bias, out_shape, stride, padding, dilation, groups)
    out = out.squeeze(2) if dims == 1 else out
    out = out.squeeze(0) if unbatched else out
    return named(out, "ConvolutionBackward0", input, weight, bias)   # torch's one node


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transposed convolution (the adjoint of conv2d in its input) of an (N, C_in, H, W)
    input with a (C_in, C_out/groups, kh, kw) weight: output height
    (H−1)·stride − 2·padding + dilation·(kh−1) + output_padding + 1."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transposed 1-D convolution of an (N, C_in, L) input, weight (C_in, C_out/groups, k)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# ---------------------------------------------------------------- 3-D, from the 2-D ones
# A 3-D convolution is a sum over the kernel's depth taps t of 2-D convolutions: output depth
# slice z reads input slice z·s_d + t·d_d (after padding). Each tap is one conv2d over all
# output slices at once, the depth folded into the batch — so gradients and second order are
# those of conv2d, and the loop runs over kd taps only.

def _fold_depth(x):
    """(N, C, D, H, W) → (N·D, C, H, W)."""
    n, c, d = x.shape[:3]
    return x.permute(0, 2, 1, 3, 4).reshape((n * d, c) + tuple(x.shape[3:]))


def _unfold_depth(y, n, d):
    """(N·D, C, H, W) → (N, C, D, H, W)."""
    return y.reshape((n, d) + tuple(y.shape[1:])).permute(0, 2, 1, 3, 4)


def _depth_taps(x, weight, bias, out_depth, step, dilation, conv2d_of_tap):
    """Σ_t conv2d_of_tap(x[:, :, t·dilation :: step][:out_depth], weight[:, :, t]) (+ bias
    once), each tap's slices folded into the batch."""
    out = None
    for t in range(weight.shape[2]):
        start = t * dilation
        taps = x[:, :, start:start + (out_depth - 1) * step + 1:step]
        y = conv2d_of_tap(_fold_depth(taps), weight[:, :, t], bias if t == 0 else None)
        out = y if out is None else out + y
    return _unfold_depth(out, x.shape[0], out_depth)


def _pad_depth(x, lo, hi):
    """Zeros before/after the depth axis of (N, C, D, H, W) (negative: crop)."""
    return x if lo == hi == 0 else ConstantPadNd.apply(x, (0, 0, 0, 0, lo, hi), 0)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of an (N, C, D, H, W) input with an (F, C/groups, kd, kh, kw) weight;
    ``stride``, ``padding`` ('valid', 'same', an int or a triple), ``dilation`` as conv2d. Made
    of conv2d calls, one per depth tap (see :func:`_depth_taps`)."""
    op = "conv3d"
    dtype = empty_result_dtype(input, weight, bias, 3, transposed=False)
    if dtype is not None:
        return _empty_in(dtype, conv3d, input, weight, bias, stride, padding, dilation, groups)
    unbatched = _conv_input(op, input, 3, weight, bias)
    stride, dilation = (ntuple(stride, 3, "stride", op, single=True),
                        ntuple(dilation, 3, "dilation", op, single=True))
    _check_weight(op, input, weight, bias, 3, groups, geometry=(stride, dilation, ()))
    x = input.unsqueeze(0) if unbatched else input
    extra = (0, 0, 0)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ShapeError(f"{op}: Invalid padding string: {padding!r} (expected 'same', "
                             f"'valid', an int or a tuple of ints)")
        padding, extra = ((0, 0, 0), extra) if padding == "valid" else \
            _same_padding(op, weight, stride, dilation, 3)
    else:
        padding = ntuple(padding, 3, "padding", op, single=True)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ShapeError(f"{op}: stride and dilation must be >= 1 and padding >= 0, got stride "
                         f"{stride}, padding {padding}, dilation {dilation}")
    if any(extra):     # the odd one out of 'same' padding, on the right
        x = ConstantPadNd.apply(x, tuple(p for e in reversed(extra) for p in (0, e)), 0)
    if weight.shape[1] == 0:
        out = _no_channels(x, weight, bias, stride, padding, dilation)
        return named(out.squeeze(0) if unbatched else out, "ConvolutionBackward0", input,
                     weight, bias)
    unpadded = x
    x = _pad_depth(x, padding[0], padding[0])
    k = weight.shape[2:]
    size = [x.shape[2]] + [n + 2 * p for n, p in zip(x.shape[3:], padding[1:])]
    eff = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    if any(n < e for n, e in zip(size, eff)):
        raise ShapeError(f"{op}: Calculated padded input size per channel: {tuple(size)}. "
                         f"Kernel size: {tuple(eff)}. Kernel size can't be greater than "
                         f"actual input size")
    refuse_dtype(op, input, 3, dilation=dilation)
    out_depth = (size[0] - eff[0]) // stride[0] + 1
    w, b = weight, bias
    half = x.dtype == weight.dtype == float16
    if half and groups == 1 and dilation == (1, 1, 1) and (b is None or b.dtype == float16) \
            and x.shape[0]:                    # (an empty batch: the taps below, nothing)
        out = ops.conv.Conv3dHalf.apply(unpadded, w, b, stride, padding)
        out = out.squeeze(0) if unbatched else out
        return named(out, "ConvolutionBackward0", input, weight, bias)   # torch's rounding
    if half:         # torch's CPU conv3d in float16: the taps' sums and the bias in float32,
        x, w, b = x.float(), w.float(), None if b is None else b.float()    # rounded once
        # (dilated or grouped: torch's other kernels, not followed bit for bit)
    out = _depth_taps(x, w, b, out_depth, stride[0], dilation[0], lambda xs, w, b: (
        ops.Conv2dOp.apply(xs, w, b, stride[1:], padding[1:], dilation[1:], groups)))
    out = out.half() if half else out
    out = out.squeeze(0) if unbatched else out
    return named(out, "ConvolutionBackward0", input, weight, bias)   # torch's one node


def _spread_depth(x, s):
    """(N, C, D, H, W) with s−1 zero slices after each depth slice but the last."""
    if s == 1:
        return x
    n, c, d = x.shape[:3]
    y = ConstantPadNd.apply(x.unsqueeze(3), (0, 0, 0, 0, 0, s - 1), 0)
    return y.reshape((n, c, d * s) + tuple(x.shape[3:]))[:, :, :(d - 1) * s + 1]


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The transposed 3-D convolution of an (N, C_in, D, H, W) input with a
    (C_in, C_out/groups, kd, kh, kw) weight. Along depth it is a stride-1 correlation of the
    input spread by the stride (zeros between slices) and padded by d·(k−1)−p, with the taps in
    reverse; each tap a conv_transpose2d over the H, W plane."""
    op = "conv_transpose3d"
    dtype = empty_result_dtype(input, weight, bias, 3, transposed=True)
    if dtype is not None:
        return _empty_in(dtype, conv_transpose3d, input, weight, bias, stride, padding,
                         output_padding, groups, dilation)
    unbatched = _conv_input(op, input, 3, weight, bias, transposed=True)
    stride, padding, output_padding, dilation = (
        ntuple(v, 3, name, op, single=True) for v, name in ((stride, "stride"),
                                                             (padding, "padding"),
                                               (output_padding, "output_padding"),
                                               (dilation, "dilation")))
    _check_weight(op, input, weight, bias, 3, groups, transposed=True,
                  geometry=(stride, dilation, output_padding))
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ShapeError(f"{op}: stride and dilation must be >= 1 and padding >= 0, got stride "
                         f"{stride}, padding {padding}, dilation {dilation}")
    x = input.unsqueeze(0) if unbatched else input
    size = transposed_output_size(op, x.shape[2:], weight.shape[2:], stride, padding,
                                  output_padding, dilation)
    refuse_dtype(op, input, 3, transposed=True)
    kd, (s, p, d) = weight.shape[2], (stride[0], padding[0], dilation[0])
    reach = d * (kd - 1) - p
    x = _pad_depth(_spread_depth(x, s), reach, reach + output_padding[0])
    out_shape = (None, weight.shape[1] * groups) + size[1:]

    def tap(xs, w, b):
        return ConvTranspose2dOp.apply(xs, w, b, (xs.shape[0],) + out_shape[1:], stride[1:],
                                       padding[1:], dilation[1:], groups)
    w, b = weight.flip(2), bias
    half = x.dtype == weight.dtype == float16      # the taps' sums and the bias in float32,
    if half:                                       # rounded once, as torch's (each tap's
        x, w, b = x.float(), w.float(), None if b is None else b.float()   # was rounded)
    out = _depth_taps(x, w, b, size[0], 1, d, tap)
    out = out.half() if half else out
    out = out.squeeze(0) if unbatched else out
    return named(out, "ConvolutionBackward0", input, weight, bias)   # torch's one node
