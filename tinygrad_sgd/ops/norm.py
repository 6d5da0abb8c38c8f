"""Normalisation: z = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε) over some dims — layer norm (the
last dims, γ and β of their shape) and batch norm (every dim but the channels, γ and β of
shape (C, 1, ...)). RMS norm is Tensor operations in :mod:`tinygrad_sgd.nn.functional`."""
import numpy as np

from ..autograd import Function, is_grad_enabled


class Normalize(Function):
    """μ and the biased σ² are taken over ``dims`` (keepdim); γ (``weight``) and β (``bias``)
    are optional and broadcast against x. Backward, with r = 1/√(σ² + ε) and ĝ = g·γ: the
    gradient of a standardisation removes from ĝ its mean and its component along x̂.

    Outside ``create_graph`` backward is one NumPy pass over the arrays forward kept
    (:func:`normalize_backward`); with it, x̂ and r are recomputed from x with Tensor operations
    and the same formulas are written with them, so the gradient is differentiable again.
    ``stats``, a dict if given, receives the batch ``mean`` and biased ``var`` (arrays) for the
    running statistics of batch norm."""
    inputs, rule = ("x", "γ", "β"), "z = γ·(x − μ)/√(σ² + ε) + β,  μ, σ² over dims"
    derivatives = ("dL/dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ĝ = g·γ,  r = 1/√(σ² + ε)",
                   "dL/dγ = Σ g·x̂", "dL/dβ = Σ g")
    grad_fn_name, op_name = "NativeNormBackward", "normalize"

    def forward(self, x, weight, bias, dims, eps, stats=None):
        d = x.array
        self.dims, self.eps = dims, eps
        mean = d.mean(axis=dims, keepdims=True)
        xhat = d - mean
        var = np.mean(np.square(xhat), axis=dims, keepdims=True)
        rstd = (1.0 / np.sqrt(var + eps)).astype(d.dtype, copy=False)
        xhat *= rstd
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        self.save_for_backward(*((x,) if weight is None else (x, weight)))
        self.xhat, self.rstd = xhat, rstd
        if weight is None and bias is None:
            out = xhat.copy() if self._recording else xhat
        else:
            out = xhat * weight.array if weight is not None else xhat.copy()
            if bias is not None:
                out += bias.array
        return out

    def backward(self, g):
        need_x, need_w, need_b = self.needs_input_grad[:3]
        x, weight = (self.saved_tensors + (None,))[:2]
        if not is_grad_enabled():
            gx, gw, gb = normalize_backward(g.array, self.xhat, self.rstd,
                                            None if weight is None else weight.array,
                                            self.dims, need_x, need_w, need_b)
            c = self.constant
            return (c(gx) if need_x else None, c(gw) if need_w else None,
                    c(gb) if need_b else None)
        dims = self.dims
        centred = x - x.mean(dims, keepdim=True)
        rstd = ((centred * centred).mean(dims, keepdim=True) + self.eps) ** -0.5
        xhat = centred * rstd
        gxhat = g * weight if weight is not None else g
        gx = (gxhat - gxhat.mean(dims, keepdim=True)
              - xhat * (gxhat * xhat).mean(dims, keepdim=True)) * rstd if need_x else None
        return gx, (g * xhat if need_w else None), (g if need_b else None)

    def label(self):
        return f"normalize(dims={self.dims}, eps={self.eps})"


def normalize_backward(g, xhat, rstd, weight, dims, need_x=True, need_w=True, need_b=True):
    """The three gradients of z = γ·x̂ + β as arrays (γ's and β's already summed to their
    shapes), a few in-place passes and no graph."""
    gw = gb = gx = None
    if need_w:
        gw = _sum_to(g * xhat, weight.shape)
    if need_b:
        gb = _sum_to(g, weight.shape if weight is not None else g.shape)
    if need_x:
        gx = g * weight if weight is not None else g.copy()
        n = np.prod([g.shape[d] for d in dims])
        proj = np.sum(gx * xhat, axis=dims, keepdims=True)
        proj /= n
        gx -= np.sum(gx, axis=dims, keepdims=True) / n
        gx -= xhat * proj
        gx *= rstd
    return gx, gw, gb


def _sum_to(a, shape):
    """``a`` summed over the axes that broadcasting added or stretched to reach it."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and a.shape[i + lead] != 1)
    return np.sum(a, axis=axes).reshape(shape) if axes else a
