"""Elementwise math with torch's names and type promotion: trigonometric, hyperbolic,
exp/log family, rounding and signs, two-argument functions (atan2, maximum, lerp, ...),
special values (isinf, nan_to_num, isclose), and the logical and bitwise operations.

torch's dtype rules, as torch: float functions (sin, log2, rsqrt, atan2, ...) turn integer
and bool tensors into the default float dtype (float32 unless set_default_dtype changed it);
abs, sign, floor, round, maximum, ... keep integers; the
logical ops and the special-value tests give bool; the bitwise ops need integers or bools
(bools: the logical operation); an op with no kernel for a dtype raises torch's
``NotImplementedError: "hypot_cpu" not implemented for 'Long'``."""
import numpy as np

from ..dtypes import default_float, read_number
from ..ops import math as M
from ..ops.elementwise import Fmax, Fmin, Maximum, Minimum
from ..tensor import Tensor, tensor_method
from .elementwise import (float_input, float_only_operands, float_operands, invalid_arguments,
                          no_shell_kernel, not_implemented, number_first, operands, promote,
                          require_tensor, require_tensors, result_type, tensor_first,
                          torch_dtype_name, values)

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
           "atanh", "log2", "log10", "log1p", "expm1", "exp2", "rsqrt", "reciprocal",
           "floor", "ceil", "trunc", "frac", "frexp", "round", "sign", "sgn", "atan2", "hypot",
           "copysign", "logaddexp", "lerp", "maximum", "minimum", "fmax", "fmin", "isinf",
           "isfinite", "isneginf", "isposinf", "nan_to_num", "isclose", "allclose",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
           "bitwise_right_shift"]


# ---------------------------------------------------------------------------- float functions
@tensor_method
def sin(input):
    return M.Sin.apply(float_input(input))


@tensor_method
def cos(input):
    return M.Cos.apply(float_input(input))


@tensor_method
def tan(input):
    return M.Tan.apply(float_input(input))


@tensor_method
def asin(input):
    return M.Asin.apply(float_input(input))


@tensor_method
def acos(input):
    return M.Acos.apply(float_input(input))


@tensor_method
def atan(input):
    return M.Atan.apply(float_input(input))


@tensor_method
def sinh(input):
    return M.Sinh.apply(float_input(input))


@tensor_method
def cosh(input):
    return M.Cosh.apply(float_input(input))


@tensor_method
def asinh(input):
    return M.Asinh.apply(float_input(input))


@tensor_method
def acosh(input):
    return M.Acosh.apply(float_input(input))


@tensor_method
def atanh(input):
    return M.Atanh.apply(float_input(input))


@tensor_method
def log2(input):
    return M.Log2.apply(float_input(input))


@tensor_method
def log10(input):
    return M.Log10.apply(float_input(input))


@tensor_method
def log1p(input):
    return M.Log1p.apply(float_input(input))


@tensor_method
def expm1(input):
    return M.Expm1.apply(float_input(input))


@tensor_method
def exp2(input):
    return M.Exp2.apply(float_input(input))


@tensor_method
def rsqrt(input):
    return M.Rsqrt.apply(float_input(input))


@tensor_method
def reciprocal(input):
    return M.Reciprocal.apply(float_input(input))


# ---------------------------------------------------------------------------- rounding, sign
def _no_bool(input, kernel):
    if input.dtype == bool:
        raise not_implemented(kernel, bool)


@tensor_method
def floor(input):
    _no_bool(input, "floor_vml_cpu")
    return M.Floor.apply(input)


@tensor_method
def ceil(input):
    _no_bool(input, "ceil_vml_cpu")
    return M.Ceil.apply(input)


@tensor_method
def trunc(input):
    _no_bool(input, "trunc_vml_cpu")
    return M.Trunc.apply(input)


