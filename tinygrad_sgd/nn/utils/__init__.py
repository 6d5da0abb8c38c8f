"""Utilities on parameters and their gradients, as ``torch.nn.utils``:

* :func:`clip_grad_norm_` — rescale all gradients together so that their joint norm is at
  most ``max_norm`` (the usual cure for exploding gradients in RNNs and transformers); its
  two halves :func:`get_total_norm` and :func:`clip_grads_with_norm_`, and the deprecated
  :func:`clip_grad_norm`;
* :func:`clip_grad_value_` — clamp every gradient entry into [−clip_value, clip_value];
* :func:`parameters_to_vector` / :func:`vector_to_parameters` — all parameters as one flat
  vector and back;
* :func:`skip_init` — build a module without initialising its weights;
* :mod:`.fusion` — fold an eval-mode BatchNorm into the conv/linear layer before it
  (``fuse_conv_bn_eval``, ...); :mod:`.stateless` — ``functional_call``;
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

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grads_with_norm_", "get_total_norm",
           "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "skip_init"]


def _as_list(parameters):
    """A single Tensor or an iterable of them, as a list (torch accepts both)."""
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(values, norm_type):
    """‖values‖ over all entries, as ``torch.linalg.vector_norm``: max |x| for inf, min |x|
    for −inf, the number of non-zeros for 0, (Σ |x|^p)^(1/p) otherwise; in values' dtype."""
    return np.linalg.norm(np.ravel(values), ord=norm_type)


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
    with no_grad():
        norms = [_vector_norm(t.array, norm_type) for t in tensors]
        total_norm = _vector_norm(np.array(norms), norm_type)
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


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` without the random initialisation of its parameters
    and buffers (torch builds it on the "meta" device and then allocates ``torch.empty``
    memory, whose values are whatever was there). Here the module is built on the CPU and
    every parameter and buffer is then set to zeros (its shape, dtype and requires_grad
    kept): arbitrary values, as torch's, but reproducible. The random generator's state is
    restored afterwards, so, as in torch, skipping the initialisation draws no random
    numbers. The class must take a ``device`` argument (torch's condition)."""
    import inspect

    from ... import get_rng_state, set_rng_state
    from ...device import check_device
    from ..module import Module
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    device = kwargs.pop("device", "cpu")
    check_device(device)
    state = get_rng_state()
    try:
        module = module_cls(*args, device=device, **kwargs)
    finally:
        set_rng_state(state)
    for tensor in list(module.parameters()) + list(module.buffers()):
        tensor.array[...] = 0
    return module


# --- submodules (each lists its public names in its own __all__) ---
from . import parametrize, parametrizations  # noqa: E402  (register_parametrization, ...)
from .legacy_norms import *  # noqa: E402,F401,F403  (weight_norm, spectral_norm, remove_*)
from .fusion import *  # noqa: E402,F401,F403  (fuse_conv_bn_eval, ...)
from . import fusion, stateless, legacy_norms as _legacy_norms  # noqa: E402
from . import prune  # noqa: E402,F401  (torch's too is a submodule imported by name)
__all__ += ["parametrize", "parametrizations", "fusion", "stateless"]
__all__ += _legacy_norms.__all__ + fusion.__all__
