"""The LU factorisation A = P·L·U with its own backward, the unpacking of LAPACK's packed
factors, and LAPACK's compact QR (no gradient, as torch).

* :class:`LuFactor` — the packed factors (L below the diagonal, U on and above it) of
  :func:`~tinygrad_sgd.kernels.lu.getrf`; its backward is :func:`lu_grad`, written with
  triangular solves and products, so it is differentiable again;
* :class:`LuUnpack` — L or U read out of the packed matrix (``torch.lu_unpack``); its
  gradient is written back into the same places; :class:`LuFactors` is the same node named
  as torch names ``linalg.lu``'s;
* :class:`Geqrf` — (a, tau) of :func:`~tinygrad_sgd.kernels.lu.geqrf`;
  :class:`LdlFactor`, :class:`LdlSolve` — LAPACK's sytrf/sytrs (Bunch–Kaufman LDLᵀ): their
  backward raises, as torch's (torch defines no derivative for them).

The solves with these factors, the Householder products and ``ormqr`` are compositions of
:class:`~tinygrad_sgd.ops.decompositions.SolveTriangular` and products, in
:mod:`tinygrad_sgd.linalg_lu`.
"""
import numpy as np

from ..autograd import Function
from ..kernels.lu import geqrf, getrf, pivots_to_permutation, sytrf, sytrs
from .decompositions import SolveTriangular

__all__ = ["LuFactor", "LuUnpack", "LuFactors", "Geqrf", "HouseholderIdentity", "LdlFactor",
           "LdlSolve", "lu_grad",
           "permutation_matrix"]


def permutation_matrix(pivots, m, dtype):
    """P (…, m, m) with A = P·L·U from LAPACK's 1-based ``pivots`` (…, k): P[perm[i], i] = 1."""
    perm = pivots_to_permutation(pivots, m)
    p = np.zeros(perm.shape + (m,), dtype)
    np.put_along_axis(p, perm[..., None, :], 1, -2)
    return p


def _solve(a, b, upper, unit=False, left=True):
    """tri(A)⁻¹·B (``left``) or B·tri(A)⁻¹."""
    if left:
        return SolveTriangular.apply(a, b, upper, unit)
    return SolveTriangular.apply(a.mT, b.mT, not upper, unit).mT


def lu_grad(p, low, up, g_low, g_up):
    """dL/dA of A = P·L·U, L (m, k) unit lower, U (k, n) upper, from the factors' gradients
    (torch's linalg_lu_backward; only tril(g_L, −1) and triu(g_U) count). Square:
    dA = P·L⁻ᵀ·(tril(Lᵀ·g_L, −1) + triu(g_U·Uᵀ))·U⁻ᵀ. Wide (m < n, U = [U₁ U₂]): the same
    with U₁ for the square part, g_U's extra columns passed straight through L⁻ᵀ. Tall
    (m > n, L = [L₁; L₂]): the transposed form."""
    from ..functions import cat
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if k == 0:                  # no factor entries: nothing depends on A
        return Function.constant(np.zeros(p.shape[:-2] + (m, n), p.dtype))
    if m == n:
        inner = (low.mT @ g_low).tril(-1) + (g_up @ up.mT).triu()
        grad = _solve(low.mT, _solve(up.mT, inner, False, left=False), True, True)
    elif m < n:
        inner = (low.mT @ g_low - g_up.triu() @ up.mT).tril(-1)
        y = _solve(up[..., :, :k].mT, inner, False, left=False)
        grad = _solve(low.mT, cat([y + g_up[..., :, :k].triu(), g_up[..., :, k:]], -1), True,
                      True)
    else:
        inner = (g_up @ up.mT - low.mT @ g_low.tril(-1)).triu()
        y = _solve(low[..., :k, :].mT, inner, True, True)
        grad = _solve(up.mT, cat([y + g_low[..., :k, :].tril(-1), g_low[..., k:, :]], -2),
                      False, left=False)
    return p @ grad


