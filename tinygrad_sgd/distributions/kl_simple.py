"""Closed forms of KL(p ‖ q) = E_p[log p(x) − log q(x)] among the simpler distributions,
registered with ``register_kl`` (the pairs torch registers).

Most are −H(p) − E_p[log q(x)] with the moments of p put into log q. The moments used:

    Exponential(λ)   E x = 1/λ,  Var x = 1/λ²,  H = 1 − log λ
    Gumbel(μ, β)     E x = μ + γβ,  Var x = π²β²/6,  H = log β + γ + 1,  E e^(−tZ) = Γ(1 + t)
    Laplace(μ, b)    Var x = 2b²,  H = 1 + log 2b
    Pareto(s, a)     E x = as/(a − 1) (a > 1),  E x² = as²/(a − 2) (a > 2),
                     E log x = log s + 1/a,  H = log(s/a) + 1/a + 1
    Uniform(a, b)    E x = (a + b)/2,  H = log(b − a)
(γ the Euler–Mascheroni constant). Where q gives zero density to a set p charges (p's
support is not inside q's, or a needed moment of p is infinite) the divergence is +∞.
The Gaussian pairs with a LowRankMultivariateNormal use

    KL = ½·(tr(Σq⁻¹Σp) + (μq − μp)ᵀΣq⁻¹(μq − μp) − n + log det Σq − log det Σp)

with Σq⁻¹ = Dq⁻¹ − AᵀA, A = Lq⁻¹·Wqᵀ·Dq⁻¹ (Woodbury), so nothing n × n is inverted.
"""
import math

import tinygrad_sgd as tg

from .cauchy import Cauchy
from .continuous_bernoulli import ContinuousBernoulli
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .geometric import Geometric
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .kl import (_batch_trace_XXT, _kl_categorical_categorical, _kl_normal_normal,
                 kl_divergence, register_kl)
from .laplace import Laplace
from .lowrank_multivariate_normal import (LowRankMultivariateNormal, _batch_lowrank_logdet,
                                          _batch_lowrank_mahalanobis)
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .pareto import Pareto
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from .utils import _sum_rightmost
from ._utils_more import euler_constant as _EULER

__all__ = []

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _infinite_like(tensor):
    """+∞ everywhere, in the shape and dtype of ``tensor``."""
    return tg.full_like(tensor, math.inf)


def _inf_where(mask, value):
    """``value`` with +∞ where ``mask`` holds (no gradient flows from those entries)."""
    return tg.where(mask, _infinite_like(value), value)


def _x_log_x(x):
    """x·log x, 0 at x = 0 (torch's xlogy(x, x): its value and gradients there)."""
    return tg.xlogy(x, x)


def _normal_cross_entropy(mean, second_central, q):
    """−E_p[log N(x; μq, σq)] from p's mean and E_p[(x − mean)²]:
    ½ log 2π + log σq + (Var + (mean − μq)²)/(2σq²)."""
    var_q = q.scale.pow(2)
    return _HALF_LOG_2PI + q.scale.log() + (second_central + (mean - q.loc).pow(2)) / (2 * var_q)


