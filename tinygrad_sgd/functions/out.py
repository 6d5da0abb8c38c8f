"""torch's ``out=`` keyword: ``torch.matmul(a, b, out=c)`` writes the product into ``c`` and
returns ``c``.

:func:`accept_out` wraps the functions of :data:`OUT_FUNCTIONS` in the ``tinygrad_sgd``
namespace (and those of :data:`LINALG_OUT_FUNCTIONS` in ``tinygrad_sgd.linalg``), and puts the
wrapped function wherever the original was (the Tensor method that is
the same function, ``tinygrad_sgd.special.erf``, the modules that imported it): one function
stays one object, so ``a.matmul(b, out=c)`` works here too, where torch's methods have no
``out``. Every wrapped function computes its result as usual, then :func:`write_out` puts it
into ``out`` with torch's rules:

* with grad mode on, no argument (``out`` included) may require grad: ``out=`` is not
  differentiable (``RuntimeError: mul(): functions with out=... arguments don't support
  automatic differentiation, but one of the arguments requires grad.``);
* the result is cast to ``out``'s dtype, never to a lower category (``result type Float can't
  be cast to the desired output type Long``); a factory (``zeros``, ``arange``, ``rand`` ...)
  and sum, prod, cumsum, nansum make their values in ``out``'s dtype instead; where, amax,
  abs, clamp, ... (:data:`SAME_DTYPE`) take only an ``out`` of the result's dtype, with
  torch's message for another;
* an ``out`` of another shape is resized (with torch's UserWarning unless it was empty);
* the write goes into ``out``'s memory: a view passed as ``out`` changes its base, and the
  version counter moves as for any in-place write;
* functions that return several tensors (``sort``, ``max(dim)``, ``topk``...) take a tuple of
  them and return the same named tuple, made of the ``out`` tensors.
"""
import functools
import inspect
import sys
import warnings

import numpy as np

from ..errors import warn_level
from .. import autograd
from ..dtypes import can_cast, cast, default_float
from ..tensor import Tensor
from .elementwise import torch_dtype_name
from .overlap import PARTIAL_OVERLAP, check_partial_overlap, dense as _dense, _tensors

__all__ = ["OUT_FUNCTIONS", "LINALG_OUT_FUNCTIONS", "FACTORIES", "IN_OUT_DTYPE", "SAME_DTYPE",
           "accept_out", "with_out", "write_out", "check_out_dtype"]

# the top-level functions to which torch gives an ``out=`` keyword (each checked on torch by
# calling it with one)
OUT_FUNCTIONS = frozenset("""
abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr all amax amin aminmax angle
any arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort asin asinh
atan atan2 atanh baddbmm bernoulli bitwise_and bitwise_left_shift bitwise_not bitwise_or
bitwise_right_shift bitwise_xor bmm bucketize cat ceil chain_matmul cholesky cholesky_inverse
cholesky_solve clamp clamp_max clamp_min clip column_stack concat concatenate conj_physical
copysign cos cosh cross cummax cummin cumprod cumsum deg2rad diag diff digamma div divide dot
dstack empty eq erf erfc erfinv exp exp2 expm1 eye fix float_power floor floor_divide fmax
fmin fmod frac frexp full gather gcd ge geqrf ger greater greater_equal gt heaviside histc
histogram hstack hypot i0 igamma igammac index_copy index_select inner inverse isin isneginf
isposinf kron kthvalue lcm ldexp le lerp less less_equal lgamma linspace log log10 log1p log2
log_softmax logaddexp logaddexp2 logcumsumexp logical_and logical_not logical_or logical_xor
logit logspace logsumexp lt lu lu_solve lu_unpack masked_select matmul matrix_power max
maximum mean median min minimum mm mode msort mul multinomial multiply mv mvlgamma nan_to_num
nanmean nanmedian nanquantile nansum narrow_copy ne neg negative nextafter nonzero norm normal
not_equal nuclear_norm ones outer polygamma pow prod qr quantile rad2deg rand randint randn
randperm range reciprocal remainder renorm round row_stack rsqrt scatter searchsorted sgn
sigmoid sign signbit sin sinc sinh softmax sort sqrt square squeeze_copy stack std sub
subtract sum svd take take_along_dim tan tanh tensordot topk triangular_solve tril triu
true_divide trunc var vdot vstack where xlogy zeros
""".split())

