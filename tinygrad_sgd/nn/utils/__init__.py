"""Utilities on parameters and their gradients, as ``torch.nn.utils``:

* :func:`clip_grad_norm_` — rescale all gradients together so that their joint norm is at
  most ``max_norm`` (the usual cure for exploding gradients in RNNs and transformers); its
  two halves :func:`get_total_norm` and :func:`clip_grads_with_norm_`, and the deprecated
  :func:`clip_grad_norm`;
* :func:`clip_grad_value_` — clamp every gradient entry into [−clip_value, clip_value];
* :func:`parameters_to_vector` / :func:`vector_to_parameters` — all parameters as one flat
  vector and back;
* :func:`skip_init` — build a module without initialising its weights;
* :func:`convert_conv2d_weight_memory_format` / :func:`convert_conv3d_weight_memory_format`
  — lay out the weights of the convolutions in a module tree in a memory format;
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
from .clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_,  # noqa: F401
                        clip_grads_with_norm_, get_total_norm)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .init import skip_init  # noqa: F401
from .memory_format import (convert_conv2d_weight_memory_format,  # noqa: F401
                            convert_conv3d_weight_memory_format)
# (importing them binds the submodules clip_grad, convert_parameters, init, memory_format too)

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grads_with_norm_", "get_total_norm",
           "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "skip_init",
           "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


# --- submodules (each lists its public names in its own __all__) ---
from . import parametrize, parametrizations  # noqa: E402  (register_parametrization, ...)
from .legacy_norms import *  # noqa: E402,F401,F403  (weight_norm, spectral_norm, remove_*)
from .fusion import *  # noqa: E402,F401,F403  (fuse_conv_bn_eval, ...)
from . import fusion, stateless, legacy_norms as _legacy_norms  # noqa: E402
from . import prune  # noqa: E402,F401  (torch's too is a submodule imported by name)
__all__ += ["parametrize", "parametrizations", "fusion", "stateless"]
__all__ += _legacy_norms.__all__ + fusion.__all__
