"""Argument checks shared by the functional modules."""
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor


def check_tensor(x, op, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def check_float(x, op, what="input"):
    check_tensor(x, op, what)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {what} must be a floating point tensor, got {x.dtype}")
    return x


def check_kernel(x, op, kernel, allowed="f"):
    """``x`` a Tensor whose dtype kind is in ``allowed`` (float only, by default), else torch's
    ``NotImplementedError: "<kernel>" not implemented for 'Long'`` (torch has no such kernel
    for that dtype)."""
    check_tensor(x, op)
    if x.dtype.kind not in allowed:
        from ...functions.elementwise import not_implemented
        raise not_implemented(kernel, x.dtype)
    return x


def check_weight_dtype(input, weight):
    """torch's per-class ``weight`` (nll_loss, cross_entropy with class indices,
    multi_margin_loss) must have the input's dtype: its RuntimeError otherwise."""
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        from ...functions.elementwise import torch_dtype_name
        raise RuntimeError(f"expected scalar type {torch_dtype_name(input.dtype)} but found "
                           f"{torch_dtype_name(weight.dtype)} (the class weight must have the "
                           f"input's dtype)")


def refuse_weight_grad(weight, function, name="weight"):
    """torch's refusal of a ``weight`` (or ``pos_weight``) that requires grad while grad mode
    is on: its loss ``function`` takes no derivative for it. (A probability target's
    cross_entropy is a composite in torch and differentiates its weight: not refused.)"""
    if isinstance(weight, Tensor) and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{function}' is not differentiable with respect to "
                           f"argument '{name}'. This input cannot have requires_grad True.")


def integral(x):
    """Whether ``x`` is an integer or bool Tensor (torch's losses take some of those: see
    :func:`refuse_integral`)."""
    return isinstance(x, Tensor) and x.dtype.kind in "iub"


def check_numeric(x, op, what="input"):
    """``x`` a Tensor of a float, integer or bool dtype (the losses that torch composes of
    elementwise operations take all of them, and refuse what those operations refuse)."""
    if not integral(x):
        check_float(x, op, what)
    return x


def refuse_integral(x, kernel):
    """torch's ``NotImplementedError: "<kernel>" not implemented for 'Long'`` for an integer
    or bool ``x`` (a loss whose kernel torch has for floats only)."""
    if integral(x):
        from ...functions.elementwise import not_implemented
        raise not_implemented(kernel, x.dtype)
