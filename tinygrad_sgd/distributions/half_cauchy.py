"""``HalfCauchy(scale)``: |z| with z ~ Cauchy(0, γ = ``scale``) (torch's ``HalfCauchy``),
reparameterisable; a TransformedDistribution of the Cauchy by abs. Mean and variance are
infinite.

    density   p(x) = 2·Cauchy(x; 0, γ) for x ≥ 0, else 0 (log_prob −inf)
    cdf       (2/π)·atan(x/γ);   icdf(p) = γ·tan(πp/2)
    mode      0
    entropy   H(Cauchy) − log 2 = log 2πγ
    samples   |γ·c|, c a standard Cauchy draw
"""
import math

import tinygrad_sgd as tg

from . import constraints
from .cauchy import Cauchy
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfCauchy"]


class HalfCauchy(TransformedDistribution):
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), AbsTransform(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return tg.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def mode(self):
        return tg.zeros_like(self.scale)

    @property
    def variance(self):
        return tg.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    def log_prob(self, value):
        """log 2 + log Cauchy(x; 0, γ) on x ≥ 0, −inf below."""
        if self._validate_args:
            self._validate_sample(value)
        value = tg.as_tensor(value, dtype=self.scale.dtype)
        folded = self.base_dist.log_prob(value) + math.log(2)
        return tg.where(value >= 0, folded, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)
