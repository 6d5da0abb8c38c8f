"""Adagrad (``torch.optim.Adagrad``): per-coordinate step sizes that shrink with the sum of
all past squared gradients."""
import numpy as np

from .. import kernels
from ..tensor import Tensor
from .adam import _lr_op
from ..meta import is_meta
from .optimizer import (Optimizer, _check_nonnegative, _count_step, _graph_grad, _scalar,
                        _zeros)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011) with torch's exact update, for each parameter θ with
    gradient g at step t = 1, 2, ... (γ = lr, η = lr_decay, λ = weight_decay, ε = eps; the sum
    starts at ``initial_accumulator_value``):

        g ← −g                           if maximize
        g ← g + λ·θ                      if λ ≠ 0
        γ̃ ← γ / (1 + (t − 1)·η)
        S ← S + g²                       sum
        θ ← θ − γ̃ · g / (√S + ε)

    As in torch, ``state[p]`` (``step`` = 0 and ``sum``) is created for every parameter when
    the optimizer is built, so a state_dict taken before the first step already holds it, and
    every sum starts at the constructor's ``initial_accumulator_value`` (a param group's own
    value is kept in the group but, as in torch, not used). ``maximize`` is keyword-only, as
    in torch.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        start = float(self.defaults["initial_accumulator_value"])
        self.state[p] = {"step": _scalar(0.0), "sum": _zeros(p) if is_meta(p) else
                         Tensor._of(np.full_like(p.array, start))}     # (meta: no values)

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "lr_decay", "lr_decay value")
        _check_nonnegative(group, "weight_decay", "weight_decay value")
        _check_nonnegative(group, "initial_accumulator_value",
                           "initial_accumulator_value value")
        _check_nonnegative(group, "eps", "epsilon value")

    def _state(self, p):
        """``self.state[p]`` (made now for a parameter that add_param_group added after
        ``__init__``) and its step, counted."""
        if p not in self.state:
            self._init_state(p)
        return self.state[p], _count_step(self.state[p])

    def _update(self, p, g, group):
        lr_decay, eps = float(group["lr_decay"]), float(group["eps"])
        state, step = self._state(p)
        clr = _lr_op(group["lr"], lambda a, b: a / b, 1 + (step - 1) * lr_decay)
        total = state["sum"].array
        kernels.optim.addcmul_(total, 1, g, g)            # state_sum.addcmul_(g, g): fused
        denom = kernels.optim.sqrt(total)
        denom += total.dtype.type(eps)
        kernels.optim.addcdiv_(p.array, -clr, g, denom)   # param.addcdiv_(g, std, value=−clr)

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_adagrad`` with ``differentiable=True``, in Tensor
        operations recorded in the graph."""
        state, step = self._state(p)
        g = _graph_grad(p, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(g, g, value=1)
        std = state["sum"].sqrt() + group["eps"]
        p.addcdiv_(g, std, value=-clr)
