"""Memory shared between a written tensor and the tensors it is computed from, with torch's
rules (its ``get_overlap_status`` and ``has_internal_overlap``, ATen's MemoryOverlap.cpp):

* ``out=`` of an elementwise function (and the scans, sort, ...) may be an input itself — the
  same memory with the same strides, computed as an in-place op — but may not overlap an
  input partly (``torch.add(x[:-1], 1, out=x[1:])``, ``torch.exp(m, out=m.t())``);
* an in-place op likewise (``x[1:].add_(x[:-1])``, ``x[1:].copy_(x[:-1])``, ``x[1:] = x[:-1]``;
  ``x[[0, 1]] = x[:2]`` and the in-place index writes, ``x.index_copy_(0, i, x[:2])``,
  ``x.scatter_(0, i, x)``, may share no memory at all);
* a written tensor whose elements repeat places (an expand's) is refused;
* as torch, a tensor that leaves gaps in its memory (``x[::2]``) or repeats places is not
  compared ("too hard"): there the result is computed from the old values.

Here the result is always computed into new memory first, so where torch lets a write through
the values are right; where torch refuses, so does the library, with torch's message.
"""
import numpy as np

from ..tensor import Tensor

__all__ = ["PARTIAL_OVERLAP", "overlap_status", "dense", "check_partial_overlap",
           "check_inplace_overlap", "check_setitem_overlap", "check_index_write_overlap"]

# functions whose ``out`` may be an input itself (as an in-place op) but may not overlap one
# partly (torch's TensorIterator check, get_overlap_status): the elementwise ones, the scans,
# sort, ...; for those of PARTIAL_OVERLAP_SELF only the first input is checked (addmm's
# matrices may overlap ``out``); an ``out`` of which several elements are one place (an
# expand's) is refused too. (Not checked, as in torch: the reductions, matrix products,
# cummax/cummin, tril/triu, softmax, ...: there torch's values come from reading its own
# writes, the library's from the values before the call.)
PARTIAL_OVERLAP = frozenset("""
abs absolute acos acosh add addcdiv addcmul angle arccos arccosh arcsin arcsinh arctan arctan2
arctanh asin asinh atan atan2 atanh bernoulli bitwise_and bitwise_left_shift bitwise_not
bitwise_or bitwise_right_shift bitwise_xor ceil clamp clamp_max clamp_min clip conj_physical
copysign cos cosh cumprod cumsum deg2rad digamma div divide eq erf erfc erfinv
exp exp2 expm1 fix float_power floor floor_divide fmax fmin fmod frac frexp gcd ge greater
greater_equal gt heaviside hypot i0 igamma igammac isneginf isposinf kron lcm ldexp le lerp
less less_equal lgamma log log10 log1p log2 logaddexp logaddexp2 logcumsumexp logical_and
logical_not logical_or logical_xor logit lt max maximum min minimum msort mul multiply
nan_to_num ne neg negative nextafter normal not_equal polygamma pow rad2deg reciprocal
remainder renorm round rsqrt scatter sgn sigmoid sign signbit sin sinc sinh sort sqrt square
sub subtract tan tanh topk true_divide trunc where xlogy diff
index_copy addmm addmv addr addbmm baddbmm
""".split())
PARTIAL_OVERLAP_SELF = frozenset("addmm addmv addr addbmm baddbmm".split())
_PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing "
            "the operation.")
_INTERNAL = ("unsupported operation: more than one element of the written-to tensor refers to a "
             "single memory location. Please clone() the tensor before performing the "
             "operation.")


