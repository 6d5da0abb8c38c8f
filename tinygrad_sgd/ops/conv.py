"""Convolution and pooling (NCHW in the API, batch-innermost in memory).

Layout: the public shapes are torch's ``(N, C, H, W)``. In memory these ops keep the batch
innermost — ``(C, H, W, N)`` — and hand out an NCHW *view* of that array. Then

* im2col copies move long contiguous runs (one per batch), and a convolution is the matrix
  product ``W (F, C·kh·kw) @ cols (C·kh·kw, OH·OW·N)``, done a cache-sized slab of output
  rows at a time right after that slab's columns are copied;
* pooling and relu work on the same memory without transposes;
* flattening ``(N, C, H, W) → (N, C·H·W)`` for a linear layer is a free view.

The backward of every op here is itself made of ops from this file, so second derivatives
work: the adjoint of a convolution in its input is ``conv2d_input_grad`` (a transposed
convolution), in its weight ``conv2d_weight_grad``; max pooling's adjoint scatters through the
saved argmax, and average pooling's adjoint spreads evenly.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Function
from ..threads import parallel_for


# ---------------------------------------------------------------------------- helpers
def _pair(v, name):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        a, b = v
    else:
        a = b = v
    if not all(isinstance(i, (int, np.integer)) for i in (a, b)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")
    return int(a), int(b)


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def to_chwn(a):
    """(N, C, H, W) array → (C, H, W, N) C-contiguous array (free if it already is one)."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0))


def from_chwn(a):
    """(C, H, W, N) array → an (N, C, H, W) view of it."""
    return a.transpose(3, 0, 1, 2)


def _pad_chwn(a, ph, pw, value=0.0):
    if ph == 0 and pw == 0:
        return a
    C, H, W, N = a.shape
    out = np.full((C, H + 2 * ph, W + 2 * pw, N), value, dtype=a.dtype)
    out[:, ph:ph + H, pw:pw + W] = a
    return out


def _windows(xp, kh, kw, OH, OW, stride, dilation):
    """View of the padded (C, Hp, Wp, N) array as (C, kh, kw, OH, OW, N): element
    [c, i, j, oh, ow, n] = xp[c, oh·sh + i·dh, ow·sw + j·dw, n]. No copy."""
    (sh, sw), (dh, dw) = stride, dilation
    sc, sy, sx, sn = xp.strides
    return as_strided(xp, (xp.shape[0], kh, kw, OH, OW, xp.shape[3]),
                      (sc, sy * dh, sx * dw, sy * sh, sx * sw, sn), writeable=False)


def _offset_slices(kh, kw, OH, OW, stride, dilation):
    """For each kernel offset (i, j): the (rows, cols) slices of the padded input it touches."""
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            yield (slice(i * dh, i * dh + sh * (OH - 1) + 1, sh),
                   slice(j * dw, j * dw + sw * (OW - 1) + 1, sw))


def _padded_empty(m, n, dtype):
    """An (m, n) array whose rows are padded by a few columns: a row stride that is a
    multiple of 4 KiB makes BLAS 3-4x slower through cache aliasing (PERF_NOTES)."""
    pad = 16 if (n * np.dtype(dtype).itemsize) % 4096 == 0 else 0
    return np.empty((m, n + pad), dtype=dtype)[:, :n]


# Column matrices are handled in slabs of about this many bytes, so that what one step writes
# (an im2col slab) or reads twice is still in the core's cache for the next (its product):
# with (25 × 147,456) columns, cache-sized slabs made the weight gradient 1.8x faster.
SLAB_BYTES = 256 << 10
# The convolution never builds its whole im2col matrix (25x its input for a 5x5 kernel): it
# copies the columns of a few output rows at a time into a scratch slab of about this size and
# multiplies at once, in forward and again in the weight gradient, so the columns never go
# out to memory.
ROW_SLAB_BYTES = 1 << 20
# ...unless the whole matrix is small enough to stay in cache (batch 64 here): then forward
# keeps it for the weight gradient, which is cheaper than copying it again.
KEEP_COLS_BYTES = 8 << 20


def _slabs(start, stop, rows, itemsize=4):
    """Consecutive column slices of [start, stop) for a matrix with ``rows`` rows; a single
    slice when slabs would be too narrow for BLAS to be efficient (many rows)."""
    step = SLAB_BYTES // (itemsize * rows)
    if step < 1024:
        step = stop - start
    for s in range(start, stop, max(step, 1)):
        yield slice(s, min(s + step, stop))


