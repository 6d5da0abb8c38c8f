"""Reductions: sum and max (mean and min are built from them in tensor.py)."""
import numpy as np

from ..autograd import Function
from .elementwise import keep_where


def normalize_dims(dim, ndim, op):
    """``dim`` (None, int or tuple) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} "
                             f"dimensions (expected in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim} names the same dimension twice")
    return tuple(sorted(out)) if ndim else ()


def kept_shape(shape, dims):
    """``shape`` with every reduced axis set to 1 (the keepdim shape)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Function):
    """z = Σ x over ``dims``.   dz/dxᵢ = 1: the gradient is copied (broadcast) back."""

    def forward(self, x, dims, keepdim):
        self.in_shape = x.shape
        self.kept = kept_shape(x.shape, dims)
        return np.asarray(x.data.sum(axis=dims, keepdims=keepdim))

    def backward(self, g):
        return g.reshape(self.kept).expand(self.in_shape)


class SumToShape(Function):
    """z = x summed over the axes that broadcasting added or stretched, so z has ``shape``
    (the gradient of a broadcast).   dz/dx = 1: the gradient is broadcast back."""
    op_name = "sum_to_shape"

    def forward(self, x, shape):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and x.shape[i + lead] != 1)
        return np.add.reduce(x.data, axis=axes, keepdims=True).reshape(shape)

    def backward(self, g):
        return g.expand(self.in_shape)


class Max(Function):
    """z = max over all elements.   dz/dxᵢ = [xᵢ = z] / (number of ties): the gradient is
    shared evenly between equal maxima (as torch's ``max()`` without a dim)."""

    def forward(self, x):
        if x.data.size == 0:
            raise RuntimeError("max(): cannot take the max of an empty tensor")
        self.save_for_backward(x)
        out = np.asarray(x.data.max())
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        m = self._out_array
        mask = np.isnan(x.data) if np.isnan(m) else (x.data == m)
        return keep_where(mask, g / float(max(mask.sum(), 1)))


class MaxDim(Function):
    """z = max along ``dim`` (torch's ``max(dim)``; its indices come from ArgMax).
    dz/dxᵢ = 1 at the index returned (the first maximum), 0 elsewhere."""
    op_name = "max"

    def forward(self, x, dim, keepdim):
        d = x.data
        if d.ndim and d.shape[dim] == 0:
            raise IndexError(f"max(): cannot reduce over dim {dim} of size 0 (shape {x.shape})")
        idx = np.expand_dims(np.argmax(d, axis=dim), dim) if d.ndim else np.zeros((), np.int64)
        self.in_shape, self.dim, self.idx, self.keepdim = x.shape, dim, idx, keepdim
        out = np.take_along_axis(d, idx, axis=dim) if d.ndim else d.copy()
        return out if keepdim or not d.ndim else np.squeeze(out, axis=dim)

    def backward(self, g):
        from .shape import scatter_along
        if not self.keepdim and len(self.in_shape):
            g = g.unsqueeze(self.dim)
        return scatter_along(g, self.idx, self.dim, self.in_shape)


class ArgMax(Function):
    """Index of the first maximum (not differentiable)."""
    differentiable = False

    def forward(self, x, dim, keepdim):
        if dim is None:  # index into the flattened tensor; keepdim keeps every dim as 1
            out = np.asarray(np.argmax(x.data), dtype=np.int64)
            return out.reshape((1,) * x.data.ndim) if keepdim else out
        return np.argmax(x.data, axis=dim, keepdims=keepdim).astype(np.int64)
