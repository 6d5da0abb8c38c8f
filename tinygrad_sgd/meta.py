"""The meta device: tensors that have a shape, a dtype and strides but no values.

torch programs build big models without memory and fill them later::

    with torch.device("meta"):
        model = Net()                     # parameters on meta: no memory, no initialisation
    model.to_empty(device="cpu")          # uninitialised CPU memory of the same shapes
    model.load_state_dict(sd)

**How a meta tensor is made.** It is an ordinary :class:`~tinygrad_sgd.tensor.Tensor`
(``type(t) is Tensor``, a meta parameter is an ``nn.Parameter``) whose ``array`` is a
:class:`MetaArray`: a read-only, zero-stride NumPy view of a single zero
(``np.broadcast_to(np.zeros((), dtype), shape)``), so it has the shape and dtype and takes no
memory. The strides torch would give the tensor ride on the placeholder (``torch_strides``,
and ``torch_offset``, its ``storage_offset()``; None where this library cannot tell them,
and then ``stride()`` refuses rather than guess). Where the placeholders' zero strides
cannot tell a result's (a slice, ``select``, ``diagonal``, an op on a transposed input),
the op runs once more on *strided probes* — views, with the meta tensors' strides, of zeroed
memory of the span they need (:func:`_strided_probe`) — and the result's strides and offset
are read there as a CPU tensor's.

**How operations on meta tensors run.** The first meta tensor (:func:`enable`) switches on
the library's ``__torch_function__`` dispatch (:mod:`tinygrad_sgd.torch_function`), whose
quick test then also looks at a tensor argument's array, and puts a check in front of
``Function.apply`` (for the library's own code that calls a primitive directly, as some
modules' forward do). A program that never makes a meta tensor runs none of this. While meta
tensors live, every op pays the dispatch's wrappers (about 1.2 µs on a small op, some 4% on
the CNN's training step); once none is left (:data:`_LIVE` counts the placeholders), the next
safe point — ``to_empty``, ``load_state_dict``, ``Module.to``, an optimizer made — puts the
library back as a fresh process has it (:func:`disable_if_unused`), so that build on meta,
``to_empty``, train runs at full speed.

A public function, Tensor method or primitive that meets a meta tensor comes to
:func:`handle` (or :func:`_compute`), which

* answers questions about the metadata (``shape``, ``dtype``, ``device``, ``stride()``,
  ``numel()``, ``requires_grad_()``, ``repr``) itself;
* refuses, in torch's words, every road from a meta tensor to values: ``item()``, ``numpy()``,
  ``tolist()``, ``to('cpu')``/``cpu()``, ``cpu_t.copy_(meta_t)``, mixing meta and CPU tensors
  in one op, ops whose result's shape depends on the values (``nonzero``, ``unique``, boolean
  masks), and any function whose result would be a number rather than a tensor;
* makes in-place ops (``add_``, ``uniform_``, ``copy_`` of anything into a meta tensor,
  ``t[i] = v``) check their operands' shapes and change nothing: there is nothing to change,
  and no random number is drawn (as torch's);
* runs every other op on plain views of the placeholders (a computation on zeros that only
  serves to find the result's shape and dtype, with NumPy's warnings off) and gives each Tensor
  result back as a new meta tensor of that shape and dtype (the generator's state put back:
  ``dropout`` on meta draws nothing; an op that writes into an input — batch norm's running
  statistics — runs again on zeros of its own). Values cannot leak: they are dropped at this
  one gate, and a :class:`MetaArray` met anywhere else refuses NumPy's functions and ufuncs
  (``Cannot copy out of meta tensor; no data!``). ``torch.save`` writes a meta tensor as
  torch does (its dtype, size and stride, no storage), pickling keeps its shape, dtype and
  strides.

**Autograd through meta tensors.** A result that requires grad gets a ``grad_fn``, as
torch's: a :class:`~tinygrad_sgd.ops.meta_grad.MetaBackward` node, linked to the meta inputs
the op's own graph (recorded on the placeholders' plain views) reaches — so an input the
result does not depend on gets no gradient, as in torch. An in-place op (``add_``,
``t[i] = v``, ``relu(x, inplace=True)``) gives the tensor a node of its own, as torch
rebases its history. Its backward runs no formula: it hands each input a meta gradient of
that input's shape and dtype (a broadcast input gets its own shape). ``backward()``,
``autograd.grad``, hooks and ``retain_grad`` then work as on CPU; a leaf's ``.grad`` is a meta
tensor of its shape, dtype and strides (:func:`accumulate_grad`; a second backward leaves it
as it is). A meta gradient never reaches a CPU tensor: as torch, backward refuses with
``Cannot copy out of meta tensor; no data!``; a CPU ``gradient=`` for a meta output is refused
too (:func:`check_seed`). Not followed: ``create_graph=True`` (a meta gradient is a leaf,
where torch's is differentiable again), and the strides of the gradients a hook sees (each
contiguous; torch's are its backward formulas', an expanded one's 0 included) — a leaf's
``.grad`` has torch's. An optimizer's ``step()`` over meta parameters changes nothing and
makes their state as torch's (:meth:`Optimizer._meta_group <tinygrad_sgd.optim.optimizer.
Optimizer._meta_group>`).

Factories (``empty``, ``zeros``, ``ones``, ``full``, ``rand``, ``randn``, ``randint``, the
``*_like`` and ``new_*`` ones, ``tensor``, ``arange``, ...) make meta tensors for
``device='meta'`` or under a meta default device (``with torch.device('meta')``,
``set_default_device('meta')``) through :func:`make`; modules built on meta
(``nn.Linear(..., device='meta')`` or under a meta default device) get meta parameters and
buffers as they are registered (:func:`building`), so no initialisation touches memory.
"""
# house: long file — the meta device's one gate: its placeholder, its factories and the
# handler every op on a meta tensor goes through, read together.
import functools
import threading
import weakref

