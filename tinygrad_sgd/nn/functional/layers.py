"""Linear, flatten and the activation functions."""
from ... import ops
from ...tensor import Tensor
from ._checks import check_tensor, check_float

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "flatten"]


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
