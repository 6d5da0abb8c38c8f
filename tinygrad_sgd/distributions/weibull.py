"""``Weibull(scale, concentration)``: the two-parameter Weibull with scale λ = ``scale`` and
shape k = ``concentration`` (torch's ``Weibull``), reparameterisable; a TransformedDistribution
of a unit exponential draw: x = λ·e^(1/k), e ~ Exponential(1).

    density   p(x) = (k/λ)(x/λ)^(k−1) exp(−(x/λ)^k),  x > 0
    mean      λ·Γ(1 + 1/k);   mode λ·((k − 1)/k)^(1/k)
    variance  λ²·(Γ(1 + 2/k) − Γ(1 + 1/k)²)
    entropy   γ(1 − 1/k) + log(λ/k) + 1   (γ Euler's constant)
"""
import tinygrad_sgd as tg

from . import constraints
from ._utils_more import euler_constant
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_all

__all__ = ["Weibull"]


class Weibull(TransformedDistribution):
    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        unit = Exponential(tg.ones_like(self.scale), validate_args=validate_args)
        super().__init__(unit, self._steps(self.scale, self.concentration_reciprocal),
                         validate_args=validate_args)

    @staticmethod
    def _steps(scale, inv_k):
        """e ↦ e^(1/k) ↦ 0 + λ·e^(1/k)."""
        return [PowerTransform(exponent=inv_k), AffineTransform(loc=0, scale=scale)]

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base = self.base_dist.expand(batch_shape)
        super(Weibull, new).__init__(base, self._steps(new.scale, new.concentration_reciprocal),
                                     validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * tg.exp(tg.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** self.concentration_reciprocal

    @property
    def variance(self):
        g1 = tg.lgamma(1 + self.concentration_reciprocal)
        g2 = tg.lgamma(1 + 2 * self.concentration_reciprocal)
        return self.scale.pow(2) * (tg.exp(g2) - tg.exp(2 * g1))

    def entropy(self):
        return (euler_constant * (1 - self.concentration_reciprocal)
                + tg.log(self.scale * self.concentration_reciprocal) + 1)
