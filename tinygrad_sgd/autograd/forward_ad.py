"""``torch.autograd.forward_ad``: forward-mode AD with dual tensors, as torch's API::

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)     # x carries (primal, tangent)
        y = f(x)                                      # every op carries the tangent on
        value, jvp = forward_ad.unpack_dual(y)        # jvp = J_f(primal) · tangent

How an op's tangent is found. An op's backward is a vector-Jacobian product ``u -> J^T u``,
written with Tensor operations, so it can itself be differentiated. It is linear in the dummy
``u``, and the scalar ``<J^T u, t> = <u, J t>`` has gradient ``J t`` with respect to ``u``: the
output tangent is one backward through the op's own backward (the "double-vjp trick", as
:func:`tinygrad_sgd.func.jvp` does for a whole function, here per op as it runs). View ops
(a slice, ``reshape``, ``t()``) are linear and their result shares its input's memory: their
tangent is the same view of the input's tangent, so an in-place write into a view changes its
base's tangent too, as torch's. An in-place op writes its result's tangent into the tensor's
own (see :func:`inplace_tangent`). A custom ``autograd.Function`` uses its ``jvp``.

Cost: while no level is open, an op pays one flag check (``function._dual`` in
``Function.apply``); inside a level every op keeps what its backward needs, and an op with a
tangent input runs its backward and a second backward — a few times the op's cost.

As torch: one level at a time (a nested one is refused); an output gets no tangent when no
input has one or it is not floating point; ``detach()`` drops it; leaving the level drops
every tangent made in it. Tangents are differentiable in reverse mode where grad mode records
(forward-over-reverse). (Here, a tangent is kept on the tensor as ``_fw_grad``.)
"""
import re
import weakref
from typing import TYPE_CHECKING, NamedTuple, Optional

import numpy as np

from . import function, graph
from .function import Function, _tensor_class
from .grad_mode import _mode, decorate, enable_grad, no_grad as _no_grad

if TYPE_CHECKING:
    from ..tensor import Tensor

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

_current_level = -1
_holders = weakref.WeakSet()     # the tensors given a tangent in the open level
_nodes = weakref.WeakSet()       # the ops that keep their result's tangent (for backward)


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the primal and the tangent (None if it has none)."""
    primal: "Tensor"
    tangent: Optional["Tensor"]


def enter_dual_level():
    """Open a forward AD level (there can be one at a time, as in torch); returns its number."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    Function._recording = True      # every op keeps what its backward needs (see module doc)
    function._dual = _propagate      # (global, as torch's level; see Function.apply)
    return _current_level


def exit_dual_level(*, level=None):
    """Close the forward AD level: every tangent made in it is dropped."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    function._dual = None
    Function._recording = False
    for t in list(_holders):
        t.__dict__.pop("_fw_grad", None)
    _holders.clear()
    for node in list(_nodes):
        node.__dict__.pop("_out_tangent", None)
    _nodes.clear()
    _current_level = level - 1


class dual_level:
    """``with dual_level():`` — the forward AD level, entered and exited; or a decorator."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False

    def __call__(self, fn):
        return decorate(dual_level, fn)


def make_dual(tensor, tangent, *, level=None):
    """A new tensor sharing ``tensor``'s memory (a view: gradients flow back to ``tensor``)
    with ``tangent`` as its tangent: kept as it is (also of another floating dtype, as torch)
    when it has the same memory layout (strides), else a copy."""
    if level is None and _current_level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    for name, t in (("primal", tensor), ("tangent", tangent)):
        if not (t.is_floating_point() or t.is_complex()):
            raise ValueError(f"Expected {name} to be floating point or complex, but got: "
                             f"{t.dtype}")
    if level is not None and _current_level < 0:
        raise RuntimeError("Trying to access a forward AD level with an invalid index. This "
                           "index was either not created or is already deleted.")
    if level is not None and level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if tensor.__dict__.get("_fw_grad") is not None:
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {_current_level} is not supported.")
    if tangent.shape != tensor.shape:
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if tangent.stride() != tensor.stride():     # another memory layout: copied, as torch
        tangent = tangent.contiguous() if tensor.is_contiguous() else tangent.clone()
    out = tensor.view_as(tensor)
    _set(out, tangent)
    return out


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: the primal a view of ``tensor`` without a tangent (gradients flow
    back through it), the tangent as it is kept, or None. Outside a level (and no ``level``
    given): ``(tensor, None)``."""
    if level is None and _current_level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, _tensor_class()):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    tangent = tensor.__dict__.get("_fw_grad")
    if tangent is not None and level not in (None, _current_level):
        raise RuntimeError("Invalid level given to _fw_primal")
    primal = tensor.view_as(tensor)
    primal.__dict__.pop("_fw_grad", None)
    return UnpackedDualTensor(primal, tangent)


def tangent_of(t):
    """``t``'s tangent in the open level, or None (also for what is not a Tensor)."""
    return getattr(t, "__dict__", {}).get("_fw_grad")


