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

Every array of ``MIN_BYTES`` or more starts at its own place within a 4 KB page
(``_staggered``; smaller ones are plain ``np.empty``, anywhere in malloc's pages): big blocks
from malloc all start at the same one, and a loop that reads one array and writes another at
the same offset within their pages makes the CPU take each store for a possible overwrite of
the loads that follow (4K aliasing): measured, relu's backward on the tutorial CNN's 92,160
gradients took 0.44 ms into an array at the same page offset as its input, 0.07 otherwise.
"""
import math
import sys
import weakref

import numpy as np

from .. import versions

__all__ = ["empty", "zeros", "clear", "kept_bytes", "kept_over", "is_free", "span"]

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
_made = 0           # arrays made so far (for their page offsets)
PAGE, STEP = 4096, 576    # successive arrays start 9 cache lines apart within a page: 64 places


def _staggered(shape, dtype):
    """A new C-contiguous array starting at the next of the 64 cache-line places in a page
    (a view into a slightly bigger block of bytes: its ``base``)."""
    global _made
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + PAGE, np.uint8)
    place = _made * STEP % PAGE
    _made += 1
    offset = (place - raw.ctypes.data) % PAGE
    _blocks[id(raw)] = (offset, nbytes)
    weakref.finalize(raw, _blocks.pop, id(raw), None)
    return np.ndarray(shape, dtype, buffer=raw, offset=offset)


_blocks = {}        # id of a block of bytes made by _staggered -> (offset, bytes) of its array


def span(block):
    """``(offset, nbytes)`` of the array laid over ``block`` if ``block`` is one of this
    module's blocks of bytes, else None: that array, not the block, is what a tensor's views
    share (its *storage*, for ``as_strided``)."""
    return _blocks.get(id(block))


def _free(a):
    """Nobody but the pool refers to ``a`` or to its memory: neither to the array (references:
    the pool's list, the caller's loop variable, getrefcount's argument) nor to the block it
    views (references: ``a.base``, getrefcount's argument) — every view made of ``a`` refers
    to that block, not to ``a``."""
    return sys.getrefcount(a) == 4 and sys.getrefcount(a.base) == 2


def empty(shape, dtype):
    """An uninitialised C-contiguous array, reused when one of the same shape and dtype is free."""
    global _kept
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:      # malloc's small blocks start anywhere in a page already, and
        return np.empty(shape, dtype)     # a staggered one cost 2.5 µs here, NumPy's 0.2
    if nbytes > MAX_BYTES:
        return _staggered(shape, dtype)
    key = (shape, dtype)
    free = _pool.get(key)
    if free is not None:
        for a in free:
            if _free(a):
                if versions._handed_out:        # (a numpy() of its last use: long gone)
                    versions.forget_handed_out(a)
                if versions._copied_bases:      # (its last use a copy standing for a view)
                    versions.forget_copies(a)
                return a
    a = _staggered(shape, dtype)
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


def kept_over(block) -> list:
    """The arrays the pool keeps that lie over ``block`` (a block of bytes of
    :func:`_staggered`): references to it that are not anyone's use of it."""
    return [a for kept in _pool.values() for a in kept if a.base is block]


def is_free(array) -> bool:
    """True if ``array`` is one the pool keeps and nothing else refers to any more (it is as
    good as freed: the next ``empty`` of its shape may hand it out again)."""
    if not any(a is array for a in _pool.get((array.shape, array.dtype), ())):
        return False
    # references to the array: the pool's list, the caller's, this argument, getrefcount's
    return sys.getrefcount(array) <= 4 and sys.getrefcount(array.base) == 2
