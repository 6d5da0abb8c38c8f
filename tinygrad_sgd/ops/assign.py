"""``x.copy_(v)`` as a graph node (item assignment ``x[index] = v`` is ``index.IndexPut``). The
tensor written into keeps its identity (see :mod:`tinygrad_sgd.functions.inplace`); the op
computes the new values and says where the gradient goes."""
import numpy as np

from ..autograd import Function


class CopyFrom(Function):
    """``x.copy_(v)``: v broadcast to x's shape and cast to x's dtype; x's old values are
    gone, so x gets no gradient."""
    inputs, rule = ("x", "v"), "z = v (broadcast to x's shape, in x's dtype)"
    derivatives = ("dL/dx = 0", "dL/dv = dL/dz (summed over the broadcast)")
    grad_fn_name, op_name = "CopyBackwards", "copy_"

    def forward(self, x, v):
        self.v_dtype = v.dtype
        return np.broadcast_to(v.array, x.shape).astype(x.dtype)

    def backward(self, g):
        if not self.needs_input_grad[1]:
            return None, None
        return None, (g if g.dtype == self.v_dtype else g.to(self.v_dtype))
