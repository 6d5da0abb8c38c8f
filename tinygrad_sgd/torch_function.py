"""``__torch_function__``: how an operation on a user's Tensor subclass (or a Tensor-like
object) is handed to that class, as torch does it.

torch checks, at the entry of every public function and Tensor method, whether an argument's
type overrides ``__torch_function__``; if so it calls ``cls.__torch_function__(func, types,
args, kwargs)`` with ``func`` the public object the user called (``torch.add``,
``torch.Tensor.add`` — also for ``a + b`` —, ``torch.Tensor.shape.__get__``,
``torch.nn.functional.relu``). ``Tensor.__torch_function__`` itself (:func:`default`) runs
``func`` with that dispatch switched off and makes its Tensor results instances of the
subclass (``ret.as_subclass(cls)``); ``nn.Parameter`` opts out
(``__torch_function__ = _disabled_torch_function_impl``), so ops on parameters give plain
Tensors.

**Nothing of this runs until it is needed.** The library's functions are plain functions and
the MNIST training step pays nothing for this file. The first Tensor subclass whose
``__torch_function__`` is not the disabled one (``Tensor.__init_subclass__`` reports each), or
the first :class:`~tinygrad_sgd.overrides.TorchFunctionMode` entered, calls :func:`install`:
it puts a dispatching wrapper (:func:`_function`, :func:`_operator`, :func:`_property`) in
place of every public function of ``tinygrad_sgd``, ``tinygrad_sgd.nn.functional``,
``.linalg``, ``.special`` and of every Tensor method, operator and property — in those
namespaces, in the torch shim's modules and in any module outside the library that imported
one (``from tinygrad_sgd import add``) — one wrapper per function, so that aliases stay one
object (``special.psi is digamma``). From then on each call checks its arguments' types
(a plain Tensor, a number: one type test each) before running the function it wraps; the
library's warnings count the wrapper's frame out (:func:`~tinygrad_sgd.errors.warn_level`),
so that they still name the user's line. The library's own calls inside a function go to the
functions directly, as torch's C++ kernels do, so ``__torch_function__`` sees what the user
called, not how the library computes it. The meta device installs the wrappers for its own
tensors too, and takes them away (:func:`uninstall`) once none is left, unless a subclass or a
mode wants them.
"""
# house: long file — the dispatch rule, the default __torch_function__ and the wrappers that
# put them at every public entry are one mechanism, read together.
import functools
import sys
import threading
import types
import warnings

import numpy as np

from .meta import MetaArray as _MetaArray

__all__ = ["install", "uninstall", "installed", "subclass_defined", "default", "convert",
           "dispatch", "overloaded_args", "state"]


class _State(threading.local):
    level = 0        # 0: on; 1: subclasses' __torch_function__ off (DisableTorchFunctionSubclass);
    modes = ()       # 2: everything off (DisableTorchFunction). modes: the TorchFunctionMode
                     # stack, innermost last


state = _State()
_installed = False
_Tensor = None


class _DisabledImpl:
    """``torch._C._disabled_torch_function_impl``: the ``__torch_function__`` of a class that
    opts out (``nn.Parameter``); called, it runs ``func`` with dispatch off, unconverted. Not a
    function, so that it never binds as a method (as torch's builtin)."""
    __name__ = __qualname__ = "_disabled_torch_function_impl"

    def __call__(self, func, types, args=(), kwargs=None):
        previous, state.level = state.level, 2
        try:
            return func(*args, **(kwargs or {}))
        finally:
            state.level = previous

    def __repr__(self):
        return "<built-in function _disabled_torch_function_impl>"


disabled_impl = _DisabledImpl()
_TAKES_PART = {}       # type -> whether its __torch_function__ is called (cached)
_PLAIN = {int, float, bool, complex, str, type(None), slice, type(Ellipsis), np.ndarray}
# the wrappers' quick test: an argument of one of these types never takes part (the plain
# Tensor is added by install(); so is every type found not to take part, Parameter first)
_QUIET = set(_PLAIN)
_modes_on = 0          # TorchFunctionModes entered, all threads (state.modes says which)
_meta_on = False       # whether a meta tensor was made: then overloaded_args looks for them
_META = object()       # overloaded_args' mark for "a meta tensor is here": meta.handle runs
_TENSORS = set()       # once a meta tensor exists, the Tensor types that don't take part leave
                       # _QUIET for here: quiet too, unless their array is a MetaArray (so the
                       # quick test stays a set lookup, and an attribute test, for them)


