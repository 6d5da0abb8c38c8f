"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``), :mod:`.checkpoint` (activation checkpointing),
:mod:`.hooks` and :mod:`.benchmark` (``Timer``, ``Measurement``, ``Compare``)."""
from . import data, checkpoint, hooks, benchmark

__all__ = ["data", "checkpoint", "hooks", "benchmark"]
