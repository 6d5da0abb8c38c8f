"""``DataLoader``: batches from a dataset, as torch's, in the main process.

Iterating a DataLoader (one epoch) makes an iterator that, as torch's:

1. draws its base seed — ``random_()`` of an int64 from ``generator`` (the default generator
   when None), shuffled or not: torch hands it to worker processes, and takes it even with
   none, so the draw is kept for the streams to stay equal;
2. asks the batch sampler for the indices of each batch when that batch is asked for (a
   ``RandomSampler`` draws its order then: see :mod:`.sampler`);
3. fetches the samples — ``dataset.__getitems__(indices)`` when the dataset has it, else
   ``dataset[i]`` for each index — and returns ``collate_fn(samples)``.

So after the same ``manual_seed`` the same program gets the same batches as with torch.

Workers: ``num_workers``, ``pin_memory``, ``persistent_workers``, ``prefetch_factor``,
``timeout``, ``worker_init_fn``, ``multiprocessing_context`` and ``in_order`` are checked as
torch checks them and otherwise have no effect: the data is always loaded in the main
process. The batches are those torch gives with workers too (its workers fetch the batches
the main process's sampler lists, and return them in order), with two differences: a
``worker_init_fn`` is never called, and random numbers drawn inside ``dataset[i]`` (random
transforms) come from the main process's generator, not from per-worker ones. As torch,
``persistent_workers=True`` (with workers) draws the base seed only in the first epoch.
"""
import math
import warnings

import numpy as np

from ... import random as R
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info():
    """``None``: data is loaded in the main process (there are no workers)."""
    return None


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: ``None`` forever (the dataset decides the order)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """torch's ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None,
    batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
    timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None, *,
    prefetch_factor=None, persistent_workers=False, pin_memory_device='', in_order=True)``.

    * map-style ``dataset``: indices from ``sampler`` (default ``RandomSampler(dataset,
      generator=generator)`` with ``shuffle=True``, else ``SequentialSampler``), grouped by
      ``BatchSampler(sampler, batch_size, drop_last)`` — or given whole by ``batch_sampler``;
      ``batch_size=None`` turns batching off (each sample through ``default_convert``);
    * ``IterableDataset``: samples in the stream's order, ``batch_size`` at a time;
    * ``collate_fn`` (default :func:`default_collate`) makes each batch from its samples.

    ``len(loader)`` is the number of batches. See the module notes for the random draws and
    the worker options.
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers,
                              multiprocessing_context)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = (2 if num_workers > 0 and prefetch_factor is None
                                else prefetch_factor)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    def __setattr__(self, attr, val):
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler",
                                          "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = _LoaderIterator(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _LoaderIterator(self)

    def __len__(self):
        if self._iterable:
            length = self._length_promised = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers,
                          multiprocessing_context):
    """torch's checks of the worker options (which otherwise change nothing here)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError(f"multiprocessing_context can only be used with multi-process "
                         f"loading (num_workers > 0), but got num_workers={num_workers}")


class _LoaderIterator:
    """One epoch of a DataLoader (torch's ``_SingleProcessDataLoaderIter``)."""

    def __init__(self, loader):
        if loader.num_workers == 0 and loader.timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)
        self._base_seed = int(R.random_fill((), np.int64, generator=loader.generator))
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        self._start_epoch()

    def _reset(self, loader):
        """A new epoch of a persistent iterator: a new sampler pass, no new base seed."""
        self._sampler_iter = iter(loader._index_sampler)
        self._start_epoch()

    def _start_epoch(self):
        self._num_yielded = 0
        self._dataset_iter = iter(self._loader.dataset) if self._loader._iterable else None
        self._ended = False

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader._index_sampler)

    def __next__(self):
        index = next(self._sampler_iter)
        data = self._fetch_iterable(index) if self._loader._iterable else self._fetch(index)
        self._num_yielded += 1
        promised = getattr(self._loader, "_length_promised", None)
        if self._loader._iterable and promised is not None and self._num_yielded > promised:
            warnings.warn(f"Length of IterableDataset {self._loader.dataset} was reported to "
                          f"be {promised}(when accessing len(dataloader)), but "
                          f"{self._num_yielded} samples have been fetched. ", stacklevel=2)
        return data

    def _fetch(self, index):
        loader, dataset = self._loader, self._loader.dataset
        if loader._auto_collation:
            if getattr(dataset, "__getitems__", None):
                data = dataset.__getitems__(index)
            else:
                data = [dataset[i] for i in index]
        else:
            data = dataset[index]
        return loader.collate_fn(data)

    def _fetch_iterable(self, index):
        loader = self._loader
        if self._ended:
            raise StopIteration
        if loader._auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self._dataset_iter))
                except StopIteration:
                    self._ended = True
                    break
            if len(data) == 0 or (loader.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self._dataset_iter)
        return loader.collate_fn(data)
