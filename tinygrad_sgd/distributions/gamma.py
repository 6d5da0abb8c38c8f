"""``Gamma(concentration, rate)`` (torch's): reparameterisable through torch's implicit
gradient of the standard gamma draw (:mod:`._gamma_ops`). Chi2 is in :mod:`.chi2`."""
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from ._gamma_ops import _standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """p(x) = β^α x^(α−1) e^(−βx) / Γ(α), x ≥ 0 (α concentration, β rate)."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, Number) and isinstance(rate, Number):
            batch_shape = tg.Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = tg.Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=tg.Size()):
        """z/β with z ~ Gamma(α, 1) (torch's draws); dz/dα the implicit gradient, clamped
        below to the dtype's smallest normal number."""
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=tg.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        """α log β + (α−1) log x − βx − log Γ(α)."""
        value = tg.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (tg.xlogy(self.concentration, self.rate)
                + tg.xlogy(self.concentration - 1, value)
                - self.rate * value - tg.lgamma(self.concentration))

    def entropy(self):
        """α − log β + log Γ(α) + (1−α) ψ(α)."""
        return (self.concentration - tg.log(self.rate) + tg.lgamma(self.concentration)
                + (1.0 - self.concentration) * tg.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return tg.lgamma(x + 1) + (x + 1) * tg.log(-y.reciprocal())

    def cdf(self, value):
        """P(α, βx), the regularised lower incomplete gamma function."""
        if self._validate_args:
            self._validate_sample(value)
        return tg.special.gammainc(self.concentration, self.rate * value)
