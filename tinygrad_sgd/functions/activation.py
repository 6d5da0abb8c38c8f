"""Activation functions and (log-)softmax."""
from .. import ops
from ..tensor import tensor_method
from .elementwise import float_input

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax"]


@tensor_method
def relu(input):
    """max(x, 0) (−0 and NaN pass as they are, as torch's); bool tensors are refused, as torch."""
    if input.array.dtype == bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    return ops.ReLUOp.apply(input)


@tensor_method
def sigmoid(input):
    """1 / (1 + e⁻ˣ)."""
    return ops.SigmoidOp.apply(float_input(input))     # an int tensor: float32, as torch


@tensor_method
def tanh(input):
    return ops.TanhOp.apply(float_input(input))


@tensor_method
def softmax(input, dim):
    """e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``."""
    return ops.SoftmaxOp.apply(input, dim)


@tensor_method
def log_softmax(input, dim):
    """xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (computed stably, not as log(softmax))."""
    return ops.LogSoftmaxOp.apply(input, dim)
