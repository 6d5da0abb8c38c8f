"""Custom ops written as torch writes them::

    class MyExp(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    z = MyExp.apply(x)

``forward`` receives the Tensors themselves and runs with graph recording off; ``ctx`` is the
graph node, with ``save_for_backward``, ``saved_tensors``, ``needs_input_grad`` (one bool per
argument of forward), ``mark_non_differentiable``, ``mark_dirty`` and ``set_materialize_grads``.

torch's other style is accepted too: ``forward(*inputs)`` without ``ctx``, and a
``@staticmethod setup_context(ctx, inputs, output)`` that saves what backward needs
(``inputs``: the tuple of apply's arguments, ``output``: what forward returned).

``ctx.mark_dirty(x)``: forward changed the input ``x`` in place and returns it. Then ``apply``
returns that same Tensor object, now an output of this node (its ``grad_fn`` is ``ctx``), as
torch does for an in-place op; a leaf that requires grad can't be marked (torch's error), nor
can a tensor forward does not return.
``backward`` receives the gradient of each output and returns one gradient (or None) per
argument of forward; written with Tensor operations, it can be differentiated again with
``create_graph=True``.

Several outputs (``return a, b`` — a tuple: ``apply`` returns a tuple, as torch). The engine's
nodes have one output each, so a call with several is two kinds of node: the call itself
(``ctx``, whose edges go to the inputs) and one small :class:`_Output` node per output Tensor,
each with a single edge to ``ctx``. An ``_Output`` node's backward hands its gradient to
``ctx`` and sends the engine a scalar 0 along the edge; the engine counts edges, so ``ctx``
runs once, after every output reached in this backward pass has handed over its gradient.
An output that got none (unused, non-differentiable, an integer tensor) is given zeros of its
shape and dtype, or None after ``ctx.set_materialize_grads(False)``; a non-Tensor output
(passed through unchanged) always gets None.
"""
# house: long file — torch's custom Function protocol (apply, ctx's flags, several outputs,
# once_differentiable, its place in forward AD and torch.func) is one piece.
import functools

import numpy as np

from . import anomaly, function
from .function import Function, _tensor_class
from .grad_mode import _mode, is_grad_enabled, no_grad
from .. import versions

__all__ = ["make_torch_style", "once_differentiable"]


def make_torch_style(cls):
    """Give a torch-style subclass the library's node protocol: ``apply`` and ``backward``."""
    user_forward = _user_method(cls, "forward")
    user_backward = _user_method(cls, "backward")
    if user_backward is None and isinstance(cls.__dict__.get("jvp"), staticmethod):
        user_backward = _no_backward          # (forward mode only: torch's error on backward)
    if user_forward is None or user_backward is None:
        raise TypeError(f"{cls.__name__}: a Function with a @staticmethod forward(ctx, ...) "
                        f"needs a @staticmethod backward(ctx, *grad_outputs) too")
    cls._torch_forward, cls._torch_backward = user_forward, user_backward
    setup = _user_method(cls, "setup_context")
    cls._torch_setup_context = setup
    internal = cls.__module__.split(".")[0] == __name__.split(".")[0]    # (the library's own
                                        # Functions, e.g. module backward hooks', run anywhere)

    def apply(*args, **kwargs):
        if _mode.profiler is not None and _mode.profiler.claim(cls):    # torch.profiler: one
            return _mode.profiler.custom(cls, args, kwargs)            # range, the class name
        if TRANSFORMS and not internal:
            _check_transformable(cls, setup)
        if function._dual is not None:        # a forward AD level is open: jvp gives tangents
            from .forward_ad import custom_apply
            return custom_apply(cls, functools.partial(_apply, cls, user_forward, args, kwargs,
                                                       setup), args)
        return _apply(cls, user_forward, args, kwargs, setup)

    def backward(self, grad):
        return _backward(self, user_backward, grad)

    cls.apply = staticmethod(apply)
    cls.backward = backward
    cls.forward = staticmethod(user_forward)
    cls.rule = cls.rule or f"z = {cls.__name__}(…)  (a custom op)"
    cls.saved_tensors = property(_saved_tensors)
    cls.mark_non_differentiable = _mark_non_differentiable
    cls.mark_dirty = _mark_dirty
    cls.set_materialize_grads = _set_materialize_grads
    cls.save_for_forward = _save_for_forward
    for name, default in (("vmap", _vmap), ("jvp", _jvp), ("generate_vmap_rule", False)):
        if getattr(cls, name, None) is None:
            setattr(cls, name, default)
    cls.__call__ = _call


