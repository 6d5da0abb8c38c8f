"""Shape primitives: they move values around without changing them, so each backward moves the
gradient back the opposite way (reshape back, permute back, sum what was copied, scatter what
was gathered)."""
import numpy as np

from ..autograd import Function


class Reshape(Function):
    rule, derivatives = "z = x viewed with a new shape", ("dL/dx = dL/dz reshaped back",)

    def forward(self, x, shape):
        self.in_shape = x.shape
        try:
            return x.array.reshape(shape)
        except ValueError:
            raise ValueError(f"view/reshape: shape {tuple(shape)} is invalid for a tensor of "
                             f"shape {x.shape} ({x.array.size} elements)") from None

    def backward(self, g):
        return g.reshape(self.in_shape)


class Permute(Function):
    rule, derivatives = "z = x with its axes reordered", ("dL/dx = dL/dz, axes put back",)

    def forward(self, x, dims):
        self.dims = dims
        return x.array.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return Permute.apply(g, tuple(inverse))


class Expand(Function):
    """The sum over the copies is what the graph walk does for every op, so the gradient
    passes through unchanged here."""
    rule = "z = x broadcast (copied) to a larger shape"
    derivatives = ("dL/dx = dL/dz summed over the copies",)

    def forward(self, x, shape):
        try:
            return np.broadcast_to(x.array, shape)
        except ValueError:
            raise ValueError(f"expand: tensor of shape {x.shape} cannot be expanded to "
                             f"{tuple(shape)} (only size-1 dims can grow)") from None

    def backward(self, g):
        return g


class GetItem(Function):
    """Added, because an integer-array index may pick one element several times."""
    rule = "z = x[index]"
    derivatives = ("dL/dx = zeros of x's shape, dL/dz added at the indexed places",)
    op_name = "getitem"

    def forward(self, x, index):
        self.in_shape, self.index = x.shape, index
        try:
            return np.asarray(x.array[index])
        except IndexError as e:
            raise IndexError(f"index {_describe(index)} is out of range for a tensor of shape "
                             f"{x.shape}: {e}") from None

    def backward(self, g):
        return IndexAdd.apply(g, self.index, self.in_shape)


class IndexAdd(Function):
    """The adjoint of indexing."""
    rule, derivatives = "z = zeros(shape) with x added at index", ("dL/dx = dL/dz[index]",)
    op_name = "index_add"

    def forward(self, x, index, shape, unique=False):
        self.index = index
        out = np.zeros(shape, dtype=x.dtype)
        if unique or _is_basic(index):
            out[index] = x.array          # no element is picked twice: plain assignment
        else:
            np.add.at(out, index, x.array)
        return out

    def backward(self, g):
        return GetItem.apply(g, self.index)


class Cat(Function):
    inputs = ("xₖ",)
    rule, derivatives = "z = the inputs joined along dim", ("dL/dxₖ = the k-th slice of dL/dz",)

    def forward(self, *tensors, dim):
        self.dim = dim
        self.sizes = [t.shape[dim] for t in tensors]
        try:
            return np.concatenate([t.array for t in tensors], axis=dim)
        except ValueError:
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"cat: shapes {shapes} must match in every dim except dim {dim}") \
                from None

    def backward(self, g):
        grads, start = [], 0
        for size, needed in zip(self.sizes, self.needs_input_grad):
            index = (slice(None),) * self.dim + (slice(start, start + size),)
            grads.append(g[index] if needed else None)
            start += size
        return tuple(grads)


def scatter_along(g, idx, dim, shape):
    """Place ``g`` (shape with 1 at ``dim``) at positions ``idx`` along ``dim`` of zeros(shape);
    differentiable (it is IndexAdd with an index built from ``idx``)."""
    index = tuple(idx if axis == dim else
                  np.arange(n).reshape((-1,) + (1,) * (len(shape) - axis - 1))
                  for axis, n in enumerate(shape))
    return IndexAdd.apply(g, index, shape, unique=True)


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               for i in items)


def _describe(index):
    items = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(
        ("..." if i is Ellipsis else "None" if i is None else
         f"{i.start if i.start is not None else ''}:{i.stop if i.stop is not None else ''}"
         + (f":{i.step}" if i.step is not None else "") if isinstance(i, slice) else
         f"array{np.shape(i)}" if isinstance(i, np.ndarray) else str(i)) for i in items) + "]"
