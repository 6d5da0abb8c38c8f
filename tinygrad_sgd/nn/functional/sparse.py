"""Embedding lookups (torch's ``F.embedding``)."""
import numpy as np

from ...ops.embedding import EmbeddingOp
from ...tensor import Tensor
from ._checks import check_float

__all__ = ["embedding"]


def embedding_options_supported(max_norm, scale_grad_by_freq, sparse):
    """torch's options this library does not implement raise instead of being ignored."""
    for name, value, default in (("max_norm", max_norm, None),
                                 ("scale_grad_by_freq", scale_grad_by_freq, False),
                                 ("sparse", sparse, False)):
        if value != default:
            raise NotImplementedError(f"embedding: {name}={value!r} is not supported by "
                                      f"tinygrad_sgd (only the default {default!r})")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ids ``input``
    (any shape): the result has shape ``input.shape + (embedding_dim,)``. Repeated ids add
    up their gradients; the ``padding_idx`` row receives no gradient."""
    embedding_options_supported(max_norm, scale_grad_by_freq, sparse)
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
    return EmbeddingOp.apply(weight, ids.astype(np.int64, copy=False), padding_idx)
