"""More of torch's ways of making a tensor: ``scalar_tensor``, ``asarray`` (shares memory
where it can, as torch's), ``empty_strided`` and ``empty_permuted`` (torch's memory-layout
requests: the strides asked for; the values here are zeros, as ``empty``'s)."""
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import creation, meta
from ..device import check_device
from ..determinism import memory_fill
from ..dtypes import as_array, default_float, read_number
from ..errors import ShapeError
from ..tensor import Tensor

__all__ = ["scalar_tensor", "asarray", "empty_strided", "empty_permuted"]


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=None,
                  requires_grad=False):
    """A 0-d tensor holding the number ``s``, in the default float dtype unless told (an int
    or a bool too, as torch)."""
    check_device(device)
    if isinstance(s, Tensor):
        s = s.item()
    if not isinstance(s, (numbers.Number, np.generic)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not "
                        f"{type(s).__name__}")
    read_number(s)                         # (2**64: torch's OverflowError)
    return Tensor._of(np.asarray(s).astype(default_float() if dtype is None else dtype),
                  requires_grad=requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """``obj`` as a tensor: a Tensor comes back itself (or converted: ``.to(dtype)``, or
    ``clone()`` with ``copy=True``, both in the graph); a NumPy array's memory is shared
    unless ``copy=True`` or the dtype changes (refused with ``copy=False``); Python data is
    read as ``tensor()`` reads it (``copy=False`` refused: there is no memory to share)."""
    check_device(device)
    if isinstance(obj, Tensor):
        out = obj
        if dtype is not None and np.dtype(dtype) != obj.dtype:
            if copy is False:
                raise ValueError(f"can't alias tensor with dtype '{obj.dtype}' into dtype "
                                 f"'{np.dtype(dtype)}'.")
            out = obj.to(dtype)
        elif copy:
            out = obj.clone()
    elif isinstance(obj, np.ndarray):
        same = dtype is None or np.dtype(dtype) == obj.dtype
        if copy is False and not same:
            raise ValueError(f"can't alias tensor with dtype '{obj.dtype}' into dtype "
                             f"'{np.dtype(dtype)}'.")
        out = creation.from_numpy(obj) if same and not copy else creation.tensor(obj,
                                                                                 dtype=dtype)
    else:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        out = Tensor._of(np.array(as_array(obj, dtype), copy=True))
    if requires_grad and not out.requires_grad:
        out.requires_grad_(True)
    return out


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """A tensor of ``size`` with ``stride`` (zeros here: torch leaves the values unset), over
    memory of the size those strides need. A negative stride is refused as torch's storage
    size sum refuses it (:func:`_storage_overflows`), unless its dim has one element or the
    tensor none; then, as torch's ``set_sizes_and_strides``, it is taken to mean the
    contiguous stride (1 for the last dim, else the next dim's size × stride)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    for n in size:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(size)}")
    out = creation.empty(size, dtype=dtype, device=device)
    if _storage_overflows(size, stride, out.array.itemsize):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if any(s < 0 for s in stride):
        stride = list(stride)
        for d in reversed(range(len(size))):
            if stride[d] < 0:
                stride[d] = 1 if d == len(size) - 1 else max(size[d + 1], 1) * stride[d + 1]
    if meta.is_meta(out):          # (the meta device: the strides kept, no memory)
        return meta.make(size, out.array.dtype, requires_grad, stride)
    need = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    memory = np.full(need, memory_fill(out.array.dtype), out.array.dtype)
    item = memory.itemsize
    out = creation.strides_as_given(Tensor._of(as_strided(memory, size,
                                                          tuple(s * item for s in stride))))
    return out.requires_grad_() if requires_grad else out


def _storage_overflows(size, stride, itemsize):
    """torch's ``computeStorageNbytes`` check: the bytes a (size, stride) tensor spans,
    1 + Σ (nₖ − 1)·strideₖ elements, summed in unsigned 64-bit arithmetic (a negative stride
    wraps around to a huge one) and overflowing it or the largest storage (2⁶³ − 1 bytes).
    A dim of size 0 ends the sum with no overflow: the tensor needs no memory."""
    wrap, total, over = 1 << 64, 1, False
    for n, s in zip(size, stride):
        if n == 0:
            return False
        step = (s % wrap) * (n - 1)
        total += step % wrap
        over |= step >= wrap or total >= wrap
        total %= wrap
    total *= itemsize
    return over or total >= wrap or total > (1 << 63) - 1


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """A tensor of ``size`` (zeros here); ``physical_layout`` (a permutation of the dims: the
    order in memory, outermost first) gives its strides."""
    size, order = tuple(size), tuple(physical_layout)
    if len(size) != len(order):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(order)}")
    if len(set(order)) != len(order):
        raise RuntimeError("Duplicate dim not allowed")
    if any(not 0 <= d < len(size) for d in order):
        raise ShapeError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(size)}, {len(size) - 1}], but got {max(order)})")
    dense = creation.empty(tuple(size[d] for d in order), dtype=dtype, device=device)
    out = creation.strides_as_given(   # (memory in that order)
        Tensor._of(dense.array.transpose(np.argsort(order))))
    return out.requires_grad_() if requires_grad else out
