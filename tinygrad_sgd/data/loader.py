"""Mini-batches: ``DataLoader`` and ``TensorDataset`` (PyTorch's) and ``next_batch`` (the
classic SGD tutorial's)."""

import math

import numpy as np

from ..random import Generator, randperm
from ..random.sampling import draw_seed, skip_randperm

__all__ = ["DataLoader", "TensorDataset", "next_batch"]


def next_batch(X, y, batch_size):
    """Yield consecutive mini-batches ``(X[i:i+batch_size], y[i:i+batch_size])``, in order.

    The generator from the classic "SGD with Python" tutorial; the last batch may be smaller.
    """
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


class TensorDataset:
    """torch's ``TensorDataset(*tensors)``: item ``i`` is ``tuple(t[i] for t in tensors)``;
    the tensors share their first dimension. A DataLoader over it yields one batch Tensor per
    tensor."""

    def __init__(self, *tensors):
        from ..tensor import Tensor
        tensors = tuple(t if isinstance(t, Tensor) else Tensor._of(np.asarray(t)) for t in tensors)
        if not tensors or any(t.ndim == 0 for t in tensors):
            raise ValueError("TensorDataset: give one or more tensors with a first dimension")
        if any(len(t) != len(tensors[0]) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class DataLoader:
    """Iterate over a dataset in mini-batches: tuples of ``tinygrad_sgd.Tensor`` (``(xb, yb)``).

    ``dataset`` is an ``(X, y)`` pair of arrays, a :class:`TensorDataset`, or any object with
    ``__len__`` and ``__getitem__`` returning a tuple ``(x, y, ...)``. Batches are gathered
    with one fancy-indexing operation when the dataset allows it (an ``(X, y)`` pair, a
    TensorDataset, a dataset whose ``__getitem__`` takes an index array, like ``MNIST``, or one
    with ``.data``/``.targets`` arrays); otherwise the items are fetched one by one and stacked.

    Random draws as torch's ``DataLoader`` (``num_workers=0``), so the same seed gives the same
    batches: every epoch (every ``iter(loader)``) first draws its base seed from ``generator``
    (the default generator when None), shuffled or not; with ``shuffle=True`` the first batch
    then runs torch's ``RandomSampler`` — a seed drawn from the default generator for a private
    generator (or ``generator`` itself) and ``randperm(n)`` from it. ``seed=s`` is short for
    ``generator=Generator(s)``. ``drop_last=True`` skips a final, smaller batch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, "
                             f"got {batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"DataLoader: generator must be a tinygrad_sgd.Generator, got "
                            f"{type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.generator = Generator(seed) if seed is not None else generator
        self._n = len(dataset[0]) if _is_pair(dataset) else len(dataset)
        self._gather = self._choose_gather(dataset)

    def __len__(self):
        """The number of batches per epoch."""
        if self.drop_last:
            return self._n // self.batch_size
        return math.ceil(self._n / self.batch_size)

    def __iter__(self):
        draw_seed(self.generator)      # torch's iterator takes its _base_seed first, always
        return self._batches()

    def _batches(self):
        from ..tensor import Tensor
        for idx in self._index_batches():
            yield tuple(Tensor._of(a.array if isinstance(a, Tensor) else np.asarray(a))
                        for a in self._gather(idx))

    def _index_batches(self):
        """torch's BatchSampler over its Sequential/RandomSampler, with the draws at the same
        moments: the sampler's seed and permutation when the first batch is asked for, and
        (from an explicit generator) the sampler's closing ``randperm`` when it runs out."""
        n, size = self._n, self.batch_size
        full = n // size * size
        if not self.shuffle:
            order = np.arange(n)
        else:
            gen = self.generator if self.generator is not None else Generator(draw_seed())
            order = randperm(n, generator=gen)
        for start in range(0, full, size):
            yield order[start:start + size]
        if self.shuffle and self.generator is not None:
            skip_randperm(n, self.generator)
        if full < n and not self.drop_last:
            yield order[full:]

    def __repr__(self):
        return (f"DataLoader(n={self._n}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")

    # ---- how a batch of indices becomes (xb, yb, ...) ----
    def _choose_gather(self, dataset):
        """Pick the fastest correct way to fetch a batch: a function of an index array."""
        if isinstance(dataset, TensorDataset):
            arrays = [t.array for t in dataset.tensors]
            return lambda idx: tuple(a[idx] for a in arrays)
        if _is_pair(dataset):
            X, y = (getattr(a, "array", a) for a in dataset)      # arrays or Tensors
            if len(X) != len(y):
                raise ValueError(f"DataLoader: X and y have different lengths "
                                 f"({len(X)} and {len(y)})")
            return lambda idx: (X[idx], y[idx])
        if self._n == 0:
            return lambda idx: _stack([dataset[int(i)] for i in idx])

        probe = np.unique([0, self._n - 1])
        if _takes_index_arrays(dataset, probe):
            return lambda idx: dataset[idx]
        data, targets = getattr(dataset, "data", None), getattr(dataset, "targets", None)
        if isinstance(data, np.ndarray) and isinstance(targets, np.ndarray) \
                and _same_item(dataset[0], (data[0], targets[0])):
            return lambda idx: (data[idx], targets[idx])
        return lambda idx: _stack([dataset[int(i)] for i in idx])  # the slow, general path


def _is_pair(dataset):
    """``(X, y)``: two arrays or two Tensors (``DataLoader((X, y))``), not a list of samples."""
    return isinstance(dataset, (tuple, list)) and len(dataset) == 2 \
        and all(isinstance(a, np.ndarray) or isinstance(getattr(a, "array", None), np.ndarray)
                for a in dataset)


def _takes_index_arrays(dataset, probe):
    """Does ``dataset[index_array]`` return a batch ``(X, y, ...)`` that matches the items?"""
    try:
        batch = [np.asarray(a) for a in dataset[probe]]
        item = dataset[int(probe[0])]
    except Exception:  # noqa: BLE001 - any failure means "no"
        return False
    if len(batch) != len(item) or any(b.ndim == 0 or len(b) != len(probe) for b in batch):
        return False
    return _same_item(item, [b[0] for b in batch])


def _same_item(a, b):
    """Are two (x, y, ...) items equal (compared as arrays)?"""
    try:
        return len(a) == len(b) and all(np.array_equal(np.asarray(u), np.asarray(v))
                                        for u, v in zip(a, b))
    except Exception:  # noqa: BLE001
        return False


def _stack(items):
    """A list of ``(x, y, ...)`` items as one array per field."""
    return tuple(np.stack([np.asarray(v) for v in field]) for field in zip(*items))
