"""``Exponential(rate)``: the waiting time of a Poisson process of intensity λ = ``rate``
(torch's ``Exponential``), reparameterisable.

    density   p(x) = λ·exp(−λx),  x ≥ 0
    log_prob  log λ − λx
    cdf       1 − exp(−λx);   icdf(p) = −log(1 − p)/λ
    entropy   1 − log λ
    samples   x = e/λ with e a standard exponential draw (``exponential_``, torch's stream)

As an exponential family: natural parameter θ = −λ, log-normaliser A(θ) = −log(−θ).
"""
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = tg.Size() if isinstance(rate, Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Exponential, _instance)
        batch_shape = tg.Size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Exponential, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """1/λ."""
        return self.rate.reciprocal()

    @property
    def mode(self):
        """0: the density is largest at the origin."""
        return tg.zeros_like(self.rate)

    @property
    def stddev(self):
        """1/λ."""
        return self.rate.reciprocal()

    @property
    def variance(self):
        """1/λ²."""
        return self.rate.pow(-2)

    def rsample(self, sample_shape=tg.Size()):
        """e/λ, e ~ Exp(1): d/dλ = −e/λ²."""
        shape = self._extended_shape(sample_shape)
        return self.rate.new(shape).exponential_() / self.rate

    def log_prob(self, value):
        """log λ − λx."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        """1 − exp(−λx)."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - tg.exp(-self.rate * value)

    def icdf(self, value):
        """−log(1 − p)/λ."""
        return -tg.log1p(-value) / self.rate

    def entropy(self):
        """1 − log λ."""
        return 1.0 - tg.log(self.rate)

    @property
    def _natural_params(self):
        """θ = −λ."""
        return (-self.rate,)

    def _log_normalizer(self, x):
        """A(θ) = −log(−θ)."""
        return -tg.log(-x)
