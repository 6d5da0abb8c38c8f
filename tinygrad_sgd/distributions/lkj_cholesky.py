"""``LKJCholesky(dim, concentration)`` (torch's): the LKJ distribution over Cholesky factors
of correlation matrices, sampled by the onion method (Beta radii, normal directions) with
torch's draws in torch's order."""
import math

import tinygrad_sgd as tg

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """p(L) ∝ Π_{i=2..d} L_ii^(d − i + 2η − 2) over lower-triangular L with unit-norm rows."""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = tg.Size((dim, dim))
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = tg.arange(self.dim - 1, dtype=self.concentration.dtype)
        offset = tg.cat([tg.zeros((1,), dtype=offset.dtype), offset])
        beta_conc1 = offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = tg.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=tg.Size()):
        """Row i: √y_i · (a uniform direction in its first i coordinates), y_i ~ Beta, the
        diagonal completing the unit norm (the Beta draws first, then the normals)."""
        with tg.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = tg.randn(self._extended_shape(sample_shape), dtype=y.dtype).tril(-1)
            u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
            first_row = (tg.arange(self.dim) == 0).unsqueeze(-1)
            u_hypersphere = tg.where(first_row, 0.0, u_hypersphere)
            w = tg.sqrt(y) * u_hypersphere
            eps = tg.finfo(w.dtype).tiny
            diag_elems = tg.clamp(1 - tg.sum(w ** 2, dim=-1), min=eps).sqrt()
            return w + tg.diag_embed(diag_elems)

    def log_prob(self, value):
        """Σ_i (d − i + 2(η − 1)) log L_ii − the log normaliser (Lewandowski et al. 2009)."""
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = tg.arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = tg.sum(order * diag_elems.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = tg.lgamma(alpha) * dm1
        numerator = tg.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
