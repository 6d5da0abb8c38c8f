"""``torch.cuda.amp``: its deprecated ``GradScaler``, which is ``torch.amp.GradScaler("cuda")``
— disabled here with torch's warning when enabled, as torch disables it where CUDA is not
available (``scale`` returns its input, ``step`` just steps)."""
import warnings

from .grad_scaler import GradScaler as _GradScaler

__all__ = ["GradScaler"]


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
