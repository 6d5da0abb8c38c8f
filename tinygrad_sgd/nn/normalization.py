"""Normalisation layers: LayerNorm, RMSNorm, BatchNorm1d, BatchNorm2d, GroupNorm,
LocalResponseNorm (torch's arguments, defaults, parameter and buffer names, so state_dicts move
both ways); the instance norms are in :mod:`.instancenorm`, as torch splits them."""
import numpy as np

from ..device import check_device
from ..dtypes import default_float
from ..tensor import Tensor
from . import functional as F
from .linear import new_array
from .module import Module, Parameter

__all__ = ["LayerNorm", "RMSNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm",
           "LocalResponseNorm"]


def _shape(normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) if isinstance(s, (int, np.integer)) else s for s in normalized_shape)


def _affine_parameters(module, shape, dtype, affine, bias):
    """The learnt scale and shift of a normalisation layer: ``weight`` (ones) and ``bias``
    (zeros) of ``shape``, or None in their place (``affine=False``; ``bias=False``: no
    shift)."""
    if affine:
        module.weight = Parameter(new_array(shape, dtype, 1))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(new_array(shape, dtype, 0))
    else:
        module.register_parameter("bias", None)


class LayerNorm(Module):
    """Standardise over the last dims ``normalized_shape``, then ``·weight + bias`` (ones and
    zeros at first) when ``elementwise_affine``; ``bias=False`` leaves the shift out."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        check_device(device)
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, default_float(dtype), elementwise_affine,
                           bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """x / √(mean(x²) + ε) over the last dims, then ``·weight``; ``eps=None``: the dtype's
    machine epsilon."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        check_device(device)
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(new_array(self.normalized_shape, default_float(dtype), 1))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _NormBase(Module):
    """What batch and instance norm hold (torch's ``_NormBase``): buffers ``running_mean``,
    ``running_var``, ``num_batches_tracked`` when ``track_running_stats``; parameters
    ``weight``, ``bias`` when ``affine`` (``bias=False``: no shift)."""
    _version = 2      # torch's (its state dicts carry num_batches_tracked since version 2)
    _dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_device(device)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = default_float(dtype)
        _affine_parameters(self, self.num_features, dtype, affine, bias)
        if track_running_stats:
            for name, fill in (("running_mean", 0), ("running_var", 1)):
                self.register_buffer(name, Tensor._of(new_array(self.num_features, dtype, fill)))
            self.register_buffer("num_batches_tracked", Tensor._of(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            from ..autograd import no_grad
            with no_grad():
                self.weight.fill_(1)
                if self.bias is not None:
                    self.bias.zero_()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """torch's: a state dict older than version 2 — or with no version at all, as a plain
        dict — may lack ``num_batches_tracked`` (added in version 2): the module keeps its own
        count then."""
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and self.num_batches_tracked is not None:
            version = local_metadata.get("version")
            if (version is None or version < 2) and key not in state_dict:
                state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def _check_input_dim(self, x):
        if x.ndim not in self._dims:
            raise ValueError(f"expected {' or '.join(f'{d}D' for d in self._dims)} input "
                             f"(got {x.ndim}D input)")

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch statistics while training (and the running ones updated: ``momentum``, or their
    cumulative average when ``momentum=None``), the running ones in eval — unless
    ``track_running_stats=False``, then always the batch's."""

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = (1.0 / float(self.num_batches_tracked.item()) if self.momentum is None
                      else self.momentum)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Over ``(N, C)`` or ``(N, C, L)`` inputs: statistics per channel C."""
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Over ``(N, C, H, W)`` inputs: statistics per channel C."""
    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Over ``(N, C, D, H, W)`` inputs: statistics per channel C."""
    _dims = (5,)


class GroupNorm(Module):
    """Standardise each sample over groups of ``num_channels // num_groups`` channels (and all
    positions), then ``·weight + bias`` per channel (ones and zeros at first) when
    ``affine``."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        check_device(device)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)
        _affine_parameters(self, (num_channels,), default_float(dtype), affine, bias)

    def reset_parameters(self):
        if self.affine:
            from ..autograd import no_grad
            with no_grad():
                self.weight.fill_(1)
                if self.bias is not None:
                    self.bias.zero_()

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """x / (k + α·mean of x² over ``size`` neighbouring channels)^β (AlexNet's)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
