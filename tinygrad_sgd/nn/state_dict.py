"""Loading a state dict into a module (:meth:`Module.load_state_dict`): every key and shape
checked first, then the values copied into the module's tensors — or, with ``assign``, the
state dict's tensors put in their place."""
from collections import OrderedDict

from ..autograd import no_grad
from ..tensor import Tensor
from .module import IncompatibleKeys, Parameter, _as_numpy

__all__ = ["load_state_dict"]


def load_state_dict(module, state_dict, strict=True, assign=False):
    """See :meth:`Module.load_state_dict`."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"load_state_dict: expected a dict-like state_dict, got "
                        f"{type(state_dict).__name__}")
    for name, m in module.named_modules():      # lazy layers take their shapes first
        if hasattr(m, "_lazy_load_hook"):
            m._lazy_load_hook(state_dict, name + "." if name else "")
    own = OrderedDict(module._state_items())
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict.keys() if k not in own]
    problems, arrays = [], {}
    for key, p in own.items():
        if key not in state_dict:
            continue
        try:
            arr = _as_numpy(state_dict[key])
        except Exception as e:  # anything that is not array-like
            problems.append(f"value for {key!r} is not array-like "
                            f"({type(state_dict[key]).__name__}: {e})")
            continue
        if arr.dtype.kind not in "biuf":
            problems.append(f"value for {key!r} has non-numeric dtype {arr.dtype}")
        elif arr.shape != p.shape:
            problems.append(f"size mismatch for {key!r}: copying a param with shape "
                            f"{arr.shape} from the state_dict, the shape in the current "
                            f"model is {p.shape}")
        else:
            arrays[key] = arr
    if strict:
        if missing:
            problems.insert(0, "Missing key(s) in state_dict: " + ", ".join(
                f"{k!r} (shape {own[k].shape})" for k in missing))
        if unexpected:
            problems.insert(1 if missing else 0, "Unexpected key(s) in state_dict: "
                            + ", ".join(f"{k!r}{_shape_note(state_dict[k])}"
                                        for k in unexpected))
    if problems:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
                           + "\n\t".join(problems))
    if assign:
        _assign(module, arrays)
        return IncompatibleKeys(missing, unexpected)
    with no_grad():
        for key, arr in arrays.items():
            own[key].copy_(arr.astype(own[key].dtype, copy=False))
    return IncompatibleKeys(missing, unexpected)


def _assign(module, arrays):
    """The given arrays become the tensors of their keys: a parameter a new Parameter on the
    array (the old one's requires_grad), a buffer a Tensor on it (no copy: as torch's assign,
    the module then shares the state dict's memory and dtype)."""
    stack = [("", module)]
    while stack:
        prefix, m = stack.pop()
        for table, make in ((m._parameters, lambda a, old: Parameter(
                a, requires_grad=old.requires_grad)), (m._buffers, lambda a, old: Tensor(a))):
            for name, old in list(table.items()):
                if old is not None and prefix + name in arrays:
                    setattr(m, name, make(arrays[prefix + name], old))
        stack.extend((prefix + k + ".", child) for k, child in m._modules.items()
                     if child is not None)


def _shape_note(value):
    try:
        return f" (shape {tuple(_as_numpy(value).shape)})"
    except Exception:  # not array-like: the key alone says enough
        return ""
