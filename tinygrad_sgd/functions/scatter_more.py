"""More writing by index, as torch has it: ``index_put`` (``x[indices] = values`` as a
function, ``accumulate=True`` adds, repeated places adding up), ``put`` (the same on the
flattened tensor), ``index_reduce`` (prod, mean, amax, amin along a dim) and the
``*_scatter`` functions that write a whole view (``diagonal_scatter``, ``select_scatter``,
``slice_scatter``) into a copy; with their in-place forms ``index_put_``, ``put_``,
``index_reduce_``.

No new primitive: each is :class:`.ops.index.IndexPut` or :class:`.ops.index.ScatterReduce`
with an index built here, so the gradients are theirs (torch's conventions: an overwritten
place sends no gradient to the old value; amax/amin share it among ties) and second order
comes free.
"""
import warnings

import numpy as np

from .. import autograd
from ..arguments import normalize_dim
from ..autograd.torch_names import named
from ..errors import user_stacklevel
from ..kernels.layout import inverse_order
from ..ops.index import IndexPut, ScatterReduce, diagonal_index
from ..ops.shape import Staged
from ..tensor import Tensor, tensor_method
from .index import diagonal, select, torch_index
from .inplace import _dtype_name
from .scatter_gather import _method, index_func_checks

__all__ = ["index_put", "index_put_", "put", "index_reduce", "diagonal_scatter",
           "select_scatter", "slice_scatter"]


def _shape_text(shape):
    return str(list(shape))


# ---------------------------------------------------------------------------- index_put
@tensor_method
def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of long,
    int or bool index tensors, one per leading dim), or added with ``accumulate`` (repeated
    places add up). ``values`` broadcast to the indexed part's shape."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of "
                        f"Tensors, not {type(indices).__name__}")
    from .elementwise import no_shell_kernel
    no_shell_kernel("index_put", input.array.dtype)
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got "
                            f"{type(i).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    for i in indices:
        if i.dtype not in (np.int64, np.int32, np.uint8, np.bool_):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    used = sum(max(i.ndim, 1) if i.dtype in (np.bool_, np.uint8) else 1 for i in indices)
    if used > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} "
                         f"(got {len(indices)})")
    if not indices:         # (torch fails an internal assert here)
        raise RuntimeError("index_put(): at least one index tensor is needed (for the whole "
                           "tensor use copy_ or add_)")
    index = torch_index(tuple(indices), input.shape)
    target = _indexed_shape(input.shape, index)
    if not accumulate and values.numel() == 1 and len(indices) == 1 \
            and indices[0].dtype in (np.bool_, np.uint8):
        # torch's masked_fill_ shortcut: one mask and one value, written whatever its dtype
        # and shape
        if indices[0].dtype == np.uint8:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                               "dtype unsigned char")
        values = values.reshape(()).to(input.dtype)
    if values.ndim > len(target) or _broadcasts_to(values.shape, target) is False:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_text(values.shape)} "
                           f"cannot be broadcast to indexing result of shape "
                           f"{_shape_text(target)}")
    if values.dtype != input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_dtype_name(input.dtype)} for the destination and "
                           f"{_dtype_name(values.dtype)} for the source.")
    return IndexPut.apply(input, values, index, accumulate=bool(accumulate))


def _indexed_shape(shape, index):
    """The shape of ``x[index]`` for an x of ``shape``, without touching x's values."""
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape, (0,) * len(shape))
    return index.take(dummy).shape if isinstance(index, Staged) else dummy[index].shape


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def index_put_(input, indices, values, accumulate=False):
    """In place: ``input[indices] = values`` (or ``+=`` with ``accumulate``)."""
    return input.index_put_(indices, values, accumulate)


# ---------------------------------------------------------------------------- put
@tensor_method
def put(input, index, source, accumulate=False):
    """A copy of ``input`` with ``source``'s elements written (or added, with
    ``accumulate``) at the places ``index`` names in the flattened input (negative indices
    count from the end); index and source need only the same number of elements."""
    if not isinstance(index, Tensor) or index.dtype != np.int64:
        got = _dtype_name(index.dtype) if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {got}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_dtype_name(input.dtype)} and source.dtype = "
                           f"{_dtype_name(source.dtype)}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, "
                         f"index.numel() = {index.numel()}")
    n = input.numel()
    idx = index.array.reshape(-1)
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {bad.flat[0]} on a tensor of "
                         f"{n} elements.")
    out = IndexPut.apply(input.reshape(-1), source.reshape(-1), idx % max(n, 1),
                         accumulate=bool(accumulate))
    return named(out.reshape(input.shape), "PutBackward0", input)


