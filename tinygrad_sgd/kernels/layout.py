"""The batch-innermost layout and the geometry of a convolution or pooling window
(see the package docstring for why the batch goes innermost)."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..arguments import pair
from . import buffers
from ..errors import ShapeError

__all__ = ["to_chwn", "padded_chwn", "from_chwn", "memory_order", "inverse_order",
           "on_memory_order", "padded_empty", "Geometry", "geometry", "pool_geometry"]


def to_chwn(a):
    """(N, C, H, W) array → (C, H, W, N) C-contiguous array (free if it already is one)."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0))


def padded_chwn(x, g):
    """x (N, C, H, W) as the direct kernels read it: batch innermost, zero-padded by the
    geometry ``g``, C-contiguous ((C, Hp, Wp, N); x's own memory when it is that already)."""
    return np.ascontiguousarray(g.padded(to_chwn(x)))


def from_chwn(a):
    """(C, H, W, N) array → an (N, C, H, W) view of it."""
    return a.transpose(3, 0, 1, 2)


_IN_ORDER = tuple(tuple(range(n)) for n in range(8))


def memory_order(a):
    """The axis order ``p`` in which ``a.transpose(p)`` is C-contiguous — a's dims from the
    outermost in memory to the innermost (an NCHW view of batch-innermost memory: (1, 2, 3,
    0)) — or None if a is not a permutation of a contiguous array."""
    if a.flags.c_contiguous:
        return _IN_ORDER[a.ndim] if a.ndim < len(_IN_ORDER) else tuple(range(a.ndim))
    if a.ndim == 2 and a.flags.f_contiguous:
        return (1, 0)
    p = tuple(sorted(range(a.ndim), key=lambda i: -a.strides[i]))
    return p if a.transpose(p).flags.c_contiguous else None


def dim_order(shape, *strides, reduced=None) -> tuple:
    """The dims from the outermost in memory to the innermost, as torch sorts them — the
    insertion sort of TensorIterator's ``reorder_dimensions`` and of ``infer_dense_strides``,
    which asks each operand's ``strides`` in turn (a 0 stride orders nothing; of equal strides
    the smaller size goes inside). It is the order torch's random kernels walk a tensor in.
    ``reduced`` (flags per dim): a reduction's iterator, whose reduced dims go innermost
    before anything else is asked (:mod:`.cascade_sum`)."""
    perm = list(range(len(shape) - 1, -1, -1))          # innermost first

    def should_swap(d0, d1):
        if reduced is not None and reduced[d0] != reduced[d1]:
            return 1 if reduced[d1] else -1
        for st in strides:
            if st[d0] == 0 or st[d1] == 0:
                continue
            if st[d0] != st[d1]:
                return -1 if st[d0] < st[d1] else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0
    for i in range(1, len(shape)):
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            c = should_swap(perm[dim0], perm[dim1])
            if c > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif c < 0:
                break
    return tuple(reversed(perm))


def elementwise_order(shape, *arrays):
    """The axis order (outermost first) of torch's result of an elementwise op on ``arrays``
    broadcast to ``shape`` (:func:`dim_order` of their strides, a broadcast or size-1 dim
    ordering nothing). So ``a + b.t()`` is laid out as ``a``, and ``b.t() + a`` as ``b.t()``,
    where NumPy may choose otherwise."""
    strides = [tuple(0 if n == 1 else s for n, s in zip(shape, np.broadcast_to(a, shape).strides))
               for a in arrays]
    return dim_order(shape, *strides)