def _matmul_by_columns(a, b, rows, block):
    """a @ b, the columns of b cut into ``rows`` blocks of ``block`` columns (one output row of
    the convolution each) that the threads share, each walked in cache-sized slabs."""
    out = _padded_empty(a.shape[0], b.shape[1], np.result_type(a, b))

    def part(r0, r1):
        for s in _slabs(r0 * block, r1 * block, b.shape[0]):
            np.matmul(a, b[:, s], out=out[:, s])
    parallel_for(rows, part, a.shape[0] * b.shape[1] + b.size, blas=True)
    return out


class _Geometry:
    """Sizes of one convolution/pooling: input (N, C, H, W), kernel, stride, padding, dilation."""

    def __init__(self, op, x_shape, kernel, stride, padding, dilation=1):
        if len(x_shape) != 4:
            raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x_shape}")
        self.N, self.C, self.H, self.W = x_shape
        self.kh, self.kw = _pair(kernel, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        if min(self.stride) < 1 or min(self.dilation) < 1 or min(self.padding) < 0 \
                or min(self.kh, self.kw) < 1:
            raise ValueError(f"{op}: stride and dilation must be >= 1, padding >= 0, kernel "
                             f">= 1; got kernel {(self.kh, self.kw)}, stride {self.stride}, "
                             f"padding {self.padding}, dilation {self.dilation}")
        (ph, pw), (dh, dw) = self.padding, self.dilation
        self.OH = _out_size(self.H, self.kh, self.stride[0], ph, dh)
        self.OW = _out_size(self.W, self.kw, self.stride[1], pw, dw)
        if self.OH < 1 or self.OW < 1:
            raise ValueError(
                f"{op}: kernel {(self.kh, self.kw)} (dilation {self.dilation}) is larger than "
                f"the padded input {(self.H + 2 * ph, self.W + 2 * pw)} (input shape {x_shape}, "
                f"padding {self.padding})")

    def windows(self, xp):
        return _windows(xp, self.kh, self.kw, self.OH, self.OW, self.stride, self.dilation)

    def offsets(self):
        return _offset_slices(self.kh, self.kw, self.OH, self.OW, self.stride, self.dilation)

    def padded(self, a, value=0.0):
        return _pad_chwn(a, *self.padding, value)

    def crop(self, a):
        ph, pw = self.padding
        return a[:, ph:ph + self.H, pw:pw + self.W]

    def row_slabs(self, r0, r1, itemsize=4):
        """Output rows r0..r1 in groups whose im2col columns fill about ROW_SLAB_BYTES (at least
        one row each): small enough to stay in the core's cache between copy and product."""
        per_row = self.C * self.kh * self.kw * self.OW * self.N * itemsize
        step = max(1, ROW_SLAB_BYTES // per_row)
        for ra in range(r0, r1, step):
            yield ra, min(ra + step, r1)

    def cols_of_rows(self, win, ra, rb, buf):
        """The im2col columns of output rows ra..rb, copied from the window view into ``buf``
        (a scratch array of at least that size): a (C·kh·kw, (rb−ra)·OW·N) matrix."""
        C, kh, kw = self.C, self.kh, self.kw
        n = (rb - ra) * self.OW * self.N
        cols6 = buf[:C * kh * kw * n].reshape(C, kh, kw, rb - ra, self.OW, self.N)
        np.copyto(cols6, win[:, :, :, ra:rb])
        return cols6.reshape(C * kh * kw, n)

    def scratch(self, dtype, itemsize=4):
        """A scratch buffer big enough for the columns of one row slab."""
        per_row = self.C * self.kh * self.kw * self.OW * self.N
        rows = max(1, ROW_SLAB_BYTES // (per_row * itemsize))
        return np.empty(per_row * min(rows, self.OH), dtype=dtype)

    def col2im(self, cols, dtype):
        """Adjoint of im2col: add each column entry back where it was copied from
        (channels split between threads: each writes only its own)."""
        cols = cols.reshape(self.C, self.kh, self.kw, self.OH, self.OW, self.N)
        ph, pw = self.padding
        out = np.zeros((self.C, self.H + 2 * ph, self.W + 2 * pw, self.N), dtype=dtype)
        offsets = list(zip(np.ndindex(self.kh, self.kw), self.offsets()))

        def add_back(a, b):
            for (i, j), (rows, cs) in offsets:
                out[a:b, rows, cs] += cols[a:b, i, j]
        parallel_for(self.C, add_back, cols.size)
        return from_chwn(self.crop(out))

    def args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)


def _pool_geometry(op, x_shape, kernel_size, stride, padding):
    g = _Geometry(op, x_shape, kernel_size, stride, padding)
    if g.padding[0] > g.kh // 2 or g.padding[1] > g.kw // 2:
        raise ValueError(f"{op}: padding {g.padding} should be at most half of the kernel size "
                         f"{(g.kh, g.kw)}")
    return g


def _label_args(g):
    def one(p):
        return p[0] if p[0] == p[1] else p
    text = f"stride={one(g.stride)}, padding={one(g.padding)}"
    return text + (f", dilation={one(g.dilation)}" if g.dilation != (1, 1) else "")


# ---------------------------------------------------------------------------- convolution
class Conv2d(Function):
    """y[n,f,oh,ow] = b[f] + Σ_{c,i,j} w[f,c,i,j] · x[n, c, oh·s + i·d − p, ow·s + j·d − p].
    As matrices: Y = W·cols(x) + b.   dL/dW = dL/dY · cols(x)ᵀ,   dL/db = Σ_{n,oh,ow} dL/dY,
    dL/dx = col2im(Wᵀ · dL/dY) — the transposed convolution of dL/dY with W."""

    def forward(self, x, w, b, stride, padding, dilation):
        if w.ndim != 4:
            raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels, kh, kw), "
                             f"got shape {w.shape}")
        g = _Geometry("conv2d", x.shape, w.shape[2:], stride, padding, dilation)
        if w.shape[1] != g.C:
            raise ValueError(f"conv2d: input has {g.C} channels (shape {x.shape}) but weight "
                             f"of shape {w.shape} expects {w.shape[1]}")
        if b is not None and b.shape != (w.shape[0],):
            raise ValueError(f"conv2d: bias must have shape ({w.shape[0]},), got {b.shape}")
        self.geom = g
        self.save_for_backward(x, w)
        F, block = w.shape[0], g.OW * g.N          # columns per output row
        win = g.windows(g.padded(to_chwn(x.data)))
        w2 = w.data.reshape(F, -1)
        out = _padded_empty(F, g.OH * block, np.result_type(w2, x.data))
        keep = w.requires_grad and w2.shape[1] * g.OH * block * x.dtype.itemsize \
            <= KEEP_COLS_BYTES
        cols = np.empty((w2.shape[1], g.OH * block), dtype=x.dtype) if keep else None

        def product(c, s):       # out[:, s] = W·c (+ b)
            np.matmul(w2, c, out=out[:, s])
            if b is not None:
                out[:, s] += b.data[:, None]

        def rows(r0, r1):        # output rows r0..r1
            if keep:             # all their columns, kept, then the product by column slabs
                np.copyto(cols.reshape(g.C, g.kh, g.kw, g.OH, g.OW, g.N)[:, :, :, r0:r1],
                          win[:, :, :, r0:r1])
                for s in _slabs(r0 * block, r1 * block, cols.shape[0]):
                    product(cols[:, s], s)
            else:                # a slab of rows at a time: columns, then product at once
                buf = g.scratch(x.dtype)
                for ra, rb in g.row_slabs(r0, r1):
                    product(g.cols_of_rows(win, ra, rb, buf), slice(ra * block, rb * block))
        parallel_for(g.OH, rows, w2.shape[1] * g.OH * block, blas=True)
        if keep:
            self.cols = cols     # reused by the weight gradient
        return from_chwn(out.reshape(F, g.OH, g.OW, g.N))

    def backward(self, grad):
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad[:3]
        g = self.geom
        gx = Conv2dInputGrad.apply(grad, w, x.shape, **g.args()) if need_x else None
        gw = Conv2dWeightGrad.apply(x, grad, w.shape, cols=getattr(self, "cols", None),
                                    **g.args()) if need_w else None
        gb = grad.sum(dim=(0, 2, 3)) if need_b else None
        return gx, gw, gb

    def label(self):
        return f"conv2d({_label_args(self.geom)})"


