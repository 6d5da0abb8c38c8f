"""torch.linalg's matrix functions (re-exported by :mod:`tinygrad_sgd.linalg`): inverse,
determinants, solves, Cholesky, QR, eigh, SVD, pseudo-inverse, rank, matrix power and
exponential. (cond, lstsq, multi_dot, vecdot, vander, diagonal are in
:mod:`tinygrad_sgd.linalg`.)

Each is a check of the arguments with torch's messages, then one op of
:mod:`tinygrad_sgd.ops.decompositions` (or ``SvdFactor``) or a short composition of them, so
gradients and second order come from the ops' backward formulas. Real dtypes only: the
complex-valued ``eig`` and ``eigvals`` raise.
"""

import numpy as np

from .printing import return_type
from .functions import cat, where
from .functions.reduce import torch_name
from .autograd.torch_names import named
from .ops.decompositions import (LinAlgError, Inverse, Det, LogAbsDet, slogdet_array, Solve,
                                 SolveTriangular, Cholesky, QrFactor, EighFactor, MatrixExp, Pinv,
                                 BesideOutput, svd_array)
from .ops.distance import SvdFactor
from .tensor import Tensor

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "cholesky",
           "cholesky_ex", "qr", "eigh", "eigvalsh", "eig", "eigvals", "svd", "svdvals",
           "matrix_power", "pinv", "matrix_rank", "solve_triangular", "matrix_exp"]


class return_types:
    """torch.return_types for these functions: tuples whose items have names too."""
    linalg_inv_ex = return_type("linalg_inv_ex", "inverse info")
    linalg_solve_ex = return_type("linalg_solve_ex", "result info")
    linalg_cholesky_ex = return_type("linalg_cholesky_ex", "L info")
    linalg_slogdet = return_type("linalg_slogdet", "sign logabsdet")
    linalg_qr = return_type("linalg_qr", "Q R")
    linalg_eigh = return_type("linalg_eigh", "eigenvalues eigenvectors")
    linalg_svd = return_type("linalg_svd", "U S Vh")
    linalg_lstsq = return_type("linalg_lstsq", "solution residuals rank singular_values")


# ----------------------------------------------------------------------------- checks
# torch's CPU kernel behind each function, named when it refuses float16
_HALF_KERNEL = {"linalg.det": "lu_cpu", "linalg.solve": "lu_cpu", "cholesky": "cholesky_cpu",
                "linalg.cholesky": "cholesky_cpu", "linalg.eigh": "linalg_eigh_cpu",
                "linalg.eigvalsh": "linalg_eigh_cpu", "linalg.svd": "linalg_svd_cpu",
                "linalg.qr": "geqrf_cpu", "linalg.solve_triangular": "triangular_solve_cpu"}


