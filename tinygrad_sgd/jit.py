"""``torch.jit``'s helpers that model code calls outside of scripting, with their eager meaning.

This library has no TorchScript compiler: ``torch.jit.script``, ``trace``, ``save``, ``load``
and ``ScriptModule`` are absent (an AttributeError, as any missing name). What remains is what
torch itself does when nothing is being scripted or traced:

    is_scripting(), is_tracing()     False
    annotate(type, value)            value
    ignore, unused, export           mark the function (``_torchscript_modifier``), return it
    interface(cls)                   checks the class, names it (``__torch_script_interface__``)
    script_if_tracing(fn)            a wrapper that calls fn (nothing is ever traced)
    Final, Attribute                 typing.Final; ``Attribute(value, type)``, a namedtuple
    fork(fn, *args), wait(future)    fn runs at once; its Future holds the result
    Future()                         completed by set_result/set_exception; then, callbacks
    isinstance(obj, List[int])       a check of containers' element types, as torch's

As in torch 2.13, ``fork``, ``wait`` and ``interface`` warn that they are deprecated
(DeprecationWarning); ``torch.fork`` / ``torch.wait`` are the same without the warning.
"""
import builtins
import collections
import collections.abc
import functools
import inspect
import itertools
import sys
import threading
import traceback
import types
import typing
import warnings

from .errors import warn_level

__all__ = ["Attribute", "Future", "annotate", "export", "fork", "interface", "ignore",
           "isinstance", "script_if_tracing", "unused", "wait"]       # (torch.jit's __all__)

Final = typing.Final


class _FunctionModifiers:
    """What a decorator asked of the compiler (the value put in ``_torchscript_modifier``)."""
    UNUSED = "unused (ignored and replaced with raising of an exception)"
    IGNORE = "ignore (leave as a call to Python, cannot be torch.jit.save'd)"
    EXPORT = "export (compile this function even if nothing calls it)"
    DEFAULT = "default (compile if called from an exported function / forward)"


def is_scripting() -> bool:
    """True inside a TorchScript-compiled function: never, here."""
    return False


def is_tracing() -> bool:
    """True while ``torch.jit.trace`` runs: never, here."""
    return False


def annotate(the_type, the_value):
    """A type hint for the compiler: gives back ``the_value``."""
    return the_value


Attribute = collections.namedtuple("Attribute", ["value", "type"])


def ignore(drop=False, **kwargs):
    """``@ignore`` or ``@ignore(drop=...)``: marks the function, which stays as it is."""
    if callable(drop):                                  # @ignore, without arguments
        drop._torchscript_modifier = _FunctionModifiers.IGNORE
        return drop
    if not builtins.isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but "
                           f"got {drop}")
    drop_on_export = kwargs.pop("drop_on_export", None)
    if drop_on_export:
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now "
                      "drop the function call on compilation. Use torch.jit.unused now. {}",
                      FutureWarning, stacklevel=warn_level(2))
        drop = drop_on_export
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning,
                      stacklevel=warn_level(2))

    def decorator(fn):
        fn._torchscript_modifier = _FunctionModifiers.UNUSED if drop else _FunctionModifiers.IGNORE
        return fn
    return decorator


def unused(fn):
    """Marks a function (or a property's getter and setter) the compiler replaces by a raise."""
    if builtins.isinstance(fn, property):
        for part in (fn.fget, fn.fset):
            if part is not None:
                part._torchscript_modifier = _FunctionModifiers.UNUSED
        return fn
    fn._torchscript_modifier = _FunctionModifiers.UNUSED
    return fn


def export(fn):
    """Marks a method the compiler would compile as an entry point."""
    fn._torchscript_modifier = _FunctionModifiers.EXPORT
    return fn


_interface_names = set()
_mangles = itertools.count()


