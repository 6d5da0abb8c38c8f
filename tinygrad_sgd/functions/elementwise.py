"""Arithmetic (+ − × / // % **), clamp, where and comparisons, with torch's type promotion:
numbers next to a tensor are "weak" (``int_tensor * 2`` stays integer, ``int_tensor * 2.5``
is of the default float dtype, float32 unless ``set_default_dtype`` changed it), ``/`` of
integers too, integer division by zero raises as in torch. The
other elementwise math (sin, maximum, bitwise ops, ...) is in :mod:`.math`.

(house: long file — the promotion helpers every elementwise function shares, float_operands,
half_by_scalar, ..., sit beside the arithmetic that shows how they are used.)"""
import inspect
import numbers

import numpy as np

from .. import ops
from ..autograd.torch_names import named
from ..dtypes import (_CATEGORY, _SCALAR_TYPE_NAMES, _WITHOUT_TENSORS, SHELL_DTYPES,
                      beyond_int64, checked_scalar, default_float, number_dtype, promote,
                      promote_dtypes, read_number, scalar_argument, scalar_array,
                      uint64_number)
from ..errors import ShapeError
from ..ops.elementwise import (ClampTensor, DivRounded, FloorDivide, Fmod, Remainder,
                               RemainderOfNumber)
from ..tensor import Tensor, tensor_method

__all__ = ["add", "sub", "rsub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "pow", "square", "neg", "negative", "positive",
           "exp", "log", "sqrt", "abs", "absolute", "clamp", "clip", "clamp_min", "clamp_max",
           "where", "eq", "ne", "lt", "le", "gt", "ge", "isnan"]

# ---------------------------------------------------------------------------- dtype helpers
_TORCH_NAMES = {name: torch for name, torch in _SCALAR_TYPE_NAMES.items()
                if name not in _WITHOUT_TENSORS}          # (torch's names of NumPy's dtypes)


_TORCH_NAMES_OF_DTYPES = {np.dtype(name): torch for name, torch in _TORCH_NAMES.items()}


def torch_dtype_name(dtype):
    """torch's name of a dtype in its messages: ``Float``, ``Long``, ``Bool``, ... (looked up
    by the dtype itself first: NumPy makes ``dtype.name`` in Python, ~1.5 µs a call)."""
    name = _TORCH_NAMES_OF_DTYPES.get(dtype)
    return name if name is not None else _TORCH_NAMES.get(np.dtype(dtype).name, str(dtype))


def not_implemented(kernel, dtype):
    """torch's error for a dtype an op has no kernel for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{torch_dtype_name(dtype)}\'')


def no_shell_kernel(kernel, dtype):
    """torch's NotImplementedError for an op it has no uint16/uint32/uint64 kernel for
    (``kernel`` its kernel's name, ``dtype`` the NumPy dtype the op computes in): torch makes
    and stores tensors of these dtypes, and ``*``, ``/``, ``&``, ``==``, ``sum``, ``sort``
    work, but ``u16 + 1`` is ``"add_stub" not implemented for 'UInt16'`` — never NumPy's
    wrapped-around answer. One set lookup; nothing happens for any other dtype."""
    if dtype in SHELL_DTYPES:
        raise not_implemented(kernel, dtype)


def float_input(x):
    """Integer and bool tensors become the default float dtype (float32 unless
    ``set_default_dtype`` changed it), as torch's float functions (exp, sin, sqrt, ...) do;
    float tensors are left as they are."""
    return x if x.dtype.kind == "f" else x.to(default_float())


def require_tensor(value, fn, arg="other", position=None):
    """torch's TypeError for a number (or anything else) where a Tensor is expected; with
    ``position`` the message names it, as torch's (``atan2(): argument 'input' (position 1)
    must be Tensor, not int``)."""
    if not isinstance(value, Tensor):
        where = f" (position {position})" if position is not None else ""
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be Tensor, not "
                        f"{type(value).__name__}")


def require_tensors(fn, *values, names=("input", "other")):
    """Every argument of a function of tensors must be a Tensor (torch's messages)."""
    for position, (name, value) in enumerate(zip(names, values), 1):
        require_tensor(value, fn, name, position)


def result_type(*arrays):
    """torch's result dtype for several operands: the dimensioned tensors decide, unless a
    0-d one (or a number, a 0-d array made by :func:`as_operand`) is of a higher category
    (bool < integer < float) — then its dtype joins in."""
    def fold(dtypes):
        out = None
        for d in dtypes:
            out = d if out is None else promote_dtypes(out, d)
        return out
    dim = fold(a.dtype for a in arrays if a.ndim)
    zero = fold(a.dtype for a in arrays if not a.ndim)
    if dim is None or zero is None:
        return dim if zero is None else zero
    return promote_dtypes(dim, zero) if _CATEGORY[zero.kind] > _CATEGORY[dim.kind] else dim


def weak_scalar(value, like_dtype):
    """A Python number as the 0-d array torch makes of it next to a tensor of ``like_dtype``
    (:func:`~tinygrad_sgd.dtypes.scalar_array`); an integer out of an integer dtype's range
    wraps around, as in torch (``uint8_tensor + -1`` adds 255). An integer past int64 torch
    reads as a uint64 (past that, or below −2**63: its OverflowError), which then wraps into
    an integer dtype as C casts it (``int64_tensor + 2**63`` adds −2**63, ``int32_tensor *
    2**63`` multiplies by 0), is rounded to a float dtype's, and beside bools is torch's
    refused promotion to uint64."""
    if beyond_int64(value):
        big, like = uint64_number(value), np.dtype(like_dtype)
        if like.kind == "b":
            raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                               "attempted to promote Bool and UInt64")
        return scalar_array(float(big), like) if like.kind == "f" else \
            np.array(big).astype(like)
    try:
        return scalar_array(value, like_dtype)
    except OverflowError:
        return np.array(value, dtype=np.int64).astype(np.dtype(like_dtype))


