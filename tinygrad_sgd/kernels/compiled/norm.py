"""Compiled layer norm: the normalised dims are the trailing dims of a C-contiguous array, so x
is a (rows, n) matrix and each row is standardised on its own, the row staying in cache:

    forward   μ = Σx/n,  σ² = Σ(x − μ)²/n (two passes),  r = 1/√(σ² + ε),
              x̂ = (x − μ)·r,  z = x̂·γ + β
    backward  a = Σĝ/n,  c = Σĝ·x̂/n  (ĝ = g·γ),   dL/dx = r·(ĝ − a − x̂·c);
              dL/dγ = Σ_rows g·x̂,  dL/dβ = Σ_rows g   (in the pass that sums a and c)

Same inputs and outputs as the NumPy twins in :mod:`tinygrad_sgd.kernels.norm`. The sums, μ, σ²,
r and every element's arithmetic are float64 (then rounded once to the array's dtype): a
float32 row far from 0 (x + 10⁴) keeps its variance, where float32 sums would lose it. Rows are
split over threads with :func:`..threads.parallel_for`; γ's and β's gradients are summed per
chunk (float64, no (rows × n) temporary), then the chunks are added.
"""
import math

import numpy as np

from . import kernel
from .. import buffers
from ..threads import parallel_for

__all__ = ["layer_norm_forward", "layer_norm_backward"]


# Rows go a block at a time: first the statistics of the block's rows, then their outputs. Row
# by row, each row's output waited for its mean and 1/√(σ² + ε) (a chain of sums, a division and
# a square root) and the rows could not overlap: 1.5x slower at (2048, 128).
BLOCK = 16


@kernel
def _forward_rows(x, w, b, eps, keep, out, xhat, mean, var, rstd):
    """Rows of x (rows, n) standardised: ``out`` = x̂·γ + β (γ and β of n numbers: pass ones
    and zeros for none), x̂ itself into ``xhat`` if ``keep``; μ, σ², r per row into ``mean``,
    ``var``, ``rstd``."""
    rows, n = x.shape
    ms = np.empty(BLOCK)              # μ and r of the block's rows, in float64
    rss = np.empty(BLOCK)
    for r0 in range(0, rows, BLOCK):
        r1 = min(r0 + BLOCK, rows)
        for r in range(r0, r1):
            s = 0.0
            for j in range(n):
                s += x[r, j]
            m = s / n
            q = 0.0
            for j in range(n):
                c = x[r, j] - m
                q += c * c
            v = q / n
            root = np.sqrt(v + eps)
            rs = 1.0 / root if root != 0.0 else np.inf
            mean[r], var[r], rstd[r] = m, v, rs
            ms[r - r0], rss[r - r0] = m, rs
        for r in range(r0, r1):
            m, rs = ms[r - r0], rss[r - r0]
            for j in range(n):
                h = (x[r, j] - m) * rs
                if keep:
                    xhat[r, j] = h
                out[r, j] = h * w[j] + b[j]


@kernel
def _backward_rows(g, xhat, rstd, w, need_x, need_wb, gx, gw, gb):
    """dL/dx of rows into ``gx`` (if ``need_x``; γ of n numbers, ones for none); Σ g·x̂ and
    Σ g over the rows added to the float64 accumulators ``gw`` and ``gb`` (if ``need_wb``)."""
    rows, n = g.shape
    means = np.empty((BLOCK, 2))      # mean(ĝ), mean(ĝ·x̂) of the block's rows
    for r0 in range(0, rows, BLOCK):
        r1 = min(r0 + BLOCK, rows)
        # two rows (r, q) a pass: γ's and β's sums are read and written once per pair (1.1x);
        # an odd last row is its own pair, added once
        for r in range(r0, r1, 2):
            q = min(r + 1, r1 - 1)
            two = q != r
            a, c, a2, c2 = 0.0, 0.0, 0.0, 0.0
            for j in range(n):
                g1, h1 = np.float64(g[r, j]), np.float64(xhat[r, j])
                g2, h2 = np.float64(g[q, j]), np.float64(xhat[q, j])
                if need_wb:
                    gw[j] += g1 * h1 + (g2 * h2 if two else 0.0)
                    gb[j] += g1 + (g2 if two else 0.0)
                u1, u2 = g1 * w[j], g2 * w[j]
                a += u1
                c += u1 * h1
                a2 += u2
                c2 += u2 * h2
            means[r - r0, 0], means[r - r0, 1] = a / n, c / n
            means[q - r0, 0], means[q - r0, 1] = a2 / n, c2 / n
        if not need_x:
            continue
        for r in range(r0, r1):
            a, c = means[r - r0, 0], means[r - r0, 1]
            rs = np.float64(rstd[r])
            for j in range(n):
                gx[r, j] = (np.float64(g[r, j]) * w[j] - a - xhat[r, j] * c) * rs


