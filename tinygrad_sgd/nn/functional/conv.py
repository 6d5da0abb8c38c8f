"""Convolutions (torch's signatures; NCHW / NCL, a input without its batch dim is one sample).

1-D convolutions are the 2-D ones on a height of 1 (an unsqueeze before, a squeeze after, both
free views). Argument mistakes raise :class:`ShapeError` — both the ``RuntimeError`` torch
raises and a ``ValueError`` — with torch's wording where it has one.
"""
from ... import ops
from ...arguments import pair
from ...errors import DTypeError, ShapeError
from ...ops.conv import ConvTranspose2dOp
from ...ops.pad import ConstantPadNd
from ...tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def check_input(op, x, dims):
    """``x`` must be a float Tensor with ``dims`` spatial dims, batched or not; says which."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (dims + 1, dims + 2):
        names = ("L",) if dims == 1 else ("H", "W")
        raise ShapeError(f"{op}: expected a {dims + 1}-D {('(C, ' + ', '.join(names) + ')')} "
                         f"or {dims + 2}-D {('(N, C, ' + ', '.join(names) + ')')} input, got "
                         f"shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating point tensor, got {x.dtype}")
    return x.ndim == dims + 1


def ntuple(value, n, name, op):
    """An int or an n-sequence of ints as an n-tuple (a wrong length is torch's RuntimeError)."""
    if n == 2:
        try:
            return pair(value, name, op)
        except ValueError as e:
            raise ShapeError(str(e)) from None
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(items) != 1:
        raise ShapeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {value!r}")
    return pair(items * 2, name, op)[:1]


def _check_weight(op, input, weight, bias, dims, groups, transposed=False):
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}: {what} must be a Tensor, got {type(t).__name__}")
        if t is not None and t.dtype.kind != "f":
            raise TypeError(f"{op}: {what} must be a floating point tensor, got {t.dtype}")
        if t is not None and isinstance(input, Tensor) and t.dtype != input.dtype:
            raise DTypeError(f"{op}: Input type ({input.dtype}) and {what} type ({t.dtype}) "
                             f"should be the same")
    if weight.ndim != dims + 2:
        layout = "(in_channels, out_channels/groups, " if transposed else \
            "(out_channels, in_channels/groups, "
        raise ShapeError(f"{op}: weight must be {dims + 2}-D {layout}"
                         f"{', '.join(['k'] * dims)}), got shape {weight.shape}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ShapeError(f"{op}: non-positive groups is not supported (groups={groups!r})")
    if weight.shape[0] == 0:
        raise ShapeError(f"{op}: Given groups={groups}, expected weight to be at least 1 at "
                         f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if weight.shape[0] % groups:
        raise ShapeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                         f"{groups} at dimension 0, but got weight of size "
                         f"{list(weight.shape)} instead")
    channels = input.shape[-dims - 1]
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if channels != expected:
        g = f" with groups={groups}" if groups != 1 else ""
        raise ShapeError(f"{op}: input has {channels} channels (shape {input.shape}) but weight "
                         f"of shape {weight.shape}{g} expects {expected}")
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"{op}: bias must have shape ({out_channels},), got {bias.shape}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"{op}: input ({input.dtype}) and {what} ({t.dtype}) must have "
                               f"the same dtype")


def _same_padding(op, weight, stride, dilation, dims):
    """padding='same': d·(k−1) in all, half on each side; an odd total puts its extra one on
    the right/bottom (torch). Returns (symmetric part, extra per dim)."""
    if any(s != 1 for s in stride):
        raise ShapeError(f"{op}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:2 + dims])]
    return tuple(t // 2 for t in total), tuple(t - 2 * (t // 2) for t in total)


def _conv(op, dims, input, weight, bias, stride, padding, dilation, groups):
    unbatched = check_input(op, input, dims)
    _check_weight(op, input, weight, bias, dims, groups)
    stride, dilation = ntuple(stride, dims, "stride", op), ntuple(dilation, dims, "dilation", op)
    x = input.unsqueeze(0) if unbatched else input
    extra = (0,) * dims
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ShapeError(f"{op}: Invalid padding string: {padding!r} (expected 'same', "
                             f"'valid', an int or a tuple of ints)")
        padding, extra = ((0,) * dims, extra) if padding == "valid" else \
            _same_padding(op, weight, stride, dilation, dims)
    else:
        padding = ntuple(padding, dims, "padding", op)
    if any(extra):     # the odd one out of 'same' padding, on the right
        pads = [p for e in reversed(extra) for p in (0, e)]
        x = ConstantPadNd.apply(x, tuple(pads), 0)
    w = weight
    if dims == 1:      # (N, C, L) as (N, C, 1, L)
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    out = ops.Conv2dOp.apply(x, w, bias, stride, padding, dilation, groups)
    out = out.squeeze(2) if dims == 1 else out
    return out.squeeze(0) if unbatched else out


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
    unbatched = check_input(op, input, dims)
    _check_weight(op, input, weight, bias, dims, groups, transposed=True)
    stride, padding, output_padding, dilation = (
        ntuple(v, dims, name, op) for v, name in ((stride, "stride"), (padding, "padding"),
                                                  (output_padding, "output_padding"),
                                                  (dilation, "dilation")))
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
    out_shape = (x.shape[0], weight.shape[1] * groups) + size
    out = ConvTranspose2dOp.apply(x, w, bias, out_shape, stride, padding, dilation, groups)
    out = out.squeeze(2) if dims == 1 else out
    return out.squeeze(0) if unbatched else out


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
