"""Leftover top-level names of torch, each a line or two over what exists:

* ``frobenius_norm`` (``linalg.vector_norm`` over ``dim``) and ``nuclear_norm`` (the sum of
  the singular values: ``linalg.matrix_norm(..., 'nuc')``), so gradients are theirs;
* ``range`` (deprecated in torch, kept for old programs: ``arange`` with the end included, the
  default float dtype);
* ``typename``, ``get_device`` (-1: every tensor is on the CPU), ``is_storage`` (False:
  there are no storage objects here);
* sharing memory with other libraries: ``frombuffer`` (a tensor over a Python buffer),
  ``from_dlpack`` / ``to_dlpack`` and the DLPack protocol methods ``Tensor.__dlpack__`` and
  ``__dlpack_device__``, so ``torch.from_dlpack(x)`` and ``np.from_dlpack(x)`` read a Tensor
  without a copy;
* ``Tensor.addbmm_``, the in-place form of ``addbmm``.
"""
import math
import warnings

import numpy as np

from ..errors import user_stacklevel, warn_level
from .. import linalg
from ..device import check_device
from ..dtypes import default_float
from ..tensor import Tensor
from .combine import addbmm
from .inplace import inplace

__all__ = ["frobenius_norm", "nuclear_norm", "range", "typename", "get_device", "is_storage",
           "frombuffer", "from_dlpack", "to_dlpack"]


def frobenius_norm(input, dim, keepdim=False):
    """√(Σ x²) over the dims ``dim`` (torch requires them): ``linalg.vector_norm``.
    Deprecated in torch, which warns, as here."""
    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.vector_norm(A, 2., dim, keepdim)` instead",
                  UserWarning, stacklevel=user_stacklevel())
    return linalg.vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of the singular values of the matrices in ``dim`` (default the last two
    dims); ``nuclear_norm(input, keepdim)`` (a bool second argument) is torch's other form.
    Deprecated in torch, which warns, as here."""
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead", UserWarning,
                  stacklevel=user_stacklevel())
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


def range(start, end, step=1, *, dtype=None, layout=None, device=None, requires_grad=False):
    """``start, start + step, ...`` up to and including ``end``; the default float dtype
    unless told (deprecated in torch, which warns, as here: use ``arange``)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=user_stacklevel())
    check_device(device)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = int(math.floor((end - start) / step)) + 1
    dtype = np.dtype(default_float() if dtype is None else dtype)
    values = start + np.arange(count, dtype=np.float64) * step
    return Tensor._of(values.astype(dtype), requires_grad=requires_grad)


def typename(obj):
    """The name of the object's type: ``x.type()`` for a Tensor (``'tinygrad_sgd.FloatTensor'``),
    else ``module.QualifiedName`` (builtins by their bare name), as torch.typename."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def get_device(input):
    """-1, torch's answer for a CPU tensor (every tensor here is one)."""
    return -1


def is_storage(obj):
    """False: tensors here own NumPy arrays, there are no storage objects."""
    return False


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor over a Python buffer's memory (``bytearray``, ``array.array``, ...): no copy,
    so writing into one changes the other. ``count`` elements (-1: all) after ``offset``
    bytes."""
    size = memoryview(buffer).nbytes
    itemsize = np.dtype(dtype).itemsize
    if size == 0 and count == -1 or count == 0:
        raise ValueError(f"both buffer length ({size}) and count ({count}) must not be 0")
    if not 0 <= offset < max(size, 1):
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({size} bytes) minus 1")
    if count == -1 and (size - offset) % itemsize:
        raise ValueError(f"buffer length ({size - offset} bytes) after offset ({offset} bytes) "
                         f"must be a multiple of element size ({itemsize})")
    if count > 0 and count * itemsize > size - offset:
        raise ValueError(f"requested buffer length ({count} * {itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({size} bytes)")
    array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    if not array.flags.writeable:
        warnings.warn("The given buffer is not writable, and PyTorch does not support "
                      "non-writable tensors. This means you can write to the underlying "
                      "(supposedly non-writable) buffer using the tensor. You may want to copy "
                      "the buffer to protect its data or make it writable before converting it "
                      "to a tensor.", UserWarning, stacklevel=warn_level(2))
    return Tensor._of(array, requires_grad=requires_grad)


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of any CPU object with ``__dlpack__`` (a torch tensor, a
    NumPy array, ...) or of a DLPack capsule."""
    from ..creation import strides_as_given
    if hasattr(ext_tensor, "__dlpack__"):
        return strides_as_given(Tensor._of(np.from_dlpack(ext_tensor)))
    return strides_as_given(Tensor._of(np.from_dlpack(_Capsule(ext_tensor))))


class _Capsule:
    """A bare DLPack capsule dressed as a producer, as ``np.from_dlpack`` wants one."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)                                   # kDLCPU, device 0


def to_dlpack(tensor):
    """A DLPack capsule over the tensor's memory (to hand to another library once). A
    versioned one where NumPy makes it (2.1+): NumPy reads an unversioned capsule as
    read-only, so ``from_dlpack(to_dlpack(t))`` could not be written into as torch's can."""
    try:
        return _exported(tensor).__dlpack__(max_version=(1, 0))
    except TypeError:
        return _exported(tensor).__dlpack__()


def _dlpack(self, **kwargs):
    """The values' memory (no graph: the receiving library sees plain numbers). Unlike
    torch, a tensor that requires grad is exported too, as ``np.asarray`` reads it: torch's
    ``torch.tensor(x)`` goes through this protocol and must keep working on such a tensor.
    An expand's memory (NumPy's broadcast, read-only) is exported writable, as ``numpy()``
    gives it and torch exports it."""
    return _exported(self).__dlpack__(**kwargs)


def _exported(tensor):
    array = tensor.array
    if not array.flags.writeable and not tensor.requires_grad:
        array = tensor.numpy()
    return array


def _dlpack_device(self):
    return self.array.__dlpack_device__()


Tensor.__dlpack__, Tensor.__dlpack_device__ = _dlpack, _dlpack_device


def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    """In place: ``self = beta·self + alpha·Σ_b batch1[b] @ batch2[b]``."""
    return inplace(self, addbmm, batch1, batch2, name="addbmm_", check_shapes=False,
                   beta=beta, alpha=alpha)


Tensor.addbmm_ = addbmm_