def as_operand(value, like):
    """``value`` as a Tensor to combine with the Tensor ``like``: a Python (or NumPy) number
    becomes a "weak" constant that takes ``like``'s dtype where torch does."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.bool_):   # torch reads a NumPy bool as a Python float (uint8 +
        value = float(value)          # np.True_ is float32), not as a bool tensor (uint8)
    if isinstance(value, numbers.Number) and not isinstance(value, np.ndarray):
        return Tensor._of(weak_scalar(value, like.dtype))
    return Tensor._of(value)


def float_operands(input, other):
    """Both operands of a function computed in floating point (true division, copysign, atan2,
    xlogy, ...) in one float dtype: the dtype torch gives the result if that is a float, else
    the default float dtype. Each operand is converted to it directly, as torch does: an int8
    tensor over a 0-d uint8 tensor holding 250 is divided by 250, not by the −6 that a cast to
    int8 first would make; a number next to an integer or bool tensor keeps its value
    (``uint8_tensor / -2``)."""
    input, other = (v if isinstance(v, (Tensor, numbers.Number)) else Tensor._of(np.asarray(v))
                    for v in (input, other))
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        dtype = result_type(input.array, other.array)
    elif isinstance(input, Tensor):    # a number: the tensor's dtype decides
        dtype = input.array.dtype
    elif isinstance(other, Tensor):
        dtype = other.array.dtype
    else:                              # two numbers (div(2, 3)): the default float dtype
        dtype = default_float()
    if dtype.kind != "f":
        dtype = default_float()
    for number, tensor in ((input, other), (other, input)):
        if beyond_int64(number) and isinstance(tensor, Tensor):
            weak_scalar(number, tensor.dtype)     # (torch's errors: beside bools, or too big)
    return tuple(v.to(dtype) if isinstance(v, Tensor) else Tensor._of(weak_scalar(v, dtype))
                 for v in (input, other))


def float_only_operands(fn, input, other, kernel):
    """:func:`float_operands` of two Tensors for a function torch has no integer kernel for
    (hypot, logaddexp): integers and bools are refused with torch's NotImplementedError."""
    require_tensors(fn, input, other)
    dtype = result_type(input.array, other.array)
    if dtype.kind != "f":
        raise not_implemented(kernel, dtype)
    return input.to(dtype), other.to(dtype)


# the forms torch's argument parser lists when none matches: a number only second
# (comparisons, fmod, copysign), or first too (pow, remainder, bitwise ops, xlogy)
TENSOR_FIRST = ("(Tensor input, Tensor other, *, Tensor out = None)",
                "(Tensor input, Number other, *, Tensor out = None)")


