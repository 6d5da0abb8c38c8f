"""FractionalMaxPool2d / FractionalMaxPool3d (torch's arguments, checks and attributes): max
pooling over windows placed at pseudo-random fractional steps (see
:mod:`tinygrad_sgd.nn.functional.pooling_more`)."""
from . import functional as F
from .functional.conv import ntuple
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class FractionalMaxPool2d(Module):
    """Fractional max pooling over (H, W): exactly one of ``output_size`` or ``output_ratio``
    (each ratio in (0, 1)); ``_random_samples`` (N, C, 2), if given, is kept as a buffer and
    fixes the windows, else they are drawn anew at each call."""
    dims = 2
    _fn = staticmethod(F.fractional_max_pool2d)

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = ntuple(kernel_size, self.dims, "kernel_size", name)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = (None if output_size is None
                            else ntuple(output_size, self.dims, "output_size", name))
        self.output_ratio = None
        if output_ratio is not None:
            ratio = (tuple(output_ratio) if isinstance(output_ratio, (tuple, list))
                     else (output_ratio,) * self.dims)
            if len(ratio) != self.dims:
                raise ValueError(f"{name}: output_ratio must be a number or a "
                                 f"{self.dims}-tuple, got {output_ratio!r}")
            self.output_ratio = ratio
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             f"pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.output_size, self.output_ratio,
                        self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool3d(FractionalMaxPool2d):
    """Fractional max pooling over (T, H, W) (see :class:`FractionalMaxPool2d`;
    ``_random_samples`` is (N, C, 3))."""
    dims = 3
    _fn = staticmethod(F.fractional_max_pool3d)
