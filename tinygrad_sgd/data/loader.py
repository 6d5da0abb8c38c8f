"""Mini-batches: ``DataLoader`` (PyTorch-like) and ``next_batch`` (the classic SGD tutorial's)."""

import math

import numpy as np

__all__ = ["DataLoader", "next_batch"]


def next_batch(X, y, batch_size):
    """Yield consecutive mini-batches ``(X[i:i+batch_size], y[i:i+batch_size])``, in order.

    The generator from the classic "SGD with Python" tutorial; the last batch may be smaller.
    """
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


class DataLoader:
    """Iterate over a dataset in mini-batches of ``tinygrad_sgd.Tensor``s ``(xb, yb)``.

    ``dataset`` is an ``(X, y)`` pair of arrays, or any object with ``__len__`` and
    ``__getitem__`` returning ``(x, y)``. Batches are gathered with one fancy-indexing
    operation when the dataset allows it (an ``(X, y)`` pair, a dataset whose ``__getitem__``
    takes an index array, like ``MNIST``, or one with ``.data``/``.targets`` arrays);
    otherwise the items are fetched one by one and stacked.

    With ``shuffle=True`` every epoch (every ``iter(loader)``) gets a new order drawn from a
    ``numpy.random.Generator`` seeded once with ``seed``: the sequence of epochs is the same
    in every run with the same seed. ``drop_last=True`` skips a final, smaller batch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, "
                             f"got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._n = len(dataset[0]) if _is_pair(dataset) else len(dataset)
        self._gather = self._choose_gather(dataset)

    def __len__(self):
        """The number of batches per epoch."""
        if self.drop_last:
            return self._n // self.batch_size
        return math.ceil(self._n / self.batch_size)

    def __iter__(self):
        from ..tensor import Tensor

        order = self._rng.permutation(self._n) if self.shuffle else np.arange(self._n)
        for b in range(len(self)):
            xb, yb = self._gather(order[b * self.batch_size:(b + 1) * self.batch_size])
            yield Tensor(np.asarray(xb)), Tensor(np.asarray(yb))

    def __repr__(self):
        return (f"DataLoader(n={self._n}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")

    # ---- how a batch of indices becomes (xb, yb) ----
    def _choose_gather(self, dataset):
        """Pick the fastest correct way to fetch a batch: a function of an index array."""
        if _is_pair(dataset):
            X, y = (np.asarray(a) for a in dataset)
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
    return isinstance(dataset, (tuple, list)) and len(dataset) == 2 \
        and all(isinstance(a, np.ndarray) for a in dataset)


def _takes_index_arrays(dataset, probe):
    """Does ``dataset[index_array]`` return a batch ``(X, y)`` that matches the items?"""
    try:
        batch = dataset[probe]
        xb, yb = (np.asarray(a) for a in batch)
    except Exception:  # noqa: BLE001 - any failure means "no"
        return False
    if xb.ndim == 0 or yb.ndim == 0 or len(xb) != len(probe) or len(yb) != len(probe):
        return False
    return _same_item(dataset[int(probe[0])], (xb[0], yb[0]))


def _same_item(a, b):
    """Are two (x, y) items equal (compared as arrays)?"""
    try:
        return all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a, b))
    except Exception:  # noqa: BLE001
        return False


def _stack(items):
    xs, ys = zip(*items)
    return np.stack([np.asarray(x) for x in xs]), np.asarray(ys)