def number_first(other="other", out=False):
    """The forms of a function that also takes a number first (``pow(2, t)``)."""
    return (f"(Tensor input, Tensor {other}, *, Tensor out = None)",
            f"(Number self, Tensor {other}{', *, Tensor out = None' if out else ''})",
            f"(Tensor input, Number {other}, *, Tensor out = None)")


def invalid_arguments(fn, args, forms=TENSOR_FIRST, keywords=None):
    """torch's TypeError for arguments that match none of ``fn``'s ``forms``:
    ``eq() received an invalid combination of arguments - got (int, Tensor), but expected
    one of: ...`` (``keywords``: those passed by name, ``clamp(2, min=1)``: ``(int, min=int)``)."""
    def kind(a):
        return "Tensor" if isinstance(a, Tensor) else type(a).__name__
    got = ", ".join([kind(a) for a in args] +
                    [f"{k}={kind(v)}" for k, v in (keywords or {}).items()])
    if keywords and not args:           # (torch's: ``got (minn=int, )``)
        got += ", "
    listed = "".join(f" * {form}\n" for form in forms)
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n{listed}")


def tensor_first(fn, input, other):
    """torch's TypeError for ``fn(number, tensor)`` where torch takes a number only as the
    second argument (fmod, copysign)."""
    if not isinstance(input, Tensor):
        raise invalid_arguments(fn, (input, other))


def refuse_two_numbers(fn, input, other, forms):
    """torch's TypeError for ``fn(number, number)`` where a number may come first but not
    both (pow, remainder, bitwise ops)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise invalid_arguments(fn, (input, other), forms)


def half_by_scalar(op, input, other):
    """``op`` (:class:`~tinygrad_sgd.ops.MulHalfByScalar` or ``DivHalfByScalar``) of a float16
    tensor by a scalar second operand — a number, or a 0-d tensor of another dtype that leaves
    the result float16 — as torch's CPU kernels compute it (the scalar in float32, the result
    rounded once). (torch's add and sub round the scalar to float16, as the plain path does.)
    None where this does not apply."""
    other = half_scalar(input, other)
    return None if other is None else op.apply(input, other)


def half_scalar(input, other):
    """For a float16 tensor ``input`` and a scalar second operand ``other`` — a number, or a
    0-d tensor of another dtype that leaves the result float16 — the scalar as torch's CPU
    kernels take it: in float32 (a 0-d tensor keeps its own node, so its gradient flows).
    None where this does not apply."""
    if not isinstance(input, Tensor) or input.array.dtype != np.float16:
        return None
    if isinstance(other, Tensor):
        if other.ndim or other.dtype == np.float16 or \
                result_type(input.array, other.array) != np.float16:
            return None
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
        with np.errstate(over="ignore"):             # 1e40: inf, as torch's float(1e40)
            return Tensor._of(np.asarray(float(read_number(other)), np.float32))
    return None


def operands(a, b):
    """``a`` and ``b`` as Tensors of the dtype torch gives their result (either may be a
    number; two numbers, as torch's add(2, 3.5), give the first the dtype it has alone)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor) and _is_number(a) and _is_number(b):
            return operands(Tensor._of(np.asarray(a, dtype=number_dtype(a))), b)
        a = as_operand(a, b)
    else:
        b = as_operand(b, a)
    return promote(a, b)


def values(name, fn, *tensors):
    """A result that is not differentiated (comparisons, bitwise and logical ops): NumPy's
    ``fn`` on the arrays, a broadcast mismatch reported with both shapes."""
    try:
        return Tensor._of(np.asarray(fn(*[t.array for t in tensors])))
    except ValueError:
        shapes = " and ".join(f"{t.shape}" for t in tensors)
        raise ShapeError(f"{name}: shapes {shapes} cannot be broadcast together") from None


def _integer_divisor(a, b):
    if a.dtype.kind in "iu" and not np.all(b.array):
        raise RuntimeError("ZeroDivisionError")


# ---------------------------------------------------------------------------- arithmetic
def _scaled(a, b, alpha):
    """``alpha · b`` for add and sub, with torch's checks of ``alpha`` against the result."""
    if type(alpha) is int and alpha == 1:
        return b
    _check_alpha(a, alpha)
    if a.dtype == bool:                 # a bool result takes alpha as a bool, as torch
        alpha = bool(alpha)
    return b if alpha == 1 else mul(b, alpha)


def _check_alpha(a, alpha):
    """torch's checks of add's and sub's ``alpha`` against the result's dtype."""
    if isinstance(alpha, (bool, np.bool_)) and a.dtype != bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, (float, np.floating)) and a.dtype.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if not -128 < alpha < 128:          # alpha must fit the result's dtype (300 for int8)
        checked_scalar(alpha, a.dtype)


def _fused(a, alpha):
    """Whether ``a ± alpha·b`` is one fused multiply-add (floats, alpha ≠ 1), as torch's."""
    if a.dtype.kind != "f" or alpha == 1:
        return False
    _check_alpha(a, alpha)
    return True


@tensor_method
def add(input, other, *, alpha=1):
    alpha = scalar_argument(alpha, "add", "alpha")   # (2**64: torch's OverflowError, first)
    a, b = operands(input, other)
    if a.array.dtype in SHELL_DTYPES:           # (inline: the hot path)
        raise not_implemented("add_stub", a.array.dtype)
    if _fused(a, alpha):
        return ops.AddScaled.apply(a, b, alpha)
    return ops.Add.apply(a, _scaled(a, b, alpha))


_SUB_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
_SUB_TWO_BOOLS = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use "
                  "the `^` or `logical_xor()` operator instead.")


