"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``), :mod:`.checkpoint` (activation checkpointing),
:mod:`.hooks`, :mod:`.dlpack` and :mod:`.benchmark` (``Timer``, ``Measurement``,
``Compare``)."""
from . import data, checkpoint, hooks, benchmark, dlpack

__all__ = ["data", "checkpoint", "hooks", "benchmark", "dlpack"]