def installed():
    return _installed


def takes_part(t):
    """Does an argument of type ``t`` get its ``__torch_function__`` called? Not a plain
    Tensor, not a class that opts out (``nn.Parameter``)."""
    known = _TAKES_PART.get(t)
    if known is None:
        Tensor = _tensor()
        if issubclass(t, Tensor):
            known = t is not Tensor and t.__dict__.get("_tf_dispatch", None) is not False \
                and getattr(t, "__torch_function__", None) is not disabled_impl
        else:
            tf = getattr(t, "__torch_function__", None)
            known = tf is not None and tf is not disabled_impl
        _TAKES_PART[t] = known
        if not known and t is not list and t is not tuple:
            (_TENSORS if _meta_on and issubclass(t, _tensor()) else _QUIET).add(t)
    return known


def _tensor():
    global _Tensor
    if _Tensor is None:
        from .tensor import Tensor
        _Tensor = Tensor
    return _Tensor


def _add(found, arg):
    """torch's ``_get_overloaded_args``: one argument per type, a subclass before its base."""
    t = type(arg)
    if found is None:
        return [arg]
    if any(type(a) is t for a in found):
        return found
    for i, old in enumerate(found):
        if issubclass(t, type(old)):
            found.insert(i, arg)
            return found
    found.append(arg)
    return found


def overloaded_args(values):
    """The arguments (and the elements of list or tuple arguments) whose type takes part, in
    torch's order, or None."""
    if _meta_on:
        from .meta import any_meta
        if any_meta(values):
            return [_META]
    found = None
    Tensor = _tensor()
    for a in values:
        t = type(a)
        if t is Tensor or t in _PLAIN:
            continue
        if t is list or t is tuple:
            for b in a:
                tb = type(b)
                if tb is not Tensor and tb not in _PLAIN and takes_part(tb):
                    found = _add(found, b)
        elif takes_part(t):
            found = _add(found, a)
    return found


def _relevant(args, kwargs):
    if state.level:
        return None
    return overloaded_args(args if not kwargs else (*args, *kwargs.values()))


def dispatch(func, overloaded, args, kwargs, where):
    """Hand ``func(*args, **kwargs)`` to the innermost mode, then to each overloading
    argument's ``__torch_function__`` in turn, until one returns something else than
    NotImplemented (torch's ``handle_torch_function``). ``where``: (python, name) for the
    error when all decline."""
    overloaded = overloaded or ()
    kinds = tuple(type(a) for a in overloaded if a is not _META)
    if state.modes and state.level < 2:
        stack = state.modes
        mode, state.modes = stack[-1], stack[:-1]          # (a mode's own calls skip it)
        try:
            result = mode.__torch_function__(func, kinds, args, kwargs)
        finally:
            state.modes = stack
        if result is not NotImplemented:
            return result
    for arg in overloaded:
        if arg is _META:                   # (a meta tensor: the meta device's one gate)
            from .meta import handle
            return handle(func, args, kwargs)
        method = arg.__torch_function__
        if getattr(method, "__self__", None) is arg:     # (torch's two wordings)
            warnings.warn(f"Defining your `__torch_function__{'' if where[0] else '`'} as a "
                          f"plain method is deprecated and will be an error in future, please "
                          f"define it as a classmethod.",
                          DeprecationWarning if where[0] else UserWarning, stacklevel=3)
        result = method(func, kinds, args, kwargs)
        if result is not NotImplemented:
            return result
    python, name = where
    from .autograd.torch_names import torch_mode
    if torch_mode():                      # (a torch program: torch's module names)
        name = name.replace("tinygrad_sgd", "torch", 1)
    if python:
        raise TypeError(f"no implementation found for '{name}' on types that implement "
                        f"__torch_function__: {list(kinds)}")
    lines = "".join(f"\n  - tensor subclass {t}" for t in kinds)   # (torch's words, for
                                                                    # a Tensor-like too)
    raise TypeError(f"Multiple dispatch failed for '{name}'; all __torch_function__ handlers "
                    f"returned NotImplemented:\n{lines}\n\nFor more information, try "
                    f"re-running with TORCH_LOGS=not_implemented")


