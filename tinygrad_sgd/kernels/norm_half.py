"""Layer norm of float16 arrays as torch's CPU kernel computes it: in float32 ("opmath"),
rounded to float16 where torch's kernel rounds — the saved μ and r = 1/√(σ² + ε) are float16
tensors (the backward reads them rounded), and dL/dγ, dL/dβ accumulate row by row in a
float16 buffer per thread (the rows split into get_num_threads() blocks, the blocks' buffers
summed in float32 at the end). Batch norm in training and instance norm (torch's batch norm
of the (1, N·C, ...) view) likewise: their float32 sums in torch's vector-lane order
(:func:`_plane_sum`), μ and r saved as float16. Group norm of float16 is computed in float32
and rounded once by :mod:`.norm`.

torch's sums of a row (its Welford moments, its dot products) run in a vectorized float32
order that depends on the CPU's vector width; here they are computed in float64 and rounded to
float32 once, so that a float32 intermediate may differ from torch's in its last bits, which
shows in the float16 result only rarely (by one float16 ulp).

    layer_norm_forward    z (float16), μ and r (float16, as torch saves them)
    layer_norm_backward   dL/dx, dL/dγ, dL/dβ in torch's steps
    batch_norm_forward    z, μ and r (float16), and the float32 statistics for the running ones
    batch_norm_backward   dL/dx, dL/dγ, dL/dβ in torch's steps
    running_update        a float16 running statistic's update
"""
import numpy as np

from .threads import get_num_threads
from .vecmath import fma32

__all__ = ["layer_norm_forward", "layer_norm_backward", "batch_norm_forward",
           "batch_norm_backward", "running_update"]

F, H = np.float32, np.float16


def _h(a):
    """a rounded to float16 and back to float32 (what torch's float16 buffers hold)."""
    return np.asarray(a).astype(H).astype(F)


def _sum(a, dims):
    """Σ over ``dims`` (keepdim), float64 then float32 once (torch: a float32 sum)."""
    return np.sum(a, axis=dims, keepdims=True, dtype=np.float64).astype(F)


