"""Combining and splitting tensors, and broadcasting helpers: hstack, vstack, dstack,
column_stack, atleast_*d, broadcast_to, broadcast_tensors, block_diag, cartesian_prod, diff;
and the matrix helpers mm, inner, vdot, addbmm, chain_matmul. (The index-valued searches
— searchsorted, bucketize, isin, unique_consecutive — are in :mod:`.searches`.)

All are compositions of existing primitives (cat, reshape, expand, narrow, matmul): their
gradients come from those, second order included. Index-valued results are plain tensors."""
import numpy as np

from .. import ops
from ..arguments import listed, normalize_dim
from ..device import META, check_device
from ..dtypes import as_dtype
from ..size import Size
from ..tensor import Tensor, tensor_method
from .elementwise import not_implemented, require_tensors, result_type
from .index import narrow, tensor_split
from .products import _C_NAME, addmm, dot, matmul_not_for_bool, tensordot
from .shape import _tensor_list, _torch_contiguous, cat, expand

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack",
           "dstack", "column_stack", "broadcast_to", "broadcast_tensors", "broadcast_shapes",
           "hsplit", "vsplit", "dsplit", "block_diag", "cartesian_prod", "tril_indices",
           "triu_indices", "ravel", "diff", "mm", "spmm", "inner", "vdot", "addbmm",
           "chain_matmul"]


# ---------------------------------------------------------------------------- atleast_*d
def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def _1d(x):
    return x.reshape(1) if x.ndim == 0 else x


def _2d(x):
    return x.reshape(1, -1) if x.ndim == 0 else x.reshape(1, x.shape[0]) if x.ndim == 1 else x


def _3d(x):
    if x.ndim == 0:
        return x.reshape(1, 1, 1)
    if x.ndim == 1:
        return x.reshape(1, x.shape[0], 1)
    return x.reshape(*x.shape, 1) if x.ndim == 2 else x


def atleast_1d(*tensors):
    """0-d tensors become 1-d (shape (1,)); several tensors (or one list) give a tuple."""
    return _atleast(tensors, _1d)


def atleast_2d(*tensors):
    """0-d → (1, 1), (n,) → (1, n)."""
    return _atleast(tensors, _2d)


def atleast_3d(*tensors):
    """0-d → (1, 1, 1), (n,) → (1, n, 1), (m, n) → (m, n, 1), as NumPy."""
    return _atleast(tensors, _3d)


# ---------------------------------------------------------------------------- stacking
def _nonempty(tensors, op):
    tensors = _tensor_list(tensors, op) if isinstance(tensors, (list, tuple)) else tensors
    if len(tensors) == 0:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return list(tensors)


