"""``Function``: a differentiable primitive, and — once applied — a node of the graph.

Every op is a small subclass (see :mod:`tinygrad_sgd.ops`) with

* ``forward(self, *inputs, **options) -> array`` — computes on the inputs' NumPy arrays
  (``x.array``); it keeps what backward needs with ``self.save_for_backward(x, ...)`` (input
  Tensors), ``self.save_output(array)``, or as attributes (masks, shapes);
* ``backward(self, grad) -> grad per input`` — written with **Tensor operations**, so that with
  ``create_graph=True`` the gradient computation is itself recorded and can be differentiated
  again (higher-order gradients come for free);
* class attributes that say what it computes, for the drawings and the explainer:
  ``inputs`` (the names its rule gives its inputs), ``rule`` (the forward formula) and
  ``derivatives`` (one formula per input).

``Function.apply`` runs ``forward`` and, if any input requires a gradient (and grad mode is on),
wraps the result in a Tensor whose ``grad_fn`` is the Function instance. That instance is a
*node*: it remembers, for each input, where the gradient must go next — the input's own
``grad_fn`` (an intermediate result) or the input Tensor itself (a leaf).
"""
# house: long file — the base class of every op: its graph link, what it saves (with the
# in-place checks and the saved-tensor hooks) and torch's node API, read together.
import functools
import itertools
import weakref

import numpy as np

from . import anomaly, graph, inference, nodes, saved_names, strides
from .nodes import AccumulateGrad
from .torch_names import torch_mode, torch_name
from .grad_mode import _mode, is_grad_enabled, np_fp_state, FP_IGNORE
from .. import versions
from .no_grad_views import leaf_edge, mark as _no_grad_view
from ..errors import ShapeError

__all__ = ["Function"]

# Every graph node gets the next number when it is created (torch's ``sequence_nr``): the
# order in which the forward pass built the graph. The drawings and the explorer name nodes by it.
_sequence = itertools.count()
_Tensor = None
_dual = None     # while a forward AD level is open: its rule for tangents (.forward_ad)


def _tensor_class():
    global _Tensor
    if _Tensor is None:
        from ..tensor import Tensor
        _Tensor = Tensor
    return _Tensor


def _record_view(out, args, kwargs, cls):
    """A view op's result that shares its input's memory remembers its *base* (the first
    tensor up the chain of views that owns the memory) and how to make it again from the base
    (the same ops, replayed): an in-place write into the view must also change the base's
    graph (see :func:`tinygrad_sgd.functions.inplace.inplace`), as torch's ``CopySlices``."""
    x = args[0]
    if not np.may_share_memory(out.array, x.array):
        return
    if x.__dict__.get("_no_grad_view"):
        out._no_grad_view = "of_view"     # (a view of one, made in grad mode: its message)
    parent = x.__dict__.get("_view")
    base, replay = (x, None) if parent is None else parent
    rest = args[1:]

    def again(t):
        return cls.apply(t, *rest, **kwargs)
    if not cls.replayable(base) or (parent is not None and replay is None):
        out._view = (base, None)                 # (not made again: see inplace)
    elif parent is None:
        out._view = (base, again)
    else:
        out._view = (base, lambda t: again(replay(t)))
    views = base.__dict__.get("_views")
    if views is None:
        views = base._views = weakref.WeakSet()
    views.add(out)


class _class_or_node:
    """A method given the class, and the node when asked of one: ``Mul.name()`` and
    ``y.grad_fn.name()`` both work."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, node, cls):
        return functools.partial(self.fn, cls, node)



def modified_inplace(what, shape, now, expected):
    """The error of a saved array (``what``: "the output of ExpBackward", ...) changed in place
    since it was saved: its memory's version is ``now``, not ``expected`` (torch's words)."""
    return RuntimeError(f"one of the variables needed for gradient computation has been "
                        f"modified by an inplace operation: {what}, of shape {shape}, is at "
                        f"version {now}; expected version {expected} instead")

class Function:
    """Base class of every op. Attributes of a node: ``_edges`` (for each argument of the
    op: its grad_fn, the leaf Tensor itself when it is a leaf that requires grad, or None —
    what the engine walks), ``input_shapes`` (to reduce broadcast gradients),
    ``needs_input_grad``; ``next_functions``, torch's view of the edges (see there)."""

    # --- what the op is, for readers, drawings and the explainer (override per op) ---------
    inputs = ("x",)          # names of the inputs, as the rule writes them
    rule = ""                # the forward formula, e.g. "z = x · y"
    derivatives = ()         # one per input, e.g. ("dz/dx = y", "dz/dy = x")
    elementwise = False      # True: a gradient for a broadcast input is summed back (viz note)
    grad_fn_name = None      # torch-style node name; default: class name + "Backward"
    op_name = None           # the name as written in code ("mul"); default: lower class name
    sequence_nr = None       # creation order of the graph's nodes (set when linked into a graph)
    differentiable = True    # False for argmax, comparisons: the output never requires grad
    is_view = False          # True: the result may share its input's memory (a slice, reshape,
                             # transpose): an in-place write into it rewires its base's graph
    _copied = False          # set by a view op's forward that copied instead (a reshape that
                             # cannot view, an index array): its result is no view (no _base);
                             # "for a view": a copy standing for torch's view (its _base set)

    @staticmethod
    def replayable(base):
        """A view op: can its result be made again by replaying it on a tensor shaped like
        ``base`` (an in-place write then rewires the graph)? Yes but for as_strided."""
        return True
    converts_dtype = False   # True for a cast: its output dtype is not its inputs'
    linear = False           # True: linear in its float Tensor inputs together (a scatter, an
                             # embedding lookup): forward AD's tangent is the op on the tangents
    diagonal = False         # True: one input, elementwise (sinc, logit): the Jacobian is its
                             # transpose, so forward AD's tangent is the backward applied to it

    # per-node state, as class-level defaults so that creating a node costs nothing
    _recording = False   # set by apply when the node will be part of a graph
    _saved = ()
    _versions = ()
    _released = False
    _out_array = None
    _out_version = 0
    _pre_hooks = None
    _post_hooks = None

    def __init_subclass__(cls, **kwargs):
        """A subclass written as torch writes custom ops (``@staticmethod forward(ctx, ...)``
        and ``backward(ctx, grad)``) is run by :mod:`.custom`; the library's own ops use
        instance methods."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if (isinstance(own.get("forward"), staticmethod)
                or isinstance(own.get("backward"), staticmethod)
                or getattr(cls, "_torch_forward", None) is not None):
            from .custom import make_torch_style
            make_torch_style(cls)

    # --- used inside forward -------------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep Tensors (usually inputs) for backward; freed after backward unless retained.
        Their version counters are recorded so that an in-place change before backward is
        detected instead of silently giving a wrong gradient. ``None`` may be saved (an
        optional input, as a bias), and comes back as None."""
        if self._recording:       # (outside a recorded graph nothing needs keeping)
            Tensor = _tensor_class()
            for i, t in enumerate(tensors):
                if t is not None and not isinstance(t, Tensor):
                    raise TypeError(f"save_for_backward can only save variables, but argument "
                                    f"{i} is of type {type(t).__name__}")
                if t is not None and t._inference and "_recording" in self.__dict__:
                    inference.check_saved(self, t, tensors)     # (not for forward_ad's keeping)
            self._saved = tensors
            self._versions = [None if t is None else t._version for t in tensors]
            if graph._stack and "_recording" in self.__dict__:  # saved_tensors_hooks: what
                self._packed = graph.pack(tensors)     # backward reads is unpacked (a graph's)

    def keep_for_drawings(self, *tensors) -> None:
        """Keep Tensors backward does not read but the drawings show (an intermediate's value,
        as ``mean``'s sum): no in-place check, no saved-tensor hooks; freed as the rest."""
        if self._recording:
            self._saved = tensors

    def save_output(self, array) -> None:
        """Keep the forward result for backward (read back with :meth:`output`); its version
        is checked too, so zeroing ``y.detach()`` before backward is caught."""
        if self._recording:
            self._out_array = array
            self._out_version = versions.version_of(array)

    def keep_array(self, name, array) -> None:
        """Keep a non-differentiable array (an index, a mask, a class target) as attribute
        ``name`` for backward, with its version: :meth:`kept_array` refuses it if it was changed in
        place in between (it would silently give the gradient of the new values)."""
        setattr(self, name, array)
        self.__dict__["_version_of_" + name] = versions.version_of(array)

    # --- used inside backward ------------------------------------------------------------
    def kept_array(self, name):
        """An array kept with :meth:`keep_array`, checked against in-place changes."""
        array = getattr(self, name)
        expected = self.__dict__.get("_version_of_" + name, 0)
        now = versions.version_of(array)
        if now != expected:
            raise modified_inplace(f"the {name} of {self.name()}", array.shape, now, expected)
        return array

    @property
    def saved_tensors(self):
        return self.saved_tensors_if(*[True] * len(self._saved))

    def saved_tensors_if(self, *needed):
        """The saved tensors, each only where ``needed`` says so (None in its place otherwise);
        only those are checked against in-place changes. As torch, which saves an input of a
        product only when the other input's gradient needs it: ``x @ w`` with only w needing
        a gradient gives it even if x was changed in place since."""
        self._check_not_released()
        packed = self.__dict__.get("_packed")
        if packed is not None:    # saved_tensors_hooks: what unpack gives (torch checks no
            unpack, kept = packed            # version then: the hooks own what was saved)
            return tuple(None if k is None or not need else unpack(k)
                         for k, need in zip(kept, needed))
        hooked = self.__dict__.get("_hooked")       # hooks on one saved tensor each
        if hooked and any(isinstance(i, int) for i in hooked):   # (``_raw_saved_<name>``)
            return tuple(hooked[i][0](hooked[i][1]) if i in hooked and need else t
                         for i, (t, need) in enumerate(zip(self._checked_saved(
                             [n and i not in hooked for i, n in enumerate(needed)]), needed)))
        return self._checked_saved(needed)

    def _checked_saved(self, needed):
        """The saved tensors where ``needed``, each checked against in-place changes."""
        for i, (t, v, need) in enumerate(zip(self._saved, self._versions, needed)):
            if need and t is not None and t._version != v:
                raise modified_inplace(f"input {i} of {self.name()}", t.shape, t._version, v)
        return tuple(t if need else None for t, need in zip(self._saved, needed))

    def saved_output(self):
        """The forward result as an array (checked: not freed, not changed in place; with
        saved_tensors_hooks, what the unpack hook gives, unchecked as torch's)."""
        self._check_not_released()
        packed = self.__dict__.get("_packed_out")
        if packed is None and "result" in self.__dict__.get("_hooked", ()):
            packed = self._hooked["result"][0], (self._hooked["result"][1],)
        if packed is not None:
            unpack, (kept,) = packed
            return unpack(kept).array
        now = versions.version_of(self._out_array)
        if now != self._out_version:
            raise modified_inplace(f"the output of {self.name()}", self._out_array.shape, now,
                                   self._out_version)
        return self._out_array

    def output(self):
        """The forward result as a Tensor whose grad_fn is this node, so that a backward
        formula using it is differentiable again (as torch's saved outputs are)."""
        out = _wrap(_Tensor or _tensor_class(), self.saved_output())
        if is_grad_enabled():
            out.requires_grad = True
            out.grad_fn = self
        if _dual is not None and "_out_tangent" in self.__dict__:
            from .forward_ad import _set      # (a backward inside a forward AD level: the
            _set(out, self._out_tangent)      # result carries its tangent, as torch's saved
        return out                            # ones do: forward-over-reverse)

    @staticmethod
    def constant(array):
        """Wrap an array (a mask, a sign) as a Tensor that is not differentiated."""
        return _wrap(_Tensor or _tensor_class(), array)

    def __getattr__(self, name):
        # only reached for a missing attribute: one that release() freed, torch's name of what
        # the node saved (``_saved_self``, ``_saved_result``: see saved_names), or a typo
        if name.startswith("_raw_saved_"):      # (freed: its register_hooks says so)
            return saved_names.raw_saved_attribute(self, name)
        if self.__dict__.get("_released"):
            self._check_not_released()
        if name.startswith("_saved_"):
            return saved_names.saved_attribute(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_not_released(self):
        if self._released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")

    def release(self) -> None:
        """Free the arrays forward saved (called after backward unless retain_graph=True);
        small options (shapes, strides) stay, so the node can still be drawn."""
        d = self.__dict__
        for key in [k for k, v in d.items() if type(v) is np.ndarray]:
            del d[key]
        for key in ("_saved", "_versions", "_out_array", "_packed", "_packed_out", "_hooked"):
            d.pop(key, None)
        self._released = True

    # --- the op itself --------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward and, if any input needs a gradient, link the result into the graph."""
        if _mode.profiler is not None:          # torch.profiler records: the op is timed there
            return _mode.profiler(cls, args, kwargs)
        Tensor = _Tensor or _tensor_class()
        node = cls()
        mode, needs = _mode, None
        if (enabled := mode.enabled) and cls.differentiable:
            needs = [isinstance(a, Tensor) and a.requires_grad for a in args]
            if True in needs and not mode.inference:   # (enable_grad in inference_mode:
                node._recording = True   # no graph either) save_for_backward keeps what it gets
            else:
                needs = None
        fp_state = np_fp_state.set(FP_IGNORE)  # NumPy's overflow/invalid warnings off
        try:
            result = node.forward(*args, **kwargs)
            out = strides.inherit_torch_layout(_wrap(Tensor, result), args, cls.is_view)
            if type(result) is not np.ndarray and node.__dict__.get("_out_array") is result:
                node._out_array = out.array   # a NumPy scalar saved: watch the tensor's memory
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            shapes = " and ".join(f"{a.shape}" for a in args if isinstance(a, Tensor))
            raise ShapeError(f"{node.label()}: shapes {shapes} cannot be broadcast together "
                             f"(sizes must match or be 1, aligned from the right)") from None
        finally:
            np_fp_state.reset(fp_state)
        view = cls.is_view and node._copied is not True   # (a view op that copied: no view)
        if view:
            x = args[0]
            if not x._inference:      # torch's ``_base``: the root a view was made from (a
                base = x._view_base   # view of an inference tensor is a tensor of its own)
                out._view_base = x if base is None else base
                d = x.__dict__        # (x shares torch's storage of another: its view too,
                if "_stands_for" in d or "_storage_root" in d:    # creation.storage_root)
                    out._storage_root = x if "_stands_for" in d else d["_storage_root"]
            if node._copied:          # a copy standing for torch's view (writes refused)
                pass
            elif enabled:
                _record_view(out, args, kwargs, cls)
            elif x.requires_grad or x.__dict__.get("_no_grad_view"):
                _no_grad_view(out, x, mode.inference)
        if not enabled and mode.inference or view and args[0]._inference:
            out._inference = not view or args[0]._inference    # (see .inference)
        if mode.anomaly:                      # (for the warning if its backward fails)
            node.created_at = anomaly.user_frame()
        if needs is not None:
            node.sequence_nr = next(_sequence)
            node.needs_input_grad = needs
            node._edges = tuple([(a.grad_fn or leaf_edge(a)) if n else None
                                 for a, n in zip(args, needs)])
            node.input_shapes = [a.array.shape if n else None for a, n in zip(args, needs)]
            if out.array.dtype.kind == "f":
                out._requires_grad = True     # (the setter's checks, for a new float result)
            else:
                out.requires_grad = True      # refused, with torch's message
            out.grad_fn = node
            if graph._stack and "_out_array" in node.__dict__:   # a saved result goes through
                node._packed_out = graph.pack([out])             # saved_tensors_hooks too
            if mode.modules:
                node.modules = mode.modules
            if False in needs:
                for i, a in enumerate(args):      # inputs needing no grad, for the drawings
                    if not needs[i] and isinstance(a, Tensor):
                        node._keep_input(i, a)
        return out if _dual is None else _dual(node, args, kwargs, out)   # (forward AD)

    # Inputs that need no gradient (data, targets, constants such as the 1 of ``1 - p``) are
    # not part of the graph's edges; a drawing still wants them after backward freed what was
    # saved: small ones are kept, big ones only while something else keeps them alive.
    KEEP_INPUTS_UP_TO = 64

    _not_float = ()

    def _keep_input(self, i, t):
        kept = self.__dict__.get("_kept_inputs")
        if kept is None:
            kept = self._kept_inputs = {}
        if t.array.dtype.kind not in "fc":            # (a mask, an index: see next_functions)
            self._not_float = self._not_float + (i,)
        kept[i] = t if t.array.size <= self.KEEP_INPUTS_UP_TO else weakref.ref(t)

    def kept_inputs(self):
        """``{input index: Tensor}`` for the inputs that needed no gradient and are still
        known (see ``_keep_input``)."""
        out = {}
        for i, t in self.__dict__.get("_kept_inputs", {}).items():
            t = t() if isinstance(t, weakref.ref) else t
            if t is not None:
                out[i] = t
        return out

    # --- introspection ----------------------------------------------------------------------
    _edges = ()

    @property
    def next_functions(self):
        """torch's form of the node's edges: one ``(node, output index)`` pair per tensor input
        — the input's grad_fn, an :class:`AccumulateGrad` for a leaf that requires grad, or
        None for a tensor that needs no gradient; the index is 0 but for the outputs of a
        custom Function returning several. So ``loss.grad_fn.next_functions[0][0]`` walks
        the graph as in torch (the ops, and so the nodes met, are this library's: a linear
        layer is one LinearBackward, not torch's AddmmBackward0 and TBackward0)."""
        edges = self._edges
        return tuple(_torch_edge(edges[i]) for i in nodes.tensor_slots(self))

    def _as_torch_edge(self):
        return self, 0

    @_class_or_node
    def name(cls, node=None) -> str:
        """torch-style node name: ``MulBackward`` (``grad_fn_name``, or the class name +
        "Backward"); while the as_torch runner runs a torch program, torch's own name
        (``MulBackward0``; ``x[0]``: ``SelectBackward0``; see :mod:`.torch_names`). Asked of
        the op class (``Mul.name()``) or of a node (``y.grad_fn.name()``)."""
        if torch_mode():
            return torch_name(cls, node)
        return cls.grad_fn_name or cls.__name__ + "Backward"

    def label(self) -> str:
        """Short name of the operation as written in code (``mul``, ``conv2d(stride=1, ...)``):
        the class attribute ``op_name`` or the class name in lower case; ops with options
        override it."""
        return type(self).op_name or type(self).__name__.lower()

    def _add_tensor_hook(self, hook) -> None:
        """``hook(grad)`` runs on the gradient arriving here, before backward: the hooks of
        ``Tensor.register_hook``, then retain_grad's (so that the retained ``.grad`` is the
        gradient after them), then the node's own pre-hooks, as in torch."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        self._pre_hooks.sort(key=nodes.hook_order)  # stable

    def register_prehook(self, hook):
        """torch's ``hook(grad_outputs) -> grad_outputs or None`` before backward; a handle."""
        return nodes.register_prehook(self, hook)

    def register_hook(self, hook):
        """torch's ``hook(grad_inputs, grad_outputs) -> grad_inputs or None`` after backward."""
        return nodes.register_hook(self, hook)

    @property
    def metadata(self):
        """torch's ``Node.metadata``: a dict for the user's notes."""
        return nodes.metadata(self)

    def __repr__(self):
        """``<MulBackward>``; in a torch program, as torch's: ``<MulBackward0 object at
        0x7f...>`` (a tensor prints ``grad_fn=<MulBackward0>`` either way)."""
        if torch_mode():
            where = ("torch.autograd.function." if getattr(type(self), "_torch_forward", None)
                     is not None else "")
            return f"<{where}{self.name().rsplit('::')[-1]} object at {hex(id(self))}>"
        return f"<{self.name()}>"


_new = object.__new__


def _wrap(Tensor, array):
    """``Tensor._of(array)``, quicker for a numeric ndarray: every op's result comes here."""
    if type(array) is np.ndarray and array.dtype.kind in "biuf":
        out = _new(Tensor)
        out.array = array
        return out
    return Tensor._of(array)


def _torch_edge(edge):
    """One entry of :attr:`Function.next_functions` for an edge of the engine's."""
    if edge is None:
        return None, 0
    if isinstance(edge, Function):
        return edge._as_torch_edge()
    return AccumulateGrad.of(edge), 0


graph.Node.register(Function)
graph.Node.register(AccumulateGrad)

# torch spells it torch.autograd.function.once_differentiable (defined beside the custom ops)
from .custom import once_differentiable  # noqa: E402,F401
