"""Stochastic weight averaging (``torch.optim.swa_utils``): :class:`AveragedModel` keeps a
running average of a model's weights (equal weights: SWA, Izmailov et al., 2018; or an
exponential moving average: EMA), :func:`update_bn` recomputes BatchNorm statistics for the
averaged weights, and :class:`SWALR` anneals each group's lr to a constant ``swa_lr``.

    swa_model = swa_utils.AveragedModel(model)
    swa_scheduler = swa_utils.SWALR(opt, swa_lr=0.05)
    for epoch in range(100):
        train_one_epoch(model, opt)
        if epoch > 75:
            swa_model.update_parameters(model)
            swa_scheduler.step()
    swa_utils.update_bn(loader, swa_model)
"""
import itertools
import math
from copy import deepcopy

import numpy as np

from ..autograd import no_grad
from ..nn.module import Module
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _per_group, _warn_get_lr_called_within_step

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         f"[0,1] range.")


def _is_float(t):
    return np.issubdtype(t.array.dtype, np.inexact)


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update of lists of tensors: w ← w + (1 − decay)·(v − w) (torch's lerp;
    integer tensors: w ← w·decay + v·(1 − decay))."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            for p_ema, p_model in zip(ema_param_list, current_param_list):
                if _is_float(ema_param_list[0]):
                    p_ema.lerp_(p_model, 1 - decay)
                else:
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight average of lists of tensors, the (n+1)-th model joining n:
    w ← w + (v − w)/(n + 1) (torch's lerp). Integer tensors are refused as torch refuses them
    (its integer ``addcdiv`` and integer ``add`` with a fractional ``alpha`` raise)."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            if _is_float(averaged_param_list[0]):
                weight = float(1 / (num_averaged + 1))
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    p_avg.lerp_(p_model, weight)
            elif isinstance(num_averaged, Tensor):
                raise RuntimeError(
                    "Integer division with addcdiv is no longer supported, and in a future  "
                    "release addcdiv will perform a true division of tensor1 and tensor2. The "
                    "historic addcdiv behavior can be implemented as (input + value * "
                    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                    "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                    "behavior is just the latter implementation: (input + value * tensor1 / "
                    "tensor2), for all dtypes.")
            else:
                raise RuntimeError("For integral input tensors, argument alpha must not be a "
                                   "floating point number.")
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """EMA of one tensor: returns decay·w + (1 − decay)·v."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """Equal-weight average of one tensor: returns w + (v − w)/(n + 1)."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters (and, with ``use_buffers``, buffers) are a running
    average of ``model``'s, updated by :meth:`update_parameters`: the first call copies them,
    the next ones average with ``avg_fn(averaged, current, n_averaged)`` (one tensor, returns
    the new value) or ``multi_avg_fn(averaged_list, current_list, n_averaged)`` (in place),
    else with equal weights (SWA). Without ``use_buffers`` the buffers are copied from
    ``model`` each time. ``n_averaged`` is a buffer (so it is in the state dict, as torch's).
    Calling it runs the averaged copy."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor._of(np.array(0, np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average."""
        with no_grad():
            self._update_parameters(model)

    def _update_parameters(self, model):
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        averaged, current = [], []
        first = int(self.n_averaged.item()) == 0
        for p_avg, p_model in zip(mine, theirs):
            averaged.append(p_avg.detach())
            current.append(p_model.detach())
            if first:
                p_avg.detach().copy_(p_model.detach())
        if not first:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                # torch groups the tensors by dtype; on the CPU its default is the one-tensor
                # equal-weight average, written back with copy_ (so integers truncate)
                by_dtype = {}
                for a, c in zip(averaged, current):
                    pair = by_dtype.setdefault(a.array.dtype, ([], []))
                    pair[0].append(a)
                    pair[1].append(c)
                for avg_list, cur_list in by_dtype.values():
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avg_list, cur_list, self.n_averaged)
                    else:
                        swa = get_swa_avg_fn()
                        for a, c in zip(avg_list, cur_list):
                            a.copy_(swa(a, c, self.n_averaged))
            else:
                for a, c in zip(averaged, current):
                    a.copy_(self.avg_fn(a, c, self.n_averaged))
        if not self.use_buffers:      # keep the buffers in sync with the source model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                b_swa.detach().copy_(b_model.detach())
        self.n_averaged.add_(1)


def update_bn(loader, model, device=None):
    """One pass over ``loader`` (batches, or tuples/lists whose first item is the input) in
    training mode to recompute every BatchNorm's running statistics from scratch, as their
    cumulative average (momentum None for the pass; restored after, as the train/eval mode)."""
    from ..nn.normalization import _BatchNorm
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to ``swa_lr`` (one per group, or one for
    all) over ``anneal_epochs`` epochs, then hold it; ``anneal_strategy`` 'cos'
    (α = (1 − cos(π·t))/2) or 'linear' (α = t), t = epoch/anneal_epochs:
    lr = swa_lr·α + lr₀·(1 − α), with lr₀ recovered from the last lr as torch does."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" \
            else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
