"""Reductions: sum and max (mean, min, var, ... are built from them in
:mod:`tinygrad_sgd.functions.reduce`)."""
import numpy as np

from ..arguments import kept_shape
from ..autograd import Function
from .elementwise import keep_where
from .shape import scatter_along


class Sum(Function):
    rule, derivatives = "z = Σ x over dims", ("dz/dxᵢ = 1 (the gradient is copied back)",)

    def forward(self, x, dims, keepdim):
        self.in_shape = x.shape
        self.kept = kept_shape(x.shape, dims)
        return np.asarray(x.array.sum(axis=dims, keepdims=keepdim))

    def backward(self, g):
        return g.reshape(self.kept).expand(self.in_shape)


class Max(Function):
    """The gradient is shared evenly between equal maxima (as torch's ``max()`` without a dim)."""
    rule, derivatives = "z = max over all elements", ("dz/dxᵢ = [xᵢ = z] / (number of ties)",)

    def forward(self, x):
        if x.array.size == 0:
            raise RuntimeError("max(): cannot take the max of an empty tensor")
        self.save_for_backward(x)
        out = np.asarray(x.array.max())
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        m = self.saved_output()
        mask = np.isnan(x.array) if np.isnan(m) else (x.array == m)
        return keep_where(mask, g / float(max(mask.sum(), 1)))


class MaxDim(Function):
    """torch's ``max(dim)`` values (the indices come from ArgMax)."""
    rule = "z = max along dim"
    derivatives = ("dz/dxᵢ = 1 at the index returned (the first maximum), 0 elsewhere",)
    op_name = "max"

    def forward(self, x, dim, keepdim):
        d = x.array
        if d.ndim and d.shape[dim] == 0:
            raise IndexError(f"max(): cannot reduce over dim {dim} of size 0 (shape {x.shape})")
        idx = np.expand_dims(np.argmax(d, axis=dim), dim) if d.ndim else np.zeros((), np.int64)
        self.in_shape, self.dim, self.idx, self.keepdim = x.shape, dim, idx, keepdim
        out = np.take_along_axis(d, idx, axis=dim) if d.ndim else d.copy()
        return out if keepdim or not d.ndim else np.squeeze(out, axis=dim)

    def backward(self, g):
        if not self.keepdim and len(self.in_shape):
            g = g.unsqueeze(self.dim)
        return scatter_along(g, self.idx, self.dim, self.in_shape)


class ArgMax(Function):
    """Index of the first maximum (not differentiable)."""
    rule = "z = index of the first maximum"
    differentiable = False

    def forward(self, x, dim, keepdim):
        if dim is None:  # index into the flattened tensor; keepdim keeps every dim as 1
            out = np.asarray(np.argmax(x.array), dtype=np.int64)
            return out.reshape((1,) * x.array.ndim) if keepdim else out
        return np.argmax(x.array, axis=dim, keepdims=keepdim).astype(np.int64)
