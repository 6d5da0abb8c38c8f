"""``Tensor.resize_``, ``resize_as_`` (and ``torch.resize_as_``), ``set_``, ``is_set_to`` and
the deprecated ``Tensor.resize`` and ``resize_as``.

``resize_`` works on the tensor's *storage* (see :mod:`.strided`): the tensor becomes the
C-ordered (or channels-last) view of the given size over its storage, from its own storage
offset. So the elements are read in storage order, not in the tensor's: ``x = arange(6.)
.view(2, 3).t()`` then ``x.resize_(6)`` gives 0, 1, 2, 3, 4, 5, as torch. A smaller size keeps
the storage (growing back later finds the old values); a bigger one grows it, the old elements
kept (the new ones are zeros where torch leaves memory uninitialized). Asking for the size the
tensor has already changes nothing, not even its strides (unless a ``memory_format`` is
given).

As torch: a tensor that requires grad is refused (``cannot resize variables that require
grad``), and every resize to a new size counts as an in-place change (a saved tensor resized
since makes backward refuse it). One limit torch does not have: storage that something else
still shares — a view of the tensor or the tensor a view of another, ``.data``, ``detach()``,
a NumPy array given to ``from_numpy`` — is not grown: torch grows the shared storage for all
of them at once, which NumPy's memory cannot do, so that is a RuntimeError (clone() first)
rather than tensors that silently stop sharing.
"""
import math
import sys
import warnings

import numpy as np

from ..dtypes import _SCALAR_TYPE_NAMES
from ..errors import warn_level
from .. import autograd, ops, versions
from ..determinism import memory_fill
from ..kernels import buffers
from ..arguments import listed
from ..ops.strided import element_geometry, storage_of, strided_view
from ..tensor import Tensor
from .memory_formats import channels_last, channels_last_3d, check_format, preserve_format
from .strided import _check, _ints, _offset

__all__ = ["resize_as_"]


def resize_(self, *size, memory_format=None, **keyword):
    """In place: the tensor becomes ``size`` over its storage (see the module's notes)."""
    if not size and not keyword:
        raise TypeError('resize_() missing 1 required positional arguments: "size"')
    size = listed("resize_", size, keyword, "size")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(n < 0 for n in size):
        raise RuntimeError("numel: integer multiplication overflow")
    if memory_format is preserve_format:
        raise RuntimeError("Unsupported memory formatPreserve")
    if check_format(memory_format, "resize_") is not None:
        memory_format.check_rank(len(size))
    if memory_format is None and size == self.shape:
        return self
    _resize(self, size, _strides(size, memory_format in (channels_last, channels_last_3d)))
    return self


def resize_as_(self, the_template, *, memory_format=None):
    """``resize_(the_template.shape)`` (the template's values and dtype play no part)."""
    if not isinstance(the_template, Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 1) must be Tensor, "
                        f"not {type(the_template).__name__}")
    return resize_(self, the_template.shape, memory_format=memory_format)


