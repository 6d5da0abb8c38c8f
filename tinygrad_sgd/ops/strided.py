"""as_strided: a view of a tensor's *storage* with any sizes, strides and storage offset.

The storage of a tensor here is the NumPy array at the end of its array's ``.base`` chain (the
array that owns the memory; :func:`storage_of`), seen as one flat block of elements — as
torch's storage is the block its views share. Sizes, strides and the offset are counted in
elements from the start of that block, not from the tensor's first element:
``x = arange(10.)[2:]`` has ``storage_offset() == 2`` and ``x.as_strided((2,), (1,), 0)``
starts at the storage's element 0.

One exception keeps the numbers torch's: a convolution's, pooling's or resampling's result
(and an elementwise result of one) is an NCHW view of memory in the library's own order
(batch innermost, ...), where torch's is contiguous. Its storage, and that of every view of
it, is torch's: the root's values in row-major order (:func:`torch_storage`, a copy linked
to the root with ``versions.link_copy``, so that a write into either is refused while both
live), read at torch's strides and offset (``creation.torch_geometry``). ``stride()`` itself
stays the NumPy array's (see ``Tensor.stride``).
"""
import numpy as np

from .. import versions
from ..autograd import Function
from ..kernels import buffers
from .shape import GetItem, IndexAdd

__all__ = ["AsStrided", "NoDerivative"]


