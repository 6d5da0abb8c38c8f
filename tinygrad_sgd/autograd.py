"""The graph machinery: Function nodes, grad mode, and the backward walk.

How a computation becomes a graph
---------------------------------
Every differentiable operation is a small subclass of :class:`Function` with

* ``forward(self, *inputs, **options) -> array`` — computes on the inputs' NumPy arrays
  (``x.data``), fast; it keeps what backward needs with ``self.save_for_backward(x, ...)``
  (input Tensors), ``self.save_output(array)``, or as attributes (masks, shapes);
* ``backward(self, grad) -> grad per input`` — written with **Tensor operations**, so that with
  ``create_graph=True`` the gradient computation is itself recorded and can be differentiated
  again (higher-order gradients come for free).

``Function.apply`` runs ``forward`` and, if any input requires a gradient (and grad mode is on),
wraps the result in a Tensor whose ``grad_fn`` is the Function instance. That instance is a
*node* of the graph: it remembers, for each input, where the gradient must go next — the
input's own ``grad_fn`` (an intermediate result) or the input Tensor itself (a leaf).

How backward walks it
---------------------
:func:`run_backward` first counts, for every node reachable from the outputs, how many edges
point at it; then it processes nodes in topological order (Kahn's algorithm with an explicit
stack, so a chain of 100,000 operations needs no recursion). Each node receives the *sum* of the
gradients from all its consumers before it runs — so a tensor used twice gets the sum.
Broadcasting is solved here, once: every gradient is reduced (summed) back to the shape of the
input it is for, so no op has to think about it.
"""
from __future__ import annotations

import functools
import threading

import numpy as np

from . import tensor as _tensor  # (circular: only its attributes are used, at call time)

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "grad", "backward", "detect_anomaly", "is_anomaly_enabled"]


# ----------------------------------------------------------------------------- quiet NumPy
# Inside every op NumPy's floating-point warnings ("overflow encountered in multiply") are off:
# as in torch, an op that overflows gives inf or nan quietly (detect_anomaly() finds where).
# np.errstate(all="ignore") rebuilds its state on each entry (~1 µs, a fifth of a small op), so
# with NumPy >= 2 its context variable is set to a state built once; elsewhere np.errstate.
# Used as ``token = _np_fp_state.set(_FP_IGNORE)`` ... ``_np_fp_state.reset(token)``.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _np_fp_state, _make_extobj
    _FP_IGNORE = _make_extobj(all="ignore")
except Exception:  # another NumPy layout: the same two calls on top of np.seterr
    class _SetErr:
        @staticmethod
        def set(_):
            return np.seterr(all="ignore")

        @staticmethod
        def reset(old):
            np.seterr(**old)
    _np_fp_state, _FP_IGNORE = _SetErr, None


# ----------------------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True
    anomaly = False
    modules = ()  # the Modules whose forward is running, outermost first (for graph drawing)


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backpropagation."""
    return _mode.enabled


class set_grad_enabled:
    """Context manager and decorator that turns graph recording on or off."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        self.prev = _mode.enabled
        _mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """``with no_grad():`` (or ``@no_grad()``, or ``@no_grad``) — run without recording a
    graph."""

    def __new__(cls, fn=None):
        if fn is not None:  # used bare, as torch allows: @no_grad
            return set_grad_enabled(False)(fn)
        return super().__new__(cls)

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """``with enable_grad():`` (or ``@enable_grad()``, or ``@enable_grad``) — record a graph
    even inside no_grad."""

    def __new__(cls, fn=None):
        if fn is not None:  # used bare: @enable_grad
            return set_grad_enabled(True)(fn)
        return super().__new__(cls)

    def __init__(self):
        super().__init__(True)


class module_scope:
    """Used by ``Module.__call__``: nodes created inside are tagged with ``node.modules``
    (the stack of Modules running), so a graph drawing can cluster them by submodule."""

    def __init__(self, module):
        self.module = module

    def __enter__(self):
        _mode.modules = _mode.modules + (self.module,)

    def __exit__(self, *exc):
        _mode.modules = _mode.modules[:-1]
        return False


def is_anomaly_enabled() -> bool:
    return _mode.anomaly


