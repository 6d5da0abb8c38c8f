"""Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``) with torch's single-tensor
update: bias-corrected moment estimates, AMSGrad, maximize, and L2 (Adam) or decoupled
(AdamW) weight decay."""
from .. import kernels
from ..tensor import Tensor
from .optimizer import (Optimizer, _check_betas, _check_nonnegative,
                        _graph_weight_decay, _zeros)
from .tensor_hyper import _check_tensor_options, _squeeze, _update_tensor_betas

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), for each parameter θ with gradient g at step t = 1, 2, ...
    (γ = lr, β₁, β₂ = betas, λ = weight_decay, ε = eps; m, v start at zero):

        g ← −g                              if maximize
        θ ← θ·(1 − γλ)                      if decoupled_weight_decay (AdamW)
        g ← g + λ·θ                         otherwise, if λ ≠ 0
        m ← m + (1 − β₁)·(g − m)            exp_avg: running mean of g
        v ← β₂·v + (1 − β₂)·g²              exp_avg_sq: running mean of g²
        v̂ ← max(v̂, v)                       max_exp_avg_sq, if amsgrad (then v̂ replaces v)
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    The two divisions by ``1 − βᵗ`` are the bias corrections: m and v start at zero, so early
    on they underestimate the true averages. ``state[p]`` holds ``step`` (t, a 0-d tensor as
    torch's), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    ``lr`` and ``betas`` may be 0-d Tensors, computed with as torch computes with them (see
    :mod:`.tensor_hyper`; with ``foreach=True`` refused, as torch refuses them).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_tensor_options(lr, betas, foreach, capturable)
        if isinstance(betas, (tuple, list)) and len(betas) == 2:   # 1-element → 0-d, as torch
            betas = tuple(_squeeze(b) for b in betas)
        super().__init__(params, dict(lr=lr, betas=_pair(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_betas(group)
        _check_nonnegative(group, "weight_decay", "weight_decay value")

    def _begin_group(self, group, params):
        if params and group["foreach"] and isinstance(group["lr"], Tensor) \
                and not group["capturable"]:
            raise RuntimeError("lr as a Tensor is not supported for capturable=False and "
                               "foreach=True")

    def _update(self, p, g, group):
        if isinstance(group["betas"][0], Tensor):
            return _update_tensor_betas(self, p, g, group)
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        theta, state = p.array, self._step_state(p, "exp_avg", "exp_avg_sq")
        decay = 0
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            # θ·(1 − γλ): with a Tensor lr, 1 − γλ is a float32 tensor op (and 1 − it, exact)
            decay = (1 - _lr_op(group["lr"], lambda a, b: 1 - a * b, weight_decay)
                     if isinstance(group["lr"], Tensor) else lr * weight_decay)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:   # (also amsgrad switched on later)
            state["max_exp_avg_sq"] = _zeros(p)
        v_max = state["max_exp_avg_sq"].array if group["amsgrad"] else None
        kernels.optim.adam_update(theta, g, state["exp_avg"].array, state["exp_avg_sq"].array,
                                  v_max, lr, beta1, beta2, eps, float(state["step"]), decay,
                                  _lr_op(group["lr"], lambda a, b: a / b,
                                         1 - beta1 ** float(state["step"])))


    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_adam`` with ``differentiable=True`` in Tensor operations,
        recorded in the graph. That is its capturable arithmetic: the bias corrections are
        float32 tensor operations on the step count, and the update divides by
        √v / (√(1 − β₂ᵗ)·(−γ/(1 − β₁ᵗ))) + ε/(−γ/(1 − β₁ᵗ))."""
        from ..functions.elementwise import square
        from ..functions.math import maximum
        state = self._step_state(p, "exp_avg", "exp_avg_sq")
        step = state["step"]
        g = p.grad if not group["maximize"] else -p.grad
        lr, eps, weight_decay = group["lr"], float(group["eps"]), group["weight_decay"]
        beta1, beta2 = group["betas"]
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            p.mul_(1 - lr * weight_decay)
        else:
            g = _graph_weight_decay(g, p, weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(g, 1 - (beta1.to(p.dtype) if isinstance(beta1, Tensor) else beta1))
        if isinstance(beta2, Tensor) and beta2.requires_grad:
            v.lerp_(square(g), weight=1 - beta2)
        else:
            v.mul_(beta2).addcmul_(g, g, value=float(1 - beta2))
        correction1 = 1 - beta1 ** (step.clone() if isinstance(beta1, Tensor) else step)
        correction2 = 1 - beta2 ** (step.clone() if isinstance(beta2, Tensor) else step)
        step_size_neg = (lr / correction1).neg()
        correction2_sqrt = correction2.sqrt()
        if group["amsgrad"]:
            if "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = _zeros(p)
            v_max = state["max_exp_avg_sq"]
            v = v_max.copy_(maximum(v_max.clone(), v))
        denom = (v.sqrt() / (correction2_sqrt * step_size_neg)).add_(eps / step_size_neg)
        p.addcdiv_(m.clone(), denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2017): each step first shrinks
    θ ← θ·(1 − lr·weight_decay), and the decay never enters the moment estimates. The
    default ``weight_decay`` is 1e-2. Otherwise exactly :class:`Adam`."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:     # as torch's AdamW: always decoupled
            group["decoupled_weight_decay"] = True


def _pair(betas):
    """``betas`` as a tuple ``(beta1, beta2)``."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return tuple(betas)


def _lr_op(lr, op, other):
    """``op(lr, other)`` as torch computes it: with a Python ``lr`` in double precision; with a
    Tensor ``lr`` (torch's 0-d float32) as a tensor op — ``other`` rounded to ``lr``'s dtype
    first, the result rounded to it too (Adam's ``lr / (1 − β₁ᵗ)``). Returns a Python float."""
    if not isinstance(lr, Tensor):
        return op(float(lr), other)
    dtype = lr.array.dtype.type
    return float(dtype(op(dtype(lr.array.reshape(())), dtype(other))))
