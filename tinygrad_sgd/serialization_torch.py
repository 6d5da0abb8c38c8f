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
(its default since 2.6), builds only what that allows: the tensor and parameter rebuilders,
the storage types, ``OrderedDict`` (with a state_dict's ``_metadata``), ``Counter``, ``set``,
``complex``, bytes, dtypes, ``torch.Size``, ``torch.device`` and ``torch.strided`` (as ours),
and plain values. Anything else (a whole pickled ``nn.Module``, a class of the user's, a
NumPy array or scalar) is refused with torch's ``pickle.UnpicklingError``,
naming it and the file — as are tensors of a dtype or kind we don't have (bfloat16, complex, float8;
sparse, quantized). Whole objects (``weights_only=False``, or classes marked safe) are read by
:mod:`.serialization_objects`, with the same tensor rebuilders.

Tensors that shared a storage when saved (views of one tensor) share memory when loaded, as
torch's. Every tensor comes back on the CPU, as one of our Tensors.

Writing (:func:`save_torch_checkpoint`) is the same in reverse: see
:mod:`.serialization_torch_write`.
"""
import pickle
import re
import zipfile
from collections import Counter, OrderedDict

import numpy as np

from .serialization_torch_write import (_STORAGES, ALIGNMENT, archive_name, can_save,
                                        save_torch_checkpoint)

__all__ = ["is_torch_checkpoint", "load_torch_checkpoint", "starts_as_a_pickle",
           "save_torch_checkpoint", "can_save", "archive_name", "ALIGNMENT", "known_global",
           "default_safe", "read_pickle"]

class _StorageType:
    """Stands for ``torch.FloatStorage`` and the like inside a persistent id."""

    def __init__(self, name):
        self.name = name


def _size(*args):
    """``torch.Size(...)`` in a pickle: our Size."""
    from .size import Size
    return Size(*args)


def _device(*args):
    """``torch.device(...)`` in a pickle (an optimizer's state may hold one): our device."""
    from .device import device
    return device(*args)


def _layout(name):
    """``torch.strided`` in a pickle (``torch.serialization._get_layout("torch.strided")``)."""
    from .memory_layout import strided
    if name != "torch.strided":
        from .serialization import CheckpointError
        raise CheckpointError(f"the checkpoint holds the layout {name} (tinygrad_sgd has "
                              f"torch.strided only)")
    return strided


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


def load_torch_checkpoint(f, name, check_location=None, unpickler=None):
    """The object a ``torch.save`` file holds, its tensors as our Tensors (Parameters as
    Parameters). ``name``: the file's name for messages; ``check_location``: called with each
    storage's saved location ("cpu", "cuda:0"), to raise torch's error where ``map_location``
    leaves it on a device that is not the CPU; ``unpickler``: the class that reads
    ``data.pkl``, called ``(file, storage, name)`` — by default the one that builds weights
    only (:class:`_Unpickler`); :mod:`.serialization_objects` has the one for whole objects."""
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
            if check_location is not None:
                check_location(str(location))
            dtype = np.uint8 if kind.name == "UntypedStorage" else _STORAGES.get(kind.name)
            if dtype is None:
                raise CheckpointError(f"{name}: torch.{kind.name} tensors (a dtype "
                                      f"tinygrad_sgd does not have) cannot be loaded: "
                                      f"{_CONVERT}")
            if key not in storages:         # (as torch's: the first dtype a storage is read
                data = bytearray(z.read(f"{prefix}data/{key}"))    # as is the one it keeps)
                storages[key] = np.frombuffer(data, dtype)[:numel]
            return storages[key]
        with z.open(pkl) as data:      # (closed here, a refusal raised inside it too)
            return (unpickler or _Unpickler)(data, storage, name).load()


def read_pickle(f):
    """The bytes of ``data.pkl`` in the torch checkpoint ``f`` (for listing its globals)."""
    with zipfile.ZipFile(f) as z:
        return z.read(next(n for n in z.namelist() if n == "data.pkl" or
                           n.endswith("/data.pkl")))


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
    from .creation import strides_as_given
    t = strides_as_given(Tensor._of(array))     # (torch's strides, as saved)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype):
    """torch's ``_rebuild_tensor_v3``: the storage is bytes, the dtype (ours) given apart."""
    from .dtypes import DType
    if not isinstance(dtype, DType):
        from .serialization import CheckpointError
        raise CheckpointError(f"a tensor of dtype {dtype!r} (not one tinygrad_sgd has)")
    item = dtype.itemsize
    return _rebuild_tensor(storage[:storage.size // item * item].view(dtype.dtype), offset,
                           size, stride, requires_grad)


def _rebuild_meta_tensor(dtype, size, stride, requires_grad=False):
    """torch's ``_rebuild_meta_tensor_no_storage``: a meta tensor (no values were written) of
    that dtype, size and stride."""
    from .dtypes import DType
    from .meta import make
    if not isinstance(dtype, DType):
        from .serialization import CheckpointError
        raise CheckpointError(f"a meta tensor of dtype {dtype!r} (not one tinygrad_sgd has)")
    t = make(tuple(size), dtype.dtype, strides=tuple(stride))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, hooks=None, state=None):
    from .nn.module import Parameter
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch's wrapper for a tensor of a plain Tensor type: the tensor itself, with the
    attributes saved with it (an ``nn.Buffer``'s ``persistent`` and ``_is_buffer``) — plain
    values, never one of the Tensor's own."""
    from .tensor import Tensor
    t = func(*args)
    if isinstance(state, dict) and isinstance(t, Tensor):
        for k, v in state.items():
            if isinstance(k, str) and k != "array" and not hasattr(Tensor, k) and \
                    type(v) in (bool, int, float, str, type(None)):
                setattr(t, k, v)
    return t


def _tensor_type(*args):
    return None    # (torch.Tensor, as _rebuild_from_type_v2's new_type: not used)


def _encode(text, encoding="utf-8"):
    """``_codecs.encode(str, "latin1")``: how a protocol-2 pickle writes bytes."""
    import codecs
    if encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        from .serialization import CheckpointError
        raise CheckpointError(f"the checkpoint encodes bytes as {encoding!r}")
    return codecs.encode(text, encoding)


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_meta_tensor_no_storage"): _rebuild_meta_tensor,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Tensor"): _tensor_type,
    ("torch.nn.parameter", "Parameter"): _tensor_type,
    ("torch.serialization", "_get_layout"): _layout,
    ("collections", "OrderedDict"): OrderedDict,
    ("collections", "Counter"): Counter,
    ("torch", "Size"): _size,
    ("torch", "device"): _device,
    ("builtins", "set"): set,
    ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray,
    ("_codecs", "encode"): _encode,
}   # (torch's weights_only=True list, less the dtypes and kinds of tensor we don't have)
_OUR_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
               "uint16", "uint32", "uint64", "bool")