def check_matrix(A, op, square=True, floating=True):
    """torch's checks: at least 2 dims, a floating dtype (float16 only for matrix_exp),
    square matrices."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if floating and A.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_name(A.dtype)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype == np.float16 and op not in ("linalg.matrix_exp", "linalg.matrix_power"):
        kernel = _HALF_KERNEL.get(op)      # (torch: no half kernel, or its own refusal)
        if kernel:
            raise NotImplementedError(f'"{kernel}" not implemented for \'Half\'')
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got Half")


def raise_for_info(info, op, message, is_matrix):
    """LinAlgError at the first matrix whose LAPACK ``info`` is positive; ``message`` is
    formatted with ``k`` = that info."""
    bad = np.flatnonzero(np.asarray(info).reshape(-1) > 0)
    if len(bad):
        where_ = "" if is_matrix else f"(Batch element {bad[0]}): "
        raise LinAlgError(f"{op}: {where_}{message.format(k=int(info.reshape(-1)[bad[0]]))}")


_SINGULAR = ("The diagonal element {k} is zero, the inversion could not be completed because "
             "the input matrix is singular.")
_NOT_PD = ("The factorization could not be completed because the input is not "
           "positive-definite (the leading minor of order {k} is not positive-definite).")


# ----------------------------------------------------------------------------- inverse, det
def inv_ex(A, *, check_errors=False):
    """(A⁻¹, info): info > 0 marks a singular matrix (its inverse is then inf/NaN)."""
    check_matrix(A, "linalg.inv")
    report = {}
    out = Inverse.apply(A, report)
    info = report["info"]
    if check_errors:
        raise_for_info(info, "linalg.inv_ex", _SINGULAR, A.ndim == 2)
    return return_types.linalg_inv_ex(out, Tensor._of(info))


def inv(A):
    """A⁻¹; LinAlgError for a singular matrix. dL/dA = −A⁻ᵀ·g·A⁻ᵀ."""
    out, info = inv_ex(A)
    raise_for_info(info.array, "linalg.inv", _SINGULAR, A.ndim == 2)
    return out


def det(A):
    """det A; its gradient is the cofactor matrix, finite for singular matrices too."""
    check_matrix(A, "linalg.det")
    return Det.apply(A)


def slogdet(A):
    """(sign, log |det A|); a singular matrix gives (0, −inf). The sign requires grad with
    A (as torch's) but sends no gradient back."""
    check_matrix(A, "linalg.slogdet")
    sign = slogdet_array(A.array)[0].astype(A.dtype)
    sign = named(BesideOutput.apply(A, value=sign), "LinalgSlogdetBackward0")
    return return_types.linalg_slogdet(sign, LogAbsDet.apply(A))


# ----------------------------------------------------------------------------- solves
def solve_ex(A, B, *, left=True, check_errors=False):
    """(X, info) with A·X = B (``left``) or X·A = B. B is a vector (its last dim dropped in X)
    when it is 1-D or has A's shape without the last dim, as torch."""
    check_matrix(A, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {torch_name(A.dtype)} and B of type "
                           f"{torch_name(B.dtype)} instead")
    vector = B.ndim == 1 or (A.ndim - 1 == B.ndim and B.shape == A.shape[:-1])
    b = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if b.ndim < 2 or (b.shape[-2] if left else b.shape[-1]) != n:
        shape = f"{b.shape[-2]}x{b.shape[-1]}" if b.ndim >= 2 else f"{b.shape[-1]}"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape})")
    if vector and not left:
        raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                           "supported for left=False. In this case linalg.solve is equivalent "
                           "to B / A.squeeze(-1)")
    report = {}
    x = Solve.apply(A, b, report) if left else Solve.apply(A.mT, b.mT, report).mT
    if check_errors:
        raise_for_info(report["info"], "linalg.solve_ex", "The solver failed because the "
                       "input matrix is singular.", A.ndim == 2)
    return return_types.linalg_solve_ex(x.squeeze(-1) if vector else x,
                                        Tensor._of(report["info"]))


def solve(A, B, *, left=True):
    """The X of A·X = B (or X·A = B); LinAlgError for a singular A."""
    x, info = solve_ex(A, B, left=left)
    raise_for_info(info.array, "torch.linalg.solve", "The solver failed because the input "
                   "matrix is singular.", A.ndim == 2)
    return x


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with tri(A)·X = B (or X·tri(A) = B), reading only A's ``upper`` or lower triangle
    (diagonal ones if ``unitriangular``); no error for a zero diagonal (inf/NaN)."""
    if A.ndim >= 2 and A.dtype.kind != "f":
        raise NotImplementedError(f'"triangular_solve_cpu" not implemented for '
                                  f"'{torch_name(A.dtype)}'")
    check_matrix(A, "linalg.solve_triangular")
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    if B.dtype != A.dtype:
        B = B.to(A.dtype)           # (torch computes in A's dtype)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if left:
        return SolveTriangular.apply(A, B, upper, unitriangular)
    return SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info) with A = L·Lᵀ (Uᵀ·U for ``upper``); info > 0: not positive-definite."""
    check_matrix(A, "linalg.cholesky")
    report = {}
    low = Cholesky.apply(A, report)
    if check_errors:
        raise_for_info(report["info"], "linalg.cholesky_ex", _NOT_PD, A.ndim == 2)
    return return_types.linalg_cholesky_ex(low.mT if upper else low, Tensor._of(report["info"]))


