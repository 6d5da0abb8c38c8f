"""Forward hooks of a Module, as torch's: ``register_forward_pre_hook(hook)`` runs
``hook(module, args)`` before ``forward`` (a result other than None replaces the arguments),
``register_forward_hook(hook)`` runs ``hook(module, args, output)`` after it (a result other
than None replaces the output) — a way to look at what a layer receives and returns without
changing the model (its activations, say). Options as torch's: ``with_kwargs`` (the hook gets
and may replace the keyword arguments too), ``prepend`` (run before the hooks already there),
``always_call`` (a forward hook that runs even when forward raised, with output None). Each
``register`` returns a :class:`RemovableHandle`; ``with handle:`` removes the hook on exit.
A module with no hook (of its own or global) runs ``forward`` directly. The backward hooks
(``register_full_backward_hook``, ``register_full_backward_pre_hook``) are in
:mod:`.backward_hooks`.

Global hooks, as torch's ``nn.modules.module.register_module_*_hook``: forward and backward
hooks that every module runs (before its own), and registration hooks called as parameters,
buffers and submodules are registered (a result other than None is registered instead)."""
import itertools
import warnings
from collections import OrderedDict

__all__ = ["RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_module_registration_hook",
           "register_module_parameter_registration_hook",
           "register_module_buffer_registration_hook"]

_next_id = itertools.count()

# the global hooks (torch's _global_* tables in nn.modules.module)
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = set()
_global_forward_hooks_always_called = set()
_global_backward_pre_hooks = OrderedDict()
_global_backward_hooks = OrderedDict()
_global_module_registration_hooks = OrderedDict()
_global_parameter_registration_hooks = OrderedDict()
_global_buffer_registration_hooks = OrderedDict()


class RemovableHandle:
    """Returned by a ``register_*_hook``: ``remove()`` takes the hook out (idempotent)."""

    def __init__(self, hooks, *extra):
        self.id = next(_next_id)
        self.hooks_dict_ref, self._extra = hooks, extra

    def remove(self):
        self.hooks_dict_ref.pop(self.id, None)
        for flags in self._extra:
            flags.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class WithoutModule:
    """A hook called without the module its table passes first (torch's ``_WrappedHook``
    for ``_register_load_state_dict_pre_hook(hook, with_module=False)``)."""

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, module, *args, **kwargs):
        return self.hook(*args, **kwargs)


