"""Arithmetic, elementwise math and comparisons."""
import numbers

import numpy as np

from .. import ops
from ..dtypes import promote, scalar_array
from ..tensor import Tensor, tensor_method

__all__ = ["add", "sub", "mul", "div", "true_divide", "pow", "neg", "exp", "log", "sqrt", "abs",
           "clamp", "clip", "where", "eq", "ne", "lt", "le", "gt", "ge", "isnan"]


def as_operand(value, like):
    """``value`` as a Tensor to combine with the Tensor ``like``: a Python (or NumPy) number
    becomes a "weak" constant that takes ``like``'s dtype where torch does."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, np.ndarray):
        return Tensor(scalar_array(value, like.dtype))
    return Tensor(value)


def operands(a, b):
    """``a`` and ``b`` as Tensors of the dtype torch gives their result (either may be a
    number; at least one is a Tensor)."""
    if not isinstance(a, Tensor):
        a = as_operand(a, b)
    else:
        b = as_operand(b, a)
    return promote(a, b)


@tensor_method
def add(input, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    return ops.Add.apply(*operands(input, other))


@tensor_method
def sub(input, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    return ops.Sub.apply(*operands(input, other))


@tensor_method
def mul(input, other):
    return ops.Mul.apply(*operands(input, other))


@tensor_method
def div(input, other):
    """True division, as torch: integer operands give a float result."""
    a, b = operands(input, other)
    if a.dtype.kind in "biu":
        a, b = a.float(), b.float()
    return ops.Div.apply(a, b)


true_divide = div


@tensor_method
def pow(input, exponent):
    """``input ** exponent``; a number exponent is a constant (one node, ``PowScalar``)."""
    if isinstance(exponent, (int, float, np.number)) and not isinstance(exponent, bool) \
            and isinstance(input, Tensor):
        exponent = exponent.item() if isinstance(exponent, np.generic) else exponent
        if input.dtype.kind != "f" and isinstance(exponent, float):   # int ** 0.5: float32
            input = input.float()
        return ops.PowScalar.apply(input, exponent)
    return ops.Pow.apply(*operands(input, exponent))


@tensor_method
def neg(input):
    return ops.Neg.apply(input)


@tensor_method
def exp(input):
    return ops.Exp.apply(input)


@tensor_method
def log(input):
    return ops.Log.apply(input)


@tensor_method
def sqrt(input):
    return ops.Sqrt.apply(input)


@tensor_method
def abs(input):
    return ops.Abs.apply(input)


@tensor_method
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return ops.Clamp.apply(input, min, max)


clip = clamp
Tensor.clip = clamp


def where(condition, input, other) -> Tensor:
    """Elementwise ``input if condition else other`` (the condition is not differentiated)."""
    cond = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        x, y = Tensor(input), Tensor(other)
    else:
        x, y = operands(input, other)
    return ops.Where.apply(cond, x, y)


Tensor.where = lambda self, condition, other: where(condition, self, other)


# ---------------------------------------------------------------------------- comparisons
def _compare(fn):
    def compare(input, other):
        other = other.array if isinstance(other, Tensor) else other
        try:
            return Tensor(np.asarray(fn(input.array, other)))
        except ValueError:
            raise ValueError(f"comparison: shapes {input.shape} and {np.shape(other)} cannot "
                             f"be broadcast together") from None
    return compare


eq, ne = _compare(np.equal), _compare(np.not_equal)
lt, le, gt, ge = _compare(np.less), _compare(np.less_equal), _compare(np.greater), \
    _compare(np.greater_equal)
for _name, _fn in dict(eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge).items():
    _fn.__name__ = _name
    tensor_method(_fn)


@tensor_method
def isnan(input):
    return Tensor(np.isnan(input.array))
