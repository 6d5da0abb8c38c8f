"""Tensor methods that convert: dtype (``to``, ``float()``, ``long()``, ``type()``) and device
(``to("cpu")``, ``cpu()``; any other device is refused: everything runs on the CPU)."""
import builtins
import numbers

import numpy as np

from ..autograd import forward_ad, is_grad_enabled
from ..device import META, check_device, device, not_compiled_with_cuda
from ..meta import MetaArray, is_meta, to_meta
from ..dtypes import DType, bfloat16 as _bfloat16, cast, complex32, complex64, complex128
from ..tensor import Tensor, tensor_method
from .memory_formats import MemoryFormat, preserve_format, to_memory_format

__all__ = []          # methods only (torch has no top-level to/float/...)


# torch's three overloads of Tensor.to, by the names of their positional arguments (each also
# takes ``memory_format=`` by keyword)
_TO_OVERLOADS = {"device": ("device", "dtype", "non_blocking", "copy"),
                 "dtype": ("dtype", "non_blocking", "copy"),
                 "tensor": ("tensor", "non_blocking", "copy")}
_TO_SIGNATURES = ("(torch.device device = None, torch.dtype dtype = None, bool non_blocking = "
                  "False, bool copy = False, *, torch.memory_format memory_format = None)",
                  "(torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
                  "torch.memory_format memory_format = None)",
                  "(Tensor tensor, bool non_blocking = False, bool copy = False, *, "
                  "torch.memory_format memory_format = None)")


def _is_dtype(value):
    """A dtype as ``to`` takes one: a library dtype, or NumPy's (a dtype or a scalar type), or
    Python's ``float``/``int``/``bool`` (float64, int64, bool, as torch reads them)."""
    return isinstance(value, (DType, np.dtype)) or (
        isinstance(value, builtins.type) and (issubclass(value, np.generic) or
                                              value in (builtins.float, builtins.int,
                                                        builtins.bool)))


def _is_device(value):
    """A device as ``to`` takes one: None, a name, a device, or an index (refused later)."""
    return (value is None or builtins.type(value).__name__ == "device" or
            (isinstance(value, (str, builtins.int, np.integer)) and
             not isinstance(value, builtins.bool)))


def _is_number(value):
    """A number that ``to``'s ``tensor`` argument takes (torch reads it as a tensor of it: an
    integer is a device index before that)."""
    return isinstance(value, (numbers.Number, np.generic)) and not _is_device(value) and \
        not isinstance(value, builtins.type)


def _number_dtype(value):
    """The dtype of torch's tensor made of a Python number given as ``to(tensor)``: bool for
    True/False, float64 for any other real number (NumPy's bool_ and float32 included)."""
    if isinstance(value, builtins.bool):
        return np.dtype(np.bool_)
    if isinstance(value, (numbers.Complex, np.complexfloating)) and \
            not isinstance(value, (numbers.Real, np.bool_)):
        raise TypeError("to(): complex tensors are not supported (no complex dtypes here); "
                        f"got {value!r}")
    return np.dtype(np.float64)


def _arg_type(value):
    """A value's type as torch's argument parser names it in its messages."""
    if isinstance(value, Tensor):
        return "Tensor"
    if _is_dtype(value) and not isinstance(value, builtins.type):
        return "torch.dtype"
    if isinstance(value, device):
        return "torch.device"
    if isinstance(value, MemoryFormat):
        return "torch.memory_format"
    return builtins.type(value).__name__


def _invalid_arguments(name, args, kwargs, signatures):
    """torch's TypeError for arguments that fit none of a function's overloads (keywords
    after a trailing comma when there are no positional ones, as torch writes them)."""
    got = ", ".join(_arg_type(a) for a in args)
    keywords = ", ".join(f"{k}={_arg_type(v)}" for k, v in kwargs.items())
    got = f"{got}, {keywords}" if got and keywords else got or (keywords + ", " if keywords
                                                                 else "")
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n" + "".join(f" * {s}\n" for s in signatures))


# what each of to's arguments must be
_TO_CHECKS = {"device": _is_device, "dtype": lambda v: v is None or _is_dtype(v),
              "tensor": lambda v: isinstance(v, Tensor) or _is_number(v),
              "non_blocking": lambda v: isinstance(v, builtins.bool),
              "copy": lambda v: isinstance(v, builtins.bool),
              "memory_format": lambda v: v is None or isinstance(v, MemoryFormat)}


def _to_arguments(args, kwargs):
    """``to``'s arguments as a dict by name, after torch's overloads: ``to(device=None,
    dtype=None, non_blocking=False, copy=False)``, ``to(dtype, non_blocking=False,
    copy=False)``, ``to(tensor, non_blocking=False, copy=False)``, each with a
    ``memory_format=`` keyword. Anything else is torch's TypeError."""
    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were "
                        f"given")
    first = args[0] if args else None
    overload = ("tensor" if isinstance(first, Tensor) or (not args and "tensor" in kwargs)
                else "dtype" if _is_dtype(first) else
                "tensor" if _is_number(first) else "device")     # (to(True): to bool)
    names = _TO_OVERLOADS[overload]
    given = dict(zip(names, args))
    allowed = names[len(args):] + ("memory_format",)
    if len(args) > len(names) or any(k not in allowed for k in kwargs) or \
            not all(_TO_CHECKS[k](v) for k, v in {**given, **kwargs}.items()):
        raise _invalid_arguments("to", args, kwargs, _TO_SIGNATURES)
    return {**given, **kwargs}


