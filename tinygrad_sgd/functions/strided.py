"""torch.as_strided, as_strided_copy, as_strided_scatter and the Tensor methods as_strided,
as_strided_ (in place: the tensor becomes the view) and storage_offset.

Sizes, strides and the storage offset count elements of the tensor's *storage* — the NumPy
array owning its memory (see :mod:`tinygrad_sgd.ops.strided`) — from the storage's start, as
torch's do: ``x = arange(10.)[2:]`` has ``x.storage_offset() == 2``, ``x.as_strided((2,), (1,))``
starts at storage element 2 (the input's own offset is the default) and
``x.as_strided((2,), (1,), 0)`` at element 0. A view that would reach outside the storage is
refused with torch's ``setStorage: ... out of bounds`` RuntimeError; negative strides too, as
torch refuses them. The view shares the memory: writing into it (``fill_``, ``copy_``, ``+=``)
changes the tensor it was taken from.

A result kept in the library's own memory order (a convolution's, pooling's or resampling's,
contiguous in torch) and its views count in torch's storage (``ops.strided.torch_storage``):
the view reads a row-major copy of the result, as torch's does its storage, and writing into
either is refused while both live (the write would not reach the other).
"""
import numpy as np

from .. import autograd, ops
from ..ops.strided import storage_of, element_geometry, storage_indices, torch_storage
from ..tensor import Tensor
from .shape import clone

__all__ = ["as_strided", "as_strided_", "as_strided_copy", "as_strided_scatter"]


def _ints(value, name, position, fn="as_strided"):
    """A size or stride argument as a tuple of Python ints (torch's argument checks)."""
    if isinstance(value, Tensor) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of "
                        f"ints, not {type(value).__name__}")
    out = []
    for i, v in enumerate(value):
        if isinstance(v, Tensor) and v.ndim == 0 and v.dtype.kind in "iu":
            v = v.item()
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of "
                            f"ints, but found element of type {type(v).__name__} at pos {i}")
        out.append(int(v))
    return tuple(out)


def _offset(value, position, fn="as_strided"):
    if value is None:
        return None
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value.item())
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument 'storage_offset' (position {position}) must be "
                        f"int, not {type(value).__name__}")
    return int(value)


