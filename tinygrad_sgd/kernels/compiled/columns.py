"""Compiled column-matrix kernels of convolution, in the batch-innermost (C, H, W, N) layout:

    im2col / cols_of_rows      the column matrix of a range of output rows, into a given
                               (reused) buffer: the copies of :meth:`Geometry.cols_of_rows`
    input_grad_by_rows         the input gradient of a stride-1 convolution, by cached blocks
    col2im                     the adjoint of im2col (the input gradient after Wᵀ·dy
                               otherwise): same inputs and outputs as ``kernels.conv.col2im``

Every inner loop runs over the batch (N contiguous numbers), which LLVM vectorizes.
"""
import numpy as np

from . import kernel
from .. import buffers
from ..layout import from_chwn
from ..threads import parallel_for

__all__ = ["im2col", "cols_of_rows", "input_grad_by_rows", "col2im", "whole_rows"]


@kernel
def _im2col(xp, kh, kw, sh, sw, dh, dw, ra, rb, OW, out):
    """out[(c,i,j), ((oh−ra)·OW + ow)·N + n] = xp[c, oh·sh+i·dh, ow·sw+j·dw, n], oh in ra..rb."""
    C, N = xp.shape[0], xp.shape[3]
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                dst = out[(c * kh + i) * kw + j]
                for oh in range(ra, rb):
                    base = (oh - ra) * OW * N
                    if sw == 1:      # the whole output row is one contiguous run
                        run = xp[c, oh * sh + i * dh].reshape(xp.shape[2] * N)[
                            j * dw * N:j * dw * N + OW * N]
                        d = dst[base:base + OW * N]
                        for q in range(OW * N):
                            d[q] = run[q]
                        continue
                    src = xp[c, oh * sh + i * dh]
                    for ow in range(OW):
                        s = src[ow * sw + j * dw]
                        o = base + ow * N
                        for n in range(N):
                            dst[o + n] = s[n]


