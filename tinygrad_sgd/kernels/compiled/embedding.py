"""Compiled twin of :func:`..embedding.rows_by_id`: torch's loop over the positions, each
gradient row added into its id's row (a fused multiply-add by α with ``scale_grad_by_freq``,
``llvm.fma``: rounded once, as torch's kernel). No fastmath: the adds stay in torch's order."""
import numba
import numpy as np

from .optim import _fma

__all__ = ["rows_by_id"]


@numba.njit(cache=True, nogil=True)
def _rows_by_id(g, ids, padding_idx, alpha, scaled, out):
    dim = g.shape[1]
    for i in range(ids.shape[0]):
        k = ids[i]
        if k == padding_idx:
            continue
        if scaled:
            a = alpha[k]
            for j in range(dim):
                out[k, j] = _fma(g[i, j], a, out[k, j])
        else:
            for j in range(dim):
                out[k, j] += g[i, j]


def rows_by_id(g, ids, rows, padding_idx, scale_grad_by_freq):
    """As the NumPy twin; ``padding_idx`` −1 for none (float32/float64, contiguous arrays)."""
    from ..embedding import alphas
    out = np.zeros((rows, g.shape[1]), g.dtype)
    if scale_grad_by_freq:
        alpha = alphas(np.bincount(ids, minlength=rows), g.dtype)
    else:
        alpha = np.zeros(1, g.dtype)
    _rows_by_id(g, ids, padding_idx, alpha, scale_grad_by_freq, out)
    return out
