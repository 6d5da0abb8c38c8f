"""Embedding lookups (torch's ``F.embedding``) and bags of them (``F.embedding_bag``)."""
import math
import warnings

import numpy as np

from ...dtypes import _SCALAR_TYPE_NAMES, SHELL_DTYPES
from ...errors import warn_level
from ...autograd.torch_names import named
from ...functions import where
from ...ops.embedding import EmbeddingOp
from ...ops.shape import IndexAdd
from ...tensor import Tensor
from ._checks import check_float

__all__ = ["embedding", "embedding_bag"]


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
    Because code that relies on a sparse gradient (``_values()``, ``coalesce()``, a
    sparse-only optimizer) would not get one, a lookup with ``sparse=True`` into a weight
    that takes a gradient warns (a UserWarning, once per call site) that the gradient will be
    dense. As torch, ``sparse`` with ``scale_grad_by_freq`` fails at backward (RuntimeError)."""
    check_float(weight, "embedding", "weight")
    ids = input.array if isinstance(input, Tensor) else np.asarray(input)
    if ids.dtype not in (np.int64, np.int32):     # torch: no other integers, no bool
        got = ("CPUBoolType" if ids.dtype == np.bool_ else
               f"CPU{_SCALAR_TYPE_NAMES[ids.dtype.name]}Type" if ids.dtype in SHELL_DTYPES
               else f"torch.{_NAMES.get(ids.dtype.name, ids.dtype.name)}Tensor")
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {got} instead "
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
    if sparse:
        _warn_dense(weight, "embedding")
    return EmbeddingOp.apply(weight, ids, padding_idx, bool(scale_grad_by_freq), bool(sparse))


def _warn_dense(weight, op):
    """sparse=True: this library's gradient is dense; say so where a gradient will come."""
    from ...autograd import is_grad_enabled
    if weight.requires_grad and is_grad_enabled():
        warnings.warn(f"{op}(sparse=True): tinygrad_sgd has no sparse tensors; the weight's "
                      f"gradient will be a dense Tensor of the same values (torch's "
                      f"weight.grad.to_dense()), not a sparse one",
                      UserWarning, stacklevel=warn_level(3))


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


_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
          "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte"}


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxima of bags of ``weight``'s rows, without the per-id intermediate.

    A 1-D ``input`` of ids is cut into bags at ``offsets`` (bag k runs from offsets[k] to the
    next offset, the last bag to the end of ``input``; ``include_last_offset``: ``offsets`` has
    one more entry, the end of the last bag — ids from there on are in no bag, as torch's sum
    of them); a 2-D ``(B, N)`` input is B bags of N ids. The result is ``(B, embedding_dim)``. Ids equal to ``padding_idx`` are left
    out of their bags (and out of a mean's count); an empty bag gives zeros.

    ``mode="sum"``: Σ wᵢ·W[idᵢ] over the bag (wᵢ = ``per_sample_weights``, or 1) — the rows
    are gathered by the embedding op and added per bag with one index_add (a segment sum), so
    the gradients (w.r.t. W and the per-sample weights) are the ops' own. ``"mean"``: the sum
    divided by the bag's size. ``"max"``: per coordinate the largest, whose gradient goes to
    the first row of the bag that attains it (torch's tie rule). ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse`` as in :func:`embedding`."""
    ids = input.array if isinstance(input, Tensor) else np.asarray(input)
    if weight.dtype == np.int64 and ids.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=warn_level(2))
        weight, input = input, weight
        ids = input.array if isinstance(input, Tensor) else np.asarray(input)
    psw = per_sample_weights
    end = ids.size                                  # the end of the last bag
    if psw is not None and tuple(psw.shape) != ids.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(psw.shape)}) is not "
                         f"None, then it must have the same shape as the input ({ids.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, "
                             f"found offsets of type {type(offsets)}")
        if ids.shape[1] == 0:
            raise RuntimeError("step must be nonzero")
        starts = np.arange(0, ids.size, ids.shape[1])
        ids, psw = ids.reshape(-1), (None if psw is None else psw.reshape(-1))
    elif ids.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = offsets.array if isinstance(offsets, Tensor) else np.asarray(offsets)
        if starts.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        if include_last_offset:
            end, starts = _last_offset(starts, len(ids))
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{ids.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _check_bag_args(ids, weight, starts, psw)
    if max_norm is not None:
        renorm_rows_(weight, ids.astype(np.int64), max_norm, norm_type)
    if end < len(ids):                      # ids past the last bag's end: in no bag
        ids, psw = ids[:end], (None if psw is None else psw[:end])
    if psw is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-num} "
                               f"through {num - 1}, but got {padding_idx}")
        padding_idx = int(padding_idx) % num
    bags = len(starts)
    bag_of = np.searchsorted(starts, np.arange(len(ids)), side="right") - 1   # bag of each id
    keep = np.flatnonzero(ids != padding_idx) if padding_idx is not None else slice(None)
    ids, bag_of = ids[keep].astype(np.int64), bag_of[keep]
    if mode == "max":
        return named(_bag_max(weight, ids, bag_of, bags), "EmbeddingBagBackward0", weight)
    if sparse:
        _warn_dense(weight, "embedding_bag")
    rows = EmbeddingOp.apply(weight, ids, None, bool(scale_grad_by_freq), bool(sparse),
                             ids_tensor=input.array if isinstance(input, Tensor) else None)
    if psw is not None:     # (float16: each product in float32, and the sum, rounded once)
        w = psw[keep].unsqueeze(-1)
        rows = rows.float() * w.float() if rows.dtype == np.float16 else rows * w
    out = IndexAdd.apply(rows, bag_of, (bags, weight.shape[1]), wide=True)   # segment sums
    if out.dtype != weight.dtype:
        out = out.to(weight.dtype)
    if mode == "mean":
        size = np.maximum(np.bincount(bag_of, minlength=bags), 1).astype(weight.dtype)
        out = out / Tensor._of(size[:, None])
    return named(out, "EmbeddingBagBackward0", weight, psw)   # torch's one node


