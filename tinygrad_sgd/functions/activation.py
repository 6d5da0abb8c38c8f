"""Activation functions and (log-)softmax."""
from .. import ops
from ..tensor import tensor_method
from .elementwise import float_input, no_shell_kernel, torch_dtype_name

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax"]


@tensor_method
def relu(input):
    """max(x, 0) (−0 and NaN pass as they are, as torch's); bool tensors are refused, as torch."""
    if input.array.dtype == bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    no_shell_kernel("clamp_min_scalar_cpu", input.array.dtype)
    return ops.ReLUOp.apply(input)


@tensor_method
def sigmoid(input):
    """1 / (1 + e⁻ˣ)."""
    return ops.SigmoidOp.apply(float_input(input))     # an int tensor: float32, as torch


@tensor_method
def tanh(input):
    return ops.TanhOp.apply(float_input(input))


@tensor_method
def softmax(input, dim, dtype=None):
    """e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``; ``dtype``: the input is cast to it first."""
    return ops.SoftmaxOp.apply(_softmax_input(input, dim, dtype, "softmax"), dim)


@tensor_method
def log_softmax(input, dim, dtype=None):
    """xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (computed stably, not as log(softmax))."""
    return ops.LogSoftmaxOp.apply(_softmax_input(input, dim, dtype, "log_softmax"), dim)


def _softmax_input(input, dim, dtype, name):
    """The input cast to ``dtype`` if given; a non-float one is torch's NotImplementedError
    (its kernel's name says whether ``dim`` is the last dim)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        last = input.ndim == 0 or dim in (-1, input.ndim - 1)
        kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{torch_dtype_name(input.dtype)}'")
    return input
