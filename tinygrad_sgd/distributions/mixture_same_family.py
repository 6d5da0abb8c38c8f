"""``MixtureSameFamily(mixture_distribution, component_distribution)``: a finite mixture of
K distributions of one family (torch's ``MixtureSameFamily``).

``mixture_distribution`` is a Categorical over the K components (weights π_k, batch shape
broadcastable to ours); ``component_distribution`` has batch shape ``batch_shape + (K,)``,
so its rightmost batch dimension indexes the components. With f_k the component densities:

    log_prob  log Σ_k π_k·f_k(x) = logsumexp_k(log_softmax(logits)_k + log f_k(x))
    cdf       Σ_k π_k·F_k(x)
    mean      Σ_k π_k·μ_k
    variance  Σ_k π_k·σ_k² + Σ_k π_k·(μ_k − μ)²   (law of total variance)
    samples   k ~ Categorical(π) first, then one draw of every component; keep the k-th
There is no rsample: the choice of component is discrete.
"""
import tinygrad_sgd as tg

from . import constraints
from .categorical import Categorical
from .constraints import MixtureSameFamilyConstraint
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of "
                             "torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "torch.distributions.Distribution")
        mix_batch = mixture_distribution.batch_shape
        comp_batch = component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mix_batch), reversed(comp_batch)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mix_batch!r}) is not "
                                 f"compatible with `component_distribution.batch_shape`"
                                 f"({comp_batch!r})")
        k_mix = mixture_distribution.logits.shape[-1]
        k_comp = component_distribution.batch_shape[-1]
        if k_mix != k_comp:
            raise ValueError(f"`mixture_distribution component` ({k_mix}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({k_comp})")
        self._num_component = k_mix
        event_shape = component_distribution.event_shape
        self._event_ndims = len(event_shape)
        super().__init__(batch_shape=comp_batch, event_shape=event_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        batch_shape = tg.Size(batch_shape)
        new._component_distribution = self._component_distribution.expand(
            batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component = self._num_component
        new._event_ndims = self._event_ndims
        super(MixtureSameFamily, new).__init__(
            batch_shape=batch_shape, event_shape=new._component_distribution.event_shape,
            validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self):
        """x is in the support when it is in the components' support."""
        return MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    @property
    def _k_dim(self):
        """The dimension of the components in a component-shaped tensor."""
        return -1 - self._event_ndims

    def _weights(self):
        """π with ones appended for the event dimensions, to broadcast against the
        components' ``batch + (K,) + event`` tensors (aligned from the right)."""
        probs = self._mixture_distribution.probs
        return probs.reshape(probs.shape + (1,) * self._event_ndims)

    @property
    def mean(self):
        """Σ_k π_k·μ_k."""
        return (self._weights() * self._component_distribution.mean).sum(dim=self._k_dim)

    @property
    def variance(self):
        """E[Var | k] + Var[E | k] = Σ π_k·σ_k² + Σ π_k·(μ_k − μ)²."""
        w = self._weights()
        comp = self._component_distribution
        within = (w * comp.variance).sum(dim=self._k_dim)
        between = (w * (comp.mean - self._pad(self.mean)).pow(2)).sum(dim=self._k_dim)
        return within + between

    def cdf(self, x):
        """Σ_k π_k·F_k(x)."""
        cdf_k = self._component_distribution.cdf(self._pad(x))
        return (cdf_k * self._mixture_distribution.probs).sum(dim=-1)

    def log_prob(self, x):
        """logsumexp_k(log π_k + log f_k(x))."""
        if self._validate_args:
            self._validate_sample(x)
        log_f = self._component_distribution.log_prob(self._pad(x))
        log_pi = tg.log_softmax(self._mixture_distribution.logits, dim=-1)
        return tg.logsumexp(log_f + log_pi, dim=-1)

    def sample(self, sample_shape=tg.Size()):
        """Draw the component indices k, then all components, and pick the k-th draw."""
        sample_shape = tg.Size(sample_shape)
        with tg.no_grad():
            k_dim = len(sample_shape) + len(self.batch_shape)
            es = self.event_shape
            k = self._mixture_distribution.sample(sample_shape)        # S + B
            draws = self._component_distribution.sample(sample_shape)  # S + B + (K,) + E
            index = k.reshape(k.shape + (1,) * (len(es) + 1))
            index = index.repeat(tg.Size((1,) * len(k.shape)) + tg.Size((1,)) + es)
            return tg.gather(draws, k_dim, index).squeeze(k_dim)

    def _pad(self, x):
        """x with a size-1 component dimension in front of its event dimensions."""
        return x.unsqueeze(self._k_dim)

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self.mixture_distribution},"
                f"\n  {self.component_distribution})")
