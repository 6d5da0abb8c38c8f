"""Losses: each checks its arguments and calls a primitive of :mod:`tinygrad_sgd.ops.loss`
(NLL, binary cross entropy, MSE: one node each, as torch's) or composes Tensor operations."""
import numpy as np

from ... import ops
from ...tensor import Tensor
from ...functions import where
from ._checks import check_float

__all__ = ["nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "hinge_embedding_loss",
           "hinge_loss"]


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
    arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices (int64, like torch's "
                        f"Long), got dtype {arr.dtype}" +
                        ("; for 0/1 float targets use binary_cross_entropy"
                         if arr.dtype.kind in "fb" else ""))
    return arr.astype(np.int64, copy=False)


# ============================================================================ NLL / cross entropy
def _nll(input, target, weight, ignore_index, reduction, op):
    _check_reduction(reduction, op)
    check_float(input, op)
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
        wa = np.asarray(weight.array if isinstance(weight, Tensor) else weight,
                        dtype=input.dtype)
        if wa.shape != (C,):
            raise ValueError(f"{op}: weight must have shape ({C},) (one per class), got "
                             f"{wa.shape}")
        w = wa[safe]
    if ignored.any():
        w = np.where(ignored, 0, w).astype(input.dtype, copy=False)
    if input.ndim > 2:  # (N, C, d1, ...) → (N·d1·..., C): one gather for everything
        x = input.permute(0, *range(2, input.ndim), 1).reshape(-1, C)
        out = ops.NllLoss.apply(x, safe.reshape(-1), w.reshape(-1), reduction)
        return out.reshape(expected) if reduction == "none" else out
    return ops.NllLoss.apply(input, safe, w, reduction)


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
    check_float(input, "cross_entropy")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension (classes), "
                         "got a scalar")
    _class_array(target, "cross_entropy")  # validate before doing any work
    logp = input.log_softmax(1 if input.ndim > 1 else 0)
    return _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")


# ============================================================================ binary losses
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross entropy of probabilities ``input`` ∈ [0, 1] against ``target`` (same
    shape): −w·[y·ln x + (1−y)·ln(1−x)], the logs clamped at −100 as in torch."""
    op = "binary_cross_entropy"
    _check_reduction(reduction, op)
    check_float(input, op)
    y = _as_target(target, input, op)
    d = input.array
    if d.size and not ((d >= 0).all() and (d <= 1).all()):
        got = "NaN values" if np.isnan(d).any() else \
            f"values in [{np.nanmin(d):.4g}, {np.nanmax(d):.4g}]"
        raise ValueError(f"{op}: all elements of input should be between 0 and 1 (got {got}); "
                         f"for raw scores use binary_cross_entropy_with_logits")
    loss = ops.BinaryCrossEntropy.apply(input, y)
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else
                       Tensor(np.asarray(weight, dtype=input.dtype)))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy of raw scores: σ inside the loss, in the stable form
    l = (1−y)·x + (1 + (p−1)·y)·softplus(−x)   (p = ``pos_weight``, default 1),
    which equals −[p·y·ln σ(x) + (1−y)·ln(1−σ(x))] but never overflows.
    Its gradient is dl/dx = σ(x) − y when p = 1."""
    op = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, op)
    check_float(input, op)
    y = _as_target(target, input, op)
    sp = ops.Softplus.apply(-input)
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


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (x − y)², with ``target`` of the same shape as ``input``."""
    _check_reduction(reduction, "mse_loss")
    check_float(input, "mse_loss")
    return ops.MseLoss.apply(input, _as_target(target, input, "mse_loss"), reduction)


def _pm_one(target, input, op, strict, what="target"):
    arr = target.array if isinstance(target, Tensor) else np.asarray(target)
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
    check_float(input, op)
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
    check_float(scores, op, "scores")
    yt = _pm_one(y, scores, op, strict=True, what="y")
    return _reduce((margin - yt * scores).clamp(min=0.0), reduction)
