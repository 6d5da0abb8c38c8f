"""The Concrete (Gumbel-softmax) relaxation of a categorical variable (Maddison et al. 2017;
Jang et al. 2017), torch's ``RelaxedOneHotCategorical`` and its log-space base
``ExpRelaxedCategorical``. Both are reparameterisable; temperature τ → 0 recovers one-hot
samples.

``ExpRelaxedCategorical(τ, probs | logits)``, a vector x of log-probabilities over K classes:

    samples   s = (logits + g)/τ,  g_k = −log(−log u_k), u uniform clamped to [eps, 1 − eps];
              x = s − logsumexp(s)
    log_prob  lgamma(K) + (K−1)·log τ + Σ_k (l_k − τx_k) − K·logsumexp(l − τx)

``RelaxedOneHotCategorical`` = exp of that: a point of the simplex, log_prob by change of
variables.
"""
import tinygrad_sgd as tg

from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        batch_shape = tg.Size(batch_shape)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        super(ExpRelaxedCategorical, new).__init__(batch_shape, self.event_shape,
                                                   validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    def rsample(self, sample_shape=tg.Size()):
        """Gumbel noise added to the logits, divided by τ, normalised in log space."""
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(tg.rand(shape, dtype=self.logits.dtype))
        gumbel = -((-(u.log())).log())
        s = (self.logits + gumbel) / self.temperature
        return s - s.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        """lgamma(K) + (K−1)·log τ + Σ (s − logsumexp(s)),  s = logits − τx."""
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_norm = (tg.full_like(self.temperature, float(k)).lgamma()
                    + (k - 1) * self.temperature.log())
        s = logits - value.mul(self.temperature)
        return (s - s.logsumexp(dim=-1, keepdim=True)).sum(-1) + log_norm


class RelaxedOneHotCategorical(TransformedDistribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(ExpRelaxedCategorical(temperature, probs, logits, validate_args),
                         ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs

