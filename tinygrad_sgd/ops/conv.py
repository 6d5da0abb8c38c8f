"""2-D convolution (cross-correlation, as torch) and its two adjoints.

The backward of each op here is made of ops from this file, so second derivatives work:
the adjoint of a convolution in its input is ``Conv2dInputGrad`` (a transposed convolution),
in its weight ``Conv2dWeightGrad``; both are bilinear, so their own backwards are the other
two. How it is made fast (im2col by slabs, the batch-innermost layout, two threads) is in
:mod:`tinygrad_sgd.kernels.conv`.
"""
from ..autograd import Function
from ..kernels import conv as kernel
from ..kernels.layout import Geometry


class Conv2dOp(Function):
    """As matrices: Y = W·cols(x) + b, where cols(x) holds every kh×kw window as a column."""
    inputs = ("x", "w", "b")
    rule = "y[n,f,oh,ow] = b[f] + Σ_{c,i,j} w[f,c,i,j]·x[n, c, oh·s+i·d−p, ow·s+j·d−p]"
    derivatives = ("dL/dx = conv_transpose(dL/dy, w)", "dL/dw = dL/dy · cols(x)ᵀ",
                   "dL/db = Σ_{n,oh,ow} dL/dy")
    grad_fn_name = "Conv2dBackward"

    def forward(self, x, w, b, stride, padding, dilation):
        self.geom = g = Geometry("conv2d", x.shape, w.shape[2:], stride, padding, dilation)
        self.save_for_backward(x, w)
        out, cols = kernel.conv2d_forward(x.array, w.array, None if b is None else b.array, g,
                                          keep_cols=w.requires_grad)
        if cols is not None:
            self.cols = cols     # reused by the weight gradient
        return out

    def backward(self, dy):
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad[:3]
        g = self.geom
        return (Conv2dInputGrad.apply(dy, w, x.shape, **g.args()) if need_x else None,
                Conv2dWeightGrad.apply(x, dy, w.shape, cols=getattr(self, "cols", None),
                                       **g.args()) if need_w else None,
                dy.sum(dim=(0, 2, 3)) if need_b else None)

    def label(self):
        return f"conv2d({self.geom.label_args()})"


class Conv2dInputGrad(Function):
    """The transposed convolution: the adjoint of conv2d in its input. Bilinear in (dy, w)."""
    inputs, rule = ("dy", "w"), "dx = conv_transpose(dy, w)"
    derivatives = ("d/d(dy) = conv2d(ġ, w)", "d/dw = conv2d_weight_grad(ġ, dy)")
    op_name = "conv2d_input_grad"

    def forward(self, dy, w, x_shape, stride, padding, dilation):
        self.geom = g = Geometry(self.op_name, x_shape, w.shape[2:], stride, padding, dilation)
        self.save_for_backward(dy, w)
        return kernel.conv2d_input_grad(dy.array, w.array, g)

    def backward(self, gg):
        dy, w = self.saved_tensors
        g = self.geom
        return (Conv2dOp.apply(gg, w, None, **g.args()) if self.needs_input_grad[0] else None,
                Conv2dWeightGrad.apply(gg, dy, w.shape, **g.args())
                if self.needs_input_grad[1] else None)

    def label(self):
        return f"conv2d_input_grad({self.geom.label_args()})"


class Conv2dWeightGrad(Function):
    """The adjoint of conv2d in its weight. Bilinear in (x, dy)."""
    inputs, rule = ("x", "dy"), "dw = dy · cols(x)ᵀ"
    derivatives = ("d/dx = conv2d_input_grad(dy, ẇ)", "d/d(dy) = conv2d(x, ẇ)")
    op_name = "conv2d_weight_grad"

    def forward(self, x, dy, w_shape, stride, padding, dilation, cols=None):
        self.geom = g = Geometry(self.op_name, x.shape, w_shape[2:], stride, padding, dilation)
        self.save_for_backward(x, dy)
        return kernel.conv2d_weight_grad(x.array, dy.array, w_shape, g, cols)

    def backward(self, gg):
        x, dy = self.saved_tensors
        g = self.geom
        return (Conv2dInputGrad.apply(dy, gg, x.shape, **g.args())
                if self.needs_input_grad[0] else None,
                Conv2dOp.apply(x, gg, None, **g.args()) if self.needs_input_grad[1] else None)

    def label(self):
        return f"conv2d_weight_grad({self.geom.label_args()})"
