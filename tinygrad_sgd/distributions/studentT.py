"""``StudentT(df, loc, scale)`` (torch's): built on Chi2 draws, so reparameterisable through
torch's implicit gamma gradient. FisherSnedecor is in :mod:`.fishersnedecor`."""
import math

import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .chi2 import Chi2
from .utils import _standard_normal, broadcast_all

__all__ = ["StudentT"]

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
