"""2-D convolution (cross-correlation, as torch), its two adjoints, and the transposed
convolution. (1-D convolutions are these with a height of 1.)

The backward of each op here is made of ops from this file, so second derivatives work:
the adjoint of a convolution in its input is ``Conv2dInputGrad`` (a transposed convolution),
in its weight ``Conv2dWeightGrad``; both are bilinear, so their own backwards are the other
two. ``ConvTranspose2dOp`` is ``Conv2dInputGrad`` as a layer of its own (plus a bias): its
adjoints are a convolution and a weight gradient with the roles of input and output swapped.
How it is made fast (im2col by slabs, the batch-innermost layout, two threads, groups as
batched products) is in :mod:`tinygrad_sgd.kernels.conv`.
"""
import weakref

import numpy as np

from .. import versions
from ..autograd import Function, is_grad_enabled
from ..autograd.slices import ScatteredGrad
from ..kernels import cascade_sum, conv as kernel, conv3d_half, reduce as reduce_kernels
from ..kernels.layout import geometry
from ..kernels.pool import PoolAhead
from .pad import ConstantPadNd

# Convolution, then max pooling (the tutorial's ``max_pool2d(conv(x), 2)``): the convolution's
# threads can pool their own filters right after computing them, in the same job (no second
# hand-over between the cores, the output still in each core's cache), and the pooling node
# then takes what they made (the same numbers, the same graph: two nodes). A convolution does
# so when poolings have followed its geometry lately: each pooling of a convolution's output
# sets ``_POOL_AFTER[its geometry, its filters' count]`` to [the pooling's geometry, 2, whether
# a relu follows the pooling], each convolution that pools ahead takes one off (see
# ops/pool.py's _RELU_AFTER). (The filters' count: the geometry is the input's, and the
# pooling's arrays are sized by the output's channels.)
_POOL_AFTER = {}


class Conv2dOp(Function):
    """As matrices: Y = W·cols(x) + b, where cols(x) holds every kh×kw window as a column
    (with groups, each block of F/groups filters sees its own C/groups channels)."""
    inputs = ("x", "w", "b")
    rule = "y[n,f,oh,ow] = b[f] + Σ_{c,i,j} w[f,c,i,j]·x[n, c, oh·s+i·d−p, ow·s+j·d−p]"
    derivatives = ("dL/dx = conv_transpose(dL/dy, w)", "dL/dw = dL/dy · cols(x)ᵀ",
                   "dL/db = Σ_{n,oh,ow} dL/dy")
    grad_fn_name = "Conv2dBackward"

    def forward(self, x, w, b, stride, padding, dilation, groups=1):
        self.geom = g = geometry("conv2d", x.shape, w.shape[2:], stride, padding, dilation,
                                 groups)
        self.pool_key = (g, w.shape[0])
        self.save_for_backward(x, w)
        if b is not None and x.array.dtype == np.float16 == w.array.dtype:
            # torch's CPU convolution in float16: the bias added to the float32 sums, rounded once
            out, _ = kernel.conv2d_forward(*(a.array.astype(np.float32) for a in (x, w, b)), g)
            return out.astype(np.float16)
        after = _POOL_AFTER.get(self.pool_key) if self._recording else None
        pool = PoolAhead(after[0], after[2]) if after is not None and after[1] > 0 else None
        out, cols = kernel.conv2d_forward(x.array, w.array, None if b is None else b.array, g,
                                          keep_cols=w.requires_grad, pool=pool)
        if cols is not None:
            self.cols = cols     # reused by the weight gradient (columns, or the padded input)
        if pool is not None and pool.result is not None:    # (kept until a pooling takes it)
            after[1] -= 1
            self.pool_ahead, self.pooled = pool, weakref.ref(out)
            self.pooled_version = versions.version_of(out)
        return out

    def pool_of_output(self, y, geom, with_relu):
        """Called by max pooling (of geometry ``geom``; ``with_relu``: a relu follows it) on
        ``y``, this node's output: ``(pooled, choice, relu or None)`` as this node's threads
        made them (handed over once), or None — none made, for another pooling, or y changed
        in place since (its version moved) or may have (its memory was handed out writable by
        ``numpy()``, whose writes move no version). Counts a pooling after this geometry."""
        if len(_POOL_AFTER) > 64:
            _POOL_AFTER.clear()
        _POOL_AFTER[self.pool_key] = [geom, 2, with_relu]
        pool = self.__dict__.pop("pool_ahead", None)
        if pool is None or pool.geom != geom or self.pooled() is not y or \
                versions.version_of(y) != self.pooled_version or versions.handed_out(y):
            return None                 # (handed out by numpy(): it may have been written)
        return pool.result

    def release(self):
        self.__dict__.pop("pool_ahead", None)       # (its arrays, if no pooling took them)
        super().release()

    def backward(self, dy):
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad[:3]
        g = self.geom
        if type(dy) is ScatteredGrad:           # pooling's, not made yet (ops/pool.py)
            grads = kernel.conv2d_grads(x.array, None, w.array, g, getattr(self, "cols", None),
                                        need_x, need_b, scatter=(dy.values, dy.mask, dy.choice,
                                                                 dy.geom)) if need_w else None
            if grads is not None and (grads[2] is not None or not need_b):
                return None, self.constant(grads[1]), \
                    None if grads[2] is None else self.constant(grads[2])
            dy = dy.dense()
        if need_w and not is_grad_enabled():    # a plain backward: the kernels take them at once
            grads = kernel.conv2d_grads(x.array, dy.array, w.array, g, getattr(self, "cols", None),
                                        need_x, need_b)
            if grads is not None:
                dx, dw, db = (None if a is None else self.constant(a) for a in grads)
                return dx, dw, _bias_grad(dy) if need_b and db is None else db
        return (Conv2dInputGrad.apply(dy, w, x.shape, **g.args()) if need_x else None,
                Conv2dWeightGrad.apply(x, dy, w.shape, cols=getattr(self, "cols", None),
                                       **g.args()) if need_w else None,
                _bias_grad(dy) if need_b else None)

    def label(self):
        return f"conv2d({self.geom.label_args()})"


def _bias_grad(dy):
    """dL/db = Σ_{n,oh,ow} dL/dy, the same numbers in a plain backward and under create_graph
    (where it is a node, for second order)."""
    if is_grad_enabled():
        return Conv2dBiasGrad.apply(dy)
    return Function.constant(reduce_kernels.bias_sum(dy.array, (0, 2, 3)))


class Conv2dBiasGrad(Function):
    """A convolution's bias gradient: torch computes it inside the convolution's backward, not
    with ``sum``; here the fast row sums (:func:`..kernels.reduce.bias_sum`)."""
    inputs, rule = ("dy",), "db[f] = Σ_{n,oh,ow} dy[n,f,oh,ow]"
    derivatives = ("d(db)/d(dy) = 1 (copied back)",)
    op_name = "conv2d_bias_grad"

    def forward(self, dy):
        self.in_shape = dy.shape
        return reduce_kernels.bias_sum(dy.array, (0, 2, 3))

    def backward(self, gg):
        return gg.reshape(1, -1, 1, 1).expand(self.in_shape)


class Conv2dInputGrad(Function):
    """The transposed convolution: the adjoint of conv2d in its input. Bilinear in (dy, w)."""
    inputs, rule = ("dy", "w"), "dx = conv_transpose(dy, w)"
    derivatives = ("d/d(dy) = conv2d(ġ, w)", "d/dw = conv2d_weight_grad(ġ, dy)")
    op_name = "conv2d_input_grad"

    def forward(self, dy, w, x_shape, stride, padding, dilation, groups=1):
        self.geom = g = geometry(self.op_name, x_shape, w.shape[2:], stride, padding, dilation,
                                 groups)
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

    def forward(self, x, dy, w_shape, stride, padding, dilation, groups=1, cols=None):
        self.geom = g = geometry(self.op_name, x.shape, w_shape[2:], stride, padding, dilation,
                                 groups)
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


class ConvTranspose2dOp(Function):
    """The adjoint (in its input) of the convolution that maps an input of the output's shape
    ``out_shape`` (N, C_out, H', W') to x's shape: w is (C_in, C_out/groups, kh, kw), that
    convolution's own weight. Where ``output_padding`` reaches past what the convolution covers
    (it may, when it is not below the stride), x is read as if zero-extended."""
    inputs = ("x", "w", "b")
    rule = "y[n,c,h,v] = b[c] + Σ_{f,i,j} x[n,f,oh,ow]·w[f,c,i,j] over h = oh·s+i·d−p, " \
           "v = ow·s+j·d−p"
    derivatives = ("dL/dx = conv2d(dL/dy, w)", "dL/dw = conv2d_weight_grad(dL/dy, x)",
                   "dL/db = Σ_{n,h,w} dL/dy")
    grad_fn_name = "ConvTranspose2dBackward"

    def forward(self, x, w, b, out_shape, stride, padding, dilation, groups=1):
        self.geom = g = geometry("conv_transpose2d", out_shape, w.shape[2:], stride, padding,
                                 dilation, groups)
        self.save_for_backward(x, w)
        self.extend = (g.OH - x.shape[2], g.OW - x.shape[3])   # rows/columns x lacks
        xa = x.array
        if self.extend != (0, 0):
            xa = np.pad(xa, ((0, 0), (0, 0), (0, self.extend[0]), (0, self.extend[1])))
        out = kernel.conv2d_input_grad(xa, w.array, g)
        if b is not None:
            out += b.array[:, None, None]
        return out

    def backward(self, dy):
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad[:3]
        g = self.geom
        if self.extend != (0, 0):          # read x as if zero-extended, crop its gradient
            x = ConstantPadNd.apply(x, (0, self.extend[1], 0, self.extend[0]), 0)
        gx = Conv2dOp.apply(dy, w, None, **g.args()) if need_x else None
        if gx is not None and self.extend != (0, 0):
            gx = gx[:, :, :gx.shape[2] - self.extend[0], :gx.shape[3] - self.extend[1]]
        return (gx, Conv2dWeightGrad.apply(dy, x, w.shape, **g.args()) if need_w else None,
                _bias_grad(dy) if need_b else None)

    def label(self):
        return f"conv_transpose2d({self.geom.label_args()})"