# ---------------------------------------------------------------------------- index_reduce
_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


@tensor_method
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """A copy of ``input`` with each ``source`` slice ``k`` along ``dim`` reduced ("prod",
    "mean", "amax", "amin") into slice ``index[k]``; ``include_self=False`` leaves input's
    own values out where anything is reduced in. (An integer mean rounds down, as torch.)"""
    global _warned_beta
    if not _warned_beta:                # (torch's TORCH_WARN_ONCE)
        _warned_beta = True
        warnings.warn("index_reduce() is in beta and the API may change at any time.",
                      UserWarning, stacklevel=user_stacklevel())
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = normalize_dim(dim, input.ndim, "index_reduce")
    idx = index_func_checks(input, d, index, source, "index_reduce")
    base, src = (input, source) if input.ndim else (input.reshape(1), source.reshape(1))
    if src.ndim == 0:                   # (a 1-d self and a 0-d source: one slice)
        src = src.reshape(1)
    if idx.size and (idx.min() < 0 or idx.max() >= base.shape[d]):
        raise IndexError("index out of range in self")
    shape = [1] * src.ndim
    shape[d] = -1
    full = np.ascontiguousarray(np.broadcast_to(idx.reshape(shape), src.shape))
    out = ScatterReduce.apply(base, src, d, full, reduce, bool(include_self))
    return named(out if input.ndim else out.reshape(()), "IndexReduceBackward0", input)


_warned_beta = False


# ---------------------------------------------------------------------------- *_scatter
def _exact_src(src, expected, input):
    if not isinstance(src, Tensor):
        raise TypeError(f"argument 'src' (position 2) must be Tensor, not {type(src).__name__}")
    if tuple(src.shape) != tuple(expected):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{_shape_text(src.shape)}, slice size = {_shape_text(expected)}")
    return src if src.dtype == input.dtype else src.to(input.dtype)


@tensor_method
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` whose ``diagonal(offset, dim1, dim2)`` is ``src`` (shaped as that
    diagonal: the other dims first, the diagonal last)."""
    with autograd.no_grad():
        expected = diagonal(input, offset, dim1, dim2).shape      # (checks the dims, as torch)
    src = _exact_src(src, expected, input)
    d1 = normalize_dim(dim1, input.ndim, "diagonal_scatter")
    d2 = normalize_dim(dim2, input.ndim, "diagonal_scatter")
    order = tuple([k for k in range(input.ndim) if k not in (d1, d2)] + [d1, d2])
    if order == tuple(range(input.ndim)):          # the usual case: no permutes needed
        return IndexPut.apply(input, src, diagonal_index(input.shape[-2:], offset))
    moved = input.permute(*order)
    out = IndexPut.apply(moved, src, diagonal_index(moved.shape[-2:], offset))
    return out.permute(*inverse_order(order))


@tensor_method
def select_scatter(input, src, dim, index):
    """A copy of ``input`` whose ``select(dim, index)`` is ``src``."""
    with autograd.no_grad():
        expected = select(input, dim, index).shape                # (checks dim and index)
    src = _exact_src(src, expected, input)
    d = normalize_dim(dim, input.ndim, "select_scatter")
    return IndexPut.apply(input, src, (slice(None),) * d + (int(index),))


@tensor_method
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` is ``src``."""
    if input.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step is not None and int(step) <= 0:
        raise RuntimeError("slice step must be positive")
    d = normalize_dim(dim, input.ndim, "slice_scatter")
    index = (slice(None),) * d + (slice(start, end, step),)
    src = _exact_src(src, _indexed_shape(input.shape, index), input)
    return IndexPut.apply(input, src, index)


# ---------------------------------------------------------------------------- in place
for _name, _fn, _operands in [("index_put_", index_put, (1,)), ("put_", put, (1,)),
                              ("index_reduce_", index_reduce, (2,))]:
    _method(_name, _fn, _operands)
