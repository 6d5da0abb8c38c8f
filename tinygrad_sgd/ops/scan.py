"""Scans (cumulative reductions along a dim): cumsum, cumprod, logcumsumexp, cummax/cummin.

The scans themselves (float32 accumulates in float64, as torch's CPU kernels) are
:mod:`tinygrad_sgd.kernels.scan`. ``reverse`` scans from the end: it is what the backward of a
forward scan needs, and vice versa.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..kernels.scan import scan as _scan, cumprod_grad_with_zeros
from .elementwise import Where
from .reduce import Selection
from .shape import Cat


class CumSum(Function):
    rule, derivatives = "zₖ = Σ_{i≤k} xᵢ along dim", ("dL/dxᵢ = Σ_{k≥i} dL/dzₖ",)

    def forward(self, x, dim, reverse=False):
        self.dim, self.reverse = dim, reverse
        return _scan(np.add, x.array, dim, reverse)

    def backward(self, g):
        return CumSum.apply(g, self.dim, not self.reverse)


class CumProd(Function):
    """The gradient is exact with zeros in x, as torch's. Without zeros: Σ_{k≥i} gₖ zₖ / xᵢ.
    Where x holds a zero, first order is torch's O(n) formula
    (:func:`~tinygrad_sgd.kernels.scan.cumprod_grad_with_zeros`); under create_graph, torch's
    O(n²) one from differentiable ops: for each i, Σ_{k≥i} gₖ · (Π_{j<i} xⱼ) · Π_{i<j≤k} xⱼ."""
    rule = "zₖ = Π_{i≤k} xᵢ along dim"
    derivatives = ("dL/dxᵢ = Σ_{k≥i} dL/dzₖ · Π_{j≤k, j≠i} xⱼ",)

    def forward(self, x, dim):
        self.dim = dim
        out = _scan(np.multiply, x.array, dim, False)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        dim = self.dim
        out = self.output()                 # (read on every path: its version is checked)
        if x.ndim == 0 or x.shape[dim] == 1:
            return g
        if not (x.array == 0).any():
            return CumSum.apply(g * out, dim, True) / x
        if not is_grad_enabled():
            return self.constant(cumprod_grad_with_zeros(x.array, g.array, out.array, dim))
        n = x.shape[dim]
        slices = []
        for i in range(n):          # the products that leave xᵢ out, for k = i..n−1
            omitted = self.constant(np.ones((1,) * x.ndim, x.dtype)).expand(
                *[1 if d == dim else s for d, s in enumerate(x.shape)])
            if i > 0:
                omitted = x.narrow(dim, 0, i).prod(dim, keepdim=True)
            if i < n - 1:
                after = omitted * x.narrow(dim, i + 1, n - i - 1).cumprod(dim)
                omitted = Cat.apply(omitted, after, dim=dim)
            slices.append((g.narrow(dim, i, n - i) * omitted).sum(dim, keepdim=True))
        return Cat.apply(*slices, dim=dim)


class LogCumSumExp(Function):
    """Computed with ``logaddexp`` (no overflow). The backward is torch's: the positive and
    the negative parts of g each go through a reverse logcumsumexp, so nothing overflows."""
    rule = "zₖ = log Σ_{i≤k} exp(xᵢ) along dim"
    derivatives = ("dL/dxᵢ = Σ_{k≥i} dL/dzₖ · exp(xᵢ − zₖ)",)

    def forward(self, x, dim, reverse=False):
        self.dim, self.reverse = dim, reverse
        out = _scan(np.logaddexp, x.array, dim, reverse, np.float64).astype(x.dtype)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        if x.ndim == 0 or x.numel() == 0:    # (torch's first line: its own result there —
            return g                         # ±inf gave NaN through the formula)
        out = self.output()
        lowest = self.constant(np.asarray(np.finfo(g.dtype).min, g.dtype))
        log_abs = g.abs().log()
        parts = []
        for sign in (g.array > 0, g.array < 0):
            log_part = Where.apply(self.constant(sign), log_abs, lowest)
            parts.append((LogCumSumExp.apply(log_part - out, self.dim, not self.reverse)
                          + x).exp())
        return parts[0] - parts[1]


class CumMaxIndices(Function):
    """Where each running maximum was last reached: torch's ``x ≥ running max`` (so a tie
    moves the index to the later place) and a NaN, once seen, stays, with the index of the
    latest NaN. Not differentiable."""
    rule = "zₖ = the index of max_{i≤k} xᵢ (the latest on ties)"
    differentiable = False
    ufunc, reached = np.maximum, staticmethod(np.greater_equal)

    def forward(self, x, dim):
        d = x.array
        if d.ndim == 0 or d.size == 0:
            return np.zeros(d.shape, np.int64)
        running = self.ufunc.accumulate(d, axis=dim)
        before = np.take(running, np.arange(-1, d.shape[dim] - 1), axis=dim)
        updated = np.isnan(d) | (~np.isnan(before) & self.reached(d, before))
        updated[(slice(None),) * dim + (0,)] = True
        position = np.arange(d.shape[dim]).reshape((-1,) + (1,) * (d.ndim - dim - 1))
        return np.maximum.accumulate(np.where(updated, position, 0), axis=dim).astype(np.int64)


class CumMinIndices(CumMaxIndices):
    rule = "zₖ = the index of min_{i≤k} xᵢ (the latest on ties)"
    ufunc, reached = np.minimum, staticmethod(np.less_equal)


class CumMax(Selection):
    """The running maximum, as x picked at CumMaxIndices: the gradient of each place is the
    sum of the gradients of the outputs that picked it."""
    rule = "zₖ = max_{i≤k} xᵢ along dim"
    derivatives = ("dL/dxᵢ = Σ of dL/dzₖ over the k whose maximum is xᵢ",)
    repeats = True


class CumMin(Selection):
    rule = "zₖ = min_{i≤k} xᵢ along dim"
    derivatives = ("dL/dxᵢ = Σ of dL/dzₖ over the k whose minimum is xᵢ",)
    repeats = True
