"""Losses: each checks its arguments and calls a primitive of :mod:`tinygrad_sgd.ops.loss`
(NLL, binary cross entropy, MSE: one node each, as torch's) or composes Tensor operations."""
import numpy as np

from ... import ops
from ...autograd.torch_names import named
from ...errors import DTypeError, ShapeError
from ...tensor import Tensor
from ...functions import where
from ._checks import check_float

__all__ = ["nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "hinge_embedding_loss",
           "hinge_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
           "margin_ranking_loss", "cosine_embedding_loss"]


# ============================================================================ loss helpers
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _legacy(size_average, reduce, reduction):
    """torch's deprecated ``size_average``/``reduce`` flags, when given, decide the reduction
    (with torch's warning): reduce=False → 'none', else size_average=False → 'sum', else
    'mean'."""
    if size_average is None and reduce is None:
        return reduction
    import warnings
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def _weighted(loss, weight, input, reduction, mean):
    """torch's ``weight=`` of mse/l1/huber: ``loss·weight`` per element (``weight`` a Tensor —
    or array — of exactly the input's shape: no broadcasting), then ``sum``, or for ``mean``
    Σ(loss·w)/Σw (``mean="by weight"``: mse, l1) or the plain mean of loss·w (huber), as
    torch 2.13. The weight is differentiable, as any Tensor operand."""
    w = weight if isinstance(weight, Tensor) else Tensor._of(np.asarray(weight))
    if w.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * w
    if reduction == "mean" and mean == "by weight":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


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
            t = Tensor._of(np.asarray(target, dtype=input.dtype))
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
        raise DTypeError(f"{op}: target must hold integer class indices (int64, like torch's "
                         f"Long), got dtype {arr.dtype} (expected target dtype to be Long or "
                         f"Byte)" +
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
        raise ShapeError(f"{op}: expected target of shape {expected} for input of shape "
                         f"{input.shape} (N, C{', d1, ...' if input.ndim > 2 else ''}), "
                         f"got target of shape {t.shape}")
    ignored = t == ignore_index
    any_ignored = bool(ignored.any())
    if t.size and (t.min() < 0 or t.max() >= C):     # (two quick passes: usually all is well)
        bad = ~ignored & ((t < 0) | (t >= C))
        if bad.any():
            value = int(t[bad].flat[0])
            raise IndexError(f"{op}: target value {value} is out of range for {C} classes "
                             f"(expected 0 <= target < {C}, or ignore_index={ignore_index})")
    safe = np.where(ignored, 0, t) if any_ignored else t
    if weight is None:
        w = np.ones(t.shape, dtype=input.dtype)
    else:
        wa = np.asarray(weight.array if isinstance(weight, Tensor) else weight,
                        dtype=input.dtype)
        if wa.shape != (C,):
            raise ShapeError(f"{op}: weight must have shape ({C},) (one per class), got "
                             f"{wa.shape}")
        w = wa[safe]
    if any_ignored:
        w = np.where(ignored, 0, w).astype(input.dtype, copy=False)
    if input.ndim > 2:  # (N, C, d1, ...) → (N·d1·..., C): one gather for everything
        x = input.permute(0, *range(2, input.ndim), 1).reshape(-1, C)
        out = ops.NllLoss.apply(x, safe.reshape(-1), w.reshape(-1), reduction)
        return out.reshape(expected) if reduction == "none" else out
    return ops.NllLoss.apply(input, safe, w, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood: ``input`` holds log-probabilities ``(N, C)`` (or ``(N, C, d1,
    ...)``, or ``(C,)``), ``target`` integer classes ``(N,)`` (or ``(N, d1, ...)``, or ``()``).

    lᵢ = −weight[tᵢ]·input[i, tᵢ]; ``mean`` divides by the summed weights of the non-ignored
    targets (their count without ``weight``); targets equal to ``ignore_index`` contribute 0.
    Raises TypeError for a non-integer target, IndexError for a class out of range, ValueError
    for mismatched shapes."""
    reduction = _legacy(size_average, reduce, reduction)
    return _nll(input, target, weight, ignore_index, reduction, "nll_loss")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, dim=1), target)`` for raw scores (logits) ``(N, C)``,
    ``(N, C, d1, ...)`` or ``(C,)``.

    ``target`` holds integer class indices (same options and errors as :func:`nll_loss`) or,
    if it is a float tensor of the input's own shape, class probabilities: lᵢ = −Σ_c w_c·p_ic·
    log q_ic, and ``mean`` divides by the number of samples. ``label_smoothing`` ε mixes the
    target with the uniform distribution: (1−ε)·target + ε/C, as torch (for class indices the
    ε/C part is averaged like the nll part: over the summed weights of the kept targets)."""
    reduction = _legacy(size_average, reduce, reduction)
    if isinstance(input, Tensor) and input.dtype.kind in "biu":     # torch: no such kernel
        from ...functions.elementwise import torch_dtype_name
        raise NotImplementedError(f"cross_entropy: input must be a floating point tensor, got "
                                  f"{input.dtype} (\"log_softmax\" not implemented for "
                                  f"'{torch_dtype_name(input.dtype)}')")
    check_float(input, "cross_entropy")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension (classes), "
                         "got a scalar")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    _check_reduction(reduction, "cross_entropy")
    class_dim = 1 if input.ndim > 1 else 0
    C = input.shape[class_dim]
    w = None
    if weight is not None:
        w = weight if isinstance(weight, Tensor) else Tensor._of(np.asarray(weight))
        if w.shape != (C,):
            raise ShapeError(f"cross_entropy: weight must have shape ({C},) (one per class), "
                             f"got {w.shape}")
        w = w.to(input.dtype).reshape((C,) + (1,) * (input.ndim - class_dim - 1))
    t_arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    logp = input.log_softmax(class_dim)
    if t_arr.dtype.kind == "f" and t_arr.shape == input.shape:   # class probabilities (as
        # torch, a float target of another shape is read as class indices, and refused)
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        p = _as_target(target, input, "cross_entropy")
        if label_smoothing > 0:
            p = p * (1 - label_smoothing) + label_smoothing / C
        terms = logp * p if w is None else logp * p * w
        loss = -terms.sum(class_dim)
        return _reduce(loss, reduction)          # mean: over the samples
    _class_array(target, "cross_entropy")  # validate before doing any work
    nll = _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")
    if label_smoothing == 0:
        return nll
    t = _class_array(target, "cross_entropy")
    kept = t != ignore_index
    smooth = -(logp if w is None else logp * w).sum(class_dim)
    if not kept.all():
        smooth = smooth * Tensor._of(kept.astype(input.dtype))
    if reduction == "mean":
        if w is None:
            smooth = smooth.sum() / float(kept.sum())
        else:
            wa = w.array.reshape(C)
            smooth = smooth.sum() / float(wa[t[kept]].sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / C)


# ============================================================================ binary losses
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross entropy of probabilities ``input`` ∈ [0, 1] against ``target`` (same
    shape): −w·[y·ln x + (1−y)·ln(1−x)], the logs clamped at −100 as in torch."""
    op = "binary_cross_entropy"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_float(input, op)
    y = _as_target(target, input, op)
    d = input.array
    if d.size and not ((d >= 0).all() and (d <= 1).all()):
        got = "NaN values" if np.isnan(d).any() else \
            f"values in [{np.nanmin(d):.4g}, {np.nanmax(d):.4g}]"
        raise ShapeError(f"{op}: all elements of input should be between 0 and 1 (got {got}); "
                         f"for raw scores use binary_cross_entropy_with_logits")
    t = y.array
    if t.size and not ((t >= 0).all() and (t <= 1).all()):
        raise ShapeError(f"{op}: all elements of target should be between 0 and 1 (got values "
                         f"in [{np.nanmin(t):.4g}, {np.nanmax(t):.4g}])")
    loss = ops.BinaryCrossEntropy.apply(input, y)
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else
                       Tensor._of(np.asarray(weight, dtype=input.dtype)))
    return named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0", input, target)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy of raw scores: σ inside the loss, in the stable form
    l = (1−y)·x + (1 + (p−1)·y)·softplus(−x)   (p = ``pos_weight``, default 1),
    which equals −[p·y·ln σ(x) + (1−y)·ln(1−σ(x))] but never overflows.
    Its gradient is dl/dx = σ(x) − y when p = 1."""
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_float(input, op)
    y = _as_target(target, input, op)
    sp = ops.Softplus.apply(-input)
    if pos_weight is None:
        loss = (1.0 - y) * input + sp
    else:
        pw = pos_weight if isinstance(pos_weight, Tensor) else \
            Tensor._of(np.asarray(pos_weight, dtype=input.dtype))
        loss = (1.0 - y) * input + (1.0 + (pw - 1.0) * y) * sp
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else
                       Tensor._of(np.asarray(weight, dtype=input.dtype)))
    return named(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0", input,
                 target)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (x − y)², with ``target`` of the same shape as ``input``.
    ``weight`` (torch 2.13; a Tensor of the input's shape, no broadcasting) multiplies each
    element's loss; ``mean`` is then Σ w·(x − y)² / Σw (NaN when Σw = 0, as torch)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    check_float(input, "mse_loss")
    y = _as_target(target, input, "mse_loss")
    if weight is not None:
        return _weighted((input - y) ** 2, weight, input, reduction, "by weight")
    return ops.MseLoss.apply(input, y, reduction)


def _pm_one(target, input, op, strict, what="target"):
    arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    if arr.shape != input.shape:
        raise ValueError(f"{op}: {what} shape {arr.shape} differs from input shape "
                         f"{input.shape}; they must be equal")
    if strict and arr.size and not np.isin(arr, (-1, 1)).all():
        bad = arr[~np.isin(arr, (-1, 1))].flat[0]
        raise ValueError(f"{op}: {what} values must be -1 or +1, got {bad.item()}")
    return Tensor._of(arr.astype(input.dtype, copy=False))


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """torch's hinge embedding loss: lᵢ = xᵢ where yᵢ = 1, max(0, margin − xᵢ) where
    yᵢ = −1 (for other y values both terms are added, exactly as torch computes it)."""
    op = "hinge_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction)
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


# ============================================================================ regression
def _pair_losses(input, target, op, reduction):
    _check_reduction(reduction, op)
    check_float(input, op)
    return _as_target(target, input, op)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|x − y| (gradient 0 where x = y, as torch); ``weight``: see :func:`mse_loss`."""
    reduction = _legacy(size_average, reduce, reduction)
    loss = (input - _pair_losses(input, target, "l1_loss", reduction)).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, "by weight")
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """½(x − y)²/β where |x − y| < β, |x − y| − ½β elsewhere (β = 0: the L1 loss)."""
    reduction = _legacy(size_average, reduce, reduction)
    y = _pair_losses(input, target, "smooth_l1_loss", reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - y
    if beta == 0:
        return named(_reduce(d.abs(), reduction), "SmoothL1LossBackward0", input, target)
    a = d.abs()
    out = _reduce(where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta), reduction)  # (torch's)
    return named(out, "SmoothL1LossBackward0", input, target)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """½(x − y)² where |x − y| < δ, δ·(|x − y| − ½δ) elsewhere (= δ·smooth_l1 with β = δ).
    ``weight`` (the input's shape) multiplies each element's loss; ``mean`` is then the plain
    mean of the weighted losses (not ÷ Σw as mse/l1's: torch 2.13's own difference)."""
    y = _pair_losses(input, target, "huber_loss", reduction)
    if not delta > 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - y
    a = d.abs()
    loss = where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, "plain")
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback–Leibler divergence with ``input`` = log q and ``target`` = p (or log p when
    ``log_target``): lᵢ = pᵢ·(log pᵢ − input_i), 0 where pᵢ = 0. ``reduction='batchmean'``
    divides the sum by the batch size (the KL divergence proper); ``'mean'`` by the number of
    elements (torch warns about it, and so do we)."""
    op = "kl_div"
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    check_float(input, op)
    p = _as_target(target, input, op)
    if log_target:
        loss = p.exp() * (p - input)
    else:
        positive = p > 0
        safe = where(positive, p, 1.0)               # log(1) = 0 where p = 0: no −inf, no nan
        loss = p * safe.log() - p * input
    if reduction == "batchmean":
        return loss.sum() / float(input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        import warnings
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", UserWarning,
                      stacklevel=2)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, −y·(x₁ − x₂) + margin), y = ±1 saying which input should rank higher."""
    op = "margin_ranking_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_float(input1, op, "input1")
    check_float(input2, op, "input2")
    y = target if isinstance(target, Tensor) else Tensor._of(np.asarray(target))
    if not (input1.ndim == input2.ndim == y.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: torch.Size({list(input1.shape)})"
                           f", input2: torch.Size({list(input2.shape)}), target: "
                           f"torch.Size({list(y.shape)}) ")
    return _reduce((-y * (input1 - input2) + margin).clamp(min=0.0), reduction)


_COS_EPS = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where y = −1; rows of
    ``(N, D)`` inputs (or two ``(D,)`` vectors), cos computed as torch (ε = 1e-12 added to each
    squared norm)."""
    op = "cosine_embedding_loss"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_float(input1, op, "input1")
    check_float(input2, op, "input2")
    y = target.array if isinstance(target, Tensor) else np.asarray(target)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: expected two 1D or 2D inputs of the same "
                           f"shape, got {input1.shape} and {input2.shape}")
    dim = input1.ndim - 1
    expected = input1.shape[:1] if dim else ()
    if y.shape != expected:
        raise RuntimeError(f"{dim + 1}D target tensor expected, got shape {y.shape} for "
                           f"inputs of shape {input1.shape}")
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + _COS_EPS
    mag2 = (input2 * input2).sum(dim) + _COS_EPS
    cos = prod / (mag1 * mag2).sqrt()
    loss = where(Tensor._of(y == 1), 1.0 - cos, 0.0) + \
        where(Tensor._of(y == -1), (cos - margin).clamp(min=0.0), 0.0)
    return _reduce(loss, reduction)
