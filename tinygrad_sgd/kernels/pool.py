"""Pooling kernels in the batch-innermost layout (NCHW arrays in, NCHW views out).

Max pooling records, for every window element k, a boolean mask "element k is the window's
first maximum" (torch's tie rule); its backward scatters the gradient through those masks and
the second-order node gathers through them again.
"""
import numpy as np

from .layout import to_chwn, from_chwn
from .threads import parallel_for

__all__ = ["max_pool_forward", "max_pool_scatter", "max_pool_gather", "avg_pool",
           "avg_pool_spread"]


def max_pool_forward(x, g):
    """(y, masks): the max of each window, and masks[k] = element k is its first maximum."""
    xp = g.padded(x.transpose(1, 2, 3, 0), value=-np.inf)
    offsets = list(g.offsets())
    out = np.empty((g.C, g.OH, g.OW, g.N), dtype=x.dtype)
    masks = np.empty((len(offsets),) + out.shape, dtype=bool)

    def pool(a, b):              # channels a..b: the max, then where it was
        slices = [xp[a:b, r, c] for r, c in offsets]
        np.copyto(out[a:b], slices[0])
        for s in slices[1:]:
            np.maximum(out[a:b], s, out=out[a:b])
        first_max_masks(slices, out[a:b], masks[:, a:b])
    parallel_for(g.C, pool, xp.size)
    return from_chwn(out), masks


def first_max_masks(slices, out, masks):
    """masks[k] = True where window element k is the window's FIRST maximum (torch's rule for
    ties): a match at k that no earlier element has already claimed. A few boolean passes.
    A window holding NaN has max NaN, which equals nothing: torch picks its LAST NaN."""
    taken = np.zeros(out.shape, dtype=bool)
    for k, s in enumerate(slices[:-1]):
        np.equal(s, out, out=masks[k])
        np.greater(masks[k], taken, out=masks[k])   # a match not claimed yet (a > b is a and not b)
        taken |= masks[k]
    np.logical_not(taken, out=masks[-1])
    nan = np.isnan(out)
    if nan.any():
        masks[:, nan] = False
        for k in range(len(slices) - 1, -1, -1):
            last = nan & np.isnan(slices[k])
            masks[k] |= last
            nan &= ~last


def max_pool_scatter(gy, masks, g):
    """dx[first max of window k] += dy[k]: the adjoint of max pooling with fixed masks."""
    g2 = gy.transpose(1, 2, 3, 0)
    ph, pw = g.padding
    shape = (g.C, g.H + 2 * ph, g.W + 2 * pw, g.N)
    tiles = g.stride == (g.kh, g.kw) and (g.OH * g.kh, g.OW * g.kw) == shape[1:3]
    out = np.empty(shape, dtype=gy.dtype) if tiles else np.zeros(shape, dtype=gy.dtype)
    offsets = list(g.offsets())
    if tiles:   # windows tile the input exactly: one pass writes every place once, out
        out6 = out.reshape(g.C, g.OH, g.kh, g.OW, g.kw, g.N)   # seen as (C, OH, kh, OW, kw, N)
        masks6 = masks.reshape(g.kh, g.kw, *masks.shape[1:]).transpose(2, 3, 0, 4, 1, 5)
        g6 = g2[:, :, None, :, None, :]

    def scatter(a, b):
        if tiles:
            np.multiply(g6[a:b], masks6[a:b], out=out6[a:b])
            return
        for mask, (r, c) in zip(masks[:, a:b], offsets):
            out[a:b, r, c] += g2[a:b] * mask
    parallel_for(g.C, scatter, out.size)
    return from_chwn(g.crop(out))


def max_pool_gather(x, masks, g):
    """y[k] = x[first max of window k] for fixed masks (max pooling without the search)."""
    xp = g.padded(x.transpose(1, 2, 3, 0))
    out = np.zeros(masks.shape[1:], dtype=x.dtype)
    for mask, (r, c) in zip(masks, g.offsets()):
        np.copyto(out, xp[:, r, c], where=mask)
    return from_chwn(out)


def avg_pool(x, g):
    """y[k] = the mean of window k (zero padding counted, as torch's default)."""
    xp = g.padded(to_chwn(x))
    out = np.zeros((g.C, g.OH, g.OW, g.N), dtype=x.dtype)
    for r, c in g.offsets():
        out += xp[:, r, c]
    out /= g.kh * g.kw
    return from_chwn(out)


def avg_pool_spread(gy, g):
    """dx[window k] += dy[k] / (kh·kw): the adjoint of average pooling."""
    g2 = to_chwn(gy) / (g.kh * g.kw)
    ph, pw = g.padding
    out = np.zeros((g.C, g.H + 2 * ph, g.W + 2 * pw, g.N), dtype=gy.dtype)
    for r, c in g.offsets():
        out[:, r, c] += g2
    return from_chwn(g.crop(out))
