"""Version counters: how many in-place changes a block of memory has seen.

Counted per block of memory, not per Tensor object: a detached tensor, a view (reshape,
transpose, basic indexing, expand), a Parameter or a ``state_dict()`` entry built on the same
array all see — and bump — one counter, as torch's views share their base's version. A node
records the versions of what it saves; backward refuses values whose version moved, instead of
silently using changed values. The one exception is torch's too: ``.data`` is the same memory
counted apart (:func:`counted_apart`).
"""
import weakref

import numpy as np

__all__ = ["version_of", "bump", "carry", "memory_owner", "counted_apart", "same_memory"]

_inplace_changes = {}   # id(the ndarray that owns the memory) -> in-place changes made to it


def memory_owner(array):
    """The ndarray at the end of ``array``'s ``.base`` chain: the one owning the memory."""
    while True:
        base = array.base
        if isinstance(base, np.ndarray):
            array = base
        elif base is not None and isinstance(getattr(base, "base", None), np.ndarray) and \
                hasattr(base, "__array_interface__"):
            array = base.base          # through a wrapper (an empty view's, ops.strided)
        else:
            return array


def link_copy(copy, base) -> None:
    """``copy`` stands for memory torch shares with ``base`` (a ``view()``, ``reshape`` or
    ``contiguous()`` of a result kept in the library's own order, which torch's is contiguous
    and which NumPy had to copy; or torch's storage of such a result, row-major, which
    ``as_strided`` and ``storage()`` read: ops.strided.torch_storage): a write into either is
    refused while the other lives (:func:`has_copy_views`)."""
    a, b = _true_owner(copy), _true_owner(base)
    _add_copy(b, a)
    _add_copy(a, b)


def forget_copies(array) -> None:
    """``array`` (a buffer nobody holds any more, handed out again: kernels/buffers.py)
    starts afresh: linked to no other memory."""
    owner = _true_owner(array)
    entry = _copied_bases.pop(id(owner), None)
    if entry is not None and entry[0]() is owner:
        for ref in entry[1]:
            partner = ref()
            other = None if partner is None else _copied_bases.get(id(partner))
            if other is not None:
                other[1][:] = [r for r in other[1] if r() is not owner]


def _add_copy(b, owner):
    entry = _copied_bases.get(id(b))
    if entry is None or entry[0]() is not b:
        entry = _copied_bases[id(b)] = (weakref.ref(b, lambda _, k=id(b): _copied_bases.pop(
            k, None)), [])
    entry[1].append(weakref.ref(owner))


# id(memory) -> (a weak reference to it, weak references to the memory linked with it by
# link_copy): while one of those lives, a write into the memory would not reach it
_copied_bases = {}


def has_copy_views(array) -> bool:
    """Whether ``array``'s memory is linked with a copy standing for torch's shared memory
    (:func:`link_copy`) that is still alive: a write into ``array`` — in place, through
    ``.data`` or ``numpy()`` — would silently not reach it, where torch's view (or tensor)
    shares the memory. (Such writes are refused while it lives.)"""
    if not _copied_bases:
        return False
    b = _true_owner(array)
    entry = _copied_bases.get(id(b))
    if entry is None or entry[0]() is not b:
        return False
    entry[1][:] = [r for r in entry[1] if r() is not None]
    return bool(entry[1])


_strided = None          # (ops.strided, once imported)


def counted_apart(array):
    """``array``'s memory as a new array whose in-place changes are counted apart from
    ``array``'s (torch's ``.data``), and its views' with it: made through a ``memoryview``,
    the new array's ``.base`` chain — and so :func:`memory_owner` — ends at itself. A view
    of a bigger block is rebuilt over the whole block counted apart, so that it keeps its
    place in it (``x[2:].data.storage_offset()`` is 2, as torch's)."""
    if array.base is not None:
        try:
            return _apart_in_block(array)
        except (TypeError, ValueError, BufferError, RuntimeError):    # (no one block: alone)
            pass
    try:
        return np.asarray(memoryview(array))
    except (TypeError, ValueError, BufferError):   # (no buffer format: counted together)
        return array


def _apart_in_block(array):
    """counted_apart of a view: the same place in its whole block, the block counted apart."""
    global _strided
    if _strided is None:            # (imported on first use: ops imports this module)
        from .ops import strided as _strided
    owner, start = _strided.storage_of(array)
    apart, item = np.asarray(memoryview(owner)), array.itemsize
    if array.size:
        return np.ndarray(array.shape, array.dtype, apart, start, array.strides)
    return _strided.strided_view(apart, start // item, array.shape,   # (an empty view:
                                 tuple(s // item for s in array.strides),   # its address)
                                 array.dtype)


_handed_out = {}     # id(the memory's owner) -> True: handed out writable by Tensor.numpy()


def _true_owner(array):
    """:func:`memory_owner`, and on through a ``memoryview`` to the array it reads (``.data``
    counts its memory apart through one: it is still the same memory)."""
    owner = memory_owner(array)
    while isinstance(owner.base, memoryview) and isinstance(owner.base.obj, np.ndarray):
        owner = memory_owner(owner.base.obj)
    return owner


def hand_out(array) -> None:
    """``array``'s memory was handed out writable (``Tensor.numpy()``), or changed in place
    through ``.data`` (counted apart): from now on it may change, or has changed, without its
    version moving — NumPy writes are unseen by autograd, as torch's. A
    value computed ahead from it (a convolution's pooling, a pooling's relu: ops/conv.py,
    ops/pool.py) can't be trusted any more: see :func:`handed_out`."""
    owner = _true_owner(array)
    key = id(owner)
    if key not in _handed_out:       # forgotten when the memory is freed
        weakref.finalize(owner, _handed_out.pop, key, None).atexit = False
        _handed_out[key] = True


def handed_out(array) -> bool:
    """Whether ``array``'s memory was ever handed out writable by ``Tensor.numpy()`` (a
    reused buffer's mark is dropped when it is reused: :func:`forget_handed_out`)."""
    return bool(_handed_out) and id(_true_owner(array)) in _handed_out


def forget_handed_out(array) -> None:
    """``array`` (a buffer nobody holds any more: kernels/buffers.py) starts afresh."""
    _handed_out.pop(id(_true_owner(array)), None)


def same_memory(a, b) -> bool:
    """True when ``a`` and ``b`` are the same elements of the same memory."""
    return a is b or (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
                      and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def version_of(array) -> int:
    changes = _inplace_changes
    if not changes or not isinstance(array, np.ndarray):
        return 0
    base = array.base               # (memory_owner, inlined: every saved array is asked)
    while isinstance(base, np.ndarray):
        array, base = base, base.base
    if base is not None:            # a wrapper on the way (an empty view's): the long way
        array = memory_owner(array)
    return changes.get(id(array), 0)


def bump(array) -> None:
    """Count one in-place change to ``array``'s memory. Memory counted apart (``.data``'s)
    changed without the other counter moving: marked as :func:`hand_out` marks it."""
    owner = memory_owner(array)
    _set(owner, _inplace_changes.get(id(owner), 0) + 1)
    if isinstance(owner.base, memoryview):
        hand_out(owner)


def carry(old, new) -> None:
    """``new``'s memory takes over the count of ``old``'s (a tensor moved to new memory, as
    ``resize_`` growing its storage: what saved its version must still see its changes)."""
    if version_of(old):
        _set(memory_owner(new), version_of(old))


def _set(owner, count):
    key = id(owner)
    if key not in _inplace_changes:  # forget the count when the memory is freed
        weakref.finalize(owner, _inplace_changes.pop, key, None).atexit = False
    _inplace_changes[key] = count
