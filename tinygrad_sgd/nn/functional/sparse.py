"""Embedding lookups (torch's ``F.embedding``)."""
import math

import numpy as np

from ...ops.embedding import EmbeddingOp
from ...tensor import Tensor
from ._checks import check_float

__all__ = ["embedding"]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ids ``input``
    (any shape): the result has shape ``input.shape + (embedding_dim,)``. Repeated ids add
    up their gradients; the ``padding_idx`` row receives no gradient.

    ``max_norm``: before the lookup, every row that ``input`` refers to whose ``norm_type``-norm
    exceeds ``max_norm`` is scaled, in place and outside the graph, to the norm
    max_norm·‖w‖/(‖w‖ + 1e-7), as torch's ``embedding_renorm_`` (``weight`` changes, and its
    version moves, so a graph that saved it notices). ``scale_grad_by_freq``: the gradient of
    each row is divided by how often its id occurs in ``input``.

    ``sparse=True``: torch then gives ``weight`` a sparse gradient (only the rows used). This
    library has no sparse tensors: the gradient is the same numbers as a dense Tensor (torch's
    ``weight.grad.to_dense()``), so an optimizer updates the same rows by the same amounts;
    unlike torch's, every optimizer here accepts it (torch's Adam refuses sparse gradients).
    As torch, ``sparse`` with ``scale_grad_by_freq`` fails at backward (RuntimeError)."""
    check_float(weight, "embedding", "weight")
    ids = input.array if isinstance(input, Tensor) else np.asarray(input)
    if ids.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {ids.dtype} instead "
                           f"(while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got shape {tuple(weight.shape)}")
    num = weight.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= num):
        bad = ids[(ids < 0) | (ids >= num)].flat[0]
        raise IndexError(f"index out of range in self: id {int(bad)} for an embedding of "
                         f"{num} rows")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = int(padding_idx) % num
    ids = ids.astype(np.int64, copy=False)
    if max_norm is not None:
        renorm_rows_(weight, ids, max_norm, norm_type)
    return EmbeddingOp.apply(weight, ids, padding_idx, bool(scale_grad_by_freq), bool(sparse))


def renorm_rows_(weight, ids, max_norm, norm_type):
    """torch's ``embedding_renorm_``: each distinct row of ``ids`` whose norm exceeds
    ``max_norm`` is multiplied in place by max_norm/(norm + 1e-7) (the norm rounded to the
    weight's dtype, the factor computed in double, as torch); not recorded in the graph. The
    weight's version moves by one, changed or not, as torch's one in-place op."""
    weight._bump_version_unchecked()
    w = weight.array
    for k in np.unique(ids):
        norm = float(np.asarray(_norm(w[k].astype(np.float64), float(norm_type)), w.dtype))
        if norm > max_norm:
            w[k] *= max_norm / (norm + 1e-7)


def _norm(row, p):
    """torch's vector p-norm: max |x| (p = ∞), min |x| (p = −∞), the count of non-zeros
    (p = 0), else (Σ|x|ᵖ)^(1/p)."""
    a = np.abs(row)
    if p == math.inf:
        return a.max(initial=0.0)
    if p == -math.inf:
        return a.min(initial=math.inf)
    if p == 0:
        return float(np.count_nonzero(a))
    if p == 2:
        return math.sqrt(float(np.dot(a, a)))
    return float(np.sum(a ** p)) ** (1.0 / p)
