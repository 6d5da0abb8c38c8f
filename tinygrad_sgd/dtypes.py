"""Dtypes: their names, turning user data into arrays, and torch's type promotion.

(house: long file — every dtype rule torch has, for data, numbers and results, is kept in
this one place, so that no op decides a dtype on its own.)"""
import functools
import math
import numbers

import numpy as np

from .errors import warn_level

__all__ = ["DType", "DTypeWithoutTensors", "as_dtype", "float16", "float32", "float64", "uint8",
           "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "bool_", "bfloat16",
           "complex32", "complex64", "complex128", "as_array", "promote", "default_float",
           "set_default_dtype", "get_default_dtype", "finfo", "iinfo", "promote_types",
           "result_type", "can_cast", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "cast"]


class DType:
    """A tensor's dtype as torch spells it: ``tinygrad_sgd.float32`` prints as such, compares
    equal to NumPy's (``x.dtype == np.float32``) and is accepted wherever NumPy takes a dtype
    (NumPy reads its ``.dtype``). ``is_floating_point``, ``itemsize`` and ``kind`` as expected."""
    __slots__ = ("dtype", "kind", "itemsize", "type", "name")

    def __init__(self, np_dtype):
        d = np.dtype(np_dtype)
        self.dtype, self.kind, self.itemsize, self.type, self.name = \
            d, d.kind, d.itemsize, d.type, d.name

    @property
    def is_floating_point(self):
        return self.kind == "f"

    @property
    def is_complex(self):
        return False

    @property
    def is_signed(self):
        return self.kind in "fi"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.dtype == other.dtype
        if isinstance(other, str) and other not in _NUMPY_NAMES:
            return False
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        from .printing import OPTIONS
        return f"{OPTIONS.namespace}.{self.name}"

    def __reduce__(self):
        return as_dtype, (self.name,)

    def to_real(self):
        """torch's ``dtype.to_real()``: a complex dtype's real part's dtype; any other itself."""
        return self

    def to_complex(self):
        """torch's ``dtype.to_complex()``: the complex dtype whose parts are this float dtype
        (float32 → complex64, bfloat16 → complex64); RuntimeError for integers and bool."""
        complex_of = {"float16": "complex32", "float32": "complex64", "float64": "complex128",
                      "bfloat16": "complex64"}.get(self.name)
        if complex_of is None:
            raise RuntimeError(f"Unknown Complex ScalarType for {_SCALAR_TYPE_NAMES[self.name]}")
        return _WITHOUT_TENSORS[complex_of]


# torch's C++ names of its scalar types (``"add_stub" not implemented for 'Long'``, ``Input
# type (Float) and bias type (Half)``...): the one table the modules' messages read
_SCALAR_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                      "uint8": "Byte", "bool": "Bool", "uint16": "UInt16", "uint32": "UInt32",
                      "uint64": "UInt64", "float16": "Half", "float32": "Float",
                      "float64": "Double", "bfloat16": "BFloat16", "complex32": "ComplexHalf",
                      "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


class DTypeWithoutTensors(DType):
    """A torch dtype this library names but makes no tensors of: ``bfloat16`` (NumPy has no
    16-bit brain float, and computing in float32 where torch rounds to it would give other
    numbers) and the complex dtypes (complex numbers are not implemented here).

    It answers what a dtype alone answers, as torch's: its name and ``repr``,
    ``is_floating_point``, ``is_complex``, ``is_signed``, ``itemsize``, ``to_real``/
    ``to_complex``, :class:`finfo`, :func:`promote_types` and :func:`can_cast`. So a program
    that only *names* it — nanoGPT's ``{'bfloat16': torch.bfloat16, ...}`` table, a
    comparison ``x.dtype == torch.bfloat16``, ``autocast(..., dtype=torch.bfloat16,
    enabled=False)`` — runs. Every road from it to an array (a factory's ``dtype=``, ``.to``,
    ``np.dtype(it)``) reads its ``dtype``, which raises NotImplementedError: never another
    dtype silently."""
    __slots__ = ("real", "why")

    def __init__(self, name, kind, itemsize, real, why):
        self.name, self.kind, self.itemsize, self.real, self.why = name, kind, itemsize, real, why

    @property
    def dtype(self):
        raise NotImplementedError(f"tinygrad_sgd has no {self.name} tensors: {self.why}")

    type = dtype

    @property
    def is_complex(self):
        return self.kind == "c"

    @property
    def is_signed(self):
        return True

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return hash(("DTypeWithoutTensors", self.name))

    def to_real(self):
        return self.real if self.real is not None else self

    def to_complex(self):
        return self if self.kind == "c" else super().to_complex()


