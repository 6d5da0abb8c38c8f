"""Picking by index and writing by index: gather, scatter (scatter_add, scatter_reduce),
index_select/index_add/index_copy/index_fill, masked_fill/masked_select/masked_scatter, take,
take_along_dim, nonzero/argwhere/where(cond); and their in-place forms (``scatter_``,
``index_add_``, ``masked_fill_``, ..., ``fill_diagonal_``).

Index tensors are checked here as torch checks them (dtype, number of dims, sizes, range), so
the primitives in :mod:`tinygrad_sgd.ops.index` only see valid NumPy index arrays.
(house: long file — each function's checks follow torch's own, error by error, and they are
most of its length.)
"""
import numbers
import warnings

import numpy as np

from .. import autograd, ops
from ..arguments import normalize_dim
from ..autograd.torch_names import named
from ..dtypes import checked_scalar, read_number
from ..errors import ShapeError, user_stacklevel
from ..ops.index import Gather, IndexPut, ScatterReduce
from ..ops.shape import along
from ..tensor import Tensor, tensor_method
from .elementwise import no_shell_kernel, not_implemented, where as _where3
from .inplace import inplace, _dtype_name
from .overlap import check_index_write_overlap

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
           "index_copy", "index_fill", "masked_fill", "masked_select", "masked_scatter", "take",
           "take_along_dim", "nonzero", "argwhere", "where"]

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin", "max", "min")  # (max, min: forward only)


def _index(index, op):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index but got: "
                           f"{_dtype_name(index.dtype)}")
    return index.array.astype(np.int64, copy=False)


def _in_range(idx, n, dim, error=RuntimeError, negative=False, prefix=""):
    bad = idx[(idx < (-n if negative else 0)) | (idx >= n)]
    if bad.size:
        raise error(f"{prefix}index {bad.flat[0]} is out of bounds for dimension {dim} with "
                    f"size {n}")
    return idx % n if negative and n else idx


# ---------------------------------------------------------------------------- along a dim
def _along_dim(input, dim, index, op, src=None):
    """Checks shared by gather/scatter*: ``(dim, index array)`` for a tensor of ≥ 1 dim. An
    empty index is checked for nothing but being a tensor (torch: any dtype, any shape); its
    array is then empty in every one of the input's dims."""
    if _is_empty(index):
        return normalize_dim(dim, input.ndim, op), np.zeros((0,) * max(input.ndim, 1), np.int64)
    if isinstance(index, Tensor) and index.dtype not in (np.int64, np.int32):
        kernel = "gather" if op == "gather" else "scatter"     # (torch's name for all scatters)
        raise RuntimeError(f"{kernel}(): Expected dtype int32/int64 for index. (It is "
                           f"{_dtype_name(index.dtype)}.)")
    idx = _index(index, op)
    d = normalize_dim(dim, input.ndim, op)
    nd = max(input.ndim, 1)
    if max(idx.ndim, 1) != nd:
        raise ShapeError(f"{op}(): Index tensor must have the same number of dimensions as "
                         f"input tensor (index {index.shape}, input {input.shape})")
    shape, ishape = input.shape or (1,), idx.shape or (1,)
    for k in range(nd):
        too_big = (k != d and ishape[k] > shape[k]) or (src is not None and
                                                       ishape[k] > (src.shape or (1,))[k])
        if too_big:
            where = f" and to be no larger size than src {list(src.shape)}" if src else ""
            raise ShapeError(f"{op}(): Size does not match at dimension {k} expected index "
                             f"{list(idx.shape)} to be no larger than self {list(input.shape)} "
                             f"apart from dimension {d}{where}")
    return d, _in_range(idx.reshape(ishape), shape[d], d)


def _is_empty(index):
    return isinstance(index, Tensor) and index.numel() == 0


