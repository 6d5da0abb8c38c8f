"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``), :mod:`.checkpoint` (activation checkpointing),
:mod:`.hooks`, :mod:`.dlpack`, :mod:`.benchmark` (``Timer``, ``Measurement``, ``Compare``),
:mod:`.deterministic` (``fill_uninitialized_memory``), :mod:`.tensorboard`
(``SummaryWriter``) and ``swap_tensors`` (:mod:`.swap`)."""
from . import data, checkpoint, hooks, benchmark, dlpack, deterministic, tensorboard
from .swap import swap_tensors

__all__ = ["data", "checkpoint", "hooks", "benchmark", "dlpack", "deterministic",
           "tensorboard", "swap_tensors"]