def set_(self, source=None, storage_offset=None, size=None, stride=None):
    """In place: the tensor becomes a view of other memory — ``set_(tensor)`` shares that
    tensor's storage, size, strides and offset; ``set_(tensor_or_storage, offset, size,
    stride=None)`` views it from ``offset`` (C-order strides by default; for a tensor, which
    must be contiguous as torch's, ``offset`` counts from its own start); ``set_(storage)``
    is the whole storage, flat; ``set_()`` an empty tensor. As torch: a leaf that requires
    grad is refused, the dtypes must agree (an ``UntypedStorage``'s bytes are read as the
    tensor's dtype), and a tensor in a graph gets a node whose backward raises (torch has no
    derivative for ``set_``). Not as torch: a view reaching past the storage is refused
    (``setStorage: ... out of bounds``), where torch grows the storage."""
    from ..creation import storage_root, torch_geometry
    from ..storage import TypedStorage, UntypedStorage, _flat, _memory
    root = None                 # (set_(tensor) of a result in the library's own order)
    if source is None:
        owner, offset, size, stride = np.empty(0, self.array.dtype), 0, (0,), (1,)
    else:
        if isinstance(source, Tensor):
            if source.array.dtype != self.array.dtype:
                raise RuntimeError(f"Could not set tensor of type {_C_NAMES[source.dtype.name]}"
                                   f" to a tensor of type {_C_NAMES[self.dtype.name]}")
            if storage_offset is None:        # the same view of the same memory: where
                if torch_geometry(source) is not None:     # that is not torch's storage,
                    root = storage_root(source)            # read through source's root
                else:
                    owner = _memory(source)
            else:                             # a view of torch's storage (a copy of it
                owner = _flat(source)[0]      # where that is not source's memory), from
                from ..creation import contiguous_strides, torch_strides   # source's start
                if torch_strides(source) != contiguous_strides(source.shape):
                    raise RuntimeError("passed in tensor to be used as storage must be "
                                       "contiguous")
                storage_offset = _offset(storage_offset, 2, "set_") + source.storage_offset()
            default = None if storage_offset is not None or root is not None else \
                (source.shape, element_geometry(source.array))
        elif isinstance(source, (TypedStorage, UntypedStorage)):
            if isinstance(source, TypedStorage) and source._flat.dtype != self.array.dtype:
                raise RuntimeError(
                    f"Expected a Storage of type {_C_NAMES[self.dtype.name]} or an "
                    f"UntypedStorage, but got type {_CPP_NAMES[source.dtype.name]} for "
                    f"argument 1 'storage'")
            owner = source._flat.view(np.uint8)[:source.nbytes() - source.nbytes()
                                                % self.array.itemsize].view(self.array.dtype)
            default = (owner.size,), ((1,), 0)
        else:
            raise TypeError(f"set_() received an invalid combination of arguments - got "
                            f"({type(source).__name__}), but expected one of: (), "
                            f"(torch.Storage source), (torch.Storage source, int "
                            f"storage_offset, tuple of ints size, tuple of ints stride = None), "
                            f"(Tensor source), (Tensor source, int storage_offset, tuple of "
                            f"ints size, tuple of ints stride = None)")
        if root is not None:
            pass
        elif storage_offset is None:
            size, (stride, offset) = default
        else:
            if size is None:
                raise TypeError("set_() missing the size: set_(source, storage_offset, size, "
                                "stride=None)")
            size = _ints(size, "size", 3, "set_")
            stride = _strides(size, False) if stride is None else \
                _ints(stride, "stride", 4, "set_")
            offset = _offset(storage_offset, 2, "set_")
            _check(size, stride, offset, owner.itemsize, owner.nbytes)
    if self.requires_grad and self.grad_fn is None and autograd.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    graph = autograd.is_grad_enabled() and (
        self.requires_grad or isinstance(source, Tensor) and source.requires_grad)
    sources = (source,) if isinstance(source, Tensor) else ()
    node = ops.NoDerivative.apply(self, *sources, what="set_") if graph else None
    self.array = source.array if root is not None else \
        strided_view(owner, offset, tuple(size), tuple(stride), self.array.dtype)
    versions.bump(self.array)
    if node is not None:
        self.grad_fn = node.grad_fn
    for key in ("_storage_root", "_stands_for", "_torch_strides"):
        self.__dict__.pop(key, None)
    if root is not None:              # (its storage, strides and offset: torch's of source)
        self._storage_root = root
    elif source is not None:          # (strides given in torch's storage: torch's)
        self._torch_strides = True
    self.__dict__.pop("_view", None)             # no longer a view of what it was made from
    for v in list(self.__dict__.pop("_views", ())):
        if v.__dict__.get("_view", (None,))[0] is self:
            del v.__dict__["_view"]
    return self


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}
_CPP_NAMES = _SCALAR_TYPE_NAMES


def resize(self, *size, **keyword):
    """Deprecated in torch (a UserWarning): ``reshape`` that insists on the same number of
    elements (a new tensor; the same memory where a view can be made)."""
    size = listed("resize", size, keyword, "size")
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=warn_level(2))
    return _same_count_reshape(self, size)


