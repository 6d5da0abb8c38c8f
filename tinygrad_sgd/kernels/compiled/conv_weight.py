"""Compiled direct convolution, the weight gradient (see :mod:`.conv` for the forward and the
input gradient, and the layout):

    conv2d_weight_grad_direct  dw[f, c, i, j] = Σ dy[f, oh, ow, n] · x[c, oh+i, ow+j, n]

as dot products of dy's rows (OW·N contiguous numbers) with the shifted runs of the padded
input, five taps of a kernel row and several filters at once, the sums kept in registers.
"""
import numpy as np

from . import kernel, inline, U, aligned_empty
from .elementwise import _row_sums, run_sum
from ..layout import to_chwn, padded_chwn
from ..threads import parallel_calls, get_num_threads

__all__ = ["conv2d_weight_grad_direct", "conv2d_weight_grad_pooled"]


def _has_avx512():
    """True when LLVM compiles for a CPU with AVX-512 (32 vector registers, not 16)."""
    import llvmlite.binding as llvm
    return bool(llvm.get_host_cpu_features().get("avx512f", False))


# The weight gradient's dot products keep one sum per (filter, tap) in a register for the whole
# run: five filters × five taps are 25 sums, which fit AVX-512's 32 registers (measured with the
# forward's :data:`.conv.FILTERS_PER_PASS`) but not AVX2's 16 — there LLVM spilled them to
# memory, and five filters a pass ran at 37–39 GFLOP/s where two (10 sums, 5 inputs, 1
# gradient: 16 registers) ran at 78–91 (the tutorial's conv1 and conv2 at batch 64, 1 thread,
# AMD EPYC Zen 3 with AVX2; three a pass 47–66, four 44–51). The forward and the input gradient
# keep their sums in memory rows and were the same (forward) or faster (input gradient, 72
# against 56) with five filters there too. (numba caches machine code per CPU, so the value
# baked into a cached kernel is this CPU's.)
WGRAD_FILTERS = 5 if _has_avx512() else 2


@inline
def _dot5(g, ga, x, xa, st, m, zero):
    """Σ_q g[ga + q] · x[xa + k·st + q] for the five k < 5."""
    a0 = a1 = a2 = a3 = a4 = zero
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        v = g[ga + q]
        a0 += v * x[xa + q]
        a1 += v * x[x1 + q]
        a2 += v * x[x2 + q]
        a3 += v * x[x3 + q]
        a4 += v * x[x4 + q]
    return a0, a1, a2, a3, a4


@inline
def _dot5_two(g, ga, gs, x, xa, st, m, zero):
    """:func:`_dot5` for the two rows g[ga + r·gs + q] at once: each load of x serves two."""
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    gb = ga + gs
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        u = g[ga + q]
        a0, a1, a2, a3, a4 = a0 + u * v0, a1 + u * v1, a2 + u * v2, a3 + u * v3, a4 + u * v4
        u = g[gb + q]
        b0, b1, b2, b3, b4 = b0 + u * v0, b1 + u * v1, b2 + u * v2, b3 + u * v3, b4 + u * v4
    return (a0, a1, a2, a3, a4), (b0, b1, b2, b3, b4)


@inline
def _dot5_four(g, ga, gs, x, xa, st, m, zero):
    """:func:`_dot5` for the four rows g[ga + r·gs + q] at once: each load of x serves four."""
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    c0 = c1 = c2 = c3 = c4 = d0 = d1 = d2 = d3 = d4 = zero
    gb, gc, gd = ga + gs, ga + U(2) * gs, ga + U(3) * gs
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        u = g[ga + q]
        a0, a1, a2, a3, a4 = a0 + u * v0, a1 + u * v1, a2 + u * v2, a3 + u * v3, a4 + u * v4
        u = g[gb + q]
        b0, b1, b2, b3, b4 = b0 + u * v0, b1 + u * v1, b2 + u * v2, b3 + u * v3, b4 + u * v4
        u = g[gc + q]
        c0, c1, c2, c3, c4 = c0 + u * v0, c1 + u * v1, c2 + u * v2, c3 + u * v3, c4 + u * v4
        u = g[gd + q]
        d0, d1, d2, d3, d4 = d0 + u * v0, d1 + u * v1, d2 + u * v2, d3 + u * v3, d4 + u * v4
    return (a0, a1, a2, a3, a4), (b0, b1, b2, b3, b4), (c0, c1, c2, c3, c4), \
        (d0, d1, d2, d3, d4)


