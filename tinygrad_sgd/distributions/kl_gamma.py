"""Closed forms of KL(p ‖ q) for the gamma family (Gamma, Beta, Dirichlet) and the counting
distributions (Poisson, Binomial), among themselves and with the simpler distributions,
registered with ``register_kl`` (the pairs torch registers).

Across families KL(p ‖ q) = −H(p) − E_p[log q(x)], with q's log density written out and
p's moments put in. The moments used (ψ the digamma function, γ Euler's constant):

    Beta(a, b)       E x = a/(a + b),  E log x = ψ(a) − ψ(a + b)
    Gamma(α, β)      E x = α/β,  Var x = α/β²,  E log x = ψ(α) − log β,
                     E e^(−tx) = (1 + t/β)^(−α)
    Exponential(λ)   E log x = −γ − log λ
    Pareto(s, a)     E x = as/(a − 1) (a > 1),  E log x = log s + 1/a
    Uniform(a, b)    E log x = (b·log b − a·log a)/(b − a) − 1  (0·log 0 = 0)

and the log densities of q:

    Gamma(α, β)   α·log β − lnΓ(α) + (α − 1)·log x − βx
    Beta(α, β)    (α − 1)·log x + (β − 1)·log(1 − x) − ln B(α, β)

Where p charges a set q gives no density (p's support is not inside q's, or a needed
moment of p is infinite) the divergence is +∞.
"""
import tinygrad_sgd as tg

from .bernoulli import Bernoulli
from .binomial import Binomial
from .continuous_bernoulli import ContinuousBernoulli
from .beta import Beta
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import Gumbel
from .kl import register_kl
from .kl_simple import _inf_where, _infinite_like, _normal_cross_entropy
from .laplace import Laplace
from .normal import Normal
from .pareto import Pareto
from .poisson import Poisson
from .uniform import Uniform
from ._utils_more import euler_constant as _EULER

__all__ = []


def _log_beta_fn(a, b):
    """ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a + b)."""
    return tg.lgamma(a) + tg.lgamma(b) - tg.lgamma(a + b)


def _gamma_cross_entropy(E_x, E_log_x, q):
    """−E_p[log Gamma(x; α, β)] = −α·log β + lnΓ(α) − (α − 1)·E log x + β·E x."""
    alpha, beta = q.concentration, q.rate
    return -alpha * beta.log() + tg.lgamma(alpha) - (alpha - 1) * E_log_x + beta * E_x


def _uniform_mean_log(low, high):
    """E log x for x uniform on (low, high): (high·log high − low·log low)/(high − low) − 1."""
    return (tg.xlogy(high, high) - tg.xlogy(low, low)) / (high - low) - 1


# ---- within the families ---------------------------------------------------------------------
@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    """ln B(a₂, b₂) − ln B(a₁, b₁) + (a₁ − a₂)ψ(a₁) + (b₁ − b₂)ψ(b₁)
    + (a₂ − a₁ + b₂ − b₁)ψ(a₁ + b₁)."""
    a1, b1 = p.concentration1, p.concentration0
    a2, b2 = q.concentration1, q.concentration0
    return (_log_beta_fn(a2, b2) - _log_beta_fn(a1, b1)
            + (a1 - a2) * tg.digamma(a1) + (b1 - b2) * tg.digamma(b1)
            + (a2 - a1 + b2 - b1) * tg.digamma(a1 + b1))


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    """For equal counts n:  n·(πp·(logit πp − logit πq) + log(1 − πp) − log(1 − πq)).
    ∞ where p's count exceeds q's; NotImplementedError (as torch) where any of q's is larger."""
    if (p.total_count < q.total_count).any():
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count "
                                  "is not implemented")
    per_trial = p.probs * (p.logits - q.logits) + tg.log1p(-p.probs) - tg.log1p(-q.probs)
    return _inf_where(p.total_count > q.total_count, p.total_count * per_trial)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    """With A = Σ aᵢ, B = Σ bᵢ:  lnΓ(A) − lnΓ(B) − Σ (lnΓ(aᵢ) − lnΓ(bᵢ))
    + Σ (aᵢ − bᵢ)·(ψ(aᵢ) − ψ(A))."""
    a, b = p.concentration, q.concentration
    A, B = a.sum(-1), b.sum(-1)
    log_norms = tg.lgamma(A) - tg.lgamma(B) - (tg.lgamma(a) - tg.lgamma(b)).sum(-1)
    moments = ((a - b) * (tg.digamma(a) - tg.digamma(A).unsqueeze(-1))).sum(-1)
    return log_norms + moments


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    """(α₁ − α₂)ψ(α₁) − lnΓ(α₁) + lnΓ(α₂) + α₂(log β₁ − log β₂) + α₁(β₂ − β₁)/β₁."""
    a1, r1 = p.concentration, p.rate
    a2, r2 = q.concentration, q.rate
    return ((a1 - a2) * tg.digamma(a1) - tg.lgamma(a1) + tg.lgamma(a2)
            + a2 * (r1.log() - r2.log()) + a1 * (r2 - r1) / r1)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    """λp·(log λp − log λq) − λp + λq."""
    lp, lq = p.rate, q.rate
    return lp * (lp.log() - lq.log()) - lp + lq


