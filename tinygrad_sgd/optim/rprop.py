"""Rprop (``torch.optim.Rprop``): resilient backpropagation (Riedmiller & Braun, 1993) —
only the sign of the gradient is used; each coordinate has its own step size, which grows
while the sign stays and shrinks when it flips."""
import numpy as np

from ..tensor import Tensor
from .optimizer import (Optimizer, _check_nonnegative, _count_step, _number, _scalar,
                        _zeros)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop with torch's exact update, for each parameter θ with gradient g (γ = lr,
    (η⁻, η⁺) = etas, (Δmin, Δmax) = step_sizes; every step size Δ starts at γ and the
    previous gradient g' at zero):

        g ← −g                               if maximize
        f ← η⁺ where g·g' > 0, η⁻ where g·g' < 0, else 1
        Δ ← clamp(Δ·f, Δmin, Δmax)           step_size
        g ← 0 where f = η⁻                   (a sign flip: no move, and no flip next time)
        θ ← θ − sign(g)·Δ
        g' ← g                               prev

    ``sign`` is torch's, 0 for NaN: a NaN gradient (or ∞·0 after a flip) moves neither θ
    nor Δ, as in torch.

    ``state[p]`` holds ``step`` (counted, as in torch, though unused), ``prev`` and
    ``step_size``. There is no weight decay, as in torch.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, etas=_two("etas", etas),
                                      step_sizes=_two("step_sizes", step_sizes),
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        etaminus, etaplus = (_number(e, "etas") for e in _two("etas", group["etas"]))
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus} (must be "
                             f"0 < etaminus < 1 < etaplus)")
        for s in _two("step_sizes", group["step_sizes"]):
            _number(s, "step_sizes")

    def _state(self, p, group):
        """``self.state[p]``, made at the first step in torch's order (every step size
        ``full_like(p, lr)``: a learned lr that requires grad is torch's TypeError there), its
        step counted."""
        state = self.state.setdefault(p, {})
        if not state:
            lr = group["lr"]
            if isinstance(lr, Tensor) and lr.requires_grad:
                raise TypeError("full_like(): argument 'fill_value' (position 2) must be "
                                "Number, not Tensor")
            state["step"] = _scalar(0.0)
            state["prev"] = _zeros(p)
            state["step_size"] = Tensor._of(np.full_like(p.array, float(lr)))
        _count_step(state)
        return state

    def _update(self, p, g, group):
        etaminus, etaplus = (float(e) for e in group["etas"])
        low, high = (float(s) for s in group["step_sizes"])
        theta, state = p.array, self._state(p, group)
        prev, step_size = state["prev"].array, state["step_size"].array
        factor = _sign(g * prev)
        factor[factor > 0] = etaplus
        factor[factor < 0] = etaminus
        factor[factor == 0] = 1
        step_size *= factor
        np.clip(step_size, low, high, out=step_size)
        g = np.array(g, copy=True)
        g[factor == etaminus] = 0
        theta -= _sign(g) * step_size
        prev[...] = g

    def _differentiable_update(self, p, group):
        """torch's ``_single_tensor_rprop`` with ``differentiable=True``, in Tensor
        operations recorded in the graph (the step sizes' factors are constants: a
        gradient flows through θ, the step sizes and the kept gradient)."""
        etaminus, etaplus = (float(e) for e in group["etas"])
        low, high = (float(s) for s in group["step_sizes"])
        state = self._state(p, group)
        g = p.grad if not group["maximize"] else -p.grad
        prev, step_size = state["prev"], state["step_size"]
        sign = g.mul(prev.clone()).sign()
        sign[sign.gt(0)] = etaplus
        sign[sign.lt(0)] = etaminus
        sign[sign.eq(0)] = 1
        step_size.mul_(sign).clamp_(low, high)
        g = g.clone()
        g[sign.eq(etaminus)] = 0
        p.addcmul_(g.sign(), step_size, value=-1)
        prev.copy_(g)


def _sign(a):
    """torch's ``sign``, as a new array: −1, 0 or 1, and 0 for NaN (NumPy's gives NaN, which
    would make the step size, and then θ, NaN for good; torch's skips the element)."""
    sign = np.array(np.sign(a))    # (an array also for a 0-d parameter)
    sign[np.isnan(sign)] = 0
    return sign


def _two(name, value):
    """``etas`` / ``step_sizes`` as a tuple of two numbers."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{name} must be a pair, got {value!r}")
    return tuple(value)
