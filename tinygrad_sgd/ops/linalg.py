"""Matrix multiplication."""
import numpy as np

from ..autograd import Function


class MatMul(Function):
    """Z = X @ Y for inputs with at least 2 dims (batch dims broadcast).
    dL/dX = dL/dZ @ Yᵀ,   dL/dY = Xᵀ @ dL/dZ   (ᵀ swaps the last two axes; broadcast batch
    dims are summed back by the graph walk)."""

    def forward(self, x, y):
        a, b = x.data, y.data
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"matmul: shapes {x.shape} and {y.shape} don't align "
                             f"({a.shape[-1]} != {b.shape[-2]})")
        self.save_for_backward(x, y)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dims of shapes {x.shape} and {y.shape} cannot be "
                             f"broadcast together") from None

    def backward(self, g):
        x, y = self.saved_tensors
        return (g @ y.mT if self.needs_input_grad[0] else None,
                x.mT @ g if self.needs_input_grad[1] else None)


class Linear(Function):
    """y = x·Wᵀ + b, for x of shape (..., in), W (out, in), b (out,) — one node, as torch's
    addmm.   dL/dx = g·W,   dL/dW = gᵀ·x (leading dims flattened),   dL/db = Σ g over the
    leading dims (the graph walk sums the broadcast bias gradient)."""

    def forward(self, x, w, b):
        self.save_for_backward(x, w)
        out = np.matmul(x.data, w.data.T)
        if b is not None:
            out += b.data
        return out

    def backward(self, g):
        x, w = self.saved_tensors
        gx = None
        if self.needs_input_grad[0]:
            if x.ndim == 2 and x.data.flags.f_contiguous and not x.data.flags.c_contiguous:
                # x is a transposed array (a flattened convolution output, batch innermost):
                # dx gets the same layout, as (Wᵀ·gᵀ)ᵀ, so the ops it flows back into (relu,
                # pooling) read matching memory layouts.
                gx = MatMul.apply(w.mT, g.mT).mT
            else:
                gx = MatMul.apply(g, w)
        gw = LinearWeightGrad.apply(g, x) if self.needs_input_grad[1] else None
        return gx, gw, (g if self.needs_input_grad[2] else None)


class LinearWeightGrad(Function):
    """The weight gradient of a linear layer as one node: G = gᵀ·x, with the leading dims of
    g (..., out) and x (..., in) flattened into one.   dG/dg: ġ ↦ x·ġᵀ,   dG/dx: ġ ↦ g·ġ."""
    op_name = "linear_weight_grad"

    def forward(self, g, x):
        self.save_for_backward(g, x)
        g2 = g.data.reshape(-1, g.shape[-1])
        x2 = x.data.reshape(-1, x.shape[-1])
        return np.matmul(g2.T, x2)

    def backward(self, gg):
        g, x = self.saved_tensors
        d_g = (x @ gg.T) if self.needs_input_grad[0] else None     # (..., in)(in, out)
        d_x = (g @ gg) if self.needs_input_grad[1] else None       # (..., out)(out, in)
        return d_g, d_x
