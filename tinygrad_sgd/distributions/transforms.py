"""Transforms: invertible maps y = f(x) between constrained spaces, with log|det ∂y/∂x|
(torch's ``torch.distributions.transforms``). A TransformedDistribution pushes a base
density through them:  log p_Y(y) = log p_X(f⁻¹(y)) − log|det J_f(f⁻¹(y))|.

Every transform knows its ``domain`` and ``codomain`` (constraints, whose ``event_dim`` says
how many rightmost dimensions one point occupies), whether it is ``bijective``, the ``sign``
of its derivative where that is defined, and how it changes shapes (``forward_shape`` /
``inverse_shape``). ``t.inv`` is the inverse transform, held weakly, so ``t.inv.inv is t``.

Caching (``cache_size=1``) remembers the last pair (x, y): calling again on the same x
object returns the same y, and ``t.inv(y)`` on that y returns the original x object — exact
inverses where the numeric inverse would be lossy (sigmoid near 0 or 1, for instance).

    ExpTransform           y = eˣ                         log|J| = x
    PowerTransform(p)      y = xᵖ  (x > 0)                log|J| = log|p·y/x|
    SigmoidTransform       y = σ(x), clipped to [tiny, 1 − eps]
                                                          log|J| = −softplus(−x) − softplus(x)
    TanhTransform          y = tanh x
                                                          log|J| = 2(log 2 − x − softplus(−2x))
    SoftplusTransform      y = log(1 + eˣ)                log|J| = −softplus(−x)
    AbsTransform           y = |x|  (not a bijection; inverse picks y itself)
    AffineTransform(a, s)  y = a + s·x                    log|J| = Σ_event log|s|
    SoftmaxTransform       y = exp(x − max x) / Σ         (not a bijection, inverse is log)
    StickBreakingTransform ℝᴷ → (K+1)-simplex by stick breaking
    LowerCholeskyTransform strict lower triangle kept, diagonal exponentiated
    PositiveDefiniteTransform  L·Lᵀ of the lower-Cholesky image
    CorrCholeskyTransform  ℝ^{D(D−1)/2} → Cholesky factors of correlation matrices
    CumulativeDistributionTransform(d)  y = d.cdf(x)     log|J| = d.log_prob(x)
    ComposeTransform, IndependentTransform, ReshapeTransform, CatTransform, StackTransform:
    combinators (chains, reinterpreted batch dims, reshapes, per-slice transforms).
"""
# house: long file — torch.distributions.transforms is one public module of twenty short
# transforms that build on one another.
import math
import weakref
from numbers import Number, Real

import numpy as np

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F

from . import constraints
from ._utils_more import tril_matrix_to_vec, vec_to_tril_matrix
from .utils import _sum_rightmost, broadcast_all, lazy_property

__all__ = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
           "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExpTransform",
           "IndependentTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform",
           "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftplusTransform",
           "TanhTransform", "SoftmaxTransform", "StackTransform", "StickBreakingTransform",
           "Transform", "identity_transform"]


class Transform:
    """Base class. Subclasses give ``domain``, ``codomain``, ``_call`` (x ↦ y), ``_inverse``
    (y ↦ x) and ``log_abs_det_jacobian(x, y)``; this class adds the one-pair cache, the
    inverse view and the shape / event-dimension bookkeeping. Transforms compare by
    identity unless a subclass says otherwise (and, like torch's, are unhashable)."""
    bijective = False

    def __init__(self, cache_size=0):
        if cache_size == 0:
            pass
        elif cache_size == 1:
            self._cached_x_y = (None, None)
        else:
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._inv = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_inv"] = None               # a weak reference does not pickle
        return state

    @property
    def event_dim(self):
        if self.domain.event_dim != self.codomain.event_dim:
            raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")
        return self.domain.event_dim

    @property
    def inv(self):
        """The inverse transform; made on first use and held weakly, so that ``t.inv.inv``
        is ``t`` without a reference cycle."""
        inverse = self._inv() if self._inv is not None else None
        if inverse is None:
            inverse = _InverseTransform(self)
            self._inv = weakref.ref(inverse)
        return inverse

    @property
    def sign(self):
        """+1 where the map is increasing, −1 where decreasing (monotone maps only)."""
        raise NotImplementedError

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self)}.with_cache is not implemented")

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __call__(self, x):
        if self._cache_size == 0:
            return self._call(x)
        x_seen, y_seen = self._cached_x_y
        if x is x_seen:
            return y_seen
        y = self._call(x)
        self._cached_x_y = (x, y)
        return y

    def _inv_call(self, y):
        if self._cache_size == 0:
            return self._inverse(y)
        x_seen, y_seen = self._cached_x_y
        if y is y_seen:
            return x_seen
        x = self._inverse(y)
        self._cached_x_y = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__ + "()"

    def forward_shape(self, shape):
        """Shape of y for an x of ``shape`` (unchanged unless the transform reshapes)."""
        return shape

    def inverse_shape(self, shape):
        """Shape of x for a y of ``shape``."""
        return shape


