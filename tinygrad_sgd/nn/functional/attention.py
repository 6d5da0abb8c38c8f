"""Scaled dot-product attention and torch's multi-head attention forward, built from ops
(linear, matmul, add, softmax, where, cat, pad), so their gradients — and second order — are
theirs."""
import math
import warnings

import numpy as np

from ... import ops
from ...autograd.torch_names import named
from ...errors import DTypeError, ShapeError, warn_level
from ...functions.shape import cat
from ...tensor import Tensor
from ._checks import check_float
from .dropouts import dropout
from .layers import linear
from .vision import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

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


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}   # torch's


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q·Kᵀ·scale + bias)·V over the last two dims of ``query`` (..., L, E),
    ``key`` (..., S, E) and ``value`` (..., S, Ev); ``scale`` defaults to 1/√E.

    ``attn_mask``: a boolean mask *keeps* the places where it is True (the others get −inf
    before the softmax); a float mask is added to the scores. ``is_causal=True``: query i sees
    keys 0..i (the mask must then be None). A mask of fewer than 2 dims broadcasts over the
    keys, except for 4-D inputs without dropout and a mask that takes no gradient: torch's
    fused kernel's IndexError there. A query that sees no key at all gets an output of
    zeros and no gradient, as torch's. ``dropout_p`` drops attention weights (always, as torch:
    pass 0.0 in eval). ``enable_gqa``: ``key``/``value`` may have fewer heads (dim −3), each
    shared by a group of query heads."""
    for t, what in ((query, "query"), (key, "key"), (value, "value")):
        if isinstance(t, Tensor) and t.dtype.kind != "f":   # (torch: a RuntimeError)
            raise DTypeError(f"scaled_dot_product_attention: expected scalar type Float but "
                             f"found {t.dtype} ({what})")
        check_float(t, "scaled_dot_product_attention", what)
        if t.ndim < 2:
            raise ShapeError(f"scaled_dot_product_attention: {what} must have at least 2 "
                             f"dims (..., sequence, features), got shape {t.shape}")
    from ..attention import check_backend, flash_runs   # nn.attention.sdpa_kernel's choice
    check_backend(query, key, value, dropout_p)
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype} key.dtype: {key.dtype} and "
                           f"value.dtype: {value.dtype} instead.")
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(f"scaled_dot_product_attention: query and key must have the same "
                         f"feature size, got {query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention: key and value must have the same "
                         f"sequence length, got {key.shape[-2]} and {value.shape[-2]}")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got "
                           f"{dropout_p}")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument 'attn_mask' must be "
                            f"Tensor, not {type(attn_mask).__name__}")
        if attn_mask.dtype not in (np.bool_, np.float32, query.dtype):    # (torch's "float")
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match "
                               f"query dtype, but got attn_mask.dtype: "
                               f"{_CPP_NAMES.get(attn_mask.dtype.name, attn_mask.dtype.name)} "
                               f"and  query.dtype: "
                               f"{_CPP_NAMES.get(query.dtype.name, query.dtype.name)} instead.")
        if attn_mask.ndim < 2 and query.ndim == 4 and dropout_p == 0.0 and \
                not attn_mask.requires_grad:
            # torch's fused CPU kernel (4-D inputs, no dropout, a mask without gradient) reads
            # the mask's dim -2; its math path (otherwise) broadcasts it over the keys
            raise IndexError("Dimension specified as -2 but tensor has no dimensions"
                             if attn_mask.ndim == 0 else "Dimension out of range (expected "
                             "to be in range of [-1, 0], but got -2)")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and (key.shape[-3], value.shape[-3]) != \
            (query.shape[-3],) * 2:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError(f"Number of heads in key and value must divide the number of "
                               f"heads in query (query {hq}, key {hk}, value {hv})")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)
    inputs = (query, key, value)
    fused = flash_runs(query, key, value, attn_mask, dropout_p)
    half = query.dtype == np.float16    # torch's CPU kernels (fused and math) take float16 in
    if half:                            # float32 and round the output once; so its gradients
        query, key, value = query.float(), key.float(), value.float()
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    if scale is None:          # (E = 0: every score is an empty sum, 0, whatever the scale;
        scale = 1.0 / math.sqrt(E) if E else 1.0      # torch's 1/√0 = inf never multiplies one)
    else:
        scale = float(scale)
    query, key, value = _blas_ready(query), _blas_ready(key), _blas_ready(value)
    scores = query @ key.mT
    # one masked softmax of the scaled scores (the scale taken in the softmax's pass, as
    # torch's CPU kernel scales Q·Kᵀ): masked places get weight 0, and a query whose every
    # score is −∞ (masked, or −∞ itself) gets weights 0 — an output of zeros and no gradient
    keep = True
    if is_causal:
        keep = _causal_keep(L, S)
    elif attn_mask is not None:
        mask = attn_mask
        _check_mask_shape(mask.shape, scores.shape)
        if mask.dtype != np.bool_:        # added to the scaled scores (in the query's dtype)
            scores = scores * scale + (mask if mask.dtype == scores.dtype
                                       else mask.to(scores.dtype))
            scale = None
        else:
            keep = mask.array if mask.ndim else mask.array.reshape(1)
    weights = ops.SoftmaxOp.apply(scores, -1, mask=keep, scale=scale)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = weights @ value
    if half:
        out = out.half()
    return named(out, "ScaledDotProductFlashAttentionForCpuBackward0", *inputs) if fused else out


# ------------------------------------------------------------------ multi-head attention
def _as_tensor(x):
    """None, a Tensor, or a Tensor made of an array (a mask given as a NumPy array)."""
    return x if x is None or isinstance(x, Tensor) else Tensor._of(np.asarray(x))


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """torch's mask convention for MultiheadAttention and the Transformer: a boolean mask is
    True where attending is NOT allowed; it becomes a float mask of ``target_type`` (−inf
    there, 0 elsewhere). A float mask is returned as it is (added to the scores)."""
    mask = _as_tensor(mask)
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype != np.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      f"Use same type for both instead.", stacklevel=warn_level(3))
    if not is_float:
        mask = Tensor._of(np.where(mask.array, -np.inf, 0.0).astype(np.dtype(target_type)))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the input is batched (3-D query) or not (2-D), checking the other shapes as
    torch does (AssertionError, with torch's words)."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 f"respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 f"instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to "
                                 f"be 2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 f"respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 f"instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     f"instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and attn_mask.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _in_projection(query, key, value, w, b, separate):
    """q, k, v = query·W_qᵀ + b_q, key·W_kᵀ + b_k, value·W_vᵀ + b_v, the three W either given
    (``separate``) or the row blocks of one packed (3E, E) weight; self-attention (one tensor
    for all three) takes a single product with the packed weight."""
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    if separate:
        return linear(query, w[0], b_q), linear(key, w[1], b_k), linear(value, w[2], b_v)
    if query is key and key is value:
        return linear(query, w, b).chunk(3, dim=-1)
    w_q, w_k, w_v = w.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check_static(static, bsz_heads, head_dim, name):
    if static.shape[0] != bsz_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz_heads}, but got "
                             f"{static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """torch's ``F.multi_head_attention_forward``: ``query`` (L, N, E) [or (L, E)], ``key``
    (S, N, Ek), ``value`` (S, N, Ev) → (attention output (L, N, E), weights (N, L, S) — per
    head (N, H, L, S) if not ``average_attn_weights`` — or None if not ``need_weights``).

    Per head h: softmax(q_h·k_hᵀ/√d + mask)·v_h with q, k, v the input projections split
    into H heads of d = E/H features; the heads are joined and projected by
    ``out_proj_weight``. Masks as torch's: a boolean ``attn_mask`` (L, S) or (N·H, L, S) and
    ``key_padding_mask`` (N, S) are True where attending is NOT allowed (the opposite of
    scaled_dot_product_attention's); float masks are added to the scores. With
    ``need_weights`` a query that sees no key gets NaN (softmax of all −inf, as torch);
    without, it gets zeros (scaled_dot_product_attention's rule, as torch's)."""
    query, key, value = (_as_tensor(t) for t in (query, key, value))
    key_padding_mask, attn_mask = _as_tensor(key_padding_mask), _as_tensor(attn_mask)
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None          # the hint alone: scaled_dot_product_attention's is_causal
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False     # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        for w, name in ((q_proj_weight, "q"), (k_proj_weight, "k"), (v_proj_weight, "v")):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     f"is None")
        w = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w = in_proj_weight
    q, k, v = _in_projection(query, key, value, w, in_proj_bias, use_separate_proj_weight)

    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if attn_mask.shape != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if attn_mask.shape != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError(f"bias_{'k' if bias_k is not None else 'v'} is set but "
                             f"bias_{'v' if bias_k is not None else 'k'} is None")
    if bias_k is not None:        # one more key (and value) per batch item: the learnt biases
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static "
                                 f"{'key' if static_k is not None else 'value'}.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    # heads into the batch dim: (N·H, length, d)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None
         else _check_static(static_k, bsz * num_heads, head_dim, "static_k"))
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None
         else _check_static(static_v, bsz * num_heads, head_dim, "static_v"))
    if add_zero_attn:             # one more key and value, all zeros
        zeros = Tensor._of(np.zeros((bsz * num_heads, 1, head_dim), k.dtype))
        k, v = cat([k, zeros], dim=1), cat([v, zeros.to(v.dtype)], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len) \
            .expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / float(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            if attn_mask.dtype != q.dtype:     # (torch adds it by baddbmm: one dtype for all;
                # without weights, a (merged) mask of another dtype meets sdpa's own check)
                raise RuntimeError(f"Input dtypes must be the same, got: input "
                                   f"{_CPP_NAMES.get(attn_mask.dtype.name)}, batch1: "
                                   f"{_CPP_NAMES.get(q.dtype.name)}, batch2: "
                                   f"{_CPP_NAMES.get(k.dtype.name)}")
            scores = attn_mask + scores
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.reshape(tgt_len, bsz, out.shape[-1])        # (no -1: bsz may be 0)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, attn_mask.shape[-2], src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.reshape(tgt_len, bsz, out.shape[-1])
    return (out if is_batched else out.squeeze(1)), None
