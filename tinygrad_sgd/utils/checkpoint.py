"""``torch.utils.checkpoint``: activation checkpointing — a block's forward keeps no
intermediate results; backward runs the block again to get them (memory for time).

* ``use_reentrant=False`` (torch's recommendation): the block runs once, recording its graph
  as usual (its outputs keep their own ``grad_fn``); then every node it made gives up the
  arrays it saved for backward. When backward first reaches one of those nodes, the block
  is run again on the same inputs, with the random state of the first run (dropout draws the
  same mask), and each new node hands its saved arrays to the old node at its place.
  ``autograd.grad`` and parameters reached with no input needing a gradient work as usual.
* ``use_reentrant=True`` (the default, with torch's warning, when ``use_reentrant`` is not
  passed): torch's older :class:`CheckpointFunction` — the block runs under ``no_grad``; the
  node's backward re-runs it with grad on detached inputs and backpropagates through it.
"""
import contextlib
import warnings

import numpy as np

from .. import autograd
from ..autograd.function import Function
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The block did not run the same way again in backward (another graph)."""


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def check_backward_validity(inputs):
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


def detach_variable(inputs):
    """Each Tensor of the tuple detached, keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: ",
                           type(inputs).__name__)
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def _rng_state():
    from ..functions.random import get_rng_state
    return get_rng_state()


def _set_rng_state(state):
    from ..functions.random import set_rng_state
    set_rng_state(state)


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward under no_grad, backward re-runs the block."""
    inputs = ("args",)
    rule = "y = block(*args), run without recording a graph (nothing saved)"
    derivatives = ("dL/dargs = the block's backward, from the block run again with a graph",)

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = _rng_state()
        ctx.inputs, ctx.tensor_indices, tensor_inputs = [], [], []
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensor_inputs.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensor_inputs)
        with autograd.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        state = _rng_state() if ctx.preserve_rng_state else None
        if ctx.preserve_rng_state:
            _set_rng_state(ctx.fwd_cpu_state)
        try:
            detached = detach_variable(tuple(inputs))
            with autograd.enable_grad():
                outputs = ctx.run_function(*detached)
        finally:
            if state is not None:
                _set_rng_state(state)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        with_grad = [(o, g) for o, g in zip(outputs, grads)
                     if isinstance(o, Tensor) and o.requires_grad]
        if not with_grad:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        autograd.backward([o for o, _ in with_grad], [g for _, g in with_grad])
        return (None, None) + tuple(inp.grad if isinstance(inp, Tensor) else None
                                    for inp in detached)


# ------------------------------------------------------------------ the non-reentrant way
def _tensors_in(value):
    """The Tensors in a block's result (a Tensor, or tuples / lists / dicts of them)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors_in(v)]
    return []


def _nodes_made(outputs, first):
    """The graph nodes reached from ``outputs`` that were made since sequence number
    ``first`` (by the block), in the order they were made."""
    seen, stack, nodes = set(), [t.grad_fn for t in _tensors_in(outputs)], []
    while stack:
        node = stack.pop()
        if not isinstance(node, Function) or id(node) in seen:
            continue
        seen.add(id(node))
        nr = node.sequence_nr
        if nr is None or nr < first:
            continue
        nodes.append(node)
        stack.extend(edge for edge in node._edges if edge is not None)
    return sorted(nodes, key=lambda n: n.sequence_nr)


def _freed_keys(node):
    """The attributes ``release`` frees: what the node saved for backward."""
    return [k for k, v in node.__dict__.items()
            if type(v) is np.ndarray or k in ("_saved", "_versions", "_out_array",
                                              "_out_version") or k.startswith("_version_of_")]


def _next_sequence_nr():
    """A number no node made before has, none made after goes below."""
    from ..autograd import function
    return next(function._sequence)


class _Recomputation:
    """The nodes of one checkpointed block, their saved arrays given up until backward."""

    def __init__(self, function, args, kwargs, rng_state, nodes):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state, self.nodes, self.done = rng_state, nodes, False
        for node in nodes:
            for key in _freed_keys(node):
                del node.__dict__[key]
            node.backward = self._backward_of(node)

    def _backward_of(self, node):
        def backward(grad):
            self.recompute()
            return type(node).backward(node, grad)
        return backward

    def recompute(self):
        if self.done:
            return
        state = None
        if self.rng_state is not None:
            state = _rng_state()
            _set_rng_state(self.rng_state)
        first = _next_sequence_nr()
        try:
            with autograd.enable_grad():
                outputs = self.function(*self.args, **self.kwargs)
        finally:
            if state is not None:
                _set_rng_state(state)
        again = _nodes_made(outputs, first)
        if [type(n) for n in again] != [type(n) for n in self.nodes]:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass: the block ran "
                f"{len(again)} ops in backward but {len(self.nodes)} in forward")
        for old, new in zip(self.nodes, again):
            for key in _freed_keys(new):
                old.__dict__[key] = new.__dict__[key]
            old.__dict__.pop("backward", None)
        self.done = True


def _checkpoint_without_reentrant(function, preserve, args, kwargs):
    rng_state = _rng_state() if preserve else None
    first = _next_sequence_nr()
    outputs = function(*args, **kwargs)
    nodes = _nodes_made(outputs, first)
    if nodes:
        _Recomputation(function, args, kwargs, rng_state, nodes)
    return outputs


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """``function(*args, **kwargs)``, keeping none of its intermediate results for backward
    (they are computed again then). ``preserve_rng_state`` (default True) replays the random
    draws of the first run."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if context_fn is not noop_context_fn:
        raise NotImplementedError("checkpoint: context_fn (selective checkpointing) is not "
                                  "provided by tinygrad_sgd")
    return _checkpoint_without_reentrant(function, preserve, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """A Sequential (or list of modules) run in ``segments`` pieces, each checkpointed but the
    last."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