@inline
def _dot5_five(g, ga, gs, x, xa, st, m, zero):
    """:func:`_dot5` for the five rows g[ga + r·gs + q] at once: each load of x serves five."""
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    c0 = c1 = c2 = c3 = c4 = d0 = d1 = d2 = d3 = d4 = zero
    e0 = e1 = e2 = e3 = e4 = zero
    gb, gc, gd, ge = ga + gs, ga + U(2) * gs, ga + U(3) * gs, ga + U(4) * gs
    x1, x2, x3, x4 = xa + st, xa + U(2) * st, xa + U(3) * st, xa + U(4) * st
    for q in range(m):
        v0, v1, v2, v3, v4 = x[xa + q], x[x1 + q], x[x2 + q], x[x3 + q], x[x4 + q]
        u = g[ga + q]
        a0, a1, a2, a3, a4 = a0 + u * v0, a1 + u * v1, a2 + u * v2, a3 + u * v3, a4 + u * v4
        u = g[gb + q]
        b0, b1, b2, b3, b4 = b0 + u * v0, b1 + u * v1, b2 + u * v2, b3 + u * v3, b4 + u * v4
        u = g[gc + q]
        c0, c1, c2, c3, c4 = c0 + u * v0, c1 + u * v1, c2 + u * v2, c3 + u * v3, c4 + u * v4
        u = g[gd + q]
        d0, d1, d2, d3, d4 = d0 + u * v0, d1 + u * v1, d2 + u * v2, d3 + u * v3, d4 + u * v4
        u = g[ge + q]
        e0, e1, e2, e3, e4 = e0 + u * v0, e1 + u * v1, e2 + u * v2, e3 + u * v3, e4 + u * v4
    return (a0, a1, a2, a3, a4), (b0, b1, b2, b3, b4), (c0, c1, c2, c3, c4), \
        (d0, d1, d2, d3, d4), (e0, e1, e2, e3, e4)


@inline
def _add_sums(out, oa, sums):
    a0, a1, a2, a3, a4 = sums
    out[oa] += a0
    out[oa + U(1)] += a1
    out[oa + U(2)] += a2
    out[oa + U(3)] += a3
    out[oa + U(4)] += a4


@inline
def _weight_grad_row(g, ga, gs, k, x, xa, st, m, o, oa, ws, kw, zero):
    """For the k ≤ 5 gradient rows g[ga + r·gs + q] (q < m) and the input run from xa, the
    dot products with each of the kw taps (the run shifted by j·st) added into
    o[oa + r·ws + j]: five taps and k rows at once (k = 5, 4, 2 or one by one), the taps left
    over one by one."""
    j = 0
    while j + 5 <= kw:
        xj, oj = xa + U(j) * st, oa + U(j)
        if k == 5:
            sa, sb, sc, sd, se = _dot5_five(g, ga, gs, x, xj, st, m, zero)
            _add_sums(o, oj, sa)
            _add_sums(o, oj + ws, sb)
            _add_sums(o, oj + U(2) * ws, sc)
            _add_sums(o, oj + U(3) * ws, sd)
            _add_sums(o, oj + U(4) * ws, se)
        elif k == 4:
            sa, sb, sc, sd = _dot5_four(g, ga, gs, x, xj, st, m, zero)
            _add_sums(o, oj, sa)
            _add_sums(o, oj + ws, sb)
            _add_sums(o, oj + U(2) * ws, sc)
            _add_sums(o, oj + U(3) * ws, sd)
        elif k == 2:
            sa, sb = _dot5_two(g, ga, gs, x, xj, st, m, zero)
            _add_sums(o, oj, sa)
            _add_sums(o, oj + ws, sb)
        else:
            for r in range(k):
                _add_sums(o, oj + U(r) * ws, _dot5(g, ga + U(r) * gs, x, xj, st, m, zero))
        j += 5
    for j in range(j, kw):
        xj = xa + U(j) * st
        for r in range(k):
            gr, acc = ga + U(r) * gs, zero
            for q in range(m):
                acc += g[gr + q] * x[xj + q]
            o[oa + U(r) * ws + U(j)] += acc


