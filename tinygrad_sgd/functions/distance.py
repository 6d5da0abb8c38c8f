"""Norms and distances: torch's ``cross`` (also ``x.cross``) and ``cdist``; the argument checks
they share with :mod:`tinygrad_sgd.linalg` (``vector_norm``, ``norm``, ``matrix_norm``,
``linalg.cross``) and ``nn.functional`` (``cosine_similarity``, ``pairwise_distance``), with
torch's messages.
"""
import warnings

import numpy as np

from ..errors import ShapeError, warn_level
from ..ops.distance import Cross, Cdist, EuclideanDist
from ..tensor import Tensor, tensor_method
from .reduce import torch_name

__all__ = ["cross", "cdist"]


# ---------------------------------------------------------------------------- argument checks
def wrap_dim(dim, ndim):
    """One dim as a non-negative axis, with torch's IndexError (a 0-d tensor takes 0 and -1)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return int(dim) % n


def reduction_dims(dim, ndim, op):
    """torch's ``int[1]? dim``: None or an empty list is every dim; returns sorted axes (none
    for a 0-d tensor). A dim named twice is torch's RuntimeError."""
    if isinstance(dim, Tensor):
        dim = dim.item()
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dims = (dim,)
    elif isinstance(dim, (tuple, list)) and all(isinstance(d, (int, np.integer))
                                                and not isinstance(d, bool) for d in dim):
        dims = tuple(dim)
    else:
        raise TypeError(f"{op}(): argument 'dim' must be tuple of ints, not "
                        f"{type(dim).__name__}")
    if not dims:
        return tuple(range(ndim))
    wrapped = [wrap_dim(d, ndim) for d in dims]
    for i, d in enumerate(wrapped):
        if d in wrapped[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return tuple(sorted(wrapped)) if ndim else ()


def broadcast_shape(a, b):
    """The broadcast of shapes ``a`` and ``b``; torch's message when they don't fit."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                             f"at non-singleton dimension {i}")
    return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))


def check_same_dtype(a, b):
    """torch's kernels that take one dtype (cross, cdist) refuse a mixed pair."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(a.dtype)} but found "
                           f"{torch_name(b.dtype)}")


def as_number(value, op, arg):
    """A Scalar argument (a number or a 0-d tensor) as a float; torch's TypeError otherwise."""
    if isinstance(value, Tensor) and value.ndim == 0:
        return float(value.item())
    if isinstance(value, (int, float, np.number)):
        return float(value)
    raise TypeError(f"{op}(): argument '{arg}' must be Number, not {type(value).__name__}")


# ---------------------------------------------------------------------------- cross
def cross_along(input, other, dim):
    """``linalg.cross`` with ``dim`` given: torch's checks, then one Cross op."""
    if input.ndim != other.ndim:
        raise ShapeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = wrap_dim(dim, input.ndim)
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise ShapeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                         f"{input.shape[axis]} and {other.shape[axis]}")
    broadcast_shape(input.shape, other.shape)
    check_same_dtype(input, other)
    if input.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    return Cross.apply(input, other, axis)


_warned = []     # torch warns once per process about torch.cross without dim


@tensor_method
def cross(input, other, dim=None):
    """torch.cross: the cross product along ``dim``; without ``dim``, the first dim of size 3
    of ``input`` — deprecated, as torch (a UserWarning, once): pass ``dim`` or use
    :func:`tinygrad_sgd.linalg.cross` (whose default is the last dim)."""
    if dim is None:
        from ..runtime_flags import is_warn_always_enabled
        if not _warned or is_warn_always_enabled():
            _warned.append(True)
            warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                          "Please either pass the dim explicitly or simply use "
                          "torch.linalg.cross.\nThe default value of dim will change to agree "
                          "with that of linalg.cross in a future release.", UserWarning,
                          stacklevel=warn_level(2))
        dim = next((i for i, n in enumerate(input.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return cross_along(input, other, dim)


# ---------------------------------------------------------------------------- cdist
_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of ``x1`` (…, r₁, c) and each row of ``x2``
    (…, r₂, c): (…, r₁, r₂), batch dims broadcast. p = 0 counts differing coordinates,
    p = ∞ takes the largest. For p = 2 with more than 25 rows on either side (or
    ``compute_mode='use_mm_for_euclid_dist'``), torch's matmul route (EuclideanDist: less
    memory, rounding-level differences); ``'donot_use_mm_for_euclid_dist'`` never takes it."""
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    from ..autograd import forward_ad
    forward_ad.refuse("_cdist_forward", True, x1, x2)     # (as torch: no forward derivative)
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"X1 and X2 must have the same number of columns. X1: "
                         f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{torch_name(x.dtype)}")
    p = float(p)
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    broadcast_shape(x1.shape[:-2], x2.shape[:-2])
    check_same_dtype(x1, x2)
    if x1.dtype == np.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    r1, r2 = x1.shape[-2], x2.shape[-2]
    if p == 2 and x1.numel() and x2.numel() and (
            compute_mode == "use_mm_for_euclid_dist" or
            compute_mode == "use_mm_for_euclid_dist_if_necessary" and (r1 > 25 or r2 > 25)):
        return EuclideanDist.apply(x1, x2)
    return Cdist.apply(x1, x2, p)