# torch.linalg's functions (``tinygrad_sgd.linalg``) given ``out=`` here (named
# ``linalg_vector_norm`` for :data:`SAME_DTYPE`), each with the op torch's message names when
# out= meets an input that requires grad — None where torch composes the function of others
# and so lets it through
LINALG_OUT_FUNCTIONS = {
    "vector_norm": "linalg_vector_norm", "matrix_norm": None, "norm": None,
    "inv": "linalg_inv_ex", "inv_ex": "linalg_inv_ex", "det": "_linalg_det",
    "slogdet": "_linalg_slogdet", "cholesky": "linalg_cholesky_ex",
    "cholesky_ex": "linalg_cholesky_ex", "solve": "_linalg_solve_ex",
    "solve_ex": "_linalg_solve_ex", "cross": "linalg_cross", "eigvalsh": "_linalg_eigh",
    "eigh": "_linalg_eigh", "svdvals": "_linalg_svd", "svd": "_linalg_svd", "matmul": "matmul",
    "matrix_power": "matmul", "pinv": "linalg_pinv", "vecdot": "sum", "multi_dot": "mm",
    "householder_product": "linalg_householder_product",
    "solve_triangular": "linalg_solve_triangular", "lu_solve": "linalg_lu_solve",
    "lu_factor": "linalg_lu_factor_ex", "lu_factor_ex": "linalg_lu_factor_ex", "lu": "linalg_lu",
    "qr": "linalg_qr", "matrix_rank": None, "cond": None, "tensorinv": None, "tensorsolve": None,
}
# the linalg functions whose refusal of an ``out`` their result can't be cast to names them so
CASTABLE_PREFIX = {"linalg_pinv": "linalg.pinv", "linalg_cond": "linalg.cond",
                   "linalg_householder_product": "torch.linalg.householder_product",
                   "linalg_tensorinv": "tensorinv", "linalg_tensorsolve": "tensorsolve"}

# the op torch's refusal of out= beside an input that requires grad names, where it is not
# the function's own name
GRAD_NAMES = {"clip": "clamp"}

# functions that make new values rather than compute from tensors: with ``out=``, they make
# them in ``out``'s dtype
FACTORIES = frozenset("""
arange empty eye full linspace logspace ones rand randint randn randperm range zeros normal
""".split())


# functions that compute in ``out``'s dtype, as with ``dtype=out.dtype`` (the input converted
# first: torch.prod(float_t, 0, out=int_t) multiplies integers); any out dtype is accepted
IN_OUT_DTYPE = frozenset("sum prod cumsum nansum".split())

