"""NAdam (``torch.optim.NAdam``): Adam with Nesterov momentum (Dozat, 2016), whose momentum
coefficient warms up with ``momentum_decay``."""
from .. import kernels
from .adam import _pair
from .optimizer import (Optimizer, _check_betas, _check_nonnegative, _lerp_,
                        _lr_value, _set_scalar)
from .tensor_hyper import _num, _torch_pow

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam with torch's exact update, for each parameter θ with gradient g at step
    t = 1, 2, ... (γ = lr, β₁, β₂ = betas, ψ = momentum_decay, λ = weight_decay, ε = eps):

        g ← −g                               if maximize
        θ ← θ·(1 − γλ)                       if decoupled_weight_decay
        g ← g + λ·θ                          otherwise, if λ ≠ 0
        μₜ ← β₁·(1 − ½·0.96^(t·ψ))           the momentum schedule (μₜ₊₁ likewise)
        Π ← Π·μₜ                             mu_product: μ₁·μ₂·…·μₜ
        m ← m + (1 − β₁)·(g − m)             exp_avg
        v ← β₂·v + (1 − β₂)·g²               exp_avg_sq
        d ← √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − γ(1 − μₜ)/(1 − Π) · g/d − γμₜ₊₁/(1 − Π·μₜ₊₁) · m/d

    ``state[p]`` holds ``step`` (t) and ``mu_product`` (0-d float32 tensors, as torch's: the
    product is rounded to float32 after each step, as there), ``exp_avg`` and ``exp_avg_sq``.
    """

    _capturable_error = ("If capturable=True, params, mu_products and state_steps must be on "
                         "supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla'].")
    _scalar_state = ("mu_product",)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        super().__init__(params, dict(lr=lr, betas=_pair(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_betas(group)
        _check_nonnegative(group, "weight_decay", "weight_decay value")
        _check_nonnegative(group, "momentum_decay", "momentum_decay value")

    def _update(self, p, g, group):
        # (a Tensor lr or beta is a NumPy scalar of its dtype here: torch's 0-d tensor
        # arithmetic, each operation rounded to that dtype — see .tensor_hyper)
        lr, eps = _lr_value(group["lr"]), float(group["eps"])
        weight_decay, psi = float(group["weight_decay"]), float(group["momentum_decay"])
        beta1, beta2 = (_lr_value(b) for b in group["betas"])
        theta, dt = p.array, p.array.dtype.type
        state = self._step_state(p, "exp_avg", "exp_avg_sq", mu_product=1.0)
        step = float(state["step"])
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            theta *= 1 - lr * weight_decay
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        product = state["mu_product"].array
        # (Π·μ in the promoted dtype of the two 0-d tensors — or Π's, μ a Python number —
        # rounded to Π's, as torch's mu_product *= mu)
        mu_product = _set_scalar(state["mu_product"], product * mu)
        m, v = state["exp_avg"].array, state["exp_avg_sq"].array
        _lerp_(m, g, _num(1 - beta1, dt))
        v *= _num(beta2, dt)
        kernels.optim.addcmul_(v, _num(1 - beta2, dt), g, g)   # torch's mul_(β₂).addcmul_
        denom = kernels.optim.sqrt(v / _num(1 - _torch_pow(beta2, step), dt))
        denom += eps
        update = _num(-lr * (1.0 - mu) / (1.0 - mu_product), dt) * g
        update /= denom
        theta += update
        update = _num(-lr * mu_next / (1.0 - mu_product * mu_next), dt) * m
        update /= denom
        theta += update

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_nadam`` with ``differentiable=True``, in Tensor operations
        recorded in the graph. That is torch's other arithmetic, graph or not: the two step
        sizes are 0-d tensor operations with ``mu_product`` (float32), the gradient and m
        multiplied by them before the divisions."""
        state = self._step_state(p, "exp_avg", "exp_avg_sq", mu_product=1.0)
        step, lr = float(state["step"]), group["lr"]
        beta1, beta2 = group["betas"]
        weight_decay, psi = group["weight_decay"], group["momentum_decay"]
        g = p.grad if not group["maximize"] else -p.grad
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                g = g.add(p, alpha=weight_decay)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]
        mu_product *= mu
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt().add(group["eps"])
        mu_product_next = mu_product * mu_next
        g = g * (-lr * (1.0 - mu) / (1.0 - mu_product))
        exp_avg = exp_avg * (-lr * mu_next / (1.0 - mu_product_next))
        p.addcdiv_(g, denom)
        p.addcdiv_(exp_avg, denom)
