"""``tinygrad_sgd.utils.dlpack`` — torch's ``torch.utils.dlpack``: ``from_dlpack`` and
``to_dlpack`` (they live in :mod:`tinygrad_sgd.functions.interop`)."""
from ..functions.interop import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
