"""Compiled direct convolution, in the batch-innermost (C, H, W, N) layout, no column matrix:

    conv2d_forward_direct      y = conv(x, w) + b
    conv2d_input_grad_direct   dx, each tap's dy rows added into the input's
    conv2d_weight_grad_direct  dw, as dot products of dy's rows with the input's
                               (in :mod:`.conv_weight`)

used for few input channels (see ``kernels.conv``): for one, im2col would be 25x the input
for a product with only 25 rows; for the tutorial's conv2 (10) the direct kernels, five
filters a pass, beat im2col + BLAS too.

The column-matrix kernels (im2col, col2im, the input gradient by rows) are
:mod:`.columns`. Every inner loop runs over the batch (N contiguous numbers), which LLVM
vectorizes.
"""
import numpy as np

from . import kernel, inline, U, aligned_empty   # (U: unsigned flat offsets)
from .claim import claim
from .. import buffers
from ..layout import to_chwn, from_chwn, padded_chwn
from ..threads import get_num_threads, parallel_calls, parallel_for
from .conv_weight import conv2d_weight_grad_direct
from .pool import _pool_2x2_rows, pool_2x2_arrays, windows_2x2

__all__ = ["conv2d_forward_direct", "conv2d_input_grad_direct", "conv2d_weight_grad_direct"]


@kernel
def _conv_direct(xp, w, b, sh, sw, dh, dw, f0, f1, out):
    """out[f, oh, ow, :] = b[f] + Σ_{c,i,j} w[f,c,i,j] · xp[c, oh·sh+i·dh, ow·sw+j·dw, :]."""
    _, OH, OW, N = out.shape
    C, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    for f in range(f0, f1):
        for oh in range(OH):
            row = out[f, oh]
            for ow in range(OW):
                r = row[ow]
                for n in range(N):
                    r[n] = 0
            for c in range(C):
                for i in range(kh):
                    src = xp[c, oh * sh + i * dh]
                    for j in range(kw):
                        wv = w[f, c, i, j]
                        for ow in range(OW):
                            s = src[ow * sw + j * dw]
                            r = row[ow]
                            for n in range(N):
                                r[n] += wv * s[n]
            bf = b[f]
            for ow in range(OW):
                r = row[ow]
                for n in range(N):
                    r[n] += bf


# A stride-1 row is one contiguous run of OW·N numbers per tap: it is summed in blocks of this
# many, so the block and the input runs it reads stay in the L1 cache across all the taps.
ROW_BLOCK = 1024

# Filters summed in one pass over the input runs: each load of the input serves 5 × 5
# multiply-adds. (25 weights, 5 inputs and 5 sums are three more than the 32 vector registers
# of AVX-512: LLVM reads a few weights from memory in the loop. Measured against four filters
# a pass — 20 weights, 5 inputs, 4 sums — on the tutorial's shapes, 1 thread, AMD EPYC: conv1
# forward 67 → 76 GFLOP/s and weight gradient 90 → 107, conv2's the same to 1.1x faster; four
# a pass had measured 1.6–2x faster than two.)
FILTERS_PER_PASS = 5


@inline
def _add5(y, ya, x, xa, st, w, wa, m):
    """y[ya + q] += Σ_{k<5} w[wa + k] · x[xa + k·st + q] for q < m: five taps into one row."""
    w0, w1, w2, w3, w4 = w[wa], w[wa + U(1)], w[wa + U(2)], w[wa + U(3)], w[wa + U(4)]
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        y[ya + q] += (w0 * x[xa + q] + w1 * x[x1 + q] + w2 * x[x2 + q] + w3 * x[x3 + q]
                      + w4 * x[x4 + q])


@inline
def _add5_two(y, ya, yb, x, xa, st, w, wa, wb, m):
    """:func:`_add5` into two rows at once (weights from wa and wb)."""
    a0, a1, a2, a3, a4 = w[wa], w[wa + U(1)], w[wa + U(2)], w[wa + U(3)], w[wa + U(4)]
    b0, b1, b2, b3, b4 = w[wb], w[wb + U(1)], w[wb + U(2)], w[wb + U(3)], w[wb + U(4)]
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        y[ya + q] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
        y[yb + q] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4


