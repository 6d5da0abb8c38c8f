"""Compiled direct convolution, in the batch-innermost (C, H, W, N) layout, no column matrix:

    conv2d_forward_direct      y = conv(x, w) + b
    conv2d_input_grad_direct   dx, each tap's dy rows added into the input's
    conv2d_weight_grad_direct  dw, as dot products of dy's rows with the input's

used for few input channels (see ``kernels.conv``): for one, im2col would be 25x the input
for a product with only 25 rows; for the tutorial's conv2 (10) the direct kernels, four
filters a pass, beat im2col + BLAS too.

The column-matrix kernels (im2col, col2im, the input gradient by rows) are
:mod:`.columns`. Every inner loop runs over the batch (N contiguous numbers), which LLVM
vectorizes.
"""
import numpy as np

from . import kernel, inline
from .. import buffers
from ..layout import to_chwn, from_chwn
from ..threads import parallel_for

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


@inline
def _add5(row, s0, s1, s2, s3, s4, wa, j):
    w0, w1, w2, w3, w4 = wa[j], wa[j + 1], wa[j + 2], wa[j + 3], wa[j + 4]
    for q in range(row.shape[0]):
        row[q] += w0 * s0[q] + w1 * s1[q] + w2 * s2[q] + w3 * s3[q] + w4 * s4[q]


@inline
def _add5_two(ra, rb, s0, s1, s2, s3, s4, wa, wb, j):
    a0, a1, a2, a3, a4 = wa[j], wa[j + 1], wa[j + 2], wa[j + 3], wa[j + 4]
    b0, b1, b2, b3, b4 = wb[j], wb[j + 1], wb[j + 2], wb[j + 3], wb[j + 4]
    for q in range(ra.shape[0]):
        v0, v1, v2, v3, v4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        ra[q] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
        rb[q] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4


@inline
def _add5_four(ra, rb, rc, rd, s0, s1, s2, s3, s4, w, f, c, i, j):
    a0, a1, a2 = w[f, c, i, j], w[f, c, i, j + 1], w[f, c, i, j + 2]
    a3, a4 = w[f, c, i, j + 3], w[f, c, i, j + 4]
    b0, b1, b2 = w[f + 1, c, i, j], w[f + 1, c, i, j + 1], w[f + 1, c, i, j + 2]
    b3, b4 = w[f + 1, c, i, j + 3], w[f + 1, c, i, j + 4]
    c0, c1, c2 = w[f + 2, c, i, j], w[f + 2, c, i, j + 1], w[f + 2, c, i, j + 2]
    c3, c4 = w[f + 2, c, i, j + 3], w[f + 2, c, i, j + 4]
    d0, d1, d2 = w[f + 3, c, i, j], w[f + 3, c, i, j + 1], w[f + 3, c, i, j + 2]
    d3, d4 = w[f + 3, c, i, j + 3], w[f + 3, c, i, j + 4]
    for q in range(ra.shape[0]):
        v0, v1, v2, v3, v4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        ra[q] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
        rb[q] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4
        rc[q] += c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3 + c4 * v4
        rd[q] += d0 * v0 + d1 * v1 + d2 * v2 + d3 * v3 + d4 * v4


# Filters summed in one pass over the input runs: each load of the input serves 4 × 5
# multiply-adds (20 weights, 5 inputs and 4 sums fit the 32 vector registers of AVX-512; the
# tutorial's conv2 forward measured 1.6–2x faster than with two filters a pass).
FILTERS_PER_PASS = 4


