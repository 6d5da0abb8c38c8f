"""Small names torch has for things this library already does:

* the ``*_copy`` functions (``torch.select_copy``, ``torch.transpose_copy``, ...): the view
  function's values in a new tensor (a ``clone`` of the view, so gradients flow as through
  the view), and ``narrow_copy``;
* ``split_with_sizes`` and the ``unsafe_*`` splits (torch's "unsafe" only skips a view check:
  the values are those of ``split``/``chunk``);
* the complex-number names on real tensors, as torch answers them: ``conj``,
  ``conj_physical``, ``resolve_conj``, ``resolve_neg`` and ``.real`` return the tensor itself,
  ``is_conj``/``is_neg`` are False, ``isreal`` is all True, ``.imag`` is refused, ``adjoint``
  / ``.mH`` (and ``.H`` for a matrix) transpose the last two dims, ``angle`` is π for a
  negative number, 0 otherwise (NaN stays NaN) with gradient 0;
* predicates and helpers: ``is_signed``, ``is_inference`` (a tensor made in
  ``inference_mode``), ``nonzero_static``, ``fill``, ``data_ptr``, ``new_empty_strided``, and the
  CPU-only ``apply_`` / ``map_`` / ``map2_`` (a Python callable per element, not
  differentiable, as torch).
"""
import math
import numbers

import numpy as np

from .. import autograd, ops
from ..arguments import normalize_dim
from ..device import check_device
from ..dtypes import cast
from ..size import Size
from ..tensor import Tensor, tensor_method
from . import index as I, shape as S
from .inplace import _dtype_name, inplace

__all__ = ["split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
           "narrow_copy", "alias_copy", "detach_copy", "diagonal_copy", "expand_copy",
           "permute_copy", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
           "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
           "unsqueeze_copy", "view_copy", "is_signed", "is_inference", "is_conj", "is_neg",
           "resolve_conj", "resolve_neg", "conj", "conj_physical", "conj_physical_", "adjoint",
           "real", "imag", "isreal", "angle", "nonzero_static", "fill"]


# ---------------------------------------------------------------------------- splits
@tensor_method
def split_with_sizes(input, split_sizes, dim=0):
    """Pieces of the listed sizes along ``dim`` (they must add up to its size)."""
    if not isinstance(split_sizes, (list, tuple)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 1) must be tuple "
                        f"of ints, not {type(split_sizes).__name__}")
    return I.split(input, list(split_sizes), dim)


def unsafe_split(tensor, split_size_or_sections, dim=0):
    """``split``'s pieces of ``split_size`` (torch's unsafe form only skips a check on later
    in-place use, and takes only a size: for a list of sizes, unsafe_split_with_sizes)."""
    return _unsafe_split_method(tensor, split_size_or_sections, dim)


def _unsafe_split_method(self, split_size, dim=0):
    if not isinstance(split_size, numbers.Integral) or isinstance(split_size, bool):
        raise TypeError(f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    return I.split(self, split_size, dim)


_unsafe_split_method.__name__ = _unsafe_split_method.__qualname__ = "unsafe_split"
Tensor.unsafe_split = _unsafe_split_method


@tensor_method
def unsafe_chunk(input, chunks, dim=0):
    """``chunk``'s pieces."""
    return I.chunk(input, chunks, dim)


@tensor_method
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """``split_with_sizes``'s pieces."""
    return split_with_sizes(input, split_sizes, dim)


# ---------------------------------------------------------------------------- *_copy
@tensor_method
def narrow_copy(input, dim, start, length):
    """``narrow``'s values in a new tensor. As torch: ``dim``, ``start`` and ``length`` ints
    (or integer tensors of one element); a 0-d tensor cannot be narrowed."""
    for position, (name, value) in enumerate((("dim", dim), ("start", start),
                                              ("length", length)), start=2):
        if not I.is_int_argument(value):
            raise TypeError(f"narrow_copy(): argument '{name}' (position {position}) must be "
                            f"int, not {type(value).__name__}")
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim >= input.ndim:               # (torch's own check here, before the usual one)
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, "
                           "but got false.  (Could this error message be improved?  If so, "
                           "please report an enhancement request to PyTorch.)")
    return I.narrow_part(input, dim, int(start), int(length)).clone()


def _copy_of(view, name):
    def copy(input, *args, **kwargs):
        out = view(input, *args, **kwargs)
        return tuple(t.clone() for t in out) if isinstance(out, tuple) else out.clone()
    copy.__name__ = copy.__qualname__ = name
    copy.__doc__ = (f"``{view.__name__}``'s result with freshly made values (not sharing "
                    f"the input's memory); gradients flow as through ``{view.__name__}``.")
    return copy


def alias_copy(input):
    """A copy of ``input``, in the graph (as torch.alias followed by a copy)."""
    return input.clone()


def detach_copy(input):
    """``input.detach()`` with values of its own."""
    return input.detach().clone()


def _expand(input, size, *, implicit=False):
    return S.expand(input, *size)


