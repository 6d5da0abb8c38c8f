"""``Laplace(loc, scale)``: the double-exponential distribution around μ = ``loc`` with
scale b (torch's ``Laplace``), reparameterisable.

    density   p(x) = exp(−|x − μ|/b) / (2b)
    log_prob  −log 2b − |x − μ|/b
    cdf       ½ − ½·sign(x − μ)·(exp(−|x − μ|/b) − 1)
    icdf(p)   μ − b·sign(p − ½)·log(1 − 2|p − ½|)
    entropy   1 + log 2b
    samples   x = μ − b·sign(u)·log1p(−|u|), u uniform on (eps − 1, 1) (``uniform_``)
"""
import math
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Laplace"]


class Laplace(Distribution):
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
        new = self._get_checked_instance(Laplace, _instance)
        batch_shape = tg.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(Laplace, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """2b²."""
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        """√2·b."""
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=tg.Size()):
        """μ − b·sign(u)·log1p(−|u|): d/dμ = 1, d/db = −sign(u)·log1p(−|u|).

        u is drawn on (eps − 1, 1) rather than (−1, 1) so that log1p(−|u|) stays finite."""
        shape = self._extended_shape(sample_shape)
        eps = tg.finfo(self.loc.dtype).eps
        u = self.loc.new(shape).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * tg.log1p(-u.abs())

    def log_prob(self, value):
        """−log 2b − |x − μ|/b."""
        if self._validate_args:
            self._validate_sample(value)
        return -tg.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        """½ − ½·sign(x − μ)·expm1(−|x − μ|/b)."""
        if self._validate_args:
            self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * tg.expm1(-z.abs() / self.scale)

    def icdf(self, value):
        """μ − b·sign(p − ½)·log1p(−2|p − ½|)."""
        t = value - 0.5
        return self.loc - self.scale * t.sign() * tg.log1p(-2 * t.abs())

    def entropy(self):
        """1 + log 2b."""
        return 1 + tg.log(2 * self.scale)
