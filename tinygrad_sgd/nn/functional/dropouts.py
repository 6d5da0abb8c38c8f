"""Dropout: zero random elements during training."""
import numpy as np

from ...creation import get_rng
from ...tensor import Tensor
from ._checks import check_float

__all__ = ["dropout"]


def dropout(input, p=0.5, training=True):
    """Zero each element with probability ``p`` and scale the kept ones by 1/(1−p) ("inverted"
    dropout, as torch: the expected value is unchanged, so nothing changes at eval time).
    The mask comes from the library generator (``manual_seed``). Returns ``input`` itself when
    ``training`` is False or ``p`` is 0; zeros when ``p`` is 1.
    Gradient: dL/dx = mask/(1−p) · dL/dy (it is a multiplication by a constant)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    check_float(input, "dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    draw = np.float32 if input.dtype == np.float32 else np.float64
    keep = get_rng().random(input.shape, dtype=draw) >= p
    scale = keep * input.dtype.type(1.0 / (1.0 - p))     # kept → 1/(1−p), dropped → 0
    return input * Tensor(scale)