_NO_BFLOAT16 = "NumPy has no bfloat16 dtype (use float32, float16 or float64)"
_NO_COMPLEX = "complex numbers are not implemented"
bfloat16 = DTypeWithoutTensors("bfloat16", "f", 2, None, _NO_BFLOAT16)
complex32 = DTypeWithoutTensors("complex32", "c", 4, None, _NO_COMPLEX)
complex64 = DTypeWithoutTensors("complex64", "c", 8, None, _NO_COMPLEX)
complex128 = DTypeWithoutTensors("complex128", "c", 16, None, _NO_COMPLEX)
_WITHOUT_TENSORS = {d.name: d for d in (bfloat16, complex32, complex64, complex128)}


_NUMPY_NAMES = {"float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64",
                "bool", "uint16", "uint32", "uint64", "f4", "f8", "i8", "i4"}
_BY_NUMPY = {}


def as_dtype(value):
    """The DType of a NumPy dtype, a NumPy scalar type, a name or a DType (one object each)."""
    if isinstance(value, DType):
        return value
    if type(value) is str and value in _WITHOUT_TENSORS:     # (unpickling one)
        return _WITHOUT_TENSORS[value]
    d = np.dtype(value)
    found = _BY_NUMPY.get(d)
    if found is None:
        found = _BY_NUMPY[d] = DType(d)
    return found


float16, float32, float64 = as_dtype(np.float16), as_dtype(np.float32), as_dtype(np.float64)
uint8, int8, int16 = as_dtype(np.uint8), as_dtype(np.int8), as_dtype(np.int16)
int32, int64, bool_ = as_dtype(np.int32), as_dtype(np.int64), as_dtype(np.bool_)
uint16, uint32, uint64 = as_dtype(np.uint16), as_dtype(np.uint32), as_dtype(np.uint64)
complex32.real, complex64.real, complex128.real = float16, float32, float64

# torch's "shell" dtypes: tensors of them exist and can be stored, copied, indexed, cast,
# multiplied, summed, ..., but torch has kernels for only some ops (``u16 + 1`` is its
# NotImplementedError) and promotes them with no other dtype but a float (refuse_shell).
SHELL_DTYPES = frozenset((np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64)))


def refuse_shell(a, b):
    """torch's RuntimeError for promoting ``a`` with ``b`` (NumPy dtypes or DTypes) when one
    of them is uint16, uint32 or uint64, the other is not the same dtype and not a float:
    ``uint16 + int16`` has no dtype in torch (NumPy's int32 would be a silent guess, and
    uint64 with int64 NumPy's float64 a lossy one). Nothing to say otherwise."""
    if (a in SHELL_DTYPES or b in SHELL_DTYPES) and a != b and \
            a.kind != "f" and b.kind != "f":
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {_SCALAR_TYPE_NAMES[a.name]} and "
                           f"{_SCALAR_TYPE_NAMES[b.name]}")


# ----------------------------------------------------------------------------- the default
# The dtype of floats nobody chose a dtype for: Python floats in ``tensor([1.5])``, ``zeros(3)``,
# ``rand``, layer parameters, an integer tensor made float (``int_t / 2``, ``int_t.exp()``).
# float32 unless ``set_default_dtype`` says otherwise. Every such place asks default_float().
_default = {"float": np.dtype(np.float32)}


def default_float(dtype=None):
    """The default floating-point dtype, as a NumPy dtype (float32 unless changed) — or
    ``dtype`` itself when one was given (a layer's ``dtype=None`` argument)."""
    return _default["float"] if dtype is None else np.dtype(dtype)