# ---- the counting distributions across families ----------------------------------------------
@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    """k ∈ {0, 1}, log q(k) = k·log λ − λ:  −H(p) − π·log λ + λ."""
    return -p.entropy() - p.probs * q.rate.log() + q.rate


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _kl_poisson_infinity(p, q):
    """∞: a Poisson charges every count, the others only finitely many."""
    return _infinite_like(p.rate)


# ---- Beta against the others -----------------------------------------------------------------
@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    """log q(x) = x·logit λ + log(1 − λ) + log C(λ):
    −H(p) − E_p x·logit λ − log(1 − λ) − log C(λ)."""
    return -p.entropy() - p.mean * q.logits - tg.log1p(-q.probs) - q._cont_bern_log_norm()


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    """−H(p) − log λ + λ·E_p x."""
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    """−H(p) − α·log β + lnΓ(α) − (α − 1)(ψ(a) − ψ(a + b)) + β·a/(a + b)."""
    a, b = p.concentration1, p.concentration0
    E_log_x = tg.digamma(a) - tg.digamma(a + b)
    return -p.entropy() + _gamma_cross_entropy(p.mean, E_log_x, q)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    """−H(p) + ½ log 2π + log σ + (Var_p + (E_p x − μ)²)/(2σ²)."""
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance, q)


@register_kl(Beta, Pareto)
def _kl_beta_infinity(p, q):
    """∞: a Pareto gives (0, s) no density (s > 0), and a Beta charges every part of (0, 1)."""
    return _infinite_like(p.concentration1)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    """−H(p) + log(b − a); ∞ unless [0, 1] ⊂ [a, b] (shared end points allowed)."""
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low > 0) | (q.high < 1), result)


# ---- Gamma against the others ----------------------------------------------------------------
@register_kl(Gamma, Beta)
@register_kl(Gamma, ContinuousBernoulli)
@register_kl(Gamma, Pareto)
@register_kl(Gamma, Uniform)
def _kl_gamma_infinity(p, q):
    """∞: a Gamma charges all of (0, ∞), the others a bounded or shifted part of it."""
    return _infinite_like(p.concentration)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    """−H(p) − log λ + λ·α/β."""
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    """−log q(x) = log β + (x − μ)/β + e^(−(x − μ)/β), and E_p e^(−x/β) = (1 + 1/(rβ))^(−α)
    (p = Gamma(α, r), q = Gumbel(μ, β)):
    −H(p) + log β + (α/r − μ)/β + exp(μ/β − α·log(1 + 1/(rβ)))."""
    alpha, r = p.concentration, p.rate
    mu, beta = q.loc, q.scale
    mgf_term = tg.exp(mu / beta - alpha * tg.log1p((r * beta).reciprocal()))
    return -p.entropy() + beta.log() + (alpha / r - mu) / beta + mgf_term


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    """−H(p) + ½ log 2π + log σ + (α/β² + (α/β − μ)²)/(2σ²)."""
    mean = p.concentration / p.rate
    return -p.entropy() + _normal_cross_entropy(mean, mean / p.rate, q)


# ---- the others against Beta and Gamma -------------------------------------------------------
@register_kl(Exponential, Beta)
def _kl_exponential_infinity(p, q):
    return _infinite_like(p.rate)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    """−(1 − log λ) − α·log β + lnΓ(α) + (α − 1)(γ + log λ) + β/λ."""
    E_log_x = -_EULER - p.rate.log()
    return -p.entropy() + _gamma_cross_entropy(p.rate.reciprocal(), E_log_x, q)


@register_kl(Gumbel, Beta)
@register_kl(Gumbel, Gamma)
def _kl_gumbel_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Laplace, Beta)
@register_kl(Laplace, Gamma)
def _kl_laplace_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Normal, Beta)
@register_kl(Normal, Gamma)
def _kl_normal_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Pareto, Beta)
def _kl_pareto_infinity(p, q):
    return _infinite_like(p.scale)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    """−H(p) − α·log β + lnΓ(α) − (α − 1)(log s + 1/a) + β·as/(a − 1); ∞ for a ≤ 1."""
    a, s = p.alpha, p.scale
    E_x = a * s / (a - 1)
    E_log_x = s.log() + a.reciprocal()
    result = -p.entropy() + _gamma_cross_entropy(E_x, E_log_x, q)
    return _inf_where(a <= 1, result)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    """−log(b − a) + ln B(α, β) − (α − 1)·E log x − (β − 1)·E log(1 − x), both means over
    (a, b) (E log(1 − x) = that of log y with y uniform on (1 − b, 1 − a));
    ∞ unless [a, b] ⊂ [0, 1]."""
    lo, hi = p.low, p.high
    alpha, beta = q.concentration1, q.concentration0
    result = (-(hi - lo).log() + _log_beta_fn(alpha, beta)
              - (alpha - 1) * _uniform_mean_log(lo, hi)
              - (beta - 1) * _uniform_mean_log(1 - hi, 1 - lo))
    return _inf_where((lo < 0) | (hi > 1), result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    """−log(b − a) − α·log β + lnΓ(α) − (α − 1)·E log x + β·(a + b)/2; ∞ where a < 0."""
    lo, hi = p.low, p.high
    result = -(hi - lo).log() + _gamma_cross_entropy(p.mean, _uniform_mean_log(lo, hi), q)
    return _inf_where(lo < 0, result)