# functions whose ``out`` must have the result's dtype, with torch's message for another one:
# {r}, {o}, {i}: the result's, out's and the input's dtype (Float, Long, ...); {rc}, {oc}: as
# C types (float, long int); {il}, {ol}: as legacy tensor types (torch.FloatTensor)
_FOUND = "Found dtype {o} but expected {r}"
_EXPECTED = "Expected out tensor to have dtype {rc}, but got {oc} instead"
SAME_DTYPE = {
    "where": "Expected out type to be {r} but got {o}",
    "amax": "Expected the dtype for input and out to match, but got {i} for input's dtype "
            "and {o} for out's dtype.",
    "max": _EXPECTED, "min": _EXPECTED, "aminmax": _EXPECTED, "norm": _EXPECTED,
    "linalg_vector_norm": _EXPECTED,
    **{"linalg_" + f: _EXPECTED for f in "inv det cholesky solve cross eigvalsh svdvals matmul "
       "matrix_power solve_triangular lu_solve slogdet qr eigh svd inv_ex cholesky_ex solve_ex "
       "lu_factor lu_factor_ex lu".split()},
    "linalg_vecdot": "linalg.vecdot: Expected out of dtype{r} but found {o}",
    "linalg_multi_dot": "multi_dot(): expected out tensor to have dtype {rc} but got {oc}",
    "linalg_norm": "linalg.norm expected out tensor dtype {r} but got: {o}",
    "linalg_matrix_norm": "linalg.matrix_norm expected out tensor dtype {r} but got: {o}",
    "median": "Expected tensor for 'values' to have the same type as tensor for argument #2 "
              "'self'; but type {ol} does not equal {il} (while checking arguments for median)",
    "cummax": "expected scalar_type {i} but found {o}",
    "quantile": "quantile() out tensor must be same dtype as the input tensor",
    "nan_to_num": "nan_to_num: dtype of out: {o} should be same as input: {i}",
    "gather": _EXPECTED, "multinomial": "multinomial expects Long tensor out, got: {o}",
    "take": "take(): self and out expected to have the same dtype, but got self.dtype = {i} "
            "and out.dtype = {o}",
    **{unary: _FOUND for unary in "abs absolute neg negative sign sgn round floor ceil trunc "
                                  "fix frac clamp clip clamp_min clamp_max".split()},
}
_HIST = "torch.histogram: input tensor and {what} tensor should have the same dtype, but got " \
        "input {ic} and {what} {oc}"
SAME_DTYPE.update(amin=SAME_DTYPE["amax"], nanmedian=SAME_DTYPE["median"],
                  cummin=SAME_DTYPE["cummax"], logcumsumexp=SAME_DTYPE["cummax"],
                  nanquantile=SAME_DTYPE["quantile"], sort=_EXPECTED, topk=_EXPECTED,
                  msort=_EXPECTED, kthvalue="output values must be of same type as input",
                  mode="expected scalar type '{r}' but got '{o}' for values output",
                  histc=_HIST.replace("{what}", "hist"),
                  histogram=_HIST.replace("{what}", "hist"))

# the other ``out`` of those returning two (the indices; histogram's bin edges), and the one
# of argmax/argmin: the dtype it must have (None: the input's) and torch's words for another.
# median's is checked before its values, the others' after.
_LONG = _EXPECTED.replace("{rc}", "long int")
SECOND_OUT = {
    **{name: ("int64", _LONG) for name in "sort topk max min argmax argmin argsort".split()},
    "kthvalue": ("int64", "output indices must be of scalar type Long"),
    "mode": ("int64", "expected scalar type 'Long' but got '{o}' for indices output"),
    "median": ("int64", "Expected tensor for argument #1 'indices' to have scalar type Long; "
                        "but got {ol} instead (while checking arguments for median)"),
    "cummax": ("int64", "expected scalar_type Long but found {o}"),
    "histogram": (None, _HIST.replace("{what}", "bin_edges") + " for dimension 0"),
}
SECOND_OUT.update(nanmedian=SECOND_OUT["median"], cummin=SECOND_OUT["cummax"])

# functions whose ``out`` may share no memory with an input (torch's assert_no_overlap; the
# elementwise ones, which allow ``out`` to be the input itself, are not checked here)
NO_OVERLAP = frozenset("cat concat concatenate stack take gather index_select masked_select "
                       "kthvalue max min take_along_dim cross linalg_cross".split())
_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to "
            "tensor refer to a single memory location. Please clone() the tensor before "
            "performing the operation.")


