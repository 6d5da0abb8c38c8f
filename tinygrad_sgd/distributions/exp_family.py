"""``ExponentialFamily``: the base class of distributions whose density has the form

    p(x; θ) = h(x) · exp(⟨t(x), θ⟩ − F(θ))

with natural parameters θ, sufficient statistic t, carrier measure h and log normaliser F
(torch's ``ExponentialFamily``). Because ∇F(θ) = E[t(x)], the entropy follows from F alone:

    H = F(θ) − ⟨θ, ∇F(θ)⟩ − E[log h(x)]

and ∇F is taken by autograd, so a subclass only states θ (``_natural_params``), F
(``_log_normalizer``) and E[log h] (``_mean_carrier_measure``). The same ingredients give the
generic KL divergence between two members of one family (``kl_simple``)."""
import tinygrad_sgd as tg

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    @property
    def _natural_params(self):
        """θ: a tuple of tensors, one per natural parameter."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """F(θ), a function of the natural parameters given as arguments."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """E[log h(x)]."""
        raise NotImplementedError

    def entropy(self):
        """F(θ) − Σ θ·∂F/∂θ − E[log h]; θ is detached, so gradients reach the parameters only
        through F, as in torch."""
        thetas = [t.detach().requires_grad_() for t in self._natural_params]
        log_norm = self._log_normalizer(*thetas)
        grads = tg.autograd.grad(log_norm.sum(), thetas, create_graph=True)
        out = log_norm - self._mean_carrier_measure
        for theta, g in zip(thetas, grads):
            out = out - theta * g
        return out
