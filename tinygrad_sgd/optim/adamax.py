"""Adamax (``torch.optim.Adamax``): Adam with the infinity norm in place of the root mean
square (Kingma & Ba, 2014, section 7)."""
import numpy as np

from .adam import _pair
from .optimizer import (Optimizer, _check_betas, _check_nonnegative, _graph_grad, _lerp_,
                        _lr_value)
from .tensor_hyper import _num, _rdiv, _torch_pow

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax with torch's exact update, for each parameter θ with gradient g at step
    t = 1, 2, ... (γ = lr, β₁, β₂ = betas, λ = weight_decay, ε = eps):

        g ← −g                               if maximize
        g ← g + λ·θ                          if λ ≠ 0
        m ← m + (1 − β₁)·(g − m)             exp_avg
        u ← max(β₂·u, |g| + ε)               exp_inf: a decaying running maximum of |g|
        θ ← θ − γ/(1 − β₁ᵗ) · m/u

    ``state[p]`` holds ``step`` (t, a 0-d tensor as torch's), ``exp_avg`` and ``exp_inf``.
    ``foreach`` is positional (after ``weight_decay``) as in torch.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        super().__init__(params, dict(lr=lr, betas=_pair(betas), eps=eps,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_betas(group)
        _check_nonnegative(group, "weight_decay", "weight_decay value")

    def _update(self, p, g, group):
        # (a Tensor lr or beta is a NumPy scalar of its dtype here: torch's 0-d tensor
        # arithmetic, each operation rounded to that dtype — see .tensor_hyper)
        lr, eps = _lr_value(group["lr"]), float(group["eps"])
        beta1, beta2 = (_lr_value(b) for b in group["betas"])
        theta, state = p.array, self._step_state(p, "exp_avg", "exp_inf")
        dt, step = theta.dtype.type, float(state["step"])
        m, u = state["exp_avg"].array, state["exp_inf"].array
        _lerp_(m, g, _num(1 - beta1, dt))
        u *= _num(beta2, dt)
        norm = np.abs(g)
        norm += eps
        np.maximum(u, norm, out=u)
        # lr / (1 − β₁ᵗ): with a Tensor β₁ and a Python lr, torch's number / tensor
        update = _num(-_rdiv(lr, 1 - _torch_pow(beta1, step)), dt) * m
        update /= u
        theta += update

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_adamax`` with ``differentiable=True``, in Tensor
        operations recorded in the graph: the running maximum is ``amax`` of the two stacked
        candidates (its gradient splits between ties, as torch's)."""
        from ..functions.combine import cat
        from ..functions.reduce import amax
        state = self._step_state(p, "exp_avg", "exp_inf")
        beta1, beta2 = group["betas"]
        g = _graph_grad(p, group)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg.lerp_(g, 1 - beta1)
        norm_buf = cat([exp_inf.mul_(beta2).unsqueeze(0),
                        g.abs().add_(group["eps"]).unsqueeze_(0)], 0)
        exp_inf.copy_(amax(norm_buf, 0, keepdim=False))
        clr = group["lr"] / (1 - beta1 ** float(state["step"]))
        p.addcdiv_(exp_avg, exp_inf, value=-clr)