def _past_int64(*values):
    """Whether one of ``values`` is a Python int that torch reads as a uint64 (or −2**63,
    whose negation, as sub's alpha, wraps)."""
    return any(type(v) is int and not -2 ** 63 < v < 2 ** 63 for v in values)


def _refuse_for_sub(input, other, alpha):
    """torch's errors for sub, in its order: a number past uint64 (OverflowError), then a
    bool operand."""
    for v in (input, other, alpha):
        read_number(v)
    bools = [isinstance(t, bool) or isinstance(t, Tensor) and t.dtype == bool
             for t in (input, other)]         # (a NumPy bool is a float to torch: see as_operand)
    if all(bools):
        raise RuntimeError(_SUB_TWO_BOOLS)
    if any(bools):
        raise RuntimeError(_SUB_BOOL)


@tensor_method
def sub(input, other, *, alpha=1):
    if type(alpha) is not int:
        alpha = scalar_argument(alpha, "sub", "alpha")
    if _past_int64(input, other, alpha):        # (rare: a number torch reads as a uint64)
        _refuse_for_sub(input, other, alpha)
        if _past_int64(alpha):     # torch adds −alpha taken in int64, which wraps around
            return add(input, other, alpha=(2 ** 63 - alpha) % 2 ** 64 - 2 ** 63)
    a, b = operands(input, other)
    if a.dtype == bool:
        raise RuntimeError(_SUB_TWO_BOOLS)
    if any(isinstance(t, bool) or isinstance(t, Tensor) and t.dtype == bool
           for t in (input, other)):                  # (x - True too, as torch)
        raise RuntimeError(_SUB_BOOL)
    if a.array.dtype in SHELL_DTYPES:           # (inline: the hot path)
        raise not_implemented("add_stub", a.array.dtype)
    if _fused(a, alpha):
        out = ops.SubScaled.apply(a, b, alpha)
    else:
        out = ops.Sub.apply(a, _scaled(a, b, alpha))
    return out if isinstance(input, Tensor) else named(out, "RsubBackward1", other)


def rsub(input, other, *, alpha=1):
    """``other − alpha · input`` (sub with its operands swapped); ``input`` a Tensor, as
    torch's."""
    if not isinstance(input, Tensor):
        raise invalid_arguments("rsub", (input, other), (
            "(Tensor input, Tensor other, *, Number alpha = 1)",
            "(Tensor input, Number other, Number alpha = 1)"))
    return sub(other, input, alpha=alpha)


@tensor_method
def mul(input, other):
    half = half_by_scalar(ops.MulHalfByScalar, input, other)
    if half is not None:
        return half
    return ops.Mul.apply(*operands(input, other))


