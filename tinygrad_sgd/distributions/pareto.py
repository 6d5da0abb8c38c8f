"""``Pareto(scale, alpha)``: the power-law tail with minimum x_m = ``scale`` and index
α = ``alpha`` (torch's ``Pareto``), reparameterisable; a TransformedDistribution of an
exponential draw: x = x_m·exp(e), e ~ Exponential(α).

    density   p(x) = α·x_m^α / x^(α+1) for x ≥ x_m
    mean      α·x_m/(α − 1) (inf for α ≤ 1);   mode x_m
    variance  x_m²·α / ((α − 1)²(α − 2)) (inf for α ≤ 2)
    entropy   log(x_m/α) + 1 + 1/α
The support [x_m, ∞) depends on the parameters."""
from . import constraints
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .utils import broadcast_all

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        super().__init__(Exponential(self.alpha, validate_args=validate_args),
                         [ExpTransform(), AffineTransform(loc=0, scale=self.scale)],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Pareto, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.alpha = self.alpha.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)           # α ≤ 1 gives α/0 = inf
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)           # α ≤ 2 gives inf
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
