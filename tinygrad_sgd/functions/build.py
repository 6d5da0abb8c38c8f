"""Tensors built from the entries of another, as torch: ``vander``, ``diagflat``,
``combinations`` and ``unravel_index``.

``vander`` is a running product (cumprod) of copies of x, as torch computes it, so its gradient
at x = 0 is torch's; ``diagflat`` and ``combinations`` place or pick entries (their gradient
sends each back where it came from, summed where one entry is used more than once);
``unravel_index`` is integer arithmetic (no gradient).
"""
import itertools
import math

import numpy as np

from .. import creation
from ..dtypes import promote_dtypes
from ..tensor import Tensor, tensor_method
from .reduce import torch_name
from .shape import cat

__all__ = ["vander", "diagflat", "combinations", "unravel_index"]


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D ``x``: columns x^(N−1), …, x, 1 (or 1, x, …, x^(N−1)
    with ``increasing``); N = len(x) by default. Integer and bool inputs give int64."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = promote_dtypes(x.dtype, np.dtype(np.int64))
    x = x.to(dtype)
    if n == 0:
        return creation.zeros(x.shape[0], 0, dtype=dtype)
    result = creation.ones(x.shape[0], 1, dtype=dtype)
    if n > 1:
        result = cat([result, x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)], 1)
    return result if increasing else result.flip(1)


@tensor_method
def diagflat(input, offset=0):
    """A square matrix with the flattened ``input`` on its ``offset``-th diagonal."""
    return input.reshape(-1).diag(offset)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the entries of a 1-D ``input`` (as Python's
    ``itertools.combinations``, or ``combinations_with_replacement``), one per row."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return creation.empty(0, dtype=input.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[Tensor._of(rows)]


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of flat (C-order) ``indices``: one int64
    tensor per dim, each of ``indices``' shape (out-of-range and negative indices wrap, as
    torch's floor division and remainder make them)."""
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        got = torch_name(indices.dtype) if isinstance(indices, Tensor) else \
            type(indices).__name__
        raise TypeError(f"expected 'indices' to be integer dtype, but got {got}")
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    elif not isinstance(shape, (list, tuple)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got "
                        f"{type(shape)}")
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got "
                            f"{type(d)}")
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if 0 in shape and indices.numel():
        raise RuntimeError("ZeroDivisionError")
    flat = indices.detach().numpy().astype(np.int64)
    strides = [math.prod(shape[k + 1:]) for k in range(len(shape))]
    return tuple(Tensor._of(np.floor_divide(flat, s) % d if d else np.zeros_like(flat))
                 for s, d in zip(strides, shape))
