"""torch's top-level matrix functions, also Tensor methods: det, logdet, slogdet, inverse,
cholesky (deprecated in torch), cholesky_solve, cholesky_inverse, pinverse, matrix_power,
matrix_exp, svd (returns V, not Vh), qr and triangular_solve (deprecated in torch).

Each is a call into :mod:`tinygrad_sgd.linalg` (torch.linalg), whose functions call the ops of
:mod:`tinygrad_sgd.ops.decompositions`, where the backward formulas are.
"""
import warnings

import numpy as np

from ..errors import user_stacklevel
from ..printing import return_type
from ..tensor import Tensor, tensor_method
from .elementwise import where

__all__ = ["det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve",
           "cholesky_inverse", "pinverse", "matrix_power", "matrix_exp", "svd", "qr",
           "triangular_solve"]

_slogdet = return_type("slogdet", "sign logabsdet")
_svd = return_type("svd", "U S V")
_qr = return_type("qr", "Q R")
_triangular_solve = return_type("triangular_solve", "solution cloned_coefficient")


def _linalg():
    from .. import linalg      # (imported when called: linalg imports this package)
    return linalg


@tensor_method
def det(input):
    """det A of the matrices in the last two dims (torch.linalg.det)."""
    return _linalg().det(input)


@tensor_method
def slogdet(input):
    """(sign, log |det A|) (torch.linalg.slogdet)."""
    return _slogdet(*_linalg().slogdet(input))


@tensor_method
def logdet(input):
    """log det A: NaN where det A < 0, −inf where it is 0."""
    if input.dtype.kind != "f":
        from .reduce import torch_name
        raise RuntimeError(f"logdet: Expected a floating point or complex tensor as input. "
                           f"Got {torch_name(input.dtype)}")
    sign, logabs = _linalg().slogdet(input)
    return where(Tensor._of(sign.array < 0), Tensor._of(np.asarray(np.nan, input.dtype)), logabs)


@tensor_method
def inverse(input):
    """A⁻¹ (torch.linalg.inv)."""
    return _linalg().inv(input)


@tensor_method
def cholesky(input, upper=False):
    """The Cholesky factor (deprecated in torch for torch.linalg.cholesky)."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=user_stacklevel())
    from ..linalg_solvers import _NOT_PD, check_matrix, cholesky_ex, raise_for_info
    from .elementwise import not_implemented
    check_matrix(input, "cholesky", floating=False)     # (torch's messages say "cholesky:")
    if input.dtype.kind != "f":
        raise not_implemented("cholesky_cpu", input.dtype)
    out, info = cholesky_ex(input, upper=upper)
    raise_for_info(info.array, "cholesky", _NOT_PD, input.ndim == 2)
    return out


@tensor_method
def cholesky_solve(input, input2, upper=False):
    """X with A·X = B for A = L·Lᵀ given its factor L = ``input2`` (Uᵀ·U if ``upper``) and
    B = ``input``: two triangular solves."""
    for name, t in (("b", input), ("A", input2)):
        if t.ndim < 2:
            raise RuntimeError(f"{name} should have at least 2 dimensions, but has {t.ndim} "
                               f"dimensions instead")
    if input.dtype != input2.dtype:
        from .reduce import torch_name
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{torch_name(input.dtype)} and A of type {torch_name(input2.dtype)} "
                           f"instead.")
    from ..ops.decompositions import CholeskySolve
    from .elementwise import not_implemented
    if input.dtype.kind != "f" or input.dtype == np.float16:
        raise not_implemented("cholesky_solve_cpu", input.dtype)
    if input2.shape[-1] != input2.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are "
                           f"{input2.shape[-2]} by {input2.shape[-1]} matrices")
    if input.shape[-2] != input2.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{input2.shape[-1]} by {input2.shape[-1]} but each b matrix is "
                           f"{input.shape[-2]} by {input.shape[-1]}")
    from .distance import broadcast_shape
    broadcast_shape(input.shape[:-2], input2.shape[:-2])      # (torch's words if they don't fit)
    return CholeskySolve.apply(input, input2, bool(upper))


@tensor_method
def cholesky_inverse(input, upper=False):
    """(L·Lᵀ)⁻¹ from the Cholesky factor L = ``input`` (Uᵀ·U if ``upper``)."""
    from ..linalg_solvers import check_matrix
    from ..ops.decompositions import CholeskyInverse
    from .elementwise import not_implemented
    if input.ndim >= 2 and (input.dtype.kind != "f" or input.dtype == np.float16):
        raise not_implemented("cholesky_inverse_out_cpu", input.dtype)
    check_matrix(input, "cholesky_inverse")
    return CholeskyInverse.apply(input, bool(upper))


@tensor_method
def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, singular values below rcond·σ_max dropped (torch.linalg.pinv)."""
    return _linalg().pinv(input, rtol=rcond)


@tensor_method
def matrix_power(input, n):
    """Aⁿ (n < 0: (A⁻¹)^|n|)."""
    return _linalg().matrix_power(input, n)


@tensor_method
def matrix_exp(input):
    """exp(A) of each square matrix (torch.linalg.matrix_exp)."""
    return _linalg().matrix_exp(input)


@tensor_method
def svd(input, some=True, compute_uv=True):
    """(U, S, V) with A = U·diag(S)·Vᵀ — V, not torch.linalg.svd's Vh; ``some=False``: full
    U and V; ``compute_uv=False``: U and V are zeros (m×m and n×n) and S has no gradient
    through them."""
    L = _linalg()
    if input.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.ndim} dimensions instead")
    if not compute_uv:
        m, n = input.shape[-2:] if input.ndim >= 2 else (0, 0)
        s = L.svdvals(input)
        zeros = input.shape[:-2]
        return _svd(Tensor._of(np.zeros(zeros + (m, m), input.dtype)), s,
                    Tensor._of(np.zeros(zeros + (n, n), input.dtype)))
    u, s, vh = L.svd(input, full_matrices=not some)
    return _svd(u, s, vh.mT)


@tensor_method
def qr(input, some=True):
    """(Q, R) (deprecated in torch for torch.linalg.qr): ``some`` is mode 'reduced', else
    'complete'."""
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.", UserWarning, stacklevel=user_stacklevel())
    return _qr(*_linalg().qr(input, "reduced" if some else "complete"))


@tensor_method
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """(X, a copy of A) with tri(A)·X = B = ``input`` (tri(A)ᵀ·X = B if ``transpose``)
    (deprecated in torch for torch.linalg.solve_triangular)."""
    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangular and will be removed in a future PyTorch "
                  "release.", UserWarning, stacklevel=user_stacklevel())
    if input.ndim < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, "
                           f"but it has {input.ndim} dimensions instead")
    coef = A.mT if transpose else A
    x = _linalg().solve_triangular(coef, input, upper=upper != transpose,
                                   unitriangular=unitriangular)
    return _triangular_solve(x, A.clone())
