"""PyTorch's own checkpoint format, read and written without torch: what ``torch.save``
wrote loads here, and what :func:`tinygrad_sgd.save` writes loads in torch.

A torch checkpoint (torch ≥ 1.6) is a zip archive, every entry under one folder (named after
the file)::

    model/data.pkl        the saved object, pickled; each tensor's bytes are left out
    model/data/0, 1, ...  the storages: each one's raw little-endian bytes (each starting at a
                          multiple of 64 bytes in the file)
    model/byteorder       "little" (older files lack it: little-endian too)
    model/version, ...    (not needed to read it)

In ``data.pkl`` a tensor is the call ``torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, hooks)``, where ``storage`` is a *persistent id* — ``("storage",
torch.FloatStorage, "0", "cpu", numel)`` — that names a file of ``data/``; a Parameter wraps
that in ``_rebuild_parameter(tensor, requires_grad, hooks)``; a state_dict is an
``OrderedDict`` (with its ``_metadata``).

Unpickling can run any code a file names, so this reader, as torch's ``weights_only=True``
(its default since 2.6), builds only what a checkpoint of weights holds: the tensor and
parameter rebuilders, the storage types, ``OrderedDict``, ``torch.Size`` and
``torch.device``, and plain values. Anything else (a whole pickled ``nn.Module``, a class of
the user's) is refused with :class:`~tinygrad_sgd.serialization.CheckpointError`, naming it.

Tensors that shared a storage when saved (views of one tensor) share memory when loaded, as
torch's. Every tensor comes back on the CPU, as one of our Tensors.

Writing (:func:`save_torch_checkpoint`) is the same in reverse: pickle's own pure-Python
pickler, whose names torch's rebuilders are written under without importing torch; each
array's storage is the array its memory belongs to, so views saved together share one.
"""
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

__all__ = ["is_torch_checkpoint", "load_torch_checkpoint", "starts_as_a_pickle",
           "save_torch_checkpoint", "can_save"]

# torch's storage types → NumPy dtypes (bfloat16 and the complex and quantized types have none
# here: refused below)
_STORAGES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
             "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
             "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


_DTYPES_V3 = {"uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}  # (no legacy
# storage type: torch writes these with _rebuild_tensor_v3 over an UntypedStorage of bytes)


class _StorageType:
    """Stands for ``torch.FloatStorage`` and the like inside a persistent id."""

    def __init__(self, name):
        self.name = name


class _Size(tuple):
    """``torch.Size(...)`` in a pickle: a tuple."""


def _device(*args):
    """``torch.device(...)`` in a pickle (an optimizer's state may hold one): its string."""
    return ":".join(str(a) for a in args)


def is_torch_checkpoint(f):
    """True when ``f`` (a path or a seekable binary file) is a zip archive with a
    ``data.pkl`` entry: torch's format. The file's position is put back."""
    at = f.tell() if hasattr(f, "read") else None
    try:
        if not zipfile.is_zipfile(f):
            return False
        if at is not None:
            f.seek(at)
        with zipfile.ZipFile(f) as z:
            return any(n == "data.pkl" or n.endswith("/data.pkl") for n in z.namelist())
    finally:
        if at is not None:
            f.seek(at)


def starts_as_a_pickle(f):
    """True when ``f`` starts with a pickle's protocol opcode (``0x80``): torch's format before
    1.6 (``_use_new_zipfile_serialization=False``) or any pickle, which are not read here."""
    if hasattr(f, "read"):
        at = f.tell()
        head = f.read(2)
        f.seek(at)
    else:
        with open(f, "rb") as file:
            head = file.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def load_torch_checkpoint(f, name, cuda_error):
    """The object a ``torch.save`` file holds, its tensors as our Tensors (Parameters as
    Parameters). ``name``: the file's name for messages; ``cuda_error``: None, or the error to
    raise for a tensor saved on a CUDA device (torch's, when no ``map_location`` was given)."""
    from .serialization import CheckpointError
    with zipfile.ZipFile(f) as z:
        pkl = next(n for n in z.namelist() if n == "data.pkl" or n.endswith("/data.pkl"))
        prefix = pkl[:-len("data.pkl")]
        names = set(z.namelist())
        if prefix + "byteorder" in names and z.read(prefix + "byteorder").strip() != b"little":
            raise CheckpointError(f"{name}: a big-endian torch checkpoint is not supported")
        storages = {}

        def storage(saved_id):
            if not (isinstance(saved_id, tuple) and len(saved_id) == 5 and
                    saved_id[0] == "storage" and isinstance(saved_id[1], _StorageType)):
                raise CheckpointError(f"{name}: unknown persistent id {saved_id!r:.80} in "
                                      f"data.pkl")
            _, kind, key, location, numel = saved_id
            if str(location).startswith("cuda") and cuda_error is not None:
                raise cuda_error
            if key not in storages:
                dtype = np.uint8 if kind.name == "UntypedStorage" else _STORAGES.get(kind.name)
                if dtype is None:
                    raise CheckpointError(f"{name}: torch.{kind.name} tensors (a dtype "
                                          f"tinygrad_sgd does not have) cannot be loaded")
                data = bytearray(z.read(f"{prefix}data/{key}"))
                storages[key] = np.frombuffer(data, dtype)[:numel]
            return storages[key]
        return _Unpickler(z.open(pkl), storage, name).load()


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None,
                    metadata=None):
    """torch's ``_rebuild_tensor_v2``: a view of the storage, as torch's."""
    from .tensor import Tensor
    item = storage.itemsize
    if len(size) and min(size) == 0:
        array = np.empty(tuple(size), storage.dtype)
    else:
        end = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if offset < 0 or end > storage.size or any(s < 0 for s in stride):
            from .serialization import CheckpointError
            raise CheckpointError(f"a tensor of size {tuple(size)} and stride {tuple(stride)} at "
                                  f"offset {offset} reaches past its storage of "
                                  f"{storage.size}")
        array = np.lib.stride_tricks.as_strided(storage[offset:], tuple(size),
                                                tuple(s * item for s in stride))
    t = Tensor._of(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype):
    """torch's ``_rebuild_tensor_v3``: the storage is bytes, the dtype given apart."""
    if not isinstance(dtype, np.dtype):
        from .serialization import CheckpointError
        raise CheckpointError(f"a tensor of dtype {dtype!r} (not one tinygrad_sgd has)")
    return _rebuild_tensor(storage.view(dtype), offset, size, stride, requires_grad)


