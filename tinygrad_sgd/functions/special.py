"""Special functions: erf, erfc, erfinv, lgamma, digamma, xlogy, logit, sinc, ...
(also under ``tinygrad_sgd.special``, torch.special's namespace)."""

__all__ = []
