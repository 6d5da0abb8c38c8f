"""torch's randomized low-rank decompositions: ``svd_lowrank`` and ``pca_lowrank`` (Halko,
Martinsson & Tropp 2009, Algorithm 4.4), as torch computes them — the same ``randn`` draw of
the test matrix, the same QR power iterations — so a seeded program gets torch's numbers.
Built from differentiable Tensor operations (matmul, linalg.qr, linalg.svd), so gradients
flow through them as in torch.
"""
from .. import dtypes
from .random import randn

__all__ = ["svd_lowrank", "pca_lowrank"]


def _linalg():
    from .. import linalg      # (imported when called: linalg imports this package)
    return linalg


def _floating(A):
    return A.dtype if A.dtype.is_floating_point else dtypes.float32


def _approximate_basis(A, q, niter, M):
    """Q with q orthonormal columns such that Q Qᴴ (A − M) ≈ A − M."""
    qr = _linalg().qr
    R = randn(A.shape[-1], q, dtype=_floating(A))
    X = A @ R
    if M is not None:
        X = X - M @ R
    Q = qr(X).Q
    for _ in range(niter):
        X = A.mT @ Q
        if M is not None:
            X = X - M.mT @ Q
        Q = qr(X).Q
        X = A @ Q
        if M is not None:
            X = X - M @ Q
        Q = qr(X).Q
    return Q


def _svd_lowrank(A, q, niter, M):
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A = A.mT
        M = None if M is None else M.mT
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mT @ A
    if M is not None:
        B = B - Q.mT @ M
    U, S, Vh = _linalg().svd(B, full_matrices=False)
    V, U = Vh.mT, Q @ U
    if m < n:
        U, V = V, U
    return U, S, V


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V), a nearly optimal rank-q approximation A − M ≈ U·diag(S)·Vᵀ (V, not Vh), from
    a random projection (one ``randn`` draw) and ``niter`` QR power iterations."""
    return _svd_lowrank(A, q, niter, M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the (``center``: column-centred) data matrix A (samples × features) by
    :func:`svd_lowrank`: V's columns are the principal directions, S²/(m−1) the variances;
    ``q`` defaults to min(6, m, n)."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not (niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    C = A.mean(dim=(-2,), keepdim=True)
    return _svd_lowrank(A - C, q, niter, None)
