"""Writing torch's checkpoint format without torch (:func:`save_torch_checkpoint`, used by
:func:`tinygrad_sgd.save`): what it writes is what torch 2.x's ``torch.save`` writes for the
same object, and torch's ``torch.load`` (``weights_only=True``, its default) reads it.

pickle's own pure-Python pickler writes torch's names (its tensor and parameter rebuilders,
``torch.float32``, ``torch.device``, ``torch.Size``, ``torch.strided``) without importing
torch; each array's storage is the array its memory belongs to, so views saved together share
one, as torch's. The archive's layout is described in :mod:`.serialization_torch`.
"""
import os
import pickle
import re
import types
import zipfile
from collections import OrderedDict

import numpy as np

from .meta import MetaArray
from .dtypes import DType

__all__ = ["save_torch_checkpoint", "can_save", "archive_name", "ALIGNMENT"]

# torch's storage types → NumPy dtypes (bfloat16 and the complex and quantized types have none
# here: refused when read)
_STORAGES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
             "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
             "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}

_DTYPES_V3 = {"uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}  # (no legacy
# storage type: torch writes these with _rebuild_tensor_v3 over an UntypedStorage of bytes)


_STORAGE_OF = {np.dtype(v): k for k, v in _STORAGES.items()}
_V3_OF = {np.dtype(v): k for k, v in _DTYPES_V3.items()}
ALIGNMENT = 64            # torch starts each storage's bytes at a multiple of 64 in the file


def can_save(dtype):
    """Whether arrays of ``dtype`` have a torch dtype to be saved as."""
    return dtype in _STORAGE_OF or dtype in _V3_OF


class _Global:
    """A name in a module written into the pickle as is (``GLOBAL module name``), without
    importing the module (torch's, which the library never imports)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):        # (pickle asks that what it calls back be callable)
        raise TypeError(f"{self.module}.{self.name} is torch's: it runs in torch.load")


_TORCH = {name: _Global(module, name) for module, name in (
    ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"), ("torch", "device"), ("torch", "Size"),
    ("torch._utils", "_rebuild_meta_tensor_no_storage"),
    ("torch.serialization", "_get_layout"), ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch", "Tensor"))}


class _Data:
    """A tensor's array inside a Parameter (pickled as a tensor that needs no gradient)."""

    def __init__(self, array):
        self.array = array


class _Writer(pickle._Pickler):
    """pickle's own (pure Python) pickler, which lets a name be written without its module:
    tensors go out as torch's rebuild calls over persistent storage ids, their bytes kept in
    ``self.storages`` (key → a C-contiguous array) for the archive's ``data/`` entries."""
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages, self._keys, self._globals, self._roots = {}, {}, {}, []

    def _save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)
    dispatch[_Global] = _save_global_name

    def save_global(self, obj, name=None):
        """A class or function by reference; what this Python's C pickler (torch's) raises
        for one it can't find (``PicklingError``, or 3.11's ``AttributeError`` for a local
        object)."""
        try:
            super().save_global(obj, name)
        except pickle.PicklingError:
            pickle.dumps(obj, protocol=2)        # (raises the C pickler's own error)
            raise
    dispatch[types.FunctionType] = save_global

    def _storage_kind(self, name, module="torch"):
        key = (module, name)
        if key not in self._globals:
            self._globals[key] = _Global(module, name)
        return self._globals[key]

    def _save_dtype(self, obj):          # torch.float32 and the like: a name in torch
        self.save(self._storage_kind(obj.name))
    dispatch[DType] = _save_dtype

    def reducer_override(self, obj):
        from .device import device
        from .memory_layout import layout
        from .nn.module import Parameter
        from .size import Size
        from .tensor import Tensor
        from .tensor_pickle import warn_unsaved_hooks
        if isinstance(obj, (type, np.ndarray, np.generic)):
            return NotImplemented         # a class (Tensor itself, say) by its name; NumPy's
            # arrays and scalars as NumPy pickles them (``numpy._core.multiarray._reconstruct``,
            # ``...scalar``), as torch.save: not tensors, and weights_only=True refuses them
        if isinstance(obj, device):          # as torch's: torch.device("cuda", 1)
            return _TORCH["device"], (obj.type,) if obj.index is None else (obj.type, obj.index)
        if isinstance(obj, Size):
            return _TORCH["Size"], (tuple(int(n) for n in obj),)
        if isinstance(obj, layout):
            return _TORCH["_get_layout"], (f"torch.{obj.name}",)
        if isinstance(obj, _Data):
            return self._tensor(obj.array, False)
        array = _array_of(obj)
        if array is None:
            return NotImplemented
        if isinstance(obj, Parameter) or type(obj).__name__ == "Parameter":   # (or torch's)
            return _TORCH["_rebuild_parameter"], (_Data(array), bool(obj.requires_grad),
                                                   OrderedDict())
        if isinstance(obj, Tensor):
            warn_unsaved_hooks(obj)                      # (torch's __reduce_ex__ warns)
        rebuild = self._tensor(array, bool(getattr(obj, "requires_grad", False)),
                               _torch_place(obj))
        state = _attributes(obj)
        if state:         # (an nn.Buffer's persistent and _is_buffer: torch keeps them so)
            return _TORCH["_rebuild_from_type_v2"], (rebuild[0], _TORCH["Tensor"], rebuild[1],
                                                      state)
        return rebuild

    def _tensor(self, array, requires_grad, place=None):
        """``place``: ``creation.torch_geometry`` of the tensor, where torch's storage of it
        is not its NumPy memory (a result kept in the library's own order, or a view of
        one): that storage is written — the root's values, row-major, once for all its
        views — with torch's strides and offset."""
        if type(array) is MetaArray:
            return self._meta_tensor(array, requires_grad)
        dtype = array.dtype
        if dtype not in _STORAGE_OF and dtype not in _V3_OF:
            raise TypeError(f"save: arrays of dtype {dtype} cannot be saved (only bool, "
                            f"integer and float arrays)")
        if place is None:
            root, offset, stride = _in_storage(array)
        else:
            root, stride, offset = place
        key = self._keys.get(id(root))
        if key is None:
            key = self._keys[id(root)] = str(len(self.storages))
            self.storages[key] = root if place is None else np.array(root, order="C")
            self._roots.append(root)          # (kept: its id names its storage meanwhile)
        if dtype in _STORAGE_OF:
            pid = ("storage", self._storage_kind(_STORAGE_OF[dtype]), key, "cpu", root.size)
            return _TORCH["_rebuild_tensor_v2"], (_Pid(pid), offset, array.shape, stride,
                                                  requires_grad, OrderedDict())
        pid = ("storage", self._storage_kind("UntypedStorage", "torch.storage"), key, "cpu",
               root.nbytes)
        return _TORCH["_rebuild_tensor_v3"], (_Pid(pid), offset, array.shape, stride,
                                              requires_grad, OrderedDict(),
                                              self._storage_kind(_V3_OF[dtype]))

    def _meta_tensor(self, array, requires_grad):
        """A meta tensor, as torch writes one: no storage, the call
        ``_rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad)``."""
        from .dtypes import as_dtype
        if not can_save(array.dtype):
            raise TypeError(f"save: arrays of dtype {array.dtype} cannot be saved (only bool, "
                            f"integer and float arrays)")
        strides = array.torch_strides
        if strides is None:
            raise NotImplementedError("save: the strides of this view of a meta tensor are not "
                                      "followed by tinygrad_sgd (save a .contiguous() one)")
        return _TORCH["_rebuild_meta_tensor_no_storage"], (
            as_dtype(array.dtype), tuple(int(n) for n in array.shape),
            tuple(int(n) for n in strides), requires_grad)

    def persistent_id(self, obj):
        return obj.saved_id if type(obj) is _Pid else None


