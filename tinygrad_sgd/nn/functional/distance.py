"""Distances and normalisation of vectors: normalize, cosine_similarity, pairwise_distance,
pdist; and one_hot.

Each is composed of vector norms (:func:`tinygrad_sgd.linalg.vector_norm`, ``Tensor.norm``) as
torch composes it, so values, gradients at zero vectors and second order are torch's.
"""
import math

import numpy as np

from ...autograd.torch_names import named
from ...functions.distance import broadcast_shape, reduction_dims
from ...functions.elementwise import result_type
from ...functions.reduce import torch_name
from ...linalg import vector_norm
from ...ops.distance import ClampMinUnrecorded
from ...tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "one_hot", "pdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """v / max(‖v‖ₚ, eps) for the vectors along ``dim`` (an int or dims). A zero vector
    stays 0 and its gradient is 1/eps (the clamp cuts the norm's path), as torch. ``out``:
    written there (``torch.div(..., out=out)``)."""
    if input.dtype.kind not in "fc":                     # torch's norm checks this first
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {torch_name(input.dtype)}")
    if not isinstance(p, str):
        reduction_dims(dim, input.ndim, "norm")          # torch's IndexError for a bad dim
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    if out is not None:
        from ...functions import div
        return div(input, denom.expand_as(input), out=out)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """⟨x₁, x₂⟩ / (max(‖x₁‖, eps) · max(‖x₂‖, eps)) along ``dim`` of the broadcast shape —
    computed as torch 2.x does, Σ (x₁ / max(‖x₁‖, eps)) · (x₂ / max(‖x₂‖, eps)), with the clamps
    invisible to the gradient (torch clamps in place under no_grad): the gradient goes through
    the norms as if they were not clamped (0 through a zero vector's norm)."""
    common = result_type(x1.array, x2.array)
    if common.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{torch_name(common)}")
    x1, x2 = (x if x.dtype.kind == "f" else x.to(common) for x in (x1, x2))
    shape = broadcast_shape(x1.shape, x2.shape)
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = ClampMinUnrecorded.apply(vector_norm(x1, 2, dim, True), eps)
    n2 = ClampMinUnrecorded.apply(vector_norm(x2, 2, dim, True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x₁ − x₂ + eps‖ₚ over the last dim of the broadcast shape (torch adds eps to the
    difference, so equal rows are at distance eps·n^(1/p), with a gradient)."""
    shape = broadcast_shape(x1.shape, x2.shape)
    d = named(x1 - x2 + eps, "AddBackward1", x1, x2)          # (torch's nodes: add(Scalar),
    return named(d.norm(p, max(len(shape), 1) - 1, keepdim), "NormBackward1", d)   # norm(dim))


def pdist(input, p=2):
    """The p-norm distances ‖xᵢ − xⱼ‖ₚ between the rows of an ``(N, M)`` input, for every pair
    i < j in row-major order: the condensed upper triangle, of length N(N−1)/2. As torch's
    backward: 0 (not NaN) at a zero distance, and at a zero difference when p < 1; for p = ∞
    each coordinate tied for the largest |xᵢₖ − xⱼₖ| gets the full sign(xᵢₖ − xⱼₖ)."""
    return named(_pdist(input, p), "PdistBackward0", input)


def _pdist(input, p):
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if input.dtype == np.float16:         # (torch has no half kernel)
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    p = float(p)
    if not p >= 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    diff = input[i] - input[j]                  # (pairs, M), rows of the upper triangle
    if p == 0:           # the count of non-zeros, with a zero gradient (a Step op's)
        return diff.abs().sign().sum(-1)
    if input.shape[1] == 0:
        return diff.sum(-1)
    if math.isinf(p):
        a = diff.abs()
        top = a.array == a.array.max(-1, keepdims=True, initial=0.0)   # every tie
        return a.detach().amax(-1) + ((a - a.detach()) * Tensor._of(top.astype(a.dtype))).sum(-1)
    if p < 1:                                   # no 0·∞ at a zero difference
        diff = diff * Tensor._of((diff.array != 0).astype(diff.dtype))
    return vector_norm(diff, p, -1)


def one_hot(input, num_classes=-1):
    """int64 ``input.shape + (num_classes,)`` with a 1 at each class index; ``num_classes``
    −1 means max + 1. torch's errors for another dtype, a negative or too large class, and
    an empty tensor without ``num_classes``. (torch documents the first argument as
    ``tensor``; its keyword is ``input``.)"""
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot(): argument 'num_classes' must be int, not "
                        f"{type(num_classes).__name__}")
    if input.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = input.array
    if a.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._of(np.zeros(a.shape + (int(num_classes),), np.int64))
    if a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    elif num_classes <= a.max():
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._of((a[..., None] == np.arange(num_classes)).astype(np.int64))
