"""Pooling kernels in the batch-innermost layout (NCHW arrays in, NCHW views out).

Max pooling records, for every window, which of its elements is the window's first maximum
(torch's tie rule): ``choice[c, oh, ow, n] = k`` for window element k = i·kw + j, one small
integer per output (:func:`choice_dtype`). Its backward scatters the gradient to the chosen
elements and the second-order node gathers from them again. (One int8 per output rather than a
boolean mask per window element: the compiled 2×2 pass wrote its four mask planes in 2.6x the
time of one plane of choices.) Padding (and the extra border a ``ceil_mode`` window reaches) is
−inf for the max and 0 for the mean, and never chosen as a maximum: a window of −inf values
picks its first real element, as torch does.
"""
import numpy as np

from . import buffers
from .backend import compiled
from .elementwise import keep_where
from .layout import to_chwn, from_chwn
from .threads import parallel_for

__all__ = ["PoolAhead", "choice_dtype", "max_pool_forward", "max_pool_indices",
           "max_pool_scatter", "max_pool_gather", "avg_pool_divisor", "avg_pool", "avg_pool_spread", "adaptive_ranges",
           "adaptive_max_pool"]


class PoolAhead:
    """A convolution asked to make the max pooling of its output too: the pooling's geometry
    ``geom`` (of the convolution's output), ``with_relu`` — the relu of the pooled result as
    well, as :func:`max_pool_forward` with ``with_relu`` makes it. ``result`` is what
    :func:`max_pool_forward` would return for the output — ``(y, choice, relu or None)`` — once
    the convolution's threads made it, each pooling the filters it had just computed
    (:func:`.compiled.conv.conv2d_forward_direct`); None where they could not (the NumPy
    kernels, threads splitting by rows, windows other than 2x2 with stride 2)."""

    def __init__(self, geom, with_relu):
        self.geom, self.with_relu, self.result = geom, with_relu, None


def choice_dtype(elements):
    """The integer type of max pooling's choices for windows of ``elements`` elements."""
    return np.int8 if elements <= 127 else np.int16 if elements <= 32767 else np.int32


def max_pool_forward(x, g, with_relu=False):
    """(y, choice): the max of each window, and which of its elements is the first maximum.
    ``with_relu``: (y, choice, relu(y) or None) — the compiled kernels make the relu that
    follows pooling in the tutorial in the same pass, for 2x2 windows of stride 2 (see
    :class:`tinygrad_sgd.ops.pool.MaxPool2dOp`); here it is None, left to relu itself."""
    fast = compiled()            # the numba twin, if active
    if fast is not None and fast.floats(x):
        return fast.pool.max_pool_forward(x, g, with_relu)
    if with_relu:
        return max_pool_forward(x, g) + (None,)
    xp = g.padded(x.transpose(1, 2, 3, 0), value=-np.inf)
    offsets = list(g.offsets())
    out = buffers.empty((g.C, g.OH, g.OW, g.N), x.dtype)
    choice = buffers.empty(out.shape, choice_dtype(len(offsets)))
    padded = xp.shape[1:3] != (g.H, g.W)

    def pool(a, b):              # channels a..b: the max, then where it was
        slices = [xp[a:b, r, c] for r, c in offsets]
        np.copyto(out[a:b], slices[0])
        for s in slices[1:]:
            np.maximum(out[a:b], s, out=out[a:b])
        masks = np.empty((len(slices),) + out[a:b].shape, bool)
        first_max_masks(slices, out[a:b], masks)
        if padded and np.isneginf(out[a:b]).any():   # a −inf maximum may sit in the padding:
            first_max_masks(slices, out[a:b], masks, real_elements(g))  # real ones only
        for k, mask in enumerate(masks):
            np.copyto(choice[a:b], k, where=mask)
        nan = np.isnan(out[a:b])      # np.maximum kept the first NaN; the value is the chosen
        if nan.any():                 # (last) NaN's, its sign and payload too, as torch's
            for k, mask in enumerate(masks):
                np.copyto(out[a:b], slices[k], where=mask & nan)
    parallel_for(g.C, pool, xp.size)
    return from_chwn(out), choice


