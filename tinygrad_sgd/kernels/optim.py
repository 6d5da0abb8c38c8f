"""Optimizer updates on arrays: the arithmetic of torch's single-tensor CPU optimizer steps,
in place, each element op rounded exactly as torch's CPU kernel rounds it.

    adam_update   m ← lerp(m, g, 1 − β₁);  v ← β₂·v + (1 − β₂)·g·g;  v̂ ← max(v̂, v) (amsgrad);
                  θ ← θ·(1 − γλ) first (decoupled decay);
                  θ ← θ + (−γ/(1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)

    add_scaled    y + α·x rounded once, as torch's CPU ``y.add(x, alpha=α)`` (a fused
                  multiply-add): SGD's step, momentum and weight decay

    lerp_         start + w·(end − start), or end + (w − 1)·(end − start) for |w| ≥ ½: fused
    addcmul_      y + (value·t1)·t2: value·t1 rounded, then fused with t2 into y
    addcdiv_      y + (value·t1)/t2: product, quotient and sum each rounded
    sqrt          √x, IEEE (torch's MKL vector sqrt is ~1 ulp off it in a few elements)

    momentum_step b ← μ·b, then b ← b + (1 − τ)·g and θ ← θ + (−γ)·b, each an ``add_scaled``:
                  SGD's step with momentum (not Nesterov) once the buffer exists
    momentum_steps  the same for each parameter of a group (compiled: several a call)

torch's other element ops in these steps (``mul_``/``div`` by a Python number, ``add_`` of a
number, ``maximum``) are one IEEE rounding each, the number first rounded to the dtype, as
NumPy does with a Python number against a float32 array. The NumPy code here is the reference:
a few whole-array passes. With the numba kernel set, float32/float64 C-contiguous arrays go to
:mod:`.compiled.optim`, the same operations in the same order on each element in one pass (its
fused multiply-adds real ones, ``llvm.fma``): the same numbers, bit for bit.
"""
import numpy as np

from .backend import compiled

__all__ = ["adam_update", "add_scaled", "addcdiv_", "addcmul_", "lerp_", "momentum_step",
           "momentum_steps", "sqrt"]


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
    dt = theta.dtype.type
    if decay != 0:
        theta *= dt(1 - decay)                  # param.mul_(1 − γλ)
    lerp_(m, g, 1 - beta1)                      # exp_avg.lerp_(g, 1 − β₁)
    v *= dt(beta2)
    addcmul_(v, 1 - beta2, g, g)                # exp_avg_sq.mul_(β₂).addcmul_(g, g, 1 − β₂)
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max               # the denominator uses the running maximum
    if step_size is None:
        step_size = lr / (1 - beta1 ** step)
    denom = sqrt(v)
    denom /= dt((1 - beta2 ** step) ** 0.5)
    denom += dt(eps)
    addcdiv_(theta, -step_size, m, denom)       # param.addcdiv_(m, denom, value=−step_size)


def sqrt(x):
    """√x correctly rounded (NumPy's, IEEE). torch's CPU ``sqrt`` of a contiguous float tensor
    of 8 elements or more goes to MKL's vector math (VML), which is faithful but not always
    correctly rounded — about one float32 element in six and one float64 in a hundred come
    out one ulp off, in a way that depends on MKL's code path for the CPU — so an optimizer
    that takes a square root (Adam's denominator) can differ from torch by the last bit in a
    few elements; everything else here matches torch's rounding exactly. (The one place the
    optimizers take it: swap it for torch's to check the rest bit for bit.)"""
    return np.sqrt(x)


def lerp_(start, end, weight):
    """torch's CPU ``start.lerp_(end, weight)`` in place (``weight`` a number): with
    d = end − start, ``start + w·d`` for ``|w| < 0.5``, else ``end + (w − 1)·d`` (exact at
    w = 1), each a fused multiply-add — one rounding, :func:`add_scaled` — as torch's kernel
    (``fmadd(coeff, end − start, base)``; its scalar tail rounds the same). w is rounded to
    the dtype first, and w − 1 taken in the dtype (exact for ½ ≤ w ≤ 2)."""
    dt = np.result_type(start, end).type
    d = end - start
    w = dt(weight)
    if abs(w) < 0.5:
        add_scaled(start, w, d, out=start)
    else:
        add_scaled(end, w - dt(1), d, out=start)
    return start


def addcmul_(y, value, t1, t2):
    """torch's CPU ``y.addcmul_(t1, t2, value=value)`` in place: ``y + (value·t1)·t2`` where
    value·t1 is rounded, then multiplied by t2 and added to y in one fused multiply-add (one
    rounding): ``add_scaled(y, value·t1, t2)``. (value = 1: t1·t2 + y, fused.)"""
    dt = np.result_type(y, t1, t2).type
    add_scaled(y, dt(value) * t1, t2, out=y)
    return y


def addcdiv_(y, value, t1, t2):
    """torch's CPU ``y.addcdiv_(t1, t2, value=value)`` in place: ``y + (value·t1)/t2``, each
    of the product, the quotient and the sum rounded (no fused step: a division)."""
    dt = np.result_type(y, t1, t2).type
    q = dt(value) * t1 if value != 1 else t1.copy()
    q /= t2
    y += q
    return y


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


def momentum_steps(thetas, gs, bufs, lr, momentum, dampening):
    """:func:`momentum_step` of each parameter of a group (``thetas``, ``gs``, ``bufs``: lists
    of arrays), in order. With the compiled kernels, a small model's parameters (C-contiguous,
    one float dtype) go eight to a call: the same numbers, without a call's Python for each
    parameter — which in the tutorial CNN cost more than its arithmetic."""
    fast = compiled()
    if fast is not None and thetas and \
            fast.optim.momentum_steps(thetas, gs, bufs, lr, momentum, dampening):
        return
    for theta, g, buf in zip(thetas, gs, bufs):
        momentum_step(theta, g, buf, lr, momentum, dampening)


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
        wide = np.multiply(np.asarray(alpha, dtype), x, dtype=np.float64)   # (exact)
        wide += y
        if out is not None and out.shape == wide.shape:
            np.copyto(out, wide, casting="same_kind")
            return out
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
        t = x_hi - x
        x_hi -= t
        x_lo = np.subtract(x, x_hi, out=t)
        err = a_hi * x_hi
        err -= p
        t2 = np.multiply(a_hi, x_lo)
        err += t2
        err += np.multiply(a_lo, x_hi, out=t2 if t2.shape == x_hi.shape else None)
        err += np.multiply(a_lo, x_lo, out=x_lo if x_lo.shape == err.shape else None)
        # p + err = a·x exactly; then Knuth's two-sum of y and p, its error added to err
        s = y + p
        b = np.subtract(s, y, out=x_hi if x_hi.shape == s.shape else None)
        err += np.subtract(p, b, out=p)     # (p − b: exact, Knuth)
        np.subtract(s, b, out=b)
        np.subtract(y, b, out=b)
        err += b                            # s + err = a·x + y (Knuth's two-sum)
        r = np.add(s, err, out=err)
        bad = ~np.isfinite(r)               # (inf/nan, or a split that overflowed)
        if bad.any():
            r[bad] = s[bad]
        return r.reshape(shape)
