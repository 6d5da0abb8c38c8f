"""Losses: each checks its arguments and calls a primitive of :mod:`tinygrad_sgd.ops.loss`
(NLL, binary cross entropy, MSE: one node each, as torch's) or composes Tensor operations."""
# house: long file — the class-index losses share their target and weight checks (torch's
# messages, in torch's order) with the regression losses' reduction rules; the rest of the
# family is in loss_more.py.
import warnings

import numpy as np

from ... import ops
from ...autograd.torch_names import named
from ...dtypes import promote_types
from ...errors import DTypeError, ShapeError, warn_level
from ...tensor import Tensor
from ...functions import where
from ...functions.combine import broadcast_tensors
from ...functions.distance import broadcast_shape
from ...functions.elementwise import torch_dtype_name
from ._checks import (check_float, check_numeric, check_tensor, check_weight_dtype,
                      refuse_integral, refuse_weight_grad)

# (kl_div, margin_ranking_loss, cosine_embedding_loss, the hinge losses: in loss_more.py)
__all__ = ["nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "smooth_l1_loss",
           "huber_loss"]


# ============================================================================ loss helpers
_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction (reduction "
                         f"must be 'mean', 'sum' or 'none', got {reduction!r})")


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
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=warn_level(3))
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
    """A target as a Tensor: a Tensor as it is (its dtype and graph: torch promotes the two
    dtypes, see :func:`_promoted`), anything else an array of the input's dtype. Its shape
    must equal the input's."""
    t = _target_tensor(target, input, op, what)
    if t.shape != input.shape:
        raise ValueError(f"{op}: {what} shape {t.shape} differs from input shape "
                         f"{input.shape}; they must be equal (reshape one of them, e.g. "
                         f"output.squeeze(-1) or target.reshape(output.shape))")
    return t


def _target_tensor(target, input, op, what="target"):
    """A Tensor target as it is; a number, list or array as a Tensor of the input's dtype."""
    if isinstance(target, Tensor):
        return target
    try:
        return Tensor._of(np.asarray(target, dtype=input.dtype))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}: {what} must be numeric, got {type(target).__name__} "
                        f"({e})") from None


def _broadcast_target(input, target, op, stacklevel=warn_level(3)):
    """torch's mse/l1/smooth_l1/huber losses: a target of another size is broadcast against
    the input (both expanded: the gradients sum back), after torch's UserWarning; sizes that
    do not broadcast raise torch's error (see :func:`_broadcast`)."""
    y = _target_tensor(target, input, op)
    if y.shape != input.shape:
        warnings.warn(f"Using a target size (torch.Size({list(y.shape)})) that is different to "
                      f"the input size (torch.Size({list(input.shape)})). This will likely lead "
                      f"to incorrect results due to broadcasting. Please ensure they have the "
                      f"same size.", UserWarning, stacklevel=warn_level(stacklevel))
        return _broadcast(op, input, y, input, y)
    return input, y


def _broadcast(op, input, y, *tensors):
    """``tensors`` broadcast against each other (in torch's order, which its message follows),
    or a ShapeError — torch's RuntimeError, also a ValueError — naming both shapes."""
    try:
        return broadcast_tensors(*tensors)
    except RuntimeError as e:
        raise ShapeError(f"{op}: target shape {y.shape} differs from input shape "
                         f"{input.shape} and does not broadcast against it ({e})") from None


def _promoted(x, y):
    """x and y cast (differentiably) to one dtype, torch's ``promote_types`` of theirs — the
    losses that broadcast first compute in it: mse(float32, float64) is float64."""
    dtype = promote_types(x.dtype, y.dtype)
    return tuple(t if t.dtype == dtype else t.to(dtype) for t in (x, y))


def _integer_loss(x, y, op, kernel):
    """torch's rule for integer or bool tensors in the regression losses: when neither x nor y
    is floating point torch has no ``kernel`` for their dtype (NotImplementedError); when one
    is, the pair computes in the promoted float dtype (see :func:`_promoted`)."""
    if x.dtype.kind != "f" and y.dtype.kind != "f":
        from ...functions.elementwise import not_implemented
        raise not_implemented(kernel, promote_types(x.dtype, y.dtype))


def _same_dtype(input, target, op):
    """torch's binary_cross_entropy takes no mixed dtypes (a Tensor target must have the
    input's)."""
    if isinstance(target, Tensor) and target.dtype != input.dtype:
        raise DTypeError(f"Found dtype {torch_dtype_name(target.dtype)} but expected "
                         f"{torch_dtype_name(input.dtype)}")