import numpy as np

__all__ = ["MetaArray", "NO_DATA", "is_meta", "make", "to_meta", "handle", "building",
           "meta_construction", "disable_if_unused"]

NO_DATA = "Cannot copy out of meta tensor; no data!"


class MetaArray(np.ndarray):
    """The placeholder array of a meta tensor: a zero-stride, read-only view of one zero, of
    the tensor's shape and dtype. NumPy's functions and ufuncs refuse it, so that no value is
    ever read from it outside :func:`handle` (which computes on plain views of it)."""
    torch_strides = None        # torch's strides of the tensor (in elements), None: unknown
    torch_offset = 0            # torch's storage_offset() of the tensor (a view's)

    def __array_finalize__(self, obj):
        self.torch_strides = None
        self.torch_offset = 0
        _LIVE[id(self)] = weakref.ref(self, functools.partial(_LIVE.pop, id(self)))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise NotImplementedError(NO_DATA)

    def __array_function__(self, func, types, args, kwargs):
        raise NotImplementedError(NO_DATA)

    def _refuse(self, *args, **kwargs):
        raise NotImplementedError(NO_DATA)

    item = tolist = tobytes = __float__ = __int__ = __bool__ = __index__ = _refuse

    def __repr__(self):
        return f"MetaArray(shape={self.shape}, dtype={self.dtype})"

    __str__ = __repr__


# every MetaArray alive (its views too): id -> a weak reference whose callback takes the entry
# out as the array goes (an ndarray is not hashable: no WeakSet). Empty: no meta tensor is left.
_LIVE = {}


def placeholder(shape, dtype, strides="contiguous", offset=0):
    """A :class:`MetaArray` of ``shape`` and ``dtype`` (no memory); ``strides``: torch's
    strides, ``"contiguous"`` for row-major ones, None for unknown; ``offset``: torch's
    storage offset."""
    from .creation import contiguous_strides
    shape = tuple(int(n) for n in shape)
    a = np.broadcast_to(np.zeros((), np.dtype(dtype)), shape).view(MetaArray)
    a.torch_strides = contiguous_strides(shape) if strides == "contiguous" else \
        (None if strides is None else tuple(strides))
    a.torch_offset = int(offset)
    enable()                     # (after the placeholder exists: see disable_if_unused)
    return a


def is_meta(t) -> bool:
    """Whether ``t`` is a meta tensor (its array a :class:`MetaArray`)."""
    return type(getattr(t, "array", None)) is MetaArray


def make(shape, dtype, requires_grad=False, strides="contiguous", offset=0):
    """A new meta tensor (a leaf) of ``shape`` and ``dtype`` (torch's checks of
    ``requires_grad`` for a non-float dtype included)."""
    from .tensor import Tensor
    t = Tensor._of(placeholder(shape, dtype, strides, offset))
    if requires_grad:
        from .errors import refuse_grad_unless_float
        refuse_grad_unless_float(t, "Only Tensors of floating point and complex dtype")
        t._requires_grad = True
    return t


def to_meta(t, dtype=None, requires_grad=None):
    """A meta tensor of ``t``'s shape (``dtype``: another dtype) with torch's strides of a
    copy (``empty_like``)."""
    from .creation import like_strides
    strides = t.array.torch_strides if is_meta(t) else like_strides(t)
    return make(t.shape, t.array.dtype if dtype is None else dtype,
                t.requires_grad if requires_grad is None else requires_grad, strides)


def like_strides(input, memory_format=None, op="empty_like"):
    """torch's strides of ``empty_like(input, memory_format=...)`` (:func:`creation.
    like_strides`), for a meta ``input`` too (its own strides where it keeps them)."""
    from .creation import like_strides as plain
    if not is_meta(input):
        return plain(input, memory_format, op)
    strides = input.array.torch_strides
    if (memory_format is None or memory_format.name == "preserve_format") and strides is None:
        return None
    from .creation import _dense
    if memory_format is None or memory_format.name == "preserve_format":
        return strides if _dense(tuple(input.shape), strides) else None
    return plain(_ContiguousShape(input.shape), memory_format, op)


class _ContiguousShape:
    """A shape standing for a contiguous tensor (what ``like_strides`` reads of it)."""
    def __init__(self, shape):
        self.shape = tuple(shape)


_enabled = False
_lock = threading.RLock()       # enable / disable_if_unused, one at a time


def enable():
    """Switch the dispatch on for meta tensors (at the first one made, and again at the first
    one after :func:`disable_if_unused`): from then on the public functions' quick test looks
    at a tensor's array, :func:`torch_function.overloaded_args` looks for meta tensors, and
    ``Function.apply`` is gated."""
    global _enabled
    if _enabled:
        return
    with _lock:
        if _enabled:
            return
        _enabled = True
        from . import torch_function as tf
        from .tensor import Tensor
        tf.install(for_meta=True)
        tf._meta_on = True           # (the Tensor types leave the wrappers' quick set: each
        for t in [t for t in tf._QUIET if isinstance(t, type) and issubclass(t, Tensor)]:
            tf._QUIET.discard(t)     # tensor's array is looked at, see torch_function._TENSORS)
            tf._TENSORS.add(t)
        _gate_primitives()


def disable_if_unused():
    """Put the library back as a fresh process has it when no meta tensor is left (no
    :class:`MetaArray` alive): undo :func:`enable`, and take ``torch_function``'s wrappers
    away too where the meta device alone put them there (:func:`torch_function.uninstall`;
    a Tensor subclass or a mode keeps them). Called at safe points, where no op is running:
    the end of ``Module.to_empty``, ``load_state_dict``, ``to``/``type``/``float``...,
    ``Optimizer.__init__`` — the usual program (build on meta, ``to_empty``, load, train)
    then trains at full speed. A placeholder is made before :func:`enable` is called for it,
    so a meta tensor made by another thread meanwhile switches it on again. Returns whether it
    undid anything. (Not from a finalizer: an undo must not land in the middle of an op.)"""
    if not _enabled or _LIVE:                # (the quick test: nothing to do)
        return False
    with _lock:
        if not _enabled or _LIVE:
            return False
        from . import torch_function as tf
        disable()
        tf.uninstall(only_if_meta=True)
        return True


def disable():
    """Undo :func:`enable`, the wrappers left as they are (:func:`disable_if_unused` and
    :func:`torch_function.uninstall` call it)."""
    global _enabled
    from . import torch_function as tf
    from .autograd.function import Function
    _enabled = False
    tf._meta_on = False
    tf._QUIET.update(tf._TENSORS)
    tf._TENSORS.clear()
    plain = getattr(Function.__dict__["apply"].__func__, "_meta_plain", None)
    if plain is not None:
        Function.apply = plain


def _gate_primitives():
    """Put a meta check in front of ``Function.apply`` (every primitive op): the library's own
    code that calls an op directly (a module's forward, say) with a meta tensor then gets a
    meta result too, never values computed from a placeholder. Done at the first meta tensor,
    so that a program that never makes one runs the plain ``apply``."""
    from .autograd.function import Function
    original = Function.__dict__["apply"]
    plain = original.__func__

    @functools.wraps(plain)
    def apply(cls, *args, **kwargs):
        for a in args:
            if type(getattr(a, "array", None)) is MetaArray:
                _check_same_device(args, kwargs)
                return _compute(functools.partial(plain, cls), args, kwargs, cls.__name__)
        return plain(cls, *args, **kwargs)
    apply._meta_plain = original          # (what disable() puts back)
    Function.apply = classmethod(apply)


def any_meta(values) -> bool:
    """Whether one of ``values`` (or an element of a list or tuple among them) is meta."""
    for a in values:
        t = type(a)
        if t is list or t is tuple:
            for b in a:
                if type(getattr(b, "array", None)) is MetaArray:
                    return True
        elif type(getattr(a, "array", None)) is MetaArray:
            return True
    return False


# ---------------------------------------------------------------------- building modules
class _Building(threading.local):
    depth = 0


_building = _Building()
BUILDING = 0           # threads building a module on meta now (a quick test for the others)


class building:
    """``with building():`` — the library's modules built inside get meta parameters and
    buffers (each turned meta as it is registered: :func:`meta_construction`)."""
    def __enter__(self):
        global BUILDING
        _building.depth += 1
        BUILDING += 1
        return self

    def __exit__(self, *exc):
        global BUILDING
        _building.depth -= 1
        BUILDING -= 1


def meta_construction(tensor):
    """Called as a module registers a parameter or buffer: while a module is built on meta,
    ``tensor`` becomes meta in place (its placeholder replaces its array; the object stays)."""
    if tensor is not None and (BUILDING and _building.depth) and not is_meta(tensor):
        tensor.array = placeholder(tensor.shape, tensor.array.dtype)
    return tensor


def wants_meta_quietly(device) -> bool:
    """:func:`wants_meta`, False (not an error) for a device that is not one."""
    from .device import _META_DEFAULTS
    if device is None and not _META_DEFAULTS:
        return False
    try:
        return wants_meta(device)
    except Exception:
        return False


def wants_meta(device) -> bool:
    """Whether a factory's ``device`` (None: the default device) is the meta device."""
    from .device import check_device, META
    return check_device(device, meta=True) is META


# ---------------------------------------------------------------------- the handler
# answered from the metadata: run on the meta tensors themselves
_QUERIES = frozenset("""shape dtype ndim requires_grad is_leaf grad_fn grad names layout
itemsize nbytes output_nr _version size dim ndimension numel nelement element_size
is_floating_point is_complex is_signed requires_grad_ retain_grad retains_grad register_hook
register_post_accumulate_grad_hook __len__ get_device is_inference is_sparse is_quantized
is_nested is_mkldnn is_mps is_xpu is_ipu is_xla is_vulkan is_mtia is_maia name
storage_offset dim_order data_ptr""".split())
# the result's shape would depend on the values
_DATA_SHAPED = frozenset("""nonzero argwhere masked_select unique unique_consecutive bincount
nonzero_static""".split())
# in-place ops that change the shape or strides: not followed here
_RESHAPING = frozenset("""resize_ resize_as_ set_ as_strided_ squeeze_ unsqueeze_ t_
transpose_ swapdims_ swapaxes_""".split())
# views that permute the dims: torch's strides permuted
_PERMUTING = frozenset("transpose t T mT H mH permute movedim moveaxis swapaxes swapdims "
                       "adjoint".split())
_METADATA_INPLACE = frozenset("requires_grad_ retain_grad share_memory_ detach_".split())
_prop_names = None


def _name(func):
    """The public name of ``func`` (a property's ``__get__``/``__set__``: the property's)."""
    global _prop_names
    owner = getattr(func, "__self__", None)
    if isinstance(owner, property):
        if _prop_names is None:
            from .torch_function import WRAPPED
            _prop_names = {id(p): n for n, p in WRAPPED.get("Tensor", {}).items()
                           if isinstance(p, property)}
        name = _prop_names.get(id(owner), "")
        return name, func.__name__ == "__set__"
    return getattr(func, "__name__", ""), False


def _tensors(args, kwargs):
    from .tensor import Tensor
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            yield a
        elif type(a) is list or type(a) is tuple:
            for b in a:
                if isinstance(b, Tensor):
                    yield b


def _device_of(t):
    return "meta" if is_meta(t) else "cpu"


def _check_same_device(args, kwargs):
    """torch's rule: every tensor on one device; a 0-d CPU tensor may join any."""
    expected = None
    for t in _tensors(args, kwargs):
        d = _device_of(t)
        if d == "cpu" and t.ndim == 0:
            continue
        if expected is None:
            expected = d
        elif d != expected:
            raise RuntimeError(f"Tensor on device {d} is not on the expected device "
                               f"{expected}!")


def _scalar_refusal(t, name):
    n = int(np.prod(t.shape))
    if name == "__bool__" and n != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    if n != 1:
        raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
    raise RuntimeError("Tensor.item() cannot be called on meta tensors")


def _broadcast_into(self, others, name):
    """An in-place op's operands must broadcast to ``self``'s shape (torch's check)."""
    for o in others:
        if o is self or o.ndim == 0:
            continue
        try:
            ok = np.broadcast_shapes(tuple(o.shape), tuple(self.shape)) == tuple(self.shape)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{name}: the shape {list(o.shape)} of an operand cannot be "
                               f"broadcast to the meta tensor's shape {list(self.shape)}")


def _target_device(name, args, kwargs):
    """The device ``to(...)`` asks for (``'meta'``, ``'cpu'``) or None."""
    from .device import device as Device
    from .tensor import Tensor
    for a in (*args[1:], *kwargs.values()):
        if isinstance(a, Tensor):
            return _device_of(a)
        if isinstance(a, (str, Device)):
            return Device(a).type
    return None


_SHAPE_FROM_OTHER = {"view_as": "view", "reshape_as": "reshape", "expand_as": "expand"}


def handle(func, args, kwargs):
    """``func(*args, **kwargs)`` with a meta tensor among the arguments (see the module
    notes)."""
    from .device import META
    from .tensor import Tensor
    kwargs = kwargs or {}
    name, setter = _name(func)
    first = args[0] if args else None
    self_meta = isinstance(first, Tensor) and is_meta(first)
    # ---- the metadata
    if name == "device" and not setter:
        return META
    if name in _SHAPE_FROM_OTHER and len(args) == 2 and not kwargs and \
            isinstance(args[1], Tensor):       # (the other tensor gives its shape only: any
        return getattr(first, _SHAPE_FROM_OTHER[name])(tuple(args[1].shape))   # device)
    if name == "type_as" and len(args) == 2 and not kwargs and isinstance(args[1], Tensor):
        return first.to(args[1].device, args[1].dtype)    # (torch's: self.type(other.type()))
    if name == "is_meta" and not setter:
        return True
    if name in ("is_cpu",) and not setter:
        return False
    if name in ("__repr__", "__str__") or (name == "__format__" and args[1:2] in ((), ("",))):
        return meta_repr(first)
    if name == "stride" and self_meta:
        strides = first.array.torch_strides
        if strides is None:
            raise NotImplementedError("stride(): the strides of this view of a meta tensor are "
                                      "not followed by tinygrad_sgd")
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        return strides if dim is None else strides[dim]
    if name == "is_contiguous" and self_meta:
        if first.array.torch_strides is None:
            raise NotImplementedError("is_contiguous(): the strides of this view of a meta "
                                      "tensor are not followed by tinygrad_sgd")
        return _is_contig(first)
    if name == "type" and self_meta and len(args) == 1 and not kwargs:
        return _plainly(func, args, kwargs).replace(".", ".meta.", 1)  # (torch.meta.FloatTensor)
    if name == "data_ptr" and self_meta:
        return 0
    if name == "storage_offset" and self_meta and len(args) == 1 and not kwargs:
        return first.array.torch_offset
    if name == "contiguous" and self_meta and len(args) == 1 and not kwargs and \
            first.array.torch_strides is not None and _is_contig(first):
        return first
    if setter and name == "grad" and isinstance(args[1] if len(args) > 1 else None, Tensor) \
            and _device_of(first) != _device_of(args[1]):
        raise RuntimeError(f"attempting to assign a gradient with device type "
                           f"'{_device_of(args[1])}' to a tensor with device type "
                           f"'{_device_of(first)}'. Please ensure that the gradient and the "
                           f"tensor are on the same device")
    if name in _QUERIES or (setter and name in ("requires_grad", "grad", "data")):
        return _plainly(func, args, kwargs)
    # ---- roads to values
    if name in ("item", "__float__", "__int__", "__index__", "__bool__", "__complex__"):
        _scalar_refusal(first, name)
    if name == "numpy" and (kwargs or {}).get("force"):   # (torch's copy to the CPU first)
        raise NotImplementedError(NO_DATA)
    if name in ("numpy", "__array__"):
        raise TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() to "
                        "copy the tensor to host memory first.")
    if name == "__dlpack__":
        raise BufferError("Cannot pack tensors on meta")
    if name in ("tolist", "cpu"):
        raise NotImplementedError(NO_DATA)
    if name == "to":
        target = _target_device(name, args, kwargs)
        if self_meta and target not in (None, "meta"):
            raise NotImplementedError(NO_DATA)
        if self_meta:                  # (itself, or a placeholder of another dtype)
            return _plainly(func, args, kwargs)
        if not self_meta and isinstance(args[1] if len(args) > 1 else None, Tensor):
            return _plainly(func, (first, "meta", args[1].dtype) + args[2:], kwargs)
    if name.endswith("_like") or name.startswith("new_"):   # (they make meta tensors
        return _plainly(func, args, kwargs)                 # themselves, drawing nothing)
    if name in ("backward", "grad") and not isinstance(getattr(func, "__self__", None),
                                                       property):
        # the walk meets MetaBackward nodes (see the notes); it runs with the dispatch on, so
        # that hooks, and the sums of gradients, see meta tensors as such
        return getattr(func, "__wrapped__", func)(*args, **kwargs)
    if name in _DATA_SHAPED or (name == "__getitem__" and _bool_index(args[1:])) or \
            (name == "where" and len(args) + len(kwargs) == 1):
        raise NotImplementedError(f"{name}: the shape of its result depends on the values, "
                                  f"which a meta tensor does not have")
    if "out" in kwargs and kwargs["out"] is not None:
        raise NotImplementedError(f"{name}(out=...): not supported with meta tensors")
    # ---- in place: checked, nothing changed, nothing drawn
    if name == "copy_" or name == "__setitem__" or (
            name.endswith("_") and not name.endswith("__") and name not in _METADATA_INPLACE):
        if not self_meta:
            if name == "copy_":
                raise NotImplementedError(NO_DATA)
            _check_same_device(args, kwargs)
        if name in _RESHAPING:
            raise NotImplementedError(f"{name}: in-place changes of a meta tensor's shape are "
                                      f"not supported by tinygrad_sgd")
        if self_meta and first.grad_fn is None and first.requires_grad:
            from .autograd.grad_mode import is_grad_enabled
            if is_grad_enabled():
                raise RuntimeError(f"a {'view of a ' if name == '__setitem__' else ''}leaf "
                                   f"Variable that requires grad is being used in an "
                                   f"in-place operation.")
        others = [t for t in _tensors(args[1:], kwargs)]
        if name == "__setitem__":
            target = _compute(Tensor.__getitem__, args[:2], {}, "__getitem__")
            _broadcast_into(target, others[-1:] if isinstance(args[2], Tensor) else [], name)
            _rebase(first, others[-1:] if isinstance(args[2], Tensor) else [], name)
            return None
        if name != "copy_":
            _check_same_device(args, kwargs)
        _broadcast_into(first, others, name)
        _rebase(first, others, name)
        return first
    # ---- compute on placeholders, give meta tensors back
    if name != "__getitem__":           # (an index may be a CPU tensor, as torch's)
        _check_same_device(args, kwargs)
    if kwargs.get("inplace"):           # (F.relu(x, inplace=True): x itself, unchanged,
        out = _compute(func, args, {**kwargs, "inplace": False}, name)   # its history the
        x = args[0]                                                      # result's)
        if isinstance(x, Tensor) and is_meta(x) and isinstance(out, Tensor):
            from .autograd.grad_mode import is_grad_enabled
            if x.requires_grad and x.grad_fn is None and is_grad_enabled():
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            if out.grad_fn is not None:
                x.grad_fn = out.grad_fn
        return x
    return _compute(func, args, kwargs, name)


_INPLACE_NODES = {"__setitem__": "CopySlices", "copy_": "CopyBackwards"}


def _rebase(t, operands, name):
    """An in-place op ``name`` on the meta tensor ``t`` with ``operands``: in grad mode, where
    ``t`` or an operand requires grad, ``t`` becomes the result of a node of its own (its
    old graph and the operands its inputs), as torch rebases the tensor's history."""
    from .autograd.grad_mode import is_grad_enabled
    inputs = [o for o in operands if o.requires_grad]
    if not (inputs or t.requires_grad) or not is_grad_enabled() or \
            t.array.dtype.kind != "f":
        return
    from .ops.meta_grad import MetaBackward
    node = _INPLACE_NODES.get(name) or name.strip("_").title().replace("_", "") + "Backward"
    inputs = ([t] if t.requires_grad else []) + inputs
    t._requires_grad = True
    MetaBackward.of(t, inputs, node, name)


def _is_contig(t):
    """Whether the meta tensor ``t``'s (known) strides are row-major."""
    from .creation import contiguous_strides
    return all(s == c for n, s, c in zip(t.shape, t.array.torch_strides,
                                         contiguous_strides(t.shape)) if n > 1)


def _plainly(func, args, kwargs):
    from . import torch_function as tf
    previous, tf.state.level = tf.state.level, 2
    try:
        return func(*args, **kwargs)
    finally:
        tf.state.level = previous


def _bool_index(index):
    from .tensor import Tensor
    items = index[0] if index and type(index[0]) is tuple else index
    return any(isinstance(i, Tensor) and i.array.dtype.kind == "b" or
               (isinstance(i, np.ndarray) and i.dtype.kind == "b") for i in items)


def _proxy(t):
    """A plain tensor viewing ``t``'s placeholder as an ordinary (read-only) array."""
    from .tensor import Tensor
    p = Tensor._of(t.array.view(np.ndarray))
    if t._requires_grad:
        p._requires_grad = True
    return p