def _moments(x, dims):
    """(μ, biased σ²) over ``dims``, float32, from float64."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=dims, keepdims=True)
    var = np.square(x64 - mean).mean(axis=dims, keepdims=True)
    return mean.astype(F), var.astype(F)


def layer_norm_forward(d, dims, eps, weight=None, bias=None):
    """(z, μ, r) for a float16 array: z = (x·r + (−r·μ))·γ + β in float32 (multiply-adds
    fused), rounded once; μ and r as torch saves them, float16 (dims kept as 1s)."""
    x = d.astype(F)
    mean, var = _moments(x, dims)
    rstd = F(1) / np.sqrt(np.maximum(var, F(0)) + F(eps))
    y = fma32(x, rstd, -rstd * mean)
    if weight is not None or bias is not None:
        y = fma32(y, F(1) if weight is None else weight.astype(F),
                  F(0) if bias is None else bias.astype(F))
    return y.astype(H), mean.astype(H), rstd.astype(H)


def layer_norm_backward(g, d, mean, rstd, weight, dims, need_x=True, need_w=True,
                        need_b=True):
    """torch's LayerNormBackward for float16: with a = r, b = (Σg·γ·μ − Σg·x·γ)·a³/N and
    c = −b·μ − Σg·γ·a/N (float32, μ and r the saved float16 ones), dL/dx = a·g·γ + b·x + c;
    dL/dγ = Σ g·(a·x − a·μ) and dL/dβ = Σ g over the rows, accumulated in float16 buffers."""
    k = len(dims)
    rows = d.shape[d.ndim - k:]
    n = int(np.prod(rows))
    x, gf = d.reshape(-1, n).astype(F), g.reshape(-1, n).astype(F)
    a, mu = rstd.reshape(-1, 1).astype(F), mean.reshape(-1, 1).astype(F)
    w = None if weight is None else weight.reshape(1, n).astype(F)
    gx = gw = gb = None
    if need_x:
        gw_ = gf if w is None else gf * w
        ds = _sum(gw_ * x, (1,))
        db = _sum(gw_, (1,))
        scale = F(1) / F(n)
        b = (db * mu - ds) * a * a * a * scale
        c = -b * mu - db * a * scale
        gx = (fma32(a * gf, F(1) if w is None else w, b * x) + c).astype(H).reshape(d.shape)
    if need_w or need_b:
        xhat = fma32(np.broadcast_to(a, x.shape), x, np.broadcast_to(-a * mu, x.shape))
        gw, gb = _row_buffers(gf, xhat if need_w else None, need_b)
        gw = None if gw is None else gw.reshape(rows)
        gb = None if gb is None else gb.reshape(rows)
    return gx, gw, gb


def _row_buffers(g, xhat, need_b):
    """Σ over rows of g·x̂ and of g as torch's layer norm backward sums them: the rows split
    into get_num_threads() contiguous blocks, each accumulated row by row in a float16 buffer
    (buffer + g·x̂ rounded to float16 each time), the blocks' buffers summed in float32."""
    m, n = g.shape
    threads = max(1, min(get_num_threads(), m))
    chunk = -(-m // threads)
    blocks = -(-m // chunk)
    pad = blocks * chunk - m
    if pad:
        g = np.concatenate([g, np.zeros((pad, n), F)])
        xhat = None if xhat is None else np.concatenate([xhat, np.zeros((pad, n), F)])
    g = g.reshape(blocks, chunk, n)
    xhat = None if xhat is None else xhat.reshape(blocks, chunk, n)
    bw = np.zeros((blocks, n), F)
    bb = np.zeros((blocks, n), F)
    for i in range(chunk):                      # a loop over the rows of a block
        if xhat is not None:
            bw = _h(fma32(g[:, i], xhat[:, i], bw))
        if need_b:
            bb = _h(bb + g[:, i])
    total = (lambda b: np.cumsum(b, axis=0, dtype=F)[-1].astype(H))
    return (total(bw) if xhat is not None else None), (total(bb) if need_b else None)


# ------------------------------------------------------------------ batch and instance norm


def _plane_sum(a, b=None):
    """Σ a (or Σ a·b, each product a fused multiply-add) over the planes of (B, C, S) float32
    arrays, per channel, in the order of torch's float16 batch norm kernels
    (``batch_norm_cpu_collect_stats_contiguous_internal`` and its backward): for each sample,
    each run of 16 values adds its two halves of 8 into 8 float32 lanes, the values past the
    last run go one by one into a scalar, and the lanes are folded one by one (its
    ``vec_reduce_all(..., size)``) and added to the scalar last. (8 lanes on every CPU: these
    kernels are registered without an AVX-512 build, so an AVX-512 CPU runs their AVX2 one —
    found by comparing with torch, where 16 lanes left rare float32 sums an ulp off.)"""
    B, C, S = a.shape
    w = 8
    full = S - S % (2 * w)

    def split(v):
        head = v[:, :, :full].reshape(B, C, -1, w).transpose(1, 0, 2, 3).reshape(C, -1, w)
        return head, v[:, :, full:].transpose(1, 0, 2).reshape(C, -1)

    (ha, ta), (hb, tb) = split(a), split(a if b is None else b)
    lanes, tail = np.zeros((C, w), F), np.zeros(C, F)
    if b is None:                # float32 additions in order: a running (cumulative) sum
        if ha.shape[1]:
            lanes = np.cumsum(ha, axis=1, dtype=F)[:, -1]
        if ta.shape[1]:
            tail = np.cumsum(ta, axis=1, dtype=F)[:, -1]
    else:
        for i in range(ha.shape[1]):            # a loop over the runs, not over elements
            lanes = fma32(ha[:, i], hb[:, i], lanes)
        for i in range(ta.shape[1]):
            tail = fma32(ta[:, i], tb[:, i], tail)
    return tail + np.cumsum(lanes, axis=1, dtype=F)[:, -1]


def batch_norm_forward(x3, eps, weight=None, bias=None):
    """torch's training-mode batch norm of a float16 (B, C, S) array (instance norm: B = 1,
    the samples' channels as C): μ = Σx/n and Σ(x − μ)² in float32 (:func:`_plane_sum`),
    saved as torch saves them — μ and r = 1/√(σ² + ε) rounded to float16 (r from float64; 0
    for a channel of one value when ε = 0, as torch's) — and z = x·α + β in float32 (one
    fused multiply-add, rounded once), α = r·γ, β = b − μ·α from the rounded μ and r.
    Returns (z, μ, r, mean32, var_sum32): the last two, unrounded, feed the running
    statistics (:func:`running_update`)."""
    x = x3.astype(F)
    B, C, S = x.shape
    n = B * S
    mean = _plane_sum(x) / F(n)
    centred = x - mean[None, :, None]
    var_sum = _plane_sum(centred, centred)
    with np.errstate(divide="ignore"):
        rstd = (1.0 / np.sqrt((var_sum / F(n)).astype(np.float64) + eps)).astype(F)
    if eps == 0:                # (torch's rule: a channel of one value with ε = 0 has r = 0)
        rstd[var_sum == 0] = 0
    mean_h, rstd_h = mean.astype(H), rstd.astype(H)
    alpha = rstd_h.astype(F) * (F(1) if weight is None else weight.astype(F))
    beta = (F(0) if bias is None else bias.astype(F)) - mean_h.astype(F) * alpha
    z = fma32(x, alpha[None, :, None], beta[None, :, None]).astype(H)
    return z, mean_h, rstd_h, mean, var_sum


def running_update(running, batch, momentum):
    """A float16 running statistic as torch updates it: m·batch + (1 − m)·running in float32
    (m the momentum as a float32), rounded once."""
    m = F(momentum)
    return (m * batch + (F(1) - m) * running.astype(F)).astype(H)


def batch_norm_backward(g3, x3, mean_h, rstd_h, weight, need_x=True, need_w=True,
                        need_b=True):
    """torch's float16 batch norm backward on (B, C, S) arrays, in float32 from the saved
    float16 μ and r: Σg and the dot product Σ(x − μ)·g (:func:`_plane_sum`), k = dot·r·r/n,
    dL/dx = ((g − Σg/n) − (x − μ)·k)·r·γ (the product subtracted in one fused step, as its
    compiled loop does), dL/dγ = dot·r, dL/dβ = Σg, each rounded once.

    (The fused step is torch's: subtracting the rounded product instead left rare elements
    an ulp off.)"""
    x, g = x3.astype(F), g3.astype(F)
    B, C, S = x.shape
    n = B * S
    mu, r = mean_h.astype(F), rstd_h.astype(F)
    total = _plane_sum(g)
    centred = x - mu[None, :, None]
    dot = _plane_sum(centred, g)
    gx = gw = gb = None
    if need_x:
        k = dot * r * r / F(n)
        w = F(1) if weight is None else weight.astype(F)[None, :, None]
        gx = (fma32(-centred, k[None, :, None], g - (total / F(n))[None, :, None])
              * r[None, :, None] * w).astype(H)
    if need_w:
        gw = (dot * r).astype(H)
    if need_b:
        gb = total.astype(H)
    return gx, gw, gb
