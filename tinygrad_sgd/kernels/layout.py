"""The batch-innermost layout and the geometry of a convolution or pooling window
(see the package docstring for why the batch goes innermost)."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..arguments import pair

__all__ = ["to_chwn", "from_chwn", "padded_empty", "Geometry", "pool_geometry"]


def to_chwn(a):
    """(N, C, H, W) array → (C, H, W, N) C-contiguous array (free if it already is one)."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0))


def from_chwn(a):
    """(C, H, W, N) array → an (N, C, H, W) view of it."""
    return a.transpose(3, 0, 1, 2)


def padded_empty(m, n, dtype):
    """An (m, n) array whose rows are padded by a few columns: a row stride that is a
    multiple of 4 KiB makes BLAS 3-4x slower through cache aliasing (PERF_NOTES)."""
    pad = 16 if (n * np.dtype(dtype).itemsize) % 4096 == 0 else 0
    return np.empty((m, n + pad), dtype=dtype)[:, :n]


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


# The convolution never builds its whole im2col matrix (25x its input for a 5x5 kernel): it
# copies the columns of a few output rows at a time into a scratch slab of about this size and
# multiplies at once, so the columns never go out to memory.
ROW_SLAB_BYTES = 1 << 20


class Geometry:
    """Sizes of one convolution/pooling: input (N, C, H, W), kernel, stride, padding,
    dilation, and the output size (OH, OW); plus the views and slabs the kernels walk."""

    def __init__(self, op, x_shape, kernel, stride, padding, dilation=1):
        if len(x_shape) != 4:
            raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x_shape}")
        self.N, self.C, self.H, self.W = x_shape
        self.kh, self.kw = pair(kernel, "kernel_size", op)
        self.stride = pair(stride, "stride", op)
        self.padding = pair(padding, "padding", op)
        self.dilation = pair(dilation, "dilation", op)
        if min(self.stride) < 1 or min(self.dilation) < 1 or min(self.padding) < 0 \
                or min(self.kh, self.kw) < 1:
            raise ValueError(f"{op}: stride and dilation must be >= 1, padding >= 0, kernel "
                             f">= 1; got kernel {(self.kh, self.kw)}, stride {self.stride}, "
                             f"padding {self.padding}, dilation {self.dilation}")
        (ph, pw), (dh, dw) = self.padding, self.dilation
        self.OH = out_size(self.H, self.kh, self.stride[0], ph, dh)
        self.OW = out_size(self.W, self.kw, self.stride[1], pw, dw)
        if self.OH < 1 or self.OW < 1:
            raise ValueError(
                f"{op}: kernel {(self.kh, self.kw)} (dilation {self.dilation}) is larger than "
                f"the padded input {(self.H + 2 * ph, self.W + 2 * pw)} (input shape {x_shape}, "
                f"padding {self.padding})")

    def args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def label_args(self):
        def one(p):
            return p[0] if p[0] == p[1] else p
        text = f"stride={one(self.stride)}, padding={one(self.padding)}"
        return text + (f", dilation={one(self.dilation)}" if self.dilation != (1, 1) else "")

    # --- views of the padded (C, Hp, Wp, N) input -----------------------------------------
    def padded(self, a, value=0.0):
        """(C, H, W, N) → (C, H + 2ph, W + 2pw, N), the border filled with ``value``."""
        ph, pw = self.padding
        if ph == 0 and pw == 0:
            return a
        C, H, W, N = a.shape
        out = np.full((C, H + 2 * ph, W + 2 * pw, N), value, dtype=a.dtype)
        out[:, ph:ph + H, pw:pw + W] = a
        return out

    def crop(self, a):
        ph, pw = self.padding
        return a[:, ph:ph + self.H, pw:pw + self.W]

    def windows(self, xp):
        """View of the padded (C, Hp, Wp, N) array as (C, kh, kw, OH, OW, N): element
        [c, i, j, oh, ow, n] = xp[c, oh·sh + i·dh, ow·sw + j·dw, n]. No copy."""
        (sh, sw), (dh, dw) = self.stride, self.dilation
        sc, sy, sx, sn = xp.strides
        return as_strided(xp, (xp.shape[0], self.kh, self.kw, self.OH, self.OW, xp.shape[3]),
                          (sc, sy * dh, sx * dw, sy * sh, sx * sw, sn), writeable=False)

    def offsets(self):
        """For each kernel offset (i, j): the (rows, cols) slices of the padded input."""
        (sh, sw), (dh, dw) = self.stride, self.dilation
        for i in range(self.kh):
            for j in range(self.kw):
                yield (slice(i * dh, i * dh + sh * (self.OH - 1) + 1, sh),
                       slice(j * dw, j * dw + sw * (self.OW - 1) + 1, sw))

    # --- im2col by slabs of output rows ----------------------------------------------------
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


def pool_geometry(op, x_shape, kernel_size, stride, padding):
    g = Geometry(op, x_shape, kernel_size, stride, padding)
    if g.padding[0] > g.kh // 2 or g.padding[1] > g.kw // 2:
        raise ValueError(f"{op}: padding {g.padding} should be at most half of the kernel size "
                         f"{(g.kh, g.kw)}")
    return g