def _compute(func, args, kwargs, name):
    """Run ``func`` on plain views of the meta arguments, then make its Tensor results meta."""
    from . import torch_function as tf
    from .creation import contiguous_strides
    from .tensor import Tensor
    originals = {}                            # id(proxy) -> (proxy, meta tensor)

    def swap(a):
        if isinstance(a, Tensor) and is_meta(a):
            p = _proxy(a)
            originals[id(p)] = (p, a)
            return p
        if type(a) is list or type(a) is tuple:
            return type(a)(swap(b) for b in a)
        return a
    plain_args = tuple(swap(a) for a in args)
    plain_kwargs = {k: swap(v) for k, v in kwargs.items()}
    swap = None        # (it calls itself, as back does: a cycle, which would keep the meta
                       # arguments alive until the next gc: see disable_if_unused)
    from .random import default_generator
    drawn = default_generator.get_state()     # (dropout on meta draws nothing, as torch's)
    previous, tf.state.level = tf.state.level, 2
    try:
        with np.errstate(all="ignore"):
            try:
                result = func(*plain_args, **plain_kwargs)
            except (ValueError, RuntimeError):      # (it writes into an input — batch norm's
                for p, _ in originals.values():     # running statistics: on zeros of their
                    p.array = np.zeros(p.shape, p.array.dtype)     # own, then dropped)
                result = func(*plain_args, **plain_kwargs)
    finally:
        tf.state.level = previous
        default_generator.set_state(drawn)
    args, kwargs = plain_args, plain_kwargs
    metas = [m for _, m in originals.values()]
    inputs_contiguous = all(m.array.torch_strides is not None and
                            m.array.torch_strides == contiguous_strides(m.shape) for m in metas)

    probed = []                               # (the run on strided probes, made once)

    def strides_of(r):
        """torch's (strides, storage offset) of the result ``r``."""
        for p, m in originals.values():
            if np.may_share_memory(r.array, p.array):       # a view of a meta input
                known, offset = m.array.torch_strides, m.array.torch_offset
                if known is None:
                    return None, 0
                if name in _PERMUTING:
                    perm = _permutation(func, args, kwargs, p)
                    return (None if perm is None else tuple(known[j] for j in perm)), offset
                if tuple(r.shape) == tuple(m.shape) and r.array.strides == p.array.strides:
                    return known, offset
                if r.array.size == 0:
                    return contiguous_strides(r.shape), offset
                if inputs_contiguous and name in _RESHAPES:
                    return contiguous_strides(r.shape), offset
                return _probed_strides(r, probed, func, args, kwargs, originals, result)
        if inputs_contiguous:
            return contiguous_strides(r.shape), 0
        return _probed_strides(r, probed, func, args, kwargs, originals, result)[0], 0

    def back(r):
        if isinstance(r, Tensor):
            hit = originals.get(id(r))
            if hit is not None and hit[0] is r:
                return hit[1]
            if is_meta(r):
                return r
            out = make(r.shape, r.array.dtype, r.requires_grad, *strides_of(r))
            if r.grad_fn is not None:             # (a node of its own: see the notes)
                from .ops.meta_grad import MetaBackward
                MetaBackward.link(out, r.grad_fn, originals, _tensors(args, kwargs))
            return out
        if isinstance(r, (tuple, list)):
            items = [back(x) for x in r]
            return type(r)._make(items) if hasattr(r, "_fields") else type(r)(items)
        if r is None or isinstance(r, (np.dtype, type)) or name in _QUERIES:
            return r
        from .size import Size
        if isinstance(r, Size):
            return r
        raise NotImplementedError(f"{name}: its result would be read from a meta tensor's "
                                  f"values, which it does not have")
    try:
        return back(result)
    finally:
        back = None    # (the cycle broken, as swap's above)


# views of a contiguous tensor that stay contiguous
_RESHAPES = frozenset("view reshape flatten unflatten unsqueeze squeeze view_as reshape_as "
                      "contiguous detach alias".split())


def _strided_probe(m):
    """A plain tensor laid out as the meta tensor ``m`` by its torch strides: a NumPy view
    of zeroed memory of the span those strides need (reserved, not touched by a view), its
    strides marked as torch's; None where ``m``'s strides are unknown."""
    from numpy.lib.stride_tricks import as_strided
    from .tensor import Tensor
    strides = m.array.torch_strides
    if strides is None or any(st < 0 for st in strides):
        return None
    dtype, offset = m.array.dtype, m.array.torch_offset
    need = 0 if 0 in m.shape else 1 + sum((n - 1) * st for n, st in zip(m.shape, strides))
    memory = np.zeros(offset + max(need, 1), dtype)        # (starting at its storage offset)
    t = Tensor._of(as_strided(memory[offset:], tuple(m.shape),
                              [st * dtype.itemsize for st in strides]))
    t._torch_strides = True
    t._probe_memory = memory
    if m._requires_grad:
        t._requires_grad = True
    return t


def _probed_strides(r, probed, func, args, kwargs, originals, result):
    """torch's strides of ``r`` (a result of ``func`` run on the proxies ``args``) where the
    placeholders (all zero strides) cannot tell them: ``func`` is run again, once, on strided
    probes of the meta arguments (:func:`_strided_probe`), and the strides of its result in
    ``r``'s place are read as the library reads a CPU tensor's (:func:`creation.
    torch_strides`), and its storage offset from where it starts in its probe's memory.
    ``(None, 0)`` where that run is not possible."""
    from . import torch_function as tf
    from .creation import torch_strides
    from .tensor import Tensor
    if not probed:
        by_proxy = {id(p): m for p, m in originals.values()}

        def swap(a):
            if isinstance(a, Tensor) and id(a) in by_proxy:
                probe = _strided_probe(by_proxy[id(a)])
                if probe is None:
                    raise LookupError
                return probe
            if type(a) is list or type(a) is tuple:
                return type(a)(swap(b) for b in a)
            return a
        from .random import default_generator
        drawn = default_generator.get_state()
        previous, tf.state.level = tf.state.level, 2
        try:
            with np.errstate(all="ignore"):
                swapped = [swap(a) for a in args], {k: swap(v) for k, v in kwargs.items()}
                out = func(*swapped[0], **swapped[1])
                swapped = [*swapped[0], *swapped[1].values()]
            memories = [t._probe_memory for t in _flat_tensors(list(swapped))]
            probed.append((_flat_tensors(result), _flat_tensors(out), memories))
        except Exception:
            probed.append(None)
        finally:
            tf.state.level = previous
            default_generator.set_state(drawn)
            swap = None     # (a cycle: see _compute)
    if probed[0] is None:
        return None, 0
    mine, theirs, memories = probed[0]
    for a, b in zip(mine, theirs):
        if a is r:
            if tuple(b.shape) != tuple(r.shape):
                return None, 0
            start = b.array.__array_interface__["data"][0]
            for memory in memories:
                if np.may_share_memory(b.array, memory):
                    return torch_strides(b), (start - memory.__array_interface__["data"][0]) \
                        // memory.itemsize
            return torch_strides(b), 0
    return None, 0


def _flat_tensors(result):
    """The Tensors of an op's result (inside tuples and lists too), in order."""
    from .tensor import Tensor
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [t for x in result for t in _flat_tensors(x)]
    return []


def _permutation(func, args, kwargs, proxy):
    """The dims a permuting view (``transpose``, ``permute``, ``.T``, ...) puts where: found
    by running it on a small probe tensor with distinct sizes."""
    from . import torch_function as tf
    from .tensor import Tensor
    n = proxy.ndim
    probe = Tensor._of(np.empty(tuple(range(2, n + 2)), proxy.array.dtype))
    args = tuple(probe if a is proxy else a for a in args)
    previous, tf.state.level = tf.state.level, 2
    try:
        out = func(*args, **kwargs)
    except Exception:
        return None
    finally:
        tf.state.level = previous
    return tuple(int(s) - 2 for s in out.shape)


def meta_repr(t):
    """torch's ``tensor(..., device='meta', size=(3, 4))`` (printing.tensor_repr's)."""
    from .printing import tensor_repr
    return tensor_repr(t)


# ---------------------------------------------------------------------- autograd
def accumulate_grad(leaf, old, g, create_graph=False):
    """A leaf's ``.grad`` after a backward that met the meta device (``g`` or ``leaf`` meta):
    the first time a meta tensor of the leaf's shape, dtype and strides (torch's layout
    contract), after that the same tensor (nothing to add). Under ``create_graph``, a
    gradient with a graph keeps one, as torch's (``g.clone()``, then ``old + g``). A meta
    gradient for a CPU leaf, or a CPU one for a meta leaf, is refused as torch refuses it."""
    if not is_meta(leaf) or not is_meta(g):
        if is_meta(leaf):
            raise RuntimeError("invalid gradient - expected device meta but got cpu")
        raise NotImplementedError(NO_DATA)
    if old is not None and not is_meta(old):
        raise NotImplementedError(NO_DATA)
    if create_graph and (g.requires_grad or old is not None and old.requires_grad):
        return g.clone() if old is None else old + g
    if old is None:
        return to_meta(leaf, g.array.dtype, requires_grad=False)
    return old


def check_seed(i, output, grad):
    """``backward(gradient=...)``: a meta output needs a meta gradient and a CPU output a CPU
    one (torch's check, its words)."""
    want, got = _device_of(output), _device_of(grad)
    if want != got:
        raise RuntimeError(f"invalid gradient at index {i} - expected device {want} but got "
                           f"{got}")
