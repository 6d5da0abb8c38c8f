"""In-place operations, with torch's semantics: ``x += y``, ``x.add_(y)``, ``x.clamp_(0)``,
``x.zero_()``, ``x.copy_(y)``, ...

Each is its out-of-place function (``add``, ``clamp``, ...) whose result is written back into
the tensor's own memory, so every view of that memory (``x.data``, a reshape, a state_dict
entry) sees the change, and the memory's version counter moves: a graph node that saved these
values refuses to backpropagate through them instead of silently using the new ones.

* The result keeps the tensor's dtype; a result torch would not cast back (a float into an
  integer tensor) raises ``RuntimeError: result type Float can't be cast to the desired output
  type Long``.
* A leaf that requires grad can only be changed inside ``no_grad()`` (as optimizers do).
* With grad mode on and an operand in a graph, the tensor itself joins the graph: its
  ``grad_fn`` becomes the new node (``a *= b`` gives ``a.grad_fn = <MulBackward>``), and the
  node works on a copy of the old values, as torch's in-place ops do.
"""
import numbers
import re

import numpy as np

from .. import autograd, ops, versions
from ..autograd import forward_ad
from ..autograd.no_grad_views import last_view_op, refuse_write
from ..autograd.torch_names import named
from ..dtypes import SHELL_DTYPES, beyond_int64, cast, checked_scalar, scalar_argument
from ..errors import ShapeError
from ..tensor import Tensor
from . import activation as A, elementwise as E, math as M, products as P
from .index import setitem_rules, torch_index
from .inplace_results import output_is_self
from .overlap import check_inplace_overlap, check_setitem_overlap
from .strided import overlap_rounds, write_rounds
from ..ops.strided import _Memory

__all__ = ["inplace"]

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_dtype_name = E.torch_dtype_name


def refuse_copied_view(self):
    """A ``view()``, ``reshape``, ``contiguous()``, ``as_strided`` or ``storage()`` that had to
    copy a result in the library's own memory order (contiguous for torch, whose result
    shares its memory: ops.Reshape, ``memory_formats.contiguous``, ops.strided.torch_storage)
    and that result are not written to while both live: the write would silently not reach
    the other (``versions.link_copy``)."""
    if versions.has_copy_views(self.array):
        raise RuntimeError("this tensor shares its memory in torch with another, but not here: "
                           "one of them is a view(), reshape, contiguous(), as_strided or "
                           "storage() that had to be made as a copy of a result kept in the "
                           "library's own memory order (a convolution's, pooling's or "
                           "resampling's): writing into one would not change the other as "
                           "torch's (one memory) does. Write before taking the view, or into "
                           "a clone().")


def _custom_view(t):
    """(name, output index) when ``t`` is a view a custom Function made (see custom.py's
    ``_mark_input_views``), or a view of one (named after its own node, as torch), else None."""
    made = t.__dict__.get("_custom_view")
    if made is None:
        base = (t.__dict__.get("_view") or (None,))[0]
        if base is not None and base.__dict__.get("_custom_view") and t.grad_fn is not None:
            return re.sub(r"Backward\d*$", "", t.grad_fn.name().split("::")[-1]), 0
    return made


def refuse_multi_output_view(self):
    """torch's refusal to change in place (values, or shape: ``unsqueeze_``) one of the views
    unbind, split or chunk returned in a graph."""
    multi = self.__dict__.get("_multi_output_view")
    if multi and autograd.is_grad_enabled():      # (set by unbind, split, chunk in a graph)
        raise RuntimeError(f"Output {multi[1]} of {multi[0]} is a view and is being modified "
                           f"inplace. This view is the output of a function that returns "
                           f"multiple views. Such functions do not allow the output views to "
                           f"be modified inplace. You should replace the inplace operation by "
                           f"an out-of-place one.")


# the number arguments (torch's Scalar) that the in-place methods read before their function
_NUMBER_KEYWORDS = {"add_": "alpha", "sub_": "alpha", "subtract_": "alpha",
                    "addcmul_": "value", "addcdiv_": "value"}


