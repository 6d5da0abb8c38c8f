"""Normalisation: z = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε) over some dims — layer norm (the
last dims, γ and β of their shape) and batch norm (every dim but the channels, γ and β of
shape (C, 1, ...)). RMS norm is Tensor operations in :mod:`tinygrad_sgd.nn.functional`."""
import contextlib
import warnings

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..autograd.strides import contiguous_as_torch
from ..kernels.norm import normalize_forward, normalize_backward
from ..kernels.norm_half import (layer_norm_forward, layer_norm_backward, batch_norm_forward,
                                 batch_norm_backward)


class Normalize(Function):
    """μ and the biased σ² are taken over ``dims`` (keepdim); γ (``weight``) and β (``bias``)
    are optional and broadcast against x. Backward, with r = 1/√(σ² + ε) and ĝ = g·γ: the
    gradient of a standardisation removes from ĝ its mean and its component along x̂.

    Forward and, outside ``create_graph``, backward are kernels on the arrays
    (:mod:`..kernels.norm`: NumPy, or compiled rows for layer norm); with ``create_graph``,
    x̂ and r are recomputed from x with Tensor operations and the same formulas are written
    with them, so the gradient is differentiable again.
    ``stats``, a dict if given, receives the batch ``mean`` and biased ``var`` (arrays) for the
    running statistics of batch norm (and, for float16 batch and instance norm in torch's
    steps — ``stats["torch_half"]`` set — the unrounded float32 ``var_sum``).
    ``constant_zero``: torch's batch and instance norm rule, with ε = 0 a slice of one value
    has r = 0 (x̂ = 0, no gradient through x) where 1/√0 would make it NaN.
    ``contiguous``: the result C-contiguous, as torch's layer and instance norm give it for a
    channels-last or transposed x (its batch norm and group norm keep channels-last)."""
    inputs, rule = ("x", "γ", "β"), "z = γ·(x − μ)/√(σ² + ε) + β,  μ, σ² over dims"
    derivatives = ("dL/dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ĝ = g·γ,  r = 1/√(σ² + ε)",
                   "dL/dγ = Σ g·x̂", "dL/dβ = Σ g")
    grad_fn_name, op_name = "NativeNormBackward", "normalize"

    def forward(self, x, weight, bias, dims, eps, stats=None, constant_zero=False,
                contiguous=False):
        out = self._forward(x, weight, bias, dims, eps, stats, constant_zero)
        return contiguous_as_torch(out, x) if contiguous else out

    def _forward(self, x, weight, bias, dims, eps, stats, constant_zero):
        self.dims, self.eps, self.constant_zero = dims, eps, constant_zero and eps == 0
        self.bias_shape = None if bias is None else bias.shape
        self.half_mean = self.half_planes = None
        planes = _batch_norm_half(x.array, dims, weight, bias, stats)
        if planes is not None:                          # torch's float16 batch norm kernel
            self.half_planes = planes
            out, self.half_mean, self.rstd, mean, var_sum = batch_norm_forward(
                x.array.reshape(planes), eps, *(_planes(p, x.array, planes)
                                                for p in (weight, bias)))
            n = planes[0] * planes[2]
            stats["mean"], stats["var"] = mean, var_sum / np.float32(n)
            stats["var_sum"] = var_sum
            self.save_for_backward(*((x,) if weight is None else (x, weight)))
            return out.reshape(x.shape)
        if _layer_norm_half(x.array, dims, weight, bias, stats):   # torch's float16 kernel
            out, self.half_mean, self.rstd = layer_norm_forward(
                x.array, dims, eps, _array(weight), _array(bias))
            self.save_for_backward(*((x,) if weight is None else (x, weight)))
            return out
        with _quiet_if_empty(x.array):
            out, self.xhat, self.rstd, mean, var = normalize_forward(
                x.array, dims, eps, _array(weight), _array(bias), keep=self._recording,
                constant_zero=constant_zero)
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        self.save_for_backward(*((x,) if weight is None else (x, weight)))
        return out

    def backward(self, g):
        need_x, need_w, need_b = self.needs_input_grad[:3]
        x, weight = (self.saved_tensors + (None,))[:2]
        if not is_grad_enabled() and self.half_planes is not None:
            return self._batch_norm_half_backward(g, x, weight, need_x, need_w, need_b)
        if not is_grad_enabled() and self.half_mean is not None:
            gx, gw, gb = layer_norm_backward(g.array, x.array, self.half_mean, self.rstd,
                                             _array(weight), self.dims, need_x, need_w, need_b)
            c = self.constant
            return (c(gx) if need_x else None, c(gw) if need_w else None,
                    c(gb) if need_b else None)
        if not is_grad_enabled():
            with _quiet_if_empty(g.array):
                gx, gw, gb = normalize_backward(g.array, self.xhat, self.rstd, _array(weight),
                                                self.dims, need_x, need_w, need_b,
                                                self.bias_shape)
            c = self.constant
            return (c(gx) if need_x else None, c(gw) if need_w else None,
                    c(gb) if need_b else None)
        dims = self.dims
        centred = x - x.mean(dims, keepdim=True)
        var = (centred * centred).mean(dims, keepdim=True)
        if self.constant_zero:      # (r = 0 where σ² = 0, its gradient 0 there, not 0·∞)
            constant = var == 0
            rstd = (var.masked_fill(constant, 1.0) ** -0.5).masked_fill(constant, 0.0)
        else:
            rstd = (var + self.eps) ** -0.5
        xhat = centred * rstd
        gxhat = g * weight if weight is not None else g
        gx = (gxhat - gxhat.mean(dims, keepdim=True)
              - xhat * (gxhat * xhat).mean(dims, keepdim=True)) * rstd if need_x else None
        return gx, (g * xhat if need_w else None), (g if need_b else None)

    def _batch_norm_half_backward(self, g, x, weight, need_x, need_w, need_b):
        planes = self.half_planes
        gx, gw, gb = batch_norm_backward(g.array.reshape(planes), x.array.reshape(planes),
                                         self.half_mean, self.rstd,
                                         _planes(weight, x.array, planes), need_x, need_w,
                                         need_b)
        instance = 0 not in self.dims
        shape = self.bias_shape or (weight.shape if weight is not None else None)

        def param(a):               # instance norm: the samples' γ, β gradients summed
            if a is None:           # (torch: the backward of its repeat, in float32)
                return None
            if instance:
                a = a.reshape(x.shape[0], -1).astype(np.float32).sum(0).astype(np.float16)
            return self.constant(a.reshape(shape))
        return (self.constant(gx.reshape(x.shape)) if need_x else None, param(gw), param(gb))

    def label(self):
        return f"normalize(dims={self.dims}, eps={self.eps})"


