"""What an in-place op's graph node keeps for backward, as torch's keeps it.

``inplace`` (:mod:`.inplace`) computes an op on a copy of the tensor's old values and writes
the result into the tensor, so the node's saved arrays are its own — a later in-place write
into the tensor would not reach them, and backward would go on. Torch's nodes of ``relu_``,
``sigmoid_``, ``exp_``, ``leaky_relu_``, ``elu_`` ... save their result, the tensor itself:
there the later write makes backward refuse ("modified by an inplace operation"). These two
helpers make ours refuse exactly there: :func:`output_is_self` (a node that saved its output)
and :func:`saves_result` (a node that saved its input where torch's saves the result).
"""
import weakref

from .. import autograd, versions
from ..autograd.function import modified_inplace

__all__ = ["output_is_self", "saves_result"]


def output_is_self(result, self):
    """The node of an in-place op that saved its output (``relu_``, ``sigmoid_``, ``exp_``,
    ``tanh_``: the same values) saves ``self`` instead, as torch's saves its result: a later
    in-place write into ``self`` then makes backward refuse, as torch's does, instead of
    reading the copy it computed in. (Not where torch's in-place node reads its input instead:
    ``inplace_reads_input`` on the op, as erfinv_ and i0_.)"""
    node = result.grad_fn
    if node is not None and node.__dict__.get("_out_array") is result.array and \
            not getattr(node, "inplace_reads_input", False) and \
            self.array.dtype == result.array.dtype and self.array.shape == result.array.shape:
        node._out_array = self.array
        node._out_version = versions.version_of(self.array)


def saves_result(t):
    """``t``, just written in place by an op whose torch node saves its result (leaky_relu_,
    elu_, celu_, selu_): our node computed from a copy, so a later in-place write into ``t``
    would not reach it; torch's backward refuses then, and so does ours (the node's backward
    checks ``t``'s version first)."""
    node = t.grad_fn
    if node is None or not autograd.is_grad_enabled():
        return t
    array, version = t.array, versions.version_of(t.array)
    ref, backward = weakref.ref(node), type(node).backward      # (no cycle: freed by counts)

    def checked(g):
        now = versions.version_of(array)
        if now != version:
            raise modified_inplace(f"the output of {ref().name()}", array.shape, now, version)
        return backward(ref(), g)
    node.backward = checked
    return t
