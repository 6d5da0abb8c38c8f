"""More losses (torch's signatures): Kullback–Leibler divergence, margin ranking, cosine
embedding, triplet margin (with a p-norm or any distance), Poisson and Gaussian negative
log-likelihood, soft margin, multi-class and multi-label margin, multi-label soft margin. Each
is composed of Tensor operations exactly as torch composes it, so values, gradients (for every
float input, targets included) and second order are torch's; hinges use a strict mask (no
gradient at the kink) where torch's kernel does."""
import math
import warnings

import numpy as np

from ...autograd import forward_ad
from ...autograd.torch_names import named
from ...errors import DTypeError, warn_level
from ...functions import where
from ...functions.special import xlogy
from ... import ops
from ...ops.distance import ClampMinUnrecorded
from ...tensor import Tensor
from ...dtypes import default_float
from ...functions.elementwise import torch_dtype_name
from ...functions.out import _C_NAMES
from ._checks import (check_float, check_numeric, check_weight_dtype, integral, refuse_integral,
                      refuse_weight_grad)
from .distance import pairwise_distance
from .layers import logsigmoid
from .loss_linear import linear_cross_entropy  # noqa: F401 (in __all__: its home was here)
from .loss import (_REDUCTIONS, _broadcast, _check_reduction, _legacy, _reduce,
                   _target_tensor)

__all__ = ["kl_div", "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "hinge_embedding_loss", "hinge_loss",
           "linear_cross_entropy"]


def _check(reduction, message="{} is not a valid value for reduction"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(message.format(reduction))


def _tensor(x, like):
    """A non-Tensor operand as a constant of ``like``'s dtype (a Tensor keeps its graph)."""
    return x if isinstance(x, Tensor) else Tensor._of(np.asarray(x, like.dtype))


# ---------------------------------------------------------------------------- KL, ranking, cosine
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback–Leibler divergence with ``input`` = log q and ``target`` = p (or log p when
    ``log_target``): lᵢ = pᵢ·(log pᵢ − input_i) — torch's xlogy(p, p) − p·input, 0 where
    pᵢ = 0 (and, as torch's, a NaN gradient w.r.t. p there: d(p·log p)/dp has no value at 0).
    ``reduction='batchmean'`` divides the sum by the batch size (the KL divergence proper);
    ``'mean'`` by the number of elements (torch warns about it, and so do we). The target
    broadcasts against the input and the dtypes promote, as torch's elementwise ops."""
    op = "kl_div"
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction (reduction "
                         f"must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r})")
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    p = _target_tensor(target, input, op)
    if input.dtype.kind != "f" or p.dtype.kind != "f":
        raise DTypeError("kl_div: Integral inputs not supported.")
    if p.shape != input.shape:
        _broadcast(op, input, p, p, input)   # (torch's error for sizes that do not broadcast)
    if log_target:
        loss = p.exp() * (p - input)
    else:
        loss = xlogy(p, p) - p * input
    if reduction == "batchmean":
        return loss.sum() / float(input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", UserWarning,
                      stacklevel=warn_level(2))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, −y·(x₁ − x₂) + margin), y = ±1 saying which input should rank higher."""
    op = "margin_ranking_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_numeric(input1, op, "input1")
    check_numeric(input2, op, "input2")
    y = target if isinstance(target, Tensor) else Tensor._of(np.asarray(target))
    if not (input1.ndim == input2.ndim == y.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: torch.Size({list(input1.shape)})"
                           f", input2: torch.Size({list(input2.shape)}), target: "
                           f"torch.Size({list(y.shape)}) ")
    diff = input1 - input2         # (first, as torch: its error for bools before −y's)
    return _reduce((-y * diff + float(margin)).clamp(min=0.0), reduction)   # (a float margin:
    # integer inputs give a float loss, as torch's, whose margin is a double)


_COS_EPS = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where y = −1; rows of
    ``(N, D)`` inputs (or two ``(D,)`` vectors), cos computed as torch (ε = 1e-12 added to each
    squared norm)."""
    op = "cosine_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_numeric(input1, op, "input1")
    check_numeric(input2, op, "input2")
    y = target.array if isinstance(target, Tensor) else np.asarray(target)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: expected two 1D or 2D inputs of the same "
                           f"shape, got {input1.shape} and {input2.shape}")
    dim = input1.ndim - 1
    expected = input1.shape[:1] if dim else ()
    if dim and y.shape == (1,):         # (torch: one target for every row, broadcast)
        y = np.broadcast_to(y, expected)
    if y.shape != expected:
        raise RuntimeError(f"{dim + 1}D target tensor expected, got shape {y.shape} for "
                           f"inputs of shape {input1.shape}")
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + _COS_EPS
    mag2 = (input2 * input2).sum(dim) + _COS_EPS
    cos = prod / (mag1 * mag2).sqrt()
    y = Tensor._of(np.asarray(y))      # (compared as torch compares: −1 is 255 in uint8)
    loss = where(y == 1, 1.0 - cos, 0.0) + where(y == -1, (cos - margin).clamp(min=0.0), 0.0)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- triplets