def _permute(input, dims=None):
    if dims is None:
        raise TypeError('permute_copy() missing 1 required positional arguments: "dims"')
    return S.permute(input, dims)          # (dims as one list: () for a 0-d tensor)


def _slice(input, dim=0, start=None, end=None, step=1):
    if input.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step is not None and int(step) <= 0:
        raise RuntimeError("slice step must be positive")
    d = normalize_dim(dim, input.ndim, "slice")
    return ops.GetItem.apply(input, (slice(None),) * d + (slice(start, end, step),))


def _view(input, size):
    return S.view(input, *size) if isinstance(size, (list, tuple)) else S.view(input, size)


def _split(input, split_size, dim=0):
    return I.split(input, split_size, dim)


diagonal_copy = _copy_of(I.diagonal, "diagonal_copy")
expand_copy = _copy_of(_expand, "expand_copy")
permute_copy = _copy_of(_permute, "permute_copy")
select_copy = _copy_of(I.select, "select_copy")
slice_copy = _copy_of(_slice, "slice_copy")
split_copy = _copy_of(_split, "split_copy")
split_with_sizes_copy = _copy_of(split_with_sizes, "split_with_sizes_copy")
squeeze_copy = _copy_of(S.squeeze, "squeeze_copy")
t_copy = _copy_of(S.t, "t_copy")
transpose_copy = _copy_of(S.transpose, "transpose_copy")
unbind_copy = _copy_of(I.unbind, "unbind_copy")
unfold_copy = _copy_of(I.unfold, "unfold_copy")
unsqueeze_copy = _copy_of(S.unsqueeze, "unsqueeze_copy")
view_copy = _copy_of(_view, "view_copy")


# ---------------------------------------------------------------------------- predicates
@tensor_method
def is_signed(input):
    """True unless the dtype is bool or unsigned (uint8)."""
    return input.dtype.kind not in "bu"


@tensor_method
def is_inference(input):
    """Whether ``input`` is an inference tensor: made inside ``inference_mode()`` (see
    there), or a view, ``detach()`` or ``.data`` of one."""
    return input._inference


@tensor_method
def is_conj(input):
    """False: a real tensor has no lazy conjugate bit."""
    return False


@tensor_method
def is_neg(input):
    """False: a real tensor has no lazy negation bit."""
    return False


@tensor_method
def resolve_conj(input):
    """The tensor itself (nothing to resolve on a real tensor, as torch)."""
    return input


@tensor_method
def resolve_neg(input):
    """The tensor itself (nothing to resolve on a real tensor, as torch)."""
    return input


@tensor_method
def conj(input):
    """The tensor itself: a real number is its own conjugate (torch returns self too)."""
    return input


@tensor_method
def conj_physical(input):
    """The tensor itself, as torch for a real tensor."""
    return input


@tensor_method
def conj_physical_(input):
    """In place, nothing to do on a real tensor: the tensor itself."""
    return input


def real(input):
    """The tensor itself, as torch for a real tensor."""
    return input


def imag(input):
    """Refused, as torch refuses it for real tensors."""
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


Tensor.real = property(real)
Tensor.imag = property(imag)


@tensor_method
def isreal(input):
    """All True: every element of a real tensor is real."""
    return Tensor._of(np.ones(input.shape, dtype=bool))


@tensor_method
def adjoint(input):
    """The conjugate transpose of the last two dims: for real tensors ``transpose(-2, -1)``."""
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    return S.transpose(input, -2, -1)


def _mH(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return S.transpose(self, -2, -1)


def _H(self):
    if self.ndim == 0:
        return self
    if self.ndim != 2:
        more = (" For batches of matrices, consider using tensor.mH" if self.ndim > 2 else "")
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.{more}")
    return S.t(self)


Tensor.mH, Tensor.H = property(_mH), property(_H)


def _constant_like(input, values):
    """``values`` (input's shape) as a tensor whose gradient w.r.t. ``input`` is 0, in the
    graph as torch's (a Where that takes nothing from input)."""
    values = Tensor._of(np.asarray(values))
    if not (autograd.is_grad_enabled() and input.requires_grad) and \
            not autograd.forward_ad.dual(input):
        return values
    return ops.Where.apply(Tensor._of(np.ones(input.shape, dtype=bool)), values, input)


@tensor_method
def angle(input):
    """The argument of a real number: π where negative, 0 otherwise, NaN where NaN; an integer
    tensor gives the default float dtype. The gradient is 0, as torch's."""
    a = input.array
    dtype = a.dtype if a.dtype.kind == "f" else np.dtype(Tensor._of(0.0).dtype)
    values = np.where(a < 0, math.pi, 0).astype(dtype)
    if a.dtype.kind == "f":
        values = np.where(np.isnan(a), a, values)
        return _constant_like(input, values)
    return Tensor._of(values)


# ---------------------------------------------------------------------------- helpers
@tensor_method
def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero(input)`` cut or padded (with ``fill_value`` rows) to exactly ``size`` rows."""
    if not isinstance(size, numbers.Integral) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = np.argwhere(input.array).astype(np.int64)[:size]
    out = np.full((size, input.ndim), fill_value, dtype=np.int64)
    out[:len(found)] = found
    return Tensor._of(out)


def fill(input, value):
    """A new tensor of input's shape and dtype filled with ``value`` (a number or a 0-d
    tensor, which gets the summed gradient); input gets gradient 0, as torch's."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        v = value.to(input.dtype) if value.dtype != input.dtype else value
    else:
        v = Tensor._of(np.asarray(value).astype(input.dtype))
    needs = autograd.is_grad_enabled() and (input.requires_grad or v.requires_grad)
    if not needs and not autograd.forward_ad.dual(input, v):
        return Tensor._of(np.full(input.shape, v.array, dtype=input.dtype))
    return ops.Where.apply(Tensor._of(np.ones(input.shape, dtype=bool)), v, input)


