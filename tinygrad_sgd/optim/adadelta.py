"""Adadelta (``torch.optim.Adadelta``): steps whose size is the ratio of running RMS of past
updates to running RMS of gradients (Zeiler, 2012), so no learning rate is needed (``lr``
only scales the result)."""
from .. import kernels
from .optimizer import (Optimizer, _check_nonnegative, _count_step, _graph_grad, _number,
                        _scalar, _zeros)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta with torch's exact update, for each parameter θ with gradient g (γ = lr,
    ρ = rho, λ = weight_decay, ε = eps; both running means start at zero):

        g ← −g                               if maximize
        g ← g + λ·θ                          if λ ≠ 0
        s ← ρ·s + (1 − ρ)·g²                 square_avg
        Δ ← √(a + ε) / √(s + ε) · g          the update, in units of θ
        a ← ρ·a + (1 − ρ)·Δ²                 acc_delta
        θ ← θ − γ·Δ

    ``state[p]`` holds ``step`` (counted, as in torch, though unused), ``square_avg`` and
    ``acc_delta``. ``foreach`` is positional (after ``weight_decay``) as in torch.
    """

    _capturable_error = ("If capturable=True, params and state_steps must be on supported "
                         "devices: ['cuda', 'xpu', 'hpu', 'privateuseone'].")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable,
                                      foreach=foreach, differentiable=differentiable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        rho = _number(group["rho"], "rho")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (must be in [0, 1])")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_nonnegative(group, "weight_decay", "weight_decay value")

    def _state(self, p):
        """``self.state[p]``, made at the first step in torch's order, its step counted."""
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = _scalar(0.0)
            state["square_avg"] = _zeros(p)
            state["acc_delta"] = _zeros(p)
        _count_step(state)
        return state

    def _update(self, p, g, group):
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        theta, state = p.array, self._state(p)
        s, a = state["square_avg"].array, state["acc_delta"].array
        s *= rho
        kernels.optim.addcmul_(s, 1 - rho, g, g)          # torch's mul_(ρ).addcmul_: fused
        std = kernels.optim.sqrt(s + eps)
        delta = kernels.optim.sqrt(a + eps)
        delta /= std
        delta *= g
        a *= rho
        kernels.optim.addcmul_(a, 1 - rho, delta, delta)
        kernels.optim.add_scaled(theta, -lr, delta, out=theta)    # add_(delta, alpha=−lr)

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_adadelta`` with ``differentiable=True``, in Tensor
        operations recorded in the graph (Δ a clone before its in-place steps, as there)."""
        state = self._state(p)
        rho, eps = float(group["rho"]), float(group["eps"])
        g = _graph_grad(p, group)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        square_avg.mul_(rho).addcmul_(g, g, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_().clone()
        delta.div_(std).mul_(g)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group["lr"])
