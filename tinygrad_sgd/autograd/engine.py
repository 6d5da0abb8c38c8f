"""The backward walk.

:func:`run_backward` first counts, for every node reachable from the outputs, how many edges
point at it; then it processes nodes in topological order (Kahn's algorithm with an explicit
stack, so a chain of 100,000 operations needs no recursion). Each node receives the *sum* of
the gradients from all its consumers before it runs — so a tensor used twice gets the sum.
Broadcasting is solved here, once: every gradient is reduced (summed) back to the shape of the
input it is for (:class:`SumToShape`), so no op has to think about it. One economy: when no
graph is being built, indexing's backward hands over just the indexed block
(:class:`~.slices.SliceGrad`), which the walk adds into a gradient array of its own, in place
— so a sequence sliced into T steps costs T slice-sized additions, not T full-sized ones.

The core loop is short; what it does besides (hooks, ``retain_grad``, anomaly checks, adding
into the leaves' ``.grad`` as torch's AccumulateGrad, capturing gradients for
``autograd.grad``, the explainer's observer, freeing saved arrays) is in named helpers.
"""
# house: long file — the walk and the two entry points that take torch's arguments
# (autograd.backward, autograd.grad) with their checks are read together.
import warnings

import numpy as np

from ..errors import warn_level
from ..kernels.elementwise import sum_to_shape as sum_to_shape_array
from . import anomaly
from .function import Function, _tensor_class
from .nodes import run_post_hooks
from .accumulate import accumulate_leaf_grad, follow_in_place_changes, retain_grad, \
    warn_create_graph, as_grad_dtype, refuse_swapped_leaf
from .slices import DEFERRED, SliceGrad, add_slices as _add_slices, \
    welcome_slices as _welcome_slices
from .grad_mode import _mode, set_grad_enabled
from .. import meta
from ..meta import MetaArray
from .graph_task import GraphTask

__all__ = ["SumToShape", "sum_to_shape", "run_backward", "backward", "grad"]


class SumToShape(Function):
    """The gradient of a broadcast: x summed over the axes broadcasting added or stretched."""
    rule = "z = Σ x over the broadcast axes (z has the input's shape)"
    derivatives = ("dz/dx = 1 (the gradient is broadcast back)",)
    op_name = "sum_to_shape"

    def forward(self, x, shape):
        self.in_shape = x.shape
        return sum_to_shape_array(x.array, shape)   # (only made when the shapes differ)

    def backward(self, g):
        return g.expand(self.in_shape)


def sum_to_shape(g, shape):
    """Reduce a broadcast gradient ``g`` back to ``shape`` (the adjoint of a copy is a sum)."""
    return g if g.array.shape == shape else SumToShape.apply(g, shape)


# ----------------------------------------------------------------------------- the walk
_LAZY = (SliceGrad,) + DEFERRED      # gradients not made whole yet (see .slices)

