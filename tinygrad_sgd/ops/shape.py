"""Shape primitives: they move values around without changing them, so each backward moves the
gradient back the opposite way (reshape back, permute back, sum what was copied, scatter what
was gathered)."""
import numpy as np

from .. import kernels, versions
from ..autograd import Function, function
from ..autograd.slices import SliceGrad
from .index_arrays import add_at, check_index, index_versions
from ..autograd.grad_mode import _mode
from ..errors import ShapeError
from ..kernels.layout import channels_last_order, inverse_order, laid_out


def torch_would_view(x, shape) -> bool:
    """Whether torch's ``x.view(shape)`` succeeds: its strides (torch's, not the NumPy
    array's: :func:`~tinygrad_sgd.creation.torch_strides`) allow the new shape without a copy
    — asked of NumPy's own rule, the same as torch's, on a stand-in with those strides."""
    root = x if x._view_base is None else x._view_base
    if root.array.flags.c_contiguous:     # (its NumPy strides are torch's: NumPy's answer is)
        return False
    from ..creation import torch_strides
    stand_in = np.lib.stride_tricks.as_strided(np.empty(1, np.int8), x.shape,
                                               torch_strides(x))
    try:
        stand_in.reshape(shape, copy=False)
        return True
    except ValueError:
        return False


class Reshape(Function):
    """A view: the result shares the input's memory where NumPy can (as torch's view).
    ``label``: the name the drawings give the node, when a function other than reshape/view
    asked for it (``flatten(start_dim=1)``)."""
    is_view = True
    rule, derivatives = "z = x viewed with a new shape", ("dL/dx = dL/dz reshaped back",)
    called = "reshape"

    def forward(self, x, shape, label=None):
        self.in_shape = x.shape
        if label is not None:
            self.called = label
        a = x.array
        try:
            if a.flags.c_contiguous:
                return a.reshape(shape)
            try:
                return a.reshape(shape, copy=False)       # a view where one exists
            except ValueError:    # none: a C-ordered copy, in reused memory (as Clone's) —
                self._copied = True       # torch's reshape copies too: no view, no _base
                out = a.reshape(shape) if a.nbytes < kernels.buffers.MIN_BYTES else \
                    kernels.elementwise.copy(a).reshape(shape)
                if torch_would_view(x, shape):   # ... unless torch's is a view (x in the
                    self._copied = "for a view"  # library's own order: a convolution's
                    versions.link_copy(out, a)   # result): writes into either are refused
                return out                       # while both live (never silently lost)
        except ValueError:
            raise ShapeError(f"view/reshape: shape {tuple(shape)} is invalid for a tensor of "
                             f"shape {x.shape} (shape '{list(shape)}' is invalid for input of "
                             f"size {x.array.size})") from None

    def backward(self, g):
        if not _mode.enabled and function._dual is None:   # a plain backward: no graph to
            return self.constant(g.array.reshape(self.in_shape))   # record, the array at once
        return Reshape.apply(g, self.in_shape)

    def label(self) -> str:
        return self.called


def with_torch_new_dim_stride(out, x, dim):
    """``out`` (a view of ``x`` with a size-1 dim put in at ``dim``) given torch's stride on
    that dim — 1 as the last dim, else the size × stride of the dim it goes before — where
    NumPy's reshape chose another (a non-contiguous ``x``, or an empty one: all its strides
    are set then). Free for a contiguous ``x`` with elements."""
    a, xa = out.array, x.array
    if not a.size:                  # (NumPy's reshape chose contiguous ones, or 0s)
        from .strided import element_strides, with_empty_steps
        steps = list(element_strides(xa))
        steps.insert(dim, 1 if dim == xa.ndim else xa.shape[dim] * steps[dim])
        out.array = with_empty_steps(a, steps)
        return out
    if xa.flags.c_contiguous:
        return out
    want = a.itemsize if dim == xa.ndim else xa.shape[dim] * xa.strides[dim]
    if a.strides[dim] != want and np.may_share_memory(a, xa):
        out.array = np.lib.stride_tricks.as_strided(
            a, strides=a.strides[:dim] + (want,) + a.strides[dim + 1:])
    return out


