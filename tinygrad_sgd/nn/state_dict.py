"""A module's state dict, made and loaded (:meth:`Module.state_dict`,
:meth:`Module.load_state_dict`), with torch's state-dict hooks.

Making one walks the module tree as torch does: per module its pre-hooks
(``hook(module, prefix, keep_vars)``), its own parameters and persistent buffers, its
children's, then its post-hooks (``hook(module, state_dict, prefix, local_metadata)``, which
may edit the dict in place); the dict's ``_metadata`` holds each module's version, as torch's.

Loading: the load pre-hooks first (``hook(module, state_dict, prefix, local_metadata, strict,
missing_keys, unexpected_keys, error_msgs)``, module by module, on a copy of the dict they may
edit — renaming old keys, say); every key and shape then checked, and the values copied into
the module's tensors — or, with ``assign``, the state dict's tensors put in their place; then
the load post-hooks (``hook(module, incompatible_keys)``, which may edit the key lists in place:
what is left of them afterwards fails a strict load, as in torch)."""
from collections import OrderedDict

import warnings

from ..autograd import no_grad
from ..errors import warn_level
from ..meta import NO_DATA, MetaArray, is_meta
from ..tensor import Tensor
from .module import IncompatibleKeys, Module, Parameter, _as_numpy

__all__ = ["load_state_dict"]


def state_dict(module, destination=None, prefix="", keep_vars=False):
    """See :meth:`Module.state_dict`."""
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()
    return _save(module, destination, prefix, keep_vars)


def _save(module, destination, prefix, keep_vars):
    """One module's part, in torch's order (recursive: a module tree is shallow). Returns the
    dict: a hook registered with torch's private ``_register_state_dict_hook`` may return a
    new one, which counts for the module ``state_dict()`` was called on (a child's result is
    dropped, as in torch)."""
    local_metadata = dict(version=module._version)
    if hasattr(destination, "_metadata"):
        destination._metadata[prefix[:-1]] = local_metadata
    hooks = module.__dict__
    for hook in hooks.get("_state_dict_pre_hooks", {}).values():
        hook(module, prefix, keep_vars)
    module._save_to_state_dict(destination, prefix, keep_vars)
    for name, child in module._modules.items():
        if child is None:
            continue
        if type(child).state_dict is not Module.state_dict:     # a child's own, as torch
            child.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        else:
            _save(child, destination, prefix + name + ".", keep_vars)
    for hook in hooks.get("_state_dict_hooks", {}).values():
        result = hook(module, destination, prefix, local_metadata)
        if result is not None:
            if getattr(hook, "_from_public_api", False):
                raise RuntimeError("state_dict post-hook must return None")
            destination = result
    return destination


def load_state_dict(module, state_dict, strict=True, assign=False):
    """See :meth:`Module.load_state_dict`."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"load_state_dict: expected a dict-like state_dict, got "
                        f"{type(state_dict).__name__}")
    tree = list(module.named_modules(remove_duplicate=False))
    if any(m.__dict__.get("_load_state_dict_pre_hooks") or
           m.__dict__.get("_load_state_dict_post_hooks") or _extended(m) for _, m in tree):
        return _load_with_hooks(module, state_dict, strict, assign)
    for name, m in tree:                        # lazy layers take their shapes first
        if hasattr(m, "_lazy_load_hook"):
            m._lazy_load_hook(state_dict, name + "." if name else "")
    own = OrderedDict(module._state_items())
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict.keys() if k not in own]
    problems, arrays = [], {}
    for key, p in own.items():
        if key in state_dict:
            _check(key, p, state_dict[key], problems, arrays, assign=assign)
    _copy(module, own, arrays, assign, state_dict)     # (what fits is loaded, as torch's walk
    _raise(module, strict, missing, unexpected, problems, own, state_dict)    # does, then the
    return IncompatibleKeys(missing, unexpected)                               # errors)


def _load_with_hooks(module, state_dict, strict, assign):
    """torch's walk, for a tree with load hooks: per module (depth first) its pre-hooks, its
    own values checked and copied, its children, its post-hooks; then the strict check. (So,
    as in torch, what loaded is loaded even when an error is raised at the end.)"""
    metadata = getattr(state_dict, "_metadata", {})
    state_dict = OrderedDict(state_dict.items())    # the hooks may edit it: a copy
    missing, unexpected, problems, owned = [], [], [], OrderedDict()

    def load(m, prefix):
        for hook in m.__dict__.get("_load_state_dict_pre_hooks", {}).values():
            hook(m, state_dict, prefix, metadata.get(prefix[:-1], {}), True, missing,
                 unexpected, problems)           # (strict: torch passes True, always)
        if hasattr(m, "_lazy_load_hook"):
            m._lazy_load_hook(state_dict, prefix)
        local = dict(metadata.get(prefix[:-1], {}), assign_to_params_buffers=assign)
        m._load_from_state_dict(state_dict, prefix, local, True, missing, unexpected,
                                problems)
        owned.update((prefix + key, t) for key, t in m._own_state_items())
        for name, child in m._modules.items():
            if child is not None:
                load(child, prefix + name + ".")
        for hook in m.__dict__.get("_load_state_dict_post_hooks", {}).values():
            if hook(m, IncompatibleKeys(missing, unexpected)) is not None:   # (torch asserts)
                raise AssertionError("Hooks registered with "
                                     "``register_load_state_dict_post_hook`` are not expected "
                                     "to return new values, if incompatible_keys need to be "
                                     "modified, it should be done inplace.")
    load(module, "")
    _raise(module, strict, missing, unexpected, problems, owned, state_dict)
    return IncompatibleKeys(missing, unexpected)


def _extended(m):
    """Whether a module takes part in loading itself: it overrides torch's
    ``_load_from_state_dict`` or keeps extra state (``set_extra_state``)."""
    kind = type(m)
    return (kind._load_from_state_dict is not Module._load_from_state_dict or
            kind.set_extra_state is not Module.set_extra_state)


def load_own(m, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
             error_msgs):
    """:meth:`Module._load_from_state_dict`: this module's own parameters and persistent
    buffers (and extra state) from ``state_dict``, as torch's — missing ones and, when
    ``strict``, keys under ``prefix`` that are neither its own nor a child's into the lists;
    shape problems into ``error_msgs``."""
    own, arrays = dict(m._own_state_items()), {}
    for key, t in own.items():
        if prefix + key in state_dict:
            _check(key, t, state_dict[prefix + key], error_msgs, arrays, prefix,
                   local_metadata.get("assign_to_params_buffers", False))
        else:
            missing_keys.append(prefix + key)
    _copy(m, {k: own[k] for k in arrays}, arrays,
          local_metadata.get("assign_to_params_buffers", False),
          {k: state_dict[prefix + k] for k in arrays})
    extra = prefix + "_extra_state"
    keeps_extra = type(m).set_extra_state is not Module.set_extra_state
    if keeps_extra:
        if extra in state_dict:
            m.set_extra_state(state_dict[extra])
        elif strict:
            missing_keys.append(extra)
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and not (keeps_extra and key == extra):
                first, _, rest = key[len(prefix):].partition(".")
                if (first not in m._modules) if rest else (first not in own):
                    unexpected_keys.append(key)


def _check(key, t, value, problems, arrays, prefix="", assign=False):
    """The state dict's value for ``key`` (``prefix`` + key in the dict) as an array of
    ``t``'s shape into ``arrays``, or what is wrong with it into ``problems``."""
    name = prefix + key
    from .lazy import SHAPE_ERROR, is_lazy
    if is_lazy(t):         # a placeholder left so (the value is one too): nothing to copy
        return
    if is_lazy(value):     # torch reads the placeholder's shape: its RuntimeError, raised
        raise RuntimeError(SHAPE_ERROR)
    try:
        arr = _as_numpy(value)
    except Exception as e:  # anything that is not array-like
        problems.append(f"value for {name!r} is not array-like ({type(value).__name__}: {e})")
        return
    if t.shape == () and arr.shape == (1,):   # (torch's rule for 0-d entries saved as 1-d)
        arr = arr.reshape(())
    if arr.dtype.kind not in "biuf":
        problems.append(f"value for {name!r} has non-numeric dtype {arr.dtype}")
    elif arr.shape != t.shape:
        problems.append(f"size mismatch for {name!r}: copying a param with shape {arr.shape} "
                        f"from the state_dict, the shape in the current model is {t.shape}")
    elif type(arr) is MetaArray and not assign and not is_meta(t):   # (torch's words)
        problems.append(f'While copying the parameter named "{name}", whose dimensions in the '
                        f'model are {t.shape!r} and whose dimensions in the checkpoint are '
                        f'{value.shape!r}, an exception occurred : ({NO_DATA!r},).')
    else:
        arrays[key] = arr


