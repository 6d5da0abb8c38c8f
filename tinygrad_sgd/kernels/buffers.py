"""Reused big arrays: the kernels' own caching allocator.

A training step allocates the same big arrays every time (column matrices, activations, their
gradients, pooling masks). Fresh big blocks come from the operating system as new pages, and
the kernel zero-fills each 4 KB page on its first touch: measured on the tutorial CNN at batch
64, that page-faulting was a third of the step's CPU time. PyTorch avoids it with its caching
allocator; :mod:`.allocator` can ask glibc to keep freed memory, but that setting is
process-wide. This module keeps the library's own big arrays instead.

``empty(shape, dtype)`` hands out an array nobody else references any more — the pool's
reference is its only one (``sys.getrefcount``: no Tensor, view, node or caller holds it or a
view of it, since a view keeps its base alive) — or allocates a new one and keeps it for later.
So an array is never handed out twice while in use: reuse cannot change a value anyone can
still see. Arrays below ``MIN_BYTES`` and above ``MAX_BYTES`` are left to malloc; at most
``PER_SHAPE`` arrays are kept per (shape, dtype), and ``LIMIT_BYTES`` in all (then the pool is
emptied and starts again). ``clear()`` lets every kept array go.
"""
import math
import sys

import numpy as np

__all__ = ["empty", "zeros", "clear", "kept_bytes", "is_free"]

MIN_BYTES = 64 << 10
# Arrays above this are left to malloc too. Measured (tutorial CNN, NumPy kernels, Intel Xeon):
# at batch 256 pooling its 6-16 MB arrays made the step 13% slower (25.5 -> 29 ms; not
# understood: glibc's own reuse of big freed blocks beat it), while at batch 64 (arrays of at
# most 4 MB) the pool is worth a third of the step.
MAX_BYTES = 4 << 20
PER_SHAPE = 32        # a GPT keeps one activation of a shape per layer alive until backward
LIMIT_BYTES = 512 << 20

_pool = {}          # (shape, dtype) -> [arrays]
_kept = 0           # bytes held by the pool


def empty(shape, dtype):
    """An uninitialised C-contiguous array, reused when one of the same shape and dtype is free."""
    global _kept
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    if math.prod(shape) * dtype.itemsize > MAX_BYTES:
        return np.empty(shape, dtype)
    key = (shape, dtype)
    free = _pool.get(key)
    if free is not None:
        for a in free:
            # references: the list, this loop's variable, getrefcount's argument — nobody else
            if sys.getrefcount(a) == 3:
                return a
    a = np.empty(shape, dtype)
    if a.nbytes >= MIN_BYTES:
        if free is None:
            free = _pool[key] = []
        if len(free) < PER_SHAPE:
            if _kept + a.nbytes > LIMIT_BYTES:
                clear()
                free = _pool[key] = []
            free.append(a)
            _kept += a.nbytes
    return a


def zeros(shape, dtype):
    """As :func:`empty`, filled with zeros."""
    a = empty(shape, dtype)
    a.fill(0)
    return a


def clear():
    """Forget every kept array (those still in use stay alive with their users)."""
    global _kept
    _pool.clear()
    _kept = 0


def kept_bytes() -> int:
    return _kept


def is_free(array) -> bool:
    """True if ``array`` is one the pool keeps and nothing else refers to any more (it is as
    good as freed: the next ``empty`` of its shape may hand it out again)."""
    if not any(a is array for a in _pool.get((array.shape, array.dtype), ())):
        return False
    # references: the pool's list, the caller's, this argument, getrefcount's argument
    return sys.getrefcount(array) <= 4
