"""Compiled max pooling: the window maximum and torch's first-max choice in one pass, and the
scatter of the gradient to the chosen elements. Same inputs and outputs as
:func:`tinygrad_sgd.kernels.pool.max_pool_forward` / ``max_pool_scatter``."""
import numpy as np

from . import inline, kernel, U
from .. import buffers
from ..layout import from_chwn
from ..pool import choice_dtype
from ..threads import parallel_calls, parallel_for
from ..elementwise import keep_where

__all__ = ["max_pool_forward", "max_pool_scatter"]


@kernel
def _max_pool(xp, kh, kw, sh, sw, dh, dw, ph, pw, H, W, c0, c1, out, choice):
    """out[c, oh, ow, n] = max of the window, choice[c, oh, ow, n] = the element k that is its
    first maximum (ties: the first; NaN: the last NaN; padding taps are never chosen).
    The comparisons are branch-free selects over the batch, so they vectorize."""
    _, OH, OW, N = out.shape
    K = kh * kw
    for c in range(c0, c1):
        for oh in range(OH):
            for ow in range(OW):
                best, idx = out[c, oh, ow], choice[c, oh, ow]
                first = True
                for i in range(kh):
                    r = oh * sh + i * dh
                    if r < ph or r >= ph + H:
                        continue
                    for j in range(kw):
                        col = ow * sw + j * dw
                        if col < pw or col >= pw + W:
                            continue
                        k = idx.dtype.type(i * kw + j)
                        src = xp[c, r, col]
                        if first:               # the first real element of the window
                            first = False
                            for n in range(N):
                                best[n] = src[n]
                                idx[n] = k
                            continue
                        for n in range(N):
                            v = src[n]
                            b = best[n]
                            take = (v > b) | (v != v)
                            best[n] = v if take else b
                            idx[n] = k if take else idx[n]
                if first:                       # a window of padding only: as the NumPy twin
                    for n in range(N):
                        best[n] = -np.inf
                        idx[n] = K - 1


@inline
def _pool_2x2(x, c0, c1, out, choice, relu, with_relu):
    """:func:`_max_pool` for 2x2 windows, stride 2, no padding (the tutorial's): the four
    elements of a window are four runs of N numbers, compared in order with the same rule.
    ``with_relu`` (a constant where this is inlined): also write ``relu``, the maximum through
    ``0 if y < 0 else y`` — the relu that follows pooling in the tutorial, in the same pass
    (:func:`max_pool_forward`). (Flat memory, unsigned offsets: see ``compiled.conv``.)"""
    _pool_2x2_rows(x, c0, c1, 0, out.shape[1], out, choice, relu, with_relu)


@inline
def _pool_2x2_rows(x, c0, c1, oh0, oh1, out, choice, relu, with_relu):
    """:func:`_pool_2x2` of the output rows oh0..oh1 only (a convolution pools each row of
    windows as soon as it has made its two rows: ``.conv._conv_direct_rows``)."""
    C, OH, OW, N = out.shape
    W = x.shape[2]
    xf, y, cf = x.reshape(x.size), out.reshape(out.size), choice.reshape(choice.size)
    r = relu.reshape(relu.size)
    n, row = U(N), U(W * N)
    k0, k1, k2, k3 = np.int8(0), np.int8(1), np.int8(2), np.int8(3)
    zero = out.dtype.type(0)
    for c in range(c0, c1):
        for oh in range(oh0, oh1):
            for ow in range(OW):
                a0 = U(((c * x.shape[1] + 2 * oh) * W + 2 * ow) * N)
                a1, a2 = a0 + n, a0 + row
                a3 = a2 + n
                o = U(((c * OH + oh) * OW + ow) * N)
                for q in range(n):
                    b = xf[a0 + q]
                    k = k0
                    v = xf[a1 + q]
                    t = (v > b) | (v != v)
                    b = v if t else b
                    k = k1 if t else k
                    v = xf[a2 + q]
                    t = (v > b) | (v != v)
                    b = v if t else b
                    k = k2 if t else k
                    v = xf[a3 + q]
                    t = (v > b) | (v != v)
                    b = v if t else b
                    k = k3 if t else k
                    y[o + q] = b
                    cf[o + q] = k
                    if with_relu:
                        r[o + q] = zero if b < zero else b


@kernel
def _max_pool_2x2(x, c0, c1, out, choice):
    """2x2 max pooling of channels c0..c1 (:func:`_pool_2x2`)."""
    _pool_2x2(x, c0, c1, out, choice, out, False)


