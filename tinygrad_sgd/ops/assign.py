"""``x.copy_(v)`` as a graph node (item assignment ``x[index] = v`` is ``index.IndexPut``). The
tensor written into keeps its identity (see :mod:`tinygrad_sgd.functions.inplace`); the op
computes the new values and says where the gradient goes."""
import numpy as np

from ..autograd import Function
from ..dtypes import cast


class CopyFrom(Function):
    """``x.copy_(v)``: v broadcast to x's shape and cast to x's dtype; x's old values are
    gone, so x's gradient is zero (a zero, as torch's, not none: a parameter behind x still
    gets a ``.grad``)."""
    inputs, rule = ("x", "v"), "z = v (broadcast to x's shape, in x's dtype)"
    derivatives = ("dL/dx = 0", "dL/dv = dL/dz (summed over the broadcast)")
    grad_fn_name, op_name = "CopyBackwards", "copy_"

    def forward(self, x, v):
        self.v_dtype = v.dtype
        return cast(np.broadcast_to(v.array, x.shape), x.dtype)

    def backward(self, g):
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = g.__class__._of(np.zeros(g.shape, g.dtype))
        if self.needs_input_grad[1]:
            gv = g if g.dtype == self.v_dtype else g.to(self.v_dtype)
        return gx, gv


class Fill(CopyFrom):
    """``x.fill_(v)`` / ``x.zero_()``: every element of x becomes the one number v (a 0-d
    tensor, or a Python number made one). As :class:`CopyFrom`: x's gradient is zero, v's the
    sum of dL/dz."""
    rule = "z = v everywhere (x's shape and dtype)"
    grad_fn_name, op_name = "FillBackward", "fill_"


class CopySlices(Function):
    """An in-place write into a view ``v`` of a tensor ``b`` (``b[0:2].mul_(3)``,
    ``b.t()[1] = w``), seen from ``b``: its elements at the view's places (``where``, their
    flat positions in b) now hold the in-place result ``s``; the others are b's old values.
    The write itself has already happened in b's memory: the node only says where the
    gradient goes (torch's ``CopySlices``)."""
    inputs, rule = ("b", "s"), "z = b, with z.flat[where] = s"
    derivatives = ("dL/db = dL/dz, 0 at the written places", "dL/ds = dL/dz.flat[where]")
    grad_fn_name = "CopySlices"

    def forward(self, b, s, where):
        self.where, self.shape = where, b.shape
        return b.array                   # (already holding the written values)

    def backward(self, g):
        need_b, need_s = self.needs_input_grad[:2]
        db = ds = None
        if need_b:
            keep = np.ones(self.shape, dtype=g.dtype)
            keep.reshape(-1)[self.where.reshape(-1)] = 0
            db = g * self.constant(keep)
        if need_s:
            ds = g.reshape(-1)[self.constant(self.where)]
        return db, ds
