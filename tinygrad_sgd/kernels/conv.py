"""Convolution kernels: im2col + one matrix product, in the batch-innermost layout.

    conv2d_forward      Y = W·cols(x) + b            (columns copied a slab of rows at a time)
    conv2d_input_grad   dx = col2im(Wᵀ·dY)           (or, for stride 1, by rows: see below;
                                                      or directly, compiled, few channels)
    conv2d_weight_grad  dW = dY·cols(x)ᵀ

With ``groups`` > 1 (each filter sees only its own C/groups channels) the same three go by
batched products, one matrix per group (``grouped_*``; not the tutorial CNN's path).
Each takes and returns NCHW-shaped arrays; the (C, H, W, N) memory behind them is what makes
the copies long (see the package docstring).
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import buffers
from .backend import compiled
from .layout import to_chwn, from_chwn, padded_chwn, padded_empty
from .reduce import COMPILED_MIN_ELEMENTS, summed_rows, summed_run
from .threads import get_num_threads, parallel_calls, parallel_for, run_calls, run_pair

__all__ = ["conv2d_forward", "conv2d_input_grad", "conv2d_weight_grad", "conv2d_grads",
           "col2im", "unfold", "fold"]

# Column matrices are multiplied in slabs of about this many bytes, so that what one step writes
# (an im2col slab) or reads twice is still in the core's cache for the next (its product):
# with (25 × 147,456) columns, cache-sized slabs made the weight gradient 1.8x faster.
SLAB_BYTES = 256 << 10
# If the whole column matrix is small enough to stay in cache (batch 64 here), the forward keeps
# it for the weight gradient, which is cheaper than copying it again.
KEEP_COLS_BYTES = 8 << 20
# With the compiled kernels, a convolution with few input channels (and a width stride of 1) is
# computed directly, no column matrix, while an output row (OW·N numbers) is short enough for the
# runs each pass reads to stay in cache: measured (1 thread, forward + weight gradient, the
# two-filter passes), the tutorial's conv1 (1 channel) 3x faster than im2col + BLAS; its conv2
# (10 channels, 5x5) 1.25x faster in the whole step at batch 64 (rows of 512) and 1.1x at 256
# (rows of 2048). Its input gradient, directly (four channels a pass, flat offsets), measured
# 1.7x faster than by rows at batch 64 and 1.9x at 256 (1 thread). Longer rows were not
# measured: they stay on im2col + BLAS.
DIRECT_MAX_CHANNELS = 16
# A convolution's input and weight gradients go side by side (:func:`conv2d_grads`) up to this
# many multiply-adds each (dy's size times a filter's): the tutorial's conv2 at batch 64 (2·10^7).
PAIR_MAX_WORK = 1 << 25
# Side by side, the input gradient takes longer than the weight gradient for the same count of
# multiply-adds (0.65 against 0.57 ms for the tutorial's conv2 at batch 64, one thread each), and
# how much longer depends on where the two vCPUs sit: the weight gradient's side takes the rows
# of dx that are left when it is done, claimed one by one with this side (row by row, five
# channels at a time). Measured, the tutorial's step on two threads, same process, alternating,
# against a split fixed in advance (the last two of dx's twelve rows, its best): 0.1-0.3%
# faster, with the wait for the worker's side 33 -> 16 µs.
DIRECT_MAX_ROW = 4096


def _direct(fast, g):
    return fast is not None and (g.C == 1 or g.C <= DIRECT_MAX_CHANNELS and g.stride[1] == 1
                                 and g.OW * g.N <= DIRECT_MAX_ROW)


def _slabs(start, stop, rows, itemsize=4):
    """Consecutive column slices of [start, stop) for a matrix with ``rows`` rows; a single
    slice when slabs would be too narrow for BLAS to be efficient (many rows)."""
    step = SLAB_BYTES // (itemsize * rows)
    if step < 1024:
        step = stop - start
    for s in range(start, stop, max(step, 1)):
        yield slice(s, min(s + step, stop))


def matmul_by_columns(a, b, rows, block):
    """a @ b, the columns of b cut into ``rows`` blocks of ``block`` columns (one output row of
    the convolution each) that the threads share, each walked in cache-sized slabs."""
    out = padded_empty(a.shape[0], b.shape[1], np.result_type(a, b))

    def part(r0, r1):
        for s in _slabs(r0 * block, r1 * block, b.shape[0]):
            np.matmul(a, b[:, s], out=out[:, s])
    parallel_for(rows, part, a.shape[0] * b.shape[1] + b.size, blas=True)
    return out


def conv2d_forward(x, w, b, g, keep_cols=False, pool=None):
    """y = conv2d(x, w) + b for NCHW arrays, as W·cols(x): the columns of a slab of output rows
    are copied and multiplied at once. Returns ``(y, cols)``: ``cols`` is what the weight
    gradient may reuse when ``keep_cols`` — the whole column matrix if it fits
    KEEP_COLS_BYTES, or, for the compiled direct kernels, the batch-innermost padded input
    they read (4-D); else None. ``pool``: a :class:`.pool.PoolAhead` for y, which the compiled
    direct kernels may fill (its ``result`` then set), or None."""
    if g.groups > 1:
        return grouped_conv2d_forward(x, w, b, g), None
    fast = compiled()            # the numba kernels, if active (None: NumPy's)
    fast = fast if fast is not None and fast.floats(x, w, *([] if b is None else [b])) else None
    if _direct(fast, g):                  # few input channels: computed directly, no columns
        xp = padded_chwn(x, g)
        return fast.conv.conv2d_forward_direct(x, w, b, g, xp, pool), \
            (xp if keep_cols else None)
    F, block = w.shape[0], g.OW * g.N          # columns per output row
    xp = g.padded(to_chwn(x))
    win = g.windows(xp)
    w2 = w.reshape(F, -1)
    out = padded_empty(F, g.OH * block, np.result_type(w2, x))
    keep = keep_cols and w2.shape[1] * g.OH * block * x.dtype.itemsize <= KEEP_COLS_BYTES
    cols = buffers.empty((w2.shape[1], g.OH * block), x.dtype) if keep else None

    def product(c, s):       # out[:, s] = W·c (+ b)
        np.matmul(w2, c, out=out[:, s])
        if b is not None:
            out[:, s] += b[:, None]

    def rows(r0, r1):        # output rows r0..r1
        if keep:             # all their columns, kept, then the product by column slabs
            if fast is not None:
                fast.columns.im2col(xp, g, r0, r1, cols[:, r0 * block:r1 * block])
            else:
                np.copyto(cols.reshape(g.C, g.kh, g.kw, g.OH, g.OW, g.N)[:, :, :, r0:r1],
                          win[:, :, :, r0:r1])
            for s in _slabs(r0 * block, r1 * block, cols.shape[0]):
                product(cols[:, s], s)
        else:                # a slab of rows at a time: columns, then product at once
            buf = g.scratch(x.dtype)
            for ra, rb in g.row_slabs(r0, r1):
                c = fast.columns.cols_of_rows(g, xp, ra, rb, buf) if fast is not None else \
                    g.cols_of_rows(win, ra, rb, buf)
                product(c, slice(ra * block, rb * block))
    parallel_for(g.OH, rows, w2.shape[1] * g.OH * block, blas=True)
    return from_chwn(out.reshape(F, g.OH, g.OW, g.N)), cols


def conv2d_input_grad(gy, w, g):
    """dx = the transposed convolution of dy with w (NCHW arrays): by rows for stride 1 where
    that is faster (:func:`transposed_conv_by_rows`), else col2im(Wᵀ·dy)."""
    if g.groups > 1:
        return grouped_conv2d_input_grad(gy, w, g)
    dtype = np.result_type(gy, w)
    fast = compiled()
    fast = fast if fast is not None and fast.floats(gy, w) else None
    if _direct(fast, g) and g.stride[1] == 1:   # directly, no columns
        return fast.conv.conv2d_input_grad_direct(gy, w, g)
    gy_chwn = to_chwn(gy)
    if g.stride == (1, 1) and g.W + 2 * g.padding[1] <= 2 * g.OW and g.C * g.kh >= 40:
        return transposed_conv_by_rows(g, gy_chwn, w, dtype)
    g2 = gy_chwn.reshape(w.shape[0], -1)
    w_t = np.ascontiguousarray(w.reshape(w.shape[0], -1).T)
    dcols = matmul_by_columns(w_t, g2, g.OH, g.OW * g.N)
    return col2im(g, dcols, dtype)


def col2im(g, cols, dtype):
    """Adjoint of im2col: add each column entry back where it was copied from
    (channels split between threads: each writes only its own)."""
    fast = compiled()
    if fast is not None and np.dtype(dtype) in fast.FLOATS:
        return fast.columns.col2im(g, cols, dtype)
    cols = cols.reshape(g.C, g.kh, g.kw, g.OH, g.OW, g.N)
    out = buffers.zeros((g.C, g.Hp, g.Wp, g.N), dtype)
    offsets = list(zip(np.ndindex(g.kh, g.kw), g.offsets()))

    def add_back(a, b):
        for (i, j), (rows, cs) in offsets:
            out[a:b, rows, cs] += cols[a:b, i, j]
    parallel_for(g.C, add_back, cols.size)
    return from_chwn(g.crop(out))


def transposed_conv_by_rows(g, gy, w, dtype):
    """The input gradient of a stride-1 convolution, split in two halves of the adjoint:

        dxp[c, h, x] = Σ_{f,i,j} w[f,c,i,j] · gy[f, h − i·dh, x − j·dw]   (xp: padded input)

    * along the width, an im2col of dy padded by dw·(kw−1) on both sides: for every output row,
      G[(f,j'), (oh, x, n)] = dy[f, oh, x − (kw−1−j')·dw, n], x over the padded input's width;
    * one product Z = W' · G with W'[(c,i), (f,j')] = w[f, c, i, kw−1−j'];
    * along the height, kh additions, each one contiguous block: dxp[c, oh + i·dh] += Z[c, i, oh].

    Compared with col2im of Wᵀ·dy (kh·kw scattered additions over a matrix kh·kw times the
    input), the column matrix is kw times dy, the additions are contiguous and the product is
    better shaped for BLAS, at (padded width / output width) times the multiplications: used
    where that ratio is at most 2 and the product has at least 40 rows (C·kh; with fewer, BLAS
    is slow on it): for the tutorial CNN's conv2 (ratio 1.5, 50 rows) 1.2-1.3x faster."""
    fast = compiled()
    if fast is not None and np.dtype(dtype) in fast.FLOATS:   # the same, by cached blocks
        return fast.columns.input_grad_by_rows(g, gy, w, dtype)
    dh, dw = g.dilation
    F, C, kh, kw = w.shape
    Hp, Wp = g.Hp, g.Wp
    span = dw * (kw - 1)
    gyp = buffers.zeros((F, g.OH, g.OW + 2 * span, g.N), dtype)
    gyp[:, :, span:span + g.OW] = gy
    sf, sy, sx, sn = gyp.strides
    windows = as_strided(gyp, (F, kw, g.OH, Wp, g.N), (sf, sx * dw, sy, sx, sn), writeable=False)
    cols = buffers.empty((F * kw, g.OH * Wp * g.N), dtype)
    np.copyto(cols.reshape(windows.shape), windows)
    w_rows = np.ascontiguousarray(w[:, :, :, ::-1].transpose(1, 2, 0, 3).reshape(C * kh, F * kw),
                                  dtype=dtype)
    z = matmul_by_columns(w_rows, cols, g.OH, Wp * g.N).reshape(C, kh, -1)
    out = buffers.zeros((C, Hp * Wp * g.N), dtype)
    row = Wp * g.N

    def add_rows(a, b):          # channels a..b (each thread writes only its own)
        for i in range(kh):
            out[a:b, i * dh * row:i * dh * row + z.shape[2]] += z[a:b, i]
    parallel_for(C, add_rows, out.size)
    return from_chwn(g.crop(out.reshape(C, Hp, Wp, g.N)))


def conv2d_weight_grad(x, gy, w_shape, g, cols=None):
    """dw = dy · cols(x)ᵀ for NCHW arrays, summed over slabs of output rows (``cols``: what
    :func:`conv2d_forward` kept — the column matrix, or the direct kernels' padded input —
    else the columns are copied again, a slab at a time)."""
    if g.groups > 1:
        return grouped_conv2d_weight_grad(x, gy, w_shape, g)
    fast = compiled()
    fast = fast if fast is not None and fast.floats(x, gy) else None
    xp = None
    if cols is not None and cols.ndim == 4:   # the direct forward's padded input: never columns
        xp, cols = (cols if cols.dtype == x.dtype else None), None
    if cols is None and _direct(fast, g) and g.stride[1] == 1:   # directly, no columns
        return fast.conv.conv2d_weight_grad_direct(x, gy, w_shape, g, xp)
    xp = g.padded(to_chwn(x))
    win = g.windows(xp)
    g2 = to_chwn(gy).reshape(w_shape[0], -1)
    block = g.OW * g.N
    K = g.C * g.kh * g.kw
    partial = {}

    def part(r0, r1):   # output rows r0..r1 contribute cols[rows] @ dy[rows]ᵀ, by slabs
        acc = np.zeros((K, g2.shape[0]), dtype=np.result_type(x, g2))
        # cols @ dyᵀ (then transposed) is faster than dy @ colsᵀ (PERF_NOTES)
        if cols is not None:     # the forward kept the columns
            for s in _slabs(r0 * block, r1 * block, K):
                acc += cols[:, s] @ g2[:, s].T
        else:                    # copy them again, a cache-sized slab at a time
            buf = g.scratch(x.dtype)
            for ra, rb in g.row_slabs(r0, r1):
                s = slice(ra * block, rb * block)
                c = fast.columns.cols_of_rows(g, xp, ra, rb, buf) if fast is not None else \
                    g.cols_of_rows(win, ra, rb, buf)
                acc += c @ g2[:, s].T
        partial[r0] = acc
    # Two threads only where the product has many rows: with few (25 for a 1-channel 5x5
    # convolution) the two halves ran slower side by side than one after the other.
    parallel_for(g.OH, part, K * g.OH * block if K >= 40 else 0, blas=True)
    return np.ascontiguousarray(sum(partial.values()).T).reshape(w_shape)


def conv2d_grads(x, gy, w, g, cols=None, input_grad=True, bias_grad=False, scatter=None):
    """A plain backward's ``(dx, dw, db)`` where the compiled direct kernels take it (few input
    channels, a width stride of 1, groups 1), else None (the caller computes each itself):

    * dx (None unless ``input_grad``) and dw — :func:`conv2d_input_grad` and
      :func:`conv2d_weight_grad` — at the same time, on two cores (:func:`.threads.run_pair`;
      they keep their scratch to themselves): dw on the worker's, then the rows of dx this
      core has not claimed yet (:mod:`.compiled.claim`); one after the other,
      each split over the threads, when the second core is not to be had or the work is large
      (:data:`PAIR_MAX_WORK`). Each number is summed as on one thread. Measured for the
      tutorial's conv2 on two threads: at batch 64, 0.70 ms side by side against 0.75 split one
      after the other (0.65 and 0.57 whole, 0.48 and 0.30 split); at batch 256 3.15 against
      2.76 — the input gradient then takes so much longer than the weight gradient that the
      split, hand-overs included, wins.
    * db (if ``bias_grad``): ``dy.sum(dim=(0, 2, 3))``'s numbers, summed by the weight
      gradient's kernel as it reads each filter's dy (no second pass over dy: the tutorial's
      conv1 on two threads, ~50 µs of a 3 ms step) — None where that sum is NumPy's
      (:func:`.reduce.summed_rows`), for the caller to make.

    ``scatter``: None, or dy still to be made — max pooling's backward after this convolution,
    ``(values, mask, choice, pool_geometry)`` (:class:`tinygrad_sgd.autograd.slices
    .ScatteredGrad`) — when only dw (and db) are asked for: each thread makes its groups of
    filters' dy two rows at a time into scratch rows and sums them there
    (:func:`.compiled.conv_weight.conv2d_weight_grad_pooled`: the whole dy never goes out to
    memory; measured for the tutorial's conv1 on one thread, its scatter, weight gradient and
    bias sums 257 → 204 µs at batch 64, 1234 → 835 at 256), where the groups share out evenly
    over the threads; else each thread scatters the whole channels of dy it then sums, in the
    same job; else None (the caller makes dy)."""
    fast = compiled()
    if fast is None or g.groups != 1 or g.stride[1] != 1 or not _direct(fast, g) or \
            not fast.floats(x, gy if scatter is None else scatter[0], w) or \
            cols is not None and cols.ndim != 4:
        return None
    scattering = None
    xp = cols if cols is not None and cols.dtype == x.dtype else None
    if scatter is not None:              # dy = pooling's scatter, not made yet
        pool_g = scatter[3]
        pooled = None if input_grad or (pool_g.Hp, pool_g.Wp) != (pool_g.H, pool_g.W) else \
            fast.pool.pooled_2x2(scatter[0], scatter[2], pool_g, scatter[1])
        if pooled is None or not fast.floats(x, pooled[0], w):  # (dy must be all it writes)
            return None
        groups, threads = -(-w.shape[0] // fast.conv_weight.WGRAD_FILTERS), get_num_threads()
        if (threads == 1 or groups % threads == 0 or groups >= 4 * threads) and \
                (not bias_grad or 4 * pooled[0].size >= COMPILED_MIN_ELEMENTS):
            # dy made a few rows at a time where it is used (threads take whole groups); its
            # bias sums as :func:`.reduce.bias_sum` makes them (NumPy's for few numbers: then
            # dy is made whole, by the caller)
            calls, n, (dw, sums) = fast.conv_weight.conv2d_weight_grad_pooled(
                x, pooled, w.shape, g, xp, with_bias=bias_grad)
            parallel_calls(n, calls, 4 * pooled[0].size * w[0].size)
            return None, dw, None if sums is None else sums.astype(pooled[0].dtype)
        plan = fast.pool.scatter_2x2_plan(scatter[0], scatter[2], pool_g, scatter[1])
        scattering, gy = plan            # (too few groups to share: dy made whole, by parts)
    rows = summed_rows(gy, (0, 2, 3), gy.dtype) if bias_grad else None
    # both made ready here, so that each side's Python is done before the pair starts: the
    # worker would otherwise wait for the GIL while this thread prepares its side (~45 µs)
    calls_w, n_w, dw, reads = fast.conv.conv2d_weight_grad_direct(
        x, gy, w.shape, g, xp, planned=True, bias_rows=rows,
        bias_run=None if rows is None else summed_run(gy))
    dw, sums = (dw, None) if rows is None else dw        # (the sums are float64: rounded below)
    work = gy.size * w[0].size
    dx = None
    if scattering is not None:
        t = min(get_num_threads(), n_w)   # (the parts parallel_for will make, or the whole)
        parts = [(n_w * k // t, n_w * (k + 1) // t) for k in range(t)] + [(0, n_w)]
        if any(reads(a, b) is None for a, b in parts):
            return None
        parallel_calls(n_w, lambda a, b: scattering(*reads(a, b)) + calls_w(a, b), work)
    elif not input_grad:
        parallel_calls(n_w, calls_w, work)
    else:
        calls_x, n_x, dx, shared = fast.conv.conv2d_input_grad_direct(gy, w, g, planned=True)
        # dx in units claimed from both ends: this side from the first, the worker from the
        # last once dw is done (:mod:`.compiled.claim`), so the two finish within a unit
        counter = np.zeros(1, np.int64)
        first, second = [shared(counter, 0)], calls_w(0, n_w) + [shared(counter, 1)]
        if get_num_threads() == 1:       # one after the other, here (prepared once)
            run_calls(first + second)
        elif work > PAIR_MAX_WORK or not run_pair(lambda: run_calls(first),
                                                  lambda: run_calls(second), second):
            parallel_calls(n_x, calls_x, work)
            parallel_calls(n_w, calls_w, work)
        dx = dx()
    return dx, dw, None if sums is None else sums.astype(gy.dtype)


# --- groups > 1: one batched product per slab of output rows ----------------------------------
# The columns of a slab, (C·kh·kw, n) with the channel outermost, are (groups, C/groups·kh·kw, n)
# as they stand, and the weights (F, C/groups, kh, kw) are (groups, F/groups, C/groups·kh·kw).

def grouped_conv2d_forward(x, w, b, g):
    """y = conv2d(x, w) + b with groups: y_g = W_g · cols_g(x) for each group g."""
    G, F = g.groups, w.shape[0]
    win = g.windows(g.padded(to_chwn(x)))
    w3 = w.reshape(G, F // G, -1)
    block = g.OW * g.N
    out = np.empty((F, g.OH * block), dtype=np.result_type(w, x))
    buf = g.scratch(x.dtype)
    for ra, rb in g.row_slabs(0, g.OH):
        cols = g.cols_of_rows(win, ra, rb, buf).reshape(G, w3.shape[2], -1)
        out[:, ra * block:rb * block] = np.matmul(w3, cols).reshape(F, -1)
    if b is not None:
        out += b[:, None]
    return from_chwn(out.reshape(F, g.OH, g.OW, g.N))


def grouped_conv2d_input_grad(gy, w, g):
    """dx = col2im(W_gᵀ · dy_g) with groups, a slab of output rows at a time (each slab's
    columns are added back where they were copied from, one kernel offset at a time)."""
    G, F = g.groups, w.shape[0]
    w_t = w.reshape(G, F // G, -1).transpose(0, 2, 1)
    gy4 = to_chwn(gy).reshape(G, F // G, g.OH, g.OW * g.N)
    out = np.zeros((g.C, g.Hp, g.Wp, g.N), dtype=np.result_type(gy, w))
    (sh, sw), (dh, dw) = g.stride, g.dilation
    for ra, rb in g.row_slabs(0, g.OH):
        d = np.matmul(w_t, gy4[:, :, ra:rb].reshape(G, F // G, -1))
        d6 = d.reshape(g.C, g.kh, g.kw, rb - ra, g.OW, g.N)
        for i, j in np.ndindex(g.kh, g.kw):
            out[:, ra * sh + i * dh:(rb - 1) * sh + i * dh + 1:sh,
                j * dw:j * dw + (g.OW - 1) * sw + 1:sw] += d6[:, i, j]
    return from_chwn(g.crop(out))


def grouped_conv2d_weight_grad(x, gy, w_shape, g):
    """dW_g = dy_g · cols_g(x)ᵀ with groups, summed over slabs of output rows."""
    G, F = g.groups, w_shape[0]
    win = g.windows(g.padded(to_chwn(x)))
    gy4 = to_chwn(gy).reshape(G, F // G, g.OH, g.OW * g.N)
    acc = np.zeros((G, F // G, g.C // G * g.kh * g.kw), dtype=np.result_type(x, gy))
    buf = g.scratch(x.dtype)
    for ra, rb in g.row_slabs(0, g.OH):
        cols = g.cols_of_rows(win, ra, rb, buf).reshape(G, acc.shape[2], -1)
        acc += np.matmul(gy4[:, :, ra:rb].reshape(G, F // G, -1), cols.transpose(0, 2, 1))
    return acc.reshape(w_shape)


# --- F.unfold / F.fold: the column matrix itself, in torch's (N, C·kh·kw, OH·OW) layout -------
def unfold(x, g):
    """Every kh×kw window of the padded NCHW input as a column: (N, C·kh·kw, OH·OW)."""
    win = g.windows(g.padded(to_chwn(x)))          # (C, kh, kw, OH, OW, N), no copy
    return np.ascontiguousarray(win.transpose(5, 0, 1, 2, 3, 4)).reshape(
        g.N, g.C * g.kh * g.kw, g.OH * g.OW)


def fold(cols, g):
    """The adjoint of :func:`unfold`: columns (N, C·kh·kw, OH·OW) added back into an NCHW
    array where they were read from (overlaps add up)."""
    c6 = cols.reshape(g.N, g.C, g.kh, g.kw, g.OH, g.OW).transpose(1, 2, 3, 4, 5, 0)
    return col2im(g, c6, cols.dtype)
