"""Where gradients are kept: a leaf's ``.grad`` (torch's AccumulateGrad) and a non-leaf's
after ``retain_grad()``. The walk (:mod:`.engine`) calls :func:`accumulate_leaf_grad` for
every leaf it reaches, and runs the hook :func:`retain_grad` put on a node with the node's
other hooks.
"""
import warnings
import weakref

import numpy as np

from .. import meta
from ..errors import warn_level
from ..meta import MetaArray
from .function import _tensor_class
from .grad_mode import _mode

__all__ = ["accumulate_leaf_grad", "retain_grad", "follow_in_place_changes",
           "warn_create_graph", "as_grad_dtype", "refuse_swapped_leaf"]


# ----------------------------------------------------------------------------- leaves
SWAPPED = ("Trying to execute AccumulateGrad node that was poisoned by swap_tensors this can "
           "happen when you try to run backward on a tensor that was swapped. For a module m "
           "with `torch.__future__.set_swap_module_params_on_conversion(True)` you should not "
           "change the device or dtype of the module (e.g. `m.cpu()` or `m.half()`) between "
           "running forward and backward. To resolve this, please only change the device/dtype "
           "before running forward (or after both forward and backward).")


def refuse_swapped_leaf(leaf, node):
    """``swap_tensors`` gave ``leaf`` (a leaf that required grad) other contents after ``node``,
    which hands it a gradient, was recorded: as torch's poisoned AccumulateGrad, refuse. (A
    node recorded after the swap is the new contents' own.)"""
    if node.sequence_nr is not None and node.sequence_nr < leaf.__dict__["_swapped_at"]:
        raise RuntimeError(SWAPPED)


def accumulate_leaf_grad(leaf, g, create_graph):
    """leaf.grad += g, as torch's AccumulateGrad: the first time a copy of g (a tensor of its
    own: the same gradient may also have gone to another leaf — ``a + b`` hands both the same
    one —, to a hook, or come from the caller's ``gradient=``); after that, outside
    create_graph, added into the existing ``.grad`` tensor in place (the same object, its
    memory — a buffer the user assigned included —, its version bumped, and its graph, if a
    create_graph backward gave it one, kept); under create_graph, ``leaf.grad + g``, a new
    tensor whose graph records the sum."""
    if _mode.profiler is not None:      # torch.profiler records: timed as torch's AccumulateGrad
        return _mode.profiler.accumulate(_accumulate_leaf_grad, leaf, g, create_graph)
    _accumulate_leaf_grad(leaf, g, create_graph)


def _accumulate_leaf_grad(leaf, g, create_graph):
    if not leaf.requires_grad:       # switched off (requires_grad_(False)) after the forward
        return
    node = leaf.__dict__.get("_grad_accumulator_kept")     # its AccumulateGrad's hooks
    for hook in list(node._pre_hooks) if node is not None else ():
        new = hook(g)
        g = g if new is None else new
    want = leaf.__dict__.get("_grad_dtype", leaf.dtype)      # (None: Tensor.grad_dtype's
    if want is not None and g.dtype != want:                # "any dtype")
        g = g.to(want)
    old = leaf._grad
    if type(g.array) is MetaArray or type(leaf.array) is MetaArray:
        leaf._grad = meta.accumulate_grad(leaf, old, g, create_graph)   # (no values: see meta)
    elif old is None:                # (g has the leaf's shape and dtype: set without checks)
        leaf._grad = _first_grad(leaf, g, create_graph)
    else:
        if old.shape != g.shape:      # (``.data`` of another shape given since: torch's words)
            from ..functions.distance import broadcast_shape
            broadcast_shape(old.shape, g.shape)
        leaf._grad = old + g if create_graph else _added_in_place(old, g.array)
    for hook in leaf.__dict__.get("_post_accumulate_grad_hooks", ()):
        hook(leaf)
    for hook in list(node._post_hooks) if node is not None else ():
        hook((), (g,))


