"""Numeric helpers a torch user reaches for: dist, addcmul, addcdiv, quantile, nanquantile,
msort, renorm; the predicates (is_tensor, is_floating_point, is_complex, numel, equal), the
comparison aliases (greater, less_equal, not_equal, ...), type_as, new_empty and
``inference_mode`` (here: no_grad, as a context manager and a decorator; ``inference_mode(False)``
turns grad mode on, as torch's).

(Re-exported by :mod:`.special`, which the package's function list already includes.)
All compose existing differentiable functions (sort, gather, lerp, norm, where)."""
import numbers

import numpy as np

from ..dtypes import checked_scalar, scalar_argument
from ..tensor import Tensor, tensor_method
from ..ops.math import Addcdiv, Addcmul
from ..ops.strided import element_strides
from .elementwise import (compare_function, no_shell_kernel, not_implemented, require_tensors,
                          result_type, where)
from .math import lerp
from .reduce import norm
from .sort import sort

__all__ = ["dist", "addcmul", "addcdiv", "quantile", "nanquantile", "msort", "renorm",
           "is_tensor", "is_floating_point", "is_complex", "numel", "equal", "not_equal",
           "greater", "greater_equal", "less", "less_equal", "inference_mode",
           "is_inference_mode_enabled", "detach", "is_nonzero", "is_same_size"]


# ---------------------------------------------------------------------------- arithmetic
@tensor_method
def dist(input, other, p=2):
    """‖input − other‖_p over all elements (the difference broadcast and promoted, as torch)."""
    require_tensors("dist", input, other)
    difference = input - other
    if difference.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be either floating point or "
                           f"complex. Got {_name(difference.dtype)} instead.")
    return norm(difference, p)


_TERNARY = ("input", "tensor1", "tensor2")


def _ternary(input, tensor1, tensor2, value, op):
    require_tensors(op, input, tensor1, tensor2, names=_TERNARY)
    dtype = result_type(input.array, tensor1.array, tensor2.array)
    if dtype == bool:
        raise not_implemented(f"{op}_cpu_out", bool)
    if dtype.kind in "iu" and isinstance(value, numbers.Number):
        # an integer result truncates value, as torch, and refuses one it cannot hold
        value = int(checked_scalar(value, dtype))
    elif isinstance(value, numbers.Number):     # (held in float for float16 and float32)
        checked_scalar(value, np.float64 if dtype == np.float64 else np.float32)
    cast = [t if t.dtype == dtype else t.to(dtype) for t in (input, tensor1, tensor2)]
    return cast, value


@tensor_method
def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value · tensor1 · tensor2 (:class:`~tinygrad_sgd.ops.math.Addcmul`)."""
    value = scalar_argument(value, "addcmul", "value")    # (2**64: OverflowError, first)
    (a, b, c), value = _ternary(input, tensor1, tensor2, value, "addcmul")
    no_shell_kernel("addcmul_cpu_out", a.array.dtype)
    return Addcmul.apply(a, b, c, value)


@tensor_method
def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value · tensor1 / tensor2 (:class:`~tinygrad_sgd.ops.math.Addcdiv`); integer
    tensor1 and tensor2 are refused, as torch."""
    value = scalar_argument(value, "addcdiv", "value")
    require_tensors("addcdiv", input, tensor1, tensor2, names=_TERNARY)
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic "
            "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
            "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
            "tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    (a, b, c), value = _ternary(input, tensor1, tensor2, value, "addcdiv")
    return Addcdiv.apply(a, b, c, value)