class Permute(Function):
    is_view = True
    rule, derivatives = "z = x with its axes reordered", ("dL/dx = dL/dz, axes put back",)

    def forward(self, x, dims):
        self.dims = dims
        out = x.array.transpose(dims)
        if not out.size:            # NumPy's 0 strides: torch's, permuted
            from .strided import element_strides, with_empty_steps
            steps = element_strides(x.array)
            out = with_empty_steps(out, [steps[d] for d in dims])
        return out

    def backward(self, g):
        return Permute.apply(g, inverse_order(tuple(self.dims)))


class Expand(Function):
    """The sum over the copies is what the graph walk does for every op, so the gradient
    passes through unchanged here."""
    is_view = True
    rule = "z = x broadcast (copied) to a larger shape"
    derivatives = ("dL/dx = dL/dz summed over the copies",)

    def forward(self, x, shape):
        out = np.broadcast_to(x.array, shape)
        if x.array.flags.writeable and not any(
                step == 0 and n > 1 for step, n in zip(out.strides, out.shape)):
            # no element repeated (only size-1 dims added or kept): a writable view, as
            # torch's (x.expand(x.shape).add_(1) writes into x)
            out = np.lib.stride_tricks.as_strided(x.array, out.shape, out.strides)
        if not out.size:
            out = _empty_expand(out, x.array, shape)
        return out

    def backward(self, g):
        return g


def _empty_expand(out, xa, shape):
    """``out`` (the empty ``xa`` broadcast to ``shape``) with torch's strides
    (``inferExpandGeometry``): a kept dim keeps its stride, one that grows gets 0, and a new
    leading dim of size 1 steps over the dim after it (its size × stride)."""
    from .strided import element_strides, with_empty_steps
    steps, lead = element_strides(xa), len(shape) - xa.ndim
    new = [0] * len(shape)
    for i in reversed(range(len(shape))):
        d = i - lead
        if d >= 0:
            size, step = xa.shape[d], steps[d]
        else:
            size, step = 1, shape[i + 1] * new[i + 1] if i + 1 < len(shape) else 1
        new[i] = step if size == shape[i] else 0
    return with_empty_steps(out, new)


class Flip(Function):
    """A copy (torch's flip is not a view)."""
    rule, derivatives = "z = x read backwards along dims", ("dL/dx = dL/dz flipped back",)

    def forward(self, x, dims):
        self.dims = dims
        return np.flip(x.array, dims).copy()

    def backward(self, g):
        return Flip.apply(g, self.dims)


class Roll(Function):
    rule = "z = x shifted cyclically by shifts along dims"
    derivatives = ("dL/dx = dL/dz shifted back",)

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return np.roll(x.array, shifts, dims)

    def backward(self, g):
        return Roll.apply(g, tuple(-s for s in self.shifts), self.dims)


class Repeat(Function):
    """``x.repeat(r₀, r₁, ...)``: the tensor tiled rᵢ times along dim i (a copy)."""
    rule = "z = x tiled r times along each dim"
    derivatives = ("dL/dx = dL/dz summed over the tiles",)

    def forward(self, x, repeats):
        self.in_shape, self.repeats = x.shape, repeats
        out = np.tile(x.array, repeats)
        return out if out.size else out.copy()   # (an empty tile is a view of x: own memory)

    def backward(self, g):
        # z's shape (r₀·s₀, r₁·s₁, ...) seen as (r₀, s₀, r₁, s₁, ...): sum the r axes
        split = [n for pair in zip(self.repeats, self.in_shape) for n in pair]
        return g.reshape(split).sum(tuple(range(0, len(split), 2)))


class Triangle(Function):
    """``tril``/``triu``: the lower (on and below ``diagonal``) or upper (on and above) triangle
    of the last two dims, 0 elsewhere. It keeps no array (only the diagonal and which side), so
    backward may run again after the graph was freed, as torch's TrilBackward0/TriuBackward0."""
    rule = "z = x on one side of the diagonal, 0 on the other"
    derivatives = ("dL/dx = dL/dz's same triangle",)
    op_name = "tril"

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        if upper:
            self.op_name = "triu"
            return np.triu(x.array, diagonal)
        return np.tril(x.array, diagonal)

    def label(self):
        return f"{self.op_name}(diagonal={self.diagonal})"

    def backward(self, g):
        return Triangle.apply(g, self.diagonal, self.upper)


