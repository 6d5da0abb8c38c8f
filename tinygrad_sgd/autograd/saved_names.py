"""torch's names for what a graph node saved for backward: ``y.grad_fn._saved_self``,
``._saved_other``, ``._saved_result``, ``._saved_exponent``... (torch's autograd tutorials
read them: ``x.pow(2).grad_fn._saved_self is x``, ``x.exp().grad_fn._saved_result`` equals
the output)::

    y = x * w
    y.grad_fn._saved_self is x, y.grad_fn._saved_other is w        # True, True

A node here keeps its input Tensors with ``save_for_backward`` (in ``_saved``, in order) and a
forward result it needs as an array (``save_output``). So:

* ``_saved_result`` — wherever the node kept its result: that result as a new Tensor (equal to
  the output, not the output object, as torch's), linked to the node;
* ``_saved_self`` — the input a one-input op saved (an op whose class says ``saves = "x"``:
  it keeps x because torch's formula reads x);
* ``_saved_<name>`` of other saved inputs — named per op class in :data:`SAVED_NAMES` (the names
  torch gives them), as are the plain values some ops keep as attributes (``x ** 2``'s
  ``_saved_exponent`` is 2).

With ``saved_tensors_hooks`` in effect when the op ran, what the unpack hook gives is returned,
as torch's. After ``backward()`` freed the graph, reading one raises torch's error; a name the
node does not have raises AttributeError.

``node._raw_saved_<what>`` is that saved tensor's :class:`SavedTensor`, whose
``register_hooks(pack_hook, unpack_hook)`` puts hooks on it alone (the saved-tensors-hooks
tutorial's ``y.grad_fn._raw_saved_self.register_hooks(pack, unpack)``): ``pack_hook`` runs at
once, ``unpack_hook`` whenever backward (or ``_saved_<what>``) reads it.
"""

__all__ = ["SAVED_NAMES", "SavedTensor", "saved_attribute", "raw_saved_attribute"]

# op class → (torch's names of the Tensors it saved, in order; {torch's name: attribute}
# for the plain values it keeps)
_SELF = (("self",), {})
_BINARY = (("self", "other"), {})
SAVED_NAMES = {
    "Mul": _BINARY, "Div": _BINARY, "Maximum": _BINARY, "Minimum": _BINARY,
    "Pow": (("self", "exponent"), {}),
    "PowScalar": (("self",), {"exponent": "p"}),
    "Bmm": (("self", "mat2"), {}),
    "Log": _SELF, "Abs": _SELF, "SiluOp": _SELF, "Max": _SELF, "Min": _SELF,
    "GELUOp": (("self",), {"approximate": "approximate"}),
    "SoftmaxOp": ((), {"dim": "dim"}), "LogSoftmaxOp": ((), {"dim": "dim"}),
}


def saved_attribute(node, name):
    """``node._saved_<what>`` (``name`` is the whole attribute name)."""
    slot = _slot(node, name, name[len("_saved_"):])
    if slot == "result":
        return node.output()
    if isinstance(slot, int):
        return node.saved_tensors_if(*[i == slot for i in range(len(node._saved))])[slot]
    return slot[0]


def raw_saved_attribute(node, name):
    """``node._raw_saved_<what>``: the :class:`SavedTensor` of a saved tensor."""
    if node.__dict__.get("_released"):
        return SavedTensor(node, None)
    slot = _slot(node, name, name[len("_raw_saved_"):])
    if not (slot == "result" or isinstance(slot, int)):     # a plain value, not a Tensor
        raise AttributeError(f"{type(node).__name__!r} object has no attribute {name!r}")
    return SavedTensor(node, slot)


def _slot(node, name, what):
    """Where ``what`` is kept: "result", the index of a saved input, or (value,) of a plain
    value; AttributeError if the node keeps no such thing."""
    kept = node.__dict__
    if what == "result" and "_out_array" in kept and "_saved_output_slots" not in kept:
        return "result"                 # (not a custom Function's: its ctx.saved_tensors)
    tensors, values = SAVED_NAMES.get(type(node).__name__, ((), {}))
    if getattr(type(node), "saves", None) == "x":        # a one-input op that keeps x
        tensors = ("self",)
    elif type(node).__name__ == "MatMul":      # torch's mm, dot, mv: their names
        second = {(1, 1): "tensor", (2, 1): "vec", (2, 2): "mat2"}
        tensors = ("self", second[node.ndims]) if node.ndims in second else ()
    if what in tensors:
        i = tensors.index(what)
        if i < len(node._saved):
            return i
    elif what in values and values[what] in node.__dict__:
        return (node.__dict__[values[what]],)
    raise AttributeError(f"{type(node).__name__!r} object has no attribute {name!r}")


class SavedTensor:
    """One tensor a node saved for backward (torch's ``torch._C._autograd.SavedTensor``)."""

    def __init__(self, node, slot):
        self._node, self._slot = node, slot

    def register_hooks(self, pack_hook, unpack_hook):
        """Pack the saved tensor now with ``pack_hook``; backward then reads
        ``unpack_hook(packed)`` in its place. One pair per saved tensor, as torch."""
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError("register_hooks(): incompatible function arguments: pack_hook and "
                            "unpack_hook must be callable")
        node, slot = self._node, self._slot
        d = node.__dict__
        if d.get("_released"):
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved variables after "
                "calling backward.")
        hooked = d.setdefault("_hooked", {})
        if slot in hooked or (d.get("_packed_out") if slot == "result" else d.get("_packed")):
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        value = node.output() if slot == "result" else node._saved[slot]
        hooked[slot] = (unpack_hook, pack_hook(value))