def chosen(choice, k):
    """The boolean mask "window element k is the chosen one"."""
    return choice == choice.dtype.type(k)


def first_max_masks(slices, out, masks, real=None):
    """masks[k] = True where window element k is the window's FIRST maximum (torch's rule for
    ties): a match at k that no earlier element has already claimed. A few boolean passes.
    ``real[k]`` (optional): where element k is inside the input, not padding.
    A window holding NaN has max NaN, which equals nothing: torch picks its LAST NaN."""
    taken = np.zeros(out.shape, dtype=bool)
    for k, s in enumerate(slices[:-1]):
        np.equal(s, out, out=masks[k])
        if real is not None:
            masks[k] &= real[k]
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


def _window_positions(g):
    """For each kernel offset (i, j): the input row of every output row and the input column
    of every output column (unpadded coordinates: negative or past the end in the padding)."""
    (sh, sw), (dh, dw), (ph, pw) = g.stride, g.dilation, g.padding
    for i, j in np.ndindex(g.kh, g.kw):
        yield np.arange(g.OH) * sh + i * dh - ph, np.arange(g.OW) * sw + j * dw - pw


def real_elements(g):
    """real[k]: (1, OH, OW, 1) booleans, window element k lies inside the input."""
    return [((0 <= r) & (r < g.H))[None, :, None, None]
            & ((0 <= c) & (c < g.W))[None, None, :, None] for r, c in _window_positions(g)]


def max_pool_indices(choice, g):
    """torch's ``return_indices``: the flat index h·W + w, in its (H, W) plane, of each
    window's chosen element (an int64 NCHW view)."""
    flat = np.stack([r[:, None] * g.W + c[None, :] for r, c in _window_positions(g)])
    out = flat[choice, np.arange(g.OH)[:, None, None], np.arange(g.OW)[:, None]]
    return from_chwn(out.astype(np.int64, copy=False))


def max_pool_scatter(gy, choice, g, mask=None):
    """dx[the chosen element of window k] += dy[k]: the adjoint of max pooling with fixed
    choices. ``mask`` (or None): dy counts only where mask ≠ 0 — the relu after pooling's
    backward, :func:`.elementwise.keep_where` (the compiled kernels apply it in the scatter's
    pass; see :class:`tinygrad_sgd.autograd.slices.MaskedGrad`)."""
    fast = compiled()
    if fast is not None and fast.floats(gy) and (mask is None or fast.floats(gy, mask)):
        return fast.pool.max_pool_scatter(gy, choice, g, mask)
    if mask is not None:
        gy = keep_where(mask, gy)
    g2 = gy.transpose(1, 2, 3, 0)
    shape = (g.C, g.Hp, g.Wp, g.N)
    tiles = g.stride == (g.kh, g.kw) and g.dilation == (1, 1) and \
        (g.OH * g.kh, g.OW * g.kw) == shape[1:3]
    out = buffers.empty(shape, gy.dtype) if tiles else buffers.zeros(shape, gy.dtype)
    offsets = list(g.offsets())
    elements = np.arange(len(offsets), dtype=choice.dtype)[:, None, None, None, None]
    if tiles:   # windows tile the input exactly: one pass writes every place once, out
        out6 = out.reshape(g.C, g.OH, g.kh, g.OW, g.kw, g.N)   # seen as (C, OH, kh, OW, kw, N)
        g6 = g2[:, :, None, :, None, :]

    def scatter(a, b):
        masks = choice[None, a:b] == elements          # masks[k]: element k was chosen
        if tiles:
            masks6 = masks.reshape(g.kh, g.kw, *masks.shape[1:]).transpose(2, 3, 0, 4, 1, 5)
            np.multiply(g6[a:b], masks6, out=out6[a:b])
            return
        for mask, (r, c) in zip(masks, offsets):
            out[a:b, r, c] += g2[a:b] * mask
    parallel_for(g.C, scatter, out.size)
    if not np.isfinite(gy).all():   # g·mask would put inf·0 = NaN beside an infinite g:
        out[...] = 0                # route with where (slower, so only then), as torch
        for k, (r, c) in enumerate(offsets):
            out[:, r, c] += np.where(chosen(choice, k), g2, 0)
    return from_chwn(g.crop(out))


