"""Tensor methods that convert: dtype (``to``, ``float()``, ``long()``, ``type()``) and device
(``to("cpu")``, ``cpu()``; any other device is refused: everything runs on the CPU)."""
import builtins

import numpy as np

from ..autograd import forward_ad
from ..device import check_device, not_compiled_with_cuda
from ..tensor import Tensor, tensor_method

__all__ = []          # methods only (torch has no top-level to/float/...)


@tensor_method
def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
       memory_format=None):
    """As torch: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (its
    dtype), with ``dtype=``/``device=`` keywords; ``to(None)`` changes nothing. A float
    cast of a tensor that requires grad is differentiable. ``memory_format=channels_last``
    (or ``contiguous_format``) also lays the values out in that order (see ``contiguous``)."""
    if memory_format is not None:
        from .shape import preserve_format
        if memory_format is not preserve_format:
            out = to(self, *args, dtype=dtype, device=device, copy=copy)
            return out.contiguous(memory_format)
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif a is None:
            continue
        elif isinstance(a, str) or builtins.type(a).__name__ == "device":
            device = a
        else:
            dtype = a
    if device is not None:
        check_device(device)
    if dtype is None:
        return Tensor._of(self.array.copy()) if copy else self
    dtype = np.dtype(dtype)
    if dtype == self.array.dtype:
        return Tensor._of(self.array.copy()) if copy else self
    if (self.requires_grad or forward_ad.dual(self)) and dtype.kind == "f":
        from ..ops import Cast
        return Cast.apply(self, dtype)
    with np.errstate(invalid="ignore", over="ignore"):   # NaN or out of range: quietly, as torch
        return Tensor._of(self.array.astype(dtype))


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
    return self.to(dtype)


@tensor_method
def float(self):
    return self.to(np.float32)


@tensor_method
def double(self):
    return self.to(np.float64)


@tensor_method
def long(self):
    return self.to(np.int64)


@tensor_method
def int(self):
    return self.to(np.int32)


@tensor_method
def bool(self):
    return self.to(np.bool_)


@tensor_method
def half(self):
    return self.to(np.float16)


@tensor_method
def short(self):
    return self.to(np.int16)


@tensor_method
def char(self):
    return self.to(np.int8)


@tensor_method
def byte(self):
    return self.to(np.uint8)


@tensor_method
def view_as(self, other):
    return self.view(other.shape)


@tensor_method
def reshape_as(self, other):
    return self.reshape(other.shape)