class _Pid:
    """A storage's persistent id, to be written as one (BINPERSID)."""

    def __init__(self, saved_id):
        self.saved_id = saved_id


def _attributes(t):
    """The attributes a program set on our Tensor ``t`` (``nn.Buffer``'s ``persistent`` and
    ``_is_buffer``), plain values only: what torch pickles as the tensor's state."""
    from .tensor import Tensor
    if not isinstance(t, Tensor):
        return {}
    return {k: v for k, v in vars(t).items() if k != "array" and not hasattr(Tensor, k)
            and type(v) in (bool, int, float, str, type(None))}


def _array_of(value):
    from .serialization import _array_of as array_of
    return array_of(value)


def _torch_place(obj):
    """creation.torch_geometry of a Tensor (None for anything else, or where its memory is
    torch's storage; None too where torch's layout of it is not known here: its values are
    written in its own memory's order, which torch reads back as the same values)."""
    from .tensor import Tensor
    if not isinstance(obj, Tensor) or type(obj.array) is MetaArray:
        return None
    from .creation import geometry_or_none
    return geometry_or_none(obj)


def _in_storage(array):
    """``(storage, offset, stride)`` of ``array`` in elements: the storage is the array its
    memory belongs to — the last C-contiguous array of its dtype down its ``.base`` chain,
    so that views of one tensor share one storage, as torch's — or, where its memory cannot be
    described so (negative or uneven strides, another dtype below it), a copy of its own."""
    item = array.dtype.itemsize
    root = array
    while isinstance(root.base, np.ndarray) and root.base.dtype == array.dtype:
        root = root.base
    if array.size and root.flags.c_contiguous and all(
            s >= 0 and s % item == 0 for s in array.strides):
        start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        end = start // item + sum((n - 1) * s // item for n, s in zip(array.shape,
                                                                      array.strides)) + 1
        if start >= 0 and start % item == 0 and end <= root.size:
            stride = tuple(s // item if n > 1 else _contiguous(array.shape)[i]
                           for i, (n, s) in enumerate(zip(array.shape, array.strides)))
            return root, start // item, stride
    own = np.ascontiguousarray(array)
    return own, 0, _contiguous(array.shape)


