"""``LogNormal(loc, scale)``: x = exp(z) with z ~ Normal(μ = ``loc``, σ = ``scale``) (torch's
``LogNormal``), reparameterisable; a TransformedDistribution of the Normal by exp.

    log_prob  log N(log x; μ, σ) − log x        (change of variables through exp)
    mean      exp(μ + σ²/2);   mode  exp(μ − σ²)
    variance  (exp(σ²) − 1)·exp(2μ + σ²)
    entropy   H(Normal) + μ
    samples   exp(μ + σ·ε), ε ~ N(0, 1)
"""
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform

__all__ = ["LogNormal"]


class LogNormal(TransformedDistribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self):
        var = self.scale.pow(2)
        return var.expm1() * (2 * self.loc + var).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc
