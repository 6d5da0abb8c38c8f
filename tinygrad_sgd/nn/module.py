"""``Module`` and ``Parameter``: how a network keeps track of its weights.

A Module is an ordinary Python object whose attributes are watched: assigning a
:class:`Parameter` registers it in ``self._parameters``, assigning a Module registers it in
``self._modules`` (a child). Everything else follows by walking that tree:

* ``named_parameters()`` yields ``("conv1.weight", p)``, ``("fc2.bias", p)``, ... — the
  same dotted names torch uses, so ``state_dict()`` keys match a torch twin's and weights can
  move between the two libraries;
* buffers (``register_buffer``: batch norm's running statistics) are state that is saved and
  loaded with the parameters but not trained;
* ``train()``/``eval()`` set ``training`` on every module (dropout reads it);
* ``module(x)`` runs ``forward(x)`` inside :class:`~tinygrad_sgd.autograd.module_scope`, which
  tags every graph node created with the stack of modules running, so a graph drawing can
  cluster nodes by layer.
"""
from __future__ import annotations

# house: long file — torch's nn.Module is one class with every method a model calls; keeping
# ours one class too (its loading and its hooks' machinery live in .state_dict and .hooks)
# lets a reader find any of them where torch has it.

import copy
from collections import OrderedDict, namedtuple

import numpy as np

from ..autograd import module_scope, _mode
from . import hooks
from ..dtypes import cast, default_float
from ..tensor import Tensor
from ..torch_function import disabled_impl as _disabled_torch_function_impl
from .. import shared_memory as _shared_memory
from .. import meta as _meta

