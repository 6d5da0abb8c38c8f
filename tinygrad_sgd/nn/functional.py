"""``tinygrad_sgd.nn.functional`` (import it as ``F``): stateless layers and losses with
torch's signatures.

Most functions here are short compositions of Tensor operations, so their gradients — and
gradients of gradients — come from the primitives' backward formulas. Three are small
primitives of their own (forward in NumPy, backward as Tensor operations), because the
composition would be slow or would differ from torch at an edge:

* :class:`NllLoss` — picks ``x[i, tᵢ]`` (a gather) for ``nll_loss``/``cross_entropy``, the
  hot path of every classifier;
* :class:`BinaryCrossEntropy` — torch clamps the logs at −100 and uses its own gradient
  formula at p = 0 or 1;
* :class:`Softplus` — ``log(1 + eˣ)`` without overflow, for the logits form of BCE (the
  ``relu/abs`` composition would get the gradient at x = 0 wrong).

Convolution and pooling live in :mod:`tinygrad_sgd.ops.conv` and are re-exported here.
"""
import numpy as np

from ..tensor import get_rng
from ..autograd import Function
from .. import ops
from ..ops.conv import conv2d, max_pool2d, avg_pool2d
from ..ops.shape import IndexAdd, scatter_along
from ..tensor import Tensor, where

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "linear", "dropout", "relu", "sigmoid",
           "tanh", "softmax", "log_softmax", "flatten",
           "nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "hinge_embedding_loss",
           "hinge_loss"]


def _check_tensor(x, op, what="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def _check_float(x, op, what="input"):
    _check_tensor(x, op, what)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {what} must be a floating point tensor, got {x.dtype}")
    return x


# ============================================================================ layers
def linear(input, weight, bias=None):
    """y = x·Wᵀ + b, with torch's weight layout ``(out_features, in_features)``; ``input``
    is ``(..., in_features)``."""
    _check_float(input, "linear")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {input.shape} has "
                         f"{input.shape[-1] if input.ndim else 0} features but the weight "
                         f"of shape {weight.shape} expects {weight.shape[1]} "
                         f"(weight is (out_features, in_features))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got "
                         f"{bias.shape}")
    if input.ndim == 1:
        return ops.Linear.apply(input.unsqueeze(0), weight, bias).squeeze(0)
    return ops.Linear.apply(input, weight, bias)


def dropout(input, p=0.5, training=True):
    """Zero each element with probability ``p`` and scale the kept ones by 1/(1−p) ("inverted"
    dropout, as torch: the expected value is unchanged, so nothing changes at eval time).
    The mask comes from the library generator (``manual_seed``). Returns ``input`` itself when
    ``training`` is False or ``p`` is 0; zeros when ``p`` is 1.
    Gradient: dL/dx = mask/(1−p) · dL/dy (it is a multiplication by a constant)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    _check_float(input, "dropout")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    draw = np.float32 if input.dtype == np.float32 else np.float64
    keep = get_rng().random(input.shape, dtype=draw) >= p
    scale = keep * input.dtype.type(1.0 / (1.0 - p))     # kept → 1/(1−p), dropped → 0
    return input * Tensor(scale)


def relu(input):
    """max(x, 0)."""
    return _check_tensor(input, "relu").relu()


def sigmoid(input):
    """1 / (1 + e⁻ˣ)."""
    return _check_tensor(input, "sigmoid").sigmoid()


def tanh(input):
    return _check_tensor(input, "tanh").tanh()


def softmax(input, dim):
    """e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim``."""
    return _check_tensor(input, "softmax").softmax(dim)


def log_softmax(input, dim):
    """xᵢ − log Σⱼ e^(xⱼ) along ``dim`` (computed stably, not as log(softmax))."""
    return _check_tensor(input, "log_softmax").log_softmax(dim)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (as ``torch.flatten``)."""
    return _check_tensor(input, "flatten").flatten(start_dim, end_dim)


