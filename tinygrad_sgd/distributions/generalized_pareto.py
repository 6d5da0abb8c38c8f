"""``GeneralizedPareto(loc, scale, concentration)``: the peaks-over-threshold law of extreme
value theory (torch's ``GeneralizedPareto``), reparameterisable. With μ = ``loc``,
σ = ``scale``, ξ = ``concentration`` and z = (x − μ)/σ:

    support   x ≥ μ, and also x ≤ μ − σ/ξ when ξ < 0
    survival  log S(x) = −log1p(ξz)/ξ          (ξ = 0: −z, the exponential tail)
    log_prob  −log σ − (1 + 1/ξ)·log1p(ξz)     (ξ = 0: −log σ − z)
    cdf       exp(log_cdf),  log_cdf = log1p(−S(x))
    icdf(p)   μ + σ·expm1(−ξ·log1p(−p))/ξ       (ξ = 0: μ − σ·log1p(−p))
    mean      μ + σ/(1 − ξ) for ξ < 1;   variance σ²/((1 − ξ)²(1 − 2ξ)) for ξ < ½ (else nan)
    entropy   log σ + ξ + 1
    samples   icdf(u), u = ``rand`` uniform on [0, 1)

ξ counts as zero when it is ``isclose`` to 0. As torch does, ``log_prob``, ``cdf`` and the
survival function compare ξ with a float32 zero, so they raise for float64 parameters;
values outside the support are not masked (the formulas give nan or ±inf there).
"""
import math
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        if all(isinstance(v, Number) for v in (loc, scale, concentration)):
            batch_shape = tg.Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(GeneralizedPareto, _instance)
        batch_shape = tg.Size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        super(GeneralizedPareto, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _z(self, x):
        """z = (x − μ)/σ."""
        return (x - self.loc) / self.scale

    def _split(self, zero):
        """ξ with its (near-)zero entries replaced by 1, for the ξ ≠ 0 branch: the branch
        not taken then holds finite numbers, so its gradient cannot leak a nan."""
        c = self.concentration
        return tg.where(zero, tg.ones_like(c), c)

    def rsample(self, sample_shape=tg.Size()):
        """icdf(u), u ~ U[0, 1): differentiable in μ, σ and ξ through icdf."""
        shape = self._extended_shape(sample_shape)
        u = tg.rand(shape, dtype=self.loc.dtype)
        return self.icdf(u)

    def log_prob(self, value):
        """−log σ − (1 + 1/ξ)·log1p(ξz);  ξ = 0: −log σ − z."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero = tg.isclose(self.concentration, tg.tensor(0.0))
        c = self._split(zero)
        tail = tg.where(zero, z, (1 + c.reciprocal()) * tg.log1p(c * z))
        return -tg.log(self.scale) - tail

    def log_survival_function(self, value):
        """log P(X > x) = −log1p(ξz)/ξ;  ξ = 0: −z."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero = tg.isclose(self.concentration, tg.tensor(0.0))
        c = self._split(zero)
        return tg.where(zero, -z, -tg.log1p(c * z) / c)

    def log_cdf(self, value):
        """log(1 − S(x))."""
        return tg.log1p(-tg.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return tg.exp(self.log_cdf(value))

    def icdf(self, value):
        """μ + σ·expm1(−ξ·log1p(−p))/ξ;  ξ = 0: μ − σ·log1p(−p)."""
        zero = tg.isclose(self.concentration, tg.zeros_like(self.concentration))
        c = self._split(zero)
        log1m = tg.log1p(-value)
        w = tg.where(zero, -log1m, tg.expm1(-c * log1m) / c)
        return self.loc + self.scale * w

    @property
    def mean(self):
        """μ + σ/(1 − ξ) where ξ < 1, else nan."""
        c = self.concentration
        finite = c < 1
        safe = tg.where(finite, c, tg.zeros_like(c))
        return tg.where(finite, self.loc + self.scale / (1 - safe),
                        tg.full_like(c, math.nan))

    @property
    def variance(self):
        """σ²/((1 − ξ)²(1 − 2ξ)) where ξ < ½, else nan."""
        c = self.concentration
        finite = c < 0.5
        safe = tg.where(finite, c, tg.zeros_like(c))
        return tg.where(finite, self.scale.pow(2) / ((1 - safe).pow(2) * (1 - 2 * safe)),
                        tg.full_like(c, math.nan))

    def entropy(self):
        """log σ + ξ + 1."""
        return tg.log(self.scale) + self.concentration + 1

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        """[μ, μ − σ/ξ] for ξ < 0, else [μ, ∞); plain floats when the batch is a scalar."""
        c = self.concentration
        negative = c < 0
        safe = tg.where(negative, c, -tg.ones_like(c))
        upper = tg.where(negative, self.loc - self.scale / safe, tg.full_like(c, math.inf))
        lower = self.loc
        if lower.dim() == 0:
            lower, upper = lower.item(), upper.item()
        return constraints.interval(lower, upper)
