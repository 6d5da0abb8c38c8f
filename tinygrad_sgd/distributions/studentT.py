"""``StudentT(df, loc, scale)`` and ``FisherSnedecor(df1, df2)`` (torch's): both built on
Gamma/Chi2 draws, so reparameterisable through torch's implicit gamma gradient."""
import math
from numbers import Number

import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .gamma import Chi2, Gamma
from .utils import _standard_normal, broadcast_all

__all__ = ["StudentT", "FisherSnedecor"]

_NAN, _INF = float("nan"), float("inf")


class StudentT(Distribution):
    """loc + scale · X / √(Z/ν),  X ~ N(0, 1), Z ~ χ²(ν)."""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self):
        """loc for ν > 1, NaN otherwise."""
        return tg.where(self.df <= 1, _NAN, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """scale² ν/(ν−2) for ν > 2, ∞ for 1 < ν ≤ 2, NaN for ν ≤ 1."""
        big = self.df > 2
        df = tg.where(big, self.df, 3.0)             # keeps the unused branch finite
        return tg.where(big, self.scale.pow(2) * df / (df - 2),
                        tg.where(self.df > 1, _INF, _NAN))

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = tg.Size(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        super(StudentT, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=tg.Size()):
        """The normals are drawn first, then the χ² draws (torch's order)."""
        shape = self._extended_shape(sample_shape)
        x = _standard_normal(shape, dtype=self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * tg.rsqrt(z / self.df))

    def log_prob(self, value):
        """−(ν+1)/2 · log(1 + y²/ν) − log scale − ½ log ν − ½ log π − log Γ(ν/2)
        + log Γ((ν+1)/2),  y = (x − loc)/scale."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + tg.lgamma(0.5 * self.df) - tg.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * tg.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        lbeta = tg.lgamma(0.5 * self.df) + math.lgamma(0.5) - tg.lgamma(0.5 * (self.df + 1))
        return (self.scale.log()
                + 0.5 * (self.df + 1)
                * (tg.digamma(0.5 * (self.df + 1)) - tg.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)


class FisherSnedecor(Distribution):
    """F(d1, d2) = (X1/d1) / (X2/d2), Xi ~ χ²(di): drawn as Gamma(d1/2, d1) / Gamma(d2/2, d2)."""
    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        if isinstance(df1, Number) and isinstance(df2, Number):
            batch_shape = tg.Size()
        else:
            batch_shape = self.df1.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(FisherSnedecor, _instance)
        batch_shape = tg.Size(batch_shape)
        new.df1 = self.df1.expand(batch_shape)
        new.df2 = self.df2.expand(batch_shape)
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        super(FisherSnedecor, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """d2/(d2−2) for d2 > 2, NaN otherwise."""
        df2 = tg.where(self.df2 <= 2, _NAN, self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return tg.where(self.df1 <= 2, _NAN, mode)

    @property
    def variance(self):
        df2 = tg.where(self.df2 <= 4, _NAN, self.df2)
        return (2 * df2.pow(2) * (self.df1 + df2 - 2)
                / (self.df1 * (df2 - 2).pow(2) * (df2 - 4)))

    def rsample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = tg.finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * tg.log(value)
        t3 = (ct1 + ct2) * tg.log1p(ct3 * value)
        return t1 + t2 - t3