def check_partial_overlap(name, out, args, kwargs):
    """torch's RuntimeErrors for the functions of :data:`PARTIAL_OVERLAP`: an ``out`` with
    elements at one place (an expanded tensor), or one that overlaps an input without being
    exactly it (same memory, same strides: ``add(x[:-1], 1, out=x[1:])``, ``exp(m,
    out=m.t())``). max and min only in their elementwise form (``max(a, b)``)."""
    if name in ("max", "min") and (isinstance(out, (tuple, list)) or not any(
            isinstance(v, Tensor) for v in (*args[1:2], kwargs.get("other")))):
        return
    outs = [o.array for o in (out if isinstance(out, (tuple, list)) else [out])
            if isinstance(o, Tensor) and isinstance(o.array, np.ndarray)]
    for o in outs:
        if o.size and not dense(o) and any(
                s == 0 and n > 1 for s, n in zip(o.strides, o.shape)):
            raise RuntimeError(_INTERNAL)
    inputs = [*args, *kwargs.values()]
    if name in PARTIAL_OVERLAP_SELF:
        inputs = inputs[:1]
    if name == "diff":
        inputs = _diff_operands(*args, **kwargs)
    for t in _tensors(inputs):
        if isinstance(t.array, np.ndarray) and \
                any(overlap_status(t.array, o) == "partial" for o in outs):
            raise RuntimeError(_PARTIAL)


def _diff_operands(input, n=1, dim=-1, prepend=None, append=None):
    """What torch's diff writes ``out`` from: ``input`` itself for n = 0 (a copy), its two
    shifted parts for n = 1 (``out = x[1:] - x[:-1]``); for n > 1, or with prepend/append,
    new tensors only."""
    if not isinstance(input, Tensor) or input.ndim == 0 or not isinstance(n, int) or \
            not isinstance(dim, int) or not -input.ndim <= dim < input.ndim:
        return []
    if n == 0:
        return [input]
    m = input.shape[dim]
    if n != 1 or prepend is not None or append is not None or m == 0:
        return []
    return [input.narrow(dim, 1, m - 1), input.narrow(dim, 0, m - 1)]


def overlap_status(a, b):
    """torch's get_overlap_status of two arrays: "full" (one memory span, one layout: ``b`` is
    ``a`` as far as elementwise ops go), "partial" (they share memory otherwise), "no", or
    "too hard" (one leaves gaps in its memory or repeats places: not checked). Strides of
    dims of size 1 in both are not compared (they differ between views that torch lays out
    alike)."""
    if a is b:
        return "full"
    if a.size == 0 or b.size == 0 or not np.may_share_memory(a, b):   # (the common case: fast)
        return "no"
    if not dense(a) or not dense(b):
        return "too hard"
    (a_lo, a_hi), (b_lo, b_hi) = _bounds(a), _bounds(b)
    if a_lo >= b_hi or b_lo >= a_hi:
        return "no"
    same = (a_lo, a_hi) == (b_lo, b_hi) and a.ndim == b.ndim and all(
        sa // a.itemsize == sb // b.itemsize or na == nb == 1
        for sa, sb, na, nb in zip(a.strides, b.strides, a.shape, b.shape))
    return "full" if same else "partial"


def _bounds(array):
    """The first and one-past-last byte addresses of a dense array's memory."""
    low = array.__array_interface__["data"][0] + sum(
        (n - 1) * s for n, s in zip(array.shape, array.strides) if s < 0)
    return low, low + array.nbytes


def dense(array):
    """Whether ``array``'s elements fill its memory span (torch's non-overlapping and dense:
    any order of the strides, no gaps, no repeats)."""
    span = array.itemsize + sum((n - 1) * abs(s) for n, s in zip(array.shape, array.strides))
    return array.size > 0 and span == array.nbytes


def _tensors(values):
    """The Tensors among ``values`` and inside the tuples and lists among them."""
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from (t for t in v if isinstance(t, Tensor))


# in-place operators as the functions they compute
_INPLACE_BASE = {"__iadd__": "add", "__isub__": "sub", "__imul__": "mul", "__itruediv__": "div",
                 "__ipow__": "pow", "__ifloordiv__": "floor_divide", "__imod__": "remainder",
                 "__iand__": "bitwise_and", "__ior__": "bitwise_or", "__ixor__": "bitwise_xor",
                 "__ilshift__": "bitwise_left_shift", "__irshift__": "bitwise_right_shift"}


def check_inplace_overlap(name, self, args, kwargs):
    """torch's RuntimeError for an in-place op ``name`` (``add_``, ``__iadd__``, ``copy_``)
    of :data:`PARTIAL_OVERLAP` whose operand overlaps ``self`` partly (``x[1:].add_(x[:-1])``);
    ``x.add_(x)`` is fine. (fill_, masked_fill_, index_fill_ read a 0-d value first: never.)"""
    base = _INPLACE_BASE.get(name) or (name or "")[:-1]
    if base != "copy" and (base not in PARTIAL_OVERLAP or base in PARTIAL_OVERLAP_SELF):
        return
    if not isinstance(self.array, np.ndarray):
        return
    for t in _tensors([*args, *kwargs.values()]):
        if isinstance(t.array, np.ndarray) and overlap_status(t.array, self.array) == "partial":
            raise RuntimeError(_PARTIAL)


def check_setitem_overlap(self, index, value):
    """torch's RuntimeError for ``self[index] = value`` where ``value`` shares memory with what
    is written: with ints, slices, None and ``...`` it is copied into the part ``self[index]``
    (a partial overlap refused, a 0-d value filled in: never), with a list or tensor index it
    is ``index_put_`` into what the basic part of the index selects, which may share no
    memory with it at all (``x[[0, 1]] = x[:2]``)."""
    if not isinstance(value, Tensor) or not isinstance(value.array, np.ndarray) or \
            not np.may_share_memory(self.array, value.array):
        return
    items = index if isinstance(index, tuple) else (index,)
    basic, advanced = [], False
    for i in items:
        if isinstance(i, Tensor) and i.ndim == 0 and i.dtype.kind in "iu":
            basic.append(int(i.item()))          # (a 0-d integer tensor selects, as an int)
        elif i is None or i is Ellipsis or isinstance(i, slice) or (
                isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))):
            basic.append(i)
        elif isinstance(i, (bool, np.bool_)):
            basic.append(None)                   # (True adds a dim of size 1: same memory)
        else:                                    # a list, array or tensor: index_put_
            advanced = True
            mask = np.asarray(i.array if isinstance(i, Tensor) else i)
            basic.extend([slice(None)] * (mask.ndim if mask.dtype == bool else 1))
    try:
        part = self.array[tuple(basic)]
    except (IndexError, TypeError, ValueError):  # (the write's own error comes later)
        return
    if advanced:
        status = overlap_status(part, value.array)
        if status in ("full", "partial"):
            raise RuntimeError(_PARTIAL)
        return
    if value.ndim == 0:
        return
    v = value.array
    if v.shape != part.shape:                    # (its leading 1s dropped, then broadcast)
        lead = next((k for k, n in enumerate(v.shape) if n != 1), v.ndim)
        try:
            v = np.broadcast_to(v.reshape(v.shape[lead:]), part.shape)
        except ValueError:
            return
        if v.ndim == 0 or value.ndim == lead:
            return
    if overlap_status(part, v) == "partial":
        raise RuntimeError(_PARTIAL)


# in-place index writes whose source (or index) may share no memory at all with the tensor
# written, as torch's assert_no_overlap: x.index_copy_(0, i, x[:2]), x.index_put_((i,), x)
INDEX_WRITES = frozenset("index_put_ put_ index_copy_ index_add_ index_reduce_ scatter_ "
                         "scatter_add_ scatter_reduce_".split())


def check_index_write_overlap(name, self, tensors):
    """torch's RuntimeError for the in-place index write ``name`` of :data:`INDEX_WRITES`
    whose operand shares memory with ``self`` (even all of it)."""
    if name not in INDEX_WRITES or not isinstance(self.array, np.ndarray):
        return
    for t in _tensors(tensors):
        if isinstance(t.array, np.ndarray) and \
                overlap_status(t.array, self.array) in ("full", "partial"):
            raise RuntimeError(_PARTIAL)
