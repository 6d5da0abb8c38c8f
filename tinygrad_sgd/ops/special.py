"""Special functions as differentiable primitives: erf, erfinv, lgamma, digamma, ..."""

__all__ = []
