"""Reuse the big arrays of convolution and pooling from one training step to the next.

Every step of a CNN allocates the same large arrays again (im2col columns, activations,
gradients: ~60 MB at batch 256). Memory that glibc has given back to the OS costs a page fault
and a zero-fill per 4 KB when touched again. PyTorch keeps freed blocks in a caching
allocator; this is the same idea, for the arrays the conv/pool ops create:

* ``empty(shape, dtype)`` hands out a view of a cached byte buffer that nobody is using;
* a buffer is in use exactly while some array still refers to it (NumPy views keep their base
  alive), which its reference count tells — so a buffer still held by a tensor, a saved array
  or a user's variable is never handed out twice;
* small requests (< 1 MB) go straight to NumPy, and free buffers beyond ``MAX_BYTES`` are
  dropped, least recently used first.
"""
import sys

import numpy as np

MIN_BYTES = 1 << 20
MAX_BYTES = 256 << 20

_buffers = []            # cached 1-D uint8 arrays, most recently used last
_FREE = 3                # references to a free buffer seen in the loops below: the list,
                         # the loop variable and getrefcount's own argument


def empty(shape, dtype):
    """Like ``np.empty``: an uninitialised C-contiguous array, from the cache when possible."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    for i in range(len(_buffers)):
        buf = _buffers[i]
        if buf.nbytes == nbytes and sys.getrefcount(buf) <= _FREE:
            _buffers.append(_buffers.pop(i))
            return buf.view(dtype).reshape(shape)
        del buf
    buf = np.empty(nbytes, np.uint8)
    _buffers.append(buf)
    del buf
    _trim()
    return _buffers[-1].view(dtype).reshape(shape)


def zeros(shape, dtype):
    """Like ``np.zeros``, from the cache when possible."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def _trim():
    """Drop the least recently used free buffers while the cache holds over MAX_BYTES."""
    total = sum(b.nbytes for b in _buffers)
    for buf in list(_buffers[:-1]):
        if total <= MAX_BYTES:
            break
        if sys.getrefcount(buf) <= _FREE + 1:     # (+1: the copied list)
            total -= buf.nbytes
            _buffers.remove(buf)


def cached_bytes():
    return sum(b.nbytes for b in _buffers)


def clear():
    """Forget every cached buffer (its memory is freed once no array uses it)."""
    _buffers.clear()
