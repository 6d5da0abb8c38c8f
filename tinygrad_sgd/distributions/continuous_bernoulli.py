"""``ContinuousBernoulli(probs=... | logits=...)``: the Bernoulli likelihood read as a density
on [0, 1] (Loaiza-Ganem & Cunningham, 2019; torch's ``ContinuousBernoulli``),
reparameterisable. With λ = ``probs`` and t = 1 − 2λ:

    density   p(x) = C(λ)·λ^x·(1 − λ)^(1−x),   C(λ) = 2·atanh(t)/t  (C(½) = 2)
    log C     log|log(1 − λ) − log λ| − log|1 − 2λ|
    log_prob  x·log λ + (1 − x)·log(1 − λ) + log C
    mean      λ/(2λ − 1) + 1/(2·atanh(t))
    variance  λ(λ − 1)/(1 − 2λ)² + 1/(2·atanh(t))²
    cdf       (λ^x·(1 − λ)^(1−x) + λ − 1)/(2λ − 1)
    icdf(p)   (log1p(−λ + p(2λ − 1)) − log1p(−λ)) / (log λ − log1p(−λ))
    entropy   μ·(log(1 − λ) − log λ) − log(1 − λ) − log C
    samples   icdf(u), u = ``rand`` uniform on [0, 1)

Near λ = ½ (inside ``lims``, the "unstable region") those closed forms are 0/0; there the
Taylor series in x = λ − ½ are used instead (and cdf/icdf become the identity, λ = ½ being
the uniform law):

    log C ≈ log 2 + 4/3·x² + 104/45·x⁴,   mean ≈ ½ + x/3 + 16/45·x³,
    variance ≈ 1/12 − x²/15 − 128/945·x⁴

while the closed forms are evaluated at a safe λ (``lims[0]``) so that their unused values
(and gradients) stay finite. Given ``probs``, λ is clamped into [eps, 1 − eps].

As an exponential family: natural parameter η = logit λ, log-normaliser
A(η) = log((e^η − 1)/η) ≈ η/2 + η²/24 − η⁴/2880 for |η| ≤ 0.01.
"""
import math
from numbers import Number

import tinygrad_sgd as tg
from tinygrad_sgd.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            # checked before the clamp below, which would hide values outside [0, 1];
            # like torch, only when validate_args is given explicitly (True or False)
            if validate_args is not None:
                if not bool(self.arg_constraints["probs"].check(self.probs).all()):
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
            given = probs
        else:
            (self.logits,) = broadcast_all(logits)
            given = logits
        param = self.probs if probs is not None else self.logits
        batch_shape = tg.Size() if isinstance(given, Number) else param.size()
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        batch_shape = tg.Size(batch_shape)
        new._lims = self._lims
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
        super(ContinuousBernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @property
    def _param(self):
        return self.__dict__["probs"] if "probs" in self.__dict__ else self.logits

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self):
        return self._param.size()

    # ---- the two regimes: closed forms away from ½, Taylor series near it ----------------
    def _outside_unstable_region(self):
        """True where λ ≤ lims[0] or λ > lims[1]: the closed forms are accurate there."""
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        """λ where the closed forms are used, lims[0] elsewhere (a harmless stand-in)."""
        return tg.where(self._outside_unstable_region(), self.probs,
                        self._lims[0] * tg.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """log C(λ): closed form outside the unstable region, Taylor series inside."""
        lam = self._cut_probs()
        # log|2·atanh(1 − 2λ)| − log|1 − 2λ|, with 2·atanh(1 − 2λ) = log(1 − λ) − log λ
        log_abs_2atanh = tg.log(tg.abs(tg.log1p(-lam) - tg.log(lam)))
        log_abs_t = tg.where(lam <= 0.5, tg.log1p(-2.0 * lam), tg.log(2.0 * lam - 1.0))
        x2 = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x2) * x2
        return tg.where(self._outside_unstable_region(), log_abs_2atanh - log_abs_t, taylor)

    @property
    def mean(self):
        """λ/(2λ − 1) + 1/(log(1 − λ) − log λ); near ½: ½ + x/3 + 16/45·x³."""
        lam = self._cut_probs()
        closed = lam / (2.0 * lam - 1.0) + 1.0 / (tg.log1p(-lam) - tg.log(lam))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return tg.where(self._outside_unstable_region(), closed, taylor)

    @property
    def stddev(self):
        return tg.sqrt(self.variance)

    @property
    def variance(self):
        """λ(λ − 1)/(1 − 2λ)² + 1/(log(1 − λ) − log λ)²; near ½: 1/12 − x²/15 − 128/945·x⁴."""
        lam = self._cut_probs()
        closed = lam * (lam - 1.0) / (1.0 - 2.0 * lam).pow(2) \
            + 1.0 / (tg.log1p(-lam) - tg.log(lam)).pow(2)
        x2 = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 + 128.0 / 945.0 * x2) * x2
        return tg.where(self._outside_unstable_region(), closed, taylor)

    def sample(self, sample_shape=tg.Size()):
        shape = self._extended_shape(sample_shape)
        u = tg.rand(shape, dtype=self.probs.dtype)
        with tg.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=tg.Size()):
        """icdf(u), u ~ U[0, 1): differentiable in λ through icdf."""
        shape = self._extended_shape(sample_shape)
        u = tg.rand(shape, dtype=self.probs.dtype)
        return self.icdf(u)

    def log_prob(self, value):
        """x·log λ + (1 − x)·log(1 − λ) + log C = −BCE(logits, x) + log C."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value):
        """(λ^x(1 − λ)^(1−x) + λ − 1)/(2λ − 1), x for λ near ½; 0 below 0, 1 above 1."""
        if self._validate_args:
            self._validate_sample(value)
        lam = self._cut_probs()
        closed = (lam.pow(value) * (1.0 - lam).pow(1.0 - value) + lam - 1.0) \
            / (2.0 * lam - 1.0)
        inside = tg.where(self._outside_unstable_region(), closed, value)
        return tg.where(value <= 0.0, tg.zeros_like(value),
                        tg.where(value >= 1.0, tg.ones_like(value), inside))

    def icdf(self, value):
        """(log1p(−λ + p(2λ − 1)) − log1p(−λ)) / (log λ − log1p(−λ)); near ½: p."""
        lam = self._cut_probs()
        closed = (tg.log1p(-lam + value * (2.0 * lam - 1.0)) - tg.log1p(-lam)) \
            / (tg.log(lam) - tg.log1p(-lam))
        return tg.where(self._outside_unstable_region(), closed, value)

    def entropy(self):
        """μ·(log(1 − λ) − log λ) − log(1 − λ) − log C."""
        log_q = tg.log1p(-self.probs)
        log_p = tg.log(self.probs)
        return self.mean * (log_q - log_p) - self._cont_bern_log_norm() - log_q

    @property
    def _natural_params(self):
        """η = logit λ."""
        return (self.logits,)

    def _log_normalizer(self, x):
        """A(η) = log|expm1(η)| − log|η|; η/2 + η²/24 − η⁴/2880 for |η| ≤ 0.01."""
        outside = (x <= -1e-2) | (x > 1e-2)
        safe = tg.where(outside, x, -1e-2 * tg.ones_like(x))
        closed = tg.log(tg.abs(tg.expm1(safe))) - tg.log(tg.abs(safe))
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return tg.where(outside, closed, taylor)
