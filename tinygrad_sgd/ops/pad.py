"""Constant padding (and cropping, for negative widths) of the last dims."""
import numpy as np

from ..autograd import Function
from ..kernels.layout import channels_last_order, inverse_order
from .shape import is_channels_last


def _torch_strides_are_numpys(x):
    from ..creation import torch_strides
    return torch_strides(x) == tuple(s // x.array.itemsize for s in x.array.strides)


def _regions(shape, pads):
    """The output shape, and the slices of the output and of the input that overlap, for torch's
    ``pad`` list (last dim first: (left, right, top, bottom, ...))."""
    out_shape, out_idx, in_idx = list(shape), [slice(None)] * len(shape), \
        [slice(None)] * len(shape)
    for k in range(len(pads) // 2):
        d = len(shape) - 1 - k
        lo, hi = pads[2 * k], pads[2 * k + 1]
        out_shape[d] = shape[d] + lo + hi
        out_idx[d] = slice(max(lo, 0), out_shape[d] - max(hi, 0))
        in_idx[d] = slice(max(-lo, 0), shape[d] - max(-hi, 0))
    return tuple(out_shape), tuple(out_idx), tuple(in_idx)


class ConstantPadNd(Function):
    """Negative widths crop, as torch. Linear: the adjoint of padding by ``pads`` is padding
    by ``−pads`` with zeros (cropping what was added, zero-filling what was cropped). A
    channels-last x gives a channels-last result, as torch's; only cropping (no width above
    0) gives a copy with x's order of dims in memory (torch's ``clone()`` of the crop)."""
    rule = "y = x with pads[2k] values before and pads[2k+1] after, dim −1−k (value there)"
    derivatives = ("dL/dx = dL/dy padded by −pads (the part of dL/dy over x)",)
    grad_fn_name = "ConstantPadNdBackward"
    op_name = "pad"

    def forward(self, x, pads, value=0):
        self.pads = tuple(pads)
        out_shape, out_idx, in_idx = _regions(x.shape, self.pads)
        if all(p <= 0 for p in self.pads) and not x.array.flags.c_contiguous and \
                _torch_strides_are_numpys(x):
            return np.array(x.array[in_idx], order="K")
        order = channels_last_order(x.ndim) if is_channels_last(x) else None
        if order is None:
            out = np.full(out_shape, value, dtype=x.dtype)
        else:                   # (N, spatial..., C) memory, seen as (N, C, spatial...)
            out = np.full(tuple(out_shape[d] for d in order), value,
                          dtype=x.dtype).transpose(inverse_order(order))
        out[out_idx] = x.array[in_idx]
        return out

    def backward(self, dy):
        return ConstantPadNd.apply(dy, tuple(-p for p in self.pads), 0)

    def label(self):
        return f"pad({list(self.pads)})"