@tensor_method
def to(self, *args, **kwargs):
    """As torch: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (its
    dtype), each followed by ``non_blocking`` and ``copy`` (positional or by keyword), and
    ``dtype=``/``device=`` keywords for the first form; ``to(None)`` changes nothing. The tensor
    itself when nothing changes, unless ``copy=True``. A float result of a tensor that requires
    grad is differentiable. ``memory_format=channels_last`` (``channels_last_3d``,
    ``contiguous_format``) also lays the values out in that order, unless torch would suggest
    that format for the tensor already (:func:`.memory_formats.to_memory_format`)."""
    if len(args) == 1 and not kwargs and _is_dtype(args[0]):
        given = {"dtype": args[0]}               # (the common call: the library's ops too)
    else:
        given = _to_arguments(args, kwargs)
    device_ = given.get("device")
    if _is_device(device_) and not isinstance(device_, (str, device, builtins.type(None))):
        if device_ < 0:
            raise RuntimeError("Device index must not be negative")
        raise RuntimeError("Cannot access accelerator device when none is available.")
    meta = device_ is not None and check_device(device_, meta=True) is META
    other = given.get("tensor")
    dtype = (given.get("dtype") if other is None else
             other.dtype if isinstance(other, Tensor) else _number_dtype(other))
    dtype = self.array.dtype if dtype is None else np.dtype(dtype)
    if meta or builtins.type(self.array) is MetaArray:   # (to meta, or on meta: shape, dtype
        if dtype == self.array.dtype and not given.get("copy") and is_meta(self):   # kept,
            return self                                               # the values dropped)
        graph = self.requires_grad and dtype.kind == "f" and is_grad_enabled()
        out = to_meta(self, dtype, requires_grad=graph)
        if graph:                  # (a node of its own: the gradient goes back to self —
            from ..ops.meta_grad import MetaBackward        # refused for a CPU self)
            MetaBackward.of(out, [self], "ToCopyBackward", "to")
        return out
    memory_format = given.get("memory_format")
    if memory_format is not None and memory_format is not preserve_format:
        return to_memory_format(self, to(self, dtype, copy=given.get("copy", False)),
                                memory_format)
    if dtype == self.array.dtype and not given.get("copy"):
        return self
    if (self.requires_grad or forward_ad.dual(self)) and dtype.kind == "f":
        from ..ops import Cast
        return Cast.apply(self, dtype)
    from ..ops.strided import empty_copy_steps     # (NaN or out of range: quietly, as torch;
    return Tensor._of(empty_copy_steps(cast(self.array, dtype), self.array))  # empty: Cast's)


@tensor_method
def cpu(self):
    return self


@tensor_method
def cuda(self, *args, **kwargs):
    not_compiled_with_cuda()


@tensor_method
def type(self, dtype=None):
    """Without an argument: the torch-style type name (``'tinygrad_sgd.FloatTensor'``, or
    ``'torch.FloatTensor'`` while the as_torch runner runs a torch program); with one:
    ``to(dtype)``, the dtype also given by such a name (``t.type('torch.DoubleTensor')``) or
    typed class (``t.type(torch.LongTensor)``)."""
    from ..printing import OPTIONS
    names = {"float32": "Float", "float64": "Double", "float16": "Half",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
             "uint8": "Byte", "bool": "Bool"}
    if dtype is None:
        return f"{OPTIONS.namespace}.{names.get(self.array.dtype.name, 'Unknown')}Tensor"
    if isinstance(dtype, str):
        by_name = {f"{space}.{name}Tensor": np.dtype(numpy_name) for numpy_name, name in
                   names.items() for space in ("torch", "tinygrad_sgd", OPTIONS.namespace)}
        if dtype not in by_name:
            raise ValueError(f"invalid type: {dtype!r}")
        dtype = by_name[dtype]
    from ..legacy_types import LegacyTensorType
    if isinstance(dtype, LegacyTensorType):         # t.type(torch.LongTensor)
        dtype = dtype.dtype
    if not (_is_dtype(dtype) or isinstance(dtype, builtins.type)):     # (t.type(True))
        raise TypeError("dtype must be a type, str, or dtype object")
    return self.to(dtype)


def _cast_method(name, dtype):
    """The method ``name()`` (``float()``, ``long()``, ...): ``to(dtype)``, with torch's
    keyword-only ``memory_format`` (``preserve_format`` by default; ``contiguous_format``,
    ``channels_last`` for a 4-D tensor, ``channels_last_3d`` for a 5-D one)."""
    def method(self, *args, memory_format=preserve_format):
        if args:
            raise TypeError(f"{name}() takes 0 positional arguments but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        if memory_format is not None and not isinstance(memory_format, MemoryFormat):
            raise TypeError(f"{name}(): argument 'memory_format' must be torch.memory_format, "
                            f"not {builtins.type(memory_format).__name__}")
        if memory_format is None or memory_format is preserve_format:
            return self.to(dtype)
        return self.to(dtype, memory_format=memory_format)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``to({dtype.name if isinstance(dtype, DType) else np.dtype(dtype).name})``"\
        f", with ``to``'s ``memory_format``."
    return tensor_method(method)


float, double, half = (_cast_method("float", np.float32), _cast_method("double", np.float64),
                       _cast_method("half", np.float16))
long, int, short = (_cast_method("long", np.int64), _cast_method("int", np.int32),
                    _cast_method("short", np.int16))
char, byte, bool = (_cast_method("char", np.int8), _cast_method("byte", np.uint8),
                    _cast_method("bool", np.bool_))
# (dtypes this library only names: each raises NotImplementedError naming its dtype)
bfloat16, cfloat = _cast_method("bfloat16", _bfloat16), _cast_method("cfloat", complex64)
cdouble, chalf = _cast_method("cdouble", complex128), _cast_method("chalf", complex32)


@tensor_method
def view_as(self, other):
    return self.view(other.shape)


@tensor_method
def reshape_as(self, other):
    return self.reshape(other.shape)
