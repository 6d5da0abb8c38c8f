"""Matrix multiplication and the linear layer's affine map."""
import math

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..autograd.torch_names import torch_mode
from .. import kernels
from ..errors import ShapeError


class MatMul(Function):
    """One node for every ``x @ y``, 1-D operands included (as NumPy and torch: a 1-D left
    operand is a row, a 1-D right one a column, and that dimension is dropped from the result).
    Batch dims broadcast (the graph walk sums broadcast gradients back); ᵀ swaps the last two
    axes. torch names the node by the operands' dims: ``DotBackward`` for vector · vector,
    ``MvBackward`` for matrix · vector; the others are ``MatMulBackward`` here."""
    inputs, rule = ("X", "Y"), "Z = X @ Y"
    derivatives = ("dL/dX = dL/dZ @ Yᵀ", "dL/dY = Xᵀ @ dL/dZ")

    def forward(self, x, y, layout_of=None, one_blas_thread=False):
        a, b = x.array, y.array
        inner = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if a.shape[-1] != inner:
            raise ShapeError(f"matmul: shapes {x.shape} and {y.shape} don't align "
                             f"({a.shape[-1]} != {inner})")
        self.save_for_backward(x, y)
        self.ndims = (a.ndim, b.ndim)
        try:
            return kernels.linalg.matmul(a, b, layout_of, one_blas_thread)
        except ValueError:
            raise ShapeError(f"matmul: batch dims of shapes {x.shape} and {y.shape} cannot be "
                             f"broadcast together") from None

    def backward(self, g):
        need_x, need_y = self.needs_input_grad[:2]
        x, y = self.saved_tensors_if(need_y, need_x)    # dL/dX reads Y, dL/dY reads X
        if min(self.ndims) > 1:
            if not need_y:
                dy = None
            elif self.ndims[0] > 2 and self.ndims[1] == 2:
                # Y is shared by every leading index: its gradient is one product over all
                # of them (Xᵀ·G with the leading dims as rows), not one per index summed after
                dy = LinearWeightGrad.apply(x, g)
            else:
                dy = x.mT @ g
            return (g @ y.mT if need_x else None, dy)
        # a 1-D operand: the same formulas on it as a row (X) or a column (Y), then dropped
        x_vector, y_vector = self.ndims[0] == 1, self.ndims[1] == 1
        g2 = g.unsqueeze(-1) if y_vector else g
        g2 = g2.unsqueeze(-2) if x_vector else g2
        dx = dy = None
        if need_x:
            y2 = y.unsqueeze(-1) if y_vector else y
            dx = (g2 @ y2.mT).squeeze(-2) if x_vector else g2 @ y2.mT   # (..., n): summed
        if need_y:
            x2 = x.unsqueeze(0) if x_vector else x
            dy = (x2.mT @ g2).squeeze(-1) if y_vector else x2.mT @ g2   # back by the walk
        return dx, dy

    def name(self=None):
        """``DotBackward``, ``MvBackward`` or ``MatMulBackward`` (see the class doc); on the
        class itself (no operands yet): ``MatMulBackward``."""
        ndims = None if self is None else self.__dict__.get("ndims")
        if torch_mode() and self is not None and self.__dict__.get("torch_grad_fn"):
            return self.torch_grad_fn                      # (named by the public function)
        if torch_mode():         # torch's matmul: mm, mv, dot, or a product of reshaped views
            if ndims is None or ndims[0] == 2 and ndims[1] > 2:
                return "MmBackward0" if ndims is None else "CloneBackward0"
            return {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0",
                    (1, 2): "SqueezeBackward4"}.get(ndims, "UnsafeViewBackward0")
        return {(1, 1): "DotBackward", (2, 1): "MvBackward"}.get(ndims, "MatMulBackward")


class LinearOp(Function):
    """One node, as torch's addmm, for x (..., in) or (in,), W (out, in), b (out,). dL/dW
    flattens the leading dims; the graph walk sums the broadcast bias gradient."""
    inputs, rule = ("x", "W", "b"), "y = x·Wᵀ + b"
    derivatives = ("dL/dx = g·W", "dL/dW = gᵀ·x", "dL/db = Σ g over the leading dims")
    grad_fn_name, op_name = "LinearBackward", "linear"

    def forward(self, x, w, b):
        self.save_for_backward(x, w)
        if b is not None and x.array.dtype == np.float16 == w.array.dtype:
            # torch's CPU addmm in float16: the bias added to the float32 sums, rounded once
            out = kernels.linalg.matmul(x.array.astype(np.float32), w.array.T.astype(np.float32))
            return kernels.elementwise.add_rows(out, b.array.astype(np.float32)).astype(np.float16)
        out = kernels.linalg.matmul(x.array, w.array.T)
        if b is not None:
            kernels.elementwise.add_rows(out, b.array)
        return out

    def backward(self, g):
        need_x, need_w, need_b = self.needs_input_grad[:3]
        x, w = self.saved_tensors_if(need_w, need_x)     # dL/dx reads W, dL/dW reads x
        layout = self._saved[0].array            # (x's memory layout only, not its values)
        if need_x and need_w and not is_grad_enabled():   # a plain backward: the arrays at once
            both = kernels.linalg.linear_grads(g.array, w.array, x.array, layout_of=layout)
            if both is not None:        # (dL/db: the graph walk's sum over the leading dims)
                db = kernels.elementwise.sum_to_shape(g.array, self.input_shapes[2]) \
                    if need_b else None
                return self.constant(both[0]), self.constant(both[1]), \
                    None if db is None else self.constant(db)
        # (with both, as linear_grads makes them: its bits, on one BLAS thread each if paired)
        one = need_x and need_w and kernels.linalg.linear_grads_paired(g.array, w.array, x.array)
        return (MatMul.apply(g, w, layout_of=layout, one_blas_thread=one) if need_x else None,
                LinearWeightGrad.apply(g, x, one_blas_thread=one) if need_w else None,
                g if need_b else None)


class LinearWeightGrad(Function):
    """The weight gradient of a linear layer as one node, the leading dims of g (..., out) and
    x (..., in) flattened into one."""
    inputs, rule = ("g", "x"), "G = gᵀ·x"
    derivatives = ("dG/dg: ġ ↦ x·ġᵀ", "dG/dx: ġ ↦ g·ġ")
    op_name = "linear_weight_grad"

    def forward(self, g, x, one_blas_thread=False):
        self.save_for_backward(g, x)
        rows = math.prod(x.array.shape[:-1])       # (not -1: a dim may be 0)
        g2 = g.array.reshape(rows, g.shape[-1])
        x2 = x.array.reshape(rows, x.shape[-1])
        return kernels.linalg.matmul(g2.T, x2, one_blas_thread=one_blas_thread)

    def backward(self, gg):
        g, x = self.saved_tensors
        d_g = (x @ gg.T) if self.needs_input_grad[0] else None     # (..., in)(in, out)
        d_x = (g @ gg) if self.needs_input_grad[1] else None       # (..., out)(out, in)
        return d_g, d_x