# ----------------------------------------------------------------- Tensor.__torch_function__
def nowrap():
    """torch's ``get_default_nowrap_functions``: ``Tensor.grad.__get__`` (a gradient stays the
    plain Tensor the engine made)."""
    return {_tensor().__dict__["grad"].__get__}


def default(cls, func, types, args=(), kwargs=None):
    """``torch.Tensor.__torch_function__``: run ``func`` with subclass dispatch off and make
    its Tensor results (also inside tuples and lists) instances of ``cls``; NotImplemented
    when some type taking part is not a base of ``cls``."""
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    if _from_torch(func):             # PyTorch itself handed it over (a torch module or
        func = _ours(func)            # function called on our Tensors): the library's own
        if func is None:              # function of that name — calling torch's would hand
            return NotImplemented     # it back here forever
    previous = state.level
    state.level = max(previous, 1)
    try:
        ret = func(*args, **kwargs)
        if func in nowrap():
            return ret
        return convert(ret, cls)
    finally:
        state.level = previous


# the C modules torch's builtins report (``torch._C._linalg.linalg_norm``) → ours, by prefix
_TORCH_C = {"torch._C._linalg": ("linalg", "linalg_"), "torch._C._special": ("special", "special_"),
            "torch._C._fft": ("fft", "fft_"), "torch._C._nn": ("nn.functional", ""),
            "torch._C._VariableFunctions": ("", ""), "torch": ("", ""),
            "torch.functional": ("", "")}


def _from_torch(func):
    """Whether ``func`` is PyTorch's own (``torch.pairwise_distance``, ``F.relu``): PyTorch
    calls a ``__torch_function__`` it finds on an argument's type, ours too."""
    module = getattr(func, "__module__", None)
    return isinstance(module, str) and (module == "torch" or module.startswith("torch."))


def _ours(func):
    """The library's function for PyTorch's ``func`` (same name in the matching module:
    ``torch.nn.functional.relu`` → ``tinygrad_sgd.nn.functional.relu``), or None."""
    import importlib
    module, name = func.__module__, getattr(func, "__name__", "")
    if module in _TORCH_C:
        where, prefix = _TORCH_C[module]
        if not name.startswith(prefix):
            return None
        module, name = "torch" + ("." + where if where else ""), name[len(prefix):]
    try:
        found = getattr(importlib.import_module("tinygrad_sgd" + module[len("torch"):]), name)
    except (ImportError, AttributeError):
        return None
    return found if callable(found) and not _from_torch(found) else None


def convert(ret, cls):
    """torch's ``_convert``: a Tensor result as ``ret.as_subclass(cls)``, element by element
    inside a tuple or list (a named tuple of results too)."""
    Tensor = _tensor()
    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        ret = ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        items = [convert(r, cls) for r in ret]
        ret = type(ret)._make(items) if hasattr(ret, "_fields") else type(ret)(items)
    return ret


def subclass_defined(cls):
    """Called by ``Tensor.__init_subclass__``: a user's subclass takes part unless its
    ``__torch_function__`` is the disabled one; the library's own (Parameter, Buffer, the lazy
    placeholders) only if they define one."""
    own = cls.__dict__.get("__torch_function__")
    takes = getattr(cls, "__torch_function__", None) is not disabled_impl
    if cls.__module__.startswith("tinygrad_sgd.") and own is None:
        takes = False
    cls._tf_dispatch = takes
    _TAKES_PART.pop(cls, None)
    _QUIET.discard(cls)
    _TENSORS.discard(cls)
    if takes:
        install()


# ----------------------------------------------------------------- the wrappers
def _function(fn, name, where):
    """A public function that first hands itself to ``__torch_function__`` when an argument
    takes part (or a mode is on)."""
    def public(*args, **kwargs):
        if not _modes_on:                # (the quick test: plain tensors, numbers)
            for a in args:
                t = type(a)
                if t not in _QUIET and (t not in _TENSORS or type(a.array) is _MetaArray):
                    break
            else:
                if not kwargs:
                    return fn(*args)
        if state.level < 2:
            found = _relevant(args, kwargs)
            if found or state.modes:     # (torch's C++ functions hand over None for no
                return dispatch(public, found, args, kwargs or (kwargs if where[0] else None),
                                where)   # keywords, its Python ones a dict)
        return fn(*args, **kwargs)
    functools.update_wrapper(public, fn)
    public.__name__ = name
    return public


