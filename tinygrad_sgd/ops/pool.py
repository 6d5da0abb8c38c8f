"""Max and average pooling over kh×kw windows, and their adjoints (for second order).
How it is made fast (masks of the first maximum, the batch-innermost layout, threads) is in
:mod:`tinygrad_sgd.kernels.pool`."""
from ..autograd import Function
from ..kernels import pool as kernel
from ..kernels.layout import pool_geometry


def _pool_label(name, g):
    k = g.kh if g.kh == g.kw else (g.kh, g.kw)
    s = g.stride[0] if g.stride[0] == g.stride[1] else g.stride
    extra = "" if s == k else f", stride={s}"
    extra += "" if g.padding == (0, 0) else f", padding={g.padding[0]}"
    return f"{name}({k}{extra})"


class MaxPool2dOp(Function):
    """Ties go to the first maximum of the window (torch's rule); overlapping windows add up."""
    rule = "y = max over each window"
    derivatives = ("dL/dx = dL/dy at each window's first maximum, 0 elsewhere",)
    grad_fn_name = "MaxPool2dBackward"

    def forward(self, x, kernel_size, stride, padding):
        self.geom = pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding)
        out, self.masks = kernel.max_pool_forward(x.array, self.geom)
        return out

    def backward(self, dy):
        return MaxPool2dGrad.apply(dy, self.masks, self.geom)

    def label(self):
        return _pool_label("max_pool2d", self.geom)


class MaxPool2dGrad(Function):
    """The adjoint of max pooling with fixed masks (scatter); linear in dy."""
    inputs, rule = ("dy",), "dx[first max of window k] += dy[k]"
    derivatives = ("d/d(dy) = gather at the same places",)
    op_name = "max_pool2d_backward"

    def forward(self, dy, masks, geom):
        self.masks, self.geom = masks, geom
        return kernel.max_pool_scatter(dy.array, masks, geom)

    def backward(self, gg):
        return MaxPool2dGradGrad.apply(gg, self.masks, self.geom)


class MaxPool2dGradGrad(Function):
    """Max pooling without the search (gather through fixed masks); its adjoint is the
    scatter MaxPool2dGrad."""
    rule = "y[k] = x[first max of window k]"
    derivatives = ("dL/dx = scatter of dL/dy to the same places",)
    op_name = "max_pool2d_gather"

    def forward(self, x, masks, geom):
        self.masks, self.geom = masks, geom
        return kernel.max_pool_gather(x.array, masks, geom)

    def backward(self, gg):
        return MaxPool2dGrad.apply(gg, self.masks, self.geom)


class AvgPool2dOp(Function):
    """Zero padding counted, as torch's default. Linear: its adjoint is its whole backward."""
    rule = "y = mean over each window"
    derivatives = ("dL/dx = each dL/dy spread evenly (÷ kh·kw) over its window",)
    grad_fn_name = "AvgPool2dBackward"

    def forward(self, x, kernel_size, stride, padding):
        self.geom = pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding)
        return kernel.avg_pool(x.array, self.geom)

    def backward(self, dy):
        return AvgPool2dGrad.apply(dy, self.geom)

    def label(self):
        return _pool_label("avg_pool2d", self.geom)


class AvgPool2dGrad(Function):
    """The adjoint of average pooling; its own adjoint is average pooling."""
    inputs, rule = ("dy",), "dx[window k] += dy[k] / (kh·kw)"
    derivatives = ("d/d(dy) = avg_pool2d(ġ)",)
    op_name = "avg_pool2d_backward"

    def forward(self, dy, geom):
        self.geom = geom
        return kernel.avg_pool_spread(dy.array, geom)

    def backward(self, gg):
        g = self.geom
        return AvgPool2dOp.apply(gg, (g.kh, g.kw), g.stride, g.padding)
