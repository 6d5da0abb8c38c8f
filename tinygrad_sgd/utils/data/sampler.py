"""Samplers: which dataset index comes next. Each is an iterable of indices (``BatchSampler``:
of lists of indices); iterating again starts a new epoch.

The random ones draw as torch's, at the same moments (when their first index is asked for):

* ``RandomSampler`` with ``generator=None`` first draws a seed from the default generator —
  torch's ``int(torch.empty((), dtype=torch.int64).random_().item())``, here
  ``random.random_fill((), int64)`` — and shuffles with a private generator seeded with it;
  with a generator it shuffles with that one. Without replacement an epoch is
  ``randperm(n)`` (as many as ``num_samples`` needs, and always one more for the remainder,
  even an empty one); with replacement, ``randint(0, n, (32,))`` per 32 samples, then one
  for the remainder.
* ``SubsetRandomSampler``: one ``randperm(len(indices), generator=generator)`` per epoch.
* ``WeightedRandomSampler``: one ``multinomial(weights, num_samples, replacement,
  generator=generator)`` per epoch, the weights as float64.
"""
import itertools
import math
from typing import Generic, TypeVar

import numpy as np

from ... import random as R
from ...creation import as_tensor
from ...dtypes import float64
from ...functions.random import multinomial

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses define ``__iter__`` (and ``__len__`` when they know it).
    Generic, as torch's: ``class MySampler(Sampler[int])``."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``, every epoch."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of ``range(len(data_source))`` each epoch (torch's draws; see the
    module notes). ``replacement=True`` draws ``num_samples`` indices independently;
    ``num_samples`` (default ``len(data_source)``) may exceed the length without replacement
    too: whole permutations, then the start of one more."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.generator is None:
            seed = int(R.random_fill((), np.int64))
            generator = R.Generator(seed)
        else:
            generator = self.generator
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from R.randint(0, n, (32,), np.int64, generator).tolist()
            yield from R.randint(0, n, (self.num_samples % 32,), np.int64, generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from R.randperm(n, generator=generator).tolist()
            yield from R.randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (``randperm(len(indices))``), every epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in R.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices of ``range(len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)`` (with replacement by default): how an imbalanced dataset is
    sampled class-balanced. Each epoch is one ``multinomial`` draw of torch's."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement)
        weights_tensor = as_tensor(weights, dtype=float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        rand_tensor = multinomial(self.weights, self.num_samples, self.replacement,
                                  generator=self.generator)
        yield from iter(rand_tensor.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter one
    is dropped with ``drop_last=True``."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            for batch in zip(*[sampler_iter] * self.batch_size):
                yield [*batch]
        else:
            batch = [*itertools.islice(sampler_iter, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(sampler_iter, self.batch_size)]

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


def _check_positive_int(name, value):
    """torch's check of a sampler's count option (``num_samples``, ``batch_size``)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name, value):
    """torch's check of a sampler's flag (``replacement``, ``drop_last``)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} should be a boolean value, but got {name}={value}")


class DistributedSampler(Sampler):
    """One replica's share of a dataset, as torch's: every epoch the same order on every
    replica (``randperm`` with a generator seeded ``seed + epoch``: call :meth:`set_epoch`,
    or each epoch repeats), padded by repeating its start to a multiple of ``num_replicas``
    (or, with ``drop_last``, cut to one), then every ``num_replicas``-th index from
    ``rank``. ``num_replicas`` and ``rank`` not given are the default process group's
    (:mod:`tinygrad_sgd.distributed`: a world of one; ValueError before it is initialised)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        from ... import distributed
        if num_replicas is None:
            num_replicas = distributed.get_world_size()
        if rank is None:
            rank = distributed.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = R.randperm(n, generator=R.Generator(self.seed + self.epoch)).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        elif indices:
            missing = self.total_size - len(indices)
            indices += (indices * math.ceil(missing / len(indices)))[:missing]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch whose order the next iteration gives (the same on every replica)."""
        self.epoch = epoch