TRANSFORMS = []   # the torch.func transforms now running ("grad" and the like, "vmap")


def _check_transformable(cls, setup):
    """torch's refusals of a custom Function inside torch.func's transforms: it must have a
    ``setup_context`` (forward without ctx), and inside ``vmap`` a ``vmap`` staticmethod or
    ``generate_vmap_rule = True`` (here every transform runs the Function as it is; see
    :func:`tinygrad_sgd.func.vmap`)."""
    see = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"
    if setup is None:
        raise RuntimeError(f"In order to use an autograd.Function with functorch transforms "
                           f"(vmap, grad, jvp, jacrev, ...), it must override the setup_context "
                           f"staticmethod. {see}")
    if "vmap" in TRANSFORMS and not cls.generate_vmap_rule and cls.vmap is _vmap.__func__:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap "
                           f"support. Please override and implement the vmap staticmethod or "
                           f"set generate_vmap_rule=True. {see}")


@staticmethod
def _vmap(info, in_dims, *args):
    raise NotImplementedError("To use autograd.Function with vmap, you must either override the "
                              "vmap staticmethod or set generate_vmap_rule=True.")


@staticmethod
def _jvp(ctx, *grad_inputs):
    raise NotImplementedError("You must implement the jvp function for custom autograd.Function "
                              "to use it with forward mode AD.")


def _no_backward(ctx, *grads):
    raise NotImplementedError("You must implement either the backward or vjp method for your "
                              "custom autograd.Function to use it with backward mode AD.")


def _save_for_forward(ctx, *tensors):
    """Keep Tensors for ``jvp`` (forward AD), where ``ctx.saved_tensors`` gives them."""
    if not all(t is None or isinstance(t, _tensor_class()) for t in tensors):
        raise AssertionError("save_for_forward expects all arguments to be tensors; you should "
                             "save non-tensors as attributes on ctx.")
    ctx.saved_for_forward = tensors


def _call(self, *args, **kwargs):
    raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                       "Please use new-style autograd function with static forward method. "
                       "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd."
                       "Function)")


def _user_method(cls, name):
    """The user's ``@staticmethod`` ``name`` (forward or backward): this class's own, or the
    one a torch-style base class was given (a subclass may override only one of them)."""
    own = cls.__dict__.get(name)
    if isinstance(own, staticmethod):
        return own.__func__
    return getattr(cls, f"_torch_{name}", None)


def _saved_tensors(ctx):
    """The saved Tensors; an output of the op, if saved, comes back as that output of this node
    (so a backward that uses it can be differentiated again, as in torch)."""
    saved = Function.saved_tensors.fget(ctx)
    slots = ctx.__dict__.get("_saved_output_slots", ())
    if isinstance(slots, dict):          # several outputs: slot -> output number
        return tuple(_saved_output(ctx, slots[i]) if i in slots else t
                     for i, t in enumerate(saved))
    return tuple(ctx.output() if i in slots else t for i, t in enumerate(saved))


def _mark_non_differentiable(ctx, *tensors):
    ctx._non_differentiable = {id(t) for t in tensors}


def _mark_dirty(ctx, *tensors):
    ctx._dirty = {id(t): t for t in tensors}


def _dirty_outputs(ctx, outs):
    """Check what forward marked dirty (torch's checks): each must be returned, and none may be
    a leaf that requires grad. Returns the ids of the dirty outputs."""
    dirty = ctx.__dict__.pop("_dirty", None)
    if not dirty:
        return ()
    returned = {id(o) for o in outs}
    if any(i not in returned for i in dirty):
        raise RuntimeError("Some elements marked as dirty during the forward method were not "
                           "returned as output. The inputs that are modified inplace must all "
                           "be outputs of the Function.")
    for t in dirty.values():
        if t.requires_grad and t.grad_fn is None and is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad has been used in an "
                               "in-place operation.")
    for t in dirty.values():              # (torch counts the marking as a change too)
        versions.bump(t.array)
    return set(dirty)


