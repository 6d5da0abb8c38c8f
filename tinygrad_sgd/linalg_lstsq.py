"""``torch.linalg.lstsq``: the least-squares solution X minimising ‖A·X − B‖ per driver.

* ``gelsd``, ``gelss`` (SVD) and ``gels`` (QR): the pseudo-inverse's solution A⁺·B, singular
  values below rcond·σ_max dropped; ``gels`` refuses a matrix its QR finds rank-deficient
  (LAPACK's rounding replayed: :func:`_qr_zero_pivot`);
* ``gelsy`` (the default): a QR whose leading triangle is grown while its estimated
  condition number stays below 1/rcond (:func:`_gelsy`) — with an rcond that drops
  directions, a different solution than the SVD drivers', as LAPACK's. (torch hands LAPACK
  an uninitialised column-pivot array: mostly every column is fixed, no pivoting, which is
  what we do; now and then torch pivots some, and its result for such an rcond changes
  from call to call);
* the gradient (:class:`LstsqSolution`) is torch's for every driver and rcond: that of
  A⁺·B with the default pseudo-inverse.
"""
import numpy as np

from .autograd import Function
from .functions.reduce import torch_name
from .linalg_solvers import raise_for_info, return_types
from .autograd.torch_names import named
from .ops.decompositions import BesideOutput, Pinv, pinv_backward, svd_array, _inverse_above
from .tensor import Tensor