def set_default_dtype(d):
    """As ``torch.set_default_dtype``: the dtype of floats made without a dtype (Python floats
    in ``tensor``, ``zeros``/``ones``/``full``/``empty``/``eye``, the float ranges, the random
    floats, layer parameters, integer tensors made float by ``/``, ``exp``, ...). ``d`` is
    ``float32`` or ``float64`` (torch also takes float16, which this library does not support
    as a default); anything else raises TypeError, with torch's words."""
    if not isinstance(d, DType):
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if d.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    if isinstance(d, DTypeWithoutTensors) or d.dtype not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: {d!r} as the default dtype is not supported by "
                        f"tinygrad_sgd (torch accepts it): use float32 or float64")
    _default["float"] = d.dtype


def get_default_dtype():
    """As ``torch.get_default_dtype``: ``float32`` unless ``set_default_dtype`` changed it."""
    return as_dtype(_default["float"])


def as_array(data, dtype=None):
    """Turn user data into an array with torch's dtype rules (Python floats → the default float
    dtype (float32, see set_default_dtype), ints →
    int64; NumPy arrays keep theirs), refusing what is not numeric."""
    python_data = False
    if isinstance(data, np.ndarray):
        arr = data
    elif hasattr(data, "grad_fn") and isinstance(getattr(data, "array", None), np.ndarray):
        arr = data.array                      # a Tensor
    else:
        python_data = not isinstance(data, np.generic)
        inferred = None
        if isinstance(data, (list, tuple)):
            found, data = _scalars_of(data)
            if dtype is None and found:
                inferred = functools.reduce(promote_dtypes, found)
                if inferred.kind in "iu" and _has_numpy_bool(data):
                    raise TypeError("'numpy.bool' object cannot be interpreted as an integer")
        arr = _asarray(data, inferred if inferred is not None and inferred.kind in "iu"
                       else None)
        if python_data:
            arr = _python_numbers(arr, dtype if dtype is not None else inferred, data)
        if dtype is None and not isinstance(data, np.generic) and arr.dtype.kind in "biuf":
            with np.errstate(over="ignore"):  # tensor([1e40]): inf, quietly, as torch
                arr = arr.astype(inferred if inferred is not None else
                                 _default_dtype(arr.dtype), copy=False)
    refuse_byte_order(arr)
    if arr.dtype.kind not in "biuf":
        kind = "complex" if arr.dtype.kind == "c" else f"non-numeric ({arr.dtype})"
        raise TypeError(f"Tensor: {kind} data is not supported; "
                        f"expected numbers (bool, int or float), got {type(data).__name__}"
                        + (f" with dtype {arr.dtype}" if hasattr(data, "dtype") else ""))
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind not in "biuf":
            raise TypeError(f"Tensor: unsupported dtype {dtype}")
        if python_data and dtype.kind in "iu" and arr.dtype != dtype and arr.size:
            _check_fits(arr, dtype)           # Python numbers: torch's check (NumPy's wrap)
        arr = cast(arr, dtype, copy=False)     # (quietly: 1e300 into float32 is inf)
    return arr


def cast(arr, dtype, copy=True):
    """``arr.astype(dtype)`` as torch converts: float64 → float16 goes through float32 (c10's
    Half is made from a float), which can round differently from NumPy's direct conversion
    (0.0291213991378954 → 0.02911376953125 in torch, 0.0291290283203125 in one rounding).
    Every other pair converts as NumPy does. Quietly, as torch: a float too large for the
    dtype becomes ±inf, NaN stays NaN (into an integer dtype: whatever NumPy's cast gives),
    without NumPy's "overflow encountered in cast" RuntimeWarning. (A number written into a
    tensor is checked first where torch checks it: :func:`checked_scalar`.)"""
    dtype = np.dtype(dtype)
    narrowing = arr.dtype.kind == "f" and (dtype.kind != "f" or
                                           dtype.itemsize < arr.dtype.itemsize) or \
        arr.dtype.kind in "iu" and dtype == np.float16          # (100000 in float16: inf)
    if not narrowing:
        return arr.astype(dtype, copy=copy)          # (nothing can overflow)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype == np.float16 and arr.dtype == np.float64:
            return arr.astype(np.float32).astype(np.float16)
        return arr.astype(dtype, copy=copy)