@inline
def _add5_four(y, ya, yb, yc, yd, x, xa, st, w, wa, wb, wc, wd, m):
    """:func:`_add5` into four rows at once: each load of x serves twenty multiply-adds."""
    a0, a1, a2, a3, a4 = w[wa], w[wa + U(1)], w[wa + U(2)], w[wa + U(3)], w[wa + U(4)]
    b0, b1, b2, b3, b4 = w[wb], w[wb + U(1)], w[wb + U(2)], w[wb + U(3)], w[wb + U(4)]
    c0, c1, c2, c3, c4 = w[wc], w[wc + U(1)], w[wc + U(2)], w[wc + U(3)], w[wc + U(4)]
    d0, d1, d2, d3, d4 = w[wd], w[wd + U(1)], w[wd + U(2)], w[wd + U(3)], w[wd + U(4)]
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        y[ya + q] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
        y[yb + q] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4
        y[yc + q] += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3 + c4 * v4
        y[yd + q] += d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3 + d4 * v4


@inline
def _add5_five(y, ya, ys, x, xa, st, w, wa, ws, m):
    """:func:`_add5` into the five rows y[ya + r·ys] at once (weights from wa + r·ws): each
    load of x serves twenty-five multiply-adds."""
    wb, wc, wd, we = wa + ws, wa + U(2) * ws, wa + U(3) * ws, wa + U(4) * ws
    a0, a1, a2, a3, a4 = w[wa], w[wa + U(1)], w[wa + U(2)], w[wa + U(3)], w[wa + U(4)]
    b0, b1, b2, b3, b4 = w[wb], w[wb + U(1)], w[wb + U(2)], w[wb + U(3)], w[wb + U(4)]
    c0, c1, c2, c3, c4 = w[wc], w[wc + U(1)], w[wc + U(2)], w[wc + U(3)], w[wc + U(4)]
    d0, d1, d2, d3, d4 = w[wd], w[wd + U(1)], w[wd + U(2)], w[wd + U(3)], w[wd + U(4)]
    e0, e1, e2, e3, e4 = w[we], w[we + U(1)], w[we + U(2)], w[we + U(3)], w[we + U(4)]
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    yb, yc, yd, ye = ya + ys, ya + U(2) * ys, ya + U(3) * ys, ya + U(4) * ys
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        y[ya + q] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
        y[yb + q] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4
        y[yc + q] += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3 + c4 * v4
        y[yd + q] += d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3 + d4 * v4
        y[ye + q] += e0 * v0 + e1 * v1 + e2 * v2 + e3 * v3 + e4 * v4


@inline
def _set5_five(y, ya, ys, x, xa, st, w, wa, ws, m, bias, f):
    """:func:`_add5_five`'s first pass, which writes instead of adding: y[ya + r·ys + q] =
    bias[f + r] + the five taps (the same numbers as filling the rows with the bias and adding
    to them, without that extra pass over them)."""
    wb, wc, wd, we = wa + ws, wa + U(2) * ws, wa + U(3) * ws, wa + U(4) * ws
    a0, a1, a2, a3, a4 = w[wa], w[wa + U(1)], w[wa + U(2)], w[wa + U(3)], w[wa + U(4)]
    b0, b1, b2, b3, b4 = w[wb], w[wb + U(1)], w[wb + U(2)], w[wb + U(3)], w[wb + U(4)]
    c0, c1, c2, c3, c4 = w[wc], w[wc + U(1)], w[wc + U(2)], w[wc + U(3)], w[wc + U(4)]
    d0, d1, d2, d3, d4 = w[wd], w[wd + U(1)], w[wd + U(2)], w[wd + U(3)], w[wd + U(4)]
    e0, e1, e2, e3, e4 = w[we], w[we + U(1)], w[we + U(2)], w[we + U(3)], w[we + U(4)]
    ba, bb, bc, bd, be = bias[f], bias[f + 1], bias[f + 2], bias[f + 3], bias[f + 4]
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    yb, yc, yd, ye = ya + ys, ya + U(2) * ys, ya + U(3) * ys, ya + U(4) * ys
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        y[ya + q] = ba + (a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4)
        y[yb + q] = bb + (b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4)
        y[yc + q] = bc + (c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3 + c4 * v4)
        y[yd + q] = bd + (d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3 + d4 * v4)
        y[ye + q] = be + (e0 * v0 + e1 * v1 + e2 * v2 + e3 * v3 + e4 * v4)


