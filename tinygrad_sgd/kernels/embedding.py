"""The embedding's backward, added in torch's order: ``embedding_dense_backward`` bit for bit.

    rows_by_id   out[k] = Σ (sᵢ·) g[i] over the positions i with ids[i] = k, in index order

How torch adds (ATen's ``embedding_dense_backward_cpu``). The weight's gradient starts as
zeros; the positions are walked in order (the ids flattened, C order), and each position's
gradient row is added into its id's row, ``out[k] = out[k] + α·g[i]`` — one ``add_`` per
position, so every row of the result is a plain left-to-right sum of its positions' rows from
0 (threads split the vocabulary, not the positions: the order never changes, whatever the
sizes). A ``padding_idx`` position is skipped. α is 1, or with ``scale_grad_by_freq``
1/count(k) (computed in float64, rounded to the dtype), and the step is then a fused
multiply-add, rounded once. float16 adds in float32 and rounds each step; its fused steps are
those of torch's vectorised loop (runs of 32 columns, the AVX2 kernel's two vectors of 16
halves), and the columns left over step in half precision (α·g rounded, then the sum).

A matrix product with a one-hot matrix, or NumPy's pairwise sums, add in other orders: most
gradient rows of a repeated id came out a few ulps away.

The NumPy kernel adds the i-th occurrence of every id at once (i = 0, 1, ...): one fancy-indexed
step per occurrence level, which keeps each row's order; narrow rows go through ``np.add.at``
(which adds position by position). The compiled twin (:mod:`.compiled.embedding`) walks the
positions as torch does.
"""
import numpy as np

from .backend import compiled
from .vecmath import fma32, fma64

__all__ = ["rows_by_id", "HALF_RUN"]

HALF_RUN = 32        # float16 columns per step of torch's vectorised (fused) loop


def alphas(counts, dtype):
    """torch's α = 1/count per id, in float64 and rounded to ``dtype`` (half for float16)."""
    with np.errstate(divide="ignore"):
        return (1.0 / np.maximum(counts, 1)).astype(dtype)


def _step(out, g, alpha):
    """``out + α·g`` as torch's add_ kernel: plain for α None, else fused (float16: fused in
    float32 over the vectorised columns, in half precision after them)."""
    if alpha is None:
        return out + g
    alpha = alpha[:, None]
    if out.dtype == np.float64:
        return fma64(g, alpha, out)
    if out.dtype == np.float32:
        return fma32(g, alpha, out)
    f = np.float32
    v = out.shape[1] - out.shape[1] % HALF_RUN
    return np.concatenate([fma32(g[:, :v].astype(f), alpha.astype(f), out[:, :v].astype(f))
                           .astype(out.dtype), out[:, v:] + alpha * g[:, v:]], axis=1)


def rows_by_id(g, ids, rows, padding_idx=None, scale_grad_by_freq=False):
    """``out[k] = Σ g[i]`` (α·g[i] with ``scale_grad_by_freq``) over the positions i in order
    with ``ids[i] = k``, ``ids[i] ≠ padding_idx``; out of shape (rows, dim), g's dtype.
    g: (n, dim) float array, ids: (n,) integer array."""
    fast = compiled()
    g = np.ascontiguousarray(g)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if fast is not None and g.dtype in fast.FLOATS:
        from .compiled import embedding
        return embedding.rows_by_id(g, ids, rows, -1 if padding_idx is None else padding_idx,
                                    scale_grad_by_freq)
    out = np.zeros((rows, g.shape[1]), g.dtype)
    if padding_idx is not None:
        kept = ids != padding_idx
        ids, g = ids[kept], g[kept]
    if ids.size == 0:
        return out
    counts = np.bincount(ids, minlength=rows)
    alpha = alphas(counts, g.dtype)[ids] if scale_grad_by_freq else None
    if alpha is None and g.shape[1] < 64:
        np.add.at(out, ids, g)                 # position by position, in order
        return out
    # the i-th occurrence of each id, for i = 0, 1, ...: no id twice in one step
    order = np.argsort(ids, kind="stable")
    first = np.cumsum(counts) - counts                     # where each id's run starts
    level = np.empty(ids.size, np.int64)
    level[order] = np.arange(ids.size) - first[ids[order]]
    by_level = np.argsort(level, kind="stable")
    bounds = np.searchsorted(level[by_level], np.arange(counts.max() + 1))
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        at = by_level[lo:hi]
        k = ids[at]
        out[k] = _step(out[k], g[at], None if alpha is None else alpha[at])
    return out