@kernel
def _rows_pass(xp, w, sh, dh, dw, f, k, oh, q0, q1, out):
    """out[f..f+k, oh, q0:q1] (as rows of OW·N numbers) += every tap's contribution: five taps
    of a kernel row a pass, to four filters' rows at once (k = 4) or one by one; taps left
    over (kw not a multiple of 5) one by one."""
    C, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    L = out.shape[2] * out.shape[3]
    X = xp.shape[2] * xp.shape[3]
    step = dw * xp.shape[3]
    m = q1 - q0
    ra = out[f, oh].reshape(L)[q0:q1]
    rb = out[f + 1 if k > 1 else f, oh].reshape(L)[q0:q1]
    rc = out[f + 2 if k > 2 else f, oh].reshape(L)[q0:q1]
    rd = out[f + 3 if k > 3 else f, oh].reshape(L)[q0:q1]
    for c in range(C):
        for i in range(kh):
            src = xp[c, oh * sh + i * dh].reshape(X)
            j = 0
            while j + 5 <= kw:
                o = j * step + q0      # (runs indexed by q alone vectorize)
                s0, s1 = src[o:o + m], src[o + step:o + step + m]
                s2, s3 = src[o + 2 * step:o + 2 * step + m], src[o + 3 * step:o + 3 * step + m]
                s4 = src[o + 4 * step:o + 4 * step + m]
                if k == FILTERS_PER_PASS:
                    _add5_four(ra, rb, rc, rd, s0, s1, s2, s3, s4, w, f, c, i, j)
                elif k >= 2:      # two filters, then a third one alone
                    _add5_two(ra, rb, s0, s1, s2, s3, s4, w[f, c, i], w[f + 1, c, i], j)
                    if k == 3:
                        _add5(rc, s0, s1, s2, s3, s4, w[f + 2, c, i], j)
                else:
                    _add5(ra, s0, s1, s2, s3, s4, w[f, c, i], j)
                j += 5
            while j < kw:
                s = src[j * step + q0:j * step + q0 + m]
                for fi in range(f, f + k):
                    wv = w[fi, c, i, j]
                    r = out[fi, oh].reshape(L)[q0:q1]
                    for q in range(m):
                        r[q] += wv * s[q]
                j += 1


@kernel
def _conv_direct_rows(xp, w, b, sh, dh, dw, oh0, oh1, out):
    """:func:`_conv_direct` for a width stride of 1 and output rows oh0..oh1: each tap adds one
    long contiguous run (:func:`_rows_pass`), four filters at a time (each load of the input
    serves twenty multiply-adds, each load and store of an output row five), in blocks of a
    row that stay in the L1 cache."""
    F, _, OW, N = out.shape
    L = OW * N
    for f in range(0, F, FILTERS_PER_PASS):
        k = min(FILTERS_PER_PASS, F - f)
        for oh in range(oh0, oh1):
            for q0 in range(0, L, ROW_BLOCK):
                q1 = min(L, q0 + ROW_BLOCK)
                for fi in range(f, f + k):
                    r = out[fi, oh].reshape(L)
                    for q in range(q0, q1):
                        r[q] = b[fi]
                _rows_pass(xp, w, sh, dh, dw, f, k, oh, q0, q1, out)


@kernel
def _input_grad_rows(gy, w2, kh, kw, sh, dh, dw, h0, h1, out):
    """out[c, oh·sh+i·dh, ow+j·dw, :] += Σ_f w[f,c,i,j] · dy[f, oh, ow, :] into out's rows
    h0..h1 (a width stride of 1), given w2[c, 0, i·kw+j, f] = w[f,c,i,j]: for each tap, the
    rows of five filters' gradients (dy[f, oh] as runs of OW·N numbers) are added into four
    channels' rows at once, at the tap's offset — the forward's four-filter pass with the roles
    of filters and channels swapped; no multiplication by padding. Filters left over (F not a
    multiple of 5) are added one by one."""
    F, _, OW, N = gy.shape
    C = out.shape[0]
    L = OW * N
    X = out.shape[2] * N
    for c in range(0, C, FILTERS_PER_PASS):
        k = min(FILTERS_PER_PASS, C - c)
        for oh in range(gy.shape[1]):
            for i in range(kh):
                row = oh * sh + i * dh
                if row < h0 or row >= h1:
                    continue
                for j in range(kw):
                    o = j * dw * N
                    t = i * kw + j
                    ra = out[c, row].reshape(X)[o:o + L]
                    rb = out[c + 1 if k > 1 else c, row].reshape(X)[o:o + L]
                    rc = out[c + 2 if k > 2 else c, row].reshape(X)[o:o + L]
                    rd = out[c + 3 if k > 3 else c, row].reshape(X)[o:o + L]
                    f = 0
                    while f + 5 <= F:
                        s0, s1 = gy[f, oh].reshape(L), gy[f + 1, oh].reshape(L)
                        s2, s3 = gy[f + 2, oh].reshape(L), gy[f + 3, oh].reshape(L)
                        s4 = gy[f + 4, oh].reshape(L)
                        if k == FILTERS_PER_PASS:
                            _add5_four(ra, rb, rc, rd, s0, s1, s2, s3, s4, w2, c, 0, t, f)
                        elif k >= 2:      # two channels, then a third one alone
                            _add5_two(ra, rb, s0, s1, s2, s3, s4, w2[c, 0, t], w2[c + 1, 0, t],
                                      f)
                            if k == 3:
                                _add5(rc, s0, s1, s2, s3, s4, w2[c + 2, 0, t], f)
                        else:
                            _add5(ra, s0, s1, s2, s3, s4, w2[c, 0, t], f)
                        f += 5
                    while f < F:
                        s = gy[f, oh].reshape(L)
                        for ci in range(c, c + k):
                            wv = w2[ci, 0, t, f]
                            r = out[ci, row].reshape(X)[o:o + L]
                            for q in range(L):
                                r[q] += wv * s[q]
                        f += 1