def cholesky(A, *, upper=False):
    """The Cholesky factor (lower, or upper with ``upper=True``) of a positive-definite A;
    only its lower triangle is read. LinAlgError where A is not positive-definite."""
    out, info = cholesky_ex(A, upper=upper)
    raise_for_info(info.array, "linalg.cholesky", _NOT_PD, A.ndim == 2)
    return out


# ----------------------------------------------------------------------------- factorisations
def qr(A, mode="reduced"):
    """(Q, R) with A = Q·R: ``mode`` 'reduced' (k = min(m, n) columns), 'complete' (Q square)
    or 'r' (R only; Q empty, and no gradient)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    check_matrix(A, "linalg.qr", square=False)
    if mode == "r":
        return return_types.linalg_qr(Tensor._of(np.zeros((0,), A.dtype)),
                                      QrFactor.apply(A, "R", "r"))
    return return_types.linalg_qr(QrFactor.apply(A, "Q", mode), QrFactor.apply(A, "R", mode))


def _uplo(UPLO, op):
    """'L' or 'U' (either case, as torch takes it), upper-cased."""
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def _check_eigh(A, op="linalg.eigh"):
    if A.ndim >= 2 and A.dtype.kind != "f":
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for '
                                  f"'{torch_name(A.dtype)}'")
    check_matrix(A, op)


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric A, read from its
    ``UPLO`` triangle; the gradient assumes distinct eigenvalues, as torch's."""
    _check_eigh(A)
    UPLO = _uplo(UPLO, "linalg.eigh")
    return return_types.linalg_eigh(EighFactor.apply(A, "L", UPLO),
                                    EighFactor.apply(A, "V", UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of the symmetric A (ascending)."""
    _check_eigh(A, "linalg.eigvalsh")
    return EighFactor.apply(A, "L", _uplo(UPLO, "linalg.eigvalsh"))


def eig(A, *, out=None):
    """Not available: the eigen-decomposition of a general matrix is complex-valued."""
    raise NotImplementedError("linalg.eig: its results are complex, and tinygrad_sgd has no "
                              "complex dtypes; for a symmetric matrix use linalg.eigh")


def eigvals(A, *, out=None):
    """Not available: the eigenvalues of a general matrix are complex-valued."""
    raise NotImplementedError("linalg.eigvals: its results are complex, and tinygrad_sgd has "
                              "no complex dtypes; for a symmetric matrix use linalg.eigvalsh")


def _check_driver(driver, op):
    if driver is not None:
        raise RuntimeError(f"{op}: keyword argument `driver=` is only supported on CUDA inputs "
                           f"with cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None):
    """(U, S, Vh) with A = U·diag(S)·Vh. With ``full_matrices`` and m ≠ n, the extra columns
    of U (rows of Vh) complete the basis and get no gradient, as torch's."""
    check_matrix(A, "linalg.svd", square=False)
    _check_driver(driver, "torch.linalg.svd")
    u, s, vh = (SvdFactor.apply(A, w) for w in ("U", "S", "Vh"))
    m, n = A.shape[-2:]
    if full_matrices and m != n:
        uf, _, vhf = svd_array(A.array, full_matrices=True)
        k = min(m, n)
        u = cat([u, Tensor._of(np.ascontiguousarray(uf[..., :, k:]))], -1)
        vh = cat([vh, Tensor._of(np.ascontiguousarray(vhf[..., k:, :]))], -2)
    return return_types.linalg_svd(u, s, vh)


def svdvals(A, *, driver=None):
    """The singular values of A, descending."""
    check_matrix(A, "linalg.svd", square=False)
    _check_driver(driver, "torch.linalg.svdvals")
    return SvdFactor.apply(A, "S")


# ----------------------------------------------------------------------------- derived
def matrix_power(A, n):
    """Aⁿ by repeated squaring; n < 0 is (A⁻¹)^|n|, n = 0 the identity."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    check_matrix(A, "linalg.matrix_power", floating=False)
    if n == 0:         # the identity; in the graph (a zero gradient, even for inf in A)
        eye = Tensor._of(np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape).copy())
        from .autograd import forward_ad     # (a dual A: a zero tangent, as torch's)
        return where(Tensor._of(np.ones(A.shape, bool)), eye, A) \
            if A.requires_grad or forward_ad.dual(A) else eye
    if n < 0:
        A, n = inv(A), -n
    if n == 3:                     # torch's special case: (A·A)·A (the loop gives A·(A·A))
        return A @ A @ A
    result, square = None, A
    while True:
        if n & 1:
            result = square if result is None else result @ square
        n >>= 1
        if not n:
            return result if result is not A else A.clone()
        square = square @ square


def _tolerances(atol, rtol, dtype, size):
    """torch's (atol, rtol) defaults for pinv / matrix_rank as arrays: rtol = eps·max(m, n)
    when neither is given, or when atol is not positive."""
    eps = np.finfo(dtype).eps * size
    a = np.asarray(0.0 if atol is None else (atol.array if isinstance(atol, Tensor) else atol),
                   dtype)
    if rtol is None:
        r = np.where(a > 0, 0.0, eps) if atol is not None else np.asarray(eps)
    else:
        r = np.asarray(rtol.array if isinstance(rtol, Tensor) else rtol, dtype)
    return a, r.astype(dtype)


def _deprecated_tolerance(name, value, atol, rtol, fn):
    """torch's older form ``fn(A, tolerance, hermitian)`` (pinv's ``rcond``, matrix_rank's
    ``tol``): refused together with atol/rtol, as torch's parser does."""
    if value is not None and (atol is not None or rtol is not None):
        given = ", ".join(f"{k}={type(v).__name__}" for k, v in
                          (("atol", atol), ("rtol", rtol), (name, value)) if v is not None)
        raise TypeError(f"{fn}() received an invalid combination of arguments - got (Tensor, "
                        f"{given}), but expected one of:\n * (Tensor input, *, Tensor atol = "
                        f"None, Tensor rtol = None, bool hermitian = False, Tensor out = None)"
                        f"\n * (Tensor input, Tensor {name}, bool hermitian = False, *, Tensor "
                        f"out = None)")


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The pseudo-inverse, keeping the singular values (|eigenvalues| if ``hermitian``) above
    max(atol, rtol·σ_max). Its gradient is torch's pinv_backward (finite at repeated or
    dropped singular values). ``rcond`` (second by position, torch's older form) is rtol with
    atol 0; it can't be mixed with atol/rtol."""
    _deprecated_tolerance("rcond", rcond, atol, rtol, "linalg_pinv")
    if rcond is not None:
        atol, rtol = 0.0, rcond
    if A.ndim < 2 or A.dtype.kind != "f" or A.dtype == np.float16:
        shape = "{" + str(list(A.shape)) + "}"
        raise RuntimeError(f"linalg.pinv({torch_name(A.dtype)}{shape}): expected a "
                           f"tensor with 2 or more dimensions of float, double, cfloat or "
                           f"cdouble types")
    if hermitian:
        check_matrix(A, "linalg.eigh")
    a, r = _tolerances(atol, rtol, A.dtype, max(A.shape[-2:]))
    return Pinv.apply(A, a, r, hermitian)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values (|eigenvalues| if ``hermitian``) above max(atol,
    rtol·σ_max), as int64. ``tol`` (second by position, torch's older form) is atol with rtol
    0; it can't be mixed with atol/rtol."""
    _deprecated_tolerance("tol", tol, atol, rtol, "linalg_matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least "
                           "2 dimensions.")
    if A.dtype.kind != "f" or A.dtype == np.float16:
        raise RuntimeError("This function doesn't handle types other than float and double")
    check_matrix(A, "linalg.eigh" if hermitian else "linalg.svd", square=hermitian)
    a, r = _tolerances(atol, rtol, A.dtype, max(A.shape[-2:]))
    if 0 in A.shape[-2:]:
        return Tensor._of(np.zeros(A.shape[:-2], np.int64))
    s = np.abs(np.linalg.eigvalsh(A.array)) if hermitian else svd_array(A.array,
                                                                        compute_uv=False)
    tol = np.maximum(a, r * s.max(-1))[..., None]
    return Tensor._of(np.sum(s > tol, -1).astype(np.int64))


def matrix_exp(A):
    """exp(A) of each square matrix; gradient by the block-matrix identity."""
    check_matrix(A, "linalg.matrix_exp")
    return MatrixExp.apply(A)