@inline
def _add5_five_out(y, ya, ys, s, ss, x, xa, st, w, wa, ws, m):
    """:func:`_add5_five`'s last pass, which reads the sums from the scratch rows
    s[r·ss + q] and writes the totals to y[ya + r·ys + q] (the same numbers as adding into
    the scratch rows and copying them out, without that extra pass over them)."""
    wb, wc, wd, we = wa + ws, wa + U(2) * ws, wa + U(3) * ws, wa + U(4) * ws
    a0, a1, a2, a3, a4 = w[wa], w[wa + U(1)], w[wa + U(2)], w[wa + U(3)], w[wa + U(4)]
    b0, b1, b2, b3, b4 = w[wb], w[wb + U(1)], w[wb + U(2)], w[wb + U(3)], w[wb + U(4)]
    c0, c1, c2, c3, c4 = w[wc], w[wc + U(1)], w[wc + U(2)], w[wc + U(3)], w[wc + U(4)]
    d0, d1, d2, d3, d4 = w[wd], w[wd + U(1)], w[wd + U(2)], w[wd + U(3)], w[wd + U(4)]
    e0, e1, e2, e3, e4 = w[we], w[we + U(1)], w[we + U(2)], w[we + U(3)], w[we + U(4)]
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    yb, yc, yd, ye = ya + ys, ya + U(2) * ys, ya + U(3) * ys, ya + U(4) * ys
    sb, sc, sd, se = ss, U(2) * ss, U(3) * ss, U(4) * ss
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        y[ya + q] = s[q] + (a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4)
        y[yb + q] = s[sb + q] + (b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4)
        y[yc + q] = s[sc + q] + (c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3 + c4 * v4)
        y[yd + q] = s[sd + q] + (d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3 + d4 * v4)
        y[ye + q] = s[se + q] + (e0 * v0 + e1 * v1 + e2 * v2 + e3 * v3 + e4 * v4)


@inline
def _add_taps(y, ya, ys, k, x, xa, st, w, wa, ws, m):
    """Five taps into k ≤ 5 rows y[ya + r·ys + q] (weights from wa + r·ws): five or four at
    once, else two, then a third alone, or one."""
    if k == 5:
        _add5_five(y, ya, ys, x, xa, st, w, wa, ws, m)
    elif k == 4:
        _add5_four(y, ya, ya + ys, ya + U(2) * ys, ya + U(3) * ys, x, xa, st, w, wa, wa + ws,
                   wa + U(2) * ws, wa + U(3) * ws, m)
    elif k >= 2:
        _add5_two(y, ya, ya + ys, x, xa, st, w, wa, wa + ws, m)
        if k == 3:
            _add5(y, ya + U(2) * ys, x, xa, st, w, wa + U(2) * ws, m)
    else:
        _add5(y, ya, x, xa, st, w, wa, m)


@inline
def _add_tap(y, ya, ys, k, x, xa, w, wa, ws, m):
    """One tap into k rows: y[ya + r·ys + q] += w[wa + r·ws] · x[xa + q]."""
    for r in range(k):
        wv = w[wa + U(r) * ws]
        yr = ya + U(r) * ys
        for q in range(m):
            y[yr + q] += wv * x[xa + q]


# The rows a pass adds into are summed in a scratch block, its rows this many numbers
# apart more than their length, then copied out once. Added into in place, five filters' rows
# of the output lie OH·OW·N numbers apart — for the tutorial's shapes a multiple of 4 KB, so each
# store looked to the CPU like a possible overwrite of the loads that follow from the other
# rows (4K aliasing): the conv2 forward ran at 48 GFLOP/s, 85 through the scratch rows (1
# thread, AMD EPYC, batch 64; the same at batch 16 and 256).
SCRATCH_PAD = 48


@inline
def _fill_rows(a, aa, as_, k, values, v0, m):
    """a[aa + r·as_ + q] = values[v0 + r] for r < k, q < m."""
    for r in range(k):
        v, ar = values[v0 + r], aa + U(r) * as_
        for q in range(m):
            a[ar + q] = v


@inline
def _copy_rows(dst, da, ds, src, sa, ss, k, m):
    """dst[da + r·ds + q] = src[sa + r·ss + q] for r < k, q < m."""
    for r in range(k):
        dr, sr = da + U(r) * ds, sa + U(r) * ss
        for q in range(m):
            dst[dr + q] = src[sr + q]


