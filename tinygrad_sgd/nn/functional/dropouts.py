"""Dropout: zero random elements during training."""
import numpy as np

from ... import random as R
from ...functions.inplace import inplace as _inplace
from ...ops.dropout import DropoutOp
from ._checks import check_float

__all__ = ["dropout"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the kept ones by 1/(1−p) ("inverted"
    dropout, as torch: the expected value is unchanged, so nothing changes at eval time).
    Returns ``input`` itself when ``training`` is False or ``p`` is 0; zeros when ``p`` is 1;
    ``inplace=True`` writes the result into ``input``.

    The mask is torch's, draw for draw (:func:`tinygrad_sgd.random.dropout_mask`: one float64
    uniform per element from the default generator, kept when below 1−p; nothing is drawn for
    p = 1), so after the same ``manual_seed`` the same elements are dropped as in torch.
    One graph node, drawn as ``dropout(p=0.5)`` (:class:`~tinygrad_sgd.ops.dropout.DropoutOp`;
    its grad_fn is torch's ``MulBackward``). Gradient: dL/dx = mask/(1−p) · dL/dy."""
    check_probability(p)
    check_float(input, "dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    mask = R.dropout_mask(input.shape, p, input.dtype)   # kept → 1/(1−p), dropped → 0
    return apply_mask(input, mask, p, "dropout", inplace)


def check_probability(p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")


def apply_mask(input, mask, p, name, inplace):
    """``input`` times ``mask`` as one :class:`DropoutOp` node named ``name``; in place with
    ``inplace`` (as torch's ``dropout(..., inplace=True)``)."""
    if inplace:
        return _inplace(input, lambda x: DropoutOp.apply(x, mask=mask, p=p, name=name),
                        name=name + "_")
    return DropoutOp.apply(input, mask=mask, p=p, name=name)
