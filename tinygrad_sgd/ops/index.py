"""Indexing primitives beyond ``x[index]`` (which is :class:`.shape.GetItem`): picking along a
dim (gather), writing into a copy (index_put: scatter, index_add, index_copy, masked_scatter),
reducing into a copy (scatter_reduce) and the diagonal view.

The index arrays are plain NumPy arrays, already checked (by
:mod:`tinygrad_sgd.functions.scatter_gather`), never differentiated. Each backward gathers where forward scattered and scatters where it
gathered, with these same ops, so second order works.
"""
import numpy as np

from ..autograd import Function
from ..autograd import forward_ad
from ..kernels.layout import inverse_order
from .elementwise import Where, keep_where
from .index_arrays import add_at, check_index, index_versions
from .shape import GetItem, IndexAdd, Permute, Staged, along


class Gather(Function):
    """torch's ``gather``: the output has the index's shape. Repeated indices pick one element
    several times, so the backward adds (np.add.at)."""
    rule = "z[i][j] = x[i][index[i][j]]  (dim = 1)"
    derivatives = ("dL/dx = zeros, dL/dz added at the gathered places",)

    def forward(self, x, dim, index):
        self.in_shape, self.dim, self.index = x.shape, dim, index
        self.index_versions = index_versions(index)     # (an edit of it refused, as torch)
        self.save_for_backward(x)       # (not read; an in-place edit is refused, as torch)
        return x.array[along(index, dim, x.shape)]

    def backward(self, g):
        self.saved_tensors
        check_index(self, self.index, self.index_versions)
        return IndexAdd.apply(g, along(self.index, self.dim, self.in_shape), self.in_shape,
                              wide=True)          # (torch's scatter_add: float16 in float32)


class IndexPut(Function):
    """``x`` copied, then ``values`` written (or, with ``accumulate``, added: repeated places
    add up) at ``index``, a NumPy index into x (or a two-step ``Staged`` one, as
    ``x[index] = v`` reads it). It is scatter, scatter_add, index_copy, index_add, index_fill,
    masked_scatter and item assignment. ``values`` broadcast to ``x[index]``'s shape;
    a place written twice without accumulate keeps one of the values (torch leaves which one
    unspecified), but every value gets the gradient of its place, as torch's. ``wide``: float16
    sums in float32 (:func:`.index_arrays.add_at`)."""
    inputs, rule = ("x", "v"), "z = x, with z[index] = v (or z[index] += v)"
    linear = True
    derivatives = ("dL/dx = dL/dz, 0 at the overwritten places (all of it with accumulate)",
                   "dL/dv = dL/dz[index]")

    def forward(self, x, values, index, accumulate=False, wide=False, index_tensor=None):
        self.index, self.accumulate = index, accumulate
        self.index_versions = index_versions(index)
        if index_tensor is not None:      # the user's index, where ``index`` is made from it
            self.keep_array("index_tensor", index_tensor)
        out = x.array.copy()
        target, where = write_target(out, index)
        if accumulate:
            add_at(target, where, values.array, wide)
        else:
            target[where] = values.array
            if self._recording and (x.requires_grad or forward_ad.level_open()):
                self.kept = np.ones(out.shape, dtype=bool)
                kept, where = write_target(self.kept, index)
                kept[where] = False
        return out

    def backward(self, g):
        check_index(self, self.index, self.index_versions)
        if "index_tensor" in self.__dict__:
            self.kept_array("index_tensor")
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = g if self.accumulate else keep_where(self.kept, g)
        if self.needs_input_grad[1]:
            gv = GetItem.apply(g, self.index)
        return gx, gv


def write_target(array, index):
    """Where ``index`` writes: ``(array, index)``, or for a two-step :class:`.shape.Staged`
    index (torch's ``x[1, :, idx] = v``) the view its basic step picks and its second step."""
    return (array[index[0]], index[1]) if isinstance(index, Staged) else (array, index)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}