# ---------------------------------------------------------------------------- quantiles
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    op = "quantile()"                             # (torch's messages say so for both)
    if input.dtype.kind != "f" or input.dtype.itemsize < 4:
        raise RuntimeError(f"{op} input tensor must be either float or double dtype")
    scalar_q = not isinstance(q, Tensor)
    if not scalar_q:
        if q.ndim > 1:
            raise RuntimeError(f"{op} q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op} q tensor must be same dtype as the input tensor")
    if input.numel() == 0:
        raise RuntimeError(f"{op} input tensor must be non-empty")
    if interpolation not in _MODES:
        raise RuntimeError(f"{op} interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    qs = np.asarray(q.array if not scalar_q else q, dtype=np.float64)
    if scalar_q and not 0 <= q <= 1:
        raise RuntimeError(f"{op} q must be in the range [0, 1] but got {q}")
    if not scalar_q and not np.all((qs >= 0) & (qs <= 1)):
        raise RuntimeError(f"{op} q values must be in the range [0, 1]")
    if dim is None:
        x, out_shape = input.reshape(-1), ((1,) * input.ndim if keepdim else ())
    else:
        from ..arguments import normalize_dim
        d = normalize_dim(dim, input.ndim, op[:-2])
        x = input.movedim(d, -1) if input.ndim else input.reshape(1)
        out_shape = tuple(1 if i == d else s for i, s in enumerate(input.shape)) if keepdim \
            else tuple(s for i, s in enumerate(input.shape) if i != d)
    values = sort(x, -1)[0]                       # NaN sort last
    n = values.shape[-1]
    nan = np.isnan(values.array)
    if ignore_nan:
        last = (~nan).sum(-1, keepdims=True) - 1.0     # rank of the last non-NaN
    else:
        last = np.where(nan.any(-1, keepdims=True), np.nan, n - 1.0)
    qv = qs.reshape(-1).astype(input.dtype)       # ranks in the input's dtype, as torch
    last = last.astype(input.dtype)
    raw = qv.reshape((-1,) + (1,) * values.ndim) * last               # (Q, ..., 1)
    fixed = np.isnan(raw) | (raw < 0)        # any NaN (quantile): the last; all NaN: 0
    ranks = np.where(fixed, 0.0 if ignore_nan else n - 1.0, raw)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)                                       # half to even, as torch
    below = ranks.astype(np.int64)
    above = np.minimum(np.ceil(ranks).astype(np.int64), n - 1)
    vals = values.unsqueeze(0).expand(len(qv), *values.shape)

    def take(idx):
        return vals.gather(-1, Tensor._of(np.broadcast_to(idx, vals.shape[:-1] + (1,)).copy()))

    def const(a):
        return Tensor._of(np.broadcast_to(np.asarray(a, input.dtype), lo.shape).copy())
    lo = take(below)
    if interpolation in ("lower", "higher", "nearest"):
        out = lo
    elif interpolation == "midpoint":
        out = lerp(lo, take(above), const(0.5))
    else:                                     # the weight is differentiable in q, as torch
        qt = Tensor._of(qv.astype(input.dtype)) if scalar_q else q.reshape(-1)
        qt = qt.reshape((-1,) + (1,) * values.ndim)
        weight = where(Tensor._of(np.broadcast_to(fixed, lo.shape).copy()), const(ranks - below),
                       qt * const(np.where(fixed, 0.0, last)) - const(below))
        out = lerp(lo, take(above), weight)
    out = out.reshape((len(qv),) + out_shape)
    return out.reshape(out_shape) if scalar_q or q.ndim == 0 else out


@tensor_method
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along ``dim`` (all elements for None); a 1-d q adds a first dim.
    A row with NaN gives NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