def _rebuild_parameter(data, requires_grad, hooks=None, state=None):
    from .nn.module import Parameter
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch's wrapper for a tensor of a plain Tensor type: the tensor itself."""
    return func(*args)


def _tensor_type(*args):
    return None    # (torch.Tensor, as _rebuild_from_type_v2's new_type: not used)


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Tensor"): _tensor_type,
    ("torch.nn.parameter", "Parameter"): _tensor_type,
    ("collections", "OrderedDict"): OrderedDict,
    ("torch", "Size"): _Size,
    ("torch", "device"): _device,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, storage, name):
        super().__init__(file, encoding="utf-8")
        self._storage, self._name = storage, name

    def find_class(self, module, name):
        if module in ("torch", "torch.storage") and name.endswith("Storage"):
            return _StorageType(name)
        if module == "torch" and name in _DTYPES_V3:
            return np.dtype(_DTYPES_V3[name])
        found = _ALLOWED.get((module, name))
        if found is None:
            from .serialization import CheckpointError
            raise CheckpointError(f"{self._name}: the checkpoint holds {module}.{name}, which "
                                  f"only a full unpickling could build (a pickled model or a "
                                  f"class of its own): tinygrad_sgd.load reads weights — "
                                  f"tensors in dicts, lists and tuples — as torch's "
                                  f"weights_only=True does. Save model.state_dict() instead")
        return found

    def persistent_load(self, saved_id):
        return self._storage(saved_id)


# ----------------------------------------------------------------------------- writing
# What :func:`save_torch_checkpoint` writes is what torch 2.x's ``torch.save`` writes for the
# same object: torch's ``torch.load`` (``weights_only=True``, its default) reads it.

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
    ("torch._utils", "_rebuild_parameter"))}


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
        self.storages, self._keys, self._globals = {}, {}, {}

    def _save_global_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)
    dispatch[_Global] = _save_global_name

    def _storage_kind(self, name, module="torch"):
        key = (module, name)
        if key not in self._globals:
            self._globals[key] = _Global(module, name)
        return self._globals[key]

    def reducer_override(self, obj):
        from .nn.module import Parameter
        if isinstance(obj, _Data):
            return self._tensor(obj.array, False)
        array = _array_of(obj)
        if array is None:
            return NotImplemented
        if isinstance(obj, Parameter) or type(obj).__name__ == "Parameter":   # (or torch's)
            return _TORCH["_rebuild_parameter"], (_Data(array), bool(obj.requires_grad),
                                                   OrderedDict())
        return self._tensor(array, bool(getattr(obj, "requires_grad", False)))

    def _tensor(self, array, requires_grad):
        dtype = array.dtype
        if dtype not in _STORAGE_OF and dtype not in _V3_OF:
            raise TypeError(f"save: arrays of dtype {dtype} cannot be saved (only bool, "
                            f"integer and float arrays)")
        root, offset, stride = _in_storage(array)
        key = self._keys.get(id(root))
        if key is None:
            key = self._keys[id(root)] = str(len(self.storages))
            self.storages[key] = root
        if dtype in _STORAGE_OF:
            pid = ("storage", self._storage_kind(_STORAGE_OF[dtype]), key, "cpu", root.size)
            return _TORCH["_rebuild_tensor_v2"], (_Pid(pid), offset, array.shape, stride,
                                                  requires_grad, OrderedDict())
        pid = ("storage", self._storage_kind("UntypedStorage", "torch.storage"), key, "cpu",
               root.nbytes)
        return _TORCH["_rebuild_tensor_v3"], (_Pid(pid), offset, array.shape, stride,
                                              requires_grad, OrderedDict(),
                                              self._storage_kind(_V3_OF[dtype]))

    def persistent_id(self, obj):
        return obj.saved_id if type(obj) is _Pid else None


class _Pid:
    """A storage's persistent id, to be written as one (BINPERSID)."""

    def __init__(self, saved_id):
        self.saved_id = saved_id


def _array_of(value):
    from .serialization import _array_of as array_of
    return array_of(value)


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


def save_torch_checkpoint(obj, out, archive="archive"):
    """Write ``obj`` (checked by the caller: ``..serialization._checked``) to the binary file
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
                at = out.tell() + 30 + len(info.filename.encode("utf-8"))
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
