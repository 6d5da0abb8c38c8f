"""``torch.nn.grad``: the gradients of a convolution, as functions.

``convNd_input(input_size, weight, grad_output, ...)`` is ∂⟨conv(x, w), g⟩/∂x for an input of
``input_size``; ``convNd_weight(input, weight_size, grad_output, ...)`` is ∂⟨conv(x, w), g⟩/∂w
for a weight of ``weight_size`` — the two halves of the convolution's backward, as torch's
``convolution_backward`` computes them.

How: each runs the library's own backward. A zero tensor of the asked size stands for the
missing argument, the convolution is recorded, and :func:`tinygrad_sgd.autograd.grad` returns
its gradient for ``grad_output``. As the convolution is linear in each argument, the zeros do
not change the result; and when ``weight`` / ``input`` or ``grad_output`` require a gradient
(with grad mode on), the graph is kept, so the result is differentiable in them — as torch's.
"""
import numpy as np

from .. import autograd
from ..autograd import enable_grad, is_grad_enabled
from ..errors import ShapeError
from ..tensor import Tensor
from .functional import conv1d, conv2d, conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _size(op, size, what):
    try:
        size = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"{op}: {what} must be a sequence of ints, got {size!r}") from None
    return size


def _backward(op, conv, input, weight, grad_output, which, stride, padding, dilation, groups):
    """∂⟨conv(input, weight), grad_output⟩ / ∂(input or weight) — ``which`` says which; that
    one is given as a size and replaced by zeros of ``grad_output``'s dtype."""
    if not isinstance(grad_output, Tensor):
        raise TypeError(f"{op}: grad_output must be a Tensor, got {type(grad_output).__name__}")
    given = weight if which == "input" else input
    if not isinstance(given, Tensor):
        raise TypeError(f"{op}: {'weight' if which == 'input' else 'input'} must be a Tensor, "
                        f"got {type(given).__name__}")
    size = _size(op, input if which == "input" else weight, f"{which}_size")
    dims = {"conv1d": 3, "conv2d": 4, "conv3d": 5}[op[:6]]
    x_rank = len(size) if which == "input" else given.ndim
    if x_rank != dims:       # torch's convolution_backward takes batched inputs only
        raise ShapeError(f"{op}: Expected {dims}-dimensional input for {dims}-dimensional "
                         f"weight, but got {x_rank}-dimensional input")
    wanted = Tensor._of(np.zeros(size, grad_output.dtype), requires_grad=True)
    keep = is_grad_enabled() and (given.requires_grad or grad_output.requires_grad)
    with enable_grad():
        args = (wanted, weight) if which == "input" else (input, wanted)
        out = conv(*args, None, stride, padding, dilation, groups)
        if tuple(out.shape) != tuple(grad_output.shape):
            raise ShapeError(f"{op}: grad_output has shape {tuple(grad_output.shape)}, but "
                             f"the convolution gives {tuple(out.shape)}")
        (grad,) = autograd.grad(out, wanted, grad_output, create_graph=keep)
    return grad


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`conv1d` w.r.t. its (N, C, L) input of size ``input_size``."""
    return _backward("conv1d_input", conv1d, input_size, weight, grad_output, "input", stride,
                     padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`conv1d` w.r.t. its weight of size ``weight_size``."""
    return _backward("conv1d_weight", conv1d, input, weight_size, grad_output, "weight",
                     stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`conv2d` w.r.t. its (N, C, H, W) input of size ``input_size``."""
    return _backward("conv2d_input", conv2d, input_size, weight, grad_output, "input", stride,
                     padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`conv2d` w.r.t. its weight of size ``weight_size``."""
    return _backward("conv2d_weight", conv2d, input, weight_size, grad_output, "weight",
                     stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`conv3d` w.r.t. its (N, C, D, H, W) input of size
    ``input_size``."""
    return _backward("conv3d_input", conv3d, input_size, weight, grad_output, "input", stride,
                     padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of :func:`conv3d` w.r.t. its weight of size ``weight_size``."""
    return _backward("conv3d_weight", conv3d, input, weight_size, grad_output, "weight",
                     stride, padding, dilation, groups)