class Im2Col(Function):
    """torch's ``F.unfold``: the convolution's column matrix as a tensor. Linear: its adjoint
    is ``Col2Im`` (``F.fold``), and the other way round."""
    rule = "cols[n, (c,i,j), (oh,ow)] = x[n, c, oh·s+i·d−p, ow·s+j·d−p]"
    derivatives = ("dL/dx = col2im(dL/dcols): each column added back where it was read",)
    grad_fn_name = "Im2ColBackward"
    op_name = "unfold"

    def forward(self, x, kernel_size, dilation, padding, stride):
        self.geom = g = geometry("unfold", x.shape, kernel_size, stride, padding, dilation)
        return kernel.unfold(x.array, g)

    def backward(self, dy):
        g = self.geom
        return Col2Im.apply(dy, (g.H, g.W), (g.kh, g.kw), g.dilation, g.padding, g.stride)

    def label(self):
        return f"unfold(kernel_size={(self.geom.kh, self.geom.kw)}, {self.geom.label_args()})"


class Col2Im(Function):
    """torch's ``F.fold``: columns (N, C·kh·kw, L) summed back into an image of
    ``output_size``; where windows overlap their values add up."""
    inputs = ("cols",)
    rule = "y[n, c, h, w] = Σ over the columns (c,i,j),(oh,ow) that read position (h, w)"
    derivatives = ("dL/dcols = unfold(dL/dy)",)
    grad_fn_name = "Col2ImBackward"
    op_name = "fold"

    def forward(self, cols, output_size, kernel_size, dilation, padding, stride):
        kh, kw = kernel_size
        shape = (cols.shape[0], cols.shape[1] // (kh * kw)) + tuple(output_size)
        self.geom = g = geometry("fold", shape, kernel_size, stride, padding, dilation)
        return kernel.fold(cols.array, g)

    def backward(self, gg):
        g = self.geom
        return Im2Col.apply(gg, (g.kh, g.kw), g.dilation, g.padding, g.stride)

    def label(self):
        return f"fold(kernel_size={(self.geom.kh, self.geom.kw)}, {self.geom.label_args()})"


class Conv3dHalf(Function):
    """A float16 3-D convolution (no dilation, no groups) with torch's CPU roundings
    (:mod:`..kernels.conv3d_half`: its columns of dL/dy rounded to float16 and added back
    tap by tap in float16, its weight gradient accumulated in float16 sample by sample). With
    ``create_graph`` the gradients are float32 convolutions rounded once (differentiable)."""
    inputs = ("x", "w", "b")
    rule = "y[n,f,d,h,w] = b[f] + Σ_{c,i,j,l} w[f,c,i,j,l]·x[n, c, d·s+i−p, h·s+j−p, w·s+l−p]"
    derivatives = ("dL/dx = conv_transpose3d(dL/dy, w)", "dL/dw = dL/dy · cols(x)ᵀ",
                   "dL/db = Σ_{n,d,h,w} dL/dy")
    op_name = "conv3d"

    def forward(self, x, w, b, stride, padding):
        self.stride, self.padding = stride, padding
        self.save_for_backward(x, w)
        return conv3d_half.conv3d_forward(x.array, w.array, None if b is None else b.array,
                                          stride, padding)

    def backward(self, g):
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad[:3]
        s, p = self.stride, self.padding
        if need_b:
            gb = cascade_sum.torch_sum(g.array, (0, 2, 3, 4))
            gb = self.constant(g.array.astype(np.float32).sum((0, 2, 3, 4)).astype(np.float16)
                               if gb is None else gb)
        else:
            gb = None
        if not is_grad_enabled():
            c = self.constant
            return (c(conv3d_half.conv3d_input_grad(g.array, w.array, x.shape[2:], s, p))
                    if need_x else None,
                    c(conv3d_half.conv3d_weight_grad(g.array, x.array, w.shape[2:], s, p))
                    if need_w else None, gb)
        from ..nn.functional.conv import conv3d, conv_transpose3d
        gx = gw = None
        if need_x:      # the adjoint: a transposed convolution, cut to x's size
            extra = tuple(n + 2 * q - ((o - 1) * st + k) for n, q, o, st, k in
                          zip(x.shape[2:], p, g.shape[2:], s, w.shape[2:]))
            gx = conv_transpose3d(g.float(), w.float(), None, s, p, extra).half()
        if need_w:      # samples as channels: x's channels correlated with g's filters
            gw = conv3d(x.float().transpose(0, 1), g.float().transpose(0, 1), None, 1, p, s)
            gw = gw[:, :, :w.shape[2], :w.shape[3], :w.shape[4]].transpose(0, 1).half()
        return gx, gw, gb

    def label(self):
        return f"conv3d(stride={self.stride}, padding={self.padding})"
