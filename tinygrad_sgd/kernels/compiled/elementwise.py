"""Compiled one-pass twins of NumPy kernels that take several passes over big arrays:

    relu           max(x, 0) with torch's signed zeros and NaN (NumPy's maximum: ~2.5x slower)

    keep_where     x where cond, else 0 — relu's, clamp's and max's backward (NumPy: the
                   mask made all-ones/zeros, then AND with x's bits, 2 passes; here one)
    row_sums       the sums of the rows of a matrix, accumulated in float64 — a convolution's
                   bias gradient (one channel's values are one contiguous run in the
                   batch-innermost layout)
    add_rows       a row added to every row of a matrix in place — a linear layer's bias
                   (the same sums as NumPy's broadcast add, which is 2x slower)

They take 1-D or 2-D C-contiguous arrays: :mod:`..elementwise` and :mod:`..reduce` hand them
the memory of their arguments in memory order (see :func:`..layout.memory_order`).
"""
import numba
import numpy as np

from . import kernel, inline, U
from .. import buffers
from ..threads import parallel_for

__all__ = ["relu", "keep_where", "row_sums", "add_rows"]


# no fastmath: "no signed zeros" would let LLVM turn the select into a max, and −0 must stay
@numba.njit(cache=True, nogil=True)
def _relu(x, i0, i1, out):
    zero = out.dtype.type(0)
    v, o = x[i0:i1], out[i0:i1]          # (sliced first: see _keep_where)
    for i in range(v.shape[0]):
        o[i] = zero if v[i] < zero else v[i]


def relu(x):
    """``0 if x < 0 else x`` for a 1-D C-contiguous float32/64 array. Threads take ranges."""
    out = buffers.empty(x.shape, x.dtype)
    parallel_for(x.shape[0], lambda a, b: _relu(x, a, b, out), x.size)
    return out


@kernel
def _keep_where(cond, x, i0, i1, out):
    # The runs are sliced out first: indexed from i0 directly, each index would be checked
    # for wraparound (a negative one counts from the end), a branch that stops LLVM from
    # vectorizing — measured 15x slower (0.18 ms for the tutorial's 92,160 numbers)
    zero = out.dtype.type(0)
    c, v, o = cond[i0:i1], x[i0:i1], out[i0:i1]
    for i in range(c.shape[0]):
        o[i] = v[i] if c[i] else zero


def keep_where(cond, x):
    """``x where cond, else +0`` for 1-D C-contiguous arrays (x float32/64, cond bool, or of
    x's dtype read as cond ≠ 0): a NaN or inf of x where cond is false gives 0, as
    ``np.where`` (torch's rule). Threads take ranges of elements."""
    out = buffers.empty(x.shape, x.dtype)
    parallel_for(x.shape[0], lambda a, b: _keep_where(cond, x, a, b, out), x.size)
    return out


@inline
def run_sum(a, start, m):
    """Σ_{q<m} a[start + q] in float64 (vectorized: LLVM keeps several partial sums)."""
    s = 0.0
    for q in range(m):
        s += a[start + q]
    return s


@kernel
def _row_sums(a, seg, r0, r1, out):
    """out[r] = Σ_q a[r, q] for rows r0..r1, in float64: each run of ``seg`` numbers summed
    (:func:`run_sum`), the runs' sums added in order — so a kernel that has a row only a few
    runs at a time (``.conv_weight._weight_grad_pooled``) makes the same numbers."""
    n = a.shape[1]
    flat = a.reshape(a.size)
    for r in range(r0, r1):
        s = 0.0
        for start in range(0, n, seg):
            s += run_sum(flat, U(r * n + start), U(min(seg, n - start)))
        out[r] = s


def row_sums(a, seg=None):
    """Σ_q a[r, q] for a C-contiguous float32/64 matrix, in float64 (more accurate than
    NumPy's pairwise float32 sums; the caller rounds to its dtype), as runs of ``seg`` numbers
    (:func:`_row_sums`; default: whole rows). Threads take ranges of rows."""
    out = np.empty(a.shape[0], np.float64)
    seg = max(1, a.shape[1] if seg is None else seg)
    parallel_for(a.shape[0], lambda r0, r1: _row_sums(a, seg, r0, r1, out), a.size)
    return out


@kernel
def _add_rows(out, b, r0, r1):
    n = b.shape[0]
    for r in range(r0, r1):
        o = out[r]
        for c in range(n):
            o[c] += b[c]


def add_rows(out, b):
    """``out[r] += b`` for every row of a C-contiguous float32/64 matrix (b: its width, same
    dtype). Threads take ranges of rows: measured in a small GPT's training step on two
    threads (its biases added to 1-4 MB products) 1.7-2.2% faster than on one; with a
    sleeping worker's wake-up per call it had been no faster."""
    parallel_for(out.shape[0], lambda r0, r1: _add_rows(out, b, r0, r1), out.size)
