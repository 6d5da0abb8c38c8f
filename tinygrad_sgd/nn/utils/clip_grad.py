"""``torch.nn.utils.clip_grad``: gradient clipping by the total norm (:func:`clip_grad_norm_`,
and its halves :func:`get_total_norm` and :func:`clip_grads_with_norm_`; the deprecated
:func:`clip_grad_norm`) or by value (:func:`clip_grad_value_`). Gradients change in place, in
their own dtype."""
import types
import warnings

import numpy as np

from ...autograd import no_grad
from ...dtypes import default_float
from ...tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_"]     # (torch's; its other two
# public functions, get_total_norm and clip_grads_with_norm_, are exported by nn.utils)


def _as_list(parameters):
    """A single Tensor or an iterable of them, as a list (torch accepts both)."""
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all entries of ``tensors`` (a Tensor or an iterable of them)
    together, computed as torch does: the norm of the vector of each tensor's norm (``inf``:
    the largest |entry|, ``-inf``: the smallest, ``0``: the number of non-zero norms). A 0-d
    Tensor, of the tensors' dtype (promoted across them); ``tensor(0.)`` for none.
    ``error_if_nonfinite=True`` raises a RuntimeError for a NaN or infinite total. ``foreach``
    is accepted for torch's signature (NumPy has one code path)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._of(np.array(0.0, dtype=default_float()))
    from ...functions import stack
    from ...linalg import vector_norm
    with no_grad():     # (torch's CPU path: linalg.vector_norm of each, then of their stack —
        # float16 summed in float32 there: NumPy's norm of float16 overflowed past 256)
        norms = [vector_norm(Tensor._of(t.array), norm_type) for t in tensors]
        total_norm = vector_norm(stack(norms), norm_type).array
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped. To disable "
                           f"this error and scale the gradients by the non-finite norm "
                           f"anyway, set `error_if_nonfinite=False`")
    return Tensor._of(np.asarray(total_norm))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by

        clip_coef = min(max_norm / (total_norm + 1e-6), 1)

    given their ``total_norm`` (a Tensor, e.g. from :func:`get_total_norm`; computed in its
    dtype), so that gradients already within ``max_norm`` are (almost exactly) unchanged.
    Parameters without a gradient are skipped; returns None."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    if not isinstance(total_norm, Tensor):
        raise TypeError(f"clip_grads_with_norm_: total_norm must be a Tensor (as torch's "
                        f"clamp needs), got {type(total_norm).__name__}")
    with no_grad(), np.errstate(all="ignore"):       # an infinite or NaN norm scales quietly
        # torch's Tensor ops, so its roundings: max_norm / t is (1/t)·max_norm (its
        # __rtruediv__), two roundings, not one division
        clip_coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(clip_coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of ``parameters`` (a Tensor or an iterable of them) in place so
    that their total norm is at most ``max_norm``; return that total norm (before clipping)
    as a 0-d Tensor. As torch: :func:`get_total_norm` of the gradients, then
    :func:`clip_grads_with_norm_` (each gradient times min(max_norm / (total + 1e-6), 1)).

    The total norm is the ``norm_type``-norm (``inf`` for the largest entry) of all gradient
    entries together. ``error_if_nonfinite=True`` raises a RuntimeError instead of scaling
    by a NaN or infinite norm. ``foreach`` is accepted for torch's signature. Parameters
    without a gradient are skipped."""
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated spelling of :func:`clip_grad_norm_` (a FutureWarning, as torch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry of ``parameters`` into [−clip_value, clip_value], in place.
    ``foreach`` is accepted for torch's signature. Returns None, as torch."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


# torch's names for these two inside this module (nn.utils exports them without the "_")
_get_total_norm, _clip_grads_with_norm_ = get_total_norm, clip_grads_with_norm_
