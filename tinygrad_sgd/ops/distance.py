"""Norms and distances: the cross product, cdist, the unrecorded clamp of cosine similarity, and
the factors of the SVD (for the matrix norms 'nuc', 2 and −2).

The vector norm itself is :class:`tinygrad_sgd.ops.reduce.Norm` (``torch.linalg.vector_norm``);
``pairwise_distance``, ``normalize`` and the matrix norms are built from it.
"""
import math

import numpy as np

from ..autograd import Function
from .decompositions import svd_array
from .elementwise import divide_where, keep_where

__all__ = ["Cross", "Cdist", "EuclideanDist", "ClampMinUnrecorded", "SvdFactor"]


class Cross(Function):
    """The cross product of 3-vectors along ``dim`` (the other dims broadcast). Its backward
    is two cross products, so it is differentiable again."""
    inputs, rule = ("x", "y"), "z = x × y along dim"
    derivatives = ("dL/dx = y × g", "dL/dy = g × x")
    grad_fn_name, op_name = "LinalgCrossBackward", "cross"

    def forward(self, x, y, dim):
        self.dim = dim
        if self._recording:
            self.save_for_backward(x, y)
        return np.cross(x.array, y.array, axis=dim)

    def backward(self, g):
        x, y = self.saved_tensors
        gx = Cross.apply(y, g, self.dim) if self.needs_input_grad[0] else None
        gy = Cross.apply(g, x, self.dim) if self.needs_input_grad[1] else None
        return gx, gy


def cdist_forward(d, p):
    """The p-distance over the last axis of the differences ``d``, as torch's CPU kernel:
    p = 0 counts min(⌈|d|⌉, 1) (NaN stays NaN); p = ∞ takes the largest |d| with NaNs left
    out (all-NaN gives 0)."""
    a = np.abs(d)
    if p == 0:
        return np.sum(np.minimum(np.ceil(a), 1), axis=-1)
    if p == 1:
        return np.sum(a, axis=-1)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=-1))
    if math.isinf(p):
        return np.fmax.reduce(a, axis=-1, initial=0)
    return np.sum(a ** p, axis=-1) ** (1.0 / p)


class Cdist(Function):
    """Distances between the rows of x₁ (…, r₁, c) and of x₂ (…, r₂, c), batch dims broadcast,
    with torch's gradient (its ``_cdist_backward``): 0 where the distance is 0; for p = ∞ every
    tied coordinate gets the whole gradient (unlike ``vector_norm``, which shares it); for
    p < 1, 0 where a coordinate difference is 0; NaN where a difference is NaN. Written with
    Tensor operations, so the gradient is differentiable again (torch's is not, except on its
    matmul path for p = 2)."""
    inputs, rule = ("x₁", "x₂"), "zᵢⱼ = ‖x₁ᵢ − x₂ⱼ‖ₚ"
    derivatives = ("dL/dx₁ᵢ = Σⱼ gᵢⱼ · ∂‖dᵢⱼ‖ₚ/∂dᵢⱼ,  dᵢⱼ = x₁ᵢ − x₂ⱼ",
                   "dL/dx₂ⱼ = −Σᵢ gᵢⱼ · ∂‖dᵢⱼ‖ₚ/∂dᵢⱼ")
    grad_fn_name = "CdistBackward"

    def forward(self, x1, x2, p):
        self.p = p
        out = cdist_forward(x1.array[..., :, None, :] - x2.array[..., None, :, :], p)
        out = np.asarray(out, dtype=x1.dtype)
        if self._recording:
            self.save_for_backward(x1, x2)
            self.save_output(out)
        return out

    def backward(self, g):
        x1, x2 = self.saved_tensors
        d = x1.unsqueeze(-2) - x2.unsqueeze(-3)            # (..., r₁, r₂, c)
        gd = self.difference_grad(d, g.unsqueeze(-1), self.output().unsqueeze(-1))
        return gd.sum(-2), -gd.sum(-3)

    def difference_grad(self, d, g, dist):
        """∂L/∂d for the differences d, g and dist with a trailing axis of 1."""
        p = self.p
        sign = self.constant(np.sign(d.array))          # NaN for a NaN difference, as torch
        nonzero = np.broadcast_to(dist.array != 0, d.shape)
        if p == 0:
            return self.constant(np.zeros(np.broadcast_shapes(d.shape, g.shape), d.dtype))
        if p == 1:
            return g * sign
        if p == 2:
            return keep_where(nonzero, g * d / dist)
        if math.isinf(p):       # torch's 1 − min(1, ⌈||d| − dist|⌉): 1 where |d| = dist (NaN
            at_max = 1 - np.minimum(1, np.ceil(np.abs(np.abs(d.array) - dist.array)))  # at ∞−∞)
            return g * sign * self.constant(at_max.astype(d.dtype))
        if p < 2:
            keep = nonzero & ~((d.array == 0) & (p < 1))
            return keep_where(keep, sign * d.abs() ** (p - 1) * g / dist ** (p - 1))
        return divide_where(nonzero, d * d.abs() ** (p - 2) * g, dist ** (p - 1))