class Conv2dInputGrad(Function):
    """dx = Tᵂ(dy): the transposed convolution (adjoint of conv2d in its input).
    It is bilinear in (dy, w):   d/d(dy) = conv2d(ġ, w),   d/dw = conv2d_weight_grad(ġ, dy)."""

    def forward(self, gy, w, x_shape, stride, padding, dilation):
        g = _Geometry("conv2d_input_grad", x_shape, w.shape[2:], stride, padding, dilation)
        self.geom = g
        self.save_for_backward(gy, w)
        gy_chwn = to_chwn(gy.data)
        dtype = np.result_type(gy.data, w.data)
        if g.stride == (1, 1) and g.W + 2 * g.padding[1] <= 2 * g.OW and g.C * g.kh >= 40:
            return _transposed_conv_by_rows(g, gy_chwn, w.data, dtype)
        g2 = gy_chwn.reshape(w.shape[0], -1)
        w_t = np.ascontiguousarray(w.data.reshape(w.shape[0], -1).T)
        dcols = _matmul_by_columns(w_t, g2, g.OH, g.OW * g.N)
        return g.col2im(dcols, dtype)

    def backward(self, gg):
        gy, w = self.saved_tensors
        g = self.geom
        d_gy = Conv2d.apply(gg, w, None, **g.args()) if self.needs_input_grad[0] else None
        d_w = Conv2dWeightGrad.apply(gg, gy, w.shape, **g.args()) \
            if self.needs_input_grad[1] else None
        return d_gy, d_w

    def label(self):
        return f"conv2d_input_grad({_label_args(self.geom)})"