class detect_anomaly:
    """Context manager: the first NaN/Inf produced by an operation (forward or backward)
    raises a ``FloatingPointError`` naming the operation and the line of user code that created
    it. Off by default; when off it costs one attribute lookup per operation."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = None

    def __enter__(self):
        self.prev = _mode.anomaly
        _mode.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self.prev
        return False


_PACKAGE_DIR = None


def _user_frame() -> str:
    """'file:line in function' of the innermost stack frame outside this package (walked with
    ``sys._getframe``: no source lines are read, so anomaly mode stays usable in a loop)."""
    import os
    import sys
    global _PACKAGE_DIR
    if _PACKAGE_DIR is None:
        _PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR):
            return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def _check_finite(array, node, input_index=None, inputs=()) -> None:
    """Under detect_anomaly: raise if ``array`` (the forward output of ``node`` computed from
    ``inputs``, or — with ``input_index`` — the gradient its backward returned for that input)
    holds NaN or Inf."""
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "Inf"
        try:
            op = f"{node.label()} ({node.name()})"
        except Exception:  # a label that needs something backward already freed
            op = node.name()
        where = node.__dict__.get("created_at")   # (a plain getattr would trip on a freed node)
        where = (f"the operation was created at {where}" if where else
                 "where it was created is unknown: run the forward pass inside "
                 "detect_anomaly() too")
        if input_index is None:
            for i, a in enumerate(inputs):   # the values may have come in from outside
                d = getattr(a, "data", None)
                if isinstance(d, np.ndarray) and d.dtype.kind in "fc" and \
                        not np.isfinite(d).all():
                    raise FloatingPointError(
                        f"detect_anomaly: {op} received NaN/Inf values in its input {i} (they "
                        f"were not produced by an operation run under detect_anomaly: check "
                        f"the data and the parameters); {where}")
            raise FloatingPointError(f"detect_anomaly: {op} produced {bad} values in its "
                                     f"forward output; {where}")
        raise FloatingPointError(f"detect_anomaly: {op} returned {bad} values in its gradient "
                                 f"for input {input_index} during backward; {where}")


# ----------------------------------------------------------------------------- Function
class Function:
    """A differentiable primitive, and — once applied — a node of the graph.

    Attributes of a node: ``next_functions`` (for each input: its grad_fn, the leaf Tensor itself
    when it is a leaf that requires grad, or None), ``input_shapes`` (to reduce broadcast
    gradients), ``needs_input_grad``.
    """

    differentiable = True  # False for ops like argmax/comparisons: output never requires grad
    # per-node state, as class-level defaults so that creating a node costs nothing
    _recording = False   # set by apply when the node will be part of a graph
    _saved = ()
    _versions = ()
    _released = False
    _out_array = None
    _pre_hooks = None

    # --- used inside forward -------------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep Tensors (usually inputs) for backward; freed after backward unless retained.
        Their version counters are recorded so that an in-place change before backward is
        detected instead of silently giving a wrong gradient."""
        if self._recording:       # (outside a recorded graph nothing needs keeping)
            self._saved = tensors
            self._versions = [t._version for t in tensors]

    def save_output(self, array) -> None:
        """Keep the forward result for backward (read back with :meth:`output`)."""
        if self._recording:
            self._out_array = array

    # --- used inside backward ------------------------------------------------------------
    @property
    def saved_tensors(self):
        self._check_not_released()
        for i, (t, v) in enumerate(zip(self._saved, self._versions)):
            if t._version != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: input {i} of {self.name()}, of shape {t.shape}, "
                    f"is at version {t._version}; expected version {v} instead")
        return self._saved

    @staticmethod
    def constant(array):
        """Wrap an array (a mask, a sign) as a Tensor that is not differentiated."""
        return _tensor.Tensor(array)

    def output(self):
        """The forward result as a Tensor whose grad_fn is this node, so that a backward
        formula using it is differentiable again (as torch's saved outputs are)."""
        self._check_not_released()
        out = _tensor.Tensor(self._out_array)
        if is_grad_enabled():
            out.requires_grad = True
            out.grad_fn = self
        return out

    def __getattr__(self, name):
        # only reached for a missing attribute: one that release() freed, or a real typo
        if self.__dict__.get("_released"):
            self._check_not_released()
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_not_released(self):
        if self._released:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or to use saved tensors "
                f"of {self.name()} after they were freed). Saved arrays are freed after "
                f"backward(); pass retain_graph=True to the first backward() if you need to "
                f"backward through the graph again.")

    def release(self) -> None:
        """Free the arrays forward saved (called after backward unless retain_graph=True);
        small options (shapes, strides) stay, so the node can still be drawn."""
        d = self.__dict__
        for key in [k for k, v in d.items() if type(v) is np.ndarray]:
            del d[key]
        for key in ("_saved", "_versions", "_out_array"):
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
        Tensor = _tensor.Tensor
        node = cls()
        mode = _mode
        needs = None
        if mode.enabled and cls.differentiable:
            needs = [isinstance(a, Tensor) and a.requires_grad for a in args]
            if True in needs:
                node._recording = True   # forward's save_for_backward keeps what it is given
            else:
                needs = None
        fp_state = _np_fp_state.set(_FP_IGNORE)  # NumPy's overflow/invalid warnings off
        try:
            out = Tensor(node.forward(*args, **kwargs))
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            shapes = " and ".join(str(a.shape) for a in args if isinstance(a, Tensor))
            raise ValueError(f"{node.label()}: shapes {shapes} cannot be broadcast together "
                             f"(sizes must match or be 1, aligned from the right)") from None
        finally:
            _np_fp_state.reset(fp_state)
        if mode.anomaly:
            node.created_at = _user_frame()
            _check_finite(out.data, node, inputs=args)
        if needs is not None:
            node.needs_input_grad = needs
            node.next_functions = tuple([(a.grad_fn or a) if n else None
                                         for a, n in zip(args, needs)])
            node.input_shapes = [a.data.shape if n else None for a, n in zip(args, needs)]
            out.requires_grad = True
            out.grad_fn = node
            if mode.modules:
                node.modules = mode.modules
        return out

    # --- introspection ----------------------------------------------------------------------
    @classmethod
    def name(cls) -> str:
        """torch-style node name: ``MulBackward``."""
        return cls.__name__ + "Backward"

    def label(self) -> str:
        """Short name of the operation as written in code (``mul``, ``conv2d(stride=1, ...)``):
        the class attribute ``op_name`` or the class name in lower case; ops with options
        override it."""
        return getattr(type(self), "op_name", None) or type(self).__name__.lower()

    def register_prehook(self, hook) -> None:
        """``hook(grad)`` runs on the gradient arriving here, before backward, in registration
        order — except retain_grad's (marked ``retains_grad``), which always runs last so that
        the retained ``.grad`` is the gradient after every hook, as in torch."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        self._pre_hooks.sort(key=lambda h: getattr(h, "retains_grad", False))  # stable

    def __repr__(self):
        return f"<{self.name()}>"


# ----------------------------------------------------------------------------- helpers
def sum_to_shape(g, shape):
    """Reduce a broadcast gradient ``g`` back to ``shape`` by summing the broadcast axes.

    Forward broadcasting copies a value along new leading axes and along size-1 axes; the
    adjoint of a copy is a sum, so the gradient is summed over exactly those axes
    (the primitive ``ops.SumToShape``, differentiable like every op).
    """
    if g.data.shape == shape:
        return g
    return SumToShape.apply(g, shape)


def _toposort_counts(roots):
    """Count, for every node reachable from ``roots``, the edges pointing at it (iteratively:
    an explicit stack instead of recursion, so depth is unlimited)."""
    stack = [r for r in roots if isinstance(r, Function)]
    counts = dict.fromkeys(stack, 0)
    while stack:
        for nxt in stack.pop().next_functions:
            if isinstance(nxt, Function):
                if nxt in counts:
                    counts[nxt] += 1
                else:
                    counts[nxt] = 1
                    stack.append(nxt)
    return counts


def run_backward(tensors, grad_tensors, retain_graph: bool, create_graph: bool,
                 inputs=None, allow_unused=False, accumulate=True, observer=None):
    """Backpropagate ``grad_tensors`` from ``tensors`` through the graph.

    With ``accumulate`` (Tensor.backward) leaf gradients are added into ``leaf.grad``;
    otherwise (autograd.grad) the gradients of ``inputs`` are returned and nothing is stored.
    ``observer(node, grad_in, grads_out)``, if given, is called for every node right after its
    backward ran (``grads_out`` already reduced to the inputs' shapes) — the backprop explainer
    uses it to narrate.
    """
    buffers = {}          # node -> accumulated incoming gradient (Tensor)
    leaf_grads = {}       # id(leaf) -> [leaf, grad]
    input_nodes = {}      # for autograd.grad on non-leaf inputs: node -> index in inputs
    if inputs is not None:
        for i, t in enumerate(inputs):
            if t.grad_fn is not None:
                input_nodes.setdefault(t.grad_fn, []).append(i)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    roots = []
    for t, g in zip(tensors, grad_tensors):
        edge = t.grad_fn if t.grad_fn is not None else t
        roots.append(edge)
        _accumulate_into(edge, g, buffers, leaf_grads)

    anomaly = _mode.anomaly
    counts = _toposort_counts(roots)
    ready = [r for r in dict.fromkeys(roots) if isinstance(r, Function) and counts[r] == 0]
    with set_grad_enabled(create_graph), np.errstate(all="ignore"):
        while ready:
            node = ready.pop()
            g = buffers.pop(node)
            if node._pre_hooks:
                for hook in node._pre_hooks:
                    new = hook(g)
                    if new is not None:
                        g = _as_grad(new, g)
            if input_nodes and node in input_nodes:
                for i in input_nodes[node]:
                    captured[i] = g
            if anomaly:  # check what backward returns (below), not its intermediate results
                _mode.anomaly = False
                try:
                    grads = node.backward(g)
                finally:
                    _mode.anomaly = anomaly
            else:
                grads = node.backward(g)
            if type(grads) is not tuple:
                grads = (grads,)
            edges = node.next_functions
            grads = [None if gi is None or edge is None else
                     gi if gi.data.shape == shape else sum_to_shape(gi, shape)
                     for edge, gi, shape in zip(edges, grads, node.input_shapes)]
            if observer is not None:
                observer(node, g, tuple(grads))
            if not retain_graph:
                node.release()
            for i, (edge, gi) in enumerate(zip(edges, grads)):
                if edge is None:
                    continue
                if gi is not None:
                    if anomaly:
                        _check_finite(gi.data, node, i)
                    _accumulate_into(edge, gi, buffers, leaf_grads)
                if isinstance(edge, Function):
                    counts[edge] -= 1
                    if counts[edge] == 0:
                        if edge in buffers:
                            ready.append(edge)
                        else:  # every gradient into it was None: propagate nothing further
                            _skip_subgraph(edge, counts, buffers, ready)

    # leaves: run hooks, then accumulate into .grad or capture for autograd.grad
    for leaf, g in leaf_grads.values():
        if leaf._hooks:
            for hook in leaf._hooks:
                new = hook(g)
                if new is not None:
                    g = _as_grad(new, g)
        if inputs is not None:
            for i, t in enumerate(inputs):
                if t is leaf:
                    captured[i] = g
        if accumulate:
            _accumulate_leaf_grad(leaf, g, create_graph)
    if inputs is not None:
        for i, c in enumerate(captured):
            if c is None and not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}]) appears to not have been "
                    f"used in the graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(captured)
    return None


def _accumulate_leaf_grad(leaf, g, create_graph):
    """leaf.grad += g (or = a copy of g the first time). Outside create_graph the stored
    gradient is a plain array of its own, so later in-place updates (zero_grad, an optimizer)
    can't touch anything else: the same gradient array may also have gone to another leaf
    (``a + b`` hands both the same one), to a hook, or come from the caller's ``gradient=``."""
    Tensor = _tensor.Tensor
    if g.dtype != leaf.dtype:
        g = g.to(leaf.dtype)
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    data = g.data
    leaf.grad = Tensor(data.copy() if leaf.grad is None else leaf.grad.data + data)


def _skip_subgraph(start, counts, buffers, ready):
    """A node that received no gradient at all: treat its inputs as done (iteratively)."""
    stack = [start]
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if isinstance(edge, Function):
                counts[edge] -= 1
                if counts[edge] == 0:
                    (ready if edge in buffers else stack).append(edge)


def _as_grad(new, old):
    Tensor = _tensor.Tensor
    new = new if isinstance(new, Tensor) else Tensor(np.asarray(new, dtype=old.dtype))
    if new.shape != old.shape:
        raise RuntimeError(f"hook returned a gradient of shape {new.shape}, expected {old.shape}")
    return new


def _accumulate_into(edge, g, buffers, leaf_grads):
    if isinstance(edge, Function):
        prev = buffers.get(edge)
        buffers[edge] = g if prev is None else prev + g
    else:
        entry = leaf_grads.get(id(edge))
        if entry is None:
            leaf_grads[id(edge)] = [edge, g]
        else:
            entry[1] = entry[1] + g


def _make_grads(outputs, grad_outputs):
    Tensor = _tensor.Tensor
    grads = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"outputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                f"nothing to backpropagate (did you forget requires_grad=True, or is this "
                f"inside no_grad()?)")
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: this tensor has "
                    f"shape {t.shape}; pass gradient= (a tensor of that shape) to backward()")
            g = Tensor(np.ones(t.shape, dtype=t.dtype))
        else:
            g = g if isinstance(g, Tensor) else Tensor(np.asarray(g, dtype=t.dtype))
            if g.shape != t.shape:
                raise RuntimeError(f"Mismatch in shape: gradient has shape {g.shape} but the "
                                   f"output has shape {t.shape}")
            if g.dtype != t.dtype:  # as torch: the gradient takes the output's dtype
                g = g.to(t.dtype)
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Like ``torch.autograd.backward``: accumulate d(tensors)/d(leaf) into every leaf's .grad."""
    Tensor = _tensor.Tensor
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    grads = _make_grads(tensors, list(grad_tensors))
    retain = create_graph if retain_graph is None else retain_graph
    run_backward(tensors, grads, retain, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Like ``torch.autograd.grad``: return d(outputs)/d(inputs) without touching any .grad."""
    Tensor = _tensor.Tensor
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"inputs[{i}] does not require grad: autograd.grad needs inputs "
                               f"with requires_grad=True")
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grads = _make_grads(outputs, list(grad_outputs))
    retain = create_graph if retain_graph is None else retain_graph
    return run_backward(outputs, grads, retain, create_graph, inputs=inputs,
                        allow_unused=allow_unused, accumulate=False)


from .ops.reduce import SumToShape  # noqa: E402  (the ops need Function, defined above)
