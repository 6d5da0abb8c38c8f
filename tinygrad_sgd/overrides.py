"""``tinygrad_sgd.overrides`` — torch's ``torch.overrides``: the helpers a user's Tensor-like
type or Python function needs to take part in ``__torch_function__`` (see
:mod:`tinygrad_sgd.torch_function` for how the library's own functions hand calls over).

* :func:`has_torch_function` / :func:`handle_torch_function` — a user's function that should
  dispatch as torch's own (``if has_torch_function((x,)): return handle_torch_function(f,
  (x,), x)``);
* :func:`is_tensor_like`, :func:`get_overridable_functions`, :func:`get_ignored_functions`,
  :func:`get_default_nowrap_functions`, :func:`is_tensor_method_or_property`;
* :class:`TorchFunctionMode` — ``with LoggingMode():`` sees every call of the library's
  public functions, methods and properties;
* torch's ``torch._C`` context managers :class:`DisableTorchFunctionSubclass` (a subclass's
  ``__torch_function__`` is skipped inside) and :class:`DisableTorchFunction` (modes too), and
  ``_disabled_torch_function_impl`` (``nn.Parameter``'s ``__torch_function__``); the torch shim
  gives them as ``torch._C.<name>``.

Where it differs from torch (2.13):

* dispatch wakes with the first Tensor subclass that takes part (or the first mode entered,
  or :func:`get_overridable_functions`): a Tensor-like class that is *not* a Tensor subclass
  (the docs' ``ScalarTensor``) is handed calls only from then on. Waking replaces the public
  functions by dispatching wrappers and updates module-level names that held them (``from
  tinygrad_sgd import add`` included); a function object kept elsewhere before (a dict's key,
  a list) stays the plain function;
* ``func`` for ``nn.functional`` is always the library's ``F.<name>`` (torch's ``F.sigmoid``
  and ``F.tanh`` hand over ``Tensor.sigmoid``/``tanh``, its C++ ones are ``torch.conv2d``...
  objects); ``kwargs`` is what the caller wrote (torch's Python functions hand over all their
  options: ``F.relu`` gives ``{'inplace': False}``), None when empty for the others;
* not handed over: reading ``grad_fn``, ``is_cuda``, ``is_cpu``, ``is_sparse`` (plain
  attributes here); the optimizers' updates (torch's SGD calls ``param.add_``); ``copy.deepcopy``
  of a subclass copies it (torch refuses without ``new_empty``);
* once awake, a warning raised inside a public function names one frame deeper (the wrapper's).
"""
from . import torch_function as _tf
from .torch_function import state as _state

_disabled_torch_function_impl = _tf.disabled_impl   # (nn.Parameter's __torch_function__)

__all__ = ["get_ignored_functions", "get_overridable_functions", "handle_torch_function",
           "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
           "is_tensor_like", "is_tensor_method_or_property", "get_default_nowrap_functions",
           "TorchFunctionMode", "DisableTorchFunctionSubclass", "DisableTorchFunction"]


class DisableTorchFunctionSubclass:
    """``with DisableTorchFunctionSubclass():`` — subclasses' ``__torch_function__`` is not
    called inside (modes still are): what ``Tensor.__torch_function__`` runs ``func`` under."""
    _level = 1

    def __enter__(self):
        self._previous = _state.level
        _state.level = max(self._previous, self._level)

    def __exit__(self, *exc):
        _state.level = self._previous
        return False


class DisableTorchFunction(DisableTorchFunctionSubclass):
    """``with DisableTorchFunction():`` — no ``__torch_function__`` at all, modes included."""
    _level = 2


def _is_torch_function_enabled():
    return _state.level == 0


def _is_torch_function_all_disabled():
    return _state.level == 2


def _get_overloaded_args(relevant_args):
    """The arguments whose ``__torch_function__`` is called, in order (subclasses first)."""
    return _tf.overloaded_args(relevant_args) or []


def has_torch_function(relevant_args):
    """Would :func:`handle_torch_function` hand these arguments over? (an argument whose type
    overrides ``__torch_function__`` — not a plain Tensor, not a Parameter — or a mode)."""
    if _state.level == 2:
        return False
    return bool(_state.modes) or (_state.level == 0 and
                                  _tf.overloaded_args(relevant_args) is not None)


def has_torch_function_unary(obj):
    return has_torch_function((obj,))


def has_torch_function_variadic(*args):
    return has_torch_function(args)


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Call the ``__torch_function__`` of the mode and of the overloading arguments of
    ``relevant_args`` with ``public_api`` (the user's function), as torch does; TypeError
    when all return NotImplemented."""
    found = _tf.overloaded_args(relevant_args) if _state.level == 0 else None
    where = (True, f"{public_api.__module__}.{public_api.__name__}")
    return _tf.dispatch(public_api, found, args, kwargs, where)


def is_tensor_like(inp):
    """A Tensor, or an object whose type has ``__torch_function__``."""
    from .tensor import Tensor
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def get_default_nowrap_functions():
    """The functions whose results ``Tensor.__torch_function__`` leaves unconverted
    (``Tensor.grad.__get__``)."""
    return _tf.nowrap()


def get_overridable_functions():
    """``{namespace: [functions]}`` for the library's namespaces whose functions hand calls to
    ``__torch_function__`` (properties as their ``__get__``). Asking puts the wrappers in
    place (see :mod:`tinygrad_sgd.torch_function`)."""
    import importlib
    from .tensor import Tensor
    _tf.install()
    out = {}
    for space, table in _tf.WRAPPED.items():
        key = Tensor if space == "Tensor" else importlib.import_module(
            "tinygrad_sgd" + ("." + space[:-1] if space else ""))
        out[key] = [f.__get__ if isinstance(f, property) else f for f in table.values()]
    return out


def get_ignored_functions():
    """The public functions that never hand a call over (factories' rules of their own,
    settings, ``is_tensor``, ``Tensor.as_subclass`` ...)."""
    import tinygrad_sgd
    from .tensor import Tensor
    return {getattr(tinygrad_sgd, n) for n in _tf._NOT_DISPATCHED if hasattr(tinygrad_sgd, n)} \
        | {Tensor.as_subclass, Tensor._make_subclass}


def is_tensor_method_or_property(func):
    """Is ``func`` a Tensor method or a property's ``__get__``?"""
    from .tensor import Tensor
    return any(func is v for v in vars(Tensor).values()) or \
        getattr(func, "__name__", None) == "__get__"


class TorchFunctionMode:
    """``with Mode():`` — its ``__torch_function__(func, types, args, kwargs)`` is called for
    every public function, method and property of the library used inside, before any
    subclass's; while it runs, the mode is off (``func(*args, **kwargs)`` computes)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _tf.install()
        _state.modes = _state.modes + (self,)
        _tf._modes_on += 1
        return self

    def __exit__(self, *exc):
        stack = _state.modes
        if stack and stack[-1] is self:
            _state.modes = stack[:-1]
            _tf._modes_on -= 1
        return False

    @classmethod
    def push(cls, *args, **kwargs):
        return cls(*args, **kwargs)


def _get_current_function_mode():
    return _state.modes[-1] if _state.modes else None


def _get_current_function_mode_stack():
    return list(_state.modes)


def _is_torch_function_mode_enabled():
    return bool(_state.modes) and _state.level < 2
