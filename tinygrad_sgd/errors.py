"""Exception classes. Where torch raises ``RuntimeError`` for a mistake Python code would call a
``ValueError`` (shapes that don't match), we raise :class:`ShapeError`, which is both: a torch
user's ``except RuntimeError`` and a Python user's ``except ValueError`` both catch it."""

import os
import sys

__all__ = ["ShapeError", "DTypeError"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit together (broadcasting, matmul, view, conv, ...)."""


class DTypeError(TypeError, RuntimeError):
    """A tensor of the wrong dtype (torch: RuntimeError; Python: TypeError)."""


def user_stacklevel():
    """The ``stacklevel`` for a ``warnings.warn`` made by the caller that points at the user's
    line, the first frame outside this package — as torch's C++ warnings do — however many
    of the library's wrappers lie between (a fixed stacklevel that lands inside the library
    also lets Python's once-per-location filter hide the warning at every other user line)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


# the code of torch_function's dispatching wrappers, once installed: the frames they add
# between a user and a public function
WRAPPER_CODES = set()


def warn_level(level):
    """``warnings.warn``'s ``stacklevel=level`` for the caller, the frames of the dispatching
    wrappers not counted (they sit between a user and every public function once a Tensor
    subclass exists: see :mod:`tinygrad_sgd.torch_function`), so that the warning keeps
    naming the line it named before."""
    if not WRAPPER_CODES:
        return level
    frame, extra = sys._getframe(1), 0
    for _ in range(level - 1):
        frame = frame.f_back
        while frame is not None and frame.f_code in WRAPPER_CODES:
            frame, extra = frame.f_back, extra + 1
        if frame is None:
            break
    return level + extra


def refuse_grad_unless_float(t, who):
    """torch's refusal of requires_grad on a tensor that is not floating point; its words
    differ with the path (``who``: a factory's argument, ``requires_grad_()``, the setter)."""
    if t.array.dtype.kind != "f":
        raise RuntimeError(f"{who} can require gradients")


# torch's warning when .grad is read on a non-leaf that keeps none (see Tensor.grad)
NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead.")


# torch's warning (TORCH_WARN_ONCE: once per process) when a tensor is made over a NumPy array
# that is not writable: from_numpy, as_tensor, asarray and Tensor(array) (tensor() copies)
NOT_WRITABLE = (
    "The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
    "This means writing to this tensor will result in undefined behavior. You may want to copy "
    "the array to protect its data or make it writable before converting it to a tensor. This "
    "type of warning will be suppressed for the rest of this program.")
_warned_not_writable = False


def warn_not_writable(array):
    """torch's :data:`NOT_WRITABLE` warning, once per process, if ``array`` is read-only
    (here such a tensor stays read-only: its ``numpy()`` and in-place writes are refused
    by NumPy, where torch's write into memory NumPy was told not to change)."""
    global _warned_not_writable
    if not _warned_not_writable and not array.flags.writeable:
        _warned_not_writable = True
        import warnings
        warnings.warn(NOT_WRITABLE, UserWarning, stacklevel=user_stacklevel())