def _add(table, hook, *flag_sets):
    handle = RemovableHandle(table, *flag_sets)
    table[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    """``hook(module, args)`` before every module's forward (and its own pre-hooks)."""
    return _add(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """``hook(module, args, output)`` after every module's forward (before its own hooks)."""
    handle = _add(_global_forward_hooks, hook, _global_forward_hooks_with_kwargs,
                  _global_forward_hooks_always_called)
    if with_kwargs:
        _global_forward_hooks_with_kwargs.add(handle.id)
    if always_call:
        _global_forward_hooks_always_called.add(handle.id)
    return handle


def register_module_full_backward_pre_hook(hook):
    """``hook(module, grad_output)`` for every module (before its own backward pre-hooks)."""
    return _add(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """``hook(module, grad_input, grad_output)`` for every module (before its own)."""
    return _add(_global_backward_hooks, hook)


def register_module_module_registration_hook(hook):
    """``hook(module, name, submodule)`` whenever a submodule is registered."""
    return _add(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """``hook(module, name, param)`` whenever a parameter is registered."""
    return _add(_global_parameter_registration_hooks, hook)


def register_module_buffer_registration_hook(hook):
    """``hook(module, name, buffer)`` whenever a buffer is registered."""
    return _add(_global_buffer_registration_hooks, hook)


def registered(table, module, name, value):
    """``value`` after the global registration hooks of ``table`` ("module", "parameter",
    "buffer"): each may return a replacement."""
    hooks = {"module": _global_module_registration_hooks,
             "parameter": _global_parameter_registration_hooks,
             "buffer": _global_buffer_registration_hooks}[table]
    for hook in list(hooks.values()):
        output = hook(module, name, value)
        if output is not None:
            value = output
    return value


def any_hooks(d):
    """Whether a module (its ``__dict__``) must run through :func:`call_with_hooks`."""
    return bool(d.get("_forward_hooks") or d.get("_forward_pre_hooks") or
                d.get("_backward_hooks") or d.get("_backward_pre_hooks") or
                _global_forward_pre_hooks or _global_forward_hooks or
                _global_backward_pre_hooks or _global_backward_hooks)


def init_tables(module):
    """Every hook table, empty (``Module.__init__``, as torch's)."""
    d = _tables(module)
    for name in ("_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                 "_load_state_dict_post_hooks"):
        if name not in d:
            object.__setattr__(module, name, OrderedDict())


def _tables(module):
    """The module's hook tables, made on the first registration."""
    d = module.__dict__
    if "_forward_hooks" not in d:
        for name, empty in (("_forward_pre_hooks", OrderedDict), ("_forward_hooks", OrderedDict),
                            ("_forward_pre_hooks_with_kwargs", set),
                            ("_forward_hooks_with_kwargs", set),
                            ("_forward_hooks_always_called", set),
                            ("_backward_hooks", OrderedDict),
                            ("_backward_pre_hooks", OrderedDict)):
            object.__setattr__(module, name, empty())
    return d


def register(module, which, hook, prepend=False, with_kwargs=False, always_call=False):
    """Add ``hook`` to the module's forward ``which`` ("pre" or "post") hooks."""
    d = _tables(module)
    hooks = d["_forward_pre_hooks" if which == "pre" else "_forward_hooks"]
    kwarg_ids = d["_forward_pre_hooks_with_kwargs" if which == "pre" else
                  "_forward_hooks_with_kwargs"]
    handle = RemovableHandle(hooks, kwarg_ids, d["_forward_hooks_always_called"])
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    if with_kwargs:
        kwarg_ids.add(handle.id)
    if always_call:
        d["_forward_hooks_always_called"].add(handle.id)
    return handle


def register_table(module, table, hook):
    """Add ``hook`` to the module's hook table ``table`` (made on the first registration)."""
    hooks = module.__dict__.get(table)
    if hooks is None:
        hooks = OrderedDict()
        object.__setattr__(module, table, hooks)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def register_backward(module, which, hook, prepend=False):
    """Add ``hook`` to the module's full backward ``which`` ("pre" or "post") hooks
    (:mod:`.backward_hooks`)."""
    hooks = _tables(module)["_backward_pre_hooks" if which == "pre" else "_backward_hooks"]
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module, args, kwargs):
    """``module.forward(*args, **kwargs)`` between the global and its own pre-hooks and hooks
    (and, with backward hooks, between the identity nodes where those run), as torch's
    ``_call_impl``: if anything in there raises, the ``always_call`` forward hooks not yet
    run are called (with the output so far, None if forward raised) before the error goes
    on."""
    d = _tables(module)
    state = {"args": args, "kwargs": kwargs, "output": None, "called": set()}
    try:
        return _inner(module, d, state)
    except Exception:
        args, kwargs = state["args"], state["kwargs"]
        for where, table in (("global module", _global_forward_hooks),
                             ("module", d["_forward_hooks"])):
            always = _global_forward_hooks_always_called if table is _global_forward_hooks \
                else d["_forward_hooks_always_called"]
            for hook_id, hook in list(table.items()):
                if hook_id not in always or hook_id in state["called"]:
                    continue
                try:
                    if table is _global_forward_hooks:
                        result = hook(module, args, state["output"])
                    else:
                        result = _run(d, hook_id, hook, module, args, kwargs, state["output"])
                    if result is not None:
                        state["output"] = result
                except Exception as e:        # the first error is the one to see
                    warnings.warn(f"{where} forward hook with ``always_call=True`` raised an "
                                  f"exception that was silenced as another error was raised in "
                                  f"forward: {e}", stacklevel=3)
        raise


def _inner(module, d, state):
    args, kwargs = state["args"], state["kwargs"]
    for hook_id, hook in (*_global_forward_pre_hooks.items(), *d["_forward_pre_hooks"].items()):
        if hook_id in d["_forward_pre_hooks_with_kwargs"]:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        state["args"], state["kwargs"] = args, kwargs
    backward_hook = None
    post = [*_global_backward_hooks.values(), *d["_backward_hooks"].values()]
    pre = [*_global_backward_pre_hooks.values(), *d["_backward_pre_hooks"].values()]
    if post or pre:
        from .backward_hooks import BackwardHook
        backward_hook = BackwardHook(module, post, pre)
        args = backward_hook.setup_input_hook(args)
        state["args"] = args
    output = module.forward(*args, **kwargs)
    state["output"] = output
    for hook_id, hook in (*_global_forward_hooks.items(), *d["_forward_hooks"].items()):
        if hook_id in d["_forward_hooks_always_called"] or \
                hook_id in _global_forward_hooks_always_called:
            state["called"].add(hook_id)
        if hook_id in d["_forward_hooks_with_kwargs"] or \
                hook_id in _global_forward_hooks_with_kwargs:
            result = hook(module, args, kwargs, output)
        else:
            result = hook(module, args, output)
        if result is not None:
            output = state["output"] = result
    if backward_hook is not None:
        from ..tensor import Tensor
        if not isinstance(output, (Tensor, tuple)):
            warnings.warn(f"For backward hooks to be called, module output should be a Tensor "
                          f"or a tuple of Tensors but received {type(output)}")
        output = backward_hook.setup_output_hook(output)
    return output


def _run(d, hook_id, hook, module, args, kwargs, output):
    if hook_id in d["_forward_hooks_with_kwargs"]:
        return hook(module, args, kwargs, output)
    return hook(module, args, output)