class Clone(Function):
    """A copy with its own memory (``memory_format`` may choose the layout)."""
    rule, derivatives = "z = a copy of x", ("dz/dx = 1",)

    def forward(self, x, order="K"):
        if order == "channels_last":        # (N, C, ...) seen, stored as (N, ..., C)
            n = x.ndim                      # (always a copy, with torch's strides even
            seen = x.array.transpose(0, *range(2, n), 1)      # for size-1 dims)
            out = np.empty(seen.shape, x.array.dtype)
            out[...] = seen
            return out.transpose(0, n - 1, *range(1, n - 1))
        return kernels.elementwise.copy(x.array, order)

    def backward(self, g):
        return g


class Staged(tuple):
    """A two-step index ``(basic, advanced)``: torch applies ints, slices, None and ``...``
    first (a view) and the tensor indices afterwards, on the dims that are left; NumPy would
    treat an int as one more advanced index (``x[1, :, idx]``: torch's shape (3, 2), NumPy's
    (2, 3)). :func:`functions.index.torch_index` builds it."""

    def take(self, array):
        return array[self[0]][self[1]]


def _read(array, index):
    return index.take(array) if isinstance(index, Staged) else array[index]


class GetItem(Function):
    """Added, because an integer-array index may pick one element several times."""
    is_view = True
    rule = "z = x[index]"
    derivatives = ("dL/dx = zeros of x's shape, dL/dz added at the indexed places",)
    op_name = "getitem"

    def forward(self, x, index, wide_grad=False):
        self.in_shape, self.index, self.wide_grad = x.shape, index, wide_grad
        self.index_versions = index_versions(index)
        if type(index) is not int and type(index) is not slice and not _is_basic(index):
            self._copied = True     # an index array: torch's result is a copy (no _base)
        try:
            out = _read(x.array, index)
            if type(out) is not np.ndarray and _is_basic(index):
                # an integer for every dim: NumPy gives a copied scalar; a 0-d view, as torch
                # (x[1, 2].fill_(0) writes into x)
                out = x.array[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
            out = np.asarray(out)
            if out.size == 0 and not isinstance(index, Staged) and _is_basic(index):
                out = _empty_view(x, index, out)
            elif index is None or type(index) is tuple and any(i is None for i in index):
                out = _torch_new_axes(out, x.array, index)
            return out
        except IndexError as e:
            raise IndexError(f"index {_describe(index)} is out of range for a tensor of shape "
                             f"{x.shape}: {e}") from None

    def backward(self, g):
        check_index(self, self.index, self.index_versions)
        if _mode.slice_grads and _is_basic(self.index):    # a block of zeros: leave them out
            return SliceGrad(self.index, g.array, self.in_shape)
        return IndexAdd.apply(g, self.index, self.in_shape, wide=self.wide_grad)


def _basic_geometry(shape, strides, items, unit):
    """torch's view geometry for the basic index ``items`` (ints, slices, None, Ellipsis) of
    a tensor of ``shape`` and ``strides`` (in any unit; ``unit``: one element in it):
    ``(offset, sizes, strides)`` of the result, applying the items left to right as torch
    does — each ``None`` an unsqueeze before the next dim not yet indexed, of stride that
    dim's size × stride (``unit`` past the last). None for any other item (an index array,
    a bool)."""
    sizes, strides, offset, d = list(shape), list(strides), 0, 0
    for i in items:
        if i is Ellipsis:
            d += len(shape) - sum(j is not None and j is not Ellipsis for j in items)
        elif i is None:
            strides.insert(d, sizes[d] * strides[d] if d < len(sizes) else unit)
            sizes.insert(d, 1)
            d += 1
        elif type(i) is slice:
            start, stop, step = i.indices(sizes[d])
            offset += start * strides[d]
            sizes[d], strides[d] = len(range(start, stop, step)), strides[d] * step
            d += 1
        elif isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
            offset += int(i) % sizes[d] * strides[d]
            del sizes[d], strides[d]
        else:
            return None
    return offset, sizes, strides


def _torch_new_axes(out, x, index):
    """``out`` (the NumPy view ``x[index]``) with torch's strides on the size-1 dims that the
    index's ``None`` put in (:func:`_basic_geometry`), where NumPy gives 0."""
    geometry = _basic_geometry(x.shape, x.strides, index if type(index) is tuple else (index,),
                               out.itemsize)
    if geometry is None or tuple(geometry[1]) != out.shape:   # (an index array: NumPy's)
        return out
    strides = tuple(geometry[2])
    if strides == out.strides:
        return out
    if out.flags.c_contiguous:      # (cheaply: often torch's are the C strides NumPy gives)
        dense = out.reshape(-1).reshape(out.shape)
        if dense.strides == strides:
            return dense
    return np.lib.stride_tricks.as_strided(out, strides=strides)


def _empty_view(x, index, out):
    """An empty slice as torch places it: NumPy starts every empty view at its input's first
    element (``x[2:2]`` at x[0]), torch at the slice's start (``x[2:2].storage_offset() == 2``,
    where an ``out=`` resize then writes), with the input's strides (× the step) kept."""
    from .strided import element_geometry, element_strides, storage_of, strided_view
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, slice) and (i.step or 1) < 0 for i in items):
        return out
    try:
        offset = element_geometry(x.array)[1]
    except RuntimeError:                   # memory that is no storage: NumPy's view stands
        return out
    geometry = _basic_geometry(x.array.shape, element_strides(x.array), items, 1)
    if geometry is None or tuple(geometry[1]) != out.shape:
        return out
    return strided_view(storage_of(x.array)[0], offset + geometry[0], out.shape,
                        tuple(geometry[2]), out.dtype)


