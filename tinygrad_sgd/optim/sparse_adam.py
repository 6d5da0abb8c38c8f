"""SparseAdam (``torch.optim.SparseAdam``): Adam for sparse gradients only.

This library has no sparse tensors, so every gradient it makes is dense — and torch's
SparseAdam refuses a dense gradient. Ours does exactly what torch's does on such a
model: it is built and checked as torch's, and ``step()`` raises torch's RuntimeError at the
first parameter with a (dense) gradient. Use :class:`~tinygrad_sgd.optim.Adam` instead.
"""
from ..autograd import no_grad
from .optimizer import Optimizer, _check_betas, _check_nonnegative, _evaluate, _params_with_grad

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """torch's options (``lr``, ``betas``, ``eps``, ``maximize``) and checks; every step with
    a gradient raises ``RuntimeError`` (dense gradients are all there are here)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        from .adam import _pair
        super().__init__(params, dict(lr=lr, betas=_pair(betas), eps=eps, maximize=maximize))

    def _validate_group(self, group):
        _check_nonnegative(group, "lr", "learning rate")
        _check_nonnegative(group, "eps", "epsilon value")
        _check_betas(group)

    def step(self, closure=None):
        loss = _evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                if _params_with_grad(group):
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
        return loss
