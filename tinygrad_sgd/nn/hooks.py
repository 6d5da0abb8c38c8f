"""Forward hooks of a Module, as torch's: ``register_forward_pre_hook(hook)`` runs
``hook(module, args)`` before ``forward`` (a result other than None replaces the arguments),
``register_forward_hook(hook)`` runs ``hook(module, args, output)`` after it (a result other
than None replaces the output) — a way to look at what a layer receives and returns without
changing the model (its activations, say). Options as torch's: ``with_kwargs`` (the hook gets
and may replace the keyword arguments too), ``prepend`` (run before the hooks already there),
``always_call`` (a forward hook that runs even when forward raised, with output None). Each
``register`` returns a :class:`RemovableHandle`; ``with handle:`` removes the hook on exit.
A module with no hook ever registered runs ``forward`` directly. The backward hooks
(``register_full_backward_hook``, ``register_full_backward_pre_hook``) are in
:mod:`.backward_hooks`."""
import itertools
import warnings
from collections import OrderedDict

__all__ = ["RemovableHandle"]

_next_id = itertools.count()


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
    """``module.forward(*args, **kwargs)`` between its pre-hooks and its hooks (and, with
    backward hooks, between the identity nodes where those run)."""
    d = module.__dict__
    for hook_id, hook in list(d["_forward_pre_hooks"].items()):
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
    backward_hook = None
    if d["_backward_hooks"] or d["_backward_pre_hooks"]:
        from .backward_hooks import BackwardHook
        backward_hook = BackwardHook(module, list(d["_backward_hooks"].values()),
                                     list(d["_backward_pre_hooks"].values()))
        args = backward_hook.setup_input_hook(args)
    try:
        output = module.forward(*args, **kwargs)
    except Exception:
        for hook_id, hook in list(d["_forward_hooks"].items()):
            if hook_id in d["_forward_hooks_always_called"]:
                try:
                    _run(d, hook_id, hook, module, args, kwargs, None)
                except Exception as e:        # the forward's error is the one to see
                    warnings.warn(f"forward hook with ``always_call=True`` raised an exception "
                                  f"that was silenced as another error was raised in forward: "
                                  f"{e}")
        raise
    for hook_id, hook in list(d["_forward_hooks"].items()):
        result = _run(d, hook_id, hook, module, args, kwargs, output)
        if result is not None:
            output = result
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
