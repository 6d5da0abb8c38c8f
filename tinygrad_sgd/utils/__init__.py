"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``), :mod:`.checkpoint` (activation checkpointing),
:mod:`.hooks`, :mod:`.dlpack`, :mod:`.benchmark` (``Timer``, ``Measurement``, ``Compare``),
:mod:`.deterministic` (``fill_uninitialized_memory``), :mod:`.tensorboard`
(``SummaryWriter``), ``swap_tensors`` (:mod:`.swap`) and :mod:`.model_zoo` (``load_url``, the
hub's checkpoint downloader under its older name; imported when first used)."""
from . import data, checkpoint, hooks, benchmark, dlpack, deterministic, tensorboard
from .swap import swap_tensors

__all__ = ["data", "checkpoint", "hooks", "benchmark", "dlpack", "deterministic",
           "tensorboard", "swap_tensors"]


def __getattr__(name):
    if name == "model_zoo":         # (urllib and the hub are imported only when asked for)
        import importlib
        return importlib.import_module(".model_zoo", __name__)
    raise AttributeError(f"module 'tinygrad_sgd.utils' has no attribute {name!r}")
