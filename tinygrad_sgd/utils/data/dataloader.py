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

Workers: the data is always loaded in the main process, but ``num_workers > 0`` plays
torch's worker processes there (:class:`_Worker`), so that a program gets torch's batches
and random numbers:

* worker ``w`` has its own random streams, seeded as torch seeds a worker process: the
  default generator with ``base_seed + w``, Python's ``random`` with the same number, NumPy's
  global generator with torch's ``_generate_state(base_seed, w)``; then
  ``worker_init_fn(w)`` runs. Everything a worker runs (``worker_init_fn``, ``iter`` of an
  IterableDataset, ``dataset[i]``, ``collate_fn``) runs with its streams swapped in and
  :func:`get_worker_info` giving its :class:`WorkerInfo`, so random transforms draw what
  they draw in torch's worker and the main process's streams are left alone;
* each worker has its own shallow copy of the dataset (torch's is a copy in another
  process): ``worker_info.dataset.start = ...`` in one worker is not seen by the others;
* a map-style loader's batch k is fetched by worker ``k % num_workers``; an
  IterableDataset is iterated by every worker (each over its own copy: a dataset that does
  not split itself by :func:`get_worker_info` gives every sample ``num_workers`` times, as
  in torch), the batches taken from the workers in turn, skipping those that are done.

``pin_memory``, ``prefetch_factor``, ``timeout``, ``multiprocessing_context`` and
``in_order`` are checked as torch checks them and otherwise have no effect. As torch,
``persistent_workers=True`` (with workers) keeps the workers, their streams and the base
seed from the first epoch; an IterableDataset is iterated afresh in each epoch.
"""
import contextlib
import copy
import dataclasses
import math
import random as _py_random
import warnings

import numpy as np

from ... import random as R
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` tells code running in a worker (torch's fields)."""
    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


_worker_info = None


def get_worker_info():
    """The :class:`WorkerInfo` of the worker running the calling code (a dataset's
    ``__iter__``/``__getitem__``, ``collate_fn``, ``worker_init_fn``); ``None`` in the main
    process."""
    return _worker_info