def resize_as(self, tensor):
    """Deprecated in torch (a UserWarning): :func:`resize` to ``tensor``'s shape."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=warn_level(2))
    return _same_count_reshape(self, tuple(tensor.size()))


def _same_count_reshape(self, size):
    if math.prod(size) != self.array.size:
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, size))} ({math.prod(size)} elements in "
            f"total), but the given tensor has a size of {'x'.join(map(str, self.shape))} "
            f"({self.array.size} elements). autograd's resize can only change the shape of a "
            f"given tensor, while preserving the number of elements. ")
    return self.reshape(size)


def _strides(size, last):
    """C-order strides of ``size`` in elements, or channels-last ones ((N, C, H, W) stored as
    (N, H, W, C), (N, C, D, H, W) as (N, D, H, W, C))."""
    order = (0, *range(2, len(size)), 1) if last else tuple(range(len(size)))
    stride, step = [0] * len(size), 1
    for k in reversed(order):
        stride[k] = step
        step *= max(size[k], 1)
    return tuple(stride)


def _resize(t, size, stride):
    dtype = t.array.dtype
    offset, capacity = _place(t.array)        # (no array held here: see _shared)
    numel = math.prod(size)
    needed = offset + numel if numel else 0
    if needed * dtype.itemsize > capacity:
        if _shared(t):
            raise RuntimeError(
                "resize_: this tensor's storage is shared (a view of it or it a view of "
                "another, .data, detach(), from_numpy's array): growing it would give it new "
                "memory the others would not see (torch grows the shared storage for all); "
                "resize a clone() instead")
        grown = np.full(needed, memory_fill(dtype), dtype)   # (the new part stays so)
        grown.view(np.uint8)[:capacity] = storage_of(t.array)[0].reshape(-1, order="A") \
            .view(np.uint8)
        versions.carry(t.array, grown)
        owner = grown
    else:
        owner = storage_of(t.array)[0]
    changed = size != t.shape
    t.array = strided_view(owner, offset, size, stride, dtype)
    if changed:                  # (as torch: new strides alone are not counted as a change)
        versions.bump(t.array)
    _views_by_place(t)


def _place(array):
    """(storage offset in elements, storage size in bytes) of ``array``."""
    return element_geometry(array)[1], storage_of(array)[0].nbytes


def _shared(t):
    """Whether anything besides ``t`` refers to ``t``'s memory: the array at the end of its
    ``.base`` chain is referred to only by ``t.array`` (or by ``t.array.base``, one link) and
    by this frame — and by the arrays the library's buffer pool keeps over it for reuse, which
    no one uses while ``t`` does (see :mod:`tinygrad_sgd.kernels.buffers`)."""
    array = t.array
    raw = versions.memory_owner(array)
    if raw is array:                   # t's slot, `array`, `raw`, getrefcount's argument
        return sys.getrefcount(raw) > 4
    kept = buffers.kept_over(raw) if buffers.span(raw) is not None else []
    itself = any(a is array for a in kept)
    # array: t's slot, `array`, getrefcount's argument (and the pool's list if it keeps it);
    # raw: array.base, `raw`, getrefcount's argument, and the pool's other arrays over it
    return sys.getrefcount(array) > 3 + itself or sys.getrefcount(raw) > 3 + len(kept) - itself


def _views_by_place(t):
    """A view's (or a base's views') way of being made again from its base now goes by
    storage place (as_strided), since the resized tensor's shape no longer fits the view ops
    that made it (see ``_record_view``): an in-place write in a graph keeps reaching the right
    elements, or is refused where the base is not its whole storage."""
    view = t.__dict__.get("_view")
    if view is not None:
        t._view = (view[0], _replay_by_place(view[0], t))
    for v in list(t.__dict__.get("_views", ())):
        remake = v.__dict__.get("_view")
        if remake is not None and remake[0] is t:
            v._view = (t, _replay_by_place(t, v))


def _replay_by_place(base, view):
    if not np.may_share_memory(base.array, view.array) or \
            not ops.AsStrided.replayable(base):
        return None
    stride, offset = element_geometry(view.array)
    size = view.shape

    def again(x):
        return ops.AsStrided.apply(x, size, stride, offset)
    return again


def is_set_to(self, tensor):
    """True if both tensors are the same view of the same storage (offset, sizes, strides)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_set_to(): argument 'tensor' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    from ..creation import torch_geometry
    mine, theirs = torch_geometry(self), torch_geometry(tensor)
    if self.shape != tensor.shape or (mine is None) != (theirs is None):
        return False
    if mine is not None:             # (torch's storage: the same root, at the same place)
        return mine[0] is theirs[0] and mine[1:] == theirs[1:]
    (a, start_a), (b, start_b) = storage_of(self.array), storage_of(tensor.array)
    same = a is b or (a.nbytes and a.nbytes == b.nbytes and           # (a flat view made
                      a.__array_interface__["data"] == b.__array_interface__["data"]) # anew)
    return bool(same) and start_a == start_b and self.stride() == tensor.stride()


for _fn in (resize_, resize_as_, resize, resize_as, set_, is_set_to):
    setattr(Tensor, _fn.__name__, _fn)
