"""Compiled Adam update: :func:`tinygrad_sgd.kernels.optim.adam_update` in one pass over the
parameter, each element through the NumPy twin's operations in the same order, each rounded to
the dtype (constants rounded to it first; no fastmath). torch's ``lerp_`` and ``addcmul_`` are
fused multiply-adds, here LLVM's ``llvm.fma`` (exact: the instruction, or libm's ``fma``
on a CPU without one), as fast as the unfused pass was; the NumPy twin emulates them as
``add_scaled`` does. Threads take ranges of elements (each element is its own).

And the single-rounding ``y + α·x`` of :func:`tinygrad_sgd.kernels.optim.add_scaled` (torch's
``add_(x, alpha=α)``: SGD's update and momentum), in one pass by the same arithmetic as the NumPy
twin: float32 through float64, float64 by Dekker's two-product and Knuth's two-sum; and SGD's
momentum step (the buffer's update, then the parameter's) in one pass. (These keep the
emulation, as the NumPy twin: the same bits as before, and as an exact fma but for a tie in the
float64 sum, rarer than one in 2**28; the emulated float32 fma in Adam's loop stopped numba from
vectorizing it — 1.7 ms a step of 1.2M parameters against 0.6 with ``llvm.fma``.)"""
import numpy as np

import numba
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

from . import FLOATS
from .. import threads
from ..threads import parallel_for

__all__ = ["adam_update", "add_scaled", "momentum_step", "momentum_steps"]


@intrinsic
def _fma(typingctx, a, x, y):
    """a·x + y rounded once, for three floats of one type: LLVM's ``llvm.fma`` (an fma
    instruction where the CPU has one, else libm's ``fma``: exact either way)."""
    def codegen(context, builder, signature, args):
        ty = args[0].type
        name = "llvm.fma.f32" if ty == ir.FloatType() else "llvm.fma.f64"
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty] * 3), name)
        return builder.call(fn, args)
    return a(a, a, a), codegen


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _adam(theta, g, m, v, v_max, amsgrad, keep, decay, coeff, lerp_small, beta2,
          one_minus_beta2, neg_step_size, bc2_sqrt, eps, i0, i1):
    """Elements i0..i1 of the flat arrays (``keep`` = 1 − decay, used if ``decay``): lerp and
    addcmul are fused multiply-adds, as torch's CPU kernels (and the NumPy twin's emulation of
    them); torch's two lerp branches are m + w·(g − m) and g + (w − 1)·(g − m), w = 1 − β₁,
    ``coeff`` is w or w − 1 (``lerp_small`` a constant in each caller below: no branch left)."""
    t, gg, mm, vv = theta[i0:i1], g[i0:i1], m[i0:i1], v[i0:i1]
    vm = v_max[i0:i1] if amsgrad else v_max[:0]
    for i in range(t.shape[0]):
        if decay:
            t[i] = t[i] * keep
        gi, mi = gg[i], mm[i]
        mi = _fma(coeff, gi - mi, mi if lerp_small else gi)
        mm[i] = mi
        vi = _fma(one_minus_beta2 * gi, gi, vv[i] * beta2)
        vv[i] = vi
        if amsgrad:
            if vm[i] < vi or vi != vi:       # np.maximum: NaN wins
                vm[i] = vi
            vi = vm[i]
        denom = np.sqrt(vi) / bc2_sqrt + eps
        t[i] = t[i] + neg_step_size * mi / denom


@numba.njit(cache=True, nogil=True, error_model="numpy")    # x/0 is ±inf or NaN, no raise
def _adam_small_w(theta, g, m, v, v_max, amsgrad, keep, decay, coeff, beta2,
                  one_minus_beta2, neg_step_size, bc2_sqrt, eps, i0, i1):
    """:func:`_adam` with |w| < ½ (the usual β₁ > ½): m + w·(g − m)."""
    _adam(theta, g, m, v, v_max, amsgrad, keep, decay, coeff, True, beta2, one_minus_beta2,
          neg_step_size, bc2_sqrt, eps, i0, i1)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _adam_large_w(theta, g, m, v, v_max, amsgrad, keep, decay, coeff, beta2,
                  one_minus_beta2, neg_step_size, bc2_sqrt, eps, i0, i1):
    """:func:`_adam` with |w| ≥ ½: g + (w − 1)·(g − m)."""
    _adam(theta, g, m, v, v_max, amsgrad, keep, decay, coeff, False, beta2, one_minus_beta2,
          neg_step_size, bc2_sqrt, eps, i0, i1)


