"""Linear layers: Linear, Bilinear, Identity and the reshaping layers Flatten and Unflatten (torch's
default initialisation)."""
import math

import numpy as np

from ..device import check_device
from ..dtypes import default_float
from . import functional as F
from . import init
from .module import Module, Parameter
from ..errors import ShapeError

__all__ = ["Linear", "Bilinear", "Identity", "Flatten", "Unflatten"]


def positive_int(value, what, layer, zero=False):
    """``value`` as an int, refused unless it is one > 0 (≥ 0 with ``zero``: torch's Linear
    takes 0 features, its weight then has no elements)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {what} must be a positive integer, got {value!r}")
    if value < 0 or (value == 0 and not zero):
        # torch: RuntimeError "Trying to create tensor with negative dimension"
        raise ShapeError(f"{layer}: {what} must be a {'non-negative' if zero else 'positive'} "
                         f"integer, got {value!r}" + (" (negative dimension)" if value < 0 else ""))
    return int(value)


def new_array(shape, dtype, fill=None):
    """A parameter's or buffer's array of ``shape`` (``np.empty``, or ``np.full`` of ``fill``),
    a negative size refused as torch's ``RuntimeError`` says it, not as NumPy's ValueError."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    for pos, size in enumerate(shape):
        if not isinstance(size, (int, np.integer)):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(size).__name__} at pos {pos}")
        if size < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension {size}: "
                             f"{list(shape)}")
    return np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)


def reset_like_torch(weight, bias, fan_in):
    """torch's default for Linear and Conv: weight ~ kaiming_uniform(a=√5), which is
    U(−1/√fan_in, 1/√fan_in); bias ~ U(−1/√fan_in, 1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    """y = x·Wᵀ + b with ``weight`` of shape ``(out_features, in_features)`` and ``bias`` of
    shape ``(out_features,)`` (float32, torch's default initialisation)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        check_device(device)
        # (a bool: torch's empty((out, in)) takes one as the second size, not as the first)
        if isinstance(out_features, bool):
            raise TypeError("empty(): argument 'size' (position 1) must be tuple of ints, but "
                            "found element of type bool at pos 0")
        self.in_features = in_features if isinstance(in_features, bool) else \
            positive_int(in_features, "in_features", "Linear", zero=True)
        self.out_features = positive_int(out_features, "out_features", "Linear", zero=True)
        dtype = default_float(dtype)
        self.weight = Parameter(np.empty((self.out_features, int(self.in_features)), dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        reset_like_torch(self.weight, self.bias, int(self.in_features))

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y = x₁ᵀ·A·x₂ + b for each output feature: ``weight`` of shape ``(out_features,
    in1_features, in2_features)``, ``bias`` ``(out_features,)``; both drawn U(−1/√in1, 1/√in1)
    as torch (weight first, then bias)."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        check_device(device)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dtype = default_float(dtype)
        self.weight = Parameter(new_array((self.out_features, self.in1_features,
                                           self.in2_features), dtype))
        if bias:
            self.bias = Parameter(new_array((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """The input unchanged; any constructor arguments are accepted and ignored, as torch's
    (so that ``nn.Identity(54, unused_argument=0.1)`` can stand in for a layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (one entry may be −1), the inverse of
    Flatten: ``Unflatten(1, (C, H, W))`` turns ``(N, C·H·W)`` into ``(N, C, H, W)``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"invalid argument 'dim': expected an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in unflattened_size):
            raise TypeError(f"unflattened_size must be tuple of ints, but found element of "
                            f"type {type(unflattened_size).__name__} ")
        self.dim, self.unflattened_size = dim, unflattened_size      # (a list kept, as torch)

    def forward(self, input):
        n = input.ndim
        if not -n <= self.dim < n:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {self.dim})")
        d = self.dim % n
        sizes = list(self.unflattened_size)
        if sizes.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        if -1 in sizes:
            sizes[sizes.index(-1)] = input.shape[d] // known if known else 0
        if int(np.prod(sizes)) != input.shape[d]:
            raise RuntimeError(f"unflatten: Provided sizes {list(self.unflattened_size)} "
                               f"don't multiply up to the size of dim {self.dim} "
                               f"({input.shape[d]}) in the input tensor")
        return input.reshape(input.shape[:d] + tuple(sizes) + input.shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
