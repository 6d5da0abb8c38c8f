"""``nn.utils.stateless.functional_call`` (torch's, deprecated there since 2.0 in favour of
``torch.func.functional_call``): call a module with some of its parameters and buffers
replaced by given Tensors, e.g. to take gradients with respect to *those* Tensors.

    out = stateless.functional_call(model, {"fc.weight": w}, (x,))
    out.sum().backward()              # w.grad is filled; model.fc.weight is untouched

For the call, each named Tensor is put into its module's ``_parameters`` / ``_buffers``
table (a plain attribute otherwise), and afterwards the module's own Tensors are put back,
also when the call raises. As in torch, a module that *replaces* a substituted Tensor during
the call (``self.foo = self.foo + 1``) leaves the new one in the caller's dict.
"""
import contextlib
import warnings

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()      # "the module has no such attribute": delete it again afterwards


def _submodule(module, path, memo):
    """The submodule at the dotted ``path`` (``""``: module itself), with torch's errors."""
    from ..module import Module
    if not path:
        return module
    if path not in memo:
        prefix, dot, attr = path.rpartition(".")
        parent = _submodule(module, prefix, memo) if dot else module
        try:
            child = getattr(parent, attr)
        except AttributeError:
            raise AttributeError(f"{type(parent).__name__} has no attribute `{attr}`") from None
        if not isinstance(child, Module):
            raise TypeError(f"submodule `{path}`: {child} is not an instance of "
                            f"tinygrad_sgd.nn.Module")
        memo[path] = child
    return memo[path]


def _swap(module, name, tensor):
    """Put ``tensor`` (or _MISSING: remove) at ``module.<name>``; return what was there."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of tinygrad_sgd.Tensor")
    if "." in name:
        raise KeyError('tensor name can\'t contain "."')
    if name == "":
        raise KeyError('tensor name can\'t be empty string ""')
    for table in (module._parameters, module._buffers):
        if name in table:
            original = table[name]
            if tensor is _MISSING:
                del table[name]
            else:
                table[name] = tensor
            return original
    original = getattr(module, name, _MISSING)
    if original is not _MISSING and original is not None and not isinstance(original, Tensor):
        raise TypeError(f"attribute `{name}`: {original} is not an instance of "
                        f"tinygrad_sgd.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return original


def _swap_all(module, named, memo):
    """Swap every ``{dotted name: tensor}``; return the originals (all swapped back if one
    swap fails)."""
    originals = {}
    try:
        for name, tensor in named.items():
            prefix, _, attr = name.rpartition(".")
            originals[name] = _swap(_submodule(module, prefix, memo), attr, tensor)
    except Exception:
        _swap_all(module, originals, memo)
        raise
    return originals


def _untie(module, parameters_and_buffers):
    """The given dict extended to every name of a tied (shared) Tensor: ``{"foo": t}`` also
    sets ``foo_tied`` when the module's ``foo`` and ``foo_tied`` are one Tensor. Different
    values for two names of one Tensor are an error."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    names_of = {}
    for name, tensor in named.items():
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    given = {name for name in parameters_and_buffers if name in tied}
    for name in given:
        names = tied[name]
        if len(names & given) > 1 and len({id(parameters_and_buffers[n])
                                           for n in names & given}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             f"which are tied. Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given:
        for other in tied[name]:
            untied[other] = parameters_and_buffers[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    named = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(named)), sorted(set(named) - valid)
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                type(module).__name__, "\n\t".join(errors)))
    memo, originals = {}, {}
    try:
        originals = _swap_all(module, named, memo)
        yield
    finally:
        current = _swap_all(module, originals, memo)
        parameters_and_buffers.update({k: current[k] for k in parameters_and_buffers
                                       if k in current})


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameters_and_buffers`` (``{"fc.weight": tensor, ...}``, the names of
    ``named_parameters()`` / ``named_buffers()``) replaced by the given Tensors for this call
    only; gradients flow to those Tensors. ``args`` that is not a tuple is one argument.

    ``tie_weights=True``: a Tensor the module uses under several names (tied weights) is
    replaced under all of them (giving different values for them is a ValueError).
    ``strict=True``: the names must be exactly the module's (else a RuntimeError listing the
    unexpected and missing keys). Deprecated, as in torch (a FutureWarning): torch's
    replacement is ``torch.func.functional_call``."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)
