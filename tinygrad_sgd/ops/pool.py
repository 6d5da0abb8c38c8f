"""Max and average pooling over kh×kw windows, adaptive max pooling, and their adjoints (for
second order). How it is made fast (each window's choice of its first maximum, the
batch-innermost layout, threads) is in :mod:`tinygrad_sgd.kernels.pool`. (1-D pooling is this
with a height of 1; adaptive average pooling is a resampling, :mod:`.resample`.)"""
import weakref

import numpy as np

from .. import versions
from ..autograd import Function, is_grad_enabled
from ..autograd.grad_mode import _mode
from ..autograd.slices import MaskedGrad, ScatteredGrad
from ..kernels import pool as kernel
from ..kernels.layout import from_chwn, pool_geometry, to_chwn
from .conv import Conv2dOp
from .elementwise import tie_to_input
from .shape import IndexAdd


def _pool_label(name, g, extra=""):
    def one(p):
        return p[0] if p[0] == p[1] else p
    k = one((g.kh, g.kw))
    text = "" if g.stride == (g.kh, g.kw) else f", stride={one(g.stride)}"
    text += "" if g.padding == (0, 0) else f", padding={one(g.padding)}"
    text += "" if g.dilation == (1, 1) else f", dilation={one(g.dilation)}"
    text += ", ceil_mode=True" if g.ceil_mode else ""
    return f"{name}({k}{text}{extra})"


# Pooling, then relu (the tutorial's ``relu(max_pool2d(conv(x), 2))``): the pooling kernel can
# write the relu of its result in the same pass, and the relu node then takes that array instead
# of making another pass over the data (the same numbers, and the same graph: two nodes). A
# pooling does so when relus have followed its geometry lately: each relu of a pooling's output
# sets the geometry's count to 2, each pooling that makes a relu ahead takes one off — so a
# pooling that no relu follows stops after at most two wasted arrays.
_RELU_AFTER = {}


class MaxPool2dOp(Function):
    """Ties go to the first maximum of the window (torch's rule), NaN wins (the last NaN);
    padding is never chosen; overlapping windows add up. ``indices``: a list that receives the
    int64 tensor of torch's ``return_indices`` (flat h·W + w of each maximum)."""
    rule = "y = max over each window"
    derivatives = ("dL/dx = dL/dy at each window's first maximum, 0 elsewhere",)
    grad_fn_name = "MaxPool2dBackward"

    def forward(self, x, kernel_size, stride, padding, dilation=1, ceil_mode=False,
                indices=None):
        self.geom = pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding,
                                  dilation, ceil_mode)
        relu_after = _RELU_AFTER.get(self.geom, 0) > 0
        # the convolution's threads may have pooled already (see ops/conv.py's _POOL_AFTER)
        made = x.grad_fn.pool_of_output(x.array, self.geom, relu_after) \
            if self._recording and type(x.grad_fn) is Conv2dOp else None
        if made is None and self._recording and relu_after:
            made = kernel.max_pool_forward(x.array, self.geom, with_relu=True)
        if made is not None:
            out, self.choice, relu = made
            if relu is not None:                 # (kept until a relu takes it, or released)
                _RELU_AFTER[self.geom] = max(0, _RELU_AFTER.get(self.geom, 0) - 1)
                self.relu_ahead, self.pooled = relu, weakref.ref(out)
                self.pooled_version = versions.version_of(out)
        else:
            out, self.choice = kernel.max_pool_forward(x.array, self.geom)
        if indices is not None:
            indices.append(kernel.max_pool_indices(self.choice, self.geom))
        return out

    def relu_of_output(self, y):
        """Called by relu on ``y``, this node's output: the relu of y this node's pass made
        (handed over once), or None — none made, or y changed in place since (its version
        moved). Counts a relu after this geometry of pooling."""
        if len(_RELU_AFTER) > 64:
            _RELU_AFTER.clear()
        _RELU_AFTER[self.geom] = 2
        relu = self.__dict__.pop("relu_ahead", None)
        if relu is None or self.pooled() is not y or \
                versions.version_of(y) != self.pooled_version or versions.handed_out(y):
            return None                 # (handed out by numpy(): it may have been written)
        return relu

    def backward(self, dy):
        if type(dy) is MaskedGrad or not is_grad_enabled():   # a plain backward: on arrays
            # (relu's gradient: its mask applied in the scatter's pass)
            values, mask = (dy.values, dy.mask) if type(dy) is MaskedGrad else (dy.array, None)
            conv = self._edges[0]
            if type(conv) is Conv2dOp and not conv.needs_input_grad[0] and \
                    _mode.slice_grads and not _mode.anomaly:
                # a convolution whose input takes no gradient: its weight gradient's threads
                # scatter the channels they read (ops/conv.py), or it makes this whole
                return ScatteredGrad(values, mask, self.choice, self.geom)
            return self.constant(kernel.max_pool_scatter(values, self.choice, self.geom,
                                                         mask=mask))
        return tie_to_input(self, MaxPool2dGrad.apply(dy, self.choice, self.geom))

    def label(self):
        return _pool_label("max_pool2d", self.geom)


class MaxPool2dGrad(Function):
    """The adjoint of max pooling with each window's choice fixed (scatter); linear in dy."""
    inputs, rule = ("dy",), "dx[first max of window k] += dy[k]"
    derivatives = ("d/d(dy) = gather at the same places",)
    op_name = "max_pool2d_backward"

    def forward(self, dy, choice, geom):
        self.choice, self.geom = choice, geom
        return kernel.max_pool_scatter(dy.array, choice, geom)

    def backward(self, gg):
        return MaxPool2dGradGrad.apply(gg, self.choice, self.geom)


