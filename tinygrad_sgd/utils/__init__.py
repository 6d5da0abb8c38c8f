"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``) and :mod:`.checkpoint` (activation checkpointing)."""
from . import data, checkpoint

__all__ = ["data", "checkpoint"]
