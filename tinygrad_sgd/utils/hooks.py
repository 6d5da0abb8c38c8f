"""``utils.hooks``: torch's ``torch.utils.hooks`` — :class:`RemovableHandle` (the class every
``Module.register_*_hook`` returns, from :mod:`..nn.hooks`), :func:`unserializable_hook` and
:func:`warn_if_has_hooks`."""
import warnings

from ..nn.hooks import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


def unserializable_hook(f):
    """Mark ``f`` as a hook that is not saved with its tensor (no warning about it)."""
    f.__torch_unserializable__ = True
    return f


def _tensor_hooks(tensor):
    """The hooks ``tensor.register_hook`` put on ``tensor`` (kept on the tensor for a leaf,
    on its grad_fn otherwise, where retain_grad's hook and the node's own pre-hooks, which
    torch does not warn about, sit beside them: :func:`..autograd.nodes.hook_order` 0)."""
    from ..autograd.nodes import hook_order
    hooks = list(getattr(tensor, "_hooks", None) or [])
    grad_fn = getattr(tensor, "grad_fn", None)
    pre = getattr(grad_fn, "_pre_hooks", None) if grad_fn is not None else None
    if pre:
        hooks += [h for h in (pre.values() if isinstance(pre, dict) else pre)
                  if hook_order(h) == 0]
    return hooks


def warn_if_has_hooks(tensor):
    """Warn (torch's UserWarning) for each backward hook on ``tensor`` that will not be
    saved with it, unless marked with :func:`unserializable_hook`."""
    for hook in _tensor_hooks(tensor):
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {repr(hook)} on tensor will not be serialized.  If "
                          "this is expected, you can decorate the function with "
                          "@torch.utils.hooks.unserializable_hook to suppress this warning",
                          stacklevel=2)