# ============================================================================ loss helpers
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_target(target, input, op, what="target"):
    """A float target as a Tensor of the input's dtype (a Tensor target keeps its graph);
    its shape must equal the input's."""
    if isinstance(target, Tensor):
        t = target if target.dtype == input.dtype else target.to(input.dtype)
    else:
        try:
            t = Tensor(np.asarray(target, dtype=input.dtype))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{op}: {what} must be numeric, got {type(target).__name__} "
                            f"({e})") from None
    if t.shape != input.shape:
        raise ValueError(f"{op}: {what} shape {t.shape} differs from input shape "
                         f"{input.shape}; they must be equal (reshape one of them, e.g. "
                         f"output.squeeze(-1) or target.reshape(output.shape))")
    return t


def _class_array(target, op):
    """Integer class indices as an int64 ndarray (Tensor, ndarray, list or int)."""
    arr = target.data if isinstance(target, Tensor) else np.asarray(target)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices (int64, like torch's "
                        f"Long), got dtype {arr.dtype}" +
                        ("; for 0/1 float targets use binary_cross_entropy"
                         if arr.dtype.kind in "fb" else ""))
    return arr.astype(np.int64, copy=False)


# ============================================================================ NLL / cross entropy
class NllLoss(Function):
    """Negative log-likelihood of class indices: lᵢ = −wᵢ · x[i, tᵢ] (the class dim is dim 1,
    or dim 0 for an unbatched ``(C,)`` input), then ``sum``, or ``mean`` = Σlᵢ / Σwᵢ.

    Backward: the adjoint of a gather is a scatter — dL/dx[i, c] = −wᵢ·g (÷ Σw for mean) at
    c = tᵢ and 0 elsewhere. Written with IndexAdd, so it is differentiable again.
    ``w`` (per sample: the class weight of tᵢ, 0 for ignored targets) is a constant.
    """

    def forward(self, x, t, w, reduction):
        d = x.data
        self.in_shape, self.t, self.reduction = d.shape, t, reduction
        if d.ndim == 1:
            picked = np.asarray(d[int(t)])
        else:
            picked = np.take_along_axis(d, t[:, None], axis=1)[:, 0]
        w = w.astype(d.dtype, copy=False)
        losses = -w * picked
        if reduction == "none":
            self.coef = -w
            return np.asarray(losses)
        if reduction == "sum":
            self.coef = -w
            return np.asarray(losses.sum(), dtype=d.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            denom = w.sum()
            self.coef = -w / denom if denom != 0 else -w  # every target ignored: gradient 0
            return np.asarray(losses.sum() / denom, dtype=d.dtype)

    def backward(self, g):
        gi = g * Tensor(self.coef)            # dL/d(picked value) per sample
        if len(self.in_shape) == 1:
            return IndexAdd.apply(gi, int(self.t), self.in_shape, unique=True)
        return scatter_along(gi.unsqueeze(1), self.t[:, None], 1, self.in_shape)

    def label(self):
        return f"nll_loss(reduction={self.reduction!r})"


def _nll(input, target, weight, ignore_index, reduction, op):
    _check_reduction(reduction, op)
    _check_float(input, op)
    t = _class_array(target, op)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (classes), got a scalar")
    if input.ndim == 1:
        C, expected = input.shape[0], ()
    else:
        C, expected = input.shape[1], (input.shape[0],) + input.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape "
                         f"{input.shape} (N, C{', d1, ...' if input.ndim > 2 else ''}), "
                         f"got target of shape {t.shape}")
    ignored = t == ignore_index
    bad = ~ignored & ((t < 0) | (t >= C))
    if bad.any():
        value = int(t[bad].flat[0])
        raise IndexError(f"{op}: target value {value} is out of range for {C} classes "
                         f"(expected 0 <= target < {C}, or ignore_index={ignore_index})")
    safe = np.where(ignored, 0, t) if ignored.any() else t
    if weight is None:
        w = np.ones(t.shape, dtype=input.dtype)
    else:
        wa = np.asarray(weight.data if isinstance(weight, Tensor) else weight,
                        dtype=input.dtype)
        if wa.shape != (C,):
            raise ValueError(f"{op}: weight must have shape ({C},) (one per class), got "
                             f"{wa.shape}")
        w = wa[safe]
    if ignored.any():
        w = np.where(ignored, 0, w).astype(input.dtype, copy=False)
    if input.ndim > 2:  # (N, C, d1, ...) → (N·d1·..., C): one gather for everything
        x = input.permute(0, *range(2, input.ndim), 1).reshape(-1, C)
        out = NllLoss.apply(x, safe.reshape(-1), w.reshape(-1), reduction)
        return out.reshape(expected) if reduction == "none" else out
    return NllLoss.apply(input, safe, w, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood: ``input`` holds log-probabilities ``(N, C)`` (or ``(N, C, d1,
    ...)``, or ``(C,)``), ``target`` integer classes ``(N,)`` (or ``(N, d1, ...)``, or ``()``).

    lᵢ = −weight[tᵢ]·input[i, tᵢ]; ``mean`` divides by the summed weights of the non-ignored
    targets (their count without ``weight``); targets equal to ``ignore_index`` contribute 0.
    Raises TypeError for a non-integer target, IndexError for a class out of range, ValueError
    for mismatched shapes."""
    return _nll(input, target, weight, ignore_index, reduction, "nll_loss")


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """``nll_loss(log_softmax(input, dim=1), target)``: ``input`` holds raw scores (logits),
    ``target`` integer class indices. Same options and errors as :func:`nll_loss`."""
    _check_float(input, "cross_entropy")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension (classes), "
                         "got a scalar")
    _class_array(target, "cross_entropy")  # validate before doing any work
    logp = input.log_softmax(1 if input.ndim > 1 else 0)
    return _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")


# ============================================================================ binary losses
_BCE_EPS = float(np.float32(1e-12))  # torch's EPSILON is a float32 1e-12, also for float64


class BinaryCrossEntropy(Function):
    """lᵢ = −[yᵢ·max(ln xᵢ, −100) + (1−yᵢ)·max(ln(1−xᵢ), −100)]   (torch clamps the logs, so
    x = 0 or 1 gives a finite loss).

    dl/dx = (x − y) / max(x(1−x), ε), ε = 10⁻¹²  (torch's formula, also at x = 0 or 1),
    dl/dy = ln(1−x) − ln x."""

    def forward(self, x, y):
        self.save_for_backward(x, y)
        xd, yd = x.data, y.data
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.maximum(np.log(xd), -100)
            log_1mx = np.maximum(np.log(1 - xd), -100)
        return -(yd * log_x + (1 - yd) * log_1mx)

    def backward(self, g):
        x, y = self.saved_tensors
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = g * (x - y) / (x * (1.0 - x)).clamp(min=_BCE_EPS)
        if self.needs_input_grad[1]:
            gy = g * ((1.0 - x).log() - x.log())
        return gx, gy


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross entropy of probabilities ``input`` ∈ [0, 1] against ``target`` (same
    shape): −w·[y·ln x + (1−y)·ln(1−x)], the logs clamped at −100 as in torch."""
    op = "binary_cross_entropy"
    _check_reduction(reduction, op)
    _check_float(input, op)
    y = _as_target(target, input, op)
    d = input.data
    if d.size and not ((d >= 0).all() and (d <= 1).all()):
        got = "NaN values" if np.isnan(d).any() else \
            f"values in [{np.nanmin(d):.4g}, {np.nanmax(d):.4g}]"
        raise ValueError(f"{op}: all elements of input should be between 0 and 1 (got {got}); "
                         f"for raw scores use binary_cross_entropy_with_logits")
    loss = BinaryCrossEntropy.apply(input, y)
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else
                       Tensor(np.asarray(weight, dtype=input.dtype)))
    return _reduce(loss, reduction)


class Softplus(Function):
    """z = ln(1 + eˣ), computed as logaddexp(0, x) (no overflow).   dz/dx = σ(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.logaddexp(0, x.data)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * x.sigmoid()


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy of raw scores: σ inside the loss, in the stable form
    l = (1−y)·x + (1 + (p−1)·y)·softplus(−x)   (p = ``pos_weight``, default 1),
    which equals −[p·y·ln σ(x) + (1−y)·ln(1−σ(x))] but never overflows.
    Its gradient is dl/dx = σ(x) − y when p = 1."""
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    _check_float(input, op)
    y = _as_target(target, input, op)
    sp = Softplus.apply(-input)
    if pos_weight is None:
        loss = (1.0 - y) * input + sp
    else:
        pw = pos_weight if isinstance(pos_weight, Tensor) else \
            Tensor(np.asarray(pos_weight, dtype=input.dtype))
        loss = (1.0 - y) * input + (1.0 + (pw - 1.0) * y) * sp
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else
                       Tensor(np.asarray(weight, dtype=input.dtype)))
    return _reduce(loss, reduction)


