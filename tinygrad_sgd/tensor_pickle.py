"""Pickling and copying a Tensor with its memory layout, as torch's.

torch pickles a tensor as its whole storage with the view's offset and strides
(``_rebuild_tensor_v2``), so a channels-last tensor, a transposed one and a slice of a bigger
one come back with the same ``stride()`` and ``storage_offset()``. What is shared differs:

============================  ==================================================
``pickle.dumps(obj)``         each tensor a storage of its own (two views pickled together
                              come back apart: torch makes a new storage object each time)
``copy.deepcopy(obj)``        one copy of each storage (views copied together share it)
``copy.copy(t)``              the same memory as ``t``
============================  ==================================================

Here the storage is the array a tensor's memory belongs to (as ``torch.save`` finds it,
:func:`.serialization_torch_write._in_storage`; an empty tensor keeps its place and torch's
strides too); the rest of the tensor's attributes (``requires_grad``, attributes a program
set) are kept. As torch's, neither keeps the graph (``grad_fn``, ``retain_grad()``) nor
backward hooks (pickle, ``copy.copy`` and ``save`` warn for each hook, as torch's); pickle
leaves out ``.grad`` too, where deepcopy copies it, and deepcopy refuses a tensor that is
not a leaf. The record of
which tensor a view was taken of (for in-place writes through views, and ``_base``) is not
kept: as in torch, an unpickled, deep-copied or copied view is a tensor of its own.
"""
import copy

import numpy as np

from .meta import MetaArray
from .tensor import Tensor

__all__ = []

_VIEW_RECORDS = ("_view", "_views")      # (a closure and weak references: not picklable)
_LEFT_OUT = frozenset(_VIEW_RECORDS + ("grad_fn", "_hooks", "_retain_grad_hook",
                                       "_retains_grad",        # (torch keeps no graph,
                                       "_view_base",           # and no view's _base;
                                       "_no_grad_view", "_grad_dropped",   # a leaf; its
                                       "_storage_root", "_stands_for"))    # own storage)


class _Strided:
    """An array as a storage, the byte offset into it, the shape and the byte strides."""

    def __init__(self, storage, offset, shape, strides):
        self.storage, self.offset, self.shape, self.strides = storage, offset, shape, strides

    def __reduce__(self):
        return _Strided, (self.storage, self.offset, self.shape, self.strides)

    def array(self):
        s = self.storage
        return np.ndarray(self.shape, s.dtype, s, self.offset, self.strides)


class _MetaPlace:
    """A meta tensor's placeholder as pickled: its shape, dtype and torch's strides (no
    values, no storage offset: as torch's, which keeps no storage for a meta tensor); a deep
    copy's are contiguous, as torch's."""

    def __init__(self, a, keep_strides):
        self.shape, self.dtype, self.offset = a.shape, a.dtype, 0
        self.strides = a.torch_strides if keep_strides else "contiguous"

    def array(self):
        from .meta import placeholder
        return placeholder(self.shape, self.dtype, self.strides, self.offset)


def _state(t, own_storage):
    """t's attributes with its array as a :class:`_Strided` (over a copy of its storage when
    ``own_storage``, for pickle: its ``.grad`` left out too), the view records, graph links
    and hooks left out, and ``_torch_strides`` set where t's strides as torch reads them are
    its array's (a permuted view read through its base)."""
    from .creation import _steps, torch_strides
    from .serialization_torch_write import _in_storage
    state = {k: v for k, v in t.__dict__.items() if k not in _LEFT_OUT}
    if own_storage:
        state.pop("_grad", None)
    a = t.array
    if type(a) is MetaArray:
        state["array"] = _MetaPlace(a, own_storage)
        return state
    from .creation import contiguous_strides, geometry_or_none
    place = geometry_or_none(t)     # (None where torch's layout is not known: as below)
    if place is not None:        # (a result in the library's own order, or a view of one:
        values, steps, offset = place     # torch's storage, the result's values row-major)
        state.pop("_torch_strides", None)
        if a.ndim >= 3 and steps != contiguous_strides(a.shape):
            state["_torch_strides"] = True         # (its strides, over that storage: torch's)
        root, item = np.array(values, order="C").reshape(-1), a.itemsize
        state["array"] = _Strided(root, offset * item, a.shape, tuple(s * item for s in steps))
        return state
    steps = torch_strides(t)
    if not a.size:
        state.pop("_torch_strides", None)
        state["array"] = _empty_place(a, steps, own_storage)
        return state
    if steps != _steps(a):                       # (the library's own layout: torch's
        a = np.array(a, order="C")               # tensor is contiguous, and so is this)
        state.pop("_torch_strides", None)
    elif a.ndim >= 3 and not a.flags.c_contiguous:
        state["_torch_strides"] = True
    root, offset, _ = _in_storage(a)
    if root is a or not np.may_share_memory(root, a):    # (a storage of its own)
        root = a if a.flags.c_contiguous else np.array(a, order="C")
        offset, strides = 0, root.strides
    else:
        offset, strides = offset * a.itemsize, a.strides
    root = root.copy() if own_storage else root
    state["array"] = _Strided(root, offset, a.shape, strides)
    return state


