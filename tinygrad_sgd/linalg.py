"""``tinygrad_sgd.linalg`` (torch.linalg): norms of vectors and matrices, and the cross product.

* :func:`vector_norm` — one :class:`~tinygrad_sgd.ops.reduce.Norm` op (the same as
  ``Tensor.norm``), with torch.linalg's checks and messages;
* :func:`matrix_norm` — ``'fro'`` (the vector 2-norm over two dims), ``1``, ``-1``, ``inf``,
  ``-inf`` (max/min of the column or row sums of |A|) and ``'nuc'``, ``2``, ``-2`` (sum, max,
  min of the singular values: :class:`~tinygrad_sgd.ops.distance.SvdFactor`), composed as torch
  composes them, so the gradients (ties shared evenly) and second order are torch's;
* :func:`norm` — torch.linalg.norm's choice between the two;
* :func:`cross` — the cross product along ``dim`` (the last by default);
* :func:`cond`, :func:`multi_dot`, :func:`vecdot`, :func:`diagonal`, :func:`matmul`,
  :func:`vander` — composed from the norms above and the products;
* :func:`lstsq` — from :mod:`tinygrad_sgd.linalg_lstsq`;
* the matrix functions (inv, det, solve, cholesky, qr, eigh, svd, pinv, matrix_exp, ...)
  from :mod:`tinygrad_sgd.linalg_solvers`.
"""
import math

import numpy as np

from .arguments import kept_shape
from .dtypes import as_dtype
from .functions import cat, where
from .functions.distance import as_number, cross_along, reduction_dims, wrap_dim
from .functions.reduce import amax, amin, torch_name
from .linalg_solvers import (LinAlgError, inv, inv_ex, det, slogdet, solve, solve_ex, cholesky,
                             cholesky_ex, qr, eigh, eigvalsh, eig, eigvals, svd, svdvals,
                             matrix_power, pinv, matrix_rank, solve_triangular, matrix_exp,
                             check_matrix)
from .linalg_lu import *  # noqa: F401,F403  (lu_factor, lu, lu_solve, ldl_factor, ...)
from . import linalg_lu as _linalg_lu
from .linalg_lstsq import lstsq
from .ops.distance import SvdFactor
from .ops.reduce import Norm
from .tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "cross",
           "LinAlgError", "inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "cholesky",
           "cholesky_ex", "qr", "eigh", "eigvalsh", "eig", "eigvals", "svd", "svdvals",
           "matrix_power", "pinv", "matrix_rank", "multi_dot", "vecdot", "solve_triangular",
           "lstsq", "matrix_exp", "cond", "diagonal", "matmul", "vander"]
__all__ += _linalg_lu.__all__


def _check_float(x, op):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_name(x.dtype)}")


def _cast(x, dtype, op):
    """torch's ``dtype=``: a floating dtype the input converts to without narrowing."""
    if dtype is None:
        return x
    dtype = as_dtype(dtype).dtype
    if dtype.kind != "f":
        raise RuntimeError(f"{op}: dtype should be floating point or complex, but got "
                           f"{torch_name(dtype)}")
    if not np.can_cast(np.dtype(x.dtype), dtype, "safe"):
        raise RuntimeError(f"{op}: the dtype of the input ({torch_name(x.dtype)}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({torch_name(dtype)})")
    return x.to(dtype)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """‖x‖ over ``dim`` (every dim by default): ``(Σ |x|^ord)^(1/ord)``; ord ∞ is max |x|,
    −∞ min |x|, 0 the count of non-zeros. ``dtype``: computed (and returned) in that dtype.
    The gradient is 0 where the norm is 0 (no NaN), as torch."""
    p = as_number(ord, "linalg_vector_norm", "ord")
    if isinstance(dim, Tensor):
        dim = int(dim.item())
    _check_float(x, "linalg.vector_norm")
    x = _cast(x, dtype, "linalg.vector_norm")
    dims = reduction_dims(dim, x.ndim, "linalg_vector_norm")
    if p < 0 or math.isinf(p):      # no identity: max, min, Σ|x|^p with p < 0
        every = dim is None or not isinstance(dim, (int, np.integer)) and len(dim) == 0
        if every and x.numel() == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty "
                               f"tensor because the operation does not have an identity")
        for d in dims:
            if x.shape[d] == 0:     # (torch's message lacks the space before "because")
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   f"operation does not have an identity")
    return Norm.apply(x, p, dims, keepdim)


def _matrix_dims(A, dim):
    if isinstance(dim, (int, np.integer)):
        raise TypeError(f"linalg_matrix_norm() received an invalid combination of arguments - "
                        f"got (Tensor, dim={type(dim).__name__}), but expected a tuple of 2 "
                        f"ints")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")