@kernel
def _max_pool_2x2_relu(x, c0, c1, out, choice, relu):
    """2x2 max pooling of channels c0..c1, and the relu of its result (:func:`_pool_2x2`)."""
    _pool_2x2(x, c0, c1, out, choice, relu, True)


def windows_2x2(g):
    """True for windows of 2x2 with stride 2 (the tutorial's): the ones
    :func:`pool_2x2_plan`'s kernels take."""
    return (g.kh, g.kw, g.stride, g.dilation, g.padding) == (2, 2, (2, 2), (1, 1), (0, 0))


def pool_2x2_plan(xp, g, with_relu):
    """A 2x2 max pooling (:func:`windows_2x2`) of the batch-innermost (C, Hp, Wp, N) array xp,
    planned: ``(calls, result)`` — ``calls(c0, c1)`` the kernel calls that pool channels
    c0..c1, ``result`` (y, choice, relu(y) or None) as :func:`max_pool_forward` returns them,
    their memory allocated here (each number written once the calls have run). A convolution
    computed by filters runs each thread's calls right after its own filters
    (:func:`.conv.conv2d_forward_direct`)."""
    out, choice, relu = pool_2x2_arrays(xp.dtype, g, with_relu)
    if with_relu:
        return (lambda a, b: [(_max_pool_2x2_relu, xp, a, b, out, choice, relu)]), \
            (from_chwn(out), choice, from_chwn(relu))
    return (lambda a, b: [(_max_pool_2x2, xp, a, b, out, choice)]), \
        (from_chwn(out), choice, None)


def pool_2x2_arrays(dtype, g, with_relu):
    """The batch-innermost arrays a 2x2 max pooling of geometry ``g`` writes: ``(y, choice,
    relu(y) or None)``, reused memory (:mod:`..buffers`)."""
    out = buffers.empty((g.C, g.OH, g.OW, g.N), dtype)
    choice = buffers.empty(out.shape, choice_dtype(4))
    return out, choice, buffers.empty(out.shape, dtype) if with_relu else None


def max_pool_forward(x, g, with_relu=False):
    """(y, choice): the max of each window, and which of its elements is the first maximum.
    ``with_relu``: (y, choice, relu(y)), the relu made in the same pass where the windows are
    2x2 with stride 2 (the tutorial's), else (y, choice, None)."""
    xp = np.ascontiguousarray(g.padded(x.transpose(1, 2, 3, 0), value=-np.inf))
    if windows_2x2(g):
        calls, result = pool_2x2_plan(xp, g, with_relu)
        parallel_calls(g.C, calls, xp.size)
        return result if with_relu else result[:2]
    out = buffers.empty((g.C, g.OH, g.OW, g.N), x.dtype)
    choice = buffers.empty(out.shape, choice_dtype(g.kh * g.kw))
    (sh, sw), (dh, dw), (ph, pw) = g.stride, g.dilation, g.padding

    def part(a, b):
        _max_pool(xp, g.kh, g.kw, sh, sw, dh, dw, ph, pw, g.H, g.W, a, b, out, choice)
    parallel_for(g.C, part, xp.size)
    return (from_chwn(out), choice) + ((None,) if with_relu else ())


@kernel
def _scatter(gy, choice, kh, kw, sh, sw, dh, dw, c0, c1, out):
    """out[window element k] += gy where element k was chosen (only there: an inf or NaN
    gradient does not leak into the other elements, as in torch)."""
    _, OH, OW, N = gy.shape
    zero = gy.dtype.type(0)
    for c in range(c0, c1):
        for oh in range(OH):
            for ow in range(OW):
                src, ch = gy[c, oh, ow], choice[c, oh, ow]
                for i in range(kh):
                    r = oh * sh + i * dh
                    for j in range(kw):
                        k = ch.dtype.type(i * kw + j)
                        dst = out[c, r, ow * sw + j * dw]
                        for n in range(N):
                            dst[n] += src[n] if ch[n] == k else zero