def _empty_place(a, steps, own_storage):
    """An empty array's :class:`_Strided`: its place in its storage (``x[2:2]`` starts at
    element 2) and torch's strides (``steps``, which NumPy's 0 strides don't tell), as torch's
    pickle keeps them; a storage of no elements where its memory is no storage of its own."""
    from .ops.strided import storage_of
    try:
        root, start = storage_of(a)
    except RuntimeError:
        root, start = a, 0
    root = root.ravel(order="K") if root.dtype == a.dtype else None
    if root is None or not 0 <= start <= root.nbytes or start % a.itemsize:
        root, start = np.empty(0, a.dtype), 0
    root = root.copy() if own_storage else root
    return _Strided(root, start, a.shape, tuple(s * a.itemsize for s in steps))


def warn_unsaved_hooks(t):
    """torch's warning for each hook of ``t`` that a copy leaves out (a Parameter's own
    pickling does not warn, as torch's ``Parameter.__reduce_ex__``)."""
    if t._hooks or t.grad_fn is not None and t.grad_fn._pre_hooks:
        from .nn.module import Parameter
        from .utils.hooks import warn_if_has_hooks
        if not isinstance(t, Parameter):
            warn_if_has_hooks(t)


def __reduce_ex__(self, protocol):
    """pickle: the tensor's storage (a copy of its own), offset and strides, and its other
    attributes; torch's UserWarning for each backward hook left out (``copy.copy`` warns too,
    as torch's, whose copy goes through this; ``deepcopy`` and a Parameter do not)."""
    warn_unsaved_hooks(self)
    reduced = object.__reduce_ex__(self, protocol)
    return (reduced[0], reduced[1], _state(self, True)) + tuple(reduced[3:])


def __setstate__(self, state):
    self.__dict__.update(state)
    if isinstance(state.get("array"), (_Strided, _MetaPlace)):
        self.array = state["array"].array()


def __deepcopy__(self, memo):
    """``copy.deepcopy``: views copied together share one copy of their storage, as torch's;
    the other attributes deep-copied (the gradient included). Only for a leaf, as torch's."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                           "the deepcopy protocol at the moment.  If you were attempting to "
                           "deepcopy a module, this may be because of a "
                           "torch.nn.utils.weight_norm usage, see "
                           "https://github.com/pytorch/pytorch/pull/103001")
    new = memo[id(self)] = object.__new__(type(self))
    new.__setstate__(copy.deepcopy(_state(self, False), memo))
    return new


def __copy__(self):
    """``copy.copy``: a tensor over the same memory, its attributes shared (hooks warned
    about, as by pickle)."""
    warn_unsaved_hooks(self)
    new = object.__new__(type(self))
    new.__dict__.update(self.__dict__)
    if type(self.array) is MetaArray:       # (torch's copy of a meta tensor: its strides, no
        new.array = _MetaPlace(self.array, True).array()      # storage offset)
    from .tensor import _share_storage_root   # (its storage in torch is still self's)
    _share_storage_root(new, self)
    new.__dict__.pop("_view_base", None)      # (torch's copy is a tensor of its own: no _base)
    return new


for _method in (__reduce_ex__, __setstate__, __deepcopy__, __copy__):
    setattr(Tensor, _method.__name__, _method)
