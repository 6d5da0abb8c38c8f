"""Stochastic gradient descent (``torch.optim.SGD``): momentum, dampening, Nesterov, weight
decay and maximize, with torch's exact update."""
import numpy as np

from .. import kernels
from ..kernels.optim import add_scaled
from ..tensor import Tensor
from .optimizer import Optimizer, _check_nonnegative, _graph_weight_decay, _number

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent with torch's exact update, for each parameter θ with
    gradient g (γ = lr, μ = momentum, τ = dampening, λ = weight_decay):

        g ← −g                       if maximize
        g ← g + λ·θ                  if λ ≠ 0
        if μ ≠ 0:
            b ← g  (a copy)          at the first step
            b ← μ·b + (1−τ)·g        afterwards
            g ← g + μ·b  if nesterov, else  g ← b
        θ ← θ − γ·g

    Each ``a + c·b`` is rounded once, as torch's ``add_(b, alpha=c)`` (a fused multiply-add:
    :func:`~tinygrad_sgd.kernels.optim.add_scaled`). Parameters without a gradient are
    skipped. ``step()`` runs under no_grad and updates in place, so each parameter's version
    counter moves.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        momentum = _check_nonnegative(group, "momentum", "momentum value")
        dampening = _number(group["dampening"], "dampening")
        _check_nonnegative(group, "weight_decay", "weight_decay value")
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError(f"Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")

    def _begin_group(self, group, params):
        # torch reads every momentum buffer before the updates: a parameter listed twice in a
        # group (allowed, with a warning) starts both of its first updates from no buffer
        ids = [id(p) for p in params]
        self._without_buffer = () if len(set(ids)) == len(ids) else {
            id(p) for p in params if self.state.get(p, {}).get("momentum_buffer") is None}

    def _update_together(self, group, params):
        # every parameter a plain momentum step from an existing buffer: one kernel call for
        # several parameters (a small model's step is mostly each parameter's Python)
        momentum = float(group["momentum"])
        if momentum == 0 or group["nesterov"] or self._without_buffer:
            return False
        bufs = []
        for p in params:
            buf = self.state.get(p, {}).get("momentum_buffer")
            if buf is None:
                return False
            bufs.append(buf.array)
        for p in params:
            p._bump_version()
        kernels.optim.momentum_steps([p.array for p in params], [p.grad.array for p in params],
                                     bufs, float(group["lr"]), momentum,
                                     float(group["dampening"]))
        return True

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_sgd`` in Tensor operations, recorded in the graph: the
        first momentum buffer is a detached copy of g, as torch's."""
        g = p.grad if not group["maximize"] else -p.grad
        g, lr = _graph_weight_decay(g, p, group["weight_decay"]), group["lr"]
        momentum = float(group["momentum"])
        if momentum != 0:
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.detach().clone()
            else:
                buf.mul_(momentum).add_(g, alpha=1 - float(group["dampening"]))
            g = g.add(buf, alpha=momentum) if group["nesterov"] else buf
        if isinstance(lr, Tensor) and lr.requires_grad:
            p.addcmul_(g, lr, value=-1)
        else:
            p.add_(g, alpha=-float(lr))

    def _update(self, p, g, group):
        momentum, dampening = float(group["momentum"]), float(group["dampening"])
        if momentum != 0:
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None or id(p) in self._without_buffer:
                buf = state["momentum_buffer"] = Tensor._of(np.array(g, copy=True))
            elif not group["nesterov"]:   # the buffer, then the parameter: one kernel
                kernels.optim.momentum_step(p.array, g, buf.array, float(group["lr"]),
                                            momentum, dampening)
                return
            else:   # the buffer is the optimizer's own: in place
                b = buf.array
                b *= momentum
                add_scaled(b, 1 - dampening, g, out=b)
            g = add_scaled(g, momentum, buf.array) if group["nesterov"] else buf.array
        theta = p.array
        add_scaled(theta, -float(group["lr"]), g, out=theta)   # torch's add_(g, alpha=-lr)