def inplace(self, fn, *args, name=None, check_shapes=True, **kwargs):
    """``self`` ← ``fn(self, *args, **kwargs)``, in place (see the module docstring)."""
    number = _NUMBER_KEYWORDS.get(name)
    if number in kwargs:            # (torch's TypeError names the in-place method)
        kwargs[number] = scalar_argument(kwargs[number], name, number)
    refuse_copied_view(self)
    if check_shapes:
        for other in args:
            _check_fits(self, name or fn.__name__ + "_", other)
    in_graph = autograd.is_grad_enabled() and (
        self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args))
    if autograd.is_grad_enabled() and self.__dict__.get("_no_grad_view"):
        refuse_write(self)
    if self.requires_grad and self.grad_fn is None and autograd.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation; wrap it in no_grad() (as optimizers do)")
    refuse_multi_output_view(self)
    made = _custom_view(self)
    if made and autograd.is_grad_enabled():       # (a custom Function's input, returned)
        raise RuntimeError(f"Output {made[1]} of {made[0]} is a view and is being modified "
                           f"inplace. This view was created inside a custom Function (or "
                           f"because an input was returned as-is) and the autograd logic to "
                           f"handle view+inplace would override the custom backward "
                           f"associated with the custom Function, leading to incorrect "
                           f"gradients. This behavior is forbidden. You can fix this by "
                           f"cloning the output of the custom Function.")
    if self.array.size and fn is not _fill and any(
            step == 0 and n > 1 for step, n in zip(self.array.strides, self.array.shape)):
        # (torch lets fill_ and zero_ write one value to such memory, nothing else)
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")     # (an expand's)
    check_inplace_overlap(name, self, args, kwargs)
    if in_graph and self.grad_fn is not None and _view_of_a_leaf(self):
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation (it would change the leaf's values behind "
                           "autograd's back); wrap it in no_grad() or work on a clone()")
    view = _written_view(self) if in_graph else None
    if in_graph:                   # the node computes from a copy of the old values
        old = Tensor._of(self.array.copy())
        old.requires_grad, old.grad_fn = self.requires_grad, self.grad_fn
        result = fn(old, *args, **kwargs)
    else:
        with autograd.no_grad():
            result = fn(self, *args, **kwargs)
    if _CATEGORY[result.dtype.kind] > _CATEGORY[self.dtype.kind]:
        raise RuntimeError(f"result type {_dtype_name(result.dtype)} can't be cast to the "
                           f"desired output type {_dtype_name(self.dtype)}")
    if result.shape != self.shape:
        raise ShapeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                         f"shape {list(result.shape)}")
    self._bump_version_unchecked()
    rounds = None if in_graph or fn is _fill else overlap_rounds(self.array, *args)
    if rounds is not None:           # overlapping as_strided windows: element after element
        write_rounds(self, result, rounds, fn, *args, **kwargs)
    elif self.array.size:            # (an empty expand's memory is read-only: nothing to write)
        np.copyto(through_expand(self.array), cast(result.array, self.dtype, copy=False),
                  casting="unsafe")
    if in_graph:
        self.grad_fn, self._requires_grad = result.grad_fn, result.requires_grad
        output_is_self(result, self)
    if view is not None:
        _rebase(self, result, *view)
    elif in_graph and self.__dict__.get("_views"):
        _remake_views(self)        # a base written into: its views read the new values
    if forward_ad.level_open():    # the tangent is written too
        forward_ad.inplace_tangent(self, result)
    return self


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def through_expand(array, index=None):
    """``array``, or where NumPy made it read-only only because it is (part of) an expanded
    tensor's memory — a broadcast view of a writable block — a writable alias of the same
    memory: torch writes through an expand where no two written elements are one place
    (``e.fill_(0)``, ``e.zero_()``, ``e[0] = row``, ``e[0].add_(1)``). ``index`` (torch_index's,
    for ``x[index] = v``) picks the part written; a part with a repeated place is torch's
    error (``e[:, 0] = v``); an advanced index keeps the read-only memory (and NumPy's error)."""
    if array.flags.writeable:
        return array
    owner = array
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if not owner.flags.writeable:      # (memory read-only in its own right: left as it is)
        return array
    if index is not None:
        basic = (slice, int, np.integer, type(None), type(Ellipsis))
        items = index if isinstance(index, tuple) else (index,)
        if not all(isinstance(i, basic) for i in items):
            return array
        part = array[index]
        if part.size and any(step == 0 and n > 1 for step, n in zip(part.strides, part.shape)):
            raise RuntimeError(_OVERLAP)
    address = array.__array_interface__["data"][0]
    return np.asarray(_Memory(owner, {"data": (address, False), "shape": array.shape,
                                      "strides": array.strides, "typestr": array.dtype.str,
                                      "version": 3}))