def interface(obj):
    """Checks ``obj`` is a class torch could make an interface of (a plain class, or a direct
    ``nn.Module`` subclass) and gives it torch's ``__torch_script_interface__`` name."""
    warnings.warn("`torch.jit.interface` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=warn_level(2))
    if not inspect.isclass(obj):
        raise RuntimeError("interface must be applied to a class")
    from .nn.module import Module
    is_module_interface = issubclass(obj, Module) and len(obj.mro()) == 3
    if not is_module_interface and len(obj.mro()) > 2:
        raise RuntimeError("TorchScript interface does not support inheritance yet. Please "
                           "directly inherit from 'object' or 'nn.Module'.")
    module = "__torch__" if obj.__module__ == "__main__" else "__torch__." + obj.__module__
    name = f"{module}.{obj.__name__}"
    if name in _interface_names:                         # torch's mangling of a second one
        name = f"{module}.___torch_mangle_{next(_mangles)}.{obj.__name__}"
    _interface_names.add(name)
    obj.__torch_script_interface__ = name
    return obj


def script_if_tracing(fn):
    """``fn`` wrapped to be compiled when called during tracing — never, here: it calls fn."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    wrapper.__original_fn = fn
    wrapper.__script_if_tracing_wrapper = True
    return wrapper


# ------------------------------------------------------------------- fork / wait
class _Future:
    """torch's ``torch._C.Future`` (``torch.Future``), what :func:`fork` and ``then`` give: a
    result that is there once ``set_result`` (or, for :class:`Future`, ``set_exception``) has
    completed it — at once for ``fork``, whose task runs eagerly. ``wait()`` blocks until then
    (another thread may complete it); callbacks given to ``then`` and ``add_done_callback``
    run when it completes, in the order they were given, or at once if it has."""

    def __init__(self):
        self._done, self._value, self._error = False, None, None
        self._callbacks, self._completed = [], threading.Condition()

    @classmethod
    def _of(cls, value):
        future = cls.__new__(cls)
        _Future.__init__(future)
        future._done, future._value = True, value
        return future

    def done(self) -> bool:
        return self._done

    def wait(self):
        """The result, once there (an exception set on the future is raised)."""
        with self._completed:
            while not self._done:
                self._completed.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def value(self):
        """The result of a completed future (torch's internal assert for one that is not)."""
        if not self._done:
            raise RuntimeError("completed() INTERNAL ASSERT FAILED: value() of a Future that "
                               "has not completed (wait() for it)")
        return self.wait()

    def _when_done(self, run):
        with self._completed:
            if not self._done:
                self._callbacks.append(run)
                return
        run(self)

    def then(self, callback):
        """A new future completed with ``callback(self)`` once this one is; an exception the
        callback raises completes it with torch's RuntimeError naming it."""
        _check_callable("then", "torch._C.Future", self, callback)
        chained = _Future()

        def run(future):
            try:
                result = callback(future)
            except Exception as e:             # noqa: BLE001  (kept for chained.wait())
                chained._complete(None, RuntimeError(_callback_error(e)))
            else:
                chained._complete(result, None)
        self._when_done(run)
        return chained

    def add_done_callback(self, callback):
        """``callback(self)`` once this future is completed; an exception it raises is written
        to stderr, as torch logs it, and goes no further."""
        _check_callable("add_done_callback", "None", self, callback)

        def run(future):
            try:
                callback(future)
            except Exception as e:             # noqa: BLE001
                print(_callback_error(e), file=sys.stderr)
        self._when_done(run)

    def set_result(self, result):
        """Complete the future with ``result``, running its callbacks (only once)."""
        self._complete(result, None)

    def _complete(self, value, error):
        with self._completed:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. "
                                   "Note that a Future can only be marked completed once.")
            self._done, self._value, self._error = True, value, error
            callbacks, self._callbacks = self._callbacks, []
            self._completed.notify_all()
        for run in callbacks:
            run(self)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"


_Future.__name__ = _Future.__qualname__ = "Future"
_Future.__module__ = "tinygrad_sgd"                      # (torch.Future)


class Future(_Future):
    """torch's ``torch.jit.Future`` (``torch.futures.Future``): made empty, completed by
    ``set_result`` or ``set_exception``. (``fork`` gives the base future, which has no
    ``set_exception``: as torch's.)"""

    def __init__(self, *, devices=None):
        super().__init__()

    def set_exception(self, result):
        """Complete the future with an exception: ``wait()`` and ``value()`` raise it."""
        assert builtins.isinstance(result, Exception), \
            f"{result} is of type {type(result)}, not an Exception."
        self._complete(None, result)


def _check_callable(method, returns, future, callback):
    if not callable(callback):
        raise TypeError(f"{method}(): incompatible function arguments. The following argument "
                        f"types are supported:\n    1. (self: torch._C.Future, arg0: "
                        f"collections.abc.Callable) -> {returns}\n\nInvoked with: {future!r}, "
                        f"{callback!r}")


def _callback_error(e):
    """torch's words for an exception a future's callback raised, with where (innermost
    first, as torch lists them)."""
    where = "".join(f"  {f.filename}({f.lineno}): {f.name}\n"
                    for f in reversed(traceback.extract_tb(e.__traceback__)))
    return (f"Got the following error when running the callback: {type(e).__name__}: {e}"
            f"\n\nAt:\n{where}")


def _fork(func, *args, **kwargs):
    if not callable(func):
        raise TypeError(f"Object of type '{type(func).__name__}' is not an instance of "
                        f"'function'")
    return _Future._of(func(*args, **kwargs))  # an exception of func's is raised here, as torch


def _wait(future):
    if not builtins.isinstance(future, _Future):
        raise TypeError(f"wait(): incompatible function arguments. The following argument "
                        f"types are supported:\n    1. (arg0: torch._C.Future) -> object\n\n"
                        f"Invoked with: {future!r}")
    return future.wait()


def fork(func, *args, **kwargs):
    """Runs ``func(*args, **kwargs)`` (at once: torch runs it on the caller's thread too) and
    gives a :class:`Future` whose ``wait()`` returns the result."""
    warnings.warn("`torch.jit.fork` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=warn_level(2))
    return _fork(func, *args, **kwargs)


def wait(future):
    """The result of a task :func:`fork` started."""
    warnings.warn("`torch.jit.wait` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=warn_level(2))
    return _wait(future)


# ------------------------------------------------------------------- isinstance
_RAW_NAMES = {dict: "dict", list: "list", tuple: "tuple", typing.Dict: "Dict",
              typing.List: "List", typing.Optional: "Optional", typing.Tuple: "Tuple"}


def _no_bare_container(target_type):
    try:
        name = _RAW_NAMES.get(target_type)
    except TypeError:                                    # (an unhashable target)
        return
    if name is None:
        return
    if name.endswith("ict"):
        raise RuntimeError(f"Attempted to use {name} without contained types. Please add "
                           f"contained type, e.g. {name}[int, int]")
    raise RuntimeError(f"Attempted to use {name} without a contained type. Please add a "
                       f"contained type, e.g. {name}[int]")


def _warn_if_empty(obj):
    if obj == [] or obj == {} or obj == ():
        warnings.warn("The inner type of a container is lost when calling torch.jit.isinstance "
                      "in eager mode. For example, List[int] would become list and therefore "
                      "falsely return True for List[float] or List[str].",
                      stacklevel=warn_level(3))


def _element_is(el, el_type):
    return _container_is(el, el_type) if typing.get_origin(el_type) else \
        builtins.isinstance(el, el_type)


def _container_is(obj, target_type) -> bool:
    _no_bare_container(target_type)                     # (typing.List has an origin: list)
    origin = typing.get_origin(target_type)
    args = typing.get_args(target_type)
    if origin is list:
        _warn_if_empty(obj)
        return builtins.isinstance(obj, list) and all(_element_is(el, args[0]) for el in obj)
    if origin is dict:
        _warn_if_empty(obj)
        return builtins.isinstance(obj, dict) and all(
            builtins.isinstance(k, args[0]) and _element_is(v, args[1]) for k, v in obj.items())
    if origin is tuple:
        _warn_if_empty(obj)
        return builtins.isinstance(obj, tuple) and len(obj) == len(args) and all(
            _element_is(el, t) for el, t in zip(obj, args))
    if origin is typing.Union or origin is types.UnionType:        # (Optional too)
        if obj is None:
            return True
        for t in args:
            if typing.get_origin(t):
                return _container_is(obj, t)     # (torch's: the first container decides)
            if builtins.isinstance(obj, t):
                return True
    return False


def isinstance(obj, target_type) -> bool:  # noqa: A001  (torch.jit.isinstance)
    """``isinstance`` that also checks the element types of ``List[...]``, ``Dict[...]``,
    ``Tuple[...]`` and ``Optional[...]`` / unions (an empty container passes, with torch's
    warning that its element type is unknown); a bare ``List`` or ``dict`` is refused."""
    if builtins.isinstance(target_type, collections.abc.Container):
        if not builtins.isinstance(target_type, tuple):
            raise RuntimeError("The second argument to `torch.jit.isinstance` must be a type or "
                               "a tuple of types")
        return any(isinstance(obj, t) for t in target_type)
    if typing.get_origin(target_type):
        return _container_is(obj, target_type)
    _no_bare_container(target_type)
    return builtins.isinstance(obj, target_type)
