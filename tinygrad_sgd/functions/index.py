"""Indexing as torch does it (``x[...]``), and picking parts of a tensor: select, narrow,
unbind, split, chunk, tensor_split, and diagonals (diagonal, diag, diag_embed, trace, tril,
triu).

torch's indexing differs from NumPy's in one place: ints (and 0-d integer tensors), slices,
None and ``...`` are applied first, as views, and the tensor/list/mask indices afterwards, on
the dims that are left. NumPy counts an int as one more advanced index, so ``x[1, :, idx]``
has shape (2, 3) in NumPy but (3, 2) in torch. :func:`torch_index` turns a torch index into
what NumPy needs: one index, or a two-step :class:`~tinygrad_sgd.ops.shape.Staged` one.
(house: long file — torch's index reading, and its rules for ``x[index] = v`` read from the
same index, belong beside each other.)
"""
import inspect
import warnings

import numpy as np

from .. import ops
from ..arguments import normalize_dim, shape_arg
from ..autograd.torch_names import getitem_name, named, torch_mode
from ..errors import ShapeError, user_stacklevel
from ..ops.index import Diagonal, diagonal_index
from ..ops.shape import Staged, Triangle
from ..tensor import Tensor, tensor_method
from ..ops.strided import element_geometry

__all__ = ["select", "narrow", "unbind", "split", "chunk", "tensor_split", "diagonal", "diag",
           "diag_embed", "trace", "tril", "triu"]   # (and the Tensor method unfold)


# ---------------------------------------------------------------------------- x[index]
def getitem(input, index):
    out = ops.GetItem.apply(input, torch_index(index, input.shape))
    if out.grad_fn is not None and torch_mode():
        named(out, getitem_name(index), input)
    return out


def setitem_rules(index, value, self):
    """torch's checks for ``self[index] = value`` that the index's form decides, and the name
    torch gives the node (returned). torch applies ints, slices, None and bools first, as a
    view, then writes the tensor indices with ``index_put_`` — or, for one bool/uint8 mask and a
    one-element value, with ``masked_fill_`` (which refuses a uint8 mask). ``index_put_`` wants
    a value of the tensor's own dtype. A write through a view is a ``CopySlices`` node; an
    ``index_put_`` on the tensor itself an ``IndexPutBackward0``; a write of the whole tensor a
    ``fill_`` (one-element value) or a ``copy_``."""
    shape, single = self.shape, not isinstance(index, tuple)
    items = (index,) if single else index
    n_given = sum(1 for i in items if i is not None and i is not Ellipsis and
                  not (isinstance(i, (bool, np.bool_)) or (isinstance(i, Tensor) and
                                                           i.ndim == 0 and i.dtype == bool)))
    view = advanced = False
    masks, dim, n_defined = [], 0, 0       # n_defined: the index tensors index_put_ is given
    for i in items:
        if i is Ellipsis:
            dim += max(0, len(shape) - n_given)
        elif i is None:
            view = True
        elif isinstance(i, (bool, np.bool_)):
            view = True
            advanced = advanced or not single      # (x[True] = v is a plain copy)
            n_defined += not single
        elif isinstance(i, (int, np.integer)):
            view, dim = True, dim + 1
        elif isinstance(i, slice):
            n = shape[dim] if dim < len(shape) else 0
            view = view or slice(*i.indices(n)).indices(n) != (0, n, 1)
            dim += 1
        else:
            a = i.array if isinstance(i, Tensor) else None
            if a is not None and a.ndim == 0:
                view = True                        # (a 0-d int selects; a 0-d bool adds a dim)
                advanced = advanced or a.dtype == bool
                n_defined += a.dtype == bool
                dim += a.dtype != bool
                continue
            advanced, n_defined = True, n_defined + 1
            if a is not None and a.dtype in (np.bool_, np.uint8):
                masks.append(a)
                dim += a.ndim
            else:
                dim += 1
    if not advanced:
        if view:
            return "torch::autograd::CopySlices"
        one = not isinstance(value, Tensor) or value.ndim == 0
        return "FillBackward3" if one and shape != () else "torch::autograd::CopyBackwards"
    numel = value.numel() if isinstance(value, Tensor) else 1
    if numel != 1:
        with warnings.catch_warnings():            # (setitem reads the index again)
            warnings.simplefilter("ignore")
            where = torch_index(index, shape)
        target = ops.shape._read(np.broadcast_to(np.zeros((), np.int8), shape), where)
        try:                            # (the value broadcasts to the target, not both ways)
            fits = np.broadcast_shapes(value.shape, target.shape) == target.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                             f"be broadcast to indexing result of shape "
                             f"{list(np.shape(target))}") from None
    if numel == 1 and len(masks) == 1 and n_defined == 1:           # masked_fill_
        if masks[0].dtype == np.uint8:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                               "dtype unsigned char")
    elif isinstance(value, Tensor) and value.dtype != self.dtype:
        from .elementwise import torch_dtype_name
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{torch_dtype_name(self.dtype)} for the destination and "
                           f"{torch_dtype_name(value.dtype)} for the source.")
    return "torch::autograd::CopySlices" if view else "IndexPutBackward0"


