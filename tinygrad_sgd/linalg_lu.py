"""torch.linalg's LU, Householder and tensor-equation functions (re-exported by
:mod:`tinygrad_sgd.linalg`):

* :func:`lu_factor`, :func:`lu_factor_ex`, :func:`lu` — LAPACK's getrf (partial pivoting,
  so the factors and pivots are torch's) as :class:`~tinygrad_sgd.ops.lu.LuFactor`, whose
  backward is torch's linalg_lu_backward (square, wide and tall A; second order too);
* :func:`lu_solve` — composed from :class:`~tinygrad_sgd.ops.decompositions.SolveTriangular`
  on the packed factors (L's solve reads the part below the diagonal, U's the rest) and the
  constant permutation, so the gradients w.r.t. LU and B come from those ops;
* :func:`householder_product` — Q = H₁·…·H_k·I[:, :n], H_i = I − τ_i·v_i·v_iᵀ, one product per
  reflector (a loop over the k reflectors), so gradients and second order come free; and
  :func:`lu_unpack_parts`, :func:`apply_householder` shared with the top-level forms
  (``torch.lu_unpack``, ``torch.ormqr``) of :mod:`tinygrad_sgd.functions.lu_forms`;
* :func:`ldl_factor`, :func:`ldl_factor_ex`, :func:`ldl_solve` — LAPACK's sytrf/sytrs
  (Bunch–Kaufman pivoting, the same pivots and factors as torch's); not differentiable, as
  torch's;
* :func:`tensorinv`, :func:`tensorsolve` — reshapes around ``inv`` and ``solve``.
"""
import math

import numpy as np

from .printing import return_type
from .functions.distance import wrap_dim
from .functions.reduce import torch_name
from .linalg_solvers import _SINGULAR, inv_ex, raise_for_info, solve
from .ops.decompositions import SolveTriangular
from .ops.lu import HouseholderIdentity, LdlFactor, LdlSolve, LuFactor, LuFactors, LuUnpack, permutation_matrix
from .tensor import Tensor

__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "householder_product",
           "ldl_factor", "ldl_factor_ex", "ldl_solve", "tensorinv", "tensorsolve"]


class return_types:
    """torch.return_types for these functions: tuples whose items have names too."""
    linalg_lu_factor = return_type("linalg_lu_factor", "LU pivots")
    linalg_lu_factor_ex = return_type("linalg_lu_factor_ex", "LU pivots info")
    linalg_lu = return_type("linalg_lu", "P L U")
    lu_unpack = return_type("lu_unpack", "P L U")
    linalg_ldl_factor = return_type("linalg_ldl_factor", "LD pivots")
    linalg_ldl_factor_ex = return_type("linalg_ldl_factor_ex", "LD pivots info")


# ----------------------------------------------------------------------------- LU
def check_lu_input(A, op, pivot=True):
    """torch's checks before getrf: 2 or more dims, float32/float64, pivoting on."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if A.dtype.kind != "f" or A.dtype == np.float16:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{torch_name(A.dtype)}'")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _raise_zero_pivot(info, op, is_matrix):
    """torch's error for the first matrix with a zero pivot U[k, k] (info = k)."""
    bad = np.flatnonzero(info.reshape(-1) > 0)
    if len(bad):
        k = int(info.reshape(-1)[bad[0]])
        where = "" if is_matrix else f"(Batch element {bad[0]}): "
        raise RuntimeError(f"{op}: {where}U[{k},{k}] is zero and using it on lu_solve would "
                           f"result in a division by zero. If you still want to perform the "
                           f"factorization, consider calling linalg.lu(A, pivot) or "
                           f"linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): A = P·L·U packed in LU (L's unit diagonal implied), ``pivots``
    int32 1-based as LAPACK's, ``info`` > 0 the first zero pivot (the factors are still
    computed). ``pivot=False`` is not available on the CPU, as torch's."""
    check_lu_input(A, "torch.lu_factor", pivot)
    report = {}
    packed = LuFactor.apply(A, report)
    if check_errors:
        _raise_zero_pivot(report["info"], "torch.linalg.lu_factor_ex", A.ndim == 2)
    return return_types.linalg_lu_factor_ex(packed, Tensor._of(report["pivots"].copy()),
                                            Tensor._of(report["info"]))


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of :func:`lu_factor_ex`; RuntimeError at a zero pivot."""
    packed, pivots, info = lu_factor_ex(A, pivot=pivot)
    _raise_zero_pivot(info.array, "torch.linalg.lu_factor", A.ndim == 2)
    return return_types.linalg_lu_factor(packed, pivots)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P·L·U: P (…, m, m) a permutation (no gradient), L (…, m, k) unit
    lower, U (…, k, n) upper, k = min(m, n)."""
    check_lu_input(A, "linalg.lu", pivot)
    report = {}
    packed = LuFactor.apply(A, report)
    p = Tensor._of(permutation_matrix(report["pivots"], A.shape[-2], A.dtype))
    return return_types.linalg_lu(p, LuFactors.apply(packed, "L"), LuFactors.apply(packed, "U"))


