"""Reductions: sum, mean, prod, max/min, amax/amin, aminmax, argmax/argmin, logsumexp, var/std
(and var_mean/std_mean), norm, count_nonzero, any, all.

``dim`` is None, an int or a tuple/list of ints; an empty tuple/list means every dim (as torch's
``sum(dim=[])``), except for any/all, where torch reduces nothing. ``max(dim)``, ``min(dim)`` and
``aminmax`` return named tuples, as torch's ``torch.return_types``.
"""
import builtins
import inspect
import math
import warnings

import numpy as np

from ..arguments import normalize_dim, normalize_dims
from ..autograd.torch_names import named
from ..dtypes import as_dtype, default_float
from ..errors import user_stacklevel
from ..printing import return_type
from ..ops.elementwise import DivByCount
from ..ops.reduce import (Sum, Prod, Max, Min, MaxDim, MinDim, ArgMax, ArgMin, Amax, Amin,
                          LogSumExp, Var, Std)
from ..tensor import Tensor, tensor_method
from .elementwise import _TORCH_NAMES, invalid_arguments, no_shell_kernel

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "aminmax", "argmax", "argmin",
           "logsumexp", "var", "std", "var_mean", "std_mean", "norm", "count_nonzero", "any",
           "all", "return_types"]


class _ReturnTypes(type):
    """``return_types.linalg_eigh`` and the other linear-algebra result types: the ones
    ``linalg`` returns (defined beside those functions, found when first asked for)."""

    def __getattr__(cls, name):
        if name.startswith("linalg_") or name == "lu_unpack":
            from .. import linalg_lu, linalg_solvers
            for module in (linalg_solvers, linalg_lu):
                found = module.return_types.__dict__.get(name)
                if found is not None:
                    return found
        raise AttributeError(f"type object 'return_types' has no attribute {name!r}")


class return_types(metaclass=_ReturnTypes):
    """torch's ``torch.return_types``: tuples whose items are also reachable by name
    (``x.max(0).values``, ``x.max(0).indices``; ``linalg.eigh(A).eigenvalues``)."""
    max = return_type("max", "values indices")
    min = return_type("min", "values indices")
    sort = return_type("sort", "values indices")
    topk = return_type("topk", "values indices")
    kthvalue = return_type("kthvalue", "values indices")
    median = return_type("median", "values indices")
    nanmedian = return_type("nanmedian", "values indices")
    mode = return_type("mode", "values indices")
    cummax = return_type("cummax", "values indices")
    cummin = return_type("cummin", "values indices")
    aminmax = return_type("aminmax", "min max")
    frexp = return_type("frexp", "mantissa exponent")


def torch_name(dtype):
    """torch's name for a dtype in its messages (``Long`` for int64)."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, str(dtype))


def reduce_dims(dim, input, op):
    """``dim`` as a sorted tuple of axes; None or an empty tuple/list means every dim."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        dim = None
    return normalize_dims(dim, input.ndim, op)


def one_dim(dim, input, op, signature="(int dim, bool keepdim = False)"):
    """A single ``dim`` (an int), as torch's ``max(dim)``: a tuple is refused as torch does."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}() received an invalid combination of arguments - got "
                        f"(dim={type(dim).__name__}), but expected {signature}"
                        + ("; amax/amin reduce over several dims" if op in ("max", "min")
                           else ""))
    return normalize_dim(dim, input.ndim, op)


def check_not_empty(input, dims, op):
    """torch's error for reducing over a dim of size 0 where there is no identity."""
    for d in dims:
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def squeeze_index(indices, dim, keepdim, ndim):
    """Indices computed with keepdim=True, with ``dim`` dropped unless ``keepdim``."""
    return indices if keepdim or not ndim else Tensor._of(np.squeeze(indices.array, axis=dim))


# ---------------------------------------------------------------------------- sums
@tensor_method
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Integers and bools sum to int64, as torch; ``dtype`` sets the result's dtype."""
    if dtype is not None:
        no_shell_kernel("sum_cpu", as_dtype(dtype).dtype)
    out = Sum.apply(input, reduce_dims(dim, input, "sum"), keepdim, dtype)
    return named(out, "SumBackward0" if dim is None else "SumBackward1", input)