__all__ = ["lstsq", "LstsqSolution"]


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
    s = svd_array(a, compute_uv=False)
    suspect = s[:, -1] <= s[:, 0] * max(1e-2, 16.0 * m * n * eps)
    for k in np.flatnonzero(suspect & np.any(a != 0, axis=(1, 2))):
        info[k] = _qr_zero_pivot(a[k] if m >= n else a[k].T)
    return info.reshape(A.shape[:-2])


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares X minimising ‖A·X − B‖ (the minimum-norm one, singular values below
    rcond·σ_max dropped; for gelsy, :func:`_gelsy`'s), as torch's named tuple: ``solution``, ``residuals`` (‖A·X − B‖²
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
    if A.dtype.kind != "f" or A.dtype == np.float16:
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
    rc = _cutoff(rcond, driver, A.dtype, m, n)
    s = svd_array(A.array, compute_uv=False) if min(m, n) else \
        np.zeros(A.shape[:-2] + (0,), A.dtype)
    batch = np.broadcast_shapes(A.shape[:-2], b.shape[:-2])
    a, bb = np.broadcast_to(A.array, batch + (m, n)), np.broadcast_to(b.array, batch + b.shape[-2:])
    value = _pinv_array(a, 0 if driver == "gels" else rc) @ bb
    rank = np.sum(s > rc * s.max(-1, initial=0)[..., None], -1).astype(np.int64)
    if driver == "gelsy":
        # where σ_min ≥ rcond·σ_max and m ≥ n, every leading triangle's estimated condition
        # is within 1/rcond: full rank, the solution above; only the others take the QR way
        sb = np.broadcast_to(s, batch + s.shape[-1:])
        rank = np.broadcast_to(rank, batch).copy()
        redo = np.ones(batch, bool) if m < n or not n else sb[..., -1] < rc * sb[..., 0]
        if redo.any():
            value[redo], rank[redo] = _gelsy(a[redo], bb[redo], rc)
        # the rank is A's alone: torch reports it in A's batch shape, not the broadcast one
        rank = rank[tuple(slice(None) if da == db else slice(0, 1)
                          for da, db in zip(A.shape[:-2], batch))]
    x = LstsqSolution.apply(A, b, value.astype(A.dtype, copy=False))
    empty = Tensor._of(np.zeros((0,), A.dtype))
    if m > n and driver != "gelsy" and (driver == "gels" or np.all(rank == n)):
        residuals = ((A @ x - b) ** 2).sum(-2)      # (a vector B keeps its column: (…, 1))
    else:                                           # (torch's node's output all the same: it
        residuals = BesideOutput.apply(A, B, value=empty.array)   # requires grad, no gradient)
    residuals = named(residuals, "LinalgLstsqBackward0")
    return return_types.linalg_lstsq(
        x.squeeze(-1) if vector else x, residuals,
        Tensor._of(np.zeros((0,), np.int64)) if driver == "gels" else Tensor._of(rank),
        Tensor._of(s) if driver in ("gelsd", "gelss") else empty)


def _cutoff(rcond, driver, dtype, m, n):
    """The relative cutoff below σ_max that each driver drops, as torch hands ``rcond`` to
    LAPACK: None → eps·max(m, n); else as given, but a negative one means eps for gelss and
    gelsd (so does 0 for gelsd: LAPACK's ``lalsd``), while gelsy drops nothing then."""
    eps = float(np.finfo(dtype).eps)
    if rcond is None:
        return eps * max(m, n)
    if (driver == "gelss" and rcond < 0) or (driver == "gelsd" and rcond <= 0):
        return eps if driver == "gelss" else eps / 2     # dlamch('P') and dlamch('E')
    return max(rcond, 0) if driver == "gelsy" else rcond


class LstsqSolution(Function):
    """X, the driver's least-squares solution of A·X = B (computed before: ``value``). The
    backward is torch's linalg_lstsq_backward for every driver and rcond: that of X = A⁺·B
    with the default pseudo-inverse (cutoff eps·max(m, n)), so dL/dB = A⁺ᵀ·g and dL/dA is
    the pseudo-inverse's backward at g·Bᵀ."""
    inputs, rule = ("A", "B"), "X = A⁺·B"
    derivatives = ("dL/dA = pinv_backward(A, A⁺, g·Bᵀ)", "dL/dB = A⁺ᵀ·g")
    grad_fn_name = "LinalgLstsqBackward"

    def forward(self, a, b, value):
        self.save_for_backward(a, b)
        return value

    def backward(self, g):
        a, b = self.saved_tensors
        m, n = a.shape[-2:]
        rtol = np.asarray(np.finfo(a.dtype).eps * max(m, n), a.dtype)
        p = Pinv.apply(a, np.asarray(0, a.dtype), rtol, False)
        return pinv_backward(a, p, g @ b.mT), p.mT @ g


def _pinv_array(a, rc):
    """A⁺ (NumPy) over the singular values above rc·σ_max (the SVD drivers' solution)."""
    if a.size == 0:
        return np.zeros(a.shape[:-2] + a.shape[:-3:-1], a.dtype)
    u, s, vh = svd_array(a)
    inv = _inverse_above(s, s, 0, rc)
    return (np.swapaxes(vh, -1, -2) * inv[..., None, :] @ np.swapaxes(u, -1, -2)).astype(a.dtype)


def _gelsy(a, b, rcond):
    """LAPACK gelsy's solution and rank as torch gets them, for a (…, m, n), b (…, m, k): a
    Householder QR A = Q·R (torch's column-pivot array fixes every column, so no pivoting
    happens); the rank r is the largest for which every leading triangle R[:j, :j] (j ≤ r)
    has σ_max·rcond ≤ σ_min, as estimated by :func:`_gelsy_rank`; then X, the minimum-norm
    solution of R[:r]·X = (Qᵀb)[:r]. With the default rcond and a matrix of full rank this
    is A's least-squares solution; with a larger rcond, the solution in the span of A's
    first r columns (not the SVD drivers' truncation)."""
    batch, (m, n), k = a.shape[:-2], a.shape[-2:], b.shape[-1]
    a = a.reshape((int(np.prod(batch)), m, n)).copy()
    c = b.reshape((a.shape[0], m, k)).copy()
    N, t = a.shape[0], min(m, n)
    for i in range(t):
        v = a[:, i:, i].copy()
        norm = np.linalg.norm(v, axis=1)
        beta = np.where(v[:, 0] < 0, norm, -norm)
        v[:, 0] -= beta
        vv = np.einsum("bi,bi->b", v, v)
        tau = np.where(vv > 0, 2 / np.where(vv > 0, vv, 1), 0)[:, None, None]
        v = v[:, :, None]
        a[:, i:, i:] -= tau * v * np.einsum("bi,bij->bj", v[..., 0], a[:, i:, i:])[:, None, :]
        c[:, i:] -= tau * v * np.einsum("bi,bij->bj", v[..., 0], c[:, i:])[:, None, :]
    r_fac = np.triu(a[:, :t, :])
    rank = np.array([_gelsy_rank(r, rcond) for r in r_fac], np.int64)
    x = np.zeros((N, n, k), a.dtype)
    for r in np.unique(rank[rank > 0]):
        sel = np.flatnonzero(rank == r)
        q, l = np.linalg.qr(np.swapaxes(r_fac[sel, :r, :], -1, -2))   # R[:r]ᵀ = q·l
        z = q @ np.linalg.solve(np.swapaxes(l, -1, -2), c[sel, :r])
        x[sel] = z
    return x.reshape(batch + (n, k)), rank.reshape(batch)


def _gelsy_rank(r, rcond):
    """The rank gelsy finds for the triangle r: grown column by column while the estimates
    of σ_max and σ_min of r[:j, :j] (LAPACK's incremental condition estimation, ``laic1``)
    keep σ_max·rcond ≤ σ_min."""
    if r.shape[0] == 0 or r[0, 0] == 0:
        return 0
    eps = np.finfo(r.dtype).eps / 2      # LAPACK's dlamch('Epsilon'): the unit roundoff
    smax = smin = abs(float(r[0, 0]))
    xmin, xmax = np.ones(1), np.ones(1)
    for j in range(1, r.shape[0]):
        w, gamma = r[:j, j].astype(np.float64), float(r[j, j])
        sminpr, s1, c1 = _laic1(False, xmin, smin, w, gamma, eps)
        smaxpr, s2, c2 = _laic1(True, xmax, smax, w, gamma, eps)
        if not smaxpr * rcond <= sminpr:
            return j
        xmin, xmax = np.append(s1 * xmin, c1), np.append(s2 * xmax, c2)
        smin, smax = sminpr, smaxpr
    return r.shape[0]


def _laic1(largest, x, sest, w, gamma, eps):
    """LAPACK ``laic1``: given x (‖x‖ = 1) with ‖L·x‖ = sest for a triangle L, the estimate
    sestpr of the largest (or smallest) singular value of L grown by the row [wᵀ γ], and
    (s, c) with [s·x; c] its approximate singular vector."""
    alpha = float(x @ w)
    absalp, absgam, absest = abs(alpha), abs(gamma), abs(sest)
    sign = lambda v: 1.0 if v >= 0 else -1.0          # noqa: E731 (Fortran's SIGN(1, v))
    if largest:
        if sest == 0:
            s1 = max(absgam, absalp)
            if s1 == 0:
                return 0.0, 0.0, 1.0
            s, c = alpha / s1, gamma / s1
            tmp = np.sqrt(s * s + c * c)
            return s1 * tmp, s / tmp, c / tmp
        if absgam <= eps * absest:
            tmp = max(absest, absalp)
            s1, s2 = absest / tmp, absalp / tmp
            return tmp * np.sqrt(s1 * s1 + s2 * s2), 1.0, 0.0
        if absalp <= eps * absest:
            return (absest, 1.0, 0.0) if absgam <= absest else (absgam, 0.0, 1.0)
        if absest <= eps * absalp or absest <= eps * absgam:
            if absgam <= absalp:
                tmp = absgam / absalp
                s = np.sqrt(1 + tmp * tmp)
                return absalp * s, sign(alpha) / s, (gamma / absalp) / s
            tmp = absalp / absgam
            c = np.sqrt(1 + tmp * tmp)
            return absgam * c, (alpha / absgam) / c, sign(gamma) / c
        zeta1, zeta2 = alpha / absest, gamma / absest
        b = (1 - zeta1 * zeta1 - zeta2 * zeta2) * 0.5
        c = zeta1 * zeta1
        t = c / (b + np.sqrt(b * b + c)) if b > 0 else np.sqrt(b * b + c) - b
        sine, cosine = -zeta1 / t, -zeta2 / (1 + t)
        tmp = np.sqrt(sine * sine + cosine * cosine)
        return np.sqrt(t + 1) * absest, sine / tmp, cosine / tmp
    if sest == 0:
        sine, cosine = (1.0, 0.0) if max(absgam, absalp) == 0 else (-gamma, alpha)
        s1 = max(abs(sine), abs(cosine))
        s, c = sine / s1, cosine / s1
        tmp = np.sqrt(s * s + c * c)
        return 0.0, s / tmp, c / tmp
    if absgam <= eps * absest:
        return absgam, 0.0, 1.0
    if absalp <= eps * absest:
        return (absgam, 0.0, 1.0) if absgam <= absest else (absest, 1.0, 0.0)
    if absest <= eps * absalp or absest <= eps * absgam:
        if absgam <= absalp:
            tmp = absgam / absalp
            c = np.sqrt(1 + tmp * tmp)
            return absest * (tmp / c), -(gamma / absalp) / c, sign(alpha) / c
        tmp = absalp / absgam
        s = np.sqrt(1 + tmp * tmp)
        return absest / s, -sign(gamma) / s, (alpha / absgam) / s
    zeta1, zeta2 = alpha / absest, gamma / absest
    norma = max(1 + zeta1 * zeta1 + abs(zeta1 * zeta2), abs(zeta1 * zeta2) + zeta2 * zeta2)
    if 1 + 2 * (zeta1 - zeta2) * (zeta1 + zeta2) >= 0:      # the root is near zero
        b = (zeta1 * zeta1 + zeta2 * zeta2 + 1) * 0.5
        c = zeta2 * zeta2
        t = c / (b + np.sqrt(abs(b * b - c)))
        sine, cosine = zeta1 / (1 - t), -zeta2 / t
        sestpr = np.sqrt(t + 4 * eps * eps * norma) * absest
    else:                                                     # near one: shifted
        b = (zeta2 * zeta2 + zeta1 * zeta1 - 1) * 0.5
        c = zeta1 * zeta1
        t = -c / (b + np.sqrt(b * b + c)) if b >= 0 else b - np.sqrt(b * b + c)
        sine, cosine = -zeta1 / t, -zeta2 / (1 + t)
        sestpr = np.sqrt(1 + t + 4 * eps * eps * norma) * absest
    tmp = np.sqrt(sine * sine + cosine * cosine)
    return sestpr, sine / tmp, cosine / tmp
