"""What a graph node shows a torch program besides its backward: torch's ``Node`` hooks and
``metadata``, and the :class:`AccumulateGrad` node met at the end of an edge to a leaf.

Hooks on a node (``y.grad_fn``), as torch's::

    h = y.grad_fn.register_prehook(lambda grad_outputs: ...)          # before its backward
    h = y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: ...)  # after it
    h.remove()

Each takes and may return a *tuple* (one gradient per output of the node — one here — and,
for ``register_hook``, one per tensor input, in the order of ``next_functions``); returning
None keeps the gradients. They are told apart from the one-gradient hooks ``Tensor.register_hook``
and ``retain_grad`` put on the same node (:meth:`Function._add_tensor_hook`), which run first,
as in torch: tensor hooks, then retain_grad's, then the node's pre-hooks.
"""
import weakref

from .torch_names import torch_mode

__all__ = ["AccumulateGrad", "register_prehook", "register_hook", "run_post_hooks",
           "tensor_slots", "RemovableHandle"]


class RemovableHandle:
    """Returned by a hook registration: ``remove()`` takes the hook out (idempotent); ``with
    handle:`` removes it on exit."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def hook_order(hook):
    """Where a hook runs among a node's pre-hooks: tensor hooks (0), retain_grad's (1), the
    node's own (2); the sort is stable, so registration order within each."""
    return getattr(hook, "hook_order", 1 if getattr(hook, "retains_grad", False) else 0)


def _check_tuple(hook, result, expected, what):
    if not isinstance(result, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(result).__name__}'")
    if len(result) != expected:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got "
                           f"{len(result)}, but expected {expected}) for the {what}")


class _NodePreHook:
    """A torch-style node pre-hook ``hook(grad_outputs) -> grad_outputs or None`` as a
    one-gradient hook of the engine's."""
    hook_order = 2

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, g):
        new = self.hook((g,))
        if new is None:
            return None
        _check_tuple(self.hook, new, 1, "grad_outputs")
        return g if new[0] is None else new[0]


def register_prehook(node, hook):
    """torch's ``Node.register_prehook``: see the module docstring."""
    wrapped = _NodePreHook(hook)
    node._add_tensor_hook(wrapped)
    return RemovableHandle(node._pre_hooks, wrapped)


def register_hook(node, hook):
    """torch's ``Node.register_hook``: ``hook(grad_inputs, grad_outputs)`` after the node's
    backward (see :func:`run_post_hooks`)."""
    hooks = node.__dict__.get("_post_hooks")
    if hooks is None:
        hooks = node._post_hooks = []
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def tensor_slots(node):
    """The argument positions of ``node`` that torch counts as its inputs (its
    ``next_functions``): those that needed a gradient, and the float tensors among the others
    (torch lists no mask or index)."""
    edges = node._edges
    tensors = node.__dict__.get("_tensor_inputs")
    if tensors is None:
        kept = node.__dict__.get("_kept_inputs", ())
        needs = node.__dict__.get("needs_input_grad", ())   # (a no_grad view: no edge)
        tensors = [i for i, e in enumerate(edges)
                   if e is not None or i < len(needs) and needs[i]
                   or i in kept and i not in node._not_float]
    return tensors


def run_post_hooks(node, grads, g):
    """The node's post-hooks, each seeing ``(grad_inputs, grad_outputs)`` (its gradients for
    its tensor inputs, already summed to their shapes, and the gradient it received); one may
    return a tuple replacing ``grad_inputs``. Returns the gradients for the engine."""
    if not node._post_hooks:
        return grads
    slots = tensor_slots(node)
    from .slices import DEFERRED, SliceGrad
    lazy = (SliceGrad,) + DEFERRED
    grads = [gi.dense() if type(gi) in lazy else gi for gi in grads]
    for hook in list(node._post_hooks):
        new = hook(tuple(grads[i] for i in slots), (g,))
        if new is not None:
            _check_tuple(hook, new, len(slots), "grad_inputs")
            for i, gi in zip(slots, new):
                grads[i] = gi if node._edges[i] is not None else None
    return tuple(grads)


def metadata(node):
    """torch's ``Node.metadata``: a dict of the user's, made on first use."""
    d = node.__dict__.get("_metadata")
    if d is None:
        d = node.__dict__["_metadata"] = {}
    return d


class AccumulateGrad:
    """The node torch shows at the end of an edge to a leaf that requires grad: the leaf's
    gradient is added into ``variable.grad`` there. (The engine itself goes straight to the
    leaf; this object is made when asked for, one per leaf while someone holds it — or while
    it has hooks: those run in :func:`~.accumulate.accumulate_leaf_grad`, its pre-hooks after
    the leaf's tensor hooks, its hooks after the leaf's post-accumulate-grad hooks, with
    ``grad_inputs`` empty, as torch's; ``autograd.grad`` does not run them.)"""
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._pre_hooks, self._post_hooks = [], []

    @property
    def metadata(self):
        """torch's ``Node.metadata``: a dict of the user's, this node's own."""
        return metadata(self)

    def register_prehook(self, hook):
        """torch's ``hook(grad_outputs) -> grad_outputs or None`` before accumulating."""
        self.variable._grad_accumulator_kept = self      # (the hooks live while the leaf does)
        self._pre_hooks.append(_NodePreHook(hook))
        return RemovableHandle(self._pre_hooks, self._pre_hooks[-1])

    def register_hook(self, hook):
        """torch's ``hook(grad_inputs, grad_outputs)`` after accumulating (grad_inputs ``()``)."""
        self.variable._grad_accumulator_kept = self
        self._post_hooks.append(hook)
        return RemovableHandle(self._post_hooks, hook)

    @classmethod
    def of(cls, leaf):
        ref = leaf.__dict__.get("_grad_accumulator")
        node = ref() if ref is not None else None
        if node is None:
            node = cls(leaf)
            leaf._grad_accumulator = weakref.ref(node)
        return node

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>" if torch_mode() else \
            "<AccumulateGrad>"
