"""``Kumaraswamy(concentration1, concentration0)``: a Beta-like law on (0, 1) with a
closed-form cdf, a = ``concentration1``, b = ``concentration0`` (torch's ``Kumaraswamy``),
reparameterisable; a TransformedDistribution of a uniform draw:

    samples   x = (1 − u^(1/b))^(1/a),  u uniform on [0, 1)
    density   p(x) = a·b·x^(a−1)·(1 − x^a)^(b−1)
    moments   E[xⁿ] = b·B(1 + n/a, b)   (mean n = 1; variance E[x²] − E[x]²)
    entropy   (1 − 1/b) + (1 − 1/a)·H_b − log a − log b,  H_b = ψ(b + 1) + γ
    mode      nan everywhere, as torch reports it (the true mode ((a−1)/(ab−1))^(1/a) for
              a, b ≥ 1 is not what torch returns, and this library matches torch)
"""
import math

import tinygrad_sgd as tg

from . import constraints
from ._utils_more import euler_constant
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """E[xⁿ] = b·B(1 + n/a, b) = exp(log b + lgamma(1 + n/a) + lgamma(b) − lgamma(1 + n/a + b))."""
    c = 1 + n / a
    return tg.exp(b.log() + tg.lgamma(c) + tg.lgamma(b) - tg.lgamma(c + b))


class Kumaraswamy(TransformedDistribution):
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        uniform = Uniform(tg.full_like(self.concentration0, 0),
                          tg.full_like(self.concentration0, 1), validate_args=validate_args)
        steps = [PowerTransform(exponent=self.concentration0.reciprocal()),
                 AffineTransform(loc=1.0, scale=-1.0),
                 PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(uniform, steps, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        return tg.full_like(self.concentration0, math.nan)

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = tg.digamma(b + 1) + euler_constant
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic_b - a.log() - b.log()