def _class_array(target, op, ndim=2):
    """Integer class indices as an int64 ndarray (Tensor, ndarray, list or int). As torch, a
    Tensor must be int64 or uint8 (for an input of ``ndim`` ≤ 2), else a RuntimeError."""
    arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    name = torch_dtype_name(arr.dtype)
    if isinstance(target, Tensor) and arr.dtype.kind in "iub":
        if arr.dtype == np.uint8 and ndim > 2:
            raise DTypeError(f"{op}: class-index targets of an input with {ndim} dims must be "
                             f"int64, got dtype uint8 (expected scalar type Long but found "
                             f"Byte)")
        if arr.dtype not in (np.int64, np.uint8):
            raise DTypeError(f"{op}: target must hold integer class indices (int64, like "
                             f"torch's Long), got dtype {arr.dtype} (expected target dtype to "
                             f"be Long or Byte, but got {name}); convert with target.long()")
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"{op}: target must hold integer class indices (int64, like torch's "
                         f"Long), got dtype {arr.dtype} (expected target dtype to be Long or "
                         f"Byte, but got {name})" +
                         ("; for 0/1 float targets use binary_cross_entropy"
                         if arr.dtype.kind in "fb" else ""))
    return arr.astype(np.int64, copy=False)


# ============================================================================ NLL / cross entropy
def _check_batch(input, target, op):
    """torch's first check of class-index targets, before their dtype: one per sample (a 0-D
    target has, for torch, a batch of 0)."""
    if isinstance(target, Tensor) and input.ndim >= 2:
        batch = target.shape[0] if target.ndim else 0
        if batch != input.shape[0]:
            raise ShapeError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({batch}).")


def _target_dims_error(input, shape):
    """torch's error for class indices of ``shape`` that do not fit the input's, checked
    before their dtype (None if they may)."""
    if input.ndim <= 2 and len(shape) > 1:
        return ShapeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 4 and len(shape) != 3:
        return ShapeError(f"only batches of spatial targets supported (3D tensors) but got "
                          f"targets of dimension: {len(shape)}")
    if input.ndim == 3 or input.ndim > 4:
        if tuple(shape[1:]) != tuple(input.shape[2:]):
            return ShapeError(f"Expected target size {[input.shape[0], *input.shape[2:]]}, got "
                              f"{list(shape)}")
    return None


def _target_size_error(input, shape):
    """torch's error for class indices of ``shape`` that do not fit the input's, checked
    after their dtype (None if they fit). A 1-D input takes a target of shape (1,) too."""
    if input.ndim == 1 and len(shape) == 1 and shape[0] != 1:
        return ShapeError(f"For 1D input, 1D target must have size 1, but got target size: "
                          f"{shape[0]}")
    if input.ndim == 2 and tuple(shape) != input.shape[:1]:
        return ShapeError(f"size mismatch (got input: {list(input.shape)}, target: "
                          f"{list(shape)})")
    if input.ndim == 4 and tuple(shape) != (input.shape[0],) + input.shape[2:]:
        return ShapeError(f"size mismatch (got input: {list(input.shape)} , target: "
                          f"{list(shape)}")     # (torch's words, its parenthesis unclosed)
    return None


def _weight_words(C, shape):
    """torch's words for a class weight of the wrong shape."""
    return (f"weight tensor should be defined either for all {C} classes or no classes but got "
            f"weight tensor of shape: {list(shape)}")


