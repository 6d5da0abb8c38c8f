"""Activation functions and the (log-)softmax, computed in numerically stable forms."""
import numpy as np

from ..autograd import Function
from .elementwise import keep_where


class ReLU(Function):
    """z = max(x, 0).   dz/dx = 1 where x > 0, else 0 (0 at x = 0, as torch)."""

    def forward(self, x):
        out = np.maximum(x.data, 0)
        self.save_output(out)
        return out

    def backward(self, g):
        self._check_not_released()  # the saved output is freed after backward
        return keep_where(~(self._out_array <= 0), g)  # (a NaN passes g on, as in torch)


class Sigmoid(Function):
    """z = σ(x) = 1/(1+e⁻ˣ).   dz/dx = σ(x)·(1−σ(x)) = z·(1−z).

    Computed as e^(min(x,0)) / (1 + e^(−|x|)): no exponent is ever positive, so nothing
    overflows at ±1000."""

    def forward(self, x):
        d = x.data
        e = np.exp(-np.abs(d))
        out = np.where(d >= 0, 1.0, e) / (1.0 + e)
        out = out.astype(d.dtype, copy=False)
        self.save_output(out)
        return out

    def backward(self, g):
        return SigmoidGrad.apply(g, self.output())


class SigmoidGrad(Function):
    """The sigmoid's backward as one node (as torch's sigmoid_backward): u = g·s·(1−s) for the
    incoming gradient g and the saved output s.   du/dg = s·(1−s),   du/ds = g·(1−2s)."""
    op_name = "sigmoid_backward"

    def forward(self, g, s):
        self.save_for_backward(g, s)
        sd = s.data
        return g.data * (sd * (1 - sd))

    def backward(self, gg):
        g, s = self.saved_tensors
        return (gg * (s * (1.0 - s)) if self.needs_input_grad[0] else None,
                gg * g * (1.0 - 2.0 * s) if self.needs_input_grad[1] else None)


class Tanh(Function):
    """z = tanh(x).   dz/dx = 1 − tanh²(x) = 1 − z²."""

    def forward(self, x):
        out = np.tanh(x.data)
        self.save_output(out)
        return out

    def backward(self, g):
        return TanhGrad.apply(g, self.output())


class TanhGrad(Function):
    """The tanh's backward as one node (as torch's tanh_backward): u = g·(1−t²) for the
    incoming gradient g and the saved output t.   du/dg = 1−t²,   du/dt = −2·g·t."""
    op_name = "tanh_backward"

    def forward(self, g, t):
        self.save_for_backward(g, t)
        td = t.data
        return g.data * (1 - td * td)

    def backward(self, gg):
        g, t = self.saved_tensors
        return (gg * (1.0 - t * t) if self.needs_input_grad[0] else None,
                gg * g * t * -2.0 if self.needs_input_grad[1] else None)


def _check_dim(dim, ndim, op):
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


class Softmax(Function):
    """sᵢ = e^(xᵢ−m) / Σⱼ e^(xⱼ−m) along ``dim`` (m = max, for stability).
    dL/dxᵢ = sᵢ·(gᵢ − Σⱼ gⱼ·sⱼ)."""

    def forward(self, x, dim):
        d = x.data
        self.dim = dim = _check_dim(dim, d.ndim, "softmax")
        if d.ndim == 0:
            out = np.ones_like(d)
        else:
            e = np.exp(d - d.max(axis=dim, keepdims=True))
            out = e / e.sum(axis=dim, keepdims=True)
        self.save_output(out)
        return out

    def backward(self, g):
        s = self.output()
        return s * (g - (g * s).sum(dim=self.dim, keepdim=True))


class LogSoftmax(Function):
    """zᵢ = xᵢ − m − ln Σⱼ e^(xⱼ−m) along ``dim`` (exact even for logits of 1e4).
    dL/dxᵢ = gᵢ − e^(zᵢ)·Σⱼ gⱼ."""
    op_name = "log_softmax"

    def forward(self, x, dim):
        d = x.data
        self.dim = dim = _check_dim(dim, d.ndim, "log_softmax")
        if d.ndim == 0:
            out = np.zeros_like(d)
        else:
            shifted = d - d.max(axis=dim, keepdims=True)
            out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.save_output(out)
        return out

    def backward(self, g):
        return g - self.output().exp() * g.sum(dim=self.dim, keepdim=True)