class IndexAdd(Function):
    """The adjoint of indexing (``wide``: float16 summed as :func:`add_at` says)."""
    rule, derivatives = "z = zeros(shape) with x added at index", ("dL/dx = dL/dz[index]",)
    op_name, linear = "index_add", True

    def forward(self, x, index, shape, unique=False, wide=False):
        self.index = index
        out = np.zeros(shape, dtype=x.dtype)
        target = out
        if isinstance(index, Staged):      # the basic step is a view of ``out``
            target, index = out[index[0]], index[1]
        if unique or _is_basic(index):
            target[index] = x.array        # no element is picked twice: plain assignment
        else:
            add_at(target, index, x.array, wide)
        return out

    def backward(self, g):
        return GetItem.apply(g, self.index)


class Cat(Function):
    inputs = ("xₖ",)
    rule, derivatives = "z = the inputs joined along dim", ("dL/dxₖ = the k-th slice of dL/dz",)

    def forward(self, *tensors, dim):
        self.dim = dim
        self.sizes = [t.shape[dim] for t in tensors]
        out = np.concatenate([t.array for t in tensors], axis=dim)
        if out.flags.c_contiguous:
            return out
        if all(is_channels_last(t) for t in tensors):   # torch's cat is contiguous unless
            return laid_out(out, channels_last_order(out.ndim))     # all are channels-last
        return np.ascontiguousarray(out)

    def backward(self, g):
        grads, start = [], 0
        for size, needed in zip(self.sizes, self.needs_input_grad):
            index = (slice(None),) * self.dim + (slice(start, start + size),)
            grads.append(GetItem.apply(g, index) if needed else None)
            start += size
        return tuple(grads)


def is_channels_last(t):
    """Whether torch suggests channels_last (3d) for the tensor ``t``: (N, C, H, W) or (N, C,
    D, H, W) memory with C innermost, by torch's strides (its rule for size-1 dims too). Its
    cat, pad, group_norm, ... then keep that layout."""
    if t.ndim not in (4, 5) or t.array.flags.c_contiguous:
        return False
    from ..functions.memory_formats import contiguous_format, suggest_memory_format
    return suggest_memory_format(t) is not contiguous_format


def scatter_along(g, idx, dim, shape):
    """Place ``g`` (shape with 1 at ``dim``) at positions ``idx`` along ``dim`` of zeros(shape);
    differentiable (it is IndexAdd with an index built from ``idx``)."""
    return IndexAdd.apply(g, along(idx, dim, shape), shape, unique=True)


def along(idx, dim, shape):
    """The NumPy index that picks ``idx[i, j, k]`` along ``dim`` at position (i, j, k) of the
    other dims: ``x[along(idx, 1, x.shape)]`` is torch's ``x.gather(1, idx)``."""
    return tuple(idx if axis == dim else
                 np.arange(n).reshape((-1,) + (1,) * (len(shape) - axis - 1))
                 for axis, n in enumerate(idx.shape))


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               for i in items)


def _describe(index):
    if isinstance(index, Staged):
        return _describe(index[0]) + _describe(index[1])
    items = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(
        ("..." if i is Ellipsis else "None" if i is None else
         f"{i.start if i.start is not None else ''}:{i.stop if i.stop is not None else ''}"
         + (f":{i.step}" if i.step is not None else "") if isinstance(i, slice) else
         f"array{np.shape(i)}" if isinstance(i, np.ndarray) else str(i)) for i in items) + "]"
