"""Compiled Adam update: :func:`tinygrad_sgd.kernels.optim.adam_update` in one pass over the
parameter, each element through the NumPy twin's operations in the same order, each rounded to
the dtype (constants rounded to it first; no fastmath: a fused multiply-add would round once
where NumPy rounds twice). Threads take ranges of elements (each element is its own)."""
import numpy as np

import numba

from ..threads import parallel_for

__all__ = ["adam_update"]


@numba.njit(cache=True, nogil=True, error_model="numpy")    # x/0 is ±inf or NaN, no raise
def _adam(theta, g, m, v, v_max, amsgrad, keep, decay, w, small_w, one_minus_w, beta2,
          one_minus_beta2, neg_step_size, bc2_sqrt, eps, i0, i1):
    """Elements i0..i1 of the flat arrays (``keep`` = 1 − decay, used if ``decay``; w = 1 − β₁
    and its lerp branch as in :func:`..optim.lerp_`)."""
    t, gg, mm, vv = theta[i0:i1], g[i0:i1], m[i0:i1], v[i0:i1]
    vm = v_max[i0:i1] if amsgrad else v_max[:0]
    for i in range(t.shape[0]):
        if decay:
            t[i] = t[i] * keep
        gi, mi = gg[i], mm[i]
        if small_w:
            mi = mi + w * (gi - mi)
        else:
            mi = gi - (gi - mi) * one_minus_w
        mm[i] = mi
        vi = vv[i] * beta2
        vi = vi + one_minus_beta2 * gi * gi
        vv[i] = vi
        if amsgrad:
            if vm[i] < vi or vi != vi:       # np.maximum: NaN wins
                vm[i] = vi
            vi = vm[i]
        denom = np.sqrt(vi) / bc2_sqrt + eps
        t[i] = t[i] + neg_step_size * mi / denom


def adam_update(theta, g, m, v, v_max, lr, beta1, beta2, eps, step, decay):
    """As the NumPy twin, for C-contiguous arrays of one float dtype."""
    dt = theta.dtype.type
    flat = [a.reshape(-1) for a in (theta, g, m, v)]
    amsgrad = v_max is not None
    vm = v_max.reshape(-1) if amsgrad else flat[3][:0]
    w = 1 - beta1
    constants = (dt(1 - decay), dt(w), abs(w) < 0.5, dt(1 - w), dt(beta2), dt(1 - beta2),
                 dt(-(lr / (1 - beta1 ** step))), dt((1 - beta2 ** step) ** 0.5), dt(eps))
    keep, w32, small_w, one_minus_w, b2, one_minus_b2, neg_step, bc2, e = constants
    n = flat[0].size
    parallel_for(n, lambda a, b: _adam(*flat, vm, amsgrad, keep, decay != 0, w32, small_w,
                                       one_minus_w, b2, one_minus_b2, neg_step, bc2, e, a, b),
                 work=4 * n)