@inline
def _dot5(d, s0, s1, s2, s3, s4, zero):
    a0 = a1 = a2 = a3 = a4 = zero
    for q in range(d.shape[0]):
        v = d[q]
        a0 += v * s0[q]
        a1 += v * s1[q]
        a2 += v * s2[q]
        a3 += v * s3[q]
        a4 += v * s4[q]
    return a0, a1, a2, a3, a4


@inline
def _dot5_four(da, db, dc, dd, s0, s1, s2, s3, s4, zero):
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    c0 = c1 = c2 = c3 = c4 = d0 = d1 = d2 = d3 = d4 = zero
    for q in range(da.shape[0]):
        x0, x1, x2, x3, x4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        u = da[q]
        a0 += u * x0
        a1 += u * x1
        a2 += u * x2
        a3 += u * x3
        a4 += u * x4
        u = db[q]
        b0 += u * x0
        b1 += u * x1
        b2 += u * x2
        b3 += u * x3
        b4 += u * x4
        u = dc[q]
        c0 += u * x0
        c1 += u * x1
        c2 += u * x2
        c3 += u * x3
        c4 += u * x4
        u = dd[q]
        d0 += u * x0
        d1 += u * x1
        d2 += u * x2
        d3 += u * x3
        d4 += u * x4
    return (a0, a1, a2, a3, a4), (b0, b1, b2, b3, b4), (c0, c1, c2, c3, c4), \
        (d0, d1, d2, d3, d4)


@inline
def _add_to(acc, j, sums):
    a0, a1, a2, a3, a4 = sums
    acc[j] += a0
    acc[j + 1] += a1
    acc[j + 2] += a2
    acc[j + 3] += a3
    acc[j + 4] += a4


