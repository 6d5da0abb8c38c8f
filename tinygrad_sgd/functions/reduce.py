"""Reductions: sum, mean, max/min (with their indices), argmax/argmin, var, std, any, all."""
import numpy as np

from .. import ops
from ..arguments import normalize_dims
from ..tensor import Tensor, tensor_method
from .elementwise import where

__all__ = ["sum", "mean", "max", "min", "argmax", "argmin", "var", "std", "any", "all"]


class MaxResult(tuple):
    """``(values, indices)`` of ``max(dim)``/``min(dim)``, also reachable by name."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


@tensor_method
def sum(input, dim=None, keepdim=False):
    return ops.Sum.apply(input, normalize_dims(dim, input.ndim, "sum"), keepdim)


@tensor_method
def mean(input, dim=None, keepdim=False):
    if input.dtype.kind != "f":
        raise RuntimeError(f"mean(): needs a floating point tensor, got {input.dtype}")
    dims = normalize_dims(dim, input.ndim, "mean")
    n = 1
    for d in dims:
        n *= input.shape[d]
    return ops.Sum.apply(input, dims, keepdim) / float(n)


@tensor_method
def max(input, dim=None, keepdim=False):
    """Without ``dim``: the largest element. With ``dim``: ``(values, indices)`` as torch."""
    if dim is None:
        return ops.Max.apply(input)
    (d,) = normalize_dims(dim, input.ndim, "max") or (0,)
    values = ops.MaxDim.apply(input, d, keepdim)
    indices = ops.ArgMax.apply(input, d, keepdim) if input.ndim else Tensor(np.int64(0))
    return MaxResult(values, indices)


@tensor_method
def min(input, dim=None, keepdim=False):
    if dim is None:
        return -((-input).max())
    values, indices = (-input).max(dim, keepdim)
    return MaxResult(-values, indices)


@tensor_method
def argmax(input, dim=None, keepdim=False):
    if dim is not None:
        (dim,) = normalize_dims(dim, input.ndim, "argmax") or (0,)
    return ops.ArgMax.apply(input, dim, keepdim)


@tensor_method
def argmin(input, dim=None, keepdim=False):
    return (-input.detach()).argmax(dim, keepdim)


@tensor_method
def var(input, dim=None, keepdim=False, unbiased=True):
    dims = normalize_dims(dim, input.ndim, "var")
    n = int(np.prod([input.shape[d] for d in dims]))
    centred = input - input.mean(dims, keepdim=True)
    return (centred * centred).sum(dims, keepdim) / float(n - 1 if unbiased else n)


@tensor_method
def std(input, dim=None, keepdim=False, unbiased=True):
    v = var(input, dim, keepdim, unbiased)
    zero = v.array == 0
    if not zero.any():
        return v.sqrt()
    # where std = 0 (constant values) torch's gradient is 0, not ∞·0 = NaN through sqrt
    safe = where(zero, 1.0, v).sqrt()
    return where(zero, 0.0, safe)


@tensor_method
def any(input):
    return Tensor(np.asarray(input.array.any()))


@tensor_method
def all(input):
    return Tensor(np.asarray(input.array.all()))
