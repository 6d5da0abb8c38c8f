"""Muon (``torch.optim.Muon``): momentum SGD whose update matrix is first orthogonalised by a
few Newton–Schulz iterations, for the 2-D weights of hidden layers.

torch runs the Newton–Schulz iteration in **bfloat16**, whatever the parameter's dtype (the
update then lands on a float32 or float64 parameter). NumPy has no bfloat16, so the iteration
here keeps bfloat16 *values* in float32 arrays and rounds to bfloat16 (round-to-nearest-even)
where torch's CPU kernels round: after the cast, the norm, the division and each matrix
product. A bfloat16 matmul's products are exact in float32 and its sums are float32 in
both libraries, each in its own order (oneDNN's in torch, BLAS's here), so a near-tie can round
to the other bfloat16 neighbour: the orthogonalised update agrees with torch's to a few
bfloat16 units in the last place, most elements to the bit. The lerps and the last step
θ − γ'·O are fused multiply-adds in torch, and here.
"""
import math

import numpy as np

from ..kernels.optim import add_scaled
from .optimizer import Optimizer, _lerp_, _lr_value, _number, _zeros

__all__ = ["Muon"]

# Keller Jordan's constants (torch's defaults)
_EPS = 1e-7
_COEFFICIENTS = (3.4445, -4.775, 2.0315)
_NS_STEPS = 5


def _bf16(x):
    """Round a float32 array to the nearest bfloat16 value (ties to even), kept as float32:
    bfloat16 is float32's upper 16 bits, so add half of the dropped part (plus the kept
    part's lowest bit, for ties) and clear the lower 16 bits. NaN stays NaN."""
    x = np.asarray(x, np.float32)
    bits = x.view(np.uint32)
    out = ((bits + (0x7FFF + ((bits >> 16) & 1))) & 0xFFFF0000).view(np.float32)
    nan = np.isnan(x)
    return np.where(nan, x, out) if nan.any() else out


def _accumulate(a, b):
    """``a @ b`` for float32 arrays holding bfloat16 values: the products are exact in
    float32, the sums are BLAS's, in float32 (torch's oneDNN bfloat16 matmul also sums in
    float32, in its own order: a near-tie then rounds to the other bfloat16 neighbour)."""
    return np.matmul(a, b)


def _addmm(c, a, b, beta, alpha=1.0):
    """torch.addmm(c, a, b, beta=beta, alpha=alpha) in bfloat16: β·c + α·(a @ b), the
    constants in float32, the final multiply-add fused (one rounding), then rounded to
    bfloat16."""
    scaled = (np.float32(alpha) * _accumulate(a, b)).astype(np.float64)
    return _bf16((np.float64(np.float32(beta)) * c + scaled).astype(np.float32))


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """An approximate orthogonalisation ``U·S'·Vᵀ`` (S' ≈ 1, roughly in [0.5, 1.5]) of the
    matrix ``grad = U·S·Vᵀ``, as torch computes it, in bfloat16:

        X ← grad / max(‖grad‖_F, ε)          (transposed first if it has more rows than columns)
        repeat ns_steps times:  A ← X·Xᵀ;  B ← b·A + c·A·A;  X ← a·X + B·X

    The quintic a·x + b·x³ + c·x⁵ pushes every singular value in (0, 1] towards 1.
    Returns the bfloat16 values as a float32 array."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = _bf16(grad.astype(np.float32))      # float64 → float32 → bfloat16, as torch's cast
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(np.float32(np.sqrt(np.sum(x.astype(np.float64) ** 2))))
    x = _bf16(x / max(norm, _bf16(np.float32(eps))))
    for _ in range(ns_steps):
        gram = _bf16(_accumulate(x, x.T))
        update = _addmm(gram, gram, gram, beta=b, alpha=c)
        x = _addmm(x, update, x, beta=a)
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, shape):
    """The learning rate for a (A, B) matrix: "original" (Keller Jordan, also for None)
    γ·√max(1, A/B); "match_rms_adamw" (Moonshot) 0.2·γ·√max(A, B), an update of AdamW's
    RMS."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """Muon (Keller Jordan, 2024) with torch's update, for each 2-D parameter θ with
    gradient g (γ = lr, λ = weight_decay, μ = momentum; B starts at zero):

        B ← B + (1 − μ)·(g − B)                 momentum_buffer (torch's lerp_)
        U ← g + μ·(B − g)  if nesterov, else B
        O ← NS(U)                               Newton–Schulz, in bfloat16 (see the module)
        θ ← θ·(1 − γλ)                          decoupled weight decay
        θ ← θ − adjust(γ, shape)·O              adjust_lr_fn: None/"original", "match_rms_adamw"

    torch's buffer is a running *average* (lerp), not SGD's sum. Only 2-D parameters are
    accepted (biases and embeddings belong to another optimizer, e.g. AdamW).
    ``state[p]`` holds ``momentum_buffer``.
    """

    _own_weight_decay = True

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=_COEFFICIENTS, eps=_EPS, ns_steps=_NS_STEPS,
                 adjust_lr_fn=None):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()!r}")

    def _validate_group(self, group):
        """torch's checks (and words) of the constructor's options, here for every group."""
        lr = _number(group["lr"], "lr")
        if lr < 0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        momentum = _number(group["momentum"], "momentum")
        if momentum < 0:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        weight_decay = _number(group["weight_decay"], "weight_decay")
        if weight_decay < 0:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        fn = group["adjust_lr_fn"]
        if fn is not None and fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {fn} is not supported")

    def _update(self, p, g, group):
        # a Tensor lr: torch computes 1 − γλ and the adjusted γ as 0-d tensor ops (float32)
        lr, momentum = _lr_value(group["lr"]), float(group["momentum"])
        if g.ndim != 2:               # a 1-D parameter added later with add_param_group
            raise ValueError("Param gradient must be a 2D matrix")
        state = self.state.setdefault(p, {})
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = _zeros(p)
        buf = state["momentum_buffer"].array
        _lerp_(buf, g, 1 - momentum)
        if group["nesterov"]:
            update = np.array(g, copy=True)
            _lerp_(update, buf, momentum)
        else:
            update = buf
        update = _zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                             int(group["ns_steps"]), float(group["eps"]))
        adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
        theta = p.array
        theta *= 1 - lr * float(group["weight_decay"])
        # torch's add_(O, alpha=−γ'): one fused multiply-add, in float32 and in float64
        add_scaled(theta, -float(adjusted_lr), update.astype(theta.dtype), out=theta)
