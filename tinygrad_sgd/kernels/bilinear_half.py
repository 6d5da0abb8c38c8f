"""The bilinear product y_bo = Σᵢⱼ x₁_bi·A_oij·x₂_bj of float16 arrays, rounded where torch's
CPU ``_trilinear`` rounds (``aten/src/ATen/native/Linear.cpp``): it loops over the outputs o,
each step two float16 products (``sumproduct_pair``: a product with sums in float32, rounded
once) whose result is added into a float16 output — rounded once more where the loop sums
over o (the backward's dL/dx₁ and dL/dx₂). The backward is ``_trilinear`` again with the
operands swapped, so each gradient has its own order of roundings:

    forward   t_boj = h(Σᵢ x₁_bi·A_oij),   y_bo = h(Σⱼ t_boj·x₂_bj)
    dL/dx₁    Σ over o, in float16, of h(Σⱼ h(g_bo·A_oij)·x₂_bj)
    dL/dx₂    Σ over o, in float16, of h(t_boj·g_bo)
    dL/dA     h(Σ_b h(x₁_bi·g_bo)·x₂_bj)

(h: rounded to float16; each Σ in float32, rounded once). x₁, x₂ are (B, I) and (B, J).
"""
import numpy as np

__all__ = ["bilinear_forward", "bilinear_backward"]

F, H = np.float32, np.float16


def _over_outputs(parts):
    """Σ over the outputs (axis 0) as torch's loop adds them into its float16 output: one at a
    time, each sum rounded to float16 (a running sum: ``np.add.accumulate`` in float16)."""
    return np.add.accumulate(parts, axis=0, dtype=H)[-1]


def _contract(a, b, size):
    """Σ over the last axis of a·b (float16 arrays, broadcast), rounded once to float16, as
    torch's batched product sums it: below 400 multiply-adds per matrix (``size``: contraction
    × rows × columns) its plain loop adds the products one by one in float32 (a loop over the
    contraction here, not over elements); above, its BLAS-like kernel, whose order is not
    reproduced (NumPy's float32 sum: the products of float16 values are exact, so only a rare
    sum rounds differently)."""
    a, b = a.astype(F), b.astype(F)
    if size >= 400 or a.shape[-1] == 0 or b.shape[-1] == 0:    # (an empty sum: 0)
        return np.einsum("...k,...k->...", a, b).astype(H)
    total = a[..., 0] * b[..., 0]
    for k in range(1, a.shape[-1]):
        total = total + a[..., k] * b[..., k]
    return total.astype(H)


def bilinear_forward(x1, weight, x2):
    """(y, t): y (B, O) float16, and t = h(x₁·A) (O, B, J), kept for dL/dx₂."""
    (B, I), J = x1.shape, weight.shape[2]
    t = _contract(x1[None, :, None, :], weight.transpose(0, 2, 1)[:, None], B * I * J)
    y = _contract(t, x2[None], J).T
    return y, t


def bilinear_backward(g, x1, weight, x2, t, need=(True, True, True)):
    """dL/dx₁, dL/dA, dL/dx₂ (None where not needed) for y = bilinear_forward(...)[0]."""
    (B, I), J = x1.shape, weight.shape[2]
    gf = g.astype(F).T                                                      # (O, B)
    d1 = dw = d2 = None
    if need[0]:
        scaled = (gf[:, :, None, None] * weight.astype(F)[:, None]).astype(H)   # (O, B, I, J)
        d1 = _over_outputs(_contract(scaled, x2[None, :, None, :], I * J))
    if need[1]:
        scaled = (x1.astype(F)[None] * gf[:, :, None]).astype(H)          # (O, B, I)
        dw = _contract(scaled.transpose(0, 2, 1)[:, :, None, :], x2.T[None, None], B * I * J)
    if need[2]:
        d2 = _over_outputs((t.astype(F) * gf[:, :, None]).astype(H))
    return d1, dw, d2