def _asarray(data, int_dtype):
    """``np.asarray(data)``; integers read as ``int_dtype`` when torch infers one (NumPy
    makes ``[1, 2**63]`` float64; torch's ValueError instead)."""
    if int_dtype is not None:
        try:
            return np.asarray(data, dtype=int_dtype)
        except OverflowError:
            raise ValueError("Overflow when unpacking long long") from None
        except (ValueError, TypeError):
            pass                                   # (not numbers: refused by the caller)
    try:
        return np.asarray(data)
    except ValueError as e:
        raise ValueError(f"Tensor: data must be a rectangular (non-ragged) nested sequence "
                         f"of numbers: {e}") from None


def refuse_byte_order(arr):
    """torch's ValueError for NumPy data in the other byte order (``'>f4'`` here): a tensor
    of such memory would not compare equal to ``float32`` nor compute with the others."""
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")


def _python_numbers(arr, dtype, data):
    """``np.asarray`` of Python data, checked as torch checks it: Python ints beyond int64 are
    torch's ``ValueError`` unless the tensor is to be floating point (then they are floats),
    bool (then True) or uint64 (:func:`_python_uint64`) — also beside floats, where NumPy
    made them floats (``tensor([1.5, 2**63], dtype=int64)`` wrapped to −2**63)."""
    if dtype is not None and np.dtype(dtype) == np.uint64:
        return _python_uint64(arr, data)
    if arr.dtype.kind == "f" and dtype is not None and np.dtype(dtype).kind in "iu" and \
            (np.abs(arr) >= 2.0 ** 63).any() and \
            any(beyond_int64(v) for v in np.asarray(data, dtype=object).flat):
        raise ValueError("Overflow when unpacking long long")   # (NumPy read them as floats)
    if arr.dtype.kind not in "uO" or (arr.dtype.kind == "u" and arr.dtype.itemsize < 8):
        return arr
    if arr.dtype.kind == "O" and not all(isinstance(v, numbers.Real) for v in arr.flat):
        return arr                           # (not numbers: refused by the caller)
    if dtype is not None and np.dtype(dtype).kind == "f":
        return np.asarray(arr.tolist() if arr.dtype.kind == "O" else arr, dtype=np.float64)
    if dtype is not None and np.dtype(dtype).kind == "b":
        return np.asarray(arr != 0, dtype=np.bool_)        # (any size: ≠ 0, as torch)
    raise ValueError("Overflow when unpacking long long")


def _python_uint64(arr, data):
    """Python numbers for a uint64 tensor, read as torch reads them (each as an unsigned 64-bit
    integer): up to 2**64 − 1 (``tensor([2**64 - 1], dtype=uint64)``); a negative one is its
    OverflowError, not NumPy's wrap-around (−1 would silently be 2**64 − 1), and a float its
    TypeError."""
    kind = arr.dtype.kind
    if kind == "f":                  # (NumPy makes [-1, 2**64 - 1] float64: read it again)
        arr, kind = np.asarray(data, dtype=object), "O"
    if kind == "i" and arr.size and arr.min() < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if kind != "O":
        return arr
    for v in arr.flat:
        if not isinstance(v, numbers.Real):
            return arr                           # (not numbers: refused by the caller)
        if not isinstance(v, numbers.Integral):
            raise TypeError("an integer is required")
        if v < 0:
            raise OverflowError("can't convert negative int to unsigned")
        if v >= 2 ** 64:
            raise OverflowError("int too big to convert")
    return np.asarray(arr.tolist(), dtype=np.uint64)


