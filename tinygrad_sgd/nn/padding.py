"""Padding layers: :func:`F.pad` as a Module (``padding``: an int for every side, or a tuple
(left, right[, top, bottom]) — the last dim first, as torch)."""
from . import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
           "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
           "CircularPad2d", "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d",
           "CircularPad3d"]


def _sides(padding, n):
    """An int pads both sides of each of the last ``n`` dims; a sequence is kept as given, of
    any length (``ConstantPad2d((1, 2), v)`` pads only the last dim): F.pad checks it when the
    layer runs, as torch's does."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    mode, dims = "constant", 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides(padding, self.dims)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad2d(_PadNd):
    """Pad the last two dims with ``value``."""

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(ConstantPad2d):
    dims = 1


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(ZeroPad2d):
    dims = 1


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims at their edges (the edge not repeated)."""
    mode = "reflect"


class ReflectionPad1d(ReflectionPad2d):
    dims = 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims."""
    mode = "replicate"


class ReplicationPad1d(ReplicationPad2d):
    dims = 1


class CircularPad2d(_PadNd):
    """Wrap the last two dims around. The input must be (C, ...) or (N, C, ...) of those dims:
    torch's module checks that before padding (a ValueError)."""
    mode = "circular"

    def forward(self, input):
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got "
                             f"{input.ndim}D input)")
        return super().forward(input)


class CircularPad1d(CircularPad2d):
    dims = 1


class ConstantPad3d(ConstantPad2d):
    """Pad the last three dims with ``value``; ``padding`` (left, right, top, bottom, front,
    back)."""
    dims = 3


class ZeroPad3d(ZeroPad2d):
    dims = 3


class ReflectionPad3d(ReflectionPad2d):
    dims = 3


class ReplicationPad3d(ReplicationPad2d):
    dims = 3


class CircularPad3d(CircularPad2d):
    dims = 3