__all__ = ["Parameter", "Buffer", "Module", "IncompatibleKeys"]


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight: ``requires_grad=True`` by default, and
    assigning one as a Module attribute registers it.

    ``Parameter(data)`` shares ``data``'s array when it is a Tensor or a float ndarray (no
    copy), like ``torch.nn.Parameter``.
    """
    __slots__ = ()
    # as torch's: ops on parameters give plain Tensors (no __torch_function__ dispatch)
    __torch_function__ = _disabled_torch_function_impl

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), dtype=default_float())
        if data._inference if isinstance(data, Tensor) else _mode.inference:
            self._inference = True          # (an alias of data: an inference tensor if it is)
        self._fill(data.array if isinstance(data, Tensor) else data, (), requires_grad, None)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __format__ = object.__format__      # (as torch: only a plain 0-d Tensor formats as a number)

    def __deepcopy__(self, memo):
        """As torch's: a new parameter over a copy of the values (its layout kept), with the
        same ``requires_grad`` — not its ``.grad`` (a copied model starts with none)."""
        if id(self) in memo:
            return memo[id(self)]
        if type(self) is not Parameter:          # (a lazy module's placeholder: copied whole)
            return copy._reconstruct(self, memo, *self.__reduce_ex__(4))
        from ..meta import MetaArray, placeholder
        a = self.array           # (a meta one: a new placeholder, contiguous as torch's copy)
        a = placeholder(a.shape, a.dtype) if type(a) is MetaArray else a.copy(order="K")
        memo[id(self)] = Parameter(a, self.requires_grad)
        return memo[id(self)]


class _BufferMeta(type):
    """``isinstance(t, nn.Buffer)``: any Tensor marked as one (torch's ``_BufferMeta``)."""

    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """``nn.Buffer(t, persistent=True)``: a Tensor marked to become a buffer when assigned as a
    Module attribute (``self.stats = nn.Buffer(t)`` is ``register_buffer("stats", t,
    persistent)``), as torch 2.5+. As torch's, it is a plain Tensor (``t.detach()``, sharing
    ``t``'s memory, its ``requires_grad`` kept) with ``persistent`` and ``_is_buffer`` set;
    ``isinstance(x, nn.Buffer)`` is true of such a tensor."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = Tensor._of(np.empty((0,), dtype=default_float()))
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns; printed as torch prints it (its class name too)."""
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join((" " * spaces + line) if line.strip() else ""
                                       for line in lines[1:])


def _remove(name, *tables):
    """``name`` out of each dict or set that has it (``__setattr__``'s re-registration)."""
    for table in tables:
        if name in table:
            if isinstance(table, dict):
                del table[name]
            else:
                table.discard(name)


def _typename(value):
    from ..functions.interop import typename
    return typename(value)


def _as_numpy(value):
    """A state-dict value as an ndarray: our Tensor, a NumPy array, a torch tensor (through
    ``.detach().cpu().numpy()``, without importing torch), or anything ``np.asarray`` takes."""
    if isinstance(value, Tensor):
        return value.array
    if not isinstance(value, np.ndarray) and all(
            callable(getattr(value, m, None)) for m in ("detach", "cpu", "numpy")):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _to_meta(module, dtype):
    """``module.to('meta')``: every parameter and buffer (their gradients too) turns meta
    in place, keeping its shape and dtype (the values are dropped, as torch's)."""
    for m in module.modules():
        for t in list(m._parameters.values()) + list(m._buffers.values()):
            if t is not None and not _meta.is_meta(t):
                t.array = _meta.placeholder(t.shape, t.array.dtype)
                if t._grad is not None and not _meta.is_meta(t._grad):
                    t._grad = _meta.to_meta(t._grad)
            _meta.enable()


def _refuse_meta(module, hint):
    """torch's error for copying a meta module's tensors to the CPU."""
    for t in module.parameters():
        if _meta.is_meta(t):
            raise NotImplementedError(_meta.NO_DATA + hint)
    for t in module.buffers():
        if _meta.is_meta(t):
            raise NotImplementedError(_meta.NO_DATA + hint)


class Module:
    """Base class of every layer and model. Subclasses set parameters and submodules as
    attributes in ``__init__`` (after ``super().__init__()``) and define ``forward``."""
    _version = 1      # of the state dict's layout (torch's: 2 for batch/instance norm)

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        hooks.init_tables(self)

    def __init_subclass__(cls, **kwargs):
        """The library's modules that take a ``device`` are built on meta for
        ``device='meta'`` (or under a meta default device): their ``__init__`` runs with the
        device left out, inside :class:`~tinygrad_sgd.meta.building`, so that each parameter
        and buffer turns meta as it is registered (before any initialisation writes it)."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or not cls.__module__.startswith("tinygrad_sgd."):
            return
        import functools
        import inspect
        try:
            names = list(inspect.signature(init).parameters)
        except (TypeError, ValueError):
            return
        if "device" not in names:
            return
        position = names.index("device") - 1          # (among the arguments after self)

        @functools.wraps(init)
        def __init__(self, *args, **kwargs):
            given = "device" in kwargs
            device = kwargs.get("device") if given else \
                (args[position] if len(args) > position else None)
            if not _meta.wants_meta_quietly(device):
                return init(self, *args, **kwargs)
            if given:
                kwargs["device"] = None
            elif len(args) > position:
                args = args[:position] + (None,) + args[position + 1:]
            with _meta.building():
                init(self, *args, **kwargs)
        cls.__init__ = __init__

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        """As torch's: a Parameter is registered (replacing a same-named attribute, buffer or
        child), a Module becomes a child (replacing a parameter or buffer), a Buffer or a
        Tensor assigned to a buffer's name becomes that buffer; anything else is an ordinary
        attribute (allowed even before ``Module.__init__``, as torch)."""
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(f"cannot assign parameters before Module.__init__() call "
                                     f"(call super().__init__() first in {type(self).__name__})")
            _remove(name, d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                hint = "" if not isinstance(value, Tensor) else (
                    f"; to change its values in place use `with no_grad(): "
                    f"module.{name}.copy_(value)`")
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                f"(torch.nn.Parameter or None expected){hint}")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError(f"cannot assign module before Module.__init__() call "
                                     f"(call super().__init__() first in {type(self).__name__})")
            _remove(name, d, params, self._buffers, self._non_persistent_buffers_set)
            self._modules[name] = hooks.registered("module", self, name, value)
        elif d.get("_modules") is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                f"(torch.nn.Module or None expected)")
            self._modules[name] = hooks.registered("module", self, name, value)
        elif isinstance(value, Buffer) or name in d.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                f"(torch.nn.Buffer, torch.Tensor or None expected)")
            persistent = value.persistent if isinstance(value, Buffer) else \
                name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # only reached when normal lookup fails: parameters and children live in the dicts
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            return d["_parameters"][name]
        if "_modules" in d and name in d["_modules"]:
            return d["_modules"][name]
        if "_buffers" in d and name in d["_buffers"]:
            return d["_buffers"][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._modules:
            del self._modules[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))

    def register_parameter(self, name, param):
        """Add a parameter (or None, a declared-but-absent one, like ``bias=False``). As
        torch, the name must be new (not a plain attribute, buffer, submodule or class
        attribute) or already a parameter's, and the parameter a leaf."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if name not in self._parameters and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            f"(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             f"parameters must be created explicitly. To express '{name}' as a "
                             f"function of another Tensor, compute the value in the forward() "
                             f"method.")
        if _meta.BUILDING:           # (a module built on meta: the parameter turns meta)
            _meta.meta_construction(param)
        self._parameters[name] = param if param is None else \
            hooks.registered("parameter", self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: a Tensor that belongs to the module's state (saved by
        ``state_dict()`` unless ``persistent=False``, converted by ``to(dtype)``) but is not a
        parameter — batch norm's running statistics. ``None`` declares an absent one."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer "
                            f"'{name}' (torch Tensor or None required)")
        if _meta.BUILDING:           # (a module built on meta: the buffer turns meta)
            _meta.meta_construction(tensor)
        self._buffers[name] = hooks.registered("buffer", self, name, tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add ``module`` (or None) as the child ``name``: a new name (not an attribute the
        module has already, unless a child's), without dots, not empty — torch's KeyErrors."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = hooks.registered("module", self, name, module)

    register_module = add_module

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at the dotted path ``target``; its parent must exist, and with
        ``strict`` so must the module it replaces (torch's ValueErrors and AttributeErrors
        otherwise)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target):
        """The Parameter at the dotted path ``target`` (``"0.weight"``)."""
        module, name = self._get_owner(target)
        if not isinstance(getattr(module, name), Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return getattr(module, name)

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` (``"bn.running_mean"``)."""
        module, name = self._get_owner(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    def _get_owner(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name

    def get_submodule(self, target):
        """The descendant at the dotted path ``target`` (``"transformer.h.0"``)."""
        module = self
        for item in target.split(".") if target else ():
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    # ------------------------------------------------------------------ running
    def compile(self, *args, **kwargs):
        """torch's in-place ``Module.compile(...)`` (``torch.compile``'s arguments): checks
        them as torch does and returns None; the module keeps running eagerly — this library
        has no compiler (see :mod:`tinygrad_sgd.compiler`)."""
        from ..compiler import compile as _compile
        _compile(lambda: None, *args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        with module_scope(self):
            if hooks.any_hooks(self.__dict__):
                return hooks.call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` before each forward (see :mod:`.hooks`)."""
        return hooks.register(self, "pre", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """``hook(module, args, output)`` after each forward (see :mod:`.hooks`)."""
        return hooks.register(self, "post", hook, prepend, with_kwargs, always_call)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` once the gradients with respect to the
        module's inputs are computed; a result replaces grad_input (see
        :mod:`.backward_hooks`)."""
        return hooks.register_backward(self, "post", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` once the gradients with respect to the module's
        outputs are known; a result replaces grad_output (see :mod:`.backward_hooks`)."""
        return hooks.register_backward(self, "pre", hook, prepend)

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(name, module)`` for this module (name ``prefix``) and every descendant,
        depth first in registration order; a module reachable twice is yielded once unless
        ``remove_duplicate=False``."""
        stack = [(prefix, self)]
        memo = set() if memo is None else memo
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [((name + "." if name else "") + k, m)
                        for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate=True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``("fc1.weight", Parameter)`` pairs; a parameter shared by two modules (a
        tied weight) is yielded once, under its first name, unless ``remove_duplicate=False``."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (mod_name + "." if mod_name else "") + name, p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``("bn1.running_mean", Tensor)`` pairs (persistent or not)."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, b in module._buffers.items():
                if b is None or (remove_duplicate and id(b) in seen):
                    continue
                seen.add(id(b))
                yield (mod_name + "." if mod_name else "") + name, b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        """Set ``training`` on this module, then call each child's own ``train(mode)`` (as
        torch: a child that overrides ``train`` — say, to keep a frozen BatchNorm in eval —
        is asked, not overruled); returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter (``None``, or zeros in place)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            elif p.grad.grad_fn is not None:   # the same tensor, out of its graph (as torch)
                p.grad.detach_().zero_()
            else:
                p.grad.requires_grad_(False).zero_()

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant and then on self (as torch); returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False, memory_format=None):
        """As torch: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` (its
        dtype). Every parameter's values are converted to a floating ``dtype`` in place (the
        Parameter objects stay, so an optimizer holding them keeps working; but see
        :mod:`.conversion` for torch.__future__'s switches), every floating-point buffer is
        replaced by its converted tensor; integer ones (``num_batches_tracked``) keep theirs.
        ``memory_format=`` lays out the 4-D and 5-D ones as ``Tensor.to`` (``channels_last``
        refuses a 5-D one, as torch). The device must be the CPU. Returns self."""
        from ..device import check_device
        if memory_format is not None:
            from ..autograd import no_grad
            with no_grad():
                for t in list(self.parameters()) + list(self.buffers()):
                    if t.ndim in (4, 5):
                        t.array = t.to(memory_format=memory_format).array
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) or type(a).__name__ == "device":
                device = a
            elif a is not None:
                dtype = a
        if device is not None:
            from ..device import META
            if check_device(device, meta=True) is META:     # (to meta: the values dropped)
                _to_meta(self, dtype)
            else:
                _refuse_meta(self, " Please use torch.nn.Module.to_empty() instead of "
                                   "torch.nn.Module.to() when moving module from meta to a "
                                   "different device.")
        if dtype is None:
            _meta.disable_if_unused()        # (a safe point: see meta.disable_if_unused)
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")
        from .conversion import apply_conversion          # (as torch: integer tensors keep
        return apply_conversion(self, lambda t: t if t.dtype.kind != "f" or t.array.dtype ==
                                dtype else _meta.to_meta(t, dtype, False) if _meta.is_meta(t)
                                else Tensor._of(cast(t.array, dtype)))   # their dtype)

    def type(self, dst_type):
        """Every parameter and buffer (integer ones too, unlike ``to``) cast to ``dst_type`` —
        a dtype, a name like ``"torch.DoubleTensor"`` or a typed class — as ``to`` converts,
        as torch's ``Module.type``; a parameter that requires grad must stay floating."""
        from ..autograd import no_grad
        tensors = list(self.parameters()) + list(self.buffers())
        with no_grad():
            cast = [t.detach().type(dst_type).array for t in tensors]
        for t, array in zip(tensors, cast):
            if t.requires_grad and array.dtype.kind != "f":
                raise RuntimeError("data set to a tensor that requires gradients must be "
                                   "floating point or complex dtype")
        from .conversion import apply_conversion

        def convert(t):
            typed = t.detach().type(dst_type)
            return t if typed.array.dtype == t.array.dtype else Tensor._of(typed.array)
        return apply_conversion(self, convert)

    def bfloat16(self):
        """torch's ``bfloat16()``: NumPy (and so this library) has no bfloat16 dtype."""
        raise NotImplementedError("bfloat16 is not provided by tinygrad_sgd: NumPy has no "
                                  "bfloat16 dtype (use float(), half() or double())")

    def share_memory(self):
        """As torch: every parameter, its gradient and every buffer moved into shared memory
        (``Tensor.share_memory_``: processes forked after, or sent the module through
        :mod:`tinygrad_sgd.multiprocessing`, update the same numbers); returns self."""
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is not None:
                    t.share_memory_()
                    if t.grad is not None:
                        t.grad.share_memory_()
        return self

    def to_empty(self, *, device, recurse=True):
        """As torch: every parameter and buffer (of this module, and its descendants with
        ``recurse``) gets new uninitialised memory of the same shape and dtype on ``device``
        (the CPU); the Parameter objects stay. Returns self."""
        from ..device import META, check_device
        meta = check_device(device, meta=True) is META
        modules = self.modules() if recurse else [self]
        for m in modules:
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is not None:
                    t.array = _meta.placeholder(t.shape, t.array.dtype) if meta else \
                        np.empty(t.shape, t.array.dtype)      # (a meta tensor's too)
        _meta.disable_if_unused()      # (a safe point: the meta tensors gone, the library is
        return self                    # put back as a fresh process has it)

    def float(self):
        return self.to(np.float32)

    def half(self):
        return self.to(np.float16)

    def cpu(self):
        """Every tensor here is on the CPU already: self (a meta module's are refused, as
        torch's: they have no values to copy)."""
        _refuse_meta(self, "")
        return self

    def cuda(self, device=None):
        from ..device import not_compiled_with_cuda
        not_compiled_with_cuda()

    def double(self):
        return self.to(np.float64)

    # ------------------------------------------------------------------ state dict
    def _state_items(self, prefix=""):
        """``(key, tensor)`` for torch's state_dict: per module its parameters, then its
        persistent buffers, then its children's, depth first; a tensor shared by two modules
        (a tied weight) appears under each name, as in torch."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            for key, t in module._own_state_items():
                yield name + key, t
            stack.extend(reversed([(name + k + ".", m) for k, m in module._modules.items()
                                   if m is not None]))

    def _own_state_items(self):
        """This module's own part of its state dict: its parameters, then its persistent
        buffers."""
        for key, t in self._parameters.items():
            if t is not None:
                yield key, t
        for key, t in self._buffers.items():
            if t is not None and key not in self._non_persistent_buffers_set:
                yield key, t

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered ``{name: Tensor}`` of every parameter and persistent buffer, keyed like
        torch (``conv1.weight``, ``bn1.running_mean``). The Tensors share memory with the
        module's (as torch's do); ``keep_vars=True`` returns the Parameters themselves.
        State-dict hooks run as torch's (see :mod:`.state_dict`). Positional arguments
        (``destination, prefix, keep_vars``) still work, with torch's FutureWarning."""
        from .state_dict import state_dict
        if args:
            import warnings
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        return state_dict(self, destination, prefix, keep_vars)

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` before this module's part of a state dict."""
        return hooks.register_table(self, "_state_dict_pre_hooks", hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` after it (edits in place)."""
        if getattr(hook, "_from_private_api", False):
            raise RuntimeError(f"Cannot register the same function as the state dict post hook "
                               f"that was previously registered via {hook}")
        hook._from_public_api = True
        return hooks.register_table(self, "_state_dict_hooks", hook)

    def _register_state_dict_hook(self, hook):
        """torch's older (private) post-hook: as the public one, but a dict it returns
        replaces the state dict when this is the module ``state_dict()`` was called on."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via "
                               "register_state_dict_post_hook")
        return hooks.register_table(self, "_state_dict_hooks", hook)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before loading (may edit the dict and the lists)."""
        return hooks.register_table(self, "_load_state_dict_pre_hooks", hook)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """torch's private form: ``hook(state_dict, prefix, ...)``, the module first only
        ``with_module``."""
        return hooks.register_table(self, "_load_state_dict_pre_hooks",
                                    hook if with_module else hooks.WithoutModule(hook))

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` after loading (may edit the key lists)."""
        return hooks.register_table(self, "_load_state_dict_post_hooks", hook)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """torch's extension point: this module's own entries (its parameters, persistent
        buffers and, if it keeps any, ``_extra_state``) into ``destination``; a subclass may
        override it (and call ``super()``)."""
        for key, t in self._own_state_items():
            destination[prefix + key] = t if keep_vars else t.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """torch's extension point: load this module's own entries (see
        :func:`.state_dict.load_own`); a subclass may override it — to rename old keys
        before calling ``super()``, say."""
        from .state_dict import load_own
        load_own(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs)

    def get_extra_state(self):
        """torch's extension point: a module that overrides this (and
        :meth:`set_extra_state`) gets any picklable value saved as ``prefix + "_extra_state"``
        in its state dict."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called. Please file an issue at "
                           "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def set_extra_state(self, state):
        """torch's extension point: receives what :meth:`get_extra_state` returned."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called. Please file an issue at "
                           "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into the existing parameters and buffers (in place,
        under no_grad, keeping each one's dtype) — or, with ``assign=True``, make the state
        dict's tensors the module's (their dtype and memory; a parameter keeps the module's
        ``requires_grad``), as torch. Values may be our Tensors, NumPy arrays, torch tensors
        (``torch_model.state_dict()`` works directly) or anything ``numpy.asarray`` accepts.
        Every problem — a missing key, an unexpected key (these two only when ``strict``), a
        shape mismatch (always) — is collected first and reported in one ``RuntimeError``;
        nothing is loaded then. Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        (The checks and the copy: :mod:`.state_dict`.)"""
        from .state_dict import load_state_dict
        result = load_state_dict(self, state_dict, strict, assign)
        _meta.disable_if_unused()        # (a safe point: see meta.disable_if_unused)
        return result

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's one-line repr (override)."""
        return ""

    def _get_name(self) -> str:
        """The name its repr starts with: the class's (torch's hook; override to rename)."""
        return self.__class__.__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = ["(" + k + "): " + _addindent(repr(m), 2)
                       for k, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


_shared_memory.init_reductions(Parameter)   # a Parameter sent to another process shares memory