def max_pool_gather(x, choice, g):
    """y[k] = x[the chosen element of window k] (max pooling without the search)."""
    xp = g.padded(x.transpose(1, 2, 3, 0))
    out = np.zeros(choice.shape, dtype=x.dtype)
    for k, (r, c) in enumerate(g.offsets()):
        np.copyto(out, xp[:, r, c], where=chosen(choice, k))
    return from_chwn(out)


def avg_pool_divisor(g, count_include_pad=True, divisor_override=None):
    """What torch divides each window's sum by: ``divisor_override``, else the window's size
    clipped to the padded input (``count_include_pad``) or to the input itself — a scalar, or
    an (OH, OW) array where windows differ (padding, ceil_mode)."""
    if divisor_override:
        return divisor_override

    def sizes(n_out, k, s, p, size):
        start = np.arange(n_out) * s - p
        end = np.minimum(start + k, size + p)
        with_pad = end - start
        return with_pad if count_include_pad else np.minimum(end, size) - np.maximum(start, 0)
    d = np.outer(sizes(g.OH, g.kh, g.stride[0], g.padding[0], g.H),
                 sizes(g.OW, g.kw, g.stride[1], g.padding[1], g.W))
    return int(d.flat[0]) if (d == d.flat[0]).all() else d


def _divide(a, divisor):
    if np.ndim(divisor):
        a /= divisor[None, :, :, None].astype(a.dtype)
    else:
        a /= a.dtype.type(divisor)
    return a


def avg_pool(x, g, divisor):
    """y[k] = (the sum of window k) / divisor (:func:`avg_pool_divisor`)."""
    xp = g.padded(to_chwn(x))
    out = np.zeros((g.C, g.OH, g.OW, g.N), dtype=x.dtype)
    for r, c in g.offsets():
        out += xp[:, r, c]
    return from_chwn(_divide(out, divisor))


def avg_pool_spread(gy, g, divisor):
    """dx[window k] += dy[k] / divisor: the adjoint of average pooling."""
    g2 = _divide(to_chwn(gy).copy(), divisor)
    out = np.zeros((g.C, g.Hp, g.Wp, g.N), dtype=gy.dtype)
    for r, c in g.offsets():
        out[:, r, c] += g2
    return from_chwn(g.crop(out))


def adaptive_ranges(size, n_out):
    """torch's adaptive windows: output o covers [⌊o·size/n⌋, ⌈(o+1)·size/n⌉)."""
    o = np.arange(n_out)
    return o * size // n_out, -(-(o + 1) * size // n_out)


def adaptive_max_pool(x, out_size):
    """(y, indices) of adaptive max pooling (windows from :func:`adaptive_ranges`): the max of
    each window and the flat index h·W + w of its first maximum (its last NaN if any), as
    torch. Window elements are walked in order (taps past a short window repeat its last
    element, which never changes the choice)."""
    N, C, H, W = x.shape
    if 0 in out_size:
        empty = np.zeros((N, C) + tuple(out_size))
        return empty.astype(x.dtype), empty.astype(np.int64)
    (h0, h1), (w0, w1) = adaptive_ranges(H, out_size[0]), adaptive_ranges(W, out_size[1])
    xc = to_chwn(x)
    out = idx = None
    for i in range((h1 - h0).max()):
        rows = np.minimum(h0 + i, h1 - 1)
        xr = xc[:, rows]
        for j in range((w1 - w0).max()):
            cols = np.minimum(w0 + j, w1 - 1)
            v = xr[:, :, cols]
            flat = (rows[:, None] * W + cols[None, :])[None, :, :, None]
            if out is None:
                out, idx = v, np.broadcast_to(flat, v.shape).copy()
                continue
            take = (v > out) | np.isnan(v)
            np.copyto(out, v, where=take)
            np.copyto(idx, flat, where=take)
    return from_chwn(out), from_chwn(idx)