# the operators torch hands over as another method (a + b: Tensor.add), from torch 2.13
_AS = {"__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
       "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_",
       "__truediv__": "div", "__itruediv__": "div_", "__mod__": "remainder",
       "__imod__": "remainder_", "__ifloordiv__": "floor_divide_", "__matmul__": "matmul",
       "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
       "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor",
       "__abs__": "abs", "__neg__": "neg", "__pos__": "positive"}
_NAMES = {"__pow__": "pow", "__ipow__": "pow_", "__rtruediv__": "__rdiv__"}  # (torch's names)
# binary operators: a TypeError (every handler declined) becomes NotImplemented, as torch's
_BINARY = set(_AS) - {"__abs__", "__neg__", "__pos__"} | {
    "__and__", "__or__", "__xor__", "__eq__", "__floordiv__", "__rfloordiv__", "__rmod__",
    "__pow__", "__rpow__", "__rsub__", "__rtruediv__", "__lshift__", "__rlshift__",
    "__rshift__", "__rrshift__", "__rmatmul__", "__iand__", "__ior__", "__ixor__",
    "__ilshift__", "__irshift__", "__ipow__"}
_UNARY = {"__abs__", "__neg__", "__pos__", "__invert__", "__array__", "__bool__",
          "__float__", "__int__", "__index__", "__len__", "__repr__", "__format__",
          "__getitem__", "__setitem__", "__contains__", "__dlpack__", "__dlpack_device__"}
# torch's Tensor members written in Python (its error names them torch._tensor.<name>)
_PY_METHODS = {"__array__", "__contains__", "__dlpack__", "__dlpack_device__", "__format__",
               "__len__", "__repr__", "backward", "dim_order", "is_shared", "lu",
               "module_load", "norm", "register_hook", "register_post_accumulate_grad_hook",
               "resize", "share_memory_", "split", "storage", "storage_type", "unflatten",
               "unique", "unique_consecutive"}


def _operator(fn, name, prefix):
    """A Tensor method or operator: ``func`` is the method torch names (``a + b``:
    ``Tensor.add``); a binary operator whose handlers all decline returns NotImplemented."""
    Tensor = _tensor()
    target = _AS.get(name)
    binary = name in _BINARY
    where = ((True, f"{prefix}._tensor.{name}") if name in _PY_METHODS
             else (False, f"{prefix}.Tensor.{name}"))
    from .tensor import _operand

    def public(self, *args, **kwargs):
        t = type(self)
        if not _modes_on and (t in _QUIET or t in _TENSORS and      # (the quick test)
                              type(self.array) is not _MetaArray):
            for a in args:
                t = type(a)
                if t not in _QUIET and (t not in _TENSORS or type(a.array) is _MetaArray):
                    break
            else:
                if not kwargs:
                    return fn(self, *args)
        if state.level < 2:
            found = _relevant((self, *args), kwargs)
            if found or state.modes:
                if binary and not (_operand(args[0]) or takes_part(type(args[0]))):
                    return fn(self, *args)        # (a list, None...: NotImplemented as before)
                func = public if target is None else Tensor.__dict__[target]
                if not binary:
                    return dispatch(func, found, (self, *args), kwargs or None, where)
                try:
                    return dispatch(func, found, (self, *args), kwargs or None, where)
                except TypeError:
                    return NotImplemented
        return fn(self, *args, **kwargs)
    functools.update_wrapper(public, fn)
    public.__name__ = _NAMES.get(name, name)
    public.__qualname__ = f"Tensor.{name}"
    return public


