"""``biject_to`` and ``transform_to``: from a constraint to a transform that maps the whole
real space (of the right event rank) onto the constrained region (torch's
``torch.distributions.constraint_registry``).

``biject_to(c)`` gives a bijection (so a parameter can be optimised unconstrained and its
log-Jacobian is meaningful); ``transform_to(c)`` only needs to land in the region and may
lose a dimension (softmax for the simplex). The lookup is by the constraint's *type*, so
``positive`` uses the ``greater_than`` rule with lower bound 0:

    real                    identity
    greater_than(a), ≥ a    x ↦ a + exp(x)
    less_than(b)            x ↦ b − exp(x)
    interval(a, b)          x ↦ a + (b − a)·sigmoid(x)   (plain sigmoid for 0, 1)
    simplex                 stick-breaking (biject_to) / softmax (transform_to)
    lower_cholesky          LowerCholeskyTransform (transform_to only)
    positive_(semi)definite PositiveDefiniteTransform (transform_to only)
    corr_cholesky           CorrCholeskyTransform
    independent, cat, stack the rule for each part, wrapped alike

A constraint type with no rule raises ``NotImplementedError``; ``register`` adds rules."""
from numbers import Number

from . import constraints
from . import transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A table from constraint types to factories ``factory(constraint) -> Transform``."""

    def __init__(self):
        self._registry = {}
        super().__init__()

    def register(self, constraint, factory=None):
        """Register ``factory`` for the type of ``constraint`` (a Constraint subclass or an
        instance); without ``factory``, return a decorator."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError("Expected constraint to be either a Constraint subclass or "
                            f"instance, but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        """The transform registered for this constraint's type, built for this constraint."""
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(
                f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(constraint):
    """Register the decorated factory with biject_to and transform_to alike."""
    def deco(factory):
        biject_to.register(constraint, factory)
        transform_to.register(constraint, factory)
        return factory
    return deco


@_both(constraints.real)
def _to_real(constraint):
    return transforms.identity_transform


@biject_to.register(constraints.independent)
def _biject_independent(constraint):
    return transforms.IndependentTransform(biject_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.independent)
def _transform_independent(constraint):
    return transforms.IndependentTransform(transform_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@_both(constraints.greater_than)
@_both(constraints.greater_than_eq)
def _to_above(constraint):
    """a + exp(x)."""
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


@_both(constraints.less_than)
def _to_below(constraint):
    """b − exp(x)."""
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@_both(constraints.interval)
@_both(constraints.half_open_interval)
def _to_interval(constraint):
    """a + (b − a)·sigmoid(x); just sigmoid(x) when the bounds are the numbers 0 and 1."""
    lo, hi = constraint.lower_bound, constraint.upper_bound
    if isinstance(lo, Number) and isinstance(hi, Number) and lo == 0 and hi == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(),
                                        transforms.AffineTransform(lo, hi - lo)])


@biject_to.register(constraints.simplex)
def _biject_simplex(constraint):
    return transforms.StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_simplex(constraint):
    return transforms.SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints.positive_semidefinite)
def _transform_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@_both(constraints.corr_cholesky)
def _to_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


@biject_to.register(constraints.cat)
def _biject_cat(constraint):
    return transforms.CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@transform_to.register(constraints.cat)
def _transform_cat(constraint):
    return transforms.CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@biject_to.register(constraints.stack)
def _biject_stack(constraint):
    return transforms.StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack)
def _transform_stack(constraint):
    return transforms.StackTransform([transform_to(c) for c in constraint.cseq], constraint.dim)