def _output_tensor(out, dirty, node, args=(), outs=()):
    """The Tensor ``apply`` returns for output ``out`` of node ``node``: ``out`` itself, given
    ``node`` as its grad_fn, when forward made it afresh (as torch: a tensor forward kept,
    ``ctx.result = out``, is then the output, and ``jvp`` or a double backward sees its
    graph); a new one when forward returns an input, a view or a tensor returned twice; or
    ``out`` itself when marked dirty, rewired (and its base's graph too, when it is a view:
    as an in-place op's, see functions.inplace)."""
    Tensor = _tensor_class()
    if id(out) not in dirty and _fresh(out, args, outs):
        out.requires_grad, out.grad_fn = True, node
        return out
    if id(out) not in dirty:
        result = Tensor._of(out.array)
        result.requires_grad, result.grad_fn = True, node
        base = out._view_base         # as torch's, a view of what forward's result views
        if base is None and any(out is a for a in args):    # (an input returned: of it)
            base = out
        if base is not None and not base._inference:
            result._view_base = base
        return result
    from ..functions import inplace
    view = inplace._written_view(out)
    new = Tensor._of(out.array)
    new.requires_grad, new.grad_fn = True, node
    out.grad_fn, out._requires_grad = node, True
    if view is not None:
        inplace._rebase(out, new, *view)
    elif out.__dict__.get("_views"):
        inplace._remake_views(out)
    return out


def _fresh(out, args, outs):
    """Did forward make ``out`` itself: no graph, no view and no memory of an input's, not a
    view nor viewed, returned once?"""
    d = out.__dict__
    if out.requires_grad or out.grad_fn is not None or d.get("_view") is not None or \
            d.get("_views") or d.get("_no_grad_view") or sum(o is out for o in outs) > 1:
        return False
    Tensor = _tensor_class()
    return not any(isinstance(a, Tensor) and np.may_share_memory(out.array, a.array)
                   for a in args)


def _mark_input_views(ctx, args, outs, results, dirty):
    """As torch: an output sharing an input's memory (the input returned as-is, or a view of
    it) is a view made in a custom Function, which an in-place op with grad mode on refuses
    (:func:`~tinygrad_sgd.functions.inplace.inplace`): its graph could not be rewired around
    the custom backward. Marked ``_custom_view``, or ``_multi_output_view`` (torch's message
    for a function returning several views) when the call has several outputs."""
    Tensor = _tensor_class()
    arrays = [a.array for a in args if isinstance(a, Tensor)]
    several = sum(isinstance(o, Tensor) for o in outs) > 1
    for i, (o, r) in enumerate(zip(outs, results)):
        if isinstance(r, Tensor) and r.grad_fn is not None and id(o) not in dirty and \
                any(np.may_share_memory(r.array, a) for a in arrays):
            setattr(r, "_multi_output_view" if several else "_custom_view",
                    (type(ctx).__name__, i))


def _set_materialize_grads(ctx, value):
    ctx._materialize_grads = bool(value)


def _differentiable(ctx, t):
    """Does output ``t`` join the graph? Not if marked non-differentiable, nor an integer or
    bool tensor (torch: only floating-point and complex tensors can require gradients)."""
    return (id(t) not in ctx.__dict__.get("_non_differentiable", ())
            and t.array.dtype.kind in "fc")