def hstack(tensors):
    """Concatenation along dim 0 for 1-d tensors, along dim 1 otherwise (0-d become 1-d)."""
    ts = [_1d(t) for t in _nonempty(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Rows: each tensor as at least 2-d, concatenated along dim 0."""
    return cat([_2d(t) for t in _nonempty(tensors, "vstack")], 0)


def row_stack(tensors):
    """Alias of :func:`vstack`."""
    return cat([_2d(t) for t in _nonempty(tensors, "row_stack")], 0)


def dstack(tensors):
    """Depth: each tensor as at least 3-d, concatenated along dim 2."""
    return cat([_3d(t) for t in _nonempty(tensors, "dstack")], 2)


def column_stack(tensors):
    """0-d and 1-d tensors become columns (n, 1); all are concatenated along dim 1."""
    ts = _nonempty(tensors, "column_stack")
    return cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts], 1)


# ---------------------------------------------------------------------------- broadcasting
def broadcast_shapes(*shapes):
    """The shape the given shapes (ints or sequences of ints) broadcast to, as a Size."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    out = []
    for i in range(max((len(s) for s in shapes), default=0)):
        size = 1
        for k, s in enumerate(shapes):
            n = s[len(s) - 1 - i] if i < len(s) else 1
            if n < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if n != 1 and size != 1 and n != size:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {n} at {-1 - i}! "
                    f"Mismatching argument at index {k} had {s}; but expected shape should "
                    f"be broadcastable to {_so_far(shapes[:k])}")
            size = n if size == 1 else size
        out.append(size)
    return Size(tuple(reversed(out)))


def _so_far(shapes):       # torch's "expected" shape in the message: the earlier ones'
    return list(broadcast_shapes(*shapes)) if shapes else []


def broadcast_to(input, size):
    """``input.expand(size)`` (a view; the gradient sums over the broadcast dims)."""
    return expand(input, *size)


def _broadcast_to_method(self, *size, **keyword):
    """``x.broadcast_to(3, 2)`` as well as ``x.broadcast_to((3, 2))``, as torch's method."""
    if not size and not keyword:
        raise TypeError('broadcast_to() missing 1 required positional arguments: "size"')
    return expand(self, *listed("broadcast_to", size, keyword, "size"))


_broadcast_to_method.__name__ = "broadcast_to"
Tensor.broadcast_to = _broadcast_to_method


def broadcast_tensors(*tensors):
    """Every tensor expanded to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = []
    for a_index, t in enumerate(tensors):
        for i in range(1, t.ndim + 1):
            n = t.shape[-i]
            if i > len(shape):
                shape.insert(0, n)
            elif n != 1 and shape[-i] != 1 and n != shape[-i]:
                raise RuntimeError(f"The size of tensor a ({shape[-i]}) must match the size "
                                   f"of tensor b ({n}) at non-singleton dimension "
                                   f"{t.ndim - i}")
            elif shape[-i] == 1:
                shape[-i] = n
    return tuple(t if t.shape == tuple(shape) else expand(t, *shape) for t in tensors)


# ---------------------------------------------------------------------------- splitting
def _split(input, sections, dim, op, min_dims):
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        if sections == 0 or input.shape[dim] % sections:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {input.shape[dim]} is not divisible by "
                               f"the split_size {sections}!")
    return tensor_split(input, sections, dim)


def _sections_or_indices(op, indices_or_sections, sections, indices):
    """The one cut given positionally or as torch's keyword ``sections=`` / ``indices=``."""
    given = [c for c in (indices_or_sections, sections, indices) if c is not None]
    if len(given) != 1:
        raise TypeError(f"{op}() received an invalid combination of arguments: give the "
                        f"sections (an int) or the indices (a sequence) once")
    if sections is not None and not isinstance(sections, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'sections' must be int, not "
                        f"{type(sections).__name__}")
    if indices is not None and isinstance(indices, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'indices' must be tuple of ints, not int")
    return given[0]


@tensor_method
def hsplit(input, indices_or_sections=None, *, sections=None, indices=None):
    """Split along dim 1 (dim 0 for a 1-d tensor), into equal sections or at indices."""
    cut = _sections_or_indices("hsplit", indices_or_sections, sections, indices)
    return _split(input, cut, 1 if input.ndim > 1 else 0, "hsplit", 1)


@tensor_method
def vsplit(input, indices_or_sections=None, *, sections=None, indices=None):
    cut = _sections_or_indices("vsplit", indices_or_sections, sections, indices)
    return _split(input, cut, 0, "vsplit", 2)


@tensor_method
def dsplit(input, indices_or_sections=None, *, sections=None, indices=None):
    cut = _sections_or_indices("dsplit", indices_or_sections, sections, indices)
    return _split(input, cut, 2, "dsplit", 3)


# ---------------------------------------------------------------------------- building
def block_diag(*tensors):
    """The tensors (0-d, 1-d as one row, 2-d) on the diagonal of a zero matrix, in their
    common dtype."""
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    blocks = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t
              for t in tensors]
    if not blocks:
        return Tensor._of(np.zeros((1, 0), np.float32))
    dtype = result_type(*[np.empty((1,), b.dtype) for b in blocks])
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = b if b.dtype == dtype else b.to(dtype)
        r, c = b.shape
        parts = [Tensor._of(np.zeros((r, left), dtype)), b,
                 Tensor._of(np.zeros((r, width - left - c), dtype))]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """All combinations of the 1-d tensors' elements, one per row (``itertools.product``
    order); one tensor is returned as it is."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    n = len(tensors)
    full = tuple(t.shape[0] for t in tensors)
    cols = [expand(t.reshape(*[-1 if j == i else 1 for j in range(n)]), *full).reshape(-1, 1)
            for i, t in enumerate(tensors)]
    return cat(cols, 1)


def _tri_indices(fn, op, row, col, offset, dtype, device):
    on_meta = check_device(device, meta=True) is META
    dtype = np.dtype(as_dtype(dtype)) if dtype is not None else np.dtype(np.int64)
    if dtype.kind not in "iu":
        if on_meta:              # (torch's meta kernel says it so)
            raise RuntimeError(f'"{op}" not implemented for \'{as_dtype(dtype)}\'')
        raise not_implemented(op, dtype)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if on_meta:                # (the meta device: only the count, row by row, no indices)
        from .. import meta
        return meta.make((2, _tri_count(fn is np.tril_indices, row, col, offset)), dtype)
    return Tensor._of(np.stack(fn(row, offset, col)).astype(dtype).reshape(2, -1))


def _tri_count(lower, row, col, offset):
    """How many entries of a row × col matrix are on or below (``lower``) / on or above the
    ``offset``-th diagonal: row r has min(r + offset + 1, col) of them below, col − (r +
    offset) above, each clipped to [0, col]."""
    r = np.arange(row, dtype=np.int64)
    per_row = r + offset + 1 if lower else col - (r + offset)
    return int(np.clip(per_row, 0, col).sum())


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    """The (2, N) coordinates of the lower triangle of a row × col matrix, row by row."""
    return _tri_indices(np.tril_indices, "tril_indices", row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    return _tri_indices(np.triu_indices, "triu_indices", row, col, offset, dtype, device)


@tensor_method
def ravel(input):
    """``input.contiguous().view(-1)``, as torch's: a view of the input where torch's
    tensor is contiguous (a convolution's result in the library's own layout too: ``view``
    stands in for it there), else a view of its contiguous copy (whose ``_base`` that copy
    is)."""
    if _torch_contiguous(input):
        return input.view(-1)
    return input.contiguous().view(-1)


@tensor_method
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along ``dim`` (``logical_xor`` of neighbours for bool), after
    concatenating ``prepend`` and ``append`` (same number of dims as input); n=0 gives a
    copy of the input alone."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = normalize_dim(dim, input.ndim, "diff")
    parts = [input]
    for extra, where in ((prepend, 0), (append, 1)):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):
            raise TypeError(f"diff(): argument '{('prepend', 'append')[where]}' must be "
                            f"Tensor, not {type(extra).__name__}")
        if extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        parts.insert(0 if where == 0 else len(parts), extra)
    if n == 0:                          # torch: a copy of the input, prepend/append unused
        return input.clone()
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[dim]
        if m == 0:
            break
        hi, lo = narrow(x, dim, 1, m - 1), narrow(x, dim, 0, m - 1)
        x = hi.logical_xor(lo) if x.dtype == np.bool_ else hi - lo
    return x


# ---------------------------------------------------------------------------- matrix helpers
@tensor_method
def mm(input, mat2):
    """Matrix product of two 2-d tensors (no broadcasting: use matmul for batches)."""
    if not isinstance(input, Tensor) or not isinstance(mat2, Tensor):
        require_tensors("mm", input, mat2, names=("input", "mat2"))
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x"
                           f"{input.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    if input.dtype != mat2.dtype:
        a, b = (_C_NAME.get(np.dtype(t.dtype).name) for t in (input, mat2))
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a} != {b}")
    matmul_not_for_bool(input, mat2)
    return ops.MatMul.apply(input, mat2)


def spmm(input, mat2):
    """``torch.spmm``: a sparse matrix times a dense one. There are no sparse tensors here;
    of two dense matrices it is ``mm``, as torch's is (the gcn example's graph product)."""
    return mm(input, mat2)


@tensor_method
def inner(input, other):
    """Sum of products over the last dims (a number times a tensor if one is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    if input.dtype != other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    return tensordot(input, other, dims=([input.ndim - 1], [other.ndim - 1]))


@tensor_method
def vdot(input, other):
    """The dot product of two 1-d tensors (real dtypes: the same as dot)."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           f"tensors")
    return dot(input, other)


@tensor_method
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """β·input + α·Σ_b batch1[b] @ batch2[b]."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    b, n, k = batch1.shape
    m = batch2.shape[2]
    if batch2.shape[1] != k:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and "
                           f"{batch2.shape[1]}x{m})")
    left = batch1.permute(1, 0, 2).reshape(n, b * k)
    return addmm(input, left, batch2.reshape(b * k, m), beta=beta, alpha=alpha)


_warned_chain_matmul = False


def chain_matmul(*matrices):
    """m1 @ m2 @ ... of 2-d tensors (torch deprecates it for linalg.multi_dot, with a warning
    once per process, as here); one matrix gives a copy of it, as torch."""
    global _warned_chain_matmul
    if not _warned_chain_matmul:
        _warned_chain_matmul = True
        import warnings
        from ..errors import warn_level
        warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                      "release. Use torch.linalg.multi_dot instead, which accepts a list of two "
                      "or more tensors rather than multiple parameters.", UserWarning,
                      stacklevel=warn_level(2))
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:             # a copy, as torch's (CloneBackward0): never the input
        from .memory_formats import clone
        return clone(matrices[0])
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out