def _first_grad(leaf, g, create_graph):
    """A leaf's first ``.grad``: a copy of g laid out as torch's "gradient layout contract"
    says (``clone_obey_contract``): with the leaf's strides where the leaf is dense and
    non-overlapping (a channels-last or transposed leaf gets a grad of its layout), else
    contiguous. (torch may instead take g itself when nobody else holds it; its strides then
    obey the same contract.)"""
    la = leaf.array
    if la.flags.c_contiguous or not la.size:        # (every parameter of a model: cheap)
        if create_graph and g.requires_grad:
            return g.clone(memory_format=_contiguous_format())
        return _tensor_class()._of(g.array.copy())
    steps = _dense_strides(leaf)
    if steps is None:
        if create_graph and g.requires_grad:
            return g.clone(memory_format=_contiguous_format())
        return _tensor_class()._of(np.array(g.array, order="C"))
    out = np.lib.stride_tricks.as_strided(np.empty(la.size, g.array.dtype), la.shape,
                                          [st * g.array.itemsize for st in steps])
    grad = _tensor_class()._of(out)
    grad._torch_strides = True
    if create_graph and g.requires_grad:
        return grad.copy_(g)            # (recorded: the copy's graph leads back to g's)
    np.copyto(out, g.array)
    return grad


def _dense_strides(t):
    """``t``'s strides (torch's, in elements) where it is non-overlapping and dense (its
    elements fill a block of memory, each once, in some order of dims), else None."""
    from ..creation import torch_strides
    steps = torch_strides(t)
    expected = 1
    for st, n in sorted((st, n) for n, st in zip(t.array.shape, steps) if n != 1):
        if st != expected:
            return None
        expected *= n
    return steps


def _contiguous_format():
    from ..functions.memory_formats import contiguous_format
    return contiguous_format


def as_grad_dtype(g, leaf):
    """``autograd.grad``'s result ``g`` for ``leaf``, cast to the leaf's ``grad_dtype`` if one
    was set (torch 2.13's ``Tensor.grad_dtype``)."""
    want = leaf.__dict__.get("_grad_dtype")
    return g.to(want) if g is not None and want is not None and g.dtype != want else g


def _added_in_place(grad, data):
    """``grad += data`` on a leaf's existing ``.grad``, returned (torch refuses memory where
    several elements are one, an expanded tensor's; memory NumPy made read-only gets a new
    tensor)."""
    array = grad.array
    if any(step == 0 and n > 1 for step, n in zip(array.strides, array.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    if not array.flags.writeable:
        return _tensor_class()._of(array + data)
    grad._bump_version_unchecked()
    np.add(array, data, out=array)
    return grad


# ----------------------------------------------------------------------------- retain_grad
_retaining = weakref.WeakValueDictionary()     # id(t) -> a live tensor that called retain_grad


class _RetainGrad:
    """The hook ``t.retain_grad()`` puts on t's grad_fn: the gradient arriving there becomes
    ``t.grad`` — a copy the first time, then ``t.grad + g`` (a new tensor), as torch's; both
    recorded under create_graph. Marked ``retains_grad``: it runs after the node's other
    hooks, so ``.grad`` is the gradient after them."""
    retains_grad = True

    def __init__(self, t):
        self.tensor = weakref.ref(t)
        self.node = t.grad_fn

    def __call__(self, g):
        t = self.tensor()
        if t is not None:
            t._grad = g.clone(memory_format=_contiguous_format()) if t._grad is None else \
                t._grad + g


def retain_grad(t):
    """``t.retain_grad()``: keep ``.grad`` for the non-leaf ``t`` (a leaf keeps its own)."""
    if not t.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.grad_fn is None or t._retains_grad:
        return
    hook = t._retain_grad_hook = _RetainGrad(t)
    t.grad_fn._add_tensor_hook(hook)
    t._retains_grad = True
    _retaining[id(t)] = t


def follow_in_place_changes():
    """An in-place op gives its tensor a new grad_fn; torch then moves the tensor's
    retain_grad hook there (``y.retain_grad(); y.mul_(3)``: y.grad is the gradient of the new
    y). Done here, before each walk, for every retaining tensor whose grad_fn changed (hooks
    from ``register_hook`` stay with the old node, as in torch)."""
    for t in list(_retaining.values()):
        hook = t._retain_grad_hook
        if hook.node is not t.grad_fn:
            if hook.node is not None:
                hook.node._pre_hooks.remove(hook)
            hook.node = t.grad_fn
            if t.grad_fn is not None:
                t.grad_fn._add_tensor_hook(hook)


_warned = set()


def warn_create_graph():
    """torch's warning (once per process) for ``backward(create_graph=True)``."""
    if "create_graph" not in _warned:
        _warned.add("create_graph")
        warnings.warn("Using backward() with create_graph=True will create a reference cycle "
                      "between the parameter and its gradient which can cause a memory leak. "
                      "We recommend using autograd.grad when creating the graph to avoid this. "
                      "If you have to use this function, make sure to reset the .grad fields "
                      "of your parameters to None after use to break the cycle and avoid the "
                      "leak.", UserWarning, stacklevel=warn_level(4))