def _apply(cls, forward, args, kwargs, setup=None, ctx=None):
    Tensor = _tensor_class()
    ctx = cls() if ctx is None else ctx
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx.needs_input_grad = needs
    record = _mode.enabled and any(needs)
    ctx._recording = record
    with no_grad():
        if setup is None:
            out = forward(ctx, *args, **kwargs)
        else:                                 # forward without ctx, then setup_context
            out = forward(*args, **kwargs)
            setup(ctx, args, out)
    dirty = _dirty_outputs(ctx, out if isinstance(out, tuple) else (out,))
    if ctx._saved:        # torch saves when forward is done: in-place changes made in it count
        ctx._versions = [None if t is None else t._version for t in ctx._saved]
    if isinstance(out, tuple):
        return _apply_several(ctx, args, needs, out, dirty) if record else out
    if isinstance(out, np.ndarray):       # (torch passes it through; here, a likely slip)
        raise TypeError(f"{cls.__name__}.forward must return a Tensor (or a tuple), got "
                        f"ndarray: wrap it, from_numpy(array), to join the graph")
    if not isinstance(out, Tensor) or not record or not _differentiable(ctx, out):
        return out          # (another non-Tensor result is passed through, as torch)
    _link(ctx, args, needs)
    result = _output_tensor(out, dirty, ctx, args, (out,))
    _mark_input_views(ctx, args, (out,), (result,), dirty)
    slots = [i for i, t in enumerate(ctx._saved) if t is out]
    if slots:
        ctx._saved_output_slots = slots
        ctx.save_output(out.array)
    return result


def _link(ctx, args, needs):
    """Make ``ctx`` a node of the graph: its number and its edges to the inputs."""
    ctx.sequence_nr = next(function._sequence)
    ctx._edges = tuple((a.grad_fn or function.leaf_edge(a)) if n else None
                       for a, n in zip(args, needs))
    Tensor = _tensor_class()
    ctx._tensor_inputs = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    ctx.input_shapes = [a.array.shape if n else None for a, n in zip(args, needs)]
    if _mode.modules:
        ctx.modules = _mode.modules
    if _mode.anomaly:                         # (for the warning if its backward fails)
        ctx.created_at = anomaly.user_frame()


# ----------------------------------------------------------------------------- several outputs
class _Output(Function):
    """Output ``index`` of a custom Function's call with several outputs. Its backward passes
    the gradient to the call (``ctx``) and the engine a scalar 0 along its one edge; the
    call's backward gathers them (see the module docstring). It reads as the call: its name
    is the call's (``<Class>Backward``, as every output's grad_fn in torch), and attributes
    forward set on ``ctx`` are read through it (``out[1].grad_fn.my_flag``)."""
    inputs = ("call",)
    rule = "z = one output of a custom Function's call"
    derivatives = ("dz/dcall: the gradient joins the call's others, for its backward",)
    op_name = "output"

    def name(self):
        return self.ctx.name()

    def _as_torch_edge(self):          # torch: one node for the call, edges by output index
        return self.ctx, self.index

    def label(self):
        return f"{self.ctx.label()}[{self.index}]"

    def backward(self, g):
        self.ctx.__dict__.setdefault("_grads_in", {})[self.index] = g
        return _tensor_class()._of(np.zeros((), dtype=g.array.dtype))

    def __getattr__(self, name):
        ctx = self.__dict__.get("ctx")
        if ctx is None or name.startswith("__"):
            return Function.__getattr__(self, name)
        return getattr(ctx, name)


def _apply_several(ctx, args, needs, outs, dirty=()):
    """Link a call that returned a tuple: the call node, then one _Output node per output that
    can carry a gradient; everything else is returned as forward gave it."""
    Tensor = _tensor_class()
    _link(ctx, args, needs)
    ctx._output_specs = [(o.array.shape, o.array.dtype) if isinstance(o, Tensor) else None
                         for o in outs]
    ctx._outputs = outputs = [None] * len(outs)
    results = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor) or not _differentiable(ctx, o):
            results.append(o)
            continue
        node = _Output()
        node.ctx, node.index = ctx, i
        node.sequence_nr = next(function._sequence)
        node._edges, node.input_shapes = (ctx,), [()]
        if _mode.modules:
            node.modules = _mode.modules
        outputs[i] = node
        results.append(_output_tensor(o, dirty, node, args, outs))
    _mark_input_views(ctx, args, outs, results, dirty)
    saved = {}
    for slot, t in enumerate(ctx._saved):
        for i, o in enumerate(outs):
            if t is o and outputs[i] is not None:
                saved[slot] = i
                ctx.__dict__[f"_output_array_{i}"] = o.array   # freed by release()
                ctx.__dict__[f"_output_version_{i}"] = versions.version_of(o.array)
    if saved:
        ctx._saved_output_slots = saved
    return tuple(results)