@tensor_method
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile of the non-NaN elements (NaN where a row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


@tensor_method
def msort(input):
    """Sorted along dim 0."""
    return sort(input, 0)[0]


@tensor_method
def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm exceeds maxnorm scaled to norm maxnorm
    (by maxnorm/(norm + 1e-7), as torch)."""
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           f"dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {_name(input.dtype)}")
    from ..arguments import normalize_dim
    d = normalize_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = norm(input, p, dim=others, keepdim=True)
    big = norms.array > maxnorm
    factor = where(Tensor._of(big), maxnorm / (norms + 1e-7), Tensor._of(np.ones((), input.dtype)))
    return input * factor


def _name(dtype):
    from .elementwise import torch_dtype_name
    return torch_dtype_name(dtype)


# ---------------------------------------------------------------------------- predicates
def is_tensor(obj):
    return isinstance(obj, Tensor)


def _tensor_arg(fn, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def is_floating_point(input):
    _tensor_arg("is_floating_point", input)
    return input.dtype.kind == "f"


def is_complex(input):
    _tensor_arg("is_complex", input)
    return False                                   # (no complex dtypes here)


Tensor.is_complex = lambda self: False            # noqa: E731  (the method, as torch)


def numel(input):
    _tensor_arg("numel", input)
    return input.numel()


def _stride(self, dim=None):
    """The steps, in elements, between neighbours along each dim in memory (torch's
    ``stride()``; one int with ``dim``); 0 along an expanded dim. The memory is the NumPy
    array's: a convolution's result is an NCHW view of batch-innermost memory here (torch's
    is NCHW-contiguous), so its strides read differently from torch's. (torch's strides are
    not always known here — a result of a channels-last input, say — so they are not
    reported in their place; what reads torch's storage, ``as_strided`` and
    ``storage_offset()``, counts in torch's: ``creation.torch_geometry``.)"""
    steps = element_strides(self.array)
    if dim is None:
        return steps
    n = len(steps)
    if n == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return steps[dim]


Tensor.stride = _stride


@tensor_method
def equal(input, other):
    """True if same shape and equal values (NaN ≠ NaN; dtypes may differ, as torch)."""
    require_tensors("equal", input, other)
    return input.shape == other.shape and bool(np.array_equal(input.array, other.array))


# torch's aliases of ne, gt, ge, lt, le: the same comparisons, each named as itself in
# torch's messages (``greater() received an invalid combination of arguments ...``)
not_equal = compare_function(np.not_equal, "not_equal")
greater = compare_function(np.greater, "greater")
greater_equal = compare_function(np.greater_equal, "greater_equal")
less = compare_function(np.less, "less")
less_equal = compare_function(np.less_equal, "less_equal")


@tensor_method
def type_as(input, other):
    """``input.to(other.dtype)``."""
    return input.to(other.dtype)


# ---------------------------------------------------------------------------- inference_mode
class inference_mode:
    """torch.inference_mode: ``no_grad``, and every tensor made inside is an *inference
    tensor* (``is_inference()``; but for a view of a normal tensor, which stays normal, as a
    view of an inference tensor is one anywhere). Outside inference mode, as in torch, an
    inference tensor refuses to be saved for backward (``w * x`` with ``w`` requiring grad),
    to be changed in place, and ``requires_grad=True``: ``clone()`` it first.
    ``inference_mode(False)`` turns grad mode on and inference off, as torch's (its C++
    InferenceMode(False) sets grad mode to ``not enabled``). A context manager and a
    decorator (``@inference_mode`` or ``@inference_mode()``; on a generator function, inside
    its body on every resume)."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):    # @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        from ..autograd import set_grad_enabled, _mode
        self._saved = _mode.inference
        self._ctx = set_grad_enabled(not self.mode)     # (switches now; its exit restores)
        _mode.inference = self.mode
        return None

    def __exit__(self, *exc):
        from ..autograd import _mode
        self._ctx.__exit__(*exc)
        _mode.inference = self._saved
        return False

    def __call__(self, fn):
        from ..autograd.grad_mode import decorate
        return decorate(self.clone, fn)

    def clone(self):
        return inference_mode(self.mode)


def is_inference_mode_enabled():
    from ..autograd import _mode
    return _mode.inference


# ---------------------------------------------------------------------------- more of torch's
def detach(input):
    """``torch.detach(x)``: ``x.detach()``."""
    _tensor_arg("detach", input)
    return input.detach()


@tensor_method
def is_nonzero(input):
    """True if the one element of ``input`` is not zero (torch's errors for more or none)."""
    n = input.numel()
    if n != 1:
        raise RuntimeError(f"Boolean value of Tensor with "
                           f"{'no values' if n == 0 else 'more than one value'} is ambiguous")
    return bool(input.array.reshape(()) != 0)


@tensor_method
def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def _sum_to_size(self, *size):
    """The sum of ``self`` over the dims where ``size`` has 1 or nothing (the adjoint of
    expanding ``size`` to ``self``'s shape); differentiable. As torch's ``sum_to``: a
    ``sum`` (so bool and integer tensors become int64) when there is something to sum or
    ``size`` is ``()``; ``self`` itself when there is nothing to sum."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != d and s != 1 for s, d in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if not size:
        return self.sum()
    dims = tuple(range(lead)) + tuple(lead + i for i, (s, d) in
                                      enumerate(zip(size, shape[lead:])) if s == 1 and d != 1)
    if not dims:
        return self
    out = self.sum(dims, keepdim=True)
    return out.view(size) if lead else out


Tensor.sum_to_size = _sum_to_size


def _register_post_accumulate_grad_hook(self, hook):
    """``hook(tensor)`` after backward has added into this leaf's ``.grad`` (an optimizer step
    fused into backward, say). Returns a handle with ``remove()``."""
    from ..tensor import _HookHandle
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = self.__dict__.setdefault("_post_accumulate_grad_hooks", [])
    hooks.append(hook)
    return _HookHandle(hooks, hook)


Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook
