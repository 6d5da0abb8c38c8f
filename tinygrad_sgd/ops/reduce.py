"""Reductions: sum, prod, max/min (of everything, along a dim, amax/amin over dims), argmax/argmin,
logsumexp, var/std and the vector norm. mean, aminmax, var_mean, ... are built from these in
:mod:`tinygrad_sgd.functions.reduce`.

Accumulation follows torch's CPU kernels: integers and bools are summed and multiplied as int64,
float16 is summed in float32 (so 70,000 float16 ones sum to inf, as in torch, but their mean is
1), and var/std accumulate in float64 (float32 for float16), so that ``std([1e20, -1e20])`` in
float32 is 1.41e20, not inf.

``Selection`` is the one backward of every op that picks values at indices (max(dim), sort, topk,
kthvalue, median, mode, cummax): the gradient goes back to the picked places.
"""
import math

import numpy as np

from ..arguments import kept_shape
from ..autograd import Function, is_grad_enabled
from .. import kernels
from ..kernels import vecmath
from ..kernels.vecmath import in_float
from .elementwise import divide_where, keep_where
from .shape import Cat, IndexAdd


def sum_dtype(dtype):
    """The dtype torch accumulates a sum of ``dtype`` in, and the dtype of the result."""
    if dtype.kind in "biu":
        return np.dtype(np.int64), np.dtype(np.int64)
    return (np.dtype(np.float32) if dtype == np.float16 else dtype), dtype


def squeeze_dims(array, dims, keepdim):
    """A keepdim-shaped reduction result, with the reduced dims removed unless ``keepdim``."""
    return array if keepdim else array.reshape(
        tuple(s for i, s in enumerate(array.shape) if i not in dims))


class Sum(Function):
    """Integers and bools sum to int64 and float16 accumulates in float32, as torch; ``dtype``
    (torch's ``sum(dtype=)``) sets the result's dtype."""
    rule, derivatives = "z = Σ x over dims", ("dz/dxᵢ = 1 (the gradient is copied back)",)

    def forward(self, x, dims, keepdim, dtype=None):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        self.kept = kept_shape(x.shape, dims)
        out = np.dtype(dtype) if dtype is not None else sum_dtype(x.dtype)[1]
        return np.asarray(kernels.reduce.sum(x.array, dims, keepdim, out))

    def backward(self, g):
        return g.to(self.in_dtype).reshape(self.kept).expand(self.in_shape)


class Prod(Function):
    """Over one dim, or over everything (``dim`` None). Integers and bools multiply as int64,
    float16 in float16 (rounded after every product, as torch's CPU kernel).
    The gradient Π_{j≠i} xⱼ is ``z / xᵢ`` when x has no zero, else (torch's rule: any zero in the
    whole tensor) the product of everything before i times everything after i, two exclusive
    cumulative products, exact with zeros, inf and NaN in the other slices; over everything
    with two zeros or more it is 0 (outside create_graph, as torch)."""
    rule, derivatives = "z = Π x over dim", ("dz/dxᵢ = Π_{j≠i} xⱼ",)

    def forward(self, x, dim, keepdim):
        d = x.array
        self.dim, self.kept = dim, (1,) * d.ndim if dim is None else kept_shape(d.shape, (dim,))
        if d.dtype == np.float16 and d.size:
            out = float16_product(d, dim, keepdim)
        else:
            acc, dtype = sum_dtype(d.dtype)
            out = np.asarray(np.prod(d, axis=dim, keepdims=keepdim, dtype=acc)).astype(dtype)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        if x.ndim == 0:
            return g
        g = g.reshape(self.kept)
        out = self.output().reshape(self.kept)     # (read on every path: its version is checked)
        zeros = int(np.count_nonzero(x.array == 0))
        if not zeros:
            return g * (out / x)
        if self.dim is not None:
            return g * exclusive_products(x, self.dim)
        if zeros > 1 and not is_grad_enabled():
            return self.constant(np.zeros(x.shape, x.dtype))
        return g * exclusive_products(x.reshape(-1), 0).reshape(x.shape)


