"""``torch.amp``: gradient scaling for mixed-precision training (:class:`GradScaler`) and
``autocast`` as far as a CPU-only library can be torch (:mod:`.autocast_mode`: another
device's autocast or a disabled one changes nothing, as in torch; the CPU's, which would run
matmuls and convolutions in bfloat16/float16, is refused); ``custom_fwd``/``custom_bwd`` for
an autograd Function's forward/backward and ``is_autocast_available``, as torch's.
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "is_autocast_available"]