@tensor_method
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """float16 is accumulated in float32 (the mean of 70,000 float16 values is not inf)."""
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Optional dtype must be either"
                           f" a floating point or complex dtype. Got: {torch_name(dtype)}")
    if dtype is not None:       # (to float16: summed in float32 from the input's values, as
        input = input.to(np.float32 if np.dtype(dtype) == np.float16 and   # torch's, and only
                         input.dtype != np.float16 else dtype)     # the mean rounded to it)
    if input.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {torch_name(input.dtype)}")
    dims = reduce_dims(dim, input, "mean")
    n = float(math.prod(input.shape[d] for d in dims))
    if input.dtype == np.float16:
        out = DivByCount.apply(Sum.apply(input, dims, keepdim, np.float32), n).to(np.float16)
    else:
        out = DivByCount.apply(Sum.apply(input, dims, keepdim), n)
    if dtype is not None and out.dtype != np.dtype(dtype):
        out = out.to(dtype)
    return named(out, "MeanBackward0" if dim is None else "MeanBackward1", input)


@tensor_method
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Over one dim or over everything; integers and bools multiply as int64."""
    if dtype is not None:
        no_shell_kernel("prod_out_cpu", as_dtype(dtype).dtype)
        input = input.to(dtype)
    if dim is not None:
        dim = one_dim(dim, input, "prod", "(int dim, bool keepdim = False, *, "
                                          "torch.dtype dtype = None)")
    out = Prod.apply(input, dim if input.ndim else None, keepdim)
    out = out if dtype is None else out.to(dtype)
    return named(out, "ProdBackward0" if dim is None else "ProdBackward1", input)


@tensor_method
def logsumexp(input, dim, keepdim=False):
    """``log Σ exp(x)`` over ``dim``, without overflow; integers and bools become the default
    float dtype."""
    if input.dtype.kind != "f":
        input = input.to(default_float())
    return LogSumExp.apply(input, reduce_dims(dim, input, "logsumexp"), keepdim)


# ---------------------------------------------------------------------------- max and min
_MAX_FORMS = ("(Tensor input, *, Tensor out = None)",
              "(Tensor input, Tensor other, *, Tensor out = None)",
              "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)")
_MAX_METHOD_FORMS = ("()", "(Tensor other)", "(int dim, bool keepdim = False)")


def _max_min_arguments(op, method, args, kwargs):
    """``(input, dim, keepdim, other)`` from max's or min's arguments (``method``: ``x.max``,
    whose ``args`` start with ``x``), after torch's forms — ``max(input)``, ``max(input,
    other)``, ``max(input, dim, keepdim=False)`` — or torch's TypeError: ``max(t, 2.5)``,
    ``max(t, None)``, ``max(t, 1, 2)``, ``max(t, y, True)`` fit none of them."""
    if not kwargs and args and type(args[0]) is Tensor:       # (the usual calls: fast)
        if len(args) == 1:
            return args[0], None, False, None
        if len(args) == 2 and type(args[1]) is int:
            return args[0], args[1], False, None
        if len(args) == 3 and type(args[1]) is int and type(args[2]) is bool:
            return args[0], args[1], args[2], None

    def kind(v):
        return "Tensor" if isinstance(v, Tensor) else type(v).__name__

    def refuse():
        shown = args[1:] if method else args
        got = ", ".join([kind(v) for v in shown] +       # (torch lists keywords backwards)
                        [f"{k}={kind(v)}" for k, v in reversed(kwargs.items())])
        if kwargs and not shown:
            got += ", "
        forms = _MAX_METHOD_FORMS if method else _MAX_FORMS
        return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), "
                         f"but expected one of:\n" + "".join(f" * {f}\n" for f in forms))

    def integer(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))

    if not method and len(args) == 4:
        raise TypeError(f"{op}() takes from 2 to 3 positional arguments but 4 were given")
    names = ("input", "dim", "keepdim")
    given = dict(zip(names, args))
    if len(args) > 3 or builtins.any(k in given or k not in (*names, "other") for k in kwargs):
        raise refuse()
    given.update(kwargs)
    input, dim, other = given.get("input"), given.get("dim"), given.get("other")
    if not isinstance(input, Tensor):
        if len(args) == 2 and not kwargs:
            _tensor_first(op, input, dim)
        raise refuse()
    if isinstance(dim, Tensor) and "dim" not in kwargs and other is None:
        dim, other = None, dim          # max(input, other): the elementwise maximum
        given.pop("dim")
    if method and len(args) == 3 and not integer(args[1]):
        raise TypeError(f"{op}(): argument 'dim' (position 1) must be int, not {kind(args[1])}")
    if other is not None:
        if not isinstance(other, Tensor) or "dim" in given or "keepdim" in given:
            raise refuse()
        return input, None, False, other
    if "dim" not in given:
        if given.keys() - {"input"}:
            raise refuse()
        return input, None, False, None
    keepdim = given.get("keepdim", False)
    if not integer(dim):
        raise refuse()
    if not isinstance(keepdim, (bool, np.bool_)):
        if not method:
            raise refuse()
        where = " (position 2)" if "keepdim" not in kwargs else ""
        raise TypeError(f"{op}(): argument 'keepdim'{where} must be bool, not {kind(keepdim)}")
    return input, dim, bool(keepdim), None


def _tensor_first(op, input, second):
    """torch's TypeError for max(2, t), min(2, 3): a number first matches no form."""
    if not isinstance(input, Tensor):
        raise invalid_arguments(op, (input, second), _MAX_FORMS)


