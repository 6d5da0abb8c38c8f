"""Scans (cumulative reductions along a dim): cumsum, cumprod, logcumsumexp, cummax/cummin.

As torch's CPU kernels, float32 and float16 accumulate in float64 (the last of 100,000
cumulative float32 sums matches torch's to the bit) and integers and bools in int64. ``reverse``
scans from the end: it is what the backward of a forward scan needs, and vice versa.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from .elementwise import keep_where, Where
from .reduce import Selection


def scan_dtypes(dtype):
    """(accumulation dtype, result dtype) of a cumulative sum or product of ``dtype``."""
    if dtype.kind in "biu":
        return np.dtype(np.int64), np.dtype(np.int64)
    return np.dtype(np.float64), dtype


def _scan(ufunc, d, dim, reverse, dtype=None):
    """``ufunc.accumulate`` along ``dim`` in the accumulation dtype, from the end if
    ``reverse``; a 0-d array is its own scan."""
    acc, out = scan_dtypes(d.dtype) if dtype is None else (np.dtype(dtype),) * 2
    if d.ndim == 0:
        return d.astype(out)
    if reverse:
        d = np.flip(d, dim)
    r = ufunc.accumulate(d.astype(acc, copy=False), axis=dim).astype(out, copy=False)
    return np.ascontiguousarray(np.flip(r, dim)) if reverse else r


class CumSum(Function):
    rule, derivatives = "zₖ = Σ_{i≤k} xᵢ along dim", ("dL/dxᵢ = Σ_{k≥i} dL/dzₖ",)

    def forward(self, x, dim, reverse=False):
        self.dim, self.reverse = dim, reverse
        return _scan(np.add, x.array, dim, reverse)

    def backward(self, g):
        return CumSum.apply(g, self.dim, not self.reverse)


class CumProd(Function):
    """The gradient is exact with zeros in x (torch's too): Σ_{k≥i} gₖ zₖ / xᵢ where xᵢ ≠ 0;
    at the first zero of a slice, the reverse cumsum of g times the cumprod with that zero
    taken as 1; at the second zero (where the value is 0 but second order is not), the same
    with both taken as 1, times the first zero; 0 after."""
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
        dim, zero = self.dim, x.array == 0
        if x.ndim == 0:
            return g
        w = g * self.output()
        if not zero.any():
            return CumSum.apply(w, dim, True) / x
        rank = np.cumsum(zero, axis=dim)                # 1 at the first zero, 2 at the second
        first, second = zero & (rank == 1), zero & (rank == 2)
        if not is_grad_enabled():       # the terms from the first zero on are 0 (torch's first-
            w = keep_where(rank == 0, w)  # order path): an inf or NaN there must not leak back
        gz = CumSum.apply(w, dim, True)
        one = self.constant(np.ones((), x.dtype))

        def with_ones(mask):    # x with the zeros in ``mask`` taken as 1
            return Where.apply(self.constant(mask), one, x)

        grad = keep_where(~zero, gz / with_ones(zero))
        at_first = CumSum.apply(g * CumProd.apply(with_ones(first), dim), dim, True)
        grad = Where.apply(self.constant(first), at_first, grad)
        if second.any():
            x_first = keep_where(first, x).sum(dim, keepdim=True)       # the value 0, kept
            at_second = CumSum.apply(g * CumProd.apply(with_ones(first | second), dim), dim,
                                     True) * x_first                     # differentiable
            grad = Where.apply(self.constant(second), at_second, grad)
        if not is_grad_enabled():       # past the first zero the gradient is exactly 0, as in
            grad = keep_where(~((rank >= 1) & ~first), grad)  # torch's first-order path (a
        return grad                     # NaN or inf there must not make it NaN)


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
