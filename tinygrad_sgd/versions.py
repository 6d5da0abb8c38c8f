"""Version counters: how many in-place changes a block of memory has seen.

Counted per block of memory, not per Tensor object: a detached tensor, a view (reshape,
transpose, basic indexing, expand), a Parameter or a ``state_dict()`` entry built on the same
array all see — and bump — one counter, as torch's views share their base's version. A node
records the versions of what it saves; backward refuses values whose version moved, instead of
silently using changed values.
"""
import weakref

import numpy as np

__all__ = ["version_of", "bump", "carry", "memory_owner"]

_inplace_changes = {}   # id(the ndarray that owns the memory) -> in-place changes made to it


def memory_owner(array):
    """The ndarray at the end of ``array``'s ``.base`` chain: the one owning the memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def version_of(array) -> int:
    if not _inplace_changes or not isinstance(array, np.ndarray):
        return 0
    return _inplace_changes.get(id(memory_owner(array)), 0)


def bump(array) -> None:
    """Count one in-place change to ``array``'s memory."""
    owner = memory_owner(array)
    _set(owner, _inplace_changes.get(id(owner), 0) + 1)


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
