"""Reshaping, reordering, indexing, splitting and joining."""
import numpy as np

from .. import ops
from ..arguments import normalize_dims, shape_arg
from ..tensor import Tensor, tensor_method

__all__ = ["reshape", "flatten", "permute", "transpose", "t", "unsqueeze", "squeeze", "expand",
           "split", "cat", "stack", "concatenate"]


@tensor_method
def reshape(input, *shape):
    shape = shape_arg(shape)
    if any(s < -1 for s in shape):
        raise ValueError(f"view/reshape: invalid shape {shape}: sizes must be >= 0 (one of "
                         f"them may be -1, inferred from the others)")
    if shape == input.shape:
        return input
    return ops.Reshape.apply(input, shape)


Tensor.view = reshape


@tensor_method
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (a 0-d tensor becomes 1-d)."""
    if input.ndim == 0:
        return input.reshape(1)
    for d in (start_dim, end_dim):
        if not -input.ndim <= d < input.ndim:
            raise IndexError(f"flatten: dim {d} is out of range for a tensor of shape "
                             f"{input.shape}")
    s, e = start_dim % input.ndim, end_dim % input.ndim
    if s > e:
        raise ValueError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                         f"({end_dim})")
    shape = input.shape
    return input.reshape(shape[:s] + (-1,) + shape[e + 1:])


@tensor_method
def permute(input, *dims):
    dims = tuple(d % max(input.ndim, 1) for d in shape_arg(dims))
    if sorted(dims) != list(range(input.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the "
                         f"{input.ndim} dimensions of a tensor of shape {input.shape}")
    return ops.Permute.apply(input, dims)


@tensor_method
def transpose(input, dim0, dim1):
    n = max(input.ndim, 1)
    for d in (dim0, dim1):
        if not -n <= d < n:
            raise IndexError(f"transpose: dim {d} is out of range for a tensor of shape "
                             f"{input.shape}")
    if input.ndim < 2:
        return input
    dims = list(range(input.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return ops.Permute.apply(input, tuple(dims))


@tensor_method
def t(input):
    if input.ndim > 2:
        raise ValueError(f"t() expects a tensor with <= 2 dimensions, got shape {input.shape}")
    return input.T


@tensor_method
def unsqueeze(input, dim):
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor of shape "
                         f"{input.shape} (expected in [{-n}, {n - 1}])")
    dim %= n
    return input.reshape(input.shape[:dim] + (1,) + input.shape[dim:])


@tensor_method
def squeeze(input, dim=None):
    if dim is None:
        return input.reshape(tuple(s for s in input.shape if s != 1))
    dims = normalize_dims(dim, input.ndim, "squeeze")
    return input.reshape(tuple(s for i, s in enumerate(input.shape)
                               if not (i in dims and s == 1)))


@tensor_method
def expand(input, *shape):
    shape = shape_arg(shape)
    lead = len(shape) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: the target shape {shape} has fewer dims than the tensor's "
                         f"shape {input.shape}")
    if -1 in shape[:lead]:
        raise ValueError(f"expand: -1 (keep the size) is not allowed in a new leading dim: "
                         f"target shape {shape} for a tensor of shape {input.shape}")
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    if shape == input.shape:
        return input
    return ops.Expand.apply(input, shape)


Tensor.expand_as = lambda self, other: self.expand(other.shape)


@tensor_method
def split(input, split_size_or_sections, dim=0):
    size = split_size_or_sections
    n = input.shape[dim]
    return tuple(input[(slice(None),) * (dim % input.ndim) + (slice(i, i + size),)]
                 for i in range(0, n, size))


def cat(tensors, dim=0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    nd = tensors[0].ndim
    if any(t.ndim != nd for t in tensors):
        raise ValueError("cat: all tensors must have the same number of dims, got shapes "
                         + ", ".join(str(t.shape) for t in tensors))
    (d,) = normalize_dims(dim, nd, "cat")
    return ops.Cat.apply(*tensors, dim=d)


concatenate = cat


def stack(tensors, dim=0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError("stack: all tensors must have the same shape, got "
                         + ", ".join(str(t.shape) for t in tensors))
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


def unwrap_index(index):
    """Tensors inside an index become their integer/bool arrays."""
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else
                     np.asarray(i) if isinstance(i, list) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(input, index):
    return ops.GetItem.apply(input, unwrap_index(index))
