"""Dropout: zero random elements during training — dropout, dropout1d, dropout3d (whole
channels), alpha_dropout and feature_alpha_dropout (for SELU networks). Every mask is torch's,
draw for draw, so after the same ``manual_seed`` the same elements are dropped as in torch."""
import warnings

import numpy as np

from ... import random as R
from ...errors import DTypeError, warn_level
from ...functions.elementwise import torch_dtype_name
from ...functions.inplace import inplace as _inplace
from ...functions.random import draw_like
from ...ops.dropout import DropoutOp
from ...tensor import Tensor
from ._checks import check_tensor

__all__ = ["dropout", "dropout1d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


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
    check_tensor(input, "dropout")
    if input.dtype.kind != "f":
        return integer_dropout(input, p, training, inplace)
    if not training or p == 0 or input.numel() == 0:
        return input
    mask = draw_like(input, lambda shape: R.dropout_mask(shape, p, input.dtype))
    return apply_mask(input, mask, p, "dropout", inplace)     # kept → 1/(1−p), dropped → 0


def integer_dropout(input, p, training, inplace):
    """A dropout of an integer or bool input (which takes no gradient), as torch: the input
    itself when not ``training`` or ``p`` is 0, zeros (written into it with ``inplace``) when
    ``p`` is 1, else torch's error (the kept values would be scaled by the float 1/(1−p))."""
    if not training or p == 0 or input.numel() == 0:
        return input
    if p != 1:
        raise DTypeError(f"result type Float can't be cast to the desired output type "
                         f"{torch_dtype_name(input.dtype)}")
    return input.zero_() if inplace else Tensor._of(np.zeros_like(input.array))


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


def _feature_shape(shape):
    """torch's ``make_feature_noise``: one draw per (sample, channel) of (N, C, ...)."""
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(shape[:2]) + (1,) * (len(shape) - 2)


def _feature_dropout(input, p, training, inplace, name, batched):
    """torch's ``feature_dropout`` of ``input`` (with a batch dim added first when not
    ``batched``): one mask entry per channel, ``bernoulli(1 − p) / (1 − p)``."""
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = input.shape if batched else (1,) + input.shape
    mask = R.dropout_mask(_feature_shape(shape), p, input.dtype)
    return apply_mask(input, mask if batched else mask[0], p, name, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) with probability ``p``, the kept
    ones ×1/(1−p); the identity when not ``training``."""
    check_probability(p)
    check_tensor(input, "dropout1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    if input.dtype.kind != "f":
        return integer_dropout(input, p, training, inplace)
    return _feature_dropout(input, p, training, inplace, "dropout1d", input.ndim == 3)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with probability
    ``p``, the kept ones ×1/(1−p); other ranks warn, as torch, and are read as unbatched."""
    check_probability(p)
    check_tensor(input, "dropout3d")
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      f"spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 4D or 5D inputs).", UserWarning, stacklevel=warn_level(2))
    if input.dtype.kind != "f":
        return integer_dropout(input, p, training, inplace)
    return _feature_dropout(input, p, training, inplace, "dropout3d", input.ndim == 5)


_ALPHA = 1.7580993408473766     # −SELU's scale·α: the value SELU gives as x → −∞


def _alpha(input, p, training, inplace, feature, name):
    """torch's alpha dropout: keep ~ bernoulli(1 − p) of ``shape``; a = 1/√((α²p + 1)(1 − p)),
    b = (keep − 1)·α·a + α·a·p; y = x·(keep·a) + b — dropped entries become −α·a + α·a·p and the
    mean and variance of a SELU activation are kept. Computed in the input's dtype as torch."""
    if not training or p == 0 or input.numel() == 0:
        return input
    dt = input.dtype
    if p == 1:
        noise, b = np.zeros((), dt), None
    else:
        shape = _feature_shape(input.shape) if feature else input.shape
        keep = draw_like(input, lambda shape: R.bernoulli(1.0 - p, shape, dt)) \
            if not feature else R.bernoulli(1.0 - p, shape, dt)
        a = 1.0 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        b = (keep - dt.type(1)) * dt.type(_ALPHA * a) + dt.type(_ALPHA * a * p)
        noise = keep * dt.type(a)
    def fn(x):
        y = x * Tensor._of(noise)
        return y if b is None else y + Tensor._of(b)
    return _inplace(input, fn, name=name + "_") if inplace else fn(input)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): each element is dropped with probability ``p`` to
    SELU's negative saturation value, then all are scaled and shifted so that the mean and
    variance are unchanged. Note torch's default ``training=False`` (the identity)."""
    check_probability(p)
    check_tensor(input, "alpha_dropout")
    if input.dtype.kind != "f":
        return integer_dropout(input, p, training, inplace)
    return _alpha(input, p, training, inplace, False, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` of whole channels of ``(N, C, ...)`` (one draw per channel)."""
    check_probability(p)
    check_tensor(input, "feature_alpha_dropout")
    if input.dtype.kind != "f":
        return integer_dropout(input, p, training, inplace)
    return _alpha(input, p, training, inplace, True, "feature_alpha_dropout")
