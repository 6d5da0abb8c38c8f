"""Arithmetic (+ − × / // % **), clamp, where and comparisons, with torch's type promotion:
numbers next to a tensor are "weak" (``int_tensor * 2`` stays integer, ``int_tensor * 2.5``
is of the default float dtype, float32 unless ``set_default_dtype`` changed it), ``/`` of
integers too, integer division by zero raises as in torch. The
other elementwise math (sin, maximum, bitwise ops, ...) is in :mod:`.math`."""
import numbers

import numpy as np

from .. import ops
from ..autograd.torch_names import named
from ..dtypes import (_CATEGORY, checked_scalar, default_float, number_dtype, promote,
                      promote_dtypes, scalar_array)
from ..errors import ShapeError
from ..ops.elementwise import (ClampTensor, DivRounded, FloorDivide, Fmod, Remainder)
from ..tensor import Tensor, tensor_method

__all__ = ["add", "sub", "rsub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "pow", "square", "neg", "negative", "positive",
           "exp", "log", "sqrt", "abs", "absolute", "clamp", "clip", "clamp_min", "clamp_max",
           "where", "eq", "ne", "lt", "le", "gt", "ge", "isnan"]

# ---------------------------------------------------------------------------- dtype helpers
_TORCH_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


def torch_dtype_name(dtype):
    """torch's name of a dtype in its messages: ``Float``, ``Long``, ``Bool``, ..."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, str(dtype))


def not_implemented(kernel, dtype):
    """torch's error for a dtype an op has no kernel for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{torch_dtype_name(dtype)}\'')


def float_input(x):
    """Integer and bool tensors become the default float dtype (float32 unless
    ``set_default_dtype`` changed it), as torch's float functions (exp, sin, sqrt, ...) do;
    float tensors are left as they are."""
    return x if x.dtype.kind == "f" else x.to(default_float())


def require_tensor(value, fn, arg="other"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be Tensor, not {type(value).__name__}")


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
    wraps around, as in torch (``uint8_tensor + -1`` adds 255)."""
    try:
        return scalar_array(value, like_dtype)
    except OverflowError:
        return np.array(value, dtype=np.int64).astype(np.dtype(like_dtype))


def as_operand(value, like):
    """``value`` as a Tensor to combine with the Tensor ``like``: a Python (or NumPy) number
    becomes a "weak" constant that takes ``like``'s dtype where torch does."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, np.ndarray):
        return Tensor._of(weak_scalar(value, like.dtype))
    return Tensor._of(value)


def float_operands(input, other):
    """Both operands of a function computed in floating point (true division, copysign), as
    one float dtype: integers and bools become the default float dtype — a tensor next to a
    number first, so that the number keeps its value (``uint8_tensor / -2``), as torch."""
    if not isinstance(other, Tensor) and input.dtype.kind != "f":
        input = input.to(default_float())
    elif not isinstance(input, Tensor) and other.dtype.kind != "f":
        other = other.to(default_float())
    a, b = operands(input, other)
    return (a, b) if a.dtype.kind == "f" else (a.to(default_float()), b.to(default_float()))


def operands(a, b):
    """``a`` and ``b`` as Tensors of the dtype torch gives their result (either may be a
    number; at least one is a Tensor)."""
    if not isinstance(a, Tensor):
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
    if isinstance(alpha, (bool, np.bool_)) and a.dtype != bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, (float, np.floating)) and a.dtype.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return b if alpha == 1 else mul(b, alpha)


@tensor_method
def add(input, other, *, alpha=1):
    a, b = operands(input, other)
    return ops.Add.apply(a, _scaled(a, b, alpha))


@tensor_method
def sub(input, other, *, alpha=1):
    a, b = operands(input, other)
    if a.dtype == bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if any(isinstance(t, (bool, np.bool_)) or isinstance(t, Tensor) and t.dtype == bool
           for t in (input, other)):                  # (x - True too, as torch)
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    out = ops.Sub.apply(a, _scaled(a, b, alpha))
    return out if isinstance(input, Tensor) else named(out, "RsubBackward1", other)


def rsub(input, other, *, alpha=1):
    """``other − alpha · input`` (sub with its operands swapped)."""
    return sub(other, input, alpha=alpha)


@tensor_method
def mul(input, other):
    return ops.Mul.apply(*operands(input, other))