def _transposed_conv_by_rows(g, gy, w, dtype):
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
    (dh, dw), (ph, pw) = g.dilation, g.padding
    F, C, kh, kw = w.shape
    Hp, Wp = g.H + 2 * ph, g.W + 2 * pw
    span = dw * (kw - 1)
    gyp = np.zeros((F, g.OH, g.OW + 2 * span, g.N), dtype=dtype)
    gyp[:, :, span:span + g.OW] = gy
    sf, sy, sx, sn = gyp.strides
    windows = as_strided(gyp, (F, kw, g.OH, Wp, g.N), (sf, sx * dw, sy, sx, sn), writeable=False)
    cols = np.empty((F * kw, g.OH * Wp * g.N), dtype=dtype)
    np.copyto(cols.reshape(windows.shape), windows)
    w_rows = np.ascontiguousarray(w[:, :, :, ::-1].transpose(1, 2, 0, 3).reshape(C * kh, F * kw),
                                  dtype=dtype)
    z = _matmul_by_columns(w_rows, cols, g.OH, Wp * g.N).reshape(C, kh, -1)
    out = np.zeros((C, Hp * Wp * g.N), dtype=dtype)
    row = Wp * g.N

    def add_rows(a, b):          # channels a..b (each thread writes only its own)
        for i in range(kh):
            out[a:b, i * dh * row:i * dh * row + z.shape[2]] += z[a:b, i]
    parallel_for(C, add_rows, out.size)
    return from_chwn(g.crop(out.reshape(C, Hp, Wp, g.N)))