def _unpack(lu, which):
    """L (m, k) = tril(LU, −1) + I or U (k, n) = triu(LU) of the packed (…, m, n) array."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    if which == "L":
        return np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    return np.triu(lu[..., :k, :])


class LuFactor(Function):
    """The packed LU factors of A (…, m, n) = P·L·U, LAPACK's getrf (partial pivoting);
    ``report``, if given, gets ``pivots`` (…, k) int32, 1-based, and ``info`` (…) int32.
    Backward: L, U and P are unpacked from the result and :func:`lu_grad` takes
    g_L = g[…, :, :k], g_U = g[…, :k, :]."""
    inputs, rule = ("A",), "A = P·L·U; z = (L − I) + U packed"
    derivatives = ("dL/dA = P·L⁻ᵀ·(tril(Lᵀ·g, −1) + triu(g·Uᵀ))·U⁻ᵀ  (square A)",)
    grad_fn_name = "LinalgLuFactorExBackward"

    def forward(self, a, report=None):
        lu, pivots, info = getrf(a.array)
        if report is not None:
            report.update(pivots=pivots, info=info)
        self.keep_array("pivots", pivots)
        self.save_output(lu)
        return lu

    def backward(self, g):
        lu = self.output()
        m, n = lu.shape[-2:]
        k = min(m, n)
        p = self.constant(permutation_matrix(self.kept_array("pivots"), m, lu.dtype))
        low, up = LuUnpack.apply(lu, "L"), LuUnpack.apply(lu, "U")
        return lu_grad(p, low, up, g[..., :, :k], g[..., :k, :])


class LuUnpack(Function):
    """L = tril(LU, −1)[…, :, :k] + I (``which`` "L") or U = triu(LU)[…, :k, :] ("U") of
    the packed factors; the gradient goes back into the same places, 0 elsewhere."""
    inputs, rule = ("LU",), "L = tril(LU, −1) + I  or  U = triu(LU)"
    derivatives = ("dL/dLU = tril(g, −1) (L) or triu(g) (U), padded with zeros to LU's shape",)

    def forward(self, lu, which):
        self.which, self.shape = which, lu.shape
        return _unpack(lu.array, which)

    def backward(self, g):
        from ..functions import cat
        m, n = self.shape[-2:]
        if self.which == "L":
            part, rest, dim = g.tril(-1), (m, n - min(m, n)), -1
        else:
            part, rest, dim = g.triu(), (m - min(m, n), n), -2
        if rest[dim] == 0:                     # nothing to pad along the joining dim
            return part
        return cat([part, self.constant(np.zeros(g.shape[:-2] + rest, g.dtype))], dim)


class LuFactors(LuUnpack):
    """L or U of ``linalg.lu``: :class:`LuUnpack` of :class:`LuFactor`'s packed result, named
    as torch names that node."""
    grad_fn_name = "LinalgLuBackward"


class Geqrf(Function):
    """``which`` "a" (R above the diagonal, the Householder vectors below) or "tau" of LAPACK's
    geqrf. torch defines no derivative for it: backward raises NotImplementedError."""
    inputs, rule = ("A",), "A = H₁·…·H_k·R (compact)"
    derivatives = ("not differentiable (as torch)",)

    def forward(self, a, which, result=None):
        """``result``: the kernel's (a, tau), when the other factor's node computed it."""
        return (geqrf(a.array) if result is None else result)[0 if which == "a" else 1]

    def backward(self, g):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


class HouseholderIdentity(Function):
    """``linalg.householder_product`` with nothing to multiply (no reflector, k = 0, or an
    empty input): the first n columns of the identity. In the graph of A and tau, but with no
    gradient for either (None, as torch's backward gives none when A or tau is empty)."""
    inputs, rule = ("A", "tau"), "Q = I[:, :n] (no reflector)"
    derivatives = ("none (as torch)", "none (as torch)")
    grad_fn_name = "HouseholderProductBackward"

    def forward(self, a, tau):
        m, n = a.shape[-2:]
        return np.broadcast_to(np.eye(m, n, dtype=a.array.dtype), a.shape).copy()

    def backward(self, g):
        return None, None


class LdlFactor(Function):
    """The packed factors LD of A = P·L·D·Lᵀ·Pᵀ (LAPACK's sytrf, lower, Bunch–Kaufman
    pivoting; A's lower triangle is read); ``report`` gets ``pivots`` and ``info``. torch
    defines no derivative: backward raises."""
    inputs, rule = ("A",), "A = P·L·D·Lᵀ·Pᵀ; z = L and D packed"
    derivatives = ("not differentiable (as torch)",)
    grad_fn_name = "LinalgLdlFactorExBackward"

    def forward(self, a, report=None):
        ld, pivots, info = sytrf(a.array)
        if report is not None:
            report.update(pivots=pivots, info=info)
        return ld

    def backward(self, g):
        raise RuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


class LdlSolve(Function):
    """X with A·X = B from :class:`LdlFactor`'s (LD, pivots) (LAPACK's sytrs); batch dims
    broadcast. torch defines no derivative: backward raises."""
    inputs, rule = ("LD", "B"), "X = A⁻¹·B,  A = P·L·D·Lᵀ·Pᵀ"
    derivatives = ("not differentiable (as torch)", "not differentiable (as torch)")
    grad_fn_name = "LinalgLdlSolveBackward"

    def forward(self, ld, b, pivots):
        n, r = ld.shape[-1], b.shape[-1]
        batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
        flat = (int(np.prod(batch)), n)
        x = sytrs(np.broadcast_to(ld.array, batch + (n, n)).reshape(flat + (n,)),
                  np.broadcast_to(pivots, batch + (n,)).reshape(flat),
                  np.broadcast_to(b.array, batch + (n, r)).reshape(flat + (r,)))
        return x.reshape(batch + (n, r))

    def backward(self, g):
        raise RuntimeError("derivative for aten::linalg_ldl_solve is not implemented")