def storage_of(array):
    """``(owner, start)``: the array owning the memory ``array`` views (its ``.base`` chain,
    through NumPy's ``as_strided`` wrappers too) and where ``array`` starts in it, in bytes.
    The library's reused arrays (:mod:`tinygrad_sgd.kernels.buffers`) sit at an offset in a
    bigger block of bytes: for them the storage is that array (offset 0, as a fresh torch
    result), not the block.
    The owner must be one contiguous block (C or Fortran order): a tensor made from memory
    NumPy does not own in one block has no storage in torch's sense, and is refused."""
    owner = array
    while True:
        base = owner.base
        if isinstance(base, np.ndarray):
            owner = base
        elif (base is not None and hasattr(base, "__array_interface__")
              and isinstance(getattr(base, "base", None), np.ndarray)):
            owner = base.base                # (NumPy's stride_tricks wrapper, or ours)
        else:
            break
    block = buffers.span(owner)
    if block is not None:      # the library's reused array over a block of bytes: its storage
        offset, nbytes = block
        owner = np.ndarray((nbytes // array.itemsize,), array.dtype, buffer=owner, offset=offset)
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous) and _dense(owner):
        # one block in another order (an elementwise result of a permuted view, or of a
        # result in the library's own order): the block, flat from its first element
        owner = np.lib.stride_tricks.as_strided(owner, (owner.size,), (owner.itemsize,))
    elif not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        raise RuntimeError("as_strided: this tensor's memory is not one contiguous block that "
                           "it owns (it views a strided NumPy buffer), so it has no storage "
                           "to index; use .clone() first")
    start = array.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return owner, start


def _dense(array):
    """Whether ``array`` is one gapless block in some order of its dims, starting at its
    first element (no negative or zero steps, no overlap: ``creation._dense``, in bytes)."""
    from ..creation import _dense as dense
    size = array.itemsize
    return all(s % size == 0 for s in array.strides) and \
        dense(array.shape, [s // size for s in array.strides])


def torch_storage(t, place=None):
    """``(storage, strides, offset)`` for a tensor whose storage in torch is not its NumPy
    memory (``creation.torch_geometry``, or its answer ``place``: a result in the library's
    own order, or a view of one): torch's storage as a flat row-major copy of the root's
    values, linked to the root (writes into either are refused while both live: they would
    not reach the other), and t's torch strides and offset in it. None for any other tensor
    (its own memory is torch's storage)."""
    if place is None:
        from ..creation import torch_geometry
        place = torch_geometry(t)
    if place is None:
        return None
    values, strides, offset = place
    storage = np.array(values, order="C").reshape(-1)
    versions.link_copy(storage, values)
    if storage.dtype != t.array.dtype:        # (t views it as another dtype of that size)
        storage = storage.view(t.array.dtype)
    return storage, strides, offset


def element_strides(array):
    """torch's strides of ``array``, in elements: NumPy's, but row-major ones (each dim's size
    counted as at least 1) for a new empty array, whose NumPy steps are all 0; an empty view
    keeps the steps of what it views (``x.view(2, 5)[:, 2:2]``: (5, 1)), as torch's."""
    if array.size == 0 and not any(array.strides):
        steps, n = [], 1
        for size in reversed(array.shape):
            steps.append(n)
            n *= max(size, 1)
        return tuple(reversed(steps))
    return tuple(b // array.itemsize for b in array.strides)


def empty_copy_steps(out, source):
    """``out``, a fresh copy of the array ``source`` (a conversion's result), with torch's
    strides where it is empty: ``empty_like(source)``'s, the source's own (NumPy gives the
    copy 0s). ``out`` itself when it has elements."""
    return out if out.size else with_empty_steps(out, element_strides(source))


def with_empty_steps(array, steps):
    """The empty ``array`` (a view, or a copy) given the element strides ``steps`` that torch's
    empty tensor has: NumPy gives every new empty array, and each permute, broadcast or copy
    of one, strides of 0, which :func:`element_strides` can only read as row-major, while
    torch's strides follow the op (``empty(3, 0).t()``: (1, 1), permuted; ``clone`` keeps
    them, an empty tensor being contiguous). No element is ever read through them."""
    strides = tuple(s * array.itemsize for s in steps)
    if array.strides == strides:
        return array
    return np.lib.stride_tricks.as_strided(array, strides=strides,
                                           writeable=array.flags.writeable)


def element_geometry(array):
    """``(strides, storage_offset)`` of an array in elements of its own dtype."""
    _, start = storage_of(array)
    size = array.itemsize
    if start % size or any(s % size for s in array.strides):
        raise RuntimeError(f"as_strided: the tensor's strides {array.strides} or its start "
                           f"({start} bytes into its storage) are not whole elements of "
                           f"{size} bytes")
    return tuple(s // size for s in array.strides), start // size


class _Memory:
    """An ``__array_interface__`` at an address inside ``base``'s block (for an empty view,
    whose address may lie past the block's end as torch allows: nothing is ever read there)."""

    def __init__(self, base, interface):
        self.base, self.__array_interface__ = base, interface


def strided_view(owner, offset, size, stride, dtype):
    """The NumPy view of ``owner``'s block with element ``size``, ``stride`` and ``offset``
    (bounds already checked). A non-empty view is built on ``owner`` itself, so its ``.base``
    is the owner: writes, version counters and further views all reach the same memory."""
    itemsize = dtype.itemsize
    strides = tuple(s * itemsize for s in stride)
    if 0 not in size:
        return np.ndarray(size, dtype, buffer=owner, offset=offset * itemsize, strides=strides)
    address = owner.__array_interface__["data"][0] + offset * itemsize
    return np.asarray(_Memory(owner, {"data": (address, not owner.flags.writeable),
                                      "shape": size, "strides": strides, "typestr": dtype.str,
                                      "version": 3}))


def storage_indices(size, stride, offset):
    """The storage index of every element of a (size, stride, offset) view: offset + Σ iₖ·sₖ."""
    index = np.full(size, offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        index += (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return index


class AsStrided(Function):
    """A view of x's storage: element (i₁, …, iₖ) is storage[offset + Σ iⱼ·strideⱼ].

    Backward (torch's ``as_strided_backward``): the gradient is added into a zero storage at
    z's places (places z reads twice — overlapping windows, zero strides — get the sum), then
    read back at x's own places. Where x itself reads a place c times (x is an expanded view),
    each of those elements gets 1/c of it, so that the c copies together carry it once. Both
    steps are index ops (``IndexAdd``, ``GetItem``), so the backward is differentiable again.
    """
    is_view = True

    @staticmethod
    def replayable(base):
        """Its places count in the storage, so replaying it on a fresh array shaped like the
        base finds the same elements only if the base is its whole storage, C-ordered."""
        owner, start = storage_of(base.array)
        return start == 0 and base.array.flags.c_contiguous and owner.nbytes == base.array.nbytes
    rule = "z[i] = storage(x)[offset + Σₖ iₖ·strideₖ]"
    derivatives = ("dL/dx[j] = (Σ over i with z's place(i) = x's place(j) of dL/dz[i]) "
                   "/ (how many elements of x share x's place(j))",)
    op_name = "as_strided"

    def forward(self, x, size, stride, storage_offset, storage=None):
        """``storage``: :func:`torch_storage`'s answer for x (torch's storage, x's place in
        it) where x's NumPy memory is not torch's storage."""
        self.in_shape = x.shape
        if storage is None:
            owner, _ = storage_of(x.array)
            self.in_stride, self.in_offset = element_geometry(x.array)
        else:
            owner, self.in_stride, self.in_offset = storage
        self.size, self.stride, self.offset = size, stride, storage_offset
        return strided_view(owner, storage_offset, size, stride, x.array.dtype)

    def backward(self, g):
        into = storage_indices(self.size, self.stride, self.offset)
        back = storage_indices(self.in_shape, self.in_stride, self.in_offset)
        if into.size == 0 or back.size == 0:
            return self.constant(np.zeros(self.in_shape, g.dtype))
        low = min(into.min(), back.min())
        into, back = into - low, back - low
        n = int(max(into.max(), back.max())) + 1
        unique = np.bincount(into.ravel(), minlength=n).max() <= 1
        storage = IndexAdd.apply(g, into, (n,), unique)
        count = np.bincount(back.ravel(), minlength=n)
        if count.max() > 1:                     # x reads some places more than once
            storage = storage * self.constant((1 / np.maximum(count, 1)).astype(g.dtype))
        return GetItem.apply(storage, back)


class NoDerivative(Function):
    """An op torch gives no derivative (``x.set_(source)``, ``native_channel_shuffle``): the
    node is there — the result requires grad, its edges lead to the inputs' history — and
    backward through it raises torch's RuntimeError, naming the op (``what``)."""
    inputs, rule = ("z", "x"), "z: computed from x, with no derivative (as in torch)"
    derivatives = ("not implemented (as in torch)", "not implemented (as in torch)")
    grad_fn_name = "NotImplemented"
    op_name = "no_derivative"

    def forward(self, z, *inputs, what):
        self.what = what
        return z.array

    def backward(self, g):
        raise RuntimeError(f"derivative for {self.what} is not implemented")