def _check_triplet(anchor, positive, negative, margin):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{p}D, and negative {n}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) − d(a, n)), d the :func:`pairwise_distance` (‖x − y + eps‖ₚ
    over the last dim); ``swap``: d(a, n) replaced by min(d(a, n), d(p, n))."""
    reduction = _legacy(size_average, reduce, reduction)
    _check(reduction)
    for what, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_numeric(t, "triplet_margin_loss", what)
    _check_triplet(anchor, positive, negative, margin)

    def dist(x, y):
        return pairwise_distance(x, y, p, eps)
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def _triplet(anchor, positive, negative, dist, margin, swap, reduction):
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, margin + d(a, p) − d(a, n)) with any ``distance_function`` d (default
    :func:`pairwise_distance`); ``swap`` as in :func:`triplet_margin_loss`."""
    _check(reduction)
    _check_triplet(anchor, positive, negative, margin)
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


# ---------------------------------------------------------------------------- likelihoods
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of ``target`` under Poisson(λ): e^x − y·x with ``log_input``
    (x = log λ), else λ − y·log(λ + eps). ``full`` adds Stirling's approximation of log(y!),
    y·log y − y + ½·log(2πy), where y > 1. Input and target broadcast, as torch."""
    reduction = _legacy(size_average, reduce, reduction)
    _check(reduction)
    check_numeric(input, "poisson_nll_loss")
    y = _tensor(target, input)
    loss = input.exp() - y * input if log_input else input - y * (input + eps).log()
    if full:
        stirling = y * y.log() - y + (y * (2 * math.pi)).log() * 0.5
        loss = loss + where(y <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under N(input, var): ½(log var + (x − y)²/var)
    (+ ½·log 2π with ``full``). ``var`` is a float, or a Tensor of the input's shape, or one
    dim short of it (one variance per sample), or of the input's rank with one dim of size 1.
    It is clamped to ``eps`` as torch does (in place, unseen by autograd: the gradient is the
    unclamped one's)."""
    check_numeric(input, "gaussian_nll_loss")
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        dtype = input.dtype if input.dtype.kind == "f" else default_float()   # (var·ones_like)
        var = Tensor._of(np.full(input.shape, var, dtype))
    elif not isinstance(var, Tensor):
        raise TypeError(f"gaussian_nll_loss: var must be a Tensor or a float, got "
                        f"{type(var).__name__}")
    elif (var.array < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and
                  sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    _check(reduction, "{} is not valid")
    if integral(var):          # (torch clamps it in place to eps, a float)
        raise DTypeError(f"result type Float can't be cast to the desired output type "
                         f"{_C_NAMES[var.dtype.name]}")
    var = ClampMinUnrecorded.apply(var, eps)
    loss = (var.log() + (input - _tensor(target, input)) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- margins
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + e^(−y·x)) for labels y = ±1 (input and target broadcast, as torch; the target
    is not differentiable, as torch's; the loss has the input's dtype, as torch's)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check(reduction)
    check_numeric(input, "soft_margin_loss")
    if isinstance(target, Tensor) and target.requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    if integral(input):        # (torch computes it in place in the input's dtype: −x·y, exp)
        _integral_soft_margin(input, target)
    y = _tensor(target, input).array
    grown = np.broadcast_shapes(input.shape, y.shape)
    if grown != tuple(input.shape):      # (torch computes it into a tensor of input's shape)
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the "
                           f"broadcast shape {list(grown)}")
    loss = ops.SoftMarginLossOp.apply(input, y)
    loss = _reduce(loss if loss.dtype == input.dtype else loss.to(input.dtype), reduction)
    return named(loss, "SoftMarginLossBackward0", input)


def _integral_soft_margin(input, target):
    """torch's error for an integer or bool input: its −x is refused for bool; (−x)·y is
    computed in place in the input's dtype, refused for a float target, and so is e^(…)."""
    if input.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    name = "Float"
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        name = torch_dtype_name(target.dtype)
    raise DTypeError(f"result type {name} can't be cast to the desired output type "
                     f"{torch_dtype_name(input.dtype)}")


def _class_targets(target):
    arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    if arr.dtype != np.int64:
        raise DTypeError("expected scalar type Long but found "
                         + {"f": "Float" if arr.dtype == np.float32 else "Double"}
                         .get(arr.dtype.kind, str(arr.dtype)))
    return arr


def _vector_or_matrix(input):
    if input.ndim > 2 or input.numel() == 0 and input.ndim != 2:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")


def _no_half_kernel(input, kernel):
    """torch's CPU margin losses have no float16 kernel: its NotImplementedError."""
    if input.dtype.name == "float16":
        from ...functions.elementwise import not_implemented
        raise not_implemented(kernel, input.dtype)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss of scores ``(N, C)`` (or ``(C,)``) and class indices ``(N,)``:
    lₙ = Σ_{j ≠ yₙ} w[yₙ]·max(0, margin − x[yₙ] + x[j])ᵖ / C, p ∈ {1, 2}. The weight is a
    constant (torch has no derivative for it)."""
    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    _check(reduction)
    refuse_weight_grad(weight, "multi_margin_loss")
    forward_ad.refuse("multi_margin_loss", True, *[t for t in (input, weight) if t is not None])
    check_numeric(input, "multi_margin_loss")     # (forward AD: torch has no formula)
    _no_half_kernel(input, "multi_margin_loss_cpu_kernel")
    _vector_or_matrix(input)
    t = target.array if isinstance(target, Tensor) else np.asarray(target)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    N, C = x.shape
    if t.size != N or t.ndim > 1:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{N}], but got {list(t.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got "
                           f"{list(weight.shape)}")
    refuse_integral(input, "multi_margin_loss_cpu_kernel")      # (torch: after the shapes)
    t = _class_targets(target)
    if weight is not None:
        check_weight_dtype(input, weight)
    t = t.reshape(N)
    if ((t < 0) | (t >= C)).any():
        raise RuntimeError("target out of range")
    z = margin - x.gather(1, Tensor._of(t[:, None])) + x             # margin − x[y] + x[j]
    keep = (z.array > 0) & (np.arange(C) != t[:, None])          # strict, and j ≠ y
    z = where(Tensor._of(keep), z, 0.0)
    if p == 2:
        z = z * z
    if weight is not None:
        w = np.asarray(weight.array if isinstance(weight, Tensor) else weight, input.dtype)
        z = z * Tensor._of(w[t].reshape(N, 1))
    loss = z.sum(1) / C
    if input.ndim < 2 and reduction == "none":
        loss = loss.reshape(target.shape if isinstance(target, Tensor) else np.shape(target))
    return named(_reduce(loss, reduction), "MultiMarginLossBackward0", input)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: ``target`` (the input's shape, int64) lists each sample's
    classes, ended by the first −1; lₙ = Σ over listed j, Σ over unlisted k of
    max(0, 1 − (x[j] − x[k])) / C."""
    reduction = _legacy(size_average, reduce, reduction)
    _check(reduction)
    check_numeric(input, "multilabel_margin_loss")
    _no_half_kernel(input, "multilabel_margin_loss_forward_out_frame")
    _vector_or_matrix(input)
    t = target.array if isinstance(target, Tensor) else np.asarray(target)
    if t.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(input.shape)}")
    refuse_integral(input, "multilabel_margin_loss_forward_out_frame")
    t = _class_targets(target)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    N, C = x.shape
    t = t.reshape(N, C)
    listed = np.cumprod(t != -1, axis=1).astype(bool)        # entries before the first −1
    if ((t[listed] < 0) | (t[listed] >= C)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    safe = np.where(listed, t, 0)
    is_target = np.zeros((N, C), bool)                            # the listed classes
    rows = np.broadcast_to(np.arange(N)[:, None], (N, C))
    is_target[rows[listed], t[listed]] = True
    xt = x.gather(1, Tensor._of(safe))                                # x[listed j], (N, C)
    z = x.unsqueeze(1) - xt.unsqueeze(2) + 1.0                    # (N, j, k): 1 − x[j] + x[k]
    keep = listed[:, :, None] & ~is_target[:, None, :] & (z.array > 0)
    loss = where(Tensor._of(keep), z, 0.0).sum((1, 2)) / C
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per sample, the mean over the C classes of the binary cross entropy of σ(x) against
    0/1 targets: −(y·log σ(x) + (1 − y)·log σ(−x)), times ``weight`` per class if given."""
    reduction = _legacy(size_average, reduce, reduction)
    check_numeric(input, "multilabel_soft_margin_loss")
    refuse_integral(input, "log_sigmoid_cpu")          # (torch's log σ(x), first)
    y = _tensor(target, input)
    loss = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    C = input.shape[input.ndim - 1] if input.ndim else 1
    loss = loss.sum(input.ndim - 1 if input.ndim else None) / C
    _check(reduction, "{} is not valid")
    return _reduce(loss, reduction)


# ============================================================================ hinge losses
def _pm_one(target, input, op, strict, what="target"):
    arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    if arr.shape != input.shape:
        raise ValueError(f"{op}: {what} shape {arr.shape} differs from input shape "
                         f"{input.shape}; they must be equal")
    if strict and arr.size and not np.isin(arr, (-1, 1)).all():
        bad = arr[~np.isin(arr, (-1, 1))].flat[0]
        raise ValueError(f"{op}: {what} values must be -1 or +1, got {bad.item()}")
    return Tensor._of(arr.astype(input.dtype, copy=False))


_C_INTS = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
           "int64": "int64_t"}     # (the C++ names in torch's overflow message)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """torch's hinge embedding loss: lᵢ = xᵢ where yᵢ = 1, max(0, margin − xᵢ) where
    yᵢ = −1 (for other y values both terms are added, exactly as torch computes it). The
    target broadcasts against the input (silently, as torch's); the loss has the input's
    dtype."""
    op = "hinge_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_numeric(input, op)
    y = _target_tensor(target, input, op)
    if y.shape != input.shape:
        _broadcast(op, input, y, y, input)   # (torch's error for sizes that do not broadcast)
    if integral(input):     # torch: margin − x as a tensor of x's dtype filled with the margin
        if input.dtype.kind == "b":             # (truncated) minus x: exact, wrapping
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        info = np.iinfo(input.dtype)
        if not info.min <= margin <= info.max:  # (fill's check; NaN fails it too)
            raise RuntimeError(f"value cannot be converted to type {_C_INTS[input.dtype.name]} "
                               f"without overflow")
        hinge, zero = (int(margin) - input).clamp(min=0), 0
    else:
        hinge, zero = (margin - input).clamp(min=0.0), 0.0
    loss = where(y != 1, hinge, zero) + where(y != -1, input, zero)
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