@inline
def _scatter_2x2_rows(gy, mask, choice, c0, c1, out, with_mask):
    """:func:`_scatter` for 2x2 windows that tile ``out`` exactly (stride 2, no padding): every
    place is written once (the gradient or 0), so ``out`` needs no zeroing first. Flat memory,
    unsigned offsets, one window element (one store stream) at a time: with all four stores
    in one loop LLVM did not vectorize it. ``with_mask`` (a constant where this is inlined):
    the gradient counts only where ``mask`` ≠ 0 — relu's backward, in the same pass."""
    C, OH, OW, N = gy.shape
    W = out.shape[2]
    g, cf, y = gy.reshape(gy.size), choice.reshape(choice.size), out.reshape(out.size)
    m = mask.reshape(mask.size)
    n, row = U(N), U(W * N)
    zero = gy.dtype.type(0)
    for c in range(c0, c1):
        for oh in range(OH):
            for ow in range(OW):
                d0 = U(((c * out.shape[1] + 2 * oh) * W + 2 * ow) * N)
                o = U(((c * OH + oh) * OW + ow) * N)
                for k in range(4):              # element k of the window: (k // 2, k % 2)
                    d = d0 + (n if k % 2 else U(0)) + (row if k >= 2 else U(0))
                    kk = np.int8(k)
                    for q in range(n):
                        if with_mask:
                            y[d + q] = g[o + q] if (cf[o + q] == kk) & (m[o + q] != zero) \
                                else zero
                        else:
                            y[d + q] = g[o + q] if cf[o + q] == kk else zero


@kernel
def _scatter_2x2(gy, choice, c0, c1, out):
    """The 2x2 scatter of channels c0..c1 (:func:`_scatter_2x2_rows`)."""
    _scatter_2x2_rows(gy, gy, choice, c0, c1, out, False)


@kernel
def _scatter_2x2_masked(gy, mask, choice, c0, c1, out):
    """The 2x2 scatter of channels c0..c1 of ``gy`` where ``mask`` ≠ 0
    (:func:`_scatter_2x2_rows`)."""
    _scatter_2x2_rows(gy, mask, choice, c0, c1, out, True)


def scatter_2x2_plan(gy, choice, g, mask=None):
    """The scatter of :func:`max_pool_scatter` for 2x2 windows with stride 2 that tile the
    input exactly, planned: ``(calls, dx)`` — ``calls(c0, c1)`` the kernel calls that write
    channels c0..c1 of dx (every number of them), ``dx`` the NCHW view of the memory they write
    (allocated here, filled once the calls have run; part of it where ceil_mode padded the
    input) — or None for other windows. A
    convolution's weight gradient runs each thread's calls for the channels it then reads
    (``..conv.conv2d_grads``)."""
    operands = pooled_2x2(gy, choice, g, mask)
    if operands is None:
        return None
    g2, m2, choice = operands
    out = buffers.empty((g.C, g.Hp, g.Wp, g.N), gy.dtype)
    dx = from_chwn(g.crop(out))             # (a view of part of out with ceil_mode's padding)
    if m2 is not None:
        return (lambda a, b: [(_scatter_2x2_masked, g2, m2, choice, a, b, out)]), dx
    return (lambda a, b: [(_scatter_2x2, g2, choice, a, b, out)]), dx


def pooled_2x2(gy, choice, g, mask=None):
    """The operands of the 2x2 scatter — ``(gy, mask or None, choice)``, batch-innermost
    (C, OH, OW, N) and C-contiguous — where the windows are 2x2 with stride 2 and tile the
    input exactly (every element of it in one window), else None. A convolution's weight
    gradient takes them to make its dy a few rows at a time
    (``.conv_weight.conv2d_weight_grad_pooled``)."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    if (g.kh, g.kw, sh, sw, dh, dw) != (2, 2, 2, 2, 1, 1) or g.padding != (0, 0) or \
            (2 * g.OH, 2 * g.OW) != (g.Hp, g.Wp):
        return None
    m2 = None if mask is None else np.ascontiguousarray(mask.transpose(1, 2, 3, 0))
    return np.ascontiguousarray(gy.transpose(1, 2, 3, 0)), m2, np.ascontiguousarray(choice)


def max_pool_scatter(gy, choice, g, mask=None):
    """dx[the chosen element of window k] += dy[k]: the adjoint of max pooling with fixed
    choices. ``mask`` (of dy's shape and dtype, or None): dy counts only where mask ≠ 0 (relu's
    backward: in the 2x2 kernel's pass, else applied first)."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    shape = (g.C, g.Hp, g.Wp, g.N)
    plan = scatter_2x2_plan(gy, choice, g, mask)
    if plan is not None:
        calls, dx = plan
        parallel_calls(g.C, calls, dx.size)
        return dx
    choice = np.ascontiguousarray(choice)
    if mask is not None:
        gy = keep_where(mask, gy)
    g2 = np.ascontiguousarray(gy.transpose(1, 2, 3, 0))
    out = buffers.zeros(shape, gy.dtype)

    def part(a, b):
        _scatter(g2, choice, g.kh, g.kw, sh, sw, dh, dw, a, b, out)
    parallel_for(g.C, part, out.size)
    return from_chwn(g.crop(out))
