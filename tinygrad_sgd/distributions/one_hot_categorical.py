"""``OneHotCategorical(probs=... | logits=...)``: a Categorical whose outcome is written as a
one-hot vector of length K (torch's ``OneHotCategorical``), and
``OneHotCategoricalStraightThrough``, the same with a straight-through ``rsample``.

Everything is delegated to an inner ``Categorical`` over the K events; the event shape is
(K,).

    log_prob(x)  log p_k with k = argmax x (the index of the one)
    mean         p;   variance p·(1 − p);   mode one_hot(argmax p)
    entropy      −Σ p·log p
    samples      one_hot(k), k drawn by the inner Categorical (``multinomial``)
    rsample (straight-through)   one_hot(k) + (p − stop_grad(p)): the value of the
                 sample, the gradient of p
"""
import tinygrad_sgd as tg
from tinygrad_sgd.nn.functional import one_hot

from . import constraints
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(OneHotCategorical, _instance)
        batch_shape = tg.Size(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        super(OneHotCategorical, new).__init__(batch_shape, self.event_shape,
                                               validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        """E[x] = p."""
        return self._categorical.probs

    @property
    def mode(self):
        """The one-hot vector of the most probable event."""
        probs = self._categorical.probs
        return one_hot(probs.argmax(dim=-1), probs.shape[-1]).to(probs)

    @property
    def variance(self):
        """Each coordinate is a Bernoulli(p_k): p·(1 − p)."""
        probs = self._categorical.probs
        return probs * (1 - probs)

    def sample(self, sample_shape=tg.Size()):
        """one_hot of the inner Categorical's draw, in the probabilities' dtype."""
        sample_shape = tg.Size(sample_shape)
        probs = self._categorical.probs
        k = self._categorical.sample(sample_shape)
        return one_hot(k, self._categorical._num_events).to(probs)

    def log_prob(self, value):
        """log p_k, k the position of the one in ``value``."""
        if self._validate_args:
            self._validate_sample(value)
        k = value.max(-1)[1]
        return self._categorical.log_prob(k)

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        """The K one-hot vectors (the rows of the identity), as (K,) + batch ones + (K,)."""
        k = self.event_shape[0]
        values = tg.eye(k, dtype=self._param.dtype)
        values = values.view((k,) + (1,) * len(self.batch_shape) + (k,))
        if expand:
            values = values.expand((k,) + self.batch_shape + (k,))
        return values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A OneHotCategorical whose ``rsample`` passes gradients straight through the draw:
    the forward value is the one-hot sample, the gradient is that of p."""
    has_rsample = True

    def rsample(self, sample_shape=tg.Size()):
        """one_hot(k) + (p − p.detach())."""
        sample = self.sample(sample_shape)
        probs = self._categorical.probs
        return sample + (probs - probs.detach())