def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True, observer=None):
    """Backpropagate ``grad_tensors`` from ``tensors`` through the graph.

    With ``accumulate`` (Tensor.backward) leaf gradients are added into ``leaf.grad``;
    otherwise (autograd.grad) the gradients of ``inputs`` are returned and nothing is stored.
    ``observer(node, grad_in, grads_out)``, if given, is called for every node right after its
    backward ran (``grads_out`` already reduced to the inputs' shapes): the explainer narrates.
    """
    buffers, leaf_grads = {}, {}    # node -> incoming gradient; id(leaf) -> [leaf, gradient]
    follow_in_place_changes()
    capture = _Capture(inputs)
    roots = []
    for t, g in zip(tensors, grad_tensors):
        edge = t.grad_fn if t.grad_fn is not None else t
        roots.append(edge)
        _accumulate_into(edge, g, buffers, leaf_grads)

    counts = _count_edges(roots)
    ready = [r for r in dict.fromkeys(roots) if isinstance(r, Function) and counts[r] == 0]
    capturing = bool(capture.at_node)
    # with ``inputs``, only the nodes on a path to one of them run (as torch: the hooks and
    # retained gradients of the others don't fire, and their saved arrays are kept)
    runs = None if inputs is None else _on_paths_to(inputs, counts, roots)
    owned = set()    # ids of the gradients this walk made itself: it may add into them in place
    with set_grad_enabled(create_graph), _welcome_slices(not create_graph and observer is None), \
            np.errstate(all="ignore"), GraphTask(counts, runs, roots, inputs, capture):
        while ready:
            node = ready.pop()
            g = buffers.pop(node)
            if type(g) is SliceGrad:
                g = g.dense()
            elif type(g) in DEFERRED and (node._pre_hooks or capturing or runs is not None):
                g = g.dense()        # (seen by a hook or asked for: whole; else the op takes it)
            owned.discard(id(g))              # it leaves the walk's hands now
            if runs is not None and node not in runs:
                if capturing and node in capture.at_node:   # an input's own node: its hooks
                    capture.node(node, _run_hooks(node._pre_hooks, g))
                _skip_subgraph(node, counts, buffers, ready)
                continue
            if node._pre_hooks:
                g = _run_hooks(node._pre_hooks, g)
            if capturing:
                capture.node(node, g)
            grads = (_mode.profiler.backward if _mode.profiler else _call_backward)(node, g)
            if node._post_hooks:
                grads = run_post_hooks(node, grads, g)
            if observer is not None:
                observer(node, g, grads)
            if not retain_graph:
                node.release()
            for edge, gi in zip(node._edges, grads):
                if edge is None:
                    continue
                node_edge = isinstance(edge, Function)
                if gi is not None:
                    if node_edge:           # (_accumulate_into, inlined on the hot path)
                        prev = buffers.get(edge)
                        buffers[edge] = gi if prev is None else prev + gi \
                            if type(gi) not in _LAZY and type(prev) not in _LAZY \
                            and id(prev) not in owned else _add_slices(prev, gi, owned)
                    else:
                        if "_swapped_at" in edge.__dict__:     # (utils.swap_tensors)
                            refuse_swapped_leaf(edge, node)
                        _accumulate_into(edge, gi, buffers, leaf_grads, owned)
                if node_edge:
                    left = counts[edge] - 1
                    counts[edge] = left
                    if left == 0:
                        if edge in buffers:
                            ready.append(edge)
                        else:  # every gradient into it was None: propagate nothing further
                            _skip_subgraph(edge, counts, buffers, ready)

        for leaf, g in leaf_grads.values():    # (their hooks too run in the walk's grad mode)
            if runs is not None and all(t is not leaf for t in inputs):
                continue        # (not asked for: as torch, no AccumulateGrad, no hooks)
            if type(g) in _LAZY:
                g = g.dense()
            g = _run_hooks(leaf._hooks, g)
            capture.leaf(leaf, g)
            if accumulate:
                accumulate_leaf_grad(leaf, g, create_graph)
    return capture.result(allow_unused) if inputs is not None else None


def _count_edges(roots):
    """Count, for every node reachable from ``roots``, the edges pointing at it (iteratively:
    an explicit stack instead of recursion, so depth is unlimited)."""
    stack = [r for r in roots if isinstance(r, Function)]
    counts = dict.fromkeys(stack, 0)
    while stack:
        for nxt in stack.pop()._edges:
            if isinstance(nxt, Function):
                if nxt in counts:
                    counts[nxt] += 1
                else:
                    counts[nxt] = 1
                    stack.append(nxt)
    return counts


def _on_paths_to(inputs, counts, roots):
    """The nodes whose backward leads to an input: those with an edge to an input leaf, to an
    input's own node, or to a node of this set (found children first, in reverse Kahn order
    over the ``counts`` of :func:`_count_edges`)."""
    leaves = {id(t) for t in inputs if t.grad_fn is None}
    targets = {t.grad_fn for t in inputs if t.grad_fn is not None}
    left = dict(counts)
    order, stack = [], [r for r in dict.fromkeys(roots) if isinstance(r, Function) and
                        left[r] == 0]
    while stack:
        node = stack.pop()
        order.append(node)
        for edge in node._edges:
            if isinstance(edge, Function):
                left[edge] -= 1
                if left[edge] == 0:
                    stack.append(edge)
    runs = set()
    for node in reversed(order):
        if any(e is not None and (id(e) in leaves if not isinstance(e, Function) else
                                  e in runs or e in targets) for e in node._edges):
            runs.add(node)
    return runs


def _call_backward(node, g):
    """The node's backward, its gradients reduced to the shapes of its inputs (None where an
    input needs none). Under anomaly mode what it returns is checked for NaN (not the
    intermediate ops of the formula) and a failure is told where the node was created, as
    torch."""
    if not _mode.anomaly:
        return _reduced(node, node.backward(g))
    try:
        grads = _reduced(node, node.backward(g))
        anomaly.check_backward_outputs(node, [None if gi is None else gi.values if type(gi)
                                              is SliceGrad else gi.array for gi in grads])
    except Exception:
        anomaly.warn_backward_failed(node)
        raise
    return grads