@kernel
def _conv_direct_rows(xp, w, b, sh, dh, dw, oh0, oh1, f0, f1, out, pooled, choice, relu,
                      pool):
    """:func:`_conv_direct` for a width stride of 1, output rows oh0..oh1 of filters f0..f1:
    each tap adds one long contiguous run of the input to an output row; five taps of a kernel
    row a pass, into five filters' rows at once (each load of the input serves 25
    multiply-adds, each load and store of a row's sums five), in blocks of a row that stay in
    the L1 cache, summed in scratch rows (:data:`SCRATCH_PAD`). Taps left over (kw not a
    multiple of 5) one by one. For whole passes of 5×5 kernels the first pass writes the
    scratch rows (bias + its taps) and the last writes the output, instead of a pass filling
    them with the bias and one copying them out: the same numbers; measured (Intel
    Xeon, 1 thread, batch 64) conv1 223 → 173 µs, conv2 353 → 327. ``pool`` 1 (2: with its
    relu): each pair of output rows 2p, 2p+1 of the pass's filters, once made, is max-pooled
    into row p of ``pooled`` and ``choice`` (and ``relu``) while they are in the cache
    (:func:`.pool._pool_2x2_rows`: the same numbers as pooling after); 0: those are unused."""
    _, OH, OW, N = out.shape
    C, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    H, L, X = xp.shape[1], OW * N, xp.shape[2] * N
    x, wf, y = xp.reshape(xp.size), w.reshape(w.size), out.reshape(out.size)
    st, ys, ws = U(dw * N), U(OH * L), U(C * kh * kw)     # next tap, filter's row, filter
    ss = U(ROW_BLOCK + SCRATCH_PAD)                        # scratch row
    acc = aligned_empty(FILTERS_PER_PASS * (ROW_BLOCK + SCRATCH_PAD), out.dtype)
    for f in range(f0, f1, FILTERS_PER_PASS):
        k = min(FILTERS_PER_PASS, f1 - f)
        whole = k == 5 and kw == 5 and C * kh > 1   # first pass writes, last writes out
        for oh in range(oh0, oh1):
            for q0 in range(0, L, ROW_BLOCK):
                m = U(min(L, q0 + ROW_BLOCK) - q0)
                ya = U((f * OH + oh) * L + q0)
                if not whole:
                    _fill_rows(acc, U(0), ss, k, b, f, m)
                for c in range(C):
                    for i in range(kh):
                        xa = U((c * H + oh * sh + i * dh) * X + q0)
                        wa = U(((f * C + c) * kh + i) * kw)
                        if whole:
                            if c == 0 and i == 0:
                                _set5_five(acc, U(0), ss, x, xa, st, wf, wa, ws, m, b, f)
                            elif c == C - 1 and i == kh - 1:
                                _add5_five_out(y, ya, ys, acc, ss, x, xa, st, wf, wa, ws, m)
                            else:
                                _add5_five(acc, U(0), ss, x, xa, st, wf, wa, ws, m)
                            continue
                        if kw == 5:      # one pass, no loop around it (with the loop below
                            _add_taps(acc, U(0), ss, k, x, xa, st, wf, wa, ws, m)  # 2x slower)
                            continue
                        j = 0
                        while j + 5 <= kw:
                            _add_taps(acc, U(0), ss, k, x, xa + U(j) * st, st, wf, wa + U(j),
                                      ws, m)
                            j += 5
                        for j in range(j, kw):
                            _add_tap(acc, U(0), ss, k, x, xa + U(j) * st, wf, wa + U(j), ws, m)
                if not whole:
                    _copy_rows(y, ya, ys, acc, U(0), ss, k, m)
            if pool > 0 and oh % 2 == 1 and oh // 2 < pooled.shape[1]:
                if pool == 2:
                    _pool_2x2_rows(out, f, f + k, oh // 2, oh // 2 + 1, pooled, choice, relu,
                                   True)
                else:
                    _pool_2x2_rows(out, f, f + k, oh // 2, oh // 2 + 1, pooled, choice, relu,
                                   False)


# the pooling arguments of a convolution that pools nothing (:func:`_conv_direct_rows`)
NO_CHOICE = np.zeros((1, 1, 1, 1), np.int8)


@kernel
def _input_grad_rows(gy, w2, kh, kw, sh, dh, dw, h0, h1, out):
    """out[c, oh·sh+i·dh, ow+j·dw, :] = Σ_{f,i,j} w[f,c,i,j] · dy[f, oh, ow, :] for out's rows
    h0..h1 (every number of them written; a width stride of 1): :func:`_input_grad_block` of
    all channels, a pass of five at a time."""
    for c in range(0, out.shape[0], FILTERS_PER_PASS):
        _input_grad_block(gy, w2, kh, kw, sh, dh, dw, c, h0, h1, out)


