"""torch's deprecated per-device spellings, ``torch.cuda.amp.GradScaler`` /
``torch.cpu.amp.autocast`` and the like: each is ``torch.amp``'s class for its device, made
with torch's FutureWarning (its text names the device). :mod:`.cuda_amp` and
:mod:`tinygrad_sgd.cpu.amp` set ``device_type``."""
import warnings

from .autocast_mode import autocast
from .grad_scaler import GradScaler

__all__ = ["DeprecatedGradScaler", "DeprecatedAutocast"]


def _warn(device, name):
    warnings.warn(f"`torch.{device}.amp.{name}(args...)` is deprecated. Please use "
                  f"`torch.amp.{name}('{device}', args...)` instead.", FutureWarning,
                  stacklevel=4)


class DeprecatedGradScaler(GradScaler):
    """``torch.<device>.amp.GradScaler(...)``: ``torch.amp.GradScaler(device, ...)``."""
    device_type = None

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        _warn(self.device_type, "GradScaler")
        super().__init__(self.device_type, init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


class DeprecatedAutocast(autocast):
    """``torch.<device>.amp.autocast(...)``: ``torch.amp.autocast(device, ...)``."""
    device_type = None

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        _warn(self.device_type, "autocast")
        super().__init__(self.device_type, dtype=dtype, enabled=enabled,
                         cache_enabled=cache_enabled)