def _reduced(node, grads):
    """Each gradient of ``node``'s backward summed to its input's shape (torch's
    validate_outputs: the input's shape must broadcast to the gradient's, else an error)."""
    if type(grads) is not tuple:
        grads = (grads,)
    return tuple([None if gi is None or edge is None else
                  gi if type(gi) in _LAZY or gi.array.shape == shape else
                  _summed_to_input(node, i, gi, shape)
                  for i, (edge, gi, shape) in enumerate(zip(node._edges, grads,
                                                            node.input_shapes))])


def _summed_to_input(node, i, g, shape):
    """Gradient ``g`` for input ``i`` of ``node``, of another shape than the input's: summed
    to it when the input's shape broadcasts to g's (torch's ``is_expandable_to``), else
    torch's error."""
    got = g.array.shape
    if len(shape) > len(got) or any(n != m and n != 1 for n, m in
                                    zip(shape[::-1], got[::-1])):
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} "
                           f"- got {list(got)} but expected shape compatible with "
                           f"{list(shape)}")
    return sum_to_shape(g, shape)


def _run_hooks(hooks, g):
    """Each hook sees the gradient and may return a replacement of the same shape and dtype."""
    if hooks:
        for hook in hooks:
            new = hook(g)
            if new is not None:
                _check_hook_result(hook, new, g)
                g = new
    return g


def _check_hook_result(hook, new, old):
    """torch's checks of what a hook returned (check_variable_result)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, _tensor_class()):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    if new.dtype != old.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {old.type()} got "
                           f"{new.type()})")
    if new.shape != old.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value: hook returned a "
                           f"gradient of shape {new.shape}, expected {old.shape}")


def _accumulate_into(edge, g, buffers, leaf_grads, owned=()):
    if isinstance(edge, Function):
        prev = buffers.get(edge)
        buffers[edge] = g if prev is None else prev + g
    else:
        entry = leaf_grads.get(id(edge))
        if entry is None:
            leaf_grads[id(edge)] = [edge, g]
        elif type(g) in _LAZY or type(entry[1]) in _LAZY or id(entry[1]) in owned:
            entry[1] = _add_slices(entry[1], g, owned)
        else:
            entry[1] = entry[1] + g


def _skip_subgraph(start, counts, buffers, ready):
    """A node that received no gradient at all: treat its inputs as done (iteratively)."""
    stack = [start]
    while stack:
        node = stack.pop()
        for edge in node._edges:
            if isinstance(edge, Function):
                counts[edge] -= 1
                if counts[edge] == 0:
                    (ready if edge in buffers else stack).append(edge)


class _Capture:
    """For ``autograd.grad``: the gradients arriving at the requested ``inputs`` (a non-leaf
    input's gradient is the one arriving at its grad_fn)."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.grads = [None] * (len(inputs) if inputs is not None else 0)
        self.at_node = {}
        for i, t in enumerate(inputs or ()):
            if t.grad_fn is not None:
                self.at_node.setdefault(t.grad_fn, []).append(i)

    def node(self, node, g):
        for i in self.at_node.get(node, ()) if self.at_node else ():
            self.grads[i] = g

    def leaf(self, leaf, g):
        for i, t in enumerate(self.inputs or ()):
            if t is leaf:
                self.grads[i] = g

    def result(self, allow_unused):
        for i, c in enumerate(self.grads):
            if c is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    f"the graph. Set allow_unused=True if this is the desired behavior.")
        return tuple(self.grads)


# ----------------------------------------------------------------------------- entry points
def make_grads(outputs, grad_outputs):
    """The seed gradients: ones for a single-element output, else the given ``gradient``
    (checked: same shape; cast to the output's dtype, as torch)."""
    Tensor = _tensor_class()
    grads = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(t, Tensor):
            raise TypeError(f"outputs[{i}] must be a Tensor, got {type(t).__name__}")
        if g is not None and not isinstance(g, Tensor):     # (a list is a list of gradients)
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                f"nothing to backpropagate (did you forget requires_grad=True, or is this "
                f"inside no_grad()?)")
        if g is None:
            if t.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._of(np.ones(t.shape, dtype=t.dtype)) if type(t.array) is not MetaArray \
                else meta.make(t.shape, t.array.dtype)       # (a meta output: a meta seed)
        else:
            if type(t.array) is MetaArray or type(g.array) is MetaArray:
                meta.check_seed(i, t, g)
            if g.shape != t.shape:
                raise RuntimeError(f"Mismatch in shape: gradient has shape {g.shape} but the "
                                   f"output has shape {t.shape}")
            if g.dtype != t.dtype:  # as torch: the gradient takes the output's dtype
                g = g.to(t.dtype)
        grads.append(g)
    return grads