def _property(prop, name, prefix):
    """A Tensor property: reading it hands ``Tensor.<name>.__get__`` over, writing it
    ``Tensor.<name>.__set__``."""
    fget, fset = prop.fget, prop.fset
    where = (False, f"{prefix}.Tensor.{name}.__get__")

    def get(self):
        t = type(self)
        if not _modes_on and (t in _QUIET or t in _TENSORS and      # (the quick test)
                              type(getattr(self, "array", None)) is not _MetaArray):
            return fget(self)
        if state.level < 2:
            found = None if state.level else overloaded_args((self,))
            if found or state.modes:
                return dispatch(new.__get__, found, (self,), None, where)
        return fget(self)

    def set_(self, value):
        t, v = type(self), type(value)
        if not _modes_on and (t in _QUIET or t in _TENSORS and type(
                getattr(self, "array", None)) is not _MetaArray) and (
                v in _QUIET or v in _TENSORS and type(value.array) is not _MetaArray):
            return fset(self, value)
        if state.level < 2:
            found = None if state.level else overloaded_args((self, value))
            if found or state.modes:
                return dispatch(new.__set__, found, (self, value), None,
                                (False, f"{prefix}.Tensor.{name}.__set__"))
        fset(self, value)
    new = property(get, set_ if fset is not None else None, prop.fdel, prop.__doc__)
    return new


def _iterate(fn):
    """``iter(t)`` of a subclass as torch's ``Tensor.__iter__`` (Python): ``t.dim()`` then
    ``t.unbind(0)``, both handed over (plain tensors iterate as before)."""
    def __iter__(self):
        t = type(self)
        if not _modes_on and (t in _QUIET or t in _TENSORS and
                              type(self.array) is not _MetaArray):
            return fn(self)
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))
    functools.update_wrapper(__iter__, fn)
    return __iter__


# top-level names torch does not hand to __torch_function__ (their own rules, no tensors)
_NOT_DISPATCHED = frozenset("""
tensor as_tensor asarray from_numpy frombuffer from_dlpack is_tensor is_storage typename
broadcast_shapes compile cond save load vmap gradcheck gradgradcheck set_printoptions
manual_seed seed initial_seed get_rng_state set_rng_state get_rng set_default_dtype
get_default_dtype set_default_device get_default_device set_default_tensor_type
use_deterministic_algorithms are_deterministic_algorithms_enabled
is_deterministic_algorithms_warn_only_enabled set_deterministic_debug_mode
get_deterministic_debug_mode set_float32_matmul_precision get_float32_matmul_precision
set_warn_always is_warn_always_enabled is_grad_enabled set_grad_enabled is_anomaly_enabled
is_anomaly_check_nan_enabled set_num_threads get_num_threads set_num_interop_threads
get_num_interop_threads init_num_threads set_flush_denormal promote_types can_cast
thread_safe_generator""".split())
# torch's top-level functions written in Python, and their module (for the error message)
_PY_FUNCTIONS = dict.fromkeys("""atleast_1d atleast_2d atleast_3d block_diag broadcast_tensors
cartesian_prod cdist chain_matmul einsum lu meshgrid norm split tensordot unique
unique_consecutive unravel_index""".split(), "functional")
_PY_FUNCTIONS.update(pca_lowrank="_lowrank", svd_lowrank="_lowrank")
# nn.functional's functions torch writes in C++: named torch.<name> or torch.nn.<name>
_F_BUILTINS = dict.fromkeys("""adaptive_avg_pool1d avg_pool1d bilinear celu_ channel_shuffle
conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity
hardshrink pairwise_distance pdist pixel_shuffle pixel_unshuffle prelu relu_ rrelu_ selu_
threshold_""".split(), "")
_F_BUILTINS.update(dict.fromkeys("""avg_pool2d avg_pool3d elu_ gelu hardtanh_ leaky_relu_
linear logsigmoid one_hot scaled_dot_product_attention softplus softshrink""".split(), "nn."))
_TENSOR_SKIP = {"as_subclass"}
WRAPPED = {}           # namespace key ("", "nn.functional.", "linalg.", "special.", "Tensor")
                       # -> {name: wrapper}: what get_overridable_functions lists


def _where(space, name, prefix):
    if space == "":
        module = _PY_FUNCTIONS.get(name)
        return (True, f"{prefix}.{module}.{name}") if module else (False, f"{prefix}.{name}")
    if space == "nn.functional.":
        if name in _F_BUILTINS:
            return False, f"{prefix}.{_F_BUILTINS[name]}{name}"
        return True, f"{prefix}.nn.functional.{name}"
    return False, f"{prefix}.{space}{name}"


