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
        s = self.output()
        return g * (s * (1.0 - s))


class Tanh(Function):
    """z = tanh(x).   dz/dx = 1 − tanh²(x) = 1 − z²."""

    def forward(self, x):
        out = np.tanh(x.data)
        self.save_output(out)
        return out

    def backward(self, g):
        t = self.output()
        return g * (1.0 - t * t)


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
