"""``InverseGamma(concentration, rate)`` (torch's): 1/X for X ~ Gamma(concentration, rate),
a TransformedDistribution through ``PowerTransform(-1)``."""
import tinygrad_sgd as tg

from . import constraints
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """p(x) = β^α x^(−α−1) e^(−β/x) / Γ(α), x > 0."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -tg.ones((), dtype=base_dist.rate.dtype)
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        """β/(α−1) for α > 1, ∞ otherwise."""
        return tg.where(self.concentration > 1, self.rate / (self.concentration - 1),
                        float("inf"))

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        result = self.rate.square() / ((self.concentration - 1).square()
                                       * (self.concentration - 2))
        return tg.where(self.concentration > 2, result, float("inf"))

    def entropy(self):
        """α + log β + log Γ(α) − (1+α) ψ(α)."""
        return (self.concentration + self.rate.log() + self.concentration.lgamma()
                - (1 + self.concentration) * self.concentration.digamma())