def float16_product(d, dim, keepdim):
    """torch's CPU float16 product: one float16 rounding after every multiplication, in order
    (not float32 accumulation, unlike the sum) — the last entry of a float16 cumulative product.
    A contiguous run of n ≥ 64 factors (the last dim of a C-contiguous array, or all of it)
    torch's AVX2 build multiplies as :func:`float16_lane_product` does."""
    if dim is None:
        d, dim = d.reshape(-1), 0
    dim = dim % max(d.ndim, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        if d.ndim and d.flags.c_contiguous and dim == d.ndim - 1 and d.shape[-1] >= LANE_BLOCK:
            out = np.expand_dims(float16_lane_product(d), -1)
        else:
            out = np.multiply.accumulate(d, axis=dim, dtype=np.float16).take([-1], axis=dim)
    return out if keepdim and d.ndim else np.asarray(out.squeeze(axis=dim))


LANES, LANE_BLOCK = 16, 64      # Vectorized<Half> on AVX2: 16 lanes, 4 accumulators


def float16_lane_product(d):
    """Π over the last dim (n ≥ 64) in torch's ``vectorized_inner_reduction`` order on an AVX2
    build (16 float16 lanes, four accumulators; each product rounded to float16): the first
    64·⌊n/64⌋ factors multiply into 64 accumulators, element k into accumulator k mod 64; the
    accumulators combine as (a₀·a₁)·(a₂·a₃), 16 lanes each; the 16 lanes multiply left to
    right; then the leftover factors, in order. (An AVX-512 build, 32 lanes, would differ.)"""
    n = d.shape[-1]
    count = n // LANE_BLOCK
    head = d[..., :count * LANE_BLOCK].reshape(d.shape[:-1] + (count, LANE_BLOCK))
    acc = np.multiply.accumulate(head, axis=-2, dtype=np.float16)[..., -1, :]
    a0, a1, a2, a3 = (acc[..., i * LANES:(i + 1) * LANES] for i in range(4))
    lanes = (a0 * a1) * (a2 * a3)
    rest = np.concatenate([lanes, d[..., count * LANE_BLOCK:]], axis=-1)
    return np.multiply.accumulate(rest, axis=-1, dtype=np.float16)[..., -1]


def exclusive_products(x, dim):
    """Π_{j≠i} xⱼ along ``dim`` for every i (torch's ``prod_safe_zeros_backward``):
    [a, b, c] → [1, a, a·b] · [b·c, c, 1], two cumulative products of x shifted by one."""
    n = x.shape[dim]
    if n == 1:
        return Function.constant(np.ones(x.shape, x.dtype))
    ones = Function.constant(np.ones(x.shape[:dim] + (1,) + x.shape[dim + 1:], x.dtype))
    before = Cat.apply(ones, x.narrow(dim, 0, n - 1), dim=dim).cumprod(dim)
    after = Cat.apply(ones, x.narrow(dim, 1, n - 1).flip(dim), dim=dim).cumprod(dim).flip(dim)
    return before * after


class Max(Function):
    """Of every element. The gradient is shared evenly between equal maxima (or between the
    NaNs, when the result is NaN), as torch's ``max()``."""
    rule, derivatives = "z = max over all elements", ("dz/dxᵢ = [xᵢ = z] / (number of ties)",)
    pick = staticmethod(np.max)

    def forward(self, x):
        if x.array.size == 0:
            raise RuntimeError(f"{self.label()}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the 'dim' "
                               f"argument.")
        self.save_for_backward(x)
        out = np.asarray(self.pick(x.array))
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        m = self.saved_output()
        mask = np.isnan(x.array) if np.isnan(m) else (x.array == m)
        return keep_where(mask, g / float(mask.sum()))


class Min(Max):
    rule, derivatives = "z = min over all elements", ("dz/dxᵢ = [xᵢ = z] / (number of ties)",)
    pick = staticmethod(np.min)


class Amax(Function):
    """Over several dims. The gradient is shared evenly between the ties of each slice (torch's
    ``g / count · mask``: a slice whose maximum is NaN gets NaN)."""
    rule = "z = max over dims"
    derivatives = ("dz/dxᵢ = [xᵢ = z] / (number of ties in xᵢ's slice)",)
    pick = staticmethod(np.max)

    def forward(self, x, dims, keepdim):
        self.dims, self.kept = dims, kept_shape(x.shape, dims)
        out = self.pick(x.array, axis=dims, keepdims=True)
        if out.dtype.kind == "f" and out.size and (out == 0).any():
            out = _first_zeros_sign(x.array, out, dims)
        self.mask = x.array == out
        out = squeeze_dims(np.asarray(out), dims, keepdim)
        self.save_for_backward(x)       # torch keeps both for backward: an in-place edit of
        self.save_output(out)           # either is refused there, so here too
        return out

    def backward(self, g):
        self.saved_tensors, self.saved_output()     # (the version checks)
        count = self.mask.sum(axis=self.dims, keepdims=True).astype(g.dtype)
        return g.reshape(self.kept) / self.constant(count) * self.constant(
            self.mask.astype(g.dtype))


def _first_zeros_sign(a, out, dims):
    """``out`` (kept dims) with each 0 given the sign of the first ±0 of its slice, as torch's
    scalar loop keeps the first of equal values (NumPy's max kept the last: [−0., 0.] gave
    0.). (torch's vectorized loops take the later one of a tie instead, in sizes that depend
    on the CPU: a few slices of a larger tensor still differ in the sign of a 0.)"""
    dims = tuple(range(a.ndim)) if dims is None else tuple(dims)
    rest = a.ndim - len(dims)
    moved = np.moveaxis(a, dims, tuple(range(rest, a.ndim)))
    flat = moved.reshape(moved.shape[:rest] + (-1,))
    first = np.argmax(flat == 0, axis=-1)[..., None]
    sign = np.signbit(np.take_along_axis(flat, first, -1)).reshape(out.shape)
    return np.where(out == 0, np.where(sign, -np.zeros((), out.dtype), np.zeros((), out.dtype)),
                    out)


class Amin(Amax):
    rule = "z = min over dims"
    derivatives = ("dz/dxᵢ = [xᵢ = z] / (number of ties in xᵢ's slice)",)
    pick = staticmethod(np.min)


class Selection(Function):
    """Values of x picked at ``indices`` along ``dim`` (indices has x's number of dims; the
    picked dim is dropped unless ``keepdim``). The gradient goes back to the picked places,
    added up where one place is picked twice (cummax)."""
    rule = "z = x at the selected indices along dim"
    derivatives = ("dz/dxᵢ = 1 where xᵢ was selected, else 0",)
    repeats = False   # True when one place may be picked more than once in a slice

    def forward(self, x, indices, dim, keepdim=True):
        d = x.array
        self.in_shape = d.shape
        if d.ndim == 0:
            return d.copy()
        self.dim, self.idx, self.keepdim = dim, indices, keepdim
        out = np.take_along_axis(d, indices, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    def backward(self, g):
        if not self.in_shape:
            return g
        if not self.keepdim:
            g = g.unsqueeze(self.dim)
        shape = self.in_shape
        index = tuple(self.idx if axis == self.dim else
                      np.arange(n).reshape((-1,) + (1,) * (len(shape) - axis - 1))
                      for axis, n in enumerate(shape))
        # (a place picked several times: float16 gradients summed in float32, as torch's
        # scatter_add; one by one in float16 they were up to 128 ulps off)
        return IndexAdd.apply(g, index, shape, unique=not self.repeats, wide=self.repeats)


class MaxDim(Selection):
    """torch's ``max(dim).values``; the indices (the first maximum, or the first NaN) come
    from ArgMax."""
    op_name, grad_fn_name = "max", "MaxBackward"


class MinDim(Selection):
    op_name, grad_fn_name = "min", "MinBackward"


class ArgMax(Function):
    """Index of the first maximum (NaN counts as the maximum); not differentiable."""
    rule = "z = index of the first maximum"
    differentiable = False
    pick = staticmethod(np.argmax)

    def forward(self, x, dim, keepdim):
        if dim is None:  # index into the flattened tensor; keepdim keeps every dim as 1
            out = np.asarray(self.pick(x.array), dtype=np.int64)
            return out.reshape((1,) * x.array.ndim) if keepdim else out
        if x.ndim == 0:
            return np.zeros((), np.int64)
        return self.pick(x.array, axis=dim, keepdims=keepdim).astype(np.int64)


class ArgMin(ArgMax):
    """Index of the first minimum (NaN counts as the minimum); not differentiable."""
    rule = "z = index of the first minimum"
    pick = staticmethod(np.argmin)


class LogSumExp(Function):
    """Computed as ``log Σ exp(x − m) + m`` with m the slice's maximum (m taken as 0 where it is
    ±∞, as torch, so a slice of −∞ gives −∞ and one holding +∞ gives +∞)."""
    rule, derivatives = "z = log Σ exp(x) over dims", ("dz/dxᵢ = exp(xᵢ − z) (softmax)",)

    def forward(self, x, dims, keepdim):
        d = x.array
        self.kept = kept_shape(d.shape, dims)
        m = np.zeros((), d.dtype)
        if d.size:
            m = np.max(d, axis=dims, keepdims=True)
            m = np.where(np.isinf(m), np.zeros((), d.dtype), m)
        # torch's steps: exp(x − m) summed in its order, the log, then + m
        e = in_float(vecmath.exp, np.asarray(d - m))
        total = kernels.reduce.sum(e, dims, True, e.dtype)
        out = in_float(lambda v: vecmath.via_float64(np.log, v), total) + m
        out = squeeze_dims(np.asarray(out, dtype=d.dtype), dims, keepdim)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        return g.reshape(self.kept) * (x - self.output().reshape(self.kept)).exp()


class Var(Function):
    """Accumulated in float64 (float32 for float16 input), divided by max(0, n − correction):
    an empty dim gives nan, n ≤ correction inf or nan, as torch. Where n ≤ correction over the
    whole tensor (no dim given), torch's gradient is g·∞ (g·nan where x equals its mean)."""
    rule = "z = Σ (x − mean)² / (n − correction) over dims"
    derivatives = ("dz/dxᵢ = 2 (xᵢ − mean) / (n − correction)",)
    root = False

    def forward(self, x, dims, correction, keepdim, whole):
        d = x.array
        self.dims, self.kept, self.correction, self.whole = dims, kept_shape(d.shape, dims), \
            correction, whole
        self.n = n = math.prod(d.shape[i] for i in dims)
        a = d.astype(np.float32 if d.dtype == np.float16 else np.float64)
        centred = a - (a.mean(axis=dims, keepdims=True) if n else np.nan)
        out = np.sum(centred * centred, axis=dims, keepdims=keepdim) / max(0.0, n - correction)
        out = np.asarray(np.sqrt(out) if self.root else out).astype(d.dtype)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        g = g.reshape(self.kept)
        if self.root:    # d√v = dv / (2√v), taken as 0 where √v = 0 (as torch)
            out = self.output().reshape(self.kept)
            g = divide_where(out.array != 0, g, out * 2.0)
        dof = self.n - self.correction
        if self.whole and dof <= 0:    # torch: nan where x is its mean, else ∞
            at_mean = x.array == (x.array.mean() if x.array.size else np.nan)
            return g * self.constant(np.where(at_mean, np.nan, np.inf).astype(g.dtype))
        return g * (2.0 / dof if dof else math.inf) * (x - x.mean(self.dims, keepdim=True))


class Std(Var):
    rule = "z = √(Σ (x − mean)² / (n − correction)) over dims"
    derivatives = ("dz/dxᵢ = (xᵢ − mean) / ((n − correction)·z), 0 where z = 0",)
    root = True


class Norm(Function):
    """torch's ``linalg.vector_norm``; float16 accumulates in float32. The gradient is torch's:
    0 where the norm is 0, shared evenly between ties for p = ±∞, none for p = 0."""
    rule = "z = (Σ |x|ᵖ)^(1/p) over dims; p = ∞: max |x|; −∞: min |x|; 0: count of x ≠ 0"
    derivatives = ("dz/dxᵢ = sign(xᵢ)·|xᵢ|^(p−1) / z^(p−1)",)

    def forward(self, x, p, dims, keepdim):
        d = x.array
        self.p, self.dims, self.kept = p, dims, kept_shape(d.shape, dims)
        a = np.abs(d.astype(np.float32) if d.dtype == np.float16 else d)
        if p == math.inf or p == -math.inf:
            out = (np.max if p > 0 else np.min)(a, axis=dims, keepdims=keepdim)
        elif p == 0:
            out = np.sum(a != 0, axis=dims, keepdims=keepdim, dtype=a.dtype)
        elif p == 1:
            out = np.sum(a, axis=dims, keepdims=keepdim)
        elif p == 2:
            out = np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))
        else:
            out = np.sum(a ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        out = np.asarray(out).astype(d.dtype)
        self.save_for_backward(x)
        self.save_output(out)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        p, dims = self.p, self.dims
        if p == 0:
            return None
        g, norm = g.reshape(self.kept), self.output().reshape(self.kept)
        sign = x.sgn()                     # (its derivative is 0: second order as torch)
        if p == 1:
            return sign * g
        nonzero = norm.array != 0
        if p == 2:
            return g * keep_where(np.broadcast_to(nonzero, x.shape), x / norm)
        if math.isinf(p):
            a = np.abs(x.array)
            mask = (a == norm.array) | np.isnan(a)
            count = self.constant(mask.sum(axis=dims, keepdims=True).astype(g.dtype))
            return sign * (g / count * self.constant(mask.astype(g.dtype)))
        if p < 1:
            scaled = keep_where(x.array != 0, sign * x.abs() ** (p - 1))
            return scaled * g * norm ** (1 - p)
        scaled = sign * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
        return scaled * divide_where(nonzero, g, norm ** (p - 1))
