"""Scaled dot-product attention, built from ops (matmul, add, softmax, where), so its
gradients — and second order — are theirs."""
import math

import numpy as np

from ... import ops
from ...errors import ShapeError
from ...tensor import Tensor
from ._checks import check_float
from .dropouts import dropout

__all__ = ["scaled_dot_product_attention"]

_causal_cache = {}


def _causal_keep(L, S):
    """True on and below the diagonal (query i sees keys j ≤ i, aligned top-left as torch's
    ``is_causal``): a read-only boolean constant, one per (L, S)."""
    keep = _causal_cache.get((L, S))
    if keep is None:
        keep = np.tril(np.ones((L, S), dtype=bool))
        keep.flags.writeable = False
        if len(_causal_cache) < 64:
            _causal_cache[(L, S)] = keep
    return keep


def _blas_ready(x):
    """``x`` itself if each of its matrices (last two dims) is one NumPy's matmul hands to BLAS
    — one dim of unit stride, the other's stride a whole number of items at least that
    dim's length (heads sliced out of one fused q|k|v projection and transposed qualify) —
    else a row-major copy: NumPy multiplies the others without BLAS, ~6x slower."""
    a = x.array
    if a.ndim < 2:
        return x
    item, (r, c) = a.itemsize, a.strides[-2:]
    n, m = a.shape[-2:]
    if _blas_dims(r, c, m, item) or _blas_dims(c, r, n, item) or n == 1 or m == 1:
        return x
    return x.contiguous()


def _blas_dims(outer, inner, inner_len, item):
    return inner == item and outer > 0 and outer % item == 0 and outer // item >= inner_len


def _check_mask_shape(shape, scores):
    """The mask must broadcast to the attention weights' shape (L, S with their batch dims)
    without widening it, as torch."""
    try:
        both = np.broadcast_shapes(shape, scores)
    except ValueError:
        raise ShapeError(f"scaled_dot_product_attention: attn_mask of shape {shape} cannot be "
                         f"broadcast to the attention weights' shape {scores}") from None
    if both != scores:
        raise RuntimeError(f"output with shape {list(scores)} doesn't match the broadcast "
                           f"shape {list(both)}")


def _repeat_heads(x, groups):
    """(..., H, S, E) → (..., H·groups, S, E), each head repeated ``groups`` times in a row
    (torch's repeat_interleave along the head dim)."""
    shape = x.shape
    return x.unsqueeze(-3).expand(shape[:-2] + (groups,) + shape[-2:]) \
        .reshape(shape[:-3] + (shape[-3] * groups,) + shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q·Kᵀ·scale + bias)·V over the last two dims of ``query`` (..., L, E),
    ``key`` (..., S, E) and ``value`` (..., S, Ev); ``scale`` defaults to 1/√E.

    ``attn_mask``: a boolean mask *keeps* the places where it is True (the others get −inf
    before the softmax); a float mask is added to the scores. ``is_causal=True``: query i sees
    keys 0..i (the mask must then be None). A query that sees no key at all gets an output of
    zeros and no gradient, as torch's. ``dropout_p`` drops attention weights (always, as torch:
    pass 0.0 in eval). ``enable_gqa``: ``key``/``value`` may have fewer heads (dim −3), each
    shared by a group of query heads."""
    for t, what in ((query, "query"), (key, "key"), (value, "value")):
        check_float(t, "scaled_dot_product_attention", what)
        if t.ndim < 2:
            raise ValueError(f"scaled_dot_product_attention: {what} must have at least 2 "
                             f"dims (..., sequence, features), got shape {t.shape}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype} key.dtype: {key.dtype} and "
                           f"value.dtype: {value.dtype} instead.")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: query and key must have the same "
                         f"feature size, got {query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: key and value must have the same "
                         f"sequence length, got {key.shape[-2]} and {value.shape[-2]}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise RuntimeError(f"scaled_dot_product_attention: number of heads in key and "
                               f"value ({hk}, {value.shape[-3]}) must divide the number of "
                               f"heads in query ({hq})")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    query, key, value = _blas_ready(query), _blas_ready(key), _blas_ready(value)
    scores = (query * scale) @ key.mT
    # one masked softmax: masked places get weight 0, and a query whose every score is −∞
    # (masked, or −∞ itself) gets weights 0 — an output of zeros and no gradient, as torch's
    keep = True
    if is_causal:
        keep = _causal_keep(L, S)
    elif attn_mask is not None:
        mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(np.asarray(attn_mask))
        _check_mask_shape(mask.shape, scores.shape)
        if mask.dtype != np.bool_:
            scores = scores + (mask if mask.dtype == scores.dtype else mask.to(scores.dtype))
        else:
            keep = mask.array
    weights = ops.SoftmaxOp.apply(scores, -1, mask=keep)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value
