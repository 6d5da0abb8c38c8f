"""``torch.cuda.amp``: its deprecated ``GradScaler``, which is ``torch.amp.GradScaler("cuda")``
— disabled here with torch's warning when enabled, as torch disables it where CUDA is not
available (``scale`` returns its input, ``step`` just steps) — and ``autocast``, which is
``torch.amp.autocast("cuda")``: disabled with torch's warning, likewise. Both warn first that
they are deprecated (:mod:`.deprecated`)."""
from .deprecated import DeprecatedAutocast, DeprecatedGradScaler

__all__ = ["GradScaler", "autocast"]


class GradScaler(DeprecatedGradScaler):
    """``torch.cuda.amp.GradScaler(...)``."""
    device_type = "cuda"


class autocast(DeprecatedAutocast):
    """``torch.cuda.amp.autocast(...)``."""
    device_type = "cuda"
