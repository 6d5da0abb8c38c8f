"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``) and :mod:`.checkpoint` (activation checkpointing), :mod:`.hooks`."""
from . import data, checkpoint, hooks

__all__ = ["data", "checkpoint", "hooks"]