@tensor_method
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` (dim = 1); the output has the index's shape."""
    d, idx = _along_dim(input, dim, index, "gather")
    no_shell_kernel("scatter_gather_tensor_cpu", input.array.dtype)
    if input.ndim == 0 or _is_empty(index):
        return Gather.apply(_at_least_1d(input), d, idx).reshape(index.shape)
    return Gather.apply(input, d, idx)


def _src(input, dim, index, src, op):
    if src.ndim != index.ndim and not _is_empty(index):
        raise ShapeError(f"{op}(): Index tensor must have the same number of dimensions as src "
                         f"tensor")
    if src.dtype != input.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    d, idx = _along_dim(input, dim, index, op, src)
    src = _at_least_1d(src)
    if _is_empty(index):             # nothing of src is used
        src = ops.GetItem.apply(src.reshape(-1), slice(0, 0))
    elif src.shape != idx.shape:     # only the index's corner of src is used
        src = ops.GetItem.apply(src, tuple(slice(0, n) for n in idx.shape))
    return d, idx, src


@tensor_method
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``out[i][index[i][j]] = src[i][j]`` (dim = 1), or the number
    ``value``; the gradient of src is ``grad.gather(dim, index)``. ``reduce='add'`` or
    ``'multiply'`` combine instead (torch's deprecated form: not differentiable)."""
    src_given = isinstance(src, Tensor)
    src = value if src is None else src
    no_shell_kernel("scatter_gather_tensor_cpu" if isinstance(src, Tensor) else
                    "scatter_gather_scalar_cpu", input.array.dtype)
    base = _at_least_1d(input)
    if isinstance(src, Tensor):
        d, idx, src = _src(input, dim, index, src, "scatter")
    else:
        d, idx = _along_dim(input, dim, index, "scatter")
        src = Tensor._of(np.full(idx.shape, checked_scalar(src, input.dtype)))
    if reduce is not None:
        global _warned_reduce
        if src_given and not _warned_reduce:        # (torch's TORCH_WARN_ONCE)
            _warned_reduce = True
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated "
                          "and will be removed in a future PyTorch release. Use "
                          "torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=user_stacklevel())
        out = _scatter_reduce_legacy(base, d, idx, src, reduce)
    else:
        out = IndexPut.apply(base, src, along(idx, d, base.shape))
    out = out if out.shape == input.shape else out.reshape(())
    return named(out, "ScatterBackward0" if src_given else "ScatterBackward1", input)


_warned_reduce = False


def _scatter_reduce_legacy(base, d, idx, src, reduce):
    if reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    if autograd.is_grad_enabled() and (base.requires_grad or src.requires_grad):
        raise RuntimeError("derivative for aten::scatter is not implemented (scatter with "
                           "reduce=... is not differentiable, as in torch): use "
                           "scatter_add or scatter_reduce")
    if reduce == "add":
        return IndexPut.apply(base, src, along(idx, d, base.shape), accumulate=True, wide=True)
    return ScatterReduce.apply(base, src, d, idx, "prod", True)


@tensor_method
def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src[i][j]`` added at ``[i][index[i][j]]`` (dim = 1);
    repeated indices add up."""
    d, idx, src = _src(input, dim, index, src, "scatter_add")
    no_shell_kernel("scatter_gather_tensor_cpu", input.array.dtype)
    base = _at_least_1d(input)
    out = IndexPut.apply(base, src, along(idx, d, base.shape), accumulate=True, wide=True)
    out = out if out.shape == input.shape else out.reshape(())
    return named(out, "ScatterAddBackward0", input)


@tensor_method
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``src`` reduced into a copy of ``input`` by "sum", "prod", "mean", "amax" or "amin";
    ``include_self=False`` leaves input's own value out where anything is scattered."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d, idx, src = _src(input, dim, index, src, "scatter_reduce")
    if reduce == "mean" and input.dtype == np.bool_:       # (torch has no bool mean kernel)
        raise not_implemented("scatter_gather_tensor_cpu_reduce_mean", input.array.dtype)
    out = ScatterReduce.apply(_at_least_1d(input), src, d, idx, reduce, include_self)
    return out if out.shape == input.shape else out.reshape(())


def _at_least_1d(t):
    return t if t.ndim else t.reshape(1)


# ---------------------------------------------------------------------------- index_*
def _vector(index, op, n, dim, error=IndexError, negative=False, prefix=""):
    idx = _index(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    return _in_range(idx.reshape(-1), n, dim, error, negative, prefix)


def _at(input, dim, idx):
    return (slice(None),) * dim + (idx,)


@tensor_method
def index_select(input, dim, index):
    d = normalize_dim(dim, input.ndim, "index_select")
    no_shell_kernel("index_select", input.array.dtype)
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if input.ndim == 0 and index.numel() != 1:     # (torch checks the count before the dtype)
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index.numel()} value(s)")
    if index.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = index.array.astype(np.int64, copy=False)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = input.shape[d] if input.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        if input.ndim > 1 and d == 1:   # (torch's kernel for dim 1: its words, RuntimeError)
            bad = idx.flat[np.flatnonzero((idx < 0) | (idx >= n))[0]]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                               f"axis_dim={n}")
        raise IndexError("index out of range in self")
    if input.ndim == 0:
        return input.reshape(1)[idx.reshape(-1)].reshape(())
    # (its adjoint is torch's index_add: float16 summed in float32 for ≥ 2 dims)
    out = ops.GetItem.apply(input, _at(input, d, idx.reshape(-1)), input.ndim >= 2)
    return named(out, "IndexSelectBackward0", input)


def index_func_checks(input, d, index, source, func):
    """The flat index of index_add/index_reduce, after torch's checks in torch's order
    (``index_func_meta_impl``): the index a vector of int32/int64, the dtypes equal, ``dim``
    inside the source, one index per source slice, the shapes equal without ``dim`` (whole
    shapes where either side is 0-d)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{func}(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    if index.ndim > 1:
        raise IndexError(f"{func}_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {_dtype_name(index.dtype)} and size: "
                         f"{list(index.shape)}")
    idx = _index(index, func + "_").reshape(-1)
    if source.dtype != input.dtype:
        raise RuntimeError(f"{func}_(): self ({_dtype_name(input.dtype)}) and source "
                           f"({_dtype_name(source.dtype)}) must have the same scalar type")
    if d != 0 and d >= source.ndim:
        raise RuntimeError(f"{func}_(): Indexing dim {d} is out of bounds of the source tensor "
                           f"with dim {source.ndim}")
    if idx.size != (source.shape[d] if source.ndim else 1):
        if source.ndim == 0:     # (torch's message asks a 0-d source for its size along 0)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"{func}_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({source.shape[d]}), for dim: {d}")
    self_shape, source_shape = list(input.shape), list(source.shape)
    if input.ndim and source.ndim:
        del self_shape[d], source_shape[d]
    if self_shape != source_shape:
        raise ShapeError(f"source tensor shape must match self tensor shape, excluding "
                         f"the specified dimension. Got self.shape = {list(input.shape)} "
                         f"source.shape = {list(source.shape)}")
    return idx


@tensor_method
def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha·source[k]`` added at ``index[k]`` along ``dim``;
    repeated indices add up."""
    d = normalize_dim(dim, input.ndim, "index_add")
    n = input.shape[d] if input.ndim else 1
    no_shell_kernel("index_add_", input.array.dtype)
    idx = index_func_checks(input, d, index, source, "index_add")
    if input.ndim <= 1 and idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")        # (torch's 1-d kernel's words)
    idx = _in_range(idx, n, d, RuntimeError)
    if input.dtype.kind in "iu":
        alpha = int(alpha)               # (as torch: alpha in the input's type, 2.5 → 2)
    if alpha != 1:
        source = source * alpha
    # (torch's kernel for ≥ 2 dims sums float16 in float32, its 1-d one in float16)
    return named(IndexPut.apply(input, source, _at(input, d, idx) if input.ndim else (), True,
                                input.ndim >= 2), "IndexAddBackward0", input)


_index_add_method = index_add


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """``torch.index_add``: the method's result, written into ``out`` when given (torch's
    method has no ``out``; the function's ``out`` must have the result's dtype)."""
    if out is None:
        return _index_add_method(input, dim, index, source, alpha=alpha)
    from .out import write_out
    if autograd.is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad
                                          for t in (input, index, source, out)):
        raise RuntimeError("index_add(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    result = _index_add_method(input, dim, index, source, alpha=alpha)
    if isinstance(out, Tensor) and out.dtype != result.dtype:
        from .out import _C_NAMES
        raise RuntimeError(f"Expected out tensor to have dtype {_C_NAMES[result.dtype.name]}, "
                           f"but got {_C_NAMES[out.dtype.name]} instead")
    return write_out("index_add", result, out)


@tensor_method
def index_copy(input, dim, index, source):
    """A copy of ``input`` with ``source[k]`` written at ``index[k]`` along ``dim``."""
    d = normalize_dim(dim, input.ndim, "index_copy")
    n = input.shape[d] if input.ndim else 1
    no_shell_kernel("index_copy_cpu", input.array.dtype)
    if not isinstance(index, Tensor):
        raise TypeError(f"index_copy(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    # torch's checks, in its order (its meta function, then the kernel's range check)
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{index.ndim})")
    if source.ndim == 0 and index.numel() != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one "
                         f"element (got {index.numel()})")
    if source.ndim and input.ndim and source.ndim != input.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({input.ndim})")
    if index.dtype != np.int64:          # (torch: only int64 here, unlike index_select)
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{_dtype_name(index.dtype)}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_dtype_name(input.dtype)} and (source) "
                           f"{_dtype_name(source.dtype)}")
    # the shapes without ``dim`` (a 0-d tensor's: none) must agree; a 0-d self takes a
    # one-element 1-d source, a 1-d self a 0-d source, as torch
    self_slice = [s for k, s in enumerate(input.shape) if k != d]
    source_slice = [s for k, s in enumerate(source.shape) if k != d]
    if self_slice != source_slice:
        def show(sizes):
            return " ".join(map(str, sizes))
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {show(self_slice)} at dimension "
                           f"{d} and source slice shape: {show(source_slice)} at dimension 0.")
    if source.ndim and index.numel() != source.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({source.shape[d]})")
    idx = _vector(index, "index_copy_", n, d, prefix="index_copy_(): ")
    if input.ndim <= 1:                  # (a 0-d self or source counts as one place)
        out = IndexPut.apply(input.reshape(-1), source.reshape(-1), (idx,))
        return named(out.reshape(input.shape), "IndexCopyBackward0", input)
    return named(IndexPut.apply(input, source, _at(input, d, idx)), "IndexCopyBackward0", input)


@tensor_method
def index_fill(input, dim, index, value):
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) at ``index`` along
    ``dim``; a 0-d tensor value gets the gradient of every filled place (each counted once)."""
    read_number(value)                     # (2**64: torch's OverflowError, first)
    d = normalize_dim(dim, input.ndim, "index_fill")
    n = input.shape[d] if input.ndim else 1
    no_shell_kernel("index_fill_cpu", input.array.dtype)
    if not isinstance(index, Tensor):
        raise TypeError(f"index_fill(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype != np.int64:          # (torch: IndexError, and only int64)
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = np.unique(_vector(index, "index_fill_", n, d, negative=True))
    name = "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0"
    value = _fill_value(input, value, "index_fill_")
    return named(IndexPut.apply(input, value, _at(input, d, idx) if input.ndim else (),
                                index_tensor=index.array), name, input)   # (idx: a copy)


def _fill_value(input, value, op):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        return value.to(input.dtype)
    if isinstance(value, np.bool_):     # (torch reads a NumPy bool as a float)
        value = float(value)
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{op}(): value must be a number or a 0-d Tensor, got "
                        f"{type(value).__name__}")
    return Tensor._of(checked_scalar(value, input.dtype))


# ---------------------------------------------------------------------------- masks
def _mask(input, mask, op):
    """The shape input and the bool ``mask`` broadcast to, checked."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        dtype = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {dtype}")
    try:
        return np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise ShapeError(f"{op}: the mask's shape {mask.shape} and the tensor's {input.shape} "
                         f"cannot be broadcast together (the size of tensor a must match the "
                         f"size of tensor b at a non-singleton dimension)") from None


@tensor_method
def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, else ``input`` (mask and input broadcast together)."""
    _mask(input, mask, "masked_fill_")
    no_shell_kernel("masked_fill", input.array.dtype)
    name = "MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0"
    value = _fill_value(input, value, "masked_fill_")
    if input.dtype.kind != "f":        # never differentiated (Where's fast path is for floats)
        return Tensor._of(np.asarray(np.where(mask.array, value.array, input.array)))
    return named(ops.Where.apply(mask, value, input), name, input)


@tensor_method
def masked_select(input, mask):
    """The elements where ``mask`` (broadcast with input) is True, as a 1-d tensor."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    no_shell_kernel("masked_select", input.array.dtype)
    shape = _mask(input, mask, "masked_select")
    return named(ops.GetItem.apply(input.expand(shape), np.broadcast_to(mask.array, shape)),
                 "MaskedSelectBackward0", input)


@tensor_method
def masked_scatter(input, mask, source):
    """A copy of ``input`` whose places where ``mask`` is True take ``source``'s elements in
    order (row-major)."""
    shape = _mask(input, mask, "masked_scatter_")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {_dtype_name(input.dtype)} and {_dtype_name(source.dtype)}")
    m = np.broadcast_to(mask.array, shape)
    count = int(m.sum())
    if source.numel() < count:
        raise RuntimeError(f"masked_scatter: Number of elements of source < number of ones in "
                           f"mask ({source.numel()} < {count})")
    values = ops.GetItem.apply(source.reshape(-1), slice(0, count))
    return named(IndexPut.apply(input.expand(shape), values, m), "MaskedScatterBackward0", input)


# ---------------------------------------------------------------------------- take, nonzero
@tensor_method
def take(input, index):
    """``input.flatten()[index]``, with the index's shape."""
    idx = _index(index, "take")
    no_shell_kernel("take_cpu", input.array.dtype)
    n = input.numel()
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"take: out of range: tried to access index {bad.flat[0]} on a tensor "
                         f"of {n} elements.")
    return named(ops.GetItem.apply(input.reshape(-1), idx), "TakeBackward0", input)


@tensor_method
def take_along_dim(input, indices, dim=None):
    """``gather`` with input and indices broadcast together except along ``dim``, each index
    taken modulo that dim's size (as torch: -1 is the last element, and so is ``size - 1 +
    size``); without a dim, ``gather`` along the flattened input (negative indices refused)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(indices).__name__}")
    if dim is None:                   # (gather's checks: int32 indices too, any empty ones)
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise ShapeError(f"torch.take_along_dim(): input and indices should have the same "
                         f"number of dimensions, but got {input.ndim} dimensions for input, and "
                         f"{indices.ndim} dimensions for indices")
    if indices.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_dtype_name(indices.dtype)}")
    d = normalize_dim(dim, input.ndim, "take_along_dim")
    try:
        shape = list(np.broadcast_shapes(_one_at(input.shape, d), _one_at(indices.shape, d)))
    except ValueError:
        raise ShapeError(f"take_along_dim: input {input.shape} and indices {indices.shape} "
                         f"cannot be broadcast together apart from dim {d} (the size of "
                         f"tensor a must match the size of tensor b)") from None
    xs, js = list(shape), list(shape)
    xs[d:d + 1], js[d:d + 1] = input.shape[d:d + 1], indices.shape[d:d + 1]
    index = np.broadcast_to(indices.array, js)
    if index.size:           # torch takes every index modulo the size: -1 is the last one
        if input.shape[d] == 0:
            raise RuntimeError("ZeroDivisionError")           # (torch's ``index % 0``)
        index = index % input.shape[d]
    return gather(input.expand(*xs), d, Tensor._of(index))


def _one_at(shape, d):
    return shape[:d] + (1,) + shape[d + 1:]


@tensor_method
def nonzero(input, *, as_tuple=False):
    """The indices of the non-zero elements (NaN counts as non-zero): an (n, ndim) int64
    tensor, or with ``as_tuple`` one 1-d tensor per dim. Not differentiable."""
    a = input.array
    no_shell_kernel("nonzero_count_cpu", a.dtype)
    if not as_tuple:
        return Tensor._of(np.argwhere(a).astype(np.int64))
    if a.ndim == 0:
        return (Tensor._of(np.zeros(int(a != 0), dtype=np.int64)),)
    return tuple(Tensor._of(i.astype(np.int64)) for i in np.nonzero(a))


@tensor_method
def argwhere(input):
    return nonzero(input)


def where(condition, input=None, other=None):
    """``where(cond, x, y)``: x where cond, else y; ``where(cond)``: ``nonzero(cond,
    as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if isinstance(condition, Tensor) and condition.dtype == np.uint8:
        import warnings
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and "
                      "will be removed in a future version of PyTorch. Use a boolean condition "
                      "instead.", UserWarning, stacklevel=user_stacklevel())
        condition = condition.to(bool)
    return _where3(condition, input, other)


# ---------------------------------------------------------------------------- in place
def _in_place(self, name, compute, *tensors):
    """``self`` ← ``compute(self)`` through :func:`.inplace.inplace`, which makes the tensor
    join the graph when ``self`` or one of the operands it is given requires grad, and checks
    that each operand fits self's shape. An index or source operand need not fit (an
    index_add_ source is shorter along dim), so inplace gets a 0-d stand-in for them, which
    requires grad exactly when one of ``tensors`` does; ``compute`` uses the real ones."""
    check_index_write_overlap(name, self, tensors)      # (x.index_copy_(0, i, x[:2]))
    needs = any(isinstance(t, Tensor) and t.requires_grad for t in tensors)
    stand_in = Tensor._of(np.zeros(()), requires_grad=needs)
    return inplace(self, lambda x, _: compute(x), stand_in, name=name)


def _method(name, fn, operands):
    def method(self, *args, **kwargs):
        tensors = [args[i] for i in operands if i < len(args)] + list(kwargs.values())
        return _in_place(self, name, lambda x: fn(x, *args, **kwargs), *tensors)
    method.__name__ = name
    method.__doc__ = f"In place: ``self = {fn.__name__}(self, ...)``."
    setattr(Tensor, name, method)


for _name, _fn, _operands in [("masked_fill_", masked_fill, (1,)),
                              ("index_add_", index_add, (2,)),
                              ("index_copy_", index_copy, (2,)),
                              ("index_fill_", index_fill, (2,)),
                              ("scatter_", scatter, (2,)),
                              ("scatter_add_", scatter_add, (2,)),
                              ("scatter_reduce_", scatter_reduce, (2,)),
                              ("masked_scatter_", masked_scatter, (1,))]:
    _method(_name, _fn, _operands)


def _fill_diagonal(input, fill_value, wrap=False):
    if input.ndim < 2:
        raise ShapeError("fill_diagonal_: dimensions must larger than 1")
    if input.ndim > 2 and len(set(input.shape)) > 1:
        raise ShapeError(f"fill_diagonal_: all dimensions of input must be of equal length, got "
                         f"{input.shape}")
    on = np.zeros(input.shape, dtype=bool)
    np.fill_diagonal(on, True, wrap=wrap)
    return ops.Where.apply(Tensor._of(on), Tensor._of(np.asarray(fill_value).astype(input.dtype)),
                           input)


def fill_diagonal_(self, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal, in place (``wrap``: a tall matrix's diagonal
    starts again every N + 1 rows, as torch and NumPy)."""
    return _in_place(self, "fill_diagonal_", lambda x: _fill_diagonal(x, fill_value, wrap))


Tensor.fill_diagonal_ = fill_diagonal_
