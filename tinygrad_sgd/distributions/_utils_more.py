"""More of torch's ``torch.distributions.utils``: the Euler–Mascheroni constant and the
lower-triangle <-> vector packings used by the Cholesky transforms."""
import numpy as np

import tinygrad_sgd as tg

__all__ = ["euler_constant", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060     # Euler–Mascheroni constant


def _tril_mask(n, diag):
    arange = np.arange(n)
    return arange < arange.reshape(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The entries on and below diagonal ``diag`` of the last two dimensions, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = np.nonzero(_tril_mask(n, diag))
    return mat[..., tg.tensor(rows), tg.tensor(cols)]


def vec_to_tril_matrix(vec, diag=0):
    """Inverse of ``tril_matrix_to_vec``: the vector laid out row by row below diagonal
    ``diag`` of a D×D matrix, zeros elsewhere (a gather, so gradients flow back to ``vec``)."""
    k = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * k + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = tg.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {k} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mask = _tril_mask(n, diag)
    index = np.zeros((n, n), dtype=np.int64)
    index[mask] = np.arange(1, int(mask.sum()) + 1)   # slot 0 holds the zero
    padded = tg.cat([vec.new_zeros(vec.shape[:-1] + (1,)), vec], -1)
    return padded[..., tg.tensor(index.reshape(-1))].reshape(vec.shape[:-1] + (n, n))
