"""Matrix functions with a backward of their own: inverse, determinant, log |det|, linear
and triangular solves, Cholesky, QR and symmetric eigen factors, the matrix exponential and
the pseudo-inverse, and the solve and inverse from a Cholesky factor. (The SVD factors are :class:`~tinygrad_sgd.ops.distance.SvdFactor`.)

Every op acts on the last two dims (batch dims in front, broadcast where two operands meet)
and every backward is written with these ops again, so it is differentiable again. A
factorisation with two results (QR, eigh) is one node per factor, as ``SvdFactor``: the
formulas are linear in the factors' gradients, so the engine's sum is the whole gradient.

The NumPy helpers at the bottom (a batched LU and Cholesky that stop at the first zero pivot)
are only used to report *which* batch element and pivot failed, as LAPACK's ``info``.
"""
# house: long file — the matrix ops' backwards are written with one another (Solve,
# SolveTriangular, CholeskySolve, Pinv) and share the NumPy solvers at the bottom: one page.
import numpy as np

from ..autograd import Function

__all__ = ["LinAlgError", "Inverse", "Det", "LogAbsDet", "Solve", "SolveTriangular",
           "CholeskySolve", "CholeskyInverse", "Cholesky", "QrFactor", "BesideOutput",
           "EighFactor", "MatrixExp", "Pinv"]


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a singular or not positive-definite input."""


def svd_array(a, full_matrices=False, compute_uv=True):
    """NumPy's SVD of each matrix of ``a``, whose failure to converge (a matrix holding NaN)
    raises torch's LinAlgError, not NumPy's (a ValueError: ``except RuntimeError`` missed it)."""
    try:
        return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    except np.linalg.LinAlgError:
        where = ""
        if a.ndim > 2:                  # torch names the first matrix that failed
            flat = a.reshape((-1,) + a.shape[-2:])
            for k, m in enumerate(flat):
                try:
                    np.linalg.svd(m, compute_uv=False)
                except np.linalg.LinAlgError:
                    where = f"(Batch element {k}): "
                    break
        raise LinAlgError(f"linalg.svd: {where}The algorithm failed to converge because the "
                          f"input matrix contained non-finite values.") from None


def _eye(n, dtype):
    return Function.constant(np.eye(n, dtype=dtype))


class Inverse(Function):
    """A⁻¹ of each square matrix (a singular one gives inf/NaN, as LAPACK; ``linalg.inv``
    raises LinAlgError for it). ``report["info"]`` gets LAPACK's info per matrix."""
    inputs, rule = ("A",), "X = A⁻¹"
    derivatives = ("dL/dA = −Xᵀ·g·Xᵀ",)
    grad_fn_name = "LinalgInvExBackward"

    def forward(self, a, report=None):
        out = lu_solve(a.array, None, report)
        self.save_output(out)
        return out

    def backward(self, g):
        x = self.output()
        return -(x.mT @ g @ x.mT)


class Det(Function):
    """det A. The gradient is the cofactor matrix: det·A⁻ᵀ where |det| is not tiny; else (as
    torch's differentiable path) through the SVD, det A = det U·det Vh·Π S, whose product rule
    needs no division: g·det U·det Vh·U·diag(Π_{j≠i} S_j)·Vh."""
    inputs, rule = ("A",), "z = det A"
    derivatives = ("dL/dA = g·cof(A) = g·det(A)·A⁻ᵀ",)
    grad_fn_name = "LinalgDetBackward"

    def forward(self, a):
        self.save_for_backward(a)
        with np.errstate(invalid="ignore"):
            out = np.asarray(np.linalg.det(a.array), a.dtype)
        nan = np.isnan(a.array).any((-2, -1))     # (NumPy's det of [[nan, 1], [1, 1]] was 0)
        if nan.any():
            out = np.asarray(np.where(nan, np.nan, out), a.dtype)
        self.save_output(out)
        return out

    def backward(self, g):
        (a,) = self.saved_tensors
        n = a.shape[-1]
        if a.numel() == 0:
            return a * 0
        det = self.output()
        eps = np.finfo(a.dtype).eps
        singular = np.abs(det.array) < 100 * eps          # (torch's choice of path)
        return by_mask(singular.reshape(-1), _det_grad_singular, _det_grad_regular,
                       a.reshape(-1, n, n), (g * det).reshape(-1), g.reshape(-1)
                       ).reshape(*a.shape)


def _det_grad_regular(a, gdet, g):
    return gdet.unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a).mT