def data_ptr(self):
    """The address of the tensor's first element (NumPy's array interface): equal for tensors
    that share memory from the same start. For a view of a result kept in the library's own
    order (contiguous in torch), its place in torch's storage: the result's address plus the
    view's torch ``storage_offset()`` in bytes (``y[1].data_ptr() - y.data_ptr()`` is torch's
    C·H·W·itemsize), the same address ``storage().data_ptr()`` gives."""
    from ..creation import storage_place
    place = storage_place(self)
    if place is None:
        return self.array.__array_interface__["data"][0]
    return place[0].__array_interface__["data"][0] + place[2] * self.array.itemsize


Tensor.data_ptr = data_ptr


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    """``torch.empty_strided(size, stride)`` (values unspecified, here zeros) with this
    tensor's dtype unless told."""
    from .creation_more import empty_strided
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         device=device, requires_grad=requires_grad)


Tensor.new_empty_strided = new_empty_strided


def new(self, *args, device=None):
    """torch's legacy constructor with this tensor's dtype: ``x.new(2, 3)`` or
    ``x.new(size)`` (zeros here: torch leaves the values unset), ``x.new(data)`` (a list or
    array, converted), ``x.new(tensor)`` (same dtype: its memory, no graph), ``x.new()``
    (empty)."""
    check_device(device)
    if not args:
        return Tensor._of(np.zeros(0, dtype=self.dtype))
    if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
        return Tensor._of(np.zeros(args, dtype=self.dtype))
    if len(args) == 1 and isinstance(args[0], Size):
        return Tensor._of(np.zeros(tuple(args[0]), dtype=self.dtype))
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype != self.dtype:
            raise TypeError(f"new(): expected a tensor of dtype {_dtype_name(self.dtype)} "
                            f"(got {_dtype_name(args[0].dtype)})")
        return Tensor._of(args[0].array)
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        return Tensor._of(cast(np.array(args[0]), self.dtype))
    raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")


Tensor.new = new


# ---------------------------------------------------------------------------- apply_, map_
def _no_grad_target(self, op):
    if self.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use "
                           f"var.detach().{op}() instead.")


def _elementwise(self, fn, others, op):
    for o in others:
        if not isinstance(o, Tensor):
            raise TypeError(f"{op}(): argument must be Tensor, not {type(o).__name__}")
        if o.dtype != self.dtype:
            raise TypeError(f"{op}: expected {_dtype_name(self.dtype)} for 'other' (got "
                            f"{_dtype_name(o.dtype)})")
    try:
        arrays = [np.broadcast_to(o.array, self.shape) for o in others]
    except ValueError:
        raise RuntimeError(f"{op}: the operands' shapes {[list(o.shape) for o in others]} can't "
                           f"be expanded to the tensor's shape {list(self.shape)}") from None
    # (a Python call per element is what apply_ means: torch's is a CPU loop, too)
    called = np.frompyfunc(fn, 1 + len(arrays), 1)(self.array, *arrays)
    out = np.asarray(called, dtype=object).astype(self.dtype).reshape(self.shape)
    return inplace(self, lambda x: Tensor._of(out), name=op, check_shapes=False)


def apply_(self, callable):
    """Replace every element ``v`` by ``callable(v)`` (a Python number in, one out), in
    place. Not differentiable (refused on a tensor that requires grad), as torch."""
    _no_grad_target(self, "apply_")
    return _elementwise(self, callable, [], "apply_")


def map_(self, tensor, callable):
    """``self[i] = callable(self[i], tensor[i])`` for every element (tensor broadcast to
    self's shape), in place; not differentiable."""
    _no_grad_target(self, "map_")
    return _elementwise(self, callable, [tensor], "map_")


def map2_(self, x, y, callable):
    """``self[i] = callable(self[i], x[i], y[i])`` for every element, in place."""
    _no_grad_target(self, "map2_")
    return _elementwise(self, callable, [x, y], "map2_")


Tensor.apply_, Tensor.map_, Tensor.map2_ = apply_, map_, map2_