def _nll(input, target, weight, ignore_index, reduction, op):
    _check_reduction(reduction, op)
    check_numeric(input, op)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (classes), got a scalar "
                         f"(Expected 1 or more dimensions (got 0))")
    _check_batch(input, target, op)
    error = _target_dims_error(input, np.shape(target.array if isinstance(target, Tensor)
                                               else target))
    if error is not None:
        raise error
    t = _class_array(target, op, input.ndim)
    error = _target_size_error(input, t.shape)
    if error is not None:
        raise error
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    one_of_one = input.ndim == 1 and t.shape == (1,)     # torch reads it as t[0], and then
    if one_of_one:                                       # refuses the backward (below)
        t = t.reshape(())
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    refuse_weight_grad(weight, "nll_loss_forward" if input.ndim <= 2 else "nll_loss2d_forward")
    refuse_integral(input, "nll_loss_out_frame" if input.ndim <= 2 else       # (torch: after
                    "nll_loss2d_forward_out_frame")                # the shapes, before range)
    lo, hi = (int(t.min()), int(t.max())) if t.size else (0, -1)
    if 0 <= lo and hi < C and not lo <= ignore_index <= hi:
        ignored, any_ignored = None, False     # (two quick passes: usually every target is a
    else:                                      # class and none is ignore_index)
        ignored = t == ignore_index
        any_ignored = bool(ignored.any())
        bad = ~ignored & ((t < 0) | (t >= C))
        if bad.any():
            value = int(t[bad].flat[0])
            raise IndexError(f"{op}: Target {value} is out of bounds: target value {value} "
                             f"is out of range for {C} classes (expected 0 <= target < {C}, "
                             f"or ignore_index={ignore_index})")    # (torch's words first)
    safe = np.where(ignored, 0, t) if any_ignored else t
    if weight is None:
        w = None if not any_ignored else np.ones(t.shape, dtype=input.dtype)   # (None: all 1)
    else:
        check_weight_dtype(input, weight)
        wa = np.asarray(weight.array if isinstance(weight, Tensor) else weight,
                        dtype=input.dtype)
        if wa.shape != (C,):
            raise ShapeError(f"{op}: weight must have shape ({C},) (one per class), got "
                             f"{wa.shape} ({_weight_words(C, wa.shape)})")
        w = wa[safe]
    if any_ignored:
        w = np.where(ignored, 0, w).astype(input.dtype, copy=False)
    if input.ndim > 2:  # (N, C, d1, ...) → (N·d1·..., C): one gather for everything
        x = input.permute(0, *range(2, input.ndim), 1).reshape(-1, C)
        out = ops.NllLoss.apply(x, safe.reshape(-1), None if w is None else w.reshape(-1),
                                reduction,
                                *([ignored.reshape(-1)] if any_ignored else []))
        return out.reshape(expected) if reduction == "none" else out
    refuse = f"size mismatch (got input: [{C}], target: [1])" if one_of_one and C != 1 else None
    return ops.NllLoss.apply(input, safe, w, reduction, *([ignored] if any_ignored else []),
                             refuse_backward=refuse)


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
        _integral_cross_entropy(input, target, label_smoothing)
    check_float(input, "cross_entropy")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have at least 1 dimension (classes), "
                         "got a scalar")
    if label_smoothing > 1.0:           # (torch: ε ≤ 0, or NaN, is no smoothing, no error)
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
                             f"got {w.shape} ({_weight_words(C, w.shape)})")
        # (a Tensor weight keeps its dtype: probabilities promote, indices check it in _nll)
        w = (w if isinstance(weight, Tensor) else w.to(input.dtype)) \
            .reshape((C,) + (1,) * (input.ndim - class_dim - 1))
    t_arr = target.array if isinstance(target, Tensor) else np.asarray(target)
    logp = input.log_softmax(class_dim)
    if t_arr.shape == input.shape:   # class probabilities (as torch, a target of another
        # shape is read as class indices, and a float one refused)
        if t_arr.dtype.kind != "f":
            raise DTypeError(f"Expected floating point type for target with class "
                             f"probabilities, got {torch_dtype_name(t_arr.dtype)}")
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        p = _as_target(target, input, "cross_entropy")    # its own dtype: torch promotes
        if label_smoothing > 0:
            p = p * (1 - label_smoothing) + label_smoothing / C
        terms = logp * p if w is None else logp * p * w
        if reduction == "sum":                   # (torch's −Σ, a NegBackward0)
            return -terms.sum(class_dim).sum()
        loss = _reduce(-terms.sum(class_dim), reduction)          # mean: over the samples
        return named(loss, "DivBackward1", input) if reduction == "mean" else loss
    _check_batch(input, target, "cross_entropy")       # validate before doing any work
    error = _target_dims_error(input, t_arr.shape)
    if error is not None:
        raise error
    _class_array(target, "cross_entropy", input.ndim)
    nll = _nll(logp, target, weight, ignore_index, reduction, "cross_entropy")
    if not label_smoothing > 0:
        return nll
    t = _class_array(target, "cross_entropy", input.ndim)
    if input.ndim == 1 and t.shape == (1,):      # (torch: its in-place smoothing term of the
        raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]")  # t[0])
    kept = t != ignore_index
    smooth = -(logp if w is None else logp * w).sum(class_dim)
    if not kept.all():      # as torch's masked_fill: 0 there, and so is the gradient (not
        smooth = where(Tensor._of(kept), smooth, 0.0)   # 0·∞ = NaN when all are ignored)
    if reduction == "mean":
        if w is None:
            smooth = smooth.sum() / float(kept.sum())
        else:
            wa = w.array.reshape(C)
            smooth = smooth.sum() / float(wa[t[kept]].sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / C)


