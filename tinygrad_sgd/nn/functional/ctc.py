"""``F.ctc_loss``: the connectionist temporal classification loss, torch's arguments, checks,
errors and reductions around the one-node primitive :class:`tinygrad_sgd.ops.CtcLoss`."""
import numbers

import numpy as np

from ... import ops
from ...errors import ShapeError
from ...functions import where
from ...functions.elementwise import not_implemented
from ...tensor import Tensor
from ._checks import check_tensor
from .loss import _check_reduction

__all__ = ["ctc_loss"]

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(value, what):
    """A Tensor of any integer dtype (any shape: its elements are read), or a list/tuple of
    ints, as a 1-D int64 array."""
    if isinstance(value, Tensor):
        if value.dtype.kind not in "iu":
            raise RuntimeError(f"{what} must be integral")
        return value.array.astype(np.int64).reshape(-1)
    return np.array([int(v) for v in value], np.int64).reshape(-1)


def _is_int_sequence(value):
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in value)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """The CTC loss of log-probabilities ``log_probs`` (T, N, C) — or (T, C) unbatched —
    usually ``log_softmax`` outputs, and target label sequences ``targets``: padded (N, S) or
    concatenated 1-D (Σ target_lengths); any integer (or float, truncated) dtype.
    ``input_lengths`` and ``target_lengths`` (N,) are both Tensors of an integer dtype or both
    lists/tuples of ints.

    lₙ = −log Σ over alignments of targetₙ (labels in order, repeats separated by ``blank``)
    to the first input_lengthsₙ steps; an impossible alignment gives ∞ (0 with
    ``zero_infinity``, gradient too). ``reduction``: ``'none'`` (N,) (a scalar unbatched),
    ``'sum'``, or ``'mean'``: each lₙ ÷ max(target_lengthsₙ, 1), then the batch mean.

    The gradient w.r.t. ``log_probs`` is torch's (see :class:`~tinygrad_sgd.ops.CtcLoss`: it
    assumes log_softmax inputs); none of second order (RuntimeError, as torch). Errors as
    torch's: RuntimeError for bad lengths, sizes or blank, NotImplementedError for a dtype
    other than float32/float64, TypeError for mixed kinds of lengths; and (where torch reads
    out of bounds) RuntimeError for a target label outside [0, C)."""
    _check_reduction(reduction, "ctc_loss")
    check_tensor(log_probs, "ctc_loss", "log_probs")
    check_tensor(targets, "ctc_loss", "targets")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor) or not (
            isinstance(input_lengths, Tensor)
            or (_is_int_sequence(input_lengths) and _is_int_sequence(target_lengths))):
        raise TypeError(f"ctc_loss(): input_lengths and target_lengths must both be Tensors or "
                        f"both tuples of ints, got {type(input_lengths).__name__} and "
                        f"{type(target_lengths).__name__}")
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    if log_probs.ndim == 0:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got "
                         "1)")
    if log_probs.dtype not in (np.float32, np.float64):
        raise not_implemented("ctc_loss_cpu", log_probs.dtype)
    if log_probs.array.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    batched = log_probs.ndim == 3
    x = log_probs if batched else log_probs.unsqueeze(1)
    if x.ndim != 3:
        raise ShapeError(f"Expected 3-dimensional tensor, but got {x.ndim}-dimensional tensor "
                         f"for argument #1 'log_probs'{_WHERE}")
    t = targets.array.astype(np.int64)
    if not 1 <= t.ndim <= 2:
        raise ShapeError(f"Expected 1 to 2 dimensions, but got {t.ndim}-dimensional tensor for "
                         f"argument #2 'targets'{_WHERE}")
    T, N, C = x.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if len(il) != N:
        raise ShapeError("input_lengths must be of size batch_size")
    if len(tl) != N:
        raise ShapeError("target_lengths must be of size batch_size")
    if (tl < 0).any():
        raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value "
                           f"{tl[tl < 0][0]}{_WHERE}")
    padded = t.ndim == 2
    want = N if padded else int(tl.sum())
    if t.shape[0] != want:
        raise ShapeError(f"Expected tensor to have size {want} at dimension 0, but got size "
                         f"{t.shape[0]} for argument #2 'targets'{_WHERE}")
    if padded and t.shape[1] < tl.max(initial=0):
        raise ShapeError(f"Expected tensor to have size at least {tl.max()} at dimension 1, "
                         f"but got size {t.shape[1]} for argument #2 'targets'{_WHERE}")
    if (il < 0).any():
        raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value "
                           f"{il[il < 0][0]}{_WHERE}")
    if (il > T).any():
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{il[il > T][0]}{_WHERE}")
    used = np.arange(t.shape[-1]) < tl[:, None] if padded else np.ones(t.shape, bool)
    bad = (t < 0) | (t >= C)
    if (bad & used).any():
        raise RuntimeError(f"ctc_loss: target label {t[bad & used][0]} is out of range for "
                           f"{C} classes")
    res = ops.CtcLoss.apply(x, t, il, tl, int(blank), bool(zero_infinity), padded)
    if zero_infinity:
        res = where(res == float("inf"), Tensor._of(np.zeros((), res.dtype)), res)
    if reduction == "mean":
        return (res / Tensor._of(np.maximum(tl, 1).astype(res.dtype))).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
