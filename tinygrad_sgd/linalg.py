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
* :func:`lstsq` — the pseudo-inverse's solution, with ``gels``'s refusal of a matrix its QR
  finds rank-deficient (replayed: :func:`_qr_zero_pivot`);
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
                             check_matrix, raise_for_info, return_types)
from .linalg_lu import *  # noqa: F401,F403  (lu_factor, lu, lu_solve, ldl_factor, ...)
from . import linalg_lu as _linalg_lu
from .ops.decompositions import Pinv
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


# ------------------------------------------------------------- least squares
# gels: LAPACK's least squares by an unpivoted Householder QR (LQ when m < n); it gives up when
# the triangular factor has an exact zero on its diagonal (info = that position, 1-based)
_GELS_RANK = ("The least squares solution could not be computed because the input matrix does "
              "not have full rank (error code: {k}).")


def _nrm2(x, T):
    """‖x‖₂ as LAPACK's classic ``dnrm2`` computes it in the dtype ``T``: a running scale
    (the largest |x| so far) and a sum of squares of x/scale, element by element."""
    scale, ssq = T(0), T(1)
    for value in x:
        if value != 0:
            a = T(abs(value))
            if scale < a:
                ssq, scale = T(T(1) + ssq * T(T(scale / a) * T(scale / a))), a
            else:
                ssq = T(ssq + T(T(a / scale) * T(a / scale)))
    return T(scale * T(np.sqrt(ssq)))


def _lapy2(x, y, T):
    """√(x² + y²) as LAPACK's ``dlapy2``: w·√(1 + (z/w)²), w the larger of |x|, |y|."""
    w, z = T(max(abs(x), abs(y))), T(min(abs(x), abs(y)))
    return w if z == 0 else T(w * T(np.sqrt(T(T(1) + T(T(z / w) * T(z / w))))))


def _qr_zero_pivot(a) -> int:
    """The first exact zero (1-based; 0 if none) on the diagonal of R in the Householder QR
    of the matrix ``a`` (m >= n), computed as LAPACK's ``geqr2`` in a's dtype: per column the
    reflector from ``dlarfg`` (``_nrm2``, ``_lapy2``), then w = Cᵀv summed row by row and
    C − v·(τw) for the columns to its right. R[i, i] is zero exactly when column i is zero
    from the diagonal down by then. (torch calls MKL, whose rounding this follows as far as
    it was measured: the same zeros in 799 of 800 random rank-deficient float32 matrices and
    767 of 800 float64 ones — MKL scales the reflector by a division in float32, by a
    reciprocal in float64.)"""
    a = np.array(a, copy=True)
    T = a.dtype.type
    m, n = a.shape
    for i in range(min(m, n)):
        alpha, x = a[i, i], a[i + 1:, i]
        xnorm = _nrm2(x, T)
        if xnorm == 0:                  # nothing below the diagonal: no reflection
            if alpha == 0:
                return i + 1
            continue
        h = _lapy2(alpha, xnorm, T)
        beta = -h if alpha >= 0 else h
        tau = T(T(beta - alpha) / beta)
        d = T(alpha - beta)
        below = x / d if T is np.float32 else x * T(T(1) / d)
        v = np.concatenate(([T(1)], below)).astype(a.dtype)
        C = a[i:, i + 1:]
        w = np.cumsum(C * v[:, None], axis=0)[-1] if C.size else C[0]
        C += v[:, None] * (-tau * w)
    return 0


def _gels_info(A):
    """LAPACK ``gels``'s info per matrix of A (..., m, n): where its QR (LQ for m < n) meets
    an exact zero pivot; 0 for an all-zero matrix (gels returns zeros for it) and where the
    smallest singular value is too large for rounding to have made a zero (the replay runs
    only for matrices that are rank-deficient within rounding)."""
    m, n = A.shape[-2:]
    info = np.zeros(A.shape[:-2], np.int64).reshape(-1)
    if not min(m, n) or not info.size:
        return info.reshape(A.shape[:-2])
    a = A.array.reshape((info.size, m, n))
    eps = np.finfo(A.dtype).eps
    s = np.linalg.svd(a, compute_uv=False)
    suspect = s[:, -1] <= s[:, 0] * max(1e-2, 16.0 * m * n * eps)
    for k in np.flatnonzero(suspect & np.any(a != 0, axis=(1, 2))):
        info[k] = _qr_zero_pivot(a[k] if m >= n else a[k].T)
    return info.reshape(A.shape[:-2])


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares X minimising ‖A·X − B‖ (the minimum-norm one, singular values below
    rcond·σ_max dropped), as torch's named tuple: ``solution``, ``residuals`` (‖A·X − B‖²
    per column, only for m > n, full rank, driver ≠ 'gelsy'), ``rank`` (not for 'gels'),
    ``singular_values`` (only for 'gelsd' and 'gelss'). ``driver='gels'`` (QR without
    pivoting) raises LinAlgError where its triangular factor meets an exact zero pivot, as
    torch (:func:`_gels_info`): a nearly singular matrix gives a (huge) solution instead."""
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    driver = "gelsy" if driver is None else driver
    if driver not in drivers:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if A.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {torch_name(A.dtype)} and other's "
                           f"dtype {torch_name(B.dtype)}")
    if not (B.ndim <= A.ndim and A.ndim - B.ndim <= 1):
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if b.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match "
                           f"other.size({-1 if vector else -2})")
    if driver == "gels":
        raise_for_info(_gels_info(A), "torch.linalg.lstsq", _GELS_RANK, A.ndim == 2)
    rc = np.finfo(A.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    s = np.linalg.svd(A.array, compute_uv=False) if min(m, n) else \
        np.zeros(A.shape[:-2] + (0,), A.dtype)
    rank = np.sum(s > rc * s.max(-1, initial=0)[..., None], -1).astype(np.int64)
    x = Pinv.apply(A, np.asarray(0, A.dtype), np.asarray(0 if driver == "gels" else rc,
                                                           A.dtype), False) @ b
    empty = Tensor._of(np.zeros((0,), A.dtype))
    if m > n and driver != "gelsy" and (driver == "gels" or np.all(rank == n)):
        residuals = ((A @ x - b) ** 2).sum(-2)      # (a vector B keeps its column: (…, 1))
    else:
        residuals = empty
    return return_types.linalg_lstsq(
        x.squeeze(-1) if vector else x, residuals,
        Tensor._of(np.zeros((0,), np.int64)) if driver == "gels" else Tensor._of(rank),
        Tensor._of(s) if driver in ("gelsd", "gelss") else empty)
