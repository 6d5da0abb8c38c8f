"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations`` (built on
:mod:`.parametrize`, so ``module.weight`` is recomputed from the originals on every access and
gradients reach the originals):

* :func:`weight_norm` — ``w = g · v / ‖v‖`` (the norm over every dim but ``dim``): the
  direction ``v`` and the length ``g`` are learnt separately (Salimans & Kingma, 2016).
  ``original0`` is ``g``, ``original1`` is ``v``.
* :func:`spectral_norm` — ``w = W / σ(W)``, ``σ`` the largest singular value of ``W`` (seen as
  a matrix with ``dim`` as its rows), estimated by power iteration with the buffers ``_u``,
  ``_v`` (Miyato et al., 2018): each access in training mode takes ``n_power_iterations``
  more steps and updates them; in eval mode they are only read.
* :func:`orthogonal` — ``W`` (or each matrix of a batch) with orthonormal columns (rows, when
  wider than tall), as ``Q = map(original)``: ``matrix_exp`` (exp of a skew-symmetric matrix),
  ``cayley`` ((I − A/2)⁻¹(I + A/2)) or ``householder`` (a product of reflectors); with
  ``use_trivialization`` (the default) ``Q = base · map(original)``, the buffer ``base``
  set by assignment (``module.weight = Q``) and the original restarting at "identity".
"""
from enum import Enum, auto

import numpy as np

from ... import cat, eye, linalg, randn, zeros
from ...autograd import no_grad
from ...kernels.lu import geqrf      # LAPACK's compact QR, as arrays
from ...tensor import Tensor
from .. import functional as F
from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _norm_except_dim(v, pow, dim):
    """``torch.norm_except_dim``: the ``pow``-norm of ``v`` over every dim but ``dim``, kept
    as size-1 dims (shape ``(n, 1, 1, ...)`` for dim 0); ``dim=-1`` means the norm of the
    whole tensor (a 0-d tensor), as torch's weight norm uses it for ``dim=None``."""
    if dim == -1:
        return linalg.vector_norm(v, pow)
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return linalg.vector_norm(v, pow, dim=others, keepdim=True)


def _weight_norm(v, g, dim):
    """``torch._weight_norm``: ``v · (g / ‖v‖)``, the norm from :func:`_norm_except_dim`.
    Composed of differentiable ops, so gradients (and second order) w.r.t. g and v are
    free: ∂w/∂g = v/‖v‖, ∂w/∂v = (g/‖v‖)(I − v̂ v̂ᵀ) along each slice."""
    return v * (g / _norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    """The weight-norm parametrization: forward(g, v) = v · g/‖v‖; right_inverse(w) =
    (‖w‖, w), so registering it keeps the weight's value."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight normalization on ``module.<name>``: it becomes ``g · v / ‖v‖`` with ``g``
    (``parametrizations.<name>.original0``, the norms, shape ``(n, 1, ...)`` for ``dim=0``)
    and ``v`` (``original1``, the weight's shape) the learnt parameters; ``dim=None`` takes
    one norm over the whole tensor. A state dict of the old hook-based ``weight_norm``
    (``<name>_g``, ``<name>_v``) loads too. Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(module, state_dict, prefix, local_metadata, strict,
                                 missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    """The spectral-norm parametrization: forward(W) = W / σ, σ = uᵀ W_mat v from the
    power-iteration vectors ``_u`` (rows) and ``_v`` (columns) of W_mat, W with ``dim`` moved
    first and the rest flattened. A 1-d weight is just normalised to unit length."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = self._reshape_weight_to_matrix(weight)
                h, w = weight_mat.shape
                u = weight_mat.new_empty(h).normal_(0, 1)
                v = weight_mat.new_empty(w).normal_(0, 1)
                self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)       # a good start for σ, as torch

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        """u ← normalize(W v), v ← normalize(Wᵀ u), ``n_power_iterations`` times, written
        into the buffers in place (not recorded by autograd)."""
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.T.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.vdot(weight_mat.mv(v))     # differentiable in W (u, v are constants)
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalization on ``module.<name>``: it becomes ``W / σ(W)``, the original
    ``W`` at ``parametrizations.<name>.original`` and the power-iteration vectors at
    ``parametrizations.<name>.0._u`` / ``._v`` (started from random normals and 15
    iterations). ``dim`` (the rows of the matrix) defaults to 1 for transposed convolutions,
    0 otherwise; ``eps`` keeps the normalisations away from division by zero. Returns
    ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ----------------------------------------------------------------------- orthogonal
def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * np.finfo(Q.array.dtype).eps
    return np.allclose(np.swapaxes(Q.array, -1, -2) @ Q.array, np.eye(k), atol=eps)


def _make_orthogonal(A):
    """Q of A's QR, its columns' signs set so that R's diagonal is positive (as torch)."""
    X, tau = geqrf(A.array)
    Q = linalg.householder_product(Tensor._of(X), Tensor._of(tau)).array
    return Tensor._of(Q * np.sign(np.diagonal(X, axis1=-2, axis2=-1))[..., None, :])


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """The orthogonal parametrization: forward(X) = [base ·] map(X) (see :func:`orthogonal`);
    a wide X is handled as its transpose."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()                      # A = X − Xᵀ: skew-symmetric, exp(A) orthogonal
            if n != k:
                X = cat([X, zeros(*X.shape[:-2], n, n - k, dtype=X.dtype)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = linalg.matrix_exp(A)
            else:
                Id = eye(n, dtype=A.dtype)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:                                 # reflectors from below the diagonal
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().trunc().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        """An original giving ``Q`` (orthogonalised first if it is not orthogonal): with
        the trivialization, ``base`` becomes Q and the original "minus identity" (which every
        map sends to I); without it (householder only), Q's compact QR with R's diagonal
        replaced by signs."""
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.shape[-2], Q.shape[-1]
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False.")
            A, tau = geqrf(Q.array)
            d = np.arange(min(A.shape[-2:]))
            diag = np.sign(A[..., d, d])
            A[..., d, d] = np.where(tau == 0.0, -diag, diag)
            A = Tensor._of(A)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:                                 # complete the columns to a square matrix
            N = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        neg_id = np.zeros(Q_init.shape, Q_init.array.dtype)
        d = np.arange(min(Q_init.shape[-2:]))
        neg_id[..., d, d] = -1.0
        return Tensor._of(neg_id)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` (a matrix or a batch of them, its last two dims) orthogonal —
    orthonormal columns, or rows when it is wider than tall. ``orthogonal_map``:
    ``"matrix_exp"`` (default for square), ``"cayley"``, or ``"householder"`` (default
    otherwise). ``use_trivialization=True`` keeps a ``base`` buffer (``Q = base ·
    map(original)``), which makes assigning ``module.<name> = Q`` possible for every map and
    optimisation better conditioned. Registered with ``unsafe=True``, as torch. Returns
    ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = _OrthMaps.__members__.get(orthogonal_map)
    if orth_enum is None:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
