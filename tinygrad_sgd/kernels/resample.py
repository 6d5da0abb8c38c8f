"""Resampling along one axis: each output element is a short weighted sum of input elements,

    y[..., o, ...] = Σ_t w_t[o] · x[..., i_t[o], ...]   (then ÷ divisor[o], where given)

over the "taps" t of an :class:`AxisMap` (one to a few per output). Padding by reflection,
replication or wrapping (one tap of weight 1), nearest and linear interpolation (one or two
taps) and adaptive average pooling (one tap per element of the longest window, ÷ the window's
size) are all such maps, built by the functions below with torch's index and weight formulas.
Images are resampled one axis at a time (the last axis first, as torch's bilinear sums).

The adjoint adds each dy[o]·w_t[o] back into dx[i_t[o]] (:func:`resample_adjoint`): sorted by
input index, the outputs reading the same input form runs, added one run position at a time
(a handful of whole-row gathers instead of an element-by-element ``np.add.at``).
"""
import numpy as np

__all__ = ["AxisMap", "pad_map", "nearest_map", "linear_map", "adaptive_avg_map", "resample",
           "resample_adjoint"]


class AxisMap:
    """``taps``: a list of ``(outs, ins, weights)``: the outputs ``outs`` (None: all of them, in
    order) read the inputs ``ins`` with ``weights`` (None: 1). ``kind`` names it in drawings."""

    def __init__(self, kind, n_in, n_out, taps, divisor=None):
        self.kind, self.n_in, self.n_out = kind, n_in, n_out
        self.taps, self.divisor = taps, divisor

    def __repr__(self):
        return f"AxisMap({self.kind}, {self.n_in} -> {self.n_out})"


# --- the maps -------------------------------------------------------------------------------
def pad_map(mode, size, left, right):
    """Padding a length-``size`` axis by ``left``/``right`` (negative: cropped) by 'reflect'
    (mirror without repeating the edge), 'replicate' (repeat the edge) or 'circular'."""
    n_out = size + left + right
    o = np.arange(n_out) - left
    if mode == "reflect":
        i = np.abs(o)
        i = np.where(i >= size, 2 * (size - 1) - i, i)
    elif mode == "replicate":
        i = np.clip(o, 0, size - 1)
    else:   # torch: what negative padding leaves, repeated periodically from its start
        lo, period = max(-left, 0), size - max(-left, 0) - max(-right, 0)
        i = lo + (np.arange(n_out) - max(left, 0)) % max(period, 1)
    return AxisMap(f"{mode} pad", size, n_out, [(None, i, None)])


def _scale(n_in, n_out, scale, align_corners=False):
    """torch's source/destination ratio: (n_in−1)/(n_out−1) with align_corners, else 1/scale
    when a scale factor is given, else n_in/n_out."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def nearest_map(n_in, n_out, scale=None, exact=False):
    """mode='nearest': i = ⌊o·r⌋; 'nearest-exact': i = ⌊(o + ½)·r⌋ (r in float32, as
    torch; 'nearest' copies when the size is kept and halves when it doubles)."""
    o = np.arange(n_out)
    r = np.float32(_scale(n_in, n_out, scale))
    if exact:
        i = np.floor(((o + 0.5) * np.float64(r)).astype(np.float32)).astype(np.int64)
    elif n_out == n_in:
        i = o
    elif n_out == 2 * n_in:
        i = o >> 1
    else:
        i = np.floor(o.astype(np.float32) * r).astype(np.int64)
    return AxisMap("nearest-exact" if exact else "nearest", n_in, n_out,
                   [(None, np.minimum(i, n_in - 1), None)])


def linear_map(n_in, n_out, scale=None, align_corners=False, dtype=np.float32):
    """Linear interpolation: source position s = r·o (align_corners) or r·(o + ½) − ½ clamped
    at 0, computed in ``dtype`` as torch does; taps ⌊s⌋ and ⌊s⌋+1 weighted 1−λ and λ."""
    if n_out == n_in:
        o = np.arange(n_out)
        return AxisMap("linear", n_in, n_out, [(None, o, None)])
    t = np.dtype(dtype).type
    r, o = t(_scale(n_in, n_out, scale, align_corners)), np.arange(n_out).astype(dtype)
    s = r * o if align_corners else np.maximum(r * (o + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(s).astype(np.int64), n_in - 1)
    lam = np.clip(s - i0, 0, 1).astype(dtype)
    i1 = i0 + (i0 < n_in - 1)
    return AxisMap("linear", n_in, n_out, [(None, i0, t(1) - lam), (None, i1, lam)])


def adaptive_avg_map(n_in, n_out):
    """Adaptive average pooling: output o is the mean of [⌊o·n_in/n_out⌋, ⌈(o+1)·n_in/n_out⌉)."""
    o = np.arange(n_out)
    start, end = o * n_in // n_out, -(-(o + 1) * n_in // n_out)
    length = end - start
    taps = []
    for t in range(length.max(initial=0)):       # tap t: the t-th element of each window
        outs = np.flatnonzero(length > t)
        taps.append((None if len(outs) == n_out else outs, start[outs] + t, None))
    return AxisMap("adaptive avg", n_in, n_out, taps, divisor=length)


# --- applying a map and its adjoint ---------------------------------------------------------
def _column(a, ndim, dtype):
    return a.astype(dtype, copy=False).reshape((-1,) + (1,) * (ndim - 1))


def resample(x, axis, m):
    """y = the map ``m`` applied along ``axis`` of the array ``x``."""
    xt = np.moveaxis(x, axis, 0)
    if len(m.taps) == 1 and m.taps[0][0] is None and m.taps[0][2] is None and m.divisor is None:
        return np.moveaxis(np.take(xt, m.taps[0][1], axis=0), 0, axis)   # a plain gather
    out = np.zeros((m.n_out,) + xt.shape[1:], dtype=x.dtype)
    for outs, ins, w in m.taps:
        v = np.take(xt, ins, axis=0)
        if w is not None:
            v *= _column(w, v.ndim, x.dtype)
        if outs is None:
            out += v
        else:
            out[outs] += v
    if m.divisor is not None:
        out /= _column(m.divisor, out.ndim, x.dtype)
    return np.moveaxis(out, 0, axis)


def resample_adjoint(gy, axis, m):
    """dx = the transpose of the map ``m`` applied to dy along ``axis``."""
    g = np.moveaxis(gy, axis, 0)
    if m.divisor is not None:
        g = g / _column(m.divisor, g.ndim, gy.dtype)
    out = np.zeros((m.n_in,) + g.shape[1:], dtype=gy.dtype)
    for outs, ins, w in m.taps:
        v = g if outs is None else np.take(g, outs, axis=0)
        if w is not None:
            v = v * _column(w, v.ndim, gy.dtype)
        scatter_add_rows(out, ins, v)
    return np.moveaxis(out, 0, axis)


def scatter_add_rows(out, index, v):
    """out[index[o]] += v[o] for every o, repeated indices adding up."""
    if len(index) == 0:
        return
    if len(index) == index[-1] - index[0] + 1 and (np.diff(index) == 1).all():
        out[index[0]:index[-1] + 1] += v        # a contiguous run of distinct rows
        return
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.diff(ordered, prepend=-1))
    counts = np.diff(np.append(starts, len(ordered)))
    rows = ordered[starts]
    for k in range(counts.max()):   # the k-th output reading each input row
        sel = counts > k
        out[rows[sel]] += np.take(v, order[starts[sel] + k], axis=0)
