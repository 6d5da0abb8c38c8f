"""``Dirichlet(concentration)`` (torch's): reparameterisable through torch's implicit
Dirichlet gradient (:mod:`._gamma_ops`). Beta, its two-category case, is in :mod:`.beta`."""
import tinygrad_sgd as tg

from . import constraints
from ._gamma_ops import _Dirichlet
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """p(x) = Γ(Σα)/ΠΓ(α_i) · Π x_i^(α_i−1) on the simplex."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = tg.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        return _Dirichlet.apply(self.concentration.expand(shape))

    def log_prob(self, value):
        """Σ (α_i−1) log x_i + log Γ(Σα) − Σ log Γ(α_i)."""
        if self._validate_args:
            self._validate_sample(value)
        return (tg.xlogy(self.concentration - 1.0, value).sum(-1)
                + tg.lgamma(self.concentration.sum(-1))
                - tg.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        """(α−1)₊ / Σ(α−1)₊; a row with every α < 1 puts its mode on the vertex of its
        largest such ratio (torch: one_hot of the argmax)."""
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        vertex = tg.nn.functional.one_hot(mode.argmax(dim=-1), cm1.shape[-1]).to(mode.dtype)
        return tg.where(mask.unsqueeze(-1), vertex, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        """Σ log Γ(α_i) − log Γ(α₀) − (k − α₀) ψ(α₀) − Σ (α_i − 1) ψ(α_i)."""
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (tg.lgamma(self.concentration).sum(-1) - tg.lgamma(a0)
                - (k - a0) * tg.digamma(a0)
                - ((self.concentration - 1.0) * tg.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - tg.lgamma(x.sum(-1))