def _scalars_of(data, depth=0):
    """(the dtypes torch infers for the items of a nested list/tuple (in order, as a dict's
    keys), the data with any one-element Tensor in it replaced by its number). torch
    promotes the items' own dtypes: a Python float is the default float dtype, an int int64,
    a bool bool, a NumPy scalar or array and a Tensor their dtype — so ``[np.int32(1), 2]``
    is int64, ``[tensor(1.5, dtype=float64), 2]`` float64, ``[np.float16(1), 2]`` float16. A
    Tensor of more than one element in a list is torch's ValueError."""
    found, out, changed = {}, [], False       # (a dict: in order, for torch's messages)
    for item in data:
        if isinstance(item, (np.generic, np.ndarray)):    # (np.float64 is a float too)
            found[item.dtype] = None
        elif isinstance(item, bool):
            found[np.dtype(np.bool_)] = None
        elif isinstance(item, int):
            found[np.dtype(np.int64)] = None
        elif isinstance(item, float):
            found[np.dtype(default_float())] = None
        elif hasattr(item, "grad_fn") and isinstance(getattr(item, "array", None), np.ndarray):
            if item.array.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            found[item.array.dtype] = None
            item, changed = item.array.reshape(()).item(), True
        elif isinstance(item, (list, tuple, range)) and depth < 64:
            inner, item2 = _scalars_of(item, depth + 1)
            found.update(inner)
            changed |= item2 is not item
            item = item2
        out.append(item)
    return found, (out if changed else data)


def _has_numpy_bool(data):
    return any(isinstance(v, np.bool_) or (isinstance(v, (list, tuple)) and _has_numpy_bool(v))
               for v in data)


def _default_dtype(numpy_dtype):
    """torch's dtype for a Python number: a float the default float dtype, an int int64, a
    bool bool."""
    kind = numpy_dtype.kind
    return default_float() if kind == "f" else np.int64 if kind in "iu" else numpy_dtype


def _check_fits(arr, dtype, name=None):
    """Numbers for an integer dtype, as torch checks them: integers in range (a negative one
    down to −255 wraps into uint8), floats finite and in range before they are truncated;
    otherwise torch's RuntimeError (naming the type ``name``, torch.tensor's: the dtype's)."""
    if arr.dtype.kind == "b":
        return                        # (bools fit every integer dtype; −2**64 + 1 is no int64)
    info = np.iinfo(dtype)
    low = -info.max if info.min == 0 and arr.dtype.kind in "iu" else info.min
    if (arr.dtype.kind == "f" and not np.isfinite(arr).all()) or arr.min() < low or \
            arr.max() > info.max:
        raise RuntimeError(f"value cannot be converted to type {name or np.dtype(dtype).name} "
                           f"without overflow")


def scalar_array(value, like_dtype):
    """A Python number as a 0-d array of the dtype torch gives it next to a tensor of
    ``like_dtype``: numbers are "weak" — a float next to a float tensor takes its dtype, an int
    next to an int tensor too; a float next to an integer tensor is the default float dtype."""
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise TypeError(f"Tensor: complex numbers are not supported (got {value!r})")
    kind = like_dtype.kind
    if kind == "f":                           # 1e40 next to float32: inf, as torch
        return cast(np.asarray(value), like_dtype)
    if isinstance(value, (bool, np.bool_)) and kind == "b":
        return np.asarray(value)
    if isinstance(value, numbers.Integral):
        return np.asarray(value, dtype=np.int64 if kind == "b" else like_dtype)
    with np.errstate(over="ignore"):          # 1e40 next to an int tensor: inf too
        return np.asarray(value, dtype=default_float())


def beyond_int64(value):
    """Whether ``value`` is a Python integer that torch's number arguments (its Scalar) do
    not read as an int64: torch reads it as a uint64 (:func:`uint64_number`)."""
    return isinstance(value, int) and not isinstance(value, bool) and \
        not -2 ** 63 <= value < 2 ** 63


def uint64_number(value):
    """A Python integer beyond int64 as torch reads a number argument (``t + 2**63``,
    ``clamp(t, max=2**63)``): up to 2**64 − 1 an unsigned 64-bit integer, else the
    OverflowError of that read (Python's words, as torch shows them)."""
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if value >= 2 ** 64:
        raise OverflowError("int too big to convert")
    return np.uint64(value)


def read_number(value):
    """``value`` as torch reads a number argument, unchanged — but a Python integer beyond
    uint64 (or below −2**63) is the OverflowError of torch's read (:func:`uint64_number`)."""
    if beyond_int64(value):
        uint64_number(value)
    return value


