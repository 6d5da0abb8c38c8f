"""NumPy kernels of LAPACK's getrf (LU with partial pivoting) and geqrf (Householder QR in
compact form), batched: each is a loop over the columns, every step vectorised over the batch
and the trailing submatrix. They follow LAPACK's choices, so that the factors are LAPACK's
(and torch's) up to rounding:

* getrf picks as pivot the row of the largest |a| in the column (the first one on ties, as
  ``idamax``), scales the column below it by the reciprocal of the pivot, and records in
  ``info`` the first zero pivot (1-based; the column is then left unscaled and the
  factorisation goes on);
* geqrf's reflector for a column x = (α, x₂) is dlarfg's: β = −sign(α)·‖x‖,
  τ = (β − α)/β, v = (1, x₂/(α − β)); τ = 0 (H = I) when x₂ = 0.
"""
import math

import numpy as np

__all__ = ["getrf", "geqrf", "pivots_to_permutation", "sytrf", "sytrs"]


def _flat(a):
    """A copy of ``a`` as (batch, m, n), and the batch shape."""
    batch = a.shape[:-2]
    return np.array(a, copy=True).reshape((math.prod(batch),) + a.shape[-2:]), batch


def getrf(a):
    """``(lu, pivots, info)`` of the (…, m, n) matrices ``a``: L (unit, below the diagonal)
    and U (on and above it) packed in ``lu``; ``pivots`` (…, min(m, n)) int32, 1-based: row
    i was swapped with row pivots[i] at step i; ``info`` (…) int32, the first zero pivot."""
    lu, batch = _flat(a)
    b, m, n = lu.shape
    k = min(m, n)
    rows = np.arange(b)
    piv = np.zeros((b, k), np.int32)
    info = np.zeros(b, np.int32)
    with np.errstate(all="ignore"):
        for j in range(k):
            p = np.argmax(np.abs(lu[:, j:, j]), -1) + j if b else np.zeros(0, np.int64)
            piv[:, j] = p + 1
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
            d = lu[:, j, j]
            zero = d == 0
            info = np.where((info == 0) & zero, j + 1, info)
            scale = np.where(zero, 1, 1 / np.where(zero, 1, d)).astype(lu.dtype)
            lu[:, j + 1:, j] *= scale[:, None]
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return (lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)),
            info.reshape(batch).astype(np.int32))


def pivots_to_permutation(pivots, m):
    """The row order ``perm`` (…, m) that LAPACK's swaps, made one after the other, give:
    A[perm] = L·U, so A = P·L·U with P[perm[i], i] = 1."""
    batch = pivots.shape[:-1]
    piv = pivots.reshape(math.prod(batch), pivots.shape[-1]).astype(np.int64) - 1
    perm = np.broadcast_to(np.arange(m), (piv.shape[0], m)).copy()     # (a loop over k)
    rows = np.arange(piv.shape[0])
    for j in range(piv.shape[-1]):
        p = piv[:, j]
        top = perm[:, j].copy()
        perm[:, j] = perm[rows, p]
        perm[rows, p] = top
    return perm.reshape(batch + (m,))


def geqrf(a):
    """``(qr, tau)``: R on and above the diagonal of ``qr``, the Householder vectors v_j
    (their leading 1 implied) below it, and ``tau`` (…, min(m, n)), so that
    A = H₁·…·H_k·R with H_j = I − τ_j·v_j·v_jᵀ."""
    qr, batch = _flat(a)
    b, m, n = qr.shape
    k = min(m, n)
    tau = np.zeros((b, k), qr.dtype)
    with np.errstate(all="ignore"):
        for j in range(k):
            alpha = qr[:, j, j].copy()
            tail = qr[:, j + 1:, j]
            xnorm = np.sqrt(np.sum(tail * tail, -1))
            skip = xnorm == 0
            beta = -np.copysign(np.hypot(alpha, xnorm), alpha)
            t = np.where(skip, 0, (beta - alpha) / np.where(skip, 1, beta))
            tail *= np.where(skip, 1, 1 / np.where(skip, 1, alpha - beta))[:, None]
            qr[:, j, j] = np.where(skip, alpha, beta)
            tau[:, j] = t
            v = np.concatenate([np.ones((b, 1), qr.dtype), tail], -1)      # (b, m − j)
            w = np.einsum("bi,bic->bc", v, qr[:, j:, j + 1:])
            qr[:, j:, j + 1:] -= (t[:, None] * v)[:, :, None] * w[:, None, :]
    return qr.reshape(batch + (m, n)), tau.reshape(batch + (k,))


