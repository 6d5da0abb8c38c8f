"""Adafactor (``torch.optim.Adafactor``): Adam-like steps whose second-moment estimate of a
matrix is factored into row and column means (Shazeer & Stern, 2018), so it costs O(m + n)
memory instead of O(m·n); the step size is relative to the parameter's own scale."""
import numpy as np

from .. import kernels
from .optimizer import Optimizer, _count_step, _lerp_, _number, _scalar, _zeros
from ..tensor import Tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor with torch's exact update, for each parameter θ (n entries) with gradient g
    at step t = 1, 2, ... (γ = lr, c = beta2_decay, (ε₁, ε₂) = eps, ε₁ = the machine
    epsilon of the dtype of the group's first parameter if None, λ = weight_decay, d the
    clipping threshold):

        g ← −g                               if maximize
        β̂ ← t^c                              (1 − β₂ₜ: the running means' weight)
        α ← max(ε₂, ‖θ‖/√n) · min(γ, 1/√t)   the step, relative to θ's RMS
        θ ← θ·(1 − γλ)                       if λ ≠ 0 (always decoupled)
        a matrix (the last two dims m × k):
            R ← R + β̂·(‖g‖²_row/k − R)       row_var: mean of g² over each row
            C ← C + β̂·(‖g‖²_col/m − C)       col_var: mean of g² over each column
            V ← R·C / max(mean(R), ε₁)       the rank-1 estimate of E[g²]
        a vector:
            V ← V + β̂·(g² − V)               variance
        u ← g / √max(V, ε₁²)
        θ ← θ − α/max(1, ‖u‖/(√n·d)) · u     (update clipping)

    ``state[p]`` holds ``step`` (a 0-d tensor, as torch's) and ``row_var`` and ``col_var`` (shapes
    (…, m, 1) and (…, 1, k)) for a parameter of two or more dims, else ``variance``.
    """

    _own_weight_decay = True
    _item_on_meta = True      # (torch's update calls .item() on its state)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=_eps_pair(eps),
                                      d=d, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def _validate_group(self, group):
        """torch's checks, in its words."""
        checks = [("lr", "Learning rate should be >= 0", lambda v: v >= 0),
                  ("beta2_decay", "beta2_decay should be <= 0", lambda v: v <= 0),
                  ("d", "Clipping threshold d should be >= 1", lambda v: v >= 1),
                  ("weight_decay", "weight_decay should be >= 0", lambda v: v >= 0)]
        eps1, eps2 = _eps_pair(group["eps"])
        for key, words, ok in checks[:2]:
            if not ok(_number(group[key], key)):
                raise ValueError(f"{words} but is: {group[key]}")
        if eps1 is not None and not _number(eps1, "eps[0]") >= 0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps1}")
        if not _number(eps2, "eps[1]") >= 0:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps2}")
        for key, words, ok in checks[2:]:
            if not ok(_number(group[key], key)):
                raise ValueError(f"{words} but is: {group[key]}")

    def _state_shape(self, name, p):
        shape = p.shape
        if name == "row_var":
            return shape[:-1] + (1,)
        if name == "col_var":
            return shape[:-2] + (1, shape[-1])
        return shape

    def _begin_group(self, group, params):
        """ε₁ = None: as torch, the machine epsilon of the group's first parameter with a
        gradient serves every parameter of the group (a float64 one after a float32 one
        gets float32's)."""
        eps1 = group["eps"][0]
        if eps1 is None and params:
            eps1 = float(np.finfo(params[0].array.dtype).eps)
        self._group_eps1 = eps1

    def _update(self, p, g, group):
        lr, d, weight_decay = float(group["lr"]), float(group["d"]), float(group["weight_decay"])
        eps1, eps2 = self._group_eps1, group["eps"][1]
        theta, state = p.array, self.state.setdefault(p, {})
        if not state:
            state["step"] = _scalar(0.0)
            if g.ndim > 1:
                state["row_var"] = Tensor._of(np.zeros(g.shape[:-1] + (1,), theta.dtype))
                state["col_var"] = Tensor._of(np.zeros(g.shape[:-2] + (1, g.shape[-1]),
                                                   theta.dtype))
            else:
                state["variance"] = _zeros(p)
        step = _count_step(state)
        weight = step ** float(group["beta2_decay"])
        rho = min(lr, 1 / step ** 0.5)
        alpha = max(eps2, float(_norm(theta)) / theta.size ** 0.5) * rho
        if weight_decay != 0:
            theta *= 1 - lr * weight_decay
        if g.ndim > 1:
            row_var, col_var = state["row_var"].array, state["col_var"].array
            _lerp_(row_var, _norm(g, -1) ** 2 / g.shape[-1], weight)
            _lerp_(col_var, _norm(g, -2) ** 2 / g.shape[-2], weight)
            v = row_var @ col_var
            v /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            v = state["variance"].array
            _lerp_(v, g * g, weight)
            v = v.copy()
        update = np.maximum(v, eps1 * eps1)
        update = 1 / np.sqrt(update)
        update *= g
        denom = max(1.0, float(_norm(update)) / (update.size ** 0.5 * d))
        kernels.optim.add_scaled(theta, -alpha / denom, update, out=theta)  # add_(alpha=…): fused


def _norm(a, axis=None):
    """The 2-norm of all of ``a``, or along ``axis`` (kept as a size-1 dim)."""
    if axis is None:
        return np.sqrt(np.sum(a * a))
    return np.sqrt(np.sum(a * a, axis=axis, keepdims=True))


def _eps_pair(eps):
    """``eps`` as a tuple ``(eps1 or None, eps2)``."""
    if isinstance(eps, (str, bytes)) or not hasattr(eps, "__len__") or len(eps) != 2:
        raise ValueError(f"eps must be a pair (eps1, eps2), got {eps!r}")
    return tuple(eps)