def _max_min(op, method, args, kwargs):
    input, dim, keepdim, other = _max_min_arguments(op, method, args, kwargs)
    if other is not None:           # torch.max(input, other): the elementwise maximum
        return getattr(input, "maximum" if op == "max" else "minimum")(other)
    all_op, dim_op, arg_op = (Max, MaxDim, ArgMax) if op == "max" else (Min, MinDim, ArgMin)
    no_shell_kernel(f"{op}_all" if dim is None else f"{op}_cpu", input.array.dtype)
    if dim is None:
        return all_op.apply(input)
    n = builtins.max(input.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = int(dim) % n
    check_not_empty(input, (d,), op)
    indices = arg_op.apply(input, d, True)
    values = dim_op.apply(input, indices.array, d, keepdim)
    return getattr(return_types, op)(values, squeeze_index(indices, d, keepdim, input.ndim))


def max(*args, **kwargs):
    """``max(input)``: the largest element (the gradient shared between ties).
    ``max(input, dim, keepdim=False)``: ``(values, indices)``, the index of the first maximum
    (the first NaN if any). ``max(input, other)`` (or ``other=``): the elementwise
    :func:`maximum`, as torch."""
    return _max_min("max", False, args, kwargs)


def min(*args, **kwargs):
    """As :func:`max`, for the smallest element."""
    return _max_min("min", False, args, kwargs)


def _max_min_method(op):
    def method(self, *args, **kwargs):
        return _max_min(op, True, (self, *args), kwargs)
    method.__name__ = method.__qualname__ = op
    method.__doc__ = max.__doc__ if op == "max" else min.__doc__
    return method


max.__signature__ = min.__signature__ = inspect.Signature(
    [inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD),
     inspect.Parameter("dim", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
     inspect.Parameter("keepdim", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=False),
     inspect.Parameter("other", inspect.Parameter.KEYWORD_ONLY, default=None)])
Tensor.max, Tensor.min = _max_min_method("max"), _max_min_method("min")
Tensor.max.__signature__ = Tensor.min.__signature__ = max.__signature__.replace(
    parameters=[inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                *list(max.__signature__.parameters.values())[1:]])   # (axis=, keepdims= too)


def _amax_amin(input, dim, keepdim, op, cls):
    no_shell_kernel(f"{op[1:]}_values_cpu", input.array.dtype)
    every = dim is None or not isinstance(dim, (int, np.integer)) and len(dim) == 0
    dims = reduce_dims(dim, input, op)
    if every and input.numel() == 0:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                           f"== 0. Specify the reduction dim with the 'dim' argument.")
    check_not_empty(input, dims, op)
    return cls.apply(input, dims, keepdim)


@tensor_method
def amax(input, dim=(), keepdim=False):
    """The maximum over ``dim`` (several dims allowed); the gradient is shared evenly between
    the ties of each slice."""
    return _amax_amin(input, dim, keepdim, "amax", Amax)


@tensor_method
def amin(input, dim=(), keepdim=False):
    return _amax_amin(input, dim, keepdim, "amin", Amin)