# ----------------------------------------------------------------------------- LDLᵀ
_ALPHA = (1 + 17 ** 0.5) / 8     # Bunch–Kaufman's threshold (a Python float: keeps float32)


def sytrf(a):
    """``(ld, pivots, info)``: LAPACK's sytf2 (lower, Bunch–Kaufman) of the symmetric
    matrices whose lower triangle is ``a``'s: A = L·D·Lᵀ with 1×1 and 2×2 blocks in D (on
    ``ld``'s diagonal band), L's columns below them, 0 above the diagonal; ``pivots`` as
    LAPACK's ipiv (k > 0: rows k and ipiv swapped, a 1×1 block; two equal negatives −p:
    a 2×2 block, rows k+1 and p swapped). The matrices of a batch take steps of different
    sizes, so each has its own column ``k``: every step works on the whole (batch, n, n)
    array under masks (trailing rows/columns of each matrix)."""
    w, batch = _flat(a)
    b, n, _ = w.shape
    w = np.tril(w) + np.swapaxes(np.tril(w, -1), -1, -2)       # symmetric working copy
    out = np.zeros_like(w)                                       # finished columns of L, D
    piv = np.zeros((b, n), np.int32)
    info = np.zeros(b, np.int32)
    k = np.zeros(b, np.int64)
    rows, idx = np.arange(b), np.arange(n)
    with np.errstate(all="ignore"):
        while np.any(k < n):
            go = k < n
            kc = np.minimum(k, n - 1)
            absakk = np.abs(w[rows, kc, kc])
            below = idx[None, :] > kc[:, None]
            col = np.where(below, np.abs(w[rows, :, kc]), -1.0)
            imax = np.argmax(col, -1)
            colmax = np.maximum(col[rows, imax], 0)
            zero = np.where(absakk > colmax, absakk, colmax) == 0     # (a NaN: as MKL's)
            # the largest off-diagonal |a| in row/column imax of the trailing block
            trail = (idx[None, :] >= kc[:, None]) & (idx[None, :] != imax[:, None])
            rowmax = np.where(trail, np.abs(w[rows, imax, :]), 0).max(-1)
            one_k = absakk >= _ALPHA * colmax
            one_k |= absakk >= _ALPHA * colmax * (colmax / rowmax)
            one_imax = ~one_k & (np.abs(w[rows, imax, imax]) >= _ALPHA * rowmax)
            step = np.where(zero | one_k | one_imax, 1, 2)
            kp = np.where(zero | one_k, kc, imax)
            info = np.where(go & zero & (info == 0), kc + 1, info)
            kk = kc + step - 1
            # symmetric interchange of kk and kp inside the trailing block
            perm = np.broadcast_to(idx, (b, n)).copy()
            perm[rows, kk], perm[rows, kp] = kp, kk
            swapped = w[rows[:, None, None], perm[:, :, None], perm[:, None, :]]
            inside = (idx[None, :, None] >= kc[:, None, None]) & \
                     (idx[None, None, :] >= kc[:, None, None]) & go[:, None, None]
            w = np.where(inside, swapped, w)
            # one step: D's block, L's column(s), the update of the trailing block
            d = w[rows, kc, kc]
            x = np.where(below, w[rows, :, kc], 0)
            one = go & (step == 1) & ~zero
            l1 = x * (1 / d)[:, None]                # (LAPACK scales by 1/d)
            upd1 = np.where(below[:, :, None] & below[:, None, :],
                            x[:, :, None] * l1[:, None, :], 0)
            kc1 = np.minimum(kc + 1, n - 1)
            below2 = idx[None, :] > kc1[:, None]
            x0 = np.where(below2, w[rows, :, kc], 0)
            x1 = np.where(below2, w[rows, :, kc1], 0)
            d21 = w[rows, kc1, kc]
            d11, d22 = w[rows, kc1, kc1] / d21, d / d21
            t = (1 / (d11 * d22 - 1)) / d21
            wk = t[:, None] * (d11[:, None] * x0 - x1)
            wkp1 = t[:, None] * (d22[:, None] * x1 - x0)
            two = go & (step == 2)
            both = below2[:, :, None] & below2[:, None, :] & two[:, None, None]
            w = w - np.where(one[:, None, None], upd1, 0)
            w = np.where(both, w - x0[:, :, None] * wk[:, None, :], w)
            w = np.where(both, w - x1[:, :, None] * wkp1[:, None, :], w)
            # record: column k (and k+1) of L and D
            col_k = np.where(one[:, None], l1, np.where(two[:, None], wk, x))
            col_k = np.where(idx[None, :] == kc[:, None], d[:, None], col_k)
            col_k = np.where(two[:, None] & (idx[None, :] == kc1[:, None]), d21[:, None], col_k)
            out[rows[go], :, kc[go]] = col_k[go]
            col_k1 = np.where(idx[None, :] == kc1[:, None], w[rows, kc1, kc1][:, None], wkp1)
            out[rows[two], :, kc1[two]] = col_k1[two]
            piv[rows[go], kc[go]] = np.where(step == 2, -(kp + 1), kp + 1)[go]
            piv[rows[two], kc1[two]] = -(kp[two] + 1)
            k = np.where(go, k + step, k)
    return (np.tril(out).reshape(a.shape), piv.reshape(batch + (n,)),
            info.reshape(batch).astype(np.int32))


