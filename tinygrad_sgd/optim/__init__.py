"""Optimizers, shaped like ``torch.optim``: :class:`SGD` (momentum, dampening, Nesterov,
weight decay, maximize) over parameter groups, and learning-rate schedules in
:mod:`tinygrad_sgd.optim.lr_scheduler`.

    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for x, y in loader:
        opt.zero_grad()
        F.nll_loss(model(x), y).backward()
        opt.step()
"""
import numbers

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor
from . import lr_scheduler  # noqa: F401  (optim.lr_scheduler.StepLR, as in torch)

__all__ = ["Optimizer", "SGD", "lr_scheduler"]


def _as_numpy(value):
    from ..nn.module import _as_numpy as convert
    return convert(value)


def _refuse_sets(params):
    if isinstance(params, (set, frozenset)):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                        "the ordering of tensors in sets will change between runs; use a list")


class Optimizer:
    """Base class: holds ``param_groups`` (a list of dicts, each with ``"params"`` and its own
    hyper-parameters) and ``state`` (per parameter, e.g. momentum buffers).

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], "lr": ...}`` whose
    missing options are taken from ``defaults``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor) or isinstance(params, dict):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        _refuse_sets(params)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (e.g. a different ``lr``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("a param group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        else:
            _refuse_sets(params)
            params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one computed from others); "
                                 "optimize the leaves it was computed from")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears more than once in a param group")
        group = dict(param_group)
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate_group(group)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate_group(self, group):
        pass

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (``None``, or zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif p.grad.grad_fn is not None:
                    p.grad = Tensor(np.zeros_like(p.data))
                else:
                    p.grad.zero_()

    def step(self, closure=None):
        raise NotImplementedError

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` —
        torch's layout: parameters are numbered in order across groups. The state Tensors are
        the optimizer's own (not copies), as in torch."""
        index, groups = {}, []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state from :meth:`state_dict` (ours, ``tinygrad_sgd.load`` of
        a saved one, or a torch optimizer's). The groups must have the same sizes."""
        try:
            saved_groups = list(state_dict["param_groups"])
            saved_state = state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError("optimizer state_dict must be a dict with 'state' and "
                             "'param_groups' entries") from None
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}")
        by_index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has "
                                 f"{len(saved['params'])} parameters, this optimizer's has "
                                 f"{len(group['params'])}")
            for idx, p in zip(saved["params"], group["params"]):
                by_index[int(idx)] = p
        state = {}
        for key, entries in saved_state.items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {key}, which is in "
                                 f"no parameter group")
            state[p] = {}
            for name, value in entries.items():
                if value is not None and hasattr(value, "shape"):
                    arr = np.array(_as_numpy(value), dtype=p.dtype)
                    if name == "momentum_buffer" and arr.shape != p.shape:
                        raise ValueError(f"loaded state dict: {name} of parameter {key} has "
                                         f"shape {arr.shape}, the parameter has {p.shape}")
                    value = Tensor(arr)
                state[p][name] = value
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new = {k: v for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            self._validate_group(new)
            new_groups.append(new)
        self.param_groups = new_groups
        self.state = state

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if value != value:  # NaN passes every "< 0" test and would silently turn weights into NaN
        raise ValueError(f"Invalid {name}: nan")
    return value


def _check_grad(p):
    """A gradient someone assigned by hand must fit its parameter: NumPy would broadcast a
    (3,) gradient over a (2, 3) parameter without a word."""
    g = p.grad
    if not isinstance(g, Tensor):
        raise TypeError(f"the .grad of a parameter of shape {p.shape} must be a Tensor or None, "
                        f"got {type(g).__name__}")
    if g.shape != p.shape:
        raise RuntimeError(f"the .grad of a parameter of shape {p.shape} has shape {g.shape}; a "
                           f"gradient must have its parameter's shape")


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

    Parameters without a gradient are skipped. ``step()`` runs under no_grad and updates in
    place (``add_``/``mul_``), so each parameter's version counter moves.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _validate_group(self, group):
        lr = _number(group["lr"], "lr")
        momentum = _number(group["momentum"], "momentum")
        dampening = _number(group["dampening"], "dampening")
        weight_decay = _number(group["weight_decay"], "weight_decay")
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr} (must be >= 0)")
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum} (must be >= 0)")
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (must be >= 0)")
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError(f"Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` (optional)
        re-evaluates the model and returns the loss, which is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad(), np.errstate(all="ignore"):  # a diverging run gives inf/nan quietly
            for group in self.param_groups:
                lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
                weight_decay, nesterov = group["weight_decay"], group["nesterov"]
                maximize = group["maximize"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    _check_grad(p)
                    g = p.grad.data
                    if maximize:
                        g = -g
                    if weight_decay != 0:
                        g = g + weight_decay * p.data
                    if momentum != 0:
                        state = self.state.setdefault(p, {})
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = state["momentum_buffer"] = Tensor(np.array(g, copy=True))
                        else:   # the buffer is the optimizer's own: plain in-place NumPy
                            b = buf.data
                            b *= momentum
                            b += g if dampening == 0 else (1 - dampening) * g
                        g = g + momentum * buf.data if nesterov else buf.data
                    # θ ← θ − γ·g in place; _check_grad has checked the shape, and the version
                    # bump lets a graph that saved θ notice the change
                    p._bump_version()
                    p.data -= lr * g
        return loss