def check_no_overlap(name, out, args, kwargs):
    """torch's RuntimeError where an ``out`` tensor shares memory with an input (max and min
    only in their form with ``dim``, whose ``out`` is a tuple). As torch, only tensors whose
    elements fill their memory span are compared (``x[:, :1]`` is not checked)."""
    if name in ("max", "min") and not isinstance(out, (tuple, list)):
        return
    outs = [o.array for o in (out if isinstance(out, (tuple, list)) else [out])
            if isinstance(o, Tensor) and _dense(o.array)]
    for t in _tensors([*args, *kwargs.values()]):
        if _dense(t.array) and any(np.may_share_memory(t.array, o) for o in outs):
            raise RuntimeError(_OVERLAP)


_C_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char",
            "int16": "short int", "int32": "int", "int64": "long int", "float16": "c10::Half",
            "float32": "float", "float64": "double"}


def _names(**dtypes):
    names = {}
    for key, dtype in dtypes.items():
        d = np.dtype(getattr(dtype, "dtype", dtype))
        names[key] = torch_dtype_name(d)
        names[key + "c"] = _C_NAMES.get(d.name, d.name)
        names[key + "l"] = "CPUBoolType" if d == bool else f"torch.{torch_dtype_name(d)}Tensor"
    return names


# those of them whose result has the input's dtype: checked before computing, as torch does
# (abs of a bool tensor into a float ``out`` is its dtype error, not abs's refusal of bools)
BY_INPUT_DTYPE = frozenset("abs absolute round floor ceil trunc fix sign sgn amax amin cummax "
                           "cummin logcumsumexp median nanmedian nan_to_num take".split())


def check_out_dtype(name, result, out, args, kwargs):
    """torch's refusal of an ``out`` whose dtype is not the result's, for the functions of
    :data:`SAME_DTYPE` (max/min, median, cummax in their forms that return values and
    indices, the clamps only with number bounds: otherwise out's dtype is free, the result
    cast to it). ``result`` None: before computing, the input's dtype expected."""
    message = SAME_DTYPE.get(name)
    several = isinstance(out, (tuple, list))
    if message is None or (name in ("max", "min", "median", "nanmedian", "cummax", "cummin")
                           and not several):
        return
    if (name.startswith("clamp") or name == "clip") and \
            any(isinstance(v, Tensor) for v in (*args[1:], *kwargs.values())):
        return
    first = args[0] if args else kwargs.get("input")
    if isinstance(first, (list, tuple)) and first:      # (multi_dot: a list of tensors)
        first = first[0]
    if not isinstance(first, Tensor):
        return
    outs = list(out) if several else [out]
    results = list(result) if isinstance(result, tuple) else [result] * len(outs)
    count = len(outs) if name == "aminmax" else 1     # (max's indices: checked as int64)
    for r, o in list(zip(results, outs))[:count]:
        expected = first.dtype if r is None else r.dtype
        if isinstance(o, Tensor) and o.dtype != expected:
            raise RuntimeError(message.format(**_names(r=expected, o=o.dtype, i=first.dtype)))


def check_second_out(name, out, args, kwargs):
    """torch's refusal of an indices ``out`` that is not int64 (histogram's bin edges: not the
    input's dtype), and of a searchsorted/bucketize ``out`` not of the dtype ``out_int32``
    asks for; see :data:`SECOND_OUT`."""
    if name in ("searchsorted", "bucketize"):
        expected = np.int32 if kwargs.get("out_int32") else np.int64
        if isinstance(out, Tensor) and out.array.dtype != expected:
            raise RuntimeError(f"torch.searchsorted(): output tensor's dtype is wrong, it can "
                               f"only be Int(int32) or Long(int64) depending on whether "
                               f"out_int32 flag is True, but we got output tensor's dtype "
                               f"{torch_dtype_name(out.array.dtype)} and out_int32 flag is "
                               f"{bool(kwargs.get('out_int32'))}")
        return
    if name not in SECOND_OUT:
        return
    several = isinstance(out, (tuple, list))
    if name in ("max", "min", "median", "nanmedian") and not several:
        return
    o = (out[1] if len(out) > 1 else None) if several else out
    first = args[0] if args else kwargs.get("input")
    dtype, message = SECOND_OUT[name]
    expected = np.dtype(dtype) if dtype else getattr(first, "dtype", None)
    if isinstance(o, Tensor) and expected is not None and o.dtype != expected:
        raise RuntimeError(message.format(**_names(r=expected, o=o.dtype, i=first.dtype)))