def lu_unpack_parts(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) of torch.lu_unpack (empty tensors for the parts not asked for)."""
    if LU_data.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(LU_data.shape)} instead")
    m, n = LU_data.shape[-2:]
    if LU_pivots.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                           "of torch.int32 dtype.\nNote: this function is intended to be used "
                           "with the output produced by torch.linalg.lu_factor")
    if LU_pivots.shape != LU_data.shape[:-2] + (min(m, n),):
        raise RuntimeError(f"torch.lu_unpack: expected pivots of shape "
                           f"{list(LU_data.shape[:-2] + (min(m, n),))}, got "
                           f"{list(LU_pivots.shape)}")
    piv = LU_pivots.array
    if piv.size and (piv.min() < 1 or piv.max() > m):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                           "inclusive.Did you properly pass the result of lu_factor?")
    empty = Tensor._of(np.zeros((0,), LU_data.dtype))
    p = Tensor._of(permutation_matrix(piv, m, LU_data.dtype)) if unpack_pivots else empty
    if not unpack_data:
        return return_types.lu_unpack(p, empty, empty)
    return return_types.lu_unpack(p, LuUnpack.apply(LU_data, "L"),
                                  LuUnpack.apply(LU_data, "U"))


def _check_lu_solve(LU, pivots, B, left):
    if LU.ndim < 2:
        raise RuntimeError("torch.linalg.lu_solve: The input tensor A must have at least 2 "
                           "dimensions.")
    if LU.dtype.kind != "f":
        raise RuntimeError(f"torch.linalg.lu_solve: Expected a floating point or complex "
                           f"tensor as input. Got {torch_name(LU.dtype)}")
    if LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but "
                           f"they are {LU.shape[-2]} by {LU.shape[-1]} matrices")
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if B.dtype != LU.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {torch_name(LU.dtype)} and B of type "
                           f"{torch_name(B.dtype)} instead")
    if pivots.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "torch.int32")
    if pivots.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if pivots.shape[-1] != n:
        raise RuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the "
                           "dimension of the matrix")
    if pivots.shape != LU.shape[:-1]:
        raise RuntimeError(f"linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be "
                           f"the same, but got pivots with shape {list(pivots.shape)} instead")
    if LU.dtype == np.float16:
        raise NotImplementedError("\"linalg.lu_solve_cpu\" not implemented for 'Half'")
    piv = pivots.array
    if piv.size and piv.min() < 1:
        raise RuntimeError("Pivots given to lu_solve must all be greater or equal to 1. Did "
                           "you properly pass the result of lu_factor?")
    if piv.size and piv.max() > n:
        raise RuntimeError("Pivots given to lu_solve must all be smaller or equal to "
                           "LU.size(-2). Did you properly pass the result of lu_factor?")


def _lu_solve_left(packed, p, B, adjoint):
    """A⁻¹·B = U⁻¹·L⁻¹·Pᵀ·B, or A⁻ᵀ·B = P·L⁻ᵀ·U⁻ᵀ·B (``adjoint``), A = P·L·U packed."""
    if not adjoint:
        y = SolveTriangular.apply(packed, p.mT @ B, False, True)
        return SolveTriangular.apply(packed, y, True)
    y = SolveTriangular.apply(packed.mT, B, False)
    return p @ SolveTriangular.apply(packed.mT, y, True, True)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A·X = B (``left``) or X·A = B, A (or Aᵀ if ``adjoint``) given by lu_factor's
    (LU, pivots). A zero pivot gives inf/NaN, as LAPACK's getrs (no error). Differentiable
    w.r.t. LU and B (second order too)."""
    _check_lu_solve(LU, pivots, B, left)
    p = Tensor._of(permutation_matrix(pivots.array, LU.shape[-1], LU.dtype))
    if left:
        return _lu_solve_left(LU, p, B, adjoint)
    return _lu_solve_left(LU, p, B.mT, not adjoint).mT       # X·A = B ⇔ Aᵀ·Xᵀ = Bᵀ