class _InverseTransform(Transform):
    """f⁻¹ as a transform: calls go to f's inverse (and f's cache), domain and codomain
    swap, and log|det J_{f⁻¹}(y)| = −log|det J_f(x)|."""

    def __init__(self, transform):
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform              # held strongly: the forward owns no cycle

    @property
    def domain(self):
        return self._inv.codomain

    @property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size=1):
        return self.inv.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __repr__(self):
        return f"{type(self).__name__}({self._inv!r})"

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)


class ComposeTransform(Transform):
    """f = f_n ∘ … ∘ f_1 (``parts`` applied left to right); log|J| is the sum of the parts'
    terms, each first summed over the event dimensions it does not itself treat as one
    point. With no parts it is the identity."""

    def __init__(self, parts, cache_size=0):
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        if not self.parts:
            return constraints.real
        # walk back from the output: how many dimensions must one input point span?
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        first = self.parts[0].domain
        if event_dim > first.event_dim:
            return constraints.independent(first, event_dim - first.event_dim)
        return first

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        last = self.parts[-1].codomain
        if event_dim > last.event_dim:
            return constraints.independent(last, event_dim - last.event_dim)
        return last

    @lazy_property
    def bijective(self):
        return all(part.bijective for part in self.parts)

    @lazy_property
    def sign(self):
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    @property
    def inv(self):
        inverse = self._inv() if self._inv is not None else None
        if inverse is None:
            inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
            self._inv = weakref.ref(inverse)
            inverse._inv = weakref.ref(self)
        return inverse

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return tg.zeros_like(x)
        inputs = [x]
        for part in self.parts[:-1]:
            inputs.append(part(inputs[-1]))     # cached parts hand back their outputs
        outputs = inputs[1:] + [y]
        total = None
        event_dim = self.domain.event_dim
        for part, xi, yi in zip(self.parts, inputs, outputs):
            term = _sum_rightmost(part.log_abs_det_jacobian(xi, yi),
                                  event_dim - part.domain.event_dim)
            total = term if total is None else total + term
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape

    def __repr__(self):
        inner = ",\n    ".join(repr(part) for part in self.parts)
        return f"{type(self).__name__}(\n    {inner}\n)"


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` with its ``reinterpreted_batch_ndims`` rightmost batch dimensions
    read as event dimensions: same values, log|J| summed over those dimensions."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims,
                                    cache_size=cache_size)

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.dim() < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.dim() < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return _sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y),
                              self.reinterpreted_batch_ndims)

    def __repr__(self):
        return (f"{type(self).__name__}({self.base_transform!r}, "
                f"{self.reinterpreted_batch_ndims})")

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)


class ReshapeTransform(Transform):
    """Reshape the rightmost event block from ``in_shape`` to ``out_shape`` (same number of
    elements); volume-preserving, so log|J| = 0 per batch element."""
    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        self.in_shape = tg.Size(in_shape)
        self.out_shape = tg.Size(out_shape)
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @constraints.dependent_property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @constraints.dependent_property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x):
        batch = x.shape[:x.dim() - len(self.in_shape)]
        return x.reshape(batch + self.out_shape)

    def _inverse(self, y):
        batch = y.shape[:y.dim() - len(self.out_shape)]
        return y.reshape(batch + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return x.new_zeros(x.shape[:x.dim() - len(self.in_shape)])

    @staticmethod
    def _swap_block(shape, old, new):
        if len(shape) < len(old):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(old)
        if tuple(shape[cut:]) != tuple(old):
            raise ValueError(f"Shape mismatch: expected {tg.Size(shape[cut:])!r} but got {old!r}")
        return shape[:cut] + new

    def forward_shape(self, shape):
        return self._swap_block(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._swap_block(shape, self.out_shape, self.in_shape)


class ExpTransform(Transform):
    """y = eˣ, x = log y; log|dy/dx| = x."""
    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    """y = xᵖ on the positive reals, x = y^(1/p); dy/dx = p·y/x, so log|J| = log|p·y/x|
    and the sign is sign(p). ``exponent`` broadcasts against x."""
    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size=cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @lazy_property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        if not isinstance(other, PowerTransform):
            return False
        return self.exponent.eq(other.exponent).all().item()

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return tg.broadcast_shapes(shape, getattr(self.exponent, "shape", ()))

    def inverse_shape(self, shape):
        return tg.broadcast_shapes(shape, getattr(self.exponent, "shape", ()))


def _sigmoid_clipped(x):
    """σ(x) kept inside [tiny, 1 − eps] of x's dtype, so that its logit stays finite."""
    info = tg.finfo(x.dtype)
    return tg.clamp(tg.sigmoid(x), min=info.tiny, max=1.0 - info.eps)


class SigmoidTransform(Transform):
    """y = σ(x) = 1/(1 + e⁻ˣ) (clipped away from 0 and 1), x = log y − log(1 − y);
    dy/dx = σ(x)σ(−x), so log|J| = −softplus(−x) − softplus(x)."""
    domain = constraints.real
    codomain = constraints.unit_interval
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    def _call(self, x):
        return _sigmoid_clipped(x)

    def _inverse(self, y):
        info = tg.finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1.0 - info.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x) - F.softplus(x)


class SoftplusTransform(Transform):
    """y = log(1 + eˣ), x = y + log(−expm1(−y)) = log(eʸ − 1); dy/dx = σ(x), so
    log|J| = −softplus(−x)."""
    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        return (-y).expm1().neg().log() + y

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)


class TanhTransform(Transform):
    """y = tanh x, x = atanh y; dy/dx = 1 − tanh²x = 4/(eˣ + e⁻ˣ)², written stably as
    log|J| = 2·(log 2 − x − softplus(−2x))."""
    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, TanhTransform)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return tg.atanh(y)

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x|. Not injective: the 'inverse' returns y itself (the positive branch), and
    there is neither a sign nor a log|J|."""
    domain = constraints.real
    codomain = constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """y = loc + scale·x, x = (y − loc)/scale. log|J| = log|scale| per element, summed over
    the ``event_dim`` rightmost dimensions; sign = sign(scale). ``loc`` and ``scale`` may be
    numbers or tensors (broadcast against x)."""
    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.loc = loc
        self.scale = scale
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        if self.event_dim == 0:
            return constraints.real
        return constraints.independent(constraints.real, self.event_dim)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        if self.event_dim == 0:
            return constraints.real
        return constraints.independent(constraints.real, self.event_dim)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self.event_dim, cache_size=cache_size)

    @staticmethod
    def _same(a, b):
        if isinstance(a, Number) and isinstance(b, Number):
            return a == b
        return bool((a == b).all().item())

    def __eq__(self, other):
        return (isinstance(other, AffineTransform) and self._same(self.loc, other.loc)
                and self._same(self.scale, other.scale))

    @property
    def sign(self):
        if isinstance(self.scale, Real):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        if isinstance(self.scale, Real):
            result = tg.full_like(x, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log()
        shape = x.shape
        if self.event_dim:
            result = result.reshape(result.shape[:-self.event_dim] + (-1,)).sum(-1)
            shape = shape[:-self.event_dim]
        return result.expand(shape)

    def forward_shape(self, shape):
        return tg.broadcast_shapes(shape, getattr(self.loc, "shape", ()),
                                   getattr(self.scale, "shape", ()))

    def inverse_shape(self, shape):
        return tg.broadcast_shapes(shape, getattr(self.loc, "shape", ()),
                                   getattr(self.scale, "shape", ()))


class CorrCholeskyTransform(Transform):
    """A vector of D(D−1)/2 reals → the lower Cholesky factor L of a D×D correlation
    matrix (rows of unit length, positive diagonal).

    Each x is squashed to z = tanh x ∈ (−1, 1) (clipped by eps), laid out row by row below
    the diagonal, and every row is built by stick breaking on the squared length:
        L_ij = z_ij · sqrt(1 − Σ_{k<j} L_ik²)  (j < i),   L_ii = sqrt(1 − Σ_{k<i} L_ik²).
    Inverse: z_ij = L_ij / sqrt(1 − Σ_{k<j} L_ik²), x = atanh z.
    log|J| = ½ Σ_{i, 0<j<i} log(1 − Σ_{k<j} L_ik²) + Σ log(1 − tanh²x)."""
    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True
    # like torch's, two instances compare by identity (no __eq__ of its own)

    def _call(self, x):
        eps = tg.finfo(x.dtype).eps
        z = x.tanh().clamp(min=-1 + eps, max=1 - eps)
        r = vec_to_tril_matrix(z, diag=-1)
        # remaining length before column j of each row: Π_{k<j} sqrt(1 − z_ik²)
        remaining = (1 - r * r).sqrt().cumprod(-1)
        remaining = F.pad(remaining[..., :-1], [1, 0], value=1)
        eye = tg.eye(r.shape[-1], dtype=x.dtype)
        return (r + eye) * remaining

    def _inverse(self, y):
        left = 1 - (y * y).cumsum(-1)                      # 1 − Σ_{k≤j} y_ik²
        left = F.pad(left[..., :-1], [1, 0], value=1)      # 1 − Σ_{k<j} y_ik²
        z = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left, diag=-1).sqrt()
        return (z.log1p() - (-z).log1p()) / 2              # atanh z

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        left = 1 - (y * y).cumsum(-1)
        stick = 0.5 * tril_matrix_to_vec(left, diag=-2).log().sum(-1)
        tanh = -2 * (x + F.softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick + tanh

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return shape[:-1] + (d, d)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return shape[:-2] + (d * (d - 1) // 2,)


class SoftmaxTransform(Transform):
    """y = exp(x − max x) / Σ exp(x − max x) over the last dimension; the 'inverse' is
    log y (one of many preimages), so there is no log|J|."""
    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    def _call(self, x):
        e = (x - x.max(-1, True)[0]).exp()
        return e / e.sum(-1, True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape


def _stick_offsets(k, like):
    """log(K − i) for i = 0..K−1: the shift that makes x = 0 map to the uniform point."""
    return tg.tensor(np.arange(k, 0, -1), dtype=like.dtype).log()


class StickBreakingTransform(Transform):
    """x ∈ ℝᴷ → y on the (K+1)-simplex by breaking a unit stick: with
    z_i = σ(x_i − log(K − i)) (clipped), y_i = z_i·Π_{j<i}(1 − z_j) and
    y_K = Π_{j<K}(1 − z_j). x = 0 gives the uniform point.
    Inverse: x_i = log y_i − log(1 − Σ_{j≤i} y_j) + log(K − i).
    The Jacobian is triangular: log|J| = Σ_i [log y_i + log(1 − z_i)]
    = Σ_i [log y_i − x'_i + logσ(x'_i)], x' = x − log(K − i)."""
    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    def _call(self, x):
        z = _sigmoid_clipped(x - _stick_offsets(x.shape[-1], x))
        left = (1 - z).cumprod(-1)
        return F.pad(z, [0, 1], value=1) * F.pad(left, [1, 0], value=1)

    def _inverse(self, y):
        head = y[..., :-1]
        info = tg.finfo(y.dtype)
        rest = (1 - head.cumsum(-1)).clamp(min=info.tiny)
        return head.log() - rest.log() + _stick_offsets(head.shape[-1], y)

    def log_abs_det_jacobian(self, x, y):
        shifted = x - _stick_offsets(x.shape[-1], x)
        return (-shifted + F.logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape[:-1] + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape[:-1] + (shape[-1] - 1,)


class LowerCholeskyTransform(Transform):
    """A square matrix → a lower-triangular one with positive diagonal: the strict lower
    triangle is kept and the diagonal exponentiated (the rest of x is dropped, so this is
    not a bijection and has no log|J|)."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other):
        return isinstance(other, LowerCholeskyTransform)

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """A square matrix → L·Lᵀ, L its LowerCholeskyTransform image; the inverse takes the
    Cholesky factor and undoes the lower-Cholesky map."""
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other):
        return isinstance(other, PositiveDefiniteTransform)

    def _call(self, x):
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(tg.linalg.cholesky(y))


def _check_dim(t, dim, name, count, what):
    if not -t.dim() <= dim < t.dim():
        raise AssertionError(f"dim {dim} out of range for tensor with {t.dim()} dimensions")
    if t.size(dim) != count:
        raise AssertionError(f"{name}.size({dim}) = {t.size(dim)} must equal {what} {count}")


class CatTransform(Transform):
    """Transforms applied to consecutive slices of dimension ``dim`` (``lengths[i]``
    entries go to ``tseq[i]``, one each by default) and the results concatenated back;
    log|J| is concatenated too, or summed when ``dim`` lies inside the event."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        assert all(isinstance(t, Transform) for t in tseq)
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        assert len(self.lengths) == len(self.transforms)
        self.dim = dim

    @lazy_property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @lazy_property
    def length(self):
        return sum(self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _pieces(self, t, fn):
        start, out = 0, []
        for transform, length in zip(self.transforms, self.lengths):
            out.append(fn(transform, t.narrow(self.dim, start, length)))
            start += length
        return out

    def _call(self, x):
        _check_dim(x, self.dim, "x", self.length, "length")
        return tg.cat(self._pieces(x, lambda t, xs: t(xs)), dim=self.dim)

    def _inverse(self, y):
        _check_dim(y, self.dim, "y", self.length, "length")
        return tg.cat(self._pieces(y, lambda t, ys: t.inv(ys)), dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_dim(x, self.dim, "x", self.length, "length")
        _check_dim(y, self.dim, "y", self.length, "length")
        terms, start = [], 0
        for transform, length in zip(self.transforms, self.lengths):
            term = transform.log_abs_det_jacobian(x.narrow(self.dim, start, length),
                                                  y.narrow(self.dim, start, length))
            if transform.event_dim < self.event_dim:
                term = _sum_rightmost(term, self.event_dim - transform.event_dim)
            terms.append(term)
            start += length
        # the cat dimension counted from the right; inside the event it has been summed away
        dim = (self.dim if self.dim < 0 else self.dim - x.dim()) + self.event_dim
        if dim < 0:
            return tg.cat(terms, dim=dim)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @constraints.dependent_property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @constraints.dependent_property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(Transform):
    """Transform i applied to index i along dimension ``dim`` (which must have one entry
    per transform), results stacked back; log|J| stacked the same way."""

    def __init__(self, tseq, dim=0, cache_size=0):
        assert all(isinstance(t, Transform) for t in tseq)
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slice(self, t):
        return [t.select(self.dim, i) for i in range(t.size(self.dim))]

    def _call(self, x):
        _check_dim(x, self.dim, "x", len(self.transforms), "len(transforms)")
        ys = [t(xi) for xi, t in zip(self._slice(x), self.transforms)]
        return tg.stack(ys, dim=self.dim)

    def _inverse(self, y):
        _check_dim(y, self.dim, "y", len(self.transforms), "len(transforms)")
        xs = [t.inv(yi) for yi, t in zip(self._slice(y), self.transforms)]
        return tg.stack(xs, dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_dim(x, self.dim, "x", len(self.transforms), "len(transforms)")
        _check_dim(y, self.dim, "y", len(self.transforms), "len(transforms)")
        terms = [t.log_abs_det_jacobian(xi, yi) for xi, yi, t
                 in zip(self._slice(x), self._slice(y), self.transforms)]
        return tg.stack(terms, dim=self.dim)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @constraints.dependent_property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @constraints.dependent_property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class CumulativeDistributionTransform(Transform):
    """y = F(x), the ``distribution``'s CDF, onto the unit interval; x = F⁻¹(y) (its icdf);
    dy/dx is the density, so log|J| = log_prob(x). Increasing, hence sign +1."""
    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