def _written_view(t):
    """For a view ``t`` of another tensor's memory (see ``_record_view`` in
    :mod:`tinygrad_sgd.autograd.function`): (its base, how to remake it from the base, the flat
    positions in the base of its elements); else None. A view with several elements at one
    place (an expanded one) can't be written into, as in torch."""
    view = t.__dict__.get("_view")
    if view is None or not np.may_share_memory(view[0].array, t.array):
        return None
    base, replay = view
    if replay is None:
        raise RuntimeError("an in-place write into an as_strided view (or a view of one) of a "
                           "tensor that is not its whole storage is not supported in a graph: "
                           "its base's graph can't be rewired; write into a clone() instead")
    with autograd.no_grad():
        where = replay(Tensor._of(np.arange(base.array.size).reshape(base.shape))).array
    if np.unique(where).size < where.size:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    return base, replay, where


def _rebase(t, result, base, replay, where):
    """After an in-place write into the view ``t`` (its new values: ``result``), the base
    joins the graph as :class:`~tinygrad_sgd.ops.assign.CopySlices` of its old self and the
    result, and ``t`` and the base's other views become views of that again (torch's rebase):
    a gradient through any of them reaches what was written."""
    old = Tensor._of(base.array)
    old._requires_grad, old.grad_fn = base.requires_grad, base.grad_fn
    new = ops.assign.CopySlices.apply(old, result, where)
    base.grad_fn, base._requires_grad = new.grad_fn, True
    _remake_views(base)                                  # t and its sibling views


def _remake_views(base):
    """Every live view of ``base`` made again from it (their graphs then start from the
    base's new node), as torch regenerates a view's grad_fn after its base changed."""
    for v in list(base.__dict__.get("_views", ())):
        remake = v.__dict__.get("_view")
        if remake is not None and remake[0] is base and remake[1] is not None and \
                np.may_share_memory(v.array, base.array):
            v.grad_fn, v._requires_grad = remake[1](base).grad_fn, True


_VIEW_OPS = ("GetItem", "Reshape", "Permute", "Expand", "Diagonal", "AsStrided")


def _view_of_a_leaf(t):
    """True if ``t`` is a view (slices, reshapes, transposes, ... of views) of a leaf that
    requires grad, sharing its memory."""
    edge = t.grad_fn
    while edge is not None and type(edge).__name__ in _VIEW_OPS:
        edge = edge._edges[0]
    return (isinstance(edge, Tensor) and edge.requires_grad and edge.grad_fn is None
            and np.may_share_memory(edge.array, t.array))


def _check_fits(self, op, other):
    """An in-place result can't change the shape: ``other`` must broadcast to this shape."""
    shape = np.shape(other.array if isinstance(other, Tensor) else other)
    if shape == self.shape or not shape or other is None:
        return
    try:
        fits = np.broadcast_shapes(shape, self.shape) == self.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{op}: an operand of shape {tuple(shape)} does not fit into a tensor "
                         f"of shape {self.shape} (an in-place result must keep the tensor's "
                         f"shape)")