def _last_offset(offsets, n):
    """``include_last_offset``: (the end of the last bag, the bags' starts), checked as torch."""
    if len(offsets) == 0:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    end, starts = int(offsets[-1]), offsets[:-1]
    if end > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {end}")
    if len(starts) and end < starts[-1]:
        raise RuntimeError("Your input appears to be incorrect: the last offset value should "
                           "be the size of the indices tensor, but it seems not to be the case.")
    return end, starts


def _check_bag_args(ids, weight, starts, psw):
    """torch's checks of ids, offsets and dtypes, in torch's words (unlike ``embedding``, torch's
    ``embedding_bag`` takes any integer ids, bool ones too: ids 0 and 1)."""
    if ids.dtype.kind not in "iub":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{_NAMES.get(ids.dtype.name, ids.dtype.name)}Tensor instead "
                           f"(while checking arguments for embedding_bag)")
    if weight.dtype.kind != "f":
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have one of the "
                           f"following scalar types: Half, BFloat16, Float, Double; but got "
                           f"torch.{_NAMES.get(weight.dtype.name, weight.dtype.name)}Tensor "
                           f"instead (while checking arguments for embedding_bag)")
    if psw is not None and psw.dtype != weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as "
                           f"tensor for argument #1 'per_sample_weights'; but type "
                           f"torch.{_NAMES.get(weight.dtype.name)}Tensor does not equal "
                           f"torch.{_NAMES.get(psw.dtype.name)}Tensor (while checking "
                           f"arguments for embedding_bag)")
    if len(starts) and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got "
                           f"{int(starts[0])}")
    if len(starts) and starts[-1] > len(ids):
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {len(ids)} "
                           f"but got offsets[-1] of {int(starts[-1])}")
    if np.any(np.diff(starts) < 0):     # torch does not check: its result is then undefined
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got "
                           f"{starts.tolist()}")
    bad = ids[(ids < 0) | (ids >= weight.shape[0])]
    if bad.size:
        raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but "
                           f"found idx to be {int(bad[0])}")


def _bag_max(weight, ids, bag_of, bags):
    """Per bag and coordinate the largest W[id, d]; found in NumPy (segment maxima, then the
    first position of each segment that attains it: ``reduceat`` over the bags, which are
    contiguous runs of ``ids``), then read from ``weight`` by one index, so the gradient goes
    to that row only. Empty bags give 0. NaN as torch's loop (it starts from the bag's first
    row and moves on to a strictly greater value): a NaN first row is the result, a later NaN
    is passed over."""
    dim, m = weight.shape[1], len(ids)
    rows = weight.array[ids]
    sizes = np.bincount(bag_of, minlength=bags)
    full = np.flatnonzero(sizes)
    starts = (np.cumsum(sizes) - sizes)[full]
    top = np.zeros((bags, dim), rows.dtype)
    first = np.full((bags, dim), m)
    if m:
        top[full] = np.fmax.reduceat(rows, starts)
        at_top = np.where(rows == top[bag_of], np.arange(m)[:, None], m)
        first[full] = np.minimum.reduceat(at_top, starts)
        if rows.dtype.kind == "f":
            first[full] = np.where(np.isnan(rows[starts]), starts[:, None], first[full])
    empty = first == m
    picked = np.append(ids, 0)[first]                   # an empty bag reads row 0 ...
    out = weight[picked, np.arange(dim)]
    return where(Tensor._of(~empty), out,
                 Tensor._of(np.zeros((), weight.dtype)))   # ... and gives 0