class Conv2dWeightGrad(Function):
    """dw = dy · cols(x)ᵀ (adjoint of conv2d in its weight).
    Bilinear in (x, dy):   d/dx = conv2d_input_grad(dy, ẇ),   d/d(dy) = conv2d(x, ẇ)."""

    def forward(self, x, gy, w_shape, stride, padding, dilation, cols=None):
        g = _Geometry("conv2d_weight_grad", x.shape, w_shape[2:], stride, padding, dilation)
        self.geom = g
        self.save_for_backward(x, gy)
        win = g.windows(g.padded(to_chwn(x.data)))
        g2 = to_chwn(gy.data).reshape(w_shape[0], -1)
        block = g.OW * g.N
        K = g.C * g.kh * g.kw
        partial = {}

        def part(r0, r1):   # output rows r0..r1 contribute cols[rows] @ dy[rows]ᵀ, by slabs
            acc = np.zeros((K, g2.shape[0]), dtype=np.result_type(x.data, g2))
            # cols @ dyᵀ (then transposed) is faster than dy @ colsᵀ (PERF_NOTES)
            if cols is not None:     # the forward kept the columns
                for s in _slabs(r0 * block, r1 * block, K):
                    acc += cols[:, s] @ g2[:, s].T
            else:                    # copy them again, a cache-sized slab at a time
                buf = g.scratch(x.dtype)
                for ra, rb in g.row_slabs(r0, r1):
                    s = slice(ra * block, rb * block)
                    acc += g.cols_of_rows(win, ra, rb, buf) @ g2[:, s].T
            partial[r0] = acc
        # Two threads only where the product has many rows: with few (25 for a 1-channel 5x5
        # convolution) the two halves ran slower side by side than one after the other.
        parallel_for(g.OH, part, K * g.OH * block if K >= 40 else 0, blas=True)
        return np.ascontiguousarray(sum(partial.values()).T).reshape(w_shape)

    def backward(self, gg):
        x, gy = self.saved_tensors
        g = self.geom
        d_x = Conv2dInputGrad.apply(gy, gg, x.shape, **g.args()) \
            if self.needs_input_grad[0] else None
        d_gy = Conv2d.apply(x, gg, None, **g.args()) if self.needs_input_grad[1] else None
        return d_x, d_gy

    def label(self):
        return f"conv2d_weight_grad({_label_args(self.geom)})"


# ---------------------------------------------------------------------------- max pooling
class MaxPool2d(Function):
    """y = max over each window.   dL/dx = dL/dy routed to the first maximum of each window
    (torch's tie rule), zero elsewhere; overlapping windows add up."""

    def forward(self, x, kernel_size, stride, padding):
        self.geom = g = _pool_geometry("max_pool2d", x.shape, kernel_size, stride, padding)
        xp = g.padded(x.data.transpose(1, 2, 3, 0), value=-np.inf)
        offsets = list(g.offsets())
        out = np.empty((g.C, g.OH, g.OW, g.N), dtype=x.dtype)
        masks = np.empty((len(offsets),) + out.shape, dtype=bool)

        def pool(a, b):              # channels a..b: the max, then where it was
            slices = [xp[a:b, r, c] for r, c in offsets]
            np.copyto(out[a:b], slices[0])
            for s in slices[1:]:
                np.maximum(out[a:b], s, out=out[a:b])
            _first_max_masks(slices, out[a:b], masks[:, a:b])
        parallel_for(g.C, pool, xp.size)
        self.masks = masks
        return from_chwn(out)

    def backward(self, grad):
        return MaxPoolScatter.apply(grad, self.masks, self.geom)

    def label(self):
        return _pool_label("max_pool2d", self.geom)


def _first_max_masks(slices, out, masks):
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


class MaxPoolScatter(Function):
    """Adjoint of max pooling with fixed argmax masks: dx[argmax of window k] += dy[k].
    Linear in dy; its own adjoint gathers at the same places (MaxPoolGather)."""

    def forward(self, gy, masks, geom):
        self.masks, self.geom = masks, geom
        g2 = gy.data.transpose(1, 2, 3, 0)
        ph, pw = geom.padding
        shape = (geom.C, geom.H + 2 * ph, geom.W + 2 * pw, geom.N)
        tiles = (geom.stride == (geom.kh, geom.kw) and
                 (geom.OH * geom.kh, geom.OW * geom.kw) == shape[1:3])
        out = np.empty(shape, dtype=gy.dtype) if tiles else np.zeros(shape, dtype=gy.dtype)
        offsets = list(geom.offsets())
        if tiles:   # windows tile the input exactly: one pass writes every place once, out
            kh, kw = geom.kh, geom.kw            # seen as (C, OH, kh, OW, kw, N) blocks
            out6 = out.reshape(geom.C, geom.OH, kh, geom.OW, kw, geom.N)
            masks6 = masks.reshape(kh, kw, *masks.shape[1:]).transpose(2, 3, 0, 4, 1, 5)
            g6 = g2[:, :, None, :, None, :]

        def scatter(a, b):
            if tiles:
                np.multiply(g6[a:b], masks6[a:b], out=out6[a:b])
                return
            for mask, (r, c) in zip(masks[:, a:b], offsets):
                out[a:b, r, c] += g2[a:b] * mask
        parallel_for(geom.C, scatter, out.size)
        return from_chwn(geom.crop(out))

    def backward(self, gg):
        return MaxPoolGather.apply(gg, self.masks, self.geom)

    def label(self):
        return "max_pool2d_backward"


