"""Linear, dropout, flatten and the activation functions."""
import numpy as np

from ... import ops
from ...creation import get_rng
from ...tensor import Tensor
from ._checks import check_tensor, check_float

__all__ = ["linear", "dropout", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "flatten"]


def linear(input, weight, bias=None):
    """y = x·Wᵀ + b, with torch's weight layout ``(out_features, in_features)``; ``input``
    is ``(..., in_features)``."""
    check_float(input, "linear")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {input.shape} has "
                         f"{input.shape[-1] if input.ndim else 0} features but the weight "
                         f"of shape {weight.shape} expects {weight.shape[1]} "
                         f"(weight is (out_features, in_features))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got "
                         f"{bias.shape}")
    if input.ndim == 1:
        return ops.LinearOp.apply(input.unsqueeze(0), weight, bias).squeeze(0)
    return ops.LinearOp.apply(input, weight, bias)


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


def relu(input):
    """max(x, 0)."""
    return check_tensor(input, "relu").relu()


def sigmoid(input):
    """1 / (1 + e⁻ˣ)."""
    return check_tensor(input, "sigmoid").sigmoid()


def tanh(input):
    return check_tensor(input, "tanh").tanh()


def softmax(input, dim):
    """e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``."""
    return check_tensor(input, "softmax").softmax(dim)


def log_softmax(input, dim):
    """xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (computed stably, not as log(softmax))."""
    return check_tensor(input, "log_softmax").log_softmax(dim)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (as ``torch.flatten``)."""
    return check_tensor(input, "flatten").flatten(start_dim, end_dim)