@tensor_method
def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` over everything or over one dim, as ``return_types.aminmax``."""
    if dim is not None and (not isinstance(dim, (int, np.integer)) or isinstance(dim, bool)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    dims = normalize_dims(dim, input.ndim, "aminmax")
    no_shell_kernel("aminmax_cpu", input.array.dtype)
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if input.ndim and input.shape[dims[0]] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {dims[0]} to have non-zero size.")
    return return_types.aminmax(*(named(op.apply(input, dims, keepdim), "AminmaxBackward0",
                                        input) for op in (Amin, Amax)))   # (torch: one node)


def _arg(input, dim, keepdim, op, cls):
    if input.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    no_shell_kernel(f"{op}_cpu", input.array.dtype)
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
    else:
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, (bool, np.bool_)):
            raise TypeError(f"{op}(): argument 'dim' (position 2) must be int, not "
                            f"{type(dim).__name__}")      # (x.argmax(2.0): position 1 in torch)
        dim = normalize_dim(dim, input.ndim, op)
        check_not_empty(input, (dim,), op)
    return cls.apply(input, dim, keepdim)


@tensor_method
def argmax(input, dim=None, keepdim=False):
    """Index of the first maximum (into the flattened tensor when ``dim`` is None)."""
    return _arg(input, dim, keepdim, "argmax", ArgMax)


@tensor_method
def argmin(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, "argmin", ArgMin)


# ---------------------------------------------------------------------------- spread
def _var_args(op, input, dim, unbiased, correction):
    """torch's three spellings: ``var(dim, unbiased, keepdim)``, ``var(dim, *, correction,
    keepdim)`` and ``var(unbiased)``; returns (dims, correction, whole tensor?)."""
    if isinstance(dim, bool):      # x.var(True): the old positional ``unbiased``
        if unbiased is not None:
            raise TypeError(f"{op}() received an invalid combination of arguments - got "
                            f"(bool, unbiased=bool)")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments - got "
                        f"(unbiased=bool, correction={type(correction).__name__}), but "
                        f"expected one of: (tuple of ints dim, bool unbiased = True, bool "
                        f"keepdim = False) or (tuple of ints dim = None, *, Number correction "
                        f"= None, bool keepdim = False)")
    if input.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = reduce_dims(dim, input, op)
    whole = input.ndim == 0 or dim is None or (not isinstance(dim, (int, np.integer))
                                               and len(dim) == 0)
    n = input.array.size if whole else math.prod(input.shape[d] for d in dims)
    if n - correction <= 0:         # (the result is NaN or inf; torch says why)
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less "
                      f"than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=user_stacklevel())
    return dims, correction, whole


@tensor_method
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Σ (x − mean)² / (n − correction); ``correction=1`` (or ``unbiased=True``) by default.
    Computed in float64 (float32 for float16), so large values don't overflow."""
    dims, c, whole = _var_args("var", input, dim, unbiased, correction)
    return Var.apply(input, dims, c, keepdim, whole)


@tensor_method
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """√var; its gradient is 0 where the std is 0 (a constant slice), as torch."""
    dims, c, whole = _var_args("std", input, dim, unbiased, correction)
    return Std.apply(input, dims, c, keepdim, whole)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over the same dims (a plain tuple, as torch)."""
    dims, c, whole = _var_args("var_mean", input, dim, unbiased, correction)
    return tuple(named(out, "VarMeanBackward0", input) for out in
                 (Var.apply(input, dims, c, keepdim, whole), mean(input, dims, keepdim)))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over the same dims (a plain tuple, as torch)."""
    dims, c, whole = _var_args("std_mean", input, dim, unbiased, correction)
    return tuple(named(out, "StdMeanBackward0", input) for out in
                 (Std.apply(input, dims, c, keepdim, whole), mean(input, dims, keepdim)))


@tensor_method
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """``torch.norm``: what torch's does — hand the work to :mod:`tinygrad_sgd.linalg`: a
    number p (None = 2) is ``vector_norm(p)`` over ``dim`` (every element by default); ``'fro'``
    over at most two dims is the vector 2-norm; ``'nuc'`` (and 'fro' over more dims, which it
    refuses) goes to ``matrix_norm`` over ``dim`` (every dim by default)."""
    from .. import linalg
    dims = [dim] if isinstance(dim, (int, np.integer)) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, (int, np.integer)) or len(dim) <= 2):
            return linalg.vector_norm(input, 2, dims, keepdim, dtype=dtype)
        if dims is None:
            dims = list(range(input.ndim))
        return linalg.matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return linalg.vector_norm(input, 2.0 if p is None else p, dims, keepdim, dtype=dtype)


# ---------------------------------------------------------------------------- counting, logic
@tensor_method
def count_nonzero(input, dim=None):
    """Number of non-zero elements over ``dim`` (int64; not differentiable)."""
    dims = reduce_dims(dim, input, "count_nonzero")
    no_shell_kernel("nonzero_count_cpu", input.array.dtype)
    return Tensor._of(np.asarray(np.count_nonzero(input.array, axis=dims), dtype=np.int64))


def _logical(fn, input, dim, keepdim, op):
    # an empty dim list reduces nothing here (torch), unlike sum
    out = fn(input.array, axis=normalize_dims(dim, input.ndim, op), keepdims=keepdim)
    return Tensor._of(np.asarray(out, dtype=np.uint8 if input.dtype == np.uint8 else np.bool_))


@tensor_method
def any(input, dim=None, keepdim=False):
    """Whether any element (over ``dim``) is non-zero: bool (uint8 for uint8 input, as torch)."""
    return _logical(np.any, input, dim, keepdim, "any")


@tensor_method
def all(input, dim=None, keepdim=False):
    """Whether every element (over ``dim``) is non-zero: bool (uint8 for uint8 input)."""
    return _logical(np.all, input, dim, keepdim, "all")