def torch_index(index, shape):
    """The NumPy index (or :class:`Staged` pair) that gives torch's ``x[index]``, checked."""
    if type(index) is int:                                   # the common cases, quickly
        _check_int(index, shape, 0)
        return index
    if type(index) is slice and (index.step is None or _int(index.step) > 0):
        if not shape:
            raise IndexError("invalid index of a 0-dim tensor (too many indices for tensor of "
                             "dimension 0)")
        return index
    items = [_item(i) for i in _as_items(index)]
    used = sum(1 if kind in ("int", "slice", "array") else np.ndim(v) if kind == "mask" else 0
               for kind, v in items)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}: index out of "
                         f"range for a tensor of shape {shape}")
    basic, advanced, dim, pos = [], {}, 0, 0   # dim: in the input; pos: in the basic result
    for kind, v in items:
        if kind == "int":
            _check_int(v, shape, dim)
            basic.append(v)
            dim += 1
        elif kind == "...":
            # the dims no other item names (torch takes several ``...``: the later name none)
            k = max(0, min(len(shape) - used, len(shape) - dim))
            basic.extend([slice(None)] * k)
            dim, pos = dim + k, pos + k
        elif kind in ("slice", "None"):
            basic.append(v)
            dim, pos = dim + (kind == "slice"), pos + 1
        elif kind == "bool":          # True/False: a new dim of size 1 or 0, as torch
            basic.append(None)
            advanced[pos] = np.zeros(int(v), dtype=np.int64)
            pos += 1
        else:                         # an integer array (1 dim) or a bool mask (k dims)
            k = v.ndim if kind == "mask" else 1
            _check_array(kind, v, shape, dim)
            basic.extend([slice(None)] * k)
            advanced[pos] = v
            dim, pos = dim + k, pos + k
    if not advanced:
        return basic[0] if len(basic) == 1 else tuple(basic)
    _check_broadcast(advanced.values())
    second, p = [], 0
    while p <= max(advanced):
        a = advanced.get(p)
        second.append(slice(None) if a is None else a)
        p += 1 if a is None or a.dtype != bool else max(a.ndim, 1)
    if all(b == slice(None) for b in basic):
        # one step is enough (an index array on its own is freed with the graph's arrays)
        return second[0] if len(second) == 1 else tuple(second)
    return Staged((tuple(basic), tuple(second)))


def _check_broadcast(arrays):
    """The index arrays (a k-dim mask counts as k arrays of its True count) must broadcast
    together, as torch says."""
    shapes = []
    for a in arrays:
        shapes += [(int(a.sum()),)] * max(a.ndim, 1) if a.dtype == bool else [a.shape]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         "with shapes " + ", ".join(str(list(s)) for s in shapes)) from None


def _as_items(index):
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32 and any(
            i is None or i is Ellipsis or isinstance(i, (slice, list, tuple, np.ndarray, Tensor))
            for i in index):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                      "(torch reads it as a tuple, as here); use x[tuple(seq)] instead of x[seq]",
                      UserWarning, stacklevel=user_stacklevel())
        return tuple(index)
    return (index,)


def _item(i):
    """``(kind, value)``: kind is int, slice, None, ..., bool (a Python or 0-d bool), array
    (int64 array) or mask (bool array)."""
    if i is None:
        return "None", None
    if i is Ellipsis:
        return "...", None
    if isinstance(i, (bool, np.bool_)):
        return "bool", bool(i)
    if isinstance(i, (int, np.integer)):
        return "int", int(i)
    if isinstance(i, slice):
        start, stop, step = (None if v is None else _int(v) for v in (i.start, i.stop, i.step))
        if step is not None and step <= 0:
            raise ValueError("step must be greater than zero")
        return "slice", slice(start, stop, step)
    if isinstance(i, Tensor):
        a = i.array
    elif isinstance(i, (list, tuple, np.ndarray, range)):       # x[range(n), target] too
        a = np.asarray(i)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)      # [] picks nothing
    else:
        raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got {type(i).__name__})")
    if a.dtype == np.uint8:                  # (torch warns for a mask, not for a 0-d one)
        if a.ndim:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                          "dtype torch.bool instead.", UserWarning, stacklevel=user_stacklevel())
        a = a.astype(bool)
    if a.dtype == bool:
        return ("bool", bool(a)) if a.ndim == 0 else ("mask", a)
    if a.dtype not in (np.int64, np.int32):
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors "
                         f"(got {a.dtype})")
    return ("int", int(a)) if a.ndim == 0 else ("array", a.astype(np.int64, copy=False))