def _det_grad_singular(a, gdet, g):
    from .distance import SvdFactor
    u, s, vh = (SvdFactor.apply(a, w) for w in ("U", "S", "Vh"))
    sign = np.linalg.det(u.array) * np.linalg.det(vh.array)       # ±1: no gradient
    d = _prod_others(s) * (g * Function.constant(sign.astype(a.dtype))).unsqueeze(-1)
    return (u * d.unsqueeze(-2)) @ vh


def _prod_others(s):
    """Π_{j≠i} s_j along the last dim, without dividing (exclusive cumulative products)."""
    from ..functions import cat
    one = Function.constant(np.ones(s.shape[:-1] + (1,), s.dtype))
    left = cat([one, s[..., :-1]], -1).cumprod(-1)
    right = cat([one, s.flip(-1)[..., :-1]], -1).cumprod(-1).flip(-1)
    return left * right


def by_mask(mask, f_true, f_false, *tensors):
    """Apply ``f_true`` to the rows of ``tensors`` (first dim) where ``mask`` holds and
    ``f_false`` to the others, and put the results back in order (torch's ``masked_fmap``):
    neither formula sees the rows it would turn into inf or NaN."""
    from ..functions import cat
    on, off = np.nonzero(mask)[0], np.nonzero(~mask)[0]
    parts = [f(*[t[Function.constant(idx)] for t in tensors])
             for f, idx in ((f_true, on), (f_false, off)) if len(idx)]
    order = np.argsort(np.concatenate([on, off]), kind="stable")
    out = cat(parts, 0) if len(parts) > 1 else parts[0]
    return out[Function.constant(order)] if len(parts) > 1 else out


def slogdet_array(a):
    """NumPy's ``slogdet`` of the matrices ``a``, but (0, NaN) for one holding a NaN, as
    torch's (its LU carries the NaN to U's diagonal): NumPy's gave −inf, with a warning."""
    with np.errstate(invalid="ignore"):
        sign, logdet = np.linalg.slogdet(a)
    nan = np.isnan(a).any((-2, -1))
    if nan.any():
        sign, logdet = np.where(nan, 0, sign), np.where(nan, np.nan, logdet)
    return sign, logdet


class LogAbsDet(Function):
    """log |det A| (slogdet's second result); −inf for a singular matrix."""
    inputs, rule = ("A",), "z = log |det A|"
    derivatives = ("dL/dA = g·A⁻ᵀ",)
    grad_fn_name = "LinalgSlogdetBackward"

    def forward(self, a):
        self.save_for_backward(a)
        return np.asarray(slogdet_array(a.array)[1], a.dtype)

    def backward(self, g):
        (a,) = self.saved_tensors
        return g.unsqueeze(-1).unsqueeze(-1) * Inverse.apply(a).mT


class Solve(Function):
    """X = A⁻¹·B for A (…, n, n) and B (…, n, k), batch dims broadcast."""
    inputs, rule = ("A", "B"), "X = A⁻¹·B"
    derivatives = ("dL/dA = −(A⁻ᵀ·g)·Xᵀ", "dL/dB = A⁻ᵀ·g")
    grad_fn_name = "LinalgSolveExBackward"

    def forward(self, a, b, report=None):
        self.save_for_backward(a)
        out = lu_solve(a.array, b.array, report)
        self.save_output(out)
        return out

    def backward(self, g):
        (a,) = self.saved_tensors
        gb = Solve.apply(a.mT, g)
        return (-(gb @ self.output().mT) if self.needs_input_grad[0] else None), gb


class SolveTriangular(Function):
    """X = A⁻¹·B with A triangular: only its ``upper`` (or lower) triangle is read, and its
    diagonal taken as ones if ``unitriangular``. Substitution row by row (a zero on the
    diagonal gives inf/NaN, as LAPACK's trtrs, no error)."""
    inputs, rule = ("A", "B"), "X = tri(A)⁻¹·B"
    derivatives = ("dL/dA = tri(−(tri(A)⁻ᵀ·g)·Xᵀ)", "dL/dB = tri(A)⁻ᵀ·g")
    grad_fn_name = "LinalgSolveTriangularBackward"

    def forward(self, a, b, upper, unitriangular=False):
        self.upper, self.unit = upper, unitriangular
        self.save_for_backward(a)
        out = triangular_solve(a.array, b.array, upper, unitriangular)
        self.save_output(out)
        return out

    def backward(self, g):
        (a,) = self.saved_tensors
        gb = SolveTriangular.apply(a.mT, g, not self.upper, self.unit)
        if not self.needs_input_grad[0]:
            return None, gb
        ga = -(gb @ self.output().mT)     # the other triangle: exact zeros (torch's triu/
        unit = int(self.unit)             # tril, where a mask's 0·(−x) would print −0.)
        return (ga.triu(unit) if self.upper else ga.tril(-unit)), gb


