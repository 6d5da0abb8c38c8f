"""3-D convolution of float16 arrays as torch's CPU computes it (``slow_conv3d``,
``aten/src/ATen/native/ConvolutionMM3d.cpp``: the path it takes for float16 without dilation
or groups on a CPU without float16 oneDNN): one sample at a time, vol2col then a product, its
products of float16 values exact in float32 and summed in float32 in the orders below, rounded
to float16 where torch's buffers are float16.

    forward       y = h(b + W·cols(x)): each sum over C·k in 4 interleaved partial sums
                  (BlasKernel's ``sum``: element l into partial l mod 4, then p0+p1+p2+p3)
    dL/dx         cols of dL/dy = h(Wᵀ·g), each a sum over the filters one by one, then
                  col2vol in float16: each tap's column added into dL/dx in turn (kd, kh, kw
                  order), each addition rounded
    dL/dW         per sample a dot product over the output positions (``fp16_dot_with_fp32_arith``:
                  its AVX2 build, 8 registers of 8 lanes per 64 values, fused multiply-adds,
                  the registers and lanes folded by halving; then runs of 16, then one by one),
                  added into the float16 gradient sample after sample (each sum rounded)

(h: rounded to float16.) Arrays: x (N, C, D, H, W), W (O, C, kd, kh, kw), stride and padding
triples.
"""
import numpy as np

from .vecmath import fma32

__all__ = ["conv3d_forward", "conv3d_input_grad", "conv3d_weight_grad"]

F, H = np.float32, np.float16


def _out_size(size, k, stride, pad):
    return tuple((n + 2 * p - kk) // s + 1 for n, kk, s, p in zip(size, k, stride, pad))


def _windows(size, k, stride, pad):
    """For each tap (kd, kh, kw): the slices of the padded input its column reads."""
    out = _out_size(size, k, stride, pad)
    for tap in np.ndindex(*k):
        yield tap, tuple(slice(t, t + (o - 1) * s + 1, s) for t, o, s in zip(tap, out, stride))


def _columns(x, k, stride, pad):
    """vol2col: (N, C·kd·kh·kw, P) float16, the rows in torch's (c, kd, kh, kw) order."""
    n, c = x.shape[:2]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = _out_size(x.shape[2:], k, stride, pad)
    cols = np.empty((n, c) + tuple(k) + out, x.dtype)
    for tap, window in _windows(x.shape[2:], k, stride, pad):
        cols[(slice(None), slice(None)) + tap] = xp[(slice(None), slice(None)) + window]
    return cols.reshape(n, -1, int(np.prod(out)))


def conv3d_forward(x, w, b, stride, pad):
    """y (N, O, OD, OH, OW) float16."""
    cols = _columns(x, w.shape[2:], stride, pad).astype(F)             # (N, L, P)
    wf = w.reshape(w.shape[0], -1).astype(F)                            # (O, L)
    L = wf.shape[1]
    parts = [np.zeros((x.shape[0], w.shape[0], cols.shape[2]), F) for _ in range(4)]
    for l in range(L - L % 4):                  # a loop over the contraction, not elements
        parts[l % 4] += wf[None, :, l, None] * cols[:, None, l]
    for l in range(L - L % 4, L):
        parts[0] += wf[None, :, l, None] * cols[:, None, l]
    total = ((parts[0] + parts[1]) + parts[2]) + parts[3]
    if b is not None:
        total = b.astype(F)[None, :, None] + total
    return total.astype(H).reshape((x.shape[0], w.shape[0]) +
                                   _out_size(x.shape[2:], w.shape[2:], stride, pad))


def conv3d_input_grad(g, w, size, stride, pad):
    """dL/dx (N, C, *size) float16 for dL/dy ``g``."""
    n, o = g.shape[:2]
    k = w.shape[2:]
    gf = g.reshape(n, o, -1).astype(F)
    wf = w.reshape(o, -1).astype(F)                                     # (O, L)
    cols = gf[:, 0, None, :] * wf[None, 0, :, None]
    for f in range(1, o):                       # the filters one by one (exact products)
        cols = cols + gf[:, f, None, :] * wf[None, f, :, None]
    cols = cols.astype(H).reshape((n, w.shape[1]) + tuple(k) + tuple(g.shape[2:]))
    padded = np.zeros((n, w.shape[1]) + tuple(s + 2 * p for s, p in zip(size, pad)), H)
    for tap, window in _windows(size, k, stride, pad):    # col2vol, each addition rounded
        at = (slice(None), slice(None)) + window
        padded[at] = (padded[at].astype(F) + cols[(slice(None), slice(None)) + tap]).astype(H)
    return padded[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, size))]


def _fold8(v):
    """The last axis of 8 folded by halving: (0+4, 1+5, ...), then (0+2, 1+3), then 0+1."""
    v = v[..., :4] + v[..., 4:]
    v = v[..., :2] + v[..., 2:]
    return v[..., 0] + v[..., 1]


def _dot(a, b):
    """fp16_dot_with_fp32_arith of each row of a (M, P) with each row of b (N, P): (M, N)."""
    m, p = a.shape
    A, B = a.astype(F)[:, None, :], b.astype(F)[None, :, :]
    main, vec = p & ~63, p & ~15
    regs = np.zeros((m, b.shape[0], 8, 8), F)
    for j in range(0, main, 64):                # 8 registers of 8 lanes per 64 values
        regs = fma32(A[..., j:j + 64].reshape(m, 1, 8, 8),
                     B[..., j:j + 64].reshape(1, -1, 8, 8), regs).reshape(regs.shape)
    regs = regs[:, :, :4] + regs[:, :, 4:]
    regs = regs[:, :, :2] + regs[:, :, 2:]
    total = _fold8(regs[:, :, 0] + regs[:, :, 1])
    tail = np.zeros(regs.shape[:2] + (8,), F)
    for j in range(main, vec, 16):              # runs of 16: two fused steps each
        tail = fma32(A[..., j:j + 8], B[..., j:j + 8], tail).reshape(tail.shape)
        tail = fma32(A[..., j + 8:j + 16], B[..., j + 8:j + 16], tail).reshape(tail.shape)
    total = total + _fold8(tail)
    for j in range(vec, p):                     # (a float16 product is exact in float32)
        total = total + A[..., j] * B[..., j]
    return total


def conv3d_weight_grad(g, x, k, stride, pad):
    """dL/dW (O, C, *k) float16: each sample's dot products added into the float16 gradient."""
    n, o = g.shape[:2]
    cols = _columns(x, k, stride, pad)                                  # (N, L, P)
    gw = np.zeros((cols.shape[1], o), H)
    for i in range(n):                          # a loop over the samples, as torch's
        gw = (gw.astype(F) + _dot(cols[i], g[i].reshape(o, -1))).astype(H)
    return gw.T.reshape((o, x.shape[1]) + tuple(k))