class MaxPool2dGradGrad(Function):
    """Max pooling without the search (a gather of each window's chosen element); its adjoint
    is the scatter MaxPool2dGrad."""
    rule = "y[k] = x[first max of window k]"
    derivatives = ("dL/dx = scatter of dL/dy to the same places",)
    op_name = "max_pool2d_gather"

    def forward(self, x, choice, geom):
        self.choice, self.geom = choice, geom
        return kernel.max_pool_gather(x.array, choice, geom)

    def backward(self, gg):
        return MaxPool2dGrad.apply(gg, self.choice, self.geom)


class AvgPool2dOp(Function):
    """The divisor is torch's: the window's size clipped to the padded input (or, with
    ``count_include_pad=False``, to the input), or ``divisor_override``. Linear: its adjoint
    is its whole backward."""
    rule = "y = (sum over each window) / divisor"
    derivatives = ("dL/dx = each dL/dy ÷ divisor, spread over its window",)
    grad_fn_name = "AvgPool2dBackward"

    def forward(self, x, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True,
                divisor_override=None, tied=True):
        self.tied = tied          # (False: torch takes a mean, whose gradient is not tied)
        self.geom = g = pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding,
                                      ceil_mode=ceil_mode)
        self.options = (count_include_pad, divisor_override)
        divisor = kernel.avg_pool_divisor(g, *self.options)
        if x.array.dtype == np.float16:    # torch's CPU kernel: sums ÷ divisor in float32,
            return kernel.avg_pool(x.array.astype(np.float32), g, divisor).astype(np.float16)
        return kernel.avg_pool(x.array, g, divisor)                 # rounded once

    def backward(self, dy):    # (tied to x under create_graph, as torch's: see tie_to_input)
        dx = AvgPool2dGrad.apply(dy, self.geom, self.options)
        return tie_to_input(self, dx) if self.tied else dx

    def label(self):
        extra = "" if self.options[0] else ", count_include_pad=False"
        extra += f", divisor_override={self.options[1]}" if self.options[1] else ""
        return _pool_label("avg_pool2d", self.geom, extra)


class AvgPool2dGrad(Function):
    """The adjoint of average pooling; its own adjoint is average pooling."""
    inputs, rule = ("dy",), "dx[window k] += dy[k] / divisor"
    derivatives = ("d/d(dy) = avg_pool2d(ġ)",)
    op_name = "avg_pool2d_backward"

    def forward(self, dy, geom, options):
        self.geom, self.options = geom, options
        return kernel.avg_pool_spread(dy.array, geom, kernel.avg_pool_divisor(geom, *options))

    def backward(self, gg):
        g = self.geom
        return AvgPool2dOp.apply(gg, (g.kh, g.kw), g.stride, g.padding, g.ceil_mode,
                                 *self.options)


class AdaptiveMaxPool2dOp(Function):
    """Windows [⌊o·H/OH⌋, ⌈(o+1)·H/OH⌉) (they may overlap); the first maximum of each, or its
    last NaN, as torch. ``indices``: a list that receives the flat indices (return_indices).
    The gradient goes back through those indices: an add at the chosen places."""
    rule = "y[oh,ow] = max of x over window (oh, ow)"
    derivatives = ("dL/dx = dL/dy added at each window's maximum",)
    grad_fn_name = "AdaptiveMaxPool2dBackward"

    def forward(self, x, output_size, indices=None):
        self.in_shape, self.output_size = x.shape, tuple(output_size)
        out, idx = kernel.adaptive_max_pool(x.array, self.output_size)
        if self._recording:                 # kept for backward
            N, C, H, W = x.shape
            self.index = (np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None],
                          idx // W, idx % W)
        if indices is not None:
            indices.append(idx)
        return out

    def backward(self, dy):
        return tie_to_input(self, IndexAdd.apply(dy, self.index, self.in_shape))

    def label(self):
        return f"adaptive_max_pool2d({self.output_size})"


# ---------------------------------------------------------------- integer inputs (no graph)
# torch pools integer tensors too (max pooling any integer dtype, average pooling int64);
# integer tensors take no gradient, so these are plain functions on arrays, not ops.

def ranks(a):
    """The values of an integer array replaced by their ranks, as float64: the same order
    (ties stay ties) in numbers the float kernels compare exactly, whatever their size."""
    return np.unique(a, return_inverse=True)[1].reshape(a.shape).astype(np.float64)


def integer_max_pool2d(x, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """Max pooling of an (N, C, H, W) integer array with torch's choices: the float kernel
    finds each window's first maximum among the :func:`ranks`, the values are read there.
    Returns (y, the int64 indices of ``return_indices``)."""
    g = pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    _, choice = kernel.max_pool_forward(ranks(x), g)
    return kernel.max_pool_gather(x, choice, g), kernel.max_pool_indices(choice, g)


def integer_avg_pool2d(x, kernel_size, stride, padding, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    """torch's average pooling of an (N, C, H, W) int64 array: each window's exact int64 sum
    divided by torch's divisor, rounded toward zero (C++'s integer division: −3/4 is 0)."""
    g = pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding, ceil_mode=ceil_mode)
    xp = g.padded(to_chwn(x.astype(np.int64, copy=False)))
    total = np.zeros((g.C, g.OH, g.OW, g.N), np.int64)
    for r, c in g.offsets():
        total += xp[:, r, c]
    divisor = kernel.avg_pool_divisor(g, count_include_pad, divisor_override)
    if np.ndim(divisor):
        divisor = divisor[None, :, :, None]
    return from_chwn(truncating_divide(total, np.asarray(divisor, np.int64)))


def truncating_divide(a, b):
    """a / b for integers, rounded toward zero (C++'s ``/``; NumPy's ``//`` floors)."""
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)