class EuclideanDist(Function):
    """torch's matmul route for p = 2 (its ``_euclidean_dist``, taken past 25 rows): ‖a‖² +
    ‖b‖² − 2a·b as one matmul of augmented rows, clamped at 0, square-rooted — O(r₁·r₂) memory
    instead of O(r₁·r₂·c), equal to the differences' distance up to rounding (a zero distance
    may come out as ~1e-8, as torch's does). The gradient is torch's
    ``_euclidean_dist_backward`` (0 where the result is 0), differentiable again."""
    inputs, rule = ("x₁", "x₂"), "zᵢⱼ = √max(0, ‖x₁ᵢ‖² + ‖x₂ⱼ‖² − 2·x₁ᵢ·x₂ⱼ)"
    derivatives = ("dL/dx₁ = x₁·Σⱼ rᵢⱼ − r·x₂,  r = g / z (0 where z = 0)",
                   "dL/dx₂ = x₂·Σᵢ rᵢⱼ − rᵀ·x₁")
    grad_fn_name = "EuclideanDistBackward"

    def forward(self, x1, x2):
        a, b = x1.array, x2.array
        ones_a, ones_b = np.ones(a.shape[:-1] + (1,), a.dtype), np.ones(b.shape[:-1] + (1,),
                                                                        b.dtype)
        a_ = np.concatenate([a * -2, np.sum(a * a, axis=-1, keepdims=True), ones_a], axis=-1)
        b_ = np.concatenate([b, ones_b, np.sum(b * b, axis=-1, keepdims=True)], axis=-1)
        out = np.sqrt(np.maximum(a_ @ np.swapaxes(b_, -1, -2), 0))
        if self._recording:
            self.save_for_backward(x1, x2)
            self.save_output(out)
        return out

    def backward(self, g):
        x1, x2 = self.saved_tensors
        res = self.output()
        ratio = keep_where(res.array != 0, g / res)
        gx1 = x1 * ratio.sum(-1, keepdim=True) - ratio @ x2 if self.needs_input_grad[0] \
            else None
        gx2 = x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT @ x1 if self.needs_input_grad[1] \
            else None
        return gx1, gx2


class ClampMinUnrecorded(Function):
    """torch's ``cosine_similarity`` clamps the norms in place under ``no_grad``: the value is
    clamped, the graph does not see it, so the gradient passes as if nothing had happened
    (through the norm's own gradient, 0 at a zero vector)."""
    rule, derivatives = "z = max(x, lo), the clamp not recorded", ("dz/dx = 1",)
    grad_fn_name, op_name = "CloneBackward", "clamp_min_"
    elementwise = True

    def forward(self, x, lo):
        return np.maximum(x.array, np.asarray(lo, x.dtype))

    def backward(self, g):
        return g


class SvdFactor(Function):
    """One factor — ``which`` is "U", "S" or "Vh" — of the reduced SVD A = U·diag(S)·Vh of the
    matrices in the last two dims (k = min(m, n) singular values, descending). The three are
    separate nodes of A; each backward is torch's ``svd_backward`` given only that factor's
    gradient (the formula is linear in them, so the engine's sum is the whole gradient). It is
    written with the factors of A as nodes again, so it is differentiable again. As torch, it
    assumes distinct, non-zero singular values (else inf or NaN)."""
    inputs, rule = ("A",), "A = U·diag(S)·Vh (reduced SVD); z = one of U, S, Vh"
    derivatives = ("dL/dA = U·(diag(g_S) + (skew(Uᵀg_U)·S + S·skew(Vh·g_Vhᵀ)) / (S_j² − S_i²))·Vh "
                   "+ the parts of g_U, g_Vh outside span(U), span(Vᵀ)",)
    grad_fn_name = "LinalgSvdBackward"

    def forward(self, a, which):
        self.which = which
        if self._recording:
            self.save_for_backward(a)
        u, s, vh = svd_array(a.array)
        return {"U": u, "S": s, "Vh": vh}[which]

    def backward(self, g):
        (a,) = self.saved_tensors
        u, s, vh = (SvdFactor.apply(a, w) for w in ("U", "S", "Vh"))
        m, n = a.shape[-2], a.shape[-1]
        if self.which == "S":
            return u @ (g.unsqueeze(-1) * vh) if m >= n else (u * g.unsqueeze(-2)) @ vh
        s2 = s * s
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + self.constant(np.eye(s.shape[-1],
                                                                       dtype=s.dtype))
        if self.which == "U":
            inner = _skew(u.mT @ g) * (s.unsqueeze(-2) / e)
            if m > n:        # the part of g outside span(U): (I − UUᵀ)·g·S⁻¹
                gus = g / s.unsqueeze(-2)
                return (u @ inner + gus - u @ (u.mT @ gus)) @ vh
        else:
            inner = s.unsqueeze(-1) * (_skew(vh @ g.mT) / e)
            if m < n:        # the part of g outside span(Vᵀ): S⁻¹·g·(I − VVᵀ)
                sgv = g / s.unsqueeze(-1)
                return u @ (inner @ vh + sgv - (sgv @ vh.mT) @ vh)
        return u @ (inner @ vh)


def _skew(x):
    return x - x.mT