def _generate_state(base_seed, worker_id):
    """torch's seed for NumPy in worker ``worker_id`` (``_utils/worker.py``): four 32-bit
    words hashed from the worker id and the two halves of the base seed (NumPy's SeedSequence
    hashing, written out)."""
    mask = 0xFFFFFFFF
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    const = [0x43B0D7E5]

    def hash_(value):
        value = (value ^ const[0]) & mask
        const[0] = (const[0] * mult_a) & mask
        value = (value * const[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        result = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)
        result &= mask
        return (result ^ (result >> 16)) & mask

    pool = [hash_(e) for e in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    state, const_b = [], 0x8B51F9DD
    for value in pool:
        value = (value ^ const_b) & mask
        const_b = (const_b * mult_b) & mask
        value = (value * const_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


class _Worker:
    """One of torch's worker processes, played in the main process: its own copy of the
    dataset, its own random streams (the default generator's, Python's ``random``'s and
    NumPy's global ones) and, for an IterableDataset, its own iterator over its copy."""

    def __init__(self, loader, worker_id, base_seed):
        self.loader = loader
        try:
            dataset = copy.copy(loader.dataset)     # (the worker process's copy)
        except Exception:                           # (an object that can't be copied)
            dataset = loader.dataset
        self.info = WorkerInfo(id=worker_id, num_workers=loader.num_workers,
                               seed=base_seed + worker_id, dataset=dataset)
        self._streams = None
        with self.active():          # torch's _worker_loop: seed, then worker_init_fn
            R.manual_seed(self.info.seed)
            _py_random.seed(self.info.seed)
            np.random.seed(_generate_state(base_seed, worker_id))
            if loader.worker_init_fn is not None:
                loader.worker_init_fn(worker_id)
            self.start()

    def start(self):
        """A new pass (torch's fetcher, made again at each epoch of a persistent worker)."""
        self.dataset_iter = iter(self.info.dataset) if self.loader._iterable else None
        self.ended = False
        self.done = False            # (this epoch: its IterableDataset copy is exhausted)

    @contextlib.contextmanager
    def active(self):
        """Run the block as this worker: its streams in, the main process's put back after."""
        global _worker_info
        main = (R.get_rng_state(), _py_random.getstate(), np.random.get_state(), _worker_info)
        if self._streams is not None:
            R.set_rng_state(self._streams[0])
            _py_random.setstate(self._streams[1])
            np.random.set_state(self._streams[2])
        _worker_info = self.info
        try:
            yield
        finally:
            self._streams = (R.get_rng_state(), _py_random.getstate(), np.random.get_state())
            R.set_rng_state(main[0])
            _py_random.setstate(main[1])
            np.random.set_state(main[2])
            _worker_info = main[3]


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
    """torch's checks of the worker options."""
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
        self._workers = []
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        self._start_epoch()

    def _reset(self, loader):
        """A new epoch of a persistent iterator: a new sampler pass, no new base seed (the
        same workers, whose IterableDataset copies are iterated afresh)."""
        self._sampler_iter = iter(loader._index_sampler)
        for worker in self._workers:
            with worker.active():
                worker.start()
        self._start_epoch()

    def _start_epoch(self):
        self._num_yielded = 0
        self._task = 0           # (the batch count of this epoch: whose turn it is)
        loader = self._loader
        if loader.num_workers > 0:
            self.dataset_iter = None
            if not self._workers:        # (torch starts its workers with the iterator)
                self._workers = [_Worker(loader, w, self._base_seed)
                                 for w in range(loader.num_workers)]
        else:
            self.dataset_iter = iter(loader.dataset) if loader._iterable else None
        self.ended = False

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader._index_sampler)

    def __next__(self):
        index = next(self._sampler_iter)
        if self._workers:
            data = self._fetch_by_worker(index)
        elif self._loader._iterable:
            data = self._fetch_iterable(index, self)
        else:
            data = self._fetch(index, self._loader.dataset)
        self._num_yielded += 1
        promised = getattr(self._loader, "_length_promised", None)
        if self._loader._iterable and promised is not None and self._num_yielded > promised:
            warnings.warn(f"Length of IterableDataset {self._loader.dataset} was reported to "
                          f"be {promised}(when accessing len(dataloader)), but "
                          f"{self._num_yielded} samples have been fetched. ", stacklevel=2)
        return data

    def _fetch_by_worker(self, index):
        """The next batch as torch's workers hand them over: batch k of a map-style dataset
        from worker k % num_workers; an IterableDataset's from the workers in turn, those
        whose copy is exhausted left out."""
        workers = self._workers
        if not self._loader._iterable:
            worker = workers[self._task % len(workers)]
            self._task += 1
            with worker.active():
                return self._fetch(index, worker.info.dataset)
        while not all(w.done for w in workers):
            worker = workers[self._task % len(workers)]
            self._task += 1
            if worker.done:
                continue
            with worker.active():
                try:
                    return self._fetch_iterable(index, worker)
                except StopIteration:
                    worker.done = True
        raise StopIteration

    def _fetch(self, index, dataset):
        loader = self._loader
        if loader._auto_collation:
            if getattr(dataset, "__getitems__", None):
                data = dataset.__getitems__(index)
            else:
                data = [dataset[i] for i in index]
        else:
            data = dataset[index]
        return loader.collate_fn(data)

    def _fetch_iterable(self, index, fetcher):
        """The next batch of ``fetcher``'s (this iterator's, or a worker's) ``dataset_iter``
        (torch's ``_IterableDatasetFetcher``)."""
        loader = self._loader
        if fetcher.ended:
            raise StopIteration
        if loader._auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(fetcher.dataset_iter))
                except StopIteration:
                    fetcher.ended = True
                    break
            if len(data) == 0 or (loader.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(fetcher.dataset_iter)
        return loader.collate_fn(data)
