"""Dropout: the input times a random mask (drawn by ``F.dropout``/``F.dropout2d``)."""
import numpy as np

from .. import kernels
from ..autograd import is_grad_enabled
from ..kernels.layout import in_torch_layout
from .elementwise import Elementwise

__all__ = ["DropoutOp"]


class DropoutOp(Elementwise):
    """``mask`` is drawn by the caller from the default generator, as torch draws it: 1/(1−p)
    where an element is kept, 0 where it is dropped; it may broadcast (dropout2d: one entry per
    channel map). It is kept for backward and freed after it. torch's node for dropout on the
    CPU is a multiplication by the mask (``MulBackward``); the drawings name it as the code
    does: ``dropout(p=0.5)``, ``dropout2d(p=0.5)``."""
    inputs, rule = ("x",), "y = x · m   (m = 1/(1−p) where kept, 0 where dropped)"
    derivatives = ("dy/dx = m",)
    grad_fn_name, op_name = "MulBackward", "dropout"

    def forward(self, x, *, mask, p, name="dropout"):
        self.keep_array("mask", mask)
        self.p, self.function = float(p), name
        # laid out as torch's x * mask (x's memory order; NumPy may choose C order when the
        # mask broadcasts, as dropout2d's one entry per channel does)
        return in_torch_layout(x.array * mask, x.array, mask)

    def backward(self, g):
        mask = self.kept_array("mask")
        if not is_grad_enabled() and g.array.dtype == mask.dtype:
            # a plain backward: the product on the arrays, no graph of it
            return (self.constant(kernels.elementwise.arithmetic(np.multiply, g.array, mask)),)
        return (g * self.constant(mask),)

    def label(self) -> str:
        return f"{self.function}(p={self.p:g})"
