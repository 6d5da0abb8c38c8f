"""torch's control-flow operators, run eagerly (as torch runs them outside ``torch.compile``):
``torch.cond(pred, true_fn, false_fn, operands)`` calls one branch on the operands, and
``torch.while_loop(cond_fn, body_fn, carried_inputs)`` calls ``body_fn`` while ``cond_fn`` of
the carried values is true. Gradients flow through the branch or the iterations taken, as
through any Python code. torch's checks of the arguments are kept (a tensor ``pred`` must have
one element, the operands must be tensors, no result may share an input's memory, each
iteration must keep the carried values' dtypes and shapes), with torch's first lines of its
tracer's messages; its check for an infinite loop (a ``cond_fn`` that returns a constant) is
not made."""
import numpy as np

from ..tensor import Tensor

__all__ = ["cond", "while_loop"]


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [x for item in tree for x in _leaves(item)]
    if isinstance(tree, dict):
        return [x for item in tree.values() for x in _leaves(item)]
    return [tree]


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``; with a tensor
    ``pred``, a result sharing an operand's memory is refused, as torch's tracing does (a
    Python ``pred`` calls the branch as it is, as torch)."""
    if isinstance(pred, (bool, int, float)):        # (torch calls the branch directly)
        return (true_fn if pred else false_fn)(*operands)
    if not isinstance(pred, Tensor):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                           f"{pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)) or not all(isinstance(t, Tensor)
                                                          for t in _leaves(operands)):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple "
                           f"that only consists of tensor leaves, but got {operands}.")
    out = (true_fn if pred.item() else false_fn)(*operands)
    _refuse_aliasing(out, operands, "torch.cond")
    return out


def _refuse_aliasing(out, operands, op):
    """torch's tracing refuses a result sharing memory with an operand (the operand itself,
    or a view of it)."""
    given = [t.array for t in _leaves(operands) if isinstance(t, Tensor)]
    for t in _leaves(out):
        if isinstance(t, Tensor) and any(np.may_share_memory(t.array, a) for a in given):
            raise RuntimeError(
                f"This higher order operator doesn't work unless it is captured completely "
                f"with torch.compile. Got graph break/error:\n\nEncountered aliasing during "
                f"higher order op tracing\n  Higher Order Operator: {op}\n  Explanation: "
                f"Higher order ops do not support aliasing.\n  Hint: Replace `return input` "
                f"with `return input.clone()` to avoid aliasing.")


def while_loop(cond_fn, body_fn, carried_inputs):
    """``while cond_fn(*values): values = body_fn(*values)``, from ``carried_inputs``; the
    result has the body's structure (the inputs as a tuple if the body never runs)."""
    if not callable(cond_fn) or not callable(body_fn):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    values = result = tuple(carried_inputs)
    while _truth(cond_fn(*values)):
        result = body_fn(*values)
        new = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        _refuse_aliasing(new, values, "torch.while_loop")
        _same_metadata(new, values)
        values = new
    return result


def _truth(pred):
    if isinstance(pred, Tensor):
        if pred.ndim != 0:
            raise RuntimeError(f"torch.while_loop: unsupported cond_fn return type: Expected "
                               f"cond_fn to return a scalar tensor or a bool but got "
                               f"{pred.shape}.")
        return bool(pred.item())
    return bool(pred)


def _same_metadata(new, old):
    if len(new) != len(old):
        raise RuntimeError(f"torch.while_loop: body_fn returned {len(new)} values for "
                           f"{len(old)} carried inputs")
    for k, (a, b) in enumerate(zip(new, old)):
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            for what, x, y in (("dtype", a.dtype, b.dtype), ("size", a.shape, b.shape)):
                if x != y:
                    raise RuntimeError(f"Expected body_fn_output and carried_inputs to have "
                                       f"same metadata but found: pair[{k}] differ in "
                                       f"'{what}: {x} vs {y}'")