def im2col(xp, g, ra, rb, out):
    """The columns of output rows ra..rb of the padded (C, Hp, Wp, N) input ``xp`` into the 2-D
    ``out`` (C·kh·kw, (rb−ra)·OW·N), which may be a column slice of a bigger matrix."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    _im2col(xp, g.kh, g.kw, sh, sw, dh, dw, ra, rb, g.OW, out)
    return out


def cols_of_rows(g, xp, ra, rb, buf):
    """As :meth:`Geometry.cols_of_rows`, from the padded input itself: the columns of output
    rows ra..rb copied into the scratch ``buf``, a (C·kh·kw, (rb−ra)·OW·N) matrix."""
    n = (rb - ra) * g.OW * g.N
    K = g.C * g.kh * g.kw
    return im2col(xp, g, ra, rb, buf[:K * n].reshape(K, n))


@kernel
def _row_windows_part(a, kw, dw, r, x0, x1, n0, n1, out):
    """out[(f, j), (x − x0, n − n0)] = a[f, r, x + j·dw, n] for x in x0..x1, n in n0..n1: the
    columns of one output row's block of the width-wise im2col (see
    :func:`input_grad_by_rows`)."""
    F = a.shape[0]
    m = n1 - n0
    for f in range(F):
        for j in range(kw):
            dst = out[f * kw + j]
            for x in range(x0, x1):
                src = a[f, r, x + j * dw]
                o = (x - x0) * m
                d = dst[o:o + m]
                s = src[n0:n1]
                for n in range(m):
                    d[n] = s[n]


@kernel
def _add_rows_part(z, kh, dh, r, x0, x1, n0, n1, out):
    """out[c, r + i·dh, x, n] += z[(c, i), (x − x0, n − n0)]: a block of the product added
    back along the height."""
    C = out.shape[0]
    m = n1 - n0
    for c in range(C):
        for i in range(kh):
            src = z[c * kh + i]
            for x in range(x0, x1):
                d = out[c, r + i * dh, x]
                s = src[(x - x0) * m:(x - x0 + 1) * m]
                for n in range(m):
                    d[n0 + n] += s[n]


# The blocks of :func:`input_grad_by_rows`: about this many bytes of columns each, so that the
# columns, the product's block and the additions stay in the core's L2 cache.
BLOCK_BYTES = 256 << 10


def input_grad_by_rows(g, gy, w, dtype):
    """:func:`tinygrad_sgd.kernels.conv.transposed_conv_by_rows` (same inputs and output, same
    three steps) a block of (output row, width positions, batch range) at a time: the column
    block, its product and its additions stay in cache instead of three matrices kw, 1 and
    C·kh/F times dy's size going out to memory. Threads take ranges of the batch."""
    dh, dw = g.dilation
    F, C, kh, kw = w.shape
    span = dw * (kw - 1)
    gyp = buffers.zeros((F, g.OH, g.OW + 2 * span, g.N), dtype)
    gyp[:, :, span:span + g.OW] = gy
    w_rows = np.ascontiguousarray(w[:, :, :, ::-1].transpose(1, 2, 0, 3).reshape(C * kh, F * kw),
                                  dtype=dtype)
    out = buffers.zeros((C, g.Hp, g.Wp, g.N), dtype)
    itemsize = np.dtype(dtype).itemsize

    def part(n0, n1):
        m = n1 - n0
        xs = max(1, min(g.Wp, BLOCK_BYTES // (F * kw * m * itemsize)))
        cols = np.empty((F * kw, xs * m), dtype)
        z = np.empty((C * kh, xs * m), dtype)
        for r in range(g.OH):
            for x0 in range(0, g.Wp, xs):
                x1 = min(g.Wp, x0 + xs)
                c = cols[:, :(x1 - x0) * m]
                _row_windows_part(gyp, kw, dw, r, x0, x1, n0, n1, c)
                zz = z[:, :(x1 - x0) * m]
                np.matmul(w_rows, c, out=zz)
                _add_rows_part(zz, kh, dh, r, x0, x1, n0, n1, out)
    parallel_for(g.N, part, out.size * F * kw, blas=True)
    return from_chwn(g.crop(out))


def whole_rows(a):
    """The C-contiguous array that a matrix with padded rows (``layout.padded_empty``: the
    first columns of each row of a wider array) was cut from; ``a`` itself otherwise. A kernel
    given the padded view sees rows of unknown stride and LLVM does not vectorize its loops
    (col2im 2.3x slower); the wider array's rows are plain contiguous ones."""
    base = a.base
    if a.ndim == 2 and base is not None and base.ndim == 2 and base.flags.c_contiguous and \
            base.shape[0] == a.shape[0] and base.strides == a.strides and \
            base.ctypes.data == a.ctypes.data:
        return base
    return a


@kernel
def _col2im(cols, kh, kw, sh, sw, dh, dw, OH, OW, c0, c1, out):
    """out[c, oh·sh+i·dh, ow·sw+j·dw, :] += cols[(c,i,j), ((oh·OW + ow)·N + n)]. One channel's
    plane at a time (it stays in cache while its kh·kw·OH runs are added in); with a width
    stride of 1 a whole output row is one contiguous run of OW·N numbers."""
    N = out.shape[3]
    Wp = out.shape[2]
    L = OW * N
    for c in range(c0, c1):
        for i in range(kh):
            for j in range(kw):
                src = cols[(c * kh + i) * kw + j]
                for oh in range(OH):
                    dst = out[c, oh * sh + i * dh].reshape(Wp * N)
                    if sw == 1:
                        d = dst[j * dw * N:j * dw * N + L]
                        s = src[oh * L:(oh + 1) * L]
                        for q in range(L):
                            d[q] += s[q]
                        continue
                    for ow in range(OW):
                        o = (ow * sw + j * dw) * N
                        s = src[oh * L + ow * N:oh * L + (ow + 1) * N]
                        for n in range(N):
                            dst[o + n] += s[n]


def col2im(g, cols, dtype):
    """Adjoint of im2col: add each column entry back where it was copied from. ``cols`` is
    read as the (C·kh·kw, OH·OW·N) matrix (its rows may be padded, as a product's output is)."""
    K, L = g.C * g.kh * g.kw, g.OH * g.OW * g.N
    cols = whole_rows(cols) if cols.dtype == dtype else cols
    if not (cols.ndim == 2 and cols.flags.c_contiguous and cols.shape[0] == K):
        cols = np.ascontiguousarray(cols.reshape(K, L), dtype=dtype)
    out = buffers.zeros((g.C, g.Hp, g.Wp, g.N), dtype)
    (sh, sw), (dh, dw) = g.stride, g.dilation
    parallel_for(g.C, lambda a, b: _col2im(cols, g.kh, g.kw, sh, sw, dh, dw, g.OH, g.OW, a, b,
                                           out), cols.size)
    return from_chwn(g.crop(out))