@tensor_method
def div(input, other, *, rounding_mode=None):
    """True division (integers give the default float dtype), or ``rounding_mode="trunc"``
    (toward 0) or ``"floor"`` (integers stay integers; the gradient is 0, as torch)."""
    if rounding_mode is None:
        out = ops.Div.apply(*float_operands(input, other))     # number / x: torch's 1/x times it
        return out if isinstance(input, Tensor) else named(out, "MulBackward0", other)
    a, b = operands(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    if a.dtype == bool:
        raise not_implemented(f"div_{rounding_mode}_cpu", bool)
    _integer_divisor(a, b)
    return DivRounded.apply(a, b, rounding_mode)


@tensor_method
def floor_divide(input, other):
    """``input // other`` (rounds toward −inf). torch has no derivative for it: backward
    through a result that requires grad raises, as torch; ``div(..., rounding_mode="floor")``
    gives the zero gradient instead."""
    a, b = operands(input, other)
    if a.dtype == bool:
        raise not_implemented("div_floor_cpu", bool)
    _integer_divisor(a, b)
    return FloorDivide.apply(a, b)


@tensor_method
def remainder(input, other):
    """Python's ``%``: the result has the divisor's sign (``fmod``: the dividend's)."""
    a, b = operands(input, other)
    if a.dtype == bool:
        raise not_implemented("remainder_cpu", bool)
    _integer_divisor(a, b)
    return Remainder.apply(a, b)


@tensor_method
def fmod(input, other):
    """C's fmod: the remainder of the division rounded toward 0 (the dividend's sign)."""
    a, b = operands(input, other)
    if a.dtype == bool:
        raise not_implemented("fmod_cpu", bool)
    _integer_divisor(a, b)
    return Fmod.apply(a, b)


@tensor_method
def pow(input, exponent):
    """``input ** exponent``; a number exponent is a constant (one node, ``PowScalar``).
    As torch: an integer tensor to a negative integer number raises; to a negative exponent
    tensor it gives 0 (1 and −1 excepted)."""
    if isinstance(input, Tensor) and isinstance(exponent, numbers.Number) \
            and not isinstance(exponent, np.ndarray):
        exponent = exponent.item() if isinstance(exponent, np.generic) else exponent
        kind = input.dtype.kind
        if kind in "biu" and isinstance(exponent, numbers.Integral) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if kind != "f" and not (kind == "b" and isinstance(exponent, (bool, np.bool_))):
            input = input.to(weak_scalar(exponent, input.dtype).dtype if kind == "b" else
                             result_type(input.array, weak_scalar(exponent, input.dtype)))
        return ops.PowScalar.apply(input, exponent)
    a, b = operands(input, exponent)
    if a.dtype == bool:
        raise not_implemented("pow", bool)
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
    return ops.Abs.apply(input)


subtract, multiply, divide, true_divide, negative, absolute = sub, mul, div, div, neg, abs
Tensor.subtract, Tensor.multiply, Tensor.divide, Tensor.true_divide = sub, mul, div, div
Tensor.negative, Tensor.absolute = neg, abs


# ---------------------------------------------------------------------------- clamp
@tensor_method
def clamp(input, min=None, max=None):
    """Bounds are numbers or Tensors (broadcast, differentiable). Where min > max the result
    is max, as torch."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [None if v is None else as_operand(v, input) for v in (min, max)]
    dtype = result_type(input.array, *[b.array for b in bounds if b is not None])
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        if dtype == bool and min is not None and max is not None:
            raise not_implemented("clamp_cpu", bool)
        return ClampTensor.apply(input.to(dtype), *[None if b is None else b.to(dtype)
                                                    for b in bounds])
    if dtype == bool:
        raise not_implemented("clamp_scalar_cpu" if min is not None and max is not None else
                              "clamp_min_scalar_cpu" if min is not None else
                              "clamp_max_scalar_cpu", bool)
    lo, hi = (None if v is None else checked_scalar(v, dtype) for v in (min, max))
    return ops.Clamp.apply(input.to(dtype), lo, hi)


@tensor_method
def clamp_min(input, min):
    return clamp(input, min=min)


@tensor_method
def clamp_max(input, max):
    return clamp(input, max=max)


clip = clamp
Tensor.clip = clamp


# ---------------------------------------------------------------------------- where, compare
def where(condition, input, other) -> Tensor:
    """Elementwise ``input if condition else other`` (the condition is not differentiated)."""
    cond = condition if isinstance(condition, Tensor) else Tensor._of(np.asarray(condition))
    if cond.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two numbers: the first as torch makes a number with no tensor beside it
        input = Tensor._of(np.asarray(input, dtype=number_dtype(input)))
    x, y = operands(input, other)
    return ops.Where.apply(cond, x, y)


Tensor.where = lambda self, condition, other: where(condition, self, other)


def _compare(fn, name):
    def compare(input, other):
        # in the dtype torch compares in: a number in the tensor's (uint8 == 257 is == 1, as
        # torch), int64 against float32 in float32
        if isinstance(other, (Tensor, numbers.Number)) and not isinstance(other, np.ndarray):
            input, other = operands(input, other)
        other = other.array if isinstance(other, Tensor) else other
        try:
            return Tensor._of(np.asarray(fn(input.array, other)))
        except ValueError:
            raise ShapeError(f"comparison: shapes {input.shape} and {np.shape(other)} cannot "
                             f"be broadcast together") from None
    compare.__name__ = compare.__qualname__ = name
    return tensor_method(compare)


eq, ne = _compare(np.equal, "eq"), _compare(np.not_equal, "ne")
lt, le = _compare(np.less, "lt"), _compare(np.less_equal, "le")
gt, ge = _compare(np.greater, "gt"), _compare(np.greater_equal, "ge")


@tensor_method
def isnan(input):
    return Tensor._of(np.isnan(input.array))
