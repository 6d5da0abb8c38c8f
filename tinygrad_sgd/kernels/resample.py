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

__all__ = ["AxisMap", "pad_map", "nearest_map", "linear_map", "cubic_map", "antialias_map",
           "fixed_point_map", "adaptive_avg_map", "resample", "resample_adjoint",
           "resample_fixed_point"]


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


def nearest_map(n_in, n_out, scale=None, exact=False, shortcuts=False):
    """mode='nearest': i = ⌊o·r⌋; 'nearest-exact': i = ⌊(o + ½)·r⌋ (r in float32, as
    torch). ``shortcuts``: torch's legacy ``nearest_idx`` — 'nearest' copies (i = o) when the
    size is kept and halves (i = o >> 1) when it doubles, whatever the scale factor given;
    which of torch's kernels take them is the caller's to know."""
    o = np.arange(n_out)
    r = np.float32(_scale(n_in, n_out, scale))
    if exact:
        i = np.floor(((o + 0.5) * np.float64(r)).astype(np.float32)).astype(np.int64)
    elif shortcuts and n_out == n_in:
        i = o
    elif shortcuts and n_out == 2 * n_in:
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


def _cubic1(x, a):
    """Keys' cubic convolution kernel on |x| ≤ 1: ((a+2)·x − (a+3))·x² + 1."""
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    """... and on 1 < |x| < 2: ((a·x − 5a)·x + 8a)·x − 4a."""
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def cubic_map(n_in, n_out, scale=None, align_corners=False, dtype=np.float32):
    """mode='bicubic' (Keys' cubic convolution, a = −0.75, as OpenCV): source position
    s = r·o (align_corners) or r·(o + ½) − ½, not clamped; i = min(⌊s⌋, n_in − 1) and
    t = s − i clipped to [0, 1]; taps i−1, i, i+1, i+2 (clamped into the axis) weighted by the
    kernel at distances 1+t, t, 1−t, 2−t. In ``dtype``, as torch (no shortcut for equal sizes)."""
    t = np.dtype(dtype).type
    a, one = t(-0.75), t(1)
    r, o = t(_scale(n_in, n_out, scale, align_corners)), np.arange(n_out).astype(dtype)
    s = r * o if align_corners else r * (o + t(0.5)) - t(0.5)
    i = np.minimum(np.floor(s.astype(np.float32)).astype(np.int64), n_in - 1)
    lam = np.clip(s - i.astype(dtype), 0, 1).astype(dtype)
    weights = (_cubic2(lam + one, a), _cubic1(lam, a), _cubic1(one - lam, a),
               _cubic2(one - lam + one, a))
    return AxisMap("cubic", n_in, n_out,
                   [(None, np.clip(i - 1 + j, 0, n_in - 1), w) for j, w in enumerate(weights)])


def _linear_filter(x):
    return np.where(x < 1, 1 - x, 0).astype(x.dtype)


def _cubic_filter(x, a=-0.5):       # a = −0.5 (Keys; Pillow's bicubic)
    a = x.dtype.type(a)
    return np.where(x < 1, _cubic1(x, a), np.where(x < 2, _cubic2(x, a), 0)).astype(x.dtype)


def _lanczos_filter(x):            # Lanczos-3: sinc(x)·sinc(x/3) on |x| < 3 (Pillow's, in double)
    d = x.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sinc = np.where(d == 0, 1.0, np.sin(np.pi * d) / (np.pi * d))
        sinc3 = np.where(d == 0, 1.0, np.sin(np.pi * d / 3) / (np.pi * d / 3))
    return np.where(d < 3, sinc * sinc3, 0).astype(x.dtype)


# each antialiased filter: (its width in input pixels when not stretched, the filter of |x|)
AA_FILTERS = {"linear": (2, _linear_filter), "cubic": (4, _cubic_filter),
              "lanczos": (6, _lanczos_filter)}