def _as_list(tensors, grads):
    Tensor = _tensor_class()
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grads is None or isinstance(grads, Tensor):
        grads = [grads] * len(tensors) if grads is None else [grads]
    grads = list(grads)
    if len(grads) < len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    return tensors, make_grads(tensors, grads)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Like ``torch.autograd.backward``: accumulate d(tensors)/d(leaf) into every leaf's .grad;
    with ``inputs``, into those tensors' .grad only (leaves or not; others are left alone).
    ``grad_variables`` is torch's deprecated name of ``grad_tensors``."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=warn_level(2))
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both "
                               "passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    if inputs is not None:
        Tensor = _tensor_class()
        inputs = list(dict.fromkeys([inputs] if isinstance(inputs, Tensor) else inputs))
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        if not all(isinstance(t, Tensor) and t.requires_grad for t in inputs):
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    tensors, grads = _as_list(tensors, grad_tensors)
    retain = create_graph if retain_graph is None else retain_graph
    if create_graph:
        warn_create_graph()
    if inputs is None:
        run_backward(tensors, grads, retain, create_graph)
        return
    for t in inputs:              # as torch: a non-leaf input's .grad is kept by retain_grad
        retain_grad(t)            # (its hook adds the gradient in, once)
    got = run_backward(tensors, grads, retain, create_graph, inputs=inputs, allow_unused=True,
                       accumulate=False)
    with set_grad_enabled(create_graph):
        for t, g in zip(inputs, got):
            if g is not None and t.grad_fn is None:
                accumulate_leaf_grad(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Like ``torch.autograd.grad``: return d(outputs)/d(inputs) without touching any .grad.
    ``materialize_grads``: zeros, not None, for an input the outputs do not depend on;
    ``is_grads_batched``: each grad_output has a batch dim in front, and the result one
    vector-Jacobian product per batch row, stacked (one backward per row here; torch vmaps).
    ``only_inputs`` is deprecated in torch and ignored, with its warning."""
    Tensor = _tensor_class()
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to "
                      "True). To accumulate gradient for other parts of the graph, please use "
                      "torch.autograd.backward.", FutureWarning, stacklevel=warn_level(2))
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"inputs[{i}] does not require grad: autograd.grad needs inputs "
                               f"with requires_grad=True")
    retain = create_graph if retain_graph is None else retain_graph
    if is_grads_batched:
        result = _batched_grad(outputs, inputs, grad_outputs, retain, create_graph,
                               allow_unused)
    else:
        outputs, grads = _as_list(outputs, grad_outputs)
        result = run_backward(outputs, grads, retain, create_graph, inputs=inputs,
                              allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        result = tuple(g if g is not None else meta.to_meta(t, requires_grad=create_graph)
                       if type(t.array) is MetaArray else
                       Tensor._of(np.zeros_like(t.array), requires_grad=create_graph)
                       for g, t in zip(result, inputs))
    return tuple(map(as_grad_dtype, result, inputs))     # (a leaf's Tensor.grad_dtype, if set)


def _batched_grad(outputs, inputs, grad_outputs, retain, create_graph, allow_unused):
    """autograd.grad with ``is_grads_batched``: a backward for each row of the grad_outputs,
    the rows' gradients stacked (an input no row reaches stays None)."""
    from ..functions.shape import stack
    Tensor = _tensor_class()
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    batched = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        g = g if isinstance(g, Tensor) or g is None else Tensor._of(np.asarray(g, dtype=out.dtype))
        if g is None or g.ndim == 0:
            raise ValueError(f"is_grads_batched=True: grad_outputs[{i}] needs a batch dimension "
                             f"in front of output {i}'s shape {tuple(out.shape)}")
        if tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                f"If `is_grads_batched=True`, we interpret the first dimension of each "
                f"grad_output as the batch dimension. The sizes of the remaining dimensions are "
                f"expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of torch.Size({list(g.shape[1:])}) and "
                f"output[{i}] has a shape of torch.Size({list(out.shape)}). If you only want "
                f"some tensors in `grad_output` to be considered batched, consider using vmap.")
        batched.append(g)
    rows = len(batched[0])
    if rows == 0 or any(len(g) != rows for g in batched):
        raise IndexError(f"is_grads_batched=True: every grad_output needs the same batch size, "
                         f"at least 1 (got {[len(g) for g in batched]})")
    per_row = [grad(outputs, inputs, [g[r] for g in batched],
                    retain_graph=retain or r < rows - 1, create_graph=create_graph,
                    allow_unused=allow_unused) for r in range(rows)]
    return tuple(None if column[0] is None else stack(list(column))
                 for column in zip(*per_row))
