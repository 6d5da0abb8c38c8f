"""Convolution layers (torch's parameter layout, default initialisation and checks), and the
sliding-block layers Fold/Unfold."""
from collections.abc import Iterable

import numpy as np

from ..device import check_device
from ..dtypes import default_float
from . import functional as F
from .linear import new_array, positive_int, reset_like_torch
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Fold", "Unfold"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    """torch's ``_ntuple(n)``: an iterable as a tuple (its length unchecked), anything else
    repeated ``n`` times."""
    if isinstance(value, Iterable):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """What Conv1d/2d and ConvTranspose1d/2d share: the checks, the parameters
    ``weight`` — (out, in/groups, *k), transposed (in, out/groups, *k) — and ``bias`` (out,),
    initialised as torch (kaiming_uniform(a=√5), bias U(±1/√fan_in))."""
    dims, transposed = 2, False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding=0, device=None, dtype=None):
        super().__init__()
        check_device(device)
        name, n = type(self).__name__, self.dims
        if not isinstance(groups, int):             # (True is 1, as torch takes it)
            raise TypeError(f"{name}: groups must be a positive integer, got {groups!r}")
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer")
        # (0 channels: built, as torch — its weight has no elements)
        self.in_channels = positive_int(in_channels, "in_channels", name, zero=True)
        self.out_channels = positive_int(out_channels, "out_channels", name, zero=True)
        if self.in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups")
        if self.out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {set(PADDING_MODES)}, but "
                             f"got padding_mode={padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        # torch's _ntuple: a sequence kept as a tuple (any length), anything else repeated n
        # times — checked by the convolution itself, at forward (a float stride, a 3-tuple
        # kernel, ...), as torch's
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.dilation = _ntuple(dilation, n)
        self.output_padding = _ntuple(output_padding, n)
        if self.transposed and isinstance(padding, str):
            padding = _ntuple(padding, n)     # (as torch's _pair: 'same' → its characters)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: Invalid padding string {padding!r}, should be one "
                                 f"of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, n)
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = self._padding_for_pad()
        shape = ((self.in_channels, self.out_channels // groups) if self.transposed else
                 (self.out_channels, self.in_channels // groups)) + self.kernel_size
        self._make_parameters(shape, bias, default_float(dtype))

    def _make_parameters(self, shape, bias, dtype):
        """``weight`` of ``shape`` and ``bias`` (or None), then torch's initial draws (the lazy
        convolutions make uninitialized ones instead: :mod:`.lazy`)."""
        self.weight = Parameter(new_array(shape, dtype))
        if bias:
            self.bias = Parameter(new_array((self.out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding_for_pad(self):
        """The ``F.pad`` list (last dim first) of a non-'zeros' padding_mode, as torch."""
        if self.padding == "valid":
            return [0, 0] * self.dims
        if self.padding == "same":
            out = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            return out
        return tuple(p for p in reversed(self.padding) for _ in range(2))   # (torch: a tuple)

    def reset_parameters(self):
        fan_in = self.weight.shape[1] * int(np.prod(self.weight.shape[2:]))
        if fan_in == 0 and self.bias is not None:   # (torch's conv leaves such a bias as
            self.bias.array[...] = 0                 # it is, drawing nothing: zeros here)
            reset_like_torch(self.weight, None, fan_in)
        else:
            reset_like_torch(self.weight, self.bias, fan_in)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: input (N, C_in, H, W), ``weight`` (C_out, C_in/groups, kh, kw),
    ``bias`` (C_out,). ``padding`` an int, a pair, 'valid' or 'same'; ``padding_mode`` 'zeros',
    'reflect', 'replicate' or 'circular' (those pad with :func:`F.pad` first, as torch)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        """The convolution with this layer's geometry and padding_mode but the given ``weight``
        and ``bias`` (torch's hook for subclasses that transform the weight first: weight
        standardisation, modulated convolutions)."""
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[self.dims]
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(Conv2d):
    """1-D convolution: input (N, C_in, L), ``weight`` (C_out, C_in/groups, k)."""
    dims = 1


class Conv3d(Conv2d):
    """3-D convolution: input (N, C_in, D, H, W), ``weight`` (C_out, C_in/groups, kd, kh, kw)."""
    dims = 3


class ConvTranspose2d(_ConvNd):
    """The transposed convolution: input (N, C_in, H, W), ``weight`` (C_in, C_out/groups, kh,
    kw); ``forward(input, output_size=None)`` picks the output_padding that gives
    ``output_size``."""
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)

    def _output_padding(self, x, output_size, stride=None, padding=None, kernel_size=None,
                        num_spatial_dims=None, dilation=None):
        """The output_padding that gives ``output_size`` (None: the layer's own); torch's
        signature, whose geometry arguments default to the layer's."""
        if output_size is None:
            return self.output_padding
        n = self.dims if num_spatial_dims is None else num_spatial_dims
        stride = self.stride if stride is None else stride
        padding = self.padding if padding is None else padding
        kernel_size = self.kernel_size if kernel_size is None else kernel_size
        dilation = self.dilation if dilation is None else dilation
        size = list(output_size)[-n:] if len(output_size) in (n + 1, n + 2) else \
            list(output_size)
        if len(size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {x.ndim}D input, output_size must have "
                             f"{n} or {n + 2} elements (got {len(output_size)})")
        lo = [(x.shape[d - n] - 1) * s - 2 * p + dl * (k - 1) + 1 for d, s, p, dl, k in
              zip(range(n), stride, padding, dilation, kernel_size)]
        hi = [m + s - 1 for m, s in zip(lo, stride)]
        for want, a, b in zip(size, lo, hi):
            if not a <= want <= b:
                raise ValueError(f"requested an output size of {list(size)}, but valid sizes "
                                 f"range from {lo} to {hi} (for an input of "
                                 f"{list(x.shape[-n:])})")
        return [want - a for want, a in zip(size, lo)]

    def forward(self, input, output_size=None):
        conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[self.dims]
        return conv(input, self.weight, self.bias, self.stride, self.padding,
                    self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(ConvTranspose2d):
    """The transposed 1-D convolution: input (N, C_in, L), weight (C_in, C_out/groups, k)."""
    dims = 1


class ConvTranspose3d(ConvTranspose2d):
    """The transposed 3-D convolution: input (N, C_in, D, H, W), weight
    (C_in, C_out/groups, kd, kh, kw)."""
    dims = 3


class Unfold(Module):
    """:func:`F.unfold` as a layer: (N, C, H, W) → (N, C·kh·kw, L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """:func:`F.fold` as a layer: (N, C·kh·kw, L) → (N, C, *output_size)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