_TORCH_DTYPE = re.compile(r"b?float\d.*|c?half|cfloat|cdouble|complex\d*|q?u?int\d.*|bits\d.*")
_CONVERT = ("convert them before saving (.float() for bfloat16 and float8; torch.view_as_real "
            "for complex)")
_TENSOR_KINDS = {"_rebuild_sparse_tensor": "sparse", "_rebuild_sparse_csr": "sparse",
                 "_rebuild_qtensor": "quantized", "_rebuild_nested_tensor": "nested"}


def known_global(module, name, file_name):
    """What a name of torch's weights-only list (``module``, ``name``) builds here — a tensor
    rebuilder, a storage type, one of our dtypes, ``OrderedDict``, ... — or None for any other
    name; the tensors and dtypes we don't have raise :class:`CheckpointError`, naming them."""
    from .serialization import CheckpointError
    if module in ("torch", "torch.storage") and name.endswith("Storage"):
        return _StorageType(name)
    if module == "torch" and name in _OUR_DTYPES:
        from .dtypes import as_dtype
        return as_dtype(name)
    if module == "torch" and _TORCH_DTYPE.fullmatch(name):
        raise CheckpointError(f"{file_name}: the checkpoint holds torch.{name} (tensors or a "
                              f"value of a dtype tinygrad_sgd does not have): {_CONVERT}")
    if module == "torch._utils" and name in _TENSOR_KINDS:
        raise CheckpointError(f"{file_name}: the checkpoint holds a {_TENSOR_KINDS[name]} "
                              f"tensor ({module}.{name}), a kind tinygrad_sgd does not have: "
                              f"save a dense tensor (.to_dense(), .dequantize())")
    return _ALLOWED.get((module, name))


def default_safe(module, name):
    """Whether torch's ``weights_only=True`` allows the global ``module.name`` by default."""
    return (module, name) in _ALLOWED or (module == "torch._utils" and name in _TENSOR_KINDS) \
        or (module in ("torch", "torch.storage") and name.endswith("Storage")) \
        or (module == "torch" and (name in _OUR_DTYPES or _TORCH_DTYPE.fullmatch(name)))


class _Unpickler(pickle.Unpickler):
    """Reads ``data.pkl`` building only what torch's ``weights_only=True`` builds by default
    (the program's own safe globals: :mod:`.serialization_objects`)."""

    def __init__(self, file, storage, name):
        super().__init__(file, encoding="utf-8")
        self._storage, self._name = storage, name

    def find_class(self, module, name):
        from .serialization_objects import weights_only_error
        module = "builtins" if module == "__builtin__" else module   # (protocol 2's name)
        found = known_global(module, name, self._name)
        if found is None:
            raise weights_only_error(module, name, self._name)
        return found

    def persistent_load(self, saved_id):
        return self._storage(saved_id)
