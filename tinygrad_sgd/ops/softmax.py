"""The softmax and log-softmax along a dim, and the softmax's backward as a node of its own
(torch's ``_softmax_backward_data``), computed in numerically stable forms by the kernels of
:mod:`tinygrad_sgd.kernels.softmax`."""
import numpy as np

from ..arguments import normalize_dim
from ..autograd import Function, contiguous_as_torch, is_grad_enabled
from ..kernels.softmax import log_softmax, log_softmax_backward, softmax, softmax_backward


class SoftmaxOp(Function):
    """Along ``dim``, with m = max for stability (one array, computed in place). A 0-d x is a
    row of one (1, or nan for nan and ±∞, as torch); a size-0 x gives a size-0 result.

    ``mask`` (for attention): a boolean array broadcastable to x (True = keep), or True (keep
    all). The other places get probability 0 — as if filled with −∞ — and a row with no kept
    value above −∞ gives zeros instead of nan (torch's masked softmax, as its attention).

    ``scale`` c (for attention, 1/√E): the softmax of c·x, the product taken inside the
    softmax's own pass; then dL/dxᵢ = c·sᵢ·(gᵢ − Σⱼ gⱼ·sⱼ)."""
    rule = "sᵢ = e^(xᵢ−m) / Σⱼ e^(xⱼ−m)"
    derivatives = ("dL/dxᵢ = sᵢ·(gᵢ − Σⱼ gⱼ·sⱼ)",)
    grad_fn_name, op_name = "SoftmaxBackward", "softmax"

    def forward(self, x, dim, mask=None, scale=None):
        d = x.array
        self.dim = dim = normalize_dim(dim, d.ndim, "softmax")
        self.mask, self.scale = mask, scale
        out = contiguous_as_torch(softmax(d, dim, mask, scale), x)    # (as torch's)
        self.save_output(out)
        return out

    def backward(self, g):
        return SoftmaxGrad.apply(g, self.output(), self.dim, self.mask, self.scale)


class SoftmaxGrad(Function):
    """The softmax's backward as one node (torch's _softmax_backward_data), for the incoming
    gradient g and the saved output s; its Jacobian in g is symmetric, so its own g-gradient
    is the same node again. ``mask``: the forward's; masked places (where s = 0) get a
    gradient of exactly 0 even when g or the row holds nan or ±∞, as behind torch's
    masked_fill. ``scale`` c: the forward's; u and both derivatives are then times c."""
    inputs, rule = ("g", "s"), "u = s·(g − Σ g·s)"
    derivatives = ("du/dg: ġ ↦ s·(ġ − Σ ġ·s)", "du/ds: ṡ ↦ ṡ·(g − Σ g·s) − s·Σ g·ṡ")
    op_name = "softmax_backward"

    def forward(self, g, s, dim, mask=None, scale=None):
        self.save_for_backward(g, s)
        self.dim, self.mask, self.scale = dim, mask, scale
        return softmax_backward(g.array, s.array, dim, mask, scale)

    def backward(self, gg):
        g, s = self.saved_tensors
        dim, c = self.dim, self.scale
        d_s = None
        if self.needs_input_grad[1]:
            d_s = gg * (g - (g * s).sum(dim, keepdim=True)) - g * (gg * s).sum(dim, keepdim=True)
            d_s = d_s if c is None else d_s * c
        return (SoftmaxGrad.apply(gg, s, dim, self.mask, c) if self.needs_input_grad[0] else None,
                d_s)


class LogSoftmaxOp(Function):
    """Along ``dim``, exact even for logits of 1e4 (m = max). A 0-d x is a row of one (0, or
    nan for nan and ±∞, as torch); a size-0 x gives a size-0 result."""
    rule = "zᵢ = xᵢ − m − ln Σⱼ e^(xⱼ−m)"
    derivatives = ("dL/dxᵢ = gᵢ − e^(zᵢ)·Σⱼ gⱼ",)
    grad_fn_name, op_name = "LogSoftmaxBackward", "log_softmax"

    def forward(self, x, dim):
        d = x.array
        self.dim = dim = normalize_dim(dim, d.ndim, "log_softmax")
        out = contiguous_as_torch(log_softmax(d, dim), x)     # (as torch's)
        self.save_output(out)
        return out

    def backward(self, g):
        if not is_grad_enabled() and g.dtype in (np.float16, np.float32, np.float64) and \
                g.ndim > 0:     # a plain backward: the same formula on arrays, no graph of it
            return self.constant(log_softmax_backward(g.array, self.saved_output(), self.dim))
        return g - self.output().exp() * g.sum(dim=self.dim, keepdim=True)