@tensor_method
def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float dtype), or ``rounding_mode="trunc"``
    (toward 0) or ``"floor"`` (integers stay integers; the gradient is 0, as torch)."""
    if rounding_mode is None:
        half = half_by_scalar(ops.DivHalfByScalar, input, other)
        if half is not None:
            return half
        out = ops.Div.apply(*float_operands(input, other))     # number / x: torch's 1/x times it
        return out if isinstance(input, Tensor) else named(out, "MulBackward0", other)
    a, b = operands(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    if a.dtype == bool:
        raise not_implemented(f"div_{rounding_mode}_cpu", bool)
    no_shell_kernel(f"div_{rounding_mode}_cpu", a.array.dtype)
    _integer_divisor(a, b)
    half = half_scalar(input, other)     # float16 ÷ a scalar: in float32, as torch's kernel
    return DivRounded.apply(a, b if half is None else half, rounding_mode)


@tensor_method
def floor_divide(input, other):
    """``input // other`` (rounds toward −inf). torch has no derivative for it: backward
    through a result that requires grad raises, as torch; ``div(..., rounding_mode="floor")``
    gives the zero gradient instead."""
    a, b = operands(input, other)
    if a.dtype == bool:
        raise not_implemented("div_floor_cpu", bool)
    no_shell_kernel("div_floor_cpu", a.array.dtype)
    _integer_divisor(a, b)
    half = half_scalar(input, other)     # float16 ÷ a scalar: in float32, as torch's kernel
    return FloorDivide.apply(a, b if half is None else half)


@tensor_method
def remainder(input, other):
    """Python's ``%``: the result has the divisor's sign (``fmod``: the dividend's)."""
    a, b = operands(input, other)
    if a.dtype == bool:
        raise not_implemented("remainder_cpu", bool)
    no_shell_kernel("remainder_cpu", a.array.dtype)
    _integer_divisor(a, b)
    if isinstance(input, numbers.Number):   # remainder(Scalar, Tensor): no derivative in torch
        refuse_two_numbers("remainder", input, other, number_first())
        return RemainderOfNumber.apply(a, b)
    return Remainder.apply(a, b)


@tensor_method
def fmod(input, other):
    """C's fmod: the remainder of the division rounded toward 0 (the dividend's sign). A
    number only as ``other``, as torch."""
    tensor_first("fmod", input, other)
    a, b = operands(input, other)
    if a.dtype == bool:
        raise not_implemented("fmod_cpu", bool)
    no_shell_kernel("fmod_cpu", a.array.dtype)
    _integer_divisor(a, b)
    return Fmod.apply(a, b)


@tensor_method
def pow(input, exponent):
    """``input ** exponent``; a number exponent is a constant (one node, ``PowScalar``).
    As torch: an integer tensor to a negative integer number raises, and so does a number
    exponent its dtype cannot hold (``uint8 ** 300``, ``float16 ** 1e5``); to a negative
    exponent tensor it gives 0 (1 and −1 excepted)."""
    if isinstance(input, Tensor) and isinstance(exponent, numbers.Number) \
            and not isinstance(exponent, np.ndarray):
        exponent = exponent.item() if isinstance(exponent, np.generic) else exponent
        if isinstance(exponent, complex):     # (the library's refusal, as for x * 1j: NumPy
            raise TypeError(f"Tensor: complex numbers are not supported (got {exponent!r})")
        kind = input.dtype.kind
        if beyond_int64(read_number(exponent)) and kind != "f":   # (read as an int64 there)
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        if kind in "biu" and isinstance(exponent, numbers.Integral) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if (kind in "iu" and isinstance(exponent, numbers.Integral)) or \
                input.dtype == np.float16:          # torch's kernel takes p in x's dtype:
            checked_scalar(exponent, input.dtype)   # uint8 ** 300 is its RuntimeError
        if kind != "f" and not (kind == "b" and isinstance(exponent, (bool, np.bool_))):
            input = input.to(weak_scalar(exponent, input.dtype).dtype if kind == "b" else
                             result_type(input.array, weak_scalar(exponent, input.dtype)))
        no_shell_kernel("pow", input.array.dtype)
        return ops.PowScalar.apply(input, exponent)
    refuse_two_numbers("pow", input, exponent, number_first("exponent", out=True))
    a, b = operands(input, exponent)
    if a.dtype == bool:
        raise not_implemented("pow", bool)
    no_shell_kernel("pow", a.array.dtype)
    out = ops.Pow.apply(a, b)
    return out if isinstance(input, Tensor) else named(out, "PowBackward2", exponent)


@tensor_method
def square(input):
    return pow(input, 2)


@tensor_method
def neg(input):
    if input.dtype == bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    no_shell_kernel("neg_cpu", input.array.dtype)
    return ops.Neg.apply(input)


@tensor_method
def positive(input):
    """``+input``: the tensor itself."""
    if input.dtype == bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@tensor_method
def exp(input):
    return ops.Exp.apply(float_input(input))


@tensor_method
def log(input):
    return ops.Log.apply(float_input(input))


@tensor_method
def sqrt(input):
    return ops.Sqrt.apply(float_input(input))


@tensor_method
def abs(input):
    if input.dtype == bool:
        raise not_implemented("abs_cpu", bool)
    no_shell_kernel("abs_cpu", input.array.dtype)
    return ops.Abs.apply(input)


subtract, multiply, divide, true_divide, negative, absolute = sub, mul, div, div, neg, abs
Tensor.subtract, Tensor.multiply, Tensor.divide, Tensor.true_divide = sub, mul, div, div
Tensor.negative, Tensor.absolute = neg, abs


# ---------------------------------------------------------------------------- clamp
def clamp(*args, **kwargs):
    """``clamp(input, min=None, max=None)``: bounds are numbers or Tensors (broadcast,
    differentiable). Where min > max the result is max, as torch. ``clip`` is the same under
    its own name (torch's messages name the one called)."""
    return _clamp("clamp", False, args, kwargs)


def clip(*args, **kwargs):
    return _clamp("clip", False, args, kwargs)


def clamp_method(name):
    """The method ``x.clamp(min, max)`` (``clip``, and ``clamp_``/``clip_``'s computation):
    torch's messages for it name no ``input`` and no ``out``."""
    def method(self, *args, **kwargs):
        return _clamp(name, True, (self, *args), kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = clamp.__doc__
    return method


clip.__doc__ = clamp.__doc__
clamp.__signature__ = clip.__signature__ = inspect.Signature(
    [inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD)] +
    [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
     for n in ("min", "max")])
Tensor.clamp, Tensor.clip = clamp_method("clamp"), clamp_method("clip")


def _clamp(name, method, args, kwargs):
    names = ("input", "min", "max")
    n = len(args)
    input = args[0] if n else kwargs.get("input")
    min = args[1] if n > 1 else kwargs.get("min")
    max = args[2] if n > 2 else kwargs.get("max")
    if n > 3 or (kwargs and any(k not in names[n:] for k in kwargs)) or \
            not isinstance(input, Tensor) or not (_bound(min) and _bound(max)):
        shown = args[1:] if method else args
        forms = _CLAMP_METHOD_FORMS if method else _CLAMP_FORMS
        if not isinstance(input, Tensor) and len(args) == 1:
            kwargs = {k: v for k, v in kwargs.items() if v is not None}   # (clamp(2, min=1))
        raise invalid_arguments(name, shown, forms, kwargs)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [None if v is None else as_operand(v, input) for v in (min, max)]
    dtype = result_type(input.array, *[b.array for b in bounds if b is not None])
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if dtype == bool and min is not None and max is not None:
            raise not_implemented("clamp_cpu", bool)
        no_shell_kernel("clamp_cpu" if min is not None and max is not None else
                        "maximum_cpu" if min is not None else "minimum_cpu", dtype)
        return ClampTensor.apply(input.to(dtype), *[None if b is None else b.to(dtype)
                                                    for b in bounds])
    if dtype == bool or dtype in SHELL_DTYPES:
        raise not_implemented("clamp_scalar_cpu" if min is not None and max is not None else
                              "clamp_min_scalar_cpu" if min is not None else
                              "clamp_max_scalar_cpu", dtype)
    lo, hi = (None if v is None else checked_scalar(v, dtype) for v in (min, max))
    return ops.Clamp.apply(input.to(dtype), lo, hi)


def _bound(value):
    """Whether clamp takes ``value`` as a bound: None, a number or a Tensor."""
    return type(value) in _PLAIN or isinstance(value, Tensor) or _is_number(value)


_PLAIN = (type(None), float, int, bool)
_CLAMP_METHOD_FORMS = ("(Tensor min = None, Tensor max = None)",
                       "(Number min = None, Number max = None)")
_CLAMP_FORMS = ("(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
                "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)")


def _clamp_forms(bound):
    return (f"(Tensor input, Tensor {bound}, *, Tensor out = None)",
            f"(Tensor input, Number {bound}, *, Tensor out = None)")


@tensor_method
def clamp_min(input, min):
    if not isinstance(input, Tensor):
        raise invalid_arguments("clamp_min", (input, min), _clamp_forms("min"))
    return named(clamp(input, min=min),
                 "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0", input)


@tensor_method
def clamp_max(input, max):
    if not isinstance(input, Tensor):
        raise invalid_arguments("clamp_max", (input, max), _clamp_forms("max"))
    return named(clamp(input, max=max),
                 "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0", input)


# ---------------------------------------------------------------------------- where, compare
def where(condition, input, other) -> Tensor:
    """Elementwise ``input if condition else other`` (the condition is not differentiated).
    A number takes the other operand's dtype where torch's promotion says so, and must fit it
    (torch's RuntimeError for ``where(c, uint8_tensor, 300)``; into float16 it may overflow
    to inf, as torch)."""
    cond = condition if isinstance(condition, Tensor) else Tensor._of(np.asarray(condition))
    if cond.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        if any(beyond_int64(read_number(v)) for v in (input, other)):
            # one a uint64 (torch's read of 2**63): both tensors of their own dtypes, promoted
            input, other = (Tensor._of(np.asarray(v, dtype=np.uint64 if beyond_int64(v) else
                                                  number_dtype(v))) for v in (input, other))
        else:   # two numbers: the first as torch makes a number with no tensor beside it
            input = Tensor._of(np.asarray(input, dtype=number_dtype(input)))
    for number, tensor in ((input, other), (other, input)):
        if isinstance(tensor, Tensor):
            _refuse_beyond_int64(number, tensor.dtype)
    x, y = operands(input, other)
    if x.array.dtype != np.float16:     # a number must fit the result: uint8 and 300 fails
        x, y = (Tensor._of(checked_scalar(v, t.dtype)) if _is_number(v) else t
                for v, t in ((input, x), (other, y)))
    return ops.Where.apply(cond, x, y)


def _refuse_beyond_int64(value, dtype):
    """torch's errors for an integer beyond int64 beside a tensor in where(): past uint64 an
    OverflowError, else (a uint64 number) fine next to floats only."""
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)) or \
            -2 ** 63 <= value < 2 ** 63:
        return
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if value >= 2 ** 64:
        raise OverflowError("int too big to convert")
    if dtype == bool:
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           "attempted to promote Bool and UInt64")
    if dtype.kind != "f":
        checked_scalar(value, dtype)                      # (raises torch's RuntimeError)