def _cholesky_solve(factor, b, upper):
    """(L·Lᵀ)⁻¹·B for the lower triangle L of ``factor`` (Uᵀ·U, U its upper one, if
    ``upper``): two triangular solves, as LAPACK's potrs."""
    low = np.swapaxes(factor, -1, -2) if upper else factor
    y = triangular_solve(low, b, False, False)
    return triangular_solve(np.swapaxes(low, -1, -2), y, True, False)


class CholeskySolve(Function):
    """X = (L·Lᵀ)⁻¹·B from a Cholesky factor L (only its lower triangle read; with ``upper``
    U's upper one, A = Uᵀ·U). The gradient w.r.t. the factor is torch's: a full matrix
    (the unread triangle's entries get one too), C = G_B·Xᵀ + X·G_Bᵀ, −C·L (upper: −U·C)."""
    inputs, rule = ("B", "L"), "X = (L·Lᵀ)⁻¹·B"
    derivatives = ("dL/dB = (L·Lᵀ)⁻¹·g", "dL/dL = −(G_B·Xᵀ + X·G_Bᵀ)·L  (upper: −U·(…))")
    grad_fn_name = "CholeskySolveBackward"

    def forward(self, b, factor, upper=False):
        self.upper = upper
        self.save_for_backward(factor)
        out = _cholesky_solve(factor.array, b.array, upper)
        self.save_output(out)
        return out

    def backward(self, g):
        (factor,) = self.saved_tensors
        gb = CholeskySolve.apply(g, factor, self.upper)
        if not self.needs_input_grad[1]:
            return gb, None
        common = gb @ self.output().mT
        common = common + common.mT
        return gb, -(factor @ common) if self.upper else -(common @ factor)


