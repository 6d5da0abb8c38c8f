"""Compiled twin of :mod:`..cascade_sum` for its two common layouts, float32 and float64: the
rows of a matrix (a sum over the trailing dims of a C-contiguous array, or over all of it) and
its columns (over the leading dims). The same additions in the same order as torch's kernel,
walked as torch walks them (no fastmath: every addition rounds where torch's does).
Other layouts and float16 stay on the NumPy twin.
"""
import numba
import numpy as np

__all__ = ["row_sums", "column_sums", "LANES"]

LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}    # one AVX2 vector of the dtype


@numba.njit(cache=True, nogil=True)
def _multi_row(x, base, item_stride, offs, n_items, out, acc):
    """torch's multi_row_sum: item i's lane l is x[base + i·item_stride + offs[l]] (``acc``:
    4 × lanes of scratch)."""
    lanes = offs.shape[0]
    power = 4
    if n_items > 2:
        bits, v = 0, n_items - 1
        while v:
            bits += 1
            v >>= 1
        power = max(4, bits // 4)
    step = 1 << power
    mask = step - 1
    for j in range(4):
        for q in range(lanes):
            acc[j, q] = 0
    i = 0
    while i + step <= n_items:
        for _ in range(step):
            p = base + i * item_stride
            for q in range(lanes):
                acc[0, q] += x[p + offs[q]]
            i += 1
        for j in range(1, 4):
            for q in range(lanes):
                acc[j, q] += acc[j - 1, q]
                acc[j - 1, q] = 0
            if i & (mask << (j * power)):
                break
    while i < n_items:
        p = base + i * item_stride
        for q in range(lanes):
            acc[0, q] += x[p + offs[q]]
        i += 1
    for j in range(1, 4):
        for q in range(lanes):
            acc[0, q] += acc[j, q]
    for q in range(lanes):
        out[q] = acc[0, q]


@numba.njit(cache=True, nogil=True)
def _row_sum(x, base, stride, offs, n, out, offs4, parts, acc):
    """torch's row_sum of n items (item i's lane l at x[base + i·stride + offs[l]]): items
    dealt to 4 accumulators, the rest into the first, then the other three (``offs4``,
    ``parts``: 4 × lanes of scratch, ``acc``: 4 × 4·lanes)."""
    lanes = offs.shape[0]
    for k in range(4):
        for q in range(lanes):
            offs4[k * lanes + q] = k * stride + offs[q]
    ilp = n // 4
    _multi_row(x, base, 4 * stride, offs4, ilp, parts, acc)
    for q in range(lanes):
        out[q] = parts[q]
    for i in range(4 * ilp, n):
        for q in range(lanes):
            out[q] += x[base + i * stride + offs[q]]
    for k in range(1, 4):
        for q in range(lanes):
            out[q] += parts[k * lanes + q]


@numba.njit(cache=True, nogil=True)
def _rows(x, n_rows, n, vec, out):
    """Each row of x (n_rows × n, flat, C-contiguous): vectorized_inner_sum (n ≥ vec) — the
    vectors through row_sum, the scalars left over from 0, then the lanes — else row_sum of
    the scalars."""
    lane_offs = np.arange(vec).astype(np.int64)
    one = np.zeros(1, np.int64)
    lanes = np.empty(vec, out.dtype)
    single = np.empty(1, out.dtype)
    offs4 = np.empty(4 * vec, np.int64)
    parts = np.empty(4 * vec, out.dtype)
    acc = np.empty((4, 4 * vec), out.dtype)
    for r in range(n_rows):
        base = r * n
        if n >= vec:
            whole = n // vec
            _row_sum(x, base, vec, lane_offs, whole, lanes, offs4, parts, acc)
            total = out.dtype.type(0)
            for k in range(whole * vec, n):
                total += x[base + k]
            for q in range(vec):
                total += lanes[q]
            out[r] = total
        else:
            _row_sum(x, base, 1, one, n, single, offs4[:4], parts[:4], acc[:, :4])
            out[r] = single[0]


@numba.njit(cache=True, nogil=True)
def _columns(x, k_rows, cols, vec, out):
    """Each column of x (k_rows × cols, flat, C-contiguous): vectorized_outer_sum (cols ≥ vec)
    — 4 vectors' lanes at a time by multi_row_sum, then one vector's by row_sum, then single
    columns by row_sum — else scalar_outer_sum (4 columns by multi_row_sum, the rest by
    row_sum)."""
    group = 4 * vec if cols >= vec else 4
    wide = cols // group * group
    offs = np.arange(group).astype(np.int64)
    buf = np.empty(group, out.dtype)
    acc = np.empty((4, 4 * group), out.dtype)
    offs4 = np.empty(4 * group, np.int64)
    parts = np.empty(4 * group, out.dtype)
    for j in range(0, wide, group):
        _multi_row(x, j, cols, offs, k_rows, buf, acc[:, :group])
        for q in range(group):
            out[j + q] = buf[q]
    one = np.zeros(1, np.int64)
    single = np.empty(1, out.dtype)
    j = wide
    if cols >= vec:
        lane_offs = np.arange(vec).astype(np.int64)
        lanes = np.empty(vec, out.dtype)
        while j + vec <= cols:
            _row_sum(x, j, cols, lane_offs, k_rows, lanes, offs4[:4 * vec], parts[:4 * vec],
                     acc[:, :4 * vec])
            for q in range(vec):
                out[j + q] = lanes[q]
            j += vec
    while j < cols:
        _row_sum(x, j, cols, one, k_rows, single, offs4[:4], parts[:4], acc[:, :4])
        out[j] = single[0]
        j += 1


def row_sums(a):
    """The sums of the rows of a C-contiguous float32/64 matrix, torch's way."""
    out = np.empty(a.shape[0], a.dtype)
    _rows(a.reshape(-1), a.shape[0], a.shape[1], LANES[a.dtype], out)
    return out


def column_sums(a):
    """The sums of the columns of a C-contiguous float32/64 matrix, torch's way."""
    out = np.empty(a.shape[1], a.dtype)
    _columns(a.reshape(-1), a.shape[0], a.shape[1], LANES[a.dtype], out)
    return out
