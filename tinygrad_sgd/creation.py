"""Making tensors: from data (``tensor``), filled (``zeros``, ``full``, ``arange``) and shaped
like another (``zeros_like``, ...). The random ones (``rand``, ``randn``, ``randint``, ...) are in
:mod:`tinygrad_sgd.functions.random`."""
import numbers

import numpy as np

from .arguments import shape_arg
from .dtypes import as_array
from .tensor import Tensor

__all__ = ["tensor", "zeros", "ones", "full", "arange", "zeros_like", "ones_like", "full_like"]


def tensor(data, requires_grad=False, dtype=None) -> Tensor:
    """Like ``torch.tensor``: always copies the data."""
    return Tensor(np.array(as_array(data, dtype), copy=True), requires_grad=requires_grad)


def zeros(*size, dtype=np.float32, requires_grad=False):
    return Tensor(np.zeros(shape_arg(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, requires_grad=False):
    return Tensor(np.ones(shape_arg(size), dtype=dtype), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = np.float32 if isinstance(fill_value, float) else (
            np.bool_ if isinstance(fill_value, bool) else np.int64)
    return Tensor(np.full(shape_arg((size,)), fill_value, dtype=dtype),
                  requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = np.int64 if all(isinstance(v, numbers.Integral) for v in (start, end, step)) \
            else np.float32
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)


def _like(fn):
    def like(t, dtype=None, requires_grad=False):
        return fn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and dtype) of another tensor."
    return like


zeros_like, ones_like = map(_like, (zeros, ones))


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)
