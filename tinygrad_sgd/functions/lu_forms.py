"""torch's top-level LU and Householder forms, also Tensor methods: ``lu`` (deprecated in torch
for linalg.lu_factor), ``lu_unpack``, ``lu_solve`` (deprecated: its arguments are (B, LU,
pivots)), ``geqrf`` (LAPACK's compact QR; no gradient, as torch), ``orgqr`` (=
linalg.householder_product) and ``ormqr`` (Q·C with Q given by geqrf's reflectors).

Each checks its arguments with torch's messages and calls :mod:`tinygrad_sgd.linalg_lu`
(or the ops of :mod:`tinygrad_sgd.ops.lu`), where the gradients come from.
"""
import warnings

import numpy as np

from ..errors import warn_level
from ..printing import return_type
from ..tensor import tensor_method

__all__ = ["lu", "lu_unpack", "lu_solve", "geqrf", "orgqr", "ormqr"]

_lu_with_info = return_type("_lu_with_info", "LU pivots info")
_geqrf = return_type("geqrf", "a tau")


def _linalg_lu():
    from .. import linalg_lu     # (imported when called: it imports this package)
    return linalg_lu


@tensor_method
def lu(A, pivot=True, get_infos=False):
    """(LU, pivots) of linalg.lu_factor, with ``info`` as well if ``get_infos`` (no error for
    a singular A either way, as torch). Deprecated in torch."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=warn_level(2))
    packed, pivots, info = _linalg_lu().lu_factor_ex(A, pivot=pivot)
    return _lu_with_info(packed, pivots, info) if get_infos else (packed, pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from lu_factor's packed (LU, pivots): A = P·L·U. Parts not asked for are
    empty tensors. L and U are differentiable w.r.t. LU_data."""
    return _linalg_lu().lu_unpack_parts(LU_data, LU_pivots, unpack_data, unpack_pivots)


@tensor_method
def lu_solve(input, LU_data, LU_pivots):
    """X with A·X = ``input`` (deprecated in torch for linalg.lu_solve(LU, pivots, B))."""
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has "
                  "its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be "
                  "replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)", UserWarning,
                  stacklevel=warn_level(2))
    return _linalg_lu().lu_solve(LU_data, LU_pivots, input)


@tensor_method
def geqrf(input):
    """(a, tau), LAPACK's QR in compact form: R on and above a's diagonal, the Householder
    vectors below it (their leading 1 implied), A = H₁·…·H_k·R. Not differentiable: the
    results require grad, and backward raises NotImplementedError, as torch."""
    from ..functions.reduce import torch_name
    from ..kernels.lu import geqrf as kernel
    from ..ops.lu import Geqrf
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if input.dtype.kind != "f" or input.dtype == np.float16:
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for "
                                  f"'{torch_name(input.dtype)}'")
    result = kernel(input.array)
    return _geqrf(Geqrf.apply(input, "a", result), Geqrf.apply(input, "tau", result))


@tensor_method
def orgqr(input, input2):
    """Q from geqrf's (a, tau) = (``input``, ``input2``: torch's keywords):
    linalg.householder_product."""
    return _linalg_lu().householder_product(input, input2)


@tensor_method
def ormqr(input, input2, input3, left=True, transpose=False):
    """Q·C, Qᵀ·C (``left``), C·Q or C·Qᵀ, C = ``input3`` (torch documents it as ``other``),
    Q = H₁·…·H_k from geqrf's (a, tau) = (``input``, ``input2``), without forming Q: one
    rank-one update per reflector. Differentiable w.r.t. all three."""
    tau, other = input2, input3
    from ..functions.reduce import torch_name
    ll = _linalg_lu()
    op = "torch.ormqr"
    ll.check_householder(input, tau, op, "ormqr_cpu")
    if other.ndim < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           f"input.shape[-1])")
    ll.check_tau_batch(input, tau, op)
    if other.ndim != input.ndim:
        raise RuntimeError(f"{op}: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {other.ndim} and input.ndim is "
                           f"equal to {input.ndim}")
    if other.shape[:-2] != input.shape[:-2]:
        raise RuntimeError(f"{op}: Expected batch dimensions of other to be equal to "
                           f"input.shape[:-2], but got {list(other.shape[:-2])}")
    for name, t in (("other", other), ("tau", tau)):
        if t.dtype != input.dtype:
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but "
                               f"input has dtype{torch_name(input.dtype)} and {name} has dtype "
                               f"{torch_name(t.dtype)}")
    k = tau.shape[-1]
    return ll.apply_householder(ll.reflectors(input, k), tau, other, left, transpose)
