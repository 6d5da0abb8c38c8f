"""Convolution and pooling (NCHW, as torch; a 3-D input is one unbatched image)."""
from ... import ops
from ...arguments import pair
from ...tensor import Tensor

__all__ = ["conv2d", "max_pool2d", "avg_pool2d"]


def _check_input(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating point tensor, got {x.dtype}")
    return x.ndim == 3


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as torch) of an (N, C, H, W) input with an
    (F, C, kh, kw) weight; ``stride``, ``padding``, ``dilation`` are ints or pairs."""
    unbatched = _check_input("conv2d", input)
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"conv2d: {what} must be a Tensor, got {type(t).__name__}")
        if t is not None and t.dtype.kind != "f":
            raise TypeError(f"conv2d: {what} must be a floating point tensor, got {t.dtype}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels, kh, kw), "
                         f"got shape {weight.shape}")
    if weight.shape[1] != input.shape[-3]:
        raise ValueError(f"conv2d: input has {input.shape[-3]} channels (shape {input.shape}) "
                         f"but weight of shape {weight.shape} expects {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    x = input.unsqueeze(0) if unbatched else input
    out = ops.Conv2dOp.apply(x, weight, bias, pair(stride, "stride", "conv2d"),
                             pair(padding, "padding", "conv2d"),
                             pair(dilation, "dilation", "conv2d"))
    return out.squeeze(0) if unbatched else out


def _pool(cls, op, input, kernel_size, stride, padding):
    unbatched = _check_input(op, input)
    x = input.unsqueeze(0) if unbatched else input
    stride = kernel_size if stride is None or stride == [] else stride
    out = cls.apply(x, kernel_size, stride, padding)
    return out.squeeze(0) if unbatched else out


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max over ``kernel_size`` windows (stride defaults to the kernel size, as torch)."""
    return _pool(ops.MaxPool2dOp, "max_pool2d", input, kernel_size, stride, padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Mean over ``kernel_size`` windows (zero padding counted, as torch's default)."""
    return _pool(ops.AvgPool2dOp, "avg_pool2d", input, kernel_size, stride, padding)
