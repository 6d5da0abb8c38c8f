"""``NegativeBinomial(total_count, probs | logits)`` (torch's): the number of successes
before ``total_count`` failures, drawn as Poisson(Gamma(total_count, e^(−logits))) with
torch's draws."""
import tinygrad_sgd as tg

from . import constraints
from .binomial import CountsOfTrials
from .gamma import Gamma
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["NegativeBinomial"]


class NegativeBinomial(CountsOfTrials):
    """P(k) = Γ(k+r)/(k! Γ(r)) · p^k (1−p)^r,  r = total_count, p = probs."""
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def expand(self, batch_shape, _instance=None):
        return self._expand_counts(NegativeBinomial, batch_shape, _instance)

    @property
    def mean(self):
        return self.total_count * tg.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / tg.sigmoid(-self.logits)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=tg.exp(-self.logits),
                     validate_args=False)

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return tg.poisson(rate)

    def log_prob(self, value):
        """r log σ(−logits) + k log σ(logits) − log Γ(r+k) + log Γ(1+k) + log Γ(r), the
        normaliser taken as 0 where r + k = 0."""
        if self._validate_args:
            self._validate_sample(value)
        F = tg.nn.functional
        log_unnormalized = (self.total_count * F.logsigmoid(-self.logits)
                            + value * F.logsigmoid(self.logits))
        log_normalization = (-tg.lgamma(self.total_count + value) + tg.lgamma(1.0 + value)
                             + tg.lgamma(self.total_count))
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized - log_normalization
