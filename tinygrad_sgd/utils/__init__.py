"""``tinygrad_sgd.utils`` — torch's ``torch.utils``: for now :mod:`.data` (datasets, samplers,
``DataLoader``, ``default_collate``)."""
from . import data

__all__ = ["data"]