class ScatterReduce(Function):
    """torch's ``scatter_reduce``: each ``src[i][j]`` is combined (sum, prod, mean, amax,
    amin) into ``x[i][index[i][j]]`` (dim = 1); ``include_self=False`` leaves x's own value
    out where anything is scattered. An integer mean rounds down, as torch. The gradients are
    torch's: amax/amin share the gradient evenly among the elements equal to the result; prod
    divides the product by the element, computing the product without it where it is 0."""
    inputs, rule = ("x", "src"), "z = x with src reduced in at index along dim"
    derivatives = ("dL/dx: sum 1; mean 1/N; prod z/x; amax/amin [x = z]/ties",
                   "dL/dsrc: the same gathered at index")

    def forward(self, x, src, dim, index, reduce, include_self=True):
        self.save_for_backward(x, src)
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self
        self.index_versions = index_versions(index)
        where = along(index, dim, x.shape)
        out = x.array.copy()
        if not include_self:
            out[where] = _identity(reduce, out.dtype)
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
                 "amin": np.minimum, "max": np.maximum, "min": np.minimum}[reduce]
        if out.dtype == np.float16 and ufunc in (np.add, np.multiply):
            acc = out.astype(np.float32)    # torch's float buffer, rounded once
            ufunc.at(acc, where, src.array.astype(np.float32))
            out = acc.astype(np.float16)
        else:
            ufunc.at(out, where, src.array)
        if reduce == "mean":
            count = np.zeros(out.shape, dtype=np.int64)
            np.add.at(count, where, 1)
            count += include_self
            count[count == 0] = 1
            if out.dtype.kind in "iu":
                out = (out // count).astype(out.dtype)
            else:                           # (in the dtype's arithmetic: float16's in float32)
                wide = np.float32 if out.dtype == np.float16 else out.dtype
                out = (out.astype(wide) / count.astype(wide)).astype(out.dtype)
        self.save_output(out)
        return out

    def backward(self, g):
        x, src = self.saved_tensors
        dim, index, reduce = self.dim, self.index, self.reduce
        check_index(self, index, self.index_versions)
        if reduce in ("max", "min"):        # torch computes these, but has no gradient
            raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                               f"'amin' but got {reduce}.")

        def gather(t):
            return Gather.apply(t, dim, index)

        def scatter_add(t, v):
            return IndexPut.apply(t, v, along(index, dim, t.shape), accumulate=True, wide=True)

        if reduce == "sum":
            gx, gs = g, gather(g)
        elif reduce == "mean":
            n = np.zeros(g.shape, g.dtype) + self.include_self
            np.add.at(n, along(index, dim, g.shape), 1)
            n[n == 0] = 1
            gx, gs = g / self.constant(n), gather(g) / self.constant(n[along(index, dim, n.shape)])
        elif reduce == "prod":
            gx, gs = self._prod_grads(g, x, src, gather, scatter_add)
        else:   # amax, amin: shared evenly among the elements equal to the result
            z = self.saved_output()
            x_is = x.array == z
            src_is = src.array == z[along(index, dim, z.shape)]
            n = x_is.astype(g.dtype)
            np.add.at(n, along(index, dim, n.shape), src_is)
            shared = g / self.constant(n)     # (multiplied by the masks, as torch: where the
            gx = self.constant(x_is.astype(g.dtype)) * shared       # result is NaN no element
            gs = self.constant(src_is.astype(g.dtype)) * gather(shared)   # equals it, and
            # 0·(g/0) is NaN; a negative gradient masked out is −0)
        if not self.include_self:
            kept = np.ones(g.shape, dtype=bool)
            kept[along(index, dim, g.shape)] = False
            gx = keep_where(kept, gx)
        return gx, gs

    def _prod_grads(self, g, x, src, gather, scatter_add):
        """torch's formula: z/x where x ≠ 0, else the product of the others (the reduction
        redone with 1 in its place); for src likewise, where src holds the place's only 0."""
        one = self.constant(np.ones((), g.dtype))
        x_zero, src_zero = x.array == 0, src.array == 0
        masked_x = Where.apply(self.constant(x_zero), one, x)
        again = ScatterReduce.apply(masked_x, src, self.dim, self.index, "prod", self.include_self)
        gx = g * again / masked_x
        zeros_here = np.zeros(x.shape, g.dtype)
        np.add.at(zeros_here, along(self.index, self.dim, x.shape), src_zero)
        single = src_zero & (zeros_here[along(self.index, self.dim, x.shape)] == 1)
        masked_src = Where.apply(self.constant(single), one, src)
        without = ScatterReduce.apply(x, masked_src, self.dim, self.index, "prod",
                                      self.include_self)
        gs = Where.apply(self.constant(single), gather(g * without),
                         gather(g * self.output()) / Where.apply(self.constant(src_zero), one, src))
        return gx, gs


def _identity(reduce, dtype):
    """The value that leaves the reduction unchanged (where x itself is left out)."""
    if reduce in _IDENTITY:
        return _IDENTITY[reduce]
    low = reduce == "amax"
    if dtype.kind == "b":
        return not low
    if dtype.kind == "f":
        return -np.inf if low else np.inf
    return np.iinfo(dtype).min if low else np.iinfo(dtype).max


class Diagonal(Function):
    """A view, as torch's: writing into it writes into x. The diagonal becomes the last dim."""
    is_view = True
    rule = "z[..., k] = x[..., k, k + offset]  (dims dim1, dim2)"
    derivatives = ("dL/dx = zeros, dL/dz on the diagonal",)

    def forward(self, x, offset, dim1, dim2):
        self.in_shape, self.offset, self.dims = x.shape, offset, (dim1, dim2)
        out = np.diagonal(x.array, offset, dim1, dim2)
        if x.array.flags.writeable:
            out.flags.writeable = True      # NumPy hands out diagonals read-only
        return out

    def backward(self, g):
        rest = [d for d in range(len(self.in_shape)) if d not in self.dims]
        order = rest + list(self.dims)
        moved = tuple(self.in_shape[d] for d in order)
        embedded = IndexAdd.apply(g, diagonal_index(moved[-2:], self.offset), moved, True)
        return Permute.apply(embedded, inverse_order(tuple(order)))


def diagonal_index(matrix_shape, offset):
    """``(..., rows, cols)``: the places of the ``offset`` diagonal in the last two dims."""
    n, m = matrix_shape
    length = max(0, min(n - max(0, -offset), m - max(0, offset)))
    k = np.arange(length)
    return (Ellipsis, k + max(0, -offset), k + max(0, offset))
