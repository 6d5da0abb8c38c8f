"""``LogisticNormal(loc, scale)``: a point of the K-simplex obtained from a Gaussian vector
z ∈ ℝ^(K−1) (independent coordinates, means ``loc``, scales ``scale``) by stick-breaking
(torch's ``LogisticNormal``), reparameterisable:

    y_k = σ(z_k − log(K−1−k)) · (1 − Σ_{j<k} y_j),   y_K = 1 − Σ_{j<K} y_j

so the event has one more coordinate than ``loc``. log_prob is the Independent Normal's at
z = f⁻¹(y) minus the stick-breaking log|det J|. A scalar ``loc`` is read as a length-1 vector
(a distribution on the 2-simplex)."""
from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        gaussian = Normal(loc, scale, validate_args=validate_args)
        if not gaussian.batch_shape:
            gaussian = gaussian.expand([1])
        super().__init__(gaussian, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