def _is_number(value):
    return isinstance(value, numbers.Number) and not isinstance(value, np.ndarray)


Tensor.where = lambda self, condition, other: where(condition, self, other)


_ORDERING_KERNELS = {"lt": "lt_cpu", "le": "le_cpu", "gt": "gt_cpu", "ge": "ge_cpu",
                     "less": "lt_cpu", "less_equal": "le_cpu", "greater": "gt_cpu",
                     "greater_equal": "ge_cpu"}


def compare_function(fn, name):
    kernel = _ORDERING_KERNELS.get(name)     # (== and != have uint16/32/64 kernels in torch)

    def compare(input, other):
        if not isinstance(input, Tensor):    # (a number only second, as torch)
            raise invalid_arguments(name, (input, other))
        # in the dtype torch compares in: a number in the tensor's (uint8 == 257 is == 1, as
        # torch), int64 against float32 in float32
        if isinstance(other, (Tensor, numbers.Number)) and not isinstance(other, np.ndarray):
            input, other = operands(input, other)
        if kernel is not None and input.array.dtype in SHELL_DTYPES:
            raise not_implemented(kernel, input.array.dtype)
        other = other.array if isinstance(other, Tensor) else other
        try:
            return Tensor._of(np.asarray(fn(input.array, other)))
        except ValueError:
            raise ShapeError(f"comparison: shapes {input.shape} and {np.shape(other)} cannot "
                             f"be broadcast together") from None
    compare.__name__ = compare.__qualname__ = name
    return tensor_method(compare)


eq, ne = compare_function(np.equal, "eq"), compare_function(np.not_equal, "ne")
lt, le = compare_function(np.less, "lt"), compare_function(np.less_equal, "le")
gt, ge = compare_function(np.greater, "gt"), compare_function(np.greater_equal, "ge")


@tensor_method
def isnan(input):
    return Tensor._of(np.isnan(input.array))
