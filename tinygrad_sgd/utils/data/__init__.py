"""torch's ``torch.utils.data``, with torch's semantics and torch's random draws.

* :mod:`.dataset` — ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``ConcatDataset``,
  ``ChainDataset``, ``StackDataset``, ``Subset``, ``random_split``;
* :mod:`.sampler` — ``Sampler``, ``SequentialSampler``, ``RandomSampler``,
  ``SubsetRandomSampler``, ``WeightedRandomSampler``, ``BatchSampler``,
  ``DistributedSampler`` (given ``num_replicas`` and ``rank``: no process groups here);
* :mod:`.collate` — ``default_collate``, ``default_convert`` (how a list of samples becomes a
  batch);
* :mod:`.dataloader` — ``DataLoader`` (loading in the main process), ``get_worker_info``.

The random parts draw from :mod:`tinygrad_sgd.random`, which replays torch's generator: after
``manual_seed(s)`` (or with ``generator=Generator().manual_seed(s)``) a shuffled DataLoader
gives the batches torch gives, epoch after epoch, and ``random_split`` the same subsets.

(:class:`tinygrad_sgd.data.DataLoader` is another loader: a fast path for ``(X, y)`` arrays
and the MNIST arrays, with a ``seed=`` parameter. This package is torch's, for torch programs.)
"""
from .dataset import (Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset,
                      StackDataset, Subset, random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler,
                      WeightedRandomSampler, BatchSampler, DistributedSampler)
from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
           "StackDataset", "Subset", "random_split", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DistributedSampler", "default_collate",
           "default_convert", "DataLoader", "get_worker_info"]


def __getattr__(name):
    # torch.utils.data.distributed (DistributedSampler's home), a submodule loaded on first use
    if name == "distributed":
        import importlib
        return importlib.import_module(".distributed", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