def _rows(d, k):
    """``d`` (C-contiguous) as a (rows, n) matrix, n the size of its last ``k`` dims."""
    n = math.prod(d.shape[d.ndim - k:])
    return d.reshape(-1, n), n


def layer_norm_forward(d, k, eps, weight, bias, keep):
    """As :func:`tinygrad_sgd.kernels.norm.normalize_forward` with ``dims`` the last ``k`` dims
    of a C-contiguous float array ``d`` (γ, β of those dims' shape, or None)."""
    x, n = _rows(d, k)
    rows = x.shape[0]
    dt = d.dtype
    out = buffers.empty(x.shape, dt)
    xhat = buffers.empty(x.shape, dt) if keep else out[:0]     # (an empty stand-in if not)
    mean, var, rstd = (np.empty(rows, dt) for _ in range(3))
    w = np.ones(n, dt) if weight is None else np.ascontiguousarray(weight).reshape(n)
    b = np.zeros(n, dt) if bias is None else np.ascontiguousarray(bias).reshape(n)

    def part(r0, r1):
        _forward_rows(x[r0:r1], w, b, eps, keep, out[r0:r1], xhat[r0:r1], mean[r0:r1],
                      var[r0:r1], rstd[r0:r1])
    parallel_for(rows, part, work=3 * x.size)
    stat_shape = d.shape[:d.ndim - k] + (1,) * k
    return (out.reshape(d.shape), xhat.reshape(d.shape) if keep else None,
            rstd.reshape(stat_shape), mean.reshape(stat_shape), var.reshape(stat_shape))


def layer_norm_backward(g, xhat, rstd, weight, k, need_x=True, need_w=True, need_b=True):
    """As :func:`tinygrad_sgd.kernels.norm.normalize_backward` with ``dims`` the last ``k``
    dims (β's gradient summed to their shape)."""
    xh, n = _rows(xhat, k)
    gr = np.ascontiguousarray(g).reshape(xh.shape)
    rows = xh.shape[0]
    dt = xhat.dtype
    r = np.ascontiguousarray(rstd).reshape(rows)
    w = np.ones(n, dt) if weight is None else np.ascontiguousarray(weight).reshape(n)
    gx = buffers.empty(xh.shape, dt) if need_x else xh[:0]
    need_wb = need_w or need_b
    partials = {}                  # first row of a chunk -> its (Σ g·x̂, Σ g), float64

    def part(r0, r1):
        acc = np.zeros((2, n if need_wb else 0))
        _backward_rows(gr[r0:r1], xh[r0:r1], r[r0:r1], w, need_x, need_wb, gx[r0:r1], acc[0],
                       acc[1])
        partials[r0] = acc
    parallel_for(rows, part, work=3 * xh.size)
    total = sum(partials[r0] for r0 in sorted(partials))     # in row order: deterministic
    shape = xhat.shape[xhat.ndim - k:]
    gw = total[0].astype(dt).reshape(shape) if need_w else None
    gb = total[1].astype(dt).reshape(shape) if need_b else None
    return (gx.reshape(g.shape) if need_x else None), gw, gb
