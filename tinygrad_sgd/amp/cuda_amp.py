"""``torch.cuda.amp``: its deprecated ``GradScaler``, which is ``torch.amp.GradScaler("cuda")``
— disabled here with torch's warning when enabled, as torch disables it where CUDA is not
available (``scale`` returns its input, ``step`` just steps) — and ``autocast``, which is
``torch.amp.autocast("cuda")``: disabled with torch's warning, likewise."""
import warnings

from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler

__all__ = ["GradScaler", "autocast"]


class GradScaler(_GradScaler):
    """``torch.cuda.amp.GradScaler(...)``: deprecated by torch for
    ``torch.amp.GradScaler("cuda", ...)``, with a FutureWarning."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


class autocast(_autocast):
    """``torch.cuda.amp.autocast(...)``: deprecated by torch for ``torch.amp.autocast("cuda",
    ...)``, with a FutureWarning; without CUDA it disables itself, as torch's does."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