def _integral_cross_entropy(input, target, label_smoothing):
    """torch's errors for integer or bool logits: a target of the input's shape (class
    probabilities) must be floating point, a label smoothing at most 1; then its log_softmax
    has no kernel for the dtype."""
    t = target.array if isinstance(target, Tensor) else np.asarray(target)
    if t.shape == input.shape and t.dtype.kind != "f":
        raise DTypeError(f"Expected floating point type for target with class probabilities, "
                         f"got {torch_dtype_name(t.dtype)}")
    if t.shape != input.shape and label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    refuse_integral(input, "log_softmax_lastdim_kernel_impl" if input.ndim <= 2 else
                    "log_softmax_kernel_impl")


# ============================================================================ binary losses
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Binary cross entropy of probabilities ``input`` ∈ [0, 1] against ``target`` (same
    shape): −w·[y·ln x + (1−y)·ln(1−x)], the logs clamped at −100 as in torch."""
    op = "binary_cross_entropy"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_numeric(input, op)
    y = _as_target(target, input, op)
    _same_dtype(input, y, op)
    refuse_integral(input, "binary_cross_entropy")
    if weight is not None:              # (torch: the weight expanded to the target's shape,
        w_shape = np.shape(weight.array if isinstance(weight, Tensor) else weight)  # then the
        for k in range(1, min(len(w_shape), y.ndim) + 1):   # loss multiplied by it in place)
            if w_shape[-k] != 1 and y.shape[-k] not in (1, w_shape[-k]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length "
                                   f"{w_shape[-k]} at {-k}! Mismatching argument at index 1 "
                                   f"had torch.Size({list(w_shape)}); but expected shape "
                                   f"should be broadcastable to {list(y.shape)}")
        grown = broadcast_shape(w_shape, y.shape)
        if grown != tuple(y.shape):
            raise RuntimeError(f"output with shape {list(y.shape)} doesn't match the "
                               f"broadcast shape {list(grown)}")
    refuse_weight_grad(weight, op)
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
    if weight is not None:         # (torch multiplies in place: the loss keeps its dtype)
        w = weight if isinstance(weight, Tensor) else \
            Tensor._of(np.asarray(weight, dtype=input.dtype))
        loss = loss * (w if w.dtype == loss.dtype else w.to(loss.dtype))
    return named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0", input, target)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy of raw scores: σ inside the loss, in the stable form
    l = (1−y)·x − (1 + (p−1)·y)·ln σ(x)   (p = ``pos_weight``, default 1),
    which equals −[p·y·ln σ(x) + (1−y)·ln(1−σ(x))] but never overflows.
    Its gradient is dl/dx = σ(x) − y when p = 1 (computed so: one node,
    :class:`~tinygrad_sgd.ops.loss.BinaryCrossEntropyWithLogits`, with torch's formulas and
    rounding steps). As torch, the loss has the target's dtype (torch computes it in place in
    ``1 − target``): a float64 input with a float32 target gives a float32 loss; an integer or
    bool target is refused; ``weight`` and ``pos_weight`` take no gradient (torch's error if
    they require one)."""
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    check_numeric(input, op)
    y = _as_target(target, input, op)
    refuse_integral(input, "log_sigmoid_cpu")         # (torch's first step: log σ(x))
    if y.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if y.dtype.kind != "f":
        raise DTypeError(f"result type {torch_dtype_name(input.dtype)} can't be cast to the "
                         f"desired output type {torch_dtype_name(y.dtype)}")
    constants = []
    for name, c in (("weight", weight), ("pos_weight", pos_weight)):
        refuse_weight_grad(c, op, name)
        constants.append(None if c is None else c.array if isinstance(c, Tensor) else
                         np.asarray(c, dtype=input.dtype))
    for c, first in zip(constants, (False, True)):    # torch's messages: weight multiplies
        if c is not None:                             # the loss in place, pos_weight − 1 the
            shape = broadcast_shape(c.shape, y.shape) if first else \
                broadcast_shape(y.shape, c.shape)     # target, and that the log-sigmoid
            if shape != tuple(y.shape):
                raise ShapeError(f"output with shape {list(y.shape)} doesn't match the "
                                 f"broadcast shape {list(shape)}")
    loss = ops.BinaryCrossEntropyWithLogits.apply(input, y, *constants, reduction)
    return named(loss, "BinaryCrossEntropyWithLogitsBackward0", input, target)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (x − y)², with ``target`` of the same shape as ``input`` (another
    shape is broadcast, after torch's warning; mixed float dtypes compute in the wider one).
    ``weight`` (torch 2.13; a Tensor of the input's shape, no broadcasting) multiplies each
    element's loss; ``mean`` is then Σ w·(x − y)² / Σw (NaN when Σw = 0, as torch)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    check_tensor(input, "mse_loss")
    x, y = _broadcast_target(input, target, "mse_loss")
    _integer_loss(x, y, "mse_loss", "mse_cpu")
    x, y = _promoted(x, y)
    if weight is not None:
        return _weighted((x - y) ** 2, weight, input, reduction, "by weight")
    return ops.MseLoss.apply(x, y, reduction)


# ============================================================================ regression
def _pair_losses(input, target, op, reduction, subtracts=False):
    """(x, y): the input and the target broadcast against each other (torch's warning when
    their sizes differ), in torch's promoted dtype. ``subtracts``: torch computes x − y, which
    refuses a bool target."""
    _check_reduction(reduction, op)
    check_tensor(input, op)
    x, y = _broadcast_target(input, target, op, stacklevel=warn_level(4))
    if op == "huber_loss":      # torch: the input's dtype (and its backward refuses the mix)
        if x.dtype.kind != "f":
            if y.dtype.kind == "f":
                raise DTypeError(f"result type {torch_dtype_name(y.dtype)} can't be cast to "
                                 f"the desired output type {torch_dtype_name(x.dtype)}")
            _integer_loss(x, y, op, "huber_cpu")
        return x, (y if y.dtype == x.dtype else y.to(x.dtype))
    if subtracts and (x.dtype.kind == "b") != (y.dtype.kind == "b"):   # (two: x − y says)
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if not subtracts:         # (smooth_l1 with β > 0; l1 takes integers: |x − y| as torch)
        _integer_loss(x, y, op, "smooth_l1_cpu")
    return _promoted(x, y)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|x − y| (gradient 0 where x = y, as torch); ``weight``, a target of another shape or
    dtype: see :func:`mse_loss`."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _pair_losses(input, target, "l1_loss", reduction, subtracts=True)
    loss = (x - y).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, "by weight")
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """½(x − y)²/β where |x − y| < β, |x − y| − ½β elsewhere (β = 0: the L1 loss)."""
    reduction = _legacy(size_average, reduce, reduction)
    x, y = _pair_losses(input, target, "smooth_l1_loss", reduction, subtracts=beta == 0)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = x - y
    if beta == 0:
        return named(_reduce(d.abs(), reduction), "SmoothL1LossBackward0", input, target)
    a = d.abs()
    # (torch's arithmetic; d·d = a·a, and its second derivative is not tied to x, as torch's)
    out = _reduce(where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta), reduction)
    return named(out, "SmoothL1LossBackward0", input, target)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """½(x − y)² where |x − y| < δ, δ·(|x − y| − ½δ) elsewhere (= δ·smooth_l1 with β = δ).
    ``weight`` (the input's shape) multiplies each element's loss; ``mean`` is then the plain
    mean of the weighted losses (not ÷ Σw as mse/l1's: torch 2.13's own difference).
    A target of another shape is broadcast (torch's warning); of another dtype, cast to the
    input's (torch's forward does so; its backward then fails, ours does not)."""
    x, y = _pair_losses(input, target, "huber_loss", reduction)
    if not delta > 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    half = x.dtype == np.float16        # (torch's kernel: each element's loss in float32,
    d = x.float() - y.float() if half else x - y            # rounded to float16 once)
    a = d.abs()
    loss = where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    loss = loss.half() if half else loss
    if weight is not None:
        return _weighted(loss, weight, input, reduction, "plain")
    return named(_reduce(loss, reduction), "HuberLossBackward0", input, target)