@kernel
def _weight_grad_rows(xp, gy, sh, dh, dw, f0, f1, c0, c1, out):
    """out[f, c, i, j] = Σ_{oh, ow, n} gy[f, oh, ow, n] · xp[c, oh·sh+i·dh, ow+j·dw, n] for a
    width stride of 1: per output row, dot products of its OW·N gradients with the shifted
    input runs, five taps of a kernel row and four filters at once (each load of the input
    serves four filters, each load of a gradient five taps; the last one to three filters one
    by one)."""
    _, OH, OW, N = gy.shape
    kh, kw = out.shape[2], out.shape[3]
    L = OW * N
    X = xp.shape[2] * N
    step = dw * N
    zero = out.dtype.type(0)
    for f in range(f0, f1, FILTERS_PER_PASS):
        four = f + FILTERS_PER_PASS <= f1
        last = f + FILTERS_PER_PASS if four else f1
        for oh in range(OH):
            da = gy[f, oh].reshape(L)
            db = gy[min(f + 1, last - 1), oh].reshape(L)
            dc = gy[min(f + 2, last - 1), oh].reshape(L)
            dd = gy[min(f + 3, last - 1), oh].reshape(L)
            for c in range(c0, c1):
                for i in range(kh):
                    src = xp[c, oh * sh + i * dh].reshape(X)
                    j = 0
                    while j + 5 <= kw:
                        o = j * step                # (runs indexed by q alone vectorize)
                        s0, s1 = src[o:o + L], src[o + step:o + step + L]
                        s2, s3 = src[o + 2 * step:o + 2 * step + L], \
                            src[o + 3 * step:o + 3 * step + L]
                        s4 = src[o + 4 * step:o + 4 * step + L]
                        if four:
                            sa, sb, sc, sd = _dot5_four(da, db, dc, dd, s0, s1, s2, s3, s4,
                                                        zero)
                            _add_to(out[f, c, i], j, sa)
                            _add_to(out[f + 1, c, i], j, sb)
                            _add_to(out[f + 2, c, i], j, sc)
                            _add_to(out[f + 3, c, i], j, sd)
                        else:
                            for fi in range(f, last):
                                _add_to(out[fi, c, i], j,
                                        _dot5(gy[fi, oh].reshape(L), s0, s1, s2, s3, s4, zero))
                        j += 5
                    while j < kw:
                        s = src[j * step:j * step + L]
                        for fi in range(f, last):
                            d = gy[fi, oh].reshape(L)
                            a0 = zero
                            for q in range(L):
                                a0 += d[q] * s[q]
                            out[fi, c, i, j] += a0
                        j += 1


@kernel
def _conv_one_channel_5x5(xp, w, b, sh, dh, dw, f0, f1, out):
    """:func:`_conv_direct_rows` for one input channel and a 5x5 kernel (the tutorial's conv1):
    each output row in one pass that adds all 25 taps in registers — 25 loads and one store
    per output number, where the general kernel's five passes (one per kernel row) load and
    store the row five times. (The 25 input runs are sliced first: loops indexed by q alone
    vectorize, offsets inside the index did not.)"""
    _, OH, OW, N = out.shape
    L = OW * N
    X = xp.shape[2] * N
    s = dw * N
    for f in range(f0, f1):
        k = w[f, 0]
        a00, a01, a02, a03, a04 = k[0, 0], k[0, 1], k[0, 2], k[0, 3], k[0, 4]
        a10, a11, a12, a13, a14 = k[1, 0], k[1, 1], k[1, 2], k[1, 3], k[1, 4]
        a20, a21, a22, a23, a24 = k[2, 0], k[2, 1], k[2, 2], k[2, 3], k[2, 4]
        a30, a31, a32, a33, a34 = k[3, 0], k[3, 1], k[3, 2], k[3, 3], k[3, 4]
        a40, a41, a42, a43, a44 = k[4, 0], k[4, 1], k[4, 2], k[4, 3], k[4, 4]
        bf = b[f]
        for oh in range(OH):
            r = xp[0, oh * sh].reshape(X)
            v00, v01, v02 = r[0:L], r[s:s + L], r[2 * s:2 * s + L]
            v03, v04 = r[3 * s:3 * s + L], r[4 * s:4 * s + L]
            r = xp[0, oh * sh + dh].reshape(X)
            v10, v11, v12 = r[0:L], r[s:s + L], r[2 * s:2 * s + L]
            v13, v14 = r[3 * s:3 * s + L], r[4 * s:4 * s + L]
            r = xp[0, oh * sh + 2 * dh].reshape(X)
            v20, v21, v22 = r[0:L], r[s:s + L], r[2 * s:2 * s + L]
            v23, v24 = r[3 * s:3 * s + L], r[4 * s:4 * s + L]
            r = xp[0, oh * sh + 3 * dh].reshape(X)
            v30, v31, v32 = r[0:L], r[s:s + L], r[2 * s:2 * s + L]
            v33, v34 = r[3 * s:3 * s + L], r[4 * s:4 * s + L]
            r = xp[0, oh * sh + 4 * dh].reshape(X)
            v40, v41, v42 = r[0:L], r[s:s + L], r[2 * s:2 * s + L]
            v43, v44 = r[3 * s:3 * s + L], r[4 * s:4 * s + L]
            row = out[f, oh].reshape(L)
            for q in range(L):
                row[q] = (bf
                          + (a00 * v00[q] + a01 * v01[q] + a02 * v02[q] + a03 * v03[q]
                             + a04 * v04[q])
                          + (a10 * v10[q] + a11 * v11[q] + a12 * v12[q] + a13 * v13[q]
                             + a14 * v14[q])
                          + (a20 * v20[q] + a21 * v21[q] + a22 * v22[q] + a23 * v23[q]
                             + a24 * v24[q])
                          + (a30 * v30[q] + a31 * v31[q] + a32 * v32[q] + a33 * v33[q]
                             + a34 * v34[q])
                          + (a40 * v40[q] + a41 * v41[q] + a42 * v42[q] + a43 * v43[q]
                             + a44 * v44[q]))


