"""RMSprop (``torch.optim.RMSprop``): divide the gradient by a running root-mean-square of
recent gradients; optionally centered (subtract the running mean first) and with momentum."""

from .. import kernels
from ..kernels.optim import add_scaled
from .optimizer import (Optimizer, _check_nonnegative, _count_step, _graph_grad, _lerp_,
                        _scalar, _zeros)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e) with torch's exact update, for each parameter θ with
    gradient g (γ = lr, α = alpha, μ = momentum, λ = weight_decay, ε = eps; the buffers start
    at zero):

        g ← −g                           if maximize
        g ← g + λ·θ                      if λ ≠ 0
        s ← α·s + (1 − α)·g²             square_avg
        if centered:
            ḡ ← ḡ + (1 − α)·(g − ḡ)      grad_avg
            d ← √(s − ḡ²) + ε
        else:
            d ← √s + ε
        if μ > 0:
            b ← μ·b + g/d                momentum_buffer
            θ ← θ − γ·b
        else:
            θ ← θ − γ·g/d

    ``state[p]`` holds ``step`` (counted, as in torch, though the update does not use it),
    ``square_avg``, and ``momentum_buffer`` / ``grad_avg`` where those options are on.
    The arguments, the group's keys and the state's keys come in torch's order
    (``capturable``, ``foreach``, ``maximize``, ``differentiable`` after ``centered``).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_nonnegative(group, "momentum", "momentum value")
        _check_nonnegative(group, "weight_decay", "weight_decay value")
        _check_nonnegative(group, "alpha", "alpha value")

    def _state(self, p, group):
        """``self.state[p]``, made at the first step in torch's order, its step counted."""
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = _scalar(0.0)
            state["square_avg"] = _zeros(p)
            if float(group["momentum"]) > 0:        # (torch's order of the state's keys)
                state["momentum_buffer"] = _zeros(p)
            if group["centered"]:
                state["grad_avg"] = _zeros(p)
        _count_step(state)
        return state

    def _update(self, p, g, group):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        momentum = float(group["momentum"])
        theta, state = p.array, self._state(p, group)
        square_avg = state["square_avg"].array
        square_avg *= alpha
        add_scaled(square_avg, (1 - alpha) * g, g, out=square_avg)   # torch's addcmul_
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", _zeros(p)).array
            _lerp_(grad_avg, g, 1 - alpha)
            # square_avg.addcmul(grad_avg, grad_avg, value=−1): fused, one rounding
            denom = kernels.optim.sqrt(add_scaled(square_avg, -grad_avg, grad_avg))
        else:
            denom = kernels.optim.sqrt(square_avg)
        denom += eps
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", _zeros(p)).array
            buf *= momentum
            buf += g / denom
            add_scaled(theta, -lr, buf, out=theta)        # torch's add_(buf, alpha=-lr)
        else:
            update = -lr * g
            update /= denom
            theta += update

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_rmsprop`` with ``differentiable=True``, in Tensor
        operations recorded in the graph (a ``lr`` that requires grad is torch's TypeError:
        it goes where torch takes a number)."""
        state = self._state(p, group)
        alpha, eps, momentum = float(group["alpha"]), float(group["eps"]), group["momentum"]
        g = _graph_grad(p, group)
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", _zeros(p))
            grad_avg.lerp_(g, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add(eps)
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", _zeros(p))
            buf.mul_(momentum).addcdiv_(g, avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(g, avg, value=-group["lr"])