def adam_update(theta, g, m, v, v_max, lr, beta1, beta2, eps, step, decay, step_size=None):
    """As the NumPy twin, for C-contiguous arrays of one float dtype."""
    dt = theta.dtype.type
    flat = [a.reshape(-1) for a in (theta, g, m, v)]
    amsgrad = v_max is not None
    vm = v_max.reshape(-1) if amsgrad else flat[3][:0]
    w = dt(1 - beta1)
    small = bool(abs(w) < 0.5)
    constants = (dt(1 - decay), w if small else w - dt(1), small, dt(beta2), dt(1 - beta2),
                 dt(-(lr / (1 - beta1 ** step) if step_size is None else step_size)),
                 dt((1 - beta2 ** step) ** 0.5), dt(eps))
    keep, coeff, small, b2, one_minus_b2, neg_step, bc2, e = constants
    n = flat[0].size
    kernel = _adam_small_w if small else _adam_large_w
    parallel_for(n, lambda a, b: kernel(*flat, vm, amsgrad, keep, decay != 0, coeff,
                                        b2, one_minus_b2, neg_step, bc2, e, a, b),
                 work=4 * n)


_SPLIT = 134217729.0        # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _fma32(a, x, y):
    """a·x + y rounded once to float32 (float32 a, x, y: the product is exact in float64)."""
    return np.float32(np.float64(y) + np.float64(a) * np.float64(x))


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _split(a):
    """Veltkamp's split: (hi, lo), a = hi + lo, each half 26 bits (Dekker's two-product)."""
    hi = _SPLIT * a
    hi = hi - (hi - a)
    return hi, a - hi


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _fma64(a, a_hi, a_lo, x, y):
    """a·x + y rounded once in float64 (a = a_hi + a_lo, split by the caller): the product's
    error by two-product, the sum's by two-sum, added back once."""
    p = a * x
    x_hi, x_lo = _split(x)
    err = ((a_hi * x_hi - p) + a_hi * x_lo + a_lo * x_hi) + a_lo * x_lo
    s = y + p
    b = s - y
    err = err + ((p - b) + (y - (s - b)))
    r = s + err
    return r if np.isfinite(r) else s       # (inf/NaN, or a split that overflowed)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _add_scaled32(y, alpha, x, out, i0, i1):
    """out = y + alpha·x rounded once, elements i0..i1 (float32)."""
    y, x, out = y[i0:i1], x[i0:i1], out[i0:i1]       # (sliced: indices from 0, vectorized)
    for i in range(out.shape[0]):
        out[i] = _fma32(alpha, x[i], y[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _add_scaled64(y, alpha, x, out, i0, i1):
    """out = y + alpha·x rounded once, elements i0..i1 (float64)."""
    a_hi, a_lo = _split(alpha)
    y, x, out = y[i0:i1], x[i0:i1], out[i0:i1]
    for i in range(out.shape[0]):
        out[i] = _fma64(alpha, a_hi, a_lo, x[i], y[i])


def add_scaled(y, alpha, x, out):
    """As the NumPy twin, for C-contiguous arrays of one float dtype and shape, ``out`` given."""
    flat = [a.reshape(-1) for a in (y, x, out)]
    kernel = _add_scaled32 if y.dtype == np.float32 else _add_scaled64
    alpha = y.dtype.type(alpha)
    n = flat[0].size
    parallel_for(n, lambda a, b: kernel(flat[0], alpha, flat[1], flat[2], a, b), work=3 * n)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _momentum32(theta, g, buf, neg_lr, momentum, keep, i0, i1):
    """SGD's momentum step, elements i0..i1 (float32): b ← μ·b; b ← b + (1 − τ)·g; θ ← θ − γ·b
    (the arrays sliced first: a loop over indices from 0 is vectorized, one from i0 is not)."""
    theta, g, buf = theta[i0:i1], g[i0:i1], buf[i0:i1]
    for i in range(theta.shape[0]):
        b = _fma32(keep, g[i], buf[i] * momentum)
        buf[i] = b
        theta[i] = _fma32(neg_lr, b, theta[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _momentum64(theta, g, buf, neg_lr, momentum, keep, i0, i1):
    """As :func:`_momentum32`, float64."""
    lr_hi, lr_lo = _split(neg_lr)
    keep_hi, keep_lo = _split(keep)
    theta, g, buf = theta[i0:i1], g[i0:i1], buf[i0:i1]
    for i in range(theta.shape[0]):
        b = _fma64(keep, keep_hi, keep_lo, g[i], buf[i] * momentum)
        buf[i] = b
        theta[i] = _fma64(neg_lr, lr_hi, lr_lo, b, theta[i])


# Parameters taken by one call of the kernels below: a group's parameters go in tuples of this
# many, the last filled up with empty arrays — so numba compiles them for one tuple length,
# not for every model's number of parameters.
GROUP = 8


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _momentum_group32(thetas, gs, bufs, neg_lr, momentum, keep):
    """:func:`_momentum32` over each parameter of a tuple, whole."""
    for k in range(len(thetas)):
        _momentum32(thetas[k], gs[k], bufs[k], neg_lr, momentum, keep, 0, thetas[k].shape[0])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _momentum_group64(thetas, gs, bufs, neg_lr, momentum, keep):
    """:func:`_momentum64` over each parameter of a tuple, whole."""
    for k in range(len(thetas)):
        _momentum64(thetas[k], gs[k], bufs[k], neg_lr, momentum, keep, 0, thetas[k].shape[0])


def momentum_steps(thetas, gs, bufs, lr, momentum, dampening):
    """:func:`momentum_step` of every parameter of a group, :data:`GROUP` parameters a call,
    when the arrays are all C-contiguous of one float dtype (each parameter's three of one
    shape) and too few numbers in all to be worth splitting over threads: True, done; else
    False, nothing done. The same arithmetic on each element as ``momentum_step``'s."""
    dtype = thetas[0].dtype
    if dtype not in FLOATS:
        return False
    n = 0
    for theta, g, buf in zip(thetas, gs, bufs):
        if not (theta.dtype == g.dtype == buf.dtype == dtype and
                theta.shape == g.shape == buf.shape and theta.flags.c_contiguous and
                g.flags.c_contiguous and buf.flags.c_contiguous):
            return False
        n += theta.size
    if 3 * n >= threads.MIN_CREW_ELEMENTS and threads.get_num_threads() > 1:
        return False                   # (each parameter's own call splits it)
    empty = np.empty(0, dtype)
    flat = [[a.reshape(-1) for a in arrays] + [empty] * (-len(arrays) % GROUP)
            for arrays in (thetas, gs, bufs)]
    kernel = _momentum_group32 if dtype == np.float32 else _momentum_group64
    dt = dtype.type
    constants = dt(-lr), dt(momentum), dt(1 - dampening)
    for k in range(0, len(flat[0]), GROUP):
        kernel(*(tuple(arrays[k:k + GROUP]) for arrays in flat), *constants)
    return True


def momentum_step(theta, g, buf, lr, momentum, dampening):
    """As the NumPy twin, for C-contiguous arrays of one float dtype and shape."""
    dt = theta.dtype.type
    flat = [a.reshape(-1) for a in (theta, g, buf)]
    kernel = _momentum32 if theta.dtype == np.float32 else _momentum64
    constants = dt(-lr), dt(momentum), dt(1 - dampening)
    n = flat[0].size
    parallel_for(n, lambda a, b: kernel(*flat, *constants, a, b), work=3 * n)
