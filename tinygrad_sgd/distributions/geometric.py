"""``Geometric(probs=... | logits=...)``: the number of failures before the first success
in independent Bernoulli(p) trials (torch's ``Geometric``), on {0, 1, 2, ...}.

    pmf       P(k) = (1 − p)^k · p
    log_prob  k·log1p(−p) + log p   (with 0·log 0 = 0 at p = 1, k = 0)
    mean      1/p − 1;   variance (1/p − 1)/p;   mode 0
    entropy   H(Bernoulli(p))/p = BCE(logits, p)/p
    samples   k = floor(log u / log1p(−p)), u uniform on (tiny, 1) (``uniform_``): the
              inverse cdf of the continuous exponential, rounded down
"""
from numbers import Number

import tinygrad_sgd as tg
from tinygrad_sgd.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Geometric"]


class Geometric(Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            given = probs
        else:
            (self.logits,) = broadcast_all(logits)
            given = logits
        param = self.probs if probs is not None else self.logits
        batch_shape = tg.Size() if isinstance(given, Number) else param.size()
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            # p = 0 lies in the unit interval but never succeeds: torch refuses it too
            bad = ~(self.probs > 0)
            if bool(bad.any()):
                raise ValueError(
                    f"Expected parameter probs ({type(self.probs).__name__} of shape "
                    f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive "
                    f"but found invalid values:\n{self.probs[bad]}")

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Geometric, _instance)
        batch_shape = tg.Size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
        super(Geometric, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """1/p − 1."""
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        """0."""
        return tg.zeros_like(self.probs)

    @property
    def variance(self):
        """(1/p − 1)/p."""
        return (1.0 / self.probs - 1.0) / self.probs

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=tg.Size()):
        """floor(log u / log1p(−p)), u ~ U(tiny, 1)."""
        shape = self._extended_shape(sample_shape)
        tiny = tg.finfo(self.probs.dtype).tiny
        with tg.no_grad():
            u = self.probs.new(shape).uniform_(tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        """k·log1p(−p) + log p; where p = 1 and k = 0 the first term is 0 (not 0·−inf)."""
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        certain_zero = (probs == 1) & (value == 0)
        probs = tg.where(certain_zero, tg.zeros_like(probs), probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        """BCE(logits, p)/p: the entropy of one trial, once per expected trial."""
        return binary_cross_entropy_with_logits(self.logits, self.probs,
                                                reduction="none") / self.probs
