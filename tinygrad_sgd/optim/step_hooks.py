"""The step hooks of every optimizer, as torch's: the global ones
(``torch.optim.optimizer.register_optimizer_step_pre_hook`` / ``_post_hook``, re-exported by
:mod:`.optimizer`), each optimizer's hook tables, and the wrapper that runs them around a
class's ``step``: the global pre hooks, the optimizer's own, the step, its own post hooks,
the global ones."""
import functools
from collections import OrderedDict
from itertools import chain

from ..profiler.profile import record_function

__all__ = ["register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

# hooks run around every optimizer's step (torch.optim.optimizer's global hooks)
_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """``hook(optimizer, args, kwargs)`` runs before the ``step`` of every optimizer (before
    its own pre hooks); it may return ``(new_args, new_kwargs)``. Returns a handle with
    ``remove()``."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """``hook(optimizer, args, kwargs)`` runs after the ``step`` of every optimizer (after
    its own post hooks). Returns a handle with ``remove()``."""
    return _add_hook(_global_optimizer_post_hooks, hook)


_HOOK_TABLES = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks")


def _add_hook(table, hook, prepend=False):
    from ..nn.hooks import RemovableHandle
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def _patch_step_function(cls):
    """As torch, the first optimizer of a class wraps its ``step`` (the inherited one or its
    own, a custom optimizer's too) so that the step hooks run around it: the global pre hooks,
    the optimizer's own, the step, its own post hooks, the global ones."""
    if getattr(cls.step, "hooked", False):
        return
    step = cls.step

    @functools.wraps(step)
    def hooked_step(*args, **kwargs):
        self = args[0]            # (torch.profiler: the hooks and the step are one range)
        with record_function(f"Optimizer.step#{type(self).__name__}.step"):
            return _run_hooked(step, self, args, kwargs)
    hooked_step.hooked = True
    cls.step = hooked_step


def _run_hooked(step, self, args, kwargs):
    """The global pre hooks, the optimizer's own, the step, its own post hooks, the global ones."""
    own_pre_hooks = self.__dict__.get("_optimizer_step_pre_hooks", {})
    for pre_hook in list(chain(_global_optimizer_pre_hooks.values(), own_pre_hooks.values())):
        result = pre_hook(self, args, kwargs)
        if result is not None:
            if isinstance(result, tuple) and len(result) == 2:
                args, kwargs = result
            else:
                raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                   f"new_kwargs), but got {result}.")
    out = step(*args, **kwargs)
    own_post_hooks = self.__dict__.get("_optimizer_step_post_hooks", {})
    for post_hook in list(chain(own_post_hooks.values(),
                                _global_optimizer_post_hooks.values())):
        post_hook(self, args, kwargs)
    return out
