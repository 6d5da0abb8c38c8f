"""``tinygrad_sgd.signal`` (torch.signal): signal-processing helpers; so far the window
functions of :mod:`.windows`."""
from . import windows

__all__ = ["windows"]
