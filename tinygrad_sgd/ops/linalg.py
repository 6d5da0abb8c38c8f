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