def _raise(module, strict, missing, unexpected, problems, own, state_dict):
    problems = list(problems)
    if strict:
        if missing:
            problems.insert(0, "Missing key(s) in state_dict: " + ", ".join(
                f"{k!r} (shape {own[k].shape})" if k in own else repr(k) for k in missing))
        if unexpected:
            problems.insert(1 if missing else 0, "Unexpected key(s) in state_dict: "
                            + ", ".join(f"{k!r}{_shape_note(state_dict[k])}" if k in state_dict
                                        else repr(k) for k in unexpected))
    if problems:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
                           + "\n\t".join(problems))


def _copy(module, own, arrays, assign, sources):
    if assign:
        _assign(module, arrays, sources)
        return
    with no_grad():
        for key, arr in arrays.items():
            if is_meta(own[key]) and not is_meta(sources[key]):    # (torch's warning)
                warnings.warn(f"for {key}: copying from a non-meta parameter in the checkpoint "
                              f"to a meta parameter in the current model, which is a no-op. "
                              f"(Did you mean to pass `assign=True` to assign items in the "
                              f"state dictionary to their corresponding key in the module "
                              f"instead of copying them in place?)", UserWarning,
                              stacklevel=warn_level(4))
            own[key].copy_(arr.astype(own[key].dtype, copy=False))


def _assign(module, arrays, sources):
    """The state dict's tensors become the module's, as torch's ``assign=True``: a buffer is
    the state dict's Tensor itself, a parameter that Tensor if it is a Parameter (given the
    old one's requires_grad) or a new Parameter over its memory; values that are not our
    Tensors (NumPy arrays, torch tensors) become Tensors over their arrays. No copy: the module
    then shares the state dict's memory and dtype."""
    def value(key):
        source = sources[key]
        if isinstance(source, Tensor) and source.shape == arrays[key].shape:
            return source
        return Tensor._of(arrays[key])

    stack = [("", module)]
    while stack:
        prefix, m = stack.pop()
        for name, old in list(m._parameters.items()):
            if old is not None and prefix + name in arrays:
                new = value(prefix + name)
                if isinstance(new, Parameter):
                    new.requires_grad_(old.requires_grad)
                else:
                    new = Parameter(new, requires_grad=old.requires_grad)
                setattr(m, name, new)
        for name, old in list(m._buffers.items()):
            if old is not None and prefix + name in arrays:
                setattr(m, name, value(prefix + name))
        stack.extend((prefix + k + ".", child) for k, child in m._modules.items()
                     if child is not None)


def _shape_note(value):
    try:
        return f" (shape {tuple(_as_numpy(value).shape)})"
    except Exception:  # not array-like: the key alone says enough
        return ""
