"""``Gumbel(loc, scale)``: the type-I extreme-value distribution with location μ = ``loc``
and scale β = ``scale`` (torch's ``Gumbel``), reparameterisable; built as a
TransformedDistribution of a uniform draw:

    samples   x = μ − β·log(−log u),  u uniform on [tiny, 1 − eps) of the dtype
              (transforms: log, ×(−1), log, then μ + (−β)··)
    log_prob  z − e^z − log β,  z = (μ − x)/β
    cdf       exp(−exp(−(x − μ)/β))
    mean      μ + β·γ (γ Euler's constant);   mode μ
    variance  (π²/6)·β²
    entropy   log β + 1 + γ
"""
import math
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from ._utils_more import euler_constant
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform
from .utils import broadcast_all

__all__ = ["Gumbel"]


class Gumbel(TransformedDistribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        info = tg.finfo(self.loc.dtype)
        if isinstance(loc, Number) and isinstance(scale, Number):
            uniform = Uniform(info.tiny, 1 - info.eps, validate_args=validate_args)
        else:
            uniform = Uniform(tg.full_like(self.loc, info.tiny),
                              tg.full_like(self.loc, 1 - info.eps),
                              validate_args=validate_args)
        steps = [ExpTransform().inv, AffineTransform(loc=0, scale=-tg.ones_like(self.scale)),
                 ExpTransform().inv, AffineTransform(loc=loc, scale=-self.scale)]
        super().__init__(uniform, steps, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gumbel, _instance)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    def log_prob(self, value):
        """z − e^z − log β with z = (μ − x)/β (written directly: more accurate than the
        chain of transforms)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (self.loc - value) / self.scale
        return (z - z.exp()) - self.scale.log()

    @property
    def mean(self):
        return self.loc + self.scale * euler_constant

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        return self.scale.log() + (1 + euler_constant)
