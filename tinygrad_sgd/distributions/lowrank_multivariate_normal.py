"""``LowRankMultivariateNormal(loc, cov_factor, cov_diag)``: a Gaussian in n dimensions whose
covariance is a rank-m update of a diagonal (torch's ``LowRankMultivariateNormal``),
reparameterisable:

    Σ = W·Wᵀ + D,   W = ``cov_factor`` (n × m),  D = diag(``cov_diag``) > 0

Nothing n × n is factorised: every quantity goes through the m × m "capacitance"
K = I + Wᵀ·D⁻¹·W and its lower Cholesky factor L (K = L·Lᵀ):

    log det Σ   = log det K + Σ log D          (matrix determinant lemma)
    xᵀ·Σ⁻¹·x    = xᵀ·D⁻¹·x − |L⁻¹·Wᵀ·D⁻¹·x|²    (Woodbury identity)
    Σ⁻¹         = D⁻¹ − AᵀA,  A = L⁻¹·Wᵀ·D⁻¹
    log_prob    −½·(n·log 2π + xᵀΣ⁻¹x + log det Σ),  x = value − loc
    entropy     ½·n·(1 + log 2π) + ½·log det Σ
    samples     loc + W·e_W + √D·e_D, e_W ~ N(0, I_m) drawn first, then e_D ~ N(0, I_n)
"""
import math

import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .multivariate_normal import _batch_mahalanobis, _batch_mv
from .utils import _standard_normal, lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _batch_capacitance_tril(W, D):
    """L with L·Lᵀ = I + Wᵀ·D⁻¹·W (batched)."""
    m = W.size(-1)
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    K = tg.matmul(Wt_Dinv, W) + tg.eye(m, dtype=W.dtype)
    return tg.linalg.cholesky(K)


def _batch_lowrank_logdet(W, D, capacitance_tril):
    """log det(W·Wᵀ + D) = 2·Σ log diag L + Σ log D."""
    log_det_K = 2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    return log_det_K + D.log().sum(-1)


def _batch_lowrank_mahalanobis(W, D, x, capacitance_tril):
    """xᵀ·(W·Wᵀ + D)⁻¹·x = xᵀ·D⁻¹·x − |L⁻¹·Wᵀ·D⁻¹·x|²."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    Wt_Dinv_x = _batch_mv(Wt_Dinv, x)
    diag_part = (x.pow(2) / D).sum(-1)
    low_rank_part = _batch_mahalanobis(capacitance_tril, Wt_Dinv_x)
    return diag_part - low_rank_part


class LowRankMultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if cov_factor.shape[-2:-1] != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape "
                             f"{event_shape[0]} x m")
        if cov_diag.shape[-1:] != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape "
                             f"{event_shape!r}")
        # loc and cov_diag as n × 1 columns, so that one broadcast settles all batch shapes
        try:
            loc_col, self.cov_factor, diag_col = tg.broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape!r}, cov_factor "
                             f"{cov_factor.shape!r}, cov_diag {cov_diag.shape!r}") from e
        self.loc = loc_col[..., 0]
        self.cov_diag = diag_col[..., 0]
        batch_shape = self.loc.shape[:-1]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _batch_capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch_shape = tg.Size(batch_shape)
        loc_shape = batch_shape + self.event_shape
        new.loc = self.loc.expand(loc_shape)
        new.cov_diag = self.cov_diag.expand(loc_shape)
        new.cov_factor = self.cov_factor.expand(loc_shape + self.cov_factor.shape[-1:])
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        super(LowRankMultivariateNormal, new).__init__(batch_shape, self.event_shape,
                                                       validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _matrix_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def variance(self):
        """diag Σ = Σ_j W_ij² + D_i."""
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        """Cholesky factor of Σ = √D·(I + D^-½·W·Wᵀ·D^-½)·√D: √D times that of the middle
        factor, which is well conditioned."""
        n = self._event_shape[0]
        sqrt_D = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        W_scaled = self._unbroadcasted_cov_factor / sqrt_D
        middle = tg.matmul(W_scaled, W_scaled.mT) + tg.eye(n, dtype=W_scaled.dtype)
        return (sqrt_D * tg.linalg.cholesky(middle)).expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        """W·Wᵀ + diag D."""
        W = self._unbroadcasted_cov_factor
        cov = tg.matmul(W, W.mT) + tg.diag_embed(self._unbroadcasted_cov_diag)
        return cov.expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        """Σ⁻¹ = D⁻¹ − AᵀA, A = L⁻¹·Wᵀ·D⁻¹ (Woodbury)."""
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        Wt_Dinv = W.mT / D.unsqueeze(-2)
        A = tg.linalg.solve_triangular(self._capacitance_tril, Wt_Dinv, upper=False)
        prec = tg.diag_embed(D.reciprocal()) - tg.matmul(A.mT, A)
        return prec.expand(self._matrix_shape())

    def rsample(self, sample_shape=tg.Size()):
        """loc + W·e_W + √D·e_D: gradients reach loc, W and D through the sum."""
        shape = self._extended_shape(sample_shape)
        e_W = _standard_normal(shape[:-1] + self.cov_factor.shape[-1:], dtype=self.loc.dtype)
        e_D = _standard_normal(shape, dtype=self.loc.dtype)
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, e_W)
                + self._unbroadcasted_cov_diag.sqrt() * e_D)

    def log_prob(self, value):
        """−½·(n·log 2π + xᵀΣ⁻¹x + log det Σ)."""
        if self._validate_args:
            self._validate_sample(value)
        x = value - self.loc
        M = _batch_lowrank_mahalanobis(self._unbroadcasted_cov_factor,
                                       self._unbroadcasted_cov_diag, x,
                                       self._capacitance_tril)
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor,
                                        self._unbroadcasted_cov_diag, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M + log_det)

    def entropy(self):
        """½·n·(1 + log 2π) + ½·log det Σ."""
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor,
                                        self._unbroadcasted_cov_diag, self._capacitance_tril)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + 0.5 * log_det
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