class CholeskyInverse(Function):
    """X = (L·Lᵀ)⁻¹ from a Cholesky factor L (only its lower triangle read; with ``upper``
    U's, A = Uᵀ·U). The gradient is torch's, a full matrix (no triangle mask):
    C = X·(g + gᵀ)·X, then −C·L (upper: −U·C)."""
    inputs, rule = ("L",), "X = (L·Lᵀ)⁻¹"
    derivatives = ("dL/dL = −X·(g + gᵀ)·X·L  (upper: −U·X·(g + gᵀ)·X)",)
    grad_fn_name = "CholeskyInverseBackward"

    def forward(self, factor, upper=False):
        self.upper = upper
        self.save_for_backward(factor)
        eye = np.broadcast_to(np.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
        out = _cholesky_solve(factor.array, eye, upper)
        self.save_output(out)
        return out

    def backward(self, g):
        (factor,) = self.saved_tensors
        x = self.output()
        common = x @ (g + g.mT) @ x
        return -(factor @ common) if self.upper else -(common @ factor)


class BesideOutput(Function):
    """An output torch's node computes beside the differentiable one and sends no gradient
    back through (slogdet's sign, lstsq's empty residuals): it requires grad when an input
    does, and backward through it alone leaves the inputs' gradients undefined (None), as
    torch's. ``value``: the array, computed by the caller."""
    inputs, rule = ("A",), "z computed beside the op's other output (sign of det A, ...)"
    derivatives = ("none: no gradient flows back (as torch)",)
    op_name = "beside"

    def forward(self, *inputs, value):
        self.count = len(inputs)
        return value

    def backward(self, g):
        return None if self.count == 1 else (None,) * self.count


class Cholesky(Function):
    """The lower factor L of A = L·Lᵀ (only A's lower triangle is read). The backward is
    Murray's (arXiv 1602.07527), as torch: Φ = tril(Lᵀ·g) with half its diagonal,
    symmetrised, then dL/dA = L⁻ᵀ·Φ·L⁻¹."""
    inputs, rule = ("A",), "L = chol(A), A = L·Lᵀ"
    derivatives = ("dL/dA = L⁻ᵀ·½(P + tril(P, −1)ᵀ)·L⁻¹,  P = tril(Lᵀ·g)",)
    grad_fn_name = "LinalgCholeskyExBackward"

    def forward(self, a, report=None):
        try:
            out, info = np.linalg.cholesky(a.array), np.zeros(a.shape[:-2], np.int32)
            if not np.isfinite(out).all():  # (NumPy's LAPACK goes on past a NaN pivot, where
                raise np.linalg.LinAlgError   # torch's stops: its info, its partial factor)
        except np.linalg.LinAlgError:
            out, info = cholesky_factor(a.array)
        if report is not None:
            report["info"] = info
        self.save_output(out)
        return out

    def backward(self, g):
        low = self.output()
        p = (low.mT @ g).tril()
        phi = (p + p.tril(-1).mT) * 0.5
        left = SolveTriangular.apply(low.mT, phi, True)                # L⁻ᵀ·Φ
        return SolveTriangular.apply(low.mT, left.mT, True).mT         # (L⁻ᵀ·(L⁻ᵀΦ)ᵀ)ᵀ


class QrFactor(Function):
    """One factor (``which`` "Q" or "R") of A = Q·R, ``mode`` 'reduced' or 'complete'.
    Backward (k = min(m, n)): for m ≥ n, M = R·g_Rᵀ − g_Qᵀ·Q and
    dL/dA = (g_Q + Q·copyltu(M))·R⁻ᵀ, copyltu(M) = tril(M) + tril(M, −1)ᵀ; for m < n the
    square part X = A[:, :m] takes g_Q + Y·g_R2ᵀ (Y = A[:, m:]) and Y takes Q·g_R2."""
    inputs, rule = ("A",), "A = Q·R; z = Q or R"
    derivatives = ("dL/dA = (g_Q + Q·copyltu(R·g_Rᵀ − g_Qᵀ·Q))·R⁻ᵀ",)
    grad_fn_name = "LinalgQrBackward"

    def forward(self, a, which, mode="reduced"):
        self.which, self.mode = which, mode
        self.save_for_backward(a)
        if mode == "r":
            return np.linalg.qr(a.array, mode="r")
        q, r = np.linalg.qr(a.array, mode=mode)
        return q if which == "Q" else r

    def backward(self, g):
        (a,) = self.saved_tensors
        m, n = a.shape[-2:]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        q, r = (QrFactor.apply(a, w, self.mode) for w in ("Q", "R"))
        gq = g if self.which == "Q" else q * 0
        gr = g if self.which == "R" else r * 0
        if m >= n:
            return _qr_square_grad(q, r, gq, gr)
        from ..functions import cat
        gr1, gr2 = gr[..., :, :m], gr[..., :, m:]
        gx = _qr_square_grad(q, r[..., :, :m], gq + a[..., :, m:] @ gr2.mT, gr1)
        return cat([gx, q @ gr2], -1)


def _qr_square_grad(q, r, gq, gr):
    mm = r @ gr.mT - gq.mT @ q
    copyltu = mm.tril() + mm.tril(-1).mT
    rhs = gq + q @ copyltu                      # (…, m, n); solve X·Rᵀ = rhs
    return SolveTriangular.apply(r, rhs.mT, True).mT


class EighFactor(Function):
    """One factor (``which`` "L" eigenvalues, ascending, or "V" eigenvectors) of the symmetric
    A = V·diag(L)·Vᵀ, read from its ``UPLO`` triangle. Backward (torch's, distinct eigenvalues
    assumed): dL/dA = V·(diag(g_L) + ½(Vᵀg_V − g_VᵀV) / E)·Vᵀ with E_ij = L_j − L_i."""
    inputs, rule = ("A",), "A = V·diag(L)·Vᵀ; z = L or V"
    derivatives = ("dL/dA = V·(diag(g_L) + skew(Vᵀ·g_V)/(L_j − L_i))·Vᵀ",)
    grad_fn_name = "LinalgEighBackward"

    def forward(self, a, which, uplo="L"):
        self.which, self.uplo = which, uplo
        self.save_for_backward(a)
        lam, v = np.linalg.eigh(a.array, UPLO=uplo)
        return lam if which == "L" else v

    def backward(self, g):
        (a,) = self.saved_tensors
        lam, v = (EighFactor.apply(a, w, self.uplo) for w in ("L", "V"))
        if self.which == "L":
            return (v * g.unsqueeze(-2)) @ v.mT
        vg = v.mT @ g
        e = lam.unsqueeze(-2) - lam.unsqueeze(-1) + _eye(lam.shape[-1], lam.dtype)
        return v @ (((vg - vg.mT) * 0.5) / e) @ v.mT


class MatrixExp(Function):
    """exp(A) = Σ Aᵏ/k! (Padé 13 with scaling and squaring, Higham 2005). Backward by the
    block identity exp([[Aᵀ, G], [0, Aᵀ]]) = [[e^{Aᵀ}, dL/dA], [0, e^{Aᵀ}]]."""
    inputs, rule = ("A",), "X = exp(A)"
    derivatives = ("dL/dA = top-right block of exp([[Aᵀ, g], [0, Aᵀ]])",)
    grad_fn_name = "LinalgMatrixExpBackward"

    def forward(self, a):
        self.save_for_backward(a)
        if a.dtype == np.float16:       # (Padé's coefficients overflow float16)
            return expm(a.array.astype(np.float32)).astype(np.float16)
        return expm(a.array)

    def backward(self, g):
        from ..functions import cat
        (a,) = self.saved_tensors
        n = a.shape[-1]
        at = a.mT
        zero = at * 0
        block = cat([cat([at, g], -1), cat([zero, at], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:]


class Pinv(Function):
    """The pseudo-inverse A⁺ = V·diag(1/S)·Uᵀ over the singular values S > max(atol,
    rtol·max S) (eigenvalues |λ| for ``hermitian``). Its backward is torch's pinv_backward,
    written with A⁺ only, so repeated or dropped singular values give finite gradients."""
    inputs, rule = ("A",), "X = A⁺"
    derivatives = ("dL/dA = −(X·K)ᵀ + K·Xᵀ − A·X·K·Xᵀ + Xᵀ·X·(gᵀ − K·A),  K = gᵀ·X  (m ≤ n; "
                   "the transposed form for m > n)",)
    grad_fn_name = "LinalgPinvBackward"

    def forward(self, a, atol, rtol, hermitian):
        self.save_for_backward(a)
        arr = a.array
        if arr.size == 0:
            out = np.zeros(arr.shape[:-2] + arr.shape[:-3:-1], arr.dtype)
        elif hermitian:
            lam, v = np.linalg.eigh(arr)
            inv = _inverse_above(np.abs(lam), lam, atol, rtol)
            out = (v * inv[..., None, :]) @ np.swapaxes(v, -1, -2)
        else:
            u, s, vh = svd_array(arr)
            inv = _inverse_above(s, s, atol, rtol)
            out = np.swapaxes(vh, -1, -2) * inv[..., None, :] @ np.swapaxes(u, -1, -2)
        out = out.astype(arr.dtype, copy=False)
        self.save_output(out)
        return out

    def backward(self, g):
        (a,) = self.saved_tensors
        return pinv_backward(a, self.output(), g)


def pinv_backward(a, x, g):
    """dL/dA for X = A⁺ given g = dL/dX (torch's pinv_backward; also lstsq's)."""
    m, n = a.shape[-2:]
    xh, gh = x.mT, g.mT
    if m <= n:
        k = gh @ x
        kxh = k @ xh
        return -(x @ k).mT + kxh - (a @ x) @ kxh + (xh @ x) @ (gh - k @ a)
    k = x @ gh
    xhk = xh @ k
    return -(k @ x).mT + (gh - a @ k) @ x @ xh + xhk - (xhk @ x) @ a


def _inverse_above(size, values, atol, rtol):
    """1/values where size > max(atol, rtol·max size), else 0 (atol, rtol: arrays over the
    batch or numbers)."""
    tol = np.maximum(atol, rtol * np.max(size, axis=-1))[..., None]
    with np.errstate(divide="ignore"):
        return np.where(size > tol, 1 / np.where(values == 0, 1, values), 0)


# ----------------------------------------------------------------------------- NumPy kernels
def lu_factor(a):
    """Batched LU with partial pivoting (LAPACK getrf's choices): ``(lu, perm, info)``, info
    the 1-based index of the first zero pivot per matrix (0: none). A loop over columns."""
    lu = np.array(a, dtype=a.dtype, copy=True)
    n = lu.shape[-1]
    batch = lu.shape[:-2]
    perm = np.broadcast_to(np.arange(n), batch + (n,)).copy()
    info = np.zeros(batch, np.int32)
    with np.errstate(all="ignore"):
        for k in range(n):
            p = (np.argmax(np.abs(lu[..., k:, k]), -1) + k)[..., None]
            rows_k, rows_p = lu[..., k, :].copy(), np.take_along_axis(lu, p[..., None], -2)
            lu[..., k, :] = rows_p[..., 0, :]
            np.put_along_axis(lu, p[..., None], rows_k[..., None, :], -2)
            pk = perm[..., k].copy()
            perm[..., k] = np.take_along_axis(perm, p, -1)[..., 0]
            np.put_along_axis(perm, p, pk[..., None], -1)
            piv = lu[..., k, k]
            info = np.where((info == 0) & (piv == 0), k + 1, info)
            col = lu[..., k + 1:, k]
            lu[..., k + 1:, k] = np.where((piv != 0)[..., None], col / piv[..., None], col)
            lu[..., k + 1:, k + 1:] -= lu[..., k + 1:, k, None] * lu[..., k, None, k + 1:]
    return lu, perm, info


def lu_solve(a, b, report=None):
    """A⁻¹·B (B None: A⁻¹) by LAPACK through NumPy; a matrix it calls singular goes through
    :func:`lu_factor` and substitution instead, which gives inf/NaN there as LAPACK would.
    ``report["info"]``, if given, gets LAPACK's info per matrix (first zero pivot, 1-based)."""
    shape = np.broadcast_shapes(a.shape[:-2], () if b is None else b.shape[:-2])
    try:
        out = np.linalg.inv(a) if b is None else np.linalg.solve(a, b)
        if report is not None:
            report["info"] = np.zeros(shape, np.int32)
        return out
    except np.linalg.LinAlgError:
        pass
    n = a.shape[-1]
    if b is None:
        b = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape)
    lu, perm, info = lu_factor(np.broadcast_to(a, shape + a.shape[-2:]))
    if report is not None:
        report["info"] = info
    b = np.take_along_axis(np.broadcast_to(b, shape + b.shape[-2:]), perm[..., None], -2)
    y = triangular_solve(lu, b, False, True)
    return triangular_solve(lu, y, True, False)


def triangular_solve(a, b, upper, unit):
    """X with tri(A)·X = B by substitution, one row at a time (batch dims broadcast)."""
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    n = a.shape[-1]
    dtype = np.result_type(a, b)
    x = np.zeros(shape + b.shape[-2:], dtype)
    with np.errstate(all="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            rest = slice(i + 1, n) if upper else slice(0, i)
            r = b[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, rest], x[..., rest, :])
            x[..., i, :] = r if unit else r / a[..., i, i, None]
    return x


def cholesky_factor(a):
    """Batched Cholesky (LAPACK potf2's steps): ``(L, info)``; at the first non-positive
    pivot (info, 1-based) the factor stops, keeping that pivot and A's untouched columns."""
    n = a.shape[-1]
    low = np.tril(a)
    info = np.zeros(a.shape[:-2], np.int32)
    with np.errstate(all="ignore"):
        for k in range(n):
            go = info == 0
            d = low[..., k, k] - np.sum(low[..., k, :k] ** 2, -1)
            bad = go & ~(d > 0)
            info = np.where(bad, k + 1, info)
            ok = go & ~bad
            piv = np.sqrt(np.where(ok, d, 1))
            low[..., k, k] = np.where(ok, piv, np.where(bad, d, low[..., k, k]))
            col = (low[..., k + 1:, k] - np.einsum("...ij,...j->...i", low[..., k + 1:, :k],
                                                   low[..., k, :k])) / piv[..., None]
            low[..., k + 1:, k] = np.where(ok[..., None], col, low[..., k + 1:, k])
    return low, info


_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)


def expm(a):
    """exp of each matrix: scale by 2⁻ˢ so that ‖A‖₁ ≤ 5.37, Padé [13/13], square s times."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    x = a
    norm = np.abs(x).sum(-2).max(-1)
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 5.371920351148152))
                   ).astype(np.int64)
    x = x / (2.0 ** s).astype(a.dtype)[..., None, None]
    c = _PADE13
    eye = np.eye(n, dtype=a.dtype)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (c[13] * x6 + c[11] * x4 + c[9] * x2) + c[7] * x6 + c[5] * x4 + c[3] * x2
             + c[1] * eye)
    v = x6 @ (c[12] * x6 + c[10] * x4 + c[8] * x2) + c[6] * x6 + c[4] * x4 + c[2] * x2 \
        + c[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for j in range(int(s.max(initial=0))):
        r = np.where((s > j)[..., None, None], r @ r, r)
    return r.astype(a.dtype)