# ----------------------------------------------------------------------------- Householder
def reflectors(A, k):
    """The Householder vectors v_1…v_k as the columns of V (…, m, k): 1 on the diagonal, A's
    entries below it, 0 above."""
    m = A.shape[-2]
    return A[..., :, :k].tril(-1) + Tensor._of(np.eye(m, k, dtype=A.dtype))


def apply_householder(V, tau, C, left, transpose):
    """Q·C, Qᵀ·C (``left``) or C·Q, C·Qᵀ with Q = H₁·…·H_k, H_i = I − τ_i·v_i·v_iᵀ: one
    rank-one update of C per reflector, in the order that product asks for."""
    k = tau.shape[-1]
    order = range(k) if left == transpose else range(k - 1, -1, -1)
    for i in order:
        v, t = V[..., :, i:i + 1], tau[..., i:i + 1].unsqueeze(-1)
        if left:
            C = C - (v * t) @ (v.mT @ C)
        else:
            C = C - ((C @ v) * t) @ v.mT
    return C


def check_householder(A, tau, op, kernel):
    """torch's checks of (input, tau) for householder_product/orgqr and ormqr."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if tau.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if A.dtype.kind != "f" or A.dtype == np.float16:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(A.dtype)}'")


def check_tau_batch(A, tau, op):
    """torch's checks that tau has input's batch dims and one dim less."""
    if A.ndim - tau.ndim != 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {A.ndim}")
    if tau.shape[:-1] != A.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")


def householder_product(input, tau):
    """The first n columns of H₁·…·H_k (A = ``input`` (…, m, n), m ≥ n ≥ k = tau's last
    dim): the Q of geqrf's (a, tau). Gradients w.r.t. A (the part below the diagonal of its
    first k columns) and tau. (torch documents the input as ``A``; its keyword is
    ``input``.)"""
    A = input
    op = "torch.linalg.householder_product"
    check_householder(A, tau, op, "orgqr_cpu")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1]")
    check_tau_batch(A, tau, op)
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{op}: tau dtype {torch_name(tau.dtype)} does not match input "
                           f"dtype {torch_name(A.dtype)}")
    k = tau.shape[-1]
    if k == 0 or A.numel() == 0:    # the identity, in the graph with no gradient, as torch's
        return HouseholderIdentity.apply(A, tau)
    eye = Tensor._of(np.broadcast_to(np.eye(m, n, dtype=A.dtype), A.shape).copy())
    return apply_householder(reflectors(A, k), tau, eye, True, False)


# ----------------------------------------------------------------------------- LDLᵀ
def _check_square_float(A, op, kernel):
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_name(A.dtype)}")
    if A.dtype == np.float16:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Half'")


def ldl_factor_ex(input, *, hermitian=False, check_errors=False):
    """(LD, pivots, info): A = P·L·D·Lᵀ·Pᵀ of the symmetric A (its lower triangle is read),
    D with 1×1 and 2×2 blocks (Bunch–Kaufman), packed as LAPACK's sytrf: D's blocks on LD's
    diagonal band, L below them (its unit diagonal implied), 0 above; ``pivots`` LAPACK's
    (a 2×2 block: two equal negative pivots); ``info`` > 0: D[info, info] is exactly zero.
    ``hermitian`` changes nothing for real matrices. Not differentiable, as torch's. (torch
    documents the input as ``A``; its keyword is ``input``.)"""
    A = input
    _check_square_float(A, "torch.linalg.ldl_factor_ex", "ldl_factor_kernel_cpu")
    report = {}
    ld = LdlFactor.apply(A, report)
    if check_errors:
        _raise_ldl(report["info"], "torch.linalg.ldl_factor_ex")
    return return_types.linalg_ldl_factor_ex(ld, Tensor._of(report["pivots"]),
                                             Tensor._of(report["info"]))


def _raise_ldl(info, op):
    bad = np.flatnonzero(info.reshape(-1) > 0)
    if len(bad):        # (torch's message for this case: an internal assert)
        k = int(info.reshape(-1)[bad[0]])
        raise RuntimeError(f"{op}: Unknown error code: {k}. (D[{k},{k}] is exactly zero: the "
                           f"matrix is singular)")


def ldl_factor(input, *, hermitian=False):
    """(LD, pivots) of :func:`ldl_factor_ex`; RuntimeError for a singular D."""
    ld, pivots, info = ldl_factor_ex(input, hermitian=hermitian)
    _raise_ldl(info.array, "torch.linalg.ldl_factor")
    return return_types.linalg_ldl_factor(ld, pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """X with A·X = B, A given by :func:`ldl_factor`'s (LD, pivots) (LAPACK's sytrs); batch
    dims broadcast. Not differentiable, as torch's."""
    op = "torch.linalg.ldl_solve"
    _check_square_float(LD, op, "ldl_solve_kernel_cpu")
    if B.dtype != LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{torch_name(B.dtype)} and A of type {torch_name(LD.dtype)} "
                           f"instead.")
    if B.ndim < 2:
        n = max(B.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got -2)")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {op}: each A matrix is {n} by {n} "
                           f"but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    if pivots.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: Expected pivots to be integers. Got "
                           f"{torch_name(pivots.dtype)}")
    if pivots.shape != LD.shape[:-1]:
        raise RuntimeError(f"{op}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    piv = pivots.array
    if piv.size and (np.abs(piv).min() < 1 or np.abs(piv).max() > n):
        raise RuntimeError(f"{op}: pivots must be between 1 and {n} in absolute value (the "
                           f"pivots of ldl_factor)")
    return LdlSolve.apply(LD, B, piv)


# ----------------------------------------------------------------------------- tensor equations
def tensorinv(input, ind=2):
    """The X with tensordot(A, X, ind) = I: A = ``input`` read as a (Π A.shape[:ind],
    Π A.shape[ind:]) square matrix, inverted, and shaped A.shape[ind:] + A.shape[:ind]."""
    A = input
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    x, info = inv_ex(A.reshape(rows, cols))
    raise_for_info(info.array, "inv", _SINGULAR, True)
    return x.reshape(*(A.shape[ind:] + A.shape[:ind]))


def tensorsolve(input, other, dims=None):
    """The X with tensordot(A, X, X.ndim) = B (A = ``input``, B = ``other``: torch's
    keywords): ``dims`` of A moved to the end first, then A read as a square matrix of side
    B.numel() and solved."""
    A, B = input, other
    if dims is not None:
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"linalg_tensorsolve(): argument 'dims' must be tuple of ints, not "
                            f"{type(dims).__name__}")
        dims = [wrap_dim(d, A.ndim) for d in dims]
        rest = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(*(rest + dims))
    shape = A.shape[B.ndim:]
    n = math.prod(shape)
    if n != B.numel():
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:"
                           f"]) == prod(self.shape[:other.ndim]), but got {n} != {B.numel()}")
    if A.numel() != n * n:
        raise RuntimeError(f"shape '[{n}, {n}]' is invalid for input of size {A.numel()}")
    return solve(A.reshape(n, n), B.reshape(n)).reshape(*shape)