def _layer_norm_half(d, dims, weight, bias, stats):
    """A float16 layer norm — ``dims`` the trailing dims of a non-empty x, γ and β (if given)
    of their shape, no running statistics — goes to torch's float16 arithmetic
    (:mod:`..kernels.norm_half`)."""
    if d.dtype != np.float16 or stats is not None or d.size == 0 or not dims:
        return False
    rows = d.shape[d.ndim - len(dims):]
    return (tuple(dims) == tuple(range(d.ndim - len(dims), d.ndim))
            and all(p is None or p.shape == rows for p in (weight, bias)))


def _batch_norm_half(d, dims, weight, bias, stats):
    """The (B, C, S) planes of a float16 batch norm in training (``dims`` every dim but 1) or
    instance norm (``dims`` those after 1: B = 1, C = N·C) that torch's float16 kernel takes —
    ``stats["torch_half"]`` set by the caller (no float32 parameter), x not empty, γ and β
    (if given) of shape (C, 1, ...) — else None (:mod:`..kernels.norm_half`)."""
    if (d.dtype != np.float16 or not stats or not stats.get("torch_half") or d.size == 0
            or d.ndim < 2):
        return None
    rest = tuple(range(2, d.ndim))
    size = int(np.prod(d.shape[2:], dtype=np.int64))
    if any(p is not None and p.shape[0] * int(np.prod(p.shape[1:])) != d.shape[1]
           for p in (weight, bias)):
        return None
    if tuple(dims) == (0,) + rest:
        return (d.shape[0], d.shape[1], size)
    if tuple(dims) == rest and rest:
        return (1, d.shape[0] * d.shape[1], size)
    return None


def _planes(p, d, planes):
    """γ or β (or None) as the C values of the planes: repeated over the samples for instance
    norm (torch's ``weight.repeat(N)``)."""
    if p is None:
        return None
    a = p.array.reshape(-1)
    return np.tile(a, planes[1] // a.size) if planes[0] == 1 else a


def _array(t):
    return None if t is None else t.array


@contextlib.contextmanager
def _quiet_if_empty(a):
    """An empty x (a batch of none: torch gives an empty output, zero γ and β gradients) has
    statistics of nothing — NaN, which no element uses; NumPy's warnings about them are
    silenced."""
    if a.size:
        yield
        return
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