def level_open():
    """Is a forward AD level open?"""
    return function._dual is not None


def dual(*tensors):
    """Is a level open and does one of ``tensors`` carry a tangent? (For the functions that
    skip their graph op when nothing requires grad: with a tangent they need it.)"""
    return function._dual is not None and any(tangent_of(t) is not None for t in tensors)


def refuse(name, planned=False, *tensors):
    """torch's error where forward AD reaches a function without a forward derivative, when a
    level is open and one of ``tensors`` carries a tangent (all of them if none are given)."""
    if tensors and not dual(*tensors):
        return
    more = (" because it has not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so "
            "that we can prioritize its implementation or submit a PR adding the "
            "implementation to derivatives.yaml") if planned else "."
    raise NotImplementedError(f"Trying to use forward AD with {name} that does not support "
                              f"it{more}")


_NO_DERIVATIVE = re.compile(r"derivative for (aten::\S+) is not implemented")


def _set(t, tangent):
    t._fw_grad = tangent
    _holders.add(t)


# ----------------------------------------------------------------------------- the ops
def _propagate(node, args, kwargs, out):
    """Called by ``Function.apply`` inside a level: give ``out`` (the result of ``node``'s op
    on ``args``) its tangent, when an input has one. Returns ``out``."""
    tangents = [tangent_of(a) for a in args]
    if not any(t is not None for t in tangents) or out.array.dtype.kind not in "fc" or \
            not type(node).differentiable:
        return out
    cls = type(node)
    if cls.is_view and tangents[0] is not None and \
            not any(t is not None for t in tangents[1:]) and \
            np.may_share_memory(out.array, args[0].array):
        tangent = cls.apply(tangents[0], *args[1:], **kwargs)     # the same view of it
    elif cls.linear:          # the op on the tangents (zeros for an input without one): a
        tangent = _linear(cls, args, tangents, kwargs)   # place written twice keeps one
    elif cls.diagonal and tangents[0] is not None and tangents[0].shape == out.shape:
        tangent = _diagonal(node, tangents[0])
    else:
        tangent = _jvp(node, args, tangents, out)
    _set(out, tangent)
    if "_out_array" in node.__dict__:       # its backward reads its result (Function.output):
        node._out_tangent = tangent         # that carries the tangent too, as torch's saved
        _nodes.add(node)                    # result (forward-over-reverse)
    return out


def _linear(cls, args, tangents, kwargs):
    """The tangent of an op that is linear in its float Tensor inputs (``Function.linear``):
    the op itself on their tangents. The double-vjp trick would give the transpose of its
    backward, which differs where torch's backward is not the derivative: a place written
    twice (scatter, index_put, index_copy, put, max_unpool, ``x[i] = v``) sends its gradient
    to every writer, while the value, and torch's tangent, is the last one's; an embedding's
    ``padding_idx`` row and ``scale_grad_by_freq`` change its gradient but not its value."""
    Tensor = _tensor_class()
    given = [t if t is not None else a.new_zeros(a.shape)
             if isinstance(a, Tensor) and a.array.dtype.kind in "fc" else a
             for a, t in zip(args, tangents)]
    function._dual = None
    try:
        return cls.apply(*given, **kwargs)
    finally:
        function._dual = _propagate


def _diagonal(node, tangent):
    """The tangent of a one-input elementwise op (``Function.diagonal``): its backward
    applied to the tangent, as torch's forward formulas are its backward's. The double-vjp
    trick differentiates that backward instead, and where it is masked (sinc's derivative at
    0, logit's outside its eps clamp) 0·NaN gave NaN where torch's tangent is 0."""
    was_slices, _mode.slice_grads = _mode.slice_grads, False
    hooks = graph._stack[:]
    graph._stack.clear()
    function._dual = None
    try:
        with enable_grad() if tangent.requires_grad else _no_grad():
            out = node.backward(tangent)
    finally:
        function._dual = _propagate
        _mode.slice_grads = was_slices
        graph._stack[:] = hooks
    out = out[0] if isinstance(out, tuple) else out
    return out if tangent.requires_grad else out.detach()