def matrix_norm(input, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A norm of the matrices held in ``dim`` (the last two by default): ``'fro'``
    (√Σ a²), 1 / −1 (largest / smallest column sum of |a|), ∞ / −∞ (largest / smallest row
    sum), ``'nuc'`` (sum of the singular values), 2 / −2 (largest / smallest singular value;
    their gradients assume distinct singular values, as torch's). (torch documents the
    input as ``A``; its keyword is ``input``.)"""
    A = input
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif ord is None or isinstance(ord, (list, tuple)):
        raise TypeError(f"linalg_matrix_norm() received an invalid combination of arguments - "
                        f"got (Tensor, ord={type(ord).__name__}), but expected ord a Number or "
                        f"a str")
    else:
        ord = as_number(ord, "linalg_matrix_norm", "ord")
        if abs(ord) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord:g} not supported.")
    _matrix_dims(A, dim)
    _check_float(A, "linalg.matrix_norm")
    dims = list(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dims)}")
    dims = [wrap_dim(d, A.ndim) for d in dims]
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, "
                           f"{dims[1]})")
    if ord in ("nuc", 2.0, -2.0):
        if A.dtype == np.float16:
            raise RuntimeError("linalg.matrix_norm: Low precision dtypes not supported. Got "
                               "Half")
        return _singular_value_norm(_cast(A, dtype, "linalg.matrix_norm"), ord, dims, keepdim)
    A = _cast(A, dtype, "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, tuple(dims), keepdim)
    if math.isinf(ord):             # the ∞ norm is the 1 norm of the transpose
        dims.reverse()
    if not keepdim and dims[0] < dims[1]:
        dims[1] -= 1                # the first reduction removed a dim in front of it
    sums = vector_norm(A, 1, dims[0], keepdim)
    if ord > 0:
        if sums.shape[dims[1]] == 0:    # an empty matrix: 0, out of the graph, as torch
            return Tensor._of(np.zeros(sums.shape[:dims[1]] + (1,) * keepdim
                                   + sums.shape[dims[1] + 1:], sums.dtype))
        return amax(sums, dims[1], keepdim)
    return amin(sums, dims[1], keepdim)


def _singular_value_norm(A, ord, dims, keepdim):
    """'nuc' (Σσ), 2 (max σ), −2 (min σ) of the matrices in ``dims``, as torch: the two dims
    moved to the end, their singular values reduced."""
    order = [d for d in range(A.ndim) if d not in dims] + dims
    s = SvdFactor.apply(A.permute(*order), "S")
    if ord == "nuc":
        out = s.sum(-1)
    elif s.shape[-1] == 0:
        if ord < 0:
            raise IndexError("amin(): Expected reduction dim -1 to have non-zero size.")
        out = Tensor._of(np.zeros(s.shape[:-1], s.dtype))   # an empty matrix: 0, out of the graph
    else:
        out = (amax if ord > 0 else amin)(s, -1)
    return out.reshape(*kept_shape(A.shape, dims)) if keepdim else out


def norm(input, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm when ``dim`` is one dim (or ``ord`` is None and
    ``dim`` is not two dims), a matrix norm over two dims; with neither ``ord`` nor ``dim``,
    the 2-norm of every element. A string ``ord`` is always a matrix norm."""
    A = input
    if dim is not None:
        dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {dims}")
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str) or ord is not None and (len(dims) == 2 if dim is not None
                                                    else A.ndim == 2):
        return matrix_norm(A, ord, tuple(dims) if dim is not None else (0, 1), keepdim,
                           dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1):
    """torch.linalg.cross: x × y along ``dim`` (size 3 in both; the other dims broadcast)."""
    return cross_along(input, other, dim)


# ------------------------------------------------------------- composed matrix functions
def multi_dot(tensors):
    """A₁·A₂·…·Aₙ; the first may be 1-D (a row) and the last 1-D (a column), the others 2-D."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ends = i in (0, len(tensors) - 1)
        if not (t.ndim == 2 or (ends and t.ndim == 1)):
            which = "first" if i == 0 else "last" if i == len(tensors) - 1 else None
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got "
                               f"{t.ndim}D" if which else
                               f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {torch_name(tensors[0].dtype).lower()} and tensor "
                               f"{i} {torch_name(t.dtype).lower()}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


def vecdot(x, y, *, dim=-1):
    """Σ x·y along ``dim`` (the other dims broadcast)."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {torch_name(x.dtype)} and y of type "
                           f"{torch_name(y.dtype)} instead")
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as "
                           f"input. Got {torch_name(x.dtype)}")
    return (x * y).sum(dim)


def cond(A, p=None):
    """The condition number ‖A‖ₚ·‖A⁻¹‖ₚ: for p None, 2, −2 the ratio of extreme singular
    values (any shape), else (square A) with matrix_norm; inf for a singular matrix, 0 for
    empty matrices (as torch)."""
    norms = (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf)
    if p not in norms:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if isinstance(p, str):
        check_matrix(A, f"linalg.cond(ord={p})", floating=False)
    if A.numel() == 0:          # no condition number for an empty matrix: torch returns 0
        return Tensor._of(np.zeros(A.shape[:-2], A.dtype))
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    check_matrix(A, f"linalg.cond(ord={p})", floating=False)
    x, info = inv_ex(A)
    singular = Tensor._of(info.array > 0)
    safe = where(Tensor._of(np.broadcast_to((info.array > 0)[..., None, None], A.shape).copy()),
                 Tensor._of(np.zeros(A.shape, A.dtype)), x)
    out = matrix_norm(A, p) * matrix_norm(safe, p)
    return where(singular, Tensor._of(np.asarray(np.inf, A.dtype)), out)


def vander(x, *, N=None):
    """The Vandermonde matrix of the last dim of ``x``: column j holds xʲ, j = 0 … N − 1
    (N: x's size, unless given), as torch — the powers are running products (``cumprod``,
    so the gradient is torch's) after a column of ones. Float and integer dtypes."""
    if x.dtype.kind not in "iuf" or x.dtype == np.float16:
        raise RuntimeError(f"linalg.vander supports floating point, complex, and integer "
                           f"tensors, but got {torch_name(x.dtype)}")
    x = x.unsqueeze(-1) if x.ndim == 0 else x
    n = x.shape[-1] if N is None else N
    if not n > 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    ones = Tensor._of(np.ones(x.shape + (1,), x.dtype))
    return cat([ones, powers], -1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The ``offset`` diagonal of the matrices in the last two dims (torch.linalg's
    defaults)."""
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other):
    """torch.linalg.matmul: the same as ``input @ other``."""
    return input @ other