def _method(name, fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, name=name, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In place: ``self = {fn.__name__}(self, ...)`` (see functions.inplace)."
    setattr(Tensor, name, method)


def _power(x, e):
    return E.pow(x, e)


for _name, _fn in {"add_": E.add, "sub_": E.sub, "mul_": E.mul, "div_": E.div,
                   "pow_": _power, "clamp_": E.clamp_method("clamp_"),
                   "clip_": E.clamp_method("clip_"), "neg_": E.neg,
                   "exp_": E.exp, "log_": E.log, "sqrt_": E.sqrt, "abs_": E.abs,
                   "__iadd__": E.add, "__isub__": E.sub, "__imul__": E.mul,
                   "__itruediv__": E.div, "__ipow__": _power}.items():
    _method(_name, _fn)

# the elementwise math: x.sin_(), x.floor_(), x //= y, x &= y, x <<= 1, ...
for _name, _fn in {
        "subtract_": E.sub, "multiply_": E.mul, "divide_": E.div, "true_divide_": E.div,
        "floor_divide_": E.floor_divide, "remainder_": E.remainder, "fmod_": E.fmod,
        "square_": E.square, "negative_": E.neg, "absolute_": E.abs,
        "clamp_min_": E.clamp_min, "clamp_max_": E.clamp_max, "tanh_": A.tanh,
        "__ifloordiv__": E.floor_divide, "__imod__": E.remainder,
        "__iand__": M.bitwise_and, "__ior__": M.bitwise_or, "__ixor__": M.bitwise_xor,
        "__ilshift__": M.bitwise_left_shift, "__irshift__": M.bitwise_right_shift,
        **{name + "_": getattr(M, name) for name in (
            "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
            "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "log2",
            "log10", "log1p", "expm1", "exp2", "rsqrt", "reciprocal", "floor", "ceil",
            "trunc", "fix", "frac", "round", "sign", "sgn", "atan2", "arctan2", "hypot",
            "copysign", "lerp", "nan_to_num", "logical_and", "logical_or", "logical_xor",
            "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
            "bitwise_left_shift", "bitwise_right_shift")}}.items():
    _method(_name, _fn)


def _product_method(name, fn):
    """``x.addmm_(m1, m2)``: the operands have other shapes than ``x``; the result must have
    x's (checked after the product, as torch)."""
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, name=name, check_shapes=False, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In place: ``self = {fn.__name__}(self, ...)`` (see functions.inplace)."
    setattr(Tensor, name, method)


for _name in ("addmm", "baddbmm", "addmv", "addr"):
    _product_method(_name + "_", getattr(P, _name))


def _fill(x, value):
    v = value.array if isinstance(value, Tensor) else value
    if np.ndim(v) != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{np.ndim(v)} dimensions.")
    return Tensor._of(np.full(x.shape, cast(v, x.dtype) if isinstance(value, Tensor) else
                              checked_scalar(v, x.dtype), dtype=x.dtype))


def _copy(x, src):
    src = src if isinstance(src, Tensor) else Tensor._of(np.asarray(src))
    # (copy_ casts any dtype, as torch)
    return Tensor._of(cast(np.broadcast_to(src.array, x.shape), x.dtype))


def _fill_in_graph(x, value):
    _fill(x, value)                                    # (its checks: a 0-d value, in range)
    v = value if isinstance(value, Tensor) else Tensor._of(checked_scalar(value, x.dtype))
    return ops.assign.Fill.apply(x, v)


def _in_graph(self, value):
    """Does the write need its graph op: in grad mode, or for a value's forward AD tangent?"""
    return autograd.is_grad_enabled() and (self.requires_grad or (
        isinstance(value, Tensor) and value.requires_grad)) or \
        forward_ad.dual(value)


def fill_(self, value):
    """Every element ← ``value`` (a number or a 0-d tensor). In a graph, a node (torch's
    ``FillBackward``): the old values get a zero gradient, a tensor value the sum."""
    if _in_graph(self, value):
        out = inplace(self, _fill_in_graph, value, name="fill_")
        return named(out, "FillBackward3" if isinstance(value, Tensor) else "FillBackward2")
    return inplace(self, _fill, value, name="fill_")


def zero_(self):
    if _in_graph(self, 0):
        return named(inplace(self, _fill_in_graph, 0, name="zero_"), "ZeroBackward0")
    return inplace(self, _fill, 0, name="zero_")


def _copy_in_graph(x, src):
    return ops.CopyFrom.apply(x, src if isinstance(src, Tensor) else Tensor._of(np.asarray(src)))


def copy_(self, src):
    """Copy ``src``'s values into this tensor (broadcast, cast to its dtype). With grad mode
    on and ``src`` requiring grad the copy is a graph node (``CopyBackwards``), as in torch:
    gradients flow back to ``src``."""
    if _in_graph(self, src):
        return inplace(self, _copy_in_graph, src, name="copy_")
    return inplace(self, _copy, src, name="copy_")


def _index_put(x, index, value):
    value = value if isinstance(value, Tensor) else Tensor._of(_written(value, x.dtype))
    return ops.IndexPut.apply(x, value.to(x.dtype), index)


def _written(value, dtype):
    """A number ``x[index] = value`` writes, as torch converts it: checked against the dtype
    (:func:`~tinygrad_sgd.dtypes.checked_scalar`: 300 into int8 is its RuntimeError) — but
    into float16 unchecked (1e5 and 2**63 − 1 are inf there, as torch's)."""
    if dtype == np.float16 and isinstance(value, numbers.Real) and \
            not isinstance(value, (bool, np.bool_)):
        return cast(np.asarray(float(value)), np.float16)
    return checked_scalar(value, dtype)


def _shell_setitem(self, index, value):
    """torch's NotImplementedError for writing into a uint16/uint32/uint64 tensor through a
    tensor (or list) index: a bool mask and one value is its ``masked_fill``, any other its
    ``index_put`` (ints and slices are plain copies, which torch has)."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(i, (Tensor, list, np.ndarray)) for i in items):
        return
    mask = len(items) == 1 and isinstance(index, Tensor) and index.dtype == np.bool_ and \
        (not isinstance(value, Tensor) or value.ndim == 0)
    E.no_shell_kernel("masked_fill" if mask else "index_put", self.array.dtype)


def setitem(self, index, value):
    """``x[index] = value``. With grad mode on and ``value`` (or ``x``) in a graph, ``x``
    joins the graph as torch's ``CopySlices`` (``x[0] = w * 3`` sends a gradient to ``w``);
    otherwise a plain write (refused on a leaf that requires grad, outside no_grad). The
    index is read as ``x[index]`` reads it (torch's order: ints and slices first, then the
    tensor indices, see :func:`~tinygrad_sgd.functions.index.torch_index`)."""
    refuse_copied_view(self)
    if isinstance(value, np.ndarray):      # (a convenience torch does not offer)
        value = Tensor._of(value)
    if not isinstance(value, (Tensor, numbers.Number, np.number, np.bool_)):
        raise TypeError(f"can't assign a {_type_name(value)} to a "
                        f"{_dtype_name(self.dtype)} tensor")
    if beyond_int64(value):          # (torch reads the number as an int64, whatever the dtype)
        raise ValueError("Overflow when unpacking long long")
    node_name = setitem_rules(index, value, self)
    if self.array.dtype in SHELL_DTYPES:
        _shell_setitem(self, index, value)
    check_setitem_overlap(self, index, value)
    written, index = index, torch_index(index, self.shape)
    if self.__dict__.get("_no_grad_view") and autograd.is_grad_enabled():
        refuse_write(self, last_view_op(written, self.shape))
    if isinstance(value, Tensor) and value.ndim and value.shape[0] == 1:
        # as torch's copy_to: the value's leading 1s go first (x[i] = model(x_i) with a (1,)
        # result, y[0] = row of shape (1, n)), then it is broadcast to the selected part
        lead = next((i for i, n in enumerate(value.shape) if n != 1), value.ndim)
        value = value.reshape(value.shape[lead:])
    if autograd.is_grad_enabled() and (self.requires_grad or (isinstance(value, Tensor) and
                                                              value.requires_grad)) or \
            forward_ad.dual(self, value):
        out = inplace(self, _index_put, index, value, name="__setitem__", check_shapes=False)
        return named(out, node_name)
    v = cast(value.array, self.dtype, copy=False) if isinstance(value, Tensor) else \
        _written(value, self.dtype)
    target, where = ops.index.write_target(through_expand(self.array, index), index)
    self._bump_version()
    try:
        target[where] = v
    except ValueError as e:
        if "broadcast" not in str(e) and "sequence" not in str(e):
            raise
        raise ShapeError(f"setitem: a value of shape {tuple(np.shape(v))} can't be written into "
                         f"the selected part, of shape {np.shape(target[where])} (the expanded "
                         f"size must match the existing size)") from None
    return self


def _type_name(value):
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


Tensor.fill_, Tensor.zero_, Tensor.copy_ = fill_, zero_, copy_