def _jvp(node, args, tangents, out):
    """``J t`` for one op, by the double-vjp trick (see the module docstring)."""
    from .engine import grad, sum_to_shape
    Tensor = _tensor_class()
    record = _mode.enabled and any(getattr(a, "requires_grad", False) or
                                   (t is not None and t.requires_grad)
                                   for a, t in zip(args, tangents))
    d = node.__dict__
    kept = {k: d[k] for k in ("needs_input_grad", "input_shapes") if k in d}
    node.needs_input_grad = [isinstance(a, Tensor) and (a.requires_grad or t is not None)
                             for a, t in zip(args, tangents)]
    node.input_shapes = [a.shape if isinstance(a, Tensor) else None for a in args]
    was_slices, _mode.slice_grads = _mode.slice_grads, False
    hooks = graph._stack[:]                # (saved_tensors_hooks are for the user's graphs)
    graph._stack.clear()
    function._dual = None                  # (the trick's own ops carry no tangents)
    try:
        with enable_grad():
            # the tangent's dtype, as torch's: a cast's result's, else promoted with the inputs'
            dtype = out.array.dtype if type(node).converts_dtype else np.result_type(
                out.array.dtype, *[t.array.dtype for t in tangents if t is not None])
            # (any u gives the same J t, the vjp being linear in it; ones, not zeros: a
            # backward may branch on g's sign or take log|g| — logcumsumexp's does — and is
            # then not differentiable at 0)
            u = Tensor._of(np.ones(out.shape, dtype=dtype))
            u.requires_grad = True
            grads = node.backward(u)
            grads = grads if isinstance(grads, tuple) else (grads,)
            total = None
            for a, g, t in zip(args, grads, tangents):
                if t is None or g is None:
                    continue
                if g.shape != a.shape:
                    g = sum_to_shape(g, tuple(a.shape))
                term = (g * t).sum()
                total = term if total is None else total + term
            jt = None
            if total is not None and total.requires_grad:
                jt = grad(total, u, allow_unused=True, create_graph=record)[0]
    except RuntimeError as e:           # an op with no derivative: torch's forward AD error
        found = _NO_DERIVATIVE.search(str(e))
        if found is None:
            raise
        refuse(found.group(1))
    finally:
        function._dual = _propagate
        _mode.slice_grads = was_slices
        graph._stack[:] = hooks
        for k in ("needs_input_grad", "input_shapes"):
            d.pop(k, None)
        d.update(kept)
    if jt is None:
        return Tensor._of(np.zeros(out.shape, dtype=dtype))
    return jt if record else jt.detach()


def inplace_tangent(t, result):
    """After an in-place op wrote ``result`` into ``t``: ``t``'s tangent becomes ``result``'s
    (zeros if it has none), written into the tangent ``t`` has — so that the tangents of
    ``t``'s views and base follow, as torch's — or into the part of its base's tangent that
    ``t`` views (made zeros first if the base has none)."""
    new, old = tangent_of(result), tangent_of(t)
    if new is None and old is None:
        return
    if old is None:
        view = t.__dict__.get("_view")
        if view is not None and view[1] is not None and np.may_share_memory(view[0].array,
                                                                            t.array):
            base, replay = view
            if tangent_of(base) is None:
                _set(base, base.new_zeros(base.shape))
            old = replay(tangent_of(base))
        else:
            old = t.new_zeros(t.shape)
        _set(t, old)
    if new is None:
        old.array[...] = 0
    else:
        np.copyto(old.array, np.broadcast_to(new.array, old.shape), casting="unsafe")


def custom_apply(cls, run, args):
    """A custom ``autograd.Function``'s call inside a level (``run(ctx=ctx)`` is its plain
    call): forward runs without tangents, then, if an input has one, ``cls.jvp(ctx, *input
    tangents)`` (zeros for a Tensor input without one, None for another argument; in it
    ``ctx.saved_tensors`` are what ``ctx.save_for_forward`` kept) gives the outputs' tangents.
    Without a ``jvp``: torch's NotImplementedError."""
    Tensor = _tensor_class()
    tangents = [tangent_of(a) for a in args]
    if not any(t is not None for t in tangents):
        return run()
    ctx = cls()
    function._dual = None
    try:
        out = run(ctx=ctx)
        d = ctx.__dict__
        kept = {k: d[k] for k in ("_saved", "_versions", "_saved_output_slots") if k in d}
        if "saved_for_forward" in d:
            d.pop("_saved_output_slots", None)
            ctx._saved = tuple(ctx.saved_for_forward)
            ctx._versions = [None if t is None else t._version for t in ctx._saved]
        given = [t if t is not None else a.new_zeros(a.shape) if isinstance(a, Tensor) else None
                 for a, t in zip(args, tangents)]
        try:
            out_tangents = cls.jvp(ctx, *given)
        finally:
            for k in ("_saved", "_versions", "_saved_output_slots"):
                d.pop(k, None)
            d.update(kept)
    finally:
        function._dual = _propagate
    outs = out if isinstance(out, tuple) else (out,)
    out_tangents = out_tangents if isinstance(out_tangents, tuple) else (out_tangents,)
    if len(out_tangents) != len(outs):
        raise RuntimeError(f"jvp() returned an incorrect number of outputs (expected "
                           f"{len(outs)}, got {len(out_tangents)})")
    for o, t in zip(outs, out_tangents):
        if isinstance(o, Tensor) and t is not None and o.array.dtype.kind in "fc":
            _set(o, t)
    return out