_lock = threading.RLock()   # install/uninstall, one at a time (RLock: importing a namespace
                            # may define a subclass, whose install() then returns at once)
_for_meta_only = False      # installed for the meta device alone (meta.enable), no other reason
_UNDO = []                  # what install() replaced: (owner, name, original, wrapper)
_MADE = {}                  # (kind, id(original)[, name]) -> (original, wrapper): one wrapper
                            # per function for the process's life, so that one a user holds is
                            # the one a later install() puts back


def _once(key, original, make):
    hit = _MADE.get(key)
    if hit is None or hit[0] is not original:
        hit = _MADE[key] = original, make()
    return hit[1]


def install(for_meta=False):
    """Put the dispatching wrappers in place (once; see the module notes). ``for_meta``: asked
    by the meta device only (:func:`meta.enable`), which may take them away again with
    :func:`uninstall` once no meta tensor is left; any other caller (a subclass, a mode,
    ``get_overridable_functions``) makes them stay."""
    global _installed, _for_meta_only
    with _lock:
        if not for_meta:
            _for_meta_only = False
        if _installed:
            return
        _installed, _for_meta_only = True, for_meta
        _install()


def _install():
    import importlib
    from . import meta
    from .errors import WRAPPER_CODES    # (warn_level: a warning keeps naming the user's line)
    WRAPPER_CODES.update(code for maker in (_function, _operator, _property, _iterate)
                         for code in maker.__code__.co_consts if type(code) is types.CodeType)
    meta._prop_names = None              # (meta's names of the property wrappers: read anew)
    Tensor = _tensor()
    _QUIET.add(Tensor)
    prefix = "tinygrad_sgd"
    public = []                          # (module, space, name, function) in order
    for space in ("", "nn.functional.", "linalg.", "special."):
        module = importlib.import_module(prefix + ("." + space[:-1] if space else ""))
        WRAPPED.setdefault(space, {})
        public += [(module, space, name, value) for name, value in list(vars(module).items())
                   if not name.startswith("_") and type(value) is types.FunctionType and
                   value.__module__.startswith(prefix) and
                   not (space == "" and name in _NOT_DISPATCHED)]
    # one wrapper per function, however many names it has (special.psi is digamma, as
    # before): named as the function where one of its names is its own, else by the first
    named = {}
    for module, space, name, value in public:
        if id(value) not in named or name == value.__name__ != named[id(value)][1]:
            named[id(value)] = space, name
    by_id = {}                           # id -> (function, its wrapper)
    for module, space, name, value in public:
        if id(value) not in by_id:
            by_id[id(value)] = value, _once(
                ("function", id(value), named[id(value)]), value,
                lambda: _function(value, named[id(value)][1], _where(*named[id(value)], prefix)))
        WRAPPED.setdefault(space, {})[name] = by_id[id(value)][1]
        _UNDO.append((module, name, value, by_id[id(value)][1]))
        setattr(module, name, by_id[id(value)][1])
    table = WRAPPED.setdefault("Tensor", {})
    methods = {}          # id -> the one wrapper of a method with several names (clip, clamp)
    originals = {}
    for name, value in list(vars(Tensor).items()):
        if isinstance(value, property) and not name.startswith("_"):
            originals[name] = value
            table[name] = _once(("property", id(value), name), value,
                                lambda: _property(value, name, prefix))
        elif type(value) is types.FunctionType and name not in _TENSOR_SKIP and (
                name in _BINARY or name in _UNARY):        # (an operator's name says what
            originals[name] = value                        # it hands over: one each)
            table[name] = _once(("operator", id(value), name), value,
                                lambda: _operator(value, name, prefix))
        elif type(value) is types.FunctionType and name not in _TENSOR_SKIP and \
                not name.startswith("_"):
            originals[name] = value
            if id(value) not in methods:
                own = value.__name__
                own = own if not own.startswith("_") and vars(Tensor).get(own) is value else name
                methods[id(value)] = _once(("method", id(value), own), value,
                                           lambda: _operator(value, own, prefix))
            table[name] = methods[id(value)]
    originals["__iter__"] = Tensor.__dict__["__iter__"]
    table_iter = _once(("iterate", id(originals["__iter__"])), originals["__iter__"],
                       lambda: _iterate(originals["__iter__"]))
    for name, wrapper in [*table.items(), ("__iter__", table_iter)]:
        _UNDO.append((Tensor, name, originals[name], wrapper))
        setattr(Tensor, name, wrapper)
    _patch_other_modules(by_id)