def _contiguous(shape):
    """A C-contiguous tensor's strides in elements (torch's, also for dimensions of size 1)."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def archive_name(path):
    """The folder ``torch.save(obj, path)`` puts the archive's entries in: the file's name up
    to its last dot (``a/ck.pth.tar`` → ``ck.pth``); "archive" for a path that is not ASCII
    (torch writes those through a Python file object), and for a name with nothing before its
    dot (``.pt``, which torch refuses)."""
    path = os.fsdecode(os.fspath(path))
    if not path.isascii():
        return "archive"
    base = re.split(r"[\\/]", path)[-1]
    return (base[:base.rfind(".")] if "." in base else base) or "archive"


def save_torch_checkpoint(obj, out, archive="archive"):
    """Write ``obj`` (weights checked by the caller, ``..serialization._checked``; or any
    picklable object, pickled as ``torch.save`` pickles it: its classes by reference, its
    tensors as torch's, NumPy's arrays and scalars as NumPy pickles them) to the binary file
    ``out`` in torch's zip format, its folder named ``archive`` (torch names it after the
    file, "archive" for a file object)."""
    import io
    data = io.BytesIO()
    writer = _Writer(data)
    writer.dump(obj)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        def put(name, payload):
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            if name.startswith("data/"):        # pad the local header: bytes start aligned
                # (z.fp: the file, or zipfile's own counting wrapper of an unseekable stream)
                at = z.fp.tell() + 30 + len(info.filename.encode("utf-8"))
                pad = -(at + 4) % ALIGNMENT
                info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
            z.writestr(info, payload)
        put("data.pkl", data.getvalue())
        put(".format_version", b"1")
        put(".storage_alignment", str(ALIGNMENT).encode())
        put("byteorder", b"little")
        for key, storage in writer.storages.items():     # (C-contiguous: in their order)
            put(f"data/{key}", storage.tobytes())
        put("version", b"3\n")
        put(".data/serialization_id", _serialization_id(data.getvalue()))


def _serialization_id(payload):
    """A 40-digit id of the file's contents (torch writes one; nothing reads it back)."""
    import hashlib
    return str(int(hashlib.sha1(payload).hexdigest(), 16))[:40].rjust(40, "0").encode()
