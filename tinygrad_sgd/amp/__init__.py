"""``torch.amp``: gradient scaling for mixed-precision training (:class:`GradScaler`).

``autocast`` is not here: running matmuls and convolutions in float16/bfloat16 under a context
manager is a dtype policy this library does not have (and NumPy has no bfloat16).
"""
from .grad_scaler import GradScaler

__all__ = ["GradScaler"]
