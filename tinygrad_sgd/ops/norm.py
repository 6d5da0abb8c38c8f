"""Normalisation: x̂ = (x − μ)/√(σ² + ε) over some dims — the core of layer norm (the last
dims) and batch norm (every dim but the channels). The affine part (γ·x̂ + β) and RMS norm are
Tensor operations in :mod:`tinygrad_sgd.nn.functional.normalization`."""
import numpy as np

from ..autograd import Function, is_grad_enabled


class Normalize(Function):
    """μ and the biased σ² are taken over ``dims`` (keepdim). Backward, with r = 1/√(σ² + ε):
    the gradient of a standardisation removes from g its mean and its component along x̂.
    Outside ``create_graph`` it reuses the x̂ and r forward computed; with it, they are
    recomputed from x with Tensor operations, so the gradient is differentiable again.
    ``stats``, a dict if given, receives the batch ``mean`` and biased ``var`` (arrays) for the
    running statistics of batch norm."""
    rule = "x̂ = (x − μ) / √(σ² + ε),  μ, σ² over dims"
    derivatives = ("dL/dx = r·(g − mean(g) − x̂·mean(g·x̂)),  r = 1/√(σ² + ε)",)
    op_name = "normalize"

    def forward(self, x, dims, eps, stats=None):
        d = x.array
        self.dims, self.eps = dims, eps
        mean = d.mean(axis=dims, keepdims=True)
        centred = d - mean
        var = np.mean(np.square(centred), axis=dims, keepdims=True)
        rstd = 1.0 / np.sqrt(var + eps)
        centred *= rstd
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        self.save_for_backward(x)
        self.save_output(centred)
        self.rstd = rstd.astype(d.dtype, copy=False)
        return centred

    def backward(self, g):
        dims = self.dims
        if is_grad_enabled():
            (x,) = self.saved_tensors
            centred = x - x.mean(dims, keepdim=True)
            rstd = ((centred * centred).mean(dims, keepdim=True) + self.eps) ** -0.5
            xhat = centred * rstd
        else:
            self.saved_tensors        # (checks that x was not changed in place)
            xhat, rstd = self.constant(self.saved_output()), self.constant(self.rstd)
        return (g - g.mean(dims, keepdim=True)
                - xhat * (g * xhat).mean(dims, keepdim=True)) * rstd

    def label(self):
        return f"normalize(dims={self.dims}, eps={self.eps})"