class MaxPoolGather(Function):
    """y[k] = x[argmax of window k] for fixed argmax masks (max pooling without the search).
    Its adjoint is MaxPoolScatter."""

    def forward(self, x, masks, geom):
        self.masks, self.geom = masks, geom
        xp = geom.padded(x.data.transpose(1, 2, 3, 0))
        out = np.zeros(masks.shape[1:], dtype=x.dtype)
        for mask, (r, c) in zip(masks, geom.offsets()):
            np.copyto(out, xp[:, r, c], where=mask)
        return from_chwn(out)

    def backward(self, gg):
        return MaxPoolScatter.apply(gg, self.masks, self.geom)


# ---------------------------------------------------------------------------- average pooling
class AvgPool2d(Function):
    """y = mean over each window (zero padding counted, as torch's default).
    dL/dx = each dL/dy spread evenly (÷ kh·kw) over its window; it is linear, so its adjoint
    AvgPoolSpread is its whole backward."""

    def forward(self, x, kernel_size, stride, padding):
        self.geom = g = _pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding)
        return _avg_pool(x.data, g)

    def backward(self, grad):
        return AvgPoolSpread.apply(grad, self.geom)

    def label(self):
        return _pool_label("avg_pool2d", self.geom)


class AvgPoolSpread(Function):
    """Adjoint of average pooling: dx[window k] += dy[k] / (kh·kw). Its adjoint is AvgPool2d."""

    def forward(self, gy, geom):
        self.geom = geom
        g2 = to_chwn(gy.data) / (geom.kh * geom.kw)
        ph, pw = geom.padding
        out = np.zeros((geom.C, geom.H + 2 * ph, geom.W + 2 * pw, geom.N), dtype=gy.dtype)
        for r, c in geom.offsets():
            out[:, r, c] += g2
        return from_chwn(geom.crop(out))

    def backward(self, gg):
        g = self.geom
        return AvgPool2d.apply(gg, (g.kh, g.kw), g.stride, g.padding)


def _avg_pool(x, g):
    xp = g.padded(to_chwn(x))
    out = np.zeros((g.C, g.OH, g.OW, g.N), dtype=x.dtype)
    for r, c in g.offsets():
        out += xp[:, r, c]
    out /= g.kh * g.kw
    return from_chwn(out)


def _pool_label(name, g):
    k = g.kh if g.kh == g.kw else (g.kh, g.kw)
    s = g.stride[0] if g.stride[0] == g.stride[1] else g.stride
    extra = "" if s == k else f", stride={s}"
    extra += "" if g.padding == (0, 0) else f", padding={g.padding[0]}"
    return f"{name}({k}{extra})"


# ---------------------------------------------------------------------------- public functions
def _check_input(op, x):
    from ..tensor import Tensor
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating point tensor, got {x.dtype}")
    return x.ndim == 3


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as torch) of an (N, C, H, W) input with an
    (F, C, kh, kw) weight; ``stride``, ``padding``, ``dilation`` are ints or pairs."""
    from ..tensor import Tensor
    unbatched = _check_input("conv2d", input)
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"conv2d: {what} must be a Tensor, got {type(t).__name__}")
        if t is not None and t.dtype.kind != "f":
            raise TypeError(f"conv2d: {what} must be a floating point tensor, got {t.dtype}")
    x = input.unsqueeze(0) if unbatched else input
    out = Conv2d.apply(x, weight, bias, _pair(stride, "stride"), _pair(padding, "padding"),
                       _pair(dilation, "dilation"))
    return out.squeeze(0) if unbatched else out


def _pool(cls, op, input, kernel_size, stride, padding):
    unbatched = _check_input(op, input)
    x = input.unsqueeze(0) if unbatched else input
    stride = kernel_size if stride is None or stride == [] else stride
    out = cls.apply(x, kernel_size, stride, padding)
    return out.squeeze(0) if unbatched else out


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max over ``kernel_size`` windows (stride defaults to the kernel size, as torch)."""
    return _pool(MaxPool2d, "max_pool2d", input, kernel_size, stride, padding)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Mean over ``kernel_size`` windows (zero padding counted, as torch's default)."""
    return _pool(AvgPool2d, "avg_pool2d", input, kernel_size, stride, padding)
