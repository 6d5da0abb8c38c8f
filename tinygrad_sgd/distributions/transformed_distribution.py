"""``TransformedDistribution(base, transforms)``: the law of y = f_n(…f_1(x)) for x drawn
from ``base`` (torch's ``TransformedDistribution``).

Samples push base samples through the transforms in order. For bijective f the density
follows from the change of variables

    log p_Y(y) = log p_X(x) − Σ_k log|det ∂f_k/∂x_{k−1}|,    x = f⁻¹(y),

each log-Jacobian summed over the event dimensions it covers. The cdf and icdf pass through
the transforms too; a transform that decreases (``sign == −1``) turns F into 1 − F.

Shapes: the transforms act on ``base.batch_shape + base.event_shape``; dimensions a transform
consumes as its event (``domain.event_dim``) beyond the base's event shape are reinterpreted
with ``Independent``, and the result's event rank is the last codomain's event_dim plus
whatever base event dimensions the transforms did not touch."""
import tinygrad_sgd as tg

from . import constraints
from .distribution import Distribution
from .independent import Independent
from .transforms import ComposeTransform, Transform
from .utils import _sum_rightmost

__all__ = ["TransformedDistribution"]


class TransformedDistribution(Distribution):
    arg_constraints = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms must be a Transform or a list of Transforms")
            self.transforms = transforms
        else:
            raise ValueError(f"transforms must be a Transform or list, but was {transforms}")

        full_shape = tg.Size(base_distribution.batch_shape + base_distribution.event_shape)
        base_event_rank = len(base_distribution.event_shape)
        chain = ComposeTransform(self.transforms)
        if len(full_shape) < chain.domain.event_dim:
            raise ValueError("base_distribution needs to have shape with size at least "
                             f"{chain.domain.event_dim}, but got {full_shape!r}.")
        out_shape = chain.forward_shape(full_shape)
        needed_in_shape = chain.inverse_shape(out_shape)
        if full_shape != needed_in_shape:       # the transforms broadcast the base up
            base_distribution = base_distribution.expand(
                needed_in_shape[:len(needed_in_shape) - base_event_rank])
        extra = chain.domain.event_dim - base_event_rank
        if extra > 0:
            base_distribution = Independent(base_distribution, extra)
        self.base_dist = base_distribution

        event_rank = chain.codomain.event_dim + max(base_event_rank - chain.domain.event_dim, 0)
        split = len(out_shape) - event_rank
        super().__init__(tg.Size(out_shape[:split]), tg.Size(out_shape[split:]),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(TransformedDistribution, _instance)
        batch_shape = tg.Size(batch_shape)
        shape = batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        new.base_dist = self.base_dist.expand(shape[:len(shape) - len(self.base_dist.event_shape)])
        new.transforms = self.transforms
        super(TransformedDistribution, new).__init__(batch_shape, self.event_shape,
                                                     validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        """The last transform's codomain, made Independent over any further event dims."""
        if not self.transforms:
            return self.base_dist.support
        region = self.transforms[-1].codomain
        if len(self.event_shape) > region.event_dim:
            region = constraints.independent(region, len(self.event_shape) - region.event_dim)
        return region

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    def sample(self, sample_shape=tg.Size()):
        with tg.no_grad():
            y = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                y = t(y)
            return y

    def rsample(self, sample_shape=tg.Size()):
        """f_n(…f_1(x)), x a reparameterised base sample: gradients flow through both."""
        y = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            y = t(y)
        return y

    def log_prob(self, value):
        """log p_X(f⁻¹(y)) − Σ_k log|det J_k|, walking the transforms backwards."""
        if self._validate_args:
            self._validate_sample(value)
        rank = len(self.event_shape)
        total = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            rank += t.domain.event_dim - t.codomain.event_dim
            total = total - _sum_rightmost(t.log_abs_det_jacobian(x, y),
                                           rank - t.domain.event_dim)
            y = x
        return total + _sum_rightmost(self.base_dist.log_prob(y),
                                      rank - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value):
        """F ↦ 1 − F when the composed transform decreases (product of the signs is −1)."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        """F_X(f⁻¹(y)) for increasing f, 1 − F_X(f⁻¹(y)) for decreasing f."""
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        """f(F_X⁻¹(q)), q flipped first for a decreasing f."""
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value
