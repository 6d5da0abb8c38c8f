"""``torch.distributions``: probability distributions to sample from (with torch's random
draws, so a seeded program samples torch's numbers), score (``log_prob``, gradients
through it and through ``rsample``), and compare (``kl_divergence``).

    distribution.py   Distribution: shapes, sample/rsample, validation with torch's errors
    constraints.py    the regions parameters and samples must lie in
    normal.py, uniform.py, bernoulli.py, categorical.py, multivariate_normal.py
    independent.py    Independent: batch dimensions reinterpreted as event dimensions
    kl.py             kl_divergence and its registry (register_kl)
"""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal",
           "Normal", "Uniform", "constraints", "kl_divergence", "register_kl"]
