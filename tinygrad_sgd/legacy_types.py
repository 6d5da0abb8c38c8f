"""torch's typed tensor classes: ``FloatTensor``, ``DoubleTensor``, ``HalfTensor``,
``LongTensor``, ``IntTensor``, ``ShortTensor``, ``CharTensor``, ``ByteTensor``, ``BoolTensor``.

Old code (and tutorials still read today) makes tensors of one dtype with them and asks for a
dtype with ``isinstance``::

    torch.LongTensor(np_int32_array)       # an int64 tensor (shares a NumPy array of its dtype)
    torch.FloatTensor([1, 2])              # tensor([1., 2.])
    torch.FloatTensor(2, 3)                # a (2, 3) float32 tensor (torch: uninitialised;
                                           # here: zeros)
    isinstance(x, torch.LongTensor)        # x is a tensor of dtype int64
    x.type(torch.LongTensor)               # x.to(torch.int64)

As in torch, a tensor made by one of them is a plain ``Tensor`` (``type(...)`` is ``Tensor``),
and the classes are not subclasses of ``Tensor``. The constructor takes torch's legacy forms:
nothing (an empty tensor), sizes (ints or a ``Size``), a sequence or NumPy array (converted to
the dtype, floats truncated toward zero for the integer types), or a tensor of that very dtype
(the same memory; another dtype is torch's TypeError); only ``device=`` as a keyword.
"""
import numbers
import warnings

import numpy as np

from .errors import warn_level, warn_not_writable
from .device import check_device
from .dtypes import (bool_, float16, float32, float64, int8, int16, int32, int64,
                     legacy_sized_array, uint8)
from .size import Size
from .tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "set_default_tensor_type",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]

# torch's TypeError for a tensor of another dtype names the C++ scalar types
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _options(name):
    return (f"TensorOptions(dtype={_CPP_NAMES.get(name, name)}, device=cpu, layout=Strided, "
            f"requires_grad=false (default), pinned_memory=false (default), "
            f"memory_format=(nullopt))")


class LegacyTensorType(type):
    """The type of ``FloatTensor``, ``LongTensor``, ...: calling one makes a tensor of its dtype;
    ``isinstance(x, LongTensor)`` is true for a tensor of dtype int64."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.array.dtype == cls.dtype.dtype

    def __call__(cls, *args, device=None, **kwargs):
        if kwargs:
            got = ", ".join([type(a).__name__ for a in args] +
                            [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
            raise TypeError(f"new() received an invalid combination of arguments - got ({got}), "
                            f"but expected one of: (*, torch.device device = None), "
                            f"(torch.Storage storage), (Tensor other), "
                            f"(tuple of ints size, *, torch.device device = None), "
                            f"(object data, *, torch.device device = None)")
        check_device(device)
        return Tensor._of(cls._array(args))

    def _array(cls, args):
        dtype = cls.dtype.dtype
        if not args:
            return np.empty(0, dtype)
        first = args[0]
        if len(args) > 1 or isinstance(first, (int, np.integer)) and not isinstance(first, bool):
            return legacy_sized_array(*_ints(args), dtype)
        if isinstance(first, Size):
            return legacy_sized_array(*_ints(first), dtype) if len(first) else np.zeros((), dtype)
        if isinstance(first, Tensor):
            if first.array.dtype != dtype:
                raise TypeError(f"expected {_options(dtype.name)} (got "
                                f"{_options(first.array.dtype.name)})")
            return first.array
        if isinstance(first, (numbers.Number, np.generic)) or first is None:
            raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
        if isinstance(first, str):
            raise TypeError(f"new(): invalid data type '{type(first).__name__}'")
        if isinstance(first, np.ndarray):
            if first.dtype.kind not in "biuf":
                raise TypeError(f"can't convert np.ndarray of type {first.dtype}")
            warn_not_writable(first)              # (torch's, once, copied or not)
            return first.astype(dtype, copy=False)
        from .creation import tensor
        return tensor(first, dtype=dtype).array

    def __repr__(cls):
        from .printing import OPTIONS
        return f"<class '{OPTIONS.namespace}.{cls.__name__}'>"


def _ints(sizes):
    """(first, rest) for legacy_sized_array, NumPy integers taken as Python ints."""
    sizes = tuple(int(n) if isinstance(n, np.integer) else n for n in sizes)
    return sizes[0], sizes[1:]


def _legacy_type(name, dtype):
    return LegacyTensorType(name, (), {"dtype": dtype, "__module__": __name__, "__doc__":
                                       f"Tensors of dtype {dtype.dtype.name} (torch.{name})."})


FloatTensor = _legacy_type("FloatTensor", float32)
DoubleTensor = _legacy_type("DoubleTensor", float64)
HalfTensor = _legacy_type("HalfTensor", float16)
LongTensor = _legacy_type("LongTensor", int64)
IntTensor = _legacy_type("IntTensor", int32)
ShortTensor = _legacy_type("ShortTensor", int16)
CharTensor = _legacy_type("CharTensor", int8)
ByteTensor = _legacy_type("ByteTensor", uint8)
BoolTensor = _legacy_type("BoolTensor", bool_)

_warned_default_type = False


def set_default_tensor_type(t, /):
    """Deprecated in torch (it warns once): ``set_default_dtype`` of a floating legacy type
    (``FloatTensor``, ``DoubleTensor``, ``HalfTensor``, or its name as a string)."""
    global _warned_default_type
    if not _warned_default_type:
        _warned_default_type = True
        warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please "
                      "use torch.set_default_dtype() and torch.set_default_device() as "
                      "alternatives.", UserWarning, stacklevel=warn_level(2))
    if isinstance(t, str):
        import importlib
        module, _, name = t.rpartition(".")
        t = getattr(importlib.import_module("tinygrad_sgd" if module == "torch" else module),
                    name)
    if not isinstance(t, LegacyTensorType):
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    if t.dtype.dtype.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    from .dtypes import set_default_dtype
    set_default_dtype(t.dtype)
