"""``Cauchy(loc, scale)``: the Lorentz distribution, the ratio of two independent standard
normals shifted by μ = ``loc`` and scaled by γ = ``scale`` (torch's ``Cauchy``),
reparameterisable. It has no mean and no variance (reported as nan and inf).

    density   p(x) = 1 / (πγ·(1 + z²)),  z = (x − μ)/γ
    log_prob  −log π − log γ − log1p(z²)
    cdf       ½ + atan(z)/π;   icdf(p) = μ + γ·tan(π(p − ½))
    entropy   log 4π + log γ
    samples   x = μ + γ·c with c a standard Cauchy draw (``cauchy_``, torch's stream)
"""
import math
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Cauchy"]


class Cauchy(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, Number) and isinstance(scale, Number):
            batch_shape = tg.Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Cauchy, _instance)
        batch_shape = tg.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(Cauchy, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """Undefined: nan everywhere."""
        return tg.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """Infinite."""
        return tg.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=tg.Size()):
        """μ + γ·c, c ~ Cauchy(0, 1): d/dμ = 1, d/dγ = c."""
        shape = self._extended_shape(sample_shape)
        c = self.loc.new(shape).cauchy_()
        return self.loc + c * self.scale

    def log_prob(self, value):
        """−log π − log γ − log1p(((x − μ)/γ)²)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - z.pow(2).log1p()

    def cdf(self, value):
        """½ + atan((x − μ)/γ)/π."""
        if self._validate_args:
            self._validate_sample(value)
        return tg.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        """μ + γ·tan(π(p − ½))."""
        return tg.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        """log 4π + log γ."""
        return math.log(4 * math.pi) + self.scale.log()
