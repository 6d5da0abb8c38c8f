"""Optimizer updates on arrays: the arithmetic of :class:`tinygrad_sgd.optim.Adam`'s step for one
parameter, in place.

    adam_update   m ← lerp(m, g, 1 − β₁);  v ← β₂·v + (1 − β₂)·g·g;  v̂ ← max(v̂, v) (amsgrad);
                  θ ← θ·(1 − γλ) first (decoupled decay);
                  θ ← θ + (−γ/(1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)

    add_scaled    y + α·x rounded once, as torch's CPU ``y.add(x, alpha=α)`` (a fused
                  multiply-add): SGD's step, momentum and weight decay

    momentum_step b ← μ·b, then b ← b + (1 − τ)·g and θ ← θ + (−γ)·b, each an ``add_scaled``:
                  SGD's step with momentum (not Nesterov) once the buffer exists

The NumPy code here is the reference: torch's single-tensor update as a few whole-array passes,
each rounded to the parameter's dtype (every constant is first rounded to it, as NumPy does with
a Python number against a float32 array). With the numba kernel set, float32/float64 C-contiguous
arrays go to :mod:`.compiled.optim`, the same operations in the same order on each element in one
pass (no fused multiply-adds): the same numbers, bit for bit.
"""
import numpy as np

from .backend import compiled

__all__ = ["adam_update", "add_scaled", "momentum_step"]


def adam_update(theta, g, m, v, v_max, lr, beta1, beta2, eps, step, decay, step_size=None):
    """One Adam step of ``theta`` in place from its gradient ``g`` (moments ``m``, ``v`` and,
    for amsgrad, ``v_max``, else None, updated in place). ``step`` is t (1 for the first);
    ``decay`` is γλ for decoupled weight decay (AdamW), else 0; ``step_size`` replaces
    ``lr / (1 − β₁ᵗ)`` when given (a Tensor lr's, rounded as torch)."""
    fast = compiled()
    arrays = [a for a in (theta, g, m, v, v_max) if a is not None]
    if fast is not None and fast.floats(*arrays) and all(a.flags.c_contiguous for a in arrays):
        return fast.optim.adam_update(theta, g, m, v, v_max, lr, beta1, beta2, eps, step, decay,
                                      step_size)
    if decay != 0:
        theta *= 1 - decay
    lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max               # the denominator uses the running maximum
    if step_size is None:
        step_size = lr / (1 - beta1 ** step)
    denom = np.sqrt(v)
    denom /= (1 - beta2 ** step) ** 0.5
    denom += eps
    update = -step_size * m
    update /= denom
    theta += update


def lerp_(start, end, weight):
    """``start ← start + weight·(end − start)`` in place, with torch's ``lerp_`` formula:
    for ``|weight| ≥ 0.5`` it computes ``end − (end − start)·(1 − weight)`` instead, which is
    exact at ``weight = 1``."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def momentum_step(theta, g, buf, lr, momentum, dampening):
    """One SGD-with-momentum step in place, torch's ``buf.mul_(μ).add_(g, alpha=1 − τ)`` then
    ``θ.add_(buf, alpha=−γ)``. With the compiled kernels, float32/float64 C-contiguous arrays of
    one shape take one pass (the same arithmetic per element, the same numbers)."""
    fast = compiled()
    arrays = (theta, g, buf)
    if fast is not None and fast.floats(*arrays) and theta.shape == g.shape == buf.shape \
            and all(a.flags.c_contiguous for a in arrays):
        return fast.optim.momentum_step(theta, g, buf, lr, momentum, dampening)
    buf *= momentum
    add_scaled(buf, 1 - dampening, g, out=buf)
    add_scaled(theta, -lr, buf, out=theta)


_SPLIT = 134217729.0        # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves


def add_scaled(y, alpha, x, out=None):
    """``y + alpha·x`` with one rounding, as torch's CPU kernel for ``y.add(x, alpha=alpha)``
    (``y.add_``: ``out=y``) computes it — a fused multiply-add, ``alpha`` (a number, or an
    array: ``addcmul``'s ``value·t1``) first rounded to the arrays' dtype. Two roundings
    (``y + alpha*x`` in NumPy) differ from it in the last bit for about one element in ten,
    and an optimizer compounds that step after step.

    float32/float16: in float64, where the product is exact, then rounded once more (a tie
    there is all that could differ: rarer than one in 2**28). float64: the product split
    exactly (Dekker's two-product) and the sum's error kept (Knuth's two-sum), added back
    once. Other dtypes: plain ``y + alpha*x``. ``alpha`` = ±1 is a plain sum (one rounding
    already); with the compiled kernels, float32/float64 arrays of one shape and dtype take
    one pass doing the same per element."""
    dtype = np.result_type(y, x)
    scalar = np.ndim(alpha) == 0
    if scalar and (alpha == 1 or alpha == -1):
        return (np.add if alpha == 1 else np.subtract)(y, x, out=out)
    fast = compiled()
    if fast is not None and scalar and fast.floats(y, x) and y.shape == x.shape \
            and y.flags.c_contiguous and x.flags.c_contiguous:
        if out is None:
            out = np.empty_like(y)
        if out.dtype == y.dtype and out.shape == y.shape and out.flags.c_contiguous:
            return fast.optim.add_scaled(y, alpha, x, out)
    if dtype in (np.float32, np.float16):
        wide = np.asarray(alpha, dtype).astype(np.float64) * np.asarray(x, np.float64)
        wide += y
        result = wide.astype(dtype)
    elif dtype == np.float64:
        result = _fma64(np.asarray(alpha, np.float64), np.asarray(x, np.float64),
                        np.asarray(y, np.float64))
    else:
        result = y + alpha * x
    if out is None:
        return result
    out[...] = result
    return out


def _fma64(a, x, y):
    """``a·x + y`` rounded once (to within a tie's rounding), without an fma instruction;
    ``a`` a number or an array (whole-array passes, reusing their buffers)."""
    shape = np.broadcast(a, x, y).shape
    a, x, y = (np.atleast_1d(v) for v in (a, x, y))    # (0-d: arrays, not scalars, below)
    with np.errstate(all="ignore"):
        p = a * x
        a_hi = _SPLIT * a
        a_hi -= a_hi - a
        a_lo = a - a_hi
        x_hi = _SPLIT * x
        x_hi -= x_hi - x
        x_lo = x - x_hi
        err = a_hi * x_hi
        err -= p
        err += a_hi * x_lo
        err += a_lo * x_hi
        err += a_lo * x_lo                  # p + err = a·x exactly
        s = y + p
        b = s - y
        err += p - b
        b = s - b
        np.subtract(y, b, out=b)
        err += b                            # s + err = a·x + y (Knuth's two-sum)
        r = s + err
        bad = ~np.isfinite(r)               # (inf/nan, or a split that overflowed)
        if bad.any():
            r[bad] = s[bad]
        return r.reshape(shape)