def antialias_map(n_in, n_out, kind, scale=None, align_corners=False, dtype=np.float32):
    """``antialias=True`` (Pillow's resampling, as torch): output o is centred at
    c = r·(o + ½) in input coordinates; when shrinking (r ≥ 1) the filter ('linear': the
    triangle, 'cubic': Keys' a = −0.5, 'lanczos': Lanczos-3) is stretched by r, so every input
    pixel under it counts.
    Taps: the inputs j in [⌊c − support + ½⌋, ⌊c + support + ½⌋) (within the axis), weighted
    filter((j − c + ½)/r), normalised to sum 1. In ``dtype``, with torch's roundings."""
    t = np.dtype(dtype).type
    size, filter_fn = AA_FILTERS[kind]
    r = t(_scale(n_in, n_out, scale, align_corners))
    support = t(size * 0.5 * float(r)) if r >= 1 else t(size * 0.5)
    max_taps = int(np.ceil(support)) * 2 + 1
    inv = t(1.0 / float(r)) if r >= 1 else t(1)
    center = (float(r) * (np.arange(n_out) + 0.5)).astype(dtype)
    lo = np.maximum(((center - support).astype(np.float64) + 0.5).astype(np.int64), 0)
    hi = np.minimum(((center + support).astype(np.float64) + 0.5).astype(np.int64), n_in)
    count = np.clip(hi - lo, 0, max_taps)
    weights, total = [], np.zeros(n_out, dtype)
    for j in range(max_taps):
        x = (((lo + j).astype(dtype) - center).astype(np.float64) + 0.5) * float(inv)
        w = np.where(count > j, filter_fn(np.abs(x.astype(dtype))), 0).astype(dtype)
        weights.append(w)
        total += w
    taps = []
    for j, w in enumerate(weights):
        outs = np.flatnonzero(count > j)
        if len(outs):
            w = np.where(total != 0, w / np.where(total != 0, total, 1), w).astype(dtype)
            taps.append((None if len(outs) == n_out else outs, lo[outs] + j, w[outs]))
    return AxisMap(f"antialiased {kind}", n_in, n_out, taps)


def fixed_point_map(n_in, n_out, kind, scale=None, align_corners=False, antialias=False):
    """torch's uint8 resize ('linear', 'cubic' or, antialiased only, 'lanczos'; Pillow's fixed
    point): the weights in double — :func:`antialias_map`'s, or without antialiasing the
    interpolation's taps (a = −0.75 for 'cubic'), those outside the axis folded onto its edge —
    then times 2^p rounded to integers, p < 22 the largest precision that keeps
    2·(largest weight)·2^p below 2^15. :func:`resample_fixed_point` applies it."""
    if antialias:
        m = antialias_map(n_in, n_out, kind, scale, align_corners, np.float64)
        taps = m.taps
        w_max = max((w.max(initial=0.0) for _, _, w in taps), default=0.0)
    else:
        size = AA_FILTERS[kind][0]
        filter_fn = _linear_filter if kind == "linear" else lambda x: _cubic_filter(x, -0.75)
        r = _scale(n_in, n_out, scale, align_corners)
        s = r * np.arange(n_out) if align_corners else r * (np.arange(n_out) + 0.5) - 0.5
        if kind == "linear":
            s = np.maximum(s, 0.0)
        i = np.minimum(np.floor(s.astype(np.float32)).astype(np.int64), n_in - 1)
        lam = np.clip(s - i, 0, 1)
        first = i - size // 2 + 1                  # the taps' first input, before clamping
        lo = np.maximum(first, 0)
        count = np.clip(np.minimum(i + size // 2 + 1, n_in) - lo, 0, size)
        weights, k, w_max = np.zeros((size, n_out)), np.zeros(n_out, np.int64), 0.0
        for j in range(size):                      # a tap outside the axis adds to its edge's
            k = np.where(first + j <= 0, 0, np.where(first + j >= n_in - 1, count - 1, k))
            np.add.at(weights, (k, np.arange(n_out)), filter_fn(np.abs((j + 1 - size // 2)
                                                                       - lam)))
            w_max = max(w_max, weights[k, np.arange(n_out)].max(initial=0.0))
            k = k + 1
        taps = [(np.flatnonzero(count > j), None, weights[j]) for j in range(size)]
        taps = [(outs, lo[outs] + j, w[outs]) for j, (outs, _, w) in enumerate(taps) if len(outs)]
    precision = 0
    while precision < 22 and int(0.5 + w_max * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    fixed = []
    for outs, ins, w in taps:
        v = w * (1 << precision)
        fixed.append((outs, ins, np.trunc(np.where(v < 0, v - 0.5, v + 0.5)).astype(np.int32)))
    m = AxisMap(f"uint8 {kind}", n_in, n_out, fixed)
    m.precision = precision
    return m


def resample_fixed_point(x, axis, m):
    """A uint8 array resampled by a :func:`fixed_point_map`: per output, ½ (2^(p−1)) plus the
    weighted sum in integers, shifted right by p, clamped to 0..255."""
    xt = np.moveaxis(x, axis, 0).astype(np.int32)
    acc = np.full((m.n_out,) + xt.shape[1:], 1 << (m.precision - 1), np.int32)
    for outs, ins, w in m.taps:
        v = np.take(xt, ins, axis=0) * _column(w, xt.ndim, np.int32)
        if outs is None:
            acc += v
        else:
            acc[outs] += v
    return np.moveaxis(np.clip(acc >> m.precision, 0, 255).astype(np.uint8), 0, axis)


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