def _saved_output(ctx, i):
    """Saved output ``i`` as a Tensor whose grad_fn is its _Output node (checked against
    in-place changes, like every saved tensor)."""
    array = ctx.__dict__[f"_output_array_{i}"]
    expected, now = ctx.__dict__[f"_output_version_{i}"], versions.version_of(array)
    if now != expected:
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: output {i} of {ctx.name()}, of shape {array.shape}, is at "
            f"version {now}; expected version {expected} instead")
    out = _tensor_class()._of(array)
    if is_grad_enabled():
        out.requires_grad, out.grad_fn = True, ctx._outputs[i]
    return out


def _gathered_grads(ctx):
    """One gradient per output of a call with several: what its _Output nodes handed over,
    zeros (or None, see set_materialize_grads) for the outputs that got none."""
    got = ctx.__dict__.pop("_grads_in", {})
    materialize = ctx.__dict__.get("_materialize_grads", True)
    Tensor = _tensor_class()
    grads = []
    for i, spec in enumerate(ctx._output_specs):
        g = got.get(i)
        if g is None and spec is not None and materialize:
            g = Tensor._of(np.zeros(spec[0], dtype=spec[1]))
        grads.append(g)
    return grads


# ----------------------------------------------------------------------------- backward
def _backward(ctx, user_backward, grad):
    if "_output_specs" in ctx.__dict__:   # several outputs: ``grad`` is the engine's sum of 0s
        grads = user_backward(ctx, *_gathered_grads(ctx))
    else:
        grads = user_backward(ctx, grad)
    if not isinstance(grads, tuple):
        grads = (grads,)
    expected = len(ctx.needs_input_grad)
    if len(grads) > expected and all(g is None for g in grads[expected:]):
        grads = grads[:expected]          # extra Nones (a defaulted forward argument) dropped
    if len(grads) != expected:
        raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients "
                           f"(expected {expected}, got {len(grads)})")
    Tensor = _tensor_class()
    out = []
    for i, (g, needed) in enumerate(zip(grads, ctx.needs_input_grad)):
        if g is not None and not isinstance(g, Tensor):
            raise RuntimeError(f"expected Variable or None (got {type(g).__name__}): function "
                               f"{ctx.name()} returned a gradient of type "
                               f"{type(g).__name__} for input {i}")
        out.append(g if needed else None)
    return tuple(out)


# ----------------------------------------------------------------------------- once_differentiable
class _DelayedError(Function):
    """Stands after the gradients of a ``@once_differentiable`` backward: differentiating
    through them again raises, as torch's DelayedError."""
    rule = "z = x (the gradient of a once-differentiable backward)"
    derivatives = ("dz/dx: not available (the backward was marked @once_differentiable)",)
    grad_fn_name = "DelayedError"
    op_name = "delayed_error"

    def forward(self, x):
        return x.array

    def backward(self, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn):
    """Decorate a custom Function's backward that is not written with differentiable Tensor
    operations (it may work on ``.array``s): it runs with graph recording off, and asking for
    its own gradient (second order) raises instead of silently giving a wrong one. Write
    ``@staticmethod`` above it, as in torch."""
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with no_grad():
            outputs = fn(ctx, *args, **kwargs)
        Tensor = _tensor_class()
        if not is_grad_enabled() or not any(isinstance(a, Tensor) and a.requires_grad
                                            for a in args):
            return outputs
        several = isinstance(outputs, tuple)
        wrapped = tuple(_DelayedError.apply(_requiring_grad(v)) if isinstance(v, Tensor) else v
                        for v in (outputs if several else (outputs,)))
        return wrapped if several else wrapped[0]
    return wrapper


def _requiring_grad(v):
    """A detached copy of a gradient that requires grad, so that the DelayedError node is
    linked into the graph (torch's ``fake_requires_grad``)."""
    t = _tensor_class()._of(v.array)
    t.requires_grad = True
    return t
