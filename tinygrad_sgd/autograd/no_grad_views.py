"""Views made with grad mode off — under ``no_grad`` or ``inference_mode`` — of a tensor that
requires grad, as torch has them.

Such a view requires grad (its base does) yet is a leaf with no gradient edge: an op on it in
grad mode records a graph, but the path through it ends there, and nothing reaches the view nor
its base (:func:`leaf_edge`). An in-place write into it in grad mode is refused, and so is any
use in grad mode once its memory was written in place since it was made — torch calls both
ambiguous (:func:`refuse_write`, :func:`message`). ``Function.apply`` marks them (:func:`mark`);
the in-place functions and ``Tensor._bump_version`` refuse the writes.
"""
import numbers
import re

import numpy as np

from .. import versions
from .torch_names import torch_name

__all__ = ["mark", "leaf_edge", "message", "refuse_write", "last_view_op"]


def mark(out, x, inference):
    """A view made with grad mode off of ``x``, which requires grad (or is such a view): as
    torch's, it requires grad (its base does) yet is a leaf with no gradient edge — ops on it
    in grad mode record a graph whose path through it ends there, so nothing reaches ``x`` nor
    it (:func:`leaf_edge`) — and an in-place write into it in grad mode is refused
    (:func:`refuse_write`; ``"inference"`` names the mode in the message). Its memory's
    version is kept: once written in place (through it, its base or another view), grad mode
    refuses it."""
    out._no_grad_view = "inference" if inference else True
    if x.requires_grad and out.array.dtype.kind == "f":
        out._requires_grad = True
        out._grad_dropped = versions.version_of(out.array)


def leaf_edge(t):
    """The graph edge of a leaf ``t`` that requires grad: ``t`` itself (its gradient is added
    into ``t.grad``), or None for a view made under ``no_grad`` (:func:`mark`), whose
    gradient torch drops — refused if its memory was written in place since."""
    made = t.__dict__.get("_grad_dropped")
    if made is None:
        return t
    if versions.version_of(t.array) != made:
        raise RuntimeError(message(t, "its base or another view of its base has been "
                                      "modified inplace"))
    return None


def message(t, what, head="A view was"):
    """torch's refusal of a view made under ``no_grad`` or ``inference_mode`` in grad mode:
    ``what`` happened to it ("is being modified inplace", ...)."""
    if t.__dict__.get("_no_grad_view") == "inference":
        mode, now, block = "inference mode", "in normal mode", "inference_mode"
    else:
        mode, now, block = "no_grad mode", "with grad mode enabled", "no_grad"
    return (f"{head} created in {mode} and {what} {now}. Given that this use case is "
            f"ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
            f"both the view and the inplace either both inside the {block} block (if you "
            f"don't want the inplace to be tracked) or both outside (if you want the inplace "
            f"to be tracked).")


def refuse_write(self, op=None):
    """torch's refusal of an in-place write, in grad mode, into a view made under ``no_grad``
    or ``inference_mode``, or into a view of one made since (named by its op: ``op``, or the
    op of its node)."""
    if op is None and self.__dict__["_no_grad_view"] == "of_view" and self.grad_fn is not None:
        op = re.sub(r"Backward\d*$", "", torch_name(type(self.grad_fn), self.grad_fn))
    head = "A view was" if op is None else f"Output 0 of {op} is a view of a view which was"
    raise RuntimeError(message(self, "is being modified inplace", head))


def last_view_op(index, shape):
    """The view op torch's ``x[index] = v`` writes through last, for a basic index into a
    tensor of ``shape`` (an int: Select, a slice that is not the whole dim: Slice, None or a
    bool: Unsqueeze), or None — no view op (``...``, whole slices), or a tensor index
    (written by index_put_ into x itself)."""
    items = index if isinstance(index, tuple) else (index,)
    last, dim = None, 0
    for k, item in enumerate(items):
        if isinstance(item, (bool, np.bool_)) or item is None:
            last = "Unsqueeze"
        elif isinstance(item, numbers.Integral):
            last, dim = "Select", dim + 1
        elif isinstance(item, slice):
            if dim < len(shape) and item.indices(shape[dim]) != (0, shape[dim], 1):
                last = "Slice"        # (torch skips a slice of the whole dim)
            dim += 1
        elif item is Ellipsis:
            dim = len(shape) - sum(isinstance(i, (numbers.Integral, slice)) and
                                   not isinstance(i, (bool, np.bool_)) for i in items[k + 1:])
        else:
            return None
    return last