def _check(size, stride, offset, itemsize, storage_bytes):
    """torch's checks, in torch's order."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if 0 in size:                                    # an empty view reads nothing
        return
    needed = itemsize * (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)))
    if needed > storage_bytes:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {itemsize} requiring a storage size "
                           f"of {needed} are out of bounds for storage of size {storage_bytes}")


def _parse(input, size, stride, storage_offset, fn, first, storage=None):
    """Checked (size, stride, offset), in input's storage: its NumPy memory's, or torch's
    (``storage``: :func:`torch_storage`'s answer)."""
    size = _ints(size, "size", first, fn)
    stride = _ints(stride, "stride", first + 1, fn)
    offset = _offset(storage_offset, first + 2, fn)
    if storage is None:
        owner = storage_of(input.array)[0]
        if offset is None:
            offset = element_geometry(input.array)[1]
    else:
        owner = storage[0]
        if offset is None:
            offset = storage[2]
    _check(size, stride, offset, input.array.itemsize, owner.nbytes)
    return size, stride, offset


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage: element (i₁, …, iₖ) is
    ``storage[storage_offset + Σ iⱼ·strideⱼ]`` (``storage_offset`` defaults to the input's
    own, :meth:`storage_offset`). Places read more than once (overlapping windows, zero
    strides) get the sum of their gradients."""
    return _as_strided(input, size, stride, storage_offset, "as_strided", 2)


def _as_strided(input, size, stride, storage_offset, fn, first):
    storage = torch_storage(input)         # (None: input's own memory is torch's storage)
    size, stride, offset = _parse(input, size, stride, storage_offset, fn, first, storage)
    if storage is None:
        return ops.AsStrided.apply(input, size, stride, offset)
    out = ops.AsStrided.apply(input, size, stride, offset, storage=storage)
    out._torch_strides = True              # (a view of torch's storage: its strides are)
    return out


def as_strided_(input, size, stride, storage_offset=None):
    """In place: the tensor itself becomes the view ``as_strided(size, stride, offset)`` of
    its storage (the memory is not touched; a leaf that requires grad is refused, as torch)."""
    return _as_strided_in_place(input, size, stride, storage_offset, 2)


def _as_strided_in_place(input, size, stride, storage_offset, first):
    if input.requires_grad and input.grad_fn is None and autograd.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    view = _as_strided(input, size, stride, storage_offset, "as_strided_", first)
    input.array = view.array
    if view.__dict__.get("_torch_strides"):     # (now a view of torch's storage, a copy)
        input._torch_strides = True
        input.__dict__.pop("_storage_root", None)
        input.__dict__.pop("_stands_for", None)
    if view.grad_fn is not None:
        input.grad_fn = view.grad_fn
    return input


# the methods number their arguments without self, as torch's messages do
def _as_strided_method(self, size, stride, storage_offset=None):
    return _as_strided(self, size, stride, storage_offset, "as_strided", 1)


def _as_strided_method_(self, size, stride, storage_offset=None):
    return _as_strided_in_place(self, size, stride, storage_offset, 1)


def _as_strided_scatter_method(self, src, size, stride, storage_offset=None):
    return _scatter(self, src, size, stride, storage_offset, 1)


for _name, _fn, _public in [("as_strided", _as_strided_method, as_strided),
                            ("as_strided_", _as_strided_method_, as_strided_)]:
    _fn.__name__, _fn.__doc__ = _name, _public.__doc__
    setattr(Tensor, _name, _fn)


def storage_offset(self):
    """Where the tensor starts in its storage, in elements (torch's ``storage_offset()``):
    0 for a tensor owning its memory, 2 for ``x[2:]``, ...; for a view of a result kept in
    the library's own order, its place in torch's storage (``y[1]`` of a convolution's
    result ``y`` of shape (N, C, H, W): C·H·W, as torch's)."""
    from ..creation import storage_place
    place = storage_place(self)
    return element_geometry(self.array)[1] if place is None else place[2]


Tensor.storage_offset = storage_offset


def as_strided_copy(input, size, stride, storage_offset=None):
    """``as_strided`` as a new tensor with its own memory."""
    return clone(as_strided(input, size, stride, storage_offset))


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` with ``src`` written at the places that
    ``as_strided(size, stride, storage_offset)`` would view, as torch's: the copy has the
    input's strides and storage offset, in a storage of its own as large as the input's (whose
    places outside the input are not seen), so ``size``, ``stride`` and the offset (by default
    the input's) count in that storage; an input that reads a place twice (an expanded view)
    is copied row-major first, offset 0. Gradients: ``src`` gets the gradient at its places,
    ``input`` the gradient everywhere else."""
    return _scatter(input, src, size, stride, storage_offset, 2)


def _scatter(input, src, size, stride, storage_offset, first):
    if not isinstance(src, Tensor):
        raise TypeError(f"as_strided_scatter(): argument 'src' (position {first}) must be "
                        f"Tensor, not {type(src).__name__}")
    size = _ints(size, "size", first + 1, "as_strided_scatter")
    stride = _ints(stride, "stride", first + 2, "as_strided_scatter")
    offset = _offset(storage_offset, first + 3, "as_strided_scatter")
    shape, a = tuple(input.shape), input.array
    storage = torch_storage(input)
    if any(n > 1 and s == 0 for n, s in zip(a.shape, a.strides)):    # copied row-major
        n, own_offset = a.size, 0
        own_stride = tuple(int(np.prod(shape[k + 1:])) for k in range(len(shape)))
    elif storage is not None:                    # (torch's storage: the root's, row-major)
        n, own_stride, own_offset = storage[0].size, storage[1], storage[2]
    else:
        own_stride, own_offset = element_geometry(a)
        n = storage_of(a)[0].nbytes // a.itemsize
    offset = own_offset if offset is None else offset
    _check(size, stride, offset, a.itemsize, n * a.itemsize)
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(size)}")
    storage = ops.IndexAdd.apply(input, storage_indices(shape, own_stride, own_offset), (n,),
                                 True)
    src = src.to(input.dtype) if src.dtype != input.dtype else src
    storage = ops.IndexPut.apply(storage, src, storage_indices(size, stride, offset))
    return ops.AsStrided.apply(storage, shape, own_stride, own_offset)


_as_strided_scatter_method.__name__ = "as_strided_scatter"
_as_strided_scatter_method.__doc__ = as_strided_scatter.__doc__
Tensor.as_strided_scatter = _as_strided_scatter_method


# ---------------------------------------------------------------------------- overlapping writes
def overlap_rounds(a, *operands):
    """For a view whose elements share memory places (overlapping ``as_strided`` windows),
    each element's round — how many elements before it write the same place, in the order
    torch's TensorIterator walks the view and the Tensor ``operands``
    (:func:`~tinygrad_sgd.kernels.layout.dim_order`) — else None. torch writes such a view
    element after element, each reading the memory as the earlier ones left it: round by
    round, each round's places all distinct, gives the same memory (see :func:`write_rounds`);
    the last writer of a place wins a ``copy_``."""
    if a.ndim < 2 or a.flags.c_contiguous or a.flags.f_contiguous:
        return None
    steps = [abs(s) // a.itemsize for s in a.strides]
    if any(s == 0 and n > 1 for s, n in zip(steps, a.shape)):
        return None                      # (an expand's: refused as torch refuses it)
    reach = 0                            # (dims by step: each steps past the smaller ones'
    for s, n in sorted((s, n) for s, n in zip(steps, a.shape) if n > 1):   # reach: no
        if s <= reach:                   # overlap, as every slice, transpose or permute)
            break
        reach += (n - 1) * s
    else:
        return None
    from ..kernels.layout import dim_order
    others = [tuple(s // t.array.itemsize for s in np.broadcast_to(t.array, a.shape).strides)
              for t in operands if isinstance(t, Tensor) and t.ndim]
    walk = dim_order(a.shape, tuple(steps), *others)          # outermost first
    place = np.zeros(a.shape, np.int64)
    for d, (n, s) in enumerate(zip(a.shape, a.strides)):
        place += (np.arange(n) * (s // a.itemsize)).reshape((n,) + (1,) * (a.ndim - d - 1))
    flat = place.transpose(walk).reshape(-1)
    order = np.argsort(flat, kind="stable")
    first = np.r_[True, flat[order][1:] != flat[order][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(flat.size), 0))
    rounds = np.empty(flat.size, np.int64)
    rounds[order] = np.arange(flat.size) - start
    if not rounds.any():
        return None
    return rounds.reshape([a.shape[d] for d in walk]).transpose(np.argsort(walk))


def write_rounds(self, result, rounds, fn, *args, **kwargs):
    """``self`` ← ``fn(self, ...)`` for an overlapping view, round by round (``result``: the
    first round's values, computed from the memory as it was)."""
    for r in range(int(rounds.max()) + 1):
        if r:
            with autograd.no_grad():
                result = fn(self, *args, **kwargs)
        here = rounds == r
        self.array[here] = result.array[here]
