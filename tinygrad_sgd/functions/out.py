"""torch's ``out=`` keyword: ``torch.matmul(a, b, out=c)`` writes the product into ``c`` and
returns ``c``.

:func:`accept_out` wraps the functions of :data:`OUT_FUNCTIONS` in the ``tinygrad_sgd``
namespace, and puts the wrapped function wherever the original was (the Tensor method that is
the same function, ``tinygrad_sgd.special.erf``, the modules that imported it): one function
stays one object, so ``a.matmul(b, out=c)`` works here too, where torch's methods have no
``out``. Every wrapped function computes its result as usual, then :func:`write_out` puts it
into ``out`` with torch's rules:

* with grad mode on, no argument (``out`` included) may require grad: ``out=`` is not
  differentiable (``RuntimeError: mul(): functions with out=... arguments don't support
  automatic differentiation, but one of the arguments requires grad.``);
* the result is cast to ``out``'s dtype, never to a lower category (``result type Float can't
  be cast to the desired output type Long``); a factory (``zeros``, ``arange``, ``rand`` ...)
  makes its values in ``out``'s dtype instead;
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

from .. import autograd
from ..dtypes import can_cast
from ..tensor import Tensor
from .elementwise import torch_dtype_name

__all__ = ["OUT_FUNCTIONS", "FACTORIES", "accept_out", "with_out", "write_out"]

# the top-level functions to which torch gives an ``out=`` keyword (each checked on torch by
# calling it with one)
OUT_FUNCTIONS = frozenset("""
abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr all amax amin aminmax angle
any arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin asin asinh atan
atan2 atanh baddbmm bernoulli bitwise_and bitwise_left_shift bitwise_not bitwise_or
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

# functions that make new values rather than compute from tensors: with ``out=``, they make
# them in ``out``'s dtype
FACTORIES = frozenset("""
arange empty eye full linspace logspace ones rand randint randn randperm range zeros normal
""".split())


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
                          stacklevel=3)
        out.array = np.empty(result.shape, out.array.dtype)
    out._bump_version_unchecked()
    np.copyto(out.array, result.array, casting="unsafe")
    return out


def _tensors(values):
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from (t for t in v if isinstance(t, Tensor))


def with_out(fn, name=None):
    """``fn`` with torch's ``out=`` keyword (see the module docstring)."""
    name = name or fn.__name__
    signature = inspect.signature(fn)
    factory = name in FACTORIES and "dtype" in signature.parameters

    @functools.wraps(fn)
    def function(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if autograd.is_grad_enabled() and any(
                t.requires_grad for t in _tensors([*args, *kwargs.values(), out])):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               f"automatic differentiation, but one of the arguments requires "
                               f"grad.")
        if factory and isinstance(out, Tensor):
            dtype = kwargs.get("dtype")
            if dtype is not None and np.dtype(getattr(dtype, "dtype", dtype)) != out.array.dtype:
                raise RuntimeError(f"dtype {torch_dtype_name(getattr(dtype, 'dtype', dtype))} "
                                   f"does not match dtype of out parameter "
                                   f"({torch_dtype_name(out.array.dtype)})")
            kwargs["dtype"] = out.dtype
        return write_out(name, fn(*args, **kwargs), out, warn=not factory or name == "arange")

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
            wrapped.setdefault(id(fn), with_out(fn))      # (named as defined: mul, not multiply)
    places = [vars(m) for n, m in list(sys.modules.items())
              if n == "tinygrad_sgd" or n.startswith("tinygrad_sgd.")]
    for place in [namespace, *places]:
        for key, value in list(place.items()):
            if id(value) in wrapped and value is wrapped[id(value)].__wrapped__:
                place[key] = wrapped[id(value)]
    for key, value in list(vars(Tensor).items()):
        if id(value) in wrapped and value is wrapped[id(value)].__wrapped__:
            setattr(Tensor, key, wrapped[id(value)])