def _int(v):
    if isinstance(v, Tensor):
        return v.__index__()
    return int(v) if isinstance(v, (int, np.integer)) else v.__index__()


def _check_int(i, shape, dim):
    if dim >= len(shape):
        raise IndexError(f"invalid index of a {len(shape)}-dim tensor: index out of range for a "
                         f"tensor of shape {shape}")
    if not -shape[dim] <= i < shape[dim]:
        raise IndexError(f"index {i} is out of range for a tensor of shape {shape} (index {i} "
                         f"is out of bounds for dimension {dim} with size {shape[dim]})")


def _check_array(kind, a, shape, dim):
    if kind == "mask":
        for j, s in enumerate(a.shape):
            if s != shape[dim + j]:
                raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not "
                                 f"match the shape of the indexed tensor {list(shape)} at index "
                                 f"{dim + j}")
    elif a.size:
        n = shape[dim]
        bad = a[(a < -n) | (a >= n)]
        if bad.size:
            raise IndexError(f"index {bad.flat[0]} is out of range for a tensor of shape {shape} "
                             f"(index {bad.flat[0]} is out of bounds for dimension {dim} with "
                             f"size {n})")


# ---------------------------------------------------------------------------- parts
@tensor_method
def select(input, dim, index):
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dim(dim, input.ndim, "select")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {dim}")
    out = ops.GetItem.apply(input, (slice(None),) * d + (int(index),))
    return named(out, "SelectBackward0", input)


_NARROW_SIGNATURES = ("(Tensor input, int dim, Tensor start, int length)",
                      "(Tensor input, int dim, int start, int length)")


def narrow(*args, **kwargs):
    """``narrow(input, dim, start, length)``: ``length`` elements of ``dim`` from ``start``
    (negative: counted from the end), a view. As torch: ``start`` an int or a 0-dim integer
    tensor, ``length`` an int (or an integer tensor of one element); a bool, a float or None
    is torch's TypeError (the method ``x.narrow(dim, start, length)`` names no ``input``)."""
    return _narrow(args, kwargs, method=False)


def _narrow_method(self, *args, **kwargs):
    return _narrow((self, *args), kwargs, method=True)