def in_torch_layout(result, *arrays):
    """``result`` of an elementwise op on ``arrays``, laid out in memory as torch lays out that
    op's result (:func:`elementwise_order`; a copy only where NumPy chose another layout). The
    layout shows in ``stride()`` and in the order torch draws random masks (dropout)."""
    if result.ndim < 2 or all(a.ndim == 0 or a.flags.c_contiguous for a in arrays):
        return result                           # NumPy's result is C-ordered, as torch's
    full = [a for a in arrays if a.ndim]
    steps = {tuple(s // a.itemsize for s in a.strides) for a in full + [result]}
    if len(steps) == 1 and all(a.shape == result.shape for a in full):
        return result                           # inputs and result share one layout
    p = elementwise_order(result.shape, *(a for a in arrays if a.ndim))
    if memory_order(result) == p:
        return result
    out = np.empty(tuple(result.shape[d] for d in p), result.dtype).transpose(inverse_order(p))
    out[...] = result
    return out


def on_memory_order(f, a):
    """``f(a)`` for an elementwise function ``f`` of arrays that returns C-ordered results,
    laid out in memory as ``a`` (computed on a's memory seen as a C-contiguous array: no
    copy), so a transposed or channels-last input keeps its strides, as torch's result does."""
    p = None if a.ndim < 2 or a.flags.c_contiguous else memory_order(a)
    if p is None:
        return f(a)
    return f(a.transpose(p)).transpose(inverse_order(p))


def laid_out(a, order):
    """``a``'s values with its dims in memory in ``order`` (outermost first, as
    :func:`memory_order` names it): ``a`` itself when it is laid out so, else a copy."""
    if memory_order(a) == order:
        return a
    return np.ascontiguousarray(a.transpose(order)).transpose(inverse_order(order))


def channels_last_order(ndim):
    """The memory order of a channels-last (4-d) or channels_last_3d (5-d) array: N, the
    spatial dims, then C innermost."""
    return (0,) + tuple(range(2, ndim)) + (1,)


_INVERSES = {}


def inverse_order(p):
    """The permutation that undoes ``p`` (``a.transpose(p).transpose(inverse_order(p))`` is
    ``a``): ``np.argsort(p)``, remembered — NumPy's call on a tuple costs several µs."""
    q = _INVERSES.get(p)
    if q is None:
        q = _INVERSES[p] = tuple(int(i) for i in np.argsort(p))
    return q


def padded_empty(m, n, dtype):
    """An (m, n) array whose rows are padded by a few columns: a row stride that is a
    multiple of 4 KiB makes BLAS 3-4x slower through cache aliasing (PERF_NOTES)."""
    pad = 16 if (n * np.dtype(dtype).itemsize) % 4096 == 0 else 0
    return buffers.empty((m, n + pad), dtype)[:, :n]


def out_size(size, k, s, p, d, ceil_mode=False):
    """Output length of a window of ``k`` taps (dilation ``d``) slid by ``s`` over ``size``
    padded by ``p``; with ``ceil_mode`` a last partial window counts if it starts inside the
    input or its left padding (torch's rule)."""
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    n = (span + s - 1) // s + 1
    return n - 1 if (n - 1) * s >= size + p else n


# The convolution never builds its whole im2col matrix (25x its input for a 5x5 kernel): it
# copies the columns of a few output rows at a time into a scratch slab of about this size and
# multiplies at once, so the columns never go out to memory.
ROW_SLAB_BYTES = 1 << 20


class Geometry:
    """Sizes of one convolution/pooling: input (N, C, H, W), kernel, stride, padding,
    dilation, groups, and the output size (OH, OW); plus the views and slabs the kernels walk.

    The padded input is (Hp, Wp) = (H + 2ph + eh, W + 2pw + ew): ``eh``/``ew`` are the extra
    rows/columns a ``ceil_mode`` window reaches past the padding (0 otherwise)."""

    def __init__(self, op, x_shape, kernel, stride, padding, dilation=1, groups=1,
                 ceil_mode=False):
        if len(x_shape) != 4:
            raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x_shape}")
        self.N, self.C, self.H, self.W = x_shape
        self.kh, self.kw = pair(kernel, "kernel_size", op)
        self.stride = pair(stride, "stride", op)
        self.padding = pair(padding, "padding", op)
        self.dilation = pair(dilation, "dilation", op)
        self.groups, self.ceil_mode = groups, ceil_mode
        for bad, what in ((min(self.stride) < 1, "stride should be greater than zero"),
                          (min(self.dilation) < 1, "dilation should be greater than zero"),
                          (min(self.kh, self.kw) < 1, "kernel size should be greater than zero"),
                          (min(self.padding) < 0, "negative padding is not supported")):
            if bad:
                raise ShapeError(
                    f"{op}: stride and dilation must be >= 1, padding >= 0, kernel >= 1; got "
                    f"kernel {(self.kh, self.kw)}, stride {self.stride}, padding "
                    f"{self.padding}, dilation {self.dilation} ({what})")
        (ph, pw), (dh, dw), (sh, sw) = self.padding, self.dilation, self.stride
        self.OH = out_size(self.H, self.kh, sh, ph, dh, ceil_mode)
        self.OW = out_size(self.W, self.kw, sw, pw, dw, ceil_mode)
        if self.OH < 1 or self.OW < 1:
            raise ShapeError(
                f"{op}: kernel {(self.kh, self.kw)} (dilation {self.dilation}) is larger than "
                f"the padded input {(self.H + 2 * ph, self.W + 2 * pw)} (input shape {x_shape}, "
                f"padding {self.padding}): the calculated output size {(self.OH, self.OW)} is "
                f"too small")
        self.eh = max(0, (self.OH - 1) * sh + dh * (self.kh - 1) + 1 - (self.H + 2 * ph))
        self.ew = max(0, (self.OW - 1) * sw + dw * (self.kw - 1) + 1 - (self.W + 2 * pw))
        self.Hp, self.Wp = self.H + 2 * ph + self.eh, self.W + 2 * pw + self.ew

    def args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    def label_args(self):
        def one(p):
            return p[0] if p[0] == p[1] else p
        text = f"stride={one(self.stride)}, padding={one(self.padding)}"
        text += f", dilation={one(self.dilation)}" if self.dilation != (1, 1) else ""
        return text + (f", groups={self.groups}" if self.groups != 1 else "")

    # --- views of the padded (C, Hp, Wp, N) input -----------------------------------------
    def padded(self, a, value=0.0):
        """(C, H, W, N) → (C, Hp, Wp, N), the border filled with ``value``."""
        ph, pw = self.padding
        if (self.Hp, self.Wp) == (self.H, self.W):
            return a
        C, H, W, N = a.shape
        out = np.full((C, self.Hp, self.Wp, N), value, dtype=a.dtype)
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
        step = max(1, ROW_SLAB_BYTES // max(per_row, 1))
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
        rows = max(1, ROW_SLAB_BYTES // max(per_row * itemsize, 1))
        return buffers.empty((per_row * min(rows, self.OH),), dtype)


# A training step builds the same few geometries every time (each op and its backward nodes):
# they are kept here, keyed by their arguments. Only plain ints and pairs of plain ints make a
# key (True == 1 and 1.0 == 1 hash alike but must still be refused by ``pair``).
_CACHE = {}
_CACHE_SIZE = 512


def _plain(v):
    return type(v) is int or (isinstance(v, tuple) and len(v) == 2
                               and type(v[0]) is int and type(v[1]) is int)


def _cached(make, op, x_shape, *args):
    key = (make, op, x_shape) + args
    try:
        g = _CACHE.get(key)
    except TypeError:                          # a list among the arguments: not kept
        return make(op, x_shape, *args)
    plain = _plain(args[0]) and _plain(args[1]) and _plain(args[2]) and _plain(args[3])
    if g is None or not plain:
        g = make(op, x_shape, *args)          # (an argument error raises: nothing is kept)
        if plain:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.clear()
            _CACHE[key] = g
    return g


def geometry(op, x_shape, kernel, stride, padding, dilation=1, groups=1, ceil_mode=False):
    """``Geometry(...)``, shared between calls with the same arguments (geometries are never
    changed after they are made)."""
    return _cached(Geometry, op, x_shape, kernel, stride, padding, dilation, groups, ceil_mode)


def pool_geometry(op, x_shape, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """The Geometry of a pooling window; torch also bounds the padding by half the kernel."""
    return _cached(_pool_geometry, op, x_shape, kernel_size, stride, padding, dilation,
                   ceil_mode)


def _pool_geometry(op, x_shape, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    k, p, d = (pair(kernel_size, "kernel_size", op), pair(padding, "padding", op),
               pair(dilation, "dilation", op))
    if min(k) > 0 and (p[0] > k[0] // 2 or p[1] > k[1] // 2):
        def one(v):
            return v[0] if v[0] == v[1] else v
        raise ShapeError(f"{op}: pad should be at most half of effective kernel size, but got "
                         f"pad={one(p)}, kernel_size={one(k)} and dilation={one(d)}")
    return Geometry(op, x_shape, k, stride, p, d, ceil_mode=ceil_mode)