# ---- same family ---------------------------------------------------------------------------
@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    """log p(x) = x·logit λ + log(1 − λ) + log C(λ), linear in x, so
    KL = μp·(logit λp − logit λq) + log(1 − λp) − log(1 − λq) + log Cp − log Cq."""
    t1 = p.mean * (p.logits - q.logits)
    t2 = tg.log1p(-p.probs) - tg.log1p(-q.probs)
    return t1 + t2 + p._cont_bern_log_norm() - q._cont_bern_log_norm()


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    """With r = λq/λp: r − 1 − log r."""
    r = q.rate / p.rate
    return r - 1 - r.log()


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """The Bregman divergence of the log-normaliser A between the natural parameters:
    KL = A(ηq) − A(ηp) − Σ (ηq − ηp)·∇A(ηp), ∇A by autograd (p's η detached, so p gets
    no gradient)."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot" + " " * 29 + "be computed using Bregman "
                                  "divergences")
    eta_p = [eta.detach().requires_grad_() for eta in p._natural_params]
    eta_q = q._natural_params
    A_p = p._log_normalizer(*eta_p)
    grads = tg.autograd.grad(A_p.sum(), eta_p, create_graph=True)
    result = q._log_normalizer(*eta_q) - A_p
    for ep, eq, g in zip(eta_p, eta_q, grads):
        result = result - _sum_rightmost((eq - ep) * g, len(q.event_shape))
    return result


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    """log(βq/βp) + γ(βp/βq − 1) + e^((μq − μp)/βq)·Γ(1 + βp/βq) − 1 + (μp − μq)/βq."""
    ratio = p.scale / q.scale
    shift = (q.loc - p.loc) / q.scale
    t1 = -ratio.log() + _EULER * (ratio - 1)
    t2 = tg.exp(shift + tg.lgamma(ratio + 1))
    return t1 + t2 - 1 - shift


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    """−H(p) − E_p[log q(k)], E_p[k] = (1 − p)/p:  −H(p) − log1p(−q)/p − logit q."""
    return -p.entropy() - tg.log1p(-q.probs) / p.probs - q.logits


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    """Folding both at 0 keeps the divergence: that of the two centred Normals."""
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    """log(bq/bp) + |μp − μq|/bq + (bp/bq)·exp(−|μp − μq|/bp) − 1."""
    ratio = p.scale / q.scale
    d = (p.loc - q.loc).abs()
    return -ratio.log() + d / q.scale + ratio * tg.exp(-d / p.scale) - 1


def _check_event_shapes(p, q, both_low_rank):
    if p.event_shape != q.event_shape:
        which = "Low Rank" if both_low_rank else "(Low Rank)"
        raise ValueError(f"KL-divergence between two {which} Multivariate Normals with"
                         "                          different event shapes cannot be computed")


def _woodbury_A(q):
    """A = Lq⁻¹·Wqᵀ·Dq⁻¹ (m × n): Σq⁻¹ = Dq⁻¹ − AᵀA."""
    W, D = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    return tg.linalg.solve_triangular(q._capacitance_tril, W.mT / D.unsqueeze(-2),
                                      upper=False)


def _frob2(M):
    """|M|²_F of each matrix of a batch."""
    return M.pow(2).sum(-1).sum(-1)


def _trace_lowrank_q(q, F):
    """tr(Σq⁻¹·F·Fᵀ) = Σ F²/Dq − |A·F|²_F (Σq low rank)."""
    D = q._unbroadcasted_cov_diag
    return (F.pow(2) / D.unsqueeze(-1)).sum(-1).sum(-1) - _frob2(tg.matmul(_woodbury_A(q), F))


def _lowrank_q_terms(p, q, log_det_p, trace):
    """½·(tr + Mahalanobis(μq − μp) − n + log det Σq − log det Σp), Σq low rank."""
    Wq, Dq, Lq = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril
    maha = _batch_lowrank_mahalanobis(Wq, Dq, q.loc - p.loc, Lq)
    log_det_q = _batch_lowrank_logdet(Wq, Dq, Lq)
    return 0.5 * (trace + maha - p.event_shape[0] + log_det_q - log_det_p)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrankmultivariatenormal_lowrankmultivariatenormal(p, q):
    """Σp = Wp·Wpᵀ + Dp: tr(Σq⁻¹Σp) = tr(Σq⁻¹·Wp·Wpᵀ) + tr(Σq⁻¹·√Dp·√Dp)."""
    _check_event_shapes(p, q, True)
    Wp, Dp = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    trace = _trace_lowrank_q(q, Wp) + _trace_lowrank_q(q, tg.diag_embed(Dp.sqrt()))
    log_det_p = _batch_lowrank_logdet(Wp, Dp, p._capacitance_tril)
    return _lowrank_q_terms(p, q, log_det_p, trace)


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrankmultivariatenormal(p, q):
    """Σp = Lp·Lpᵀ: tr(Σq⁻¹Σp) = tr(Σq⁻¹·Lp·Lpᵀ), log det Σp = 2·Σ log diag Lp."""
    _check_event_shapes(p, q, False)
    Lp = p._unbroadcasted_scale_tril
    trace = _trace_lowrank_q(q, Lp)
    log_det_p = 2 * Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    return _lowrank_q_terms(p, q, log_det_p, trace)


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrankmultivariatenormal_multivariatenormal(p, q):
    """Σq = Lq·Lqᵀ: tr(Σq⁻¹Σp) = |Lq⁻¹·Wp|²_F + |Lq⁻¹·√Dp|²_F."""
    _check_event_shapes(p, q, False)
    Wp, Dp = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag
    Lq = q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    batch = tuple(tg.broadcast_shapes(Lq.shape[:-2], Wp.shape[:-2]))
    Lq_b = Lq.expand(batch + (n, n))
    Wp_b = Wp.expand(batch + Wp.shape[-2:])
    sqrtDp_b = tg.diag_embed(Dp.sqrt()).expand(batch + (n, n))
    trace = (_batch_trace_XXT(tg.linalg.solve_triangular(Lq_b, Wp_b, upper=False))
             + _batch_trace_XXT(tg.linalg.solve_triangular(Lq_b, sqrtDp_b, upper=False)))
    maha = _batch_mahalanobis(Lq, q.loc - p.loc)
    log_det_q = 2 * Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    log_det_p = _batch_lowrank_logdet(Wp, Dp, p._capacitance_tril)
    return 0.5 * (trace + maha - n + log_det_q - log_det_p)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    """log(ap/aq) + aq·log(sp/sq) + aq/ap − 1; ∞ where sp < sq (p charges (sp, sq))."""
    r = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - r.log() + r - 1
    return _inf_where(p.support.lower_bound < q.support.lower_bound, result)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    """The same bijection applied to both leaves KL unchanged: that of the bases (summed
    over the dimensions the transforms made part of the event)."""
    if p.transforms != q.transforms:
        raise NotImplementedError
    if p.event_shape != q.event_shape:
        raise NotImplementedError
    extra = len(p.event_shape) - len(p.base_dist.event_shape)
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), extra)


# ---- across families -------------------------------------------------------------------------
@register_kl(ContinuousBernoulli, Pareto)
def _kl_continuous_bernoulli_infinity(p, q):
    return _infinite_like(p.probs)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    """−H(p) − log λ + λ·E_p x."""
    return -p.entropy() - tg.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    """−H(p) + ½ log 2π + log σ + (Var_p + (E_p x − μ)²)/(2σ²)."""
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance, q)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    """−H(p) + log(b − a); ∞ unless [0, 1] lies strictly inside (a, b) (torch counts a
    shared end point as outside too)."""
    result = -p.entropy() + (q.high - q.low).log()
    outside = (q.low >= p.support.lower_bound) | (q.high <= p.support.upper_bound)
    return _inf_where(outside, result)


@register_kl(Exponential, ContinuousBernoulli)
@register_kl(Exponential, Pareto)
@register_kl(Exponential, Uniform)
def _kl_exponential_infinity(p, q):
    return _infinite_like(p.rate)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    """With k = λβ and c = μ/β:  log k − 1 + 1/k − c + e^c·k/(k + 1)
    (E_p e^(−x/β) = k/(k + 1))."""
    k = p.rate * q.scale
    c = q.loc / q.scale
    return k.log() - 1 + k.reciprocal() - c + tg.exp(c) * k / (k + 1)


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    """−(1 − log λ) + ½ log 2π + log σ + (1/λ² + (1/λ − μ)²)/(2σ²)."""
    mean = p.rate.reciprocal()
    return -p.entropy() + _normal_cross_entropy(mean, mean.pow(2), q)


@register_kl(Gumbel, ContinuousBernoulli)
@register_kl(Gumbel, Exponential)
@register_kl(Gumbel, Pareto)
@register_kl(Gumbel, Uniform)
def _kl_gumbel_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    """−(log β + γ + 1) + ½ log 2π + log σ + (π²β²/6 + (μp + γβ − μq)²)/(2σ²)."""
    H = p.scale.log() + _EULER + 1
    mean = p.loc + _EULER * p.scale
    var = (math.pi ** 2 / 6) * p.scale.pow(2)
    return -H + _normal_cross_entropy(mean, var, q)


@register_kl(Laplace, ContinuousBernoulli)
@register_kl(Laplace, Exponential)
@register_kl(Laplace, Pareto)
@register_kl(Laplace, Uniform)
def _kl_laplace_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    """−(1 + log 2b) + ½ log 2π + log σ + (2b² + (μp − μq)²)/(2σ²)."""
    return -p.entropy() + _normal_cross_entropy(p.loc, 2 * p.scale.pow(2), q)


@register_kl(Normal, ContinuousBernoulli)
@register_kl(Normal, Exponential)
@register_kl(Normal, Pareto)
def _kl_normal_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    """−½ log(2πe s²) + log β + (μ − m)/β + exp((m − μ)/β + s²/(2β²))
    (p = N(μ, s), q = Gumbel(m, β); E_p e^(−x/β) is the normal's moment generator)."""
    z = (p.loc - q.loc) / q.scale
    r = p.scale / q.scale
    return -r.log() - _HALF_LOG_2PI - 0.5 + z + tg.exp(-z + 0.5 * r.pow(2))


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    """−½ log(2πe s²) + log 2b + E_p|x − μq|/b, with d = μp − μq:
    E|x − μq| = s·√(2/π)·exp(−d²/(2s²)) + d·erf(d/(√2·s))."""
    d = p.loc - q.loc
    abs_mean = p.scale * math.sqrt(2 / math.pi) * tg.exp(-0.5 * (d / p.scale).pow(2)) \
        + d * tg.erf(d / (math.sqrt(2) * p.scale))
    return -p.entropy() + tg.log(2 * q.scale) + abs_mean / q.scale


@register_kl(Pareto, ContinuousBernoulli)
@register_kl(Pareto, Uniform)
def _kl_pareto_infinity(p, q):
    return _infinite_like(p.scale)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    """−H(p) − log λ + λ·as/(a − 1) = log(a/(sλ)) − 1/a + a·sλ/(a − 1) − 1; ∞ for a ≤ 1."""
    a, k = p.alpha, p.scale * q.rate
    result = (a / k).log() - a.reciprocal() + a * k / (a - 1) - 1
    return _inf_where(a <= 1, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    """−H(p) + ½ log 2π + log σ + (E x² − 2μ·E x + μ²)/(2σ²); ∞ for a ≤ 2 (E x² = ∞)."""
    a, s = p.alpha, p.scale
    Ex = a * s / (a - 1)
    Ex2 = a * s.pow(2) / (a - 2)
    H = (s / a).log() + a.reciprocal() + 1
    result = -H + _HALF_LOG_2PI + q.scale.log() \
        + (Ex2 - 2 * q.loc * Ex + q.loc.pow(2)) / (2 * q.scale.pow(2))
    return _inf_where(a <= 2, result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    """−log(b − a) − E_p x·logit λ − log(1 − λ) − log C(λ); ∞ unless (a, b) lies strictly
    inside (0, 1) (torch counts a shared end point as outside too)."""
    result = -(p.high - p.low).log() - p.mean * q.logits - tg.log1p(-q.probs) \
        - q._cont_bern_log_norm()
    outside = (p.high >= q.support.upper_bound) | (p.low <= q.support.lower_bound)
    return _inf_where(outside, result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    """λ·(a + b)/2 − log((b − a)·λ); ∞ where a < 0."""
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return _inf_where(p.low < q.support.lower_bound, result)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    """−log(b − a) + log β + ((a + b)/2 − μ)/β + β/(b − a)·(e^(−(a − μ)/β) − e^(−(b − μ)/β))."""
    width = p.high - p.low
    za = (p.low - q.loc) / q.scale
    zb = (p.high - q.loc) / q.scale
    return (q.scale / width).log() + (za + zb) / 2 \
        + q.scale / width * (tg.exp(-za) - tg.exp(-zb))


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    """−log(b − a) − log α − α·log s + (α + 1)·E_p log x,
    E_p log x = (b·log b − a·log a)/(b − a) − 1;  ∞ where a < s."""
    width = p.high - p.low
    E_log_x = (_x_log_x(p.high) - _x_log_x(p.low)) / width - 1
    result = (q.alpha + 1) * E_log_x - (q.alpha * q.scale.pow(q.alpha) * width).log()
    return _inf_where(p.low < q.support.lower_bound, result)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    """log(((γp + γq)² + (μp − μq)²) / (4·γp·γq))."""
    num = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return (num / (4 * p.scale * q.scale)).log()
