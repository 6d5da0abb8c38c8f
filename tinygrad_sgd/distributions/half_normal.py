"""``HalfNormal(scale)``: |z| with z ~ Normal(0, σ = ``scale``) (torch's ``HalfNormal``),
reparameterisable; a TransformedDistribution of the Normal by abs.

    density   p(x) = 2·N(x; 0, σ) for x ≥ 0, else 0 (log_prob −inf)
    cdf       2·Φ(x/σ) − 1;   icdf(p) = Φ⁻¹((p + 1)/2)·σ
    mean      σ·√(2/π);   mode 0;   variance σ²·(1 − 2/π)
    entropy   H(Normal) − log 2
    samples   |σ·ε|, ε ~ N(0, 1)
"""
import math

import tinygrad_sgd as tg

from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfNormal"]


class HalfNormal(TransformedDistribution):
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        super().__init__(Normal(0, scale, validate_args=False), AbsTransform(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return tg.zeros_like(self.scale)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def log_prob(self, value):
        """log 2 + log N(x; 0, σ) on x ≥ 0, −inf below."""
        if self._validate_args:
            self._validate_sample(value)
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