@kernel
def _input_grad_shared(gy, w2, kh, kw, sh, dh, dw, counter, from_back, out):
    """:func:`_input_grad_rows` of all of out's rows, as units — a row of a pass of five
    channels — claimed from ``counter`` (:mod:`.claim`), from the front or (``from_back``) the
    back, while another thread may claim the others: until none are left."""
    passes = (out.shape[0] + FILTERS_PER_PASS - 1) // FILTERS_PER_PASS
    n, mine = out.shape[1] * passes, 0
    while claim(counter) < n:
        unit = n - 1 - mine if from_back else mine
        mine += 1
        row, c = unit // passes, unit % passes * FILTERS_PER_PASS
        _input_grad_block(gy, w2, kh, kw, sh, dh, dw, c, row, row + 1, out)


@inline
def _input_grad_block(gy, w2, kh, kw, sh, dh, dw, c, h0, h1, out):
    """The rows h0..h1 of channels c..c+5 (or to the last) of :func:`_input_grad_rows`, given
    w2[c, 0, i·kw+j, f] = w[f,c,i,j]: for each tap that reaches the row, the runs of five
    filters' gradients (dy[f, oh] as OW·N numbers) are added into five channels' rows at once,
    at the tap's offset — the forward's passes with the roles of filters and channels swapped;
    no multiplication by padding — in blocks of a row summed in scratch rows
    (:data:`SCRATCH_PAD`; measured 0.86 → 0.56 ms for the tutorial's conv2 at batch 64).
    Filters left over (F not a multiple of 5) are added one by one."""
    F, OH, OW, N = gy.shape
    C, Hp, L, X = out.shape[0], out.shape[1], OW * N, out.shape[2] * N
    x, wf, y = gy.reshape(gy.size), w2.reshape(w2.size), out.reshape(out.size)
    st, ys, ws = U(OH * L), U(Hp * X), U(kh * kw * F)   # next filter, channel's row, channel
    ss = U(ROW_BLOCK + SCRATCH_PAD)                      # scratch row
    acc = aligned_empty(FILTERS_PER_PASS * (ROW_BLOCK + SCRATCH_PAD), out.dtype)
    zeros = np.zeros(FILTERS_PER_PASS, out.dtype)
    F5 = F - F % 5
    k = min(FILTERS_PER_PASS, C - c)
    for row in range(h0, h1):
        for q0 in range(0, X, ROW_BLOCK):
            q1 = min(X, q0 + ROW_BLOCK)
            _fill_rows(acc, U(0), ss, k, zeros, 0, U(q1 - q0))
            for i in range(kh):
                t = row - i * dh                     # = oh·sh for the dy row it takes
                if t < 0 or t % sh != 0 or t // sh >= OH:
                    continue
                oh = t // sh
                for j in range(kw):
                    start = j * dw * N               # the tap's run starts here in the row
                    lo, hi = max(q0, start), min(q1, start + L)
                    if lo >= hi:
                        continue
                    m, aa, xa = U(hi - lo), U(lo - q0), U(oh * L + lo - start)
                    wa = U((c * kh * kw + i * kw + j) * F)
                    for f in range(0, F5, 5):
                        _add_taps(acc, aa, ss, k, x, xa + U(f) * st, st, wf, wa + U(f), ws, m)
                    for f in range(F5, F):
                        _add_tap(acc, aa, ss, k, x, xa + U(f) * st, wf, wa + U(f), ws, m)
            _copy_rows(y, U((c * Hp + row) * X + q0), ys, acc, U(0), ss, k, U(q1 - q0))


