"""RAdam (``torch.optim.RAdam``): Adam whose adaptive step is switched on, and rectified,
only once the variance estimate is reliable (Liu et al., 2019)."""

import numpy as np

from .. import kernels
from .adam import _pair
from .optimizer import Optimizer, _check_betas, _check_nonnegative, _lerp_, _lr_value
from .tensor_hyper import _num, _rdiv, _torch_pow

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam with torch's exact update, for each parameter θ with gradient g at step
    t = 1, 2, ... (γ = lr, β₁, β₂ = betas, λ = weight_decay, ε = eps):

        g ← −g                               if maximize
        θ ← θ·(1 − γλ)                       if decoupled_weight_decay
        g ← g + λ·θ                          otherwise, if λ ≠ 0
        m ← m + (1 − β₁)·(g − m)             exp_avg
        v ← β₂·v + (1 − β₂)·g²               exp_avg_sq
        m̂ ← m / (1 − β₁ᵗ)
        ρ∞ ← 2/(1 − β₂) − 1;   ρₜ ← ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        if ρₜ > 5:
            r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))      the rectification
            θ ← θ − γ·m̂·√(1 − β₂ᵗ)/(√v + ε)·r
        else:
            θ ← θ − γ·m̂                      (plain momentum SGD while v is unreliable)

    ``state[p]`` holds ``step`` (t, a 0-d tensor as torch's), ``exp_avg`` and ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        super().__init__(params, dict(lr=lr, betas=_pair(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_betas(group)
        _check_nonnegative(group, "weight_decay", "weight_decay value")

    def _update(self, p, g, group):
        # (a Tensor lr or beta is a NumPy scalar of its dtype here: torch's 0-d tensor
        # arithmetic, each operation rounded to that dtype — see .tensor_hyper)
        lr, eps = _lr_value(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (_lr_value(b) for b in group["betas"])
        theta, state = p.array, self._step_state(p, "exp_avg", "exp_avg_sq")
        dt = theta.dtype.type
        step = float(state["step"])
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            # with a Tensor lr, 1 − γλ is a 0-d tensor op in lr's dtype (float32), as torch's
            theta *= 1 - lr * weight_decay
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        _lerp_(m, g, _num(1 - beta1, dt))
        v *= _num(beta2, dt)
        kernels.optim.addcmul_(v, _num(1 - beta2, dt), g, g)   # torch's mul_(β₂).addcmul_
        bias_correction2 = 1 - _torch_pow(beta2, step)
        update = m / _num(1 - _torch_pow(beta1, step), dt)
        update *= _num(lr, dt)
        rho_inf = _rdiv(2, 1 - beta2) - 1
        rho_t = rho_inf - 2 * step * _torch_pow(beta2, step) / bias_correction2
        if rho_t > 5.0:
            denom = kernels.optim.sqrt(v)
            denom += eps
            correction = _torch_pow(bias_correction2, 0.5)
            if isinstance(correction, np.floating):     # a 0-d tensor / the tensor: divided
                adaptive = dt(correction) / denom
            else:     # torch's number / tensor is tensor.reciprocal() * number: two roundings
                adaptive = np.reciprocal(denom)
                adaptive *= correction
            update *= adaptive
            update *= _num(_torch_pow((rho_t - 4) * (rho_t - 2) * rho_inf
                                      / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5), dt)
        theta -= update

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_radam`` with ``differentiable=True``, in Tensor
        operations recorded in the graph (the rectification a number, or a 0-d tensor with
        Tensor betas)."""
        state = self._step_state(p, "exp_avg", "exp_avg_sq")
        step, lr, eps = float(state["step"]), group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        g = p.grad if not group["maximize"] else -p.grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                g = g.add(p, alpha=weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        bias_correction1, bias_correction2 = 1 - beta1 ** step, 1 - beta2 ** step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add(eps)
            p.add_(corrected * lr * adaptive * rect, alpha=-1.0)
        else:
            p.add_(corrected * lr, alpha=-1.0)