def uninstall(only_if_meta=False):
    """Undo :func:`install`: the library as a fresh process has it — Tensor's methods,
    operators and properties and the namespaces' functions the plain ones again, every
    module's names (``from tinygrad_sgd import add``) and every function's default arguments
    that name a wrapper back to what it wraps, the meta device's part off (:func:`meta.
    disable`; a meta tensor still alive then refuses its ops, a new one switches it all on
    again). ``only_if_meta``: only when the meta device alone installed them (no subclass
    defined, no mode entered, ...). Returns whether it undid anything.

    Safe in a running program: a wrapper a user still holds (taken while installed, in a
    list or a closure, where no module scan reaches it) keeps working and giving the same
    results. It runs the same quick test as before, and with nothing taking part every
    argument's type is quiet (the plain Tensor stays in ``_QUIET``, the meta device's
    ``_TENSORS`` go back there), so it calls the function it wraps; installed again, the same
    wrapper objects come back (``_MADE``). Their code stays in ``errors.WRAPPER_CODES`` so
    that a warning raised under a held wrapper still names the user's line."""
    global _installed, _for_meta_only
    with _lock:
        if not _installed or (only_if_meta and not _for_meta_only):
            return False
        from . import meta
        if meta._enabled:
            meta.disable()
        for owner, name, original, wrapper in reversed(_UNDO):
            if vars(owner).get(name) is wrapper:        # (unless set since: left alone)
                setattr(owner, name, original)
        unwrap = {id(w): (w, f) for owner, name, f, w in _UNDO
                  if type(w) is types.FunctionType}
        _patch_other_modules(unwrap, names_of_ours=True)
        _UNDO.clear()
        WRAPPED.clear()
        meta._prop_names = None
        _installed = _for_meta_only = False
        return True


def _patch_other_modules(by_id, names_of_ours=False):
    """References taken before :func:`install` now name the wrappers: a user's module's
    names (``from tinygrad_sgd import add``), the torch shim's looked-up names, and default
    arguments (``activation=F.relu``) of the library's functions and methods and of other
    modules' functions (``by_id``: id -> (function, wrapper)). :func:`uninstall` swaps back
    (id -> (wrapper, function)), the library's own modules' names too (``names_of_ours``: one
    imported while installed may have taken a wrapper)."""
    from ._torch_shim import ShimModule

    def swap(value):
        hit = by_id.get(id(value))
        return hit[1] if hit is not None and hit[0] is value else value

    def fix_defaults(fn):          # (only where a default is one of the library's functions)
        if fn.__defaults__ and any(swap(v) is not v for v in fn.__defaults__):
            fn.__defaults__ = tuple(swap(v) for v in fn.__defaults__)
        if fn.__kwdefaults__ and any(swap(v) is not v for v in fn.__kwdefaults__.values()):
            fn.__kwdefaults__ = {k: swap(v) for k, v in fn.__kwdefaults__.items()}
    for name, module in list(sys.modules.items()):
        space = getattr(module, "__dict__", None)
        if not isinstance(space, dict):
            continue
        ours = name.startswith("tinygrad_sgd") and not isinstance(module, ShimModule)
        for key, value in list(space.items()):
            if type(value) is types.FunctionType:
                if (not ours or names_of_ours) and swap(value) is not value:
                    space[key] = swap(value)
                fix_defaults(value)
            elif ours and isinstance(value, type) and value.__module__ == name:
                for member in list(vars(value).values()):
                    if type(member) is types.FunctionType:
                        fix_defaults(member)
                        inner = getattr(member, "__wrapped__", None)   # (a module's __init__
                        if type(inner) is types.FunctionType:          # wrapped for meta:
                            fix_defaults(inner)                        # nn.Module's notes)