def conv2d_forward_direct(x, w, b, g, xp=None, pool=None):
    """y = conv2d(x, w) + b (NCHW arrays in, an NCHW view out), groups = 1, no column matrix.
    ``xp``: :func:`..layout.padded_chwn` of x, if the caller made it already. ``pool``: None,
    or a :class:`..pool.PoolAhead` for y — where the threads take whole passes of filters and
    its windows are 2x2 with stride 2 (tiling y), each thread pools its own filters' rows of
    windows as soon as it has made them (:func:`_conv_direct_rows`'s ``pool``: the same
    numbers as pooling y afterwards), and ``pool.result`` is set."""
    xp = padded_chwn(x, g) if xp is None else xp
    F = w.shape[0]
    w4 = np.ascontiguousarray(w)
    bias = np.zeros(F, dtype=w.dtype) if b is None else np.ascontiguousarray(b)
    out = buffers.empty((F, g.OH, g.OW, g.N), np.result_type(w, x))
    (sh, sw), (dh, dw) = g.stride, g.dilation
    work = out.size * w[0].size
    passes = F // FILTERS_PER_PASS
    if sw == 1 and F % FILTERS_PER_PASS == 0 and passes % get_num_threads() == 0:
        # threads take whole passes of filters: each writes only its filters' rows, which
        # pooling (split by channel) then reads on the same core — by ranges of output rows,
        # each thread's rows of every filter were half read on the other core. Measured, the
        # tutorial's step on two threads, same process, alternating: batch 64 1% faster with
        # the two vCPUs close (a cache line's round trip ~90 ns), 2-3% with them far apart
        # (~450 ns, as this kind of virtual machine often has them); batch 256 0.3% and 2.8%.
        # (the pooling must be of this very output: its arrays are sized by its geometry)
        pooling = pool is not None and windows_2x2(pool.geom) and \
            (pool.geom.N, pool.geom.C, pool.geom.H, pool.geom.W) == (g.N, F, g.OH, g.OW) and \
            (pool.geom.Hp, pool.geom.Wp) == (g.OH, g.OW)
        if pooling:
            # (rows of windows pooled as made, in the cache: conv1 at batch 256 1127 -> 935 µs)
            pooled, choice, relu = pool_2x2_arrays(out.dtype, pool.geom, pool.with_relu)
            pool.result = (from_chwn(pooled), choice, None if relu is None else from_chwn(relu))
        else:
            pooled, choice, relu = out, NO_CHOICE, None
        mode = 0 if not pooling else 1 if relu is None else 2
        relu = out if relu is None else relu

        def calls(a, b_):
            return [(_conv_direct_rows, xp, w4, bias, sh, dh, dw, 0, g.OH, a * FILTERS_PER_PASS,
                     b_ * FILTERS_PER_PASS, out, pooled, choice, relu, mode)]
        parallel_calls(passes, calls, work)
    elif sw == 1:         # threads take ranges of output rows
        parallel_calls(g.OH, lambda a, b_: [(_conv_direct_rows, xp, w4, bias, sh, dh, dw, a,
                                             b_, 0, F, out, out, NO_CHOICE, out, 0)], work)
    else:
        parallel_for(F, lambda a, b_: _conv_direct(xp, w4, bias, sh, sw, dh, dw, a, b_, out),
                     work)
    return from_chwn(out)


def conv2d_input_grad_direct(gy, w, g, planned=False):
    """dx = the input gradient of a groups-1 convolution with a width stride of 1, computed
    directly (no column matrix, :func:`_input_grad_rows`); threads take ranges of dx's rows
    (each number is summed in the same order on any number of threads). ``planned``: as
    :func:`.conv_weight.conv2d_weight_grad_direct`'s, ``(calls, n, result, shared)`` with
    ``result()`` the gradient once ``calls(0, n)`` have run, and ``shared(counter,
    from_back)`` the call that does all of it by units claimed from ``counter`` (a zeroed
    int64 array of one), from the front or the back (:func:`_input_grad_shared`): two such
    calls, one from each end, on two threads at once, do it together."""
    F, C, kh, kw = w.shape
    dtype = np.result_type(gy, w)
    g2 = to_chwn(gy)
    if g2.dtype != dtype or not g2.flags.c_contiguous:
        g2 = np.ascontiguousarray(g2, dtype=dtype)
    w2 = np.ascontiguousarray(w.transpose(1, 2, 3, 0).reshape(C, 1, kh * kw, F), dtype=dtype)
    sh, (dh, dw) = g.stride[0], g.dilation
    out = buffers.empty((C, g.Hp, g.Wp, g.N), dtype)

    def calls(a, b):
        return [(_input_grad_rows, g2, w2, kh, kw, sh, dh, dw, a, b, out)]

    def shared(counter, from_back):
        return (_input_grad_shared, g2, w2, kh, kw, sh, dh, dw, counter, from_back, out)
    if planned:
        return calls, g.Hp, lambda: from_chwn(g.crop(out)), shared
    parallel_calls(g.Hp, calls, g2.size * C * kh * kw)
    return from_chwn(g.crop(out))
