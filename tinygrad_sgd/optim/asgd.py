"""ASGD (``torch.optim.ASGD``): SGD with a decaying step size and, after ``t0`` steps, a
running (Polyak–Ruppert) average of the iterates (Polyak & Juditsky, 1992)."""
from .. import kernels
from .optimizer import (Optimizer, _check_nonnegative, _graph_grad, _lr_value, _number,
                        _scalar, _set_scalar)
from .tensor_hyper import _torch_pow

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD with torch's exact update, for each parameter θ with gradient g at step
    t = 1, 2, ... (γ = lr, λ = lambd, α = alpha, λ_w = weight_decay; η starts at γ, μ at 1):

        g ← −g                               if maximize
        g ← g + λ_w·θ                        if λ_w ≠ 0
        θ ← θ·(1 − λη) − η·g                 (decay, then the step)
        θ̄ ← θ̄ + μ·(θ − θ̄)                    ax: the average (θ̄ ← θ while μ = 1)
        η ← γ / (1 + λγt)^α                  eta, the next step size
        μ ← 1 / max(1, t − t0)               mu: averaging starts after t0 steps

    The optimizer moves θ; the average θ̄ is ``state[p]["ax"]`` (copy it into the model to
    evaluate it). ``state[p]`` also holds ``step``, ``eta`` and ``mu``: 0-d float32 tensors,
    as torch's (eta and mu rounded to float32 so). Every argument is
    positional, as in torch.
    """

    _capturable_error = ("If capturable=True, params, mus, etas, and state_steps must be on "
                         "supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla'].")
    _scalar_state = ("eta", "mu")
    _item_on_meta = True      # (torch's update calls .item() on its state)
    _numbers_on_device = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "weight_decay", "weight_decay value")
        for key in ("lambd", "alpha", "t0"):
            _number(group[key], key)

    def _update(self, p, g, group):
        lr, lambd = _lr_value(group["lr"]), float(group["lambd"])
        alpha, t0 = float(group["alpha"]), float(group["t0"])
        theta, state = p.array, self._step_state(p, "ax", eta=lr, mu=1.0)
        step = float(state["step"])
        eta, mu = float(state["eta"]), float(state["mu"])
        theta *= 1 - lambd * eta
        kernels.optim.add_scaled(theta, -eta, g, out=theta)   # add_(g, alpha=−η): fused
        ax = state["ax"].array
        if mu != 1:
            ax += (theta - ax) * mu
        else:
            ax[...] = theta
        _next_eta_mu(state, lr, lambd, alpha, t0, step)

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_asgd`` with ``differentiable=True``: θ and the average in
        Tensor operations recorded in the graph; η and μ are numbers there (torch reads them
        with ``item()``), so a learned lr gets no gradient through them, as in torch."""
        lr, lambd = _lr_value(group["lr"]), float(group["lambd"])
        state = self._step_state(p, "ax", eta=lr, mu=1.0)
        step = float(state["step"])
        g = _graph_grad(p, group)
        eta, mu = float(state["eta"]), float(state["mu"])
        p.mul_(1 - lambd * eta)
        p.add_(g, alpha=-eta)
        ax = state["ax"]
        if mu != 1:
            ax.add_(p.sub(ax).mul_(mu))
        else:
            ax.copy_(p)
        _next_eta_mu(state, lr, lambd, float(group["alpha"]), float(group["t0"]), step)


def _next_eta_mu(state, lr, lambd, alpha, t0, step):
    """The next step's η and μ: torch.as_tensor of the Python number (the default dtype),
    then copied into the state tensor (float64 for a float64 parameter's resumed state)."""
    _set_scalar(state["eta"], _scalar(lr / _torch_pow(1 + lambd * lr * step, alpha)).array)
    _set_scalar(state["mu"], _scalar(1 / max(1, step - t0)).array)
