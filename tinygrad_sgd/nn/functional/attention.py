"""Scaled dot-product attention, built from ops (matmul, add, softmax, where), so its
gradients — and second order — are theirs."""
import math

import numpy as np

from ... import ops
from ...tensor import Tensor
from ._checks import check_float
from .dropouts import dropout

__all__ = ["scaled_dot_product_attention"]

_causal_cache = {}


def _causal_bias(L, S, dtype):
    """0 on and below the diagonal (query i sees keys j ≤ i, aligned top-left as torch's
    ``is_causal``), −inf above it."""
    key = (L, S, np.dtype(dtype))
    bias = _causal_cache.get(key)
    if bias is None:
        bias = np.where(np.tril(np.ones((L, S), dtype=bool)), 0, -np.inf).astype(dtype)
        bias.flags.writeable = False
        if len(_causal_cache) < 64:
            _causal_cache[key] = bias
    return bias


def _blas_ready(x):
    """``x`` itself if each of its matrices (last two dims) is laid out row- or column-major
    without gaps, else a row-major copy: NumPy's batched matmul calls BLAS only for such
    matrices and runs ~6x slower on the others — e.g. heads sliced out of one fused q|k|v
    projection and transposed, as in every GPT."""
    a = x.array
    if a.ndim < 2:
        return x
    item, (r, c) = a.itemsize, a.strides[-2:]
    n, m = a.shape[-2:]
    if (c == item and (r == item * m or n == 1)) or (r == item and (c == item * n or m == 1)):
        return x
    return x.contiguous()


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
    fully_masked = None
    if is_causal:
        scores = scores + Tensor(_causal_bias(L, S, scores.dtype))
    elif attn_mask is not None:
        mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(np.asarray(attn_mask))
        if mask.dtype == np.bool_:
            bias = np.where(mask.array, 0, -np.inf).astype(scores.dtype)
            scores = scores + Tensor(bias)
            maybe_empty = not mask.array.all(axis=-1).all() if mask.ndim else not mask.array
        else:
            scores = scores + (mask if mask.dtype == scores.dtype else mask.to(scores.dtype))
            maybe_empty = bool(np.isneginf(mask.array).any())
        if maybe_empty:
            fully_masked = np.isneginf(scores.array).all(axis=-1, keepdims=True)
            if not fully_masked.any():
                fully_masked = None
    if fully_masked is not None:    # softmax over a row of −inf alone would be nan
        cond = Tensor(fully_masked)
        zero = Tensor(np.zeros((), scores.dtype))
        weights = ops.Where.apply(cond, zero, ops.Where.apply(cond, zero, scores)
                                  .softmax(-1))
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    # a view forward; backward, flattening makes the incoming gradient row-major (NumPy copies
    # a tensor that is not contiguous when flattening it) — it usually arrives transposed, from
    # merging the heads — so the two products of the last matmul's backward are BLAS calls
    out = weights @ value
    return out.reshape(-1).reshape(out.shape)
