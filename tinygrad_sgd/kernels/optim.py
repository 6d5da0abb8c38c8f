"""Optimizer updates on arrays: the arithmetic of :class:`tinygrad_sgd.optim.Adam`'s step for one
parameter, in place.

    adam_update   m ← lerp(m, g, 1 − β₁);  v ← β₂·v + (1 − β₂)·g·g;  v̂ ← max(v̂, v) (amsgrad);
                  θ ← θ·(1 − γλ) first (decoupled decay);
                  θ ← θ + (−γ/(1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε)

The NumPy code here is the reference: torch's single-tensor update as a few whole-array passes,
each rounded to the parameter's dtype (every constant is first rounded to it, as NumPy does with
a Python number against a float32 array). With the numba kernel set, float32/float64 C-contiguous
arrays go to :mod:`.compiled.optim`, the same operations in the same order on each element in one
pass (no fused multiply-adds): the same numbers, bit for bit.
"""
import numpy as np

from .backend import compiled

__all__ = ["adam_update"]


def adam_update(theta, g, m, v, v_max, lr, beta1, beta2, eps, step, decay):
    """One Adam step of ``theta`` in place from its gradient ``g`` (moments ``m``, ``v`` and,
    for amsgrad, ``v_max``, else None, updated in place). ``step`` is t (1 for the first);
    ``decay`` is γλ for decoupled weight decay (AdamW), else 0."""
    fast = compiled()
    arrays = [a for a in (theta, g, m, v, v_max) if a is not None]
    if fast is not None and fast.floats(*arrays) and all(a.flags.c_contiguous for a in arrays):
        return fast.optim.adam_update(theta, g, m, v, v_max, lr, beta1, beta2, eps, step, decay)
    if decay != 0:
        theta *= 1 - decay
    lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max               # the denominator uses the running maximum
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