def scalar_argument(value, op, arg):
    """A number argument (add's ``alpha``, addcmul's ``value``, full's ``fill_value``) as
    torch's argument parser reads a Scalar: a number as it is (see :func:`read_number`), a 0-d
    tensor that does not require grad as its ``item()``; anything else — a tensor of more
    dims, one that requires grad (its gradient could not flow through a number), a string —
    torch's TypeError ``op(): argument 'arg' must be Number, not T``."""
    if type(value) in (int, float, bool):       # (the hot path: add(x, y) has alpha=1)
        return read_number(value)
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return read_number(value)
    if getattr(value, "ndim", None) == 0 and getattr(value, "requires_grad", True) is False:
        return value.item()
    raise TypeError(f"{op}(): argument '{arg}' must be Number, not {type(value).__name__}")


def number_dtype(value):
    """The dtype torch gives a number with no tensor beside it (``full(size, 3)``,
    ``where(c, 1, 0)``): bool for a bool, int64 for an integer, else the default float dtype;
    a 0-d tensor or NumPy number by its kind."""
    kind = value.dtype.kind if hasattr(value, "dtype") else (
        "b" if isinstance(value, bool) else "i" if isinstance(value, numbers.Integral) else "f")
    return {"b": np.bool_, "i": np.int64, "u": np.int64}.get(kind, default_float())


_C_TYPE_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                 "int64": "int64_t", "uint16": "uint16_t", "uint32": "uint32_t",
                 "float16": "c10::Half", "float32": "float", "float64": "double"}


def checked_scalar(value, dtype):
    """A number written into a tensor of ``dtype`` (``full``, ``fill_``, ``masked_fill``,
    ``index_fill``, ``scatter(value=)``) as torch converts it (c10's checked_convert): a value
    the dtype cannot hold is torch's RuntimeError, not NumPy's wrap-around — −2.7 into uint8
    was 254, 1e10 into int32 −2147483648. Allowed as in torch: a negative integer down to −255
    into uint8 (it wraps: −1 is 255), floats truncated toward 0 into integers, ±inf and NaN
    into floats, anything into bool (≠ 0). (torch skips the check when it fills a single
    float16 element: there 1e5 becomes inf; here it is the same error as for two.)"""
    dt = np.dtype(dtype)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Integral) and not -2**63 <= value < 2**64:
        raise OverflowError("can't convert negative int to unsigned" if value < 0 else
                            "int too big to convert")      # (torch's, from its uint64 read)
    if dt.kind == "b" or isinstance(value, bool):
        return np.asarray(value != 0 if dt.kind == "b" else int(value), dtype=dt)
    name = _C_TYPE_NAMES.get(dt.name)
    if isinstance(value, complex):      # (torch: its real part only where it is all of it)
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        value = value.real
    if dt.kind == "f":
        if name is not None and abs(value) > float(np.finfo(dt).max) and abs(value) != math.inf:
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        return cast(np.asarray(value), dt)
    _check_fits(np.asarray(value), dt, name)
    info = np.iinfo(dt)
    return np.asarray(int(value) % (info.max + 1) if value < 0 <= info.min else int(value),
                      dtype=dt)


def check_range_ends(op, dtype, *ends):
    """torch's checks of the ends of ``linspace``/``logspace`` (``op``) in ``dtype``: no bool
    dtype, and each finite end must fit it (:func:`checked_scalar`: ``linspace(0, 1e300)`` in
    float32 is an error, not a row of NaNs)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b" or dtype in SHELL_DTYPES:
        raise NotImplementedError(f'"{op}_cpu" not implemented for '
                                  f'\'{_SCALAR_TYPE_NAMES[dtype.name]}\'')
    for v in ends:
        if isinstance(v, numbers.Integral) or np.isfinite(v):
            checked_scalar(v, dtype)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def result_dtype(a, b):
    """The dtype torch gives ``a ⊕ b`` for arrays a and b, where NumPy would differ: the higher
    category (bool < integer < float) wins whatever its size (int64 + float32 → float32, not
    float64); within a category a 0-d array does not widen a dimensioned one (float32 + float64
    0-d → float32), which makes Python numbers "weak" too. Otherwise the usual promotion."""
    da, db = a.dtype, b.dtype
    if da == db:
        return da
    if (a.ndim == 0) != (b.ndim == 0):
        ka, kb = _CATEGORY[da.kind], _CATEGORY[db.kind]
        if ka == kb:
            return db if a.ndim == 0 else da
        if (ka < kb) == (a.ndim == 0):   # a 0-d one of a lower category is not promoted
            return db if a.ndim == 0 else da     # with (uint16 × 0-d bool: uint16, as torch)
        if a.ndim == 0:                  # (torch names the dimensioned one first)
            return promote_dtypes(db, da)
    return promote_dtypes(da, db)


def promote_dtypes(a, b):
    """torch's promotion of two NumPy dtypes: the higher category (bool < integer < float)
    wins whatever its size, else the wider of the two; uint16, uint32 and uint64 with any
    other but a float are torch's RuntimeError (:func:`refuse_shell`)."""
    ka, kb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ka < 2 and kb < 2 and (a.itemsize > 1 and a.kind == "u" or
                              b.itemsize > 1 and b.kind == "u"):
        refuse_shell(a, b)
    return np.promote_types(a, b) if ka == kb else (a if ka > kb else b)


def promote(a, b):
    """Tensors ``a`` and ``b`` cast to the dtype torch gives their result."""
    if a.array.dtype == b.array.dtype:          # (the common case: nothing to cast)
        return a, b
    dtype = result_dtype(a.array, b.array)
    return a.to(dtype), b.to(dtype)


def legacy_numpy(data):
    """What ``torch.Tensor`` makes of a NumPy array or scalar: an integer 0-d one is a size
    (``torch.Tensor(np.int64(3))``: 3 numbers, as ``torch.Tensor(3)``); other numbers become
    the default float dtype — the same array when it has that dtype already, else a converted
    copy. (Non-numeric data is returned as it is, to be refused.)"""
    if data.dtype.kind in "iu" and data.ndim == 0:
        return int(data)
    if data.dtype.kind not in "biuf":
        return data
    data = np.asarray(data)
    if data.dtype == default_float():
        return data
    with np.errstate(over="ignore"):      # 1e40 → inf, quietly, as torch
        return data.astype(default_float())


def legacy_sized_array(first, rest, dtype):
    """``Tensor(2, 3)``, torch's legacy constructor by sizes: a (2, 3) tensor of the default
    float dtype (torch leaves it uninitialised; here it is zeros)."""
    sizes = (first, *rest)
    if not all(type(n) is int for n in sizes):
        raise TypeError(f"new(): argument 'size' must be tuple of ints, but found element of "
                        f"type {type(next(n for n in sizes if type(n) is not int)).__name__}")
    if any(n < 0 for n in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(sizes)}: {list(sizes)}")
    return np.zeros(sizes, default_float(dtype))


# ----------------------------------------------------------------------------- torch's helpers
def _dtype_name(dtype):
    return np.dtype(dtype.dtype if isinstance(dtype, DType) else dtype).name


class finfo:
    """``finfo(dtype=None)``: a floating dtype's limits as torch gives them (the default float
    dtype when none is given): ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution``; ``dtype`` is its name."""

    def __init__(self, type=None):
        if isinstance(type, DTypeWithoutTensors):
            if type is bfloat16:          # float32's 8 exponent bits, 7 of its 23 fraction bits
                self.bits, self.dtype, self.resolution = 16, "bfloat16", 0.01
                self.eps, self.max = 2.0 ** -7, (2 - 2.0 ** -7) * 2.0 ** 127
                self.min, self.tiny = -self.max, 2.0 ** -126
                self.smallest_normal = self.tiny
                return
            type = type.real              # a complex dtype's: its parts' (torch's too)
        d = default_float() if type is None else np.dtype(
            type.dtype if isinstance(type, DType) else type)
        if d.kind != "f":
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d)
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision      # (NumPy rounds it to the dtype)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """``iinfo(dtype)``: an integer dtype's ``bits``, ``min``, ``max`` (Python ints)."""

    def __init__(self, type):
        if isinstance(type, DTypeWithoutTensors):
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        d = np.dtype(type.dtype if isinstance(type, DType) else type)
        if d.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        info = np.iinfo(d)
        self.bits, self.min, self.max, self.dtype = info.bits, int(info.min), int(info.max), \
            d.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1, type2):
    """The dtype torch gives an operation on tensors of these two dtypes
    (:func:`promote_dtypes`; with bfloat16 or a complex dtype, :func:`_promote_named`)."""
    if isinstance(type1, DTypeWithoutTensors) or isinstance(type2, DTypeWithoutTensors):
        return _promote_named(as_dtype(type1), as_dtype(type2))
    a, b = (np.dtype(t.dtype if isinstance(t, DType) else t) for t in (type1, type2))
    return as_dtype(promote_dtypes(a, b))


def _category(d):
    """bool 0 < integer 1 < float 2 < complex 3 (a DType)."""
    return 3 if d.kind == "c" else _CATEGORY[d.kind]


def _promote_named(a, b):
    """torch's promotion where bfloat16 or a complex dtype takes part: the higher category
    wins whatever its size; of two floats, bfloat16 with float16 gives float32 (neither holds
    the other), else the wider; a complex dtype with a float or complex one has the complex
    dtype of its parts' promotion (complex32 with float32 → complex64)."""
    if a is b:
        return a
    refuse_shell(a, b)                   # (uint16 with a complex dtype)
    ka, kb = _category(a), _category(b)
    if min(ka, kb) < 2:                  # bool or an integer beside a float or complex dtype
        return a if ka > kb else b
    if ka == kb == 2:                    # two floats
        if {a.name, b.name} == {"bfloat16", "float16"}:
            return float32
        return a if a.itemsize > b.itemsize else b
    return _promote_named(a.to_real(), b.to_real()).to_complex()


def result_type(tensor1, tensor2):
    """The dtype of ``tensor1 ⊕ tensor2`` (Tensors or Python numbers), as the ops compute it: a
    number next to a tensor is the 0-d array :func:`scalar_array` makes of it, then
    :func:`result_dtype`."""
    tensor1, tensor2 = (float(x) if isinstance(x, np.bool_) else x      # (torch: a float)
                        for x in (tensor1, tensor2))
    for x in (tensor1, tensor2):
        if not hasattr(x, "array") and not isinstance(x, numbers.Real):
            raise TypeError(f"result_type(): expected a Tensor or a number, got "
                            f"{x.__class__.__name__}")
    a, b = (getattr(x, "array", None) for x in (tensor1, tensor2))
    if a is None and b is None:
        a, b = as_array(tensor1), as_array(tensor2)
    elif a is None:
        a = _weak_sample(tensor1, b.dtype)
    elif b is None:
        b = _weak_sample(tensor2, a.dtype)
    return as_dtype(result_dtype(a, b))


def _weak_sample(value, like_dtype):
    """:func:`scalar_array` for its dtype only: an integer outside ``like_dtype``'s range (-1
    next to uint8) is still of that dtype (torch wraps it around), one beyond 64 bits torch's
    OverflowError."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if not -2 ** 63 <= value < 2 ** 64:
            raise OverflowError("int too big to convert")
        value = 0
    elif isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        value = 0.0                   # (-1e40 next to float16 or an integer: no overflow)
    return scalar_array(value, like_dtype)


def can_cast(from_, to):
    """Whether torch's type promotion allows casting ``from_`` to ``to``: never to a lower
    category (float → integer, or anything but bool → bool); any size within a category."""
    a, b = (as_dtype(t) for t in (from_, to))
    return _category(a) <= _category(b)


_MATMUL_PRECISION = ["highest"]


def set_float32_matmul_precision(precision):
    """torch's switch for float32 products ('highest', 'high', 'medium': how much internal
    precision TF32/bfloat16 hardware may drop). Recorded for
    :func:`get_float32_matmul_precision`; the products here are always full float32 (NumPy's
    BLAS), as torch's 'highest'. Another value warns and changes nothing, as torch."""
    if precision not in ("highest", "high", "medium"):
        import warnings
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      f"setFloat32MatmulPrecision call has no effect.",
                      UserWarning, stacklevel=warn_level(2))
        return
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision():
    return _MATMUL_PRECISION[0]