_narrow_method.__name__ = _narrow_method.__qualname__ = "narrow"
_narrow_method.__doc__ = narrow.__doc__
narrow.__signature__ = inspect.Signature([inspect.Parameter(
    n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("input", "dim", "start", "length")])
_narrow_method.__signature__ = narrow.__signature__.replace(parameters=[inspect.Parameter(
    n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("self", "dim", "start", "length")])
Tensor.narrow = _narrow_method


def _narrow(args, kwargs, method):
    names = ("input", "dim", "start", "length")
    given = dict(zip(names, args))
    if kwargs:
        given.update(kwargs)
    if len(args) > 4 or (kwargs and any(k not in names[len(args):] for k in kwargs)) or \
            len(given) < 4 or not all(is_int_argument(given[k]) for k in names[1:]):
        start = given.get("start")
        if isinstance(start, Tensor) and (start.ndim != 0 or start.dtype.kind not in "iu") and \
                len(given) == 4:
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        shown = args[1:] if method else args
        got = ", ".join([type(v).__name__ for v in shown] +
                        [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
        if kwargs and not shown:
            got += ", "
        lines = "".join(f" * ({s[s.index(', ') + 2:] if method else s[1:]}\n"
                        for s in _NARROW_SIGNATURES)
        raise TypeError(f"narrow() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n" + lines)
    input, dim, start, length = (given[k] for k in names)
    if isinstance(start, Tensor) and (start.ndim != 0 or start.dtype.kind not in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    return narrow_part(input, dim, start, length)


def is_int_argument(value):
    """An int as torch's parser takes one: an int, or an integer tensor of one element."""
    if isinstance(value, Tensor):
        return value.numel() == 1 and value.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def narrow_part(input, dim, start, length):
    """``narrow``'s view once its arguments are ints (and narrow_copy's values), with torch's
    checks of the range."""
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got {dim})")
    d = int(dim) % input.ndim
    n = input.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise ShapeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return named(_part(input, d, start, start + length), "SliceBackward0", input)


def _part(input, d, start, stop):
    return ops.GetItem.apply(input, (slice(None),) * d + (slice(start, stop),))


@tensor_method
def unbind(input, dim=0):
    if input.ndim == 0:
        raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dim(dim, input.ndim, "unbind")
    return _multi_views(tuple(named(ops.GetItem.apply(input, (slice(None),) * d + (i,)),
                                    "UnbindBackward0", input) for i in range(input.shape[d])),
                        "Unbind", input)


def _multi_views(parts, name, input):
    """Mark the views a function returns several of (unbind, split, chunk) when made in a
    graph: torch refuses an in-place write into one of them with grad mode on (the check is
    in :func:`~tinygrad_sgd.functions.inplace.inplace`)."""
    from .. import autograd
    if autograd.is_grad_enabled() and input.requires_grad:
        for k, part in enumerate(parts):
            part.__dict__["_multi_output_view"] = (name, k)
    return parts


def _split_dim(input, dim, op):
    if input.ndim == 0:
        raise ShapeError(f"{op} expects at least a 1-dimensional tensor")
    return normalize_dim(dim, input.ndim, op)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the
    listed sizes, which must add up to the dim's size. (The method is
    ``Tensor.split(split_size, dim=0)``: torch names the argument differently there.)"""
    input = tensor
    d = _split_dim(input, dim, "split")
    n = input.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = shape_arg((split_size_or_sections,))
        if any(s < 0 for s in sizes):
            raise ShapeError(f"split_with_sizes expects split_sizes have only non-negative "
                             f"entries, but got split_sizes={list(sizes)}")
        if sum(sizes) != n:
            raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                             f"(input tensor's size at dimension {d}), but got "
                             f"split_sizes={list(sizes)}")
        bounds = np.cumsum((0,) + sizes).tolist()
        return _multi_views(tuple(named(_part(input, d, a, b), "SplitWithSizesBackward0", input)
                                  for a, b in zip(bounds, bounds[1:])), "SplitWithSizes", input)
    size = shape_arg((split_size_or_sections,))[0]
    if size < 0:
        raise ShapeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n:
        raise ShapeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                         f"size of {n}")
    return _multi_views(tuple(named(_part(input, d, i, i + size), "SplitBackward0", input)
                              for i in range(0, max(n, 1), max(size, 1))), "Split", input)


def _split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


_split_method.__name__ = _split_method.__qualname__ = "split"
_split_method.__doc__ = split.__doc__
Tensor.split = _split_method


@tensor_method
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise ShapeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _split_dim(input, dim, "chunk")
    n = input.shape[d]
    if n == 0:
        return split(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


@tensor_method
def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """``n`` pieces of nearly equal size (the first ``size % n`` one longer), or pieces cut
    before each listed index (as Python slices: out-of-range indices clip). The cut may also
    be given by torch's keyword names: ``sections=n``, ``indices=[...]``,
    ``tensor_indices_or_sections=tensor``."""
    given = [c for c in (indices_or_sections, sections, indices, tensor_indices_or_sections)
             if c is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() takes the sections or the indices once: as "
                        "indices_or_sections, sections, indices or tensor_indices_or_sections")
    d = _split_dim(input, dim, "tensor_split")
    cut = given[0]
    if isinstance(cut, Tensor):
        if cut.dtype.kind not in "iu" or cut.ndim > 1:
            raise ShapeError(f"tensor_split expected tensor_indices_or_sections to be a 0-dim "
                             f"or 1-dim integer tensor, got {cut.dtype} of shape {cut.shape}")
        cut = cut.array.tolist()
    n = input.shape[d]
    if isinstance(cut, (list, tuple)):
        bounds = [0] + [int(i) for i in cut] + [n]
        return tuple(ops.GetItem.apply(input, (slice(None),) * d + (slice(a, b),))
                     for a, b in zip(bounds, bounds[1:]))
    sections = shape_arg((cut,))[0]
    if sections <= 0:
        raise ShapeError(f"number of sections must be larger than 0, got {sections}")
    size, extra = divmod(n, sections)
    parts = split(input, [size + 1] * extra + [size] * (sections - extra), d)
    for part in parts:                   # (torch's tensor_split views may be written into)
        part.__dict__.pop("_multi_output_view", None)
    return tuple(named(part, "SliceBackward0", input) for part in parts)


@tensor_method
def unfold(input, dimension, size, step):
    """Windows of ``size`` along ``dimension``, every ``step``: that dim becomes the window
    count and the window is a new last dim. A view, as torch's (:func:`as_strided` of the
    input's memory: window k starts k·step elements further along the dim); overlapping
    windows add their gradients."""
    if input.ndim == 0:
        input, dimension = input.reshape(1), 0
        if size > 1:
            raise ShapeError(f"unfold: maximum size for tensor at dimension 0 is 1 but size is "
                             f"{size}")
        return input if size == 1 else input[:0]
    d = normalize_dim(dimension, input.ndim, "unfold")
    n = input.shape[d]
    if size < 0 or size > n:
        raise ShapeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is "
                         f"{size}")
    if step <= 0:
        raise ShapeError(f"unfold: step is {step} but must be > 0")
    shape, strides = list(input.shape), list(input.stride())
    shape[d], strides[d] = (n - size) // step + 1, strides[d] * step
    # (in the NumPy memory's own strides and offset, which stride() reports: the windows
    # of a result in the library's own order are views of it too, as torch's)
    view = ops.AsStrided.apply(input, tuple(shape + [size]), tuple(strides + [input.stride(d)]),
                               element_geometry(input.array)[1])
    return named(view, "UnfoldBackward0", input)


# ---------------------------------------------------------------------------- diagonals
@tensor_method
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The ``offset`` diagonal of the matrices in dims ``dim1``, ``dim2``, as the last dim (a
    view: writing into it writes into ``input``)."""
    d1, d2 = (normalize_dim(d, input.ndim, "diagonal") for d in (dim1, dim2))
    if d1 == d2:
        raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


@tensor_method
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Each vector along the last dim becomes the ``offset`` diagonal of a square matrix in
    dims ``dim1``, ``dim2`` of the result (zeros elsewhere)."""
    nd = input.ndim + 1
    d1, d2 = (normalize_dim(d, nd, "diag_embed") for d in (dim1, dim2))
    if d1 == d2:
        raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset)
    out = ops.IndexAdd.apply(input, diagonal_index((n, n), offset), input.shape[:-1] + (n, n),
                             True)
    rest = iter(range(nd - 2))
    order = [nd - 2 if p == d1 else nd - 1 if p == d2 else next(rest) for p in range(nd)]
    out = ops.Permute.apply(out, tuple(order))
    if not out.is_contiguous():          # (torch writes the diagonal into a new contiguous
        out = out.contiguous()           # result, whichever its dims)
    return named(out, "DiagEmbedBackward0", input)


@tensor_method
def diag(input, diagonal=0):
    """A vector → the square matrix with it on the ``diagonal``; a matrix → that diagonal, a
    copy (as torch: unlike :func:`diagonal`, writing into it leaves the matrix alone)."""
    if input.ndim == 1:
        n = input.shape[0] + abs(diagonal)
        out = ops.IndexAdd.apply(input, diagonal_index((n, n), diagonal), (n, n), True)
        return named(out, "DiagEmbedBackward0", input)
    if input.ndim == 2:        # (torch's node: diagonal_copy's)
        return named(Diagonal.apply(input, int(diagonal), 0, 1).clone(),
                     "DiagonalBackward0_copy", input)
    raise ShapeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@tensor_method
def trace(input):
    if input.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    from .elementwise import no_shell_kernel, not_implemented
    if input.dtype == bool:
        raise not_implemented("trace", input.dtype)
    no_shell_kernel("trace", input.array.dtype)
    return named(input.diagonal().sum(), "TraceBackward0", input)


def _triangle(input, diagonal, upper, op):
    if input.ndim < 2:
        raise ShapeError(f"{op}: input tensor must have at least 2 dimensions")
    from .elementwise import no_shell_kernel
    no_shell_kernel(op, input.array.dtype)
    return Triangle.apply(input, diagonal, upper)


@tensor_method
def tril(input, diagonal=0):
    """The lower triangle (on and below the ``diagonal``) of the last two dims; 0 above."""
    return named(_triangle(input, diagonal, False, "tril"), "TrilBackward0", input)


@tensor_method
def triu(input, diagonal=0):
    """The upper triangle (on and above the ``diagonal``) of the last two dims; 0 below."""
    return named(_triangle(input, diagonal, True, "triu"), "TriuBackward0", input)