class MseLoss(Function):
    """L = Σ (x − y)² (÷ n for ``mean``; per element for ``none``) — one node, as torch's.
    dL/dx = 2·(x − y)·g (÷ n),   dL/dy = −dL/dx."""

    def forward(self, x, y, reduction):
        self.save_for_backward(x, y)
        self.reduction = reduction
        diff = x.data - y.data
        sq = diff * diff
        if reduction == "none":
            return sq
        return np.asarray(sq.sum() / sq.size if reduction == "mean" else sq.sum(),
                          dtype=sq.dtype)

    def backward(self, g):
        x, y = self.saved_tensors
        scale = 2.0 / x.data.size if self.reduction == "mean" else 2.0
        gx = MseLossGrad.apply(x, y, g, scale)
        return (gx if self.needs_input_grad[0] else None,
                -gx if self.needs_input_grad[1] else None)

    def label(self):
        return f"mse_loss(reduction={self.reduction!r})"


class MseLossGrad(Function):
    """MSE's backward as one node: u = c·(x − y)·g (c = 2, or 2/n for ``mean``; g is a scalar
    or, for ``none``, one value per element).   du/dx = c·g,   du/dy = −c·g,
    du/dg = c·(x − y) (summed back to g's shape by the graph walk)."""
    op_name = "mse_loss_backward"

    def forward(self, x, y, g, scale):
        self.save_for_backward(x, y, g)
        self.scale = scale
        return (x.data - y.data) * (g.data * scale)

    def backward(self, gg):
        x, y, g = self.saved_tensors
        c = self.scale
        gx = gg * g * c if (self.needs_input_grad[0] or self.needs_input_grad[1]) else None
        return (gx if self.needs_input_grad[0] else None,
                -gx if self.needs_input_grad[1] else None,
                gg * (x - y) * c if self.needs_input_grad[2] else None)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (x − y)², with ``target`` of the same shape as ``input``."""
    _check_reduction(reduction, "mse_loss")
    _check_float(input, "mse_loss")
    return MseLoss.apply(input, _as_target(target, input, "mse_loss"), reduction)


def _pm_one(target, input, op, strict, what="target"):
    arr = target.data if isinstance(target, Tensor) else np.asarray(target)
    if arr.shape != input.shape:
        raise ValueError(f"{op}: {what} shape {arr.shape} differs from input shape "
                         f"{input.shape}; they must be equal")
    if strict and arr.size and not np.isin(arr, (-1, 1)).all():
        bad = arr[~np.isin(arr, (-1, 1))].flat[0]
        raise ValueError(f"{op}: {what} values must be -1 or +1, got {bad.item()}")
    return Tensor(arr.astype(input.dtype, copy=False))


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    """torch's hinge embedding loss: lᵢ = xᵢ where yᵢ = 1, max(0, margin − xᵢ) where
    yᵢ = −1 (for other y values both terms are added, exactly as torch computes it)."""
    op = "hinge_embedding_loss"
    _check_reduction(reduction, op)
    _check_float(input, op)
    y = _pm_one(target, input, op, strict=False)
    hinge = (margin - input).clamp(min=0.0)
    loss = where(y != 1, hinge, 0.0) + where(y != -1, input, 0.0)
    return _reduce(loss, reduction)


def hinge_loss(scores, y, margin=1.0, reduction="mean"):
    """The SVM (margin) loss of scores against labels ``y`` ∈ {−1, +1} (same shape):
    lᵢ = max(0, margin − yᵢ·sᵢ); the default reduction is their mean.
    Zero for points classified correctly with a margin; the gradient −yᵢ for the others
    (and, as torch's clamp, also at the kink margin − yᵢ·sᵢ = 0).
    Not in torch (its ``hinge_embedding_loss`` is a different loss); raises ValueError for a
    label other than ±1."""
    op = "hinge_loss"
    _check_reduction(reduction, op)
    _check_float(scores, op, "scores")
    yt = _pm_one(y, scores, op, strict=True, what="y")
    return _reduce((margin - yt * scores).clamp(min=0.0), reduction)
