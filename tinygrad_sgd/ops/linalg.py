"""Matrix multiplication and the linear layer's affine map."""
import numpy as np

from ..autograd import Function
from .. import kernels
from ..errors import ShapeError


class MatMul(Function):
    """For inputs with at least 2 dims (batch dims broadcast; ᵀ swaps the last two axes;
    broadcast batch dims are summed back by the graph walk)."""
    inputs, rule = ("X", "Y"), "Z = X @ Y"
    derivatives = ("dL/dX = dL/dZ @ Yᵀ", "dL/dY = Xᵀ @ dL/dZ")

    def forward(self, x, y, layout_of=None):
        a, b = x.array, y.array
        if a.shape[-1] != b.shape[-2]:
            raise ShapeError(f"matmul: shapes {x.shape} and {y.shape} don't align "
                             f"({a.shape[-1]} != {b.shape[-2]})")
        self.save_for_backward(x, y)
        try:
            return kernels.linalg.matmul(a, b, layout_of)
        except ValueError:
            raise ShapeError(f"matmul: batch dims of shapes {x.shape} and {y.shape} cannot be "
                             f"broadcast together") from None

    def backward(self, g):
        x, y = self.saved_tensors
        return (g @ y.mT if self.needs_input_grad[0] else None,
                x.mT @ g if self.needs_input_grad[1] else None)


class LinearOp(Function):
    """One node, as torch's addmm, for x (..., in), W (out, in), b (out,). dL/dW flattens the
    leading dims; the graph walk sums the broadcast bias gradient."""
    inputs, rule = ("x", "W", "b"), "y = x·Wᵀ + b"
    derivatives = ("dL/dx = g·W", "dL/dW = gᵀ·x", "dL/db = Σ g over the leading dims")
    grad_fn_name, op_name = "LinearBackward", "linear"

    def forward(self, x, w, b):
        self.save_for_backward(x, w)
        out = np.matmul(x.array, w.array.T)
        if b is not None:
            out += b.array
        return out

    def backward(self, g):
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad[:3]
        return (MatMul.apply(g, w, layout_of=x.array) if need_x else None,
                LinearWeightGrad.apply(g, x) if need_w else None,
                g if need_b else None)


class LinearWeightGrad(Function):
    """The weight gradient of a linear layer as one node, the leading dims of g (..., out) and
    x (..., in) flattened into one."""
    inputs, rule = ("g", "x"), "G = gᵀ·x"
    derivatives = ("dG/dg: ġ ↦ x·ġᵀ", "dG/dx: ġ ↦ g·ġ")
    op_name = "linear_weight_grad"

    def forward(self, g, x):
        self.save_for_backward(g, x)
        g2 = g.array.reshape(-1, g.shape[-1])
        x2 = x.array.reshape(-1, x.shape[-1])
        return np.matmul(g2.T, x2)

    def backward(self, gg):
        g, x = self.saved_tensors
        d_g = (x @ gg.T) if self.needs_input_grad[0] else None     # (..., in)(in, out)
        d_x = (g @ gg) if self.needs_input_grad[1] else None       # (..., out)(out, in)
        return d_g, d_x
