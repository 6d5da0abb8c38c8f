"""The :class:`Optimizer` base class (torch's ``torch.optim.Optimizer``) and the small helpers
every optimizer shares: checking hyper-parameters, picking the parameters with a gradient,
creating state buffers, running the closure, and torch's ``lerp_`` formula.

An optimizer subclass only has to say which options it takes (``defaults``), how to check
them (:meth:`Optimizer._validate_group`) and how one step changes a parameter
(:meth:`Optimizer._update`; the loop around it is :meth:`Optimizer.step`).
The update itself is plain NumPy on the parameter's array (``p.array``): one version bump per
parameter, then in-place array arithmetic, with Python-float hyper-parameters so that float32
stays float32.
"""
# house: long file — torch's Optimizer is one base class (param groups, state dicts, hooks, lr
# values as torch rounds them); its helpers read best beside it.
import copy
import numbers
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

from .. import kernels, meta
from ..meta import MetaArray
from ..autograd import enable_grad, no_grad
from ..profiler.profile import record_function
from ..tensor import Tensor
from .step_hooks import (_HOOK_TABLES, _add_hook, _patch_step_function,
                         register_optimizer_step_post_hook, register_optimizer_step_pre_hook)

__all__ = ["Optimizer", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


def _as_numpy(value):
    from ..nn.module import _as_numpy as convert
    return convert(value)


class _RequiredParameter:
    """The default of an option every param group must give (``lr=required`` in old custom
    optimizers): a group without it is refused by ``add_param_group``."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class: holds ``param_groups`` (a list of dicts, each with ``"params"`` and its own
    hyper-parameters) and ``state`` (per parameter, e.g. momentum buffers: a
    ``defaultdict(dict)``, as torch's, so a custom optimizer's ``self.state[p]`` starts empty).

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], "lr": ...}`` whose
    missing options are taken from ``defaults``."""

    # torch's words when ``capturable=True`` meets a CPU parameter (they name the optimizer's
    # state tensors, so a few optimizers override them)
    _capturable_error = ("If capturable=True, params and state_steps must be on supported "
                         "devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla'].")
    # per-parameter state entries that are numbers, kept as torch keeps them in 0-d tensors
    # (besides ``step``, which every optimizer but SGD counts so)
    _scalar_state = ()
    # True where _update applies weight_decay itself, always decoupled (Adafactor)
    _own_weight_decay = False
    _item_on_meta = False     # torch's update reads a number of the state with .item()
    _numbers_on_device = ()   # 0-d state torch keeps on the parameter's device (meta: there)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        _check_implementation(self.defaults)
        self._validate_group(dict(self.defaults))   # torch checks the constructor's arguments
        self.state = defaultdict(dict)   # as torch's: self.state[p] of a custom step is {}
        self.param_groups = []
        for name in _HOOK_TABLES:
            setattr(self, name, OrderedDict())
        _patch_step_function(type(self))
        if isinstance(params, Tensor) or isinstance(params, dict):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)      # (a set is taken as it iterates, as torch takes it)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        meta.disable_if_unused()     # (a safe point: a model built on meta is filled by now;
                                     # with no meta tensor left, the library runs as fresh)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (e.g. a different ``lr``).
        ``params`` may hold ``(name, tensor)`` pairs (``model.named_parameters()``): the names
        are kept as the group's ``param_names``, as in torch (all groups named, or none)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("a param group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not (self.defaults.get("differentiable") or p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor (one computed from others); "
                                 "optimize the leaves it was computed from")
        group = dict(param_group)
        group["params"] = params
        if names:
            group["param_names"] = names
        for key, value in self.defaults.items():
            if value is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            group.setdefault(key, value)
        self._validate_group(group)
        if len({id(p) for p in params}) != len(params):    # torch only warns (for now)
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        named = "param_names" in group
        for other in self.param_groups:
            if named != ("param_names" in other):
                raise ValueError(f"all optimizer param groups should be with/without names. "
                                 f"cannot add param group "
                                 f"{'with names' if named else 'without names'} to the optimizer")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate_group(self, group):
        """Raise torch's error for an invalid option of ``group`` (subclasses override)."""

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: ``None``, or zeros written into the same Tensor
        (first cut from the graph ``backward(create_graph=True)`` gave it), as torch's."""
        with record_function(f"Optimizer.zero_grad#{type(self).__name__}.zero_grad"):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    elif p.grad.grad_fn is not None:
                        p.grad.detach_().zero_()
                    else:
                        p.grad.requires_grad_(False).zero_()

    def step(self, closure=None):
        """One update of every parameter that has a gradient (the others are skipped);
        returns the loss of ``closure`` (optional: it re-evaluates the model), else None.

        What every optimizer does first, in torch's order: g ← −g if ``maximize``;
        g ← g + λ·θ if ``weight_decay`` λ ≠ 0 (unless the group's decay is decoupled, as
        AdamW's). Then the subclass's :meth:`_update` changes θ in place, under no_grad; the
        version bump before it lets a graph that saved θ notice. ``differentiable=True``
        records the update in the graph instead (:meth:`_differentiable_update`)."""
        loss = _evaluate(closure)
        with no_grad(), np.errstate(all="ignore"):  # a diverging run gives inf/nan quietly
            for group in self.param_groups:
                weight_decay = float(group.get("weight_decay", 0))
                coupled = weight_decay != 0 and not (self._own_weight_decay or group.get(
                    "decoupled_weight_decay", False))
                params = _params_with_grad(group)
                _check_step_options(group, params, self._capturable_error)
                if group.get("differentiable") and params and (
                        type(self)._differentiable_update is not
                        Optimizer._differentiable_update or _in_graph(group, params)):
                    with enable_grad():
                        for p in params:
                            self._differentiable_update(p, group)
                    continue
                self._begin_group(group, params)
                if meta._enabled and any(type(p.array) is MetaArray for p in params):
                    self._meta_group(group, params, coupled, weight_decay)
                    continue
                if not coupled and not group.get("maximize", False) and \
                        self._update_together(group, params):
                    continue
                for p in params:
                    g = p.grad.array
                    if group.get("maximize", False):
                        g = -g
                    if coupled:      # torch's grad.add(param, alpha=λ): one rounding
                        g = kernels.optim.add_scaled(g, weight_decay, p.array)
                    p._bump_version()
                    self._update(p, g, group)
        return loss

    def _differentiable_update(self, p, group):
        """``differentiable=True``: the update in Tensor operations, torch's single-tensor
        one, recorded in the graph so that a gradient flows through the step (learned
        learning rates, unrolled inner loops). Every optimizer of torch's that takes the
        flag has one and uses it for every ``differentiable=True`` step, graph or not: its
        arithmetic is torch's for that flag (NAdam's and Adam's differ from their plain
        steps'). A subclass without one runs its plain update when nothing is in a graph."""
        raise NotImplementedError(f"{type(self).__name__}(differentiable=True): this optimizer "
                                  f"does not record its update in the graph (it has no "
                                  f"_differentiable_update)")

    def _meta_group(self, group, params, coupled, weight_decay):
        """:meth:`step` for a group with meta parameters (see :mod:`tinygrad_sgd.meta`), as
        torch's: a meta parameter is not changed (it has no values) but its state is made
        and kept as torch keeps it — its buffers (``momentum_buffer``, ``exp_avg``, ...)
        meta tensors of their own shapes and dtypes, its numbers (``step``, NAdam's
        ``mu_product``: :data:`_NUMBERS`) 0-d CPU tensors that count as on the CPU.
        The update runs on zeros standing in for the parameter, its gradient and its meta
        buffers (this parameter's memory, for the while of its update); what it made is then
        put back on meta. A CPU parameter of the group is updated as always. Where torch's
        update reads a state number with ``.item()`` (ASGD, Adafactor), it fails there, after
        making the state: so does this."""
        for p in params:
            if type(p.array) is not MetaArray:
                g = p.grad.array
                if group.get("maximize", False):
                    g = -g
                if coupled:
                    g = kernels.optim.add_scaled(g, weight_decay, p.array)
                p._bump_version()
                self._update(p, g, group)
                continue
            if type(p.grad.array) is not MetaArray:
                raise NotImplementedError(meta.NO_DATA)
            state = self.state.get(p, {})
            kept = {k: v for k, v in state.items() if isinstance(v, Tensor) and meta.is_meta(v)}
            for k, v in kept.items():
                state[k] = Tensor._of(np.zeros(v.shape, v.array.dtype))
            placeholder, p.array = p.array, np.zeros(p.shape, p.array.dtype)
            try:
                self._update(p, np.zeros(p.shape, p.grad.array.dtype), group)
            finally:
                p.array = placeholder
            state = self.state.get(p, {})
            for k, v in state.items():
                if k in kept:
                    state[k] = kept[k]
                elif isinstance(v, Tensor) and (v.ndim or k in self._numbers_on_device or
                                                not p.ndim and k not in _NUMBERS):
                    state[k] = meta.to_meta(v, requires_grad=False)   # (a buffer: meta)
            p._bump_version()
            if self._item_on_meta:
                raise RuntimeError("Tensor.item() cannot be called on meta tensors")

    def _begin_group(self, group, params):
        """Called by :meth:`step` before it updates the group's ``params`` (those with a
        gradient): the place for what torch computes once per group (subclasses override)."""

    def _update_together(self, group, params):
        """Update all of ``params`` (each has a gradient; no maximize, no coupled weight decay)
        at once, their versions bumped, and return True — or return False, nothing done, for
        :meth:`_update` to take them one by one. (Subclasses may override: a kernel call for
        the whole group instead of one per parameter; the numbers must be the same.)"""
        return False

    def _update(self, p, g, group):
        """Change the parameter's array ``p.array`` in place, from its gradient ``g`` (an
        array, already negated for maximize and with the L2 decay added), the group's
        options and ``self.state[p]`` (subclasses override)."""
        raise NotImplementedError

    def _step_state(self, p, *buffers, **scalars):
        """``self.state[p]`` with its step counted: on the first step made as torch orders it —
        ``step`` 0, then the ``scalars`` (NAdam's ``mu_product``), then the zero ``buffers``
        (``exp_avg``, ...) — then ``step`` += 1. Numbers are 0-d tensors, as torch's."""
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = _scalar(0.0)
            state.update((name, _scalar(value)) for name, value in scalars.items())
            state.update((name, _zeros(p)) for name in buffers)
        _count_step(state)
        return state

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return
        ``(new_args, new_kwargs)`` for the step (``args`` start with the optimizer)."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs before :meth:`state_dict` packs the state."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs on the packed state_dict; a result other than
        None replaces it."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs before :meth:`load_state_dict` (on a shallow
        copy); a result other than None is loaded instead."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs after :meth:`load_state_dict`."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` —
        torch's layout: parameters are numbered in order across groups. The state Tensors are
        the optimizer's own (not copies), as in torch."""
        for pre_hook in self.__dict__.get("_optimizer_state_dict_pre_hooks", {}).values():
            pre_hook(self)
        index, groups, start = {}, [], 0
        for group in self.param_groups:
            # torch's numbering: positions across groups; a parameter listed twice in a group
            # (allowed, with a warning) gets its last position there
            index.update({id(p): i for i, p in enumerate(group["params"], start)
                          if id(p) not in index})
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(group["params"])
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        state.update((k, s) for k, s in self.state.items()   # (a loaded state dict's entry
                     if not isinstance(k, Tensor))           # for no parameter, kept: torch)
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self.__dict__.get("_optimizer_state_dict_post_hooks", {}).values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Restore options and state from :meth:`state_dict` (ours, ``tinygrad_sgd.load`` of
        a saved one, or a torch optimizer's). The groups must have the same sizes. As torch's,
        state tensors are cast to a floating parameter's dtype — a Tensor that has it already
        is kept, shared with ``state_dict`` — and ``step`` is kept as loaded; a Python number
        for ``step`` (and the other numbers) becomes a 0-d tensor of torch's scalar dtype."""
        if isinstance(state_dict, dict):
            state_dict = dict(state_dict)          # (a shallow copy, for the hooks)
        for pre_hook in self.__dict__.get("_optimizer_load_state_dict_pre_hooks", {}).values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
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
            if p is None:                # (for no parameter here: kept as it is, as torch)
                state[key] = entries
                continue
            # (numbers kept as 0-d tensors are cast to the parameter's float dtype, as
            # torch's load_state_dict casts every state tensor but step: NAdam's mu_product
            # and ASGD's eta and mu go on in float64 for a float64 parameter)
            state[p] = {name: _load_scalar(value, p) if name in self._scalar_state
                        else _load_state_value(name, value, p, key,
                                               self._state_shape(name, p))
                        for name, value in entries.items()}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            # the options are copied (a Tensor lr too: not shared with the saved dict)
            new = {k: _copy_option(v) for k, v in saved.items() if k != "params"}
            for k, v in self.defaults.items():       # a dict saved by an older version
                new.setdefault(k, v)
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            self._validate_group(new)
            new_groups.append(new)
        self.param_groups = new_groups
        self.state = defaultdict(dict, state)
        for post_hook in self.__dict__.get("_optimizer_load_state_dict_post_hooks", {}).values():
            post_hook(self)

    def __getstate__(self):
        """For copy and pickle: all but the ``step`` wrapper an lr scheduler puts on the
        instance (it counts the calls; torch drops it too)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("step", "_opt_called")}

    def _state_shape(self, name, p):
        """The shape of the state buffer ``name`` of ``p`` (subclasses with other shapes
        override)."""
        return p.shape

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _copy_option(value):
    """A copy of a loaded param group's option: a Tensor (ours, or a torch tensor, read
    without importing torch) as our own new Tensor, tuples and lists element-wise."""
    if isinstance(value, (tuple, list)):
        return type(value)(_copy_option(v) for v in value)
    if isinstance(value, Tensor) or all(callable(getattr(value, m, None))
                                        for m in ("detach", "cpu", "numpy")):
        return Tensor._of(np.array(_as_numpy(value)))
    return copy.deepcopy(value)


def _shared(value, dtype=None):
    """torch's ``value.to(dtype)`` of a loaded state tensor: our Tensor itself when it already
    has ``dtype`` (``None``: any) and a C-contiguous array (the loaded state then shares
    memory with the state dict, as torch's); else a new Tensor of a copy."""
    if isinstance(value, Tensor) and (dtype is None or value.dtype == dtype) and \
            value.array.flags.c_contiguous and value.array.flags.writeable:
        return value
    return Tensor._of(np.array(_as_numpy(value), dtype=dtype))


def _load_scalar(value, p):
    """A loaded NAdam ``mu_product`` / ASGD ``eta``, ``mu``: a tensor cast to a floating
    parameter's dtype (shared when it has it, as torch's ``.to``); a number as a 0-d tensor of
    torch's scalar dtype (its ``__setstate__``)."""
    if not hasattr(value, "shape"):
        return _scalar(float(value))
    return _shared(value, p.dtype if p.dtype.kind == "f" else None)


def _load_state_value(name, value, p, key, shape):
    """One loaded per-parameter state entry, as torch's: ``step`` as a 0-d tensor (a loaded
    tensor kept as it is, its dtype too; a number as one of torch's scalar dtype), a buffer as
    a Tensor of a floating parameter's dtype, of shape ``shape`` — the state dict's own Tensor
    where it has that dtype (torch's ``.to`` returns it: the two share memory)."""
    if name == "step":
        if not hasattr(value, "shape"):
            return _scalar(float(value))
        return _shared(value)
    if value is None or not hasattr(value, "shape"):
        return value
    out = _shared(value, p.dtype if p.dtype.kind == "f" else None)
    if out.shape != tuple(shape):
        what = "the parameter has" if tuple(shape) == p.shape else "it should have"
        raise ValueError(f"loaded state dict: {name} of parameter {key} has shape "
                         f"{tuple(out.shape)}, {what} {tuple(shape)}")
    return out


# ---------------------------------------------------------------------- shared helpers
def _sqrt_(a):
    """√a, in place when ``a`` is an array (arithmetic on 0-d arrays, as a 0-d parameter's,
    gives NumPy scalars, which have no memory to write into)."""
    return np.sqrt(a, out=a) if isinstance(a, np.ndarray) else np.sqrt(a)


def _scalar(value, like=None):
    """A number of an optimizer's state as torch keeps it (``step``, NAdam's ``mu_product``,
    ASGD's ``eta`` and ``mu``): a 0-d tensor, float32 (float64 when that is the default
    dtype, as torch's ``_get_scalar_dtype``) — or ``like``'s dtype, a floating parameter's
    (what torch's load_state_dict casts such a tensor to)."""
    from ..dtypes import get_default_dtype
    if like is not None and like.dtype.kind == "f":
        return Tensor._of(np.array(value, dtype=like.dtype))
    dtype = np.float64 if get_default_dtype() == np.float64 else np.float32
    return Tensor._of(np.array(value, dtype=dtype))


def _lr_value(lr):
    """``lr`` as torch's single-tensor step computes with it: a Python float; a Tensor ``lr``
    (torch's 0-d tensor) as a NumPy scalar of its dtype, so that Python arithmetic with it
    rounds as torch's 0-d tensor ops do (NumPy 2's Python numbers are weak, as torch's:
    ``-lr * (1 − μ)`` is a float32 product when lr is a float32 tensor)."""
    if isinstance(lr, Tensor):
        return lr.array.reshape(()).dtype.type(lr.array.reshape(()))
    return float(lr)


def _count_step(state):
    """``state["step"] += 1`` in place, as torch's (a state_dict taken earlier holds the same
    tensor); returns the new count as a Python float."""
    step = state["step"].array
    step += 1
    return float(step)


def _set_scalar(t, value):
    """Write ``value`` into the 0-d state tensor ``t`` in place (rounded to its dtype, as
    torch's ``copy_``); returns it as a Python float, so rounded."""
    t.array[...] = value
    return float(t.array)


def _number(value, name):
    """An option's value as a number to check; a one-element Tensor (torch allows a Tensor
    ``lr``) is read as its float."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        value = float(value.detach())       # (a learned lr requires grad: no warning)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if value != value:  # NaN passes every "< 0" test and would silently turn weights into NaN
        raise ValueError(f"Invalid {name}: nan")
    return value


def _check_nonnegative(group, key, what):
    """torch's ``if not 0.0 <= value: raise ValueError(f"Invalid {what}: {value}")``."""
    value = _number(group[key], key)
    if value < 0:
        raise ValueError(f"Invalid {what}: {value} (must be >= 0)")
    return value


def _check_betas(group):
    """torch's check of ``betas``: a pair, each in [0, 1)."""
    from .adam import _pair
    for i, beta in enumerate(_pair(group["betas"])):
        _number(beta, f"betas[{i}]")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


def _check_implementation(defaults):
    """torch's switches between implementations of one update — ``foreach`` (a loop over the
    parameters, or batched ops over all of them), ``fused`` (one kernel), ``capturable`` (CUDA
    graphs) — and ``differentiable`` (the update recorded in the graph) are options of every
    optimizer here too, kept in the param groups and the state dict as torch keeps them, so a
    torch call, checkpoint or print is the same. Every update here is one implementation (the
    arithmetic of torch's loop), so ``foreach`` and ``fused`` change no number; the
    combinations torch refuses are refused with its errors — here at construction, and in
    :func:`_check_step_options` at ``step()``, as torch does on the CPU."""
    if defaults.get("fused"):
        if defaults.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_step_options(group, params, capturable_error):
    """What torch's step refuses on the CPU: ``capturable`` (for CUDA graphs) and, for a
    parameter that requires grad, ``differentiable`` (its in-place update would be recorded)."""
    if group.get("capturable") and params:
        raise AssertionError(capturable_error)
    if group.get("differentiable") and any(p.requires_grad and p.grad_fn is None
                                           for p in params):
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def _graph_weight_decay(g, p, weight_decay):
    """g + λ·θ in a ``differentiable=True`` step, as torch's: a λ that requires grad as
    ``g.addcmul_(θ.clone(), λ)`` (in place on g), another as ``g.add(θ, alpha=λ)``."""
    if not weight_decay != 0:
        return g
    if isinstance(weight_decay, Tensor) and weight_decay.requires_grad:
        return g.addcmul_(p.clone(), weight_decay)
    return g.add(p, alpha=float(weight_decay))


def _graph_grad(p, group):
    """A ``differentiable=True`` step's gradient as torch's single-tensor updates take it
    (RMSprop, Adagrad, Adadelta, Adamax, ASGD): −g if maximize, then
    ``grad.add(param, alpha=weight_decay)`` if λ ≠ 0 (a λ that requires grad: torch's
    TypeError there)."""
    g = p.grad if not group["maximize"] else -p.grad
    return g.add(p, alpha=group["weight_decay"]) if group["weight_decay"] != 0 else g


def _in_graph(group, params):
    """Does a ``differentiable=True`` step record a graph: a parameter or a gradient requiring
    grad, or a Tensor hyperparameter (lr, betas, weight_decay) that does?"""
    values = [v for value in group.values() if value is not group["params"]
              for v in (value if isinstance(value, (tuple, list)) else (value,))]
    return any(p.requires_grad or p.grad.requires_grad for p in params) or any(
        isinstance(v, Tensor) and v.requires_grad for v in values)


def _params_with_grad(group):
    """The group's parameters that have a gradient (Tensor's ``grad`` setter has checked its
    shape and dtype); the others are skipped."""
    return [p for p in group["params"] if p.grad is not None]


def _evaluate(closure):
    """Run ``step``'s optional closure (it re-computes the loss) with gradients on."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


_NUMBERS = ("step", "mu_product", "eta", "mu")   # (state kept as 0-d CPU tensors: _scalar)


def _zeros(p):
    """A state buffer: zeros of the parameter's shape and dtype, as our own Tensor (a meta
    one for a meta parameter)."""
    if type(p.array) is MetaArray:
        return meta.to_meta(p, requires_grad=False)
    return Tensor._of(np.zeros_like(p.array))


_lerp_ = kernels.optim.lerp_     # (torch's lerp_ formula, in place)