def _in_out_dtype(name, out, args, kwargs):
    """``kwargs`` for a function of :data:`IN_OUT_DTYPE` given ``out``: ``dtype=out.dtype``,
    with torch's errors (no cumsum into bool, no nansum of floats into integers, a ``dtype``
    that is not out's)."""
    dtype = kwargs.get("dtype")
    if dtype is not None:
        if np.dtype(getattr(dtype, "dtype", dtype)) != out.array.dtype:
            if name == "nansum":
                raise RuntimeError("nansum: provided dtype must match dtype of result. Got "
                                   "{o} and {r}.".format(**_names(o=out.dtype, r=dtype)))
            raise RuntimeError(_EXPECTED.format(**_names(r=dtype, o=out.dtype)))
        return kwargs
    from .elementwise import not_implemented
    first = args[0] if args else kwargs.get("input")
    if name == "cumsum" and out.dtype == bool:
        raise not_implemented("cumsum_out_cpu", bool)
    if name == "nansum" and isinstance(first, Tensor) and first.dtype.kind == "f" and \
            out.dtype.kind != "f":
        raise not_implemented("nansum_cpu", out.dtype)
    return {**kwargs, "dtype": out.dtype}


def write_out(name, result, out, warn=True):
    """Put ``result`` (a Tensor, or a tuple of them) into ``out``; return what torch returns.
    ``warn``: whether resizing an ``out`` that had elements warns (a factory's does not)."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors, "
                            f"not {type(out).__name__}")
        outs = [write_out(name, r, o, warn) for r, o in zip(result, out)]
        return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not can_cast(result.dtype, out.dtype) and name in CASTABLE_PREFIX:
        raise RuntimeError(f"{CASTABLE_PREFIX[name]}: Expected result to be safely castable "
                           f"from {torch_dtype_name(result.array.dtype)} dtype, but got result "
                           f"with dtype {torch_dtype_name(out.array.dtype)}")
    if not can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {torch_dtype_name(result.array.dtype)} can't be cast "
                           f"to the desired output type {torch_dtype_name(out.array.dtype)}")
    if out.shape != result.shape:
        if out.numel() != 0 and warn:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future "
                          f"PyTorch release outputs will not be resized unless they have zero "
                          f"elements. You can explicitly reuse an out tensor t by resizing it, "
                          f"inplace, to zero elements with t.resize_(0).", UserWarning,
                          stacklevel=warn_level(3))
        _resize_out(out, result.shape)
    from .inplace import refuse_copied_view
    refuse_copied_view(out)
    out._bump_version_unchecked()
    np.copyto(out.array, cast(result.array, out.array.dtype, copy=False))   # (1e300 → inf)
    return out


def _resize_out(out, shape):
    """``out`` resized as torch resizes it: over its own storage, from its storage offset, where
    that holds the new size (``exp(x[:4], out=x[2:2])`` writes x[2:6]; an out that is all its
    storage grows it); new memory only where the storage is shared and too small, which torch
    would grow for all its sharers (NumPy's memory can't: ``out=x[8:8]`` of 3 elements)."""
    from .resize import _resize, _strides
    try:
        _resize(out, tuple(shape), _strides(tuple(shape), False))
    except RuntimeError:
        out.array = np.empty(shape, out.array.dtype)


def with_out(fn, name=None, grad_name=""):
    """``fn`` with torch's ``out=`` keyword (see the module docstring). ``grad_name``: the
    name in the message refusing an input that requires grad (default ``name``; None: no
    refusal, as torch's composite functions)."""
    name = name or fn.__name__
    grad_name = name if grad_name == "" else grad_name
    signature = inspect.signature(fn)
    factory = name in FACTORIES and "dtype" in signature.parameters

    @functools.wraps(fn)
    def function(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if grad_name is not None and autograd.is_grad_enabled() and any(
                t.requires_grad for t in _tensors([*args, *kwargs.values(), out])):
            raise RuntimeError(f"{grad_name}(): functions with out=... arguments don't support "
                               f"automatic differentiation, but one of the arguments requires "
                               f"grad.")
        if factory and isinstance(out, Tensor):
            dtype = kwargs.get("dtype")
            if dtype is not None and np.dtype(getattr(dtype, "dtype", dtype)) != out.array.dtype:
                raise RuntimeError(f"dtype {torch_dtype_name(getattr(dtype, 'dtype', dtype))} "
                                   f"does not match dtype of out parameter "
                                   f"({torch_dtype_name(out.array.dtype)})")
            kwargs["dtype"] = out.dtype
        if name in IN_OUT_DTYPE and isinstance(out, Tensor):
            kwargs = _in_out_dtype(name, out, args, kwargs)
        if name in PARTIAL_OVERLAP:
            check_partial_overlap(name, out, args, kwargs)
        if name == "argsort" and ("stable" not in kwargs or len(args) > 1):
            raise TypeError("argsort(): out= takes the form argsort(input, *, stable, dim=-1, "
                            "descending=False, out=None), as torch's")
        if name in ("median", "nanmedian"):
            if not isinstance(out, (tuple, list)):      # (torch has no out= form without dim)
                raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
            check_second_out(name, out, args, kwargs)
        if name in BY_INPUT_DTYPE:
            check_out_dtype(name, None, out, args, kwargs)
        if name in NO_OVERLAP:
            check_no_overlap(name, out, args, kwargs)
        result = fn(*args, **kwargs)
        check_out_dtype(name, result, out, args, kwargs)
        if name not in ("median", "nanmedian"):       # (theirs: checked first, above)
            check_second_out(name, out, args, kwargs)
        if name == "mean" and isinstance(out, Tensor) and out.dtype.kind != "f":
            result = result.to(default_float())     # (torch's message names this dtype)
        return write_out(name, result, out, warn=not factory or name == "arange")

    if "out" not in signature.parameters:
        keyword = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
        params = list(signature.parameters.values())
        at = next((i for i, p in enumerate(params) if p.kind == p.VAR_KEYWORD), len(params))
        function.__signature__ = signature.replace(parameters=params[:at] + [keyword] +
                                                   params[at:])
    return function


def accept_out(namespace):
    """Give the functions of :data:`OUT_FUNCTIONS` found in ``namespace`` (a module's
    globals) the ``out=`` keyword, under every name the library's loaded modules and Tensor
    give them."""
    wrapped = {}
    for name in OUT_FUNCTIONS:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type) and \
                "out" not in inspect.signature(fn).parameters:
            wrapped.setdefault(id(fn), with_out(             # (named as defined: mul, not
                fn, grad_name=GRAD_NAMES.get(name, "")))       # multiply; clip's refusal: clamp)
    places = [vars(m) for n, m in list(sys.modules.items())
              if n == "tinygrad_sgd" or n.startswith("tinygrad_sgd.")]
    for place in [namespace, *places]:
        for key, value in list(place.items()):
            if id(value) in wrapped and value is wrapped[id(value)].__wrapped__:
                place[key] = wrapped[id(value)]
    for key, value in list(vars(Tensor).items()):
        if id(value) in wrapped and value is wrapped[id(value)].__wrapped__:
            setattr(Tensor, key, wrapped[id(value)])
    linalg = sys.modules.get("tinygrad_sgd.linalg")
    if linalg is not None:
        for name, grad_name in LINALG_OUT_FUNCTIONS.items():
            fn = getattr(linalg, name, None)
            if callable(fn) and "out" not in inspect.signature(fn).parameters:
                setattr(linalg, name, with_out(fn, "linalg_" + name, grad_name))