@tensor_method
def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2^exponent, ½ ≤ |mantissa| < 1 (0, ±inf,
    NaN: themselves and exponent 0); the exponent is int32 and has no gradient."""
    if input.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    exponent = Tensor._of(np.frexp(input.array)[1].astype(np.int32))
    from .reduce import return_types
    return return_types.frexp(M.Frexp.apply(input), exponent)


@tensor_method
def frac(input):
    if input.dtype.kind != "f":
        raise not_implemented("frac_cpu", input.dtype)
    return M.Frac.apply(input)


@tensor_method
def round(input, *, decimals=0):
    """To the nearest integer, halves to even (2.5 → 2), or to ``decimals`` decimal places
    (negative: tens, hundreds, ...)."""
    if decimals != 0 and input.dtype.kind != "f":
        raise not_implemented("round_cpu", input.dtype)
    _no_bool(input, "round_vml_cpu")
    return M.Round.apply(input, int(decimals))


@tensor_method
def sign(input):
    no_shell_kernel("sign_cpu", input.array.dtype)
    return M.Sign.apply(input)


@tensor_method
def sgn(input):
    """For real tensors the same as :func:`sign`."""
    no_shell_kernel("sign_cpu", input.array.dtype)
    return M.Sgn.apply(input)


# ---------------------------------------------------------------------------- two arguments
def _tensors(fn, input, other):
    require_tensors(fn, input, other)
    return promote(input, other)


@tensor_method
def atan2(input, other):
    """The angle of the point (x=other, y=input), in [−π, π]."""
    require_tensors("atan2", input, other)
    return M.Atan2.apply(*float_operands(input, other))


@tensor_method
def hypot(input, other):
    return M.Hypot.apply(*float_only_operands("hypot", input, other, "hypot_cpu"))


@tensor_method
def copysign(input, other):
    """|input| with the sign of ``other`` (a Tensor or a number)."""
    tensor_first("copysign", input, other)
    return M.Copysign.apply(*float_operands(input, other))


@tensor_method
def logaddexp(input, other):
    return M.Logaddexp.apply(*float_only_operands("logaddexp", input, other, "logaddexp_cpu"))


@tensor_method
def lerp(input, end, weight):
    """``input + weight·(end − input)``; ``weight`` is a number or a Tensor (broadcast).
    ``end`` (and a weight with dims) must have ``input``'s dtype, as torch. float16 is
    computed in float32 and rounded once, as torch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"lerp() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(end).__name__}, "
                        f"{type(weight).__name__}), but expected one of:\n"
                        f" * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
                        f" * (Tensor input, Tensor end, Number weight, *, Tensor out = None)\n")
    require_tensor(end, "lerp", "end")
    read_number(weight)                    # (2**64: torch's OverflowError)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype != input.dtype and (name == "end" or t.ndim):
            raise RuntimeError(f"expected dtype {_c_name(input.dtype)} for `{name}` but got "
                               f"dtype {_c_name(t.dtype)}")
    if isinstance(weight, Tensor):       # a 0-d weight joins the promotion (int + 0.5 float)
        dtype = result_type(input.array, end.array, weight.array)
        if dtype.kind != "f":
            raise not_implemented("lerp_kernel_tensor", dtype)
        return M.Lerp.apply(input.to(dtype), end.to(dtype), weight.to(dtype))
    if input.dtype.kind != "f":
        raise not_implemented("lerp_kernel_scalar", input.dtype)
    if isinstance(weight, np.generic):
        weight = weight.item()
    return M.Lerp.apply(input, end, weight)


def _c_name(dtype):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "float16": "c10::Half"}.get(np.dtype(dtype).name, np.dtype(dtype).name)


@tensor_method
def maximum(input, other):
    """Elementwise max; NaN wins; ties share the gradient ½/½ (as torch)."""
    a, b = _tensors("maximum", input, other)
    no_shell_kernel("maximum_cpu", a.array.dtype)
    return Maximum.apply(a, b)


@tensor_method
def minimum(input, other):
    """Elementwise min; NaN wins; ties share the gradient ½/½ (as torch)."""
    a, b = _tensors("minimum", input, other)
    no_shell_kernel("minimum_cpu", a.array.dtype)
    return Minimum.apply(a, b)


@tensor_method
def fmax(input, other):
    """Elementwise max ignoring NaN (NaN only where both are)."""
    a, b = _tensors("fmax", input, other)
    no_shell_kernel("maximum_cpu", a.array.dtype)
    return Fmax.apply(a, b)


@tensor_method
def fmin(input, other):
    """Elementwise min ignoring NaN (NaN only where both are)."""
    a, b = _tensors("fmin", input, other)
    no_shell_kernel("minimum_cpu", a.array.dtype)
    return Fmin.apply(a, b)


# ---------------------------------------------------------------------------- special values
@tensor_method
def isinf(input):
    return Tensor._of(np.isinf(input.array) if input.dtype.kind == "f" else
                  np.zeros(input.shape, bool))


@tensor_method
def isfinite(input):
    return Tensor._of(np.isfinite(input.array) if input.dtype.kind == "f" else
                  np.ones(input.shape, bool))


@tensor_method
def isposinf(input):
    a = input.array
    return Tensor._of(np.isposinf(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool))


@tensor_method
def isneginf(input):
    a = input.array
    return Tensor._of(np.isneginf(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool))


@tensor_method
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN → ``nan``, +inf → ``posinf``, −inf → ``neginf`` (default: the dtype's largest and
    lowest finite values); the gradient is 0 at the replaced places."""
    return M.NanToNum.apply(input, nan, posinf, neginf)


@tensor_method
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``|input − other| ≤ atol + rtol·|other|`` elementwise (or equal, inf included),
    computed as torch does (integers: the tolerance in the default float dtype)."""
    require_tensors("isclose", input, other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{torch_dtype_name(input.dtype)} did not match "
                           f"{torch_dtype_name(other.dtype)}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    return values("isclose", lambda a, b: _isclose(a, b, rtol, atol, equal_nan), input, other)


def _isclose(a, b, rtol, atol, equal_nan):
    close = a == b
    if equal_nan and a.dtype.kind == "f":
        close = close | ((a != a) & (b != b))
    if rtol == 0 and atol == 0:
        return close
    if a.dtype == bool:
        a, b = a.astype(default_float()), b.astype(default_float())
    tol_dtype = a.dtype if a.dtype.kind == "f" else default_float()
    with np.errstate(all="ignore"):                    # (inf − inf, 0·inf: not close)
        allowed = tol_dtype.type(atol) + np.abs(tol_dtype.type(rtol) * b.astype(tol_dtype))
        error = np.abs(a - b).astype(tol_dtype, copy=False)
        return close | (np.isfinite(error) & (error <= allowed))


@tensor_method
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if :func:`isclose` holds everywhere (a Python bool)."""
    require_tensors("allclose", input, other)
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


# ---------------------------------------------------------------------------- logical
# (in the dtype torch promotes the two to first: a 0-d int64 256 next to a uint8 tensor is 0)
@tensor_method
def logical_and(input, other):
    return values("logical_and", np.logical_and, *_logical("logical_and", input, other))


@tensor_method
def logical_or(input, other):
    return values("logical_or", np.logical_or, *_logical("logical_or", input, other))


@tensor_method
def logical_xor(input, other):
    return values("logical_xor", np.logical_xor, *_logical("logical_xor", input, other))


def _logical(fn, input, other):
    a, b = _tensors(fn, input, other)
    no_shell_kernel(f"{fn}_cpu", a.array.dtype)
    return a, b


@tensor_method
def logical_not(input):
    no_shell_kernel("logical_not_cpu", input.array.dtype)
    return Tensor._of(np.logical_not(input.array))


# ---------------------------------------------------------------------------- bitwise
def _integers(input, other, kernel, allow_bool=True):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        name = {"lshift_cpu": "bitwise_left_shift", "rshift_cpu": "bitwise_right_shift"}.get(
            kernel, kernel[:-len("_cpu")])
        raise invalid_arguments(name, (input, other), number_first())
    a, b = operands(input, other)
    if a.dtype.kind == "f" or (a.dtype == bool and not allow_bool):
        raise not_implemented(kernel, a.dtype)
    if not allow_bool:                  # (the shifts: torch has no uint16/32/64 kernel)
        no_shell_kernel(kernel, a.array.dtype)
    return a, b


@tensor_method
def bitwise_and(input, other):
    """``&``: bitwise on integers, logical on bools (floats refused, as torch)."""
    return values("bitwise_and", np.bitwise_and,
                  *_integers(input, other, "bitwise_and_cpu"))


@tensor_method
def bitwise_or(input, other):
    return values("bitwise_or", np.bitwise_or, *_integers(input, other, "bitwise_or_cpu"))


@tensor_method
def bitwise_xor(input, other):
    return values("bitwise_xor", np.bitwise_xor, *_integers(input, other, "bitwise_xor_cpu"))


@tensor_method
def bitwise_not(input):
    """``~``: bitwise on integers (two's complement), logical on bools."""
    if input.dtype.kind == "f":
        raise not_implemented("bitwise_not_cpu", input.dtype)
    no_shell_kernel("bitwise_not_cpu", input.array.dtype)
    return Tensor._of(np.invert(input.array))


@tensor_method
def bitwise_left_shift(input, other):
    """``<<`` on integers; a shift by the width or more (or a negative one) gives 0."""
    return values("bitwise_left_shift", np.left_shift,
                  *_integers(input, other, "lshift_cpu", allow_bool=False))


@tensor_method
def bitwise_right_shift(input, other):
    """``>>`` on integers (arithmetic: keeps the sign); a shift by the width or more (or a
    negative one) gives 0 or −1."""
    return values("bitwise_right_shift", np.right_shift,
                  *_integers(input, other, "rshift_cpu", allow_bool=False))


# ---------------------------------------------------------------------------- torch's aliases
_ALIASES = {"arcsin": asin, "arccos": acos, "arctan": atan, "arcsinh": asinh,
            "arccosh": acosh, "arctanh": atanh, "arctan2": atan2, "fix": trunc}
for _name, _fn in _ALIASES.items():
    globals()[_name] = _fn
    setattr(Tensor, _name, _fn)
__all__ += list(_ALIASES)
