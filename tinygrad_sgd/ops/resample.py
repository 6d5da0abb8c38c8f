"""Resampling along one axis: y[o] = Σ_t w_t[o]·x[i_t[o]] for a fixed map of taps (see
:mod:`tinygrad_sgd.kernels.resample`). Reflection/replication/circular padding, nearest and
linear interpolation and adaptive average pooling are such maps, applied one axis at a time.
Linear in x: the backward is the transposed map, whose own backward is the map again."""
from ..autograd import Function
from ..kernels import resample as kernel
from ..kernels.layout import laid_out
from .elementwise import tie_to_input


class Resample(Function):
    """``tied``: for the first axis of an op whose torch backward kernel reads x
    (reflection_pad_backward(g, x), adaptive_avg_pool2d_backward(g, x)), the gradient is tied
    to x under create_graph as torch's (see tie_to_input). ``order``: the memory order to lay
    the result out in (outermost dim first; None: the kernel's own)."""
    rule = "y[..., o] = Σ_t w_t[o] · x[..., i_t[o]] along one axis (÷ divisor[o])"
    derivatives = ("dL/dx[i] = Σ_{t,o: i_t[o] = i} w_t[o] · dL/dy[o] (÷ divisor[o])",)

    def forward(self, x, axis, axis_map, tied=False, order=None):
        self.axis, self.map, self.tied = axis, axis_map, tied
        out = kernel.resample(x.array, axis, axis_map)
        return out if order is None else laid_out(out, order)

    def backward(self, dy):
        dx = ResampleGrad.apply(dy, self.axis, self.map)
        return tie_to_input(self, dx) if self.tied else dx

    def label(self):
        return f"resample({self.map.kind}, dim={self.axis})"


class ResampleGrad(Function):
    """The transposed map: each dy[o] added back into the inputs it was read from."""
    inputs, rule = ("dy",), "dx[i] = Σ_{t,o: i_t[o] = i} w_t[o] · dy[o]"
    derivatives = ("d/d(dy) = the map itself, applied to ġ",)
    op_name = "resample_backward"

    def forward(self, dy, axis, axis_map):
        self.axis, self.map = axis, axis_map
        return kernel.resample_adjoint(dy.array, axis, axis_map)

    def backward(self, gg):
        return Resample.apply(gg, self.axis, self.map)