@kernel
def _weight_grad_rows(xp, gy, sh, dh, dw, f0, f1, c0, c1, i0, i1, per_pass, out):
    """out[f, c, i, j] = Σ_{oh, ow, n} gy[f, oh, ow, n] · xp[c, oh·sh+i·dh, ow+j·dw, n] for
    filters f0..f1, channels c0..c1 and kernel rows i0..i1, a width stride of 1: per output
    row, dot products of its OW·N gradients with the shifted input runs, five taps of a
    kernel row and ``per_pass`` (:data:`WGRAD_FILTERS`) filters at once (each load of the
    input serves five filters — two without AVX-512 —, each load of a gradient five taps;
    filters left over four, two or one at a time: :func:`_weight_grad_row`)."""
    F, OH, OW, N = gy.shape
    C, kh, kw = out.shape[1], out.shape[2], out.shape[3]
    H, L, X = xp.shape[1], OW * N, xp.shape[2] * N
    x, g, o = xp.reshape(xp.size), gy.reshape(gy.size), out.reshape(out.size)
    m, st, gs, ws = U(L), U(dw * N), U(OH * L), U(C * kh * kw)   # next tap, filter
    zero = out.dtype.type(0)
    for f in range(f0, f1, per_pass):
        k = min(per_pass, f1 - f)
        for oh in range(OH):
            ga = U((f * OH + oh) * L)
            for c in range(c0, c1):
                for i in range(i0, i1):
                    _weight_grad_row(g, ga, gs, k, x, U((c * H + oh * sh + i * dh) * X), st, m,
                                     o, U(((f * C + c) * kh + i) * kw), ws, kw, zero)


@kernel
def _weight_grad_pooled(xp, gp, mask, choice, sh, dh, dw, f0, f1, per_pass, with_mask, out,
                        bias):
    """:func:`_weight_grad_rows` (all channels and kernel rows) of dy = 2x2 max pooling's
    scatter of its gradient ``gp`` (F, PH, PW, N) to the elements ``choice`` picked (where
    ``mask`` ≠ 0 too, ``with_mask``: relu's backward) — dy made two rows at a time, the two
    output rows of a row of windows, into scratch rows that stay in the core's cache, and
    used there: the whole dy never goes out to memory (for the tutorial's conv1 at batch 64 a
    1.4 MB array written and read twice). The same numbers as scattering dy whole first:
    each weight gets its rows' dot products in the same order; ``bias`` (float64, length F or
    0 for none) gets each filter's dy summed as :func:`.elementwise._row_sums` sums it, a run
    of OW·N a row."""
    F, PH, PW, N = gp.shape
    C, kh, kw = out.shape[1], out.shape[2], out.shape[3]
    H, L, X = xp.shape[1], 2 * PW * N, xp.shape[2] * N
    x, o = xp.reshape(xp.size), out.reshape(out.size)
    m, st, gs, ws = U(L), U(dw * N), U(2 * L), U(C * kh * kw)
    zero = out.dtype.type(0)
    s = aligned_empty(per_pass * 2 * L, out.dtype)    # (k filters, 2 rows, OW·N)
    for f in range(f0, f1, per_pass):
        k = min(per_pass, f1 - f)
        for ph in range(PH):
            if with_mask:
                _scatter_window_rows(gp, mask, choice, f, k, ph, s, True)
            else:
                _scatter_window_rows(gp, mask, choice, f, k, ph, s, False)
            if bias.shape[0] > 0:
                for r in range(k):
                    bias[f + r] += run_sum(s, U(r * 2 * L), m)
                    bias[f + r] += run_sum(s, U(r * 2 * L) + m, m)
            for t in range(2):
                oh = 2 * ph + t
                for c in range(C):
                    for i in range(kh):
                        _weight_grad_row(s, U(t * L), gs, k, x,
                                         U((c * H + oh * sh + i * dh) * X), st, m, o,
                                         U(((f * C + c) * kh + i) * kw), ws, kw, zero)


