"""A tensor's storage, as torch shows it: ``t.storage()`` (a ``TypedStorage``: the elements of
the memory the tensor views, in order, from its first to its last) and ``t.untyped_storage()``
(an ``UntypedStorage``: the same memory as bytes). The makemore lecture prints one to show that
``view`` shares memory::

    >>> a = tg.arange(6).view(2, 3)
    >>> a[1].storage().data_ptr() == a.storage().data_ptr()
    True

Here a storage is the NumPy array owning the tensor's memory (:func:`..ops.strided.storage_of`),
seen as one flat run. Reading it is reading the tensor's memory; writing an element writes it
(no version bump: torch's storages do not count as in-place ops either). For a result kept in
the library's own memory order (a convolution's, pooling's or resampling's: contiguous in
torch) and its views, the storage is torch's — the result's values in row-major order, a copy
(:func:`..ops.strided.torch_storage`) whose ``data_ptr()`` is the result's memory's, as every
view's storage shares one; writing into it, or into the result while it lives, is refused.
As torch, ``storage()`` warns once that ``TypedStorage`` is deprecated. ``t.storage_type()`` is the
legacy class of t's storage (``FloatStorage``, ``LongStorage``, ...)."""
import warnings

import numpy as np

from . import versions
from .errors import warn_level
from .tensor import Tensor

__all__ = ["TypedStorage", "UntypedStorage"]

_warned = False


def _namespace():
    from .printing import OPTIONS
    return "torch.storage" if OPTIONS.namespace == "torch" else f"{OPTIONS.namespace}.storage"


class _Storage:
    """The flat memory (a 1-d array of ``_flat``'s dtype) a tensor views."""

    def __init__(self, flat, ptr=None):
        self._flat, self._ptr = flat, ptr     # (ptr: the memory a copy stands for)

    def __len__(self):
        return self._flat.size

    def size(self):
        return self._flat.size

    def nbytes(self):
        return self._flat.nbytes

    def element_size(self):
        return self._flat.itemsize

    def data_ptr(self):
        """The address of the memory's first byte: the same for every tensor viewing it."""
        return self._flat.__array_interface__["data"][0] if self._ptr is None else self._ptr

    @property
    def device(self):
        from .device import CPU
        return CPU

    def is_shared(self):
        return False

    def __getitem__(self, i):
        value = self._flat[i]
        return value.tolist() if isinstance(value, np.ndarray) else value.item()

    def __setitem__(self, i, value):
        if versions.has_copy_views(self._flat):    # (torch's storage of a result kept in the
            raise RuntimeError(                   # library's order: a copy of it)
                "this storage is a copy of a result kept in the library's own memory order "
                "(a convolution's, pooling's or resampling's), standing for torch's storage "
                "of it: writing into it would not change the result as torch's does. Write "
                "into the tensor, or into a clone()'s storage.")
        self._flat[i] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._flat.tolist()

    def _repr(self, header):
        body = " " + "\n ".join(str(v) for v in self.tolist())
        return f"{body}\n[{header} of size {len(self)}]"


class TypedStorage(_Storage):
    """``t.storage()``: the elements of t's memory, of t's dtype."""

    @property
    def dtype(self):
        from .dtypes import as_dtype
        return as_dtype(self._flat.dtype)

    def __repr__(self):
        return self._repr(f"{_namespace()}.TypedStorage(dtype={self.dtype}, device=cpu)")

    def untyped(self):
        return UntypedStorage(self._flat.view(np.uint8), self._ptr)


class UntypedStorage(_Storage):
    """``t.untyped_storage()``: the bytes of t's memory."""

    def __repr__(self):
        return self._repr(f"{_namespace()}.UntypedStorage(device=cpu)")


def _flat(t):
    """``(flat, ptr)``: the memory t's array views, as one flat array of t's dtype — or
    torch's storage of t where that is not t's memory (``ops.strided.torch_storage``: a copy,
    with ``ptr`` the address of the memory it stands for; else None)."""
    from .creation import torch_geometry
    from .ops.strided import torch_storage
    place = torch_geometry(t)
    if place is not None:
        return torch_storage(t, place)[0], place[0].__array_interface__["data"][0]
    return _memory(t), None


def _memory(t):
    """The memory t's array views (its NumPy memory), as one flat array of t's dtype."""
    from .ops.strided import storage_of
    owner, _ = storage_of(t.array)
    return owner.reshape(-1, order="A").view(t.array.dtype)


def _warn_typed_storage_removal():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and "
                      "UntypedStorage will be the only storage class. This should only matter "
                      "to you if you are using storages directly.  To access UntypedStorage "
                      "directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=warn_level(3))


def storage(self):
    """``Tensor.storage()``: a :class:`TypedStorage` (with torch's one-time deprecation
    warning)."""
    _warn_typed_storage_removal()
    return TypedStorage(*_flat(self))


class _LegacyStorageType(type):
    """The type of ``FloatStorage``, ``LongStorage``, ...: a storage is one of them when its
    dtype is theirs, as torch's."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, TypedStorage) and obj._flat.dtype == cls._numpy

    def __repr__(cls):
        return f"<class '{_namespace().rsplit('.', 1)[0]}.{cls.__name__}'>"


_LEGACY = {np.dtype(n): name + "Storage" for n, name in [
    ("float32", "Float"), ("float64", "Double"), ("float16", "Half"), ("int64", "Long"),
    ("int32", "Int"), ("int16", "Short"), ("int8", "Char"), ("uint8", "Byte"),
    ("bool", "Bool")]}
LEGACY_STORAGES = {name: _LegacyStorageType(name, (TypedStorage,), {
    "_numpy": d, "__module__": "tinygrad_sgd", "__doc__": f"torch.{name}: storages of {d}"})
    for d, name in _LEGACY.items()}


def storage_type(self):
    """The legacy class of the tensor's storage: ``FloatStorage`` for float32, ``LongStorage``
    for int64, ... (None for a dtype without one, uint16 say, as torch); with ``storage()``'s
    one-time deprecation warning."""
    _warn_typed_storage_removal()
    return LEGACY_STORAGES.get(_LEGACY.get(self.array.dtype))


def untyped_storage(self):
    """``Tensor.untyped_storage()``: an :class:`UntypedStorage`."""
    flat, ptr = _flat(self)
    return UntypedStorage(flat.view(np.uint8), ptr)


Tensor.storage = storage
Tensor.untyped_storage = untyped_storage
Tensor.storage_type = storage_type
