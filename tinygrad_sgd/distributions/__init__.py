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
# --- transforms and the simpler distributions (exports added here) ---
from . import transforms
from .cauchy import Cauchy
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .generalized_pareto import GeneralizedPareto
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .pareto import Pareto
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, CatTransform, ComposeTransform,
                         CorrCholeskyTransform, CumulativeDistributionTransform, ExpTransform,
                         IndependentTransform, LowerCholeskyTransform,
                         PositiveDefiniteTransform, PowerTransform, ReshapeTransform,
                         SigmoidTransform, SoftmaxTransform, SoftplusTransform,
                         StackTransform, StickBreakingTransform, TanhTransform, Transform,
                         identity_transform)
from .weibull import Weibull
from . import kl_simple  # registers the KL pairs among these with register_kl
del kl_simple
# --- the gamma family and the counting distributions (exports added here) ---
from .gamma import Gamma  # noqa: E402
from .chi2 import Chi2  # noqa: E402
from .poisson import Poisson  # noqa: E402
from .binomial import Binomial  # noqa: E402
from .multinomial import Multinomial  # noqa: E402
from .dirichlet import Dirichlet  # noqa: E402
from .beta import Beta  # noqa: E402
from .inverse_gamma import InverseGamma  # noqa: E402
from .negative_binomial import NegativeBinomial  # noqa: E402
from .studentT import StudentT  # noqa: E402
from .fishersnedecor import FisherSnedecor  # noqa: E402
from .von_mises import VonMises  # noqa: E402
from .lkj_cholesky import LKJCholesky  # noqa: E402
from .wishart import Wishart  # noqa: E402
from . import kl_gamma  # noqa: E402  (registers the KL pairs among these)
del kl_gamma

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal",
           "Beta", "Binomial", "Chi2", "Dirichlet", "FisherSnedecor", "Gamma", "InverseGamma",
           "LKJCholesky",
           "Multinomial", "NegativeBinomial", "Poisson", "StudentT", "VonMises",
           "Wishart",
           "Normal", "Uniform", "constraints", "kl_divergence", "register_kl",
           "Cauchy", "ContinuousBernoulli", "Exponential", "ExponentialFamily",
           "GeneralizedPareto", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Kumaraswamy",
           "Laplace", "LogNormal", "LogisticNormal", "LowRankMultivariateNormal",
           "MixtureSameFamily", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "TransformedDistribution", "Weibull",
           "biject_to", "transform_to", "transforms"]
__all__ += ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
            "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
            "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
            "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
            "SoftplusTransform", "StackTransform", "StickBreakingTransform", "TanhTransform",
            "Transform", "identity_transform"]
