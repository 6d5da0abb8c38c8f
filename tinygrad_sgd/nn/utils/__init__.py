"""Utilities on parameters and their gradients, as ``torch.nn.utils``:

* :func:`clip_grad_norm_` — rescale all gradients together so that their joint norm is at
  most ``max_norm`` (the usual cure for exploding gradients in RNNs and transformers);
* :func:`clip_grad_value_` — clamp every gradient entry into [−clip_value, clip_value];
* :func:`parameters_to_vector` / :func:`vector_to_parameters` — all parameters as one flat
  vector and back;
* :mod:`.rnn` — padding and packing variable-length sequences for the recurrent layers
  (``nn.utils.rnn.pad_sequence``, ``PackedSequence``, ...; loaded with ``nn``, whose
  recurrent layers import it).

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()

The gradients are changed in place (``mul_``, ``clamp_`` under no_grad, as torch), in their
own dtype (float32 stays float32).
"""
import types
import warnings

import numpy as np

from ...autograd import no_grad
from ...dtypes import default_float
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _as_list(parameters):
    """A single Tensor or an iterable of them, as a list (torch accepts both)."""
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(values, norm_type):
    """‖values‖ over all entries, as ``torch.linalg.vector_norm``: max |x| for inf, min |x|
    for −inf, the number of non-zeros for 0, (Σ |x|^p)^(1/p) otherwise; in values' dtype."""
    return np.linalg.norm(np.ravel(values), ord=norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of ``parameters`` (a Tensor or an iterable of them) in place so
    that their total norm is at most ``max_norm``; return that total norm (before clipping)
    as a 0-d Tensor.

    The total norm is the ``norm_type``-norm (``inf`` for the largest entry) of all gradient
    entries together, i.e. the norm of the vector of each gradient's norm. With torch's
    formula, every gradient is then multiplied by

        clip_coef = min(max_norm / (total_norm + 1e-6), 1)

    so gradients whose norm is already below ``max_norm`` are (almost exactly) unchanged.
    ``error_if_nonfinite=True`` raises a RuntimeError instead of scaling by a NaN or infinite
    norm. ``foreach`` is accepted for torch's signature; NumPy has one code path.
    Parameters without a gradient are skipped."""
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=2)
    max_norm, norm_type = float(max_norm), float(norm_type)
    with_grad = [p for p in parameters if p.grad is not None]
    if not with_grad:
        return Tensor(np.array(0.0, dtype=default_float()))
    with no_grad():
        norms = [_vector_norm(p.grad.array, norm_type) for p in with_grad]
        total_norm = _vector_norm(np.array(norms), norm_type)
        if error_if_nonfinite and not np.isfinite(total_norm):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                               f"`parameters` is non-finite, so it cannot be clipped. To disable "
                               f"this error and scale the gradients by the non-finite norm "
                               f"anyway, set `error_if_nonfinite=False`")
        with np.errstate(all="ignore"):               # an infinite or NaN norm scales quietly
            clip_coef = max_norm / (total_norm + 1e-6)    # total_norm's dtype (weak floats)
            clip_coef = np.minimum(clip_coef, 1.0)
            for p in with_grad:
                p.grad.mul_(clip_coef)
    return Tensor(np.asarray(total_norm))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry of ``parameters`` into [−clip_value, clip_value], in place.
    ``foreach`` is accepted for torch's signature. Returns None, as torch."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-d Tensor (differentiable,
    like torch's ``cat`` of ``view(-1)``s)."""
    from ... import cat
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec, parameters):
    """The inverse of :func:`parameters_to_vector`: each parameter in turn takes the next
    ``numel()`` entries of the 1-d Tensor ``vec``, shaped like it. As in torch, the parameters
    then *share* ``vec``'s memory (their ``.data`` is replaced by views of it)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__module__}."
                        f"{type(vec).__name__}")
    flat = vec.array
    if flat.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-d, got shape {vec.shape}")
    start = 0
    for param in _as_list(parameters):
        end = start + param.numel()
        if end > flat.size:
            raise RuntimeError(f"vector_to_parameters: vec has {flat.size} entries, too few for "
                               f"the parameters (at least {end} needed)")
        param.array = flat[start:end].reshape(param.shape)      # a view of vec's memory
        start = end