@inline
def _scatter_window_rows(gp, mask, choice, f, k, ph, s, with_mask):
    """Rows 2·ph and 2·ph+1 of filters f..f+k of 2x2 max pooling's scatter into s (k filters ×
    2 rows × OW·N): every place written, the gradient where its window chose it (and ``mask``
    ≠ 0, ``with_mask``: a constant where this is inlined), else 0."""
    F, PH, PW, N = gp.shape
    L, n = U(2 * PW * N), U(N)
    gf, cf, mf = gp.reshape(gp.size), choice.reshape(choice.size), mask.reshape(mask.size)
    zero = s.dtype.type(0)
    for r in range(k):
        for pw in range(PW):
            src = U((((f + r) * PH + ph) * PW + pw) * N)
            d0 = U(r) * U(2) * L + U(2 * pw * N)
            for e in range(4):                # element e of the window: (e // 2, e % 2)
                d = d0 + (n if e % 2 else U(0)) + (L if e >= 2 else U(0))
                ee = np.int8(e)
                for q in range(n):
                    if with_mask:
                        s[d + q] = gf[src + q] if (cf[src + q] == ee) & (mf[src + q] != zero) \
                            else zero
                    else:
                        s[d + q] = gf[src + q] if cf[src + q] == ee else zero


def conv2d_weight_grad_direct(x, gy, w_shape, g, xp=None, planned=False, bias_rows=None,
                              bias_run=None):
    """dw = the weight gradient of a groups-1 convolution with a width stride of 1, computed
    directly (no column matrix); threads take groups of :data:`WGRAD_FILTERS` filters (with
    fewer groups than threads, ranges of channels; for one channel, (group, kernel row)
    pairs), so each number is summed in the same order on any
    number of threads. ``xp``: :func:`..layout.padded_chwn` of x (the forward's, kept) or
    None. ``planned``: the arrays made ready but nothing computed — ``(calls, n, result,
    reads)``, ``calls(a, b)`` the compiled-kernel calls (:func:`..threads.run_calls`) that
    compute the parts a..b of ``range(n)``, for a caller that runs them beside other work
    (``..conv.conv2d_grads``); ``reads(a, b)`` the channels ``(c0, c1)`` of dy those parts read
    and no other part does, or None when they share some. ``bias_rows``: None, or dy's values as the F rows
    that ``..reduce.sum`` sums for the bias gradient (``..reduce.summed_rows``): their float64
    sums are then made too, each filter's by the thread that reads its dy for the weight
    gradient, while that is in its core's cache (:func:`.elementwise.row_sums`'s kernel, by
    runs of ``bias_run`` — :func:`..reduce.summed_run` — numbers: the same numbers), and
    returned after dw (``(dw, sums)``; planned, ``result`` gives both)."""
    xp = padded_chwn(x, g) if xp is None else xp
    g2 = to_chwn(gy)
    bias = None if bias_rows is None else np.empty(w_shape[0], np.float64)
    run = None if bias_rows is None else max(1, bias_rows.shape[1] if bias_run is None else
                                              bias_run)
    dtype = np.result_type(x, gy)
    sh, (dh, dw) = g.stride[0], g.dilation
    out = np.zeros(w_shape, dtype)
    F, C = w_shape[0], w_shape[1]
    work = g2.size * C * g.kh * g.kw
    kh = g.kh
    groups = -(-F // WGRAD_FILTERS)
    if C > 1 and (groups >= get_num_threads() or planned):
        # threads take groups of filters: each reads only its filters' dy, which the threads
        # that wrote it (pooling's backward, split by channel) left in their own caches — by
        # input channels each read all of dy: the tutorial's batch-64 step on two threads
        # measured 1.5-2.5% slower that way
        n = groups

        def reads(a, b):
            return a * WGRAD_FILTERS, min(F, b * WGRAD_FILTERS)

        def calls(a, b):
            f0, f1 = a * WGRAD_FILTERS, min(F, b * WGRAD_FILTERS)
            return [(_weight_grad_rows, xp, g2, sh, dh, dw, f0, f1, 0, C, 0, kh, WGRAD_FILTERS,
                     out)] + ([] if bias is None else [(_row_sums, bias_rows, run, f0, f1, bias)])
    elif C > 1:
        n = C

        def reads(a, b):          # (every part reads every filter's dy)
            return None

        def calls(a, b):
            return [(_weight_grad_rows, xp, g2, sh, dh, dw, 0, F, a, b, 0, kh, WGRAD_FILTERS,
                     out)] + ([] if bias is None or a != 0 else [(_row_sums, bias_rows, run, 0, F,
                                                                  bias)])
    else:
        n = groups * kh

        def reads(a, b):          # whole groups only: a group's kernel rows share its dy
            if a % kh or b % kh:
                return None
            return a // kh * WGRAD_FILTERS, min(F, b // kh * WGRAD_FILTERS)

        def calls(a, b):          # pairs a..b of (group of filters, kernel row)
            todo = []
            for group in range(a // kh, -(-b // kh)):
                i0, i1 = max(a - group * kh, 0), min(b - group * kh, kh)
                f0 = group * WGRAD_FILTERS
                f1 = min(F, f0 + WGRAD_FILTERS)
                todo.append((_weight_grad_rows, xp, g2, sh, dh, dw, f0, f1, 0, 1, i0, i1,
                             WGRAD_FILTERS, out))
                if bias is not None and i0 == 0:
                    todo.append((_row_sums, bias_rows, run, f0, f1, bias))
            return todo
    if planned:
        return calls, n, (out if bias is None else (out, bias)), reads
    parallel_calls(n, calls, work)
    return out if bias is None else (out, bias)


def conv2d_weight_grad_pooled(x, pooled, w_shape, g, xp=None, with_bias=False):
    """:func:`conv2d_weight_grad_direct` where dy is 2x2 max pooling's scatter, not made yet:
    ``pooled`` = (gp, mask or None, choice), pooling's gradient, relu's mask and the window
    elements chosen, batch-innermost (F, PH, PW, N) (``.pool.pooled_2x2``); each group of
    :data:`WGRAD_FILTERS` filters scatters its dy two rows at a time into rows of its own that
    stay in the core's cache (:func:`_weight_grad_pooled`), with its bias sums
    (``with_bias``). Planned: ``(calls, n, (dw, sums or None))``, ``calls(a, b)`` the
    kernel calls of the groups a..b of ``range(n)`` (threads take whole groups), the results
    made once they have run. The same numbers as scattering dy first."""
    xp = padded_chwn(x, g) if xp is None else xp
    gp, mask, choice = pooled
    out = np.zeros(w_shape, np.result_type(x, gp))
    bias = np.zeros(w_shape[0] if with_bias else 0, np.float64)
    sh, (dh, dw) = g.stride[0], g.dilation
    F = w_shape[0]

    def calls(a, b):
        return [(_weight_grad_pooled, xp, gp, gp if mask is None else mask, choice, sh, dh, dw,
                 a * WGRAD_FILTERS, min(F, b * WGRAD_FILTERS), WGRAD_FILTERS,
                 int(mask is not None), out, bias)]
    return calls, -(-F // WGRAD_FILTERS), (out, bias if with_bias else None)