def conv2d_forward_direct(x, w, b, g):
    """y = conv2d(x, w) + b (NCHW arrays in, an NCHW view out), groups = 1, no column matrix."""
    xp = np.ascontiguousarray(g.padded(to_chwn(x)))
    w4 = np.ascontiguousarray(w)
    bias = np.zeros(w.shape[0], dtype=w.dtype) if b is None else np.ascontiguousarray(b)
    out = buffers.empty((w.shape[0], g.OH, g.OW, g.N), np.result_type(w, x))
    (sh, sw), (dh, dw) = g.stride, g.dilation
    work = out.size * w[0].size
    if sw == 1 and w4.shape[1:] == (1, 5, 5):
        parallel_for(w.shape[0], lambda a, b_: _conv_one_channel_5x5(xp, w4, bias, sh, dh, dw,
                                                                    a, b_, out), work)
    elif sw == 1:           # threads take ranges of output rows
        parallel_for(g.OH, lambda a, b_: _conv_direct_rows(xp, w4, bias, sh, dh, dw, a, b_, out),
                     work)
    else:
        parallel_for(w.shape[0], lambda a, b_: _conv_direct(xp, w4, bias, sh, sw, dh, dw, a, b_,
                                                            out), work)
    return from_chwn(out)


def conv2d_input_grad_direct(gy, w, g):
    """dx = the input gradient of a groups-1 convolution with a width stride of 1, computed
    directly (no column matrix, :func:`_input_grad_rows`); threads take ranges of dx's rows
    (each number is summed in the same order on any number of threads)."""
    F, C, kh, kw = w.shape
    dtype = np.result_type(gy, w)
    g2 = to_chwn(gy)
    if g2.dtype != dtype or not g2.flags.c_contiguous:
        g2 = np.ascontiguousarray(g2, dtype=dtype)
    w2 = np.ascontiguousarray(w.transpose(1, 2, 3, 0).reshape(C, 1, kh * kw, F), dtype=dtype)
    sh, (dh, dw) = g.stride[0], g.dilation
    out = buffers.zeros((C, g.Hp, g.Wp, g.N), dtype)
    parallel_for(g.Hp, lambda a, b: _input_grad_rows(g2, w2, kh, kw, sh, dh, dw, a, b, out),
                 g2.size * C * kh * kw)
    return from_chwn(g.crop(out))


def conv2d_weight_grad_direct(x, gy, w_shape, g):
    """dw = the weight gradient of a groups-1 convolution with a width stride of 1, computed
    directly (no column matrix); threads take ranges of channels (of filters, in fours, for one
    channel), so each number is summed in the same order on any number of threads."""
    xp = np.ascontiguousarray(g.padded(to_chwn(x)))
    g2 = to_chwn(gy)
    dtype = np.result_type(x, gy)
    sh, (dh, dw) = g.stride[0], g.dilation
    out = np.zeros(w_shape, dtype)
    F, C = w_shape[0], w_shape[1]
    work = g2.size * C * g.kh * g.kw
    if C > 1:
        parallel_for(C, lambda a, b: _weight_grad_rows(xp, g2, sh, dh, dw, 0, F, a, b, out), work)
    else:
        groups = -(-F // FILTERS_PER_PASS)
        parallel_for(groups, lambda a, b: _weight_grad_rows(
            xp, g2, sh, dh, dw, a * FILTERS_PER_PASS, min(F, b * FILTERS_PER_PASS), 0, 1, out),
            work)
    return out
