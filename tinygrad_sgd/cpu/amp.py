"""``torch.cpu.amp``: its deprecated ``autocast``, which is ``torch.amp.autocast("cpu")`` (see
:mod:`tinygrad_sgd.amp.autocast_mode`: disabled, it changes nothing; enabled, refused), and
``GradScaler``, ``torch.amp.GradScaler("cpu")`` — each with torch's FutureWarning first
(:mod:`tinygrad_sgd.amp.deprecated`)."""
from ..amp.deprecated import DeprecatedAutocast, DeprecatedGradScaler

__all__ = ["autocast", "GradScaler"]


class autocast(DeprecatedAutocast):
    """``torch.cpu.amp.autocast(...)``."""
    device_type = "cpu"


class GradScaler(DeprecatedGradScaler):
    """``torch.cpu.amp.GradScaler(...)``."""
    device_type = "cpu"
