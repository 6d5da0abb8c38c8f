"""Dropout: zero random elements during training."""
import numpy as np

from ... import random as R
from ...tensor import Tensor
from ._checks import check_float

__all__ = ["dropout"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the kept ones by 1/(1−p) ("inverted"
    dropout, as torch: the expected value is unchanged, so nothing changes at eval time).
    Returns ``input`` itself when ``training`` is False or ``p`` is 0; zeros when ``p`` is 1;
    ``inplace=True`` multiplies ``input`` by the mask in place.

    The mask is torch's, draw for draw (:func:`tinygrad_sgd.random.dropout_mask`: one float64
    uniform per element from the default generator, kept when below 1−p), so after the same
    ``manual_seed`` the same elements are dropped as in torch.
    Gradient: dL/dx = mask/(1−p) · dL/dy (it is a multiplication by a constant)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    check_float(input, "dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return input.mul_(0.0) if inplace else input * 0.0
    mask = Tensor(R.dropout_mask(input.shape, p, input.dtype))   # kept → 1/(1−p), dropped → 0
    return input.mul_(mask) if inplace else input * mask