def _swap_rows(x, go, i, j):
    """Rows i and j (per matrix) of x (batch, n, r) swapped where ``go``."""
    rows = np.arange(x.shape[0])
    xi, xj = x[rows, i].copy(), x[rows, j].copy()
    x[rows, i] = np.where(go[:, None], xj, xi)
    x[rows, j] = np.where(go[:, None], xi, x[rows, j])


def sytrs(ld, pivots, b):
    """X with A·X = B from :func:`sytrf`'s (ld, pivots) (LAPACK's sytrs, lower): first
    L·D·Y = B column block by column block (swap, eliminate below, solve D's block), then
    Lᵀ·X = Y backwards. ``ld`` (batch, n, n), ``pivots`` (batch, n), ``b`` (batch, n, r) with
    one batch; each matrix steps by its own block sizes, under masks."""
    x = np.array(b, copy=True)
    nb, n = pivots.shape
    rows, idx = np.arange(nb), np.arange(n)
    with np.errstate(all="ignore"):
        k = np.zeros(nb, np.int64)
        while np.any(k < n):
            go = k < n
            kc = np.minimum(k, n - 1)
            p = pivots[rows, kc]
            two = go & (p < 0)
            kc1 = np.minimum(kc + 1, n - 1)
            _swap_rows(x, go, np.where(two, kc1, kc), np.abs(p) - 1)
            first = np.where(two, kc1, kc)
            below = (idx[None, :] > first[:, None])[:, :, None]
            l0, l1 = ld[rows, :, kc][:, :, None], ld[rows, :, kc1][:, :, None]
            x0, x1 = x[rows, kc][:, None, :], x[rows, kc1][:, None, :]
            step = l0 * x0 + np.where(two[:, None, None], l1 * x1, 0)
            x = np.where(below & go[:, None, None], x - step, x)
            d = ld[rows, kc, kc][:, None]
            akm1k = ld[rows, kc1, kc][:, None]
            akm1, ak = d / akm1k, ld[rows, kc1, kc1][:, None] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = x[rows, kc] / akm1k, x[rows, kc1] / akm1k
            one = go & ~two
            x[rows, kc] = np.where(one[:, None], x[rows, kc] / d,
                                   np.where(two[:, None], (ak * bkm1 - bk) / denom, x[rows, kc]))
            x[rows, kc1] = np.where(two[:, None], (akm1 * bk - bkm1) / denom, x[rows, kc1])
            k = np.where(go, k + np.where(two, 2, 1), k)
        k = np.full(nb, n - 1, np.int64)
        while np.any(k >= 0):
            go = k >= 0
            kc = np.maximum(k, 0)
            p = pivots[rows, kc]
            two = go & (p < 0)
            below = (idx[None, :] > kc[:, None])[:, :, None]
            tail = np.where(below, x, 0)
            dot_k = np.sum(ld[rows, :, kc][:, :, None] * tail, 1)
            km1 = np.maximum(kc - 1, 0)
            dot_km1 = np.sum(ld[rows, :, km1][:, :, None] * tail, 1)
            x[rows, kc] = np.where(go[:, None], x[rows, kc] - dot_k, x[rows, kc])
            x[rows, km1] = np.where(two[:, None], x[rows, km1] - dot_km1, x[rows, km1])
            _swap_rows(x, go, kc, np.abs(p) - 1)
            k = np.where(go, k - np.where(two, 2, 1), k)
    return x
